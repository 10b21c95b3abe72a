# keyward's container image: the `keyward` binary on Debian bookworm, run as
# a non-root user. Build with `make image` (scripts/build-image), which first
# makes the base image locally (scripts/base-image: debootstrap + docker import).
#
# Two ways to the same image:
# - the default (last stage): compile keyward here, from the Debian -dev
#   packages, as a user without a build tree does;
# - `--target prebuilt-image`: take the binary `make` already compiled on
#   this Debian (scripts/build-image --prebuilt BIN puts it in .prebuilt/),
#   so CI does not compile keyward a third time.
# Docker's classic builder builds every stage before the target, so the
# prebuilt stages come first; without .prebuilt/ they cost seconds.
ARG BASE_IMAGE=keyward-base:bookworm

# --- prebuilt: .prebuilt/keyward and .prebuilt/runtime-packages, if present.
# Without them (a source build passes through here too) both are empty and
# prebuilt-image installs nothing; use that target only through
# scripts/build-image --prebuilt, which fills .prebuilt/ and checks the image.
FROM ${BASE_IMAGE} AS prebuilt
COPY CMakeLists.txt .prebuil[t] /out/
RUN touch /out/keyward /out/runtime-packages

FROM ${BASE_IMAGE} AS prebuilt-image
COPY --from=prebuilt /out/runtime-packages /usr/share/keyward/runtime-packages
COPY scripts/install-runtime-packages /usr/local/sbin/
RUN install-runtime-packages /usr/share/keyward/runtime-packages
COPY --from=prebuilt /out/keyward /usr/local/bin/keyward
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/keyward"]
CMD ["run"]

# --- build: compile only the keyward binary, Release, from the Debian -dev packages.
FROM ${BASE_IMAGE} AS build
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      cmake ninja-build g++ pkg-config \
      libcpprest-dev libyaml-cpp-dev libssl-dev libspdlog-dev libfmt-dev \
      libboost-dev libboost-program-options-dev prometheus-cpp-dev rapidjson-dev libzstd-dev >/dev/null \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY operator/ operator/
COPY controllers/ controllers/
COPY scripts/runtime-packages /usr/local/bin/
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DKEYWARD_BUILD_TESTS=OFF -DKEYWARD_BUILD_BENCH=OFF >/dev/null \
 && cmake --build /build --target keyward \
 && install -D -s /build/operator/keyward /out/keyward \
 && runtime-packages /out/keyward > /out/runtime-packages

# --- the image: the binary and its shared libraries, nothing else. The same
# lines as prebuilt-image above.
FROM ${BASE_IMAGE}
COPY --from=build /out/runtime-packages /usr/share/keyward/runtime-packages
COPY scripts/install-runtime-packages /usr/local/sbin/
RUN install-runtime-packages /usr/share/keyward/runtime-packages
COPY --from=build /out/keyward /usr/local/bin/keyward
# 65532 is the conventional "nonroot" uid of distroless images; the chart
# sets the same ids in its securityContext.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/keyward"]
CMD ["run"]
LABEL org.opencontainers.image.title="keyward" \
      org.opencontainers.image.description="Kubernetes operator that manages API keys as custom resources"

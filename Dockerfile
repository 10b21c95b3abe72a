# keyward's container image: the `keyward` binary on Debian bookworm, run as
# a non-root user. Build with `make image` (scripts/build-image), which first
# makes the base image locally (scripts/base-image: debootstrap + docker import).
ARG BASE_IMAGE=keyward-base:bookworm

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
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DKEYWARD_BUILD_TESTS=OFF -DKEYWARD_BUILD_BENCH=OFF >/dev/null \
 && cmake --build /build --target keyward \
 && install -D -s /build/operator/keyward /out/keyward \
 # The runtime image installs exactly the packages that own the shared
 # libraries the binary links against, so the list cannot drift from the build.
 && ldd /out/keyward | awk '$3 ~ /^\// {print $3}' | xargs -n1 readlink -f \
      | xargs dpkg -S 2>/dev/null | cut -d: -f1 | sort -u > /out/runtime-packages \
 && test -s /out/runtime-packages

# --- runtime: the binary and its shared libraries, nothing else.
FROM ${BASE_IMAGE}
COPY --from=build /out/runtime-packages /usr/share/keyward/runtime-packages
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      $(cat /usr/share/keyward/runtime-packages) >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
COPY --from=build /out/keyward /usr/local/bin/keyward
# 65532 is the conventional "nonroot" uid of distroless images; the chart
# sets the same ids in its securityContext.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/keyward"]
CMD ["run"]
LABEL org.opencontainers.image.title="keyward" \
      org.opencontainers.image.description="Kubernetes operator that manages API keys as custom resources"

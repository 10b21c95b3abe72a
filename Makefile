# keyward: the two commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
CMAKE_FLAGS ?= -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CCACHE_FLAGS)
export PATH := /usr/local/go/bin:$(PATH)

# A compiler cache outside the clone (docs/development.md): CCACHE_BASEDIR
# makes paths relative to the clone, so a fresh clone on the same machine
# hits what an earlier one compiled. KEYWARD_CCACHE=0 turns it off. ccache
# is looked up when cmake runs (after `deps` installed it), not when make
# reads this file: on a new machine the first build is cached too.
KEYWARD_CACHE ?= $(HOME)/.cache/keyward
ifneq ($(KEYWARD_CCACHE),0)
CCACHE_FLAGS = $$(command -v ccache >/dev/null && echo -DCMAKE_CXX_COMPILER_LAUNCHER=$$(command -v ccache))
export CCACHE_DIR ?= $(KEYWARD_CACHE)/ccache
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
export CCACHE_MAXSIZE ?= 5G
export CCACHE_SLOPPINESS := pch_defines,time_macros,include_file_mtime,include_file_ctime
endif

# Each phase prints "==> phase NAME: N s" (scripts/timed; scripts/ci-times
# collects them).
TIMED := scripts/timed

.PHONY: all deps build build-asan unit e2e test demo demo-down bench image clean

all: build

deps:
	@$(TIMED) deps scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) >/dev/null
	$(TIMED) build cmake --build $(BUILD_DIR)

# Same code with AddressSanitizer + UndefinedBehaviorSanitizer, built by
# clang so the libFuzzer targets (fuzz/) come from the same tree.
ASAN_CXX ?= clang++-16
build-asan: deps
	@if [[ -f $(ASAN_DIR)/CMakeCache.txt ]] && ! grep -q "CMAKE_CXX_COMPILER:.*=.*$(ASAN_CXX)$$" $(ASAN_DIR)/CMakeCache.txt; then \
	  echo "build-asan: $(ASAN_DIR) was configured with another compiler; starting it again"; rm -rf $(ASAN_DIR); fi
	cmake -S . -B $(ASAN_DIR) $(CMAKE_FLAGS) -DCMAKE_CXX_COMPILER=$(ASAN_CXX) -DKEYWARD_SANITIZE=ON -DKEYWARD_BUILD_BENCH=OFF >/dev/null
	$(TIMED) build-asan cmake --build $(ASAN_DIR)

# Two at a time: the fuzzers (fuzz.*, 30 s each) are single-threaded.
unit: build build-asan
	$(TIMED) unit ctest --test-dir $(BUILD_DIR) --output-on-failure -j2
	ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  $(TIMED) unit-asan ctest --test-dir $(ASAN_DIR) --output-on-failure -j2

# End-to-end suites against a real kube-apiserver on loopback.
e2e: build
	KEYWARD_BIN=$(CURDIR)/$(BUILD_DIR)/operator/keyward $(TIMED) e2e e2e/run

# Every test: unit (plain and sanitized), then e2e.
test: unit e2e

demo: build
	KEYWARD_BIN=$(CURDIR)/$(BUILD_DIR)/operator/keyward scripts/demo.sh

demo-down:
	scripts/demo.sh down

bench: build
	BUILD_DIR=$(CURDIR)/$(BUILD_DIR) bench/run-decision-bench
	BUILD_DIR=$(CURDIR)/$(BUILD_DIR) bench/run-server-bench
	BUILD_DIR=$(CURDIR)/$(BUILD_DIR) bench/run-pool-bench
	BUILD_DIR=$(CURDIR)/$(BUILD_DIR) bench/run-operator-bench
	BUILD_DIR=$(CURDIR)/$(BUILD_DIR) bench/run-replica-bench

# The container image from the Dockerfile (keyward:dev; KEYWARD_IMAGE overrides),
# compiled in docker build; with KEYWARD_BIN set (as `make e2e` sets it for
# the suites, e.g. docs/quickstart.md's `make image`) around that binary.
image: deps
	scripts/build-image $(if $(KEYWARD_BIN),--prebuilt $(KEYWARD_BIN))

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)

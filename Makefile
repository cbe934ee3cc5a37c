# SPDX-License-Identifier: MIT
# Thin wrapper over CMake: `make`, `make demo`, `make test`, `make bench`, `make tour`.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all configure demo tour test bench clean

all: configure
	cmake --build $(BUILD) -j $(JOBS)

configure:
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

demo: all
	$(BUILD)/examples/nic-sim

tour: all
	$(BUILD)/examples/tour

test: all
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The peer comparison of issue 6 is not built yet; this runs uwq's own
# micro-benchmarks (hot path, idle-spin window) in a release build.
bench:
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DUWQ_BUILD_BENCH=ON -DUWQ_BUILD_TESTS=OFF
	cmake --build build-bench -j $(JOBS)
	bench/run.sh build-bench

clean:
	rm -rf $(BUILD)

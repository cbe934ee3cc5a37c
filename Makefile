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

# uwq against libuv, GLib, oneTBB, OpenMP and a textbook pool, in one run
# (installs missing peers, builds in release mode, writes
# bench/results/<date>-<host>.md), then uwq's own micro-benchmarks.
# QUICK=1: fewer repetitions, smaller sizes, no micro-benchmarks.
QUICK ?=
bench:
	BUILD_DIR=build-bench JOBS=$(JOBS) bench/report.sh $(if $(filter-out 0,$(QUICK)),--quick)

clean:
	rm -rf $(BUILD)

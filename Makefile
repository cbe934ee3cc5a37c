# SPDX-License-Identifier: MIT
# Thin wrapper over CMake: `make`, `make demo`, `make test`, `make bench`.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all configure demo test bench clean

all: configure
	cmake --build $(BUILD) -j $(JOBS)

configure:
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

demo: all
	$(BUILD)/examples/tour

test: all
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench:
	@echo "benchmarks: not yet (see issue 6)"; exit 1

clean:
	rm -rf $(BUILD)

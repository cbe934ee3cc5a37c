#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The libFuzzer targets (fuzz/*.c): build with clang, ASan and UBSan, replay
# the committed corpus (fuzz/corpus/<target>/, every input must pass), then
# fuzz each target for SECONDS seconds (default 60) starting from it.
#
#   fuzz/run.sh [SECONDS]          what CI runs (.ci/run)
#   fuzz/run.sh --merge SECONDS    the same, then merge what was found into
#                                  the committed corpus (commit the result)
#
# A crash, a failed check (abort), a leak or a timeout (10 s per input)
# leaves the input in build-fuzz/artifacts/ and fails; reproduce with
#   build-fuzz/fuzz/<target> build-fuzz/artifacts/<file>
# Needs clang and libclang-rt-14-dev (installed when missing, as root).
set -euo pipefail
cd "$(dirname "$0")/.."

merge=0
if [ "${1:-}" = "--merge" ]; then
	merge=1
	shift
fi
secs=${1:-60}
build=build-fuzz
targets="fuzz_chip_events fuzz_api"

if ! command -v clang >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
	echo "fuzz: installing clang libclang-rt-14-dev"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang libclang-rt-14-dev >/dev/null
fi

cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DUWQ_BUILD_FUZZ=ON \
	-DUWQ_SANITIZE=address,undefined -DUWQ_BUILD_TESTS=OFF -DUWQ_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target $targets >/dev/null

export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
mkdir -p "$build/artifacts"
for t in $targets; do
	bin=$build/fuzz/$t
	corpus=fuzz/corpus/$t
	found=$build/found/$t
	log=$build/$t.log
	mkdir -p "$corpus" "$found"
	# uwq's reports ("uwq: ..." lines) are expected here: bad input is
	# what the targets feed. They go to the log with libFuzzer's own.
	echo "fuzz: $t: replaying $(ls "$corpus" | wc -l) corpus inputs"
	if ! "$bin" -runs=0 -timeout=10 -artifact_prefix="$build/artifacts/$t-" "$corpus" >"$log" 2>&1; then
		tail -n 40 "$log"
		echo "fuzz: $t failed on the committed corpus (log: $log)"
		exit 1
	fi
	echo "fuzz: $t: fuzzing for $secs s"
	if ! "$bin" -max_total_time="$secs" -timeout=10 -max_len=512 -print_final_stats=1 \
		-artifact_prefix="$build/artifacts/$t-" "$found" "$corpus" >"$log" 2>&1; then
		tail -n 40 "$log"
		echo "fuzz: $t failed (log: $log; inputs in $build/artifacts/)"
		exit 1
	fi
	grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$log" | sed "s/^/fuzz: $t: /"
	if [ $merge = 1 ]; then
		"$bin" -merge=1 "$corpus" "$found" >>"$log" 2>&1
		echo "fuzz: $t: corpus now $(ls "$corpus" | wc -l) inputs"
	fi
done
echo "fuzz: all targets passed"

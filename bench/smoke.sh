#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Smoke test of the benchmark harness, not a benchmark: every scenario of
# every peer_bench_<lib> that was built, and irq_latency, at tiny sizes,
# must print a well-formed result line (a deadlock in S5 is a result, not
# a failure). Asserts no timing. About 15 s on 2 CPUs.
#   bench/smoke.sh [build-dir]
set -uo pipefail
bin=${1:-build-bench}/bench
fail=0 ran=0
check() {	# what, then the command; its last line must say status=ok
	local what=$1 line
	shift
	line=$(timeout -k 2 30 "$@" 2>/dev/null | tail -n 1)
	ran=$((ran + 1))
	if [[ $line == *status=ok* || $line == kv\ * ]]; then
		return 0
	fi
	echo "FAIL: $what: '${line:-no output}'"
	fail=$((fail + 1))
}
for exe in "$bin"/peer_bench_*; do
	[ -x "$exe" ] || continue
	while IFS=$'\t' read -r pool kind _; do
		if [ "$kind" = plain ]; then
			check "$pool S1" "$exe" "$pool" S1 -n 2000
			check "$pool S2" "$exe" "$pool" S2 -n 2000
			check "$pool S3" "$exe" "$pool" S3 -n 20 -o /dev/null
			check "$pool S6" "$exe" "$pool" S6 -n 50 -o /dev/null
			check "$pool M1" "$exe" "$pool" M1
		fi
		check "$pool S4" "$exe" "$pool" S4 -n 10 -o /dev/null
		check "$pool S5" "$exe" "$pool" S5 -t 0.5
	done < <("$exe" --list)
done
[ -x "$bin/peer_bench_uwq" ] && check "floor" "$bin/peer_bench_uwq" floor -n 20
[ -x "$bin/irq_latency" ] && check "irq_latency" "$bin/irq_latency" 20 --kv --rate-ms 20
[ $ran = 0 ] && { echo "no peer_bench_* in $bin: build with -DUWQ_BUILD_BENCH=ON"; exit 77; }
echo "$((ran - fail)) passed, $fail failed"
[ $fail = 0 ]

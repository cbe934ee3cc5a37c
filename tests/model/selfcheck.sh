#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tests/model/selfcheck.sh WQ_DIFF_MUTANT_BINARY - show that wq_diff can fail.
# Runs the tester built with the mutant shim (wq_diff_mutant.c) once per
# mutant, expecting a divergence report (exit 1 with "DIVERGENCE" or
# "FAIL:" on stderr), and once with no mutant, expecting a pass.
set -uo pipefail
bin=${1:?usage: selfcheck.sh path/to/wq_diff_mutant}
args=(--seed 7 --ops 400000 --threads 4 --hang-secs 30
      --avoid flush-delayed-race --avoid flush-collision)
fail=0

for m in double_run lost_queue cancel_lies cancel_nowait flush_early unordered max_active; do
	out=$(WQ_DIFF_MUTANT=$m timeout 300 "$bin" "${args[@]}" 2>&1)
	rc=$?
	line=$(echo "$out" | grep -m1 -E 'FAIL: ' | sed 's/^.*FAIL: //')
	if [ $rc -eq 1 ] && [ -n "$line" ]; then
		printf 'caught   %-14s %s\n' "$m" "$line"
	else
		printf 'MISSED   %-14s exit %d\n' "$m" "$rc"
		echo "$out" | tail -5
		fail=1
	fi
done
out=$(timeout 300 "$bin" --seed 7 --ops 50000 --threads 4 --avoid flush-delayed-race --avoid flush-collision 2>&1)
rc=$?
if [ $rc -eq 0 ]; then
	echo "passes   (no mutant)"
else
	echo "FAILED   with no mutant (exit $rc):"
	echo "$out" | tail -5
	fail=1
fi
exit $fail

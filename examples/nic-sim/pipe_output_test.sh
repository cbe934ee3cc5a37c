#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nic-sim with its stdout on a pipe (a log, CI): plain lines, no '\r'
# redraws; the legend; rates with units; a final dump naming only what the
# demo used (its workqueue proto, no idle system workqueue) and its line's
# unhandled/missed counts with their explanation.
# Usage: pipe_output_test.sh PATH/TO/nic-sim
set -u
demo=$1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
set -o pipefail
"$demo" -t 1 | cat >"$out"
rc=$?
fail=0
bad() { echo "FAIL: $*"; fail=1; }

[ "$rc" -eq 0 ] || bad "nic-sim -t 1 exited with $rc"
grep -q $'\r' "$out" && bad "carriage returns in piped output"
grep -q '^legend: rx = ' "$out" || bad "no legend line"
rate='^ *[0-9]+\.[0-9] s  rx [0-9]+\+[0-9]+ +done +[0-9]+ pkt/s  irq +[0-9]+/s  disk +[0-9]+/s  workers +[0-9]+$'
n=$(grep -cE "$rate" "$out")
[ "$n" -ge 1 ] || bad "no progress line with rates and units (pkt/s, /s)"
grep -q '^workqueue proto: ' "$out" || bad "final dump lacks the demo's workqueue proto"
others=$(grep -E '^workqueue ' "$out" | grep -v '^workqueue proto: ')
[ -z "$others" ] || bad "final dump shows workqueues the demo did not use: $others"
grep -qE '^irq [0-9]+: .* unhandled=[0-9]+ missed=[0-9]+$' "$out" || bad "no line stats with unhandled/missed"
grep -q 'unhandled: events BOTH answered NONE' "$out" || bad "unhandled is not explained"
grep -q 'missed: raises merged' "$out" || bad "missed is not explained"
if [ "$fail" -ne 0 ]; then
	echo "--- output (cat -A) ---"
	cat -A "$out" | cut -c1-300
	exit 1
fi
echo "ok: $n progress lines, $(wc -l <"$out") lines in all"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# uwq-top's CPU% is bounded by the CPU the process really used (tools/
# uwq-top.c, "CPU%" in its design comment), on top_cpu_target: 8
# self-requeueing items on one CPU's pool, so 8 workers wait for one CPU,
# in two modes: "spin" (each run burns 3 ms of CPU) and "mixed" (3 ms of
# CPU, then 3 ms of unhinted sleep). Over a window of at least 1.5 s of
# the process's CPU time (/proc/PID/stat), the pools' and the queue's CPU%
# added up over uwq-top's rate windows must not exceed it
# (top_cpu_check.py says the tolerance), and must not be far below it.
# Before the pools' CPU came from thread clocks, the queue's figure was
# wall time in the function: about 8 times the process's CPU here.
# Usage: top_cpu_bounded.sh UWQ_TOP TOP_CPU_TARGET
TOP=$1 NICSIM=$2
. "$(dirname "$0")/lib.sh"
check=$(dirname "$0")/top_cpu_check.py

need_python
release() { exec 3>&-; }
extra_cleanup=release
for mode in spin mixed; do
	rm -f "$tmp/ctl"
	mkfifo "$tmp/ctl"
	"$NICSIM" "$mode" <"$tmp/ctl" >"$tmp/target.log" 2>&1 &
	nic_pid=$!
	exec 3>"$tmp/ctl"	# the target runs its items until this closes
	wait_until 30 seg_exists || { cat "$tmp/target.log" >&2; fail "$mode: no segment from the target in 30 s"; }
	echo "$mode:"
	"$PY" "$check" "$TOP" "$nic_pid" || fail "$mode: uwq-top's CPU% is not the process's"
	release
	wait_nic_sim
done
echo "PASS"

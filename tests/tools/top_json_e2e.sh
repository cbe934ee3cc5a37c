#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# uwq-top reads a live process (uwq/export.h, the live export):
#  - `uwq-top --once --json` on examples/nic-sim run with UWQ_EXPORT=1 is
#    valid JSON (python3 -m json.tool) with every pool, queue and line field,
#    nic-sim's queue (proto) and shared line (nic0,nic1) counting, and rates;
#  - a second read shows the counts grown;
#  - when nic-sim exits, its segment is gone and uwq-top says it exports nothing.
# Usage: top_json_e2e.sh UWQ_TOP NIC_SIM
TOP=$1 NICSIM=$2
. "$(dirname "$0")/lib.sh"
check=$(dirname "$0")/top_json_check.py

need_python
start_nic_sim 150

# read_json FILE: one --once --json read.
read_json() {
	run_top "$1" "$tmp/err" --once --json "$nic_pid" && [ "$top_rc" -eq 0 ]
}
ready() { read_json "$tmp/a.json" && "$PY" "$check" ready "$nic_pid" "$tmp/a.json"; }
if ! wait_until 60 ready; then
	cat "$tmp/err" "$tmp/a.json" >&2
	fail "no JSON showing proto and the shared line counting within 60 s (uwq-top exit $top_rc)"
fi
"$PY" -m json.tool "$tmp/a.json" >/dev/null || { cat "$tmp/a.json" >&2; fail "json.tool rejects it"; }
"$PY" "$check" fields "$nic_pid" "$tmp/a.json" || { cat "$tmp/a.json" >&2; exit 1; }

grew() { read_json "$tmp/b.json" && "$PY" "$check" grew "$tmp/a.json" "$tmp/b.json" 2>"$tmp/grew.err"; }
if ! wait_until 60 grew; then
	cat "$tmp/grew.err" "$tmp/err" >&2
	fail "counts did not grow between two reads within 60 s"
fi
"$PY" -m json.tool "$tmp/b.json" >/dev/null || { cat "$tmp/b.json" >&2; fail "json.tool rejects it"; }
"$PY" "$check" fields "$nic_pid" "$tmp/b.json" || { cat "$tmp/b.json" >&2; exit 1; }
stop_nic_sim

# A short run that ends by itself: uwq_shutdown() and the atexit handler remove the segment.
start_nic_sim 1
wait_nic_sim
[ ! -e "/dev/shm/uwq.$nic_pid" ] || fail "/dev/shm/uwq.$nic_pid left after nic-sim exited"
run_top "$tmp/out" "$tmp/err" --once --json "$nic_pid"
[ "$top_rc" -eq 1 ] || fail "uwq-top on an exited process: exit $top_rc, want 1"
grep -q "process $nic_pid exports no statistics" "$tmp/err" || { cat "$tmp/err" >&2; fail "message"; }
[ ! -s "$tmp/out" ] || fail "output on stdout despite the error"
echo "PASS"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# uwq-top flags what needs attention (uwq/export.h, the live export),
# on top_flags_target (a pool of at most 2 workers, both held by
# CPU-intensive items, a third item waiting):
#  - the pool row says HOG 2 and, after the 1 s default, STALL; alert rows
#    say the same; JSON has hogs 2, stalled true, stall_ns >= 1 s;
#  - --stall 3600 raises the threshold: no STALL;
#  - when the target ends normally, its segment is gone.
# Usage: top_flags.sh UWQ_TOP TOP_FLAGS_TARGET
TOP=$1 NICSIM=$2
. "$(dirname "$0")/lib.sh"

mkfifo "$tmp/ctl"
"$NICSIM" <"$tmp/ctl" >"$tmp/target.log" 2>&1 &
nic_pid=$!
exec 3>"$tmp/ctl"	# the target holds its items until this closes
release() { exec 3>&-; }
extra_cleanup=release
wait_until 30 seg_exists || { cat "$tmp/target.log" >&2; fail "no segment from the target in 30 s"; }

flagged() {
	run_top "$tmp/out" "$tmp/err" --once "$nic_pid" &&
		grep -qE '^ +[0-9]+ cpu[0-9]+ +-?[0-9]+ +2 +0 .* 1 +[0-9]+ +[0-9]+ +([0-9.]+|-) STALL [0-9.]+m?s HOG 2$' "$tmp/out"
}
wait_until 60 flagged || { cat "$tmp/out" "$tmp/err" >&2; fail "no pool row with STALL and HOG 2 in 60 s"; }
grep -qE '^! pool [0-9]+ \(cpu[0-9]+\): 1 item pending, none started for [0-9.]+m?s$' "$tmp/out" ||
	{ cat "$tmp/out" >&2; fail "no stall alert row"; }
grep -qE '^! pool [0-9]+ \(cpu[0-9]+\): 2 workers running a CPU-intensive item$' "$tmp/out" ||
	{ cat "$tmp/out" >&2; fail "no hog alert row"; }

run_top "$tmp/out" "$tmp/err" --once --stall 3600 "$nic_pid"
[ "$top_rc" -eq 0 ] || fail "--stall 3600: exit $top_rc"
! grep -qE '^ +[0-9]+ cpu[0-9]+ .* STALL |none started' "$tmp/out" || { cat "$tmp/out" >&2; fail "STALL despite --stall 3600"; }
grep -qE ' HOG 2$' "$tmp/out" || { cat "$tmp/out" >&2; fail "HOG gone with --stall 3600"; }

find_python
if [ -n "$PY" ]; then
	run_top "$tmp/out" "$tmp/err" --once --json "$nic_pid"
	"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
p = [p for p in d["pools"] if p["hogs"]]
assert len(p) == 1, d["pools"]
p = p[0]
assert p["hogs"] == 2 and p["stalled"] is True and p["stall_ns"] >= 10**9, p
assert p["pending"] == 1 and p["workers"] == 2 and p["cpu"] >= 0, p
assert d["stall_threshold_ns"] == 10**9
q = [w for w in d["workqueues"] if w["name"] == "hog"][0]
assert "CPU_INTENSIVE" in q["flag_names"] and q["started"] == 2 and q["completed"] == 0, q
' "$tmp/out" || { cat "$tmp/out" >&2; fail "JSON does not flag the pool"; }
fi

release
wait_nic_sim
[ ! -e "/dev/shm/uwq.$nic_pid" ] || fail "/dev/shm/uwq.$nic_pid left after the target exited"
echo "PASS"

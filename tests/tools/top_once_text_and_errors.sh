#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# uwq-top's text snapshot and its errors (uwq/export.h, the live export):
#  - --once prints the three tables for examples/nic-sim in 80 columns,
#    with no terminal escapes when stdout is not a terminal;
#  - --json without --once streams one valid object per line;
#  - the live view refuses to run without a terminal;
#  - a process without a segment, a dead one, a stale segment left by a dead
#    process, a segment of another pid, garbage: exit 1 with a message saying so;
#  - names from the watched process reach neither the terminal as escapes
#    nor the JSON unescaped; a segment cut short under a reader ends it
#    with a message, not a crash;
#  - bad arguments: usage on stderr, exit 2; --help: usage on stdout, exit 0.
# Usage: top_once_text_and_errors.sh UWQ_TOP NIC_SIM
TOP=$1 NICSIM=$2
. "$(dirname "$0")/lib.sh"

fake= sleeper=
# The forged segments, and the process lent to one (it holds ctest's output open).
rm_fakes() {
	[ -z "$fake" ] || rm -f "/dev/shm/uwq.$fake"
	[ -z "$sleeper" ] || { kill "$sleeper" 2>/dev/null; rm -f "/dev/shm/uwq.$sleeper"; }
}
extra_cleanup=rm_fakes

# expect RC MESSAGE ARGS...: uwq-top exits RC and says MESSAGE (grep -E) on stderr.
expect() {
	local rc=$1 msg=$2

	shift 2
	run_top "$tmp/out" "$tmp/err" "$@" </dev/null
	[ "$top_rc" -eq "$rc" ] || { cat "$tmp/err" >&2; fail "uwq-top $*: exit $top_rc, want $rc"; }
	grep -qE -- "$msg" "$tmp/err" || { cat "$tmp/err" >&2; fail "uwq-top $*: no '$msg'"; }
}

find_python

# Arguments.
expect 2 '^usage: ' 
expect 2 'bad PID' abc
expect 2 'bad PID' 0
expect 2 'bad PID' 12x
expect 2 'one PID only' 1 2
expect 2 '^usage: ' --bogus 1
expect 2 '^usage: ' -5
expect 2 'bad delay' -d 0 1
expect 2 'bad delay' -d x 1
expect 2 '^usage: ' 1 -d
expect 2 'bad stall' --stall -1 1
run_top "$tmp/out" "$tmp/err" --help
[ "$top_rc" -eq 0 ] && grep -q '^usage: ' "$tmp/out" || fail "--help: exit $top_rc"

# A process that exports nothing, and one that does not exist.
expect 1 "^uwq-top: process $$ exports no statistics \(start it with UWQ_EXPORT=1\)$" --once $$
sh -c 'exit 0' &
dead=$!
wait "$dead"
! kill -0 "$dead" 2>/dev/null || skip "pid $dead reused at once"
expect 1 "^uwq-top: process $dead exports no statistics \(no such process\)$" --once "$dead"
expect 1 "^uwq-top: process $dead exports no statistics" --once --json "$dead"

start_nic_sim 150
seg=/dev/shm/uwq.$nic_pid

# The text snapshot.
pool_row='^ +[0-9]+ (cpu[0-9]+|unbound\([0-9]+\)) +-?[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9kM]+ +[0-9kM]+ +[0-9.]+( |$)'
ok_text() {
	run_top "$tmp/out" "$tmp/err" --once "$nic_pid" &&
		grep -qE '^proto +[0-9.]+k? +[0-9.]+k? ' "$tmp/out" &&
		grep -qE '^ *[0-9]+ eventfd +nic0,nic1 +[0-9.]+k? ' "$tmp/out" &&
		grep -qE "$pool_row" "$tmp/out"
}
# (A pool's CPU% is "-" until uwq-top has two clock readings of it.)
wait_until 60 ok_text || { cat "$tmp/out" "$tmp/err" >&2; fail "--once: no proto, line and pool rows with rates"; }
for h in "^uwq-top  pid $nic_pid \(nic-sim\)  [0-9]+ CPUs  snapshot every 100ms, " \
	 "pools  [0-9]+ queues  [0-9]+ lines  rates over [0-9.]+s  p50/p99 recent$" \
	 '^POOL CPUS +NICE WORKERS IDLE RUN PEND CREATED REAPED  CPU% FLAGS$' \
	 "$pool_row" \
	 '^WORKQUEUE {8}QUEUED/s   DONE/s  ACT INACT QLAT p50/p99  RUN p50/p99  CPU%$' \
	 '^events_unbound ' \
	 '^IRQ CHIP     ACTIONS   EVENTS/s SPURIOUS MERGED THREAD/s PRI p50/p99 THR p50/p99$' \
	 '^FLAGS   STALL t  work pending and no item started for t ' '^        HOG n    ' '^        BLK n    ' \
	 '^CPU%    pool: CPU time its worker threads used' '^p50/p99 upper edge of the log2 bucket' \
	 '^MERGED  events folded into one handler call'; do
	grep -qE -- "$h" "$tmp/out" || { cat "$tmp/out" >&2; fail "--once: no line matching '$h'"; }
done
! grep -q $'\033' "$tmp/out" || fail "--once wrote escape sequences to a pipe"
awk 'length($0) > 80 { exit 1 }' "$tmp/out" || { cat "$tmp/out" >&2; fail "--once wider than 80"; }

# The JSON stream: three objects, one a line, the later ones with rates.
"$TOP" --json -d 0.3 "$nic_pid" >"$tmp/stream" 2>"$tmp/err" &
stream_pid=$!
three() { [ "$(wc -l <"$tmp/stream")" -ge 3 ]; }
wait_until 60 three || fail "--json stream: fewer than 3 lines in 30 s"
kill -TERM "$stream_pid"
wait "$stream_pid" 2>/dev/null
head -n 3 "$tmp/stream" >"$tmp/three"
if [ -n "$PY" ]; then
	"$PY" -c '
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert len(objs) == 3, len(objs)
assert objs[2]["rate_window_ns"] and objs[2]["snapshots"] > objs[0]["snapshots"], objs[2]["rate_window_ns"]
' "$tmp/three" || fail "--json stream: not 3 objects with rates"
else
	[ "$(grep -c '^{"pid":'"$nic_pid"',' "$tmp/three")" -eq 3 ] || fail "--json stream"
fi

# The live view needs a terminal.
expect 1 'needs a terminal' "$nic_pid"

# --help carries the legend too.
run_top "$tmp/out" "$tmp/err" --help
for h in '^FLAGS   STALL t ' '^        BLK n ' '^MERGED  ' '^p50/p99 upper edge' '^KEYS    '; do
	grep -qE -- "$h" "$tmp/out" || { cat "$tmp/out" >&2; fail "--help: no line matching '$h'"; }
done
awk 'length($0) > 80 { exit 1 }' "$tmp/out" || { cat "$tmp/out" >&2; fail "--help wider than 80"; }

# copy_seg FILE: a copy of nic-sim's segment taken between two updates (the
# seqlock word, uint32 at offset 12, even): a copy taken during one would
# stay "being written" for ever, and no reader could take a snapshot of it.
copy_seg() {
	local s
	for _ in $(seq 200); do
		cp "$seg" "$1" && s=$(od -An -tu4 -j12 -N4 "$1") && [ $((s % 2)) -eq 0 ] && return 0
	done
	fail "no copy of $seg between two updates in 200 tries"
}

# Segments that must not be trusted: copies of nic-sim's under a dead pid.
fake=$dead
copy_seg "/dev/shm/uwq.$fake"
expect 1 "^uwq-top: /dev/shm/uwq.$fake belongs to process $nic_pid, not $fake$" --once "$fake"
# patch_pid PID: make /dev/shm/uwq.PID claim PID (int32 at offset 16, little-endian).
patch_pid() {
	printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) \
		$(($1 >> 16 & 255)) $(($1 >> 24 & 255)))" |
		dd of="/dev/shm/uwq.$1" bs=1 seek=16 conv=notrunc status=none
}
patch_pid "$fake"
expect 1 "^uwq-top: process $fake is not running: /dev/shm/uwq.$fake is a stale segment" --once "$fake"
# A live pid whose segment says hostile things: a queue name with a terminal
# escape, invalid UTF-8 and JSON quoting; then the file cut short under a reader.
sleep 300 &
sleeper=$!
copy_seg "/dev/shm/uwq.$sleeper"
patch_pid "$sleeper"
if [ -n "$PY" ]; then
	"$PY" - "/dev/shm/uwq.$sleeper" <<'PYEOF' || fail "cannot forge the segment"
import struct, sys
with open(sys.argv[1], "r+b") as f:
    seg = bytearray(f.read())
    nr_wqs, max_wqs, wq_size, wqs_off = struct.unpack_from("<4I", seg, 64)
    for i in range(nr_wqs):
        off = wqs_off + i * wq_size
        if seg[off:off + 6] == b"proto\0":
            seg[off:off + 32] = b'\x1b[2Jp"r\\o\xff\xed\xa0\x80\xc3\xa9'.ljust(32, b"\0")
    f.seek(0)
    f.write(seg)
PYEOF
	run_top "$tmp/out" "$tmp/err" --once "$sleeper"
	[ "$top_rc" -eq 0 ] || { cat "$tmp/err" >&2; fail "forged names: exit $top_rc"; }
	! grep -q $'\033' "$tmp/out" || fail "a queue name sent an escape sequence to the terminal"
	grep -q '^?\[2Jp"r\\o?????? ' "$tmp/out" || { cat "$tmp/out" >&2; fail "forged name not shown sanitized"; }
	run_top "$tmp/out" "$tmp/err" --once --json "$sleeper"
	[ "$top_rc" -eq 0 ] || { cat "$tmp/err" >&2; fail "forged names, --json: exit $top_rc"; }
	"$PY" -c '
import json, sys
names = [w["name"] for w in json.load(open(sys.argv[1], encoding="utf-8"))["workqueues"]]
assert "\x1b[2Jp\"r\\o\xff\xed\xa0\x80\xe9" in names, names
' "$tmp/out" || { cat "$tmp/out" >&2; fail "forged names: JSON not valid or names not escaped"; }
fi
"$TOP" --json -d 0.1 "$sleeper" >"$tmp/stream2" 2>"$tmp/err" &
reader=$!
one() { [ -s "$tmp/stream2" ]; }
wait_until 30 one || fail "no JSON from the forged segment"
: >"/dev/shm/uwq.$sleeper"
reader_gone() { ! kill -0 "$reader" 2>/dev/null; }
wait_until 30 reader_gone || { kill "$reader"; fail "uwq-top still reading a truncated segment"; }
rc=0
wait "$reader" || rc=$?
[ "$rc" -eq 1 ] && grep -q 'segment was truncated under us' "$tmp/err" ||
	{ cat "$tmp/err" >&2; fail "truncated segment: exit $rc"; }

head -c 4096 /dev/zero >"/dev/shm/uwq.$fake"
expect 1 "not a uwq statistics segment \(bad magic\)" --once "$fake"
head -c 10 "$seg" >"/dev/shm/uwq.$fake"
expect 1 "not a uwq statistics segment \(too short\)" --once "$fake"
rm -f "/dev/shm/uwq.$fake"
echo "PASS"

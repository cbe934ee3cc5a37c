#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# uwq's USDT probes count exactly what ran: bpftrace attaches to the
# library's probes, trace_target does a known amount of work, and every
# count must equal what the target says it did.
#   trace_counts.sh LIBUWQ TRACE_TARGET
# Skips (77), saying why, without bpftrace, without root (BPF needs it
# here), or when the library was built without <sys/sdt.h>.
set -u
lib=$(realpath "$1") target=$(realpath "$2")
skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

command -v bpftrace >/dev/null || skip "no bpftrace (Debian: bpftrace)"
[ "$(id -u)" = 0 ] || skip "attaching BPF programs needs root"
readelf -n "$lib" 2>/dev/null | grep -q 'Provider: uwq' ||
	skip "$lib has no uwq probes (built without <sys/sdt.h>: Debian systemtap-sdt-dev)"

tmp=$(mktemp -d)
tpid= bpid=
cleanup() {
	[ -n "$tpid" ] && kill -KILL "$tpid" 2>/dev/null
	[ -n "$bpid" ] && kill -KILL "$bpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
wait_until() {	# SECONDS CMD...: poll CMD every 0.1 s; 1 on timeout
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}

mkfifo "$tmp/go"
"$target" <"$tmp/go" >"$tmp/target.out" 2>"$tmp/target.err" &
tpid=$!
exec 3>"$tmp/go"
wait_until 30 grep -q '^ready' "$tmp/target.out" || fail "target not ready: $(cat "$tmp/target.err")"

# Attached to the library for every process, filtered by pid: bpftrace
# 0.17's -p cannot read USDT arguments of a shared library here. BEGIN
# fires once every probe is attached.
u="usdt:$lib:uwq"
bpftrace -e "
BEGIN { printf(\"attached\\n\"); }
$u:workqueue_queue_work /pid == $tpid/ { @workqueue_queue_work = count(); }
$u:workqueue_activate_work /pid == $tpid/ { @workqueue_activate_work = count(); }
$u:workqueue_execute_start /pid == $tpid/ { @workqueue_execute_start = count(); }
$u:workqueue_execute_start /pid == $tpid && str(arg2) == \"trace_unbound\"/ { @execute_start_unbound = count(); }
$u:workqueue_execute_end /pid == $tpid/ { @workqueue_execute_end = count(); }
$u:worker_sleeping /pid == $tpid && arg2 == 0/ { @worker_sleeping_hinted = count(); }
$u:worker_waking /pid == $tpid && arg2 == 0/ { @worker_waking_hinted = count(); }
$u:irq_handler_entry /pid == $tpid/ { @irq_handler_entry = count(); }
$u:irq_handler_exit /pid == $tpid/ { @irq_handler_exit = count(); }
$u:irq_thread_wake /pid == $tpid/ { @irq_thread_wake = count(); }
$u:irq_thread_run /pid == $tpid/ { @irq_thread_run = count(); }
$u:irq_thread_exit /pid == $tpid/ { @irq_thread_exit = count(); }
" >"$tmp/bt.out" 2>"$tmp/bt.err" &
bpid=$!
if ! wait_until 120 grep -q '^attached' "$tmp/bt.out"; then
	grep -q 'Operation not permitted\|permission' "$tmp/bt.err" && skip "BPF not permitted here: $(head -c 300 "$tmp/bt.err")"
	fail "bpftrace did not attach: $(grep -v MEMLOCK "$tmp/bt.err" | head -c 600)"
fi
echo go >&3
exec 3>&-
wait "$tpid" || fail "target exited $?: $(cat "$tmp/target.err")"
tpid=
kill -INT "$bpid"
wait "$bpid"
bpid=

bad=0
while read -r name want; do
	[ "$name" = ready ] && continue
	got=$(sed -n "s/^@$name: //p" "$tmp/bt.out")
	if [ "${got:-0}" != "$want" ]; then
		echo "$name: counted ${got:-0}, the target did $want" >&2
		bad=1
	fi
done <"$tmp/target.out"
[ $bad = 0 ] || { cat "$tmp/bt.out" >&2; fail "probe counts differ from the work done"; }
echo PASS

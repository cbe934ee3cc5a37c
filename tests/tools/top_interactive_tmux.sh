#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The live view in a real terminal (uwq/export.h, the live export), a
# detached tmux session of 100x40 watching examples/nic-sim:
#  - the frame shows the pool, queue and line tables, nic-sim's queue with
#    rates and its shared line; no row wraps, at 100 and at 80 columns (the
#    view redraws on SIGWINCH); ? shows the legend instead, ? again the tables;
#  - q quits with status 0; ^C and SIGTERM quit with the signal's status;
#    the watched process exiting ends the view with a message; after each,
#    the terminal is back: main screen, cursor shown, canonical mode, echo.
# Usage: top_interactive_tmux.sh UWQ_TOP NIC_SIM
TOP=$1 NICSIM=$2
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null || skip "tmux not installed"
sock=$tmp/tmux.sock
tm() { tmux -S "$sock" -f /dev/null "$@"; }
stop_tmux() { tm kill-server >/dev/null 2>&1; }
extra_cleanup=stop_tmux

start_nic_sim 150
# The pane's script: four runs of uwq-top, each followed by its exit status
# and the terminal modes, on one line written at once; each run waits for
# the test to create its go file, so the previous line stays on screen
# until checked. `trap : INT` keeps this shell alive through ^C (a handler,
# unlike an ignore, is not inherited by uwq-top).
cat >"$tmp/pane.sh" <<PANE
trap : INT
state() { m=\$(stty -a | tr ' ;' '\n\n' | grep -xE -- '-?(icanon|echo)' | tr '\n' ' '); echo "\$1=\$2 \$m."; }
gate() { while [ ! -e "$tmp/go\$1" ]; do sleep 0.1; done; }
"$TOP" $nic_pid; state EXIT1 \$?
gate 2; "$TOP" $nic_pid; state EXIT2 \$?
gate 3; sh -c 'echo \$\$ >"$tmp/top3.pid"; exec "$TOP" $nic_pid'; state EXIT3 \$?
gate 4; "$TOP" $nic_pid; state EXIT4 \$?
echo ALLDONE
exec sleep 600
PANE
# Every command names the pane by its id: a name could also match a window.
pane=$(tm new-session -d -P -F '#{pane_id}' -x 100 -y 40 "sh $tmp/pane.sh") || fail "tmux new-session"

# The screen, with wrapped rows joined (-J keeps trailing blanks: drop them).
capture() { tm capture-pane -pJ -t "$pane" | sed 's/ *$//' >"$tmp/screen"; }
show() { echo "--- pane:" >&2; cat "$tmp/screen" >&2; echo "---" >&2; }
alt_on() { [ "$(tm display -p -t "$pane" '#{alternate_on}')" = 1 ]; }
# A frame with all three tables, proto's rates, and the shared line.
frame_ok() {
	alt_on && capture &&
		grep -q '^POOL CPUS  *NICE WORKERS IDLE RUN PEND CREATED REAPED  CPU% FLAGS' "$tmp/screen" &&
		grep -q "^WORKQUEUE  *QUEUED/s   DONE/s  ACT INACT QLAT p50/p99  RUN p50/p99  CPU%" "$tmp/screen" &&
		grep -q '^IRQ CHIP     ACTIONS  *EVENTS/s SPURIOUS MERGED THREAD/s PRI p50/p99 THR p50/p99' "$tmp/screen" &&
		grep -qE '^proto +[0-9.]+k? +[0-9.]+k? ' "$tmp/screen" &&
		grep -qE '^ *[0-9]+ eventfd +nic0,nic1 +[0-9.]+k? ' "$tmp/screen" &&
		grep -q "^uwq-top  pid $nic_pid (nic-sim)  [0-9]* CPUs" "$tmp/screen"
}
# No row wrapped: joined, each is at most @1 columns.
fits() {
	awk -v w="$1" 'length($0) > w { exit 1 }' "$tmp/screen" || { show; fail "a row wrapped at $1 columns"; }
}
# The marker EXITn=status, and the terminal restored after it.
restored() {
	local n=$1 want=$2

	wait_until 60 eval 'capture && grep -q "^EXIT$n=.*\.$" "$tmp/screen"' ||
		{ show; fail "uwq-top run $n did not end"; }
	grep -q "^EXIT$n=$want icanon echo \.$" "$tmp/screen" || { show; fail "run $n: status or modes wrong"; }
	[ "$(tm display -p -t "$pane" '#{alternate_on} #{cursor_flag}')" = "0 1" ] ||
		{ show; fail "run $n: alternate screen or hidden cursor left"; }
	! grep -q '^POOL CPUS' "$tmp/screen" || { show; fail "run $n: the frame was left on the main screen"; }
}

# 1: the frame at 100x40, then 80x24, then q.
wait_until 60 frame_ok || { show; fail "no complete frame at 100x40 within 60 s"; }
fits 100
grep -qE '^WORKQUEUE {23}QUEUED/s' "$tmp/screen" || { show; fail "names not widened at 100 columns"; }
tm resize-window -t "$pane" -x 80 -y 24 || fail "tmux resize-window"
narrow() { frame_ok && grep -qE '^WORKQUEUE {8}QUEUED/s' "$tmp/screen"; }
wait_until 20 narrow || { show; fail "no redraw at 80x24 within 20 s"; }
fits 80
# ? shows the legend in place of the tables, and ? again brings them back.
tm send-keys -t "$pane" '?' || fail "tmux send-keys ?"
legend() {
	capture && grep -q '^FLAGS   STALL t ' "$tmp/screen" && grep -q '^MERGED  ' "$tmp/screen" &&
		grep -q '^KEYS    q quit' "$tmp/screen" && ! grep -q '^POOL CPUS' "$tmp/screen"
}
wait_until 20 legend || { show; fail "no legend on ?"; }
fits 80
tm send-keys -t "$pane" '?' || fail "tmux send-keys ?"
wait_until 20 narrow || { show; fail "no tables after ? again"; }
tm send-keys -t "$pane" q || fail "tmux send-keys q"
restored 1 0

# 2: ^C.
touch "$tmp/go2"
wait_until 60 frame_ok || { show; fail "run 2: no frame"; }
tm send-keys -t "$pane" C-c || fail "tmux send-keys C-c"
restored 2 130

# 3: SIGTERM.
touch "$tmp/go3"
wait_until 60 frame_ok || { show; fail "run 3: no frame"; }
kill -TERM "$(cat "$tmp/top3.pid")" || fail "kill run 3"
restored 3 143

# 4: the watched process goes away.
touch "$tmp/go4"
wait_until 60 frame_ok || { show; fail "run 4: no frame"; }
kill -TERM "$nic_pid"
wait "$nic_pid" 2>/dev/null
restored 4 0
grep -q "^uwq-top: process $nic_pid exited" "$tmp/screen" || { show; fail "run 4: no exit message"; }
wait_until 10 eval 'capture && grep -q "^ALLDONE" "$tmp/screen"' || { show; fail "pane script did not finish"; }
echo "PASS"

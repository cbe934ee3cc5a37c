# SPDX-License-Identifier: MIT
# Sourced by the uwq-top tests (uwq/export.h, the live export): start
# examples/nic-sim with the export on, wait for its segment, clean up on
# every path. Callers set TOP and NICSIM (the two binaries) before sourcing.
# Nothing sleeps to synchronise: wait_until polls a predicate with a
# deadline, and on timeout the caller prints what it saw.

TOP=$(realpath "$TOP") NICSIM=$(realpath "$NICSIM")
libdir=$(dirname "$(realpath "${BASH_SOURCE[0]}")")
tmp=$(mktemp -d)
nic_pid=
extra_cleanup=:

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

cleanup() {
	local rc=$?

	$extra_cleanup
	if [ -n "$nic_pid" ] && kill -0 "$nic_pid" 2>/dev/null; then
		kill -KILL "$nic_pid" 2>/dev/null
		wait "$nic_pid" 2>/dev/null
	fi
	# A killed process leaves its segment: remove ours, never anyone else's.
	if [ -n "$nic_pid" ]; then
		rm -f "/dev/shm/uwq.$nic_pid"
	fi
	rm -rf "$tmp"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# wait_until SECONDS CMD...: run CMD every 0.1 s until it succeeds; 1 on timeout.
wait_until() {
	local end=$((SECONDS + $1))

	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

seg_exists() { [ -e "/dev/shm/uwq.$nic_pid" ]; }
nic_gone() { ! kill -0 "$nic_pid" 2>/dev/null; }

# start_nic_sim SECONDS: run nic-sim exporting every 100 ms; wait for its segment.
# Tests give it far more time than they need and stop it (stop_nic_sim): a
# loaded machine may take seconds for what usually takes milliseconds.
start_nic_sim() {
	UWQ_EXPORT=1 UWQ_EXPORT_INTERVAL_MS=100 \
		"$NICSIM" -t "$1" >"$tmp/nic-sim.log" 2>&1 &
	nic_pid=$!
	if ! wait_until 30 seg_exists; then
		cat "$tmp/nic-sim.log" >&2
		fail "nic-sim (pid $nic_pid) exported no /dev/shm/uwq.$nic_pid within 30 s"
	fi
}

# stop_nic_sim: kill nic-sim (it has no signal handling: its segment stays) and remove its segment.
stop_nic_sim() {
	kill -KILL "$nic_pid" 2>/dev/null
	wait "$nic_pid" 2>/dev/null
	rm -f "/dev/shm/uwq.$nic_pid"
	nic_pid=
}

# wait_nic_sim: wait for nic-sim's own end; fail unless it exits 0.
wait_nic_sim() {
	local rc

	wait_until 60 nic_gone || fail "nic-sim (pid $nic_pid) still running after 60 s"
	wait "$nic_pid"
	rc=$?
	[ "$rc" -eq 0 ] || { tail -n 20 "$tmp/nic-sim.log" >&2; fail "nic-sim exited $rc"; }
}

# find_python: set PY to python3's interpreter, or to nothing if there is
# none. A script in its place (a pyenv shim, seconds per start on a loaded
# machine) is asked once for the interpreter it runs.
find_python() {
	PY=$(command -v python3) || { PY=; return; }
	if [ "$(head -c 2 "$PY")" = "#!" ]; then
		PY=$("$PY" -c 'import sys; print(sys.executable)') && [ -x "$PY" ] || PY=python3
	fi
}

# need_python: find_python, or skip the test.
need_python() {
	find_python
	[ -n "$PY" ] || skip "python3 not installed"
}

# run_top OUT ERR ARGS...: run uwq-top, keep stdout and stderr; sets top_rc.
run_top() {
	local out=$1 err=$2

	shift 2
	top_rc=0
	"$TOP" "$@" >"$out" 2>"$err" || top_rc=$?
}

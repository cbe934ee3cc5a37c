#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/tails.sh: where the worst waits of a loaded run come from. Runs one
# peer_bench latency scenario (S6: 80 % load, S6b: 50 %) on a uwq variant
# while bpftrace records the scheduler's switches and wake-ups and uwq's
# rarer USDT probes (kicks, blocks, monitor verdicts, worker starts, reaps,
# placement moves; docs/tracing.md); per-item probes are left out, since a
# uprobe costs microseconds and would add load. bench/tails.py then prints,
# for each of the 10 tasks that waited longest from submit to start, a
# timeline of its wait and the cause it is attributed to, and a count per
# cause.
#   sudo bench/tails.sh [BUILD_DIR] [POOL] [S6|S6b] [MS]
# Defaults: build-bench uwq-unbound S6 1000. Needs root and bpftrace, and a
# libuwq built with tracepoints (<sys/sdt.h>).
# Known limit: bpftrace prints every scheduler switch of the machine, and
# on a 2-vCPU VM that took ~40 % of the CPUs during S6 (p50 447 ms against
# ~0.1 ms untraced), so its timelines describe a perturbed run. The fix is
# to keep the per-CPU occupancy in BPF maps and print only the uwq events
# and the switches of the run's threads.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-bench} pool=${2:-uwq-unbound} scen=${3:-S6} ms=${4:-1000}
bin=$build/bench/peer_bench_uwq
lib=$(ldd "$bin" | awk '/libuwq/ { print $3 }')
[ -n "$lib" ] || { echo "tails.sh: $bin does not link a shared libuwq" >&2; exit 1; }
lib=$(realpath "$lib")
command -v bpftrace >/dev/null || { echo "tails.sh: needs bpftrace (Debian: bpftrace)" >&2; exit 1; }
readelf -n "$lib" | grep -q 'Provider: uwq' || { echo "tails.sh: $lib has no uwq probes" >&2; exit 1; }
tmp=$(mktemp -d)
bpid=
trap '[ -n "$bpid" ] && kill -KILL $bpid 2>/dev/null; rm -rf "$tmp"' EXIT

u="usdt:$lib:uwq"
bpftrace -B full -e "
BEGIN { printf(\"attached\\n\"); }
tracepoint:sched:sched_switch { printf(\"S %llu %d %d %d %s\\n\", nsecs, cpu, args->prev_pid, args->next_pid, args->next_comm); }
tracepoint:sched:sched_wakeup { printf(\"W %llu %d %d\\n\", nsecs, args->target_cpu, args->pid); }
$u:worker_kick { printf(\"K %llu %d %d %d %d\\n\", nsecs, pid, arg0, arg1, arg2); }
$u:worker_sleeping { printf(\"B %llu %d %d %d %d\\n\", nsecs, pid, arg0, arg1, arg2); }
$u:worker_waking { printf(\"U %llu %d %d %d %d\\n\", nsecs, pid, arg0, arg1, arg2); }
$u:worker_cpu_intensive { printf(\"I %llu %d %d %d\\n\", nsecs, pid, arg0, arg1); }
$u:worker_start { printf(\"C %llu %d %d %d %d\\n\", nsecs, pid, arg0, arg1, arg2); }
$u:worker_reap { printf(\"R %llu %d %d %d %d\\n\", nsecs, pid, arg0, arg1, arg2); }
$u:worker_move { printf(\"M %llu %d %d %d %d\\n\", nsecs, pid, arg0, arg1, arg2); }
" >"$tmp/trace" 2>"$tmp/bt.err" &
bpid=$!
for _ in $(seq 600); do grep -q '^attached' "$tmp/trace" && break; sleep 0.1; done
grep -q '^attached' "$tmp/trace" || { grep -v MEMLOCK "$tmp/bt.err" >&2; exit 1; }

"$bin" "$pool" "$scen" -n "$ms" -w "$tmp/worst" >"$tmp/result" &
pid=$!
# The threads of the run, by name, while it lives.
while kill -0 $pid 2>/dev/null; do
	for t in /proc/$pid/task/*; do
		echo "$(basename "$t") $(cat "$t/comm" 2>/dev/null)"
	done >>"$tmp/threads" 2>/dev/null
	sleep 0.05
done
wait $pid
kill -INT $bpid
wait $bpid || true
bpid=
cat "$tmp/result"
python3 bench/tails.py "$pid" "$tmp/worst" "$tmp/trace" "$tmp/threads"

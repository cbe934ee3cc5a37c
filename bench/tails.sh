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
# Only switches into or out of the run's threads (uwq*, peer_bench*) or the
# idle task are printed: time between them on a CPU that ran neither is
# another process's. Known limit: tracing still perturbs S6 on a 2-vCPU VM
# (p50 176 ms traced against 0.11 ms untraced; printing every switch of
# the machine, and a cat per thread in the name sampler, made it 447 ms),
# so its timelines describe a saturated run. Next: keep per-CPU occupancy
# and kick counts in BPF maps and print only the worst waits' windows.
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
tracepoint:sched:sched_switch
/args->prev_pid == 0 || args->next_pid == 0 ||
 strncmp(args->prev_comm, \"uwq\", 3) == 0 || strncmp(args->next_comm, \"uwq\", 3) == 0 ||
 strncmp(args->prev_comm, \"peer_bench\", 10) == 0 || strncmp(args->next_comm, \"peer_bench\", 10) == 0/
{ printf(\"S %llu %d %d %d %s\\n\", nsecs, cpu, args->prev_pid, args->next_pid, args->next_comm); }
tracepoint:sched:sched_wakeup /strncmp(args->comm, \"uwq\", 3) == 0/ { printf(\"W %llu %d %d\\n\", nsecs, args->target_cpu, args->pid); }
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
# Builtins only: a cat per thread per sample forked ~100 processes a second.
while kill -0 $pid 2>/dev/null; do
	for t in /proc/$pid/task/*; do
		c=
		read -r c <"$t/comm" 2>/dev/null
		echo "${t##*/} $c"
	done >>"$tmp/threads" 2>/dev/null
	sleep 0.2
done
wait $pid
kill -INT $bpid
wait $bpid || true
bpid=
cat "$tmp/result"
python3 bench/tails.py "$pid" "$tmp/worst" "$tmp/trace" "$tmp/threads"

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench/tails.py PID WORST TRACE THREADS: the analysis half of bench/tails.sh.

For each task of WORST (submit_ns start_ns tid index, longest wait first),
prints the timeline of its wait from TRACE (scheduler switches and wake-ups,
uwq's probes) and attributes the wait to the first cause that fits:
  creation   a worker of the run started while it waited
  reaping    a worker was told to exit while it waited
  monitor    the monitor's verdict (an unhinted block, a CPU hog) came in
  placement  a worker moved itself to another CPU
  wake-up    the worker that ran it was runnable, not running, for more than
             a third of the wait (the scheduler's wake-up latency)
  idle-cpu   a CPU idled for more than a third of the wait: no worker took
             the task though a CPU was free (late kick, lock, wake-up)
  backlog    else the CPUs were busy, mostly with the run's workers:
             earlier tasks were ahead of it
  other      else the CPUs were busy, mostly with other threads (the
             submitter, other processes)
Then a count per cause.
"""
import bisect
import collections
import sys


def main():
    pid, worst_path, trace_path, threads_path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    names = {}
    with open(threads_path) as f:
        for line in f:
            p = line.split(None, 1)
            if len(p) == 2:
                names[int(p[0])] = p[1].strip()
    comms = {}

    switches = collections.defaultdict(list)   # cpu -> [(ns, next_tid)]
    wakeups = collections.defaultdict(list)    # tid -> [ns]
    events = []                                # (ns, text) of uwq probes of the run
    ncpu = 0
    with open(trace_path) as f:
        for line in f:
            p = line.split()
            if not p or len(p) < 3:
                continue
            kind = p[0]
            if kind not in 'SWKBUICRM' or len(kind) != 1:
                continue
            try:
                ns = int(p[1])
            except ValueError:
                continue
            if kind == 'S':
                cpu, nxt = int(p[2]), int(p[4])
                switches[cpu].append((ns, nxt))
                if len(p) > 5:
                    comms[nxt] = p[5]
                ncpu = max(ncpu, cpu + 1)
            elif kind == 'W':
                wakeups[int(p[3])].append(ns)
            elif int(p[2]) == pid:
                a = [int(x) for x in p[3:]]
                text = {
                    'K': lambda: 'kick worker %d%s' % (a[1], ' (asleep: futex wake)' if a[2] else ''),
                    'B': lambda: 'worker %d blocked (%s)' % (a[1], 'monitor verdict' if a[2] else 'hint'),
                    'U': lambda: 'worker %d unblocked (%s)' % (a[1], 'monitor' if a[2] else 'hint'),
                    'I': lambda: 'worker %d marked CPU-intensive (monitor verdict)' % a[1],
                    'C': lambda: 'worker %d started (pool %d, id %d)' % (a[2], a[0], a[1]),
                    'R': lambda: 'worker %d told to exit (reaped)' % a[2],
                    'M': lambda: 'worker %d moves itself to CPU %d' % (a[1], a[2]),
                }.get(kind)
                if text:
                    events.append((ns, kind, a, text()))
    events.sort()
    ev_ns = [e[0] for e in events]
    # Names: sampled from /proc while the run lived, else the scheduler's.
    for t, c in comms.items():
        names.setdefault(t, c)
    workers = {t for t, n in names.items() if n.startswith('uwq/')}
    workers |= {e[2][2] for e in events if e[1] == 'C'}

    def running(cpu, t0, t1):
        """[(from, to, tid)] on @cpu within [t0, t1]."""
        sw = switches[cpu]
        i = bisect.bisect_right(sw, (t0, 1 << 62)) - 1
        cur = sw[i][1] if i >= 0 else None
        out, at = [], t0
        for ns, nxt in sw[i + 1:]:
            if ns >= t1:
                break
            out.append((at, ns, cur))
            at, cur = ns, nxt
        out.append((at, t1, cur))
        return out

    causes = collections.Counter()
    with open(worst_path) as f:
        worst = [tuple(int(x) for x in line.split()) for line in f if line.strip()]
    for rank, (sub, start, tid, idx) in enumerate(worst, 1):
        wait = start - sub
        lo, hi = bisect.bisect_left(ev_ns, sub), bisect.bisect_right(ev_ns, start)
        inwin = events[lo:hi]
        kinds = {e[1] for e in inwin}
        busy = other = idle = 0
        timeline = []
        for cpu in range(ncpu):
            for a, b, t in running(cpu, sub, start):
                d = b - a
                if t == 0:
                    idle += d
                elif t in workers:
                    busy += d
                else:
                    other += d
                if d * 20 >= wait:
                    who = 'idle' if t == 0 else names.get(t, 'tid %s (not of the run)' % t)
                    timeline.append((a, 'CPU %d runs %s for %.0f us' % (cpu, who, d / 1e3)))
        wl = [w for w in wakeups.get(tid, []) if sub <= w <= start]
        runnable = 0
        if wl:
            w = wl[-1]
            ins = [ns for cpu in range(ncpu) for ns, nxt in switches[cpu] if nxt == tid and w <= ns <= start]
            if ins:
                runnable = min(ins) - w
                timeline.append((w, '%s woken, runs %.0f us later' % (names.get(tid, tid), runnable / 1e3)))
        cpu_time = max(1, wait * max(ncpu, 1))
        if 'C' in kinds:
            cause = 'creation'
        elif 'R' in kinds:
            cause = 'reaping'
        elif 'I' in kinds or any(e[1] == 'B' and e[2][2] for e in inwin):
            cause = 'monitor'
        elif 'M' in kinds:
            cause = 'placement'
        elif runnable * 3 > wait:
            cause = 'wake-up'
        elif idle * 3 > wait:
            cause = 'idle-cpu'
        elif busy >= other:
            cause = 'backlog'
        else:
            cause = 'other'
        causes[cause] += 1
        print('#%d task %d waited %.0f us, ran on %s: %s  (CPU time in the wait: workers %.0f%%, other %.0f%%, idle %.0f%%)'
              % (rank, idx, wait / 1e3, names.get(tid, tid), cause, 100 * busy / cpu_time,
                 100 * other / cpu_time, 100 * idle / cpu_time))
        for ns, _, _, text in inwin[:12]:
            timeline.append((ns, text))
        if len(inwin) > 12:
            timeline.append((inwin[12][0], '... %d more uwq events' % (len(inwin) - 12)))
        for ns, text in sorted(timeline)[:30]:
            print('   +%8.1f us  %s' % ((ns - sub) / 1e3, text))
    print('causes: ' + ', '.join('%s %d' % kv for kv in causes.most_common()))


if __name__ == '__main__':
    main()

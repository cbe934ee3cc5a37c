# SPDX-License-Identifier: MIT
# uwq-top's CPU figures against the kernel's account of the process
# (top_cpu_bounded.sh):
#   top_cpu_check.py UWQ_TOP PID
# Streams `uwq-top --json -d 0.1 PID`, reads the process's utime+stime from
# /proc/PID/stat (P0), takes the first snapshot made after that (A), adds
# up each later rate window's cpu_percent (pools, and the queue "burn")
# times its length until the process has used MIN_CPU_S since P0, stops at
# a snapshot B and reads /proc again (P1). [A, B] lies inside [P0, P1], so
#   - neither figure may exceed P1 - P0, give or take TOLERANCE (the
#     clock-tick resolution of /proc: USER_HZ, two reads);
#   - the pools' figure must be at least LOW of it: the process burns its
#     CPU in the pool's workers (the rest is its monitor, export and main
#     threads, and [P0, P1] being a little longer than [A, B]); the
#     queue's at least QUEUE_LOW (it is sampled, 1 item in 16).
# Exit 0 pass, 1 fail; prints what it saw either way.
import json
import os
import subprocess
import sys
import time

MIN_CPU_S = 1.5
DEADLINE_S = 150
LOW = 0.5
QUEUE_LOW = 0.25
HZ = os.sysconf("SC_CLK_TCK")
TOLERANCE_S = 3.0 / HZ + 0.01 * MIN_CPU_S


def proc_cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ   # utime, stime: fields 14, 15


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    top, pid = sys.argv[1], int(sys.argv[2])
    stream = subprocess.Popen([top, "--json", "-d", "0.1", str(pid)], stdout=subprocess.PIPE,
                              text=True)
    end = time.monotonic() + DEADLINE_S
    try:
        p0 = proc_cpu_s(pid)
        t0 = time.monotonic_ns()   # CLOCK_MONOTONIC, as the snapshots' snapshot_ns
        a = b = None
        pools_s = queue_s = 0.0
        windows = 0
        for line in stream.stdout:
            d = json.loads(line)
            if time.monotonic() > end:
                fail("the process used %.2f s of CPU in %d s, want %.1f s; last: %s" %
                     (proc_cpu_s(pid) - p0, DEADLINE_S, MIN_CPU_S, line))
            if a is None:
                if d["snapshot_ns"] > t0:
                    a = d
                continue
            if d["snapshots"] == (b or a)["snapshots"]:
                continue   # the same snapshot printed again
            if d["rate_window_ns"] is None or d["snapshot_ns"] - d["rate_window_ns"] < a["snapshot_ns"]:
                fail("a window not after A: %s" % line)
            secs = d["rate_window_ns"] / 1e9
            for p in d["pools"]:
                if p.get("cpu_percent") is not None:
                    pools_s += p["cpu_percent"] / 100 * secs
            burn = [w for w in d["workqueues"] if w["name"] == "burn"]
            if len(burn) != 1 or burn[0]["cpu_percent"] is None:
                fail("no CPU figure for the queue burn: %s" % line)
            queue_s += burn[0]["cpu_percent"] / 100 * secs
            b = d
            windows += 1
            if proc_cpu_s(pid) - p0 >= MIN_CPU_S:
                break
        p1 = proc_cpu_s(pid)
    finally:
        stream.kill()
        stream.wait()
    if b is None:
        fail("uwq-top's stream ended before two snapshots")
    proc_s = p1 - p0
    print("process %.3f s of CPU (/proc/%d/stat), over %.3f s of %d windows: pools %.3f s, "
          "queue burn %.3f s (tolerance %.3f s)" %
          (proc_s, pid, (b["snapshot_ns"] - a["snapshot_ns"]) / 1e9, windows, pools_s, queue_s,
           TOLERANCE_S))
    if pools_s > proc_s + TOLERANCE_S:
        fail("the pools' CPU%% says %.3f s, more than the whole process used (%.3f s)" % (pools_s, proc_s))
    if queue_s > proc_s + TOLERANCE_S:
        fail("the queue's CPU%% says %.3f s, more than the whole process used (%.3f s)" % (queue_s, proc_s))
    if pools_s < LOW * proc_s:
        fail("the pools' CPU%% says %.3f s, under %.0f%% of the process's %.3f s" % (pools_s, LOW * 100, proc_s))
    if queue_s < QUEUE_LOW * proc_s:
        fail("the queue's CPU%% says %.3f s, under %.0f%% of the process's %.3f s" %
             (queue_s, QUEUE_LOW * 100, proc_s))


main()

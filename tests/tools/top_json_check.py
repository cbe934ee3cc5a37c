# SPDX-License-Identifier: MIT
# Checks `uwq-top --once --json` output of examples/nic-sim (top_json_e2e.sh).
#   top_json_check.py ready PID FILE    exit 0 once proto and the shared line count, with
#                                       rates above 0 and a pool's CPU% (polled: a loaded
#                                       or sanitized nic-sim can have windows with nothing
#                                       queued, and a pool has no CPU% until it was in
#                                       both snapshots of the window)
#   top_json_check.py fields PID FILE   every field present, typed and consistent
#   top_json_check.py grew A B          the counts in B are beyond those in A
import json
import sys

POOL_KEYS = ["id", "cpu", "nr_cpus", "nice", "started", "workers", "idle", "running",
             "pending", "max_workers", "created", "reaped", "stall_ns", "hogs", "blocked",
             "stalled", "cpu_ns", "cpu_percent"]
WQ_KEYS = ["name", "flags", "flag_names", "max_active", "active", "inactive", "queued",
           "started", "completed", "run_ns", "cpu_ns", "cpu_intensive", "cm_wakeups",
           "mayday", "rescued", "queue_latency_p50_ns", "queue_latency_p99_ns",
           "run_time_p50_ns", "run_time_p99_ns", "queued_per_s", "started_per_s",
           "completed_per_s", "cpu_percent", "recent_queue_latency_p50_ns",
           "recent_queue_latency_p99_ns", "recent_run_time_p50_ns", "recent_run_time_p99_ns"]
LINE_KEYS = ["irq", "chip", "actions", "depth", "spurious_disabled", "events", "events_cpu",
             "unhandled", "missed", "thread_runs", "primary_latency_p50_ns",
             "primary_latency_p99_ns", "thread_latency_p50_ns", "thread_latency_p99_ns",
             "events_per_s", "unhandled_per_s", "missed_per_s", "thread_runs_per_s",
             "recent_primary_latency_p50_ns", "recent_primary_latency_p99_ns",
             "recent_thread_latency_p50_ns", "recent_thread_latency_p99_ns"]
TOP_KEYS = ["pid", "comm", "version", "snapshot_ns", "snapshots", "age_ns", "interval_ms",
            "nr_cpus", "truncated", "stale", "rate_window_ns", "stall_threshold_ns", "pools",
            "workqueues", "lines"]


def load(path):
    with open(path) as f:
        return json.load(f)


def proto(d):
    q = [w for w in d["workqueues"] if w["name"] == "proto"]
    return q[0] if len(q) == 1 else None


def nic_line(d):
    lines = [l for l in d["lines"] if l["actions"] == "nic0,nic1"]
    return lines[0] if len(lines) == 1 else None


def check(cond, what):
    if not cond:
        print("FAIL: " + what, file=sys.stderr)
        sys.exit(1)


def fields(pid, d):
    for k in TOP_KEYS:
        check(k in d, "top-level key %s missing" % k)
    check(d["pid"] == pid, "pid %r, want %d" % (d["pid"], pid))
    check(d["comm"] == "nic-sim", "comm %r" % d["comm"])
    check(d["version"] == 1 and d["interval_ms"] == 100, "version/interval %r/%r" % (d["version"], d["interval_ms"]))
    check(d["snapshot_ns"] > 0 and d["snapshots"] > 0 and d["nr_cpus"] >= 1, "header counters")
    check(d["truncated"] is False and d["stale"] is False, "truncated/stale")
    check(isinstance(d["rate_window_ns"], int) and d["rate_window_ns"] > 0,
          "no rate window (%r): --once found no second snapshot" % d["rate_window_ns"])

    check(len(d["pools"]) > 0, "no pools")
    for p in d["pools"]:
        for k in POOL_KEYS:
            check(k in p, "pool key %s missing: %r" % (k, p))
        check(0 <= p["idle"] <= p["workers"] <= p["max_workers"], "pool counts %r" % p)
        check(p["started"] == 1 and p["reaped"] <= p["created"], "pool started/reaped %r" % p)
        check(p["cpu"] >= 0 or p["nr_cpus"] >= 1, "unbound pool without CPUs %r" % p)
        check(isinstance(p["cpu_ns"], int) and p["cpu_ns"] >= 0, "pool cpu_ns %r" % p)
        check(p["cpu_percent"] is None or p["cpu_percent"] >= 0, "pool cpu_percent %r" % p)
    check(any(p["workers"] >= 1 for p in d["pools"]), "no pool has a worker")
    check(any(p["cpu_ns"] > 0 and p["cpu_percent"] is not None for p in d["pools"]),
          "no pool with a CPU time and a CPU%%: %r" % d["pools"])

    names = [w["name"] for w in d["workqueues"]]
    for n in ("proto", "events", "events_unbound"):
        check(n in names, "workqueue %s missing from %r" % (n, names))
    for w in d["workqueues"]:
        for k in WQ_KEYS:
            check(k in w, "workqueue key %s missing: %r" % (k, w))
        check(w["completed"] <= w["started"] <= w["queued"], "queue counts %r" % w)
        check(w["queue_latency_p50_ns"] <= w["queue_latency_p99_ns"], "queue latency order %r" % w)
        check(w["run_time_p50_ns"] <= w["run_time_p99_ns"], "run time order %r" % w)
        for k in ("queued_per_s", "completed_per_s", "cpu_percent"):
            check(isinstance(w[k], (int, float)) and w[k] >= 0, "%s of %s: %r" % (k, w["name"], w[k]))
    q = proto(d)
    check(q is not None, "proto not found exactly once")
    check(q["flag_names"] == ["UNBOUND"] and q["flags"] == 2, "proto flags %r %r" % (q["flags"], q["flag_names"]))
    check(q["completed"] > 0 and q["run_ns"] > 0, "proto ran nothing: %r" % q)
    check(0 < q["queue_latency_p50_ns"] and 0 < q["run_time_p50_ns"], "proto histograms empty %r" % q)

    l = nic_line(d)
    check(l is not None, "the nic0,nic1 line not found: %r" % d["lines"])
    for k in LINE_KEYS:
        check(k in l, "line key %s missing: %r" % (k, l))
    check(l["chip"] == "eventfd", "chip %r" % l["chip"])
    check(l["events"] > 0 and l["thread_runs"] > 0, "line counts %r" % l)
    check(len(l["events_cpu"]) == min(d["nr_cpus"], 64), "events_cpu %r" % l["events_cpu"])
    check(sum(l["events_cpu"]) == l["events"], "events_cpu sum %r != %r" % (sum(l["events_cpu"]), l["events"]))
    for k in ("events_per_s", "unhandled_per_s", "missed_per_s", "thread_runs_per_s"):
        check(isinstance(l[k], (int, float)) and l[k] >= 0, "%s: %r" % (k, l[k]))
    check(l["depth"] == 0 and l["spurious_disabled"] == 0, "line disabled %r" % l)
    check(l["primary_latency_p50_ns"] <= l["primary_latency_p99_ns"], "primary latency order")


def main():
    mode = sys.argv[1]
    if mode == "ready":
        d = load(sys.argv[3])
        q, l = proto(d), nic_line(d)
        sys.exit(0 if q and l and q["completed"] > 0 and l["events"] > 0 and d["rate_window_ns"] and
                 q["completed_per_s"] > 0 and l["events_per_s"] > 0 and l["thread_runs_per_s"] > 0 and
                 any(p.get("cpu_percent") is not None for p in d["pools"])
                 else 1)
    if mode == "fields":
        fields(int(sys.argv[2]), load(sys.argv[3]))
        return
    if mode == "grew":
        a, b = load(sys.argv[2]), load(sys.argv[3])
        check(b["snapshot_ns"] > a["snapshot_ns"] and b["snapshots"] > a["snapshots"], "no newer snapshot")
        qa, qb, la, lb = proto(a), proto(b), nic_line(a), nic_line(b)
        check(qb["completed"] > qa["completed"] and qb["queued"] > qa["queued"],
              "proto did not grow: %d -> %d" % (qa["completed"], qb["completed"]))
        check(lb["events"] > la["events"] and lb["thread_runs"] > la["thread_runs"],
              "line did not grow: %d -> %d" % (la["events"], lb["events"]))
        return
    sys.exit("unknown mode " + mode)


main()

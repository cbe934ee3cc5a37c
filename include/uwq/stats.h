/* SPDX-License-Identifier: MIT */
/*
 * uwq/stats.h - what the pools, queues and lines are doing.
 *
 * Counters are kept where uwq already holds a lock on the way (a bound
 * queue's counters live with its per-CPU pool, an unbound queue's with its
 * pod's pool) and summed when read, so counting costs the hot path no
 * atomic operation and no shared cache line. Item counts are exact.
 * Times are sampled: 1 in UWQ_STATS_SAMPLE items (default 16) of each
 * queue on each pool is timed, from the first one queued; the histograms
 * hold the timed items and run_ns/cpu_ns add each timed run times the
 * sample rate (an estimate; UWQ_STATS_SAMPLE=1 times every item). Two
 * precise clock reads per item cost ~50 ns here; sampled, an untimed item
 * pays one coarse clock read (~6 ns) for the watchdog (`bench/run.sh`
 * compares UWQ_STATS=0 and 1). UWQ_STATS=0 in the environment (read at
 * first use) turns timing off: counters stay, histograms and times stay
 * zero. Interrupt-line latencies are timed on every event.
 *
 * Histograms have UWQ_HIST_BUCKETS log2 buckets of nanoseconds: bucket 0
 * counts values below 2 ns, bucket i (i >= 1) values in [2^i, 2^(i+1)),
 * and the last bucket everything from 2^(UWQ_HIST_BUCKETS-1) ns (~2.1 s) up.
 */
#ifndef UWQ_STATS_H
#define UWQ_STATS_H

#include <stdint.h>
#include <stdio.h>
#include <uwq/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uwq_workqueue;

#define UWQ_HIST_BUCKETS	32

struct uwq_hist {
	uint64_t	bucket[UWQ_HIST_BUCKETS];
};

/**
 * uwq_hist_percentile() - the upper bound (ns) of the bucket holding the
 * @p-th percentile (0 < @p <= 100) of @h; 0 for an empty histogram.
 */
UWQ_API uint64_t uwq_hist_percentile(const struct uwq_hist *h, double p);

/** uwq_hist_count() - the number of values in @h. */
UWQ_API uint64_t uwq_hist_count(const struct uwq_hist *h);

/*
 * struct uwq_wq_stats - one workqueue, summed over its pools.
 * queued/started/completed count items; cpu_intensive the items that ran
 * past the CPU-intensive threshold; cm_wakeups the workers woken because a
 * worker of this queue blocked; mayday and rescued the rescuer's work.
 * run_ns is the wall time inside work functions (sampled: see above);
 * cpu_ns the same minus the time the worker was known to block (hinted,
 * uwq's own waits, or seen by the monitor): an estimate, since reading a
 * thread's CPU clock costs a system call (1.4 us here) per item. It is an
 * upper estimate, and can exceed the CPU really used: it keeps the time a
 * worker was runnable but waiting for a CPU (eight workers sharing one
 * CPU count eight times their CPU time) and blocking nobody saw (without a
 * hint, the monitor sees blocking only in workers counted as running, a
 * tick late). The live export measures each pool's real CPU time
 * (<uwq/export.h>), and uwq-top bounds the per-queue figure by it.
 * active/inactive are current values.
 * queue_latency: queueing to start; run_time: start to return.
 */
struct uwq_wq_stats {
	char			name[32];
	unsigned		flags;
	int			max_active;
	int			active;
	int			inactive;
	uint64_t		queued;
	uint64_t		started;
	uint64_t		completed;
	uint64_t		run_ns;
	uint64_t		cpu_ns;
	uint64_t		cpu_intensive;
	uint64_t		cm_wakeups;
	uint64_t		mayday;
	uint64_t		rescued;
	struct uwq_hist		queue_latency;
	struct uwq_hist		run_time;
};

/**
 * uwq_workqueue_stats() - fill @st for @wq.
 * Context: any thread; takes each of @wq's pools' locks briefly.
 * Return: 0; -EINVAL for NULL arguments.
 */
UWQ_API int uwq_workqueue_stats(struct uwq_workqueue *wq, struct uwq_wq_stats *st);

/*
 * struct uwq_pool_stats - one pool. cpu is the bound CPU or -1 (unbound,
 * nr_cpus CPUs). workers/idle/running/pending are current values
 * (pending: items on the worklist, not yet started; workers: with the one
 * being made, if any); created/reaped count worker threads since start.
 */
struct uwq_pool_stats {
	int			id;
	int			cpu;
	int			nr_cpus;
	int			nice;
	int			started;
	int			workers;
	int			idle;
	int			running;
	int			pending;
	int			max_workers;
	uint64_t		created;
	uint64_t		reaped;
};

/**
 * uwq_pool_stats() - fill @st for the @i-th pool (0, 1, ... in a stable
 * order: bound pools, then unbound pools in creation order).
 * Return: 0; -ENOENT past the last pool; -EINVAL for NULL or negative @i.
 */
UWQ_API int uwq_pool_stats(int i, struct uwq_pool_stats *st);

#define UWQ_IRQ_STATS_CPUS	64

/*
 * struct uwq_irq_stats - one interrupt line. events_cpu[c] counts events
 * whose primary handlers ran on CPU c (CPUs beyond UWQ_IRQ_STATS_CPUS
 * wrap); unhandled the events nobody claimed; missed the events the chip
 * folded into another before the handler ran (eventfd raises and timerfd
 * expirations that came while one was pending, merged VFIO and signalfd
 * signals, UIO count jumps, GPIO seqno gaps): the handler ran once for
 * all of them, so these are merged, not lost by uwq; thread_runs the runs
 * of the line's thread handlers. primary_latency: from uwq_irq_raise()
 * (software lines) or the dispatcher's wake-up (other chips) to the first
 * primary handler; thread_latency: from the primary's WAKE_THREAD to the
 * thread handler's start.
 */
struct uwq_irq_stats {
	int			irq;
	char			chip[16];
	char			actions[64];	/* "name1,name2" */
	int			depth;
	int			spurious_disabled;
	uint64_t		events;
	uint64_t		events_cpu[UWQ_IRQ_STATS_CPUS];
	uint64_t		unhandled;
	uint64_t		missed;
	uint64_t		thread_runs;
	struct uwq_hist		primary_latency;
	struct uwq_hist		thread_latency;
};

/**
 * uwq_irq_stats() - fill @st for line @irq.
 * Return: 0; -EINVAL for NULL or an unknown line.
 */
UWQ_API int uwq_irq_stats(int irq, struct uwq_irq_stats *st);

/**
 * uwq_dump() - print every started pool and every workqueue to @f.
 *
 * Format (one block each, stable; fields are "key=value"):
 *   pool <id>: cpus=<cpu|unbound(n)> nice=<n> workers=<n> idle=<n> running=<n> pending=<n> created=<n> reaped=<n>
 *     in-flight: <tid>:<function> [<ms>ms][ blocked| blocked(detected)| cpu-intensive]
 *   workqueue <name>: flags=0x<hex> max_active=<n> queued=<n> started=<n> completed=<n> active=<n>
 *     inactive=<n> cm_wakeups=<n> cpu_intensive=<n> mayday=<n> rescued=<n>   (one line)
 *   then the interrupt lines in /proc/interrupts layout.
 * Context: any thread; takes each pool's lock briefly.
 * Return: nothing. NULL @f is a no-op.
 */
UWQ_API void uwq_dump(FILE *f);

/**
 * uwq_export_start() - publish the statistics of this process in a
 * read-only shared-memory segment, /dev/shm/uwq.<pid> (owner-only, mode
 * 0600), refreshed every @interval_ms (0: 250 ms) by a thread named
 * uwq-export, for `uwq-top <pid>`. Also started at first use by
 * UWQ_EXPORT=1 (UWQ_EXPORT_INTERVAL_MS sets the period). The layout is in
 * <uwq/export.h>. The segment is removed by uwq_export_stop(),
 * uwq_shutdown() and at exit.
 * Return: 0 (also if already started); -errno from shm_open/ftruncate/mmap
 * or thread creation.
 */
UWQ_API int uwq_export_start(unsigned interval_ms);

/** uwq_export_stop() - stop the thread and remove the segment. */
UWQ_API void uwq_export_stop(void);

#ifdef __cplusplus
}
#endif

#endif /* UWQ_STATS_H */

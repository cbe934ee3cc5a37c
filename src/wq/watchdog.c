/* SPDX-License-Identifier: MIT */
/*
 * watchdog.c - reports: a pool that makes no progress (the kernel's
 * wq_watchdog_timer_fn) and items that hog a CPU (wq_cpu_intensive_report).
 *
 * DESIGN: the monitor calls uwq__watchdog_check() for every pool with
 * queued work on each pass. A pool is stalled when work is queued and no
 * item started since `last_progress` (stamped at item start and when work
 * reaches an empty worklist) for longer than the threshold (kernel: 30 s).
 * The report is one write(2): a header line naming the pool, how long,
 * why it may be stuck and what to do about it (running items holding the
 * pool unseen, as when blocking or CPU-hog detection is off; idle workers
 * not running; at the worker cap; worker creation failing), then one line
 * per running item with its function and run time. It repeats at most
 * once per threshold while the stall lasts.
 * CPU hogs are reported per function at the 4th occurrence and then with
 * exponential back-off, for at most 128 functions (kernel constants). The
 * advice depends on where the item ran, as of its latest occurrence: on a
 * per-CPU queue, UWQ_CPU_INTENSIVE or UWQ_UNBOUND (an unbound pool has the
 * other CPUs); on an unbound queue UWQ_UNBOUND is already there, so
 * UWQ_CPU_INTENSIVE or splitting the item; a system queue's flags are
 * fixed, so another queue. Items of UWQ_CPU_INTENSIVE queues are never
 * reported: they start outside concurrency management, and the monitor
 * judges only managed workers (monitor.c collect()).
 * CONCURRENCY: the check runs under pool->lock (monitor thread); the hog
 * table belongs to the monitor thread, uwq__hog_note() runs under the
 * worker's pool->lock.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal/log.h"
#include "internal/wq.h"

#define HOG_WARN_THRESH	4
#define HOG_MAX_FUNCS	128

/* Why @pool may be stuck and what to do, as far as it is known. */
static const char *stall_advice(const struct uwq__pool *pool)
{
	if (pool->nr_running >= pool->concurrency) {
		/* Items count as running: nothing saw them block or hog. */
		if (!uwq__g.cfg.monitor_tick_ns)
			return " (blocking detection is off, monitor_tick_ns 0: an item blocking without uwq_blocking_begin() holds the pool; add the hints)";
		if (!uwq__g.cfg.cpu_intensive_ns)
			return " (CPU-hog detection is off, cpu_intensive_ns 0: a long item holds the pool; queue it on a UWQ_CPU_INTENSIVE workqueue)";
		return " (the items running below hold the pool, neither blocked nor on a CPU long enough to count as hogs: are the process's CPUs busy with other threads?)";
	}
	if (pool->nr_idle)
		return " (idle workers have not taken the queued items yet: are the process's CPUs busy with other threads?)";
	if (pool->nr_workers >= pool->max_workers)
		return " (at the worker cap: the items running below hold every worker; let them finish sooner, or raise max_workers with uwq_set_pool_limits(); UWQ_MEM_RECLAIM queues progress through their rescuers)";
	if (pool->create_fail_at)
		return " (worker creation failing: see the \"cannot create a worker\" line; UWQ_MEM_RECLAIM queues progress through their rescuers)";
	return "";
}

void uwq__watchdog_check(struct uwq__pool *pool, uint64_t now)
{
	uint64_t thresh = uwq__g.cfg.watchdog_ns;
	struct uwq__list *pos;
	struct uwq_work *w;
	char buf[4096];
	int len, pending = 0;

	if (!thresh || now < pool->last_progress + thresh)
		return;
	if (pool->m_wd_reported > pool->last_progress && now < pool->m_wd_reported + thresh)
		return;
	pool->m_wd_reported = now;
	for (w = pool->worklist.next; w != &pool->worklist; w = w->next)
		pending++;
	len = snprintf(buf, sizeof(buf),
		       "uwq: watchdog: pool %s stuck for %llu ms: %d queued, workers=%d idle=%d running=%d%s\n",
		       pool->name, (unsigned long long)((now - pool->last_progress) / 1000000), pending,
		       pool->nr_workers, pool->nr_idle, pool->nr_running, stall_advice(pool));
	list_for_each(pos, &pool->workers) {
		struct uwq__worker *x = container_of(pos, struct uwq__worker, all_node);
		char fn[UWQ_FN_NAME_LEN];

		if (!x->current_work || len >= (int)sizeof(buf) - 1)
			continue;
		len += snprintf(buf + len, sizeof(buf) - (size_t)len, "uwq:   running %s for %llu ms%s\n",
				uwq__fn_name((const void *)x->current_func, fn, sizeof(fn)),
				(unsigned long long)((now - x->current_start) / 1000000),
				(x->flags & (WORKER_BLOCKED | WORKER_AUTO_BLOCKED)) ? " (blocked)" : "");
	}
	if (len > (int)sizeof(buf) - 1)
		len = (int)sizeof(buf) - 1;
	if (write(STDERR_FILENO, buf, (size_t)len) < 0)
		return;
}

static struct {
	uwq_work_fn	func;
	unsigned long	count;
} hogs[HOG_MAX_FUNCS];

void uwq__hog_note(struct uwq__hog *h, const struct uwq__worker *wk)
{
	const struct uwq_workqueue *wq = wk->current_pwq->wq;

	h->func = wk->current_func;
	h->unbound = wk->pool->cpu < 0;
	h->system = wq->is_system;
	snprintf(h->wq, sizeof(h->wq), "%s", wq->name);
}

static const char *hog_advice(const struct uwq__hog *h)
{
	if (h->system)
		return h->unbound ?
		       "queue it on a workqueue of your own with UWQ_CPU_INTENSIVE, or split it into shorter items" :
		       "queue it on uwq_system_unbound_wq or on a workqueue of your own with UWQ_CPU_INTENSIVE";
	return h->unbound ? "consider UWQ_CPU_INTENSIVE for that workqueue, or splitting the item" :
			    "consider UWQ_CPU_INTENSIVE or UWQ_UNBOUND for that workqueue";
}

void uwq__hog_report(const struct uwq__hog *h)
{
	char fn[UWQ_FN_NAME_LEN];
	unsigned long cnt, over;
	int i;

	for (i = 0; i < HOG_MAX_FUNCS; i++)
		if (hogs[i].func == h->func || !hogs[i].func)
			break;
	if (i == HOG_MAX_FUNCS)
		return;
	hogs[i].func = h->func;
	cnt = ++hogs[i].count;
	if (cnt < HOG_WARN_THRESH)
		return;
	over = cnt + 1 - HOG_WARN_THRESH;
	if (over & (over - 1))
		return;
	uwq__log("%s hogged CPU for >%llu us %lu times (latest on %s workqueue %s), each time delaying the items queued behind it; %s",
		 uwq__fn_name((const void *)h->func, fn, sizeof(fn)),
		 (unsigned long long)(uwq__g.cfg.cpu_intensive_ns / 1000), cnt,
		 h->unbound ? "unbound" : "per-CPU", h->wq, hog_advice(h));
}

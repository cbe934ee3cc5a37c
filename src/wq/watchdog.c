/* SPDX-License-Identifier: MIT */
/*
 * watchdog.c - reports: a pool that makes no progress (the kernel's
 * wq_watchdog_timer_fn) and items that hog a CPU (wq_cpu_intensive_report).
 *
 * DESIGN: the monitor calls uwq__watchdog_check() for every pool with
 * queued work on each pass. A pool is stalled when work is queued and no
 * item started since `last_progress` (stamped at item start and when work
 * reaches an empty worklist) for longer than the threshold (kernel: 30 s).
 * The report is one write(2): a header line naming the pool, how long and
 * why it may be stuck (at the worker cap, creation failing), then one line
 * per running item with its function and run time. It repeats at most once
 * per threshold while the stall lasts.
 * CPU hogs are reported per function at the 4th occurrence and then with
 * exponential back-off, for at most 128 functions (kernel constants).
 * CONCURRENCY: the check runs under pool->lock (monitor thread); the hog
 * table belongs to the monitor thread.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal/log.h"
#include "internal/wq.h"

#define HOG_WARN_THRESH	4
#define HOG_MAX_FUNCS	128

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
		       "uwq: watchdog: pool %s stuck for %llu ms: %d queued, workers=%d idle=%d running=%d%s%s\n",
		       pool->name, (unsigned long long)((now - pool->last_progress) / 1000000), pending,
		       pool->nr_workers, pool->nr_idle, pool->nr_running,
		       pool->nr_workers >= pool->max_workers ? " (at the worker cap)" : "",
		       pool->create_fail_at ? " (worker creation failing)" : "");
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

void uwq__hog_report(uwq_work_fn func)
{
	char fn[UWQ_FN_NAME_LEN];
	unsigned long cnt, over;
	int i;

	for (i = 0; i < HOG_MAX_FUNCS; i++)
		if (hogs[i].func == func || !hogs[i].func)
			break;
	if (i == HOG_MAX_FUNCS)
		return;
	hogs[i].func = func;
	cnt = ++hogs[i].count;
	if (cnt < HOG_WARN_THRESH)
		return;
	over = cnt + 1 - HOG_WARN_THRESH;
	if (over & (over - 1))
		return;
	uwq__log("%s hogged CPU for >%llu us %lu times; consider UWQ_CPU_INTENSIVE or UWQ_UNBOUND",
		 uwq__fn_name((const void *)func, fn, sizeof(fn)),
		 (unsigned long long)(uwq__g.cfg.cpu_intensive_ns / 1000), cnt);
}

/* SPDX-License-Identifier: MIT */
/*
 * stats.c - the statistics API of <uwq/stats.h> for pools and workqueues.
 *
 * DESIGN: the counters are fields of each pwq, written under the lock of
 * the pwq's pool, which the queue and run paths hold anyway; a bound
 * queue's pwqs are per CPU, an unbound queue's per pod, so counting needs
 * no atomic instruction and shares no cache line between CPUs. Reading
 * sums the pwqs, each under its pool lock for a consistent row. Timing
 * (queue latency, run time, CPU estimate) costs two clock reads per timed
 * item, 1 in UWQ_STATS_SAMPLE per pwq (workqueue.c, worker.c), and is off
 * with UWQ_STATS=0 (uwq__g.stats_clock).
 * CONCURRENCY: pool->lock per pwq; the pwq list is append-only (wq.h).
 */
#include <errno.h>
#include <string.h>

#include "internal/hist.h"
#include "internal/wq.h"

uint64_t uwq_hist_count(const struct uwq_hist *h)
{
	return h ? uwq__hist_count(h) : 0;
}

uint64_t uwq_hist_percentile(const struct uwq_hist *h, double p)
{
	return h ? uwq__hist_percentile(h, p) : 0;
}

static void hist_sum(struct uwq_hist *dst, const struct uwq_hist *src)
{
	for (int i = 0; i < UWQ_HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
}

int uwq_workqueue_stats(struct uwq_workqueue *wq, struct uwq_wq_stats *st)
{
	struct uwq__pwq *pwq;

	if (!wq || !st)
		return -EINVAL;
	uwq__ensure_init();
	memset(st, 0, sizeof(*st));
	snprintf(st->name, sizeof(st->name), "%s", wq->name);
	st->flags = wq->flags & UWQ_FLAGS_PUBLIC;
	st->max_active = READ_ONCE(wq->saved_max_active);
	for_each_pwq(pwq, wq) {
		pthread_mutex_lock(&pwq->pool->lock);
		st->active += pwq->nr_active;
		st->inactive += pwq->nr_inactive;
		st->queued += pwq->stat_queued;
		st->started += pwq->stat_started;
		st->completed += pwq->stat_completed;
		st->run_ns += pwq->stat_run_ns;
		st->cpu_ns += pwq->stat_cpu_ns;
		st->cpu_intensive += pwq->stat_cpu_intensive;
		st->cm_wakeups += pwq->stat_cm_wakeups;
		st->mayday += pwq->stat_mayday;
		st->rescued += pwq->stat_rescued;
		hist_sum(&st->queue_latency, &pwq->hist_queue);
		hist_sum(&st->run_time, &pwq->hist_run);
		pthread_mutex_unlock(&pwq->pool->lock);
	}
	return 0;
}

int uwq_pool_stats(int i, struct uwq_pool_stats *st)
{
	struct uwq__pool *pool;
	struct uwq_work *w;

	if (!st || i < 0)
		return -EINVAL;
	uwq__ensure_init();
	if (i >= uwq__nr_pools())
		return -ENOENT;
	pool = uwq__pool_at(i);
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&pool->lock);
	st->id = pool->id;
	st->cpu = pool->cpu;
	st->nr_cpus = CPU_COUNT(&pool->cpus);
	st->nice = pool->nice;
	st->started = load_acquire(&pool->started) != 0;
	st->workers = pool->nr_workers + pool->creating;
	st->idle = pool->nr_idle;
	st->running = pool->nr_running;
	for (w = pool->worklist.next; w != &pool->worklist; w = w->next)
		st->pending++;
	st->max_workers = pool->max_workers;
	st->created = pool->nr_created;
	st->reaped = pool->nr_reaped;
	pthread_mutex_unlock(&pool->lock);
	return 0;
}

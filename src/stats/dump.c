/* SPDX-License-Identifier: MIT */
/*
 * dump.c - uwq_dump(): pools and workqueues as text, in the spirit of the
 * kernel's show_all_workqueues().
 *
 * DESIGN: a snapshot for humans and scripts; each pool and queue is read
 * under its pool locks, one at a time, so the dump never stalls the hot
 * path for longer than one pool's walk. Counters are per pwq, updated under
 * the pool lock the queue path already holds (no extra atomics).
 * Per-CPU counters and histograms are stats.c's, the live export export.c's.
 * CONCURRENCY: uwq__g.lock (queue list) -> pool->lock, never the reverse.
 */
#include <stdio.h>

#include "internal/irq.h"
#include "internal/log.h"
#include "internal/wq.h"
#include <uwq/stats.h>

static void dump_pool(FILE *f, struct uwq__pool *pool, uint64_t now)
{
	struct uwq__list *pos;
	struct uwq_work *w;
	int pending = 0;

	if (!load_acquire(&pool->started))
		return;
	pthread_mutex_lock(&pool->lock);
	for (w = pool->worklist.next; w != &pool->worklist; w = w->next)
		pending++;
	if (pool->cpu >= 0)
		fprintf(f, "pool %d: cpus=%d", pool->id, pool->cpu);
	else
		fprintf(f, "pool %d: cpus=unbound(%d)", pool->id, CPU_COUNT(&pool->cpus));
	fprintf(f, " nice=%d workers=%d idle=%d running=%d pending=%d created=%llu reaped=%llu\n", pool->nice,
		pool->nr_workers, pool->nr_idle, pool->nr_running, pending,
		(unsigned long long)pool->nr_created, (unsigned long long)pool->nr_reaped);
	list_for_each(pos, &pool->workers) {
		struct uwq__worker *x = container_of(pos, struct uwq__worker, all_node);
		char fn[UWQ_FN_NAME_LEN];

		if (!x->current_work)
			continue;
		fprintf(f, "  in-flight: %d:%s [%llums]%s\n", (int)READ_ONCE(x->tid),
			uwq__fn_name((const void *)x->current_func, fn, sizeof(fn)),
			(unsigned long long)((now - x->current_start) / 1000000u),
			(x->flags & WORKER_BLOCKED) ? " blocked" :
			(x->flags & WORKER_AUTO_BLOCKED) ? " blocked(detected)" :
			(x->flags & WORKER_CPU_INTENSIVE) ? " cpu-intensive" : "");
	}
	pthread_mutex_unlock(&pool->lock);
}

static void dump_wq(FILE *f, struct uwq_workqueue *wq)
{
	unsigned long long queued = 0, started = 0, completed = 0, cmw = 0, hog = 0, mayday = 0, rescued = 0;
	int active = 0, inactive = 0;

	struct uwq__pwq *pwq;

	for_each_pwq(pwq, wq) {
		pthread_mutex_lock(&pwq->pool->lock);
		queued += pwq->stat_queued;
		started += pwq->stat_started;
		completed += pwq->stat_completed;
		cmw += pwq->stat_cm_wakeups;
		hog += pwq->stat_cpu_intensive;
		mayday += pwq->stat_mayday;
		rescued += pwq->stat_rescued;
		active += pwq->nr_active;
		inactive += pwq->nr_inactive;
		pthread_mutex_unlock(&pwq->pool->lock);
	}
	fprintf(f, "workqueue %s: flags=0x%x max_active=%d queued=%llu started=%llu completed=%llu active=%d inactive=%d"
		" cm_wakeups=%llu cpu_intensive=%llu mayday=%llu rescued=%llu\n",
		wq->name, wq->flags, wq->saved_max_active, queued, started, completed, active, inactive, cmw, hog,
		mayday, rescued);
}

void uwq_dump(FILE *f)
{
	struct uwq__list *pos;
	uint64_t now = uwq__now_ns();
	int i;

	if (!f)
		return;
	uwq__ensure_init();
	pthread_mutex_lock(&uwq__g.lock);
	fprintf(f, "uwq: %d CPUs\n", uwq__g.nr_cpus);
	for (i = 0; i < uwq__nr_pools(); i++)
		dump_pool(f, uwq__pool_at(i), now);
	list_for_each(pos, &uwq__g.wqs)
		dump_wq(f, container_of(pos, struct uwq_workqueue, node));
	pthread_mutex_unlock(&uwq__g.lock);
	uwq__irq_dump(f);
}

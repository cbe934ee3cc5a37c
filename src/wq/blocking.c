/* SPDX-License-Identifier: MIT */
/*
 * blocking.c - how a pool learns that one of its workers blocks
 * (the kernel's wq_worker_sleeping / wq_worker_running hooks).
 *
 * DESIGN: userspace has no scheduler hook, so a worker tells its pool. The
 * explicit hint uwq_blocking_begin()/end() and uwq's own waits (flush,
 * cancel_sync, drain, a collision wait) set WORKER_BLOCKED: the worker
 * leaves nr_running and, if work is pending, an idle worker is kicked. If
 * that was the last idle worker, the blocking worker claims the next
 * standby before it blocks and has the creator thread make it (pool.c),
 * so the woken worker starts on the queued item at once instead of first
 * making a thread (~200 µs of CPU here), as the kernel's manager would;
 * unless the pool already has what its items need (need.c), in which case
 * a returning worker takes the item, and the monitor is armed to see if
 * none does. On end the worker counts as running again; if that makes the
 * pool over-subscribed, keep_working() sends the surplus idle after their
 * current item. The monitor (monitor.c) does the same from outside for
 * workers that block without a hint, with WORKER_AUTO_BLOCKED.
 * CONCURRENCY: flags and nr_running change under pool->lock; hint_depth is
 * the worker's own (W).
 */
#include <sched.h>

#include "internal/futex.h"
#include "internal/trace.h"
#include "internal/wq.h"

void uwq__block_begin(struct uwq__worker *worker)
{
	struct uwq__pool *pool = worker->pool;
	bool standby;
	int *wake;

	UWQ_TRACE3(worker_sleeping, pool->id, uwq__worker_tid(worker), 0);
	pthread_mutex_lock(&pool->lock);
	uwq__worker_set_flags(worker, WORKER_BLOCKED);
	standby = uwq__pool_claim_standby(pool);
	if (uwq__kick_pool_wake_later(pool, sched_getcpu(), &wake) && worker->current_pwq)
		worker->current_pwq->stat_cm_wakeups++;
	else if (uwq__need_more_worker(pool))
		uwq__monitor_arm();	/* nobody to wake: retry, mayday, or a growth held (need.c) */
	pthread_mutex_unlock(&pool->lock);
	if (wake)
		futex_wake(wake, 1);	/* after the unlock: see the kick */
	if (standby)
		uwq__pool_make_standby(pool);
}

void uwq__block_end(struct uwq__worker *worker)
{
	struct uwq__pool *pool = worker->pool;

	pthread_mutex_lock(&pool->lock);
	if (pool->nr_slots)
		worker->seen_cpu = sched_getcpu();	/* placement (pool.c) */
	uwq__worker_clr_flags(worker, WORKER_BLOCKED);
	UWQ_TRACE3(worker_waking, pool->id, uwq__worker_tid(worker), 0);
	worker->seq++;	/* CPU-intensive time counts from the wake (kernel) */
	pthread_mutex_unlock(&pool->lock);
}

void uwq_blocking_begin(void)
{
	struct uwq__worker *worker = uwq__current_worker;

	if (worker && worker->hint_depth++ == 0)
		uwq__block_begin(worker);
}

void uwq_blocking_end(void)
{
	struct uwq__worker *worker = uwq__current_worker;

	if (worker && worker->hint_depth > 0 && --worker->hint_depth == 0)
		uwq__block_end(worker);
}

void uwq__wait_begin(void)
{
	uwq_blocking_begin();
}

void uwq__wait_end(void)
{
	uwq_blocking_end();
}

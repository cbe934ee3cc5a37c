/* SPDX-License-Identifier: MIT */
/*
 * worker.c - running work items: the busy table, non-reentrancy and
 * process_one_work (kernel/workqueue.c: process_one_work, assign_work,
 * find_worker_executing_work).
 *
 * DESIGN
 * Non-reentrancy (uwq/workqueue.h) is stronger here than in the kernel: an
 * item never runs on two workers at once even when requeued on another
 * workqueue while it runs. What is running is recorded in one global busy
 * table, hashed by item address, whose entries are the workers themselves:
 * identity is (address, function), as in the kernel. The record cannot
 * live in the item: its function may free it (the kernel allows that too:
 * process_one_work()), so after the function returns the worker touches
 * only the table.
 * Three cases when a worker takes item w off its worklist:
 *  - nobody runs w: run it;
 *  - a worker of the same pool runs w: hand w to that worker's scheduled
 *    list; it runs w right after its current run (kernel assign_work);
 *  - a worker of another pool runs w (w was requeued on another queue):
 *    claim w in the table (later claimants queue behind us), mark the
 *    worker blocked so the pool carries on, wait for that run, then run.
 *    The claimed instance is still pending: a cancel takes it back
 *    (uwq__steal_claimed()) without waiting for the run the claimant
 *    waits for, as it would take back a queued one.
 * Queueing on the same workqueue from another CPU is redirected to the
 * pool already running the item (uwq__queue_work), so the third case only
 * arises across workqueues.
 * A global table costs two uncontended bucket-lock round trips per item;
 * a per-pool table (the kernel's) could not see runs in other pools.
 *
 * CONCURRENCY
 * Lock order: pool->lock -> bucket lock. A worker's current_* fields are
 * written with both held and read under either.
 *
 * INVARIANTS
 *  1. A worker is in the busy table iff current_work != NULL.
 *  2. The newest claimant of (w, func) is first in its bucket chain.
 *  3. After calling the work function the worker never dereferences w.
 */
#include <stdint.h>
#include <string.h>

#include "internal/futex.h"
#include "internal/trace.h"
#include "internal/wq.h"

#define BUSY_BITS	8

static struct busy_bucket {
	pthread_mutex_t		lock;
	struct uwq__worker	*head;	/* B */
} __attribute__((aligned(64))) busy[1 << BUSY_BITS];

static pthread_once_t busy_once = PTHREAD_ONCE_INIT;

static void busy_init(void)
{
	for (int i = 0; i < (1 << BUSY_BITS); i++)
		pthread_mutex_init(&busy[i].lock, NULL);
}

static struct busy_bucket *bucket_of(const struct uwq_work *w)
{
	uintptr_t h = (uintptr_t)w;

	h ^= h >> 17;
	h *= 0x9E3779B97F4A7C15ull;
	return &busy[h >> (sizeof(uintptr_t) * 8 - BUSY_BITS)];
}

/* The worker running (w, func) in bucket @b (its lock held), or NULL. */
static struct uwq__worker *busy_lookup(const struct busy_bucket *b, const struct uwq_work *w, uwq_work_fn func)
{
	struct uwq__worker *x;

	for (x = b->head; x; x = x->busy_next)
		if (x->current_work == w && x->current_func == func)
			break;
	return x;
}

struct uwq__worker *uwq__busy_find_pwq(const struct uwq_work *w, uwq_work_fn func, struct uwq__pwq **pwq)
{
	struct busy_bucket *b = bucket_of(w);
	struct uwq__worker *x;

	pthread_once(&busy_once, busy_init);
	pthread_mutex_lock(&b->lock);
	x = busy_lookup(b, w, func);
	if (pwq)
		*pwq = x ? x->current_pwq : NULL;
	pthread_mutex_unlock(&b->lock);
	return x;
}

struct uwq__worker *uwq__busy_find(const struct uwq_work *w, uwq_work_fn func)
{
	return uwq__busy_find_pwq(w, func, NULL);
}

static void busy_insert(struct uwq__worker *worker, struct uwq_work *w, struct uwq__pwq *pwq)
{
	struct busy_bucket *b = bucket_of(w);

	pthread_mutex_lock(&b->lock);
	worker->current_work = w;
	worker->current_func = w->func;
	worker->current_pwq = pwq;
	worker->busy_next = b->head;
	b->head = worker;
	pthread_mutex_unlock(&b->lock);
}

/*
 * The common start of a run in one bucket-lock hold: the worker running
 * (w, w->func) if there is one (and, in *xpwq, the queue it runs w for);
 * else NULL, and @worker is recorded as running w for @pwq (as
 * busy_insert()). Both under pool->lock, so no other worker of this pool
 * can claim w in between; a worker of another pool can, and then finds
 * this one.
 */
static struct uwq__worker *busy_claim(struct uwq__worker *worker, struct uwq_work *w, struct uwq__pwq *pwq,
				      struct uwq__pwq **xpwq)
{
	struct busy_bucket *b = bucket_of(w);
	uwq_work_fn func = w->func;
	struct uwq__worker *x;

	pthread_once(&busy_once, busy_init);
	pthread_mutex_lock(&b->lock);
	x = busy_lookup(b, w, func);
	if (x) {
		*xpwq = x->current_pwq;
	} else {
		worker->current_work = w;
		worker->current_func = func;
		worker->current_pwq = pwq;
		worker->busy_next = b->head;
		b->head = worker;
	}
	pthread_mutex_unlock(&b->lock);
	return x;
}

static void busy_remove(struct uwq__worker *worker)
{
	struct busy_bucket *b = bucket_of(worker->current_work);
	struct uwq__worker **pp;

	pthread_mutex_lock(&b->lock);
	for (pp = &b->head; *pp != worker; pp = &(*pp)->busy_next)
		;
	*pp = worker->busy_next;
	worker->busy_next = NULL;
	worker->current_work = NULL;
	worker->current_func = NULL;
	worker->current_pwq = NULL;
	pthread_mutex_unlock(&b->lock);
}

/*
 * Run w (L held; returns with L held). `claimed`: w is already off its list
 * and in the busy table (busy_claim(), or the collision path).
 */
void uwq__process_one_work(struct uwq__worker *worker, struct uwq_work *w, bool claimed)
{
	struct uwq__pool *pool = worker->pool;
	struct uwq__pwq *pwq;
	uwq_work_fn func = w->func;
	bool intensive;
	unsigned long data;
	int *wake = NULL, move;

	pwq = load_acquire(&w->pwq);	/* ours: written under this pool's lock */
	intensive = pwq->wq->flags & UWQ_CPU_INTENSIVE;
	if (!claimed && __builtin_expect(pwq->max_active == 0, 0)) {
		/* Frozen (freezer.c) after it was handed to this worker or a
		 * rescuer: back in front of the items waiting. At most one
		 * active item of an ordered queue gets here, so its order
		 * holds. */
		wlist_del(w);
		pwq->nr_active--;
		pwq->nr_inactive++;
		atomic_fetch_or(&w->data, WORK_INACTIVE);
		wlist_add_tail(w, wlist_first(&pwq->inactive));
		return;
	}
	if (!claimed) {
		wlist_del(w);
		busy_insert(worker, w, pwq);
	}
	worker->current_start = uwq__coarse_ns();
	pool->last_progress = worker->current_start;
	worker->seq++;
	worker->item_blocked_ns = 0;
	worker->timed_start = 0;
	if (w->queued_ns) {	/* sampled at queueing: time this run */
		worker->timed_start = uwq__now_ns();
		uwq__hist_add(&pwq->hist_queue, worker->timed_start - w->queued_ns);
	}
	/*
	 * Clear PENDING just before the call (as the kernel's
	 * set_work_pool_and_clear_pending()). Seq-cst RMW: a queuer
	 * whose fetch_or saw PENDING set comes before this in w->data's
	 * modification order, so this run sees every store it made before
	 * queueing. Returns the colour and INACTIVE bits for retirement.
	 */
	data = atomic_fetch_and(&w->data, ~(WORK_PENDING | WORK_STATE_MASK));
	uwq__uncount(pwq->wq, data);
	pwq->stat_started++;
	if (worker->flags & WORKER_RESCUER)
		pwq->stat_rescued++;
	uwq__waiters_start(pool, worker, w);
	if (intensive)
		uwq__worker_set_flags(worker, WORKER_CPU_INTENSIVE);
	move = uwq__pool_place(worker);
	/* A not-running worker must chain the next item to someone else.
	 * Work left waiting behind a running one, or nobody idle to take it
	 * (growth held: need.c): the monitor must watch in case this item
	 * blocks without a hint (monitor.c). */
	if (!(uwq__need_more_worker(pool) && uwq__kick_pool_wake_later(pool, -1, &wake)) &&
	    !wlist_empty(&pool->worklist))
		uwq__monitor_arm();
	pthread_mutex_unlock(&pool->lock);
	if (wake)
		futex_wake(wake, 1);
	if (move >= 0)
		uwq__move_self(worker, move);

	UWQ_TRACE3(workqueue_execute_start, w, func, pwq->wq->name);
	func(w);
	UWQ_TRACE2(workqueue_execute_end, w, func);

	pthread_mutex_lock(&pool->lock);
	/* Set by the queue's flag or by the monitor (hog, unhinted block). */
	uwq__worker_clr_flags(worker, WORKER_CPU_INTENSIVE | WORKER_AUTO_BLOCKED);
	if (worker->timed_start) {	/* @w may be gone: the worker's own mark */
		uint64_t run = uwq__now_ns() - worker->timed_start, n = uwq__g.stats_sample;

		pwq->stat_run_ns += run * n;
		pwq->stat_cpu_ns += (run > worker->item_blocked_ns ? run - worker->item_blocked_ns : 0) * n;
		uwq__hist_add(&pwq->hist_run, run);
		worker->timed_start = 0;
	}
	busy_remove(worker);
	uwq__waiters_finish(pool, worker);
	pwq->stat_completed++;
	uwq__pwq_retire(pwq, data);
}

/*
 * w is first on the worklist but runs on x, a worker of another pool.
 * Claim it, wait for x's run to end (as a blocked worker), then run it.
 */
static void collide_run(struct uwq__worker *worker, struct uwq_work *w, struct uwq__worker *x,
			struct uwq__pool *xpool)
{
	struct uwq__pool *pool = worker->pool;
	struct uwq__waiter wt = { .work = w, .worker = x };
	uwq_work_fn func = w->func;
	bool wait = false;

	/* In the busy table before QUEUED goes: uwq_flush_work() reads both
	 * without this lock and must see one or the other. */
	wlist_del(w);
	busy_insert(worker, w, w->pwq);
	worker->claiming = true;
	worker->claim_wt = &wt;
	atomic_fetch_or(&w->data, WORK_COLLIDE);
	atomic_fetch_and(&w->data, ~WORK_QUEUED);
	pthread_mutex_unlock(&pool->lock);

	pthread_mutex_lock(&xpool->lock);
	if (x->current_work == w && x->current_func == func) {
		list_add_tail(&wt.node, &xpool->waiters);
		wait = true;
	}
	pthread_mutex_unlock(&xpool->lock);
	if (wait) {
		uwq__block_begin(worker);
		/* 1: x's run ended (waiter_complete); 2: a steal ended it. */
		while (!load_acquire(&wt.done))
			futex_wait(&wt.done, 0);
		uwq__block_end(worker);
	}
	pthread_mutex_lock(&pool->lock);
	worker->claim_wt = NULL;
	if (worker->claim_stolen) {
		/* Cancelled meanwhile: out of the table and retired already;
		 * @w may be gone. Leave xpool's list unless x's run took us
		 * off it (done 1, set under xpool's lock); one pool lock at a
		 * time. */
		worker->claim_stolen = false;
		if (wait) {
			pthread_mutex_unlock(&pool->lock);
			pthread_mutex_lock(&xpool->lock);
			if (load_acquire(&wt.done) != 1)
				list_del(&wt.node);
			pthread_mutex_unlock(&xpool->lock);
			pthread_mutex_lock(&pool->lock);
		}
		return;
	}
	worker->claiming = false;
	uwq__process_one_work(worker, w, true);
}

/*
 * A canceller takes back @w, claimed by a worker of @pwq's pool in
 * collide_run() (PENDING and COLLIDE, not QUEUED; the caller checked under
 * this lock). The claimant leaves the busy table at once, so a later
 * queueing of @w never finds it there and waits for it; the flushers of
 * the claimed instance are completed; @w is retired as if it had run, as
 * steal_queued() does for a queued instance; and the claimant's wait for
 * the other run is ended now (else each queue-and-cancel cycle would park
 * a thread until that run ends), after which it returns without touching
 * @w. Under this lock the caller's state test means a claimant exists;
 * false (the caller retries) would mean the busy table disagrees.
 */
bool uwq__steal_claimed(struct uwq__pwq *pwq, struct uwq_work *w)
{
	struct busy_bucket *b = bucket_of(w);
	struct uwq__worker *c;
	unsigned long old;

	pthread_mutex_lock(&b->lock);
	/* pool first: claiming is guarded by the claimant's pool lock. */
	for (c = b->head; c; c = c->busy_next)
		if (c->current_work == w && c->pool == pwq->pool && c->claiming && c->current_pwq == pwq)
			break;
	pthread_mutex_unlock(&b->lock);
	if (!c)
		return false;
	busy_remove(c);
	c->claiming = false;
	c->claim_stolen = true;
	if (c->claim_wt) {
		int waiting = 0;

		/* Its frame lives until it takes this lock, held here. */
		if (atomic_cas(&c->claim_wt->done, &waiting, 2))
			futex_wake(&c->claim_wt->done, 1);
	}
	old = atomic_fetch_and(&w->data, ~WORK_STATE_MASK);
	uwq__uncount(pwq->wq, old);
	uwq__waiters_cancel(pwq->pool, w);
	uwq__waiters_finish(pwq->pool, c);
	uwq__pwq_retire(pwq, old);
	uwq__kick_pool(pwq->pool);
	return true;
}

void uwq__process_scheduled(struct uwq__worker *worker)
{
	while (!wlist_empty(&worker->scheduled))
		uwq__process_one_work(worker, wlist_first(&worker->scheduled), false);
}

void uwq__worker_process(struct uwq__worker *worker)
{
	struct uwq__pool *pool = worker->pool;

	do {
		struct uwq_work *w = wlist_first(&pool->worklist);
		struct uwq__pwq *pwq = load_acquire(&w->pwq), *xpwq;
		struct uwq__worker *x;

		if (__builtin_expect(pwq->max_active == 0, 0)) {
			uwq__process_one_work(worker, w, false);	/* frozen: put back */
			continue;
		}
		x = busy_claim(worker, w, pwq, &xpwq);
		if (!x) {
			wlist_del(w);
			uwq__process_one_work(worker, w, true);
		} else if (xpwq->pool == pool) {
			wlist_del(w);
			wlist_add_tail(w, &x->scheduled);
		} else {
			collide_run(worker, w, x, xpwq->pool);
		}
		uwq__process_scheduled(worker);
	} while (uwq__keep_working(pool));
}

/* fork.c: nothing runs in the child yet. */
void uwq__busy_atfork_child(void)
{
	memset(busy, 0, sizeof(busy));
	busy_once = PTHREAD_ONCE_INIT;	/* the bucket locks are made again */
}

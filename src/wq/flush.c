/* SPDX-License-Identifier: MIT */
/*
 * flush.c - waiting for work: flush_work, cancel_work_sync,
 * flush_workqueue, drain_workqueue (kernel/workqueue.c: __flush_work,
 * __cancel_work_sync, __flush_workqueue, drain_workqueue).
 *
 * DESIGN
 * Waiting for one item. The kernel links a barrier item behind the target.
 * uwq registers a waiter on the pool instead: {work, worker}. worker NULL
 * means "the instance queued on this pool"; when a worker starts that item
 * it adopts such waiters (uwq__waiters_start), and when it finishes it
 * completes the waiters naming it. A cancel that steals the queued instance
 * completes them too (the kernel's barrier would still run). Waiter lists
 * are almost always empty, so the per-item cost is one list_empty test
 * under a lock the worker holds anyway.
 *
 * Waiting for a whole queue: flush colours, as the kernel, but two of
 * them, because flushes of one queue are serialised (wq->flushing): a
 * flush flips every pwq's colour, so items queued after it get the other
 * colour, and waits until the old colour's in-flight count reaches zero on
 * every pwq. The previous flush drained the other colour before this one
 * could start, so two suffice. Concurrent flushers of one queue wait their
 * turn; a flusher is never livelocked by later queueing.
 *
 * A worker that waits here is marked blocked first (uwq__wait_begin), so
 * its pool runs other items meanwhile: nested waits never deadlock the
 * pool. Waits that could only end if the waiter returned first (an item
 * flushing or cancel-syncing itself, flushing or draining its own queue,
 * flushing an item queued behind it on its max_active 1 queue) are
 * reported with one line and refused.
 *
 * CONCURRENCY
 * Waiter lists: pool->lock. wq->flushing: wq->flush_lock.
 * wq->nr_pwqs_to_flush: atomic; the flusher sleeps on it as a futex word.
 */
#include <errno.h>

#include "internal/futex.h"
#include "internal/log.h"
#include "internal/wq.h"

static void waiter_complete(struct uwq__waiter *wt)
{
	list_del(&wt->node);
	/* Release: the waiter may return (and its frame vanish) once it sees
	 * done; the futex_wake after it touches only the address. */
	store_release(&wt->done, 1);
	futex_wake(&wt->done, 1);
}

void uwq__waiters_start(struct uwq__pool *pool, struct uwq__worker *worker, const struct uwq_work *w)
{
	struct uwq__list *pos;

	list_for_each(pos, &pool->waiters) {
		struct uwq__waiter *wt = container_of(pos, struct uwq__waiter, node);

		if (wt->work == w && !wt->worker)
			wt->worker = worker;
	}
}

void uwq__waiters_finish(struct uwq__pool *pool, struct uwq__worker *worker)
{
	struct uwq__list *pos, *tmp;

	list_for_each_safe(pos, tmp, &pool->waiters) {
		struct uwq__waiter *wt = container_of(pos, struct uwq__waiter, node);

		if (wt->worker == worker)
			waiter_complete(wt);
	}
}

void uwq__waiters_cancel(struct uwq__pool *pool, const struct uwq_work *w)
{
	struct uwq__list *pos, *tmp;

	list_for_each_safe(pos, tmp, &pool->waiters) {
		struct uwq__waiter *wt = container_of(pos, struct uwq__waiter, node);

		if (wt->work == w && !wt->worker)
			waiter_complete(wt);
	}
}

/* Register @wt (L of @pool held by the caller), drop the lock and wait. */
static void wait_registered(struct uwq__pool *pool, struct uwq__waiter *wt)
{
	list_add_tail(&wt->node, &pool->waiters);
	pthread_mutex_unlock(&pool->lock);
	uwq__wait_begin();
	while (!load_acquire(&wt->done))
		futex_wait(&wt->done, 0);
	uwq__wait_end();
}

void uwq__report_self_wait(const char *what, const struct uwq_work *w)
{
	char fn[UWQ_FN_NAME_LEN];

	uwq__log("%s: work function %s would wait for itself; not waiting", what,
		 uwq__fn_name((const void *)w->func, fn, sizeof(fn)));
}

static bool is_self(const struct uwq_work *w)
{
	struct uwq__worker *worker = uwq__current_worker;

	return worker && worker->current_work == w && worker->current_func == w->func;
}

/* Wait for the run of (w, func) in progress, if any. True if it waited. */
bool uwq__flush_running(const struct uwq_work *w, uwq_work_fn func)
{
	bool waited = false;

	for (;;) {
		struct uwq__pwq *xpwq;
		struct uwq__worker *x = uwq__busy_find_pwq(w, func, &xpwq);
		struct uwq__waiter wt = { .work = w, .worker = x };

		if (!x)
			return waited;
		pthread_mutex_lock(&xpwq->pool->lock);
		if (x->current_work == w && x->current_func == func) {
			wait_registered(xpwq->pool, &wt);
			waited = true;
		} else {
			pthread_mutex_unlock(&xpwq->pool->lock);
		}
	}
}

bool uwq_flush_work(struct uwq_work *w)
{
	struct uwq__worker *me = uwq__current_worker;

	if (!w)
		return false;
	if (is_self(w)) {
		uwq__report_self_wait("uwq_flush_work()", w);
		return false;
	}
	uwq__work_current(w);
	for (;;) {
		unsigned long data = atomic_load_sc(&w->data);
		struct uwq__waiter wt = { .work = w };
		struct uwq__worker *x;
		struct uwq__pwq *pwq;

		if (data & WORK_QUEUED) {
			pwq = load_acquire(&w->pwq);
			pthread_mutex_lock(&pwq->pool->lock);
			/* Atomic: if the item moved, its pwq is written under
			 * another pool's lock than the one held here. */
			if (!(atomic_load_sc(&w->data) & WORK_QUEUED) || load_acquire(&w->pwq) != pwq) {
				pthread_mutex_unlock(&pwq->pool->lock);
				continue;
			}
			if (me && me->current_pwq == pwq && pwq->max_active == 1) {
				pthread_mutex_unlock(&pwq->pool->lock);
				uwq__report_self_wait("uwq_flush_work() of an item queued behind the caller on a max_active 1 queue",
						      w);
				return false;
			}
			wait_registered(pwq->pool, &wt);
			return true;
		}
		x = uwq__busy_find_pwq(w, w->func, &pwq);
		if (!x)
			return false;
		pthread_mutex_lock(&pwq->pool->lock);
		if (x->current_work == w && x->current_func == w->func) {
			wt.worker = x;
			wait_registered(pwq->pool, &wt);
			return true;
		}
		pthread_mutex_unlock(&pwq->pool->lock);
	}
}

bool uwq_flush_delayed_work(struct uwq_delayed_work *dw)
{
	if (!dw)
		return false;
	if (is_self(&dw->work)) {
		uwq__report_self_wait("uwq_flush_delayed_work()", &dw->work);
		return false;
	}
	/* An armed item was pending: true even if its run is over by the
	 * time uwq_flush_work() looks (it may be very quick). */
	bool fired;

	uwq__work_current(&dw->work);	/* armed before a fork(): not here */
	fired = uwq__timer_flush(dw);

	return uwq_flush_work(&dw->work) || fired;
}

bool uwq_cancel_work_sync(struct uwq_work *w)
{
	int ret;

	if (!w)
		return false;
	if (is_self(w)) {
		uwq__report_self_wait("uwq_cancel_work_sync()", w);
		return false;
	}
	ret = uwq__grab_pending(w);
	/* We own PENDING: disable queueing (the running instance's own
	 * requeue included) and clear PENDING in one step, as the kernel's
	 * disable count does since 6.10. */
	atomic_fetch_add(&w->data, WORK_DISABLE_ONE - WORK_PENDING);
	uwq__flush_running(w, w->func);
	atomic_fetch_add(&w->data, -WORK_DISABLE_ONE);
	return ret;
}

bool uwq_cancel_delayed_work_sync(struct uwq_delayed_work *dw)
{
	return dw ? uwq_cancel_work_sync(&dw->work) : false;
}

static int report_own_queue(const char *what, struct uwq_workqueue *wq)
{
	struct uwq__worker *me = uwq__current_worker;
	char fn[UWQ_FN_NAME_LEN];

	uwq__log("%s(%s) from its own work function %s would wait for itself; refused", what, wq->name,
		 uwq__fn_name((const void *)me->current_func, fn, sizeof(fn)));
	return -EDEADLK;
}

int uwq_flush_workqueue(struct uwq_workqueue *wq)
{
	struct uwq__pwq *pwq;
	int left;

	if (!wq)
		return -EINVAL;
	if (current_wq() == wq)
		return report_own_queue("uwq_flush_workqueue", wq);
	uwq__ensure_init();
	if (uwq__wq_stale(wq))
		return -ECHILD;
	uwq__report_frozen_flush(wq);

	uwq__wait_begin();
	pthread_mutex_lock(&wq->flush_lock);
	while (wq->flushing)
		pthread_cond_wait(&wq->flush_cond, &wq->flush_lock);
	wq->flushing = true;
	pthread_mutex_unlock(&wq->flush_lock);

	/* Bias of one so no pwq can complete the flush before all flipped. */
	__atomic_store_n(&wq->nr_pwqs_to_flush, 1, __ATOMIC_SEQ_CST);
	for_each_pwq(pwq, wq) {
		int c;

		pthread_mutex_lock(&pwq->pool->lock);
		c = pwq->work_color;
		pwq->work_color = c ^ 1;
		if (pwq->nr_in_flight[c]) {
			pwq->flush_color = c;
			atomic_add_fetch(&wq->nr_pwqs_to_flush, 1);
		}
		pthread_mutex_unlock(&pwq->pool->lock);
	}
	left = atomic_sub_fetch(&wq->nr_pwqs_to_flush, 1);
	while (left > 0) {
		futex_wait(&wq->nr_pwqs_to_flush, left);
		left = atomic_load_sc(&wq->nr_pwqs_to_flush);
	}

	pthread_mutex_lock(&wq->flush_lock);
	wq->flushing = false;
	pthread_cond_broadcast(&wq->flush_cond);
	pthread_mutex_unlock(&wq->flush_lock);
	uwq__wait_end();
	return 0;
}

int uwq_drain_workqueue(struct uwq_workqueue *wq)
{
	if (!wq)
		return -EINVAL;
	if (current_wq() == wq)
		return report_own_queue("uwq_drain_workqueue", wq);
	uwq__ensure_init();
	if (uwq__wq_stale(wq))
		return -ECHILD;
	if (atomic_fetch_add(&wq->draining, 1) == 0)
		__atomic_store_n(&wq->drain_reported, 0, __ATOMIC_SEQ_CST);
	for (int tries = 1;; tries++) {
		uwq_flush_workqueue(wq);
		if (uwq__wq_idle(wq))
			break;
		if (tries == 10 || (tries % 100 == 0 && tries <= 1000))
			uwq__log("uwq_drain_workqueue(%s) isn't complete after %d tries", wq->name, tries);
	}
	atomic_sub_fetch(&wq->draining, 1);
	return 0;
}

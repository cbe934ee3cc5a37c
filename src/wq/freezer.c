/* SPDX-License-Identifier: MIT */
/*
 * freezer.c - uwq_freeze() and uwq_thaw() (kernel/workqueue.c:
 * freeze_workqueues_begin, freeze_workqueues_busy, thaw_workqueues).
 *
 * DESIGN
 * As in the kernel, a frozen queue is one whose pwqs have max_active 0:
 * queueing still works, and every new item waits on the pwq's inactive
 * list, which keeps queueing order. The kernel lets items that were
 * already activated (on the pool's worklist) run on; uwq moves them back
 * to the front of the inactive list, so that after uwq_freeze() returns no
 * item of a freezable queue starts, only the ones already running finish.
 * Items already handed to a worker (requeued while running: they wait on
 * that worker's scheduled list; or taken by a rescuer) are turned back by
 * the worker when it reaches them (uwq__process_one_work() sees max_active
 * 0). Only an item waiting for its own run in another pool to end
 * (collide_run) counts as started.
 * Thawing restores max_active and activates in order, so an ordered
 * freezable queue keeps its order across a freeze.
 * Flushing or destroying a frozen queue that holds items waits for
 * uwq_thaw(), with one report per freeze naming the call: the freeze's
 * promise (nothing of a freezable queue starts until the thaw) outranks
 * the destroy. Running the held items anyway was rejected: whoever froze
 * relies on that promise (a snapshot, a suspended device).
 * Waiting for running items polls the pwqs' nr_active every millisecond
 * (freezing is rare; a wake-up path on every retirement would cost every
 * item), and gives up after freeze_timeout_ns with one report naming what
 * still runs.
 * CONCURRENCY: uwq__g.lock (the queue list, g.frozen) -> wq->flush_lock
 * (wq->frozen, saved_max_active) -> pool->lock (pwq->max_active, lists).
 */
#include <time.h>

#include "internal/log.h"
#include "internal/wq.h"

/* Stop @pwq starting items: those not started go back in front of the
 * inactive ones, in order (L held). */
static void freeze_pwq(struct uwq__pwq *pwq)
{
	struct uwq__pool *pool = pwq->pool;
	struct uwq_work held, *w, *next;

	pwq->max_active = 0;
	wlist_init(&held);
	for (w = wlist_first(&pool->worklist); w != &pool->worklist; w = next) {
		next = w->next;
		if (load_acquire(&w->pwq) != (void *)pwq)
			continue;
		wlist_del(w);
		wlist_add_tail(w, &held);
		atomic_fetch_or(&w->data, WORK_INACTIVE);
		pwq->nr_active--;
		pwq->nr_inactive++;
	}
	while (!wlist_empty(&pwq->inactive)) {
		w = wlist_first(&pwq->inactive);
		wlist_del(w);
		wlist_add_tail(w, &held);
	}
	while (!wlist_empty(&held)) {
		w = wlist_first(&held);
		wlist_del(w);
		wlist_add_tail(w, &pwq->inactive);
	}
}

/* uwq__g.lock held. */
static void set_frozen(struct uwq_workqueue *wq, bool frozen)
{
	struct uwq__pwq *pwq;

	pthread_mutex_lock(&wq->flush_lock);
	__atomic_store_n(&wq->frozen, frozen, __ATOMIC_RELAXED);
	__atomic_store_n(&wq->frozen_reported, 0, __ATOMIC_RELAXED);
	for_each_pwq(pwq, wq) {
		pthread_mutex_lock(&pwq->pool->lock);
		if (frozen) {
			freeze_pwq(pwq);
		} else {
			pwq->max_active = wq->saved_max_active;
			uwq__pwq_activate(pwq);
			if (!uwq__kick_pool(pwq->pool) && !wlist_empty(&pwq->pool->worklist))
				uwq__monitor_arm();
		}
		pthread_mutex_unlock(&pwq->pool->lock);
	}
	pthread_mutex_unlock(&wq->flush_lock);
}

/* Items of freezable queues still running, not counting the caller's own. */
static int nr_running_frozen(void)
{
	struct uwq__pwq *mine = uwq__current_worker ? uwq__current_worker->current_pwq : NULL;
	struct uwq__list *pos;
	int n = 0;

	pthread_mutex_lock(&uwq__g.lock);
	list_for_each(pos, &uwq__g.wqs) {
		struct uwq_workqueue *wq = container_of(pos, struct uwq_workqueue, node);

		struct uwq__pwq *pwq;

		if (!(wq->flags & UWQ_FREEZABLE))
			continue;
		for_each_pwq(pwq, wq) {
			pthread_mutex_lock(&pwq->pool->lock);
			n += pwq->nr_active - (pwq == mine);
			pthread_mutex_unlock(&pwq->pool->lock);
		}
	}
	pthread_mutex_unlock(&uwq__g.lock);
	return n;
}

static void report_pool(struct uwq__pool *pool, uint64_t now)
{
	struct uwq__list *pos;
	char fn[UWQ_FN_NAME_LEN];

	pthread_mutex_lock(&pool->lock);
	list_for_each(pos, &pool->workers) {
		struct uwq__worker *wk = container_of(pos, struct uwq__worker, all_node);

		if (wk != uwq__current_worker && wk->current_pwq && (wk->current_pwq->wq->flags & UWQ_FREEZABLE))
			uwq__log("  %s on workqueue %s, running for %llu ms",
				 uwq__fn_name((const void *)wk->current_func, fn, sizeof(fn)),
				 wk->current_pwq->wq->name,
				 (unsigned long long)((now - wk->current_start) / 1000000));
	}
	pthread_mutex_unlock(&pool->lock);
}

static void report_timeout(void)
{
	uint64_t now = uwq__now_ns();

	uwq__log("uwq_freeze(): items of freezable workqueues still running after %llu ms:",
		 (unsigned long long)(uwq__g.cfg.freeze_timeout_ns / 1000000));
	pthread_mutex_lock(&uwq__g.lock);
	for (int i = 0; i < uwq__nr_pools(); i++)
		report_pool(uwq__pool_at(i), now);
	pthread_mutex_unlock(&uwq__g.lock);
}

static void freeze_all(bool frozen)
{
	struct uwq__list *pos;

	list_for_each(pos, &uwq__g.wqs) {
		struct uwq_workqueue *wq = container_of(pos, struct uwq_workqueue, node);

		if (wq->flags & UWQ_FREEZABLE)
			set_frozen(wq, frozen);
	}
}

void uwq_freeze(void)
{
	uint64_t deadline;
	int left;

	uwq__ensure_init();
	pthread_mutex_lock(&uwq__g.lock);
	if (uwq__g.frozen) {
		pthread_mutex_unlock(&uwq__g.lock);
		return;
	}
	uwq__g.frozen = true;
	freeze_all(true);
	pthread_mutex_unlock(&uwq__g.lock);

	deadline = uwq__now_ns() + uwq__g.cfg.freeze_timeout_ns;
	uwq__wait_begin();
	while ((left = nr_running_frozen()) > 0) {
		struct timespec ts = { 0, 1000000 };

		if (uwq__now_ns() >= deadline) {
			report_timeout();
			break;
		}
		nanosleep(&ts, NULL);
	}
	uwq__wait_end();
}

void uwq_thaw(void)
{
	if (!load_acquire(&uwq__g.ready))
		return;	/* never started: nothing frozen */
	pthread_mutex_lock(&uwq__g.lock);
	if (uwq__g.frozen) {
		uwq__g.frozen = false;
		freeze_all(false);
	}
	pthread_mutex_unlock(&uwq__g.lock);
}

/* alloc_wq(): a queue made while frozen starts frozen (uwq__g.lock held,
 * @wq not yet published). */
void uwq__freeze_new_wq(struct uwq_workqueue *wq)
{
	if (uwq__g.frozen && (wq->flags & UWQ_FREEZABLE))
		set_frozen(wq, true);
}

/* uwq_flush_workqueue(): say once per freeze why the flush waits, when
 * items are held. */
void uwq__report_frozen_flush(struct uwq_workqueue *wq)
{
	uwq__report_frozen_wait(wq, "uwq_flush_workqueue");
}

/* @what (a flush, or a destroy, which runs the held items too) waits for
 * uwq_thaw(): one report per freeze, when items are held. */
void uwq__report_frozen_wait(struct uwq_workqueue *wq, const char *what)
{
	struct uwq__pwq *pwq;
	int held = 0;

	if (!__atomic_load_n(&wq->frozen, __ATOMIC_RELAXED))
		return;
	for_each_pwq(pwq, wq) {
		pthread_mutex_lock(&pwq->pool->lock);
		held += pwq->nr_inactive;
		pthread_mutex_unlock(&pwq->pool->lock);
	}
	if (held && !atomic_xchg(&wq->frozen_reported, 1))
		uwq__log("%s(%s): the queue is frozen; waiting for uwq_thaw() (held items: %d)", what,
			 wq->name, held);
}

/* SPDX-License-Identifier: MIT */
/*
 * delayed.c - the timer service behind delayed work (kernel: the timer
 * wheel plus delayed_work_timer_fn).
 *
 * DESIGN
 * One thread, "uwq-timer", sleeps on a CLOCK_MONOTONIC condition variable
 * until the earliest expiry, then queues the item to the (wq, cpu) it was
 * armed for. Timers live in an intrusive pairing heap threaded through the
 * delayed item itself (t_child/t_next/t_prev), so arming never allocates:
 * O(1) insert, O(log n) amortised pop and arbitrary removal (cancel,
 * mod_delayed_work). Rejected: a sorted list (O(n) arming with many
 * timers), timerfd per item (a file descriptor and syscalls per arm), and a
 * binary heap array (allocation). A delay of 0 queues at once without the
 * timer (kernel rule). The thread starts on the first arm; if it cannot,
 * the items stay armed and the monitor tries again every creation
 * cooldown (UWQ_CREATE_COOLDOWN_MS) until it starts.
 *
 * The armed state is WORK_TIMER in the item's word, with PENDING held by
 * the timer. Firing clears WORK_TIMER and queues the item (PENDING still
 * owned) both under the timer lock, so whoever steals the timer under that
 * lock finds it either armed or queued.
 *
 * Destroying a queue with items still armed (the kernel warns and leaves
 * the caller a timer that fires into freed memory): under one hold of the
 * timer lock, uwq__timer_expedite_wq() marks the queue dying and takes
 * each of its armed items out of the heap and queues it now, earliest
 * expiry first (the order they would have fired in), as
 * uwq_flush_delayed_work() does; the drain that follows runs them. From
 * then on, arming a timer for the queue is refused: the item is left
 * idle. Expediting re-arms instead would turn the usual periodic item,
 * which re-arms itself from its function, into a busy loop that keeps the
 * destroy from ever finishing. One report per destroy names the first
 * such item. A timer firing at the same moment fires under the same lock,
 * before (the item is queued, and drained like any other) or never.
 *
 * CONCURRENCY
 * tm.lock guards the heap, WORK_TIMER transitions, the dw->wq/cpu/expires
 * fields of armed items, wq->dying and wq->nr_armed. Lock order: tm.lock ->
 * pool->lock (firing queues under it); nothing takes tm.lock while holding
 * a pool lock. A failed
 * start calls uwq__monitor_start() under tm.lock (tm.lock -> the monitor's
 * start lock); the monitor calls uwq__timer_retry() holding no lock.
 *
 * INVARIANTS
 *  1. WORK_TIMER set <=> the item is in the heap.
 *  2. The heap root has the earliest expiry.
 *  3. wq->nr_armed = the items in the heap with dw->wq == wq.
 *  4. No item in the heap targets a dying queue (dw->wq->dying), so the
 *     timer thread never touches a queue once its destroy has begun.
 */
#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "internal/fault.h"
#include "internal/log.h"
#include "internal/wq.h"

static struct {
	pthread_mutex_t		lock;
	pthread_cond_t		cond;		/* lock: root changed, or stop */
	struct uwq_delayed_work	*root;		/* lock */
	pthread_t		thread;		/* lock */
	bool			running;	/* lock */
	bool			stop;		/* lock */
	uint64_t		retry_at;	/* lock: the thread could not start; try again then */
} tm = { .lock = PTHREAD_MUTEX_INITIALIZER };

static pthread_once_t tm_once = PTHREAD_ONCE_INIT;

static void tm_init(void)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&tm.cond, &attr);
	pthread_condattr_destroy(&attr);
}

/* Pairing heap. t_prev is the previous sibling, or the parent of a first child. */
static struct uwq_delayed_work *meld(struct uwq_delayed_work *a, struct uwq_delayed_work *b)
{
	struct uwq_delayed_work *t;

	if (!a)
		return b;
	if (!b)
		return a;
	if (b->expires < a->expires) {
		t = a;
		a = b;
		b = t;
	}
	b->t_prev = a;
	b->t_next = a->t_child;
	if (a->t_child)
		a->t_child->t_prev = b;
	a->t_child = b;
	return a;
}

static struct uwq_delayed_work *merge_pairs(struct uwq_delayed_work *first)
{
	struct uwq_delayed_work *acc = NULL, *root = NULL;

	while (first) {
		struct uwq_delayed_work *a = first, *b = a->t_next;

		first = b ? b->t_next : NULL;
		a->t_next = a->t_prev = NULL;
		if (b) {
			b->t_next = b->t_prev = NULL;
			a = meld(a, b);
		}
		a->t_next = acc;
		acc = a;
	}
	while (acc) {
		struct uwq_delayed_work *n = acc->t_next;

		acc->t_next = NULL;
		root = meld(root, acc);
		acc = n;
	}
	if (root)
		root->t_prev = root->t_next = NULL;
	return root;
}

static void heap_insert(struct uwq_delayed_work *dw)
{
	dw->t_child = dw->t_next = dw->t_prev = NULL;
	tm.root = meld(tm.root, dw);
	tm.root->t_prev = tm.root->t_next = NULL;
	dw->wq->nr_armed++;
}

static void heap_remove(struct uwq_delayed_work *dw)
{
	struct uwq_delayed_work *sub;

	dw->wq->nr_armed--;
	if (dw == tm.root) {
		tm.root = merge_pairs(dw->t_child);
		return;
	}
	if (dw->t_prev->t_child == dw)
		dw->t_prev->t_child = dw->t_next;
	else
		dw->t_prev->t_next = dw->t_next;
	if (dw->t_next)
		dw->t_next->t_prev = dw->t_prev;
	sub = merge_pairs(dw->t_child);
	tm.root = meld(tm.root, sub);
	tm.root->t_prev = tm.root->t_next = NULL;
}

static void *timer_thread(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "uwq-timer");
	pthread_mutex_lock(&tm.lock);
	while (!tm.stop) {
		struct uwq_delayed_work *dw = tm.root;
		struct uwq_workqueue *wq;
		uint64_t now = uwq__now_ns();
		int cpu;

		if (!dw) {
			pthread_cond_wait(&tm.cond, &tm.lock);
			continue;
		}
		if (dw->expires > now) {
			struct timespec ts = { (time_t)(dw->expires / 1000000000u),
					       (long)(dw->expires % 1000000000u) };

			pthread_cond_timedwait(&tm.cond, &tm.lock, &ts);
			continue;
		}
		tm.root = merge_pairs(dw->t_child);
		wq = dw->wq;
		cpu = dw->cpu;
		wq->nr_armed--;
		/*
		 * Queue while still holding tm.lock: a flush_delayed_work()
		 * or grab that finds the timer gone (uwq__timer_steal takes
		 * tm.lock) then finds the item queued, never in between,
		 * like the kernel's del_timer_sync waiting for a running
		 * timer. Lock order: tm.lock -> pool->lock.
		 */
		atomic_fetch_and(&dw->work.data, ~WORK_TIMER);
		uwq__queue_work(cpu, wq, &dw->work);
	}
	pthread_mutex_unlock(&tm.lock);
	return NULL;
}

/* tm.lock held. */
static void timer_start_locked(void)
{
	pthread_attr_t attr;
	sigset_t all;
	int err;

	if (tm.running)
		return;
	sigfillset(&all);
	pthread_attr_init(&attr);
	pthread_attr_setsigmask_np(&attr, &all);
	err = uwq__thread_create(&tm.thread, &attr, timer_thread, NULL);
	pthread_attr_destroy(&attr);
	if (err) {
		/* Armed items wait: the monitor tries again after the
		 * creation cooldown (uwq__timer_retry()), as for workers. */
		if (!tm.retry_at)
			uwq__log("cannot start the timer thread: %s; delayed work waits, retrying every %llu ms",
				 strerror(err), (unsigned long long)(uwq__g.cfg.create_cooldown_ns / 1000000));
		/* At least 1 ms apart: a zero cooldown must not spin the monitor. */
		tm.retry_at = uwq__now_ns() + (uwq__g.cfg.create_cooldown_ns > 1000000 ? uwq__g.cfg.create_cooldown_ns : 1000000);
		uwq__monitor_start();
		uwq__monitor_poke();
	} else {
		tm.running = true;
		tm.retry_at = 0;
	}
}

/*
 * The monitor's pass: start the timer thread if armed items wait for one
 * that could not be started and the cooldown is over. *next: when to look
 * again, lowered if it still could not start.
 */
void uwq__timer_retry(uint64_t now, uint64_t *next)
{
	pthread_once(&tm_once, tm_init);
	pthread_mutex_lock(&tm.lock);
	if (tm.root && !tm.running && tm.retry_at) {
		if (now >= tm.retry_at)
			timer_start_locked();
		if (!tm.running && tm.retry_at < *next)
			*next = tm.retry_at;
	}
	pthread_mutex_unlock(&tm.lock);
}

/*
 * The one report per destroy: the first armed item it met, expedited (@n
 * of them) or refused (@n 0). Claimed first (wq->dying_reported): the
 * expediting claims it before it queues anything, so a refused re-arm
 * from an expedited item never reports in its place.
 */
static bool claim_report(struct uwq_workqueue *wq)
{
	return !atomic_xchg(&wq->dying_reported, 1);
}

static void report_dying(struct uwq_workqueue *wq, uwq_work_fn fn, int n)
{
	char name[UWQ_FN_NAME_LEN];

	uwq__fn_name((const void *)fn, name, sizeof(name));
	if (n == 0)
		uwq__log("uwq_destroy_workqueue(%s): delayed item %s was armed during the destroy: refused, left idle; cancel or flush delayed items before destroying the queue",
			 wq->name, name);
	else if (n == 1)
		uwq__log("uwq_destroy_workqueue(%s): delayed item %s was still armed: it runs now, and arming more is refused; cancel or flush delayed items before destroying the queue",
			 wq->name, name);
	else
		uwq__log("uwq_destroy_workqueue(%s): %d delayed items were still armed (first due: %s): they run now, and arming more is refused; cancel or flush delayed items before destroying the queue",
			 wq->name, n, name);
}

bool uwq__timer_arm(struct uwq_workqueue *wq, struct uwq_delayed_work *dw, int cpu, uint64_t delay_ns)
{
	if (delay_ns == 0)
		return uwq__queue_work(cpu, wq, &dw->work);
	pthread_once(&tm_once, tm_init);
	pthread_mutex_lock(&tm.lock);
	if (wq->dying) {
		pthread_mutex_unlock(&tm.lock);
		atomic_fetch_and(&dw->work.data, ~WORK_PENDING);
		if (claim_report(wq))
			report_dying(wq, dw->work.func, 0);
		return false;
	}
	dw->wq = wq;
	dw->cpu = cpu;
	{
		uint64_t now = uwq__now_ns();

		/* Saturate: UINT64_MAX means never, not a wrap into the past. */
		dw->expires = delay_ns > UINT64_MAX - now ? UINT64_MAX : now + delay_ns;
	}
	heap_insert(dw);
	atomic_fetch_or(&dw->work.data, WORK_TIMER);
	timer_start_locked();
	if (tm.root == dw)
		pthread_cond_signal(&tm.cond);
	pthread_mutex_unlock(&tm.lock);
	return true;
}

bool uwq__timer_steal(struct uwq_delayed_work *dw)
{
	bool stolen = false;

	pthread_once(&tm_once, tm_init);
	pthread_mutex_lock(&tm.lock);
	if (atomic_load_sc(&dw->work.data) & WORK_TIMER) {
		heap_remove(dw);
		atomic_fetch_and(&dw->work.data, ~WORK_TIMER);
		stolen = true;
	}
	pthread_mutex_unlock(&tm.lock);
	return stolen;
}

/*
 * uwq_flush_delayed_work(): fire an armed item now. Queued under tm.lock,
 * as the timer thread does, so a concurrent flusher (which takes tm.lock
 * to look) finds the item either armed or queued, never in between.
 */
bool uwq__timer_flush(struct uwq_delayed_work *dw)
{
	bool fired = false;

	pthread_once(&tm_once, tm_init);
	pthread_mutex_lock(&tm.lock);
	if (atomic_load_sc(&dw->work.data) & WORK_TIMER) {
		heap_remove(dw);
		atomic_fetch_and(&dw->work.data, ~WORK_TIMER);
		uwq__queue_work(dw->cpu, dw->wq, &dw->work);
		fired = true;
	}
	pthread_mutex_unlock(&tm.lock);
	return fired;
}

/*
 * uwq_destroy_workqueue(), before draining: mark @wq dying and queue each
 * of its armed items now, earliest expiry first. With none armed (the
 * well-behaved case) that is all. Otherwise the heap is taken apart and
 * rebuilt in one walk over every armed timer, all under tm.lock: the walk
 * keeps the nodes still to visit on a list threaded through t_next (a
 * node's children are spliced in front when it is visited), and melds
 * each node into the kept heap or the taken one. Returns how many were
 * armed (and reports them once).
 */
int uwq__timer_expedite_wq(struct uwq_workqueue *wq)
{
	struct uwq_delayed_work *todo, *keep = NULL, *taken = NULL;
	uwq_work_fn first;
	bool report;
	int n = 0;

	pthread_once(&tm_once, tm_init);
	pthread_mutex_lock(&tm.lock);
	wq->dying = true;
	if (!wq->nr_armed) {
		pthread_mutex_unlock(&tm.lock);
		return 0;
	}
	for (todo = tm.root; todo;) {
		struct uwq_delayed_work *dw = todo, *last;

		todo = dw->t_next;
		if (dw->t_child) {
			for (last = dw->t_child; last->t_next; last = last->t_next)
				;
			last->t_next = todo;
			todo = dw->t_child;
		}
		dw->t_child = dw->t_next = dw->t_prev = NULL;
		if (dw->wq == wq) {
			taken = meld(taken, dw);
			n++;
		} else {
			keep = meld(keep, dw);
		}
	}
	tm.root = keep;
	assert(n == wq->nr_armed);
	wq->nr_armed = 0;
	first = taken->work.func;
	report = claim_report(wq);
	while (taken) {
		struct uwq_delayed_work *dw = taken;

		taken = merge_pairs(dw->t_child);
		atomic_fetch_and(&dw->work.data, ~WORK_TIMER);
		uwq__queue_work(dw->cpu, wq, &dw->work);
	}
	pthread_cond_signal(&tm.cond);	/* the root may have changed */
	pthread_mutex_unlock(&tm.lock);
	if (report)
		report_dying(wq, first, n);
	return n;
}

void uwq__timer_shutdown(void)
{
	pthread_t t;

	pthread_once(&tm_once, tm_init);
	pthread_mutex_lock(&tm.lock);
	if (!tm.running) {
		pthread_mutex_unlock(&tm.lock);
		return;
	}
	tm.stop = true;
	t = tm.thread;
	pthread_cond_signal(&tm.cond);
	pthread_mutex_unlock(&tm.lock);
	pthread_join(t, NULL);
	pthread_mutex_lock(&tm.lock);
	tm.running = false;
	tm.stop = false;
	pthread_mutex_unlock(&tm.lock);
}

void uwq__timer_resume(void)
{
	pthread_once(&tm_once, tm_init);
	pthread_mutex_lock(&tm.lock);
	if (tm.root)
		timer_start_locked();
	pthread_mutex_unlock(&tm.lock);
}

/* fork.c: the parent's armed items stay the parent's. */
void uwq__timer_atfork_child(void)
{
	pthread_mutex_init(&tm.lock, NULL);
	tm.root = NULL;
	tm.running = false;
	tm.stop = false;
	tm_once = PTHREAD_ONCE_INIT;	/* the condition variable is made again */
}

/* SPDX-License-Identifier: MIT */
/*
 * workqueue.c - workqueues, queueing, max_active and cancel
 * (kernel/workqueue.c: __queue_work, try_to_grab_pending, pwq_dec_nr_in_flight).
 *
 * DESIGN
 * A workqueue owns no threads: it has one pwq per pool it uses (one per
 * allowed CPU for bound queues, one on the shared unbound pool for unbound
 * and ordered queues). The pwq enforces max_active (items beyond it wait on
 * the pwq's inactive list, FIFO, and never overtake: new items go behind
 * inactive ones) and counts in-flight items per flush colour.
 *
 * Queueing: one atomic fetch_or takes PENDING (false if it was set, or if a
 * cancel_sync has the item disabled); then the pool lock, list insertion
 * and a kick that is a no-op while a worker runs (pool.c). No allocation,
 * no system call unless an idle worker must be woken from its futex.
 * A lock-free inbox per pool (submitters push, whoever takes the pool lock
 * moves it onto the lists; the lock skipped while `concurrency` workers
 * run) was built and measured: on a quiet 2-vCPU VM, alternating runs,
 * peer_bench unbound S1 515 -> 756 ns/item, S1x 611 -> 791, S2 638 -> 724
 * (medians of 6). The workers, not the submitter, bound these runs: they
 * outrun one submitter, go idle, and every queueing then takes the slow
 * path anyway, now with a splice under the lock. It was taken out.
 * Bound queues pick the submitting CPU's pool (sched_getcpu() via rseq).
 * If the item last went to another pool and is running there for this
 * same queue, it is queued there instead (kernel __queue_work), so
 * non-reentrancy costs nothing more on the common path.
 *
 * Backpressure (no kernel twin): uwq_try_queue_work() refuses with -EAGAIN
 * once max_pending items wait. It takes a slot of wq->nr_pending with one
 * atomic add before queueing, so concurrent callers never overshoot; the
 * item is marked WORK_COUNTED and gives the slot back when it starts or is
 * cancelled. With no bound set, the queue path only reads max_pending:
 * queues without backpressure pay nothing for it.
 *
 * Grabbing PENDING (cancel, mod_delayed_work) is the kernel's
 * try_to_grab_pending: steal the timer, or take PENDING of an idle item, or
 * unlink the item from the list it is queued on under that pool's lock. The
 * transient states (being queued, timer just fired, claimed by a colliding
 * worker) are retried with back-off: spin, then sched_yield(), then 50 µs
 * sleeps, since a preempted owner cannot be waited out by spinning (E7).
 *
 * Destroy: refused from one of the queue's own items before anything is
 * touched; then the queue's armed delayed items are queued at once and
 * further arming refused (delayed.c), a frozen queue's wait for the thaw
 * is reported (freezer.c), the queue is drained, and only an idle queue is
 * freed (a busy one is leaked with a report, as the kernel does).
 *
 * CONCURRENCY
 * w->pwq and w->last_pool are written under the lock of the pool the item
 * is queued on, with atomic stores, and read atomically to pick which pool
 * to lock; every decision is re-validated under that lock (the re-check
 * reads w->pwq atomically too: if the item moved, the writer held another
 * pool's lock).
 *
 * INVARIANTS
 *  1. WORK_QUEUED set <=> w is on a list of w->pwq->pool (worklist, a
 *     worker's scheduled list, or pwq->inactive with WORK_INACTIVE).
 *  2. pwq->nr_in_flight[c] counts items of colour c queued or running.
 *  3. pwq->nr_active <= pwq->max_active, except after lowering max_active.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal/fault.h"
#include "internal/futex.h"
#include "internal/log.h"
#include "internal/trace.h"
#include "internal/wq.h"

static struct uwq_workqueue system_wqs[UWQ_NR_SYSTEM_WQS];

struct uwq_workqueue *const uwq_system_wq = &system_wqs[0];
struct uwq_workqueue *const uwq_system_highpri_wq = &system_wqs[1];
struct uwq_workqueue *const uwq_system_long_wq = &system_wqs[2];
struct uwq_workqueue *const uwq_system_unbound_wq = &system_wqs[3];
struct uwq_workqueue *const uwq_system_freezable_wq = &system_wqs[4];

struct uwq_workqueue *uwq__system_wq_at(int i)
{
	return &system_wqs[i];
}

void uwq_work_init(struct uwq_work *w, uwq_work_fn fn)
{
	if (!w)
		return;
	memset(w, 0, sizeof(*w));
	w->func = fn;
	w->data = uwq__work_gen_bits();
}

void uwq_delayed_work_init(struct uwq_delayed_work *dw, uwq_work_fn fn)
{
	if (!dw)
		return;
	memset(dw, 0, sizeof(*dw));
	dw->work.func = fn;
	dw->work.data = WORK_DELAYED | uwq__work_gen_bits();
	dw->cpu = -1;
}

struct uwq_delayed_work *uwq_to_delayed_work(struct uwq_work *w)
{
	return container_of(w, struct uwq_delayed_work, work);
}

static void pwq_activate_first(struct uwq__pwq *pwq)
{
	struct uwq_work *w = wlist_first(&pwq->inactive);

	wlist_del(w);
	pwq->nr_inactive--;
	pwq->nr_active++;
	atomic_fetch_and(&w->data, ~WORK_INACTIVE);
	wlist_add_tail(w, &pwq->pool->worklist);
	UWQ_TRACE2(workqueue_activate_work, w, w->func);
}

void uwq__pwq_activate(struct uwq__pwq *pwq)
{
	while (pwq->nr_inactive && pwq->nr_active < pwq->max_active)
		pwq_activate_first(pwq);
}

void uwq__pwq_retire(struct uwq__pwq *pwq, unsigned long data)
{
	int color = (data & WORK_COLOR) ? 1 : 0;

	if (!(data & WORK_INACTIVE)) {
		pwq->nr_active--;
		uwq__pwq_activate(pwq);
	}
	pwq->nr_in_flight[color]--;
	if (pwq->flush_color == color && pwq->nr_in_flight[color] == 0) {
		struct uwq_workqueue *wq = pwq->wq;

		pwq->flush_color = -1;
		/* Seq-cst: the flusher in uwq_flush_workqueue() sleeps on this
		 * word; it reads it again before every futex wait. */
		if (atomic_sub_fetch(&wq->nr_pwqs_to_flush, 1) == 0)
			futex_wake(&wq->nr_pwqs_to_flush, INT_MAX);
	}
}

static struct uwq__pwq *pick_pwq(int cpu, struct uwq_workqueue *wq)
{
	/* Acquire: pairs with the table's publication in attrs.c. */
	struct uwq__pwq **table = load_acquire(&wq->pwq_table);

	return table[uwq__cpu_index(cpu)];
}

static void report_draining(struct uwq_workqueue *wq, struct uwq_work *w)
{
	char fn[UWQ_FN_NAME_LEN];

	if (!atomic_xchg(&wq->drain_reported, 1))
		uwq__log("cannot queue %s on workqueue %s: it is draining; only its own items may queue",
			 uwq__fn_name((const void *)w->func, fn, sizeof(fn)), wq->name);
}

static bool queue_work_counted(int cpu, struct uwq_workqueue *wq, struct uwq_work *w, bool counted,
			       bool report);

bool uwq__queue_work(int cpu, struct uwq_workqueue *wq, struct uwq_work *w)
{
	return queue_work_counted(cpu, wq, w, false, true);
}

/* @counted: the caller already took a slot of wq->nr_pending for @w.
 * @report: a refusal while draining is reported (uwq_try_queue_work()
 * says it with -ESHUTDOWN instead, and never reports). */
static bool queue_work_counted(int cpu, struct uwq_workqueue *wq, struct uwq_work *w, bool counted,
			       bool report)
{
	struct uwq__pwq *pwq;
	struct uwq__pool *pool, *last;
	unsigned long bits;
	int *wake;

	/* Relaxed: a queueing that races with the start of a drain is simply
	 * drained; drain loops until the queue stays empty. */
	if (__builtin_expect(READ_ONCE(wq->draining) != 0, 0) && current_wq() != wq) {
		if (report)
			report_draining(wq, w);
		if (counted)
			atomic_sub_fetch(&wq->nr_pending, 1);
		atomic_fetch_and(&w->data, ~WORK_PENDING);
		return false;
	}
	pwq = pick_pwq(cpu, wq);
	last = READ_ONCE(w->last_pool);
	if (last && last != pwq->pool) {
		struct uwq__pwq *running;

		/* Running on this queue elsewhere: queue there (as the kernel's __queue_work() does). */
		if (uwq__busy_find_pwq(w, w->func, &running) && running->wq == wq)
			pwq = running;
	}
	pool = pwq->pool;

	UWQ_TRACE5(workqueue_queue_work, w, w->func, wq->name, cpu, pool->cpu);
	pthread_mutex_lock(&pool->lock);
	if (wlist_empty(&pool->worklist))
		pool->last_progress = uwq__coarse_ns();	/* watchdog: stalls count from here */
	bits = WORK_QUEUED | (pwq->work_color ? WORK_COLOR : 0);
	pwq->nr_in_flight[pwq->work_color]++;
	pwq->stat_queued++;
	/* Statistics time 1 in stats_sample items of each pwq (stats.h):
	 * a nonzero queued_ns marks it. PENDING is ours: no run reads it. */
	w->queued_ns = 0;
	if (uwq__g.stats_clock) {
		if (!pwq->stat_skip) {
			w->queued_ns = uwq__now_ns();
			pwq->stat_skip = uwq__g.stats_sample - 1;
		} else {
			pwq->stat_skip--;
		}
	}
	/* Release: grab and flush read w->pwq after seeing WORK_QUEUED, then
	 * re-check both under this lock. */
	store_release(&w->pwq, (void *)pwq);
	WRITE_ONCE(w->last_pool, (void *)pool);
	if (pwq->nr_active < pwq->max_active && !pwq->nr_inactive) {
		pwq->nr_active++;
		wlist_add_tail(w, &pool->worklist);
		UWQ_TRACE2(workqueue_activate_work, w, w->func);
	} else {
		pwq->nr_inactive++;
		bits |= WORK_INACTIVE;
		wlist_add_tail(w, &pwq->inactive);
	}
	/* Relaxed: a bound set concurrently only starts counting later. */
	if (READ_ONCE(wq->max_pending) && !(READ_ONCE(w->data) & WORK_COUNTED)) {
		bits |= WORK_COUNTED;
		if (!counted)
			atomic_add_fetch(&wq->nr_pending, 1);
	} else if (counted) {
		atomic_sub_fetch(&wq->nr_pending, 1);	/* the bound was lifted meanwhile */
	}
	atomic_fetch_or(&w->data, bits);
	/* Nobody woken and work waits: the monitor watches for a running
	 * worker that blocks without a hint (monitor.c). */
	if (!uwq__kick_pool_wake_later(pool, -1, &wake) && !wlist_empty(&pool->worklist))
		uwq__monitor_arm();
	pthread_mutex_unlock(&pool->lock);
	if (wake)
		futex_wake(wake, 1);

	if (__builtin_expect(load_acquire(&pool->started) != 1, 0))
		uwq__pool_start(pool);
	return true;
}

static int null_fn_reported;	/* A */

/* Take PENDING for a queuer. False if it was set or @w is disabled, or
 * has no function (one report: it would crash a worker). */
static bool take_pending(struct uwq_work *w)
{
	unsigned long old;

	if (__builtin_expect(!w->func, 0)) {
		if (!atomic_xchg(&null_fn_reported, 1))
			uwq__log("refusing to queue work item %p: it has no function (uwq_work_init with NULL?)",
				 (void *)w);
		return false;
	}
	uwq__work_current(w);
	old = atomic_fetch_or(&w->data, WORK_PENDING);

	if (old & WORK_PENDING)
		return false;
	if (old >> WORK_DISABLE_SHIFT) {
		atomic_fetch_and(&w->data, ~WORK_PENDING);
		return false;
	}
	return true;
}

bool uwq_queue_work_on(int cpu, struct uwq_workqueue *wq, struct uwq_work *w)
{
	if (!wq || !w)
		return false;
	uwq__ensure_init();
	if (uwq__wq_stale(wq))
		return false;
	if (!take_pending(w))
		return false;
	return uwq__queue_work(cpu, wq, w);
}

bool uwq_queue_work(struct uwq_workqueue *wq, struct uwq_work *w)
{
	return uwq_queue_work_on(-1, wq, w);
}

/*
 * The first CPU of NUMA node @node (sysfs, topology.c) that @wq's pool for
 * it serves, i.e. one in the queue's mask; -1 (the caller's CPU) if none,
 * if @node is out of range, or for a per-CPU queue.
 */
static int node_cpu(int node, struct uwq_workqueue *wq)
{
	struct uwq__pwq **table;

	if (node < 0 || !(wq->flags & UWQ_UNBOUND))
		return -1;
	table = load_acquire(&wq->pwq_table);	/* pairs with attrs.c's publication */
	for (int i = 0; i < uwq__g.nr_cpus; i++)
		if (uwq__g.node_of[i] == node && CPU_ISSET(uwq__g.cpu_ids[i], &table[i]->pool->cpus))
			return uwq__g.cpu_ids[i];
	return -1;
}

bool uwq_queue_work_node(int node, struct uwq_workqueue *wq, struct uwq_work *w)
{
	if (!wq || !w)
		return false;
	uwq__ensure_init();
	if (uwq__wq_stale(wq))
		return false;	/* before its table is read */
	/* Through that CPU's entry of the table: its pod's pool. */
	return uwq_queue_work_on(node_cpu(node, wq), wq, w);
}

struct on_cpu_call {
	struct uwq_work	work;
	long		(*fn)(void *);
	void		*arg;
	long		ret;
};

static void on_cpu_fn(struct uwq_work *w)
{
	struct on_cpu_call *c = container_of(w, struct on_cpu_call, work);

	c->ret = c->fn(c->arg);
}

/*
 * The kernel's work_on_cpu(): an item on the caller's stack, queued on
 * the per-CPU system queue for @cpu and flushed. From a worker the flush
 * is a blocked wait (flush.c), so another worker of that pool runs it.
 */
long uwq_work_on_cpu(int cpu, long (*fn)(void *), void *arg)
{
	struct on_cpu_call c = { .fn = fn, .arg = arg };

	if (!fn)
		return -EINVAL;
	uwq__ensure_init();
	if (cpu < 0 || cpu >= uwq__g.max_cpu || uwq__g.cpu_to_idx[cpu] < 0)
		return -EINVAL;
	uwq_work_init(&c.work, on_cpu_fn);
	if (!uwq_queue_work_on(cpu, uwq_system_wq, &c.work))
		return -ESHUTDOWN;	/* not reached: the item is ours and new */
	uwq_flush_work(&c.work);
	return c.ret;
}

void uwq__uncount(struct uwq_workqueue *wq, unsigned long data)
{
	if (data & WORK_COUNTED)
		atomic_sub_fetch(&wq->nr_pending, 1);
}

int uwq_workqueue_set_max_pending(struct uwq_workqueue *wq, int max_pending)
{
	if (!wq || max_pending < 0)
		return -EINVAL;
	if (uwq__wq_stale(wq))
		return -ECHILD;
	__atomic_store_n(&wq->max_pending, max_pending, __ATOMIC_SEQ_CST);
	return 0;
}

int uwq_try_queue_work(struct uwq_workqueue *wq, struct uwq_work *w)
{
	int max, n;

	if (!wq || !w || !w->func)
		return -EINVAL;
	uwq__ensure_init();
	if (uwq__wq_stale(wq))
		return -ECHILD;
	if (READ_ONCE(wq->draining) && current_wq() != wq)
		return -ESHUTDOWN;
	uwq__work_current(w);
	/* Pending already: say so rather than "full" (checked again below). */
	if (atomic_load_sc(&w->data) & WORK_PENDING)
		return -EALREADY;
	max = READ_ONCE(wq->max_pending);
	if (max) {
		/* Take a slot first, so concurrent callers never overshoot. */
		n = atomic_add_fetch(&wq->nr_pending, 1);
		if (n > max) {
			atomic_sub_fetch(&wq->nr_pending, 1);
			return -EAGAIN;
		}
	}
	if (!take_pending(w)) {
		if (max)
			atomic_sub_fetch(&wq->nr_pending, 1);
		return -EALREADY;
	}
	if (!queue_work_counted(-1, wq, w, max != 0, false))
		return -ESHUTDOWN;
	return 0;
}

bool uwq_schedule_work(struct uwq_work *w)
{
	return uwq_queue_work_on(-1, uwq_system_wq, w);
}

bool uwq_queue_delayed_work(struct uwq_workqueue *wq, struct uwq_delayed_work *dw, uint64_t delay_ns)
{
	if (!wq || !dw)
		return false;
	uwq__ensure_init();
	if (uwq__wq_stale(wq))
		return false;
	if (!take_pending(&dw->work))
		return false;
	return uwq__timer_arm(wq, dw, -1, delay_ns);
}

bool uwq_mod_delayed_work(struct uwq_workqueue *wq, struct uwq_delayed_work *dw, uint64_t delay_ns)
{
	int ret;

	if (!wq || !dw || !dw->work.func)
		return false;
	uwq__ensure_init();
	if (uwq__wq_stale(wq))
		return false;
	ret = uwq__grab_pending(&dw->work);
	if (atomic_load_sc(&dw->work.data) >> WORK_DISABLE_SHIFT) {
		atomic_fetch_and(&dw->work.data, ~WORK_PENDING);
		return ret;
	}
	uwq__timer_arm(wq, dw, -1, delay_ns);
	return ret;
}

/* Unlink a queued item and retire it as if it had run (L held). */
static void steal_queued(struct uwq__pwq *pwq, struct uwq_work *w)
{
	unsigned long old;

	wlist_del(w);
	old = atomic_fetch_and(&w->data, ~WORK_STATE_MASK);
	uwq__uncount(pwq->wq, old);
	if (old & WORK_INACTIVE)
		pwq->nr_inactive--;
	uwq__waiters_cancel(pwq->pool, w);
	uwq__pwq_retire(pwq, old);
	uwq__kick_pool(pwq->pool);
}

/* @w is claimed by a worker waiting for another pool's run of it
 * (worker.c collide_run()): take the claimed instance back. */
static int grab_claimed(struct uwq_work *w)
{
	struct uwq__pwq *pwq = load_acquire(&w->pwq);
	unsigned long data;
	int ret = -EAGAIN;

	if (!pwq)
		return -EAGAIN;
	pthread_mutex_lock(&pwq->pool->lock);
	data = atomic_load_sc(&w->data);
	if ((data & (WORK_PENDING | WORK_QUEUED | WORK_COLLIDE)) == (WORK_PENDING | WORK_COLLIDE) &&
	    load_acquire(&w->pwq) == pwq && uwq__steal_claimed(pwq, w))
		ret = 1;
	pthread_mutex_unlock(&pwq->pool->lock);
	return ret;
}

int uwq__try_grab_pending(struct uwq_work *w)
{
	unsigned long data;
	struct uwq__pwq *pwq;

	uwq__work_current(w);
	data = atomic_load_sc(&w->data);
	if ((data & (WORK_DELAYED | WORK_TIMER)) == (WORK_DELAYED | WORK_TIMER) &&
	    uwq__timer_steal(uwq_to_delayed_work(w)))
		return 1;
	data = atomic_fetch_or(&w->data, WORK_PENDING);
	if (!(data & WORK_PENDING))
		return 0;
	if (!(data & WORK_QUEUED))
		return data & WORK_COLLIDE ? grab_claimed(w) : -EAGAIN;
	pwq = load_acquire(&w->pwq);
	if (!pwq)
		return -EAGAIN;
	pthread_mutex_lock(&pwq->pool->lock);
	/* Atomic: if the item moved, its pwq is written under another lock. */
	if ((atomic_load_sc(&w->data) & WORK_QUEUED) && load_acquire(&w->pwq) == pwq) {
		steal_queued(pwq, w);
		pthread_mutex_unlock(&pwq->pool->lock);
		return 1;
	}
	pthread_mutex_unlock(&pwq->pool->lock);
	return -EAGAIN;
}

int uwq__grab_pending(struct uwq_work *w)
{
	for (unsigned i = 0;; i++) {
		int ret = uwq__try_grab_pending(w);

		if (ret >= 0)
			return ret;
		if (i < 32) {
			cpu_relax();
		} else if (i < 128) {
			sched_yield();
		} else {
			struct timespec ts = { 0, 50000 };

			nanosleep(&ts, NULL);
		}
	}
}

bool uwq_cancel_work(struct uwq_work *w)
{
	int ret;

	if (!w)
		return false;
	ret = uwq__grab_pending(w);
	atomic_fetch_and(&w->data, ~WORK_PENDING);
	return ret;
}

bool uwq_cancel_delayed_work(struct uwq_delayed_work *dw)
{
	return dw ? uwq_cancel_work(&dw->work) : false;
}

bool uwq_work_pending(const struct uwq_work *w)
{
	unsigned long v;

	if (!w)
		return false;
	/* Advisory: relaxed is enough for a snapshot. Pending in a parent
	 * before fork() is not pending here. */
	v = __atomic_load_n(&w->data, __ATOMIC_RELAXED);
	return (v & WORK_PENDING) && (v & WORK_GEN_MASK) == uwq__work_gen_bits();
}

unsigned uwq_work_busy(const struct uwq_work *w)
{
	unsigned ret = 0;

	if (!w)
		return 0;
	if (uwq_work_pending(w))
		ret |= UWQ_WORK_BUSY_PENDING;
	if (uwq__busy_find(w, READ_ONCE(((struct uwq_work *)w)->func)))
		ret |= UWQ_WORK_BUSY_RUNNING;
	return ret;
}

struct uwq_work *uwq_current_work(void)
{
	struct uwq__worker *worker = uwq__current_worker;

	return worker ? worker->current_work : NULL;
}

struct uwq__pwq *uwq__pwq_alloc(struct uwq_workqueue *wq, struct uwq__pool *pool, int max_active)
{
	/* 64-byte aligned: pwqs of different queues never share a line. */
	struct uwq__pwq *pwq = uwq__fault(UWQ_FAULT_ALLOC) ? NULL :
			       aligned_alloc(64, (sizeof(*pwq) + 63) & ~(size_t)63);

	if (!pwq)
		return NULL;
	memset(pwq, 0, sizeof(*pwq));
	pwq->pool = pool;
	pwq->wq = wq;
	pwq->max_active = max_active;
	pwq->flush_color = -1;
	wlist_init(&pwq->inactive);
	return pwq;
}

/* uwq__g.lock held (the unbound pools are looked up and made). */
int uwq__wq_init(struct uwq_workqueue *wq, const char *name, unsigned flags, int max_active)
{
	int err;

	snprintf(wq->name, sizeof(wq->name), "%s", name);
	wq->flags = flags;
	wq->saved_max_active = max_active;
	err = uwq__wq_init_pwqs(wq);
	if (err)
		return err;
	pthread_mutex_init(&wq->flush_lock, NULL);
	pthread_cond_init(&wq->flush_cond, NULL);
	wq->flushing = false;
	wq->nr_pwqs_to_flush = 0;
	wq->draining = 0;
	wq->drain_reported = 0;
	/* Not nr_armed: a system queue's items stay armed across
	 * uwq_shutdown() and this re-init (init.c); a new queue is zeroed. */
	wq->dying = false;
	wq->dying_reported = 0;
	wq->gen = READ_ONCE(uwq__fork_gen);
	wq->stale_reported = 0;
	list_init(&wq->node);
	return 0;
}

void uwq__wq_release(struct uwq_workqueue *wq)
{
	if (wq->pwq_table) {
		pthread_mutex_destroy(&wq->flush_lock);
		pthread_cond_destroy(&wq->flush_cond);
	}
	uwq__wq_free_pwqs(wq);
}

static const struct {
	const char *name;
	unsigned flags;
	int max_active;
} system_wq_defs[UWQ_NR_SYSTEM_WQS] = {
	{ "events", 0, UWQ_DFL_ACTIVE },
	{ "events_highpri", UWQ_HIGHPRI, UWQ_DFL_ACTIVE },
	{ "events_long", 0, UWQ_DFL_ACTIVE },
	{ "events_unbound", UWQ_UNBOUND, UWQ_MAX_ACTIVE },
	{ "events_freezable", UWQ_FREEZABLE, UWQ_DFL_ACTIVE },
};

/* Called from uwq__init_slow() with uwq__g.lock held. */
void uwq__system_wqs_init(void)
{
	for (int i = 0; i < UWQ_NR_SYSTEM_WQS; i++) {
		struct uwq_workqueue *wq = &system_wqs[i];

		if (uwq__wq_init(wq, system_wq_defs[i].name, system_wq_defs[i].flags,
				 system_wq_defs[i].max_active)) {
			uwq__log("cannot start: out of memory; aborting");
			abort();
		}
		wq->is_system = true;
		list_add_tail(&wq->node, &uwq__g.wqs);
	}
}

/* fork.c: the child rebuilds the system queues at its first use. */
void uwq__system_wqs_forget(void)
{
	memset(system_wqs, 0, sizeof(system_wqs));
}

/* Called from uwq_shutdown() with uwq__g.lock held. */
void uwq__system_wqs_release(void)
{
	for (int i = 0; i < UWQ_NR_SYSTEM_WQS; i++) {
		list_del(&system_wqs[i].node);
		uwq__wq_release(&system_wqs[i]);
	}
}

static struct uwq_workqueue *alloc_wq(const char *name, unsigned flags, int max_active)
{
	struct uwq_workqueue *wq;
	int err;

	if (!name || (flags & ~UWQ_FLAGS_PUBLIC & ~__UWQ_ORDERED) || max_active < 0) {
		errno = EINVAL;
		return NULL;
	}
	if (max_active == 0)
		max_active = UWQ_DFL_ACTIVE;
	if (max_active > UWQ_MAX_ACTIVE) {
		uwq__log("workqueue %s: max_active %d clamped to %d", name, max_active, UWQ_MAX_ACTIVE);
		max_active = UWQ_MAX_ACTIVE;
	}
	uwq__ensure_init();
	wq = uwq__zalloc(sizeof(*wq));
	if (!wq) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_lock(&uwq__g.lock);
	err = uwq__wq_init(wq, name, flags, max_active);
	pthread_mutex_unlock(&uwq__g.lock);
	if (!err && (flags & UWQ_MEM_RECLAIM)) {
		err = uwq__rescuer_create(wq);
		if (err)
			uwq__wq_release(wq);
	}
	if (err) {
		free(wq);
		errno = -err;
		return NULL;
	}
	pthread_mutex_lock(&uwq__g.lock);
	uwq__freeze_new_wq(wq);
	list_add_tail(&wq->node, &uwq__g.wqs);
	pthread_mutex_unlock(&uwq__g.lock);
	return wq;
}

struct uwq_workqueue *uwq_alloc_workqueue(const char *name, unsigned flags, int max_active)
{
	if (flags & __UWQ_ORDERED) {
		errno = EINVAL;
		return NULL;
	}
	return alloc_wq(name, flags, max_active);
}

struct uwq_workqueue *uwq_alloc_ordered_workqueue(const char *name, unsigned flags)
{
	if (flags & ~UWQ_FLAGS_PUBLIC) {
		errno = EINVAL;
		return NULL;
	}
	return alloc_wq(name, flags | UWQ_UNBOUND | __UWQ_ORDERED, 1);
}

int uwq_workqueue_set_max_active(struct uwq_workqueue *wq, int max_active)
{
	struct uwq__pwq *pwq;

	if (!wq || max_active < 0 || (wq->flags & __UWQ_ORDERED))
		return -EINVAL;
	if (uwq__wq_stale(wq))
		return -ECHILD;
	if (max_active == 0)
		max_active = UWQ_DFL_ACTIVE;
	if (max_active > UWQ_MAX_ACTIVE)
		max_active = UWQ_MAX_ACTIVE;
	pthread_mutex_lock(&wq->flush_lock);
	wq->saved_max_active = max_active;
	for_each_pwq(pwq, wq) {
		if (wq->frozen)
			break;
		pthread_mutex_lock(&pwq->pool->lock);
		pwq->max_active = max_active;
		uwq__pwq_activate(pwq);
		uwq__kick_pool(pwq->pool);
		pthread_mutex_unlock(&pwq->pool->lock);
	}
	pthread_mutex_unlock(&wq->flush_lock);
	return 0;
}

static bool wq_busy(struct uwq_workqueue *wq)
{
	struct uwq__pwq *pwq;
	bool busy = false;

	for_each_pwq(pwq, wq) {
		pthread_mutex_lock(&pwq->pool->lock);
		busy |= pwq->nr_in_flight[0] || pwq->nr_in_flight[1] || pwq->nr_active || pwq->nr_inactive;
		pthread_mutex_unlock(&pwq->pool->lock);
	}
	return busy;
}

void uwq_destroy_workqueue(struct uwq_workqueue *wq)
{
	if (!wq)
		return;
	if (uwq__wq_stale(wq))
		return;	/* the parent's: leaked in the child (fork.c) */
	if (wq->is_system) {
		uwq__log("uwq_destroy_workqueue(%s): system workqueues cannot be destroyed", wq->name);
		return;
	}
	if (current_wq() == wq) {
		char fn[UWQ_FN_NAME_LEN];

		/* Before the timers are touched: the queue stays usable. */
		uwq__log("uwq_destroy_workqueue(%s) from its own work function %s would wait for itself; refused",
			 wq->name, uwq__fn_name((const void *)uwq__current_worker->current_func, fn, sizeof(fn)));
		return;
	}
	/* Armed items run now, not into freed memory later (delayed.c). */
	uwq__timer_expedite_wq(wq);
	uwq__report_frozen_wait(wq, "uwq_destroy_workqueue");
	if (uwq_drain_workqueue(wq) != 0)
		return;
	if (wq_busy(wq)) {
		/* The kernel leaks a busy queue rather than free live memory. */
		uwq__log("uwq_destroy_workqueue(%s): still busy after draining; leaking it", wq->name);
		return;
	}
	uwq__rescuer_destroy(wq);
	pthread_mutex_lock(&uwq__g.lock);
	list_del(&wq->node);
	pthread_mutex_unlock(&uwq__g.lock);
	uwq__wq_release(wq);
	free(wq);
}

bool uwq__wq_idle(struct uwq_workqueue *wq)
{
	return !wq_busy(wq);
}

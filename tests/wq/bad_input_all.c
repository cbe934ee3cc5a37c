/* SPDX-License-Identifier: MIT */
/*
 * Every public call, given bad input, returns its documented result (or,
 * where the header says nothing, what the code does and docs/bad-input.md
 * records), never crashes and never hangs: the survey behind
 * docs/bad-input.md (STYLE.md "Errors": "misuse that would hang is
 * reported once (one line naming the function) and returns the documented
 * value"; the Return: lines of include/uwq/{workqueue,irq,async,ordered,
 * stats}.h). Each test_* function below is one table of that document;
 * the document names the function that checks each row.
 *
 * Bad inputs tried: NULL pointers; negative, zero and huge numbers
 * (INT_MIN, INT_MAX, UINT64_MAX); unknown flag bits; unknown line numbers
 * (0, -1, 256, 999, INT_MIN, INT_MAX) and a destroyed line; double and
 * wrong-dev_id free_irq; cancel/flush of never-queued and zeroed items;
 * empty masks and masks of CPUs uwq does not serve; invalid nice and
 * scope; misuse from inside work functions, async functions, ordered
 * steps and interrupt handlers where the header documents a refusal.
 * A report is checked to be exactly one "uwq: " line where documented.
 *
 * Known bugs (docs/bad-input.md "BUG" rows) are not run by default, so the
 * suite stays green while they are open; each is a reproducer:
 *   test_wq_bad_input_all --bug NAME   runs one (crashes, hangs or exits 1)
 *   test_wq_bad_input_all --bugs       runs each in a child; exit 1 if any
 *                                      still reproduces, 0 once all are fixed
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <uwq/async.h>
#include <uwq/irq.h>
#include <uwq/ordered.h>
#include <uwq/stats.h>
#include <uwq/workqueue.h>

#include "util.h"

/* ---- helpers ------------------------------------------------------------- */

#define EXPECT_RC(expr, want) do {						\
	int rc_ = (expr);							\
	CHECK(rc_ == (want), "%s returned %d (%s), want %d (%s)", #expr, rc_,	\
	      rc_ < 0 ? strerror(-rc_) : "not an error", (want),		\
	      (want) < 0 ? strerror(-(want)) : "success");			\
} while (0)

#define EXPECT_NULL_ERRNO(expr, err) do {					\
	void *p_;								\
	int e_;									\
	errno = 0;								\
	p_ = (void *)(expr);							\
	e_ = errno;								\
	CHECK(p_ == NULL, "%s succeeded", #expr);				\
	CHECK(e_ == (err), "%s: errno %d (%s), want %s", #expr, e_, strerror(e_), #err); \
} while (0)

/* Run @stmt with stderr captured; it must print exactly @n "uwq: " lines. */
#define EXPECT_REPORTS(n, stmt) do {						\
	char *cap_;								\
	int lines_;								\
	capture_stderr_begin();							\
	stmt;									\
	cap_ = capture_stderr_end();						\
	lines_ = count_lines_starting(cap_, "uwq: ");				\
	free(cap_);								\
	CHECK(lines_ == (n), "%s printed %d \"uwq: \" lines, want %d", #stmt, lines_, (n)); \
} while (0)

struct item {
	struct uwq_work	w;
	atomic_int	runs;
};

static void item_fn(struct uwq_work *w)
{
	atomic_fetch_add(&container_of(w, struct item, w)->runs, 1);
}

static void item_init(struct item *it)
{
	uwq_work_init(&it->w, item_fn);
	atomic_store(&it->runs, 0);
}

static atomic_int gate;
static atomic_int gated_started;	/* its function has begun */

static void gated_fn(struct uwq_work *w)
{
	atomic_store(&gated_started, 1);
	GATE_WAIT(atomic_load(&gate), "gated item: gate never opened");
	atomic_fetch_add(&container_of(w, struct item, w)->runs, 1);
}

/* Open file descriptors of this process. */
static bool cpu_served(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CHECK(sched_getaffinity(0, sizeof(set), &set) == 0, "sched_getaffinity");
	return cpu >= 0 && cpu < CPU_SETSIZE && CPU_ISSET(cpu, &set);
}

/* A CPU number below CPU_SETSIZE outside the affinity mask, or -1. */
static int unserved_cpu(void)
{
	for (int cpu = CPU_SETSIZE - 1; cpu >= 0; cpu--)
		if (!cpu_served(cpu))
			return cpu;
	return -1;
}

/* ==== workqueue.h ========================================================= */

static void test_wq_init_and_alloc(void)
{
	struct uwq_workqueue *wq;
	struct item it;

	PHASE(__func__);
	uwq_work_init(NULL, item_fn);			/* NULL: no-op */
	uwq_delayed_work_init(NULL, item_fn);

	EXPECT_NULL_ERRNO(uwq_alloc_workqueue(NULL, 0, 0), EINVAL);
	EXPECT_NULL_ERRNO(uwq_alloc_workqueue("bad", 1u << 0, 0), EINVAL);	/* kernel WQ_BH */
	EXPECT_NULL_ERRNO(uwq_alloc_workqueue("bad", 1u << 17, 0), EINVAL);	/* internal ordered bit */
	EXPECT_NULL_ERRNO(uwq_alloc_workqueue("bad", 1u << 31, 0), EINVAL);
	EXPECT_NULL_ERRNO(uwq_alloc_workqueue("bad", ~0u, 0), EINVAL);
	EXPECT_NULL_ERRNO(uwq_alloc_workqueue("bad", 0, -1), EINVAL);
	EXPECT_NULL_ERRNO(uwq_alloc_workqueue("bad", 0, INT_MIN), EINVAL);
	EXPECT_NULL_ERRNO(uwq_alloc_ordered_workqueue(NULL, 0), EINVAL);
	EXPECT_NULL_ERRNO(uwq_alloc_ordered_workqueue("bad", 1u << 17), EINVAL);
	EXPECT_NULL_ERRNO(uwq_alloc_ordered_workqueue("bad", ~0u), EINVAL);

	/* Huge max_active: clamped with one warning; empty and long names work. */
	EXPECT_REPORTS(1, wq = uwq_alloc_workqueue("huge", UWQ_UNBOUND, INT_MAX));
	CHECK(wq, "max_active INT_MAX refused: %s", strerror(errno));
	item_init(&it);
	CHECK(uwq_queue_work(wq, &it.w), "queueing on the clamped queue failed");
	EXPECT_RC(uwq_flush_workqueue(wq), 0);
	CHECK(atomic_load(&it.runs) == 1, "item ran %d times", atomic_load(&it.runs));
	uwq_destroy_workqueue(wq);
	wq = uwq_alloc_workqueue("", 0, 0);
	CHECK(wq, "empty name refused");
	uwq_destroy_workqueue(wq);
	wq = uwq_alloc_workqueue("a-name-that-is-much-longer-than-thirty-one-characters-long", 0, 0);
	CHECK(wq, "long name refused");
	uwq_destroy_workqueue(wq);
}

static void test_wq_destroy(void)
{
	struct item it;

	PHASE(__func__);
	uwq_destroy_workqueue(NULL);			/* no-op */
	EXPECT_REPORTS(1, uwq_destroy_workqueue(uwq_system_wq));
	EXPECT_REPORTS(1, uwq_destroy_workqueue(uwq_system_unbound_wq));
	item_init(&it);
	CHECK(uwq_schedule_work(&it.w), "system_wq unusable after a refused destroy");
	uwq_flush_work(&it.w);
	CHECK(atomic_load(&it.runs) == 1, "item ran %d times", atomic_load(&it.runs));
}

static void test_wq_attrs(void)
{
	struct uwq_workqueue *u = uwq_alloc_workqueue("attrs_u", UWQ_UNBOUND, 0);
	struct uwq_workqueue *b = uwq_alloc_workqueue("attrs_b", 0, 0);
	struct uwq_workqueue *o = uwq_alloc_ordered_workqueue("attrs_o", 0);
	struct uwq_workqueue_attrs *a = uwq_alloc_workqueue_attrs(), before, after;
	static const int bad_nice[] = { -21, 20, INT_MIN, INT_MAX };
	static const int bad_scope[] = { -1, UWQ_AFFN_NR, 1000, INT_MIN };
	int off = unserved_cpu();
	cpu_set_t pod;

	PHASE(__func__);
	CHECK(u && b && o && a, "alloc: %s", strerror(errno));
	uwq_free_workqueue_attrs(NULL);			/* no-op */
	EXPECT_RC(uwq_workqueue_get_attrs(u, &before), 0);

	EXPECT_RC(uwq_apply_workqueue_attrs(NULL, a), -EINVAL);
	EXPECT_RC(uwq_apply_workqueue_attrs(u, NULL), -EINVAL);
	EXPECT_RC(uwq_apply_workqueue_attrs(b, a), -EINVAL);		/* bound */
	EXPECT_RC(uwq_apply_workqueue_attrs(o, a), -EINVAL);		/* ordered */
	EXPECT_RC(uwq_apply_workqueue_attrs(uwq_system_wq, a), -EINVAL);
	for (size_t i = 0; i < ARRAY_SIZE(bad_nice); i++) {
		a->nice = bad_nice[i];
		EXPECT_RC(uwq_apply_workqueue_attrs(u, a), -EINVAL);
	}
	a->nice = 0;
	for (size_t i = 0; i < ARRAY_SIZE(bad_scope); i++) {
		a->affn_scope = (enum uwq_affn_scope)bad_scope[i];
		EXPECT_RC(uwq_apply_workqueue_attrs(u, a), -EINVAL);
	}
	a->affn_scope = UWQ_AFFN_DFL;
	if (off >= 0) {
		CPU_ZERO(&a->cpumask);
		CPU_SET(off, &a->cpumask);
		EXPECT_RC(uwq_apply_workqueue_attrs(u, a), -EINVAL);	/* no CPU uwq serves */
		CPU_ZERO(&a->cpumask);
	}
	EXPECT_RC(uwq_workqueue_get_attrs(u, &after), 0);
	CHECK(after.nice == before.nice && after.affn_scope == before.affn_scope &&
	      CPU_EQUAL(&after.cpumask, &before.cpumask), "a refused apply changed the attributes");
	/* An all-zero mask means every CPU: accepted. */
	EXPECT_RC(uwq_apply_workqueue_attrs(u, a), 0);

	EXPECT_RC(uwq_workqueue_get_attrs(NULL, &after), -EINVAL);
	EXPECT_RC(uwq_workqueue_get_attrs(u, NULL), -EINVAL);

	EXPECT_RC(uwq_workqueue_cpu_pod(NULL, 0, &pod), -EINVAL);
	EXPECT_RC(uwq_workqueue_cpu_pod(u, 0, NULL), -EINVAL);
	EXPECT_RC(uwq_workqueue_cpu_pod(u, -1, &pod), -EINVAL);
	EXPECT_RC(uwq_workqueue_cpu_pod(u, INT_MIN, &pod), -EINVAL);
	EXPECT_RC(uwq_workqueue_cpu_pod(u, INT_MAX, &pod), -EINVAL);
	EXPECT_RC(uwq_workqueue_cpu_pod(u, CPU_SETSIZE, &pod), -EINVAL);
	if (off >= 0)
		EXPECT_RC(uwq_workqueue_cpu_pod(u, off, &pod), -EINVAL);

	uwq_free_workqueue_attrs(a);
	uwq_destroy_workqueue(u);
	uwq_destroy_workqueue(b);
	uwq_destroy_workqueue(o);
}

static void test_wq_limits(void)
{
	struct uwq_workqueue *wq = uwq_alloc_workqueue("limits", 0, 0);
	struct uwq_workqueue *o = uwq_alloc_ordered_workqueue("limits_o", 0);
	struct uwq_pool_limits l;
	struct uwq_config dfl;

	PHASE(__func__);
	CHECK(wq && o, "alloc: %s", strerror(errno));
	uwq_config_defaults(&dfl);
	EXPECT_RC(uwq_set_pool_limits(NULL), -EINVAL);
	l = (struct uwq_pool_limits){ .max_workers = 1, .idle_reserve = 2 };
	EXPECT_RC(uwq_set_pool_limits(&l), -EINVAL);
	l = (struct uwq_pool_limits){ .max_workers = -1, .idle_reserve = 2 };
	EXPECT_RC(uwq_set_pool_limits(&l), -EINVAL);
	l = (struct uwq_pool_limits){ .max_workers = INT_MIN, .idle_reserve = 2 };
	EXPECT_RC(uwq_set_pool_limits(&l), -EINVAL);
	l = (struct uwq_pool_limits){ .max_workers = 0, .idle_reserve = -1 };
	EXPECT_RC(uwq_set_pool_limits(&l), -EINVAL);
	l = (struct uwq_pool_limits){ .max_workers = INT_MAX, .idle_reserve = INT_MAX,
				      .idle_timeout_ns = dfl.idle_timeout_ns };
	EXPECT_RC(uwq_set_pool_limits(&l), 0);		/* huge but valid */
	l = (struct uwq_pool_limits){ .max_workers = dfl.max_workers, .idle_reserve = dfl.idle_reserve,
				      .idle_timeout_ns = dfl.idle_timeout_ns };
	EXPECT_RC(uwq_set_pool_limits(&l), 0);		/* back to the defaults */

	EXPECT_RC(uwq_workqueue_set_max_active(NULL, 1), -EINVAL);
	EXPECT_RC(uwq_workqueue_set_max_active(wq, -1), -EINVAL);
	EXPECT_RC(uwq_workqueue_set_max_active(wq, INT_MIN), -EINVAL);
	EXPECT_RC(uwq_workqueue_set_max_active(o, 1), -EINVAL);		/* ordered */
	EXPECT_RC(uwq_workqueue_set_max_active(wq, INT_MAX), 0);	/* clamped */
	EXPECT_RC(uwq_workqueue_set_max_active(wq, 0), 0);		/* default */

	EXPECT_RC(uwq_workqueue_set_max_pending(NULL, 1), -EINVAL);
	EXPECT_RC(uwq_workqueue_set_max_pending(wq, -1), -EINVAL);
	EXPECT_RC(uwq_workqueue_set_max_pending(wq, INT_MIN), -EINVAL);
	EXPECT_RC(uwq_workqueue_set_max_pending(wq, INT_MAX), 0);
	EXPECT_RC(uwq_workqueue_set_max_pending(wq, 0), 0);
	uwq_destroy_workqueue(wq);
	uwq_destroy_workqueue(o);
}

static void test_wq_queue(void)
{
	struct uwq_workqueue *wq = uwq_alloc_workqueue("queue", 0, 0);
	static const int cpus[] = { -1, -2, INT_MIN, INT_MAX, CPU_SETSIZE, 100000 };
	struct item it, g;
	struct uwq_delayed_work dw;

	PHASE(__func__);
	CHECK(wq, "alloc: %s", strerror(errno));
	item_init(&it);
	CHECK(!uwq_queue_work(NULL, &it.w), "queue_work(NULL wq)");
	CHECK(!uwq_queue_work(wq, NULL), "queue_work(NULL item)");
	CHECK(!uwq_queue_work_on(0, NULL, &it.w), "queue_work_on(NULL wq)");
	CHECK(!uwq_queue_work_on(0, wq, NULL), "queue_work_on(NULL item)");
	CHECK(!uwq_schedule_work(NULL), "schedule_work(NULL)");
	EXPECT_RC(uwq_try_queue_work(NULL, &it.w), -EINVAL);
	EXPECT_RC(uwq_try_queue_work(wq, NULL), -EINVAL);
	CHECK(!uwq_work_pending(&it.w) && atomic_load(&it.runs) == 0, "a refused item is pending or ran");

	/* Any CPU number falls back to a served CPU: the item runs once. */
	for (size_t i = 0; i < ARRAY_SIZE(cpus); i++) {
		item_init(&it);
		CHECK(uwq_queue_work_on(cpus[i], wq, &it.w), "queue_work_on(%d) refused", cpus[i]);
		uwq_flush_work(&it.w);
		CHECK(atomic_load(&it.runs) == 1, "cpu %d: item ran %d times", cpus[i],
		      atomic_load(&it.runs));
		item_init(&it);
		CHECK(uwq_queue_work_on(cpus[i], uwq_system_unbound_wq, &it.w), "unbound: refused");
		uwq_flush_work(&it.w);
		CHECK(atomic_load(&it.runs) == 1, "unbound, cpu %d: ran %d times", cpus[i],
		      atomic_load(&it.runs));
	}

	/* Already pending (behind a gated item on an ordered queue): false /
	 * -EALREADY, and it runs once. */
	{
		struct uwq_workqueue *oq = uwq_alloc_ordered_workqueue("queue_o", 0);

		CHECK(oq, "alloc: %s", strerror(errno));
		uwq_work_init(&g.w, gated_fn);
		atomic_store(&g.runs, 0);
		atomic_store(&gate, 0);
		CHECK(uwq_queue_work(oq, &g.w), "queueing the gated item failed");
		item_init(&it);
		CHECK(uwq_queue_work(oq, &it.w), "first queueing failed");
		CHECK(!uwq_queue_work(oq, &it.w), "queueing a pending item returned true");
		CHECK(!uwq_queue_work_on(INT_MAX, oq, &it.w), "queue_work_on of a pending item");
		CHECK(!uwq_queue_work(wq, &it.w), "queueing a pending item on another queue");
		EXPECT_RC(uwq_try_queue_work(oq, &it.w), -EALREADY);
		atomic_store(&gate, 1);
		EXPECT_RC(uwq_flush_workqueue(oq), 0);
		CHECK(atomic_load(&it.runs) == 1 && atomic_load(&g.runs) == 1, "runs %d %d",
		      atomic_load(&it.runs), atomic_load(&g.runs));
		uwq_destroy_workqueue(oq);
	}

	/* Delayed: NULLs, pending, and a huge delay that must stay armed. */
	uwq_delayed_work_init(&dw, item_fn);
	CHECK(!uwq_queue_delayed_work(NULL, &dw, 0), "queue_delayed_work(NULL wq)");
	CHECK(!uwq_queue_delayed_work(wq, NULL, 0), "queue_delayed_work(NULL item)");
	CHECK(!uwq_mod_delayed_work(NULL, &dw, 0), "mod_delayed_work(NULL wq)");
	CHECK(!uwq_mod_delayed_work(wq, NULL, 0), "mod_delayed_work(NULL item)");
	CHECK(uwq_queue_delayed_work(wq, &dw, (uint64_t)INT64_MAX), "arming for INT64_MAX ns failed");
	CHECK(!uwq_queue_delayed_work(wq, &dw, 1), "arming an armed item returned true");
	CHECK(!uwq_queue_work(wq, &dw.work), "queueing an armed item returned true");
	CHECK(uwq_work_pending(&dw.work) && uwq_work_busy(&dw.work) == UWQ_WORK_BUSY_PENDING,
	      "an item armed for INT64_MAX ns is not pending (busy %#x)", uwq_work_busy(&dw.work));
	CHECK(uwq_mod_delayed_work(wq, &dw, (uint64_t)INT64_MAX), "mod of an armed item returned false");
	CHECK(uwq_cancel_delayed_work_sync(&dw), "cancel of an armed item returned false");
	CHECK(!uwq_work_pending(&dw.work), "pending after cancel");
	uwq_destroy_workqueue(wq);
}

/* Drain: other queueing is refused, reported once per drain. */
static struct uwq_workqueue *drain_wq;
static atomic_int drain_returned;

static void *drainer(void *arg)
{
	(void)arg;
	CHECK(uwq_drain_workqueue(drain_wq) == 0, "drain failed");
	atomic_store(&drain_returned, 1);
	return NULL;
}

static void test_wq_draining(void)
{
	struct item g, x, y;
	pthread_t t;
	int rc, x_queued = 0;

	PHASE(__func__);
	drain_wq = uwq_alloc_workqueue("draining", 0, 0);
	CHECK(drain_wq, "alloc: %s", strerror(errno));
	uwq_work_init(&g.w, gated_fn);
	atomic_store(&g.runs, 0);
	atomic_store(&gate, 0);
	item_init(&x);
	item_init(&y);
	CHECK(uwq_queue_work(drain_wq, &g.w), "queueing failed");
	t = start_thread(drainer, NULL);
	/* -ESHUTDOWN once the drain has started (no report); an earlier try
	 * simply queues x (which may run and be queued again meanwhile). */
	for (uint64_t end = now_ns() + UTIL_WAIT_NS;;) {
		rc = uwq_try_queue_work(drain_wq, &x.w);
		if (rc == 0)
			x_queued++;
		if (rc == -ESHUTDOWN)
			break;
		CHECK(now_ns() < end, "try_queue_work during drain = %d", rc);
		sched_yield();
	}
	EXPECT_REPORTS(1, CHECK(!uwq_queue_work(drain_wq, &y.w), "queue_work while draining"));
	EXPECT_REPORTS(0, CHECK(!uwq_queue_work(drain_wq, &y.w), "queue_work while draining (2)"));
	EXPECT_REPORTS(0, EXPECT_RC(uwq_try_queue_work(drain_wq, &y.w), -ESHUTDOWN));
	CHECK(!atomic_load(&drain_returned), "drain returned while an item was running");
	atomic_store(&gate, 1);
	join_thread(t);
	CHECK(atomic_load(&y.runs) == 0 && !uwq_work_pending(&y.w), "a refused item ran or is pending");
	CHECK(uwq_queue_work(drain_wq, &y.w), "queueing after the drain failed");
	EXPECT_RC(uwq_flush_workqueue(drain_wq), 0);
	CHECK(atomic_load(&y.runs) == 1 && atomic_load(&g.runs) == 1 && atomic_load(&x.runs) == x_queued,
	      "runs: y %d g %d x %d (x queued %d times)", atomic_load(&y.runs), atomic_load(&g.runs),
	      atomic_load(&x.runs), x_queued);
	uwq_destroy_workqueue(drain_wq);
}

static void test_wq_backpressure(void)
{
	struct uwq_workqueue *wq = uwq_alloc_workqueue("bp", 0, 1);
	struct item g, a, b;

	PHASE(__func__);
	CHECK(wq, "alloc: %s", strerror(errno));
	uwq_work_init(&g.w, gated_fn);
	atomic_store(&g.runs, 0);
	atomic_store(&gate, 0);
	atomic_store(&gated_started, 0);
	item_init(&a);
	item_init(&b);
	EXPECT_RC(uwq_workqueue_set_max_pending(wq, 1), 0);
	CHECK(uwq_queue_work(wq, &g.w), "queueing failed");
	/* Started items give their slot back, before their function begins
	 * (busy == RUNNING shows a step earlier): wait until g's has. */
	WAIT_UNTIL(atomic_load(&gated_started), "gated item never started (busy %#x)", uwq_work_busy(&g.w));
	EXPECT_RC(uwq_try_queue_work(wq, &a.w), 0);
	EXPECT_RC(uwq_try_queue_work(wq, &a.w), -EALREADY);
	EXPECT_RC(uwq_try_queue_work(wq, &b.w), -EAGAIN);
	atomic_store(&gate, 1);
	EXPECT_RC(uwq_flush_workqueue(wq), 0);
	CHECK(atomic_load(&a.runs) == 1 && atomic_load(&b.runs) == 0, "runs a %d b %d",
	      atomic_load(&a.runs), atomic_load(&b.runs));
	uwq_destroy_workqueue(wq);
}

static void test_wq_idle_items(void)
{
	struct item it;
	struct uwq_delayed_work dw;
	struct uwq_work zero;

	PHASE(__func__);
	item_init(&it);
	uwq_delayed_work_init(&dw, item_fn);
	memset(&zero, 0, sizeof(zero));
	CHECK(!uwq_flush_work(NULL) && !uwq_flush_delayed_work(NULL), "flush(NULL)");
	CHECK(!uwq_cancel_work(NULL) && !uwq_cancel_work_sync(NULL), "cancel(NULL)");
	CHECK(!uwq_cancel_delayed_work(NULL) && !uwq_cancel_delayed_work_sync(NULL), "cancel_delayed(NULL)");
	CHECK(!uwq_work_pending(NULL) && uwq_work_busy(NULL) == 0, "pending/busy(NULL)");
	EXPECT_RC(uwq_flush_workqueue(NULL), -EINVAL);
	EXPECT_RC(uwq_drain_workqueue(NULL), -EINVAL);

	/* Never queued (initialised, or only zeroed): idle, nothing to do. */
	CHECK(!uwq_flush_work(&it.w) && !uwq_flush_work(&zero), "flush of a never-queued item");
	CHECK(!uwq_flush_delayed_work(&dw), "flush_delayed of a never-armed item");
	CHECK(!uwq_cancel_work(&it.w) && !uwq_cancel_work(&zero), "cancel of a never-queued item");
	CHECK(!uwq_cancel_work_sync(&it.w) && !uwq_cancel_work_sync(&zero), "cancel_sync, never queued");
	CHECK(!uwq_cancel_delayed_work(&dw) && !uwq_cancel_delayed_work_sync(&dw), "cancel_delayed, idle");
	CHECK(!uwq_work_pending(&it.w) && uwq_work_busy(&it.w) == 0 && uwq_work_busy(&zero) == 0,
	      "a never-queued item is busy");
	CHECK(uwq_current_work() == NULL, "current_work outside a worker");
	/* Still usable: cancelling an idle item does not disable it. */
	CHECK(uwq_schedule_work(&it.w), "queueing after the idle calls failed");
	uwq_flush_work(&it.w);
	CHECK(atomic_load(&it.runs) == 1, "item ran %d times", atomic_load(&it.runs));
	CHECK(uwq_queue_delayed_work(uwq_system_wq, &dw, 0), "delayed item after idle calls");
	uwq_flush_delayed_work(&dw);
	/* Blocking hints outside a worker: no-ops, unbalanced too. */
	uwq_blocking_end();
	uwq_blocking_begin();
	uwq_blocking_end();
	uwq_blocking_end();
}

/* Misuse from inside a work function: refused with one report. */
enum self_op {
	SELF_FLUSH, SELF_FLUSH_DELAYED, SELF_CANCEL_SYNC, SELF_CANCEL_DELAYED_SYNC, SELF_FLUSH_WQ,
	SELF_DRAIN, SELF_DESTROY, SELF_SHUTDOWN, SELF_FLUSH_BEHIND,
	SELF_UNBALANCED_END, SELF_BEGIN_NO_END, SELF_FREEZE,
};

static _Atomic enum self_op self_op;
static atomic_int self_rc, self_done, behind_queued;
static struct uwq_workqueue *self_wq;
static struct uwq_delayed_work self_dw;
static struct item behind;

static void self_fn(struct uwq_work *w)
{
	int rc = 0;

	switch (atomic_load(&self_op)) {
	case SELF_FLUSH:
		rc = uwq_flush_work(w);
		break;
	case SELF_FLUSH_DELAYED:
		rc = uwq_flush_delayed_work(uwq_to_delayed_work(w));
		break;
	case SELF_CANCEL_SYNC:
		rc = uwq_cancel_work_sync(w);
		break;
	case SELF_CANCEL_DELAYED_SYNC:
		rc = uwq_cancel_delayed_work_sync(uwq_to_delayed_work(w));
		break;
	case SELF_FLUSH_WQ:
		rc = uwq_flush_workqueue(self_wq);
		break;
	case SELF_DRAIN:
		rc = uwq_drain_workqueue(self_wq);
		break;
	case SELF_DESTROY:
		uwq_destroy_workqueue(self_wq);
		break;
	case SELF_SHUTDOWN:
		rc = uwq_shutdown();
		break;
	case SELF_FLUSH_BEHIND:
		GATE_WAIT(atomic_load(&behind_queued), "the item behind was never queued");
		rc = uwq_flush_work(&behind.w);
		break;
	case SELF_UNBALANCED_END:
		uwq_blocking_end();
		uwq_blocking_end();
		break;
	case SELF_BEGIN_NO_END:
		uwq_blocking_begin();
		break;
	case SELF_FREEZE:
		uwq_freeze();
		break;
	default:
		break;
	}
	atomic_store(&self_rc, rc);
	atomic_store(&self_done, 1);
}

static int run_self(enum self_op op, struct uwq_workqueue *wq, int reports)
{
	struct uwq_work *w = &self_dw.work;

	atomic_store(&self_op, op);
	atomic_store(&self_done, 0);
	atomic_store(&self_rc, -12345);
	self_wq = wq;
	uwq_delayed_work_init(&self_dw, self_fn);
	EXPECT_REPORTS(reports, {
		CHECK(uwq_queue_delayed_work(wq, &self_dw, 0), "queueing op %d failed", (int)op);
		WAIT_UNTIL(atomic_load(&self_done), "op %d: the work function never returned", (int)op);
		uwq_flush_work(w);
	});
	return atomic_load(&self_rc);
}

static void test_wq_self_misuse(void)
{
	struct uwq_workqueue *wq = uwq_alloc_workqueue("self", 0, 0);
	struct uwq_workqueue *oq = uwq_alloc_ordered_workqueue("self_o", 0);
	struct uwq_workqueue *fq = uwq_alloc_workqueue("self_f", UWQ_FREEZABLE, 0);
	struct item it;

	PHASE(__func__);
	CHECK(wq && oq && fq, "alloc: %s", strerror(errno));
	CHECK(run_self(SELF_FLUSH, wq, 1) == 0, "flush_work(self) returned true");
	CHECK(run_self(SELF_FLUSH_DELAYED, wq, 1) == 0, "flush_delayed_work(self) returned true");
	CHECK(run_self(SELF_CANCEL_SYNC, wq, 1) == 0, "cancel_work_sync(self) returned true");
	CHECK(run_self(SELF_CANCEL_DELAYED_SYNC, wq, 1) == 0, "cancel_delayed_work_sync(self)");
	CHECK(run_self(SELF_FLUSH_WQ, wq, 1) == -EDEADLK, "flush_workqueue(own) != -EDEADLK");
	CHECK(run_self(SELF_DRAIN, wq, 1) == -EDEADLK, "drain_workqueue(own) != -EDEADLK");
	CHECK(run_self(SELF_SHUTDOWN, wq, 1) == -EBUSY, "uwq_shutdown() from a work function != -EBUSY");
	run_self(SELF_DESTROY, wq, 1);			/* refused: the queue lives on */
	item_init(&it);
	CHECK(uwq_queue_work(wq, &it.w), "the queue is unusable after a refused destroy");
	EXPECT_RC(uwq_flush_workqueue(wq), 0);
	CHECK(atomic_load(&it.runs) == 1, "item ran %d times", atomic_load(&it.runs));

	/* Flushing an item queued behind the caller on a max_active 1 queue. */
	item_init(&behind);
	atomic_store(&behind_queued, 0);
	atomic_store(&self_op, SELF_FLUSH_BEHIND);
	atomic_store(&self_done, 0);
	uwq_delayed_work_init(&self_dw, self_fn);
	EXPECT_REPORTS(1, {
		CHECK(uwq_queue_work(oq, &self_dw.work), "queueing failed");
		CHECK(uwq_queue_work(oq, &behind.w), "queueing behind failed");
		atomic_store(&behind_queued, 1);
		WAIT_UNTIL(atomic_load(&self_done), "the ordered item never returned");
		EXPECT_RC(uwq_flush_workqueue(oq), 0);
	});
	CHECK(atomic_load(&self_rc) == 0, "flush_work of the item behind returned true");
	CHECK(atomic_load(&behind.runs) == 1, "the item behind ran %d times", atomic_load(&behind.runs));

	/* Blocking hints misused inside a work function: ignored; items run. */
	run_self(SELF_UNBALANCED_END, wq, 0);
	run_self(SELF_BEGIN_NO_END, wq, 0);
	item_init(&it);
	CHECK(uwq_queue_work(wq, &it.w), "queueing after hint misuse failed");
	EXPECT_RC(uwq_flush_workqueue(wq), 0);
	CHECK(atomic_load(&it.runs) == 1, "item ran %d times after hint misuse", atomic_load(&it.runs));

	/* uwq_freeze() from an item of a freezable queue: its own item is not
	 * waited for; thaw restarts the queue. */
	run_self(SELF_FREEZE, fq, 0);
	uwq_freeze();					/* frozen already: no-op */
	uwq_thaw();
	item_init(&it);
	CHECK(uwq_queue_work(fq, &it.w), "queueing on the thawed queue failed");
	EXPECT_RC(uwq_flush_workqueue(fq), 0);
	CHECK(atomic_load(&it.runs) == 1, "freezable item ran %d times after thaw", atomic_load(&it.runs));
	uwq_thaw();					/* not frozen: no-op */

	uwq_destroy_workqueue(wq);
	uwq_destroy_workqueue(oq);
	uwq_destroy_workqueue(fq);
}

static void test_wq_shutdown_config(void)
{
	struct uwq_workqueue *wq = uwq_alloc_workqueue("shutdown", 0, 0);
	struct uwq_config c;
	int line;

	PHASE(__func__);
	CHECK(wq, "alloc: %s", strerror(errno));
	EXPECT_REPORTS(1, EXPECT_RC(uwq_shutdown(), -EBUSY));
	uwq_destroy_workqueue(wq);
	line = uwq_irq_create_eventfd();
	CHECK(line >= 1, "create_eventfd = %d", line);
	EXPECT_REPORTS(1, EXPECT_RC(uwq_shutdown(), -EBUSY));
	EXPECT_RC(uwq_irq_destroy(line), 0);

	uwq_config_defaults(NULL);			/* no-op */
	EXPECT_RC(uwq_configure(NULL), -EINVAL);
	uwq_config_defaults(&c);
	c.max_workers = 1;
	EXPECT_RC(uwq_configure(&c), -EINVAL);
	c.max_workers = -1;
	EXPECT_RC(uwq_configure(&c), -EINVAL);
	c.max_workers = INT_MIN;
	EXPECT_RC(uwq_configure(&c), -EINVAL);
	uwq_config_defaults(&c);
	c.idle_reserve = -1;
	EXPECT_RC(uwq_configure(&c), -EINVAL);
	uwq_config_defaults(&c);
	c.reserved[0] = 1;
	EXPECT_RC(uwq_configure(&c), -EINVAL);
	uwq_config_defaults(&c);
	c.reserved[6] = UINT64_MAX;
	EXPECT_RC(uwq_configure(&c), -EINVAL);
	uwq_config_defaults(&c);
	EXPECT_RC(uwq_configure(&c), -EBUSY);		/* valid, but uwq has started */
}

/* ==== ordered.h =========================================================== */

static atomic_int o_gate, o_runs, o_releases, o_rc, o_done;
static struct uwq_ordered_queue *o_q;
static _Atomic int o_op;	/* 0 plain, 1 flush own queue, 2 destroy own queue */

static void o_run(struct uwq_ordered_work *ow)
{
	(void)ow;
	if (atomic_load(&o_op) == 3)
		GATE_WAIT(atomic_load(&o_gate), "ordered step: gate never opened");
	atomic_fetch_add(&o_runs, 1);
}

static void o_complete(struct uwq_ordered_work *ow)
{
	(void)ow;
	switch (atomic_load(&o_op)) {
	case 1:
		atomic_store(&o_rc, uwq_ordered_queue_flush(o_q));
		atomic_store(&o_done, 1);
		break;
	case 2:
		uwq_destroy_ordered_queue(o_q);
		atomic_store(&o_done, 1);
		break;
	default:
		break;
	}
}

static void o_release(struct uwq_ordered_work *ow)
{
	(void)ow;
	atomic_fetch_add(&o_releases, 1);
}

static pid_t o_destroyer_tid;
static atomic_int o_destroy_entered;

static void *o_destroyer(void *arg)
{
	(void)arg;
	o_destroyer_tid = util_gettid();
	atomic_store(&o_destroy_entered, 1);
	uwq_destroy_ordered_queue(o_q);
	return NULL;
}

#define NPROBE	256

static void test_ordered(void)
{
	static struct uwq_ordered_work ow, ow2, probes[NPROBE];
	struct uwq_ordered_work zero;
	pthread_t t;
	int rc = 0, accepted = 0;

	PHASE(__func__);
	uwq_ordered_work_init(NULL, o_run, NULL, NULL);	/* no-op */
	EXPECT_NULL_ERRNO(uwq_alloc_ordered_queue(NULL, 0, 0), EINVAL);
	EXPECT_NULL_ERRNO(uwq_alloc_ordered_queue("bad", 1u << 17, 0), EINVAL);
	EXPECT_NULL_ERRNO(uwq_alloc_ordered_queue("bad", ~0u, 0), EINVAL);
	EXPECT_NULL_ERRNO(uwq_alloc_ordered_queue("bad", 0, -1), EINVAL);
	EXPECT_NULL_ERRNO(uwq_alloc_ordered_queue("bad", 0, INT_MIN), EINVAL);
	uwq_destroy_ordered_queue(NULL);		/* no-op */
	EXPECT_RC(uwq_ordered_queue_flush(NULL), -EINVAL);

	EXPECT_REPORTS(1, o_q = uwq_alloc_ordered_queue("ordered_bad", UWQ_UNBOUND, INT_MAX));
	CHECK(o_q, "alloc with max_active INT_MAX: %s", strerror(errno));
	memset(&zero, 0, sizeof(zero));
	uwq_ordered_work_init(&ow, o_run, o_complete, o_release);
	EXPECT_RC(uwq_ordered_queue_work(NULL, &ow), -EINVAL);
	EXPECT_RC(uwq_ordered_queue_work(o_q, NULL), -EINVAL);
	EXPECT_RC(uwq_ordered_queue_work(o_q, &zero), -EINVAL);		/* never initialised */
	uwq_ordered_work_init(&ow2, NULL, o_complete, o_release);
	EXPECT_RC(uwq_ordered_queue_work(o_q, &ow2), -EINVAL);		/* no run step */
	{
		struct uwq_work plain;

		uwq_work_init(&plain, item_fn);
		memcpy(&zero.work, &plain, sizeof(plain));	/* a plain item, not an ordered one */
		zero.run = o_run;
		EXPECT_RC(uwq_ordered_queue_work(o_q, &zero), -EINVAL);
	}

	/* Still queued: -EBUSY until released. */
	atomic_store(&o_op, 3);
	atomic_store(&o_gate, 0);
	EXPECT_RC(uwq_ordered_queue_work(o_q, &ow), 0);
	EXPECT_RC(uwq_ordered_queue_work(o_q, &ow), -EBUSY);
	atomic_store(&o_gate, 1);
	EXPECT_RC(uwq_ordered_queue_flush(o_q), 0);
	CHECK(atomic_load(&o_releases) == 1, "released %d times", atomic_load(&o_releases));

	/* Flush and destroy from the queue's own step: refused with a report. */
	atomic_store(&o_op, 1);
	atomic_store(&o_done, 0);
	EXPECT_REPORTS(1, {
		EXPECT_RC(uwq_ordered_queue_work(o_q, &ow), 0);
		WAIT_UNTIL(atomic_load(&o_done), "the step never returned");
		EXPECT_RC(uwq_ordered_queue_flush(o_q), 0);
	});
	CHECK(atomic_load(&o_rc) == -EDEADLK, "flush from its own step = %d, want -EDEADLK",
	      atomic_load(&o_rc));
	atomic_store(&o_op, 2);
	atomic_store(&o_done, 0);
	EXPECT_REPORTS(1, {
		EXPECT_RC(uwq_ordered_queue_work(o_q, &ow), 0);
		WAIT_UNTIL(atomic_load(&o_done), "the step never returned");
		EXPECT_RC(uwq_ordered_queue_flush(o_q), 0);
	});
	CHECK(atomic_load(&o_releases) == 3, "released %d times, want 3", atomic_load(&o_releases));

	/* Being destroyed: -ESHUTDOWN for other queuers. */
	atomic_store(&o_op, 3);
	atomic_store(&o_gate, 0);
	EXPECT_RC(uwq_ordered_queue_work(o_q, &ow), 0);
	t = start_thread(o_destroyer, NULL);
	WAIT_UNTIL(atomic_load(&o_destroy_entered), "destroyer never started");
	wait_task_blocked(o_destroyer_tid, 2 * NSEC_PER_SEC);
	for (int i = 0; i < NPROBE; i++) {
		uwq_ordered_work_init(&probes[i], o_run, NULL, NULL);
		rc = uwq_ordered_queue_work(o_q, &probes[i]);
		if (rc != 0)
			break;
		accepted++;				/* queued before destruction began */
	}
	CHECK(rc == -ESHUTDOWN, "queueing on a queue being destroyed = %d (%d accepted first)", rc,
	      accepted);
	atomic_store(&o_gate, 1);
	join_thread(t);
	CHECK(atomic_load(&o_releases) == 4, "released %d times, want 4", atomic_load(&o_releases));
}

/* ==== async.h ============================================================= */

static atomic_int as_runs;
static atomic_int as_waited_ok;

static void as_fn(void *data, uwq_async_cookie_t cookie)
{
	(void)data;
	(void)cookie;
	atomic_fetch_add(&as_runs, 1);
}

static void as_self_wait(void *data, uwq_async_cookie_t cookie)
{
	(void)data;
	uwq_async_synchronize_cookie(cookie);		/* its own cookie: documented to work */
	uwq_async_synchronize_cookie(0);
	uwq_async_synchronize_cookie(1);
	atomic_store(&as_waited_ok, 1);
}

static void test_async(void)
{
	struct uwq_async_domain dom = UWQ_ASYNC_DOMAIN_INIT, unused = UWQ_ASYNC_DOMAIN_INIT;
	uwq_async_cookie_t c1, c2, c3;

	PHASE(__func__);
	CHECK(uwq_async_schedule(NULL, NULL) == 0, "schedule(NULL fn) != 0");
	CHECK(uwq_async_schedule_domain(NULL, NULL, &dom) == 0, "schedule_domain(NULL fn) != 0");
	CHECK(uwq_async_schedule_domain(NULL, NULL, NULL) == 0, "schedule_domain(NULL, NULL) != 0");
	c1 = uwq_async_schedule(as_fn, NULL);
	c2 = uwq_async_schedule_domain(as_fn, NULL, NULL);	/* NULL domain: the default */
	c3 = uwq_async_schedule_domain(as_fn, NULL, &dom);
	CHECK(c1 >= 1 && c2 > c1 && c3 > c2, "cookies %llu %llu %llu", (unsigned long long)c1,
	      (unsigned long long)c2, (unsigned long long)c3);
	uwq_async_synchronize_cookie(0);			/* nothing before 0 */
	uwq_async_synchronize_cookie_domain(0, NULL);
	uwq_async_synchronize_cookie_domain(UINT64_MAX, &unused);	/* a domain never used */
	uwq_async_synchronize_full_domain(&unused);
	uwq_async_synchronize_full_domain(NULL);		/* the default domain */
	uwq_async_synchronize_cookie_domain(UINT64_MAX, NULL);
	uwq_async_synchronize_cookie(UINT64_MAX);
	uwq_async_synchronize_full_domain(&dom);
	uwq_async_synchronize_full();
	CHECK(atomic_load(&as_runs) == 3, "%d async calls ran, want 3", atomic_load(&as_runs));

	uwq_async_schedule(as_self_wait, NULL);
	uwq_async_synchronize_full();
	CHECK(atomic_load(&as_waited_ok) == 1, "an async function waiting for its own cookie");
}

/* ==== stats.h ============================================================= */

static void test_stats(void)
{
	struct uwq_hist h;
	struct uwq_wq_stats ws;
	struct uwq_pool_stats ps;
	struct uwq_irq_stats is;
	int n, rc;

	PHASE(__func__);
	memset(&h, 0, sizeof(h));
	CHECK(uwq_hist_count(NULL) == 0 && uwq_hist_percentile(NULL, 50) == 0, "NULL histogram");
	CHECK(uwq_hist_count(&h) == 0 && uwq_hist_percentile(&h, 50) == 0, "empty histogram");
	h.bucket[3] = 5;
	CHECK(uwq_hist_percentile(&h, 0) == 0 && uwq_hist_percentile(&h, -1) == 0 &&
	      uwq_hist_percentile(&h, -INFINITY) == 0 && uwq_hist_percentile(&h, NAN) == 0,
	      "percentile outside (0, 100] is not 0");
	CHECK(uwq_hist_percentile(&h, 1000) == uwq_hist_percentile(&h, 100) &&
	      uwq_hist_percentile(&h, INFINITY) == uwq_hist_percentile(&h, 100) &&
	      uwq_hist_percentile(&h, DBL_MAX) == 15, "percentile above 100 is not clamped to 100");
	CHECK(uwq_hist_percentile(&h, DBL_MIN) == 15, "tiny percentile");

	EXPECT_RC(uwq_workqueue_stats(NULL, &ws), -EINVAL);
	EXPECT_RC(uwq_workqueue_stats(uwq_system_wq, NULL), -EINVAL);
	EXPECT_RC(uwq_pool_stats(-1, &ps), -EINVAL);
	EXPECT_RC(uwq_pool_stats(INT_MIN, &ps), -EINVAL);
	EXPECT_RC(uwq_pool_stats(0, NULL), -EINVAL);
	EXPECT_RC(uwq_pool_stats(INT_MAX, &ps), -ENOENT);
	for (n = 0; uwq_pool_stats(n, &ps) == 0; n++)
		;
	EXPECT_RC(uwq_pool_stats(n, &ps), -ENOENT);
	EXPECT_RC(uwq_irq_stats(0, &is), -EINVAL);
	EXPECT_RC(uwq_irq_stats(1, NULL), -EINVAL);
	uwq_dump(NULL);					/* no-op */

	uwq_export_stop();				/* never started: no-op */
	rc = uwq_export_start(UINT_MAX);		/* ~49 days between refreshes */
	if (rc != 0) {
		NOTE("uwq_export_start: %s; export cases skipped (no /dev/shm?)", strerror(-rc));
		return;
	}
	EXPECT_RC(uwq_export_start(0), 0);		/* already started */
	uwq_export_stop();				/* must not wait for the refresh */
	uwq_export_stop();				/* stopped: no-op */
	EXPECT_RC(uwq_export_start(0), 0);		/* 0: the default period */
	uwq_export_stop();
}

/* ==== irq.h =============================================================== */

static atomic_int p_calls, t_runs, never;

static uwq_irqreturn_t count_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&p_calls, 1);
	return UWQ_IRQ_HANDLED;
}

static uwq_irqreturn_t wake_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&p_calls, 1);
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t count_thread(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&t_runs, 1);
	return UWQ_IRQ_HANDLED;
}

static uwq_irqreturn_t never_handler(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&never, 1);
	return UWQ_IRQ_HANDLED;
}

static int new_line(void)
{
	int irq = uwq_irq_create_eventfd();

	CHECK(irq >= 1, "uwq_irq_create_eventfd = %d", irq);
	return irq;
}

/* Raise @irq and wait until its primaries ran once more (counted in @ctr). */
static void raise_and_wait(int irq, atomic_int *ctr)
{
	int before = atomic_load(ctr);

	EXPECT_RC(uwq_irq_raise(irq), 0);
	WAIT_UNTIL(atomic_load(ctr) > before, "line %d: no handler ran after a raise", irq);
}

static int chip_neg_fd(void *data)
{
	(void)data;
	return -1;
}

static int chip_pipe_fd(void *data)
{
	return *(int *)data;
}

static atomic_int chip_released;

static void chip_release(void *data)
{
	(void)data;
	atomic_fetch_add(&chip_released, 1);
}

static void test_irq_create(void)
{
	const struct uwq_irq_chip nofd = { .name = "nofd", .release = chip_release };
	const struct uwq_irq_chip negfd = { .name = "negfd", .fd = chip_neg_fd, .release = chip_release };
	const struct uwq_irq_chip filechip = { .name = "file", .fd = chip_pipe_fd, .release = chip_release };
	static const unsigned bad_trigger[] = { 0, 3, 4, 1u << 31, UINT_MAX };
	static const int bad_sig[] = { 0, -1, INT_MIN, 32, 33, 65, INT_MAX };
	int pfd[2], file, closed, line, line2, rc;
	int lines[256];
	int n = 0;

	PHASE(__func__);
	CHECK(pipe(pfd) == 0, "pipe: %s", strerror(errno));
	file = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	CHECK(file >= 0, "open: %s", strerror(errno));
	/* A number that names no fd, high enough not to be reused meanwhile. */
	closed = 900;
	CHECK(fcntl(closed, F_GETFD) < 0 && errno == EBADF, "fd %d is open", closed);

	EXPECT_RC(uwq_irq_create(NULL, NULL), -EINVAL);
	EXPECT_RC(uwq_irq_create(&nofd, NULL), -EINVAL);
	EXPECT_RC(uwq_irq_create(&negfd, NULL), -EINVAL);
	EXPECT_RC(uwq_irq_create(&filechip, &file), -EPERM);	/* not pollable */
	EXPECT_RC(uwq_irq_create(&filechip, &closed), -EBADF);
	CHECK(atomic_load(&chip_released) == 0, "a failed uwq_irq_create() called release");

	EXPECT_RC(uwq_irq_create_fd(-1, UWQ_IRQ_LEVEL), -EINVAL);
	EXPECT_RC(uwq_irq_create_fd(INT_MIN, UWQ_IRQ_EDGE), -EINVAL);
	for (size_t i = 0; i < ARRAY_SIZE(bad_trigger); i++)
		EXPECT_RC(uwq_irq_create_fd(pfd[0], bad_trigger[i]), -EINVAL);
	EXPECT_RC(uwq_irq_create_fd(closed, UWQ_IRQ_LEVEL), -EBADF);
	EXPECT_RC(uwq_irq_create_fd(file, UWQ_IRQ_LEVEL), -EPERM);
	line = uwq_irq_create_fd(pfd[0], UWQ_IRQ_LEVEL);
	CHECK(line >= 1, "create_fd(pipe) = %d", line);
	EXPECT_RC(uwq_irq_create_fd(pfd[0], UWQ_IRQ_EDGE), -EEXIST);	/* the same fd twice */
	EXPECT_RC(uwq_irq_raise(line), -EINVAL);			/* not a software line */
	EXPECT_RC(uwq_irq_destroy(line), 0);

	EXPECT_RC(uwq_irq_create_timer(0), -EINVAL);
	line = uwq_irq_create_timer(UINT64_MAX);			/* ~584 years */
	CHECK(line >= 1, "create_timer(UINT64_MAX) = %d", line);
	EXPECT_RC(uwq_irq_raise(line), -EINVAL);
	EXPECT_RC(uwq_irq_destroy(line), 0);

	EXPECT_RC(uwq_irq_create_uio(NULL), -EINVAL);
	EXPECT_RC(uwq_irq_create_uio("/nonexistent/uio0"), -ENOENT);
	EXPECT_RC(uwq_irq_create_uio(""), -ENOENT);
	{
		int fds = count_fds();

		EXPECT_RC(uwq_irq_create_uio("/dev/null"), -EPERM);	/* opened, not pollable */
		CHECK(count_fds() == fds, "a failed create_uio left its fd open");
	}
	EXPECT_RC(uwq_irq_create_uio_fd(-1), -EINVAL);
	EXPECT_RC(uwq_irq_create_uio_fd(closed), -EBADF);
	EXPECT_RC(uwq_irq_create_gpio(-1), -EINVAL);
	EXPECT_RC(uwq_irq_create_gpio(closed), -EBADF);
	EXPECT_RC(uwq_irq_create_vfio(-1, 0, 0), -EINVAL);
	EXPECT_RC(uwq_irq_create_vfio(file, 0, 0), -ENOTTY);		/* not a VFIO device */
	EXPECT_RC(uwq_irq_create_vfio(closed, 0, 0), -EBADF);
	EXPECT_RC(uwq_irq_create_vfio(file, UINT_MAX, UINT_MAX), -ENOTTY);
	for (size_t i = 0; i < ARRAY_SIZE(bad_sig); i++)
		EXPECT_RC(uwq_irq_create_signal(bad_sig[i]), -EINVAL);
	/* SIGKILL cannot be read from a signalfd; uwq still makes the line. */
	line = uwq_irq_create_signal(SIGKILL);
	CHECK(line >= 1, "create_signal(SIGKILL) = %d", line);
	EXPECT_RC(uwq_irq_destroy(line), 0);

	/* Lines are numbered 1..255: the table fills with -ENOSPC. */
	while ((rc = uwq_irq_create_eventfd()) >= 1) {
		CHECK(n < (int)ARRAY_SIZE(lines) && rc <= 255, "line number %d (%d made)", rc, n);
		lines[n++] = rc;
	}
	CHECK(rc == -ENOSPC, "creating line %d: %d (%s), want -ENOSPC", n + 1, rc, strerror(-rc));
	CHECK(n >= 250, "only %d lines before -ENOSPC", n);
	EXPECT_RC(uwq_irq_create_fd(pfd[0], UWQ_IRQ_LEVEL), -ENOSPC);
	CHECK(fcntl(pfd[0], F_GETFD) >= 0, "a failed create closed the caller's fd");
	for (int i = 0; i < n; i++)
		EXPECT_RC(uwq_irq_destroy(lines[i]), 0);
	line2 = new_line();				/* room again */
	EXPECT_RC(uwq_irq_destroy(line2), 0);

	close(file);
	close(pfd[0]);
	close(pfd[1]);
}

static void test_irq_unknown_lines(void)
{
	static int dev;
	int unknown[] = { 0, -1, 256, 999, INT_MIN, INT_MAX, 0 /* destroyed, below */ };
	cpu_set_t set;
	struct uwq_irq_stats st;
	int cpus[1];

	PHASE(__func__);
	unknown[ARRAY_SIZE(unknown) - 1] = new_line();
	EXPECT_RC(uwq_irq_destroy(unknown[ARRAY_SIZE(unknown) - 1]), 0);
	affinity_cpus(cpus, 1);
	CPU_ZERO(&set);
	CPU_SET(cpus[0], &set);
	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
		int irq = unknown[i];

		EXPECT_RC(uwq_irq_raise(irq), -EINVAL);
		EXPECT_RC(uwq_irq_destroy(irq), -EINVAL);
		EXPECT_RC(uwq_irq_set_affinity(irq, &set), -EINVAL);
		EXPECT_RC(uwq_irq_stats(irq, &st), -EINVAL);
		EXPECT_RC(uwq_request_threaded_irq(irq, never_handler, never_handler, 0, "x", &dev),
			  -EINVAL);
		EXPECT_RC(uwq_request_irq(irq, never_handler, 0, "x", &dev), -EINVAL);
		EXPECT_REPORTS(1, CHECK(uwq_free_irq(irq, &dev) == NULL, "free_irq(%d)", irq));
		EXPECT_REPORTS(0, {
			uwq_disable_irq_nosync(irq);
			uwq_disable_irq(irq);
			uwq_enable_irq(irq);
			uwq_synchronize_irq(irq);
			uwq_irq_wake_thread(irq, &dev);
			uwq_irq_wake_thread(irq, NULL);
		});
	}
	CHECK(atomic_load(&never) == 0, "a handler of a refused request ran");
}

static void test_irq_request_free(void)
{
	static int devs[70];
	static const char name_a[] = "rq_a";
	int line = new_line(), line2 = new_line(), rc;

	PHASE(__func__);
	EXPECT_RC(uwq_request_threaded_irq(line, NULL, NULL, 0, "x", &devs[0]), -EINVAL);
	EXPECT_RC(uwq_request_threaded_irq(line, never_handler, NULL, 0, NULL, &devs[0]), -EINVAL);
	EXPECT_RC(uwq_request_threaded_irq(line, never_handler, NULL, 1UL << 30, "x", &devs[0]), -EINVAL);
	EXPECT_RC(uwq_request_threaded_irq(line, never_handler, NULL, ~0UL, "x", &devs[0]), -EINVAL);
	EXPECT_RC(uwq_request_threaded_irq(line, never_handler, NULL, UWQ_IRQF_SHARED, "x", NULL), -EINVAL);
	EXPECT_REPORTS(1, EXPECT_RC(uwq_request_threaded_irq(line, NULL, never_handler, 0, "x", &devs[0]),
				    -EINVAL));
	EXPECT_RC(uwq_request_irq(line, NULL, 0, "x", &devs[0]), -EINVAL);
	EXPECT_RC(uwq_request_irq(line, NULL, UWQ_IRQF_ONESHOT, "x", &devs[0]), -EINVAL);

	/* -EBUSY: a second non-shared action; a ONESHOT mismatch. */
	EXPECT_RC(uwq_request_irq(line, count_primary, 0, name_a, &devs[0]), 0);
	EXPECT_REPORTS(1, EXPECT_RC(uwq_request_irq(line, never_handler, 0, "x", &devs[1]), -EBUSY));
	EXPECT_REPORTS(1, EXPECT_RC(uwq_request_irq(line, never_handler, UWQ_IRQF_SHARED, "x", &devs[1]),
				    -EBUSY));
	/* free: wrong dev_id, NULL dev_id, double free: NULL and one warning. */
	EXPECT_REPORTS(1, CHECK(uwq_free_irq(line, &devs[1]) == NULL, "free with a wrong dev_id"));
	EXPECT_REPORTS(1, CHECK(uwq_free_irq(line, NULL) == NULL, "free with a NULL dev_id"));
	CHECK(uwq_free_irq(line, &devs[0]) == name_a, "free did not return the name pointer");
	EXPECT_REPORTS(1, CHECK(uwq_free_irq(line, &devs[0]) == NULL, "double free"));
	EXPECT_REPORTS(1, CHECK(uwq_free_irq(line2, &devs[0]) == NULL, "free on a line with no action"));
	/* A non-shared action with a NULL dev_id is freed by NULL. */
	EXPECT_RC(uwq_request_irq(line, count_primary, 0, "nulldev", NULL), 0);
	CHECK(uwq_free_irq(line, NULL) != NULL, "free(NULL dev_id) of a NULL-dev_id action");

	/* A line holds 64 ONESHOT actions (one thread_mask bit each): the
	 * 65th shared request gets -EBUSY (not listed in irq.h). */
	for (int i = 0; i < 64; i++)
		EXPECT_RC(uwq_request_irq(line, count_primary, UWQ_IRQF_SHARED | UWQ_IRQF_ONESHOT, "os",
					  &devs[i]), 0);
	EXPECT_RC(uwq_request_irq(line, never_handler, UWQ_IRQF_SHARED | UWQ_IRQF_ONESHOT, "os65",
				  &devs[64]), -EBUSY);
	atomic_store(&p_calls, 0);
	raise_and_wait(line, &p_calls);
	WAIT_UNTIL(atomic_load(&p_calls) == 64, "%d of 64 oneshot primaries ran", atomic_load(&p_calls));
	for (int i = 0; i < 64; i++)
		CHECK(uwq_free_irq(line, &devs[i]) != NULL, "free %d", i);

	/* Destroy with handlers attached: -EBUSY. */
	EXPECT_RC(uwq_request_irq(line2, count_primary, 0, "busy", &devs[0]), 0);
	EXPECT_RC(uwq_irq_destroy(line2), -EBUSY);
	CHECK(uwq_free_irq(line2, &devs[0]) != NULL, "free");
	rc = uwq_irq_destroy(line2);
	CHECK(rc == 0, "destroy = %d", rc);
	EXPECT_RC(uwq_irq_destroy(line), 0);
	CHECK(atomic_load(&never) == 0, "a refused handler ran %d times", atomic_load(&never));
}

static void test_irq_disable_affinity_wake(void)
{
	static int dev, other;
	int line = new_line(), off = unserved_cpu();
	cpu_set_t empty, set;

	PHASE(__func__);
	CPU_ZERO(&empty);
	EXPECT_RC(uwq_request_threaded_irq(line, wake_primary, count_thread, 0, "daw", &dev), 0);
	/* Unbalanced enable: one warning per line, however often. */
	EXPECT_REPORTS(1, uwq_enable_irq(line));
	EXPECT_REPORTS(0, uwq_enable_irq(line));
	/* Nesting: two disables need two enables. */
	uwq_disable_irq(line);
	uwq_disable_irq_nosync(line);
	EXPECT_RC(uwq_irq_raise(line), 0);
	uwq_enable_irq(line);
	uwq_synchronize_irq(line);
	CHECK(atomic_load(&t_runs) == 0, "a disabled line ran its thread");
	uwq_enable_irq(line);					/* delivers the kept event */
	WAIT_UNTIL(atomic_load(&t_runs) == 1, "the kept event was not delivered (thread %d)",
		   atomic_load(&t_runs));

	EXPECT_RC(uwq_irq_set_affinity(line, NULL), -EINVAL);
	EXPECT_RC(uwq_irq_set_affinity(line, &empty), -EINVAL);
	if (off >= 0) {
		/* Only CPUs the process may not use: accepted; the thread keeps
		 * its CPUs (pthread_setaffinity_np fails) and still runs. */
		CPU_ZERO(&set);
		CPU_SET(off, &set);
		EXPECT_RC(uwq_irq_set_affinity(line, &set), 0);
		raise_and_wait(line, &p_calls);
		WAIT_UNTIL(atomic_load(&t_runs) == 2, "thread after a foreign mask: %d runs",
			   atomic_load(&t_runs));
	}
	CHECK(sched_getaffinity(0, sizeof(set), &set) == 0, "sched_getaffinity");
	EXPECT_RC(uwq_irq_set_affinity(line, &set), 0);

	/* wake_thread with a dev_id that has no action: nothing runs. */
	uwq_irq_wake_thread(line, &other);
	uwq_irq_wake_thread(line, NULL);
	uwq_synchronize_irq(line);
	uwq_irq_wake_thread(line, &dev);			/* the right one: runs */
	WAIT_UNTIL(atomic_load(&t_runs) == (off >= 0 ? 3 : 2), "wake_thread: %d runs",
		   atomic_load(&t_runs));
	uwq_synchronize_irq(line);
	CHECK(atomic_load(&t_runs) == (off >= 0 ? 3 : 2), "a wake with a wrong dev_id ran the thread");
	CHECK(uwq_free_irq(line, &dev) != NULL, "free");
	EXPECT_RC(uwq_irq_destroy(line), 0);
}

/* Misuse from the line's own handlers: refused with one report. */
enum h_op { H_NONE, H_DESTROY_OWN, H_DESTROY_OTHER, H_SYNC_OWN, H_DISABLE_OWN, H_T_SYNC_OWN,
	    H_T_DISABLE_OWN, H_T_DESTROY_OWN };

static _Atomic enum h_op h_op;
static atomic_int h_rc, h_done;
static int h_line, h_other;

static int do_h_op(enum h_op op)
{
	switch (op) {
	case H_DESTROY_OWN:
	case H_T_DESTROY_OWN:
		return uwq_irq_destroy(h_line);
	case H_DESTROY_OTHER:
		return uwq_irq_destroy(h_other);
	case H_SYNC_OWN:
	case H_T_SYNC_OWN:
		uwq_synchronize_irq(h_line);
		return 0;
	case H_DISABLE_OWN:
	case H_T_DISABLE_OWN:
		uwq_disable_irq(h_line);
		return 0;
	default:
		return 0;
	}
}

static uwq_irqreturn_t h_primary(int irq, void *dev_id)
{
	enum h_op op = atomic_load(&h_op);

	(void)irq;
	(void)dev_id;
	if (op >= H_T_SYNC_OWN)
		return UWQ_IRQ_WAKE_THREAD;
	atomic_store(&h_rc, do_h_op(op));
	atomic_store(&h_done, 1);
	return UWQ_IRQ_HANDLED;
}

static uwq_irqreturn_t h_thread(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_store(&h_rc, do_h_op(atomic_load(&h_op)));
	atomic_store(&h_done, 1);
	return UWQ_IRQ_HANDLED;
}

static int run_h(enum h_op op, int reports)
{
	atomic_store(&h_op, op);
	atomic_store(&h_done, 0);
	EXPECT_REPORTS(reports, {
		EXPECT_RC(uwq_irq_raise(h_line), 0);
		WAIT_UNTIL(atomic_load(&h_done), "op %d: the handler never finished", (int)op);
		uwq_synchronize_irq(h_line);
	});
	return atomic_load(&h_rc);
}

static void test_irq_handler_misuse(void)
{
	static int dev;

	PHASE(__func__);
	h_line = new_line();
	h_other = new_line();
	EXPECT_RC(uwq_request_threaded_irq(h_line, h_primary, h_thread, 0, "misuse", &dev), 0);
	CHECK(run_h(H_DESTROY_OWN, 1) == -EDEADLK, "destroy(own line) from the primary");
	CHECK(run_h(H_DESTROY_OTHER, 1) == -EDEADLK, "destroy(other line) from a primary");
	run_h(H_SYNC_OWN, 1);
	run_h(H_DISABLE_OWN, 1);		/* masks (depth 1) without waiting */
	uwq_enable_irq(h_line);
	run_h(H_T_SYNC_OWN, 1);
	run_h(H_T_DISABLE_OWN, 1);
	uwq_enable_irq(h_line);
	CHECK(run_h(H_T_DESTROY_OWN, 0) == -EBUSY, "destroy(own line) from its thread with handlers");
	CHECK(uwq_free_irq(h_line, &dev) != NULL, "free");
	EXPECT_RC(uwq_irq_destroy(h_line), 0);
	EXPECT_RC(uwq_irq_destroy(h_other), 0);
}

/* ==== known bugs (docs/bad-input.md), run only on request =============== */

static void bug_work_null_fn(void)
{
	struct uwq_work w;

	uwq_work_init(&w, NULL);
	if (uwq_schedule_work(&w))		/* refusing it would be a fix too */
		uwq_flush_work(&w);		/* a worker calls NULL: SIGSEGV */
}

static void bug_delayed_huge(void)
{
	struct uwq_delayed_work dw;

	uwq_delayed_work_init(&dw, item_fn);
	CHECK(uwq_queue_delayed_work(uwq_system_wq, &dw, UINT64_MAX), "arming failed");
	/* Armed for 584 years it must not run; now + delay wraps to the past. */
	for (uint64_t end = now_ns() + 2 * NSEC_PER_SEC; now_ns() < end;) {
		unsigned spins = 0;

		CHECK(uwq_work_pending(&dw.work), "an item delayed by UINT64_MAX ns ran at once");
		util_pause(&spins);
	}
	uwq_cancel_delayed_work_sync(&dw);
}

static atomic_int bug_async_returned;

static void bug_async_full_fn(void *data, uwq_async_cookie_t cookie)
{
	(void)data;
	(void)cookie;
	uwq_async_synchronize_full();			/* waits for itself */
	atomic_store(&bug_async_returned, 1);
}

static void bug_async_next_fn(void *data, uwq_async_cookie_t cookie)
{
	(void)data;
	uwq_async_synchronize_cookie(cookie + 1);	/* waits for itself */
	atomic_store(&bug_async_returned, 1);
}

static void bug_async_wait(void (*fn)(void *, uwq_async_cookie_t))
{
	uwq_async_schedule(fn, NULL);
	WAIT_UNTIL_FOR(5 * NSEC_PER_SEC, atomic_load(&bug_async_returned),
		       "an async function waiting for calls including itself hangs");
}

static void bug_async_sync_full(void)
{
	bug_async_wait(bug_async_full_fn);
}

static void bug_async_sync_next(void)
{
	bug_async_wait(bug_async_next_fn);
}

static atomic_int shared_calls[66];

static uwq_irqreturn_t shared_primary(int irq, void *dev_id)
{
	(void)irq;
	atomic_fetch_add((atomic_int *)dev_id, 1);
	return UWQ_IRQ_HANDLED;
}

static void bug_irq_65_shared(void)
{
	int line = new_line();

	char *err;

	/* Fixed: the dispatcher runs 64 primaries per event, so a 65th
	 * action is refused (-EBUSY, one report) instead of never running. */
	for (int i = 0; i < 64; i++)
		EXPECT_RC(uwq_request_irq(line, shared_primary, UWQ_IRQF_SHARED, "sh", &shared_calls[i]), 0);
	capture_stderr_begin();
	EXPECT_RC(uwq_request_irq(line, shared_primary, UWQ_IRQF_SHARED, "sh", &shared_calls[64]), -EBUSY);
	err = capture_stderr_end();
	CHECK(strstr(err, "at most 64"), "no report for the 65th action:\n%s", err);
	free(err);
	EXPECT_RC(uwq_irq_raise(line), 0);
	WAIT_UNTIL_FOR(5 * NSEC_PER_SEC, atomic_load(&shared_calls[63]) == 1, "primary 64 of a shared line never ran");
	for (int i = 0; i < 64; i++)
		CHECK(atomic_load(&shared_calls[i]) == 1, "primary %d ran %d times", i + 1, atomic_load(&shared_calls[i]));
}

static int selffree_line, selffree_dev;
static const char *_Atomic selffree_ret;
static atomic_int selffree_done;

static uwq_irqreturn_t selffree_thread(int irq, void *dev_id)
{
	(void)dev_id;
	/* Its own action: the header says "not the line's own handlers";
	 * uwq_synchronize_irq() refuses this case with a report. */
	atomic_store(&selffree_ret, uwq_free_irq(irq, &selffree_dev));
	atomic_store(&selffree_done, 1);
	return UWQ_IRQ_HANDLED;
}

static void bug_free_irq_own_thread(void)
{
	selffree_line = new_line();
	EXPECT_RC(uwq_request_threaded_irq(selffree_line, NULL, selffree_thread, UWQ_IRQF_ONESHOT,
					   "selffree", &selffree_dev), 0);
	EXPECT_RC(uwq_irq_raise(selffree_line), 0);
	WAIT_UNTIL_FOR(5 * NSEC_PER_SEC, atomic_load(&selffree_done), "the thread handler never returned");
	/* Under ASan the run ends here: heap-use-after-free in irq_thread. */
	CHECK(atomic_load(&selffree_ret) == NULL,
	      "uwq_free_irq() from its own thread handler freed the action its thread still runs");
	CHECK(uwq_free_irq(selffree_line, &selffree_dev) != NULL, "free");
	EXPECT_RC(uwq_irq_destroy(selffree_line), 0);
}

static atomic_int reap_gate, reap_started;

static void reap_blocker(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&reap_started, 1);
	uwq_blocking_begin();
	GATE_WAIT(atomic_load(&reap_gate), "gate");
	uwq_blocking_end();
}

static void bug_idle_timeout_huge(void)
{
	struct uwq_workqueue *wq = uwq_alloc_workqueue("reap", UWQ_UNBOUND, 0);
	struct uwq_pool_limits l = { .max_workers = 0, .idle_reserve = 0, .idle_timeout_ns = UINT64_MAX };
	struct uwq_work w[6];
	struct uwq_pool_stats st;
	uint64_t reaped = 0;

	for (int i = 0; i < 6; i++) {
		uwq_work_init(&w[i], reap_blocker);
		uwq_queue_work(wq, &w[i]);
	}
	WAIT_UNTIL(atomic_load(&reap_started) == 6, "blockers");
	EXPECT_RC(uwq_set_pool_limits(&l), 0);	/* "idle time after which a surplus worker exits" */
	atomic_store(&reap_gate, 1);
	uwq_flush_workqueue(wq);
	/* Wrap-around: last_active + UINT64_MAX < now, every surplus worker exits at once. */
	for (uint64_t end = now_ns() + 2 * NSEC_PER_SEC; now_ns() < end && !reaped;) {
		unsigned spins = 0;

		reaped = 0;
		for (int i = 0; uwq_pool_stats(i, &st) == 0; i++)
			reaped += st.reaped;
		util_pause(&spins);
	}
	CHECK(reaped == 0, "%llu workers reaped with an idle timeout of UINT64_MAX ns",
	      (unsigned long long)reaped);
}

static const struct {
	const char *name;
	void (*fn)(void);
} bugs[] = {
	{ "work_null_fn", bug_work_null_fn },
	{ "delayed_huge", bug_delayed_huge },
	{ "async_sync_full_in_async", bug_async_sync_full },
	{ "async_sync_next_in_async", bug_async_sync_next },
	{ "irq_65_shared", bug_irq_65_shared },
	{ "free_irq_own_thread", bug_free_irq_own_thread },
	{ "idle_timeout_huge", bug_idle_timeout_huge },
};

static int run_bug(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(bugs); i++) {
		if (strcmp(bugs[i].name, name) == 0) {
			bugs[i].fn();
			NOTE("bug %s: fixed (did not reproduce)", name);
			return TEST_PASS;
		}
	}
	FAIL("no bug named %s", name);
}

static int run_all_bugs(void)
{
	int open = 0;

	for (size_t i = 0; i < ARRAY_SIZE(bugs); i++) {
		pid_t pid = fork();
		int status;

		CHECK(pid >= 0, "fork: %s", strerror(errno));
		if (pid == 0) {
			execl("/proc/self/exe", "bad_input_all", "--bug", bugs[i].name, (char *)NULL);
			_exit(127);
		}
		CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			NOTE("bug %s: fixed", bugs[i].name);
		} else {
			NOTE("bug %s: REPRODUCES (%s %d)", bugs[i].name,
			     WIFSIGNALED(status) ? "signal" : "exit",
			     WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			open++;
		}
	}
	return open ? TEST_FAIL : TEST_PASS;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--bug") == 0)
		return run_bug(argv[2]);
	if (argc == 2 && strcmp(argv[1], "--bugs") == 0)
		return run_all_bugs();

	test_wq_init_and_alloc();
	test_wq_destroy();
	test_wq_attrs();
	test_wq_limits();
	test_wq_queue();
	test_wq_draining();
	test_wq_backpressure();
	test_wq_idle_items();
	test_wq_self_misuse();
	test_ordered();
	test_async();
	test_stats();
	test_irq_create();
	test_irq_unknown_lines();
	test_irq_request_free();
	test_irq_disable_affinity_wake();
	test_irq_handler_misuse();
	test_wq_shutdown_config();
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	/* The bugs this survey found, now fixed: regression checks. */
	return run_all_bugs();
}

/* SPDX-License-Identifier: MIT */
/*
 * Fault injection deeper than the first allocation of a call (STYLE.md
 * "Tests"; src/internal/fault.h uwq__fault_inject_nth): every call that
 * allocates more than once is run with its 1st, 2nd, 3rd, ... allocation
 * failing in turn, until a run where the armed failure was never reached
 * (the call makes fewer allocations). Each failing run must:
 *  - give the documented error: NULL with errno ENOMEM for constructors,
 *    -ENOMEM for actions (the Return: lines of include/uwq/);
 *  - leave nothing behind: no extra rescuer thread, no fd (line
 *    constructors), the attributes of a live queue unchanged, and the
 *    ASan tier's leak check finds no lost partial state;
 *  - leave uwq working: the run without the fault succeeds and its queue
 *    runs an item exactly once.
 * Also asserted: each call really has the failure points counted here
 * (a queue allocates its struct, its table and a pwq per pool at least),
 * so a later allocation did fail somewhere along the way.
 * Calls: uwq_alloc_workqueue (plain, unbound, highpri, UWQ_MEM_RECLAIM,
 * unbound + MEM_RECLAIM), uwq_alloc_ordered_workqueue,
 * uwq_alloc_ordered_queue, uwq_apply_workqueue_attrs (a new pool each
 * time), uwq_irq_create_eventfd, uwq_irq_create_timer.
 * Skips (77) when the library was built without fault injection (Release).
 */
#include <uwq/irq.h>
#include <uwq/ordered.h>
#include <uwq/workqueue.h>

#include "util.h"

int uwq__fault_inject(const char *site, int err, int count);
int uwq__fault_inject_nth(const char *site, int err, int skip, int count);
int uwq__fault_left(const char *site);

#define MAX_POINTS	64

static atomic_int runs;

static void count_fn(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&runs, 1);
}

/* @wq runs one item exactly once. */
static void runs_once(struct uwq_workqueue *wq, const char *what)
{
	struct uwq_work w;

	atomic_store(&runs, 0);
	uwq_work_init(&w, count_fn);
	CHECK(uwq_queue_work(wq, &w), "%s: queue after the faults", what);
	CHECK(uwq_flush_workqueue(wq) == 0, "%s: flush", what);
	CHECK(atomic_load(&runs) == 1, "%s: the item ran %d times", what, atomic_load(&runs));
}

/* Arm the (nth+1)-th allocation; returns whether that failure was taken. */
static void arm(int nth)
{
	CHECK(uwq__fault_inject_nth("alloc", ENOMEM, nth, 1) == 0, "inject_nth");
}

static bool disarm(void)
{
	int left = uwq__fault_left("alloc");

	CHECK(uwq__fault_inject("alloc", 0, 0) == 0, "disarm");
	return left == 0;
}

/* A constructor returning a queue: fail each allocation point in turn. */
static void constructor(const char *what, struct uwq_workqueue *(*make)(unsigned), unsigned flags, int min_points)
{
	int rescuers = count_tasks_named("uwq-R-fnth");
	int nth;

	for (nth = 0; nth < MAX_POINTS; nth++) {
		struct uwq_workqueue *wq;
		bool taken;
		int e;

		arm(nth);
		errno = 0;
		wq = make(flags);
		e = errno;
		taken = disarm();
		if (!taken) {
			CHECK(wq, "%s: failed (%s) with no fault taken", what, strerror(e));
			runs_once(wq, what);
			uwq_destroy_workqueue(wq);
			break;
		}
		CHECK(!wq, "%s: allocation %d failed, yet it returned a queue", what, nth + 1);
		CHECK(e == ENOMEM, "%s: allocation %d failed: errno %d (%s), want ENOMEM", what, nth + 1, e,
		      strerror(e));
		WAIT_UNTIL(count_tasks_named("uwq-R-fnth") == rescuers, "%s: allocation %d failed: %d rescuer threads, %d before",
			   what, nth + 1, count_tasks_named("uwq-R-fnth"), rescuers);
	}
	CHECK(nth < MAX_POINTS, "%s: still failing after %d allocation points", what, MAX_POINTS);
	CHECK(nth >= min_points, "%s: %d allocation points, want at least %d", what, nth, min_points);
	NOTE("%s: %d allocation points, each failing cleanly", what, nth);
}

static struct uwq_workqueue *make_wq(unsigned flags)
{
	return uwq_alloc_workqueue("fnth", flags, 0);
}

static struct uwq_workqueue *make_ordered(unsigned flags)
{
	return uwq_alloc_ordered_workqueue("fnth_ord", flags);
}

static void ordered_queue(void)
{
	int nth;

	for (nth = 0; nth < MAX_POINTS; nth++) {
		struct uwq_ordered_queue *q;
		bool taken;
		int e;

		arm(nth);
		errno = 0;
		q = uwq_alloc_ordered_queue("fnth_oq", UWQ_UNBOUND, 0);
		e = errno;
		taken = disarm();
		if (!taken) {
			CHECK(q, "ordered queue: failed (%s) with no fault taken", strerror(e));
			uwq_destroy_ordered_queue(q);
			break;
		}
		CHECK(!q && e == ENOMEM, "ordered queue: allocation %d failed: %p, errno %d", nth + 1, (void *)q, e);
	}
	CHECK(nth >= 2 && nth < MAX_POINTS, "ordered queue: %d allocation points", nth);
	NOTE("uwq_alloc_ordered_queue: %d allocation points, each failing cleanly", nth);
}

/* A live unbound queue gets new attributes: a new pool (nice level) each try. */
static void apply_attrs(void)
{
	struct uwq_workqueue *wq = uwq_alloc_workqueue("fnth_apply", UWQ_UNBOUND, 0);
	struct uwq_workqueue_attrs *a = uwq_alloc_workqueue_attrs(), *got = uwq_alloc_workqueue_attrs();
	int nth, rc = -1;

	CHECK(wq && a && got, "alloc: %s", strerror(errno));
	for (nth = 0; nth < 19; nth++) {
		bool taken;

		a->nice = 1 + nth;	/* no pool has it yet */
		arm(nth);
		rc = uwq_apply_workqueue_attrs(wq, a);
		taken = disarm();
		if (!taken) {
			CHECK(rc == 0, "apply_attrs: %d with no fault taken", rc);
			CHECK(uwq_workqueue_get_attrs(wq, got) == 0 && got->nice == a->nice, "apply_attrs: nice %d, want %d",
			      got->nice, a->nice);
			break;
		}
		CHECK(rc == -ENOMEM, "apply_attrs: allocation %d failed: %d, want -ENOMEM", nth + 1, rc);
		CHECK(uwq_workqueue_get_attrs(wq, got) == 0 && got->nice == 0,
		      "apply_attrs: allocation %d failed, yet nice is now %d", nth + 1, got->nice);
		runs_once(wq, "apply_attrs after a failure");
	}
	CHECK(rc == 0 && nth >= 3, "apply_attrs: %d allocation points (rc %d)", nth, rc);
	runs_once(wq, "apply_attrs");
	NOTE("uwq_apply_workqueue_attrs: %d allocation points, each failing cleanly", nth);
	uwq_free_workqueue_attrs(a);
	uwq_free_workqueue_attrs(got);
	uwq_destroy_workqueue(wq);
}

/* Line constructors: chip data, then the line. */
static void line(const char *what, int (*make)(void))
{
	int nth, irq = -1;

	for (nth = 0; nth < MAX_POINTS; nth++) {
		int fds = count_fds();
		bool taken;

		arm(nth);
		irq = make();
		taken = disarm();
		if (!taken) {
			CHECK(irq > 0, "%s: %d with no fault taken", what, irq);
			CHECK(uwq_irq_destroy(irq) == 0, "%s: destroy", what);
			break;
		}
		CHECK(irq == -ENOMEM, "%s: allocation %d failed: %d, want -ENOMEM", what, nth + 1, irq);
		CHECK(count_fds() == fds, "%s: allocation %d failed: %d fds open, %d before", what, nth + 1, count_fds(),
		      fds);
	}
	CHECK(nth >= 2 && nth < MAX_POINTS, "%s: %d allocation points", what, nth);
	NOTE("%s: %d allocation points, each failing cleanly", what, nth);
}

static int make_eventfd_line(void)
{
	return uwq_irq_create_eventfd();
}

static int make_timer_line(void)
{
	return uwq_irq_create_timer(1000000000ull);
}

int main(void)
{
	static const struct {
		const char *what;
		unsigned flags;
	} wqs[] = {
		{ "alloc_workqueue plain", 0 },
		{ "alloc_workqueue unbound", UWQ_UNBOUND },
		{ "alloc_workqueue highpri", UWQ_HIGHPRI },
		{ "alloc_workqueue mem_reclaim", UWQ_MEM_RECLAIM },
		{ "alloc_workqueue unbound mem_reclaim", UWQ_UNBOUND | UWQ_MEM_RECLAIM },
	};

	if (uwq__fault_inject_nth("alloc", 0, 0, 0) == -ENOSYS)
		return TEST_SKIP;
	/* Started before any fault is armed: a failure while uwq starts
	 * aborts by design. */
	CHECK(uwq_flush_workqueue(uwq_system_wq) == 0, "start");
	CHECK(uwq_irq_destroy(uwq_irq_create_eventfd()) == 0, "dispatcher start");

	for (size_t i = 0; i < sizeof(wqs) / sizeof(wqs[0]); i++)
		constructor(wqs[i].what, make_wq, wqs[i].flags, 3);
	constructor("alloc_ordered_workqueue", make_ordered, 0, 3);
	ordered_queue();
	apply_attrs();
	line("irq_create_eventfd", make_eventfd_line);
	line("irq_create_timer", make_timer_line);
	CHECK(uwq_shutdown() == 0, "shutdown");
	return TEST_PASS;
}

/* SPDX-License-Identifier: MIT */
/*
 * Destroying a queue runs the items uwq_mod_delayed_work() armed for it now
 * (include/uwq/workqueue.h, uwq_destroy_workqueue()):
 *  - an idle item armed by mod_delayed (10 s), an armed item re-timed by
 *    mod_delayed (1 s -> 20 s), and an item armed for another queue and
 *    moved to this one by mod_delayed (11 s; 30 s on the other queue) each
 *    run exactly once before the destroy returns and before their expiry;
 *    none is pending afterwards;
 *  - an item that calls uwq_mod_delayed_work() on itself (10 s) from its
 *    function during the destroy is refused: false, left idle;
 *  - the other queue keeps its own armed item;
 *  - exactly one report line, naming the earliest item's function.
 */
#include <uwq/workqueue.h>

#include "util.h"

#define DELAY		(10 * NSEC_PER_SEC)
#define ADVICE		"cancel or flush delayed items before destroying the queue"

struct ditem {
	struct uwq_delayed_work	dw;
	atomic_int		runs;
	_Atomic uint64_t	armed_at;
	_Atomic uint64_t	delay;
	_Atomic uint64_t	ran_at;
};

static struct uwq_workqueue *q, *other;
static atomic_int remod_result = -1;

static void record(struct uwq_work *w)
{
	struct ditem *d = container_of(uwq_to_delayed_work(w), struct ditem, dw);

	atomic_store(&d->ran_at, now_ns());
	atomic_fetch_add(&d->runs, 1);
}

/* Exported (not static): the report names it by symbol. */
void mod_first_fn(struct uwq_work *w);
void mod_first_fn(struct uwq_work *w)
{
	record(w);
}

static void remod_fn(struct uwq_work *w)
{
	record(w);
	atomic_store(&remod_result, uwq_mod_delayed_work(q, uwq_to_delayed_work(w), DELAY));
}

static void plain_fn(struct uwq_work *w)
{
	record(w);
}

static void init(struct ditem *d, uwq_work_fn fn)
{
	uwq_delayed_work_init(&d->dw, fn);
	atomic_store(&d->runs, 0);
	atomic_store(&d->ran_at, 0);
}

static void mod(struct uwq_workqueue *wq, struct ditem *d, uint64_t delay, bool was_pending)
{
	atomic_store(&d->delay, delay);
	atomic_store(&d->armed_at, now_ns());
	CHECK(uwq_mod_delayed_work(wq, &d->dw, delay) == was_pending,
	      "uwq_mod_delayed_work() did not return %d", was_pending);
}

static void check_ran_early(struct ditem *d, const char *what)
{
	CHECK(atomic_load(&d->runs) == 1, "%s ran %d times, want 1", what, atomic_load(&d->runs));
	CHECK(!uwq_work_pending(&d->dw.work), "%s still pending after the destroy", what);
	CHECK(atomic_load(&d->ran_at) < atomic_load(&d->armed_at) + atomic_load(&d->delay),
	      "%s ran only at its expiry: the destroy waited for the timer", what);
}

int main(void)
{
	struct ditem idle, retimed, moved, remod, kept;
	char *err;

	q = uwq_alloc_workqueue("destroy_mod", UWQ_UNBOUND, 0);
	other = uwq_alloc_workqueue("destroy_mod_other", 0, 0);
	CHECK(q && other, "alloc failed: %s", strerror(errno));

	PHASE("arming");
	init(&idle, mod_first_fn);
	mod(q, &idle, DELAY, false);
	init(&retimed, plain_fn);
	CHECK(uwq_queue_delayed_work(q, &retimed.dw, NSEC_PER_SEC), "arming failed");
	mod(q, &retimed, 2 * DELAY, true);
	init(&moved, plain_fn);
	CHECK(uwq_queue_delayed_work(other, &moved.dw, 3 * DELAY), "arming failed");
	mod(q, &moved, DELAY + NSEC_PER_SEC, true);
	init(&remod, remod_fn);
	mod(q, &remod, 3 * DELAY, false);
	init(&kept, plain_fn);
	mod(other, &kept, 3600 * NSEC_PER_SEC, false);

	PHASE("destroy");
	capture_stderr_begin();
	uwq_destroy_workqueue(q);
	err = capture_stderr_end();

	check_ran_early(&idle, "the idle item armed by mod_delayed");
	check_ran_early(&retimed, "the item re-timed by mod_delayed");
	check_ran_early(&moved, "the item moved to the queue by mod_delayed");
	check_ran_early(&remod, "the item that re-arms itself with mod_delayed");
	CHECK(atomic_load(&remod_result) == 0,
	      "uwq_mod_delayed_work() of itself during the destroy returned %d, want false",
	      atomic_load(&remod_result));
	CHECK(uwq_work_pending(&kept.dw.work) && atomic_load(&kept.runs) == 0,
	      "the other queue's armed item was touched (pending %d, runs %d)",
	      uwq_work_pending(&kept.dw.work), atomic_load(&kept.runs));
	CHECK(count_lines_starting(err, "uwq: ") == 1, "%d report lines, want 1:\n%s",
	      count_lines_starting(err, "uwq: "), err);
	CHECK(count_lines_containing(err, ADVICE) == 1 &&
	      count_lines_containing(err, "uwq_destroy_workqueue(destroy_mod)") == 1 &&
	      count_lines_containing(err, "mod_first_fn") == 1,
	      "the report does not name the queue, the earliest item's function and the advice:\n%s",
	      err);
	free(err);

	CHECK(uwq_cancel_delayed_work_sync(&kept.dw), "cancelling the other queue's item failed");
	uwq_destroy_workqueue(other);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}

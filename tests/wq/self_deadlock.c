/* SPDX-License-Identifier: MIT */
/*
 * Misuse that would hang is reported, not hung on (include/uwq/workqueue.h:
 * "misuse that would hang (a work item waiting for itself) is reported";
 * the kernel's flush_work() and cancel_work_sync() deadlock here and
 * lockdep complains, uwq returns):
 *  - uwq_flush_work() of the running item from itself returns false;
 *  - uwq_cancel_work_sync() of itself returns false (also the delayed form);
 *  - uwq_flush_workqueue() of an ordered queue from its own item returns
 *    -EDEADLK (and, as the header documents, so does a bound queue's);
 *  - uwq_flush_work() of an item queued behind the caller on its own ordered
 *    queue returns false;
 *  - uwq_destroy_workqueue() from its own item returns without destroying;
 *  - uwq_drain_workqueue() from its own item returns -EDEADLK.
 * Each documented report is exactly one "uwq: " line on stderr naming the
 * work function (the functions are exported so dladdr() can name them).
 */
#include <uwq/workqueue.h>

#include "util.h"

static struct uwq_workqueue *bq;	/* bound */
static struct uwq_workqueue *oq;	/* ordered */

static atomic_int ret;
static atomic_int done;
static atomic_int behind_runs;

void selfdl_flush_work_fn(struct uwq_work *w);
void selfdl_cancel_sync_fn(struct uwq_work *w);
void selfdl_cancel_dsync_fn(struct uwq_work *w);
void selfdl_ordered_flush_fn(struct uwq_work *w);
void selfdl_bound_flush_fn(struct uwq_work *w);
void selfdl_flush_behind_fn(struct uwq_work *w);
void selfdl_behind_target_fn(struct uwq_work *w);
void selfdl_destroy_fn(struct uwq_work *w);
void selfdl_drain_fn(struct uwq_work *w);

void selfdl_flush_work_fn(struct uwq_work *w)
{
	atomic_store(&ret, uwq_flush_work(w));
	atomic_store(&done, 1);
}

void selfdl_cancel_sync_fn(struct uwq_work *w)
{
	atomic_store(&ret, uwq_cancel_work_sync(w));
	atomic_store(&done, 1);
}

void selfdl_cancel_dsync_fn(struct uwq_work *w)
{
	atomic_store(&ret, uwq_cancel_delayed_work_sync(uwq_to_delayed_work(w)));
	atomic_store(&done, 1);
}

void selfdl_ordered_flush_fn(struct uwq_work *w)
{
	(void)w;
	atomic_store(&ret, uwq_flush_workqueue(oq));
	atomic_store(&done, 1);
}

void selfdl_bound_flush_fn(struct uwq_work *w)
{
	(void)w;
	atomic_store(&ret, uwq_flush_workqueue(bq));
	atomic_store(&done, 1);
}

static struct uwq_work behind;

void selfdl_behind_target_fn(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&behind_runs, 1);
}

void selfdl_flush_behind_fn(struct uwq_work *w)
{
	(void)w;
	if (!uwq_queue_work(oq, &behind))
		FAIL("queueing the item behind failed");
	atomic_store(&ret, uwq_flush_work(&behind));
	atomic_store(&done, 1);
}

static struct uwq_workqueue *victim_wq;

void selfdl_destroy_fn(struct uwq_work *w)
{
	(void)w;
	uwq_destroy_workqueue(victim_wq);
	atomic_store(&ret, 0);
	atomic_store(&done, 1);
}

void selfdl_drain_fn(struct uwq_work *w)
{
	(void)w;
	atomic_store(&ret, uwq_drain_workqueue(oq));
	atomic_store(&done, 1);
}

/*
 * Run @w on @wq with stderr captured; return the captured text after the
 * item finished. The function stores its result in `ret`.
 */
static char *run_captured(struct uwq_workqueue *wq, struct uwq_work *w, const char *name)
{
	PHASE(name);
	atomic_store(&done, 0);
	atomic_store(&ret, -12345);
	capture_stderr_begin();
	CHECK(uwq_queue_work(wq, w), "%s: queueing failed", name);
	WAIT_UNTIL(atomic_load(&done), "%s hung (misuse not detected)", name);
	uwq_flush_work(w);
	return capture_stderr_end();
}

/* Exactly one "uwq: " line, and it names @fn. */
static void check_one_report(const char *text, const char *fn)
{
	int uwq_lines = count_lines_starting(text, "uwq: ");
	int named = count_lines_containing(text, fn);

	CHECK(uwq_lines == 1, "%s: %d \"uwq: \" report lines, want exactly 1", fn, uwq_lines);
	CHECK(named == 1, "%s: the report does not name the work function "
	      "(%d lines name it)", fn, named);
}

int main(void)
{
	struct uwq_work w;
	struct uwq_delayed_work dw;
	char *text;
	int lines;

	bq = uwq_alloc_workqueue("selfdl_bound", 0, 0);
	oq = uwq_alloc_ordered_workqueue("selfdl_ordered", 0);
	CHECK(bq && oq, "alloc failed: %s", strerror(errno));

	/* flush_work of itself */
	uwq_work_init(&w, selfdl_flush_work_fn);
	text = run_captured(bq, &w, "selfdl_flush_work_fn");
	CHECK(atomic_load(&ret) == 0, "flush_work of itself returned true");
	check_one_report(text, "selfdl_flush_work_fn");
	free(text);

	/* cancel_work_sync of itself */
	uwq_work_init(&w, selfdl_cancel_sync_fn);
	text = run_captured(bq, &w, "selfdl_cancel_sync_fn");
	CHECK(atomic_load(&ret) == 0, "cancel_work_sync of itself returned true");
	check_one_report(text, "selfdl_cancel_sync_fn");
	free(text);

	/* cancel_delayed_work_sync of itself */
	uwq_delayed_work_init(&dw, selfdl_cancel_dsync_fn);
	PHASE("selfdl_cancel_dsync_fn");
	atomic_store(&done, 0);
	atomic_store(&ret, -12345);
	capture_stderr_begin();
	CHECK(uwq_queue_delayed_work(bq, &dw, 0), "queueing failed");
	WAIT_UNTIL(atomic_load(&done), "selfdl_cancel_dsync_fn hung");
	uwq_flush_delayed_work(&dw);
	text = capture_stderr_end();
	CHECK(atomic_load(&ret) == 0, "cancel_delayed_work_sync of itself returned true");
	check_one_report(text, "selfdl_cancel_dsync_fn");
	free(text);

	/* flush_workqueue of its own ordered queue */
	uwq_work_init(&w, selfdl_ordered_flush_fn);
	text = run_captured(oq, &w, "selfdl_ordered_flush_fn");
	CHECK(atomic_load(&ret) == -EDEADLK,
	      "flush_workqueue of its own ordered queue returned %d, want -EDEADLK",
	      atomic_load(&ret));
	check_one_report(text, "selfdl_ordered_flush_fn");
	free(text);

	/* flush_workqueue of its own bound queue (header: any of @wq's own items) */
	uwq_work_init(&w, selfdl_bound_flush_fn);
	text = run_captured(bq, &w, "selfdl_bound_flush_fn");
	CHECK(atomic_load(&ret) == -EDEADLK,
	      "flush_workqueue of its own queue returned %d, want -EDEADLK", atomic_load(&ret));
	check_one_report(text, "selfdl_bound_flush_fn");
	free(text);

	/* flush_work of an item queued behind the caller on its ordered queue */
	uwq_work_init(&behind, selfdl_behind_target_fn);
	uwq_work_init(&w, selfdl_flush_behind_fn);
	text = run_captured(oq, &w, "selfdl_flush_behind_fn");
	CHECK(atomic_load(&ret) == 0, "flush_work of an item behind the caller returned true");
	lines = count_lines_starting(text, "uwq: ");
	CHECK(lines == 1, "flush behind the caller: %d \"uwq: \" lines, want 1", lines);
	CHECK(count_lines_containing(text, "selfdl_flush_behind_fn") +
	      count_lines_containing(text, "selfdl_behind_target_fn") >= 1,
	      "flush behind the caller: the report names neither work function");
	free(text);
	CHECK(uwq_flush_workqueue(oq) == 0, "flush_workqueue failed");
	CHECK(atomic_load(&behind_runs) == 1, "the item behind ran %d times, want 1",
	      atomic_load(&behind_runs));

	/* destroy_workqueue from its own item: reported, not destroyed */
	victim_wq = uwq_alloc_workqueue("selfdl_victim", 0, 0);
	CHECK(victim_wq, "alloc failed: %s", strerror(errno));
	uwq_work_init(&w, selfdl_destroy_fn);
	text = run_captured(victim_wq, &w, "selfdl_destroy_fn");
	check_one_report(text, "selfdl_destroy_fn");
	free(text);
	atomic_store(&behind_runs, 0);
	CHECK(uwq_queue_work(victim_wq, &behind), "queue not usable after a refused destroy");
	uwq_flush_work(&behind);
	CHECK(atomic_load(&behind_runs) == 1, "queue not usable after a refused destroy");
	uwq_destroy_workqueue(victim_wq);

	/* drain_workqueue from its own item */
	uwq_work_init(&w, selfdl_drain_fn);
	text = run_captured(oq, &w, "selfdl_drain_fn");
	CHECK(atomic_load(&ret) == -EDEADLK,
	      "drain_workqueue from its own item returned %d, want -EDEADLK", atomic_load(&ret));
	lines = count_lines_starting(text, "uwq: ");
	CHECK(lines <= 1, "drain from its own item: %d report lines", lines);
	if (lines == 0)
		NOTE("drain_workqueue from its own item returned -EDEADLK without a report");
	free(text);

	PHASE("teardown");
	uwq_destroy_workqueue(bq);
	uwq_destroy_workqueue(oq);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}

/* SPDX-License-Identifier: MIT */
/*
 * Destroying a frozen UWQ_FREEZABLE queue keeps the freeze's promise and
 * loses nothing (include/uwq/workqueue.h, uwq_destroy_workqueue() and
 * uwq_freeze()): with a delayed item armed (10 s) and a plain item queued
 * while frozen,
 *  - the destroy queues the armed item at once (held, like every item of
 *    the frozen queue) and waits for uwq_thaw(): no item runs and the
 *    destroy does not return before the thaw; one report line names
 *    uwq_destroy_workqueue and uwq_thaw(), one the armed item's function;
 *  - after uwq_thaw() the destroy returns; each item ran exactly once, the
 *    delayed one before its expiry; nothing is pending.
 */
#include <uwq/workqueue.h>

#include "util.h"

#define DELAY		(10 * NSEC_PER_SEC)
#define ADVICE		"cancel or flush delayed items before destroying the queue"

static struct uwq_workqueue *fq;
static struct uwq_delayed_work armed;
static struct uwq_work plain;
static atomic_int armed_runs, plain_runs;
static _Atomic uint64_t armed_ran_at;
static atomic_int destroy_returned;
static _Atomic pid_t destroyer_tid;

/* Exported (not static): the report names it by symbol. */
void frozen_armed_fn(struct uwq_work *w);
void frozen_armed_fn(struct uwq_work *w)
{
	(void)w;
	atomic_store(&armed_ran_at, now_ns());
	atomic_fetch_add(&armed_runs, 1);
}

static void plain_fn(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&plain_runs, 1);
}

static void *destroyer(void *arg)
{
	(void)arg;
	atomic_store(&destroyer_tid, util_gettid());
	uwq_destroy_workqueue(fq);
	atomic_store(&destroy_returned, 1);
	return NULL;
}

/* Lines of the stderr captured so far that contain @needle. */
static int captured_lines(const char *needle)
{
	char buf[8192];
	ssize_t n = pread(atomic_load(&util_capture_fd), buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return count_lines_containing(buf, needle);
}

int main(void)
{
	uint64_t armed_at;
	pthread_t t;
	char *err;

	fq = uwq_alloc_workqueue("destroy_frozen", UWQ_FREEZABLE, 0);
	CHECK(fq, "alloc failed: %s", strerror(errno));
	uwq_delayed_work_init(&armed, frozen_armed_fn);
	uwq_work_init(&plain, plain_fn);

	PHASE("frozen");
	uwq_freeze();
	armed_at = now_ns();
	CHECK(uwq_queue_delayed_work(fq, &armed, DELAY), "arming failed");
	CHECK(uwq_queue_work(fq, &plain), "queueing failed");

	PHASE("destroy while frozen");
	capture_stderr_begin();
	t = start_thread(destroyer, NULL);
	WAIT_UNTIL(captured_lines("uwq_thaw()") >= 1 && atomic_load(&destroyer_tid),
		   "no report that the destroy waits for uwq_thaw() (returned %d, runs %d/%d)",
		   atomic_load(&destroy_returned), atomic_load(&armed_runs), atomic_load(&plain_runs));
	/* Asleep in the destroy: it waits, and nothing ran meanwhile. */
	wait_task_blocked(atomic_load(&destroyer_tid), 2 * NSEC_PER_SEC);
	CHECK(!atomic_load(&destroy_returned), "the destroy of a frozen queue returned before uwq_thaw()");
	CHECK(atomic_load(&armed_runs) == 0 && atomic_load(&plain_runs) == 0,
	      "items of a frozen queue ran (armed %d, plain %d)", atomic_load(&armed_runs),
	      atomic_load(&plain_runs));
	CHECK(!(uwq_work_busy(&armed.work) & UWQ_WORK_BUSY_RUNNING), "the armed item runs while frozen");

	PHASE("thaw");
	uwq_thaw();
	join_thread(t);
	err = capture_stderr_end();

	CHECK(atomic_load(&armed_runs) == 1, "the armed item ran %d times", atomic_load(&armed_runs));
	CHECK(atomic_load(&plain_runs) == 1, "the plain item ran %d times", atomic_load(&plain_runs));
	CHECK(atomic_load(&armed_ran_at) < armed_at + DELAY,
	      "the armed item ran only at its expiry: the destroy waited for the timer");
	CHECK(!uwq_work_pending(&armed.work) && !uwq_work_pending(&plain),
	      "pending after the destroy: armed %d, plain %d", uwq_work_pending(&armed.work),
	      uwq_work_pending(&plain));
	CHECK(count_lines_starting(err, "uwq: ") == 2, "%d report lines, want 2:\n%s",
	      count_lines_starting(err, "uwq: "), err);
	CHECK(count_lines_containing(err, "uwq_destroy_workqueue(destroy_frozen): the queue is frozen") == 1 &&
	      count_lines_containing(err, "uwq_thaw()") == 1,
	      "want one report naming uwq_destroy_workqueue and uwq_thaw():\n%s", err);
	CHECK(count_lines_containing(err, ADVICE) == 1 &&
	      count_lines_containing(err, "frozen_armed_fn") == 1,
	      "want one report naming the armed item's function:\n%s", err);
	free(err);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}

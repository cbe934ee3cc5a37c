/* SPDX-License-Identifier: MIT */
/*
 * Destroying a UWQ_MEM_RECLAIM queue whose pool cannot create workers runs
 * its armed delayed item through the rescuer (include/uwq/workqueue.h,
 * uwq_destroy_workqueue()): with worker creation failing (fault injection,
 * mayday 5 ms / 20 ms) and an item armed for 10 s on a high-priority
 * reclaim queue whose pools never started,
 *  - the destroy queues the item now; the rescuer thread "uwq-R-<queue>"
 *    runs it exactly once, before its expiry; the destroy returns after it
 *    and the rescuer thread is gone;
 *  - the item re-arms itself (10 s) from its function, on the rescuer:
 *    refused (false), left idle; nothing is pending after the destroy;
 *  - exactly one report line, naming the item's function.
 * Skips (77) when the library was built without fault injection (Release).
 */
#include <uwq/workqueue.h>

#include "util.h"

/* Test hook exported by uwq, not in the public headers (src/internal/fault.h). */
int uwq__fault_inject(const char *site, int err, int count);

#define DELAY		(10 * NSEC_PER_SEC)
#define RNAME		"dresc"
#define RTHREAD		"uwq-R-" RNAME
#define ADVICE		"cancel or flush delayed items before destroying the queue"

static struct uwq_workqueue *rq;
static struct uwq_delayed_work dw;
static atomic_int runs, on_rescuer, rearm_result = -1;
static _Atomic uint64_t ran_at;

/* Exported (not static): the report names it by symbol. */
void rescued_armed_fn(struct uwq_work *w);
void rescued_armed_fn(struct uwq_work *w)
{
	char comm[32];

	atomic_store(&ran_at, now_ns());
	if (task_comm(util_gettid(), comm, sizeof(comm)) && strcmp(comm, RTHREAD) == 0)
		atomic_store(&on_rescuer, 1);
	atomic_fetch_add(&runs, 1);
	atomic_store(&rearm_result, uwq_queue_delayed_work(rq, uwq_to_delayed_work(w), DELAY));
}

int main(void)
{
	struct uwq_config cfg;
	uint64_t armed_at;
	char *err;
	int rc;

	uwq_config_defaults(&cfg);
	cfg.mayday_initial_ns = 5 * NSEC_PER_MSEC;
	cfg.mayday_interval_ns = 20 * NSEC_PER_MSEC;
	cfg.create_cooldown_ns = 50 * NSEC_PER_MSEC;
	CHECK((rc = uwq_configure(&cfg)) == 0, "uwq_configure: %d", rc);
	rc = uwq__fault_inject("worker_create", 0, 0);
	if (rc == -ENOSYS)
		SKIP("uwq built without fault injection (Release build)");
	CHECK(rc == 0, "uwq__fault_inject(worker_create, 0, 0) = %d", rc);

	PHASE("create");
	rq = uwq_alloc_workqueue(RNAME, UWQ_MEM_RECLAIM | UWQ_HIGHPRI, 0);
	CHECK(rq, "alloc failed: %s", strerror(errno));
	WAIT_UNTIL(count_tasks_named(RTHREAD) == 1, "%d threads named \"%s\"",
		   count_tasks_named(RTHREAD), RTHREAD);
	uwq_delayed_work_init(&dw, rescued_armed_fn);
	armed_at = now_ns();
	CHECK(uwq_queue_delayed_work(rq, &dw, DELAY), "arming failed");

	PHASE("destroy while creation fails");
	CHECK(uwq__fault_inject("worker_create", EAGAIN, -1) == 0, "arming the fault failed");
	capture_stderr_begin();
	uwq_destroy_workqueue(rq);
	err = capture_stderr_end();
	CHECK(uwq__fault_inject("worker_create", 0, 0) == 0, "disarming the fault failed");

	CHECK(atomic_load(&runs) == 1, "the armed item ran %d times", atomic_load(&runs));
	CHECK(atomic_load(&on_rescuer), "the armed item did not run on \"%s\"", RTHREAD);
	CHECK(atomic_load(&ran_at) < armed_at + DELAY,
	      "the armed item ran only at its expiry: the destroy waited for the timer");
	CHECK(atomic_load(&rearm_result) == 0, "re-arming from the rescuer returned %d, want false",
	      atomic_load(&rearm_result));
	CHECK(!uwq_work_pending(&dw.work), "the item is still pending after the destroy");
	WAIT_UNTIL(count_tasks_named("uwq-R-") == 0, "the rescuer thread outlived its queue");
	/* The pool's "cannot start its first worker" may come too. */
	CHECK(count_lines_containing(err, "uwq_destroy_workqueue(") == 1 &&
	      count_lines_containing(err, ADVICE) == 1 &&
	      count_lines_containing(err, "rescued_armed_fn") == 1,
	      "want one report naming the armed item's function:\n%s", err);
	free(err);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}

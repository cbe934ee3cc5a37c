/* SPDX-License-Identifier: MIT */
/*
 * Creation failure never loses or stalls reclaim work (docs/design.md §3
 * "Concurrency management": when workers cannot be made (EAGAIN, ENOMEM),
 * the mayday timer summons the rescuer thread of each UWQ_MEM_RECLAIM queue
 * with work waiting, as the kernel's pool_mayday_timeout() and
 * rescuer_thread() in kernel/workqueue.c do):
 * with mayday 5 ms / 20 ms and a 50 ms creation cooldown, a UWQ_MEM_RECLAIM
 * queue R and a plain queue N, both high-priority bound queues on one CPU
 * whose pool ("<cpu>H") has not started. Worker creation then fails with
 * EAGAIN (fault injection) and 20 items of R and 20 of N are queued,
 * interleaved:
 *  - R has a rescuer thread "uwq-R-<name>" from its creation;
 *  - all 20 R items run, each once, on the rescuer thread, while no N item
 *    has run;
 *  - once creation works again, all 20 N items run, on the pool's workers;
 *  - in the end every item ran exactly once.
 * Skips (77) when the library was built without fault injection (Release).
 */
#include <uwq/workqueue.h>

#include "util.h"

/* Test hook exported by uwq, not in the public headers (src/internal/fault.h). */
int uwq__fault_inject(const char *site, int err, int count);

#define NITEMS		20
#define RNAME		"cm_resc"
#define RTHREAD		"uwq-R-" RNAME

struct item {
	struct uwq_work	w;
	atomic_int	runs;
	atomic_int	bad_thread;	/* ran on a thread of the wrong kind */
};

static struct item ritems[NITEMS], nitems[NITEMS];
static atomic_int r_done, n_done;
static char worker_prefix[32];		/* "uwq/<cpu>:" */

static void r_fn(struct uwq_work *w)
{
	struct item *it = container_of(w, struct item, w);
	char comm[32];

	if (!task_comm(util_gettid(), comm, sizeof(comm)) || strcmp(comm, RTHREAD) != 0)
		atomic_store(&it->bad_thread, 1);
	atomic_fetch_add(&it->runs, 1);
	atomic_fetch_add(&r_done, 1);
}

static void n_fn(struct uwq_work *w)
{
	struct item *it = container_of(w, struct item, w);
	char comm[32];
	size_t len;

	if (!task_comm(util_gettid(), comm, sizeof(comm)) ||
	    strncmp(comm, worker_prefix, strlen(worker_prefix)) != 0 ||
	    (len = strlen(comm)) == 0 || comm[len - 1] != 'H')
		atomic_store(&it->bad_thread, 1);
	atomic_fetch_add(&it->runs, 1);
	atomic_fetch_add(&n_done, 1);
}

static int runs_total(struct item *v)
{
	int n = 0;

	for (int i = 0; i < NITEMS; i++)
		n += atomic_load(&v[i].runs);
	return n;
}

int main(void)
{
	struct uwq_workqueue *r, *nq;
	struct uwq_config cfg;
	int cpu, err;

	affinity_cpus(&cpu, 1);
	snprintf(worker_prefix, sizeof(worker_prefix), "uwq/%d:", cpu);
	uwq_config_defaults(&cfg);
	cfg.mayday_initial_ns = 5 * NSEC_PER_MSEC;
	cfg.mayday_interval_ns = 20 * NSEC_PER_MSEC;
	cfg.create_cooldown_ns = 50 * NSEC_PER_MSEC;
	CHECK((err = uwq_configure(&cfg)) == 0, "uwq_configure: %d", err);
	err = uwq__fault_inject("worker_create", 0, 0);
	if (err == -ENOSYS)
		SKIP("uwq built without fault injection (Release build)");
	CHECK(err == 0, "uwq__fault_inject(worker_create, 0, 0) = %d", err);

	/* High-priority bound queues: their pool for `cpu` is used by nothing else. */
	PHASE("create queues");
	r = uwq_alloc_workqueue(RNAME, UWQ_MEM_RECLAIM | UWQ_HIGHPRI, 0);
	CHECK(r, "alloc R failed: %s", strerror(errno));
	nq = uwq_alloc_workqueue("cm_norm", UWQ_HIGHPRI, 0);
	CHECK(nq, "alloc N failed: %s", strerror(errno));
	WAIT_UNTIL(count_tasks_named(RTHREAD) == 1, "%d threads named \"%s\"",
		   count_tasks_named(RTHREAD), RTHREAD);
	CHECK(count_tasks_named("uwq-R-") == 1, "%d rescuer threads for one reclaim queue",
	      count_tasks_named("uwq-R-"));

	PHASE("creation failing");
	CHECK(uwq__fault_inject("worker_create", EAGAIN, -1) == 0, "arming the fault failed");
	for (int i = 0; i < NITEMS; i++) {
		uwq_work_init(&ritems[i].w, r_fn);
		uwq_work_init(&nitems[i].w, n_fn);
		CHECK(uwq_queue_work_on(cpu, r, &ritems[i].w), "queueing R item %d failed", i);
		CHECK(uwq_queue_work_on(cpu, nq, &nitems[i].w), "queueing N item %d failed", i);
	}
	WAIT_UNTIL(atomic_load(&r_done) == NITEMS,
		   "%d of %d reclaim items ran (by the rescuer) while creation fails; %d plain ran",
		   atomic_load(&r_done), NITEMS, atomic_load(&n_done));
	CHECK(atomic_load(&n_done) == 0, "%d plain items ran although no worker could be created",
	      atomic_load(&n_done));
	CHECK(count_tasks_named(worker_prefix) == 0,
	      "a worker thread %s... exists although creation fails", worker_prefix);
	for (int i = 0; i < NITEMS; i++) {
		CHECK(atomic_load(&ritems[i].runs) == 1, "R item %d ran %d times", i,
		      atomic_load(&ritems[i].runs));
		CHECK(!atomic_load(&ritems[i].bad_thread), "R item %d did not run on \"%s\"", i,
		      RTHREAD);
	}

	PHASE("creation works again");
	CHECK(uwq__fault_inject("worker_create", 0, 0) == 0, "disarming the fault failed");
	WAIT_UNTIL(atomic_load(&n_done) == NITEMS, "%d of %d plain items ran once creation works",
		   atomic_load(&n_done), NITEMS);
	CHECK(uwq_flush_workqueue(nq) == 0, "flush N failed");
	CHECK(uwq_flush_workqueue(r) == 0, "flush R failed");

	for (int i = 0; i < NITEMS; i++) {
		CHECK(atomic_load(&ritems[i].runs) == 1, "R item %d ran %d times in all", i,
		      atomic_load(&ritems[i].runs));
		CHECK(atomic_load(&nitems[i].runs) == 1, "N item %d ran %d times", i,
		      atomic_load(&nitems[i].runs));
		CHECK(!atomic_load(&nitems[i].bad_thread), "N item %d did not run on a %s...H worker",
		      i, worker_prefix);
	}
	CHECK(runs_total(ritems) == NITEMS && runs_total(nitems) == NITEMS,
	      "runs: R %d, N %d", runs_total(ritems), runs_total(nitems));

	uwq_destroy_workqueue(r);
	uwq_destroy_workqueue(nq);
	/* Joined, but the kernel may list a thread for a moment after. */
	WAIT_UNTIL(count_tasks_named("uwq-R-") == 0, "the rescuer thread outlived its queue");
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}

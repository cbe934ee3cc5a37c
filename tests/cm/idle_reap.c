/* SPDX-License-Identifier: MIT */
/*
 * Idle workers are reaped after a timeout, keeping a small reserve
 * (docs/design.md §3 "Concurrency management"; header struct uwq_config
 * idle_reserve "idle workers a pool always keeps (plus one per 4 busy
 * workers, as the kernel)"; the kernel's too_many_workers() and
 * idle_cull_fn() in kernel/workqueue.c):
 * with idle_timeout_ns = 200 ms and idle_reserve = 2, 12 items on one CPU's
 * pool block (hinted) on their gates, so the pool grows to 12+ workers.
 *  - releasing 4 (8 busy left): the pool shrinks to 8 busy + 3 idle (the
 *    largest idle count the rule keeps with 8 busy) and not below 8 + 2;
 *  - releasing the rest (0 busy): it shrinks to the reserve, 2 workers, and
 *    stays there (never below 1) over several timeouts;
 *  - the workers left still run new work.
 * Workers are counted by name ("uwq/<cpu>:<n>") in /proc/self/task.
 */
#include <uwq/workqueue.h>

#include "util.h"

#define NITEMS		12
#define RESERVE		2
#define IDLE_NS		(200 * NSEC_PER_MSEC)

struct item {
	struct uwq_work	w;
	atomic_int	release;
	atomic_int	runs;
};

static struct item items[NITEMS];
static atomic_int started, done;
static int the_cpu;

static void blocker_fn(struct uwq_work *w)
{
	struct item *it = container_of(w, struct item, w);

	atomic_fetch_add(&it->runs, 1);
	atomic_fetch_add(&started, 1);
	uwq_blocking_begin();
	GATE_WAIT(atomic_load(&it->release), "item %d never released", (int)(it - items));
	uwq_blocking_end();
	atomic_fetch_add(&done, 1);
}

static void nop_fn(struct uwq_work *w)
{
	atomic_fetch_add(&container_of(w, struct item, w)->runs, 1);
}

/* The largest idle count too_many_workers() leaves alone with @busy busy workers. */
static int max_kept_idle(int busy)
{
	int idle = RESERVE;

	while ((idle + 1 - RESERVE) * 4 < busy)
		idle++;
	return idle;
}

int main(void)
{
	struct uwq_workqueue *wq;
	struct uwq_config cfg;
	struct item last;
	uint64_t until;
	int n, peak, err, busy;
	unsigned spins = 0;

	affinity_cpus(&the_cpu, 1);
	uwq_config_defaults(&cfg);
	cfg.idle_timeout_ns = IDLE_NS;
	cfg.idle_reserve = RESERVE;
	CHECK((err = uwq_configure(&cfg)) == 0, "uwq_configure: %d", err);
	wq = uwq_alloc_workqueue("cm_idle_reap", 0, 0);
	CHECK(wq, "alloc failed: %s", strerror(errno));

	PHASE("grow");
	for (int i = 0; i < NITEMS; i++) {
		uwq_work_init(&items[i].w, blocker_fn);
		CHECK(uwq_queue_work_on(the_cpu, wq, &items[i].w), "queueing item %d failed", i);
	}
	WAIT_UNTIL(atomic_load(&started) == NITEMS, "%d of %d items started; %d pool threads",
		   atomic_load(&started), NITEMS, bound_pool_threads(the_cpu));
	peak = bound_pool_threads(the_cpu);
	CHECK(peak >= NITEMS, "%d items blocked at once with only %d pool threads", NITEMS, peak);

	/* 8 busy: keep 8 + max_kept_idle(8) = 11, never fewer than 8 + the reserve. */
	PHASE("release 4");
	for (int i = 0; i < 4; i++)
		atomic_store(&items[i].release, 1);
	WAIT_UNTIL(atomic_load(&done) == 4, "%d of 4 released items finished", atomic_load(&done));
	busy = NITEMS - 4;
	WAIT_UNTIL((n = bound_pool_threads(the_cpu)) <= busy + max_kept_idle(busy),
		   "with %d busy the pool keeps %d threads (expected at most %d + %d idle)", busy, n,
		   busy, max_kept_idle(busy));
	CHECK(n >= busy + RESERVE, "with %d busy only %d threads left: idle below the reserve %d",
	      busy, n, RESERVE);
	NOTE("peak %d pool threads; with %d busy: %d", peak, busy, n);

	/* 0 busy: down to the reserve, and no further. */
	PHASE("release all");
	for (int i = 4; i < NITEMS; i++)
		atomic_store(&items[i].release, 1);
	WAIT_UNTIL(atomic_load(&done) == NITEMS, "%d of %d items finished", atomic_load(&done),
		   NITEMS);
	WAIT_UNTIL((n = bound_pool_threads(the_cpu)) <= RESERVE,
		   "idle pool keeps %d threads (reserve %d)", n, RESERVE);
	PHASE("stays at the reserve");
	until = now_ns() + 3 * IDLE_NS;	/* observe three timeouts (no synchronisation) */
	while (now_ns() < until) {
		n = bound_pool_threads(the_cpu);
		CHECK(n >= 1, "the pool reaped its last worker (%d threads)", n);
		CHECK(n == RESERVE, "idle pool has %d threads, not the reserve %d", n, RESERVE);
		util_pause(&spins);
	}

	PHASE("still works");
	memset(&last, 0, sizeof(last));
	uwq_work_init(&last.w, nop_fn);
	CHECK(uwq_queue_work_on(the_cpu, wq, &last.w), "queueing after reaping failed");
	uwq_flush_work(&last.w);
	CHECK(atomic_load(&last.runs) == 1, "item after reaping ran %d times", atomic_load(&last.runs));
	for (int i = 0; i < NITEMS; i++)
		CHECK(atomic_load(&items[i].runs) == 1, "item %d ran %d times", i,
		      atomic_load(&items[i].runs));

	uwq_destroy_workqueue(wq);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}

/* SPDX-License-Identifier: MIT */
/*
 * growth.h - the blocking mix shared by growth_follows_need.c and
 * growth_nested_wait.c: a process limited to 2 CPUs, a cap of 64 workers
 * per pool, idle workers kept (so a pool's worker count is its peak), and
 * items that sleep 2 ms inside uwq_blocking_begin/end, then burn 0.5 ms of
 * CPU, queued at once on uwq_system_unbound_wq. About 2 x (1 + 2 / 0.5) =
 * 10 busy workers keep both CPUs busy (Little's law); a pool that makes a
 * worker for every block grows to the cap.
 */
#include <time.h>
#include <uwq/stats.h>
#include <uwq/workqueue.h>

#include "util.h"

#define CAP		64
#define MAX_CPUS	1024

struct mix_item {
	struct uwq_work	w;
	atomic_int	runs;
};

static atomic_int mix_done;

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void mix_fn(struct uwq_work *w)
{
	struct timespec ts = { 0, 2 * NSEC_PER_MSEC };
	uint64_t end;

	atomic_fetch_add(&container_of(w, struct mix_item, w)->runs, 1);
	uwq_blocking_begin();
	nanosleep(&ts, NULL);
	uwq_blocking_end();
	end = thread_cpu_ns() + 500 * NSEC_PER_USEC;	/* CPU time: a preempted item still burns its share */
	while (thread_cpu_ns() < end)
		;
	atomic_fetch_add(&mix_done, 1);
}

/* Workers of the unbound pools, and how many were reaped. */
static int unbound_workers(uint64_t *reaped)
{
	struct uwq_pool_stats st;
	int n = 0;

	*reaped = 0;
	for (int i = 0; uwq_pool_stats(i, &st) == 0; i++) {
		if (st.cpu >= 0)
			continue;
		n += st.workers;
		*reaped += st.reaped;
	}
	return n;
}

/* Two CPUs at most, the cap, no reaping; before the first uwq call. */
static void growth_setup(void)
{
	static int cpus[MAX_CPUS];
	struct uwq_config c;

	limit_cpus(2, cpus, MAX_CPUS);
	uwq_config_defaults(&c);
	c.max_workers = CAP;
	c.idle_timeout_ns = 3600ull * NSEC_PER_SEC;
	CHECK(uwq_configure(&c) == 0, "uwq_configure failed");
}

/* Run @n items of the mix and wait for them; returns the unbound workers then. */
static int run_mix(struct mix_item *items, int n)
{
	uint64_t reaped;
	int workers;

	atomic_store(&mix_done, 0);
	for (int i = 0; i < n; i++) {
		uwq_work_init(&items[i].w, mix_fn);
		atomic_store(&items[i].runs, 0);
	}
	for (int i = 0; i < n; i++)
		CHECK(uwq_queue_work(uwq_system_unbound_wq, &items[i].w), "queueing item %d failed", i);
	WAIT_UNTIL(atomic_load(&mix_done) == n, "%d of %d items done; %d unbound workers", atomic_load(&mix_done), n,
		   unbound_workers(&reaped));
	CHECK(uwq_flush_workqueue(uwq_system_unbound_wq) == 0, "flush_workqueue failed");
	for (int i = 0; i < n; i++)
		CHECK(atomic_load(&items[i].runs) == 1, "item %d ran %d times", i, atomic_load(&items[i].runs));
	workers = unbound_workers(&reaped);
	CHECK(reaped == 0, "%llu workers reaped with a 1 h idle timeout", (unsigned long long)reaped);
	return workers;
}

/* SPDX-License-Identifier: MIT */
/*
 * The kernel documentation's cmwq timeline (docs/design.md §3 "Concurrency
 * management": when a running worker blocks, the pool wakes or creates
 * another so the CPU keeps doing queued work, learnt from hints or, with
 * none, from the monitor; Documentation/core-api/workqueue.rst "Example
 * Execution Scenarios"):
 * three items on one bound queue for one CPU; w0 burns X, sleeps 2X, burns
 * X; w1 and w2 burn X then sleep 2X. With max_active >= 3:
 *  - w1 starts while w0 sleeps (after w0's sleep began, before it ended);
 *  - w2 starts while w1 sleeps;
 * both with plain nanosleep (the monitor detects the sleep) and with the
 * sleeps between uwq_blocking_begin()/end(). With max_active = 2, w1 still
 * starts while w0 sleeps, and w2 starts only after w0 or w1 has finished.
 *
 * Burns are CPU time (CLOCK_THREAD_CPUTIME_ID), so preemption on a loaded
 * machine lengthens them without counting; X = 20 ms and sleeps of 200 ms
 * leave the 1 ms monitor tick a wide margin; only orders are asserted.
 * The CPU-intensive threshold is raised to 1 s so that the 20 ms burns stay
 * under it, as the kernel example's 5 ms burns stay under its 10 ms.
 */
#include <uwq/workqueue.h>

#include "util.h"

#define BURN_NS		(20 * NSEC_PER_MSEC)
#define SLEEP_NS	(200 * NSEC_PER_MSEC)

struct titem {
	struct uwq_work		w;
	const char		*name;
	_Atomic uint64_t	start, sleep_begin, sleep_end, end;
	atomic_int		runs;
};

static struct titem items[3];
static atomic_int hinted;	/* this round's sleeps are hinted */
static atomic_int all_queued;	/* w0 waits for it, so all three are queued before w0 goes on */

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void burn_cpu(uint64_t ns)
{
	uint64_t end = thread_cpu_ns() + ns;

	while (thread_cpu_ns() < end)
		__asm__ __volatile__("" ::: "memory");
}

/* The scenario's sleep (not synchronisation): absolute, so EINTR cannot stretch it. */
static void scenario_sleep(struct titem *it)
{
	uint64_t until = now_ns() + SLEEP_NS;
	struct timespec ts = { (time_t)(until / NSEC_PER_SEC), (long)(until % NSEC_PER_SEC) };

	/* Stamped before the hint: the hint itself lets the next item start. */
	atomic_store(&it->sleep_begin, now_ns());
	if (atomic_load(&hinted))
		uwq_blocking_begin();
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
	atomic_store(&it->sleep_end, now_ns());
	if (atomic_load(&hinted))
		uwq_blocking_end();
}

static void w0_fn(struct uwq_work *w)
{
	struct titem *it = container_of(w, struct titem, w);
	uint64_t deadline = now_ns() + UTIL_WAIT_NS;

	/* Running, not blocked: w1 and w2 stay queued meanwhile. */
	while (!atomic_load(&all_queued)) {
		CHECK(now_ns() < deadline, "w0: the test never queued w1 and w2");
		sched_yield();
	}
	atomic_store(&it->start, now_ns());
	atomic_fetch_add(&it->runs, 1);
	burn_cpu(BURN_NS);
	scenario_sleep(it);
	burn_cpu(BURN_NS);
	atomic_store(&it->end, now_ns());
}

static void w12_fn(struct uwq_work *w)
{
	struct titem *it = container_of(w, struct titem, w);

	atomic_store(&it->start, now_ns());
	atomic_fetch_add(&it->runs, 1);
	burn_cpu(BURN_NS);
	scenario_sleep(it);
	atomic_store(&it->end, now_ns());
}

/* ms relative to t0, for messages; 0 stays "not yet". */
static double rel(uint64_t t, uint64_t t0)
{
	return t ? (double)(int64_t)(t - t0) / 1e6 : -1.0;
}

static void show(const char *what, uint64_t t0)
{
	for (int i = 0; i < 3; i++)
		NOTE("%s: %s start %.1f sleep %.1f..%.1f end %.1f (ms)", what, items[i].name,
		     rel(atomic_load(&items[i].start), t0), rel(atomic_load(&items[i].sleep_begin), t0),
		     rel(atomic_load(&items[i].sleep_end), t0), rel(atomic_load(&items[i].end), t0));
}

/* "a starts while b sleeps" */
static void check_starts_while_sleeping(const char *what, int a, int b, uint64_t t0)
{
	uint64_t s = atomic_load(&items[a].start);

	if (!(s > atomic_load(&items[b].sleep_begin) && s < atomic_load(&items[b].sleep_end))) {
		show(what, t0);
		FAIL("%s: %s started at %.1f ms, not while %s slept (%.1f..%.1f ms)", what,
		     items[a].name, rel(s, t0), items[b].name,
		     rel(atomic_load(&items[b].sleep_begin), t0), rel(atomic_load(&items[b].sleep_end), t0));
	}
}

static void round_(struct uwq_workqueue *wq, int cpu, int max_active, bool hint)
{
	char what[64];
	uint64_t t0, first_end;

	snprintf(what, sizeof(what), "max_active %d, %s", max_active, hint ? "hinted" : "unhinted");
	PHASE(what);
	atomic_store(&hinted, hint);
	atomic_store(&all_queued, 0);
	for (int i = 0; i < 3; i++) {
		static const char *const names[] = { "w0", "w1", "w2" };

		uwq_work_init(&items[i].w, i == 0 ? w0_fn : w12_fn);
		items[i].name = names[i];
		atomic_store(&items[i].start, 0);
		atomic_store(&items[i].sleep_begin, 0);
		atomic_store(&items[i].sleep_end, 0);
		atomic_store(&items[i].end, 0);
		atomic_store(&items[i].runs, 0);
	}
	t0 = now_ns();
	for (int i = 0; i < 3; i++)
		CHECK(uwq_queue_work_on(cpu, wq, &items[i].w), "%s: queueing %s failed", what,
		      items[i].name);
	atomic_store(&all_queued, 1);
	WAIT_UNTIL(atomic_load(&items[0].end) && atomic_load(&items[1].end) &&
		   atomic_load(&items[2].end),
		   "%s: ends at %.1f / %.1f / %.1f ms", what, rel(atomic_load(&items[0].end), t0),
		   rel(atomic_load(&items[1].end), t0), rel(atomic_load(&items[2].end), t0));
	CHECK(uwq_flush_workqueue(wq) == 0, "flush_workqueue failed");
	for (int i = 0; i < 3; i++)
		CHECK(atomic_load(&items[i].runs) == 1, "%s: %s ran %d times", what, items[i].name,
		      atomic_load(&items[i].runs));

	check_starts_while_sleeping(what, 1, 0, t0);
	if (max_active >= 3) {
		check_starts_while_sleeping(what, 2, 1, t0);
	} else {
		first_end = atomic_load(&items[0].end) < atomic_load(&items[1].end) ?
			    atomic_load(&items[0].end) : atomic_load(&items[1].end);
		if (!(atomic_load(&items[2].start) > first_end)) {
			show(what, t0);
			FAIL("%s: w2 started at %.1f ms, before w0 or w1 finished (%.1f ms)", what,
			     rel(atomic_load(&items[2].start), t0), rel(first_end, t0));
		}
	}
	show(what, t0);
}

struct nop {
	struct uwq_work	w;
	atomic_int	runs;
};

static void nop_fn(struct uwq_work *w)
{
	atomic_fetch_add(&container_of(w, struct nop, w)->runs, 1);
}

int main(void)
{
	struct uwq_workqueue *wq3, *wq2;
	struct uwq_config cfg;
	struct nop warm;
	int cpu, err;

	affinity_cpus(&cpu, 1);
	uwq_config_defaults(&cfg);
	cfg.cpu_intensive_ns = NSEC_PER_SEC;	/* the 20 ms burns are not hogs */
	cfg.monitor_tick_ns = NSEC_PER_MSEC;
	CHECK((err = uwq_configure(&cfg)) == 0, "uwq_configure: %d", err);

	wq3 = uwq_alloc_workqueue("cm_timeline3", 0, 3);
	CHECK(wq3, "alloc failed: %s", strerror(errno));
	wq2 = uwq_alloc_workqueue("cm_timeline2", 0, 2);
	CHECK(wq2, "alloc failed: %s", strerror(errno));

	/* Start the pool (first worker and its standby) before the timeline. */
	memset(&warm, 0, sizeof(warm));
	uwq_work_init(&warm.w, nop_fn);
	CHECK(uwq_queue_work_on(cpu, wq3, &warm.w), "warm-up queueing failed");
	uwq_flush_work(&warm.w);
	CHECK(atomic_load(&warm.runs) == 1, "warm-up item did not run");

	round_(wq3, cpu, 3, false);
	round_(wq3, cpu, 3, true);
	round_(wq2, cpu, 2, false);
	round_(wq2, cpu, 2, true);

	uwq_destroy_workqueue(wq3);
	uwq_destroy_workqueue(wq2);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}

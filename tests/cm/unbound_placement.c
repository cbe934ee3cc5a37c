/* SPDX-License-Identifier: MIT */
/*
 * Unbound pools spread their running workers over their CPUs (src/wq/pool.c
 * "Placement"; docs/design.md §3 "Concurrency management": their target is
 * one running worker per CPU in the pool's CPU mask): a worker that starts
 * an item on a CPU where another running worker of its pool already is,
 * while a CPU of the pool has none, moves itself there before the item's
 * function runs.
 *
 * The scheduler's choice is taken out of the test by pinning: every unbound
 * worker thread that exists is pinned to CPU a (sched_setaffinity on its
 * tid), so item A starts on a, and so does item B whenever a pinned worker
 * takes it. Item A spins (CPU-intensive detection off) until B has run, so
 * A's worker is running on a throughout. Asserted:
 *  - A ran on a (the pinning holds; else the test setup is wrong);
 *  - B ran on a CPU other than a, every round. Without placement a pinned
 *    worker taking B would run it on a;
 *  - B's worker may run anywhere in the pool's mask afterwards: its
 *    affinity is the whole mask again, not the single CPU it moved to.
 * Rounds repeat with every worker re-pinned, so both the worker that ran A
 * and the others take B over the rounds. Needs two CPUs; skips otherwise.
 */
#include <uwq/workqueue.h>

#include "util.h"

#define ROUNDS	20

static int cpu_a;
static atomic_int a_cpu, b_cpu, b_done, go;
static atomic_int b_mask_ok;
static cpu_set_t pool_mask;

static void item_a(struct uwq_work *w)
{
	(void)w;
	atomic_store(&a_cpu, sched_getcpu());
	while (!atomic_load(&go))	/* a real spin: a sleeping A could be taken for blocked */
		__asm__ __volatile__("" ::: "memory");
}

static void item_b(struct uwq_work *w)
{
	cpu_set_t now;

	(void)w;
	atomic_store(&b_cpu, sched_getcpu());
	CPU_ZERO(&now);
	atomic_store(&b_mask_ok, sched_getaffinity(0, sizeof(now), &now) == 0 && CPU_EQUAL(&now, &pool_mask));
	atomic_store(&b_done, 1);
}

/* Pin every unbound worker ("uwq/u") of this process to @cpu. */
static int pin_unbound_workers(int cpu)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	cpu_set_t one;
	char comm[64];
	int n = 0;

	CHECK(d, "opendir /proc/self/task: %s", strerror(errno));
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	while ((de = readdir(d)) != NULL) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid <= 0 || !task_comm(tid, comm, sizeof(comm)) || strncmp(comm, "uwq/u", 5) != 0)
			continue;
		CHECK(sched_setaffinity(tid, sizeof(one), &one) == 0, "pinning %s: %s", comm, strerror(errno));
		n++;
	}
	closedir(d);
	return n;
}

int main(void)
{
	struct uwq_workqueue_attrs *attrs;
	struct uwq_workqueue *wq;
	struct uwq_config cfg;
	struct uwq_work a, b;
	int cpus[2], err;

	if (affinity_cpus(cpus, 2) < 2)
		SKIP("needs two CPUs");
	cpu_a = cpus[0];
	uwq_config_defaults(&cfg);
	cfg.cpu_intensive_ns = 0;	/* A spins: it must stay a running worker */
	CHECK((err = uwq_configure(&cfg)) == 0, "uwq_configure: %d", err);
	wq = uwq_alloc_workqueue("placement", UWQ_UNBOUND, 0);
	CHECK(wq, "alloc: %s", strerror(errno));
	attrs = uwq_alloc_workqueue_attrs();
	CHECK(attrs, "alloc attrs");
	CPU_ZERO(&attrs->cpumask);
	CPU_SET(cpus[0], &attrs->cpumask);
	CPU_SET(cpus[1], &attrs->cpumask);
	attrs->affn_scope = UWQ_AFFN_SYSTEM;	/* one pool of both CPUs */
	CHECK((err = uwq_apply_workqueue_attrs(wq, attrs)) == 0, "apply attrs: %d", err);
	pool_mask = attrs->cpumask;
	uwq_free_workqueue_attrs(attrs);

	for (int round = 0; round < ROUNDS; round++) {
		PHASE("round");
		/* Workers exist once the pool has run something. */
		uwq_work_init(&a, item_a);
		uwq_work_init(&b, item_b);
		atomic_store(&go, 1);
		CHECK(uwq_queue_work(wq, &a), "queue warm-up");
		CHECK(uwq_flush_workqueue(wq) == 0, "flush");
		CHECK(pin_unbound_workers(cpu_a) > 0, "no unbound worker to pin");

		atomic_store(&go, 0);
		atomic_store(&a_cpu, -1);
		atomic_store(&b_done, 0);
		CHECK(uwq_queue_work(wq, &a), "queue A");
		WAIT_UNTIL(atomic_load(&a_cpu) >= 0, "round %d: A did not start", round);
		CHECK(atomic_load(&a_cpu) == cpu_a, "round %d: A ran on CPU %d, pinned to %d", round,
		      atomic_load(&a_cpu), cpu_a);
		CHECK(uwq_queue_work(wq, &b), "queue B");
		WAIT_UNTIL(atomic_load(&b_done), "round %d: B did not run beside A", round);
		CHECK(atomic_load(&b_cpu) != cpu_a, "round %d: B ran on CPU %d, beside A's worker", round, cpu_a);
		CHECK(atomic_load(&b_mask_ok), "round %d: B's worker is not on its pool's CPUs again", round);
		atomic_store(&go, 1);
		CHECK(uwq_flush_workqueue(wq) == 0, "flush");
	}
	uwq_destroy_workqueue(wq);
	return TEST_PASS;
}

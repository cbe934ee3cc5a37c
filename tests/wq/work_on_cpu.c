/* SPDX-License-Identifier: MIT */
/*
 * uwq_work_on_cpu() (the kernel's work_on_cpu()): the function's value
 * comes back, it ran on the CPU asked for, for every CPU uwq serves; -EINVAL
 * for a NULL function and for CPUs uwq does not serve (-1, past the
 * process's mask); callable from a uwq worker, including one of the very
 * per-CPU pool it asks for (its wait hands the CPU to another worker).
 */
#include <uwq/workqueue.h>

#include <limits.h>

#include "util.h"

static long where(void *arg)
{
	return (long)(intptr_t)arg * 1000 + sched_getcpu();
}

struct nested {
	struct uwq_work	w;
	int		cpu;
	atomic_long	got;	/* LONG_MIN until the item ran */
};

static void nested_fn(struct uwq_work *w)
{
	struct nested *n = container_of(w, struct nested, w);

	atomic_store(&n->got, uwq_work_on_cpu(n->cpu, where, (void *)(intptr_t)7));
}

int main(void)
{
	cpu_set_t mask;
	int last = -1;

	CHECK(sched_getaffinity(0, sizeof(mask), &mask) == 0, "sched_getaffinity: %s", strerror(errno));
	PHASE("every CPU of the mask");
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		long got;

		if (!CPU_ISSET(cpu, &mask))
			continue;
		last = cpu;
		got = uwq_work_on_cpu(cpu, where, (void *)(intptr_t)(cpu + 1));
		CHECK(got == (long)(cpu + 1) * 1000 + cpu, "uwq_work_on_cpu(%d) returned %ld: want %ld (value %d, ran on CPU %d)",
		      cpu, got, (long)(cpu + 1) * 1000 + cpu, cpu + 1, cpu);
	}
	PHASE("bad input");
	CHECK(uwq_work_on_cpu(last, NULL, NULL) == -EINVAL, "NULL function accepted");
	CHECK(uwq_work_on_cpu(-1, where, NULL) == -EINVAL, "CPU -1 accepted");
	CHECK(uwq_work_on_cpu(CPU_SETSIZE + 5, where, NULL) == -EINVAL, "CPU %d accepted", CPU_SETSIZE + 5);
	for (int cpu = last + 1; cpu < last + 64 && cpu < CPU_SETSIZE; cpu++)
		if (!CPU_ISSET(cpu, &mask)) {
			CHECK(uwq_work_on_cpu(cpu, where, NULL) == -EINVAL, "CPU %d, outside the mask, accepted", cpu);
			break;
		}

	PHASE("from workers: an unbound one and one of the same per-CPU pool");
	for (int k = 0; k < 2; k++) {
		struct nested n = { .cpu = last };

		atomic_init(&n.got, LONG_MIN);
		uwq_work_init(&n.w, nested_fn);
		if (k == 0)
			CHECK(uwq_queue_work(uwq_system_unbound_wq, &n.w), "queue");
		else
			CHECK(uwq_queue_work_on(last, uwq_system_wq, &n.w), "queue_on");
		WAIT_UNTIL(atomic_load(&n.got) != LONG_MIN, "the nested uwq_work_on_cpu(%d) never returned (%s)",
			   last, k ? "same per-CPU pool" : "from an unbound worker");
		CHECK(atomic_load(&n.got) == 7000L + last, "from a worker (%s): got %ld, want %ld",
		      k ? "same per-CPU pool" : "unbound", atomic_load(&n.got), 7000L + last);
	}
	CHECK(uwq_shutdown() == 0, "shutdown");
	return TEST_PASS;
}

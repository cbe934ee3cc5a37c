/* SPDX-License-Identifier: MIT */
/*
 * A line's thread handlers follow its affinity (irq.h uwq_irq_set_affinity:
 * "CPUs for the line's thread handlers (applied by each thread at its next
 * wake-up)"): after setting the line's mask to one CPU, the thread
 * handler's next runs are on that CPU, for each CPU of the process's mask
 * in turn.
 */
#include "irqtest.h"

static atomic_int runs, where;

static uwq_irqreturn_t aff_thread(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	atomic_store(&where, sched_getcpu());
	atomic_fetch_add(&runs, 1);
	return UWQ_IRQ_HANDLED;
}

int main(void)
{
	int cpus[64], n = affinity_cpus(cpus, 64), irq = new_eventfd_line(), dev;

	CHECK_RC(uwq_request_threaded_irq(irq, NULL, aff_thread, UWQ_IRQF_ONESHOT, "aff", &dev), "request");
	for (int i = 0; i < n; i++) {
		cpu_set_t set;
		int before;

		CPU_ZERO(&set);
		CPU_SET(cpus[i], &set);
		CHECK_RC(uwq_irq_set_affinity(irq, &set), "set_affinity");
		/* The mask is applied at the thread's next wake-up: the run
		 * after that one is certainly on the CPU. */
		for (int k = 0; k < 2; k++) {
			before = atomic_load(&runs);
			CHECK_RC(uwq_irq_raise(irq), "raise");
			WAIT_UNTIL(atomic_load(&runs) > before, "thread did not run");
		}
		CHECK(atomic_load(&where) == cpus[i], "thread ran on CPU %d, line affinity CPU %d",
		      atomic_load(&where), cpus[i]);
	}
	CHECK(uwq_free_irq(irq, &dev), "free");
	CHECK_RC(uwq_irq_destroy(irq), "destroy");
	CHECK(uwq_shutdown() == 0, "shutdown");
	return TEST_PASS;
}

/* SPDX-License-Identifier: MIT */
/*
 * uwq_dump() prints lines in the /proc/interrupts layout (include/uwq/stats.h
 * uwq_dump(): "then the interrupt lines in /proc/interrupts layout"): a
 * header of CPU columns, then per line "<irq>:" with one count per CPU
 * (summing to the events delivered), the chip name, the trigger and the
 * action names, and a spurious block with the unhandled count and each thread
 * handler's runs.
 */
#include <uwq/stats.h>

#include "irqtest.h"

static atomic_int calls;

static uwq_irqreturn_t mine(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	atomic_fetch_add(&calls, 1);
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t not_mine(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	return UWQ_IRQ_NONE;
}

static atomic_int thread_runs;

static uwq_irqreturn_t thr(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	atomic_fetch_add(&thread_runs, 1);
	return UWQ_IRQ_HANDLED;
}

int main(void)
{
	int irq = new_eventfd_line(), a, b, ncpu = 0;
	unsigned long long sum = 0;
	char *buf = NULL, *row, *p, key[16];
	size_t len = 0;
	FILE *f;

	CHECK_RC(uwq_request_threaded_irq(irq, mine, thr, UWQ_IRQF_SHARED | UWQ_IRQF_ONESHOT, "nicA", &a),
		 "request a");
	CHECK_RC(uwq_request_threaded_irq(irq, not_mine, thr, UWQ_IRQF_SHARED | UWQ_IRQF_ONESHOT, "nicB", &b),
		 "request b");
	for (int i = 1; i <= 7; i++) {
		CHECK_RC(uwq_irq_raise(irq), "raise");
		WAIT_UNTIL(atomic_load(&thread_runs) == i, "event %d not handled", i);
	}
	/* A thread counts its run after its handler returns: wait for it. */
	uwq_synchronize_irq(irq);
	f = open_memstream(&buf, &len);
	uwq_dump(f);
	fclose(f);
	snprintf(key, sizeof(key), "\n%4d:", irq);
	row = strstr(buf, key);
	CHECK(row, "no row \"%d:\" in the dump:\n%s", irq, buf);
	for (p = buf; (p = strstr(p, "CPU")) && p < row; p += 3)
		ncpu++;
	CHECK(ncpu >= 1, "no CPU columns in the header:\n%s", buf);
	p = row + strlen(key);
	for (int c = 0; c < ncpu; c++)
		sum += strtoull(p, &p, 10);
	CHECK(sum == 7, "per-CPU counts sum to %llu, want 7:\n%s", sum, buf);
	CHECK(strstr(p, "eventfd") && strstr(p, "Level") && strstr(p, "nicA, nicB"),
	      "row lacks chip, trigger or action names:\n%s", buf);
	CHECK(strstr(p, "thread[nicA]=7") && strstr(p, "thread[nicB]=0"), "thread runs not shown:\n%s", buf);
	CHECK(strstr(p, "unhandled=0"), "a handled line shows unhandled events:\n%s", buf);
	free(buf);
	CHECK(uwq_free_irq(irq, &a) && uwq_free_irq(irq, &b), "free");
	CHECK_RC(uwq_irq_destroy(irq), "destroy");
	CHECK(uwq_shutdown() == 0, "shutdown");
	return TEST_PASS;
}

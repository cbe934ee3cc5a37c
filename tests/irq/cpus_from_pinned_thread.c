/* SPDX-License-Identifier: MIT */
/*
 * A line's default CPU is the dispatcher's, the last of the process's CPUs
 * (irq.h, uwq_irq_set_affinity()), whichever thread makes the first line:
 * a thread pinned to the first CPU creates the line and requests a thread
 * handler; the dispatcher and the handler's thread still run on the last
 * CPU, not the creator's.
 */
#include "irqtest.h"

static cpu_set_t thread_cpus;	/* written by pinned_thread_fn before runs */
static atomic_int runs;
static int first_cpu, irq, dev;

static uwq_irqreturn_t pinned_thread_fn(int line, void *dev_id)
{
	(void)line;
	(void)dev_id;
	if (sched_getaffinity(0, sizeof(thread_cpus), &thread_cpus) != 0)
		CPU_ZERO(&thread_cpus);
	atomic_fetch_add(&runs, 1);	/* seq-cst: publishes thread_cpus */
	return UWQ_IRQ_HANDLED;
}

/* Pins itself to the first CPU, then makes the process's first line. */
static void *pinned_first_user(void *arg)
{
	cpu_set_t one;
	int err;

	(void)arg;
	CPU_ZERO(&one);
	CPU_SET(first_cpu, &one);
	err = pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
	CHECK(err == 0, "pinning to CPU %d: %s", first_cpu, strerror(err));
	irq = new_eventfd_line();
	CHECK_RC(uwq_request_threaded_irq(irq, NULL, pinned_thread_fn, UWQ_IRQF_ONESHOT, "pinned", &dev),
		 "request");
	return NULL;
}

/* The mask of the thread named @name, or fail. */
static void named_thread_cpus(const char *name, cpu_set_t *set)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	char comm[64];
	bool found = false;

	CHECK(d, "opendir /proc/self/task: %s", strerror(errno));
	while (!found && (de = readdir(d)) != NULL) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid > 0 && task_comm(tid, comm, sizeof(comm)) && strcmp(comm, name) == 0) {
			CHECK(sched_getaffinity(tid, sizeof(*set), set) == 0, "sched_getaffinity(%s): %s", name,
			      strerror(errno));
			found = true;
		}
	}
	closedir(d);
	CHECK(found, "no thread named %s", name);
}

static int only_cpu(const cpu_set_t *set)
{
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, set))
			return CPU_COUNT(set) == 1 ? c : -CPU_COUNT(set);
	return -1000;
}

int main(void)
{
	int cpus[CPU_SETSIZE], n = affinity_cpus(cpus, CPU_SETSIZE), last;
	cpu_set_t dispatcher;

	if (n < 2)
		SKIP("the process may run on %d CPU: pinning one thread would not narrow it", n);
	first_cpu = cpus[0];
	last = cpus[n - 1];

	PHASE("first line from a pinned thread");
	join_thread(start_thread(pinned_first_user, NULL));
	CHECK_RC(uwq_irq_raise(irq), "raise");
	WAIT_UNTIL(atomic_load(&runs) > 0, "the thread handler did not run");

	PHASE("thread handler");
	CHECK(only_cpu(&thread_cpus) == last,
	      "the thread handler runs on CPU %d (negative: that many CPUs), want the last CPU %d; the line's creator was pinned to %d",
	      only_cpu(&thread_cpus), last, first_cpu);

	PHASE("dispatcher");
	/* It named and pinned itself before it could handle the raise. */
	named_thread_cpus("uwq-irqd", &dispatcher);
	CHECK(only_cpu(&dispatcher) == last,
	      "the dispatcher runs on CPU %d (negative: that many CPUs), want the last CPU %d; its creator was pinned to %d",
	      only_cpu(&dispatcher), last, first_cpu);

	CHECK(uwq_free_irq(irq, &dev), "free");
	CHECK_RC(uwq_irq_destroy(irq), "destroy");
	CHECK(uwq_shutdown() == 0, "shutdown");
	return TEST_PASS;
}

/* SPDX-License-Identifier: MIT */
/*
 * cpus.c - the process's CPUs, and starting uwq's own threads on them.
 *
 * DESIGN: Linux has an affinity mask per thread, none per process, and
 * uwq's first caller may be any thread: an interrupt thread pinned to one
 * CPU is a common one. sched_getaffinity(0) there gave uwq one CPU for the
 * life of the process: one bound pool, and an unbound pool whose workers
 * all ran on that CPU. So "the process's CPUs" is the union of the masks
 * of all its threads at the time of the read: under taskset or a cpuset
 * every thread has the same mask and the union is that mask; a thread the
 * program pinned narrows nothing. The main thread's mask alone was
 * rejected: a program may pin its main thread too. Without /proc the main
 * thread's mask is the best left, then the caller's.
 * Cost: one sched_getaffinity() per thread, stopping as soon as the union
 * holds every online CPU, so an unrestricted process pays for the main
 * thread only (8 µs, 6 of them sysconf() reading /sys); under taskset it
 * reads every thread (150 µs with 100 threads, 2.1 ms with 1,000, on a
 * loaded 2-CPU machine). It is read at uwq's first use, at the
 * dispatcher's start and when a service thread starts; never on a
 * queueing path.
 *
 * Service threads (rescuers, interrupt threads, the dispatcher, timer,
 * monitor, exporter) start on the process's CPUs through their
 * pthread_attr: started by a pinned thread, they would inherit its pin, and
 * the timer thread's CPU is where delayed work for "the current CPU" goes.
 * A thread that wants fewer (the dispatcher) narrows itself once running.
 * Pool workers set their pool's mask themselves (pool.c).
 * CONCURRENCY: none; nothing here is shared.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal/fault.h"

void uwq__process_cpus(cpu_set_t *set)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	struct dirent *e;
	cpu_set_t one;
	DIR *d;

	if (sched_getaffinity(getpid(), sizeof(*set), set) != 0)	/* the main thread */
		CPU_ZERO(set);
	if (CPU_COUNT(set) < online && (d = opendir("/proc/self/task"))) {
		while (CPU_COUNT(set) < online && (e = readdir(d))) {
			pid_t tid = (pid_t)atoi(e->d_name);

			/* a thread that exited meanwhile fails with ESRCH */
			if (tid > 0 && sched_getaffinity(tid, sizeof(one), &one) == 0)
				CPU_OR(set, set, &one);
		}
		closedir(d);
	}
	if (CPU_COUNT(set) == 0 && sched_getaffinity(0, sizeof(*set), set) != 0)
		CPU_ZERO(set);
	if (CPU_COUNT(set) == 0)
		CPU_SET(0, set);
}

int uwq__thread_create(pthread_t *t, pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	pthread_attr_t own;
	cpu_set_t cpus;
	int err = uwq__fault(UWQ_FAULT_THREAD_CREATE);

	if (err)
		return err;
	if (!attr) {
		pthread_attr_init(&own);
		attr = &own;
	}
	/* EINVAL: the mask went stale (a cpuset shrank) since it was read;
	 * the threads' masks are inside the new one again: read it again. */
	for (int tries = 0; tries < 2; tries++) {
		uwq__process_cpus(&cpus);
		pthread_attr_setaffinity_np(attr, sizeof(cpus), &cpus);
		err = pthread_create(t, attr, fn, arg);
		if (err != EINVAL)
			break;
	}
	if (attr == &own)
		pthread_attr_destroy(&own);
	return err;
}

/* SPDX-License-Identifier: MIT */
/*
 * cpus.h - the process's CPUs (src/core/cpus.c).
 */
#ifndef UWQ_INTERNAL_CPUS_H
#define UWQ_INTERNAL_CPUS_H

#include <sched.h>

/*
 * The process's CPUs, read now: the union of the affinity masks of all its
 * threads (/proc/self/task); without /proc, the main thread's mask, then
 * the calling thread's; CPU 0 if every read fails. Never empty. Linux has
 * no per-process mask, and the caller's own may be one CPU (an interrupt
 * thread), so neither sched_getaffinity(0) nor the main thread alone will do.
 */
void uwq__process_cpus(cpu_set_t *set);

#endif

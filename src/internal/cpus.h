/* SPDX-License-Identifier: MIT */
/*
 * cpus.h - the process's CPUs, and starting uwq's own threads on them
 * (src/core/cpus.c).
 */
#ifndef UWQ_INTERNAL_CPUS_H
#define UWQ_INTERNAL_CPUS_H

#include <pthread.h>
#include <sched.h>

/*
 * The process's CPUs, read now: the union of the affinity masks of all its
 * threads (/proc/self/task); without /proc, the main thread's mask, then
 * the calling thread's; CPU 0 if every read fails. Never empty. Linux has
 * no per-process mask, and the caller's own may be one CPU (an interrupt
 * thread), so neither sched_getaffinity(0) nor the main thread alone will do.
 */
void uwq__process_cpus(cpu_set_t *set);

/*
 * pthread_create() of a uwq thread other than a pool worker (rescuers,
 * interrupt threads, the dispatcher, timer, monitor and exporter), failing
 * at the "thread_create" fault site. The thread starts on
 * uwq__process_cpus(), not its creator's mask (@attr may be NULL; its
 * affinity is overwritten): a thread that needs fewer CPUs narrows itself.
 * Return: 0 or a positive errno, as pthread_create().
 */
int uwq__thread_create(pthread_t *t, pthread_attr_t *attr, void *(*fn)(void *), void *arg);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * clock.h - the benchmarks' clocks and CPU burner (header-only, shared by
 * blocking_mix.c, peer_bench.c and irq_latency.c).
 */
#ifndef UWQ_BENCH_CLOCK_H
#define UWQ_BENCH_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CPU time, not wall time: a preempted burner still does its whole share. */
static inline void burn_cpu_ns(uint64_t ns)
{
	uint64_t end = thread_cpu_ns() + ns;

	while (thread_cpu_ns() < end)
		;
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * topology.c - which CPUs uwq serves and how a CPU maps to its pool.
 *
 * DESIGN: bound pools exist for the CPUs in the process's affinity mask at
 * first use (sched_getaffinity), not for the machine's CPU count: under
 * taskset or a cpuset, pools for CPUs the process may not use would never
 * run. A CPU number maps to a pool index through a dense table, so the
 * queue path pays one sched_getcpu() (1.4 ns here, rseq) and one load.
 * A CPU outside the mask (the caller's own affinity differs, or the mask
 * changed since) falls back to a valid index, as the kernel runs work for
 * an offline CPU elsewhere. Affinity scopes and a fake topology come with
 * the attributes work (issue 5).
 * CONCURRENCY: written once in uwq__topology_init() under uwq__g.lock before
 * uwq__g.ready is published; read-only after.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>

#include "internal/wq.h"

int uwq__topology_init(void)
{
	cpu_set_t set;
	int i, n = 0, max = 0;

	if (sched_getaffinity(0, sizeof(set), &set) != 0 || CPU_COUNT(&set) == 0) {
		CPU_ZERO(&set);
		CPU_SET(0, &set);
	}
	for (i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			max = i + 1;
	uwq__g.cpu_ids = calloc((size_t)CPU_COUNT(&set), sizeof(int));
	uwq__g.cpu_to_idx = malloc((size_t)max * sizeof(int));
	if (!uwq__g.cpu_ids || !uwq__g.cpu_to_idx) {
		uwq__topology_free();
		return -ENOMEM;
	}
	for (i = 0; i < max; i++) {
		uwq__g.cpu_to_idx[i] = -1;
		if (CPU_ISSET(i, &set)) {
			uwq__g.cpu_to_idx[i] = n;
			uwq__g.cpu_ids[n++] = i;
		}
	}
	uwq__g.nr_cpus = n;
	uwq__g.max_cpu = max;
	return 0;
}

void uwq__topology_free(void)
{
	free(uwq__g.cpu_ids);
	free(uwq__g.cpu_to_idx);
	uwq__g.cpu_ids = NULL;
	uwq__g.cpu_to_idx = NULL;
	uwq__g.nr_cpus = 0;
	uwq__g.max_cpu = 0;
}

int uwq__cpu_index(int cpu)
{
	int idx;

	if (cpu < 0)
		cpu = sched_getcpu();
	if (cpu >= 0 && cpu < uwq__g.max_cpu) {
		idx = uwq__g.cpu_to_idx[cpu];
		if (idx >= 0)
			return idx;
	}
	return (cpu < 0 ? 0 : cpu) % uwq__g.nr_cpus;
}

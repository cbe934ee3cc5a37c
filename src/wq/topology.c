/* SPDX-License-Identifier: MIT */
/*
 * topology.c - which CPUs uwq serves, how a CPU maps to its bound pool, and
 * the affinity scopes that lay out unbound pools (kernel/workqueue.c:
 * wq_pod_types, init_pod_type; Documentation/core-api/workqueue.rst
 * "Affinity Scopes").
 *
 * DESIGN: bound pools exist for the process's CPUs at first use
 * (uwq__process_cpus(): the union of its threads' affinity masks, read
 * once, whichever thread calls first), not for the machine's CPU count:
 * under taskset or a cpuset, pools for CPUs the process may not use would
 * never run. Not the calling thread's mask: a first caller pinned to one
 * CPU would leave every pool on that CPU for the life of the process.
 * Later changes to the masks are not followed (the pools' CPUs are fixed
 * at publication); uwq_shutdown() and fork() start over at the next use.
 * A CPU number maps to a pool index through a dense table, so the
 * queue path pays one sched_getcpu() (1.4 ns here, rseq) and one load.
 * A CPU outside the mask (the caller's own affinity differs, or the mask
 * changed since) falls back to a valid index, as the kernel runs work for
 * an offline CPU elsewhere.
 *
 * Scopes group the allowed CPUs into pods: one CPU (cpu), the SMT
 * siblings of a core (smt: topology/thread_siblings_list), the CPUs
 * sharing the last-level cache (cache: the highest cache/indexN level's
 * shared_cpu_list), a NUMA node (numa: node/nodeN/cpulist) or all of them
 * (system). Missing sysfs data widens a pod to the next scope (no cache
 * data: the node; no node data: the system), so a pod is never smaller
 * than the machine says. Two CPUs are in one pod when their masks,
 * restricted to the allowed CPUs, are equal.
 *
 * Tests and odd machines: UWQ_SYSFS_ROOT names a directory used instead of
 * /sys. When it sets one, the CPUs listed in its
 * devices/system/cpu/online replace the process's CPUs too, so a test can
 * lay out 64 CPUs on 4 nodes on a 2-CPU machine (workers for CPUs that do
 * not exist run unpinned).
 * CONCURRENCY: written once in uwq__topology_init() under uwq__g.lock before
 * uwq__g.ready is published; read-only after.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal/cpus.h"
#include "internal/log.h"
#include "internal/wq.h"

/* Read a sysfs CPU list ("0-3,8,10-11") under @root into @set. */
static bool read_cpulist(const char *root, const char *path, cpu_set_t *set)
{
	char file[512], buf[4096], *p;
	ssize_t n;
	int fd;

	snprintf(file, sizeof(file), "%s/%s", root, path);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	CPU_ZERO(set);
	for (p = buf; *p && *p != '\n';) {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p || a < 0)
			return false;
		p = end;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			if (end == p + 1 || b < a)
				return false;
			p = end;
		}
		for (long c = a; c <= b && c < CPU_SETSIZE; c++)
			CPU_SET((int)c, set);
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return false;
	}
	return CPU_COUNT(set) > 0;
}

/* The CPUs sharing @cpu's last-level cache: the cache index of highest level. */
static bool read_llc(const char *root, int cpu, cpu_set_t *set)
{
	int best = -1;

	for (int idx = 0; idx < 16; idx++) {
		char path[128], buf[16];
		cpu_set_t s;
		ssize_t n;
		int fd, level;

		snprintf(path, sizeof(path), "%s/devices/system/cpu/cpu%d/cache/index%d/level", root, cpu, idx);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		level = atoi(buf);
		snprintf(path, sizeof(path), "devices/system/cpu/cpu%d/cache/index%d/shared_cpu_list", cpu, idx);
		if (level > best && read_cpulist(root, path, &s)) {
			best = level;
			*set = s;
		}
	}
	return best >= 0;
}

/* @cpu's NUMA node and its CPUs (@set may be NULL); -1 if sysfs says none. */
static int read_node(const char *root, int cpu, cpu_set_t *set)
{
	char path[96];
	cpu_set_t s;

	for (int node = 0; node < 1024; node++) {
		snprintf(path, sizeof(path), "%s/devices/system/node/node%d", root, node);
		if (access(path, F_OK) != 0) {
			if (node >= 64)
				break;	/* node numbers may have holes; not this many */
			continue;
		}
		snprintf(path, sizeof(path), "devices/system/node/node%d/cpulist", node);
		if (read_cpulist(root, path, &s) && CPU_ISSET(cpu, &s)) {
			if (set)
				*set = s;
			return node;
		}
	}
	return -1;
}

/* @cpu's pod mask in scope @s (a UWQ_AFFN_* value), before restriction. */
static void pod_mask(const char *root, int s, int cpu, const cpu_set_t *allowed, cpu_set_t *m)
{
	char path[96];

	switch (s) {
	case UWQ_AFFN_CPU:
		CPU_ZERO(m);
		CPU_SET(cpu, m);
		return;
	case UWQ_AFFN_SMT:
		snprintf(path, sizeof(path), "devices/system/cpu/cpu%d/topology/thread_siblings_list", cpu);
		if (read_cpulist(root, path, m))
			return;
		CPU_ZERO(m);
		CPU_SET(cpu, m);
		return;
	case UWQ_AFFN_CACHE:
		if (read_llc(root, cpu, m))
			return;
		__attribute__((fallthrough));	/* no cache data: the node */
	case UWQ_AFFN_NUMA:
		if (read_node(root, cpu, m) >= 0)
			return;
		__attribute__((fallthrough));	/* no node data: the system */
	default:
		*m = *allowed;
		return;
	}
}

static int build_pods(const char *root, const cpu_set_t *allowed)
{
	int n = uwq__g.nr_cpus;

	for (int s = UWQ_AFFN_CPU; s <= UWQ_AFFN_SYSTEM; s++) {
		struct uwq__pods *pods = &uwq__g.pods[s];

		pods->of = calloc((size_t)n, sizeof(int));
		pods->cpus = calloc((size_t)n, sizeof(cpu_set_t));
		if (!pods->of || !pods->cpus)
			return -ENOMEM;
		pods->nr = 0;
		for (int i = 0; i < n; i++) {
			cpu_set_t m;
			int p;

			pod_mask(root, s, uwq__g.cpu_ids[i], allowed, &m);
			CPU_AND(&m, &m, allowed);
			CPU_SET(uwq__g.cpu_ids[i], &m);	/* a CPU is always in its own pod */
			for (p = 0; p < pods->nr && !CPU_EQUAL(&pods->cpus[p], &m); p++)
				;
			if (p == pods->nr)
				pods->cpus[pods->nr++] = m;
			pods->of[i] = p;
		}
	}
	return 0;
}

static int parse_scope(const char *s)
{
	static const char *const names[] = {
		[UWQ_AFFN_CPU] = "cpu", [UWQ_AFFN_SMT] = "smt", [UWQ_AFFN_CACHE] = "cache",
		[UWQ_AFFN_NUMA] = "numa", [UWQ_AFFN_SYSTEM] = "system",
	};

	for (int i = UWQ_AFFN_CPU; i <= UWQ_AFFN_SYSTEM; i++)
		if (!strcmp(s, names[i]))
			return i;
	uwq__log("ignoring UWQ_AFFINITY_SCOPE=%s: not cpu, smt, cache, numa or system", s);
	return UWQ_AFFN_CACHE;
}

int uwq__topology_init(void)
{
	const char *root = getenv("UWQ_SYSFS_ROOT");
	const char *scope = getenv("UWQ_AFFINITY_SCOPE");
	cpu_set_t set;
	int i, n = 0, max = 0;

	if (root && *root && read_cpulist(root, "devices/system/cpu/online", &set)) {
		/* a fake topology: its CPUs are the ones served */
	} else {
		uwq__process_cpus(&set);
	}
	if (!root || !*root)
		root = "/sys";
	for (i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			max = i + 1;
	uwq__g.cpu_ids = calloc((size_t)CPU_COUNT(&set), sizeof(int));
	uwq__g.node_of = calloc((size_t)CPU_COUNT(&set), sizeof(int));
	uwq__g.cpu_to_idx = malloc((size_t)max * sizeof(int));
	if (!uwq__g.cpu_ids || !uwq__g.cpu_to_idx || !uwq__g.node_of) {
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
	for (i = 0; i < n; i++)
		uwq__g.node_of[i] = read_node(root, uwq__g.cpu_ids[i], NULL);
	uwq__g.allowed = set;
	uwq__g.dfl_scope = scope && *scope ? parse_scope(scope) : UWQ_AFFN_CACHE;
	if (build_pods(root, &set)) {
		uwq__topology_free();
		return -ENOMEM;
	}
	return 0;
}

void uwq__topology_free(void)
{
	free(uwq__g.cpu_ids);
	free(uwq__g.cpu_to_idx);
	free(uwq__g.node_of);
	uwq__g.node_of = NULL;
	uwq__g.cpu_ids = NULL;
	uwq__g.cpu_to_idx = NULL;
	uwq__g.nr_cpus = 0;
	uwq__g.max_cpu = 0;
	for (int s = 0; s < UWQ_AFFN_NR; s++) {
		free(uwq__g.pods[s].of);
		free(uwq__g.pods[s].cpus);
		uwq__g.pods[s].of = NULL;
		uwq__g.pods[s].cpus = NULL;
		uwq__g.pods[s].nr = 0;
	}
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

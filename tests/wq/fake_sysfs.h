/* SPDX-License-Identifier: MIT */
/*
 * tests/wq/fake_sysfs.h - a fake sysfs CPU topology for UWQ_SYSFS_ROOT
 * (header-only; src/wq/topology.c says which files uwq reads).
 *
 * fake_sysfs_make() writes, under a fresh mkdtemp() directory:
 *   devices/system/cpu/online
 *   devices/system/cpu/cpuN/topology/thread_siblings_list       (if smt)
 *   devices/system/cpu/cpuN/cache/indexM/{level,type,shared_cpu_list}
 *                                                   (if llcs_per_node)
 *   devices/system/node/nodeN/cpulist                (if nr_nodes and
 *                                                   node_dirs)
 * for a machine numbered the way x86 servers are: core c's two hardware
 * threads are CPUs c and c + nr_cpus/2, so every multi-CPU group is a
 * list like "0-3,32-35". A node is a run of nr_cpus/2/nr_nodes cores, a
 * last-level cache a run of nr_cpus/2/nr_nodes/llcs_per_node cores. Every
 * CPU has four cache indexes: L1d, L1i and L2 shared by its SMT siblings
 * and the L3 shared by its LLC; with shuffle_index, CPUs of odd nodes list
 * the L3 before the L2 (index2 is the L3), so "the highest level" and
 * "the last index" differ.
 *
 * The fake_*_set() functions give the same groups as cpu_set_t, computed
 * from the layout (not from the files), for the tests' expectations.
 * fake_sysfs_remove() deletes the tree.
 */
#ifndef UWQ_TESTS_FAKE_SYSFS_H
#define UWQ_TESTS_FAKE_SYSFS_H

#include <ftw.h>
#include <sys/stat.h>

#include "util.h"

struct fake_topo {
	int		nr_cpus;	/* even; CPUs 0..nr_cpus-1 exist in the tree */
	const char	*online;	/* devices/system/cpu/online; NULL: every CPU */
	int		nr_nodes;	/* divides nr_cpus / 2 */
	int		llcs_per_node;	/* 0: no cache directories at all */
	bool		node_dirs;	/* write devices/system/node/node* */
	bool		smt;		/* write thread_siblings_list */
	bool		shuffle_index;	/* odd nodes list the L3 as index2 */
};

static inline int fake_cores(const struct fake_topo *t)
{
	return t->nr_cpus / 2;
}

static inline int fake_core_of(const struct fake_topo *t, int cpu)
{
	return cpu % fake_cores(t);
}

static inline int fake_node_of(const struct fake_topo *t, int cpu)
{
	return fake_core_of(t, cpu) / (fake_cores(t) / t->nr_nodes);
}

static inline int fake_llc_of(const struct fake_topo *t, int cpu)
{
	return fake_core_of(t, cpu) / (fake_cores(t) / (t->nr_nodes * t->llcs_per_node));
}

/* Every CPU whose group, by @of, is @key. */
static inline void fake_cores_set(const struct fake_topo *t, int (*of)(const struct fake_topo *, int),
				  int key, cpu_set_t *set)
{
	CPU_ZERO(set);
	for (int cpu = 0; cpu < t->nr_cpus; cpu++)
		if (of(t, cpu) == key)
			CPU_SET(cpu, set);
}

static inline void fake_smt_set(const struct fake_topo *t, int cpu, cpu_set_t *set)
{
	fake_cores_set(t, fake_core_of, fake_core_of(t, cpu), set);
}

static inline void fake_llc_set(const struct fake_topo *t, int cpu, cpu_set_t *set)
{
	fake_cores_set(t, fake_llc_of, fake_llc_of(t, cpu), set);
}

static inline void fake_node_set(const struct fake_topo *t, int cpu, cpu_set_t *set)
{
	fake_cores_set(t, fake_node_of, fake_node_of(t, cpu), set);
}

/* @set as a sysfs CPU list ("0-3,32-35"), newline-terminated. */
static inline void fake_fmt_cpulist(const cpu_set_t *set, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int a = 0; a < CPU_SETSIZE; a++) {
		int b = a;

		if (!CPU_ISSET(a, set))
			continue;
		while (b + 1 < CPU_SETSIZE && CPU_ISSET(b + 1, set))
			b++;
		n += (size_t)snprintf(buf + n, len - n, n ? ",%d" : "%d", a);
		if (b > a)
			n += (size_t)snprintf(buf + n, len - n, "-%d", b);
		CHECK(n + 2 < len, "CPU list too long for its buffer");
		a = b;
	}
	snprintf(buf + n, len - n, "\n");
}

static inline void fake_mkdirs(const char *path)
{
	char tmp[512];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			FAIL("mkdir %s: %s", tmp, strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
		FAIL("mkdir %s: %s", tmp, strerror(errno));
}

/* Write @text to @root/@rel, making the directories on the way. */
static inline void fake_write(const char *root, const char *rel, const char *text)
{
	char path[512], *slash;
	int fd;
	size_t len = strlen(text);

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	slash = strrchr(path, '/');
	*slash = '\0';
	fake_mkdirs(path);
	*slash = '/';
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	CHECK(write(fd, text, len) == (ssize_t)len, "write %s: %s", path, strerror(errno));
	close(fd);
}

static inline void fake_write_set(const char *root, const char *rel, const cpu_set_t *set)
{
	char buf[1024];

	fake_fmt_cpulist(set, buf, sizeof(buf));
	fake_write(root, rel, buf);
}

static inline void fake_write_cache(const char *root, int cpu, int index, int level, const char *type,
				    const cpu_set_t *shared)
{
	char rel[128], buf[16];

	snprintf(rel, sizeof(rel), "devices/system/cpu/cpu%d/cache/index%d/level", cpu, index);
	snprintf(buf, sizeof(buf), "%d\n", level);
	fake_write(root, rel, buf);
	snprintf(rel, sizeof(rel), "devices/system/cpu/cpu%d/cache/index%d/type", cpu, index);
	snprintf(buf, sizeof(buf), "%s\n", type);
	fake_write(root, rel, buf);
	snprintf(rel, sizeof(rel), "devices/system/cpu/cpu%d/cache/index%d/shared_cpu_list", cpu, index);
	fake_write_set(root, rel, shared);
}

/**
 * fake_sysfs_make() - write the tree @t describes into a new temporary
 * directory under @dir (NULL: $TMPDIR, else /tmp).
 * Return: its path (malloc'd; free it after fake_sysfs_remove()).
 */
static inline char *fake_sysfs_make(const struct fake_topo *t, const char *dir)
{
	const char *tmp = dir ? dir : getenv("TMPDIR");
	char tmpl[320], rel[128];
	char *root;
	cpu_set_t set;

	CHECK(t->nr_cpus >= 2 && t->nr_cpus % 2 == 0 && t->nr_cpus <= CPU_SETSIZE, "bad nr_cpus %d",
	      t->nr_cpus);
	CHECK(t->nr_nodes > 0 && fake_cores(t) % t->nr_nodes == 0, "bad nr_nodes %d", t->nr_nodes);
	CHECK(!t->llcs_per_node || (fake_cores(t) / t->nr_nodes) % t->llcs_per_node == 0,
	      "bad llcs_per_node %d", t->llcs_per_node);
	snprintf(tmpl, sizeof(tmpl), "%s/uwq-fake-sysfs.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	root = mkdtemp(tmpl);
	CHECK(root, "mkdtemp %s: %s", tmpl, strerror(errno));
	root = strdup(root);
	CHECK(root, "out of memory");

	if (t->online) {
		fake_write(root, "devices/system/cpu/online", t->online);
	} else {
		CPU_ZERO(&set);
		for (int cpu = 0; cpu < t->nr_cpus; cpu++)
			CPU_SET(cpu, &set);
		fake_write_set(root, "devices/system/cpu/online", &set);
	}
	for (int cpu = 0; cpu < t->nr_cpus; cpu++) {
		cpu_set_t smt, llc;

		fake_smt_set(t, cpu, &smt);
		/* Every CPU directory exists, with or without topology data. */
		snprintf(rel, sizeof(rel), "devices/system/cpu/cpu%d/uevent", cpu);
		fake_write(root, rel, "");
		if (t->smt) {
			snprintf(rel, sizeof(rel), "devices/system/cpu/cpu%d/topology/thread_siblings_list", cpu);
			fake_write_set(root, rel, &smt);
		}
		if (!t->llcs_per_node)
			continue;
		fake_llc_set(t, cpu, &llc);
		fake_write_cache(root, cpu, 0, 1, "Data", &smt);
		fake_write_cache(root, cpu, 1, 1, "Instruction", &smt);
		if (t->shuffle_index && fake_node_of(t, cpu) % 2) {
			fake_write_cache(root, cpu, 2, 3, "Unified", &llc);
			fake_write_cache(root, cpu, 3, 2, "Unified", &smt);
		} else {
			fake_write_cache(root, cpu, 2, 2, "Unified", &smt);
			fake_write_cache(root, cpu, 3, 3, "Unified", &llc);
		}
	}
	if (t->node_dirs) {
		for (int node = 0; node < t->nr_nodes; node++) {
			fake_cores_set(t, fake_node_of, node, &set);
			snprintf(rel, sizeof(rel), "devices/system/node/node%d/cpulist", node);
			fake_write_set(root, rel, &set);
		}
	}
	return root;
}

static inline int fake_rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

/* fake_sysfs_remove() - delete the tree (and its directory) at @root. */
static inline void fake_sysfs_remove(const char *root)
{
	CHECK(nftw(root, fake_rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0, "removing %s: %s", root,
	      strerror(errno));
}

/* parse_cpulist() - the test's own reading of "0-3,32-35" (for literals). */
static inline cpu_set_t parse_cpulist(const char *s)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	while (*s && *s != '\n') {
		char *end;
		long a = strtol(s, &end, 10), b = a;

		CHECK(end != s, "bad CPU list literal \"%s\"", s);
		s = end;
		if (*s == '-') {
			b = strtol(s + 1, &end, 10);
			s = end;
		}
		for (long c = a; c <= b; c++)
			CPU_SET((int)c, &set);
		if (*s == ',')
			s++;
	}
	return set;
}

#endif /* UWQ_TESTS_FAKE_SYSFS_H */

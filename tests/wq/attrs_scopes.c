/* SPDX-License-Identifier: MIT */
/*
 * Affinity scopes lay out an unbound queue's pools from the sysfs topology,
 * or from a fake tree named by UWQ_SYSFS_ROOT (scopes cpu, smt, cache, numa
 * and system; the fake topology lets 64-CPU, 4-node layouts be tested;
 * header: enum uwq_affn_scope, uwq_apply_workqueue_attrs(),
 * uwq_workqueue_get_attrs(), uwq_workqueue_cpu_pod(); src/wq/topology.c
 * and attrs.c build_table()).
 * With a fake 64-CPU machine (4 nodes of 16 CPUs, 2 last-level caches per
 * node, SMT pairs numbered c and c+32, L1/L2 indexes beside the L3 and on
 * half the CPUs listed after it), for every CPU 0..63:
 *  - uwq_workqueue_cpu_pod() is exactly the CPU, its SMT siblings, its
 *    LLC, its node or all 64 CPUs for scope cpu, smt, cache, numa,
 *    system; UWQ_AFFN_DFL is cache, and UWQ_AFFINITY_SCOPE (read when uwq
 *    starts again after uwq_shutdown()) changes it, an unknown value with
 *    one report;
 *  - with a cpumask, a pod is the scope's pod restricted to the mask, and
 *    a pod that does not meet the mask is served by the whole mask; CPUs
 *    uwq does not serve in the mask are ignored;
 *  - uwq_workqueue_get_attrs() returns what was applied; bound queues say
 *    their nice level, every CPU and scope cpu; ordered queues keep one
 *    pod; a refused apply changes nothing;
 *  - items queued on pools of CPUs that do not exist (their workers run
 *    unpinned) run, bound (on the pool named for that CPU) and unbound;
 *  - bad input is -EINVAL: NULL, a bound or ordered queue, nice 20 or -21,
 *    an unknown scope, a mask without a served CPU, a CPU outside 0..63.
 * Missing data widens pods: without cache directories cache is the node,
 * without node directories numa (and cache, if also missing) is the
 * system, without thread_siblings_list smt is the CPU; offline CPUs (holes
 * in devices/system/cpu/online) are in no pod and have none; and a root
 * with no online file serves the process's affinity mask.
 */
#include <uwq/workqueue.h>

#include "fake_sysfs.h"

#define NFAKE		64
#define NITEMS		16

struct tree {
	const char		*name;
	struct fake_topo	t;
	bool			real;		/* no online file: the affinity mask is served */
	char			*root;
	cpu_set_t		online;		/* the CPUs uwq should serve */
};

static struct tree trees[] = {
	{ "A (64 CPUs, 4 nodes, 8 LLCs, SMT)",
	  { NFAKE, NULL, 4, 2, true, true, true }, false, NULL, { { 0 } } },
	{ "B (no cache directories)",
	  { NFAKE, NULL, 4, 0, true, true, false }, false, NULL, { { 0 } } },
	{ "C (no node directories, no SMT data, CPUs 12-31 and 48-63 offline)",
	  { NFAKE, "0-11,32-47\n", 4, 2, false, false, true }, false, NULL, { { 0 } } },
	{ "D (no cache and no node directories)",
	  { NFAKE, NULL, 4, 0, false, true, false }, false, NULL, { { 0 } } },
	{ "E (an empty root)", { 0 }, true, NULL, { { 0 } } },
};

static const char *const scope_names[] = {
	[UWQ_AFFN_DFL] = "dfl", [UWQ_AFFN_CPU] = "cpu", [UWQ_AFFN_SMT] = "smt",
	[UWQ_AFFN_CACHE] = "cache", [UWQ_AFFN_NUMA] = "numa", [UWQ_AFFN_SYSTEM] = "system",
};

struct item {
	struct uwq_work	w;
	atomic_int	runs;
	char		comm[32];	/* the worker's name, written before `runs` */
};

static struct item items[NITEMS];

static void item_fn(struct uwq_work *w)
{
	struct item *it = container_of(w, struct item, w);

	if (!task_comm(util_gettid(), it->comm, sizeof(it->comm)))
		strcpy(it->comm, "?");
	atomic_fetch_add(&it->runs, 1);
}

static const char *fmt(const cpu_set_t *set, char *buf, size_t len)
{
	size_t n;

	if (CPU_COUNT(set) == 0)
		return "(none)";
	fake_fmt_cpulist(set, buf, len);
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return buf;
}

static cpu_set_t set_of(const char *list)
{
	return parse_cpulist(list);
}

/* The pod the test expects for @cpu: the model of topology.c and build_table(). */
static void expected_pod(const struct tree *tr, int scope, const cpu_set_t *mask, int cpu, cpu_set_t *out)
{
	const struct fake_topo *t = &tr->t;
	bool llc = !tr->real && t->llcs_per_node, node = !tr->real && t->node_dirs;
	bool smt = !tr->real && t->smt;
	cpu_set_t p, m;

	switch (scope) {
	case UWQ_AFFN_CPU:
		CPU_ZERO(&p);
		CPU_SET(cpu, &p);
		break;
	case UWQ_AFFN_SMT:
		if (smt) {
			fake_smt_set(t, cpu, &p);
		} else {
			CPU_ZERO(&p);
			CPU_SET(cpu, &p);
		}
		break;
	case UWQ_AFFN_CACHE:
		if (llc)
			fake_llc_set(t, cpu, &p);
		else if (node)
			fake_node_set(t, cpu, &p);
		else
			p = tr->online;
		break;
	case UWQ_AFFN_NUMA:
		if (node)
			fake_node_set(t, cpu, &p);
		else
			p = tr->online;
		break;
	default:
		p = tr->online;
		break;
	}
	CPU_AND(&p, &p, &tr->online);
	if (CPU_COUNT(mask) == 0)
		m = tr->online;
	else
		CPU_AND(&m, mask, &tr->online);
	CPU_AND(out, &p, &m);
	if (CPU_COUNT(out) == 0)
		*out = m;
}

static int max_cpu_of(const cpu_set_t *set)
{
	int max = -1;

	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, set))
			max = cpu;
	return max;
}

/*
 * Every served CPU's pod is the expected one for (@scope, @mask); every
 * other CPU up to the highest served one plus a few has none (-EINVAL).
 */
static void check_pods(const struct tree *tr, struct uwq_workqueue *wq, int scope, const cpu_set_t *mask,
		       const char *what)
{
	char b1[512], b2[512], b3[512];
	int top = max_cpu_of(&tr->online) + 4;

	for (int cpu = 0; cpu <= top; cpu++) {
		cpu_set_t got, want;
		int err;

		CPU_ZERO(&got);
		err = uwq_workqueue_cpu_pod(wq, cpu, &got);
		if (!CPU_ISSET(cpu, &tr->online)) {
			CHECK(err == -EINVAL, "tree %s, %s: uwq_workqueue_cpu_pod(CPU %d, not served) returned %d",
			      tr->name, what, cpu, err);
			continue;
		}
		CHECK(err == 0, "tree %s, %s: uwq_workqueue_cpu_pod(CPU %d) returned %d", tr->name, what, cpu,
		      err);
		expected_pod(tr, scope, mask, cpu, &want);
		CHECK(CPU_EQUAL(&got, &want),
		      "tree %s, %s (scope %s, mask %s): CPU %d's pod is %s, expected %s", tr->name, what,
		      scope_names[scope], fmt(mask, b3, sizeof(b3)), cpu, fmt(&got, b1, sizeof(b1)),
		      fmt(&want, b2, sizeof(b2)));
	}
}

static void check_attrs(struct uwq_workqueue *wq, const struct uwq_workqueue_attrs *want, const char *what)
{
	struct uwq_workqueue_attrs got;
	char b1[512], b2[512];
	int err;

	memset(&got, 0x5a, sizeof(got));
	err = uwq_workqueue_get_attrs(wq, &got);
	CHECK(err == 0, "%s: uwq_workqueue_get_attrs returned %d", what, err);
	CHECK(got.nice == want->nice && got.affn_scope == want->affn_scope &&
	      CPU_EQUAL(&got.cpumask, &want->cpumask),
	      "%s: uwq_workqueue_get_attrs gave nice %d scope %d mask %s; applied nice %d scope %d mask %s",
	      what, got.nice, (int)got.affn_scope, fmt(&got.cpumask, b1, sizeof(b1)), want->nice,
	      (int)want->affn_scope, fmt(&want->cpumask, b2, sizeof(b2)));
}

/* Apply (@nice, @mask, @scope); on success *cur becomes it. Checks the
 * return code against the model and the pods and attributes after. */
static void apply_check(const struct tree *tr, struct uwq_workqueue *wq, struct uwq_workqueue_attrs *cur,
			int nice, const char *mask_list, int scope, int dfl)
{
	struct uwq_workqueue_attrs *a = uwq_alloc_workqueue_attrs();
	cpu_set_t served;
	char what[160];
	int err, want_err;

	CHECK(a, "uwq_alloc_workqueue_attrs: %s", strerror(errno));
	a->nice = nice;
	if (mask_list)
		a->cpumask = set_of(mask_list);
	a->affn_scope = (enum uwq_affn_scope)scope;
	CPU_AND(&served, &a->cpumask, &tr->online);
	want_err = CPU_COUNT(&a->cpumask) && !CPU_COUNT(&served) ? -EINVAL : 0;
	snprintf(what, sizeof(what), "apply(nice %d, mask %s, scope %s)", nice, mask_list ? mask_list : "all",
		 scope_names[scope]);
	err = uwq_apply_workqueue_attrs(wq, a);
	CHECK(err == want_err, "tree %s: %s returned %d, expected %d", tr->name, what, err, want_err);
	if (!err)
		*cur = *a;
	/* After a refusal everything is as before. */
	check_attrs(wq, cur, what);
	check_pods(tr, wq, cur->affn_scope == UWQ_AFFN_DFL ? dfl : (int)cur->affn_scope, &cur->cpumask, what);
	uwq_free_workqueue_attrs(a);
}

/* Items on pools whose CPUs do not exist run (their workers are unpinned). */
static void run_items(struct uwq_workqueue *wq, int cpu, const char *want_comm, const char *what)
{
	for (int i = 0; i < NITEMS; i++) {
		atomic_store(&items[i].runs, 0);
		uwq_work_init(&items[i].w, item_fn);
		CHECK(uwq_queue_work_on(cpu, wq, &items[i].w), "%s: queueing item %d failed", what, i);
	}
	CHECK(uwq_flush_workqueue(wq) == 0, "%s: flush failed", what);
	for (int i = 0; i < NITEMS; i++) {
		CHECK(atomic_load(&items[i].runs) == 1, "%s: item %d ran %d times", what, i,
		      atomic_load(&items[i].runs));
		CHECK(!want_comm || !strncmp(items[i].comm, want_comm, strlen(want_comm)),
		      "%s: item %d ran on worker \"%s\", not one of pool \"%s\"", what, i, items[i].comm,
		      want_comm);
	}
}

/* Start uwq over on tree @tr (its topology is read at the next use). */
static void restart_on(const struct tree *tr)
{
	int err;

	CHECK(setenv("UWQ_SYSFS_ROOT", tr->root, 1) == 0, "setenv: %s", strerror(errno));
	err = uwq_shutdown();
	CHECK(err == 0, "uwq_shutdown before tree %s returned %d", tr->name, err);
}

static struct uwq_workqueue *alloc_unbound(const char *name)
{
	struct uwq_workqueue *wq = uwq_alloc_workqueue(name, UWQ_UNBOUND, 0);

	CHECK(wq, "uwq_alloc_workqueue(%s): %s", name, strerror(errno));
	return wq;
}

/* Every scope and a few masks on tree @tr, whose default scope is @dfl. */
static void scopes_on(const struct tree *tr, int dfl)
{
	static const char *const masks[] = {
		NULL, "4-11", "4-11,100", "40-47", "63", "1,33", "0-63", "12-15,44", "100-101",
	};
	struct uwq_workqueue_attrs cur;
	struct uwq_workqueue *wq = alloc_unbound("attrs_scopes");
	cpu_set_t none;

	CPU_ZERO(&none);
	memset(&cur, 0, sizeof(cur));
	cur.affn_scope = UWQ_AFFN_DFL;
	check_attrs(wq, &cur, "a new unbound queue");
	check_pods(tr, wq, dfl, &none, "a new unbound queue");
	check_pods(tr, uwq_system_unbound_wq, dfl, &none, "uwq_system_unbound_wq");
	for (int s = UWQ_AFFN_DFL; s < UWQ_AFFN_NR; s++)
		for (size_t m = 0; m < ARRAY_SIZE(masks); m++)
			apply_check(tr, wq, &cur, (int)(m % 3) * 5, masks[m], s, dfl);
	uwq_destroy_workqueue(wq);
}

static void check_pod_literal(struct uwq_workqueue *wq, int cpu, const char *list, const char *what)
{
	cpu_set_t got, want = set_of(list);
	char b1[512];

	CHECK(uwq_workqueue_cpu_pod(wq, cpu, &got) == 0, "%s: no pod for CPU %d", what, cpu);
	CHECK(CPU_EQUAL(&got, &want), "%s: CPU %d's pod is %s, expected %s", what, cpu,
	      fmt(&got, b1, sizeof(b1)), list);
}

static void apply_literal(struct uwq_workqueue *wq, int scope, const char *mask)
{
	struct uwq_workqueue_attrs a;

	memset(&a, 0, sizeof(a));
	a.affn_scope = (enum uwq_affn_scope)scope;
	if (mask)
		a.cpumask = set_of(mask);
	CHECK(uwq_apply_workqueue_attrs(wq, &a) == 0, "apply(scope %s, mask %s) failed", scope_names[scope],
	      mask ? mask : "all");
}

/* Tree A, by hand: the pods written out, so the model above is not the only judge. */
static void literals_on_a(void)
{
	struct uwq_workqueue *wq = alloc_unbound("attrs_literal");

	check_pod_literal(wq, 0, "0-3,32-35", "default scope (cache)");
	check_pod_literal(wq, 37, "4-7,36-39", "default scope (cache)");
	check_pod_literal(wq, 20, "20-23,52-55", "default scope (cache; L3 listed as index2)");
	apply_literal(wq, UWQ_AFFN_SMT, NULL);
	check_pod_literal(wq, 5, "5,37", "scope smt");
	check_pod_literal(wq, 63, "31,63", "scope smt");
	apply_literal(wq, UWQ_AFFN_NUMA, NULL);
	check_pod_literal(wq, 33, "0-7,32-39", "scope numa");
	check_pod_literal(wq, 30, "24-31,56-63", "scope numa");
	apply_literal(wq, UWQ_AFFN_SYSTEM, NULL);
	check_pod_literal(wq, 17, "0-63", "scope system");
	apply_literal(wq, UWQ_AFFN_CPU, NULL);
	check_pod_literal(wq, 42, "42", "scope cpu");
	apply_literal(wq, UWQ_AFFN_CACHE, "4-11");
	check_pod_literal(wq, 0, "4-11", "cache, mask 4-11 (CPU 0's LLC is outside the mask)");
	check_pod_literal(wq, 36, "4-7", "cache, mask 4-11");
	check_pod_literal(wq, 9, "8-11", "cache, mask 4-11");
	check_pod_literal(wq, 40, "8-11", "cache, mask 4-11");
	check_pod_literal(wq, 63, "4-11", "cache, mask 4-11");
	apply_literal(wq, UWQ_AFFN_NUMA, "4-11");
	check_pod_literal(wq, 32, "4-7", "numa, mask 4-11");
	check_pod_literal(wq, 47, "8-11", "numa, mask 4-11");
	check_pod_literal(wq, 16, "4-11", "numa, mask 4-11");
	uwq_destroy_workqueue(wq);
}

/* Bound, high-priority and ordered queues; the errors. */
static void others_on_a(const struct tree *tr)
{
	struct uwq_workqueue *wq = alloc_unbound("attrs_errors");
	struct uwq_workqueue *bound = uwq_alloc_workqueue("attrs_bound", 0, 0);
	struct uwq_workqueue *hi = uwq_alloc_workqueue("attrs_highpri", UWQ_HIGHPRI, 0);
	struct uwq_workqueue *ord = uwq_alloc_ordered_workqueue("attrs_ordered", 0);
	struct uwq_workqueue_attrs a, cur, b;
	cpu_set_t got, none;
	int err;

	CHECK(bound && hi && ord, "allocating the queues: %s", strerror(errno));
	CPU_ZERO(&none);

	PHASE("tree A: bound, high-priority and ordered queues");
	memset(&b, 0, sizeof(b));
	b.cpumask = tr->online;
	b.affn_scope = UWQ_AFFN_CPU;
	check_attrs(bound, &b, "a bound queue");
	check_attrs(uwq_system_wq, &b, "uwq_system_wq");
	b.nice = -20;
	check_attrs(hi, &b, "a UWQ_HIGHPRI bound queue");
	check_attrs(uwq_system_highpri_wq, &b, "uwq_system_highpri_wq");
	for (int cpu = 0; cpu < NFAKE; cpu++) {
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		CHECK(uwq_workqueue_cpu_pod(bound, cpu, &got) == 0 && CPU_EQUAL(&got, &one),
		      "a bound queue's pod for CPU %d is not {%d}", cpu, cpu);
		CHECK(uwq_workqueue_cpu_pod(hi, cpu, &got) == 0 && CPU_EQUAL(&got, &one),
		      "a high-priority queue's pod for CPU %d is not {%d}", cpu, cpu);
	}
	check_pods(tr, ord, UWQ_AFFN_SYSTEM, &none, "an ordered queue (one pod whatever the scope)");

	PHASE("tree A: errors");
	memset(&a, 0, sizeof(a));
	a.affn_scope = UWQ_AFFN_NUMA;
	a.nice = 3;
	a.cpumask = set_of("8-23");
	CHECK(uwq_apply_workqueue_attrs(wq, &a) == 0, "a valid apply failed");
	cur = a;
	CHECK((err = uwq_apply_workqueue_attrs(NULL, &a)) == -EINVAL, "apply(NULL queue) returned %d", err);
	CHECK((err = uwq_apply_workqueue_attrs(wq, NULL)) == -EINVAL, "apply(NULL attrs) returned %d", err);
	CHECK((err = uwq_apply_workqueue_attrs(bound, &a)) == -EINVAL, "apply to a bound queue returned %d",
	      err);
	CHECK((err = uwq_apply_workqueue_attrs(uwq_system_wq, &a)) == -EINVAL,
	      "apply to uwq_system_wq returned %d", err);
	CHECK((err = uwq_apply_workqueue_attrs(ord, &a)) == -EINVAL, "apply to an ordered queue returned %d",
	      err);
	b = a;
	b.nice = 20;
	CHECK((err = uwq_apply_workqueue_attrs(wq, &b)) == -EINVAL, "apply(nice 20) returned %d", err);
	b.nice = -21;
	CHECK((err = uwq_apply_workqueue_attrs(wq, &b)) == -EINVAL, "apply(nice -21) returned %d", err);
	b = a;
	b.affn_scope = (enum uwq_affn_scope)99;
	CHECK((err = uwq_apply_workqueue_attrs(wq, &b)) == -EINVAL, "apply(scope 99) returned %d", err);
	b.affn_scope = UWQ_AFFN_NR;
	CHECK((err = uwq_apply_workqueue_attrs(wq, &b)) == -EINVAL, "apply(scope UWQ_AFFN_NR) returned %d",
	      err);
	b.affn_scope = (enum uwq_affn_scope)-1;
	CHECK((err = uwq_apply_workqueue_attrs(wq, &b)) == -EINVAL, "apply(scope -1) returned %d", err);
	b = a;
	b.cpumask = set_of("100");
	CHECK((err = uwq_apply_workqueue_attrs(wq, &b)) == -EINVAL,
	      "apply(mask {100}, no CPU served) returned %d", err);
	b.cpumask = set_of("64-1023");
	CHECK((err = uwq_apply_workqueue_attrs(wq, &b)) == -EINVAL,
	      "apply(mask {64-1023}, no CPU served) returned %d", err);
	check_attrs(wq, &cur, "after the refused applies");
	check_pods(tr, wq, UWQ_AFFN_NUMA, &cur.cpumask, "after the refused applies");

	CHECK((err = uwq_workqueue_cpu_pod(wq, -1, &got)) == -EINVAL, "cpu_pod(CPU -1) returned %d", err);
	CHECK((err = uwq_workqueue_cpu_pod(wq, NFAKE, &got)) == -EINVAL, "cpu_pod(CPU %d) returned %d", NFAKE,
	      err);
	CHECK((err = uwq_workqueue_cpu_pod(wq, 100000, &got)) == -EINVAL, "cpu_pod(CPU 100000) returned %d",
	      err);
	CHECK((err = uwq_workqueue_cpu_pod(NULL, 0, &got)) == -EINVAL, "cpu_pod(NULL queue) returned %d", err);
	CHECK((err = uwq_workqueue_cpu_pod(wq, 0, NULL)) == -EINVAL, "cpu_pod(NULL set) returned %d", err);
	CHECK((err = uwq_workqueue_get_attrs(NULL, &b)) == -EINVAL, "get_attrs(NULL queue) returned %d", err);
	CHECK((err = uwq_workqueue_get_attrs(wq, NULL)) == -EINVAL, "get_attrs(NULL attrs) returned %d", err);
	uwq_free_workqueue_attrs(NULL);

	PHASE("tree A: items on pools of CPUs that do not exist");
	/* 40-47 are fake on any machine this runs on with fewer than 41 CPUs;
	 * either way the items must run. */
	a.nice = 0;
	a.cpumask = set_of("40-47");
	a.affn_scope = UWQ_AFFN_CACHE;
	CHECK(uwq_apply_workqueue_attrs(wq, &a) == 0, "apply(mask 40-47) failed");
	run_items(wq, -1, "uwq/u", "unbound, mask 40-47");
	a.cpumask = set_of("63");
	a.affn_scope = UWQ_AFFN_CPU;
	CHECK(uwq_apply_workqueue_attrs(wq, &a) == 0, "apply(mask 63) failed");
	run_items(wq, -1, "uwq/u", "unbound, mask 63");
	run_items(bound, 17, "uwq/17:", "bound, CPU 17");
	run_items(bound, 50, "uwq/50:", "bound, CPU 50");
	run_items(hi, 63, "uwq/63:", "high-priority bound, CPU 63");

	uwq_destroy_workqueue(wq);
	uwq_destroy_workqueue(bound);
	uwq_destroy_workqueue(hi);
	uwq_destroy_workqueue(ord);
}

/* UWQ_AFFINITY_SCOPE=@value, read when uwq starts again, sets UWQ_AFFN_DFL. */
static void default_scope(const struct tree *tr, const char *value, int want)
{
	struct uwq_workqueue *wq;
	cpu_set_t none, mask;
	char what[96];
	char *text;

	CPU_ZERO(&none);
	CHECK(setenv("UWQ_AFFINITY_SCOPE", value, 1) == 0, "setenv: %s", strerror(errno));
	restart_on(tr);
	snprintf(what, sizeof(what), "UWQ_AFFINITY_SCOPE=%s", value);
	capture_stderr_begin();
	wq = alloc_unbound("attrs_dfl");	/* uwq starts here */
	text = capture_stderr_end();
	CHECK(count_lines_containing(text, "UWQ_AFFINITY_SCOPE") == (want == UWQ_AFFN_CACHE &&
								    strcmp(value, "cache") ? 1 : 0),
	      "%s: %d report lines naming UWQ_AFFINITY_SCOPE", what,
	      count_lines_containing(text, "UWQ_AFFINITY_SCOPE"));
	free(text);
	check_pods(tr, wq, want, &none, what);
	check_pods(tr, uwq_system_unbound_wq, want, &none, what);
	apply_literal(wq, UWQ_AFFN_DFL, "4-11");
	mask = set_of("4-11");
	check_pods(tr, wq, want, &mask, what);
	uwq_destroy_workqueue(wq);
}

int main(void)
{
	struct tree *a = &trees[0];
	const char *tmp = getenv("TMPDIR");
	char parent[256];

	unsetenv("UWQ_AFFINITY_SCOPE");
	/* All trees in one directory: a failed run leaves one behind. */
	snprintf(parent, sizeof(parent), "%s/uwq-attrs-scopes.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	CHECK(mkdtemp(parent), "mkdtemp %s: %s", parent, strerror(errno));
	for (size_t i = 0; i < ARRAY_SIZE(trees); i++) {
		struct tree *tr = &trees[i];

		if (tr->real) {
			char tmpl[300];

			snprintf(tmpl, sizeof(tmpl), "%s/empty.XXXXXX", parent);
			CHECK(mkdtemp(tmpl), "mkdtemp: %s", strerror(errno));
			tr->root = strdup(tmpl);
			CHECK(sched_getaffinity(0, sizeof(tr->online), &tr->online) == 0,
			      "sched_getaffinity: %s", strerror(errno));
		} else {
			tr->root = fake_sysfs_make(&tr->t, parent);
			tr->online = tr->t.online ? set_of(tr->t.online) : set_of("0-63");
		}
	}
	/* Before any uwq call: the first use reads this tree. */
	CHECK(setenv("UWQ_SYSFS_ROOT", a->root, 1) == 0, "setenv: %s", strerror(errno));

	PHASE("tree A: literal pods");
	literals_on_a();
	PHASE("tree A: every scope and mask");
	scopes_on(a, UWQ_AFFN_CACHE);
	others_on_a(a);

	PHASE("tree A: UWQ_AFFINITY_SCOPE");
	default_scope(a, "numa", UWQ_AFFN_NUMA);
	default_scope(a, "smt", UWQ_AFFN_SMT);
	default_scope(a, "cpu", UWQ_AFFN_CPU);
	default_scope(a, "system", UWQ_AFFN_SYSTEM);
	default_scope(a, "cache", UWQ_AFFN_CACHE);
	default_scope(a, "bogus", UWQ_AFFN_CACHE);
	unsetenv("UWQ_AFFINITY_SCOPE");

	for (size_t i = 1; i < ARRAY_SIZE(trees); i++) {
		PHASE(trees[i].name);
		restart_on(&trees[i]);
		scopes_on(&trees[i], UWQ_AFFN_CACHE);
	}

	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	for (size_t i = 0; i < ARRAY_SIZE(trees); i++)
		free(trees[i].root);
	fake_sysfs_remove(parent);
	return TEST_PASS;
}

/* SPDX-License-Identifier: MIT */
/*
 * uwq_queue_work_node(): on a fake 64-CPU machine of 4 NUMA nodes
 * (UWQ_SYSFS_ROOT, tests/wq/fake_sysfs.h), an unbound queue with the numa
 * affinity scope runs an item queued for node n in the same pool as an
 * item queued with uwq_queue_work_on() for a CPU of node n, and the four
 * nodes' pools differ; a node outside the queue's CPU mask, a node that
 * does not exist (-1, 9) and a per-CPU queue still run the item (anywhere);
 * NULL is refused.
 */
#include <uwq/workqueue.h>

#include "fake_sysfs.h"

struct item {
	struct uwq_work	w;
	atomic_int	pool;	/* the worker's pool id, from its name; -1 until run */
};

static void item_fn(struct uwq_work *w)
{
	struct item *it = container_of(w, struct item, w);
	char comm[32];
	int id = -2, n;

	if (task_comm(util_gettid(), comm, sizeof(comm)) && sscanf(comm, "uwq/u%d:%d", &id, &n) != 2 &&
	    sscanf(comm, "uwq/%d:%d", &n, &n) == 2)
		id = -3;	/* a per-CPU pool's worker */
	atomic_store(&it->pool, id);
}

/* Queue one item with @how (0: on CPU @arg, 1: on node @arg) and return
 * the pool id it ran in. */
static int run_in(struct uwq_workqueue *wq, int how, int arg)
{
	struct item it;

	atomic_init(&it.pool, -1);
	uwq_work_init(&it.w, item_fn);
	if (how == 0)
		CHECK(uwq_queue_work_on(arg, wq, &it.w), "uwq_queue_work_on(%d)", arg);
	else
		CHECK(uwq_queue_work_node(arg, wq, &it.w), "uwq_queue_work_node(%d)", arg);
	WAIT_UNTIL(atomic_load(&it.pool) != -1, "item queued %s %d never ran", how ? "for node" : "on CPU", arg);
	uwq_flush_work(&it.w);	/* @it lives on this stack */
	return atomic_load(&it.pool);
}

int main(void)
{
	struct fake_topo t = { 64, NULL, 4, 2, true, true, false };
	struct uwq_workqueue_attrs *a;
	struct uwq_workqueue *wq;
	const char *tmp = getenv("TMPDIR");
	char parent[256], *root;
	int pools[4];

	snprintf(parent, sizeof(parent), "%s/uwq-node.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	CHECK(mkdtemp(parent), "mkdtemp %s: %s", parent, strerror(errno));
	root = fake_sysfs_make(&t, parent);
	CHECK(setenv("UWQ_SYSFS_ROOT", root, 1) == 0, "setenv: %s", strerror(errno));

	wq = uwq_alloc_workqueue("node_q", UWQ_UNBOUND, 0);
	CHECK(wq, "alloc: %s", strerror(errno));
	a = uwq_alloc_workqueue_attrs();
	CHECK(a, "attrs");
	a->affn_scope = UWQ_AFFN_NUMA;
	CHECK(uwq_apply_workqueue_attrs(wq, a) == 0, "apply numa scope");

	PHASE("each node's pool");
	for (int node = 0; node < 4; node++) {
		cpu_set_t cpus;
		int cpu = -1, by_cpu, by_node;

		fake_node_set(&t, node == 0 ? 0 : node * 8, &cpus);
		for (int c = 63; c >= 0; c--)	/* the node's last CPU: not the one the lookup tries first */
			if (CPU_ISSET(c, &cpus) && fake_node_of(&t, c) == node) {
				cpu = c;
				break;
			}
		CHECK(cpu >= 0, "no CPU on node %d", node);
		by_cpu = run_in(wq, 0, cpu);
		by_node = run_in(wq, 1, node);
		CHECK(by_cpu >= 0 && by_node == by_cpu,
		      "node %d: queued for the node it ran in pool %d, queued on its CPU %d in pool %d", node, by_node,
		      cpu, by_cpu);
		pools[node] = by_node;
		for (int k = 0; k < node; k++)
			CHECK(pools[k] != by_node, "nodes %d and %d share pool %d under the numa scope", k, node, by_node);
	}

	PHASE("nodes without a pool of their own, and a per-CPU queue");
	CHECK(run_in(wq, 1, -1) >= 0, "node -1: not run in an unbound pool");
	CHECK(run_in(wq, 1, 9) >= 0, "node 9: not run in an unbound pool");
	CPU_ZERO(&a->cpumask);
	for (int c = 0; c < 64; c++)
		if (fake_node_of(&t, c) < 2)
			CPU_SET(c, &a->cpumask);
	CHECK(uwq_apply_workqueue_attrs(wq, a) == 0, "apply a mask of nodes 0 and 1");
	CHECK(run_in(wq, 1, 3) >= 0, "node 3, outside the mask: not run");
	CHECK(run_in(uwq_system_wq, 1, 1) == -3, "per-CPU queue: not run in a per-CPU pool");

	PHASE("bad input");
	{
		struct item it;

		atomic_init(&it.pool, -1);
		uwq_work_init(&it.w, item_fn);
		CHECK(!uwq_queue_work_node(0, NULL, &it.w), "NULL queue accepted");
		CHECK(!uwq_queue_work_node(0, wq, NULL), "NULL item accepted");
	}
	uwq_free_workqueue_attrs(a);
	uwq_destroy_workqueue(wq);
	CHECK(uwq_shutdown() == 0, "shutdown");
	fake_sysfs_remove(parent);
	free(root);
	return TEST_PASS;
}

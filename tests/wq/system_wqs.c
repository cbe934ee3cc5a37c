/* SPDX-License-Identifier: MIT */
/*
 * The system workqueues need no set-up (include/uwq/workqueue.h: "The
 * system workqueues: no setup needed; their pools start on first use";
 * uwq_shutdown() drains them and joins every uwq thread; as the kernel's
 * system_wq and friends, kernel/workqueue.c workqueue_init_early()):
 *  - each of uwq_system_wq, _highpri_wq, _long_wq, _unbound_wq and
 *    _freezable_wq runs an item with no set-up;
 *  - uwq_schedule_work() queues on uwq_system_wq (its flush waits for it);
 *  - a bound system queue runs uwq_queue_work_on(cpu) on that CPU;
 *  - uwq_shutdown() is -EBUSY while a user queue exists (and stops nothing),
 *    0 once none does, and leaves no uwq thread behind; the next queueing
 *    starts uwq again (lazy restart), and it can be shut down again.
 */
#include <uwq/workqueue.h>

#include "util.h"

#define MAX_CPUS	1024

struct item {
	struct uwq_work	w;
	atomic_int	runs;
	atomic_int	cpu;
};

static void item_fn(struct uwq_work *w)
{
	struct item *it = container_of(w, struct item, w);

	atomic_store(&it->cpu, sched_getcpu());
	atomic_fetch_add(&it->runs, 1);
}

static void item_init(struct item *it)
{
	uwq_work_init(&it->w, item_fn);
	atomic_store(&it->runs, 0);
	atomic_store(&it->cpu, -1);
}

static void run_on(struct uwq_workqueue *wq, const char *name)
{
	struct item it;

	PHASE(name);
	item_init(&it);
	CHECK(uwq_queue_work(wq, &it.w), "%s: queueing failed", name);
	WAIT_UNTIL(atomic_load(&it.runs) == 1, "%s: item never ran", name);
	uwq_flush_work(&it.w);
	CHECK(uwq_flush_workqueue(wq) == 0, "%s: flush_workqueue failed", name);
	CHECK(atomic_load(&it.runs) == 1, "%s: item ran %d times", name, atomic_load(&it.runs));
}

static void all_system_queues(void)
{
	static const struct {
		struct uwq_workqueue *const *wq;
		const char *name;
	} q[] = {
		{ &uwq_system_wq, "uwq_system_wq" },
		{ &uwq_system_highpri_wq, "uwq_system_highpri_wq" },
		{ &uwq_system_long_wq, "uwq_system_long_wq" },
		{ &uwq_system_unbound_wq, "uwq_system_unbound_wq" },
		{ &uwq_system_freezable_wq, "uwq_system_freezable_wq" },
	};

	PHASE(__func__);
	for (size_t i = 0; i < ARRAY_SIZE(q); i++) {
		CHECK(*q[i].wq != NULL, "%s is NULL", q[i].name);
		run_on(*q[i].wq, q[i].name);
	}
}

static atomic_int gate, gated_started;

static void gated_fn(struct uwq_work *w)
{
	(void)w;
	atomic_store(&gated_started, 1);
	uwq_blocking_begin();
	GATE_WAIT(atomic_load(&gate), "gate never opened");
	uwq_blocking_end();
}

static void schedule_work_is_system_wq(void)
{
	struct item it;

	PHASE(__func__);
	for (int i = 0; i < 20; i++) {
		item_init(&it);
		CHECK(uwq_schedule_work(&it.w), "schedule_work failed");
		/* flush_workqueue(system_wq) waits for what was queued on it before. */
		CHECK(uwq_flush_workqueue(uwq_system_wq) == 0, "flush_workqueue failed");
		CHECK(atomic_load(&it.runs) >= 1,
		      "flush of uwq_system_wq returned before the scheduled item ran");
		uwq_flush_work(&it.w);
	}
}

static void queue_on_each_cpu(struct uwq_workqueue *wq, const char *name)
{
	static int cpus[MAX_CPUS];
	int n = affinity_cpus(cpus, MAX_CPUS);
	struct item it;

	PHASE(__func__);
	for (int i = 0; i < n; i++) {
		item_init(&it);
		CHECK(uwq_queue_work_on(cpus[i], wq, &it.w), "%s: queue_work_on(%d) failed",
		      name, cpus[i]);
		uwq_flush_work(&it.w);
		CHECK(atomic_load(&it.runs) == 1, "%s: item for CPU %d did not run", name, cpus[i]);
		CHECK(atomic_load(&it.cpu) == cpus[i], "%s: item for CPU %d ran on CPU %d",
		      name, cpus[i], atomic_load(&it.cpu));
	}
}

static void shutdown_clean(const char *when)
{
	int n;

	CHECK(uwq_shutdown() == 0, "%s: uwq_shutdown failed", when);
	/* Joined, but the kernel may list a thread for a moment after. */
	WAIT_UNTIL((n = count_tasks_named("uwq")) == 0, "%s: %d uwq threads left after uwq_shutdown", when, n);
}

int main(void)
{
	struct uwq_workqueue *user;
	struct uwq_work g;
	struct item it;

	all_system_queues();
	schedule_work_is_system_wq();
	queue_on_each_cpu(uwq_system_wq, "uwq_system_wq");
	queue_on_each_cpu(uwq_system_highpri_wq, "uwq_system_highpri_wq");

	/* -EBUSY while a user queue exists, and nothing is stopped. */
	PHASE("shutdown refused while a user queue exists");
	user = uwq_alloc_workqueue("user", 0, 0);
	CHECK(user, "alloc failed: %s", strerror(errno));
	uwq_work_init(&g, gated_fn);
	CHECK(uwq_queue_work(user, &g), "queueing failed");
	WAIT_UNTIL(atomic_load(&gated_started), "gated item never ran");
	CHECK(uwq_shutdown() == -EBUSY, "uwq_shutdown with a user queue did not return -EBUSY");
	run_on(uwq_system_wq, "uwq_system_wq after -EBUSY");
	atomic_store(&gate, 1);
	uwq_flush_work(&g);
	uwq_destroy_workqueue(user);

	shutdown_clean("first shutdown");
	CHECK(uwq_shutdown() == 0, "a second uwq_shutdown in a row failed");

	/* Lazy restart. */
	PHASE("lazy restart");
	all_system_queues();
	item_init(&it);
	CHECK(uwq_schedule_work(&it.w), "schedule_work after shutdown failed");
	uwq_flush_work(&it.w);
	CHECK(atomic_load(&it.runs) == 1, "item scheduled after shutdown ran %d times",
	      atomic_load(&it.runs));
	user = uwq_alloc_workqueue("user2", UWQ_UNBOUND, 0);
	CHECK(user, "alloc after shutdown failed: %s", strerror(errno));
	run_on(user, "user queue after restart");
	uwq_destroy_workqueue(user);

	shutdown_clean("second shutdown");
	return TEST_PASS;
}

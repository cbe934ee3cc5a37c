/* SPDX-License-Identifier: MIT */
/*
 * init.c - lazy start and uwq_shutdown().
 *
 * DESIGN: the system workqueues are statically allocated objects behind
 * const pointers (uwq/workqueue.h uwq_system_wq), usable with no set-up.
 * Every entry point that needs the pools calls uwq__ensure_init(): one
 * acquire load on the fast path, pthread-free after the first call. The
 * first call reads the affinity mask, allocates the pool structures (no
 * threads: a pool starts its first worker when work first reaches it) and
 * initialises the system queues. uwq_shutdown() undoes all of it so
 * valgrind sees a clean exit, and clears `ready` so the next use starts
 * over.
 * CONCURRENCY: uwq__g.lock serialises init, shutdown and the workqueue
 * list. Shutdown concurrent with other uwq calls is the caller's bug.
 * INVARIANTS:
 *  1. ready == 1 implies topology, pools and system queues are built.
 *  2. After shutdown no uwq thread runs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal/irq.h"
#include "internal/log.h"
#include "internal/wq.h"

struct uwq__state uwq__g = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wqs = { &uwq__g.wqs, &uwq__g.wqs },
};

uint64_t uwq__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t uwq__coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t env_u64(const char *name, uint64_t dfl, uint64_t unit)
{
	const char *s = getenv(name);
	char *end;
	unsigned long long v;

	v = dfl;
	if (s && *s) {
		v = strtoull(s, &end, 10);
		if (*end) {
			uwq__log("ignoring %s=%s: not a number", name, s);
			v = dfl;
		}
	}
	return v * unit;
}

void uwq_config_defaults(struct uwq_config *c)
{
	if (!c)
		return;
	memset(c, 0, sizeof(*c));
	c->idle_spin_ns = env_u64("UWQ_IDLE_SPIN_NS", 20000, 1);
	c->max_workers = (int)env_u64("UWQ_MAX_WORKERS", 0, 1);	/* 0: per pool, see pool.c */
	c->idle_reserve = (int)env_u64("UWQ_IDLE_RESERVE", 2, 1);
	c->idle_timeout_ns = env_u64("UWQ_IDLE_TIMEOUT_MS", 60000, 1000000);
	c->monitor_tick_ns = env_u64("UWQ_MONITOR_TICK_US", 1000, 1000);
	c->cpu_intensive_ns = env_u64("UWQ_CPU_INTENSIVE_THRESH_US", 10000, 1000);
	c->watchdog_ns = env_u64("UWQ_WATCHDOG_THRESH_MS", 30000, 1000000);
	c->mayday_initial_ns = env_u64("UWQ_MAYDAY_INITIAL_MS", 10, 1000000);
	c->mayday_interval_ns = env_u64("UWQ_MAYDAY_INTERVAL_MS", 100, 1000000);
	c->create_cooldown_ns = env_u64("UWQ_CREATE_COOLDOWN_MS", 1000, 1000000);
	c->freeze_timeout_ns = env_u64("UWQ_FREEZE_TIMEOUT_MS", 20000, 1000000);
}

static int config_check(const struct uwq_config *c)
{
	if (!c || (c->max_workers != 0 && c->max_workers < 2) || c->max_workers < 0 || c->idle_reserve < 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(c->reserved) / sizeof(c->reserved[0]); i++)
		if (c->reserved[i])
			return -EINVAL;
	return 0;
}

int uwq_configure(const struct uwq_config *c)
{
	int err = config_check(c);

	if (err)
		return err;
	pthread_mutex_lock(&uwq__g.lock);
	if (uwq__g.ready) {
		pthread_mutex_unlock(&uwq__g.lock);
		return -EBUSY;
	}
	uwq__g.cfg = *c;
	uwq__g.cfg_set = true;
	pthread_mutex_unlock(&uwq__g.lock);
	return 0;
}

static void init_failed(int err)
{
	uwq__log("cannot start: %s; aborting", err == -ENOMEM ? "out of memory" : "internal error");
	abort();
}

void uwq__init_slow(void)
{
	int i, n, err;

	pthread_mutex_lock(&uwq__g.lock);
	if (uwq__g.ready) {
		pthread_mutex_unlock(&uwq__g.lock);
		return;
	}
	if (!uwq__g.cfg_set)
		uwq_config_defaults(&uwq__g.cfg);
	{
		const char *s = getenv("UWQ_STATS");

		uwq__g.stats_clock = !(s && s[0] == '0');
		uwq__g.stats_sample = (unsigned)env_u64("UWQ_STATS_SAMPLE", 16, 1);
		if (!uwq__g.stats_sample || uwq__g.stats_sample > 1u << 20)
			uwq__g.stats_sample = 16;
	}
	err = uwq__topology_init();
	if (err)
		init_failed(err);
	n = uwq__g.nr_cpus;
	uwq__g.bound = calloc((size_t)(2 * n), sizeof(*uwq__g.bound));
	if (!uwq__g.bound)
		init_failed(-ENOMEM);
	for (i = 0; i < 2 * n; i++) {
		cpu_set_t one;
		int cpu = uwq__g.cpu_ids[i % n];

		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		uwq__g.bound[i] = uwq__pool_create(cpu, i >= n ? -20 : 0, &one, 1);
		if (!uwq__g.bound[i])
			init_failed(-ENOMEM);
	}
	for (i = 0; i < 2; i++) {
		cpu_set_t all;

		CPU_ZERO(&all);
		for (int c = 0; c < n; c++)
			CPU_SET(uwq__g.cpu_ids[c], &all);
		/* Unbound pools are concurrency-managed too: one running
		 * worker per CPU of their mask (docs/design.md §3
		 * "Concurrency management"). */
		uwq__g.unbound[i] = uwq__pool_create(-1, i == 1 ? -20 : 0, &all, n);
		if (!uwq__g.unbound[i])
			init_failed(-ENOMEM);
		uwq__g.upools[i] = uwq__g.unbound[i];
	}
	store_release(&uwq__g.nr_upools, 2);
	uwq__system_wqs_init();
	uwq__timer_resume();
	/* Release: publishes everything above to uwq__ensure_init(). */
	store_release(&uwq__g.ready, 1);
	pthread_mutex_unlock(&uwq__g.lock);
	{
		const char *s = getenv("UWQ_EXPORT");

		if (s && s[0] == '1')
			uwq_export_start((unsigned)env_u64("UWQ_EXPORT_INTERVAL_MS", 250, 1));
	}
}

int uwq_shutdown(void)
{
	struct uwq__list *pos;
	int i, n;

	if (uwq__current_worker) {
		uwq__log("uwq_shutdown() called from a work function: refused");
		return -EBUSY;
	}
	pthread_mutex_lock(&uwq__g.lock);
	list_for_each(pos, &uwq__g.wqs) {
		struct uwq_workqueue *wq = container_of(pos, struct uwq_workqueue, node);

		if (!wq->is_system) {
			uwq__log("uwq_shutdown(): workqueue %s still exists: refused", wq->name);
			pthread_mutex_unlock(&uwq__g.lock);
			return -EBUSY;
		}
	}
	pthread_mutex_unlock(&uwq__g.lock);
	uwq_thaw();	/* a frozen queue would never drain */
	/* Interrupt lines are the caller's too: none may be left. */
	if (uwq__irq_shutdown())
		return -EBUSY;
	uwq_export_stop();
	pthread_mutex_lock(&uwq__g.lock);
	if (!uwq__g.ready) {
		pthread_mutex_unlock(&uwq__g.lock);
		return 0;
	}
	pthread_mutex_unlock(&uwq__g.lock);

	/* Timer first: a timer firing after the drain would queue onto pools
	 * about to be freed. Armed items stay armed and fire after restart. */
	uwq__timer_shutdown();
	for (i = 0; i < UWQ_NR_SYSTEM_WQS; i++)
		uwq_drain_workqueue(uwq__system_wq_at(i));
	uwq__monitor_shutdown();

	pthread_mutex_lock(&uwq__g.lock);
	n = uwq__g.nr_cpus;
	for (i = 0; i < 2 * n; i++)
		uwq__pool_destroy(uwq__g.bound[i]);
	for (i = 0; i < uwq__g.nr_upools; i++)
		uwq__pool_destroy(uwq__g.upools[i]);
	uwq__g.nr_upools = 0;
	uwq__creator_shutdown();
	uwq__system_wqs_release();
	free(uwq__g.bound);
	uwq__g.bound = NULL;
	uwq__g.unbound[0] = uwq__g.unbound[1] = NULL;
	uwq__topology_free();
	uwq__g.next_pool_id = 0;
	store_release(&uwq__g.ready, 0);
	pthread_mutex_unlock(&uwq__g.lock);
	return 0;
}

/* fork.c: the child starts over; the parent's pools, queues and topology
 * are leaked in its copy of memory, never touched (their locks may be
 * held by threads that do not exist here). */
void uwq__state_atfork_child(void)
{
	pthread_mutex_init(&uwq__g.lock, NULL);
	uwq__g.ready = 0;
	uwq__g.bound = NULL;
	uwq__g.unbound[0] = uwq__g.unbound[1] = NULL;
	uwq__g.cpu_ids = NULL;
	uwq__g.cpu_to_idx = NULL;
	uwq__g.nr_upools = 0;
	memset(uwq__g.pods, 0, sizeof(uwq__g.pods));
	list_init(&uwq__g.wqs);
	uwq__g.next_pool_id = 0;
	uwq__system_wqs_forget();
}

/* SPDX-License-Identifier: MIT */
/*
 * attrs.c - a workqueue's pwqs, its attributes and runtime changes to them
 * (kernel/workqueue.c: apply_workqueue_attrs, get_unbound_pool,
 * wq_calc_pod_cpumask).
 *
 * DESIGN
 * Every queue has a table, by CPU index, of the pwq an item queued from
 * that CPU goes to. A bound queue's table holds one pwq per CPU on that
 * CPU's pool. An unbound queue's table maps each CPU to its pod's pwq
 * (topology.c): the pod's CPUs, restricted to the queue's cpumask (or the
 * whole cpumask when they do not meet it), with the queue's nice level,
 * name one pool; pools with equal attributes are shared by all queues
 * (uwq__g.upools). Ordered queues keep one pwq (scope system) so that
 * one FIFO holds all their items.
 *
 * uwq_apply_workqueue_attrs() builds a new table beside the old one,
 * reusing the queue's pwqs whose pool is unchanged, and publishes it with
 * one release store. Queuers that loaded the old table a moment earlier
 * still queue on old pwqs; items there run where they are. So no pwq is
 * ever freed while its queue lives: each goes on the queue's append-only
 * pwq list, which flush, drain, max_active and the freezer walk, and old
 * tables are kept until destroy. A queue that alternates between two
 * attribute sets therefore reuses its pwqs; memory grows only with the
 * number of distinct pools it has used (at most UWQ_MAX_UPOOLS).
 * Ordered queues refuse new attributes, as the kernel's did before it
 * could plug a new pwq until the old one drained: two pwqs would break
 * their order.
 *
 * Pool limits (uwq_set_pool_limits) are process-wide: written to the
 * configuration with relaxed stores, read by the reaper without a lock,
 * and each pool's cap recomputed under its lock.
 *
 * CONCURRENCY: uwq__g.lock guards the pool registry and a queue's attrs
 * and old tables; building a table also holds wq->flush_lock, so
 * saved_max_active and the frozen state are read consistently (order:
 * uwq__g.lock -> flush_lock -> pool->lock, as the freezer).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal/fault.h"
#include "internal/log.h"
#include "internal/wq.h"

/* The shared unbound pool for (@nice, @cpus), made if new (uwq__g.lock);
 * NULL with *err -ENOSPC at the pool limit, -ENOMEM if it cannot be made. */
static struct uwq__pool *get_upool(int nice, const cpu_set_t *cpus, int *err)
{
	struct uwq__pool *pool;
	int n = uwq__g.nr_upools;

	for (int i = 0; i < n; i++)
		if (uwq__g.upools[i]->nice == nice && CPU_EQUAL(&uwq__g.upools[i]->cpus, cpus))
			return uwq__g.upools[i];
	*err = -ENOSPC;
	if (n == UWQ_MAX_UPOOLS)
		return NULL;
	*err = -ENOMEM;
	pool = uwq__pool_create(-1, nice, cpus, CPU_COUNT(cpus));
	if (!pool)
		return NULL;
	uwq__g.upools[n] = pool;
	/* Release: walkers (monitor, dump) load nr_upools with acquire. */
	store_release(&uwq__g.nr_upools, n + 1);
	return pool;
}

static int effective_scope(const struct uwq_workqueue *wq, const struct uwq_workqueue_attrs *a)
{
	if (wq->flags & __UWQ_ORDERED)
		return UWQ_AFFN_SYSTEM;
	return a->affn_scope == UWQ_AFFN_DFL ? uwq__g.dfl_scope : (int)a->affn_scope;
}

/* @a's cpumask within the CPUs served; empty if they do not meet. */
static void effective_mask(const struct uwq_workqueue_attrs *a, cpu_set_t *m)
{
	if (CPU_COUNT(&a->cpumask) == 0) {
		*m = uwq__g.allowed;
		return;
	}
	CPU_AND(m, &a->cpumask, &uwq__g.allowed);
}

/* A pwq of @wq on @pool: one it has (or is about to get), else a new one
 * pushed on *fresh. */
static struct uwq__pwq *get_pwq(struct uwq_workqueue *wq, struct uwq__pool *pool, struct uwq__pwq **fresh)
{
	struct uwq__pwq *pwq;

	for_each_pwq(pwq, wq)
		if (pwq->pool == pool)
			return pwq;
	for (pwq = *fresh; pwq; pwq = pwq->wq_next)
		if (pwq->pool == pool)
			return pwq;
	pwq = uwq__pwq_alloc(wq, pool, wq->frozen ? 0 : wq->saved_max_active);
	if (!pwq)
		return NULL;
	pwq->wq_next = *fresh;
	*fresh = pwq;
	return pwq;
}

static void free_fresh(struct uwq__pwq *fresh)
{
	while (fresh) {
		struct uwq__pwq *next = fresh->wq_next;

		free(fresh);
		fresh = next;
	}
}

/* A table for @wq with attributes @a; new pwqs on *fresh. */
static int build_table(struct uwq_workqueue *wq, const struct uwq_workqueue_attrs *a,
		       struct uwq__pwq ***out, struct uwq__pwq **fresh)
{
	int n = uwq__g.nr_cpus, hi = (wq->flags & UWQ_HIGHPRI) ? 1 : 0;
	struct uwq__pwq **table = uwq__zalloc((size_t)n * sizeof(*table));
	const struct uwq__pods *pods;
	cpu_set_t mask;

	*fresh = NULL;
	if (!table)
		return -ENOMEM;
	if (!(wq->flags & UWQ_UNBOUND)) {
		for (int i = 0; i < n; i++)
			if (!(table[i] = get_pwq(wq, uwq__g.bound[hi * n + i], fresh)))
				goto nomem;
		*out = table;
		return 0;
	}
	pods = &uwq__g.pods[effective_scope(wq, a)];
	effective_mask(a, &mask);
	for (int i = 0; i < n; i++) {
		struct uwq__pool *pool;
		struct uwq__pwq *pwq;
		cpu_set_t cpus;
		int pod = pods->of[i], err;

		if (table[i])
			continue;
		CPU_AND(&cpus, &pods->cpus[pod], &mask);
		if (CPU_COUNT(&cpus) == 0)
			cpus = mask;	/* the pod is outside the mask: serve it from the mask */
		pool = get_upool(a->nice, &cpus, &err);
		if (!pool) {
			free(table);
			free_fresh(*fresh);
			return err;
		}
		if (!(pwq = get_pwq(wq, pool, fresh)))
			goto nomem;
		for (int j = i; j < n; j++)
			if (pods->of[j] == pod)
				table[j] = pwq;
	}
	*out = table;
	return 0;
nomem:
	free(table);
	free_fresh(*fresh);
	return -ENOMEM;
}

/* Append @fresh to @wq's pwq list (uwq__g.lock and flush_lock held). */
static void append_pwqs(struct uwq_workqueue *wq, struct uwq__pwq *fresh)
{
	struct uwq__pwq **tail = &wq->pwq_list;

	while (*tail)
		tail = &(*tail)->wq_next;
	while (fresh) {
		struct uwq__pwq *next = fresh->wq_next;

		fresh->wq_next = NULL;
		/* Release: walkers see a whole pwq. */
		store_release(tail, fresh);
		tail = &fresh->wq_next;
		fresh = next;
	}
}

static void default_attrs(const struct uwq_workqueue *wq, struct uwq_workqueue_attrs *a)
{
	memset(a, 0, sizeof(*a));
	a->nice = (wq->flags & UWQ_HIGHPRI) ? -20 : 0;
	a->affn_scope = UWQ_AFFN_DFL;
}

/* uwq__wq_init(): the first table (uwq__g.lock held; @wq unpublished). */
int uwq__wq_init_pwqs(struct uwq_workqueue *wq)
{
	struct uwq__pwq *fresh, **table;
	int err;

	default_attrs(wq, &wq->attrs);
	err = build_table(wq, &wq->attrs, &table, &fresh);
	if (err)
		return err;
	append_pwqs(wq, fresh);
	store_release(&wq->pwq_table, table);
	return 0;
}

void uwq__wq_free_pwqs(struct uwq_workqueue *wq)
{
	struct uwq__pwq *pwq = wq->pwq_list;

	while (pwq) {
		struct uwq__pwq *next = pwq->wq_next;

		free(pwq);
		pwq = next;
	}
	while (wq->old_tables) {
		struct uwq__old_table *t = wq->old_tables;

		wq->old_tables = t->next;
		free(t->table);
		free(t);
	}
	free(wq->pwq_table);
	wq->pwq_list = NULL;
	wq->pwq_table = NULL;
}

struct uwq_workqueue_attrs *uwq_alloc_workqueue_attrs(void)
{
	struct uwq_workqueue_attrs *a = uwq__zalloc(sizeof(*a));

	if (!a)
		errno = ENOMEM;
	return a;
}

void uwq_free_workqueue_attrs(struct uwq_workqueue_attrs *attrs)
{
	free(attrs);
}

int uwq_apply_workqueue_attrs(struct uwq_workqueue *wq, const struct uwq_workqueue_attrs *attrs)
{
	struct uwq__pwq *fresh, **table;
	struct uwq__old_table *old;
	cpu_set_t mask;
	int err;

	if (!wq || !attrs || attrs->nice < -20 || attrs->nice > 19 ||
	    (unsigned)attrs->affn_scope >= UWQ_AFFN_NR)
		return -EINVAL;
	uwq__ensure_init();
	if (uwq__wq_stale(wq))
		return -ECHILD;
	if (!(wq->flags & UWQ_UNBOUND) || (wq->flags & __UWQ_ORDERED))
		return -EINVAL;
	effective_mask(attrs, &mask);
	if (CPU_COUNT(&mask) == 0)
		return -EINVAL;
	old = uwq__zalloc(sizeof(*old));
	if (!old)
		return -ENOMEM;
	pthread_mutex_lock(&uwq__g.lock);
	pthread_mutex_lock(&wq->flush_lock);
	err = build_table(wq, attrs, &table, &fresh);
	if (!err) {
		append_pwqs(wq, fresh);
		old->table = wq->pwq_table;
		old->next = wq->old_tables;
		wq->old_tables = old;
		old = NULL;
		/* Release: queuers load the table with acquire (pick_pwq). */
		store_release(&wq->pwq_table, table);
		wq->attrs = *attrs;
	}
	pthread_mutex_unlock(&wq->flush_lock);
	pthread_mutex_unlock(&uwq__g.lock);
	free(old);
	return err;
}

int uwq_workqueue_get_attrs(struct uwq_workqueue *wq, struct uwq_workqueue_attrs *attrs)
{
	if (!wq || !attrs)
		return -EINVAL;
	uwq__ensure_init();
	pthread_mutex_lock(&uwq__g.lock);
	if (wq->flags & UWQ_UNBOUND) {
		*attrs = wq->attrs;
	} else {
		default_attrs(wq, attrs);
		attrs->cpumask = uwq__g.allowed;
		attrs->affn_scope = UWQ_AFFN_CPU;
	}
	pthread_mutex_unlock(&uwq__g.lock);
	return 0;
}

int uwq_workqueue_cpu_pod(struct uwq_workqueue *wq, int cpu, cpu_set_t *cpus)
{
	struct uwq__pwq **table;
	int idx;

	if (!wq || !cpus || cpu < 0)
		return -EINVAL;
	uwq__ensure_init();
	if (cpu >= uwq__g.max_cpu || (idx = uwq__g.cpu_to_idx[cpu]) < 0)
		return -EINVAL;
	table = load_acquire(&wq->pwq_table);
	*cpus = table[idx]->pool->cpus;
	return 0;
}

int uwq_set_pool_limits(const struct uwq_pool_limits *l)
{
	if (!l || l->max_workers < 0 || l->max_workers == 1 || l->idle_reserve < 0)
		return -EINVAL;
	pthread_mutex_lock(&uwq__g.lock);
	if (!uwq__g.cfg_set && !uwq__g.ready) {
		uwq_config_defaults(&uwq__g.cfg);
		uwq__g.cfg_set = true;
	}
	__atomic_store_n(&uwq__g.cfg.max_workers, l->max_workers, __ATOMIC_RELAXED);
	__atomic_store_n(&uwq__g.cfg.idle_reserve, l->idle_reserve, __ATOMIC_RELAXED);
	__atomic_store_n(&uwq__g.cfg.idle_timeout_ns, l->idle_timeout_ns, __ATOMIC_RELAXED);
	if (uwq__g.ready)
		for (int i = 0; i < uwq__nr_pools(); i++)
			uwq__pool_set_cap(uwq__pool_at(i));
	pthread_mutex_unlock(&uwq__g.lock);
	if (load_acquire(&uwq__g.ready))
		uwq__monitor_poke();	/* reap against the new reserve and timeout */
	return 0;
}

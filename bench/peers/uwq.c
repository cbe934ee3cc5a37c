/* SPDX-License-Identifier: MIT */
/*
 * uwq.c - uwq behind the bench interface: the bound system queue
 * (uwq_system_wq: the pool of the submitting thread's CPU) and the unbound
 * one (uwq_system_unbound_wq), each with and without the blocking hint
 * (uwq_blocking_begin/end around the blocking call of S4 and S5). uwq sizes
 * its pools itself: the worker count asked for is ignored.
 */
#include <errno.h>
#include <stdio.h>
#include <uwq.h>

#include "pool.h"

static struct uwq_workqueue *wq;

static void run_item(struct uwq_work *w)
{
	bench_task_run(bench_task_of(w));
}

static int init_bound(int nthreads)
{
	(void)nthreads;
	wq = uwq_system_wq;
	return 0;
}

static int init_unbound(int nthreads)
{
	(void)nthreads;
	wq = uwq_system_unbound_wq;
	return 0;
}

static int submit(struct bench_task *t)
{
	struct uwq_work *w = bench_task_priv(t);

	uwq_work_init(w, run_item);
	return uwq_queue_work(wq, w) ? 0 : -EBUSY;
}

static void stop(void)
{
	uwq_shutdown();
}

static const char *version(void)
{
	static char v[32];

	snprintf(v, sizeof(v), "%d.%d.%d", UWQ_VERSION_MAJOR, UWQ_VERSION_MINOR, UWQ_VERSION_PATCH);
	return v;
}

#define UWQ_VARIANT(var, nm, fl, ini, ab, hints)				\
	static const struct bench_pool_ops var = {				\
		.name = nm, .about = ab, .task_priv = sizeof(struct uwq_work),	\
		.flags = fl, .init = ini, .submit = submit,			\
		.shutdown = stop, .version = version,			\
		.block_begin = hints ? uwq_blocking_begin : NULL,		\
		.block_end = hints ? uwq_blocking_end : NULL,			\
	}

UWQ_VARIANT(bound, "uwq-bound", 0, init_bound,
	    "uwq_queue_work(uwq_system_wq): per-CPU pools, self-sized", 0);
UWQ_VARIANT(unbound, "uwq-unbound", 0, init_unbound,
	    "uwq_queue_work(uwq_system_unbound_wq): shared unbound pool, self-sized", 0);
UWQ_VARIANT(bound_hinted, "uwq-bound-hinted", BENCH_POOL_HINTED, init_bound,
	    "uwq-bound, blocking calls wrapped in uwq_blocking_begin/end", 1);
UWQ_VARIANT(unbound_hinted, "uwq-unbound-hinted", BENCH_POOL_HINTED, init_unbound,
	    "uwq-unbound, blocking calls wrapped in uwq_blocking_begin/end", 1);

const struct bench_pool_ops *const bench_pools[] = { &bound, &unbound, &bound_hinted, &unbound_hinted, NULL };

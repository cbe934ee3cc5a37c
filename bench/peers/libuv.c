/* SPDX-License-Identifier: MIT */
/*
 * libuv.c - libuv's uv_queue_work() behind the bench interface.
 *
 * libuv's threadpool is process-global, sized once by UV_THREADPOOL_SIZE
 * (default 4) when first used. uv_queue_work() is not thread-safe with
 * respect to its loop, so every submitting thread (pool threads included,
 * for S5) gets a loop of its own, as libuv's one-loop-per-thread model
 * has it; the pool behind them is the same. after_work_cb is NULL and the
 * loops are not run while measuring: completion is the harness's counter,
 * and libuv is spared the loop-side bookkeeping it would normally do.
 * The uv_work_t lives in the task: submitting never allocates.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "pool.h"

static __thread uv_loop_t *my_loop;

static uv_loop_t *loop_get(void)
{
	if (!my_loop) {
		uv_loop_t *l = malloc(sizeof(*l));

		if (!l || uv_loop_init(l) != 0) {
			free(l);
			return NULL;
		}
		my_loop = l;
	}
	return my_loop;
}

static void run_req(uv_work_t *req)
{
	bench_task_run(bench_task_of(req));
}

static int init_ncpu(int nthreads)
{
	char v[16];

	snprintf(v, sizeof(v), "%d", nthreads);
	setenv("UV_THREADPOOL_SIZE", v, 1);
	return loop_get() ? 0 : -1;
}

static int init_default(int nthreads)
{
	(void)nthreads;
	unsetenv("UV_THREADPOOL_SIZE");
	return loop_get() ? 0 : -1;
}

static int submit(struct bench_task *t)
{
	uv_loop_t *l = loop_get();

	if (!l)
		return -1;
	return uv_queue_work(l, bench_task_priv(t), run_req, NULL);
}

static void stop(void)
{
	/* The pool joins its threads at exit; each repetition is its own process. */
	if (my_loop)
		uv_run(my_loop, UV_RUN_NOWAIT);
}

static const char *version(void)
{
	return uv_version_string();
}

static const struct bench_pool_ops ncpu = {
	.name = "libuv-ncpu",
	.about = "uv_queue_work, UV_THREADPOOL_SIZE=ncpu",
	.task_priv = sizeof(uv_work_t),
	.init = init_ncpu,
	.submit = submit,
	.shutdown = stop,
	.version = version,
};

static const struct bench_pool_ops dflt = {
	.name = "libuv-4",
	.about = "uv_queue_work, UV_THREADPOOL_SIZE unset (libuv's default, 4 threads)",
	.task_priv = sizeof(uv_work_t),
	.init = init_default,
	.submit = submit,
	.shutdown = stop,
	.version = version,
};

const struct bench_pool_ops *const bench_pools[] = { &ncpu, &dflt, NULL };

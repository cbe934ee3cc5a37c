// SPDX-License-Identifier: MIT
/*
 * tbb.cpp - oneTBB's task_arena behind the bench interface (C++ inside, the
 * C interface of pool.h outside).
 *
 * Tasks go in with task_arena::enqueue(), fire and forget, from any thread.
 * No submitting thread ever joins the arena, so all of its ncpu slots are
 * for workers (reserved_for_masters = 0), and oneTBB's soft limit on
 * workers, by default one fewer than the CPUs (it counts on a main thread
 * joining), is raised to ncpu workers with global_control
 * (max_allowed_parallelism = workers + 1). enqueue() allocates the task.
 */
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/version.h>

#include "pool.h"

static tbb::global_control *limit;
static tbb::task_arena *arena;

static int init(int nthreads)
{
	limit = new tbb::global_control(tbb::global_control::max_allowed_parallelism,
					static_cast<size_t>(nthreads) + 1);
	arena = new tbb::task_arena(nthreads, 0);
	arena->initialize();
	return 0;
}

static int submit(struct bench_task *t)
{
	arena->enqueue([t] { bench_task_run(t); });
	return 0;
}

static void stop(void)
{
	delete arena;
	delete limit;
}

static const char *version(void)
{
	return TBB_runtime_version();
}

static const struct bench_pool_ops tbb_arena = {
	.name = "tbb",
	.about = "oneTBB task_arena(ncpu, 0 reserved).enqueue, ncpu workers (global_control)",
	.task_priv = 0,
	.flags = 0,
	.init = init,
	.submit = submit,
	.run = nullptr,
	.wait_all = nullptr,
	.shutdown = stop,
	.block_begin = nullptr,
	.block_end = nullptr,
	.version = version,
};

const struct bench_pool_ops *const bench_pools[] = { &tbb_arena, nullptr };

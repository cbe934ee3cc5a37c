/* SPDX-License-Identifier: MIT */
/*
 * omp.c - OpenMP tasks (GCC's libgomp) behind the bench interface.
 *
 * Only a thread of a parallel region may create tasks, so run() opens one:
 * the harness's submitting threads become members of the team (the single
 * construct's thread, plus one explicit task per extra submitter), in
 * addition to the ncpu threads that execute tasks, and the region's end
 * waits for every task, descendants included. Once done submitting, the
 * submitters execute tasks at that barrier too, as OpenMP threads do.
 * The task runtime allocates each task.
 */
#include <omp.h>
#include <stdio.h>

#include "pool.h"

static int workers;

static int init(int nthreads)
{
	workers = nthreads;
	omp_set_dynamic(0);
	return 0;
}

static int submit(struct bench_task *t)
{
#pragma omp task firstprivate(t)
	bench_task_run(t);
	return 0;
}

static void run(int nsub, void (*driver)(int idx, void *arg), void *arg)
{
#pragma omp parallel num_threads(workers + nsub)
#pragma omp single
	{
		for (int i = 1; i < nsub; i++) {
#pragma omp task firstprivate(i)
			driver(i, arg);
		}
		driver(0, arg);
	}
}

static void stop(void)
{
}

static const char *version(void)
{
	static char v[48];

	snprintf(v, sizeof(v), "libgomp (gcc %d.%d), OpenMP %d", __GNUC__, __GNUC_MINOR__, _OPENMP);
	return v;
}

static const struct bench_pool_ops openmp = {
	.name = "omp",
	.about = "OpenMP tasks (libgomp): parallel region of ncpu + submitters threads, tasks from single",
	.init = init,
	.submit = submit,
	.run = run,
	.shutdown = stop,
	.version = version,
};

const struct bench_pool_ops *const bench_pools[] = { &openmp, NULL };

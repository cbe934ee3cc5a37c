/* SPDX-License-Identifier: MIT */
/*
 * glib.c - GLib's GThreadPool behind the bench interface: an exclusive pool
 * of ncpu threads (started at once, kept for the pool), and a shared pool
 * without a thread limit (max_threads -1, which GLib requires to be
 * non-exclusive; it starts a thread whenever a push finds none waiting).
 * g_thread_pool_push() allocates a queue link per task; nothing else does.
 */
#include <glib.h>
#include <stdio.h>

#include "pool.h"

static GThreadPool *pool;

static void run_task(gpointer data, gpointer user_data)
{
	(void)user_data;
	bench_task_run(data);
}

static int start(int max_threads, gboolean exclusive)
{
	GError *err = NULL;

	pool = g_thread_pool_new(run_task, NULL, max_threads, exclusive, &err);
	if (!pool) {
		g_error_free(err);
		return -1;
	}
	return 0;
}

static int init_ncpu(int nthreads)
{
	return start(nthreads, TRUE);
}

static int init_unlimited(int nthreads)
{
	(void)nthreads;
	return start(-1, FALSE);
}

static int submit(struct bench_task *t)
{
	GError *err = NULL;

	if (!g_thread_pool_push(pool, t, &err)) {
		g_error_free(err);
		return -1;
	}
	return 0;
}

static void stop(void)
{
	g_thread_pool_free(pool, FALSE, TRUE);
}

static const char *version(void)
{
	static char v[32];

	snprintf(v, sizeof(v), "%u.%u.%u", glib_major_version, glib_minor_version, glib_micro_version);
	return v;
}

static const struct bench_pool_ops ncpu = {
	.name = "glib-ncpu",
	.about = "GThreadPool, max_threads=ncpu, exclusive",
	.init = init_ncpu,
	.submit = submit,
	.shutdown = stop,
	.version = version,
};

static const struct bench_pool_ops unlimited = {
	.name = "glib-unlimited",
	.about = "GThreadPool, max_threads=-1 (unlimited), shared",
	.init = init_unlimited,
	.submit = submit,
	.shutdown = stop,
	.version = version,
};

const struct bench_pool_ops *const bench_pools[] = { &ncpu, &unlimited, NULL };

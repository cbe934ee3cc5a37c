/* SPDX-License-Identifier: MIT */
/*
 * mutexpool.c - the textbook pool: a fixed set of threads taking tasks from
 * one FIFO under one mutex, sleeping on one condition variable when it is
 * empty. What a programmer writes when no library is at hand; the baseline
 * every other pool should beat. The FIFO link lives in the task, so
 * submitting never allocates.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "pool.h"

struct node {
	struct node	*next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t more = PTHREAD_COND_INITIALIZER;
static struct node *head;	/* lock */
static struct node **tail = &head;	/* lock */
static bool stopping;		/* lock */
static pthread_t *threads;
static int nr_threads;

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		struct node *n;

		pthread_mutex_lock(&lock);
		while (!head && !stopping)
			pthread_cond_wait(&more, &lock);
		n = head;
		if (!n) {
			pthread_mutex_unlock(&lock);
			return NULL;
		}
		head = n->next;
		if (!head)
			tail = &head;
		pthread_mutex_unlock(&lock);
		bench_task_run(bench_task_of(n));
	}
}

static int init(int nthreads)
{
	threads = calloc((size_t)nthreads, sizeof(*threads));
	if (!threads)
		return -ENOMEM;
	for (nr_threads = 0; nr_threads < nthreads; nr_threads++) {
		int err = pthread_create(&threads[nr_threads], NULL, worker, NULL);

		if (err)
			return -err;
	}
	return 0;
}

static int submit(struct bench_task *t)
{
	struct node *n = bench_task_priv(t);

	n->next = NULL;
	pthread_mutex_lock(&lock);
	*tail = n;
	tail = &n->next;
	pthread_mutex_unlock(&lock);
	pthread_cond_signal(&more);	/* after unlock: the woken thread does not block on the mutex */
	return 0;
}

static void stop(void)
{
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_mutex_unlock(&lock);
	pthread_cond_broadcast(&more);
	for (int i = 0; i < nr_threads; i++)
		pthread_join(threads[i], NULL);
	free(threads);
}

static const char *version(void)
{
	return "-";
}

static const struct bench_pool_ops mutexpool = {
	.name = "mutexpool",
	.about = "textbook pool: ncpu threads, one mutex, one condvar, one FIFO (bench/peers/mutexpool.c)",
	.task_priv = sizeof(struct node),
	.init = init,
	.submit = submit,
	.shutdown = stop,
	.version = version,
};

const struct bench_pool_ops *const bench_pools[] = { &mutexpool, NULL };

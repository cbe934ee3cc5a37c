/* SPDX-License-Identifier: MIT */
/*
 * ordered.c - ordered completion (the btrfs worker pool's ordered_func,
 * fs/btrfs/async-thread.c: run_ordered_work).
 *
 * DESIGN
 * An ordered queue is a workqueue plus a FIFO of its items in queueing
 * order. Each item's run step is an ordinary work function, so runs go as
 * parallel as the workqueue allows. When a run returns, its item is marked
 * done, and the head of the FIFO is completed and released while it is
 * done. One thread at a time completes (`completing`): whoever finds no
 * completer becomes it and goes on while the head is done, so completions
 * never overlap and never wait for a thread of their own. Marking done and
 * testing `completing` happen under the same lock as the completer's test
 * of the head, so a run that finishes just as the completer gives up is
 * never left uncompleted.
 * Release order is queueing order, so flush waits for a count: the number
 * of items released reaching the number queued at the call.
 * CONCURRENCY: q->lock guards the FIFO, item states and counters; it is
 * held while queueing on the workqueue (q->lock -> pool->lock) and never
 * while a step runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <uwq/ordered.h>

#include "internal/fault.h"
#include "internal/log.h"
#include "internal/wq.h"

enum { OW_IDLE, OW_QUEUED, OW_DONE };

struct uwq_ordered_queue {
	struct uwq_workqueue		*wq;		/* I */
	pthread_mutex_t			lock;
	pthread_cond_t			released_cond;	/* lock: `released` grew */
	struct uwq_ordered_work		*head, *tail;	/* lock: not yet released */
	bool				completing;	/* lock */
	bool				dying;		/* lock */
	uint64_t			queued;		/* lock */
	uint64_t			released;	/* lock */
};

static void ordered_run(struct uwq_work *w);

void uwq_ordered_work_init(struct uwq_ordered_work *ow, uwq_ordered_fn run, uwq_ordered_fn complete,
			   uwq_ordered_fn release)
{
	if (!ow)
		return;
	uwq_work_init(&ow->work, ordered_run);
	ow->run = run;
	ow->complete = complete;
	ow->release = release;
	ow->next = NULL;
	ow->queue = NULL;
	ow->state = OW_IDLE;
}

/* The ordered queue whose step the caller is running, if any. */
static struct uwq_ordered_queue *current_queue(void)
{
	struct uwq_work *w = uwq_current_work();

	if (!w || w->func != ordered_run)
		return NULL;
	return container_of(w, struct uwq_ordered_work, work)->queue;
}

/* Complete and release done items at the head, one thread at a time
 * (q->lock held; returns with it released). */
static void complete_in_order(struct uwq_ordered_queue *q)
{
	struct uwq_ordered_work *x;

	if (q->completing) {
		pthread_mutex_unlock(&q->lock);
		return;
	}
	q->completing = true;
	while ((x = q->head) && x->state == OW_DONE) {
		q->head = x->next;
		if (!q->head)
			q->tail = NULL;
		pthread_mutex_unlock(&q->lock);
		if (x->complete)
			x->complete(x);
		pthread_mutex_lock(&q->lock);
		x->state = OW_IDLE;	/* from release on it may be queued again */
		pthread_mutex_unlock(&q->lock);
		if (x->release)
			x->release(x);	/* may free x */
		pthread_mutex_lock(&q->lock);
		q->released++;
		pthread_cond_broadcast(&q->released_cond);
	}
	q->completing = false;
	pthread_mutex_unlock(&q->lock);
}

static void ordered_run(struct uwq_work *w)
{
	struct uwq_ordered_work *ow = container_of(w, struct uwq_ordered_work, work);
	struct uwq_ordered_queue *q = ow->queue;

	ow->run(ow);
	pthread_mutex_lock(&q->lock);
	ow->state = OW_DONE;
	complete_in_order(q);
}

struct uwq_ordered_queue *uwq_alloc_ordered_queue(const char *name, unsigned flags, int max_active)
{
	struct uwq_ordered_queue *q;

	if (!name || (flags & ~UWQ_FLAGS_PUBLIC) || max_active < 0) {
		errno = EINVAL;
		return NULL;
	}
	q = uwq__zalloc(sizeof(*q));
	if (!q) {
		errno = ENOMEM;
		return NULL;
	}
	q->wq = uwq_alloc_workqueue(name, flags, max_active);
	if (!q->wq) {
		free(q);
		return NULL;
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->released_cond, NULL);
	return q;
}

int uwq_ordered_queue_work(struct uwq_ordered_queue *q, struct uwq_ordered_work *ow)
{
	if (!q || !ow || !ow->run || ow->work.func != ordered_run)
		return -EINVAL;
	pthread_mutex_lock(&q->lock);
	if (ow->state != OW_IDLE) {
		pthread_mutex_unlock(&q->lock);
		return -EBUSY;
	}
	if (q->dying && current_queue() != q) {
		pthread_mutex_unlock(&q->lock);
		return -ESHUTDOWN;
	}
	ow->queue = q;
	ow->next = NULL;
	ow->state = OW_QUEUED;
	if (!uwq_queue_work(q->wq, &ow->work)) {
		/* Only a parent's queue after fork() refuses (reported). */
		ow->state = OW_IDLE;
		pthread_mutex_unlock(&q->lock);
		return -ECHILD;
	}
	if (q->tail)
		q->tail->next = ow;
	else
		q->head = ow;
	q->tail = ow;
	q->queued++;
	pthread_mutex_unlock(&q->lock);
	return 0;
}

/* Wait until everything queued so far is released (q->lock held). */
static void wait_released(struct uwq_ordered_queue *q)
{
	uint64_t target = q->queued;

	while (q->released < target)
		pthread_cond_wait(&q->released_cond, &q->lock);
}

int uwq_ordered_queue_flush(struct uwq_ordered_queue *q)
{
	if (!q)
		return -EINVAL;
	if (current_queue() == q) {
		uwq__log("uwq_ordered_queue_flush() from a step of its own queue would wait for itself; refused");
		return -EDEADLK;
	}
	uwq__wait_begin();
	pthread_mutex_lock(&q->lock);
	wait_released(q);
	pthread_mutex_unlock(&q->lock);
	uwq__wait_end();
	return 0;
}

void uwq_destroy_ordered_queue(struct uwq_ordered_queue *q)
{
	if (!q)
		return;
	if (current_queue() == q) {
		uwq__log("uwq_destroy_ordered_queue() from a step of its own queue: refused");
		return;
	}
	uwq__wait_begin();
	pthread_mutex_lock(&q->lock);
	q->dying = true;
	/* Own steps may still queue: repeat until nothing is left. The
	 * completer clears `completing` in the lock hold that releases the
	 * last item, so released == queued means it is done with q. */
	while (q->released < q->queued)
		wait_released(q);
	pthread_mutex_unlock(&q->lock);
	uwq__wait_end();
	uwq_destroy_workqueue(q->wq);	/* drains: the last run has returned */
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->released_cond);
	free(q);
}

/* SPDX-License-Identifier: MIT */
/*
 * uwq/ordered.h - ordered completion (the btrfs worker pool's idea):
 * items run in parallel, then their completion steps run one at a time,
 * strictly in the order the items were queued, each followed by its
 * release step.
 *
 * Not to be confused with uwq_alloc_ordered_workqueue(), which runs whole
 * items one at a time. Here only the completions are serialised: a disk
 * or network pipeline can compress, checksum or encrypt blocks on every
 * CPU and still write or acknowledge them in order.
 *
 * Example:
 *   struct block { struct uwq_ordered_work ow; ... };
 *   static void crunch(struct uwq_ordered_work *ow);   // parallel
 *   static void emit(struct uwq_ordered_work *ow);     // in queueing order
 *   static void done(struct uwq_ordered_work *ow)      // after emit; may free
 *   { free(uwq_container_of(ow, struct block, ow)); }
 *   q = uwq_alloc_ordered_queue("pipeline", UWQ_UNBOUND, 0);
 *   uwq_ordered_work_init(&b->ow, crunch, emit, done);
 *   uwq_ordered_queue_work(q, &b->ow);
 */
#ifndef UWQ_ORDERED_H
#define UWQ_ORDERED_H

#include <uwq/common.h>
#include <uwq/workqueue.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uwq_ordered_queue;
struct uwq_ordered_work;

typedef void (*uwq_ordered_fn)(struct uwq_ordered_work *ow);

/*
 * struct uwq_ordered_work - an item of an ordered-completion queue. Embed
 * it; every field is private.
 */
struct uwq_ordered_work {
	struct uwq_work			work;		/* private */
	uwq_ordered_fn			run;		/* private */
	uwq_ordered_fn			complete;	/* private */
	uwq_ordered_fn			release;	/* private */
	struct uwq_ordered_work		*next;		/* private */
	struct uwq_ordered_queue	*queue;		/* private */
	int				state;		/* private */
};

/**
 * uwq_ordered_work_init() - set up @ow with its three steps.
 * @run: runs on a worker, in parallel with other items' @run (required).
 * @complete: runs after @run, once every item queued before @ow has been
 *   completed; never concurrently with another @complete of the same
 *   queue. May be NULL.
 * @release: runs right after @complete (or @run, without @complete); the
 *   item is no longer used by uwq and may be freed or queued again. May be
 *   NULL.
 */
UWQ_API void uwq_ordered_work_init(struct uwq_ordered_work *ow, uwq_ordered_fn run,
				   uwq_ordered_fn complete, uwq_ordered_fn release);

/**
 * uwq_alloc_ordered_queue() - a queue whose items' completions run in
 * queueing order.
 * @name: for reports and threads; copied.
 * @flags: as uwq_alloc_workqueue() (UWQ_UNBOUND, UWQ_HIGHPRI, UWQ_FREEZABLE,
 *   UWQ_MEM_RECLAIM, UWQ_CPU_INTENSIVE).
 * @max_active: @run steps at once per pool; 0 for the default.
 * Return: the queue, or NULL with errno EINVAL or ENOMEM.
 */
UWQ_API struct uwq_ordered_queue *uwq_alloc_ordered_queue(const char *name, unsigned flags, int max_active);

/**
 * uwq_ordered_queue_work() - queue @ow on @q.
 * Return: 0; -EINVAL for NULL arguments or an uninitialised item; -EBUSY if
 * @ow is still queued (its release step has not run yet); -ESHUTDOWN if @q
 * is being destroyed.
 */
UWQ_API int uwq_ordered_queue_work(struct uwq_ordered_queue *q, struct uwq_ordered_work *ow);

/**
 * uwq_ordered_queue_flush() - wait until every item queued on @q before
 * the call has been released.
 * Return: 0; -EINVAL for NULL; -EDEADLK (and one report) from one of @q's
 * own steps, which would wait for itself.
 */
UWQ_API int uwq_ordered_queue_flush(struct uwq_ordered_queue *q);

/**
 * uwq_destroy_ordered_queue() - flush @q, then free it. Items queued by
 * @q's own steps during the flush are still run; other queueing fails with
 * -ESHUTDOWN once destruction has started.
 */
UWQ_API void uwq_destroy_ordered_queue(struct uwq_ordered_queue *q);

#ifdef __cplusplus
}
#endif

#endif /* UWQ_ORDERED_H */

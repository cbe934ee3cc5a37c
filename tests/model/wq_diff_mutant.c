// SPDX-License-Identifier: MIT
/*
 * wq_diff_mutant.c - a test-only shim that breaks the workqueue contract on
 * purpose, to show that wq_diff notices (tests/model/selfcheck.sh).
 *
 * Linked into the second binary wq_diff_mutant only, with the linker's
 * --wrap for each function below: calls from wq_diff.c reach __wrap_X,
 * which calls the real uwq function (__real_X) and then misbehaves as the
 * environment variable WQ_DIFF_MUTANT says. Unset, the shim is transparent.
 * The library itself is never changed. Mutants (each named after the
 * invariant of wq_diff.c that must catch it):
 *   double_run     now and then run a freshly queued item's function once
 *                  more in the caller's thread (I1 overlap, I2 run without
 *                  a queueing)
 *   lost_queue     now and then report true from queue_work without
 *                  queueing (I3/I5 flush postconditions, I8 accounting)
 *   cancel_lies    now and then report true from a cancel that found
 *                  nothing pending (I2, I8)
 *   cancel_nowait  cancel_work_sync does not wait for the running instance
 *                  and does not block requeueing (I4)
 *   flush_early    flush_work sometimes returns at once (I3)
 *   unordered      ordered queues become unbound max_active 2 (I6, I7)
 *   max_active     small max_active limits are raised by one (I6)
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <uwq/workqueue.h>

enum { M_NONE, M_DOUBLE_RUN, M_LOST_QUEUE, M_CANCEL_LIES, M_CANCEL_NOWAIT, M_FLUSH_EARLY,
       M_UNORDERED, M_MAX_ACTIVE };

static int mutant(void)
{
	static _Atomic int m = -1;
	int v = atomic_load(&m);

	if (v < 0) {
		static const char *const names[] = { "", "double_run", "lost_queue", "cancel_lies",
			"cancel_nowait", "flush_early", "unordered", "max_active" };
		const char *e = getenv("WQ_DIFF_MUTANT");

		v = M_NONE;
		for (int i = 1; e && i < (int)(sizeof(names) / sizeof(names[0])); i++)
			if (strcmp(e, names[i]) == 0)
				v = i;
		atomic_store(&m, v);
	}
	return v;
}

/* Every n-th call (over all threads) is the one that misbehaves. */
static bool every(unsigned n)
{
	static atomic_uint calls;

	return atomic_fetch_add(&calls, 1) % n == n - 1;
}

bool __real_uwq_queue_work(struct uwq_workqueue *wq, struct uwq_work *w);
bool __real_uwq_queue_work_on(int cpu, struct uwq_workqueue *wq, struct uwq_work *w);
bool __real_uwq_cancel_work(struct uwq_work *w);
bool __real_uwq_cancel_work_sync(struct uwq_work *w);
bool __real_uwq_flush_work(struct uwq_work *w);
struct uwq_workqueue *__real_uwq_alloc_workqueue(const char *name, unsigned flags, int max_active);
struct uwq_workqueue *__real_uwq_alloc_ordered_workqueue(const char *name, unsigned flags);

bool __wrap_uwq_queue_work(struct uwq_workqueue *wq, struct uwq_work *w);
bool __wrap_uwq_queue_work_on(int cpu, struct uwq_workqueue *wq, struct uwq_work *w);
bool __wrap_uwq_cancel_work(struct uwq_work *w);
bool __wrap_uwq_cancel_work_sync(struct uwq_work *w);
bool __wrap_uwq_flush_work(struct uwq_work *w);
struct uwq_workqueue *__wrap_uwq_alloc_workqueue(const char *name, unsigned flags, int max_active);
struct uwq_workqueue *__wrap_uwq_alloc_ordered_workqueue(const char *name, unsigned flags);

static bool after_queue(struct uwq_work *w, bool ok)
{
	/* Calls the work function directly: reads the item's private func. */
	if (ok && mutant() == M_DOUBLE_RUN && every(1000))
		w->func(w);
	return ok;
}

bool __wrap_uwq_queue_work(struct uwq_workqueue *wq, struct uwq_work *w)
{
	if (mutant() == M_LOST_QUEUE && !uwq_work_pending(w) && every(500))
		return true;
	return after_queue(w, __real_uwq_queue_work(wq, w));
}

bool __wrap_uwq_queue_work_on(int cpu, struct uwq_workqueue *wq, struct uwq_work *w)
{
	return after_queue(w, __real_uwq_queue_work_on(cpu, wq, w));
}

bool __wrap_uwq_cancel_work(struct uwq_work *w)
{
	bool ret = __real_uwq_cancel_work(w);

	if (!ret && mutant() == M_CANCEL_LIES && every(50))
		return true;
	return ret;
}

bool __wrap_uwq_cancel_work_sync(struct uwq_work *w)
{
	if (mutant() == M_CANCEL_NOWAIT)
		return __real_uwq_cancel_work(w);
	return __real_uwq_cancel_work_sync(w);
}

bool __wrap_uwq_flush_work(struct uwq_work *w)
{
	if (mutant() == M_FLUSH_EARLY && every(10))
		return false;
	return __real_uwq_flush_work(w);
}

struct uwq_workqueue *__wrap_uwq_alloc_workqueue(const char *name, unsigned flags, int max_active)
{
	if (mutant() == M_MAX_ACTIVE && max_active > 0 && max_active < 16)
		max_active++;
	return __real_uwq_alloc_workqueue(name, flags, max_active);
}

struct uwq_workqueue *__wrap_uwq_alloc_ordered_workqueue(const char *name, unsigned flags)
{
	if (mutant() == M_UNORDERED)
		return __real_uwq_alloc_workqueue(name, flags | UWQ_UNBOUND, 2);
	return __real_uwq_alloc_ordered_workqueue(name, flags);
}

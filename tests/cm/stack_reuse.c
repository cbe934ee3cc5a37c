/* SPDX-License-Identifier: MIT */
/*
 * A worker made after idle workers were reaped takes the stack of a
 * reaped one (src/wq/pool.c, "Stacks"), and starts on it as on a new
 * stack:
 *  - 12 items on a new unbound queue each enter a hinted block, so the
 *    pool grows to 12+ workers; each item notes its worker's stack (from
 *    pthread_getattr_np()) and uses 256 KiB of it, checking what it wrote;
 *  - released, the pool's idle workers are reaped down to the reserve (2)
 *    with a 50 ms idle timeout (then 60 s again);
 *  - the same 12 items again: the items that run on workers made after
 *    the reaping (numbered from the count made before) run on stacks of
 *    the first burst, all but at most one (the first burst's last standby
 *    ran no item, so its stack carries no mark, but it may have been
 *    reaped and reused); each finds its thread-local variable at its
 *    initial value (its TLS was set up anew on the reused stack), its
 *    name its own, and the stack usable down to 256 KiB as before.
 * A stack is recognised by a mark the first burst's items leave 8 KiB
 * below their frame: in the part a cached stack keeps (STACK_KEEP_BELOW,
 * 16 KiB under the worker's first frame; an item runs a few hundred bytes
 * under it), and below anything a new worker uses before its first item,
 * whose frame is at the same depth; a fresh mapping reads zero there
 * (checked in the first burst). Addresses would not do:
 * a new mapping often lands where a freed one was. glibc keeps the stacks
 * of joined threads too, but 40 MiB of them: four of 8 MiB; the default
 * stack size is set to 8 MiB here, whatever the RLIMIT_STACK.
 */
#include <uwq/stats.h>
#include <uwq/workqueue.h>

#include "util.h"

#define NITEMS		12
#define RESERVE		2
#define DEPTH		(256 << 10)

static __thread int tls_mark = 42;

#define MARK		0xa5
#define MARK_AT		(8 << 10)	/* below the item's frame */
#define MARK_LEN	256

struct seen {
	void		*stack;		/* the worker's stack (lowest address) */
	bool		marked;		/* its mark was there when the item started */
	int		id;		/* the worker's number in its pool */
	int		tls;		/* tls_mark when the item started */
	bool		deep_ok;	/* DEPTH bytes of stack written and read back */
	bool		name_ok;
};

static struct uwq_workqueue *wq;
static struct uwq_work items[NITEMS];
static struct seen seen[NITEMS];
static atomic_int blocked, finished, gate;

/* Writes and checks @n bytes of stack below its caller's frame. */
static __attribute__((noinline)) bool use_stack(size_t n, unsigned char salt)
{
	volatile unsigned char buf[DEPTH];
	bool ok = true;

	for (size_t i = 0; i < n; i += 512)
		buf[i] = (unsigned char)(i / 512 + salt);
	for (size_t i = 0; i < n; i += 512)
		ok &= buf[i] == (unsigned char)(i / 512 + salt);
	return ok;
}

static void item_fn(struct uwq_work *w)
{
	struct seen *s = &seen[w - items];
	volatile unsigned char *mark = NULL;
	pthread_attr_t attr;
	size_t size = 0;
	char name[16] = "";
	const char *colon;

	s->tls = tls_mark;
	tls_mark = 7;
	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		pthread_attr_getstack(&attr, &s->stack, &size);
		pthread_attr_destroy(&attr);
		mark = (unsigned char *)__builtin_frame_address(0) - MARK_AT;
	}
	s->marked = mark != NULL;
	for (int i = 0; mark && i < MARK_LEN; i++)
		s->marked &= mark[i] == MARK;
	pthread_getname_np(pthread_self(), name, sizeof(name));
	colon = strchr(name, ':');
	s->id = colon ? atoi(colon + 1) : -1;
	s->name_ok = !strncmp(name, "uwq/u", 5) && colon;
	s->deep_ok = use_stack(DEPTH - 4096, (unsigned char)s->id);
	/* Unused stack, far below this frame: mark it for the next owner. */
	for (int i = 0; mark && i < MARK_LEN; i++)
		mark[i] = MARK;
	uwq_blocking_begin();
	atomic_fetch_add(&blocked, 1);
	GATE_WAIT(atomic_load(&gate), "gate never opened");
	uwq_blocking_end();
	atomic_fetch_add(&finished, 1);
}

/* Workers of the unbound pools now, or (@made) ever made. */
static int pool_workers(bool made)
{
	struct uwq_pool_stats st;
	int n = 0;

	for (int i = 0; uwq_pool_stats(i, &st) == 0; i++)
		if (st.cpu < 0)
			n += made ? (int)st.created : st.workers;
	return n;
}

static void burst(const char *what)
{
	memset(seen, 0, sizeof(seen));
	atomic_store(&blocked, 0);
	atomic_store(&finished, 0);
	atomic_store(&gate, 0);
	for (int i = 0; i < NITEMS; i++) {
		uwq_work_init(&items[i], item_fn);
		CHECK(uwq_queue_work(wq, &items[i]), "%s: queueing item %d failed", what, i);
	}
	WAIT_UNTIL(atomic_load(&blocked) == NITEMS, "%s: %d of %d items blocked, %d workers", what,
		   atomic_load(&blocked), NITEMS, pool_workers(false));
	for (int i = 0; i < NITEMS; i++) {
		CHECK(seen[i].name_ok && seen[i].stack, "%s: item %d saw no worker name or stack", what, i);
		CHECK(seen[i].deep_ok, "%s: item %d on worker %d could not use %d KiB of stack", what, i, seen[i].id,
		      DEPTH >> 10);
	}
	atomic_store(&gate, 1);
	WAIT_UNTIL(atomic_load(&finished) == NITEMS, "%s: %d of %d items finished", what, atomic_load(&finished),
		   NITEMS);
}

int main(void)
{
	struct uwq_pool_limits fast = { 0, RESERVE, 50 * NSEC_PER_MSEC }, dfl = { 0, RESERVE, 60 * NSEC_PER_SEC };
	void *first[NITEMS];
	int made, renewed = 0, reused = 0;
	pthread_attr_t attr;

	/* 8 MiB stacks whatever the RLIMIT_STACK (see the header comment). */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 8 << 20);
	CHECK(pthread_setattr_default_np(&attr) == 0, "pthread_setattr_default_np failed");
	pthread_attr_destroy(&attr);
	wq = uwq_alloc_workqueue("stack_reuse", UWQ_UNBOUND, 0);
	CHECK(wq, "uwq_alloc_workqueue: %s", strerror(errno));

	PHASE("first burst");
	burst("first burst");
	for (int i = 0; i < NITEMS; i++) {
		first[i] = seen[i].stack;
		CHECK(!seen[i].marked, "item %d found a mark on the new stack of worker %d", i, seen[i].id);
		for (int j = 0; j < i; j++)
			CHECK(first[j] != first[i], "items %d and %d ran on one stack at once", j, i);
	}

	PHASE("reaping");
	CHECK(uwq_set_pool_limits(&fast) == 0, "uwq_set_pool_limits failed");
	WAIT_UNTIL(pool_workers(false) <= RESERVE, "%d workers left, want %d", pool_workers(false), RESERVE);
	/* And gone, so the monitor has joined them (their stacks are free). */
	WAIT_UNTIL(count_tasks_named("uwq/u") <= RESERVE, "%d worker threads left, want %d", count_tasks_named("uwq/u"),
		   RESERVE);
	/* The stacks are kept for the idle timeout (1 s at least): no more
	 * reaping, and the reaped ones' stacks stay. */
	CHECK(uwq_set_pool_limits(&dfl) == 0, "uwq_set_pool_limits failed");
	made = pool_workers(true);

	PHASE("second burst");
	burst("second burst");
	for (int i = 0; i < NITEMS; i++) {
		if (seen[i].id < made)
			continue;	/* a worker kept through the reaping */
		renewed++;
		reused += seen[i].marked;
		CHECK(seen[i].tls == 42, "worker %d, made after the reaping, started with thread-local %d, not 42",
		      seen[i].id, seen[i].tls);
	}
	CHECK(renewed >= NITEMS - RESERVE, "%d of %d items ran on workers made after the reaping", renewed, NITEMS);
	CHECK(reused >= renewed - 1, "%d of the %d workers made after the reaping run on a stack of the first burst",
	      reused, renewed);
	uwq_destroy_workqueue(wq);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown() refused");
	return 0;
}

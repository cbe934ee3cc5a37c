/* SPDX-License-Identifier: MIT */
/*
 * Workers are made by one creator thread, not by the workers that need
 * them (src/wq/pool.c, "Who makes workers"): a worker whose items never
 * call malloc() never gets a malloc arena of its own. glibc gives each
 * thread that first calls malloc() an arena (up to 8 per CPU), and
 * pthread_create() itself allocates in its caller; a worker that made the
 * next standby before blocking got one.
 *  - 12 items on a new unbound queue each enter a hinted block and wait:
 *    the pool makes a worker per item, each one asked for by a worker that
 *    is about to block, and the process gains at most 2 arenas (the
 *    creator's; the monitor's, should it have made one), where making them
 *    from the workers gave it one per worker up to the limit;
 *  - the same burst in a child after fork() completes (the child has no
 *    creator until a pool starts there);
 *  - uwq_shutdown() joins the creator ("uwq-creator" gone), and a burst
 *    after it makes its workers again (a new creator).
 * Arenas are counted in malloc_info() (glibc); not where malloc is not
 * glibc's (sanitizers replace it). No fork() under sanitizers (see
 * tests/wq/fork.c).
 */
#include <malloc.h>
#include <signal.h>
#include <sys/wait.h>
#include <uwq/stats.h>
#include <uwq/workqueue.h>

#include "util.h"

#define NITEMS	12

/* Sanitizers bring their own malloc, and cannot fork() a threaded process. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifdef SANITIZED
#define CAN_FORK 0
#else
#define CAN_FORK 1
#endif
#if defined(SANITIZED) || !defined(__GLIBC__)
#define COUNT_ARENAS 0
#else
#define COUNT_ARENAS 1
#endif

static struct uwq_workqueue *wq;
static struct uwq_work items[NITEMS];
static atomic_int blocked, finished, gate;

/* No malloc() here: the worker must not need an arena of its own. */
static void blocker_fn(struct uwq_work *w)
{
	(void)w;
	uwq_blocking_begin();
	atomic_fetch_add(&blocked, 1);
	GATE_WAIT(atomic_load(&gate), "gate never opened");
	uwq_blocking_end();
	atomic_fetch_add(&finished, 1);
}

/* Workers the unbound pools have made so far. */
static uint64_t made(void)
{
	struct uwq_pool_stats st;
	uint64_t n = 0;

	for (int i = 0; uwq_pool_stats(i, &st) == 0; i++)
		if (st.cpu < 0)
			n += st.created;
	return n;
}

/* malloc_info() prints one <heap nr="..."> per arena; 0 where not glibc's. */
static int arenas(void)
{
#if COUNT_ARENAS
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int n = 0;

	CHECK(f, "open_memstream: %s", strerror(errno));
	CHECK(malloc_info(0, f) == 0, "malloc_info: %s", strerror(errno));
	fclose(f);
	for (const char *p = buf; (p = strstr(p, "<heap nr=")); p++)
		n++;
	free(buf);
	return n;
#else
	return 0;
#endif
}

/* NITEMS blocked items at once on a new unbound queue; returns workers made. */
static uint64_t burst(const char *what)
{
	uint64_t before;

	wq = uwq_alloc_workqueue("creator_test", UWQ_UNBOUND, 0);
	CHECK(wq, "%s: uwq_alloc_workqueue: %s", what, strerror(errno));
	before = made();
	atomic_store(&blocked, 0);
	atomic_store(&finished, 0);
	atomic_store(&gate, 0);
	for (int i = 0; i < NITEMS; i++) {
		uwq_work_init(&items[i], blocker_fn);
		CHECK(uwq_queue_work(wq, &items[i]), "%s: queueing item %d failed", what, i);
	}
	WAIT_UNTIL(atomic_load(&blocked) == NITEMS, "%s: %d of %d items blocked, %llu workers made", what,
		   atomic_load(&blocked), NITEMS, (unsigned long long)(made() - before));
	/* A worker counts as made once its creator is back from
	 * pthread_create(), maybe after it took an item. */
	WAIT_UNTIL(made() - before >= NITEMS, "%s: %llu workers made for %d blocked items", what,
		   (unsigned long long)(made() - before), NITEMS);
	return made() - before;
}

static void release(const char *what)
{
	atomic_store(&gate, 1);
	WAIT_UNTIL(atomic_load(&finished) == NITEMS, "%s: %d of %d items finished", what, atomic_load(&finished),
		   NITEMS);
	uwq_destroy_workqueue(wq);
}

static void burst_in_child(void)
{
	uint64_t deadline = now_ns() + UTIL_WAIT_NS;
	pid_t pid = fork();
	int st;

	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		uint64_t n = burst("child");

		CHECK(n >= NITEMS, "child: %llu workers made for %d blocked items", (unsigned long long)n, NITEMS);
		release("child");
		_exit(0);
	}
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			break;
		CHECK(r == 0, "waitpid: %s", strerror(errno));
		if (now_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			FAIL("the burst in the child after fork() hung");
		}
		usleep(1000);
	}
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child %s %d", WIFEXITED(st) ? "exited with" : "died of signal",
	      WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

int main(void)
{
	int before, after;
	uint64_t n;

	PHASE("burst");
	before = arenas();
	n = burst("first burst");
	after = arenas();
	CHECK(n >= NITEMS, "%llu workers made for %d blocked items", (unsigned long long)n, NITEMS);
	CHECK(after - before <= 2, "%d malloc arenas before the burst, %d after making %llu workers", before, after,
	      (unsigned long long)n);
	/* A new worker bears its creator's name until it names itself. */
	WAIT_UNTIL(count_tasks_named("uwq-creator") == 1, "%d threads named uwq-creator",
		   count_tasks_named("uwq-creator"));
	release("first burst");
	if (!COUNT_ARENAS)
		NOTE("arenas not counted: malloc is not glibc's here");

	PHASE("fork");
	if (CAN_FORK)
		burst_in_child();

	PHASE("shutdown");
	CHECK(uwq_shutdown() == 0, "uwq_shutdown() refused");
	CHECK(count_tasks_named("uwq-creator") == 0, "uwq_shutdown() left %d threads named uwq-creator",
	      count_tasks_named("uwq-creator"));
	PHASE("after shutdown");
	n = burst("burst after uwq_shutdown()");
	CHECK(n >= NITEMS, "after uwq_shutdown(): %llu workers made for %d blocked items", (unsigned long long)n,
	      NITEMS);
	WAIT_UNTIL(count_tasks_named("uwq-creator") == 1, "after uwq_shutdown(): %d threads named uwq-creator",
		   count_tasks_named("uwq-creator"));
	release("burst after uwq_shutdown()");
	CHECK(uwq_shutdown() == 0, "the second uwq_shutdown() refused");
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * fork() (the rule is in src/wq/fork.c and the header, uwq/workqueue.h):
 * the child gets a fresh uwq. While the parent has an item running on the
 * system queue, an item waiting behind max_active on its own queue, an
 * armed delayed item, an interrupt line with a threaded handler and async
 * calls in flight, it forks, and the child checks that
 *  - the system workqueues work (their pools are rebuilt on first use);
 *  - items pending, armed or running in the parent are idle in the child:
 *    queueing them succeeds and runs them once, flush and cancel_sync
 *    return at once;
 *  - the parent's workqueue and line fail with false / -ECHILD, one report
 *    each, and a new queue and a new line (with a new number) work;
 *  - async synchronisation does not wait for the parent's calls;
 *  - uwq_shutdown() succeeds;
 * and a second child forks from inside a running work item. The parent
 * then checks every one of its own items ran exactly once, unaffected.
 * Children are waited for with a deadline and killed on it: a hang is a
 * failure with a message, not a ctest timeout.
 */
#include <signal.h>
#include <sys/wait.h>
#include <uwq/async.h>
#include <uwq/irq.h>
#include <uwq/workqueue.h>

#include "util.h"


static atomic_int gate;		/* holds the parent's running items */
static atomic_int running_started;
static atomic_int runs_running, runs_behind, runs_delayed, runs_fresh;
static atomic_int thread_runs;
static atomic_int async_started, async_runs;
static atomic_int forked_from_item;	/* child pid, from fork_item_fn */

static struct uwq_workqueue *limited;	/* max_active 1: `behind` waits */
static struct uwq_work running, behind, fresh, forker;
static struct uwq_work blocker;		/* holds `limited` */
static struct uwq_delayed_work delayed;
static int line;

static void hold(void)
{
	uwq_blocking_begin();
	GATE_WAIT(atomic_load(&gate), "gate never opened");
	uwq_blocking_end();
}

static void running_fn(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&runs_running, 1);
	atomic_store(&running_started, 1);
	if (getpid() == (pid_t)atomic_load(&forked_from_item))
		return;
	hold();
}

static void blocker_fn(struct uwq_work *w)
{
	(void)w;
	hold();
}

static void behind_fn(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&runs_behind, 1);
}

static void delayed_fn(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&runs_delayed, 1);
}

static void fresh_fn(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&runs_fresh, 1);
}

static uwq_irqreturn_t thread_fn(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	atomic_fetch_add(&thread_runs, 1);
	return UWQ_IRQ_HANDLED;
}

static void async_fn(void *data, uwq_async_cookie_t c)
{
	(void)c;
	if (data) {	/* the parent's calls are held until after the fork */
		atomic_store(&async_started, 1);
		GATE_WAIT(atomic_load(&gate), "gate never opened");
	}
	atomic_fetch_add(&async_runs, 1);
}

/* Wait for @pid with a deadline; true if it exited with status 0. */
static bool child_ok(pid_t pid, const char *what)
{
	uint64_t deadline = now_ns() + UTIL_WAIT_NS;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			break;
		CHECK(r == 0, "waitpid: %s", strerror(errno));
		if (now_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			FAIL("%s: the child hung", what);
		}
		usleep(1000);
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return true;
	FAIL("%s: the child %s %d", what, WIFEXITED(st) ? "exited with" : "died of signal",
	     WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	return false;
}

static int count(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* Everything the child checks; it returns only on success. */
static void child_checks(void)
{
	struct uwq_workqueue *wq;
	struct uwq_work x;
	char *err;
	int l2;

	/* The parent's items are idle here: they run once in the child too. */
	CHECK(!uwq_work_pending(&behind), "an item pending in the parent is pending in the child");
	CHECK(!uwq_work_pending(&delayed.work), "an armed item is pending in the child");
	CHECK(!uwq_flush_work(&running), "flush of the parent's running item waited for something");
	CHECK(!uwq_cancel_work_sync(&running), "cancel_sync found the parent's run");
	CHECK(!uwq_cancel_delayed_work_sync(&delayed), "cancel found the parent's timer");
	CHECK(uwq_queue_work(uwq_system_wq, &behind), "the parent's pending item cannot be queued");
	CHECK(uwq_queue_work(uwq_system_wq, &fresh), "system_wq refused a new item");
	CHECK(uwq_queue_delayed_work(uwq_system_unbound_wq, &delayed, 1000000), "delayed refused");
	uwq_flush_work(&behind);
	uwq_flush_work(&fresh);
	uwq_flush_delayed_work(&delayed);
	CHECK(atomic_load(&runs_behind) == 1 && atomic_load(&runs_fresh) == 1 &&
	      atomic_load(&runs_delayed) == 1, "child runs: behind %d fresh %d delayed %d (want 1 each)",
	      atomic_load(&runs_behind), atomic_load(&runs_fresh), atomic_load(&runs_delayed));

	/* The parent's queue and line: clear errors, one report each. */
	uwq_work_init(&x, fresh_fn);
	capture_stderr_begin();
	CHECK(!uwq_queue_work(limited, &x), "queued on the parent's workqueue");
	CHECK(uwq_try_queue_work(limited, &x) == -ECHILD, "try_queue on the parent's queue");
	CHECK(uwq_flush_workqueue(limited) == -ECHILD, "flush of the parent's queue");
	CHECK(uwq_irq_raise(line) == -ECHILD, "raise of the parent's line");
	CHECK(uwq_request_threaded_irq(line, NULL, thread_fn, UWQ_IRQF_ONESHOT, "again", &x) == -ECHILD,
	      "request on the parent's line");
	CHECK(uwq_free_irq(line, &line) == NULL, "free_irq of the parent's action");
	uwq_destroy_workqueue(limited);	/* leaked, not freed: no crash */
	err = capture_stderr_end();
	CHECK(count(err, "before fork()") == 2, "want one report per parent object, got:\n%s", err);
	free(err);

	/* New objects work. */
	wq = uwq_alloc_workqueue("child", 0, 1);
	CHECK(wq, "alloc_workqueue in the child: %s", strerror(errno));
	CHECK(uwq_queue_work(wq, &x), "queue on the child's queue");
	CHECK(uwq_flush_workqueue(wq) == 0, "flush of the child's queue");
	CHECK(atomic_load(&runs_fresh) == 2, "the child's queue did not run its item");
	uwq_destroy_workqueue(wq);

	l2 = uwq_irq_create_eventfd();
	CHECK(l2 > 0 && l2 != line, "new line in the child: %d (parent's was %d)", l2, line);
	CHECK(uwq_request_threaded_irq(l2, NULL, thread_fn, UWQ_IRQF_ONESHOT, "child", &l2) == 0, "request");
	CHECK(uwq_irq_raise(l2) == 0, "raise");
	WAIT_UNTIL(atomic_load(&thread_runs) == 1, "the child's line never ran its thread");
	CHECK(uwq_free_irq(l2, &l2) != NULL, "free_irq");
	CHECK(uwq_irq_destroy(l2) == 0, "irq_destroy");
	capture_stderr_begin();
	CHECK(uwq_irq_destroy(line) == 0, "destroying the parent's line number");
	free(capture_stderr_end());

	/* Async: the parent's calls are not waited for; new ones are. */
	uwq_async_synchronize_full();
	CHECK(atomic_load(&async_runs) == 0, "the parent's async calls ran in the child");
	uwq_async_synchronize_cookie(uwq_async_schedule(async_fn, NULL) + 1);
	CHECK(atomic_load(&async_runs) == 1, "a child's async call did not run");

	CHECK(uwq_shutdown() == 0, "uwq_shutdown in the child");
}

static void fork_item_fn(struct uwq_work *w)
{
	pid_t pid;

	(void)w;
	pid = fork();
	if (pid == 0) {
		/* Forked from a worker: the child's one thread is not one. */
		if (uwq_current_work() != NULL)
			_exit(2);
		atomic_store(&forked_from_item, (int)getpid());
		if (!uwq_queue_work(uwq_system_wq, &running))
			_exit(3);
		uwq_flush_work(&running);
		_exit(atomic_load(&runs_running) == 2 ? 0 : 4);
	}
	CHECK(pid > 0, "fork: %s", strerror(errno));
	atomic_store(&forked_from_item, (int)pid);
}

int main(void)
{
	struct uwq_async_domain dom = UWQ_ASYNC_DOMAIN_INIT;
	pid_t pid;

#ifdef __SANITIZE_THREAD__
	/* TSan keeps the parent's threads registered in the child and aborts
	 * when a new thread reuses one's id ("dup thread with used id"):
	 * threads after a multithreaded fork are unsupported there. */
	SKIP("ThreadSanitizer cannot start threads in the child of a multithreaded fork()");
#endif
#ifdef __SANITIZE_ADDRESS__
	/* GCC 12's ASan allocator takes no lock around fork(): a size-class
	 * lock that another parent thread held at fork() stays held in the
	 * child, whose next malloc of that size hangs (seen here in
	 * pthread_create). glibc's malloc, used otherwise, is fork-safe. */
	SKIP("AddressSanitizer's allocator (GCC 12) is not fork-safe in multithreaded processes");
#endif
	limited = uwq_alloc_workqueue("limited", 0, 1);
	CHECK(limited, "alloc: %s", strerror(errno));
	uwq_work_init(&running, running_fn);
	uwq_work_init(&blocker, blocker_fn);
	uwq_work_init(&behind, behind_fn);
	uwq_work_init(&fresh, fresh_fn);
	uwq_work_init(&forker, fork_item_fn);
	uwq_delayed_work_init(&delayed, delayed_fn);
	line = uwq_irq_create_eventfd();
	CHECK(line > 0, "create line: %d", line);
	CHECK(uwq_request_threaded_irq(line, NULL, thread_fn, UWQ_IRQF_ONESHOT, "parent", &line) == 0,
	      "request");

	/* The parent's state at fork(): every kind of item in flight. */
	CHECK(uwq_queue_work(uwq_system_wq, &running), "queue running");
	WAIT_UNTIL(atomic_load(&running_started), "running item never started");
	CHECK(uwq_queue_work_on(0, limited, &blocker), "queue blocker");
	CHECK(uwq_queue_work_on(0, limited, &behind), "queue behind");
	CHECK(uwq_queue_delayed_work(uwq_system_wq, &delayed, 3600ull * NSEC_PER_SEC), "arm delayed");
	uwq_async_schedule_domain(async_fn, &gate, &dom);
	uwq_async_schedule_domain(async_fn, &gate, &dom);
	WAIT_UNTIL(atomic_load(&async_started), "async call never started");

	pid = fork();
	if (pid == 0) {
		child_checks();
		_exit(0);	/* not exit(): the parent's state is leaked on purpose */
	}
	CHECK(pid > 0, "fork: %s", strerror(errno));
	child_ok(pid, "fork with items in flight");

	/* A child forked from inside a work item (the parent's `running` is
	 * still held: in that child it is idle and runs once more). */
	CHECK(uwq_queue_work(uwq_system_unbound_wq, &forker), "queue forker");
	uwq_flush_work(&forker);
	child_ok((pid_t)atomic_load(&forked_from_item), "fork from a work item");

	/* The parent is unaffected: each of its items runs exactly once. */
	CHECK(atomic_load(&runs_behind) == 0, "behind ran past max_active");
	atomic_store(&gate, 1);
	uwq_flush_work(&running);
	CHECK(uwq_flush_workqueue(limited) == 0, "flush limited");
	CHECK(uwq_cancel_delayed_work_sync(&delayed), "the parent's armed item was lost");
	uwq_async_synchronize_full_domain(&dom);
	CHECK(atomic_load(&runs_running) == 1 && atomic_load(&runs_behind) == 1 &&
	      atomic_load(&runs_delayed) == 0 && atomic_load(&async_runs) == 2,
	      "parent runs: running %d behind %d delayed %d async %d", atomic_load(&runs_running),
	      atomic_load(&runs_behind), atomic_load(&runs_delayed), atomic_load(&async_runs));
	CHECK(uwq_irq_raise(line) == 0, "raise in the parent");
	WAIT_UNTIL(atomic_load(&thread_runs) == 1, "the parent's line stopped working");

	CHECK(uwq_free_irq(line, &line) != NULL, "free_irq");
	CHECK(uwq_irq_destroy(line) == 0, "irq_destroy");
	uwq_destroy_workqueue(limited);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown");
	return TEST_PASS;
}

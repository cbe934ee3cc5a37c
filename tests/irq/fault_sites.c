/* SPDX-License-Identifier: MIT */
/*
 * A failure at an interrupt-side fault site gives the documented -errno,
 * leaks no file descriptor and no thread, never runs a handler of a failed
 * request, and the same call succeeds once the fault is cleared (STYLE.md
 * "Tests": fault injection; src/internal/fault.h; the Return: lines of
 * include/uwq/irq.h; "a failed request never calls them").
 *
 * Run in this order, in one process, because the dispatcher is made by
 * the first line that is created successfully:
 *  - "epoll": the dispatcher's epoll_create1() at the first creation fails
 *    (EMFILE): uwq_irq_create_eventfd() returns -EMFILE, no fd is left
 *    open and no "uwq-irqd" thread exists;
 *  - "eventfd": the dispatcher's own eventfd fails (EMFILE) at the first
 *    creation of a line over a pipe (a line that needs no eventfd of its
 *    own, so the dispatcher's is the site's first use): -EMFILE, no fd
 *    leaked, no dispatcher thread, the caller's pipe still open;
 *    uwq_irq_create_eventfd() with the line's own eventfd failing: -EMFILE;
 *  - after clearing: the pipe line and an eventfd line are created, and
 *    each delivers every event to its handler exactly once;
 *  - "eventfd" again with the dispatcher running: -EMFILE, no leak;
 *  - "timerfd": uwq_irq_create_timer() returns the injected error
 *    (-EMFILE), no leak; after clearing a 1 ms timer line fires (its
 *    handler count grows) and is destroyed;
 *  - "alloc": uwq_irq_create_eventfd/_fd/_timer/_signal/_gpio/_uio/_uio_fd/
 *    _vfio and uwq_irq_create() give -ENOMEM with no fd leaked, never closing the
 *    caller's fd, and a custom chip's release() is not called;
 *    uwq_request_threaded_irq() gives -ENOMEM, starts no "irq/<n>-<name>"
 *    thread, and raising the line reaches no handler; after clearing the
 *    same request succeeds, and each raise runs the primary and the
 *    thread handler exactly once.
 *  - "thread_create": the dispatcher thread cannot start at the first
 *    creation (EAGAIN): -EAGAIN, no fd left open, no "uwq-irqd"; a
 *    threaded request whose handler thread cannot start: -EAGAIN, no
 *    thread, no handler call (checked with the "alloc" case below).
 * Not reachable with this hook: the descriptor allocation after a chip's
 * own (the first allocation of a call always fails first); see
 * docs/bad-input.md.
 * Skips (77) when the library was built without fault injection (Release).
 */
#include <signal.h>
#include <uwq/irq.h>
#include <uwq/workqueue.h>

#include "irqtest.h"

/* Test hook exported by uwq, not in the public headers (src/internal/fault.h). */
int uwq__fault_inject(const char *site, int err, int count);

static void inject(const char *site, int err, int count)
{
	int rc = uwq__fault_inject(site, err, count);

	CHECK(rc == 0, "uwq__fault_inject(%s, %d, %d) = %d", site, err, count, rc);
}

/* Open file descriptors of this process (the directory's own included,
 * the same in every count). */
static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* @expr must return -@err with the fault armed once; no fd may be left. */
#define EXPECT_FAULT(site, err, expr) do {					\
	int fds_ = count_fds(), rc_;						\
	inject(site, err, 1);							\
	rc_ = (expr);								\
	inject(site, 0, 0);							\
	CHECK(rc_ == -(err), "%s with the %s site failing returned %d (%s), want -%s", \
	      #expr, site, rc_, rc_ < 0 ? strerror(-rc_) : "no error", #err);	\
	CHECK(count_fds() == fds_, "%s failing at %s: %d fds open, %d before",	\
	      #expr, site, count_fds(), fds_);					\
} while (0)

/* ---- handlers ------------------------------------------------------------ */

static atomic_int pipe_calls, efd_calls, timer_calls, never_calls, prim_calls, thread_runs;
static int pipe_fds[2];

static uwq_irqreturn_t pipe_primary(int irq, void *dev_id)
{
	char c;

	(void)irq;
	(void)dev_id;
	/* A level line: make the fd unreadable before returning. */
	if (read(pipe_fds[0], &c, 1) == 1)
		atomic_fetch_add(&pipe_calls, 1);
	return UWQ_IRQ_HANDLED;
}

static uwq_irqreturn_t count_primary(int irq, void *dev_id)
{
	(void)irq;
	atomic_fetch_add((atomic_int *)dev_id, 1);
	return UWQ_IRQ_HANDLED;
}

static uwq_irqreturn_t never_handler(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&never_calls, 1);
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t wake_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&prim_calls, 1);
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t counting_thread(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&thread_runs, 1);
	return UWQ_IRQ_HANDLED;
}

/* ---- the dispatcher's own descriptors ------------------------------------ */

static void test_dispatcher_sites(void)
{
	int fds, line, efd_line, before, rc;

	PHASE(__func__);
	CHECK(count_tasks_named("uwq-irqd") == 0, "a dispatcher exists before the first line");

	/* epoll_create1() of the dispatcher. */
	EXPECT_FAULT("epoll", EMFILE, uwq_irq_create_eventfd());
	CHECK(count_tasks_named("uwq-irqd") == 0, "a dispatcher thread after a failed start");
	EXPECT_FAULT("epoll", ENFILE, uwq_irq_create_eventfd());

	/* The dispatcher's eventfd: first use of the site by a pipe line. */
	CHECK(pipe(pipe_fds) == 0, "pipe: %s", strerror(errno));
	EXPECT_FAULT("eventfd", EMFILE, uwq_irq_create_fd(pipe_fds[0], UWQ_IRQ_LEVEL));
	CHECK(fd_open(pipe_fds[0]) && fd_open(pipe_fds[1]), "a failed create closed the caller's fd");
	CHECK(count_tasks_named("uwq-irqd") == 0, "a dispatcher thread after a failed start");
	/* The line's own eventfd. */
	EXPECT_FAULT("eventfd", EMFILE, uwq_irq_create_eventfd());
	CHECK(count_tasks_named("uwq-irqd") == 0, "a dispatcher thread after a failed start");
	/* The dispatcher thread itself: every fd made for it is closed again. */
	fds = count_fds();
	EXPECT_FAULT("thread_create", EAGAIN, uwq_irq_create_eventfd());
	CHECK(count_tasks_named("uwq-irqd") == 0, "a dispatcher thread after a failed start");
	CHECK(count_fds() == fds, "%d fds after a failed dispatcher start, %d before", count_fds(), fds);

	/* Cleared: the retries work and deliver every event once. */
	fds = count_fds();
	line = uwq_irq_create_fd(pipe_fds[0], UWQ_IRQ_LEVEL);
	CHECK(line >= 1, "create_fd after clearing = %d (%s)", line, line < 0 ? strerror(-line) : "");
	CHECK(count_fds() > fds, "the dispatcher opened no descriptor");
	WAIT_UNTIL(count_tasks_named("uwq-irqd") == 1, "%d dispatcher threads",
		   count_tasks_named("uwq-irqd"));
	CHECK_RC(uwq_request_irq(line, pipe_primary, 0, "fs_pipe", &pipe_calls), "request(pipe line)");
	for (int i = 1; i <= 3; i++) {
		CHECK(write(pipe_fds[1], "x", 1) == 1, "write: %s", strerror(errno));
		WAIT_UNTIL(atomic_load(&pipe_calls) == i, "pipe line: %d handled bytes, want %d",
			   atomic_load(&pipe_calls), i);
	}
	efd_line = new_eventfd_line();
	CHECK_RC(uwq_request_irq(efd_line, count_primary, 0, "fs_efd", &efd_calls), "request(eventfd)");
	for (int i = 1; i <= 3; i++) {
		CHECK_RC(uwq_irq_raise(efd_line), "raise");
		WAIT_UNTIL(atomic_load(&efd_calls) == i, "eventfd line: %d calls, want %d",
			   atomic_load(&efd_calls), i);
	}

	/* With the dispatcher running, only the line's eventfd can fail. */
	EXPECT_FAULT("eventfd", EMFILE, uwq_irq_create_eventfd());
	inject("epoll", EMFILE, 1);	/* no epoll_create1 once started: nothing fails */
	rc = uwq_irq_create_eventfd();
	inject("epoll", 0, 0);
	CHECK(rc >= 1, "create_eventfd with a dispatcher running failed at the epoll site: %d", rc);
	CHECK_RC(uwq_irq_destroy(rc), "destroy");
	before = atomic_load(&efd_calls);
	CHECK_RC(uwq_irq_raise(efd_line), "raise after the failures");
	WAIT_UNTIL(atomic_load(&efd_calls) == before + 1, "eventfd line after failures: %d calls",
		   atomic_load(&efd_calls));
	CHECK(atomic_load(&pipe_calls) == 3, "pipe line ran %d times, want 3", atomic_load(&pipe_calls));

	CHECK(uwq_free_irq(line, &pipe_calls) != NULL, "free(pipe line)");
	CHECK(uwq_free_irq(efd_line, &efd_calls) != NULL, "free(eventfd line)");
	CHECK_RC(uwq_irq_destroy(line), "destroy(pipe line)");
	CHECK_RC(uwq_irq_destroy(efd_line), "destroy(eventfd line)");
	CHECK(fd_open(pipe_fds[0]), "destroying a line closed the caller's fd");
}

/* ---- timerfd ------------------------------------------------------------- */

static void test_timerfd(void)
{
	int line;

	PHASE(__func__);
	EXPECT_FAULT("timerfd", EMFILE, uwq_irq_create_timer(NSEC_PER_MSEC));
	EXPECT_FAULT("timerfd", ENOMEM, uwq_irq_create_timer(NSEC_PER_MSEC));
	EXPECT_FAULT("timerfd", ENODEV, uwq_irq_create_timer(NSEC_PER_MSEC));

	line = uwq_irq_create_timer(NSEC_PER_MSEC);
	CHECK(line >= 1, "create_timer after clearing = %d", line);
	CHECK_RC(uwq_request_irq(line, count_primary, 0, "fs_timer", &timer_calls), "request(timer)");
	WAIT_UNTIL(atomic_load(&timer_calls) >= 3, "timer line fired %d times", atomic_load(&timer_calls));
	CHECK(uwq_free_irq(line, &timer_calls) != NULL, "free(timer)");
	CHECK_RC(uwq_irq_destroy(line), "destroy(timer)");
}

/* ---- alloc --------------------------------------------------------------- */

static atomic_int chip_released;

static int chip_fd(void *data)
{
	return *(int *)data;
}

static void chip_release(void *data)
{
	(void)data;
	atomic_fetch_add(&chip_released, 1);
}

static void test_alloc_create(void)
{
	const struct uwq_irq_chip chip = { .name = "fs_chip", .fd = chip_fd, .release = chip_release };
	int pfd[2];

	PHASE(__func__);
	CHECK(pipe(pfd) == 0, "pipe: %s", strerror(errno));
	EXPECT_FAULT("alloc", ENOMEM, uwq_irq_create_eventfd());
	EXPECT_FAULT("alloc", ENOMEM, uwq_irq_create_fd(pfd[0], UWQ_IRQ_LEVEL));
	EXPECT_FAULT("alloc", ENOMEM, uwq_irq_create_fd(pfd[0], UWQ_IRQ_EDGE));
	EXPECT_FAULT("alloc", ENOMEM, uwq_irq_create_timer(NSEC_PER_MSEC));
	EXPECT_FAULT("alloc", ENOMEM, uwq_irq_create_signal(SIGUSR2));
	EXPECT_FAULT("alloc", ENOMEM, uwq_irq_create_gpio(pfd[0]));
	EXPECT_FAULT("alloc", ENOMEM, uwq_irq_create_uio_fd(pfd[0]));
	EXPECT_FAULT("alloc", ENOMEM, uwq_irq_create_uio("/dev/null"));	/* closes what it opened */
	EXPECT_FAULT("alloc", ENOMEM, uwq_irq_create_vfio(pfd[0], 0, 0));
	EXPECT_FAULT("alloc", ENOMEM, uwq_irq_create(&chip, &pfd[0]));
	CHECK(atomic_load(&chip_released) == 0, "a failed uwq_irq_create() called the chip's release");
	CHECK(fd_open(pfd[0]) && fd_open(pfd[1]), "a failed create closed the caller's fd");

	/* Cleared: each creation works (and is undone). */
	{
		int lines[4];

		lines[0] = uwq_irq_create_eventfd();
		lines[1] = uwq_irq_create_fd(pfd[0], UWQ_IRQ_LEVEL);
		lines[2] = uwq_irq_create_timer(NSEC_PER_MSEC);
		lines[3] = uwq_irq_create(&chip, &pfd[1]);
		for (int i = 0; i < 4; i++) {
			CHECK(lines[i] >= 1, "create %d after clearing = %d", i, lines[i]);
			CHECK_RC(uwq_irq_destroy(lines[i]), "destroy");
		}
		CHECK(atomic_load(&chip_released) == 1, "release called %d times, want 1",
		      atomic_load(&chip_released));
	}
	CHECK(fd_open(pfd[0]) && fd_open(pfd[1]), "destroying a line closed the caller's fd");
	close(pfd[0]);
	close(pfd[1]);
}

/* A request on @line with one failure armed at @site. */
static int request_failing(const char *site, int err, int line, uwq_irq_handler_t h, uwq_irq_handler_t t,
			   unsigned long flags, void *dev)
{
	int rc;

	inject(site, err, 1);
	rc = t ? uwq_request_threaded_irq(line, h, t, flags, "fs_req", dev) : uwq_request_irq(line, h, flags, "fs_req", dev);
	inject(site, 0, 0);
	return rc;
}

static void test_alloc_request(struct probe *p)
{
	static int dev;
	char tname[IRQ_COMM_LEN];
	int line = new_eventfd_line(), rc, threads, base;

	PHASE(__func__);
	irq_thread_name(tname, line, "fs_req");
	threads = count_tasks_named("irq/");
	rc = request_failing("alloc", ENOMEM, line, never_handler, never_handler, 0, &dev);
	CHECK(rc == -ENOMEM, "request with the alloc site failing = %d, want -ENOMEM", rc);
	rc = request_failing("alloc", ENOMEM, line, NULL, never_handler, UWQ_IRQF_ONESHOT, &dev);
	CHECK(rc == -ENOMEM, "request(default primary) with the alloc site failing = %d", rc);
	rc = request_failing("alloc", ENOMEM, line, never_handler, NULL, UWQ_IRQF_SHARED, &dev);
	CHECK(rc == -ENOMEM, "request_irq with the alloc site failing = %d", rc);
	/* The handler thread cannot be made: -EAGAIN, as pthread_create. */
	rc = request_failing("thread_create", EAGAIN, line, never_handler, never_handler, 0, &dev);
	CHECK(rc == -EAGAIN, "request with the thread_create site failing = %d, want -EAGAIN", rc);
	rc = request_failing("thread_create", EAGAIN, line, NULL, never_handler, UWQ_IRQF_ONESHOT, &dev);
	CHECK(rc == -EAGAIN, "request(default primary) with the thread_create site failing = %d", rc);
	CHECK(count_tasks_named("irq/") == threads && count_tasks_named(tname) == 0,
	      "a failed request left a thread (%d irq threads, %d before)", count_tasks_named("irq/"),
	      threads);
	CHECK_RC(uwq_irq_raise(line), "raise(line without handlers)");
	probe_roundtrip(p, 3);
	CHECK(atomic_load(&never_calls) == 0, "handlers of a failed request ran %d times",
	      atomic_load(&never_calls));

	/* Cleared: the line is usable; one primary and one thread run per event. */
	CHECK_RC(uwq_request_threaded_irq(line, wake_primary, counting_thread, 0, "fs_req", &dev),
		 "request after clearing");
	WAIT_UNTIL(count_tasks_named(tname) == 1, "no thread \"%s\"", tname);
	/* The raise made without handlers may be kept for the new action:
	 * let it settle, then count from there. */
	uwq_synchronize_irq(line);
	probe_roundtrip(p, 1);
	uwq_synchronize_irq(line);
	base = atomic_load(&prim_calls);
	CHECK(base <= 1 && atomic_load(&thread_runs) == base,
	      "before any raise: primary %d thread %d (one kept event at most)", base,
	      atomic_load(&thread_runs));
	for (int i = 1; i <= 3; i++) {
		CHECK_RC(uwq_irq_raise(line), "raise");
		WAIT_UNTIL(atomic_load(&thread_runs) == base + i, "raise %d: primary %d thread %d", i,
			   atomic_load(&prim_calls), atomic_load(&thread_runs));
		uwq_synchronize_irq(line);
		probe_roundtrip(p, 1);
		CHECK(atomic_load(&prim_calls) == base + i && atomic_load(&thread_runs) == base + i,
		      "after %d raises: primary %d thread %d (base %d)", i, atomic_load(&prim_calls),
		      atomic_load(&thread_runs), base);
	}
	CHECK(atomic_load(&never_calls) == 0, "handlers of a failed request ran");
	CHECK(uwq_free_irq(line, &dev) != NULL, "free");
	CHECK_RC(uwq_irq_destroy(line), "destroy");
	WAIT_UNTIL(count_tasks_named(tname) == 0, "thread \"%s\" outlived free_irq", tname);
}

int main(void)
{
	struct probe p;
	int rc, fds;

	rc = uwq__fault_inject("epoll", 0, 0);
	if (rc == -ENOSYS)
		SKIP("uwq built without fault injection (Release build)");
	CHECK(rc == 0, "uwq__fault_inject(epoll, 0, 0) = %d", rc);

	test_dispatcher_sites();	/* first: before any line exists */
	test_timerfd();
	test_alloc_create();
	probe_init(&p);
	test_alloc_request(&p);
	probe_fini(&p);

	close(pipe_fds[0]);
	close(pipe_fds[1]);
	fds = count_fds();
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	CHECK(count_fds() < fds, "shutdown closed none of the dispatcher's descriptors");
	return TEST_PASS;
}

/* SPDX-License-Identifier: MIT */
/*
 * UWQ_IRQF_NO_AUTOEN requests the line disabled (include/uwq/irq.h: "the
 * line starts at depth 1 ... events are kept until uwq_enable_irq()";
 * the kernel's __setup_irq() sets depth 1 instead of starting the line,
 * and request_threaded_irq() refuses it with IRQF_SHARED, both in
 * kernel/irq/manage.c):
 *  - on an eventfd line, an edge fd line and a level fd line: events that
 *    arrive before uwq_enable_irq() reach no handler although the
 *    dispatcher is seen delivering another line (the probe), and
 *    uwq_irq_stats() reports depth 1; uwq_enable_irq() delivers the kept
 *    event exactly once (replayed on the edge line, polled again on the
 *    level ones), depth is 0, and later events are delivered;
 *  - with a thread handler, the thread does not run before the enable
 *    either, and runs once after it;
 *  - disables made before the request are dropped, as the kernel's
 *    "undo nested disables": depth is 1, and one enable starts the line;
 *  - UWQ_IRQF_SHARED | UWQ_IRQF_NO_AUTOEN is -EINVAL with one "uwq: "
 *    report, its handlers never run, and the line can then be requested.
 */
#include <fcntl.h>
#include <uwq/stats.h>

#include "irqtest.h"

struct dev {
	int		irq;
	int		rfd;		/* fd lines: the pipe's read end, drained by the primary */
	atomic_int	calls;		/* primary */
	atomic_int	thread_runs;
};

static uwq_irqreturn_t dev_primary(int irq, void *dev_id)
{
	struct dev *d = dev_id;
	char buf[64];

	(void)irq;
	if (d->rfd >= 0)
		while (read(d->rfd, buf, sizeof(buf)) > 0)
			;
	atomic_fetch_add(&d->calls, 1);
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t dev_thread(int irq, void *dev_id)
{
	struct dev *d = dev_id;

	(void)irq;
	atomic_fetch_add(&d->thread_runs, 1);
	return UWQ_IRQ_HANDLED;
}

static int line_depth(int irq)
{
	struct uwq_irq_stats st;

	CHECK_RC(uwq_irq_stats(irq, &st), "uwq_irq_stats");
	return st.depth;
}

/* Make an event on @d's line: raise it, or write a byte to its pipe. */
static void fire(struct dev *d, int wfd)
{
	if (wfd < 0) {
		CHECK_RC(uwq_irq_raise(d->irq), "raise");
	} else {
		CHECK(write(wfd, "x", 1) == 1, "write: %s", strerror(errno));
	}
}

/*
 * Request @d's line (made by the caller) with NO_AUTOEN, fire it 3 times
 * before the enable and once after.
 */
static void run(struct probe *p, struct dev *d, int wfd, const char *what)
{
	CHECK_RC(uwq_request_threaded_irq(d->irq, dev_primary, dev_thread, UWQ_IRQF_NO_AUTOEN, what, d),
		 "request(NO_AUTOEN)");
	CHECK(line_depth(d->irq) == 1, "%s: depth %d after a NO_AUTOEN request, want 1", what,
	      line_depth(d->irq));
	for (int i = 0; i < 3; i++) {
		fire(d, wfd);
		probe_roundtrip(p, 1);
	}
	probe_roundtrip(p, 3);
	CHECK(atomic_load(&d->calls) == 0 && atomic_load(&d->thread_runs) == 0,
	      "%s: handled before uwq_enable_irq() (%d primary calls, %d thread runs)", what,
	      atomic_load(&d->calls), atomic_load(&d->thread_runs));
	CHECK(line_depth(d->irq) == 1, "%s: depth %d before the enable, want 1", what, line_depth(d->irq));

	uwq_enable_irq(d->irq);
	WAIT_UNTIL(atomic_load(&d->calls) >= 1 && atomic_load(&d->thread_runs) >= 1,
		   "%s: the event kept while disabled was not delivered by the enable (%d calls, %d runs)",
		   what, atomic_load(&d->calls), atomic_load(&d->thread_runs));
	uwq_synchronize_irq(d->irq);
	probe_roundtrip(p, 3);
	uwq_synchronize_irq(d->irq);
	CHECK(atomic_load(&d->calls) == 1 && atomic_load(&d->thread_runs) == 1,
	      "%s: the kept event was delivered %d times (%d thread runs), want once", what,
	      atomic_load(&d->calls), atomic_load(&d->thread_runs));
	CHECK(line_depth(d->irq) == 0, "%s: depth %d after the enable, want 0", what, line_depth(d->irq));

	fire(d, wfd);
	WAIT_UNTIL(atomic_load(&d->calls) >= 2 && atomic_load(&d->thread_runs) >= 2,
		   "%s: an event after the enable was not delivered (%d calls)", what, atomic_load(&d->calls));
	CHECK(uwq_free_irq(d->irq, d) != NULL, "%s: free_irq returned NULL", what);
	CHECK_RC(uwq_irq_destroy(d->irq), "destroy");
}

static void run_fd(struct probe *p, unsigned trigger, const char *what)
{
	static struct dev d;
	int pfd[2];

	CHECK(pipe2(pfd, O_NONBLOCK | O_CLOEXEC) == 0, "pipe2: %s", strerror(errno));
	memset(&d, 0, sizeof(d));
	d.rfd = pfd[0];
	d.irq = uwq_irq_create_fd(pfd[0], trigger);
	CHECK(d.irq >= 1, "create_fd returned %d", d.irq);
	run(p, &d, pfd[1], what);
	close(pfd[0]);
	close(pfd[1]);
}

static void test_disabled_before_request(struct probe *p)
{
	static struct dev d;

	PHASE(__func__);
	d.rfd = -1;
	d.irq = new_eventfd_line();
	uwq_disable_irq_nosync(d.irq);
	uwq_disable_irq_nosync(d.irq);
	CHECK(line_depth(d.irq) == 2, "depth %d after two disables, want 2", line_depth(d.irq));
	run(p, &d, -1, "noautoen_pre");
}

static int never_calls;	/* A */

static uwq_irqreturn_t never_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	__atomic_add_fetch(&never_calls, 1, __ATOMIC_RELAXED);
	return UWQ_IRQ_HANDLED;
}

static void test_shared_einval(struct probe *p)
{
	static struct dev d;
	char *err;
	int rc, lines;

	PHASE(__func__);
	d.rfd = -1;
	d.irq = new_eventfd_line();
	capture_stderr_begin();
	rc = uwq_request_irq(d.irq, never_primary, UWQ_IRQF_SHARED | UWQ_IRQF_NO_AUTOEN, "never", &never_calls);
	err = capture_stderr_end();
	CHECK(rc == -EINVAL, "request(SHARED | NO_AUTOEN) returned %d, want -EINVAL", rc);
	lines = count_lines_starting(err, "uwq: ");
	CHECK(lines == 1, "request(SHARED | NO_AUTOEN): %d \"uwq: \" lines, want 1", lines);
	free(err);
	CHECK_ERR(uwq_request_threaded_irq(d.irq, never_primary, dev_thread,
					   UWQ_IRQF_SHARED | UWQ_IRQF_ONESHOT | UWQ_IRQF_NO_AUTOEN, "never", &d),
		  EINVAL);
	CHECK_RC(uwq_irq_raise(d.irq), "raise");
	probe_roundtrip(p, 3);
	CHECK(__atomic_load_n(&never_calls, __ATOMIC_RELAXED) == 0, "a refused request's primary ran");

	/* Nothing left behind: the line takes a shared request, enabled. */
	CHECK_RC(uwq_request_threaded_irq(d.irq, dev_primary, dev_thread, UWQ_IRQF_SHARED, "shared", &d),
		 "request(SHARED) after the refusal");
	WAIT_UNTIL(atomic_load(&d.thread_runs) >= 1, "the shared action did not get the pending raise");
	CHECK(uwq_free_irq(d.irq, &d) != NULL, "free_irq returned NULL");
	CHECK_RC(uwq_irq_destroy(d.irq), "destroy");
}

int main(void)
{
	static struct dev ev;
	struct probe p;

	probe_init(&p);
	PHASE("eventfd line");
	ev.rfd = -1;
	ev.irq = new_eventfd_line();
	run(&p, &ev, -1, "noautoen_evfd");
	PHASE("edge fd line");
	run_fd(&p, UWQ_IRQ_EDGE, "noautoen_edge");
	PHASE("level fd line");
	run_fd(&p, UWQ_IRQ_LEVEL, "noautoen_level");
	test_disabled_before_request(&p);
	test_shared_einval(&p);
	probe_fini(&p);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}

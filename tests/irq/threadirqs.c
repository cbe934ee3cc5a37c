/* SPDX-License-Identifier: MIT */
/*
 * Forced threading: UWQ_THREADIRQS=1 runs every primary not marked
 * UWQ_IRQF_NO_THREAD in a thread, oneshot (include/uwq/irq.h
 * "UWQ_THREADIRQS=1 in the environment (read at first use) runs every
 * primary not marked UWQ_IRQF_NO_THREAD in a thread, oneshot"; the kernel's
 * threadirqs mode, irq_setup_forced_threading() in kernel/irq/manage.c):
 *  - set with setenv() before the first uwq call;
 *  - a primary-only action (uwq_request_irq) runs its primary on a thread
 *    named "irq/<n>-<name>", not on "uwq-irqd", once per raise;
 *  - while that primary is held on a gate, raises do not call it again;
 *    after it returns the kept (merged) event is delivered once;
 *  - the forced thread is oneshot: on a level fd line (a pipe), a forced
 *    primary held on a gate before it reads the byte is called exactly once
 *    per byte and never finds the pipe empty (a line left unmasked while
 *    the fd stays readable would wake the thread again);
 *  - a UWQ_IRQF_NO_THREAD action still runs its primary on "uwq-irqd";
 *  - an action with a primary and a thread handler still runs both, once
 *    per raise, neither on "uwq-irqd".
 */
#include "irqtest.h"

#define N	20

struct action {
	char		want[IRQ_COMM_LEN];	/* where the primary must run */
	bool		want_irqd;
	atomic_int	calls;
	atomic_int	runs;
	atomic_int	bad_name;
	atomic_int	on_irqd;
	atomic_int	hold;			/* hold the next call on the gate */
	atomic_int	gate;
	char		seen[IRQ_COMM_LEN];
};

static uwq_irqreturn_t forced_primary(int irq, void *dev_id)
{
	struct action *a = dev_id;
	char name[IRQ_COMM_LEN];

	(void)irq;
	self_name(name);
	if (strcmp(name, a->want) != 0 && atomic_fetch_add(&a->bad_name, 1) == 0)
		memcpy(a->seen, name, sizeof(name));
	atomic_fetch_add(&a->calls, 1);
	if (atomic_exchange(&a->hold, 0))
		GATE_WAIT(atomic_load(&a->gate), "gate never opened");
	return UWQ_IRQ_HANDLED;
}

static uwq_irqreturn_t split_primary(int irq, void *dev_id)
{
	struct action *a = dev_id;
	char name[IRQ_COMM_LEN];

	(void)irq;
	self_name(name);
	if (strcmp(name, "uwq-irqd") == 0)
		atomic_fetch_add(&a->on_irqd, 1);
	atomic_fetch_add(&a->calls, 1);
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t split_thread(int irq, void *dev_id)
{
	struct action *a = dev_id;
	char name[IRQ_COMM_LEN];

	(void)irq;
	self_name(name);
	if (strcmp(name, "uwq-irqd") == 0)
		atomic_fetch_add(&a->on_irqd, 1);
	atomic_fetch_add(&a->runs, 1);
	return UWQ_IRQ_HANDLED;
}

/* A forced primary on a level pipe line: reads one byte per call. */
struct level {
	int		rfd, wfd;
	atomic_int	started;
	atomic_int	calls;
	atomic_int	empty;
	atomic_int	hold;
	atomic_int	gate;
};

static uwq_irqreturn_t level_primary(int irq, void *dev_id)
{
	struct level *l = dev_id;
	char c;

	(void)irq;
	atomic_fetch_add(&l->started, 1);
	if (atomic_exchange(&l->hold, 0))
		GATE_WAIT(atomic_load(&l->gate), "level gate never opened");
	if (read(l->rfd, &c, 1) != 1)
		atomic_fetch_add(&l->empty, 1);
	atomic_fetch_add(&l->calls, 1);
	return UWQ_IRQ_HANDLED;
}

static void test_level_oneshot(struct probe *p)
{
	static struct level l;
	int pfd[2], irq;

	PHASE(__func__);
	CHECK(pipe2(pfd, O_NONBLOCK | O_CLOEXEC) == 0, "pipe2: %s", strerror(errno));
	l.rfd = pfd[0];
	l.wfd = pfd[1];
	irq = uwq_irq_create_fd(l.rfd, UWQ_IRQ_LEVEL);
	CHECK(irq >= 1, "create_fd: %d", irq);
	CHECK_RC(uwq_request_irq(irq, level_primary, 0, "forced_lvl", &l), "request(level)");

	atomic_store(&l.hold, 1);
	CHECK(write(l.wfd, "x", 1) == 1, "write: %s", strerror(errno));
	WAIT_UNTIL(atomic_load(&l.started) == 1, "level primary did not start");
	probe_roundtrip(p, 5);		/* the dispatcher sees the pipe still readable */
	atomic_store(&l.gate, 1);
	WAIT_UNTIL(atomic_load(&l.calls) >= 1, "held level primary did not finish");
	for (int i = 2; i <= N; i++) {
		CHECK(write(l.wfd, "x", 1) == 1, "write: %s", strerror(errno));
		WAIT_UNTIL(atomic_load(&l.calls) >= i, "byte %d: %d calls", i, atomic_load(&l.calls));
	}
	uwq_synchronize_irq(irq);
	probe_roundtrip(p, 3);
	uwq_synchronize_irq(irq);
	CHECK(atomic_load(&l.empty) == 0,
	      "forced level line: %d calls found the pipe empty: the line was not kept masked "
	      "(oneshot) while the forced primary ran", atomic_load(&l.empty));
	CHECK(atomic_load(&l.calls) == N, "%d bytes gave %d calls", N, atomic_load(&l.calls));

	CHECK(uwq_free_irq(irq, &l) != NULL, "free returned NULL");
	CHECK_RC(uwq_irq_destroy(irq), "destroy");
	close(l.rfd);
	close(l.wfd);
}

static void raise_n(int irq, atomic_int *count, const char *what)
{
	int base = atomic_load(count);

	for (int i = 1; i <= N; i++) {
		CHECK_RC(uwq_irq_raise(irq), "raise");
		WAIT_UNTIL(atomic_load(count) >= base + i, "%s: raise %d gave %d calls", what, i,
			   atomic_load(count) - base);
	}
}

int main(void)
{
	static struct action forced, nothread, split;
	struct probe p;
	int fl, nl, sl;

	if (setenv("UWQ_THREADIRQS", "1", 1) != 0)
		FAIL("setenv: %s", strerror(errno));

	probe_init(&p);
	fl = new_eventfd_line();
	nl = new_eventfd_line();
	sl = new_eventfd_line();
	irq_thread_name(forced.want, fl, "forced");
	strcpy(nothread.want, "uwq-irqd");
	CHECK_RC(uwq_request_irq(fl, forced_primary, 0, "forced", &forced), "request(forced)");
	CHECK_RC(uwq_request_irq(nl, forced_primary, UWQ_IRQF_NO_THREAD, "nothread", &nothread),
		 "request(no_thread)");
	CHECK_RC(uwq_request_threaded_irq(sl, split_primary, split_thread, 0, "split", &split),
		 "request(split)");

	PHASE("forced primary");
	raise_n(fl, &forced.calls, "forced");
	uwq_synchronize_irq(fl);
	probe_roundtrip(&p, 2);
	CHECK(atomic_load(&forced.calls) == N, "forced: %d raises gave %d calls", N,
	      atomic_load(&forced.calls));
	CHECK(atomic_load(&forced.bad_name) == 0,
	      "forced-threaded primary ran on \"%s\", want \"%s\"", forced.seen, forced.want);

	PHASE("forced primary held");
	atomic_store(&forced.hold, 1);
	CHECK_RC(uwq_irq_raise(fl), "raise");
	WAIT_UNTIL(atomic_load(&forced.calls) == N + 1, "held call did not start");
	for (int i = 0; i < 3; i++) {
		CHECK_RC(uwq_irq_raise(fl), "raise while held");
		probe_roundtrip(&p, 1);
	}
	probe_roundtrip(&p, 2);
	CHECK(atomic_load(&forced.calls) == N + 1,
	      "forced primary called again while its previous call ran (%d calls): not oneshot",
	      atomic_load(&forced.calls) - N);
	atomic_store(&forced.gate, 1);
	WAIT_UNTIL(atomic_load(&forced.calls) >= N + 2,
		   "the event kept while the forced thread ran was not delivered");
	uwq_synchronize_irq(fl);
	probe_roundtrip(&p, 3);
	CHECK(atomic_load(&forced.calls) == N + 2, "kept raises gave %d calls, want 1",
	      atomic_load(&forced.calls) - N - 1);

	test_level_oneshot(&p);

	PHASE("NO_THREAD primary");
	raise_n(nl, &nothread.calls, "no_thread");
	CHECK(atomic_load(&nothread.bad_name) == 0,
	      "NO_THREAD primary ran on \"%s\", want \"uwq-irqd\"", nothread.seen);

	PHASE("primary + thread handler");
	raise_n(sl, &split.runs, "split");
	uwq_synchronize_irq(sl);
	probe_roundtrip(&p, 2);
	CHECK(atomic_load(&split.calls) == N && atomic_load(&split.runs) == N,
	      "split: %d raises gave %d primary calls, %d thread runs", N,
	      atomic_load(&split.calls), atomic_load(&split.runs));
	CHECK(atomic_load(&split.on_irqd) == 0, "split: %d handler calls ran on uwq-irqd",
	      atomic_load(&split.on_irqd));

	PHASE("teardown");
	CHECK(uwq_free_irq(fl, &forced) != NULL, "free returned NULL");
	CHECK(uwq_free_irq(nl, &nothread) != NULL, "free returned NULL");
	CHECK(uwq_free_irq(sl, &split) != NULL, "free returned NULL");
	CHECK_RC(uwq_irq_destroy(fl), "destroy");
	CHECK_RC(uwq_irq_destroy(nl), "destroy");
	CHECK_RC(uwq_irq_destroy(sl), "destroy");
	probe_fini(&p);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}

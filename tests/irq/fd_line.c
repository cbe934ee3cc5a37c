/* SPDX-License-Identifier: MIT */
/*
 * A line over any pollable fd, level or edge triggered, which the line does
 * not own (include/uwq/irq.h uwq_irq_create_fd(): "UWQ_IRQ_LEVEL: the line
 * fires while the fd is readable (the handler must make it unreadable);
 * UWQ_IRQ_EDGE: it fires on each readiness edge"; "a line over any pollable
 * fd, which it does not own"; docs/design.md §4 on masking level and edge
 * lines; the kernel's handle_level_irq() and handle_edge_irq() in
 * kernel/irq/chip.c):
 *  - LEVEL on a pipe: a written byte fires the line; the handler reads one
 *    byte and answers HANDLED; one write at a time (each waiting for the
 *    previous handling) gives exactly one call per byte and no call ever
 *    finds the pipe empty;
 *  - LEVEL keeps firing while the fd stays readable: 3 bytes written at
 *    once give 3 calls of a handler that reads one byte each;
 *  - EDGE on a pipe: a handler that drains the pipe is called once per
 *    write (one write at a time);
 *  - uwq_irq_destroy() leaves the fd open (fcntl F_GETFD works, the pipe
 *    still carries data).
 */
#include "irqtest.h"

#define N	50

struct pipe_dev {
	int		rfd, wfd;
	bool		drain;
	atomic_int	calls;
	atomic_int	bytes;
	atomic_int	empty;
};

static uwq_irqreturn_t pipe_primary(int irq, void *dev_id)
{
	struct pipe_dev *d = dev_id;
	char buf[64];
	ssize_t n;
	int got = 0;

	(void)irq;
	do {
		n = read(d->rfd, buf, d->drain ? sizeof(buf) : 1);
		if (n > 0)
			got += (int)n;
	} while (d->drain && n > 0);
	if (got == 0)
		atomic_fetch_add(&d->empty, 1);
	atomic_fetch_add(&d->bytes, got);
	atomic_fetch_add(&d->calls, 1);
	return got ? UWQ_IRQ_HANDLED : UWQ_IRQ_NONE;
}

static void open_pipe(struct pipe_dev *d)
{
	int pfd[2];

	CHECK(pipe2(pfd, O_NONBLOCK | O_CLOEXEC) == 0, "pipe2: %s", strerror(errno));
	d->rfd = pfd[0];
	d->wfd = pfd[1];
}

static void put(struct pipe_dev *d, const char *s)
{
	size_t len = strlen(s);

	CHECK(write(d->wfd, s, len) == (ssize_t)len, "write: %s", strerror(errno));
}

static void check_fd_survives(struct pipe_dev *d, const char *what)
{
	char c = 0;

	CHECK(fcntl(d->rfd, F_GETFD) != -1, "%s: uwq_irq_destroy closed the fd (%s)", what,
	      strerror(errno));
	put(d, "z");
	CHECK(read(d->rfd, &c, 1) == 1 && c == 'z', "%s: the pipe no longer works after destroy",
	      what);
	close(d->rfd);
	close(d->wfd);
}

static void test_level(struct probe *p)
{
	static struct pipe_dev d;
	int irq;

	PHASE(__func__);
	open_pipe(&d);
	irq = uwq_irq_create_fd(d.rfd, UWQ_IRQ_LEVEL);
	CHECK(irq >= 1, "create_fd(LEVEL) returned %d", irq);
	CHECK_RC(uwq_request_irq(irq, pipe_primary, 0, "fd_level", &d), "request_irq");

	for (int i = 1; i <= N; i++) {
		put(&d, "x");
		WAIT_UNTIL(atomic_load(&d.calls) >= i, "byte %d: %d calls", i, atomic_load(&d.calls));
	}
	probe_roundtrip(p, 3);
	CHECK(atomic_load(&d.calls) == N, "level: %d single bytes gave %d calls", N,
	      atomic_load(&d.calls));
	CHECK(atomic_load(&d.empty) == 0, "level: %d calls found the pipe empty",
	      atomic_load(&d.empty));

	PHASE("level: 3 bytes at once");
	put(&d, "abc");
	WAIT_UNTIL(atomic_load(&d.bytes) == N + 3,
		   "level line stopped firing with %d bytes left unread (%d calls)",
		   N + 3 - atomic_load(&d.bytes), atomic_load(&d.calls));
	probe_roundtrip(p, 3);
	CHECK(atomic_load(&d.calls) == N + 3, "3 bytes, read one per call, gave %d calls",
	      atomic_load(&d.calls) - N);
	CHECK(atomic_load(&d.empty) == 0, "level: %d calls found the pipe empty",
	      atomic_load(&d.empty));

	CHECK(uwq_free_irq(irq, &d) != NULL, "free returned NULL");
	CHECK_RC(uwq_irq_destroy(irq), "destroy");
	check_fd_survives(&d, "level");
}

static void test_edge(struct probe *p)
{
	static struct pipe_dev d = { .drain = true };
	int irq;

	PHASE(__func__);
	open_pipe(&d);
	irq = uwq_irq_create_fd(d.rfd, UWQ_IRQ_EDGE);
	CHECK(irq >= 1, "create_fd(EDGE) returned %d", irq);
	CHECK_RC(uwq_request_irq(irq, pipe_primary, 0, "fd_edge", &d), "request_irq");

	for (int i = 1; i <= N; i++) {
		put(&d, i % 2 ? "e" : "ee");
		WAIT_UNTIL(atomic_load(&d.calls) >= i, "write %d: %d calls", i, atomic_load(&d.calls));
	}
	probe_roundtrip(p, 3);
	CHECK(atomic_load(&d.calls) == N, "edge: %d writes gave %d calls", N, atomic_load(&d.calls));
	CHECK(atomic_load(&d.bytes) == N + N / 2, "edge: handlers read %d bytes, %d written",
	      atomic_load(&d.bytes), N + N / 2);
	CHECK(atomic_load(&d.empty) == 0, "edge: %d calls found the pipe empty",
	      atomic_load(&d.empty));

	CHECK(uwq_free_irq(irq, &d) != NULL, "free returned NULL");
	CHECK_RC(uwq_irq_destroy(irq), "destroy");
	check_fd_survives(&d, "edge");
}

int main(void)
{
	struct probe p;

	probe_init(&p);
	test_level(&p);
	test_edge(&p);
	probe_fini(&p);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}

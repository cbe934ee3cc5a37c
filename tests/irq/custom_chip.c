/* SPDX-License-Identifier: MIT */
/*
 * Custom chips implement the same ops as the built-in ones
 * (docs/design.md §4; irq.h struct uwq_irq_chip): a chip over a pipe whose
 * ack consumes one byte and whose mask/unmask are recorded. Each byte
 * written is one event; on a oneshot line the chip's mask is called when
 * the event is taken and its unmask only after the thread handler returns;
 * release is called at destroy.
 */
#include "irqtest.h"

struct pipe_dev {
	int		fd[2];
	atomic_int	masks, unmasks, released, acks;
};

static int pd_fd(void *data)
{
	return ((struct pipe_dev *)data)->fd[0];
}

static int pd_ack(void *data, uint64_t *missed)
{
	struct pipe_dev *d = data;
	char c;
	ssize_t n = read(d->fd[0], &c, 1);

	(void)missed;
	if (n != 1)
		return n < 0 && errno == EAGAIN ? 0 : -EIO;
	atomic_fetch_add(&d->acks, 1);
	return 1;
}

static void pd_mask(void *data)
{
	atomic_fetch_add(&((struct pipe_dev *)data)->masks, 1);
}

static void pd_unmask(void *data)
{
	atomic_fetch_add(&((struct pipe_dev *)data)->unmasks, 1);
}

static void pd_release(void *data)
{
	atomic_fetch_add(&((struct pipe_dev *)data)->released, 1);
}

static const struct uwq_irq_chip pipe_chip = {
	.name = "pipe", .fd = pd_fd, .ack = pd_ack, .mask = pd_mask, .unmask = pd_unmask, .release = pd_release,
};

static atomic_int thread_runs, gate;

static uwq_irqreturn_t pd_thread(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	GATE_WAIT(atomic_load(&gate), "gate");
	atomic_fetch_add(&thread_runs, 1);
	return UWQ_IRQ_HANDLED;
}

int main(void)
{
	static struct pipe_dev d;
	int irq, unmasks;

	CHECK(pipe2(d.fd, O_NONBLOCK) == 0, "pipe");
	irq = uwq_irq_create(&pipe_chip, &d);
	CHECK(irq > 0, "uwq_irq_create: %d", irq);
	CHECK_RC(uwq_request_threaded_irq(irq, NULL, pd_thread, UWQ_IRQF_ONESHOT, "pipe", &d), "request");
	unmasks = atomic_load(&d.unmasks);
	CHECK(write(d.fd[1], "a", 1) == 1, "write");
	WAIT_UNTIL(atomic_load(&d.acks) == 1, "event not acked");
	WAIT_UNTIL(atomic_load(&d.masks) >= 1, "oneshot event did not mask the chip");
	CHECK(atomic_load(&d.unmasks) == unmasks, "unmasked while the thread handler is held");
	atomic_store(&gate, 1);
	WAIT_UNTIL(atomic_load(&thread_runs) == 1, "thread handler did not run");
	WAIT_UNTIL(atomic_load(&d.unmasks) == unmasks + 1, "not unmasked after the thread handler");
	for (int i = 2; i <= 5; i++) {
		CHECK(write(d.fd[1], "b", 1) == 1, "write");
		WAIT_UNTIL(atomic_load(&thread_runs) == i, "event %d not handled", i);
	}
	CHECK(uwq_free_irq(irq, &d), "free");
	CHECK_RC(uwq_irq_destroy(irq), "destroy");
	CHECK(atomic_load(&d.released) == 1, "release called %d times", atomic_load(&d.released));
	close(d.fd[0]);
	close(d.fd[1]);
	CHECK(uwq_shutdown() == 0, "shutdown");
	return TEST_PASS;
}

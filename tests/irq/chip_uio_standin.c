/* SPDX-License-Identifier: MIT */
/*
 * UIO chip against a stand-in speaking the UIO protocol (docs/design.md §4;
 * irq.h uwq_irq_create_uio_fd): a SOCK_SEQPACKET pair where the test plays
 * the device. The device side writes the 4-byte interrupt count; uwq reads
 * it (a jump of more than one counts as missed interrupts) and re-enables
 * the interrupt by writing a 4-byte 1 once the line is unmasked: right
 * after the primaries on a plain line, and only after the thread handler
 * has returned on a oneshot line. Freeing the last handler disables it (0).
 */
#include <sys/socket.h>
#include <uwq.h>

#include "util.h"

static atomic_int primaries, threads, gate;

static uwq_irqreturn_t uio_primary(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	atomic_fetch_add(&primaries, 1);
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t uio_plain(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	atomic_fetch_add(&primaries, 1);
	return UWQ_IRQ_HANDLED;
}

static uwq_irqreturn_t uio_thread(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	GATE_WAIT(atomic_load(&gate), "gate never opened");
	atomic_fetch_add(&threads, 1);
	return UWQ_IRQ_HANDLED;
}

static void device_interrupt(int fd, uint32_t count)
{
	CHECK(write(fd, &count, sizeof(count)) == sizeof(count), "device write: %s", strerror(errno));
}

/* The next irqcontrol write by uwq: 1 enables, 0 disables. */
static uint32_t read_enable(int fd)
{
	uint32_t v = 0;

	WAIT_UNTIL(recv(fd, &v, sizeof(v), MSG_DONTWAIT) == sizeof(v), "uwq never re-enabled the interrupt");
	return v;
}

static bool enable_written(int fd)
{
	uint32_t v;

	return recv(fd, &v, sizeof(v), MSG_DONTWAIT | MSG_PEEK) == sizeof(v);
}

static char *dump(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	uwq_dump(f);
	fclose(f);
	return buf;
}

int main(void)
{
	int sv[2], irq;
	char *d;

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) == 0, "socketpair: %s", strerror(errno));
	irq = uwq_irq_create_uio_fd(sv[0]);
	CHECK(irq > 0, "uwq_irq_create_uio_fd: %d", irq);

	PHASE("plain line: re-enabled after each event");
	CHECK(uwq_request_irq(irq, uio_plain, 0, "uio", NULL) == 0, "request failed");
	CHECK(read_enable(sv[1]) == 1, "starting the line did not enable the interrupt");
	device_interrupt(sv[1], 1);
	WAIT_UNTIL(atomic_load(&primaries) == 1, "primary not called");
	CHECK(read_enable(sv[1]) == 1, "re-enable was not 1");
	device_interrupt(sv[1], 5);	/* 3 interrupts missed */
	WAIT_UNTIL(atomic_load(&primaries) == 2, "primary not called for the second count");
	CHECK(read_enable(sv[1]) == 1, "re-enable was not 1");
	d = dump();
	CHECK(strstr(d, "missed=3"), "dump does not count 3 missed interrupts:\n%s", d);
	free(d);
	CHECK(uwq_free_irq(irq, NULL), "free failed");
	CHECK(read_enable(sv[1]) == 0, "freeing the last handler did not disable the interrupt");

	PHASE("oneshot line: re-enabled only after the thread handler");
	atomic_store(&primaries, 0);
	CHECK(uwq_request_threaded_irq(irq, uio_primary, uio_thread, UWQ_IRQF_ONESHOT, "uio1", NULL) == 0,
	      "threaded request failed");
	(void)read_enable(sv[1]);
	device_interrupt(sv[1], 6);
	WAIT_UNTIL(atomic_load(&primaries) == 1, "primary not called");
	/* The thread is held at its gate: no re-enable may come. Prove the
	 * dispatcher is not merely slow by a round trip on another line. */
	{
		int other = uwq_irq_create_eventfd();

		CHECK(other > 0 && uwq_request_irq(other, uio_plain, 0, "other", &other) == 0, "other line");
		CHECK(uwq_irq_raise(other) == 0, "raise");
		WAIT_UNTIL(atomic_load(&primaries) == 2, "other line not handled");
		CHECK(uwq_free_irq(other, &other), "free other");
		CHECK(uwq_irq_destroy(other) == 0, "destroy other");
	}
	CHECK(!enable_written(sv[1]), "interrupt re-enabled while the oneshot thread ran");
	atomic_store(&gate, 1);
	WAIT_UNTIL(atomic_load(&threads) == 1, "thread handler did not run");
	CHECK(read_enable(sv[1]) == 1, "not re-enabled after the thread handler");
	CHECK(uwq_free_irq(irq, NULL), "free failed");
	CHECK(uwq_irq_destroy(irq) == 0, "destroy failed");
	CHECK(fcntl(sv[0], F_GETFD) >= 0, "uwq closed the caller's fd");
	close(sv[0]);
	close(sv[1]);
	CHECK(uwq_shutdown() == 0, "shutdown");
	return TEST_PASS;
}

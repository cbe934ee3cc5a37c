/* SPDX-License-Identifier: MIT */
/*
 * GPIO v2 line events against a stand-in (docs/design.md §4; irq.h
 * uwq_irq_create_gpio): a pipe the test writes struct gpio_v2_line_event
 * records into, as the kernel's line request fd delivers them. One event
 * per record written and waited for; records arriving together merge into
 * one dispatch (counted as missed); a gap in seqno counts the lost events.
 */
#include <linux/gpio.h>
#include <uwq.h>

#include "util.h"

static atomic_int calls;

static uwq_irqreturn_t gpio_primary(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	atomic_fetch_add(&calls, 1);
	return UWQ_IRQ_HANDLED;
}

static void edge(int fd, uint32_t seqno)
{
	struct gpio_v2_line_event ev = { .timestamp_ns = now_ns(), .id = GPIO_V2_LINE_EVENT_RISING_EDGE,
					 .offset = 3, .seqno = seqno, .line_seqno = seqno };

	CHECK(write(fd, &ev, sizeof(ev)) == sizeof(ev), "write: %s", strerror(errno));
}

static unsigned long long missed(void)
{
	char *buf = NULL, *p;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	unsigned long long m = 0;

	uwq_dump(f);
	fclose(f);
	p = strstr(buf, "missed=");
	if (p)
		m = strtoull(p + 7, NULL, 10);
	free(buf);
	return m;
}

int main(void)
{
	int p[2], irq;

	CHECK(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	irq = uwq_irq_create_gpio(p[0]);
	CHECK(irq > 0, "uwq_irq_create_gpio: %d", irq);
	CHECK(uwq_irq_create_gpio(-1) == -EINVAL, "negative fd accepted");
	CHECK(uwq_request_irq(irq, gpio_primary, 0, "gpio", NULL) == 0, "request failed");

	for (uint32_t s = 1; s <= 5; s++) {
		edge(p[1], s);
		WAIT_UNTIL(atomic_load(&calls) == (int)s, "event %u not handled", s);
	}
	CHECK(missed() == 0, "nothing should be missed yet: %llu", missed());

	edge(p[1], 9);	/* seqno 6, 7, 8 lost in the kernel */
	WAIT_UNTIL(atomic_load(&calls) == 6, "event after the gap not handled");
	CHECK(missed() == 3, "lost events counted %llu, want 3", missed());

	uwq_disable_irq(irq);	/* two records queue while disabled: one event */
	edge(p[1], 10);
	edge(p[1], 11);
	uwq_enable_irq(irq);
	/* The dispatcher counts the lost records before it calls the
	 * primary: wait for the call, then the count is final. Unmerged, the
	 * two records would be two calls with nothing missed. */
	WAIT_UNTIL(atomic_load(&calls) == 7, "the queued records were not handled (%d calls)",
		   atomic_load(&calls));
	CHECK(missed() == 4, "two queued records were not merged into one event (missed %llu)", missed());

	CHECK(uwq_free_irq(irq, NULL), "free failed");
	CHECK(uwq_irq_destroy(irq) == 0, "destroy failed");
	CHECK(fcntl(p[0], F_GETFD) >= 0, "uwq closed the caller's fd");
	close(p[0]);
	close(p[1]);
	CHECK(uwq_shutdown() == 0, "shutdown");
	return TEST_PASS;
}

/* SPDX-License-Identifier: MIT */
/*
 * uwq_request_threaded_irq() copies @name (include/uwq/irq.h @name: "uwq
 * copies the string, so it may be a buffer the caller reuses once this
 * returns; the pointer itself is what uwq_free_irq() returns"):
 *  - a name built in a buffer that is overwritten right after the request
 *    still shows as given in uwq_irq_stats(), in uwq_dump() (the action
 *    list and the thread's run count), in the action's thread name, and in
 *    a later report that names the action;
 *  - uwq_free_irq() returns the caller's pointer itself, as the kernel's
 *    free_irq() does.
 * Before the fix all of them showed the buffer's new contents.
 */
#include <uwq/stats.h>

#include "irqtest.h"

static atomic_int thread_runs;
static int dev, dev2;

static uwq_irqreturn_t wake_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t count_thread(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&thread_runs, 1);
	return UWQ_IRQ_HANDLED;
}

static char *dump_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(f, "open_memstream: %s", strerror(errno));
	uwq_dump(f);
	fclose(f);
	return buf;
}

int main(void)
{
	char buf[32], want[32], key[48], tname[IRQ_COMM_LEN], *text, *err;
	struct uwq_irq_stats st;
	int irq = new_eventfd_line();

	snprintf(want, sizeof(want), "nic%d", irq);
	snprintf(buf, sizeof(buf), "%s", want);
	CHECK_RC(uwq_request_threaded_irq(irq, wake_primary, count_thread, 0, buf, &dev), "request");
	memset(buf, 'X', sizeof(buf) - 1);	/* the caller reuses its buffer */
	buf[sizeof(buf) - 1] = '\0';

	CHECK_RC(uwq_irq_raise(irq), "raise");
	WAIT_UNTIL(atomic_load(&thread_runs) == 1, "the thread handler did not run");
	uwq_synchronize_irq(irq);

	PHASE("stats");
	CHECK_RC(uwq_irq_stats(irq, &st), "uwq_irq_stats");
	CHECK(strcmp(st.actions, want) == 0, "uwq_irq_stats() actions \"%s\", want \"%s\"", st.actions, want);

	PHASE("dump");
	text = dump_text();
	snprintf(key, sizeof(key), "  %s\n", want);
	CHECK(strstr(text, key), "the dump does not list the action \"%s\":\n%s", want, text);
	snprintf(key, sizeof(key), "thread[%s]=1", want);
	CHECK(strstr(text, key), "the dump lacks \"%s\":\n%s", key, text);
	CHECK(!strstr(text, "XXXX"), "the dump shows the overwritten buffer:\n%s", text);
	free(text);

	PHASE("thread name");
	irq_thread_name(tname, irq, want);
	WAIT_UNTIL(count_tasks_named(tname) == 1, "no thread named \"%s\" (%d)", tname, count_tasks_named(tname));

	PHASE("report");
	capture_stderr_begin();
	CHECK_ERR(uwq_request_irq(irq, wake_primary, 0, "second", &dev2), EBUSY);
	err = capture_stderr_end();
	snprintf(key, sizeof(key), "\"%s\"", want);
	CHECK(strstr(err, key) && !strstr(err, "XXXX"), "the refusal does not name the action as %s:\n%s", key, err);
	free(err);

	PHASE("free");
	CHECK(uwq_free_irq(irq, &dev) == buf, "uwq_free_irq() did not return the caller's name pointer");
	CHECK_RC(uwq_irq_destroy(irq), "destroy");
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}

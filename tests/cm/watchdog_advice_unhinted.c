/* SPDX-License-Identifier: MIT */
/*
 * The watchdog's report says why a pool is stuck and what to do, correct
 * for the case (src/wq/watchdog.c stall_advice()): with blocking detection
 * off (monitor_tick_ns = 0) an item that blocks without a hint still
 * counts as running, so the items behind it on its CPU wait; the report
 * must say that detection is off and to add uwq_blocking_begin() hints,
 * and must not blame the worker cap (the pool is far below it).
 *
 * watchdog_ns = 300 ms: cm_unhinted_fn blocks in read() on a pipe (no
 * hint) on one CPU's pool, cm_behind_fn is queued behind it on the same
 * CPU. Asserted: a "uwq: watchdog: pool <cpu> " line written after both
 * were queued mentions monitor_tick_ns and uwq_blocking_begin(), not
 * "cap"; and cm_behind_fn has not run while the pipe stays empty. Writing
 * to the pipe ends it.
 */
#include <uwq/workqueue.h>

#include "util.h"

/* Not static: the report names them through dladdr (ENABLE_EXPORTS). */
void cm_unhinted_fn(struct uwq_work *w);
void cm_behind_fn(struct uwq_work *w);

static int pipefd[2];
static atomic_int blocked_started, behind_runs;

void cm_unhinted_fn(struct uwq_work *w)
{
	char c;

	(void)w;
	atomic_store(&blocked_started, 1);
	CHECK(read(pipefd[0], &c, 1) == 1, "read: %s", strerror(errno));
}

void cm_behind_fn(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&behind_runs, 1);
}

/* The stderr captured so far (static buffer). */
static const char *captured(void)
{
	int fd = atomic_load(&util_capture_fd);
	static char buf[1 << 16];
	ssize_t n;

	CHECK(fd >= 0, "stderr not captured");
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

int main(void)
{
	struct uwq_work blocker, behind;
	struct uwq_workqueue *wq;
	struct uwq_config cfg;
	char header[64], line[1024];
	const char *h, *eol;
	size_t seen;
	int cpu, err;
	char *out;

	affinity_cpus(&cpu, 1);
	CHECK(pipe(pipefd) == 0, "pipe: %s", strerror(errno));
	uwq_config_defaults(&cfg);
	cfg.watchdog_ns = 300 * NSEC_PER_MSEC;
	cfg.monitor_tick_ns = 0;
	CHECK((err = uwq_configure(&cfg)) == 0, "uwq_configure: %d", err);
	wq = uwq_alloc_workqueue("cm_unhinted", 0, 0);
	CHECK(wq, "alloc failed: %s", strerror(errno));
	snprintf(header, sizeof(header), "uwq: watchdog: pool %d ", cpu);

	capture_stderr_begin();
	PHASE("block unhinted");
	uwq_work_init(&blocker, cm_unhinted_fn);
	uwq_work_init(&behind, cm_behind_fn);
	CHECK(uwq_queue_work_on(cpu, wq, &blocker), "queueing the blocker failed");
	WAIT_UNTIL(atomic_load(&blocked_started), "the blocking item never started");
	CHECK(uwq_queue_work_on(cpu, wq, &behind), "queueing the item behind failed");
	/* Reports from before are of another stall: a loaded machine can
	 * leave the blocker itself queued for 300 ms. One written from now on
	 * was made with the blocker running (under the pool lock it takes to
	 * start) and the item behind it queued. */
	seen = strlen(captured());

	PHASE("wait for the report");
	WAIT_UNTIL(strstr(captured() + seen, header), "no watchdog report for pool %d", cpu);
	CHECK(atomic_load(&behind_runs) == 0,
	      "the item behind an unhinted block ran with blocking detection off");
	h = strstr(captured() + seen, header);
	eol = strchr(h, '\n');
	snprintf(line, sizeof(line), "%.*s", eol ? (int)(eol - h) : (int)strlen(h), h);

	PHASE("unblock");
	CHECK(write(pipefd[1], "x", 1) == 1, "write: %s", strerror(errno));
	CHECK(uwq_flush_workqueue(wq) == 0, "flush_workqueue failed");
	out = capture_stderr_end();
	CHECK(atomic_load(&behind_runs) == 1, "the item behind ran %d times",
	      atomic_load(&behind_runs));

	CHECK(strstr(line, "monitor_tick_ns") && strstr(line, "uwq_blocking_begin()"),
	      "the report does not say blocking detection is off and to add hints: %s", line);
	CHECK(!strstr(line, "cap"), "the report blames the worker cap: %s", line);
	free(out);

	uwq_destroy_workqueue(wq);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}

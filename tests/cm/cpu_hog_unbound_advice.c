/* SPDX-License-Identifier: MIT */
/*
 * The CPU hog report's advice fits an unbound queue (src/wq/watchdog.c:
 * "on an unbound queue UWQ_UNBOUND is already there, so UWQ_CPU_INTENSIVE
 * or splitting the item"). Unbound pools are concurrency-managed too (one
 * running item per CPU of the mask), so a hog there delays the items
 * behind it just as on a per-CPU queue; telling its author to use
 * UWQ_UNBOUND, which the queue has, leaves them nothing to do.
 *
 * An unbound queue restricted to one CPU (so its pool runs one managed
 * item at a time), cpu_intensive_ns = 5 ms: a hog item spins until a short
 * item queued behind it has run, four times. On stderr then exactly one
 * "uwq: cm_uhog_fn hogged CPU" line, which
 *  - says where: "unbound workqueue cm_uhog";
 *  - advises UWQ_CPU_INTENSIVE and splitting the item;
 *  - does not advise UWQ_UNBOUND.
 */
#include <uwq/workqueue.h>

#include "util.h"

#define ROUNDS	4

/* Not static: the report names it through dladdr (ENABLE_EXPORTS). */
void cm_uhog_fn(struct uwq_work *w);
void cm_ushort_fn(struct uwq_work *w);

static struct uwq_work hog, short_item;
static atomic_int started, ended, saw_short, short_done;

void cm_uhog_fn(struct uwq_work *w)
{
	uint64_t deadline = now_ns() + UTIL_WAIT_NS;

	(void)w;
	atomic_store(&started, 1);
	/* Spin, never block: only CPU-intensive detection lets the short in. */
	while (!atomic_load(&short_done) && now_ns() < deadline)
		__asm__ __volatile__("" ::: "memory");
	atomic_store(&saw_short, atomic_load(&short_done));
	atomic_store(&ended, 1);
}

void cm_ushort_fn(struct uwq_work *w)
{
	(void)w;
	atomic_store(&short_done, 1);
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

/* The first line of @text starting with @prefix, copied into @line. */
static bool find_line(const char *text, const char *prefix, char *line, size_t len)
{
	for (const char *p = text; *p; ) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);

		if (strncmp(p, prefix, strlen(prefix)) == 0) {
			snprintf(line, len, "%.*s", (int)n, p);
			return true;
		}
		p += n + (eol ? 1 : 0);
	}
	return false;
}

int main(void)
{
	struct uwq_workqueue_attrs *attrs;
	struct uwq_workqueue *wq;
	struct uwq_config cfg;
	char line[1024];
	int cpu, err;
	char *out;

	affinity_cpus(&cpu, 1);
	uwq_config_defaults(&cfg);
	cfg.cpu_intensive_ns = 5 * NSEC_PER_MSEC;
	CHECK((err = uwq_configure(&cfg)) == 0, "uwq_configure: %d", err);
	wq = uwq_alloc_workqueue("cm_uhog", UWQ_UNBOUND, 0);
	CHECK(wq, "alloc failed: %s", strerror(errno));
	attrs = uwq_alloc_workqueue_attrs();
	CHECK(attrs, "alloc attrs failed");
	CPU_ZERO(&attrs->cpumask);
	CPU_SET(cpu, &attrs->cpumask);
	attrs->affn_scope = UWQ_AFFN_SYSTEM;
	CHECK((err = uwq_apply_workqueue_attrs(wq, attrs)) == 0, "apply attrs: %d", err);
	uwq_free_workqueue_attrs(attrs);

	capture_stderr_begin();
	for (int r = 1; r <= ROUNDS; r++) {
		PHASE("hog round");
		atomic_store(&started, 0);
		atomic_store(&ended, 0);
		atomic_store(&short_done, 0);
		uwq_work_init(&hog, cm_uhog_fn);
		uwq_work_init(&short_item, cm_ushort_fn);
		CHECK(uwq_queue_work(wq, &hog), "round %d: queueing the hog failed", r);
		WAIT_UNTIL(atomic_load(&started), "round %d: the hog never started", r);
		CHECK(uwq_queue_work(wq, &short_item), "round %d: queueing the short item failed", r);
		WAIT_UNTIL(atomic_load(&ended), "round %d: the hog never ended", r);
		CHECK(atomic_load(&saw_short),
		      "round %d: the short item queued behind the hog did not run during it", r);
		CHECK(uwq_flush_workqueue(wq) == 0, "flush_workqueue failed");
	}
	PHASE("report");
	WAIT_UNTIL(strstr(captured(), "uwq: cm_uhog_fn hogged CPU"),
		   "no \"uwq: cm_uhog_fn hogged CPU\" report after %d hog runs", ROUNDS);
	out = capture_stderr_end();
	CHECK(count_lines_containing(out, "hogged CPU") == 1, "%d \"hogged CPU\" reports (expected 1)",
	      count_lines_containing(out, "hogged CPU"));
	CHECK(find_line(out, "uwq: cm_uhog_fn hogged CPU", line, sizeof(line)),
	      "the report line does not start \"uwq: cm_uhog_fn hogged CPU\"");
	CHECK(strstr(line, "unbound workqueue cm_uhog"), "the report does not name the unbound queue: %s",
	      line);
	CHECK(strstr(line, "UWQ_CPU_INTENSIVE") && strstr(line, "split"),
	      "the report does not advise UWQ_CPU_INTENSIVE or splitting the item: %s", line);
	CHECK(!strstr(line, "UWQ_UNBOUND"), "the report advises UWQ_UNBOUND to an unbound queue: %s",
	      line);
	free(out);

	uwq_destroy_workqueue(wq);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}

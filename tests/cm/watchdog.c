/* SPDX-License-Identifier: MIT */
/*
 * The watchdog names a stuck pool and what it runs (docs/design.md §3
 * "Concurrency management": growth is capped per pool; a watchdog reports a
 * pool that made no progress past a threshold, naming the stuck function
 * and how long it has run; header struct uwq_config max_workers "at the cap
 * items wait for a running worker, the watchdog says so" and watchdog_ns):
 * with watchdog_ns = 300 ms and max_workers = 2, two items of cm_stuck_fn
 * block (hinted) on a gate on one CPU's pool, so both workers are taken and
 * a third item (cm_waiting_fn) stays queued. On stderr:
 *  - a report "uwq: watchdog: pool <cpu> stuck for <n> ms" that says the
 *    pool is at the worker cap;
 *  - followed by "uwq:   running cm_stuck_fn for <n> ms" lines, one per
 *    stuck item, and no running line naming any other function;
 * then opening the gate lets everything run, each item once.
 */
#include <uwq/workqueue.h>

#include "util.h"

/* Not static: the report names them through dladdr (ENABLE_EXPORTS). */
void cm_stuck_fn(struct uwq_work *w);
void cm_waiting_fn(struct uwq_work *w);

struct item {
	struct uwq_work	w;
	atomic_int	runs;
};

static struct item stuck[2], waiting;
static atomic_int gate, stuck_started;

void cm_stuck_fn(struct uwq_work *w)
{
	atomic_fetch_add(&container_of(w, struct item, w)->runs, 1);
	atomic_fetch_add(&stuck_started, 1);
	uwq_blocking_begin();
	GATE_WAIT(atomic_load(&gate), "gate never opened");
	uwq_blocking_end();
}

void cm_waiting_fn(struct uwq_work *w)
{
	atomic_fetch_add(&container_of(w, struct item, w)->runs, 1);
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

/* "name:state ..." of the uwq threads, for failure messages (a spinning worker shows R). */
static const char *uwq_threads(void)
{
	static char buf[1024];
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	size_t off = 0;
	char comm[64];

	buf[0] = '\0';
	if (!d)
		return buf;
	while ((de = readdir(d)) != NULL && off + 80 < sizeof(buf)) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid > 0 && task_comm(tid, comm, sizeof(comm)) && strncmp(comm, "uwq", 3) == 0)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s:%c ", comm,
						task_state(tid));
	}
	closedir(d);
	return buf;
}

/* Is "stuck for <digits> ms" right after @prefix on every line starting with it? */
static bool headers_well_formed(const char *text, const char *prefix)
{
	size_t plen = strlen(prefix);

	for (const char *p = text; (p = strstr(p, prefix)) != NULL; p += plen) {
		const char *q = p + plen;

		if (p != text && p[-1] != '\n')
			continue;
		if (strncmp(q, "stuck for ", 10) != 0)
			return false;
		q += 10;
		if (*q < '0' || *q > '9')
			return false;
		while (*q >= '0' && *q <= '9')
			q++;
		if (strncmp(q, " ms", 3) != 0)
			return false;
	}
	return true;
}

/* The start of the last line of @text that begins with @prefix, or NULL. */
static const char *last_line_starting(const char *text, const char *prefix)
{
	const char *last = NULL;

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, prefix, strlen(prefix)) == 0)
			last = l;
	return last;
}

/*
 * Each header of @prefix is followed by its running lines: exactly 2 when
 * it says the pool is at its cap (both stuck items hold a worker), at most
 * 2 otherwise.
 */
static bool running_lines_fit(const char *text, const char *prefix)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *eol = strchr(l, '\n'), *r;
		bool cap;
		int n = 0;

		if (strncmp(l, prefix, strlen(prefix)) != 0)
			continue;
		cap = strstr(l, "cap") && (!eol || strstr(l, "cap") < eol);
		for (r = eol ? eol + 1 : NULL; r && strncmp(r, "uwq:   running ", 15) == 0;
		     r = strchr(r, '\n') ? strchr(r, '\n') + 1 : NULL)
			n++;
		if (cap ? n != 2 : n > 2)
			return false;
	}
	return true;
}

int main(void)
{
	struct uwq_workqueue *wq;
	struct uwq_config cfg;
	char header[64], *out;
	const char *h;
	int cpu, err, running, running_stuck;

	affinity_cpus(&cpu, 1);
	uwq_config_defaults(&cfg);
	cfg.watchdog_ns = 300 * NSEC_PER_MSEC;
	cfg.max_workers = 2;
	CHECK((err = uwq_configure(&cfg)) == 0, "uwq_configure: %d", err);
	wq = uwq_alloc_workqueue("cm_watchdog", 0, 0);
	CHECK(wq, "alloc failed: %s", strerror(errno));
	snprintf(header, sizeof(header), "uwq: watchdog: pool %d ", cpu);

	capture_stderr_begin();
	PHASE("hit the cap");
	for (int i = 0; i < 2; i++) {
		uwq_work_init(&stuck[i].w, cm_stuck_fn);
		CHECK(uwq_queue_work_on(cpu, wq, &stuck[i].w), "queueing stuck item %d failed", i);
	}
	WAIT_UNTIL(atomic_load(&stuck_started) == 2, "%d of 2 stuck items started; threads: %s",
		   atomic_load(&stuck_started), uwq_threads());
	uwq_work_init(&waiting.w, cm_waiting_fn);
	CHECK(uwq_queue_work_on(cpu, wq, &waiting.w), "queueing the waiting item failed");

	PHASE("wait for the report");
	WAIT_UNTIL(strstr(captured(), header) && strstr(captured(), "uwq:   running cm_stuck_fn for "),
		   "no watchdog report naming cm_stuck_fn for pool %d; threads: %s", cpu,
		   uwq_threads());
	CHECK(atomic_load(&waiting.runs) == 0, "the item queued past the cap ran");

	PHASE("open the gate");
	atomic_store(&gate, 1);
	CHECK(uwq_flush_workqueue(wq) == 0, "flush_workqueue failed");
	out = capture_stderr_end();

	CHECK(atomic_load(&stuck[0].runs) == 1 && atomic_load(&stuck[1].runs) == 1,
	      "stuck items ran %d and %d times", atomic_load(&stuck[0].runs),
	      atomic_load(&stuck[1].runs));
	CHECK(atomic_load(&waiting.runs) == 1, "the waiting item ran %d times",
	      atomic_load(&waiting.runs));

	/* The report: header(s) for this pool only, well formed, at the cap. */
	CHECK(count_lines_starting(out, header) >= 1, "no line starts \"%s\"", header);
	CHECK(count_lines_starting(out, "uwq: watchdog: pool ") == count_lines_starting(out, header),
	      "a watchdog report for another pool than %d", cpu);
	CHECK(headers_well_formed(out, header), "a header is not \"%sstuck for <n> ms...\"", header);
	/* The last report came after both stuck items ran and the third was
	 * queued: the pool was at its cap then. (On a loaded machine an
	 * earlier report can come while the second worker is still being
	 * made; it rightly says something else.) */
	h = last_line_starting(out, header);
	CHECK(h && strstr(h, "cap") && strstr(h, "cap") < strchr(h, '\n'),
	      "the last watchdog header does not say the pool is at the worker cap");
	/* Every running line names the stuck function, 2 per report at the cap. */
	running = count_lines_starting(out, "uwq:   running ");
	running_stuck = count_lines_starting(out, "uwq:   running cm_stuck_fn for ");
	CHECK(running == running_stuck, "%d running lines, %d naming cm_stuck_fn", running,
	      running_stuck);
	CHECK(running_lines_fit(out, header), "a report at the cap without 2 running lines, or one with more");
	CHECK(count_lines_containing(out, "cm_waiting_fn") == 0,
	      "the report names the queued (not running) function");
	free(out);

	uwq_destroy_workqueue(wq);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}

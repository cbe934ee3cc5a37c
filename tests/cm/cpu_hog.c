/* SPDX-License-Identifier: MIT */
/*
 * CPU hogs leave concurrency management (docs/design.md §3: an item that
 * runs on a CPU past a threshold, the kernel's 10 ms, is marked
 * CPU-intensive and leaves concurrency management, so it cannot starve the
 * rest of the pool; the kernel's wq_worker_tick(), including the report at
 * the 4th occurrence per function):
 * with cpu_intensive_ns = 5 ms, a hog item on one CPU's bound pool spins
 * (never blocks) until the short items queued behind it on the same CPU
 * have run, or a generous deadline passes:
 *  - all 8 short items run while the hog still runs, on that CPU's pool;
 *  - after 3 hog runs of the same function no "hogged CPU" report; after
 *    the 4th exactly one, a "uwq: cm_hog_fn hogged CPU" line on stderr,
 *    naming the per-CPU queue and advising UWQ_CPU_INTENSIVE or UWQ_UNBOUND
 *    (tests/cm/cpu_hog_unbound_advice.c has the unbound queue's advice).
 */
#include <uwq/workqueue.h>

#include "util.h"

#define NSHORT		8
#define ROUNDS		4

/* Not static: the report names it through dladdr (ENABLE_EXPORTS). */
void cm_hog_fn(struct uwq_work *w);
void cm_short_fn(struct uwq_work *w);

struct hog {
	struct uwq_work	w;
	atomic_int	target;		/* shorts it waits for */
	atomic_int	started, ended, saw_all;
};

struct short_item {
	struct uwq_work	w;
	atomic_int	runs;
	atomic_int	during_hog;	/* ran while the hog was running */
	atomic_int	wrong_pool;
};

static struct hog hog;
static struct short_item shorts[NSHORT];
static atomic_int shorts_done;
static int the_cpu;
static char pool_prefix[32];

void cm_hog_fn(struct uwq_work *w)
{
	struct hog *h = container_of(w, struct hog, w);
	uint64_t deadline = now_ns() + UTIL_WAIT_NS;

	atomic_store(&h->started, 1);
	/* Spin, never block: only CPU-intensive detection lets the shorts in. */
	while (atomic_load(&shorts_done) < atomic_load(&h->target) && now_ns() < deadline)
		__asm__ __volatile__("" ::: "memory");
	atomic_store(&h->saw_all, atomic_load(&shorts_done) >= atomic_load(&h->target));
	atomic_store(&h->ended, 1);
}

void cm_short_fn(struct uwq_work *w)
{
	struct short_item *s = container_of(w, struct short_item, w);
	char comm[32];

	if (atomic_load(&hog.started) && !atomic_load(&hog.ended))
		atomic_store(&s->during_hog, 1);
	if (!task_comm(util_gettid(), comm, sizeof(comm)) ||
	    strncmp(comm, pool_prefix, strlen(pool_prefix)) != 0 || sched_getcpu() != the_cpu)
		atomic_store(&s->wrong_pool, 1);
	atomic_fetch_add(&s->runs, 1);
	atomic_fetch_add(&shorts_done, 1);
}

/* Does the stderr captured so far contain @needle? */
static bool captured_has(const char *needle)
{
	int fd = atomic_load(&util_capture_fd);
	static char buf[1 << 16];
	ssize_t n;

	CHECK(fd >= 0, "stderr not captured");
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static void round_(struct uwq_workqueue *wq, int round, int nshort)
{
	char what[32];

	snprintf(what, sizeof(what), "hog round %d", round);
	PHASE(what);
	uwq_work_init(&hog.w, cm_hog_fn);
	atomic_store(&hog.target, nshort);
	atomic_store(&hog.started, 0);
	atomic_store(&hog.ended, 0);
	atomic_store(&hog.saw_all, 0);
	atomic_store(&shorts_done, 0);
	for (int i = 0; i < nshort; i++) {
		uwq_work_init(&shorts[i].w, cm_short_fn);
		atomic_store(&shorts[i].runs, 0);
		atomic_store(&shorts[i].during_hog, 0);
		atomic_store(&shorts[i].wrong_pool, 0);
	}

	CHECK(uwq_queue_work_on(the_cpu, wq, &hog.w), "%s: queueing the hog failed", what);
	WAIT_UNTIL(atomic_load(&hog.started), "%s: the hog never started", what);
	/* Queued behind a running hog on the same pool. */
	for (int i = 0; i < nshort; i++)
		CHECK(uwq_queue_work_on(the_cpu, wq, &shorts[i].w), "%s: queueing short %d failed",
		      what, i);
	WAIT_UNTIL(atomic_load(&hog.ended), "%s: the hog never ended (%d of %d shorts ran)", what,
		   atomic_load(&shorts_done), nshort);
	CHECK(uwq_flush_workqueue(wq) == 0, "flush_workqueue failed");

	CHECK(atomic_load(&hog.saw_all),
	      "%s: the hog ran for %llu s and only %d of %d short items queued behind it ran meanwhile",
	      what, (unsigned long long)(UTIL_WAIT_NS / NSEC_PER_SEC), atomic_load(&shorts_done),
	      nshort);
	for (int i = 0; i < nshort; i++) {
		CHECK(atomic_load(&shorts[i].runs) == 1, "%s: short %d ran %d times", what, i,
		      atomic_load(&shorts[i].runs));
		CHECK(atomic_load(&shorts[i].during_hog), "%s: short %d did not run during the hog",
		      what, i);
		CHECK(!atomic_load(&shorts[i].wrong_pool), "%s: short %d ran outside CPU %d's pool",
		      what, i, the_cpu);
	}
}

int main(void)
{
	struct uwq_workqueue *wq;
	struct uwq_config cfg;
	char *out;
	int err;

	affinity_cpus(&the_cpu, 1);
	snprintf(pool_prefix, sizeof(pool_prefix), "uwq/%d:", the_cpu);
	uwq_config_defaults(&cfg);
	cfg.cpu_intensive_ns = 5 * NSEC_PER_MSEC;
	CHECK((err = uwq_configure(&cfg)) == 0, "uwq_configure: %d", err);
	wq = uwq_alloc_workqueue("cm_hog", 0, 0);
	CHECK(wq, "alloc failed: %s", strerror(errno));

	capture_stderr_begin();
	round_(wq, 1, NSHORT);
	for (int r = 2; r <= ROUNDS; r++) {
		if (r == ROUNDS)
			CHECK(!captured_has("hogged CPU"),
			      "a hog report came before the %dth hog run", ROUNDS);
		round_(wq, r, 1);
	}
	PHASE("report");
	WAIT_UNTIL(captured_has("uwq: cm_hog_fn hogged CPU"),
		   "no \"uwq: cm_hog_fn hogged CPU\" report after %d hog runs", ROUNDS);
	out = capture_stderr_end();
	CHECK(count_lines_containing(out, "hogged CPU") == 1,
	      "%d \"hogged CPU\" reports after %d hog runs (expected 1)",
	      count_lines_containing(out, "hogged CPU"), ROUNDS);
	CHECK(count_lines_starting(out, "uwq: cm_hog_fn hogged CPU") == 1,
	      "the report line does not start \"uwq: cm_hog_fn hogged CPU\"");
	CHECK(count_lines_containing(out, "per-CPU workqueue cm_hog") == 1 &&
	      count_lines_containing(out, "UWQ_CPU_INTENSIVE or UWQ_UNBOUND") == 1,
	      "the report does not name the per-CPU queue cm_hog and advise UWQ_CPU_INTENSIVE or UWQ_UNBOUND");
	CHECK(count_lines_containing(out, "cm_short_fn") == 0, "a short item was reported");
	free(out);

	uwq_destroy_workqueue(wq);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}

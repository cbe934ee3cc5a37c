/* SPDX-License-Identifier: MIT */
/*
 * Reports name static functions (src/core/log.c, src/core/symbols.c):
 * dladdr() knows only exported functions, and -rdynamic (ENABLE_EXPORTS,
 * as every test is linked) exports no static one, so these names come from
 * the objects' ELF symbol tables.
 *  - in the program: NITEMS items of a static work function flush
 *    themselves at the same time (each waits, hinted, until all have
 *    started, so the first lookups race to fill the symbol cache); each
 *    gets the one-line report, and every line names the function with the
 *    program, "work function self_flushing_fn (<program>) would wait for
 *    itself";
 *  - in a shared object: uwq_dump(), while an ordered-completion item
 *    runs, names the item's work function, libuwq's static ordered_run,
 *    "ordered_run (libuwq.so...)" (a load bias other than the program's);
 *  - no report line falls back to an address ("0x").
 * The build never strips either object.
 */
#include <dlfcn.h>
#include <uwq/ordered.h>
#include <uwq/stats.h>
#include <uwq/workqueue.h>

#include "util.h"

#define NITEMS	4

static atomic_int started, flushed, flush_true;
static atomic_int run_started, gate;

static __attribute__((noinline)) void self_flushing_fn(struct uwq_work *w)
{
	atomic_fetch_add(&started, 1);
	uwq_blocking_begin();
	GATE_WAIT(atomic_load(&started) == NITEMS, "%d of %d items started", atomic_load(&started),
		  NITEMS);
	uwq_blocking_end();
	if (uwq_flush_work(w))
		atomic_fetch_add(&flush_true, 1);
	atomic_fetch_add(&flushed, 1);
}

static __attribute__((noinline)) void gated_run(struct uwq_ordered_work *ow)
{
	(void)ow;
	atomic_store(&run_started, 1);
	uwq_blocking_begin();
	GATE_WAIT(atomic_load(&gate), "gate never opened");
	uwq_blocking_end();
}

static void check_static_in_program(const char *prog)
{
	struct uwq_work w[NITEMS];
	struct uwq_workqueue *wq;
	char want[256];
	Dl_info info;
	void *addr;
	char *out;

	/* The test proves nothing if dladdr() could name it. */
	uwq_work_fn fn = self_flushing_fn;

	memcpy(&addr, &fn, sizeof(addr));
	CHECK(dladdr(addr, &info) && !(info.dli_sname && info.dli_saddr == addr),
	      "dladdr() names self_flushing_fn (%s): it is exported, not a static-only name",
	      info.dli_sname ? info.dli_sname : "?");
	wq = uwq_alloc_workqueue("static_names", UWQ_UNBOUND, 0);
	CHECK(wq, "alloc failed: %s", strerror(errno));

	PHASE("self flush reports");
	capture_stderr_begin();
	for (int i = 0; i < NITEMS; i++) {
		uwq_work_init(&w[i], self_flushing_fn);
		CHECK(uwq_queue_work(wq, &w[i]), "queueing item %d failed", i);
	}
	WAIT_UNTIL(atomic_load(&flushed) == NITEMS, "%d of %d items flushed themselves",
		   atomic_load(&flushed), NITEMS);
	CHECK(uwq_flush_workqueue(wq) == 0, "flush_workqueue failed");
	out = capture_stderr_end();
	CHECK(atomic_load(&flush_true) == 0, "uwq_flush_work() of itself returned true %d times",
	      atomic_load(&flush_true));
	snprintf(want, sizeof(want), "work function self_flushing_fn (%s) would wait for itself", prog);
	CHECK(count_lines_containing(out, want) == NITEMS,
	      "%d report lines contain \"%s\", not %d (%d mention self_flushing_fn)",
	      count_lines_containing(out, want), want, NITEMS,
	      count_lines_containing(out, "self_flushing_fn"));
	CHECK(count_lines_containing(out, "0x") == 0, "a report names a function by address");
	free(out);
	uwq_destroy_workqueue(wq);
}

static void check_static_in_library(void)
{
	struct uwq_ordered_work ow;
	struct uwq_ordered_queue *q;
	char *dump = NULL;
	size_t len = 0;
	FILE *f;

	q = uwq_alloc_ordered_queue("static_names_ordered", 0, 0);
	CHECK(q, "alloc_ordered_queue failed: %s", strerror(errno));
	uwq_ordered_work_init(&ow, gated_run, NULL, NULL);
	PHASE("dump of a running ordered item");
	CHECK(uwq_ordered_queue_work(q, &ow) == 0, "ordered queueing failed");
	WAIT_UNTIL(atomic_load(&run_started), "the ordered item never started");
	f = open_memstream(&dump, &len);
	CHECK(f, "open_memstream: %s", strerror(errno));
	uwq_dump(f);
	fclose(f);
	atomic_store(&gate, 1);
	CHECK(uwq_ordered_queue_flush(q) == 0, "ordered flush failed");
	uwq_destroy_ordered_queue(q);
	CHECK(count_lines_containing(dump, "in-flight: ") >= 1, "no in-flight line in the dump:\n%s", dump);
	CHECK(count_lines_containing(dump, ":ordered_run (libuwq.so") == 1,
	      "the dump does not name the running item \"ordered_run (libuwq.so...)\":\n%s", dump);
	free(dump);
}

int main(int argc, char **argv)
{
	(void)argc;
	/* Reports name the program as the loader does: argv[0]'s last part. */
	check_static_in_program(strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0]);
	check_static_in_library();
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}

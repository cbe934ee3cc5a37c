/* SPDX-License-Identifier: MIT */
/*
 * Request, free and line calls validate their arguments as the kernel does
 * (include/uwq/irq.h Return: lines; the errors, sharing rules and the
 * default-primary safety rule of the kernel's __setup_irq() and
 * request_threaded_irq() in kernel/irq/manage.c):
 *  - uwq_request_threaded_irq() gives -EINVAL for an unknown line (0, -1,
 *    9999), both handlers NULL, a NULL name, unknown flag bits, SHARED
 *    without dev_id, and a NULL primary without ONESHOT;
 *  - -EBUSY for a second action on a non-shared line (or a non-shared
 *    newcomer on a shared line), and for shared actions whose ONESHOT flags
 *    differ;
 *  - a failed request never calls its handlers (the line is raised and the
 *    dispatcher proven alive through another line) and leaves no trace: a
 *    valid request on the same line succeeds afterwards;
 *  - uwq_free_irq() with no matching dev_id, and a double free, return NULL
 *    with exactly one "uwq: " warning; a good free returns the very name
 *    pointer given at request;
 *  - raise/destroy/set_affinity on unknown lines give -EINVAL, raise on a
 *    line that is not a software line gives -EINVAL, set_affinity with a
 *    NULL or empty mask gives -EINVAL; uwq_irq_create_fd(-1) and bad
 *    triggers, uwq_irq_create_timer(0), uwq_irq_create(NULL) and a chip
 *    without an fd callback give -EINVAL; uwq_irq_destroy() with handlers
 *    attached gives -EBUSY, and 0 once they are freed.
 */
#include "irqtest.h"

static atomic_int never_calls;	/* handlers of rejected requests */
static atomic_int good_calls;
static atomic_int good_thread_runs;

static uwq_irqreturn_t never_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&never_calls, 1);
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t never_thread(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&never_calls, 1);
	return UWQ_IRQ_HANDLED;
}

static uwq_irqreturn_t good_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&good_calls, 1);
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t good_thread(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&good_thread_runs, 1);
	return UWQ_IRQ_HANDLED;
}

static int dev_a, dev_b, dev_c;
static const char name_a[] = "val_a";	/* compared by address on free */
static const char name_b[] = "val_b";

static void check_never_called(struct probe *p, const char *what)
{
	probe_roundtrip(p, 3);
	CHECK(atomic_load(&never_calls) == 0, "%s: handlers of a failed request ran %d times",
	      what, atomic_load(&never_calls));
}

static void test_request_einval(struct probe *p)
{
	int line = new_eventfd_line();
	const int unknown[] = { 0, -1, 9999 };

	PHASE(__func__);
	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
		CHECK_ERR(uwq_request_threaded_irq(unknown[i], never_primary, never_thread, 0, "x",
						   &dev_a), EINVAL);
		CHECK_ERR(uwq_request_irq(unknown[i], never_primary, 0, "x", &dev_a), EINVAL);
	}
	CHECK_ERR(uwq_request_threaded_irq(line, NULL, NULL, 0, "x", &dev_a), EINVAL);
	CHECK_ERR(uwq_request_threaded_irq(line, NULL, NULL, UWQ_IRQF_ONESHOT, "x", &dev_a), EINVAL);
	CHECK_ERR(uwq_request_irq(line, NULL, 0, "x", &dev_a), EINVAL);
	CHECK_ERR(uwq_request_threaded_irq(line, never_primary, never_thread, 0, NULL, &dev_a),
		  EINVAL);
	CHECK_ERR(uwq_request_irq(line, never_primary, 0, NULL, &dev_a), EINVAL);
	CHECK_ERR(uwq_request_threaded_irq(line, never_primary, never_thread, 1UL << 30, "x",
					   &dev_a), EINVAL);
	CHECK_ERR(uwq_request_threaded_irq(line, never_primary, never_thread,
					   UWQ_IRQF_ONESHOT | (1UL << 30), "x", &dev_a), EINVAL);
	CHECK_ERR(uwq_request_irq(line, never_primary, UWQ_IRQF_SHARED, "x", NULL), EINVAL);
	CHECK_ERR(uwq_request_threaded_irq(line, never_primary, never_thread, UWQ_IRQF_SHARED, "x",
					   NULL), EINVAL);
	CHECK_ERR(uwq_request_threaded_irq(line, NULL, never_thread, 0, "x", &dev_a), EINVAL);
	CHECK_ERR(uwq_request_threaded_irq(line, NULL, never_thread, UWQ_IRQF_SHARED, "x", &dev_a),
		  EINVAL);

	/* The line has no handlers: raising it must reach none of the above. */
	CHECK_RC(uwq_irq_raise(line), "raise(line without handlers)");
	check_never_called(p, "-EINVAL requests");

	/* No trace left: a valid request on the same line works. */
	atomic_store(&good_calls, 0);
	atomic_store(&good_thread_runs, 0);
	CHECK_RC(uwq_request_threaded_irq(line, good_primary, good_thread, 0, name_a, &dev_a),
		 "valid request after the failed ones");
	CHECK_RC(uwq_irq_raise(line), "raise");
	WAIT_UNTIL(atomic_load(&good_thread_runs) >= 1, "valid action did not run (primary %d)",
		   atomic_load(&good_calls));
	CHECK(atomic_load(&never_calls) == 0, "rejected handlers ran");
	CHECK(uwq_free_irq(line, &dev_a) == name_a, "free did not return the name pointer");
	CHECK_RC(uwq_irq_destroy(line), "destroy");
}

static void test_request_ebusy(struct probe *p)
{
	int solo = new_eventfd_line();
	int shared = new_eventfd_line();
	int before;

	PHASE(__func__);
	atomic_store(&good_calls, 0);
	atomic_store(&good_thread_runs, 0);

	/* A non-shared line takes no second action, shared or not. */
	CHECK_RC(uwq_request_threaded_irq(solo, good_primary, good_thread, 0, name_a, &dev_a),
		 "request(solo)");
	CHECK_ERR(uwq_request_threaded_irq(solo, never_primary, never_thread, 0, "x", &dev_b),
		  EBUSY);
	CHECK_ERR(uwq_request_threaded_irq(solo, never_primary, never_thread, UWQ_IRQF_SHARED, "x",
					   &dev_b), EBUSY);
	CHECK_ERR(uwq_request_irq(solo, never_primary, 0, "x", &dev_a), EBUSY);

	/* A shared line: a non-shared newcomer, or a different ONESHOT flag. */
	CHECK_RC(uwq_request_threaded_irq(shared, good_primary, good_thread, UWQ_IRQF_SHARED,
					  name_b, &dev_b), "request(shared)");
	CHECK_ERR(uwq_request_threaded_irq(shared, never_primary, never_thread, 0, "x", &dev_c),
		  EBUSY);
	CHECK_ERR(uwq_request_threaded_irq(shared, never_primary, never_thread,
					   UWQ_IRQF_SHARED | UWQ_IRQF_ONESHOT, "x", &dev_c), EBUSY);
	CHECK_ERR(uwq_request_threaded_irq(shared, NULL, never_thread,
					   UWQ_IRQF_SHARED | UWQ_IRQF_ONESHOT, "x", &dev_c), EBUSY);

	/* Raise both lines: only the accepted actions run. */
	before = atomic_load(&good_thread_runs);
	CHECK_RC(uwq_irq_raise(solo), "raise(solo)");
	WAIT_UNTIL(atomic_load(&good_thread_runs) >= before + 1, "solo line did not run");
	before = atomic_load(&good_thread_runs);
	CHECK_RC(uwq_irq_raise(shared), "raise(shared)");
	WAIT_UNTIL(atomic_load(&good_thread_runs) >= before + 1, "shared line did not run");
	uwq_synchronize_irq(solo);
	uwq_synchronize_irq(shared);
	check_never_called(p, "-EBUSY requests");

	/* The ONESHOT mismatch the other way round: first ONESHOT, then not. */
	CHECK(uwq_free_irq(shared, &dev_b) == name_b, "free(shared) did not return the name");
	CHECK_RC(uwq_request_threaded_irq(shared, good_primary, good_thread,
					  UWQ_IRQF_SHARED | UWQ_IRQF_ONESHOT, name_b, &dev_b),
		 "request(shared, oneshot)");
	CHECK_ERR(uwq_request_threaded_irq(shared, never_primary, never_thread, UWQ_IRQF_SHARED, "x",
					   &dev_c), EBUSY);
	before = atomic_load(&good_thread_runs);
	CHECK_RC(uwq_irq_raise(shared), "raise(shared)");
	WAIT_UNTIL(atomic_load(&good_thread_runs) >= before + 1, "oneshot shared line did not run");
	uwq_synchronize_irq(shared);
	check_never_called(p, "-EBUSY oneshot mismatch");

	/* Destroy refuses while handlers are attached. */
	CHECK_ERR(uwq_irq_destroy(solo), EBUSY);
	CHECK_ERR(uwq_irq_destroy(shared), EBUSY);

	CHECK(uwq_free_irq(solo, &dev_a) == name_a, "free(solo) did not return the name pointer");
	CHECK(uwq_free_irq(shared, &dev_b) == name_b, "free(shared) did not return the name pointer");
	CHECK_RC(uwq_irq_destroy(solo), "destroy(solo)");
	CHECK_RC(uwq_irq_destroy(shared), "destroy(shared)");
	CHECK_ERR(uwq_irq_destroy(solo), EINVAL);	/* now unknown */
}

static void expect_free_warns(int irq, void *dev_id, const char *what)
{
	const char *ret;
	char *err;
	int lines;

	capture_stderr_begin();
	ret = uwq_free_irq(irq, dev_id);
	err = capture_stderr_end();
	CHECK(ret == NULL, "%s: free_irq returned \"%s\", want NULL", what, ret);
	lines = count_lines_starting(err, "uwq: ");
	CHECK(lines == 1, "%s: %d \"uwq: \" lines, want exactly one warning", what, lines);
	free(err);
}

static void test_free(void)
{
	int line = new_eventfd_line();
	int empty = new_eventfd_line();

	PHASE(__func__);
	CHECK_RC(uwq_request_irq(line, good_primary, UWQ_IRQF_SHARED, name_a, &dev_a),
		 "request(a)");
	CHECK_RC(uwq_request_irq(line, good_primary, UWQ_IRQF_SHARED, name_b, &dev_b),
		 "request(b)");
	expect_free_warns(line, &dev_c, "free with an unknown dev_id");
	expect_free_warns(line, NULL, "free with a NULL dev_id on a shared line");
	expect_free_warns(empty, &dev_a, "free on a line without actions");

	CHECK(uwq_free_irq(line, &dev_b) == name_b, "free(b) did not return the name pointer");
	expect_free_warns(line, &dev_b, "double free of b");
	CHECK(uwq_free_irq(line, &dev_a) == name_a, "free(a) did not return the name pointer");
	expect_free_warns(line, &dev_a, "double free of a");

	/* Unknown lines: NULL, no crash (the warning count is not specified). */
	CHECK(uwq_free_irq(0, &dev_a) == NULL, "free_irq(0) returned non-NULL");
	CHECK(uwq_free_irq(9999, &dev_a) == NULL, "free_irq(9999) returned non-NULL");

	CHECK_RC(uwq_irq_destroy(line), "destroy");
	CHECK_RC(uwq_irq_destroy(empty), "destroy(empty)");
}

static int bad_chip_fd(void *chip_data)
{
	(void)chip_data;
	return -1;
}

static void test_lines(void)
{
	const int unknown[] = { 0, -1, 9999 };
	cpu_set_t set, empty;
	int pfd[2], fdline, line;
	int cpus[1];

	PHASE(__func__);
	affinity_cpus(cpus, 1);
	CPU_ZERO(&set);
	CPU_SET(cpus[0], &set);
	CPU_ZERO(&empty);
	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
		CHECK_ERR(uwq_irq_raise(unknown[i]), EINVAL);
		CHECK_ERR(uwq_irq_destroy(unknown[i]), EINVAL);
		CHECK_ERR(uwq_irq_set_affinity(unknown[i], &set), EINVAL);
		/* void calls on unknown lines: no crash */
		uwq_disable_irq_nosync(unknown[i]);
		uwq_enable_irq(unknown[i]);
		uwq_synchronize_irq(unknown[i]);
		uwq_irq_wake_thread(unknown[i], &dev_a);
	}

	line = new_eventfd_line();
	CHECK_ERR(uwq_irq_set_affinity(line, NULL), EINVAL);
	CHECK_ERR(uwq_irq_set_affinity(line, &empty), EINVAL);
	CHECK_RC(uwq_irq_set_affinity(line, &set), "set_affinity(one cpu)");

	CHECK(pipe(pfd) == 0, "pipe: %s", strerror(errno));
	CHECK_ERR(uwq_irq_create_fd(-1, UWQ_IRQ_LEVEL), EINVAL);
	CHECK_ERR(uwq_irq_create_fd(-1, UWQ_IRQ_EDGE), EINVAL);
	CHECK_ERR(uwq_irq_create_fd(pfd[0], 0), EINVAL);
	CHECK_ERR(uwq_irq_create_fd(pfd[0], 1u << 8), EINVAL);
	CHECK_ERR(uwq_irq_create_timer(0), EINVAL);
	{
		struct uwq_irq_chip nofd = { .name = "nofd" };
		struct uwq_irq_chip negfd = { .name = "negfd", .fd = bad_chip_fd };

		CHECK_ERR(uwq_irq_create(NULL, NULL), EINVAL);
		CHECK_ERR(uwq_irq_create(&nofd, NULL), EINVAL);
		CHECK_ERR(uwq_irq_create(&negfd, NULL), EINVAL);
	}

	/* Only software lines can be raised. */
	fdline = uwq_irq_create_fd(pfd[0], UWQ_IRQ_LEVEL);
	CHECK(fdline >= 1, "create_fd(pipe) returned %d", fdline);
	CHECK_ERR(uwq_irq_raise(fdline), EINVAL);
	CHECK_RC(uwq_irq_destroy(fdline), "destroy(fd line)");
	CHECK_RC(uwq_irq_destroy(line), "destroy(line)");
	close(pfd[0]);
	close(pfd[1]);
}

int main(void)
{
	struct probe p;

	probe_init(&p);
	test_request_einval(&p);
	test_request_ebusy(&p);
	test_free();
	test_lines();
	check_never_called(&p, "end");
	probe_fini(&p);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}

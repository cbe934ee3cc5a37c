/* SPDX-License-Identifier: MIT */
/*
 * tests/irq/irqtest.h - helpers shared by the irq test programs (header-only;
 * CMake only builds the .c files of tests/irq, so this file is not a test itself).
 *
 *  - irq_thread_name(): the name an action's thread must carry,
 *    "irq/<n>-<name>" cut to 15 characters (docs/design.md §2, as the
 *    kernel's setup_irq_thread() in kernel/irq/manage.c names it);
 *  - a *probe line*: an eventfd line with a counting primary. A round trip
 *    (raise it, wait until its primary ran) proves the dispatcher is alive
 *    and has looked at everything that was ready before the raise, so a test
 *    can assert that something did NOT happen without sleeping;
 *  - struct caller: runs one blocking uwq call (disable_irq, synchronize_irq,
 *    free_irq) in a helper thread, so the test can watch it wait.
 */
#ifndef UWQ_TESTS_IRQTEST_H
#define UWQ_TESTS_IRQTEST_H

#include <uwq/irq.h>
#include <uwq/workqueue.h>

#include "util.h"

#define IRQ_COMM_LEN	16	/* 15 characters and the NUL, as the kernel's TASK_COMM_LEN */

/* CHECK_RC(rc, what) - rc must be 0; else name the call and the errno. */
#define CHECK_RC(rc, what) do {							\
	int crc_ = (rc);							\
	CHECK(crc_ == 0, "%s returned %d (%s)", (what), crc_,			\
	      crc_ < 0 ? strerror(-crc_) : "positive");				\
} while (0)

/* CHECK_ERR(expr, err) - @expr must return -@err. */
#define CHECK_ERR(expr, err) do {						\
	int cerr_ = (expr);							\
	CHECK(cerr_ == -(err), "%s returned %d (%s), want -%s", #expr, cerr_,	\
	      cerr_ < 0 ? strerror(-cerr_) : "not an error", #err);		\
} while (0)

/* new_eventfd_line() - an eventfd line, or fail. */
static inline int new_eventfd_line(void)
{
	int irq = uwq_irq_create_eventfd();

	CHECK(irq >= 1, "uwq_irq_create_eventfd returned %d (%s)", irq,
	      irq < 0 ? strerror(-irq) : "line numbers start at 1");
	return irq;
}

/* irq_thread_name() - "irq/<irq>-<name>" cut to 15 characters, into @buf. */
static inline void irq_thread_name(char buf[IRQ_COMM_LEN], int irq, const char *name)
{
	char full[128];

	snprintf(full, sizeof(full), "irq/%d-%s", irq, name);
	memcpy(buf, full, IRQ_COMM_LEN - 1);
	buf[IRQ_COMM_LEN - 1] = '\0';
}

/* self_name() - the calling thread's name (pthread_getname_np) into @buf. */
static inline void self_name(char buf[IRQ_COMM_LEN])
{
	int err = pthread_getname_np(pthread_self(), buf, IRQ_COMM_LEN);

	if (err)
		snprintf(buf, IRQ_COMM_LEN, "<err %d>", err);
}

/* ---- probe line ---------------------------------------------------------- */

struct probe {
	int		irq;
	atomic_int	count;
};

static inline uwq_irqreturn_t probe_primary(int irq, void *dev_id)
{
	struct probe *p = dev_id;

	(void)irq;
	atomic_fetch_add(&p->count, 1);
	return UWQ_IRQ_HANDLED;
}

static inline void probe_init(struct probe *p)
{
	p->irq = new_eventfd_line();
	atomic_store(&p->count, 0);
	CHECK_RC(uwq_request_irq(p->irq, probe_primary, 0, "probe", p), "request_irq(probe)");
}

/*
 * probe_roundtrip() - @n times: raise the probe line and wait until its
 * primary ran. Everything that was ready before has been seen by then.
 */
static inline void probe_roundtrip(struct probe *p, int n)
{
	for (int i = 0; i < n; i++) {
		int before = atomic_load(&p->count);

		CHECK_RC(uwq_irq_raise(p->irq), "raise(probe)");
		WAIT_UNTIL(atomic_load(&p->count) > before,
			   "probe line %d: dispatcher did not deliver (count %d)", p->irq,
			   atomic_load(&p->count));
	}
}

static inline void probe_fini(struct probe *p)
{
	const char *name = uwq_free_irq(p->irq, p);

	CHECK(name && strcmp(name, "probe") == 0, "free_irq(probe) returned %s",
	      name ? name : "NULL");
	CHECK_RC(uwq_irq_destroy(p->irq), "destroy(probe)");
}

/* ---- a blocking call in a helper thread ---------------------------------- */

enum caller_op { CALL_DISABLE, CALL_DISABLE_NOSYNC, CALL_SYNCHRONIZE, CALL_FREE };

struct caller {
	pthread_t		thread;
	enum caller_op		op;
	int			irq;
	void			*dev_id;
	atomic_int		*watch;		/* sampled right after the call returns */
	atomic_int		tid;
	atomic_int		entered;	/* about to make the call */
	atomic_int		returned;	/* the call returned */
	atomic_int		watch_at_return;
	const char *_Atomic	name;		/* CALL_FREE's result */
};

static inline void *caller_main(void *arg)
{
	struct caller *c = arg;
	const char *name = NULL;

	pthread_setname_np(pthread_self(), "test-caller");
	atomic_store(&c->tid, (int)util_gettid());
	atomic_store(&c->entered, 1);
	switch (c->op) {
	case CALL_DISABLE:
		uwq_disable_irq(c->irq);
		break;
	case CALL_DISABLE_NOSYNC:
		uwq_disable_irq_nosync(c->irq);
		break;
	case CALL_SYNCHRONIZE:
		uwq_synchronize_irq(c->irq);
		break;
	case CALL_FREE:
		name = uwq_free_irq(c->irq, c->dev_id);
		break;
	}
	if (c->watch)
		atomic_store(&c->watch_at_return, atomic_load(c->watch));
	atomic_store(&c->name, name);
	atomic_store(&c->returned, 1);
	return NULL;
}

/* caller_start() - run @op on @irq in a new thread; wait until it is about to call. */
static inline void caller_start(struct caller *c, enum caller_op op, int irq, void *dev_id,
				atomic_int *watch)
{
	memset(c, 0, sizeof(*c));
	c->op = op;
	c->irq = irq;
	c->dev_id = dev_id;
	c->watch = watch;
	c->thread = start_thread(caller_main, c);
	WAIT_UNTIL(atomic_load(&c->entered), "helper thread never started");
}

/*
 * caller_expect_waiting() - the call must still be waiting: wait until the
 * helper is seen asleep (inside the call: it does nothing else), failing at
 * once if the call returns instead.
 */
static inline void caller_expect_waiting(struct caller *c, const char *what)
{
	uint64_t deadline = now_ns() + 2 * NSEC_PER_SEC;
	unsigned spins = 0;

	for (;;) {
		char st;

		if (atomic_load(&c->returned))
			FAIL("%s returned while a handler of the line was still running", what);
		st = task_state((pid_t)atomic_load(&c->tid));
		if (st == 'S' || st == 'D')
			break;
		if (now_ns() > deadline) {
			NOTE("note: %s caller not seen asleep (state '%c'); going on", what, st);
			break;
		}
		util_pause(&spins);
	}
	CHECK(!atomic_load(&c->returned),
	      "%s returned while a handler of the line was still running", what);
}

/* caller_finish() - wait until the call returned, and join the helper. */
static inline void caller_finish(struct caller *c, const char *what)
{
	WAIT_UNTIL(atomic_load(&c->returned), "%s never returned", what);
	join_thread(c->thread);
}

#endif /* UWQ_TESTS_IRQTEST_H */

/* SPDX-License-Identifier: MIT */
/*
 * fuzz_api - libFuzzer target for the argument validation of the public
 * API: the input is a program of calls with arbitrary arguments (numbers,
 * flag words, names, masks, handler choices, line numbers, dev_ids) on a
 * few queues, items and lines, run on one live uwq that every input
 * shares. Each call's result must be one docs/bad-input.md and the headers
 * allow for it, and the program's end checks what must hold whatever the
 * arguments were:
 *  - every successful queueing ran exactly once, or was cancelled: runs of
 *    each item == true returns of uwq_queue_work*() - true returns of the
 *    cancel (queues flushed and destroyed, delayed items cancelled);
 *  - every successful request is freed by uwq_free_irq() returning the
 *    name it was given; a free that matches no request returns NULL;
 *  - every line made is destroyed (0) once its actions are freed and its
 *    disable depth is back to 0.
 * A failed check aborts, which libFuzzer reports with the input. Reports
 * ("uwq: ..." lines) are expected: bad input is what this feeds.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uwq.h>
#include <uwq/stats.h>

#define FAIL(...)                                          \
	do {                                               \
		fprintf(stderr, "fuzz_api: " __VA_ARGS__); \
		fputc('\n', stderr);                       \
		abort();                                   \
	} while (0)
#define CHECK(cond, ...)                   \
	do {                               \
		if (!(cond))               \
			FAIL(__VA_ARGS__); \
	} while (0)

#define NWQ	2
#define NWORK	4
#define NLINE	2
#define NACT	8
#define MAXOPS	48

/* The input, read front to back; zeros once it runs out. */
struct in {
	const uint8_t	*p;
	size_t		n;
};

static uint64_t take(struct in *in, size_t bytes)
{
	uint64_t v = 0;

	for (size_t i = 0; i < bytes; i++) {
		v = v << 8 | (in->n ? *in->p : 0);
		if (in->n) {
			in->p++;
			in->n--;
		}
	}
	return v;
}

/* Interesting values more often than uniform ones. */
static int64_t take_int(struct in *in)
{
	static const int64_t edge[] = { 0, 1, -1, 2, 64, 2048, 2049, INT_MAX, INT_MIN, 1000000 };
	unsigned k = (unsigned)take(in, 1);

	return k < 2 * 10 ? edge[k % 10] : (int32_t)take(in, 4);
}

static struct uwq_workqueue *wqs[NWQ];
static struct uwq_work works[NWORK];
static struct uwq_delayed_work dworks[NWORK];
static atomic_long runs[2 * NWORK];
static long trues[2 * NWORK];

struct act {
	int		irq;
	void		*dev;
	const char	*name;
};
static struct act acts[NACT];
static int nacts;
static int lines[NLINE], depth[NLINE];
static int devs[4];
static char names[NACT][24];

static void work_fn(struct uwq_work *w)
{
	atomic_fetch_add(&runs[w - works], 1);
}

static void dwork_fn(struct uwq_work *w)
{
	atomic_fetch_add(&runs[NWORK + (uwq_to_delayed_work(w) - dworks)], 1);
}

static uwq_irqreturn_t prim_none(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	return UWQ_IRQ_NONE;
}

static uwq_irqreturn_t prim_handled(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	return UWQ_IRQ_HANDLED;
}

static uwq_irqreturn_t prim_wake(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t thread_fn(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	return UWQ_IRQ_HANDLED;
}

static struct uwq_workqueue *pick_wq(struct in *in)
{
	unsigned k = (unsigned)take(in, 1) % (NWQ + 2);

	if (k < NWQ)
		return wqs[k];
	return k == NWQ ? NULL : uwq_system_wq;
}

/* A line made here, or any number at all. */
static int pick_irq(struct in *in)
{
	unsigned k = (unsigned)take(in, 1) % (NLINE + 1);

	return k < NLINE && lines[k] > 0 ? lines[k] : (int)take_int(in);
}

static int line_index(int irq)
{
	for (int i = 0; i < NLINE; i++)
		if (lines[i] > 0 && lines[i] == irq)
			return i;
	return -1;
}

static void take_mask(struct in *in, cpu_set_t *m)
{
	uint64_t bits = take(in, 2);

	CPU_ZERO(m);
	for (int c = 0; c < 16; c++)
		if (bits >> c & 1)
			CPU_SET(c, m);
}

static void op_alloc_wq(struct in *in)
{
	unsigned slot = (unsigned)take(in, 1) % NWQ, flags = (unsigned)take(in, 1);
	int max_active = (int)take_int(in);
	char name[40];
	size_t len = take(in, 1) % sizeof(name);
	struct uwq_workqueue *wq;

	/* Mostly the known flags, sometimes any bit. */
	flags = flags & 0x80 ? (unsigned)take(in, 4) : flags & 0x3e;
	for (size_t i = 0; i < len; i++)
		name[i] = (char)(take(in, 1) | 1);
	name[len] = '\0';
	errno = 0;
	wq = uwq_alloc_workqueue(len == 1 ? NULL : name, flags, max_active);
	if (!wq) {
		CHECK(errno == EINVAL || errno == ENOMEM, "alloc_workqueue: NULL with errno %d", errno);
		return;
	}
	if (wqs[slot]) {
		/* Armed delayed items must not outlive their queue (the
		 * caller's contract): cancel them all first. */
		for (int i = 0; i < NWORK; i++)
			trues[NWORK + i] -= uwq_cancel_delayed_work_sync(&dworks[i]);
		uwq_destroy_workqueue(wqs[slot]);	/* drains: its items run */
	}
	wqs[slot] = wq;
}

static void op_limits(struct in *in)
{
	struct uwq_workqueue *wq = pick_wq(in);
	int v = (int)take_int(in), r;

	if (take(in, 1) & 1) {
		r = uwq_workqueue_set_max_active(wq, v);
		CHECK(r == 0 || r == -EINVAL, "set_max_active(%d): %d", v, r);
		CHECK(r == -EINVAL || (wq && v >= 0), "set_max_active(%p, %d) accepted", (void *)wq, v);
	} else {
		r = uwq_workqueue_set_max_pending(wq, v);
		CHECK(r == 0 || r == -EINVAL, "set_max_pending(%d): %d", v, r);
		CHECK(r == -EINVAL || (wq && v >= 0), "set_max_pending(%p, %d) accepted", (void *)wq, v);
	}
}

static void op_queue(struct in *in)
{
	struct uwq_workqueue *wq = pick_wq(in);
	unsigned k = (unsigned)take(in, 1), i = k % NWORK;
	bool ok;

	switch (k / NWORK % 4) {
	case 0:
		ok = uwq_queue_work(wq, &works[i]);
		break;
	case 1:
		ok = uwq_queue_work_on((int)take_int(in), wq, &works[i]);
		break;
	case 2: {
		int r = uwq_try_queue_work(wq, &works[i]);

		CHECK(r == 0 || r == -EINVAL || r == -EALREADY || r == -EAGAIN || r == -ESHUTDOWN,
		      "try_queue_work: %d", r);
		CHECK(r != -EINVAL || !wq, "try_queue_work: -EINVAL with a queue");
		ok = r == 0;
		break;
	}
	default: {
		uint64_t delay = take(in, 1) & 1 ? UINT64_MAX - take(in, 1) : take(in, 2) * 1000;

		ok = uwq_queue_delayed_work(wq, &dworks[i], delay);
		CHECK(ok || !wq || uwq_work_pending(&dworks[i].work), "queue_delayed_work: false, not pending");
		trues[NWORK + i] += ok;
		return;
	}
	}
	CHECK(!ok || wq, "queued on a NULL queue");
	trues[i] += ok;
}

static void op_cancel(struct in *in)
{
	unsigned i = (unsigned)take(in, 1) % NWORK;

	if (take(in, 1) & 1)
		trues[NWORK + i] -= uwq_cancel_delayed_work(&dworks[i]);
	else
		trues[i] -= uwq_cancel_work(&works[i]);
}

static void op_attrs(struct in *in)
{
	struct uwq_workqueue *wq = pick_wq(in);
	struct uwq_workqueue_attrs *a = uwq_alloc_workqueue_attrs();
	int r;

	if (!a)
		return;
	a->nice = (int)take_int(in) % 25;
	take_mask(in, &a->cpumask);
	a->affn_scope = (enum uwq_affn_scope)(take(in, 1) % 8);
	r = uwq_apply_workqueue_attrs(wq, take(in, 1) == 0xff ? NULL : a);
	CHECK(r == 0 || r == -EINVAL || r == -ENOMEM, "apply_workqueue_attrs: %d", r);
	uwq_free_workqueue_attrs(a);
}

static void op_line(struct in *in)
{
	unsigned slot = (unsigned)take(in, 1) % NLINE;
	int irq;

	if (lines[slot] > 0)
		return;
	if (take(in, 1) & 1) {
		irq = uwq_irq_create_eventfd();
	} else {
		uint64_t period = take(in, 1) & 1 ? UINT64_MAX : take(in, 2) * 100000;

		irq = uwq_irq_create_timer(period);
		CHECK(irq > 0 || period == 0, "create_timer(%llu): %d", (unsigned long long)period, irq);
	}
	CHECK(irq > 0 || irq == -ENOMEM || irq == -EMFILE || irq == -ENFILE || irq == -ENOSPC || irq == -EINVAL,
	      "create line: %d", irq);
	lines[slot] = irq > 0 ? irq : 0;
	depth[slot] = 0;
}

/* A name buffer no requested action holds (uwq keeps the pointer). */
static const char *unused_name(void)
{
	for (int j = 0; j < NACT; j++) {
		bool used = false;

		for (int i = 0; i < nacts; i++)
			used |= acts[i].name == names[j];
		if (!used) {
			snprintf(names[j], sizeof(names[j]), "f%d", j);
			return names[j];
		}
	}
	return NULL;
}

static void op_request(struct in *in)
{
	static const uwq_irq_handler_t prims[] = { NULL, prim_none, prim_handled, prim_wake };
	static const unsigned long known[] = { UWQ_IRQF_SHARED, UWQ_IRQF_ONESHOT, UWQ_IRQF_NO_THREAD };
	int irq = pick_irq(in);
	unsigned k = (unsigned)take(in, 1);
	uwq_irq_handler_t h = prims[k % 4], t = k & 4 ? thread_fn : NULL;
	unsigned long flags = 0;
	void *dev = k & 8 ? NULL : &devs[k >> 4 & 3];
	const char *name;
	int r;

	if (nacts == NACT)
		return;
	for (int b = 0; b < 3; b++)
		if (k >> (5 + b) & 1)
			flags |= known[b];
	if (take(in, 1) == 0xff)
		flags |= 1UL << (take(in, 1) % 64);
	name = take(in, 1) == 0xff ? NULL : unused_name();
	r = uwq_request_threaded_irq(irq, h, t, flags, name, dev);
	CHECK(r == 0 || r == -EINVAL || r == -EBUSY || r == -ENOMEM, "request_threaded_irq: %d", r);
	if (r)
		return;
	CHECK(line_index(irq) >= 0, "request on line %d that this program never made", irq);
	CHECK(h || t, "request with no handler accepted");
	CHECK(name, "request with a NULL name accepted");
	CHECK(h || (flags & (UWQ_IRQF_ONESHOT | UWQ_IRQF_COND_ONESHOT)), "NULL primary without ONESHOT accepted");
	CHECK(dev || !(flags & UWQ_IRQF_SHARED), "SHARED without dev_id accepted");
	CHECK(!(flags & UWQ_IRQF_SHARED) || !(flags & UWQ_IRQF_NO_AUTOEN), "SHARED | NO_AUTOEN accepted");
	if (flags & UWQ_IRQF_NO_AUTOEN)
		depth[line_index(irq)] = 1;	/* the line's only action: requested disabled */
	acts[nacts++] = (struct act){ irq, dev, name };
}

static void op_free(struct in *in)
{
	int irq = pick_irq(in), k = (int)(take(in, 1) % 5), match = -1;
	void *dev = k == 4 ? NULL : &devs[k];
	const char *r;

	for (int i = nacts - 1; i >= 0; i--)
		if (acts[i].irq == irq && acts[i].dev == dev) {
			match = i;
			break;
		}
	r = uwq_free_irq(irq, dev);
	if (match < 0) {
		CHECK(!r, "free_irq(%d, %p) freed an action never requested", irq, dev);
		return;
	}
	/* Several actions with one dev_id on a line: any one of them goes. */
	for (int i = 0; i < nacts; i++)
		if (acts[i].irq == irq && acts[i].dev == dev && acts[i].name == r) {
			acts[i] = acts[--nacts];
			return;
		}
	FAIL("free_irq(%d, %p) returned %p, not a requested name", irq, dev, (const void *)r);
}

static void op_line_ctl(struct in *in)
{
	int irq = pick_irq(in), i = line_index(irq), r;
	unsigned k = (unsigned)take(in, 1) % 5;
	cpu_set_t m;

	switch (k) {
	case 0:
		uwq_disable_irq_nosync(irq);
		if (i >= 0)
			depth[i]++;
		break;
	case 1:
		uwq_enable_irq(irq);	/* unbalanced: one report */
		if (i >= 0 && depth[i])
			depth[i]--;
		break;
	case 2:
		take_mask(in, &m);
		r = uwq_irq_set_affinity(irq, &m);
		CHECK(r == 0 || r == -EINVAL, "irq_set_affinity: %d", r);
		CHECK(r || (i >= 0 && CPU_COUNT(&m)), "irq_set_affinity(%d, %d CPUs) accepted", irq, CPU_COUNT(&m));
		break;
	case 3:
		r = uwq_irq_raise(irq);
		CHECK(r == 0 || r == -EINVAL, "irq_raise: %d", r);
		CHECK(r || i >= 0, "irq_raise(%d) accepted on an unknown line", irq);
		break;
	default: {
		struct uwq_irq_stats st;

		r = uwq_irq_stats(irq, take(in, 1) == 0xff ? NULL : &st);
		CHECK(r == 0 || r == -EINVAL, "irq_stats: %d", r);
		break;
	}
	}
}

static void op_misc(struct in *in)
{
	unsigned k = (unsigned)take(in, 1) % 3;

	if (k == 0) {
		struct uwq_pool_limits l = { (int)take_int(in), (int)take_int(in) % 100, take(in, 3) * 1000000 };
		int r = uwq_set_pool_limits(&l);

		CHECK(r == 0 || r == -EINVAL, "set_pool_limits: %d", r);
		CHECK(r || ((l.max_workers == 0 || l.max_workers >= 2) && l.idle_reserve >= 0),
		      "set_pool_limits(%d, %d) accepted", l.max_workers, l.idle_reserve);
		CHECK(!r || l.max_workers == 1 || l.max_workers < 0 || l.idle_reserve < 0,
		      "set_pool_limits(%d, %d): -EINVAL", l.max_workers, l.idle_reserve);
		/* The defaults again for the next programs. */
		uwq_set_pool_limits(&(struct uwq_pool_limits){ 0, 2, 60000000000ull });
	} else if (k == 1) {
		struct uwq_hist h;
		double p;
		uint64_t v, total = 0;

		for (int i = 0; i < UWQ_HIST_BUCKETS; i++)
			total += h.bucket[i] = take(in, 1) < 0xe0 ? 0 : take(in, 4);
		memcpy(&p, &(uint64_t){ take(in, 8) }, sizeof(p));
		v = uwq_hist_percentile(&h, p);
		CHECK(uwq_hist_count(&h) == total, "hist_count");
		CHECK(total || v == 0, "percentile of an empty histogram: %llu", (unsigned long long)v);
		CHECK(!(p <= 0) || isnan(p) || v == 0, "percentile(%g): %llu", p, (unsigned long long)v);
	} else {
		struct uwq_config c;

		uwq_config_defaults(&c);
		CHECK(uwq_configure(&c) == -EBUSY, "configure after first use");
	}
}

/* Undo everything, so the next program starts from the same state. */
static void settle(void)
{
	for (int i = 0; i < NWORK; i++)
		trues[NWORK + i] -= uwq_cancel_delayed_work_sync(&dworks[i]);
	for (int i = 0; i < NWQ; i++) {
		if (wqs[i])
			uwq_destroy_workqueue(wqs[i]);
		wqs[i] = NULL;
	}
	CHECK(uwq_flush_workqueue(uwq_system_wq) == 0, "flush system_wq");
	for (int i = 0; i < NWORK; i++) {
		CHECK(uwq_flush_work(&works[i]) || !uwq_work_pending(&works[i]), "item %d still pending", i);
		for (int j = i; j < 2 * NWORK; j += NWORK)
			CHECK(atomic_load(&runs[j]) == trues[j], "item %d ran %ld times for %ld successful queueings",
			      j, atomic_load(&runs[j]), trues[j]);
	}
	while (nacts) {
		struct act a = acts[nacts - 1];
		const char *r = uwq_free_irq(a.irq, a.dev);

		CHECK(r, "free_irq(%d, %p) of a requested action: NULL", a.irq, a.dev);
		for (int i = 0; i < nacts; i++)
			if (acts[i].irq == a.irq && acts[i].dev == a.dev && acts[i].name == r) {
				acts[i] = acts[--nacts];
				r = NULL;
				break;
			}
		CHECK(!r, "free_irq returned a name that was not requested");
	}
	for (int i = 0; i < NLINE; i++) {
		if (!lines[i])
			continue;
		for (; depth[i]; depth[i]--)
			uwq_enable_irq(lines[i]);
		CHECK(uwq_irq_destroy(lines[i]) == 0, "irq_destroy(%d)", lines[i]);
		lines[i] = 0;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const ops[])(struct in *) = { op_alloc_wq, op_limits, op_queue, op_cancel, op_attrs,
						    op_line, op_request, op_free, op_line_ctl, op_misc };
	struct in in = { data, size };

	memset(runs, 0, sizeof(runs));
	memset(trues, 0, sizeof(trues));
	for (int i = 0; i < NWORK; i++) {
		uwq_work_init(&works[i], work_fn);
		uwq_delayed_work_init(&dworks[i], dwork_fn);
	}
	for (int n = 0; n < MAXOPS && in.n; n++)
		ops[take(&in, 1) % (sizeof(ops) / sizeof(ops[0]))](&in);
	settle();
	return 0;
}

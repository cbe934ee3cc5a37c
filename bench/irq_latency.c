/* SPDX-License-Identifier: MIT */
/*
 * irq_latency - interrupt lines against a bare epoll + eventfd loop, in the
 * same run (rows I1-I3 of the report bench/report.sh writes).
 *
 *   irq_latency [N] [--kv] [--raw PREFIX] [--rate-ms MS]
 *
 * Latency: one event every 500 µs, N events; time from the eventfd write
 * to (a) the bare loop's return from epoll_wait+read, (a') a thread the
 * bare loop wakes (the hand-off a threaded handler needs, written by
 * hand), (b) the primary handler, (c) the thread handler (default
 * primary, oneshot). The bare
 * loop runs at the dispatcher's priority (SCHED_FIFO 51 where permitted)
 * and, like the raiser, on the dispatcher's CPU.
 * Rate: one thread raises as fast as it can for MS ms (default 1000), into
 * a primary handler and then into the bare loop; events handled per
 * second, and raised == handled + merged (coalesced raises are counted,
 * never lost).
 * --kv adds one last line of key=value pairs (bench/report.sh reads it);
 * --raw writes each latency's samples (ns, one a line) to PREFIX-floor.txt,
 * PREFIX-bare.txt, PREFIX-handoff.txt, PREFIX-primary.txt and PREFIX-thread.txt.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <linux/futex.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <uwq.h>

#include "clock.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(uint64_t *v, int n, double p)
{
	return (double)v[(int)(n * p)] / 1e3;
}

static const char *raw_prefix;
static char kv[2048];

/* Print one latency line; save the raw samples and the key=value summary. */
static void report(const char *what, const char *key, uint64_t *v, int n, double base_p50)
{
	size_t len = strlen(kv);

	if (raw_prefix) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s-%s.txt", raw_prefix, key);
		f = fopen(path, "w");
		for (int i = 0; f && i < n; i++)
			fprintf(f, "%llu\n", (unsigned long long)v[i]);
		if (f)
			fclose(f);
	}
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	snprintf(kv + len, sizeof(kv) - len, " %s_p50_us=%.2f %s_p99_us=%.2f %s_p999_us=%.2f", key, pct(v, n, 0.5),
		 key, pct(v, n, 0.99), key, pct(v, n, 0.999));
	printf("%-30s p50 %6.1f us  p99 %7.1f us  p99.9 %7.1f us", what, pct(v, n, 0.5), pct(v, n, 0.99),
	       pct(v, n, 0.999));
	if (base_p50 > 0)
		printf("  (p50 %.2fx the bare loop, +%.1f us)", pct(v, n, 0.5) / base_p50, pct(v, n, 0.5) - base_p50);
	printf("\n");
}

static void pace(uint64_t ns)
{
	struct timespec ts = { 0, (long)ns };

	nanosleep(&ts, NULL);
}

static uint64_t sent_at, got_at;
static int got;

static int last_cpu(void)
{
	cpu_set_t set;
	int cpu = 0;

	sched_getaffinity(0, sizeof(set), &set);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			cpu = c;
	return cpu;
}

static void pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* ---- the floor: one same-CPU futex wake, measured in the same run ---- */
static int fword;
static int waiter_fifo;	/* the waiter's SCHED_FIFO priority; 0: normal */

/* Waits for fword, stamps got_at: the floor's wakee, and the thread the
 * bare loop hands off to in (a'), there at FIFO 50 like an irq thread. */
static void *waiter(void *arg)
{
	struct sched_param sp = { .sched_priority = waiter_fifo };
	int n = *(int *)arg;

	if (waiter_fifo)
		pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	pin_self(last_cpu());
	for (int i = 0; i < n; i++) {
		while (__atomic_load_n(&fword, __ATOMIC_ACQUIRE) == 0)
			syscall(SYS_futex, &fword, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
		__atomic_store_n(&got_at, now_ns(), __ATOMIC_RELAXED);
		__atomic_store_n(&fword, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&got, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* ---- the bare loop ---- */
static int bare_efd;
/*
 * The bare loop handing each event to a thread of its own (a'),
 * written by hand with uwq's priorities: the loop (SCHED_FIFO 51 where permitted)
 * reads the eventfd and wakes a thread (FIFO 50) on its CPU, which runs
 * once the loop is back in epoll_wait. What a threaded handler cannot do
 * without, so the fair reference for uwq's thread handler; it differs
 * from the bare loop by one same-CPU hand-off (wake, then the waker's
 * sleep), more than the plain wake floor when the waker outranks the
 * wakee.
 */
static int bare_handoff;

static void *bare_loop(void *arg)
{
	struct sched_param sp = { .sched_priority = 51 };
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(0), n = *(int *)arg;
	uint64_t v;

	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	pin_self(last_cpu());
	epoll_ctl(ep, EPOLL_CTL_ADD, bare_efd, &ev);
	for (int i = 0; i < n; i++) {
		epoll_wait(ep, &ev, 1, -1);
		if (read(bare_efd, &v, sizeof(v)) != sizeof(v))
			continue;
		if (bare_handoff) {
			__atomic_store_n(&fword, 1, __ATOMIC_RELEASE);
			syscall(SYS_futex, &fword, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
			continue;
		}
		__atomic_store_n(&got_at, now_ns(), __ATOMIC_RELAXED);
		__atomic_store_n(&got, 1, __ATOMIC_RELEASE);
	}
	close(ep);
	return NULL;
}

/* the bare loop, flat out: every read is one handled event */
static uint64_t bare_reads, bare_sum;
static int bare_stop;

static void *bare_rate_loop(void *arg)
{
	struct sched_param sp = { .sched_priority = 51 };
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(0);
	uint64_t v;

	(void)arg;
	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	pin_self(last_cpu());
	epoll_ctl(ep, EPOLL_CTL_ADD, bare_efd, &ev);
	while (!__atomic_load_n(&bare_stop, __ATOMIC_ACQUIRE)) {
		if (epoll_wait(ep, &ev, 1, 10) != 1 || read(bare_efd, &v, sizeof(v)) != sizeof(v))
			continue;
		__atomic_store_n(&bare_reads, bare_reads + 1, __ATOMIC_RELAXED);
		__atomic_store_n(&bare_sum, bare_sum + v, __ATOMIC_RELEASE);
	}
	close(ep);
	return NULL;
}

static void wait_got(void)
{
	while (!__atomic_load_n(&got, __ATOMIC_ACQUIRE))
		;
	__atomic_store_n(&got, 0, __ATOMIC_RELAXED);
}

static uwq_irqreturn_t stamp(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	__atomic_store_n(&got_at, now_ns(), __ATOMIC_RELAXED);
	__atomic_store_n(&got, 1, __ATOMIC_RELEASE);
	return UWQ_IRQ_HANDLED;
}

static uint64_t handled;

static uwq_irqreturn_t count(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	__atomic_add_fetch(&handled, 1, __ATOMIC_RELAXED);
	return UWQ_IRQ_HANDLED;
}

static unsigned long long dump_missed(void)
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

/* The bare loop, alone or handing off (a'), on eventfd writes every 500 µs;
 * reports the latencies and returns the p50 (µs). */
static double bare_run(uint64_t *lat, int n, int handoff, double base)
{
	uint64_t one = 1;
	pthread_t loop, thread;

	bare_efd = eventfd(0, EFD_NONBLOCK);
	bare_handoff = handoff;
	if (handoff) {
		waiter_fifo = 50;
		pthread_create(&thread, NULL, waiter, &n);
	}
	pthread_create(&loop, NULL, bare_loop, &n);
	for (int i = 0; i < n; i++) {
		pace(500000);
		sent_at = now_ns();
		if (write(bare_efd, &one, sizeof(one)) != sizeof(one))
			exit(1);
		wait_got();
		lat[i] = got_at - sent_at;
	}
	pthread_join(loop, NULL);
	if (handoff)
		pthread_join(thread, NULL);
	close(bare_efd);
	bare_handoff = 0;
	waiter_fifo = 0;
	if (handoff)
		report("bare loop + hand-off to a thread", "handoff", lat, n, base);
	else
		report("bare epoll+eventfd loop", "bare", lat, n, 0);
	return pct(lat, n, 0.5);
}

int main(int argc, char **argv)
{
	int n = 5000, irq, want_kv = 0;
	uint64_t *lat, one = 1, raised = 0, t0, rate_ns = 1000000000ull;
	double base, handoff, wake_floor, secs;
	pthread_t t;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--kv"))
			want_kv = 1;
		else if (!strcmp(argv[i], "--raw") && i + 1 < argc)
			raw_prefix = argv[++i];
		else if (!strcmp(argv[i], "--rate-ms") && i + 1 < argc)
			rate_ns = strtoull(argv[++i], NULL, 10) * 1000000ull;
		else
			n = atoi(argv[i]);
	}
	lat = calloc((size_t)n, sizeof(*lat));

	/*
	 * Everything on one CPU: the raiser, the bare loop, and uwq's
	 * dispatcher (pinned to the last allowed CPU): all three measure a
	 * same-CPU wake, not where the scheduler happened to put a thread.
	 */
	pin_self(last_cpu());

	/* the floor: a same-CPU futex wake */
	pthread_create(&t, NULL, waiter, &n);
	for (int i = 0; i < n; i++) {
		pace(500000);
		sent_at = now_ns();
		__atomic_store_n(&fword, 1, __ATOMIC_RELEASE);
		syscall(SYS_futex, &fword, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		wait_got();
		lat[i] = got_at - sent_at;
	}
	pthread_join(t, NULL);
	report("floor: same-CPU futex wake", "floor", lat, n, 0);
	wake_floor = pct(lat, n, 0.5);

	/* (a) bare epoll + eventfd loop; (a') the same handing off to a thread */
	base = bare_run(lat, n, 0, 0);
	handoff = bare_run(lat, n, 1, base);

	/* (b) primary handler */
	irq = uwq_irq_create_eventfd();
	uwq_request_irq(irq, stamp, 0, "lat", NULL);
	for (int i = 0; i < n; i++) {
		pace(500000);
		sent_at = now_ns();
		uwq_irq_raise(irq);
		wait_got();
		lat[i] = got_at - sent_at;
	}
	report("uwq primary handler", "primary", lat, n, base);
	uwq_free_irq(irq, NULL);

	/* (c) thread handler (default primary, oneshot) */
	uwq_request_threaded_irq(irq, NULL, stamp, UWQ_IRQF_ONESHOT, "lat", NULL);
	for (int i = 0; i < n; i++) {
		pace(500000);
		sent_at = now_ns();
		uwq_irq_raise(irq);
		wait_got();
		lat[i] = got_at - sent_at;
	}
	report("uwq thread handler", "thread", lat, n, base);
	printf("thread handler p50 - bare loop p50 = %.1f us; one same-CPU wake (p50) = %.1f us: %s\n",
	       pct(lat, n, 0.5) - base, wake_floor, pct(lat, n, 0.5) - base <= wake_floor ? "within" : "OVER");
	printf("thread handler p50 - hand-off loop p50 = %.1f us (the hand-off itself: %.1f us over the bare loop)\n",
	       pct(lat, n, 0.5) - handoff, handoff - base);
	uwq_free_irq(irq, NULL);

	/* rate: raise flat out for rate_ns */
	secs = (double)rate_ns / 1e9;
	uwq_request_irq(irq, count, 0, "rate", NULL);
	t0 = now_ns();
	while (now_ns() - t0 < rate_ns) {
		uwq_irq_raise(irq);
		raised++;
	}
	while (__atomic_load_n(&handled, __ATOMIC_RELAXED) + dump_missed() < raised)
		pace(1000000);
	printf("rate: %.0f raises/s, %.0f events handled/s, %llu merged; raised == handled + merged: %s\n",
	       raised / secs, handled / secs, dump_missed(),
	       handled + dump_missed() == raised ? "yes (nothing lost)" : "NO");
	snprintf(kv + strlen(kv), sizeof(kv) - strlen(kv), " uwq_raises_per_s=%.0f uwq_handled_per_s=%.0f uwq_lost=%lld",
		 raised / secs, handled / secs, (long long)raised - (long long)(handled + dump_missed()));
	uwq_free_irq(irq, NULL);
	uwq_irq_destroy(irq);

	/* the bare loop's rate, the same way */
	bare_efd = eventfd(0, EFD_NONBLOCK);
	pthread_create(&t, NULL, bare_rate_loop, NULL);
	raised = 0;
	t0 = now_ns();
	while (now_ns() - t0 < rate_ns) {
		if (write(bare_efd, &one, sizeof(one)) == sizeof(one))
			raised++;
	}
	while (__atomic_load_n(&bare_sum, __ATOMIC_ACQUIRE) < raised)
		pace(1000000);
	__atomic_store_n(&bare_stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	close(bare_efd);
	printf("bare loop rate: %.0f raises/s, %.0f reads/s, %llu merged\n", raised / secs, bare_reads / secs,
	       (unsigned long long)(bare_sum - bare_reads));
	snprintf(kv + strlen(kv), sizeof(kv) - strlen(kv), " bare_raises_per_s=%.0f bare_handled_per_s=%.0f",
		 raised / secs, bare_reads / secs);
	if (want_kv)
		printf("kv n=%d%s\n", n, kv);
	free(lat);
	return uwq_shutdown() ? 1 : 0;
}

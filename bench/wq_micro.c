/* SPDX-License-Identifier: MIT */
/*
 * wq_micro - the workqueue hot path, measured (not a test: no assertion).
 *
 *   wq_micro throughput [N]      N empty items from one thread, bound and
 *                                unbound system queues: ns per item
 *   wq_micro latency GAP_US [N]  queue one item every GAP_US µs on an idle
 *                                bound pool: queue-to-start p50/p99/p99.9
 *   wq_micro floor [N]           same-CPU futex wake latency between two
 *                                threads pinned to one CPU (the floor)
 *
 * UWQ_IDLE_SPIN_NS in the environment sets the idle spin window, so
 * `bench/run.sh` compares windows in separate processes.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <uwq.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

static void busy_wait_ns(uint64_t ns)
{
	uint64_t end = now_ns() + ns;

	while (now_ns() < end)
		;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	printf("%-34s p50 %6.1f us  p99 %7.1f us  p99.9 %7.1f us  (n=%d)\n", what, v[n / 2] / 1e3,
	       v[(int)(n * 0.99)] / 1e3, v[(int)(n * 0.999)] / 1e3, n);
}

static void empty_fn(struct uwq_work *w)
{
	(void)w;
}

static void throughput(int n)
{
	struct uwq_work *items = calloc((size_t)n, sizeof(*items));
	struct uwq_workqueue *wqs[2] = { uwq_system_wq, uwq_system_unbound_wq };
	const char *names[2] = { "bound (events)", "unbound (events_unbound)" };

	for (int k = 0; k < 2; k++) {
		uint64_t t;

		for (int i = 0; i < n; i++)
			uwq_work_init(&items[i], empty_fn);
		uwq_flush_workqueue(wqs[k]);
		t = now_ns();
		for (int i = 0; i < n; i++)
			uwq_queue_work(wqs[k], &items[i]);
		uwq_flush_workqueue(wqs[k]);
		t = now_ns() - t;
		printf("throughput %-24s %7.1f ns/item (%d items, submit to all done)\n", names[k],
		       (double)t / n, n);
	}
	free(items);
}

static uint64_t t_queue, t_start;
static int done;

static void stamp_fn(struct uwq_work *w)
{
	(void)w;
	__atomic_store_n(&t_start, now_ns(), __ATOMIC_RELAXED);
	__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
}

static void latency(int gap_us, int n)
{
	uint64_t *lat = calloc((size_t)n, sizeof(*lat));
	struct uwq_work w;
	char what[64];

	pin(0);
	uwq_work_init(&w, stamp_fn);
	for (int i = -100; i < n; i++) {
		__atomic_store_n(&done, 0, __ATOMIC_RELAXED);
		t_queue = now_ns();
		uwq_queue_work(uwq_system_wq, &w);
		while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE))
			sched_yield();
		if (i >= 0)
			lat[i] = __atomic_load_n(&t_start, __ATOMIC_RELAXED) - t_queue;
		busy_wait_ns((uint64_t)gap_us * 1000);
	}
	snprintf(what, sizeof(what), "latency gap %d us (spin %s ns)", gap_us,
		 getenv("UWQ_IDLE_SPIN_NS") ? getenv("UWQ_IDLE_SPIN_NS") : "default");
	report(what, lat, n);
	free(lat);
}

static int fword;
static uint64_t f_sent;
static uint64_t *f_lat;
static int f_n;

static void *floor_waiter(void *arg)
{
	(void)arg;
	pin(0);
	for (int i = 0; i < f_n; i++) {
		while (__atomic_load_n(&fword, __ATOMIC_ACQUIRE) == 0)
			syscall(SYS_futex, &fword, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
		f_lat[i] = now_ns() - __atomic_load_n(&f_sent, __ATOMIC_RELAXED);
		__atomic_store_n(&fword, 0, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void futex_floor(int n)
{
	pthread_t t;

	f_n = n;
	f_lat = calloc((size_t)n, sizeof(*f_lat));
	pin(0);
	pthread_create(&t, NULL, floor_waiter, NULL);
	for (int i = 0; i < n; i++) {
		struct timespec ts = { 0, 200000 };

		nanosleep(&ts, NULL);	/* let the waiter sleep in the futex */
		__atomic_store_n(&f_sent, now_ns(), __ATOMIC_RELAXED);
		__atomic_store_n(&fword, 1, __ATOMIC_RELEASE);
		syscall(SYS_futex, &fword, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		while (__atomic_load_n(&fword, __ATOMIC_ACQUIRE))
			sched_yield();
	}
	pthread_join(t, NULL);
	report("floor: same-CPU futex wake", f_lat, n);
	free(f_lat);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "throughput";

	if (!strcmp(mode, "throughput"))
		throughput(argc > 2 ? atoi(argv[2]) : 1000000);
	else if (!strcmp(mode, "latency"))
		latency(argc > 2 ? atoi(argv[2]) : 1000, argc > 3 ? atoi(argv[3]) : 2000);
	else if (!strcmp(mode, "floor"))
		futex_floor(argc > 2 ? atoi(argv[2]) : 2000);
	else {
		fprintf(stderr, "usage: wq_micro throughput [N] | latency GAP_US [N] | floor [N]\n");
		return 2;
	}
	return uwq_shutdown() ? 1 : 0;
}

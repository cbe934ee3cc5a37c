/* SPDX-License-Identifier: MIT */
/*
 * probe_cost - what the monitor's probes cost on this machine (monitor.c):
 * reading another thread's CPU clock, and pread() of its
 * /proc/self/task/<tid>/stat on a kept-open fd. Also how often a runnable
 * but preempted thread shows no CPU progress over 1 ms windows, which is
 * why the clock alone cannot tell blocked from preempted.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static volatile int stop;
static volatile pid_t tid;

static void *spinner(void *arg)
{
	cpu_set_t s;

	(void)arg;
	CPU_ZERO(&s);
	CPU_SET(0, &s);
	pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
	tid = gettid();
	while (!stop)
		;
	return NULL;
}

int main(void)
{
	pthread_t t[2];
	clockid_t cid;
	char path[64], buf[512];
	int fd, n = 100000, stalls = 0, windows = 0;
	uint64_t t0, sink = 0;

	pthread_create(&t[0], NULL, spinner, NULL);
	while (!tid)
		;
	pthread_create(&t[1], NULL, spinner, NULL);	/* two spinners on CPU 0: preemption */
	pthread_getcpuclockid(t[0], &cid);
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	fd = open(path, O_RDONLY);

	t0 = now_ns(CLOCK_MONOTONIC);
	for (int i = 0; i < n; i++)
		sink += now_ns(cid);
	printf("other thread's CPU clock:  %.2f us per read\n", (double)(now_ns(CLOCK_MONOTONIC) - t0) / n / 1e3);
	t0 = now_ns(CLOCK_MONOTONIC);
	for (int i = 0; i < n; i++)
		sink += (uint64_t)pread(fd, buf, sizeof(buf), 0);
	printf("pread of task stat:        %.2f us per read\n", (double)(now_ns(CLOCK_MONOTONIC) - t0) / n / 1e3);

	for (uint64_t end = now_ns(CLOCK_MONOTONIC) + 2000000000ull, last = now_ns(cid);
	     now_ns(CLOCK_MONOTONIC) < end; windows++) {
		struct timespec ts = { 0, 1000000 };
		uint64_t c;

		nanosleep(&ts, NULL);
		c = now_ns(cid);
		stalls += c == last;
		last = c;
	}
	printf("preempted spinner (2 on one CPU): no CPU progress in %d of %d 1 ms windows (%.0f %%)\n", stalls,
	       windows, 100.0 * stalls / windows);
	stop = 1;
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	return sink == 42;
}

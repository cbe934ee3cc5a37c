/* SPDX-License-Identifier: MIT */
/*
 * top_cpu_target - a process whose CPU use uwq-top must not overstate
 * (top_cpu_bounded.sh). Every item runs on one CPU's pool: a CPU-intensive
 * queue (so concurrency management does not hold the items back) and
 * NR_ITEMS items that requeue themselves, each run burning SPIN_NS of its
 * thread's CPU time and, in the "mixed" mode (argv[1]), sleeping SLEEP_NS
 * without a hint. So up to NR_ITEMS workers are runnable on one CPU at
 * once: each run's wall time is several times its CPU time (it waits for
 * the CPU), and in the mixed mode part of it is unhinted sleep. The
 * process uses at most one CPU for its items. Export every 100 ms
 * (uwq_export_start()); stdin at end of file ends everything normally.
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uwq.h>

#define NR_ITEMS	8
#define SPIN_NS		3000000ull
#define SLEEP_NS	3000000ull

static atomic_int stop;
static bool mixed;
static int cpu;
static struct uwq_workqueue *wq;

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void burn(struct uwq_work *w)
{
	uint64_t end = thread_cpu_ns() + SPIN_NS;

	while (thread_cpu_ns() < end && !atomic_load(&stop))
		;
	if (mixed) {
		struct timespec ts = { 0, (long)SLEEP_NS };

		nanosleep(&ts, NULL);
	}
	if (!atomic_load(&stop))
		uwq_queue_work_on(cpu, wq, w);
}

int main(int argc, char **argv)
{
	static struct uwq_work w[NR_ITEMS];
	struct uwq_config cfg;
	cpu_set_t set;
	int err;
	char c;

	mixed = argc > 1 && strcmp(argv[1], "mixed") == 0;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		while (cpu < CPU_SETSIZE - 1 && !CPU_ISSET(cpu, &set))
			cpu++;
	uwq_config_defaults(&cfg);
	cfg.max_workers = NR_ITEMS + 2;
	err = uwq_configure(&cfg);
	wq = uwq_alloc_workqueue("burn", UWQ_CPU_INTENSIVE, 0);
	if (err || !wq) {
		fprintf(stderr, "top_cpu_target: set-up failed (%d)\n", err);
		return 1;
	}
	err = uwq_export_start(100);
	if (err) {
		fprintf(stderr, "top_cpu_target: uwq_export_start: %s\n", strerror(-err));
		return 1;
	}
	for (int i = 0; i < NR_ITEMS; i++) {
		uwq_work_init(&w[i], burn);
		uwq_queue_work_on(cpu, wq, &w[i]);
	}
	printf("top_cpu_target: %d items on cpu %d's pool%s\n", NR_ITEMS, cpu, mixed ? ", half asleep" : "");
	fflush(stdout);
	while (read(STDIN_FILENO, &c, 1) > 0)
		;
	atomic_store(&stop, 1);
	for (int i = 0; i < NR_ITEMS; i++)
		uwq_cancel_work_sync(&w[i]);
	uwq_destroy_workqueue(wq);
	return uwq_shutdown() ? 1 : 0;
}

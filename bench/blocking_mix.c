/* SPDX-License-Identifier: MIT */
/*
 * blocking_mix - concurrency management under a blocking mix.
 *
 *   blocking_mix [mix] [unhinted|hinted] [SLEEPERS BURNERS]
 *      SLEEPERS items sleep 10 ms, BURNERS items burn 1 ms of CPU, queued
 *      at once, interleaved, on uwq_system_unbound_wq. Ideal wall time is
 *      max(BURNERS ms / ncpu, 10 ms). Prints wall/ideal and the peak number
 *      of unbound worker threads (from uwq_pool_stats()), for a cold
 *      burst (workers made on demand) and then a warm one (the workers
 *      the first burst left, as a daemon's later bursts find them).
 *   blocking_mix growth [unhinted|hinted] [JOBS [SLEEP_US [CPU_US]]]
 *      Growth follows need: JOBS items (2000) that each sleep SLEEP_US
 *      (2000) then burn CPU_US (500) of CPU, queued at once on
 *      uwq_system_unbound_wq, one cold burst. About ncpu * (1 + SLEEP/CPU)
 *      workers (10 on 2 CPUs) keep every CPU busy (Little's law); more only
 *      cost threads. Ideal = JOBS * CPU_US / ncpu + SLEEP_US (no CPU can
 *      start before the first sleep ends). Prints wall/ideal and the peak
 *      number of unbound workers, and a "kv" line for bench/report.sh (G1).
 *   blocking_mix monitor
 *      The monitor thread's CPU use: idle for 2 s (target 0), then with
 *      ncpu busy workers and a backlog for 2 s (target <= 2 % of one CPU).
 *
 * A peer pool cannot be told that an item blocks, so "unhinted" is the
 * fair comparison; "hinted" wraps the sleep in uwq_blocking_begin/end.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uwq.h>

#include "clock.h"

/*
 * Workers of the unbound pools and how many were ever reaped. Workers only
 * leave by reaping (after UWQ_IDLE_TIMEOUT_MS, 60 s), so when no worker
 * was reaped during a burst its peak is the count at its end: exact, and
 * free, unlike a sampler thread reading /proc (~1 % of the machine at
 * a 2 ms period here, taken from the mix being measured).
 */
static void unbound_workers(int *workers, uint64_t *reaped)
{
	struct uwq_pool_stats st;

	*workers = 0;
	*reaped = 0;
	for (int i = 0; uwq_pool_stats(i, &st) == 0; i++) {
		if (st.cpu >= 0)
			continue;
		*workers += st.workers;
		*reaped += st.reaped;
	}
}

static int hinted;
static int left;
static sem_t all_done;	/* posted by the item that finishes last */

static void item_done(void)
{
	if (__atomic_sub_fetch(&left, 1, __ATOMIC_ACQ_REL) == 0)
		sem_post(&all_done);
}

/* Sleep @ns, within a blocking hint in the hinted runs. */
static void item_sleep(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };

	if (hinted)
		uwq_blocking_begin();
	nanosleep(&ts, NULL);
	if (hinted)
		uwq_blocking_end();
}

static void sleeper(struct uwq_work *w)
{
	(void)w;
	item_sleep(10 * 1000000);
	item_done();
}

static void burner(struct uwq_work *w)
{
	(void)w;
	burn_cpu_ns(1000000);
	item_done();
}

static uint64_t g_sleep_ns = 2000000, g_cpu_ns = 500000;

static void sleep_then_burn(struct uwq_work *w)
{
	(void)w;
	item_sleep(g_sleep_ns);
	burn_cpu_ns(g_cpu_ns);
	item_done();
}

static uint64_t process_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One burst: queue the mix at once, wait for the last item; wall ms, the
 * peak number of unbound workers (-1 if some were reaped meanwhile), and
 * the CPU time the whole process used meanwhile (*cpu_ms). */
static double burst(struct uwq_work *items, int sleepers, int burners, int *peak, double *cpu_ms)
{
	uint64_t t0, c0, reaped0, reaped1;
	double wall_ms;
	int i, s = 0, b = 0, w0;

	unbound_workers(&w0, &reaped0);
	left = sleepers + burners;
	c0 = process_cpu_ns();
	t0 = now_ns();
	for (i = 0; s < sleepers || b < burners; i++) {
		bool sleep_turn = (i % 2 == 0 && s < sleepers) || b == burners;

		uwq_work_init(&items[i], sleep_turn ? sleeper : burner);
		if (sleep_turn)
			s++;
		else
			b++;
		uwq_queue_work(uwq_system_unbound_wq, &items[i]);
	}
	/* A semaphore, not polling: the harness must not steal CPU time. */
	while (sem_wait(&all_done) != 0)
		;
	wall_ms = (double)(now_ns() - t0) / 1e6;
	*cpu_ms = (double)(process_cpu_ns() - c0) / 1e6;
	unbound_workers(peak, &reaped1);
	if (reaped1 != reaped0)
		*peak = -1;
	uwq_flush_workqueue(uwq_system_unbound_wq);
	return wall_ms;
}

/*
 * The burst twice in one process: "cold", with the pool's workers made on
 * demand as items block, then "warm", with the workers the first burst
 * left (idle workers are kept for UWQ_IDLE_TIMEOUT_MS, 60 s): a daemon's
 * second and later bursts. The process CPU of the two tells what making
 * the workers cost: measured (2 vCPU VM, hinted, 29-31 workers made), the
 * cold burst used 13-16 ms more CPU than the warm one, 400-500 µs per
 * worker made (a bare pthread_create() loop: 75-170 µs per thread here),
 * which at 2 CPUs is ~7 of the ~8 ms between their wall times.
 */
static int mix(int sleepers, int burners)
{
	struct uwq_work *items = calloc((size_t)(sleepers + burners), sizeof(*items));
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;
	double ideal_ms;
	int before;
	uint64_t reaped;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		ncpu = CPU_COUNT(&set);
	sem_init(&all_done, 0, 0);
	/* Start the pool so the first thread's start-up is not measured. */
	uwq_flush_workqueue(uwq_system_unbound_wq);
	unbound_workers(&before, &reaped);
	ideal_ms = (double)burners / (double)ncpu;
	if (ideal_ms < 10)
		ideal_ms = 10;
	for (int rep = 0; rep < 2; rep++) {
		int peak;
		double cpu_ms, wall_ms = burst(items, sleepers, burners, &peak, &cpu_ms);

		printf("blocking mix %-8s %-4s %d sleep(10ms) + %d burn(1ms) on %ld CPUs: wall %.1f ms, ideal %.1f ms, "
		       "wall/ideal %.2f, peak workers %d (%d before), process CPU %.1f ms\n",
		       hinted ? "hinted" : "unhinted", rep ? "warm" : "cold", sleepers, burners, ncpu, wall_ms,
		       ideal_ms, wall_ms / ideal_ms, peak, before, cpu_ms);
	}
	free(items);
	return 0;
}

/* One cold burst of the growth mix (see the top of the file). */
static int growth(int jobs)
{
	struct uwq_work *items = calloc((size_t)jobs, sizeof(*items));
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t t0, c0, reaped0, reaped1;
	double wall_ms, cpu_ms, ideal_ms;
	int before, peak;
	cpu_set_t set;

	if (!items)
		return 1;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		ncpu = CPU_COUNT(&set);
	sem_init(&all_done, 0, 0);
	uwq_flush_workqueue(uwq_system_unbound_wq);	/* start the pool unmeasured */
	unbound_workers(&before, &reaped0);
	ideal_ms = ((double)jobs * (double)g_cpu_ns / (double)ncpu + (double)g_sleep_ns) / 1e6;
	left = jobs;
	c0 = process_cpu_ns();
	t0 = now_ns();
	for (int i = 0; i < jobs; i++) {
		uwq_work_init(&items[i], sleep_then_burn);
		uwq_queue_work(uwq_system_unbound_wq, &items[i]);
	}
	while (sem_wait(&all_done) != 0)
		;
	wall_ms = (double)(now_ns() - t0) / 1e6;
	cpu_ms = (double)(process_cpu_ns() - c0) / 1e6;
	unbound_workers(&peak, &reaped1);
	if (reaped1 != reaped0)
		peak = -1;
	uwq_flush_workqueue(uwq_system_unbound_wq);
	printf("growth mix %-8s %d x (sleep %.1f ms + burn %.2f ms) on %ld CPUs: wall %.1f ms, ideal %.1f ms, "
	       "wall/ideal %.2f, peak workers %d (%d before), process CPU %.1f ms\n",
	       hinted ? "hinted" : "unhinted", jobs, (double)g_sleep_ns / 1e6, (double)g_cpu_ns / 1e6, ncpu, wall_ms,
	       ideal_ms, wall_ms / ideal_ms, peak, before, cpu_ms);
	printf("kv wall_ms=%.1f ideal_ms=%.1f wall_over_ideal=%.3f peak_workers=%d cpu_ms=%.1f\n", wall_ms, ideal_ms,
	       wall_ms / ideal_ms, peak, cpu_ms);
	free(items);
	return 0;
}

static pid_t find_thread(const char *name)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	pid_t tid = -1;

	while (d && (e = readdir(d))) {
		char path[300], comm[32] = "";
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (f && fgets(comm, sizeof(comm), f) && !strncmp(comm, name, strlen(name)))
			tid = atoi(e->d_name);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return tid;
}

static uint64_t task_cpu_ns(pid_t tid)
{
	char path[64];
	unsigned long long ns = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", (int)tid);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%llu", &ns) != 1)
			ns = 0;
		fclose(f);
	}
	return ns;
}

static int stop_busy;

static void busy_item(struct uwq_work *w)
{
	(void)w;
	burn_cpu_ns(500000);
	__atomic_sub_fetch(&left, 1, __ATOMIC_RELEASE);
}

static int monitor_cost(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int n = 20000;
	struct uwq_work *items = calloc((size_t)n, sizeof(*items));
	struct uwq_work warm;
	uint64_t c0, t0, c1, t1;
	pid_t mon;
	int i;

	uwq_work_init(&warm, busy_item);
	left = 1;
	uwq_queue_work(uwq_system_wq, &warm);
	uwq_flush_work(&warm);
	mon = find_thread("uwq-monitor");
	if (mon < 0) {
		printf("monitor: not running\n");
		return 1;
	}
	c0 = task_cpu_ns(mon);
	t0 = now_ns();
	sleep(2);
	c1 = task_cpu_ns(mon);
	t1 = now_ns();
	printf("monitor CPU idle:                %.3f %% of one CPU over %.1f s\n",
	       100.0 * (double)(c1 - c0) / (double)(t1 - t0), (double)(t1 - t0) / 1e9);

	/* ncpu busy workers and a backlog: 0.5 ms items, many queued per CPU. */
	left = n;
	c0 = task_cpu_ns(mon);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		uwq_work_init(&items[i], busy_item);
		uwq_queue_work_on(i % (int)ncpu, uwq_system_wq, &items[i]);
	}
	while (__atomic_load_n(&left, __ATOMIC_ACQUIRE) > n / 10 && now_ns() - t0 < 2000000000ull)
		usleep(1000);
	c1 = task_cpu_ns(mon);
	t1 = now_ns();
	printf("monitor CPU backlogged (%ld busy): %.3f %% of one CPU over %.1f s\n", ncpu,
	       100.0 * (double)(c1 - c0) / (double)(t1 - t0), (double)(t1 - t0) / 1e9);
	__atomic_store_n(&stop_busy, 1, __ATOMIC_RELEASE);
	uwq_flush_workqueue(uwq_system_wq);
	free(items);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "mix";
	int ret;

	if (!strcmp(mode, "monitor")) {
		ret = monitor_cost();
	} else if (!strcmp(mode, "growth")) {
		hinted = argc > 2 && !strcmp(argv[2], "hinted");
		if (argc > 4)
			g_sleep_ns = strtoull(argv[4], NULL, 10) * 1000u;
		if (argc > 5)
			g_cpu_ns = strtoull(argv[5], NULL, 10) * 1000u;
		ret = growth(argc > 3 ? atoi(argv[3]) : 2000);
	} else {
		hinted = argc > 2 && !strcmp(argv[2], "hinted");
		ret = mix(argc > 3 ? atoi(argv[3]) : 200, argc > 4 ? atoi(argv[4]) : 200);
	}
	return uwq_shutdown() || ret;
}

/* SPDX-License-Identifier: MIT */
/*
 * peer_bench - one repetition of one scenario on one pool, in this process
 * (the peer comparison). bench/report.sh runs it once per repetition, so no
 * pool's global state outlives a repetition, and builds the report from its
 * output.
 *
 *   peer_bench_<lib> --list                  variants: name, flags, version, about
 *   peer_bench_<lib> POOL SCENARIO [-n N] [-o FILE] [-t SECONDS] [-l LOAD]
 *   peer_bench_<lib> floor [-n N] [-o FILE]  the same-CPU wake floor, no pool
 *
 * It prints one line of key=value pairs; latency scenarios write their raw
 * samples (ns, one a line) to FILE, S4 its threads over time ("ms threads").
 * The pool is started with ncpu workers (the affinity mask's CPU count)
 * unless the variant says otherwise, then runs one trivial task before any
 * clock starts, so thread start-up is never measured.
 *
 *   S1 [-n 1000000]  N empty tasks from one thread: submit all, wait for
 *                    all; wall / N = ns per task
 *   S2 [-n 1000000]  as S1 from two threads, N/2 each
 *   S1x [-n 1000000] as S2, each submitting thread pinned to its own CPU
 *                    of the affinity mask (driver i on the i-th allowed CPU)
 *                    and unpinned afterwards
 *   S3 [-n 2000]     idle pool: one empty task every 1 ms (open loop);
 *                    submit-to-start latency (clock read just before submit
 *                    to clock read first thing in the task), after 20
 *                    unrecorded ones
 *   S4 [-n 200]      N tasks sleeping 10 ms (nanosleep) and N burning 1 ms
 *                    of thread CPU time, queued at once, interleaved;
 *                    wall / ideal, ideal = max(N ms / ncpu, 10 ms); peak
 *                    threads = the most /proc/self/status showed, sampled
 *                    every 1 ms, minus the harness's 2 (main, sampler)
 *   S5 [-t 5]        4 parents each submit a child from inside the pool and
 *                    wait for it on a POSIX semaphore; in a forked child
 *                    killed after -t seconds: PASS, or FAIL (deadlock)
 *   S6 [-n 1000] [-l 0.8]
 *                    N ms of open-loop arrivals of 100 µs CPU tasks at 80 %
 *                    (-l) of ncpu CPUs: one every 100 µs / (0.8 ncpu); every
 *                    task is a probe: submit-to-start latency as in S3
 *                    (arr_*: the same from the time it was due, which adds
 *                    the submitter's own delays and its 250 µs pacing tick:
 *                    it submits every task due by the tick it woke on);
 *                    cpu_pct: the process's CPU
 *                    time over ncpu x wall
 *                    -w FILE: the 10 longest waits (bench/tails.sh)
 *   S6b [-n 1000]    S6 at 50 % load (-l still overrides)
 *   M1               VmRSS with the pool started and idle (one trivial task
 *                    ran, then 200 ms idle), and its delta over the process
 *                    before the pool started, per thread the pool added
 *   floor [-n 2000]  two threads pinned to one CPU; every 1 ms one wakes the
 *                    other through a futex: from the waker's clock read just
 *                    before FUTEX_WAKE to the woken thread's first clock read
 *                    after FUTEX_WAIT returns (one wake-to-run, same CPU)
 *
 * Completion is counted here, the same way for every pool: the submitter
 * adds the tasks it is about to queue to one counter, bench_task_run()
 * subtracts, and the thread that waits sleeps on a futex until it reads 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "peers/pool.h"

static const struct bench_pool_ops *ops;
static int ncpu;

/* ---- small helpers (clocks: clock.h) ---- */

static void sleep_until(uint64_t abs_ns)
{
	struct timespec ts = { (time_t)(abs_ns / 1000000000u), (long)(abs_ns % 1000000000u) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Pacing threads wake on time: no 50 µs default timer slack. */
static void precise_timers(void)
{
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
}

static void futex_wait(int *addr, int val)
{
	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(int *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static int affinity_cpus(int *last)
{
	cpu_set_t set;
	int n = 0;

	*last = 0;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return (int)sysconf(_SC_NPROCESSORS_ONLN);
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (CPU_ISSET(c, &set)) {
			n++;
			*last = c;
		}
	}
	return n;
}

static void pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* A field of /proc/self/status ("Threads:", "VmRSS:") from a kept-open fd. */
static long status_field(int fd, const char *key)
{
	char buf[4096], *p;
	ssize_t r = pread(fd, buf, sizeof(buf) - 1, 0);

	if (r <= 0)
		return -1;
	buf[r] = '\0';
	p = strstr(buf, key);
	return p ? atol(p + strlen(key)) : -1;
}

static int open_status(void)
{
	return open("/proc/self/status", O_RDONLY | O_CLOEXEC);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t pct(const uint64_t *sorted, int n, double p)
{
	int i = (int)(p * n);

	return sorted[i < n ? i : n - 1];
}

/* Write @v (ns) to @path, one a line, then sort it and print its
 * percentiles as <prefix>p50_us=... */
static void latency_summary(uint64_t *v, int n, const char *path, const char *prefix)
{
	if (path) {
		FILE *f = fopen(path, "w");

		for (int i = 0; f && i < n; i++)
			fprintf(f, "%llu\n", (unsigned long long)v[i]);
		if (f)
			fclose(f);
	}
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	printf(" %sn=%d %sp50_us=%.2f %sp99_us=%.2f %sp999_us=%.2f %smax_us=%.2f", prefix, n, prefix,
	       pct(v, n, 0.5) / 1e3, prefix, pct(v, n, 0.99) / 1e3, prefix, pct(v, n, 0.999) / 1e3, prefix,
	       v[n - 1] / 1e3);
}

/* ---- tasks and completion ---- */

static char *task_mem;
static size_t task_stride;

static void tasks_alloc(int n)
{
	size_t need = sizeof(struct bench_task) + ops->task_priv;

	task_stride = (need + 63) & ~(size_t)63;	/* no two tasks share a cache line */
	task_mem = aligned_alloc(64, task_stride * (size_t)n);
	if (!task_mem) {
		printf("status=error reason=enomem\n");
		exit(1);
	}
	memset(task_mem, 0, task_stride * (size_t)n);	/* touched before any clock starts */
}

static struct bench_task *task_at(int i)
{
	return (struct bench_task *)(task_mem + task_stride * (size_t)i);
}

/*
 * outstanding counts tasks submitted and not yet run to the end. The waiter
 * announces itself in `waiting` and rechecks; the task that brings the count
 * to 0 takes `waiting` back and wakes. Both pairs are SEQ_CST (a store then
 * a load on each side, Dekker-style): either the waiter's recheck sees 0 or
 * the finisher's exchange sees the waiter.
 */
static int outstanding;
static int waiting;

static void expect_tasks(int n)
{
	__atomic_add_fetch(&outstanding, n, __ATOMIC_SEQ_CST);
}

void bench_task_run(struct bench_task *t)
{
	t->fn(t);
	if (__atomic_sub_fetch(&outstanding, 1, __ATOMIC_SEQ_CST) == 0 &&
	    __atomic_exchange_n(&waiting, 0, __ATOMIC_SEQ_CST))
		futex_wake(&waiting);
}

static void wait_all(void)
{
	while (__atomic_load_n(&outstanding, __ATOMIC_SEQ_CST) != 0) {
		__atomic_store_n(&waiting, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&outstanding, __ATOMIC_SEQ_CST) == 0) {
			__atomic_store_n(&waiting, 0, __ATOMIC_SEQ_CST);
			break;
		}
		futex_wait(&waiting, 1);
	}
	if (ops->wait_all)
		ops->wait_all();
}

static int submit_errors;

static void submit(struct bench_task *t)
{
	if (ops->submit(t) != 0) {
		__atomic_add_fetch(&submit_errors, 1, __ATOMIC_RELAXED);
		bench_task_run(t);	/* keep the count right; the rep is reported as an error */
	}
}

/* ---- drivers: the submitting threads ---- */

struct driver_thread {
	pthread_t	thread;
	int		idx;
	void		(*driver)(int idx, void *arg);
	void		*arg;
};

static void *driver_main(void *p)
{
	struct driver_thread *d = p;

	d->driver(d->idx, d->arg);
	return NULL;
}

static void run_drivers(int nsub, void (*driver)(int idx, void *arg), void *arg)
{
	struct driver_thread d[8];

	if (ops->run) {
		ops->run(nsub, driver, arg);
		return;
	}
	for (int i = 1; i < nsub; i++) {
		d[i] = (struct driver_thread){ .idx = i, .driver = driver, .arg = arg };
		pthread_create(&d[i].thread, NULL, driver_main, &d[i]);
	}
	driver(0, arg);
	for (int i = 1; i < nsub; i++)
		pthread_join(d[i].thread, NULL);
}

static void empty_fn(struct bench_task *t)
{
	(void)t;
}

static void stamp_fn(struct bench_task *t)
{
	t->t_start = now_ns();
}

/* One trivial task per driver, waited for: the pool's threads exist after this. */
static union {
	struct bench_task	t;
	_Alignas(64) char	bytes[256];
} warm[8];

static void warm_driver(int idx, void *arg)
{
	(void)arg;
	warm[idx].t.fn = empty_fn;
	submit(&warm[idx].t);
}

static void warm_up(int nsub)
{
	expect_tasks(nsub);
	run_drivers(nsub, warm_driver, NULL);
	wait_all();
}

static int start_pool(int nsub)
{
	int err;

	if (ops->task_priv + sizeof(struct bench_task) > sizeof(warm[0])) {
		printf("status=error reason=task_priv_too_big\n");
		return -1;
	}
	err = ops->init(ncpu);
	if (err) {
		printf("status=error reason=init_%d\n", err);
		return -1;
	}
	warm_up(nsub);
	return 0;
}

static void print_head(const char *scenario)
{
	printf("pool=%s scenario=%s ncpu=%d", ops->name, scenario, ncpu);
}

static int finish(void)
{
	if (submit_errors)
		printf(" submit_errors=%d", submit_errors);
	printf("\n");
	fflush(stdout);
	ops->shutdown();
	return submit_errors ? 1 : 0;
}

/* ---- S1, S2: throughput ---- */

struct range {
	int	n;
	int	nsub;
};

static void throughput_driver(int idx, void *arg)
{
	struct range *r = arg;
	int per = r->n / r->nsub;

	for (int i = idx * per; i < (idx + 1) * per; i++)
		submit(task_at(i));
}

/* The i-th CPU of the affinity mask, or -1. */
static int nth_allowed_cpu(int i)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set) && i-- == 0)
			return c;
	return -1;
}

static void pinned_throughput_driver(int idx, void *arg)
{
	cpu_set_t old;
	bool pinned = pthread_getaffinity_np(pthread_self(), sizeof(old), &old) == 0 &&
		      nth_allowed_cpu(idx) >= 0;

	if (pinned)
		pin_self(nth_allowed_cpu(idx));
	throughput_driver(idx, arg);
	if (pinned)
		pthread_setaffinity_np(pthread_self(), sizeof(old), &old);
}

static int throughput(const char *name, int n, int nsub, bool pinned)
{
	struct range r = { n - n % nsub, nsub };
	uint64_t t0, t;

	if (start_pool(nsub))
		return 1;
	tasks_alloc(r.n);
	for (int i = 0; i < r.n; i++)
		task_at(i)->fn = empty_fn;
	t0 = now_ns();
	expect_tasks(r.n);
	run_drivers(nsub, pinned ? pinned_throughput_driver : throughput_driver, &r);
	wait_all();
	t = now_ns() - t0;
	print_head(name);
	printf(" status=ok n=%d submitters=%d pinned=%d wall_ms=%.2f ns_per_task=%.1f", r.n, nsub, pinned,
	       t / 1e6, (double)t / r.n);
	return finish();
}

/* ---- S3: submit-to-start latency on an idle pool ---- */

#define S3_WARM 20

static void paced_driver(int idx, void *arg)
{
	struct range *r = arg;
	uint64_t t0;

	(void)idx;
	precise_timers();
	t0 = now_ns() + 1000000;
	for (int i = 0; i < r->n; i++) {
		struct bench_task *t = task_at(i);

		sleep_until(t0 + (uint64_t)i * 1000000u);
		t->t_submit = now_ns();
		submit(t);
	}
}

static int idle_latency(int n, const char *raw)
{
	struct range r = { n + S3_WARM, 1 };
	uint64_t *lat = calloc((size_t)n, sizeof(*lat));

	if (start_pool(1))
		return 1;
	tasks_alloc(r.n);
	for (int i = 0; i < r.n; i++)
		task_at(i)->fn = stamp_fn;
	expect_tasks(r.n);
	run_drivers(1, paced_driver, &r);
	wait_all();
	for (int i = 0; i < n; i++)
		lat[i] = task_at(i + S3_WARM)->t_start - task_at(i + S3_WARM)->t_submit;
	print_head("S3");
	printf(" status=ok gap_us=1000");
	latency_summary(lat, n, raw, "");
	free(lat);
	return finish();
}

/* ---- the floor: a same-CPU futex wake ---- */

static int fword;
static uint64_t f_sent, f_woke;

static int floor_cpu;

static void *floor_waiter(void *arg)
{
	int n = *(int *)arg;

	pin_self(floor_cpu);
	for (int i = 0; i < n; i++) {
		int v;

		while ((v = __atomic_load_n(&fword, __ATOMIC_ACQUIRE)) != 1)
			futex_wait(&fword, v);
		f_woke = now_ns();
		__atomic_store_n(&fword, 2, __ATOMIC_RELEASE);	/* publishes f_woke to the waker */
	}
	return NULL;
}

static int wake_floor(int n, const char *raw)
{
	uint64_t *lat = calloc((size_t)n, sizeof(*lat)), t0;
	pthread_t t;

	pin_self(floor_cpu);
	precise_timers();
	pthread_create(&t, NULL, floor_waiter, &n);
	t0 = now_ns() + 1000000;
	for (int i = 0; i < n; i++) {
		sleep_until(t0 + (uint64_t)i * 1000000u);
		f_sent = now_ns();
		__atomic_store_n(&fword, 1, __ATOMIC_RELEASE);	/* publishes f_sent */
		futex_wake(&fword);
		while (__atomic_load_n(&fword, __ATOMIC_ACQUIRE) != 2)
			sched_yield();	/* same CPU: hand it over */
		lat[i] = f_woke - f_sent;
		__atomic_store_n(&fword, 0, __ATOMIC_RELAXED);	/* the waiter only reads it after our next wake */
	}
	pthread_join(t, NULL);
	printf("pool=floor scenario=floor ncpu=%d status=ok cpu=%d", ncpu, floor_cpu);
	latency_summary(lat, n, raw, "");
	printf("\n");
	free(lat);
	return 0;
}

/* ---- S4: the blocking mix ---- */

#define S4_MAX_SAMPLES 120000

static int s4_sampling;
static int s4_peak;
static int s4_nsamples;
static uint64_t s4_t0;
static struct { uint32_t ms100, threads; } *s4_samples;

static void *sampler(void *arg)
{
	int fd = open_status();
	uint64_t next = now_ns();

	(void)arg;
	precise_timers();
	while (__atomic_load_n(&s4_sampling, __ATOMIC_ACQUIRE)) {
		int n = (int)status_field(fd, "\nThreads:");
		uint64_t t = now_ns();

		if (n > s4_peak)
			s4_peak = n;
		if (s4_nsamples < S4_MAX_SAMPLES && t >= s4_t0) {
			s4_samples[s4_nsamples].ms100 = (uint32_t)((t - s4_t0) / 100000);
			s4_samples[s4_nsamples++].threads = (uint32_t)n;
		}
		next += 1000000;
		sleep_until(next);
	}
	close(fd);
	return NULL;
}

static void sleeper_fn(struct bench_task *t)
{
	struct timespec ts = { 0, 10 * 1000000 };

	(void)t;
	if (ops->block_begin)
		ops->block_begin();
	while (nanosleep(&ts, &ts) == EINTR)
		;
	if (ops->block_end)
		ops->block_end();
}

static void burner_fn(struct bench_task *t)
{
	(void)t;
	burn_cpu_ns(1000000);
}

static void all_driver(int idx, void *arg)
{
	struct range *r = arg;

	(void)idx;
	for (int i = 0; i < r->n; i++)
		submit(task_at(i));
}

#define HARNESS_THREADS 2	/* main and the sampler */

static int blocking_mix(int nsleep, const char *raw)
{
	struct range r = { 2 * nsleep, 1 };
	double ideal_ms = (double)nsleep / ncpu, wall_ms;
	pthread_t t;
	int base;

	if (ideal_ms < 10)
		ideal_ms = 10;
	if (start_pool(1))
		return 1;
	tasks_alloc(r.n);
	for (int i = 0; i < r.n; i++)
		task_at(i)->fn = i % 2 ? burner_fn : sleeper_fn;
	s4_samples = calloc(S4_MAX_SAMPLES, sizeof(*s4_samples));
	{
		int fd = open_status();

		base = (int)status_field(fd, "\nThreads:");
		close(fd);
	}
	s4_t0 = now_ns() + 2000000;
	s4_sampling = 1;
	pthread_create(&t, NULL, sampler, NULL);
	sleep_until(s4_t0);	/* the sampler is running before the mix starts */
	expect_tasks(r.n);
	run_drivers(1, all_driver, &r);
	wait_all();
	wall_ms = (double)(now_ns() - s4_t0) / 1e6;
	__atomic_store_n(&s4_sampling, 0, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	if (raw) {
		FILE *f = fopen(raw, "w");

		for (int i = 0; f && i < s4_nsamples; i++)
			fprintf(f, "%.1f %d\n", s4_samples[i].ms100 / 10.0,
				(int)s4_samples[i].threads - HARNESS_THREADS);
		if (f)
			fclose(f);
	}
	print_head("S4");
	printf(" status=ok sleepers=%d burners=%d wall_ms=%.1f ideal_ms=%.1f wall_over_ideal=%.3f "
	       "peak_threads=%d threads_before=%d",
	       nsleep, nsleep, wall_ms, ideal_ms, wall_ms / ideal_ms, s4_peak - HARNESS_THREADS,
	       base - 1);
	free(s4_samples);
	return finish();
}

/* ---- S5: parents that wait for their children ---- */

#define S5_PARENTS 4

static sem_t s5_sem[S5_PARENTS];
static int s5_children_ran;

static void child_fn(struct bench_task *t)
{
	__atomic_add_fetch(&s5_children_ran, 1, __ATOMIC_RELAXED);
	sem_post(&s5_sem[t->arg]);
}

static void parent_fn(struct bench_task *t)
{
	struct bench_task *child = task_at(S5_PARENTS + (int)t->arg);

	child->fn = child_fn;
	child->arg = t->arg;
	expect_tasks(1);
	submit(child);
	if (ops->block_begin)
		ops->block_begin();
	while (sem_wait(&s5_sem[t->arg]) != 0)
		;
	if (ops->block_end)
		ops->block_end();
}

static int s5_child(void)
{
	struct range r = { S5_PARENTS, 1 };
	uint64_t t0;

	if (start_pool(1))
		return 1;
	tasks_alloc(2 * S5_PARENTS);
	for (int i = 0; i < S5_PARENTS; i++) {
		sem_init(&s5_sem[i], 0, 0);
		task_at(i)->fn = parent_fn;
		task_at(i)->arg = (uint32_t)i;
	}
	t0 = now_ns();
	expect_tasks(S5_PARENTS);
	run_drivers(1, all_driver, &r);
	wait_all();
	print_head("S5");
	printf(" status=ok result=%s ms=%.2f children_ran=%d", s5_children_ran == S5_PARENTS ? "PASS" : "FAIL",
	       (double)(now_ns() - t0) / 1e6, s5_children_ran);
	return finish();
}

static volatile sig_atomic_t s5_alarm;

static void on_alarm(int sig)
{
	(void)sig;
	s5_alarm = 1;
}

static int nested_wait(double seconds)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { { 0, 0 }, { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e6) } };
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(s5_child());
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: waitpid returns EINTR */
	setitimer(ITIMER_REAL, &it, NULL);
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR || s5_alarm) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			print_head("S5");
			printf(" status=ok result=FAIL reason=deadlock ms=%.0f\n", seconds * 1000);
			return 0;
		}
	}
	it.it_value = (struct timeval){ 0, 0 };
	setitimer(ITIMER_REAL, &it, NULL);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		print_head("S5");
		printf(" status=error result=FAIL reason=child_status_%d\n", st);
	}
	return 0;
}

/* ---- S6: probe latency under 80 % offered load ---- */

#define S6_TICK_NS	250000u	/* submitter pacing: 4 tasks per wake at 80 % of 2 CPUs */

static __thread int my_tid;

static void work100_fn(struct bench_task *t)
{
	t->t_start = now_ns();
	if (!my_tid)
		my_tid = (int)gettid();
	t->tid = my_tid;
	burn_cpu_ns(100000);
}

/* -w FILE: the 10 tasks that waited longest from submit to start, for
 * bench/tails.sh: "submit_ns start_ns tid index", CLOCK_MONOTONIC (the
 * clock bpftrace's nsecs reads). */
static void write_worst(const char *path, int n)
{
	int worst[10], k = 0;	/* indices, longest wait first */
	FILE *f;

	for (int i = 0; i < n; i++) {
		uint64_t li = task_at(i)->t_start - task_at(i)->t_submit;
		int j;

		if (k == 10 && li <= task_at(worst[9])->t_start - task_at(worst[9])->t_submit)
			continue;
		j = k < 10 ? k++ : 9;
		for (; j > 0 && li > task_at(worst[j - 1])->t_start - task_at(worst[j - 1])->t_submit; j--)
			worst[j] = worst[j - 1];
		worst[j] = i;
	}
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "peer_bench: %s: %s\n", path, strerror(errno));
		return;
	}
	for (int j = 0; j < k; j++) {
		struct bench_task *t = task_at(worst[j]);

		fprintf(f, "%llu %llu %d %d\n", (unsigned long long)t->t_submit, (unsigned long long)t->t_start,
			t->tid, worst[j]);
	}
	fclose(f);
}

struct open_loop {
	int		n;
	uint64_t	interval;
	uint64_t	t0;		/* arrival i is due at t0 + i * interval */
	uint64_t	max_lag;
	uint64_t	tick;		/* pacing: the submitter wakes at most once per tick */
};

static void open_loop_driver(int idx, void *arg)
{
	struct open_loop *o = arg;

	(void)idx;
	precise_timers();
	o->t0 = now_ns() + 1000000;
	for (int i = 0; i < o->n; i++) {
		struct bench_task *t = task_at(i);
		uint64_t due = o->t0 + (uint64_t)i * o->interval, now;

		/* Arrivals never wait for the pool: a late one goes at once. An
		 * early one waits for the next pacing tick, so each wake-up
		 * submits every task due by then: one timer per task would cost
		 * the harness ~17 µs of CPU each in a VM (27 % of a CPU at one
		 * per 62.5 µs), taken from the pool under test. */
		if (now_ns() < due)
			sleep_until(o->t0 + (due - o->t0 + o->tick - 1) / o->tick * o->tick);
		now = now_ns();
		if (now - due > o->max_lag)
			o->max_lag = now - due;
		t->t_submit = now;
		submit(t);
	}
}

static uint64_t process_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *worst_path;	/* -w */

static int loaded_latency(const char *name, int ms, double load, const char *raw)
{
	struct open_loop o = { 0 };
	uint64_t *lat, t0, wall, cpu;

	o.interval = (uint64_t)(100000.0 / (load * ncpu));
	o.tick = S6_TICK_NS;
	o.n = (int)((uint64_t)ms * 1000000u / o.interval);
	lat = calloc((size_t)o.n, sizeof(*lat));
	if (start_pool(1))
		return 1;
	tasks_alloc(o.n);
	for (int i = 0; i < o.n; i++)
		task_at(i)->fn = work100_fn;
	t0 = now_ns();
	cpu = process_cpu_ns();
	expect_tasks(o.n);
	run_drivers(1, open_loop_driver, &o);
	wait_all();
	wall = now_ns() - t0;
	cpu = process_cpu_ns() - cpu;
	print_head(name);
	printf(" status=ok load=%.2f interval_ns=%llu wall_ms=%.1f cpu_pct=%.1f max_submit_lag_us=%.1f", load,
	       (unsigned long long)o.interval, wall / 1e6, 100.0 * (double)cpu / ((double)wall * ncpu),
	       o.max_lag / 1e3);
	for (int i = 0; i < o.n; i++)
		lat[i] = task_at(i)->t_start - task_at(i)->t_submit;
	latency_summary(lat, o.n, raw, "");
	/* The same from when each task was due: the submitter's own delays too. */
	for (int i = 0; i < o.n; i++)
		lat[i] = task_at(i)->t_start - (o.t0 + (uint64_t)i * o.interval);
	latency_summary(lat, o.n, NULL, "arr_");
	if (worst_path)
		write_worst(worst_path, o.n);
	free(lat);
	return finish();
}

/* ---- M1: memory of an idle pool ---- */

static int idle_memory(void)
{
	int fd = open_status();
	long rss0 = status_field(fd, "\nVmRSS:"), thr0 = status_field(fd, "\nThreads:"), rss1, thr1;
	struct timespec ts = { 0, 200 * 1000000 };

	if (start_pool(1))
		return 1;
	nanosleep(&ts, NULL);
	rss1 = status_field(fd, "\nVmRSS:");
	thr1 = status_field(fd, "\nThreads:");
	close(fd);
	print_head("M1");
	printf(" status=ok rss_kib=%ld rss_before_kib=%ld delta_kib=%ld threads=%ld", rss1, rss0, rss1 - rss0,
	       thr1 - thr0);
	if (thr1 > thr0)
		printf(" kib_per_thread=%.1f", (double)(rss1 - rss0) / (double)(thr1 - thr0));
	return finish();
}

/* ---- main ---- */

static int usage(void)
{
	fprintf(stderr, "usage: peer_bench --list | POOL S1|S2|S1x|S3|S4|S5|S6|S6b|M1 [-n N] [-o FILE] [-t SECONDS] [-l LOAD] [-w FILE]"
			" | floor [-n N] [-o FILE]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *raw = NULL, *scen = argc > 2 ? argv[2] : "";
	int n = -1, first_opt = 3;
	double secs = 5;
	double load = -1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ncpu = affinity_cpus(&floor_cpu);
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "--list")) {
		for (int i = 0; bench_pools[i]; i++)
			printf("%s\t%s\t%s\t%s\n", bench_pools[i]->name,
			       bench_pools[i]->flags & BENCH_POOL_HINTED ? "hinted" : "plain",
			       bench_pools[i]->version(), bench_pools[i]->about);
		return 0;
	}
	if (!strcmp(argv[1], "floor"))
		first_opt = 2;
	for (int i = first_opt; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "-n"))
			n = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "-o"))
			raw = argv[i + 1];
		else if (!strcmp(argv[i], "-t"))
			secs = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "-l"))
			load = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "-w"))
			worst_path = argv[i + 1];
		else
			return usage();
	}
	if (!strcmp(argv[1], "floor"))
		return wake_floor(n > 0 ? n : 2000, raw);
	for (int i = 0; bench_pools[i]; i++)
		if (!strcmp(bench_pools[i]->name, argv[1]))
			ops = bench_pools[i];
	if (!ops) {
		fprintf(stderr, "peer_bench: no pool variant '%s' here (see --list)\n", argv[1]);
		return 2;
	}
	if (!strcmp(scen, "S1"))
		return throughput("S1", n > 0 ? n : 1000000, 1, false);
	if (!strcmp(scen, "S2"))
		return throughput("S2", n > 0 ? n : 1000000, 2, false);
	if (!strcmp(scen, "S1x"))
		return throughput("S1x", n > 0 ? n : 1000000, 2, true);
	if (!strcmp(scen, "S3"))
		return idle_latency(n > 0 ? n : 2000, raw);
	if (!strcmp(scen, "S4"))
		return blocking_mix(n > 0 ? n : 200, raw);
	if (!strcmp(scen, "S5"))
		return nested_wait(secs);
	if (!strcmp(scen, "S6"))
		return loaded_latency("S6", n > 0 ? n : 1000, load > 0 ? load : 0.8, raw);
	if (!strcmp(scen, "S6b"))
		return loaded_latency("S6b", n > 0 ? n : 1000, load > 0 ? load : 0.5, raw);
	if (!strcmp(scen, "M1"))
		return idle_memory();
	return usage();
}

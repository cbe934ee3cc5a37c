/* SPDX-License-Identifier: MIT */
/*
 * worker_cost - the CPU cost of making a uwq worker thread, against a bare
 * pthread_create() + pthread_join() with the same stack size, in one run.
 *
 *   worker_cost [-n N] [-r ROUNDS]     (defaults: 32 threads, 7 rounds)
 *
 * Target: a uwq worker costs at most 1.5 × a bare thread (medians);
 * judged for the first burst and for the burst after reaping.
 *
 * Each round measures, one after the other (so drift and the load of the
 * machine hit all alike), each in a fresh process forked for it: every
 * measurement is a cold start (no malloc arenas but the main one, glibc's
 * stack cache empty), as a daemon's first burst is.
 *  bare   N times pthread_create() of a thread that returns at once, with
 *         the stack size uwq's workers get (read by a worker itself with
 *         pthread_getattr_np()), and pthread_join() of it. The process CPU
 *         (CLOCK_PROCESS_CPUTIME_ID: the creator, the threads, the joins)
 *         and wall time of the loop, divided by N. The reference.
 *  held   N such threads made one after another by one thread, each
 *         sleeping on a futex until all exist: N stacks at once, as N
 *         workers need, where the loop above reuses one stack from glibc's
 *         cache every time (no mmap, no page-table page, no first-touch
 *         faults, no munmap). CPU per thread until all sleep, after the
 *         same 20 ms settle as uwq's bursts; and, apart, the CPU of
 *         releasing and joining them ("ending"). What a thread that must
 *         live alongside others costs at least; shown for comparison.
 *  uwq    a new unbound queue whose pool is started by one trivial item
 *         (its first worker, the monitor and creator threads: not counted).
 *         Then twice the same burst of N items, each of which enters a
 *         hinted block (uwq_blocking_begin()) and sleeps on a futex until
 *         the burst is released; the window ends when all N are asleep and
 *         the pool has settled (20 ms: new workers finish starting and go
 *         idle). "cold": no worker but the first exists, so the pool makes
 *         one per blocked item (as the kernel's: a standby before the
 *         blocked one sleeps). "warm": the same burst again, finding the
 *         workers the cold one left idle, so it makes (almost) none.
 *         Everything but the making of workers is the same in both: the
 *         queueing, the items (a hint, a futex wait), the hand-over from a
 *         blocking worker to an idle one (a kick and a futex wake in warm;
 *         in cold the new worker is kicked the same way), the settle. So
 *         (cold CPU - warm CPU) / (workers made cold - workers made warm)
 *         is what making a worker costs beyond waking an idle one: the
 *         creator's share (allocation, pthread_create()) and the new
 *         thread's start-up (its setup, first idle wait) alike, and the
 *         monitor's extra ticks while items wait for new workers.
 *         "again": the idle workers are then reaped down to the reserve
 *         (2; a 1 ms idle timeout for the while), as a quiet minute would,
 *         and the same burst makes them anew, measured as cold was: what a
 *         daemon whose bursts come further apart than the idle timeout
 *         pays. Then "ending": the CPU of uwq_shutdown() (stop, join and
 *         free every worker) per worker.
 * A bare thread's making includes its ending (exit and join); uwq's and
 * held's making do not, as a worker's does not.
 *
 * What the loop gets for free: each of its threads is recycled whole, its
 * user stack from glibc's cache and, in the kernel, its task, kernel
 * stack and pid from those the previous thread just freed. A cold burst
 * of N live threads gets none of that: timed inside uwq's creator, its
 * pthread_create() alone took ~110 us of CPU per worker (2 vCPU VM,
 * user stack already mapped), where the loop's took 30-45 us and held's
 * 115-165 us. So "held", not the loop, is the floor of the cold burst;
 * "again" (after a reap: stacks cached, kernel objects recently freed) is
 * where the loop's ratio is reachable.
 *
 * Printed: one line per round, then min and median of each, the ratio of
 * the medians and PASS/MISS against 1.5 (a benchmark: nothing asserts),
 * and a "kv" line for bench/report.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uwq.h>

#include "clock.h"

#define MAX_ROUNDS	64
#define TARGET		1.5

static uint64_t process_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void sem_wait_all(sem_t *s)
{
	while (sem_wait(s) != 0)
		;
}

/* ---- bare threads ---- */

static void *nothing(void *arg)
{
	return arg;
}

static int gate;	/* futex word: 1 releases the held threads or items */
static int nr_started;
static sem_t all_started;

static void wait_gate(void)
{
	while (!__atomic_load_n(&gate, __ATOMIC_ACQUIRE))
		syscall(SYS_futex, &gate, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

static void open_gate(void)
{
	__atomic_store_n(&gate, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &gate, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

static void *held(void *arg)
{
	if (__atomic_add_fetch(&nr_started, 1, __ATOMIC_ACQ_REL) == *(int *)arg)
		sem_post(&all_started);
	wait_gate();
	return NULL;
}

/*
 * loop: CPU and wall ns per thread of N create+join pairs. held: N
 * threads that each sleep on the gate, CPU per thread until all sleep
 * (after the settle uwq's bursts get), and in *end_ns the CPU of
 * releasing and joining them.
 */
static int bare(int n, size_t stack, bool hold, double *cpu_ns, double *wall_ns, double *end_ns)
{
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	pthread_attr_t attr;
	uint64_t c0, t0, c1;
	int err = 0, made = 0;

	if (!t)
		return ENOMEM;
	sem_init(&all_started, 0, 0);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, stack);
	c0 = process_cpu_ns();
	t0 = now_ns();
	for (; made < n && !err; made++) {
		err = pthread_create(&t[made], &attr, hold ? held : nothing, &n);
		if (!err && !hold)
			pthread_join(t[made], NULL);
	}
	if (hold && !err) {
		sem_wait_all(&all_started);
		*wall_ns = (double)(now_ns() - t0) / n;
		sleep_ms(20);
	} else {
		*wall_ns = (double)(now_ns() - t0) / n;
	}
	c1 = process_cpu_ns();
	*cpu_ns = (double)(c1 - c0) / n;
	if (hold) {
		open_gate();
		for (int i = 0; i < made - (err != 0); i++)
			pthread_join(t[i], NULL);
		*end_ns = (double)(process_cpu_ns() - c1) / n;
	}
	pthread_attr_destroy(&attr);
	free(t);
	return err;
}

/* ---- uwq workers ---- */

static int nr_items;
static int nr_blocked, nr_done;
static sem_t all_blocked, all_done;
static size_t worker_stack;

static void blocker(struct uwq_work *w)
{
	(void)w;
	uwq_blocking_begin();
	if (__atomic_add_fetch(&nr_blocked, 1, __ATOMIC_ACQ_REL) == nr_items)
		sem_post(&all_blocked);
	wait_gate();
	uwq_blocking_end();
	if (__atomic_add_fetch(&nr_done, 1, __ATOMIC_ACQ_REL) == nr_items)
		sem_post(&all_done);
}

static void probe(struct uwq_work *w)
{
	pthread_attr_t attr;

	(void)w;
	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		pthread_attr_getstacksize(&attr, &worker_stack);
		pthread_attr_destroy(&attr);
	}
}

/* Workers the unbound pools have made so far. */
static uint64_t created(void)
{
	struct uwq_pool_stats st;
	uint64_t n = 0;

	for (int i = 0; uwq_pool_stats(i, &st) == 0; i++)
		if (st.cpu < 0)
			n += st.created;
	return n;
}

struct burst {
	uint64_t cpu_ns, wall_ns, made;
};

static void run_burst(struct uwq_workqueue *wq, struct uwq_work *items, struct burst *b)
{
	uint64_t c0, t0, m0 = created();

	nr_blocked = 0;
	nr_done = 0;
	__atomic_store_n(&gate, 0, __ATOMIC_RELEASE);
	c0 = process_cpu_ns();
	t0 = now_ns();
	for (int i = 0; i < nr_items; i++) {
		uwq_work_init(&items[i], blocker);
		uwq_queue_work(wq, &items[i]);
	}
	sem_wait_all(&all_blocked);
	b->wall_ns = now_ns() - t0;
	sleep_ms(20);	/* settle: new workers finish starting */
	b->cpu_ns = process_cpu_ns() - c0;
	b->made = created() - m0;
	open_gate();
	sem_wait_all(&all_done);
}

/* Workers of the unbound pools now. */
static int workers(void)
{
	struct uwq_pool_stats st;
	int n = 0;

	for (int i = 0; uwq_pool_stats(i, &st) == 0; i++)
		if (st.cpu < 0)
			n += st.workers;
	return n;
}

/* Reap the idle workers down to the reserve, as a quiet minute would. */
static void reap(void)
{
	struct uwq_pool_limits fast = { 0, 2, 1000000 }, dfl = { 0, 2, 60000000000ull };

	uwq_set_pool_limits(&fast);
	for (int i = 0; i < 5000 && workers() > 2; i++)
		sleep_ms(1);
	uwq_set_pool_limits(&dfl);
}

/* Per worker made in @b beyond those made in @warm. */
static double per_made(const struct burst *b, const struct burst *warm, bool wall)
{
	double d = wall ? (double)b->wall_ns - (double)warm->wall_ns : (double)b->cpu_ns - (double)warm->cpu_ns;

	return b->made > warm->made ? d / (double)(b->made - warm->made) : 0;
}

/* Cold, warm and remade bursts on a new queue: per worker made, CPU and
 * wall ns. */
static int uwq_round(double *cpu_ns, double *wall_ns, double *end_ns, double *remade_ns, struct burst *cold,
		     struct burst *warm)
{
	struct burst remade;
	uint64_t c0;
	struct uwq_workqueue *wq = uwq_alloc_workqueue("worker_cost", UWQ_UNBOUND, 0);
	struct uwq_work *items = calloc((size_t)nr_items, sizeof(*items));
	struct uwq_work first;

	if (!wq || !items)
		return ENOMEM;
	sem_init(&all_blocked, 0, 0);
	sem_init(&all_done, 0, 0);
	uwq_work_init(&first, probe);
	uwq_queue_work(wq, &first);
	uwq_flush_work(&first);
	run_burst(wq, items, cold);
	run_burst(wq, items, warm);
	reap();
	run_burst(wq, items, &remade);
	c0 = process_cpu_ns();
	uwq_destroy_workqueue(wq);
	uwq_shutdown();	/* ends the workers: stop, join, free */
	*end_ns = (double)(process_cpu_ns() - c0) / (double)(cold->made + warm->made + 1);
	free(items);
	if (cold->made <= warm->made || remade.made <= warm->made)
		return EAGAIN;
	*cpu_ns = per_made(cold, warm, false);
	*wall_ns = per_made(cold, warm, true);
	*remade_ns = per_made(&remade, warm, false);
	return 0;
}

enum kind { BARE, HELD, UWQ, PROBE };

/* What a measuring child hands back (shared memory). */
struct result {
	int		err;
	double		cpu_ns, wall_ns, end_ns, remade_ns;
	struct burst	cold, warm;
	size_t		stack;
};

static void child(enum kind k, size_t stack, struct result *res)
{
	struct uwq_work first;

	switch (k) {
	case BARE:
	case HELD:
		res->err = bare(nr_items, stack, k == HELD, &res->cpu_ns, &res->wall_ns, &res->end_ns);
		break;
	case UWQ:
		res->err = uwq_round(&res->cpu_ns, &res->wall_ns, &res->end_ns, &res->remade_ns, &res->cold, &res->warm);
		break;
	case PROBE:	/* the workers' stack size, as a worker sees it */
		uwq_work_init(&first, probe);
		uwq_queue_work(uwq_system_unbound_wq, &first);
		uwq_flush_work(&first);
		res->stack = worker_stack;
		res->err = worker_stack ? 0 : EINVAL;
		break;
	}
}

/* Run one measurement in a fresh process. */
static int measure(enum kind k, size_t stack, struct result *res)
{
	int status;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0) {
		child(k, stack, res);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return ECHILD;
	return res->err;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* min and median of v[0..n) (sorts a copy) */
static void stats(const double *v, int n, double *min, double *med)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, (size_t)n * sizeof(*v));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	*min = s[0];
	*med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static const char *verdict(double ratio)
{
	return ratio <= TARGET ? "PASS" : "MISS";
}

int main(int argc, char **argv)
{
	double b_cpu[MAX_ROUNDS], h_cpu[MAX_ROUNDS], h_end[MAX_ROUNDS], u_cpu[MAX_ROUNDS], u_wall[MAX_ROUNDS];
	double u_end[MAX_ROUNDS], u_re[MAX_ROUNDS];
	double bmin, bmed, hmin, hmed, hemin, hemed, umin, umed, uemin, uemed, wmin, wmed, rmin, rmed;
	struct result *res;
	int n = 32, rounds = 7, opt, err;
	size_t stack;

	while ((opt = getopt(argc, argv, "n:r:")) != -1) {
		if (opt == 'n')
			n = atoi(optarg);
		else if (opt == 'r')
			rounds = atoi(optarg);
		else
			goto usage;
	}
	if (n < 2 || n > 64 || rounds < 1 || rounds > MAX_ROUNDS) {
usage:
		fprintf(stderr, "usage: %s [-n threads 2..64] [-r rounds 1..%d]\n", argv[0], MAX_ROUNDS);
		return 2;
	}
	nr_items = n;
	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED || measure(PROBE, 0, res) != 0) {
		fprintf(stderr, "worker_cost: cannot read a worker's stack size\n");
		return 1;
	}
	stack = res->stack;
	printf("worker_cost: %d threads per measurement, %d rounds, each measurement in a fresh process;\n"
	       "worker stack %zu KiB, %ld CPUs; process CPU (and wall) time in us per thread\n",
	       n, rounds, stack / 1024, sysconf(_SC_NPROCESSORS_ONLN));
	printf("round   bare loop (wall)   held: make, end (wall)   uwq: make, end (wall), remake   "
	       "[made cold, warm; CPU ms cold, warm]\n");
	for (int r = 0; r < rounds; r++) {
		double bw, hw;

		err = measure(BARE, stack, res);
		b_cpu[r] = res->cpu_ns;
		bw = res->wall_ns;
		if (!err)
			err = measure(HELD, stack, res);
		h_cpu[r] = res->cpu_ns;
		h_end[r] = res->end_ns;
		hw = res->wall_ns;
		if (!err)
			err = measure(UWQ, stack, res);
		if (err) {
			fprintf(stderr, "worker_cost: round %d: %s\n", r, strerror(err));
			return 1;
		}
		u_cpu[r] = res->cpu_ns;
		u_end[r] = res->end_ns;
		u_wall[r] = res->wall_ns;
		u_re[r] = res->remade_ns;
		printf("%5d  %9.1f (%6.1f)  %7.1f %6.1f (%6.1f)  %7.1f %6.1f (%6.1f), %6.1f   [%llu, %llu; %.2f, %.2f]\n",
		       r, b_cpu[r] / 1e3, bw / 1e3, h_cpu[r] / 1e3, h_end[r] / 1e3, hw / 1e3, u_cpu[r] / 1e3,
		       u_end[r] / 1e3, u_wall[r] / 1e3, u_re[r] / 1e3, (unsigned long long)res->cold.made,
		       (unsigned long long)res->warm.made, (double)res->cold.cpu_ns / 1e6,
		       (double)res->warm.cpu_ns / 1e6);
	}
	stats(b_cpu, rounds, &bmin, &bmed);
	stats(h_cpu, rounds, &hmin, &hmed);
	stats(h_end, rounds, &hemin, &hemed);
	stats(u_cpu, rounds, &umin, &umed);
	stats(u_end, rounds, &uemin, &uemed);
	stats(u_wall, rounds, &wmin, &wmed);
	stats(u_re, rounds, &rmin, &rmed);
	printf("bare pthread_create+join loop:  CPU per thread min %.1f median %.1f us\n", bmin / 1e3, bmed / 1e3);
	printf("held (%d alive at once):        making min %.1f median %.1f us; ending min %.1f median %.1f us\n", n,
	       hmin / 1e3, hmed / 1e3, hemin / 1e3, hemed / 1e3);
	printf("uwq worker made on demand:      making min %.1f median %.1f us; ending min %.1f median %.1f us\n",
	       umin / 1e3, umed / 1e3, uemin / 1e3, uemed / 1e3);
	printf("                                (wall per worker made: min %.1f median %.1f us)\n", wmin / 1e3,
	       wmed / 1e3);
	printf("uwq worker made again:          making min %.1f median %.1f us (after idle workers were reaped)\n",
	       rmin / 1e3, rmed / 1e3);
	printf("uwq making / bare loop (medians): %.2f, target <= %.1f: %s\n", umed / bmed, TARGET,
	       verdict(umed / bmed));
	printf("uwq making / held making (medians): %.2f\n", umed / hmed);
	printf("uwq making again / bare loop (medians): %.2f, target <= %.1f: %s\n", rmed / bmed, TARGET,
	       verdict(rmed / bmed));
	printf("kv bare_us=%.1f held_us=%.1f held_end_us=%.1f uwq_us=%.1f uwq_end_us=%.1f remade_us=%.1f ratio=%.2f "
	       "ratio_held=%.2f ratio_remade=%.2f result=%s result_remade=%s\n", bmed / 1e3, hmed / 1e3, hemed / 1e3,
	       umed / 1e3, uemed / 1e3, rmed / 1e3, umed / bmed, umed / hmed, rmed / bmed, verdict(umed / bmed),
	       verdict(rmed / bmed));
	return 0;
}

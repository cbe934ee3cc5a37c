/* SPDX-License-Identifier: MIT */
/*
 * export.c - the live statistics segment (<uwq/export.h>) for uwq-top.
 *
 * DESIGN
 * A thread, uwq-export, wakes every interval, gathers a snapshot with the
 * statistics API into private memory (taking each pool's lock briefly, as
 * uwq_dump() does), then copies it into the shared segment inside a
 * seqlock write. Gathering first keeps the odd (inconsistent) window to a
 * memcpy; readers retry on it and never make the writer wait, so a stuck
 * or hostile reader cannot affect the process. Nothing is added to the
 * hot path: the counters exist anyway (stats.c).
 * A pool's CPU time (uwq_export_pool.cpu_ns) is measured, not estimated:
 * each snapshot reads the thread CPU clock of every worker of the pool and
 * adds what each advanced since the previous snapshot (a worker not seen
 * before adds all it has used). So the figure is real CPU time of the
 * pool's threads, never more: time a worker spent runnable but waiting for
 * a CPU, or asleep, is not in it. The per-queue cpu_ns (stats.c) cannot be
 * that: it is wall time in the function minus the blocking uwq knew of,
 * sampled, because reading a thread's CPU clock costs a system call
 * (1.4-2.2 us on the target, 4 us on a loaded 2-vCPU VM) and the hot path
 * would pay two per timed item; here it costs one per worker per snapshot,
 * on this thread. The worker list is copied under the pool lock (clock ids
 * only) and the clocks are read after it is dropped, as the monitor does,
 * so a pool with many workers is not held up. A worker reaped in between
 * fails its read and adds nothing; a worker that exits takes with it only
 * what it used since the previous snapshot (it was idle: reaping takes
 * workers idle for UWQ_IDLE_TIMEOUT_MS). Rejected: accumulating at reap in
 * pool.c (a hook in the worker life cycle for an opt-in reader), and
 * reading the clocks under the pool lock (n system calls of lock hold).
 * The segment is created with mode 0600 (the umask can only narrow it),
 * O_EXCL after unlinking a stale one of a dead process with our pid, and
 * removed by uwq_export_stop(), uwq_shutdown() and an atexit handler,
 * which only unlinks in the process that created it (a fork child must
 * not remove its parent's segment).
 * CONCURRENCY: xp.lock guards start/stop; the thread owns the segment
 * and xp.cpu.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uwq/export.h>

#include "internal/fault.h"
#include "internal/irq.h"
#include "internal/log.h"
#include "internal/wq.h"

#define MAX_WQS		256

/* One worker's CPU clock and what it read at the previous snapshot. */
struct seen {
	clockid_t	clk;
	uint64_t	ns;
};

/* A pool's measured CPU time: the workers seen at the previous snapshot,
 * sorted by clock id, and the sum of what they advanced. */
struct pool_cpu {
	struct seen	*seen, *next;	/* next: this snapshot's, same capacity */
	int		n, cap;
	uint64_t	total;
};

static struct {
	pthread_mutex_t		lock;
	pthread_cond_t		cond;		/* lock: stop */
	bool			running;	/* lock */
	bool			stop;		/* lock */
	bool			atexit_done;	/* lock */
	pthread_t		thread;
	pid_t			owner;		/* the process that made the segment */
	char			name[32];
	struct uwq_export_header *shm;
	void			*snap;		/* private copy, same layout */
	size_t			size;
	unsigned		interval_ms;
	struct pool_cpu		*cpu;		/* one per pool index, max_pools */
	int			nr_cpu;
} xp = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void layout(struct uwq_export_header *h, unsigned interval_ms)
{
	size_t off = (sizeof(*h) + 63) & ~(size_t)63;

	memset(h, 0, sizeof(*h));
	h->magic = UWQ_EXPORT_MAGIC;
	h->version = UWQ_EXPORT_VERSION;
	h->pid = (int32_t)getpid();
	h->interval_ms = interval_ms;
	h->nr_cpus = (uint32_t)uwq__g.nr_cpus;
	h->max_pools = (uint32_t)(2 * uwq__g.nr_cpus + UWQ_MAX_UPOOLS);
	h->pool_size = sizeof(struct uwq_export_pool);
	h->pools_off = (uint32_t)off;
	off += (size_t)h->max_pools * h->pool_size;
	h->max_wqs = MAX_WQS;
	h->wq_size = sizeof(struct uwq_export_wq);
	h->wqs_off = (uint32_t)off;
	off += (size_t)h->max_wqs * h->wq_size;
	h->max_lines = UWQ_IRQ_MAX_LINES;
	h->line_size = sizeof(struct uwq_export_line);
	h->lines_off = (uint32_t)off;
	off += (size_t)h->max_lines * h->line_size;
	h->size = (uint32_t)off;
}

static void pool_flags(int i, struct uwq_export_pool *p, uint64_t now)
{
	struct uwq__pool *pool = uwq__pool_at(i);
	struct uwq__list *pos;

	pthread_mutex_lock(&pool->lock);
	if (!wlist_empty(&pool->worklist) && now > pool->last_progress)
		p->stall_ns = now - pool->last_progress;
	list_for_each(pos, &pool->workers) {
		struct uwq__worker *wk = container_of(pos, struct uwq__worker, all_node);

		if (!wk->current_work)
			continue;
		p->hogs += !!(wk->flags & WORKER_CPU_INTENSIVE);
		p->blocked += !!(wk->flags & (WORKER_BLOCKED | WORKER_AUTO_BLOCKED));
	}
	pthread_mutex_unlock(&pool->lock);
}

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts) != 0)
		return UINT64_MAX;	/* the thread has gone */
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int seen_cmp(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;

	return (x->clk > y->clk) - (x->clk < y->clk);
}

/* The clocks of @pool's workers into @pc->next: how many; -1 if they do not fit. */
static int pool_clocks(struct uwq__pool *pool, struct pool_cpu *pc)
{
	struct uwq__list *pos;
	int n = 0;

	pthread_mutex_lock(&pool->lock);
	list_for_each(pos, &pool->workers) {
		struct uwq__worker *wk = container_of(pos, struct uwq__worker, all_node);

		/* Not born: no thread yet, no CPU used. Born and on this list:
		 * not reaped, so not joined, so @thread is valid. */
		if (!wk->born)
			continue;
		if (n == pc->cap) {
			n = -1;
			break;
		}
		if (pthread_getcpuclockid(wk->thread, &pc->next[n].clk) == 0)
			n++;
	}
	pthread_mutex_unlock(&pool->lock);
	return n;
}

static int pool_cpu_grow(struct pool_cpu *pc)
{
	int cap = pc->cap ? 2 * pc->cap : 16;
	struct seen *p;

	p = realloc(pc->seen, (size_t)cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	pc->seen = p;
	p = realloc(pc->next, (size_t)cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	pc->next = p;
	pc->cap = cap;
	return 0;
}

/*
 * The CPU time @pool's threads used (see DESIGN): @pc->total plus what
 * each worker's clock advanced since the previous call.
 */
static uint64_t pool_cpu_ns(struct uwq__pool *pool, struct pool_cpu *pc)
{
	struct seen *tmp;
	int n, j = 0;

	while ((n = pool_clocks(pool, pc)) < 0)
		if (pool_cpu_grow(pc) != 0)
			return pc->total;	/* count it at the next snapshot */
	if (n > 1)
		qsort(pc->next, (size_t)n, sizeof(pc->next[0]), seen_cmp);
	for (int i = 0; i < n; i++) {
		struct seen *s = &pc->next[i];

		s->ns = clock_ns(s->clk);
		while (j < pc->n && pc->seen[j].clk < s->clk)
			j++;
		if (s->ns == UINT64_MAX) {
			s->ns = 0;	/* reaped since: counted up to the last snapshot */
			continue;
		}
		/* The same clock id is the same thread, unless a reaped
		 * worker's tid went to a new one: then it reads less. */
		if (j < pc->n && pc->seen[j].clk == s->clk && s->ns >= pc->seen[j].ns)
			pc->total += s->ns - pc->seen[j].ns;
		else
			pc->total += s->ns;
	}
	tmp = pc->seen;
	pc->seen = pc->next;
	pc->next = tmp;
	pc->n = n;
	return pc->total;
}

/* Fill the private snapshot. */
static void gather(struct uwq_export_header *h)
{
	char *base = (char *)h;
	uint64_t now = uwq__now_ns();
	struct uwq__list *pos;
	int n;

	h->flags = 0;
	h->nr_pools = 0;
	n = uwq__nr_pools();
	for (int i = 0; i < n; i++) {
		struct uwq_export_pool *p;

		if (h->nr_pools == h->max_pools) {
			h->flags |= UWQ_EXPORT_TRUNCATED;
			break;
		}
		p = (void *)(base + h->pools_off + (size_t)h->nr_pools * h->pool_size);
		memset(p, 0, sizeof(*p));
		if (uwq_pool_stats(i, &p->s) || !p->s.started)
			continue;
		pool_flags(i, p, now);
		if (i < xp.nr_cpu)
			p->cpu_ns = pool_cpu_ns(uwq__pool_at(i), &xp.cpu[i]);
		h->nr_pools++;
	}
	h->nr_wqs = 0;
	pthread_mutex_lock(&uwq__g.lock);
	list_for_each(pos, &uwq__g.wqs) {
		struct uwq_export_wq *q;

		if (h->nr_wqs == h->max_wqs) {
			h->flags |= UWQ_EXPORT_TRUNCATED;
			break;
		}
		q = (void *)(base + h->wqs_off + (size_t)h->nr_wqs * h->wq_size);
		if (uwq_workqueue_stats(container_of(pos, struct uwq_workqueue, node), &q->s) == 0)
			h->nr_wqs++;
	}
	pthread_mutex_unlock(&uwq__g.lock);
	h->nr_lines = 0;
	for (int irq = 1; irq < UWQ_IRQ_MAX_LINES; irq++) {
		struct uwq_export_line *l = (void *)(base + h->lines_off + (size_t)h->nr_lines * h->line_size);

		if (uwq_irq_stats(irq, &l->s) == 0)
			h->nr_lines++;
	}
	h->snapshot_ns = now;
}

/* Copy the snapshot into the segment under the seqlock. */
static void publish(void)
{
	struct uwq_export_header *h = xp.shm, *s = xp.snap;
	uint32_t seq = __atomic_load_n(&h->seq, __ATOMIC_RELAXED);

	/* Seq-cst exchange, not a store and a fence: no write below moves
	 * above it (and TSan has no fences). */
	__atomic_exchange_n(&h->seq, seq + 1, __ATOMIC_SEQ_CST);
	s->seq = seq + 1;
	s->snapshots = h->snapshots + 1;
	memcpy((char *)h + sizeof(h->magic), (char *)s + sizeof(s->magic), xp.size - sizeof(h->magic));
	__atomic_store_n(&h->seq, seq + 2, __ATOMIC_RELEASE);
}

static void *export_thread(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "uwq-export");
	pthread_mutex_lock(&xp.lock);
	while (!xp.stop) {
		struct timespec ts;

		pthread_mutex_unlock(&xp.lock);
		gather(xp.snap);
		publish();
		pthread_mutex_lock(&xp.lock);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += xp.interval_ms / 1000;
		ts.tv_nsec += (long)(xp.interval_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!xp.stop && pthread_cond_timedwait(&xp.cond, &xp.lock, &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&xp.lock);
	return NULL;
}

static void export_atexit(void)
{
	uwq_export_stop();
}

int uwq_export_start(unsigned interval_ms)
{
	struct uwq_export_header h;
	pthread_condattr_t ca;
	sigset_t all, old;
	int fd, err;

	uwq__ensure_init();
	pthread_mutex_lock(&xp.lock);
	if (xp.running) {
		pthread_mutex_unlock(&xp.lock);
		return 0;
	}
	xp.interval_ms = interval_ms ? interval_ms : 250;
	layout(&h, xp.interval_ms);
	snprintf(xp.name, sizeof(xp.name), "/uwq.%d", (int)getpid());
	shm_unlink(xp.name);	/* a dead process's, with our pid */
	fd = shm_open(xp.name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	if (fchmod(fd, 0600) != 0 || ftruncate(fd, (off_t)h.size) != 0) {
		err = -errno;
		close(fd);
		goto unlink;
	}
	xp.shm = mmap(NULL, h.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (xp.shm == MAP_FAILED) {
		err = -errno;
		xp.shm = NULL;
		goto unlink;
	}
	xp.snap = calloc(1, h.size);
	xp.cpu = calloc(h.max_pools, sizeof(*xp.cpu));
	if (!xp.snap || !xp.cpu) {
		err = -ENOMEM;
		goto release;
	}
	xp.nr_cpu = (int)h.max_pools;
	xp.size = h.size;
	memcpy(xp.snap, &h, sizeof(h));
	memcpy(xp.shm, &h, sizeof(h));
	xp.owner = getpid();
	xp.stop = false;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_destroy(&xp.cond);
	pthread_cond_init(&xp.cond, &ca);
	pthread_condattr_destroy(&ca);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -uwq__thread_create(&xp.thread, NULL, export_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		goto release;
	xp.running = true;
	if (!xp.atexit_done) {
		xp.atexit_done = true;
		atexit(export_atexit);
	}
	pthread_mutex_unlock(&xp.lock);
	return 0;
release:
	free(xp.snap);
	free(xp.cpu);
	xp.snap = NULL;
	xp.cpu = NULL;
	xp.nr_cpu = 0;
	munmap(xp.shm, h.size);
	xp.shm = NULL;
unlink:
	shm_unlink(xp.name);
out:
	pthread_mutex_unlock(&xp.lock);
	uwq__log("cannot export statistics: %s", strerror(-err));
	return err;
}

void uwq_export_stop(void)
{
	pthread_t t;

	pthread_mutex_lock(&xp.lock);
	if (!xp.running || xp.owner != getpid()) {
		pthread_mutex_unlock(&xp.lock);
		return;
	}
	xp.stop = true;
	t = xp.thread;
	pthread_cond_broadcast(&xp.cond);
	pthread_mutex_unlock(&xp.lock);
	pthread_join(t, NULL);
	pthread_mutex_lock(&xp.lock);
	shm_unlink(xp.name);
	munmap(xp.shm, xp.size);
	free(xp.snap);
	for (int i = 0; i < xp.nr_cpu; i++) {
		free(xp.cpu[i].seen);
		free(xp.cpu[i].next);
	}
	free(xp.cpu);
	xp.shm = NULL;
	xp.snap = NULL;
	xp.cpu = NULL;
	xp.nr_cpu = 0;
	xp.running = false;
	pthread_mutex_unlock(&xp.lock);
}

/* fork.c: the parent's thread and segment are not the child's. */
void uwq__export_atfork_child(void)
{
	pthread_mutex_init(&xp.lock, NULL);
	xp.running = false;
	xp.shm = NULL;
	xp.snap = NULL;
	xp.cpu = NULL;
	xp.nr_cpu = 0;
}

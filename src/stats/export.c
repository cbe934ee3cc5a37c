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
 * The segment is created with mode 0600 (the umask can only narrow it),
 * O_EXCL after unlinking a stale one of a dead process with our pid, and
 * removed by uwq_export_stop(), uwq_shutdown() and an atexit handler,
 * which only unlinks in the process that created it (a fork child must
 * not remove its parent's segment).
 * CONCURRENCY: xp.lock guards start/stop; the thread owns the segment.
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
	if (!xp.snap) {
		err = -ENOMEM;
		goto unmap;
	}
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
	if (err) {
		free(xp.snap);
		xp.snap = NULL;
		goto unmap;
	}
	xp.running = true;
	if (!xp.atexit_done) {
		xp.atexit_done = true;
		atexit(export_atexit);
	}
	pthread_mutex_unlock(&xp.lock);
	return 0;
unmap:
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
	xp.shm = NULL;
	xp.snap = NULL;
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
}

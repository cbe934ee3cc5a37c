/* SPDX-License-Identifier: MIT */
/*
 * uwq-top - a live view of the statistics a uwq process exports
 * (UWQ_EXPORT=1 or uwq_export_start(); the layout is <uwq/export.h>).
 *
 *   uwq-top [-d SECONDS] [--stall SECONDS] PID       refreshing terminal view
 *   uwq-top --once [--json] PID                      one snapshot, then exit
 *   uwq-top --json [-d SECONDS] PID                  one JSON object per line
 *
 * DESIGN
 * The reader only maps the segment read-only and copies it out under the
 * seqlock (segment_read()), so watching a process can never slow it down
 * or change what it does; the tool does not link libuwq and starts no
 * thread. A copy takes the header first, validates every offset and size
 * in it against the mapped length (a torn header may hold anything), then
 * copies only the used part of each array (a few KB, not the ~0.5 MB
 * segment: a shorter copy collides less with the writer); if the sequence
 * moved, it retries, up to about half a second, then gives up with an
 * error. The copy loads with acquire ordering instead of memcpy and an
 * acquire fence (copy_acquire()): the same guarantee, and TSan, which
 * does not model fences, accepts it; on x86 the loads are plain moves.
 *
 * Rates are differences between two of the writer's snapshots divided by
 * the writer's time between them (header.snapshot_ns), so they are exact
 * for the window whatever the reader's timing. The interactive view and
 * the JSON stream use the previous refresh (the last snapshot that
 * differs); --once reads a snapshot, then waits for one at least 0.5 s
 * younger (RATE_WINDOW_NS), giving up after 1 s (ONCE_WAIT_NS): a process
 * exporting less often than that gets totals only, and null/"-" rates.
 * Latency percentiles are taken from the histogram difference over the
 * same window ("recent", what the text view shows; key t switches to
 * "since start"); JSON gives both. A percentile is the upper bound of the
 * log2 bucket holding it, as uwq_hist_percentile() defines; the last
 * bucket has none (">2.1s" in text, UINT64_MAX in JSON), an empty
 * histogram gives 0 ("-" in text).
 *
 * CPU%: a pool's is the CPU time its worker threads used in the window
 * (read from their thread CPU clocks by the exporter), so it can never
 * exceed what the process used. A queue's own cpu_ns is an estimate that
 * can (wall time in the function, sampled: eight workers waiting for one
 * CPU read 800 %); the view shows it scaled down, where needed, to what
 * the pools that run the queue's items used (view_cpu()).
 *
 * Flags: a pool is STALLed when work has been pending with no item
 * started for --stall seconds (default 1 s: far beyond any healthy
 * queueing delay, well before the library's 30 s watchdog report); HOG n
 * counts workers now running an item past the CPU-intensive threshold;
 * BLK n workers now blocked inside an item (normal for blocking work,
 * shown so a pool growing its workers is explained). A line disabled as
 * spurious, or disabled at all, is reported in the alert rows. A line's
 * MERGED column (JSON "missed", the name of the first version) counts
 * events its chip folded into another before the handler ran: eventfd
 * raises and timerfd expirations that came while one was pending, merged
 * VFIO and signalfd signals, UIO count and GPIO seqno gaps. The handler
 * ran once for them; they are not interrupts lost by uwq. The legend
 * (legend[]) says all this in the view: after the tables when the rows
 * allow, on key ?, at the end of --once and in --help.
 *
 * Security: the segment is 0600, so only the exporting user and root can
 * read it (shm_open gives EACCES otherwise, reported as such). Names come
 * from the watched process and are printed with everything outside
 * printable ASCII replaced, so a process cannot send escape sequences to
 * the terminal of whoever watches it; in JSON they are escaped.
 *
 * The terminal is put in non-canonical, no-echo mode on the alternate
 * screen, and restored on q, on SIGINT/SIGTERM/SIGHUP (then the signal is
 * re-raised, so the exit status tells), on ^Z (and set up again on
 * resume) and on every error path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <uwq/export.h>
#include <uwq/workqueue.h>

#include "internal/hist.h"	/* uwq_hist_percentile()'s rule; no libuwq here */

#define NSEC_PER_SEC		1000000000ull
#define RATE_WINDOW_NS		(NSEC_PER_SEC / 2)	/* --once: shortest rate window */
#define ONCE_WAIT_NS		NSEC_PER_SEC		/* --once: longest wait for it */
#define READ_TRIES		500			/* seqlock retries, ~1 ms apart */
#define TEXT_MAX		512			/* widest row kept */
#define NAME_MIN		16			/* name columns at 80 columns */
#define SEGMENT_MAX		(64u << 20)		/* v1 with 1024 CPUs: ~1 MiB */
/* A pool element of the first v1 segments ends before cpu_ns. */
#define POOL_SIZE_MIN		offsetof(struct uwq_export_pool, cpu_ns)
#define POOL_HAS_CPU(h)		((h)->pool_size >= sizeof(struct uwq_export_pool))

enum { ATTR_NONE, ATTR_HEAD, ATTR_ALERT };

static const char *prog = "uwq-top";

/* Options */
static double opt_delay = 1.0;
static double opt_stall = 1.0;
static bool opt_once, opt_json;
static bool show_totals;	/* key t: percentiles since start, not recent */
static bool show_legend;	/* key ?: the legend instead of the tables */

/* What the columns and flags mean: the view (key ?, --once) and --help. */
static const char *const legend[] = {
	"FLAGS   STALL t  work pending and no item started for t (--stall, default 1 s)",
	"        HOG n    n workers running an item past the CPU-intensive threshold",
	"        BLK n    n workers blocked inside an item (normal for blocking work)",
	"CPU%    pool: CPU time its worker threads used (their CPU clocks), 100 = 1 CPU",
	"        queue: estimated from its timed items (1 in UWQ_STATS_SAMPLE), scaled",
	"        down where needed so queues never add up to more than their pools used",
	"p50/p99 upper edge of the log2 bucket holding the percentile: the value is at",
	"        most that and over half of it; >2.1s: the last bucket, which has none",
	"MERGED  events folded into one handler call: raises or timer ticks that came",
	"        while one was pending, UIO count and GPIO seqno gaps (JSON: missed)",
	"KEYS    q quit  t recent/since-start percentiles  space refresh  ? legend",	/* last */
};
#define NR_LEGEND	((int)(sizeof(legend) / sizeof(legend[0])))

/* ---------------------------------------------------------------- segment */

struct segment {
	int		pid;
	const char	*map;
	size_t		size;
	dev_t		dev;
	ino_t		ino;
	char		comm[32];
};

struct snap {
	char				*buf;	/* private copy of the used part */
	struct uwq_export_header	h;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / NSEC_PER_SEC), (long)(ns % NSEC_PER_SEC) };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static bool process_alive(int pid)
{
	return kill(pid, 0) == 0 || errno != ESRCH;
}

static void shm_path(int pid, char *buf, size_t len)
{
	snprintf(buf, len, "/dev/shm/uwq.%d", pid);
}

/* An array of @nr used out of @max elements of @size bytes at @off. */
static bool array_ok(uint32_t off, uint32_t nr, uint32_t max, uint32_t size, size_t min_size,
		     uint64_t total)
{
	return size >= min_size && nr <= max && off >= sizeof(struct uwq_export_header) &&
	       (uint64_t)off + (uint64_t)max * size <= total;
}

/* 0, or a message saying what is wrong with header @h of a @maplen segment. */
static const char *header_check(const struct uwq_export_header *h, size_t maplen)
{
	if (h->magic != UWQ_EXPORT_MAGIC)
		return "not a uwq statistics segment (bad magic)";
	if (h->version != UWQ_EXPORT_VERSION)
		return "segment version not supported by this uwq-top";
	if (h->size < sizeof(*h) || h->size > maplen)
		return "segment size inconsistent with its header";
	if (!array_ok(h->pools_off, h->nr_pools, h->max_pools, h->pool_size, POOL_SIZE_MIN, h->size) ||
	    !array_ok(h->wqs_off, h->nr_wqs, h->max_wqs, h->wq_size, sizeof(struct uwq_export_wq), h->size) ||
	    !array_ok(h->lines_off, h->nr_lines, h->max_lines, h->line_size,
		      sizeof(struct uwq_export_line), h->size))
		return "segment layout inconsistent with its header";
	return NULL;
}

static void read_comm(struct segment *g)
{
	char path[64];
	FILE *f;

	snprintf(g->comm, sizeof(g->comm), "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", g->pid);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(g->comm, sizeof(g->comm), f))
		g->comm[strcspn(g->comm, "\n")] = '\0';
	fclose(f);
}

static void report_eacces(int pid)
{
	char path[64];
	struct stat st;

	shm_path(pid, path, sizeof(path));
	if (stat(path, &st) == 0) {
		struct passwd *pw = getpwuid(st.st_uid);

		fprintf(stderr, "%s: permission denied: the statistics of process %d (%s, mode %03o) "
			"are readable only by user %s (uid %u) and root\n", prog, pid, path,
			(unsigned)(st.st_mode & 0777), pw ? pw->pw_name : "?", (unsigned)st.st_uid);
	} else {
		fprintf(stderr, "%s: permission denied: cannot read the statistics of process %d (%s)\n",
			prog, pid, path);
	}
}

/* Map /uwq.<pid>. Return: 0, or -1 after printing why not. */
static int segment_open(struct segment *g, int pid)
{
	const struct uwq_export_header *h;
	char name[32], path[64];
	const char *why;
	struct stat st;
	void *map;
	int fd;

	memset(g, 0, sizeof(*g));
	g->pid = pid;
	shm_path(pid, path, sizeof(path));
	snprintf(name, sizeof(name), "/uwq.%d", pid);
	fd = shm_open(name, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0) {
		int err = errno;

		if (err == ENOENT && !process_alive(pid))
			fprintf(stderr, "%s: process %d exports no statistics (no such process)\n", prog, pid);
		else if (err == ENOENT)
			fprintf(stderr, "%s: process %d exports no statistics (start it with UWQ_EXPORT=1)\n",
				prog, pid);
		else if (err == EACCES || err == EPERM)
			report_eacces(pid);
		else
			fprintf(stderr, "%s: cannot open %s: %s\n", prog, path, strerror(err));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		fprintf(stderr, "%s: cannot stat %s: %s\n", prog, path, strerror(errno));
		close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size < sizeof(*h) || (uint64_t)st.st_size > SEGMENT_MAX) {
		fprintf(stderr, "%s: %s: not a uwq statistics segment (too %s)\n", prog, path,
			(uint64_t)st.st_size < sizeof(*h) ? "short" : "large");
		close(fd);
		return -1;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		fprintf(stderr, "%s: cannot map %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	g->map = map;
	g->size = (size_t)st.st_size;
	g->dev = st.st_dev;
	g->ino = st.st_ino;
	h = map;
	/* magic is never rewritten; the rest is checked again under the seqlock. */
	why = header_check(h, g->size);
	if (why) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, why);
		goto unmap;
	}
	if (h->pid != pid) {
		fprintf(stderr, "%s: %s belongs to process %d, not %d\n", prog, path, (int)h->pid, pid);
		goto unmap;
	}
	if (!process_alive(pid)) {
		fprintf(stderr, "%s: process %d is not running: %s is a stale segment it left behind\n",
			prog, pid, path);
		goto unmap;
	}
	if (st.st_uid != geteuid() && geteuid() != 0)
		fprintf(stderr, "%s: warning: %s is owned by uid %u\n", prog, path, (unsigned)st.st_uid);
	read_comm(g);
	return 0;
unmap:
	munmap(map, g->size);
	g->map = NULL;
	return -1;
}

static void segment_close(struct segment *g)
{
	if (g->map)
		munmap((void *)g->map, g->size);
	g->map = NULL;
}

/* Has the process gone, or stopped exporting (the segment was removed)? */
static const char *segment_gone(const struct segment *g)
{
	char path[64];
	struct stat st;

	if (!process_alive(g->pid))
		return "exited";
	shm_path(g->pid, path, sizeof(path));
	if (stat(path, &st) != 0 || st.st_ino != g->ino || st.st_dev != g->dev)
		return "stopped exporting statistics";
	return NULL;
}

/*
 * memcpy() with every load an acquire: the loads that follow (the second
 * read of seq) cannot move above any of them, which is what the reader's
 * acquire fence is for in <uwq/export.h>, without a fence (TSan has none).
 * Words where the source allows, else bytes (a forged layout may be odd).
 */
static void copy_acquire(void *dst, const void *src, size_t n)
{
	if ((uintptr_t)src % 8 == 0 && (uintptr_t)dst % 8 == 0 && n % 8 == 0) {
		const uint64_t *s = src;
		uint64_t *d = dst;

		for (size_t i = 0; i < n / 8; i++)
			d[i] = __atomic_load_n(&s[i], __ATOMIC_ACQUIRE);
	} else {
		const unsigned char *s = src;
		unsigned char *d = dst;

		for (size_t i = 0; i < n; i++)
			d[i] = __atomic_load_n(&s[i], __ATOMIC_ACQUIRE);
	}
}

static int snap_alloc(struct snap *s, const struct segment *g)
{
	s->buf = calloc(1, g->size);
	return s->buf ? 0 : -1;
}

/*
 * Copy a consistent snapshot (export.h's reader protocol). The header is
 * copied and checked first, then only the used part of each array.
 * Return: 0; -1 with why in @err (invalid, or never consistent).
 */
static int segment_read(const struct segment *g, struct snap *s, char *err, size_t errlen)
{
	const struct uwq_export_header *m = (const void *)g->map;
	const char *why = NULL;

	for (int tries = 0; tries < READ_TRIES; tries++) {
		/* Acquire: pairs with the writer's release of the even value, so
		 * the copy sees everything written before it. */
		uint32_t seq = __atomic_load_n(&m->seq, __ATOMIC_ACQUIRE);
		struct uwq_export_header *h = (void *)s->buf;

		if (seq & 1) {
			if (tries < 20)
				sched_yield();
			else
				sleep_ns(1000000);
			continue;
		}
		copy_acquire(s->buf, g->map, sizeof(*h));
		why = header_check(h, g->size);
		if (!why) {
			copy_acquire(s->buf + h->pools_off, g->map + h->pools_off, (size_t)h->nr_pools * h->pool_size);
			copy_acquire(s->buf + h->wqs_off, g->map + h->wqs_off, (size_t)h->nr_wqs * h->wq_size);
			copy_acquire(s->buf + h->lines_off, g->map + h->lines_off, (size_t)h->nr_lines * h->line_size);
		}
		/* Relaxed is enough: the acquire loads of the copy keep this
		 * load after them; the writer made seq odd (seq-cst exchange)
		 * before writing any of what was copied. */
		if (__atomic_load_n(&m->seq, __ATOMIC_RELAXED) != seq) {
			sched_yield();
			continue;
		}
		if (why)
			break;
		s->h = *h;
		return 0;
	}
	if (why)
		snprintf(err, errlen, "%s: process %d: %s", prog, g->pid, why);
	else
		snprintf(err, errlen, "%s: process %d: no consistent snapshot after %d tries "
			 "(stopped in the middle of an update?)", prog, g->pid, READ_TRIES);
	return -1;
}

/* Pool @i of @s; fields the segment's pool_size leaves out are 0. */
static void snap_pool(const struct snap *s, uint32_t i, struct uwq_export_pool *p)
{
	memset(p, 0, sizeof(*p));
	memcpy(p, s->buf + s->h.pools_off + (size_t)i * s->h.pool_size,
	       POOL_HAS_CPU(&s->h) ? sizeof(*p) : POOL_SIZE_MIN);
}

static void snap_wq(const struct snap *s, uint32_t i, struct uwq_export_wq *q)
{
	memcpy(q, s->buf + s->h.wqs_off + (size_t)i * s->h.wq_size, sizeof(*q));
	q->s.name[sizeof(q->s.name) - 1] = '\0';
}

static void snap_line(const struct snap *s, uint32_t i, struct uwq_export_line *l)
{
	memcpy(l, s->buf + s->h.lines_off + (size_t)i * s->h.line_size, sizeof(*l));
	l->s.chip[sizeof(l->s.chip) - 1] = '\0';
	l->s.actions[sizeof(l->s.actions) - 1] = '\0';
}

/* ---------------------------------------------------------------- derived */


/* @d = @now - @then; false if a bucket went down (the object was replaced). */
static bool hist_delta(const struct uwq_hist *now, const struct uwq_hist *then, struct uwq_hist *d)
{
	for (int i = 0; i < UWQ_HIST_BUCKETS; i++) {
		if (now->bucket[i] < then->bucket[i])
			return false;
		d->bucket[i] = now->bucket[i] - then->bucket[i];
	}
	return true;
}

/* Per second over @secs; -1 (no rate) without a window or if the counter went down. */
static double per_s(uint64_t now, uint64_t then, double secs)
{
	if (secs <= 0 || now < then)
		return -1;
	return (double)(now - then) / secs;
}

/*
 * Which pools a queue's items run on: a bound queue's on the per-CPU pools
 * (the highpri ones if UWQ_HIGHPRI), an unbound queue's on unbound pools.
 */
enum { CLS_BOUND, CLS_BOUND_HI, CLS_UNBOUND, NR_CLS };

static int pool_class(const struct uwq_pool_stats *s)
{
	return s->cpu < 0 ? CLS_UNBOUND : s->nice < 0 ? CLS_BOUND_HI : CLS_BOUND;
}

static int wq_class(unsigned flags)
{
	return flags & UWQ_UNBOUND ? CLS_UNBOUND : flags & UWQ_HIGHPRI ? CLS_BOUND_HI : CLS_BOUND;
}

/* A view: the current snapshot, and the one rates are computed against. */
struct view {
	const struct segment	*g;
	const struct snap	*cur;
	const struct snap	*prev;	/* NULL: no rates */
	double			secs;	/* cur - prev, writer's clock */
	uint64_t		age_ns;	/* of cur, reader's clock */
	double			wq_cpu_scale[NR_CLS];	/* see view_cpu(); < 0: no figure */
};

static void view_cpu(struct view *v);

static void view_init(struct view *v, const struct segment *g, const struct snap *cur,
		      const struct snap *prev)
{
	uint64_t now = now_ns();

	v->g = g;
	v->cur = cur;
	v->prev = NULL;
	v->secs = 0;
	if (prev && prev->h.snapshots != cur->h.snapshots && cur->h.snapshot_ns > prev->h.snapshot_ns) {
		v->prev = prev;
		v->secs = (double)(cur->h.snapshot_ns - prev->h.snapshot_ns) / 1e9;
	}
	v->age_ns = now > cur->h.snapshot_ns ? now - cur->h.snapshot_ns : 0;
	view_cpu(v);
}

static bool view_stale(const struct view *v)
{
	uint64_t limit = 3ull * v->cur->h.interval_ms * 1000000ull;

	if (limit < 2 * NSEC_PER_SEC)
		limit = 2 * NSEC_PER_SEC;
	return v->age_ns > limit;
}

struct pool_row {
	struct uwq_export_pool	p;
	bool			stalled;
	bool			has_cpu;	/* the segment has cpu_ns */
	double			cpu_pct;	/* -1: no figure */
};

struct wq_row {
	struct uwq_export_wq	q;
	double			queued_rate, started_rate, completed_rate;
	double			cpu_est_pct;	/* from cpu_ns: sampled, may exceed real CPU */
	double			cpu_pct;	/* the same, bounded by its pools' CPU */
	bool			recent;		/* the histograms below are valid */
	struct uwq_hist		recent_ql, recent_rt;
};

struct line_row {
	struct uwq_export_line	l;
	double			events_rate, unhandled_rate, missed_rate, thread_rate;
	bool			recent;
	struct uwq_hist		recent_pl, recent_tl;
};

/* Pools are matched by id. */
static bool prev_pool(const struct view *v, int id, struct uwq_export_pool *out)
{
	for (uint32_t j = 0; j < v->prev->h.nr_pools; j++) {
		snap_pool(v->prev, j, out);
		if (out->s.id == id)
			return true;
	}
	return false;
}

static void pool_derive(const struct view *v, uint32_t i, struct pool_row *r)
{
	struct uwq_export_pool o;

	snap_pool(v->cur, i, &r->p);
	r->stalled = r->p.s.pending > 0 && (double)r->p.stall_ns >= opt_stall * 1e9;
	r->has_cpu = POOL_HAS_CPU(&v->cur->h);
	r->cpu_pct = -1;
	if (r->has_cpu && v->prev && POOL_HAS_CPU(&v->prev->h) && prev_pool(v, r->p.s.id, &o)) {
		r->cpu_pct = per_s(r->p.cpu_ns, o.cpu_ns, v->secs);
		if (r->cpu_pct >= 0)
			r->cpu_pct /= 1e7;	/* ns per s -> percent of one CPU */
	}
}

/* Queues are matched by name and rank among equal names: names need not be unique. */
static bool prev_wq(const struct view *v, uint32_t i, const char *name, struct uwq_export_wq *out)
{
	int rank = 0;

	for (uint32_t j = 0; j < i; j++) {
		struct uwq_export_wq q;

		snap_wq(v->cur, j, &q);
		rank += strcmp(q.s.name, name) == 0;
	}
	for (uint32_t j = 0; j < v->prev->h.nr_wqs; j++) {
		snap_wq(v->prev, j, out);
		if (strcmp(out->s.name, name) == 0 && rank-- == 0)
			return true;
	}
	return false;
}

static void wq_derive(const struct view *v, uint32_t i, struct wq_row *r)
{
	struct uwq_export_wq o;
	double scale;

	snap_wq(v->cur, i, &r->q);
	r->queued_rate = r->started_rate = r->completed_rate = r->cpu_est_pct = r->cpu_pct = -1;
	r->recent = false;
	if (!v->prev || !prev_wq(v, i, r->q.s.name, &o))
		return;
	r->queued_rate = per_s(r->q.s.queued, o.s.queued, v->secs);
	r->started_rate = per_s(r->q.s.started, o.s.started, v->secs);
	r->completed_rate = per_s(r->q.s.completed, o.s.completed, v->secs);
	r->cpu_est_pct = per_s(r->q.s.cpu_ns, o.s.cpu_ns, v->secs);
	if (r->cpu_est_pct >= 0)
		r->cpu_est_pct /= 1e7;	/* ns per s -> percent of one CPU */
	scale = v->wq_cpu_scale[wq_class(r->q.s.flags)];
	if (r->cpu_est_pct == 0 || (r->cpu_est_pct > 0 && scale >= 0))
		r->cpu_pct = r->cpu_est_pct * (scale > 0 ? scale : 0);
	r->recent = hist_delta(&r->q.s.queue_latency, &o.s.queue_latency, &r->recent_ql) &&
		    hist_delta(&r->q.s.run_time, &o.s.run_time, &r->recent_rt);
}

/*
 * A queue's cpu_ns is sampled wall time in its work function minus the
 * blocking uwq knew of (stats.c): it counts time spent waiting for a CPU
 * and unhinted sleeps nobody noticed, so eight workers sharing one CPU
 * showed 800 %. A pool's cpu_ns is the real CPU time of its threads
 * (export.c). Each class of pools (bound, bound highpri, unbound) ran its
 * queues' items, so the queues of a class share what its pools used: when
 * their estimates add up to more, all are scaled down to fit. A queue's
 * figure is then never above real CPU, and is its own estimate whenever
 * that is plausible. Without pool CPU times (an older segment) or a rate
 * window, queues get no figure.
 */
static void view_cpu(struct view *v)
{
	double pools[NR_CLS] = { 0 }, wqs[NR_CLS] = { 0 };
	bool known[NR_CLS] = { false };

	for (int c = 0; c < NR_CLS; c++)
		v->wq_cpu_scale[c] = -1;
	if (!v->prev)
		return;
	for (uint32_t i = 0; i < v->cur->h.nr_pools; i++) {
		struct pool_row p;

		pool_derive(v, i, &p);
		if (p.cpu_pct >= 0) {
			pools[pool_class(&p.p.s)] += p.cpu_pct;
			known[pool_class(&p.p.s)] = true;
		}
	}
	for (uint32_t i = 0; i < v->cur->h.nr_wqs; i++) {
		struct wq_row q;

		wq_derive(v, i, &q);
		if (q.cpu_est_pct > 0)
			wqs[wq_class(q.q.s.flags)] += q.cpu_est_pct;
	}
	for (int c = 0; c < NR_CLS; c++)
		if (known[c])
			v->wq_cpu_scale[c] = wqs[c] > pools[c] ? pools[c] / wqs[c] : 1;
}

static void line_derive(const struct view *v, uint32_t i, struct line_row *r)
{
	snap_line(v->cur, i, &r->l);
	r->events_rate = r->unhandled_rate = r->missed_rate = r->thread_rate = -1;
	r->recent = false;
	if (!v->prev)
		return;
	for (uint32_t j = 0; j < v->prev->h.nr_lines; j++) {
		struct uwq_export_line o;

		snap_line(v->prev, j, &o);
		if (o.s.irq != r->l.s.irq)
			continue;
		r->events_rate = per_s(r->l.s.events, o.s.events, v->secs);
		r->unhandled_rate = per_s(r->l.s.unhandled, o.s.unhandled, v->secs);
		r->missed_rate = per_s(r->l.s.missed, o.s.missed, v->secs);
		r->thread_rate = per_s(r->l.s.thread_runs, o.s.thread_runs, v->secs);
		r->recent = hist_delta(&r->l.s.primary_latency, &o.s.primary_latency, &r->recent_pl) &&
			    hist_delta(&r->l.s.thread_latency, &o.s.thread_latency, &r->recent_tl);
		return;
	}
}

/* ------------------------------------------------------------------- JSON */

static void json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		int n = 0;

		/* Valid UTF-8 passes through; stray bytes become U+00xx. */
		if (*p >= 0xc2 && *p <= 0xdf)
			n = 1;
		else if (*p >= 0xe0 && *p <= 0xef)
			n = 2;
		else if (*p >= 0xf0 && *p <= 0xf4)
			n = 3;
		/* No overlong forms, surrogates or values past U+10FFFF. */
		if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
		    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
			n = 0;
		if (n) {
			int k = 1;

			while (k <= n && (p[k] & 0xc0) == 0x80)
				k++;
			if (k == n + 1) {
				fwrite(p, 1, (size_t)n + 1, f);
				p += n + 1;
				continue;
			}
		}
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
		p++;
	}
	fputc('"', f);
}

static void json_rate(FILE *f, const char *key, double r)
{
	if (r < 0)
		fprintf(f, ",\"%s\":null", key);
	else
		fprintf(f, ",\"%s\":%.3f", key, r);
}

static void json_pct(FILE *f, const char *key, const struct uwq_hist *h, bool valid)
{
	if (!valid) {
		fprintf(f, ",\"%s_p50_ns\":null,\"%s_p99_ns\":null", key, key);
		return;
	}
	fprintf(f, ",\"%s_p50_ns\":%llu,\"%s_p99_ns\":%llu", key,
		(unsigned long long)uwq__hist_percentile(h, 50), key, (unsigned long long)uwq__hist_percentile(h, 99));
}

static void json_wq_flags(FILE *f, unsigned flags)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{ UWQ_UNBOUND, "UNBOUND" }, { UWQ_FREEZABLE, "FREEZABLE" },
		{ UWQ_MEM_RECLAIM, "MEM_RECLAIM" }, { UWQ_HIGHPRI, "HIGHPRI" },
		{ UWQ_CPU_INTENSIVE, "CPU_INTENSIVE" },
	};
	bool first = true;

	fputs(",\"flag_names\":[", f);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(flags & names[i].bit))
			continue;
		fprintf(f, "%s\"%s\"", first ? "" : ",", names[i].name);
		first = false;
	}
	fputc(']', f);
}

static void print_json(FILE *f, const struct view *v)
{
	const struct uwq_export_header *h = &v->cur->h;
	unsigned ncpu = h->nr_cpus < UWQ_IRQ_STATS_CPUS ? h->nr_cpus : UWQ_IRQ_STATS_CPUS;

	fprintf(f, "{\"pid\":%d,\"comm\":", v->g->pid);
	json_str(f, v->g->comm);
	fprintf(f, ",\"version\":%u,\"snapshot_ns\":%llu,\"snapshots\":%llu,\"age_ns\":%llu,"
		"\"interval_ms\":%u,\"nr_cpus\":%u,\"truncated\":%s,\"stale\":%s",
		h->version, (unsigned long long)h->snapshot_ns, (unsigned long long)h->snapshots,
		(unsigned long long)v->age_ns, h->interval_ms, h->nr_cpus,
		h->flags & UWQ_EXPORT_TRUNCATED ? "true" : "false", view_stale(v) ? "true" : "false");
	if (v->prev)
		fprintf(f, ",\"rate_window_ns\":%llu",
			(unsigned long long)(h->snapshot_ns - v->prev->h.snapshot_ns));
	else
		fputs(",\"rate_window_ns\":null", f);
	fprintf(f, ",\"stall_threshold_ns\":%llu", (unsigned long long)(opt_stall * 1e9));

	fputs(",\"pools\":[", f);
	for (uint32_t i = 0; i < h->nr_pools; i++) {
		struct pool_row r;
		const struct uwq_pool_stats *s = &r.p.s;

		pool_derive(v, i, &r);
		fprintf(f, "%s{\"id\":%d,\"cpu\":%d,\"nr_cpus\":%d,\"nice\":%d,\"started\":%d,"
			"\"workers\":%d,\"idle\":%d,\"running\":%d,\"pending\":%d,\"max_workers\":%d,"
			"\"created\":%llu,\"reaped\":%llu,\"stall_ns\":%llu,\"hogs\":%u,\"blocked\":%u,"
			"\"stalled\":%s", i ? "," : "", s->id, s->cpu, s->nr_cpus, s->nice, s->started,
			s->workers, s->idle, s->running, s->pending, s->max_workers,
			(unsigned long long)s->created, (unsigned long long)s->reaped,
			(unsigned long long)r.p.stall_ns, r.p.hogs, r.p.blocked, r.stalled ? "true" : "false");
		if (r.has_cpu)
			fprintf(f, ",\"cpu_ns\":%llu", (unsigned long long)r.p.cpu_ns);
		else
			fputs(",\"cpu_ns\":null", f);
		json_rate(f, "cpu_percent", r.cpu_pct);
		fputc('}', f);
	}

	fputs("],\"workqueues\":[", f);
	for (uint32_t i = 0; i < h->nr_wqs; i++) {
		struct wq_row r;
		const struct uwq_wq_stats *s = &r.q.s;

		wq_derive(v, i, &r);
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		json_str(f, s->name);
		fprintf(f, ",\"flags\":%u", s->flags);
		json_wq_flags(f, s->flags);
		fprintf(f, ",\"max_active\":%d,\"active\":%d,\"inactive\":%d,\"queued\":%llu,\"started\":%llu,"
			"\"completed\":%llu,\"run_ns\":%llu,\"cpu_ns\":%llu,\"cpu_intensive\":%llu,"
			"\"cm_wakeups\":%llu,\"mayday\":%llu,\"rescued\":%llu",
			s->max_active, s->active, s->inactive, (unsigned long long)s->queued,
			(unsigned long long)s->started, (unsigned long long)s->completed,
			(unsigned long long)s->run_ns, (unsigned long long)s->cpu_ns,
			(unsigned long long)s->cpu_intensive, (unsigned long long)s->cm_wakeups,
			(unsigned long long)s->mayday, (unsigned long long)s->rescued);
		json_pct(f, "queue_latency", &s->queue_latency, true);
		json_pct(f, "run_time", &s->run_time, true);
		json_rate(f, "queued_per_s", r.queued_rate);
		json_rate(f, "started_per_s", r.started_rate);
		json_rate(f, "completed_per_s", r.completed_rate);
		json_rate(f, "cpu_percent", r.cpu_pct);
		json_pct(f, "recent_queue_latency", &r.recent_ql, r.recent);
		json_pct(f, "recent_run_time", &r.recent_rt, r.recent);
		fputc('}', f);
	}

	fputs("],\"lines\":[", f);
	for (uint32_t i = 0; i < h->nr_lines; i++) {
		struct line_row r;
		const struct uwq_irq_stats *s = &r.l.s;

		line_derive(v, i, &r);
		fprintf(f, "%s{\"irq\":%d,\"chip\":", i ? "," : "", s->irq);
		json_str(f, s->chip);
		fputs(",\"actions\":", f);
		json_str(f, s->actions);
		fprintf(f, ",\"depth\":%d,\"spurious_disabled\":%d,\"events\":%llu,\"unhandled\":%llu,"
			"\"missed\":%llu,\"thread_runs\":%llu,\"events_cpu\":[",
			s->depth, s->spurious_disabled, (unsigned long long)s->events,
			(unsigned long long)s->unhandled, (unsigned long long)s->missed,
			(unsigned long long)s->thread_runs);
		for (unsigned c = 0; c < ncpu; c++)
			fprintf(f, "%s%llu", c ? "," : "", (unsigned long long)s->events_cpu[c]);
		fputc(']', f);
		json_pct(f, "primary_latency", &s->primary_latency, true);
		json_pct(f, "thread_latency", &s->thread_latency, true);
		json_rate(f, "events_per_s", r.events_rate);
		json_rate(f, "unhandled_per_s", r.unhandled_rate);
		json_rate(f, "missed_per_s", r.missed_rate);
		json_rate(f, "thread_runs_per_s", r.thread_rate);
		json_pct(f, "recent_primary_latency", &r.recent_pl, r.recent);
		json_pct(f, "recent_thread_latency", &r.recent_tl, r.recent);
		fputc('}', f);
	}
	fputs("]}\n", f);
}

/* ------------------------------------------------------------------- text */

/* "999ns", "1.0us", "524us", "4.2ms", "2.1s", ">2.1s"; "-" for 0 (empty). */
static void fmt_ns(char *buf, size_t len, uint64_t ns)
{
	static const char *unit[] = { "ns", "us", "ms", "s" };
	double x = (double)ns;
	int u = 0;

	if (ns == 0) {
		snprintf(buf, len, "-");
		return;
	}
	if (ns == UINT64_MAX) {
		snprintf(buf, len, ">2.1s");
		return;
	}
	while (u < 3 && x >= 999.5) {
		x /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f%s", x, unit[u]);
	else
		snprintf(buf, len, x < 9.95 ? "%.1f%s" : "%.0f%s", x, unit[u]);
}

/* "p50/p99" of @h, or "-" when @valid is false. */
static void fmt_pct(char *buf, size_t len, const struct uwq_hist *h, bool valid)
{
	char a[16], b[16];

	if (!valid) {
		snprintf(buf, len, "-");
		return;
	}
	fmt_ns(a, sizeof(a), uwq__hist_percentile(h, 50));
	fmt_ns(b, sizeof(b), uwq__hist_percentile(h, 99));
	if (!strcmp(a, "-"))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%s/%s", a, b);
}

/* A CPU percentage in at most 5 characters; "-" for none. */
static void fmt_cpu(char *buf, size_t len, double pct)
{
	if (pct < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, pct < 999.95 ? "%.1f" : "%.0f", pct);
}

static void fmt_rate(char *buf, size_t len, double r)
{
	if (r < 0)
		snprintf(buf, len, "-");
	else if (r < 99999.95)
		snprintf(buf, len, "%.1f", r);
	else if (r < 99999.95e3)
		snprintf(buf, len, "%.1fk", r / 1e3);
	else
		snprintf(buf, len, "%.1fM", r / 1e6);
}

/* @v in at most @width characters: digits, or scaled with k/M/G/T. */
static void fmt_count(char *buf, size_t len, uint64_t v, int width)
{
	static const char sfx[] = "kMGTPE";
	double x = (double)v;
	int n = snprintf(buf, len, "%llu", (unsigned long long)v);

	for (int i = 0; n > width && sfx[i]; i++) {
		x /= 1000;
		n = snprintf(buf, len, "%.0f%c", x, sfx[i]);
	}
}

/* Printable ASCII only: a watched process must not drive our terminal. */
static void sanitize(char *dst, size_t len, const char *src)
{
	size_t i = 0;

	for (; src[i] && i + 1 < len; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

struct row {
	char	text[TEXT_MAX];
	int	attr;
	double	score;		/* which rows to keep when they do not all fit */
};

struct section {
	struct row	head;
	struct row	*rows;
	int		n, cap;
};

struct frame {
	struct row	top[2];
	struct row	alerts[64];
	int		nr_alerts, more_alerts;
	struct section	sec[3];		/* pools, workqueues, lines */
};

/* The next row of @s; the rows were allocated for the segment's max_* counts. */
static void rtrim(char *s)
{
	size_t n = strlen(s);

	while (n && s[n - 1] == ' ')
		s[--n] = '\0';
}

static struct row *section_add(struct section *s)
{
	struct row *r = &s->rows[s->n < s->cap ? s->n++ : s->cap - 1];

	r->text[0] = '\0';
	r->attr = ATTR_NONE;
	r->score = 0;
	return r;
}

static void alert(struct frame *fr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void alert(struct frame *fr, const char *fmt, ...)
{
	va_list ap;

	if (fr->nr_alerts == (int)(sizeof(fr->alerts) / sizeof(fr->alerts[0]))) {
		fr->more_alerts++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(fr->alerts[fr->nr_alerts].text, TEXT_MAX, fmt, ap);
	va_end(ap);
	fr->alerts[fr->nr_alerts].attr = ATTR_ALERT;
	fr->nr_alerts++;
}

static int clampi(int x, int lo, int hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

static void pool_cpus(char *buf, size_t len, const struct uwq_pool_stats *s)
{
	if (s->cpu >= 0)
		snprintf(buf, len, "cpu%d", s->cpu);
	else
		snprintf(buf, len, "unbound(%d)", s->nr_cpus);
}

/* Build every row of the text view for a @cols wide screen. */
static void build_frame(struct frame *fr, const struct view *v, int cols)
{
	const struct uwq_export_header *h = &v->cur->h;
	int extra = cols > 80 ? cols - 80 : 0;
	int wq_w = clampi(NAME_MIN + extra, NAME_MIN, 31);
	int act_w = clampi(9 + extra, 9, 63);
	char age[16], win[32], buf[3][32];
	const char *lat = show_totals ? "since start" : "recent";

	fr->nr_alerts = fr->more_alerts = 0;
	fmt_ns(age, sizeof(age), v->age_ns ? v->age_ns : 1);
	if (v->prev)
		snprintf(win, sizeof(win), "rates over %.2fs", v->secs);
	else
		snprintf(win, sizeof(win), "rates: waiting");
	sanitize(buf[0], sizeof(buf[0]), v->g->comm);
	snprintf(fr->top[0].text, TEXT_MAX, "uwq-top  pid %d (%s)  %u CPUs  snapshot every %ums, %s old",
		 v->g->pid, buf[0], h->nr_cpus, h->interval_ms, age);
	fr->top[0].attr = ATTR_NONE;
	snprintf(fr->top[1].text, TEXT_MAX, "%u pools  %u queues  %u lines  %s  p50/p99 %s%s",
		 h->nr_pools, h->nr_wqs, h->nr_lines, win, lat, opt_once ? "" : "  ?:legend q:quit");
	fr->top[1].attr = ATTR_NONE;
	if (view_stale(v))
		alert(fr, "! no new snapshot for %.1f s: process stopped, or its export thread stuck",
		      (double)v->age_ns / 1e9);
	if (h->flags & UWQ_EXPORT_TRUNCATED)
		alert(fr, "! the process has more objects than the segment holds: some are not shown");

	/* Pools */
	snprintf(fr->sec[0].head.text, TEXT_MAX,
		 "POOL CPUS        NICE WORKERS IDLE RUN PEND CREATED REAPED  CPU%% FLAGS");
	fr->sec[0].n = 0;
	for (uint32_t i = 0; i < h->nr_pools; i++) {
		struct row *r = section_add(&fr->sec[0]);
		const struct uwq_pool_stats *s;
		struct pool_row p;
		char cpus[24], flags[64], stall[16];
		int n = 0;

		pool_derive(v, i, &p);
		s = &p.p.s;
		pool_cpus(cpus, sizeof(cpus), s);
		flags[0] = '\0';
		fmt_ns(stall, sizeof(stall), p.p.stall_ns);
		if (p.stalled) {
			n += snprintf(flags + n, sizeof(flags) - (size_t)n, "STALL %s ", stall);
			alert(fr, "! pool %d (%s): %d item%s pending, none started for %s", s->id, cpus,
			      s->pending, s->pending == 1 ? "" : "s", stall);
		}
		if (p.p.hogs) {
			n += snprintf(flags + n, sizeof(flags) - (size_t)n, "HOG %u ", p.p.hogs);
			alert(fr, "! pool %d (%s): %u worker%s running a CPU-intensive item", s->id, cpus,
			      p.p.hogs, p.p.hogs == 1 ? "" : "s");
		}
		if (p.p.blocked)
			snprintf(flags + n, sizeof(flags) - (size_t)n, "BLK %u", p.p.blocked);
		fmt_count(buf[0], sizeof(buf[0]), s->created, 7);
		fmt_count(buf[1], sizeof(buf[1]), s->reaped, 6);
		fmt_cpu(buf[2], sizeof(buf[2]), p.cpu_pct);
		snprintf(r->text, TEXT_MAX, "%4d %-11s %4d %7d %4d %3d %4d %7s %6s %5s %s", s->id, cpus, s->nice,
			 s->workers, s->idle, s->running, s->pending, buf[0], buf[1], buf[2], flags);
		rtrim(r->text);
		r->attr = p.stalled || p.p.hogs ? ATTR_ALERT : ATTR_NONE;
		r->score = (p.stalled || p.p.hogs ? 1e9 : 0) + s->pending + s->running + s->workers - s->idle +
			   (p.cpu_pct > 0 ? p.cpu_pct / 100 : 0);
	}

	/* Workqueues */
	snprintf(fr->sec[1].head.text, TEXT_MAX, "%-*s QUEUED/s   DONE/s  ACT INACT QLAT p50/p99  RUN p50/p99  CPU%%",
		 wq_w, "WORKQUEUE");
	fr->sec[1].n = 0;
	for (uint32_t i = 0; i < h->nr_wqs; i++) {
		struct row *r = section_add(&fr->sec[1]);
		char name[32], ql[32], rt[32], cpu[16];
		struct wq_row q;

		wq_derive(v, i, &q);
		sanitize(name, sizeof(name), q.q.s.name);
		fmt_rate(buf[0], sizeof(buf[0]), q.queued_rate);
		fmt_rate(buf[1], sizeof(buf[1]), q.completed_rate);
		if (show_totals) {
			fmt_pct(ql, sizeof(ql), &q.q.s.queue_latency, true);
			fmt_pct(rt, sizeof(rt), &q.q.s.run_time, true);
		} else {
			fmt_pct(ql, sizeof(ql), &q.recent_ql, q.recent);
			fmt_pct(rt, sizeof(rt), &q.recent_rt, q.recent);
		}
		fmt_cpu(cpu, sizeof(cpu), q.cpu_pct);
		snprintf(r->text, TEXT_MAX, "%-*.*s %8s %8s %4d %5d %12s %12s %5s", wq_w, wq_w, name, buf[0],
			 buf[1], q.q.s.active, q.q.s.inactive, ql, rt, cpu);
		r->score = (q.completed_rate > 0 ? q.completed_rate : 0) + q.q.s.active + q.q.s.inactive +
			   (q.q.s.completed ? 1e-9 * (double)q.q.s.completed : 0);
	}

	/* Lines */
	snprintf(fr->sec[2].head.text, TEXT_MAX, "IRQ CHIP     %-*s EVENTS/s SPURIOUS MERGED THREAD/s PRI p50/p99 THR p50/p99",
		 act_w, "ACTIONS");
	fr->sec[2].n = 0;
	for (uint32_t i = 0; i < h->nr_lines; i++) {
		struct row *r = section_add(&fr->sec[2]);
		char chip[16], act[64], pl[32], tl[32], ev[16], th[16];
		struct line_row l;
		const struct uwq_irq_stats *s;

		line_derive(v, i, &l);
		s = &l.l.s;
		sanitize(chip, sizeof(chip), s->chip);
		sanitize(act, sizeof(act), s->actions[0] ? s->actions : "-");
		fmt_rate(ev, sizeof(ev), l.events_rate);
		fmt_rate(th, sizeof(th), l.thread_rate);
		fmt_count(buf[0], sizeof(buf[0]), s->unhandled, 8);
		fmt_count(buf[1], sizeof(buf[1]), s->missed, 6);
		if (show_totals) {
			fmt_pct(pl, sizeof(pl), &s->primary_latency, true);
			fmt_pct(tl, sizeof(tl), &s->thread_latency, true);
		} else {
			fmt_pct(pl, sizeof(pl), &l.recent_pl, l.recent);
			fmt_pct(tl, sizeof(tl), &l.recent_tl, l.recent);
		}
		snprintf(r->text, TEXT_MAX, "%3d %-8.8s %-*.*s %8s %8s %6s %8s %11s %11s", s->irq, chip, act_w,
			 act_w, act, ev, buf[0], buf[1], th, pl, tl);
		r->score = (l.events_rate > 0 ? l.events_rate : 0) + 1e-9 * (double)s->events;
		if (s->spurious_disabled) {
			r->attr = ATTR_ALERT;
			r->score += 1e9;
			alert(fr, "! irq %d (%s): disabled as spurious: %llu events nobody handled", s->irq, act,
			      (unsigned long long)s->unhandled);
		} else if (s->depth > 0) {
			r->attr = ATTR_ALERT;
			alert(fr, "! irq %d (%s): disabled (depth %d)", s->irq, act, s->depth);
		}
	}
}

/* Rows for the counts of @h, which the header check bounds by max_*. */
static int frame_alloc(struct frame *fr, const struct uwq_export_header *h)
{
	uint32_t max[3] = { h->max_pools, h->max_wqs, h->max_lines };

	for (int s = 0; s < 3; s++) {
		fr->sec[s].cap = max[s] ? (int)max[s] : 1;
		fr->sec[s].rows = calloc((size_t)fr->sec[s].cap, sizeof(struct row));
		if (!fr->sec[s].rows)
			return -1;
	}
	return 0;
}

static void frame_free(struct frame *fr)
{
	for (int s = 0; s < 3; s++) {
		free(fr->sec[s].rows);
		fr->sec[s].rows = NULL;
	}
}

/* Plain text: every row, each cut at @cols (0: no limit). */
static void print_text(FILE *f, const struct frame *fr, int cols)
{
	int w = cols > 0 && cols < TEXT_MAX ? cols : TEXT_MAX;

	for (int i = 0; i < 2; i++)
		fprintf(f, "%.*s\n", w, fr->top[i].text);
	for (int i = 0; i < fr->nr_alerts; i++)
		fprintf(f, "%.*s\n", w, fr->alerts[i].text);
	if (fr->more_alerts)
		fprintf(f, "! ... %d more alerts\n", fr->more_alerts);
	for (int s = 0; s < 3; s++) {
		fprintf(f, "\n%.*s\n", w, fr->sec[s].head.text);
		for (int i = 0; i < fr->sec[s].n; i++)
			fprintf(f, "%.*s\n", w, fr->sec[s].rows[i].text);
	}
	fputc('\n', f);
	for (int i = 0; i < NR_LEGEND - 1; i++)	/* no keys here */
		fprintf(f, "%.*s\n", w, legend[i]);
}

/* --------------------------------------------------------------- terminal */

static struct termios saved_tio;
static volatile sig_atomic_t tty_active;
static volatile sig_atomic_t quit_signal, resized, redraw;

static void put(const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t n = write(STDOUT_FILENO, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

/* Async-signal-safe: used from the ^Z handler too. */
static void tty_restore(void)
{
	if (!tty_active)
		return;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	put("\033[0m\033[?25h\033[?1049l");
	tty_active = false;
}

static void tty_setup(void)
{
	struct termios t = saved_tio;

	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
	put("\033[?1049h\033[?25l\033[H\033[2J");
	tty_active = true;
}

static void on_quit(int sig)
{
	quit_signal = sig;
}

static void on_winch(int sig)
{
	(void)sig;
	resized = 1;
}

static void on_tstp(int sig)
{
	int saved = errno;
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t set;

	tty_restore();
	sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	/* Continued. */
	sa.sa_handler = on_tstp;
	sigaction(sig, &sa, NULL);
	tty_setup();
	redraw = 1;
	errno = saved;
}

/*
 * The mapping is the watched process's file: if it shrinks it under us, a
 * copy faults. Leave the terminal usable and say why.
 */
static void on_fault(int sig)
{
	static const char msg[] = "uwq-top: the statistics segment was truncated under us\n";

	(void)sig;
	tty_restore();
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(1);
}

static void install_fault_handler(void)
{
	struct sigaction sa = { .sa_handler = on_fault };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_quit };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_winch;
	sigaction(SIGWINCH, &sa, NULL);
	sa.sa_handler = on_tstp;
	sigaction(SIGTSTP, &sa, NULL);
}

static void term_size(int *rows, int *cols)
{
	struct winsize ws;

	*rows = 24;
	*cols = 80;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	}
}

struct outbuf {
	char	*s;
	size_t	len, cap;
};

static void ob_add(struct outbuf *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 8192;
		char *p;

		while (o->len + n + 1 > cap)
			cap *= 2;
		p = realloc(o->s, cap);
		if (!p)
			return;
		o->s = p;
		o->cap = cap;
	}
	memcpy(o->s + o->len, s, n);
	o->len += n;
	o->s[o->len] = '\0';
}

static void ob_str(struct outbuf *o, const char *s)
{
	ob_add(o, s, strlen(s));
}

/* One screen row: @r cut to @cols, in its attribute, rest of the row cleared. */
static void ob_row(struct outbuf *o, const struct row *r, int cols, bool first)
{
	size_t n = strlen(r->text);

	if (!first)
		ob_str(o, "\r\n");
	if (r->attr == ATTR_HEAD)
		ob_str(o, "\033[7m");
	else if (r->attr == ATTR_ALERT)
		ob_str(o, "\033[1;31m");
	if (n > (size_t)cols)
		n = (size_t)cols;
	ob_add(o, r->text, n);
	if (r->attr == ATTR_HEAD)
		for (; n < (size_t)cols; n++)
			ob_str(o, " ");
	if (r->attr != ATTR_NONE)
		ob_str(o, "\033[0m");
	/* Not after a full row: in the pending-wrap state, EL would erase its last column. */
	if (n < (size_t)cols)
		ob_str(o, "\033[K");
}

/* Keep the @k best-scored of @n rows, in their order. */
static void pick_rows(const struct section *s, int k, bool *keep)
{
	for (int i = 0; i < s->n; i++)
		keep[i] = false;
	for (int got = 0; got < k; got++) {
		int best = -1;

		for (int i = 0; i < s->n; i++)
			if (!keep[i] && (best < 0 || s->rows[i].score > s->rows[best].score))
				best = i;
		if (best < 0)
			break;
		keep[best] = true;
	}
}

/* The legend after a blank row, as many rows of it as @left allows. */
static void draw_legend(struct outbuf *o, int left, int cols)
{
	struct row r = { .attr = ATTR_NONE };

	for (int i = -1; i < NR_LEGEND && i < left - 1; i++) {
		snprintf(r.text, TEXT_MAX, "%s", i < 0 ? "" : legend[i]);
		ob_row(o, &r, cols, false);
	}
}

/*
 * Fit the frame in @rows x @cols; sections share the rows left evenly,
 * and the legend follows if the rows left after them hold all of it.
 * Key ?: the legend in place of the sections.
 */
static void draw(struct outbuf *o, struct frame *fr, int rows, int cols)
{
	int left, give[3] = { 0, 0, 0 }, nal = fr->nr_alerts, more = fr->more_alerts;
	bool first = true, *keep;
	struct row r;

	o->len = 0;
	ob_str(o, "\033[H");
	for (int i = 0; i < 2 && i < rows; i++, first = false)
		ob_row(o, &fr->top[i], cols, first);
	if (show_legend) {
		draw_legend(o, rows - 2, cols);
		ob_str(o, "\033[J");
		put(o->s ? o->s : "");
		return;
	}
	left = rows - 2 - 3 * 2;	/* a blank row and a head per section */
	if (left < 0)
		left = 0;
	if (nal + !!more > left / 3) {	/* alerts take at most a third */
		int cap = left / 3;

		if (cap == 0) {
			nal = more = 0;
		} else {
			more += nal - (cap - 1);
			nal = cap - 1;
		}
	}
	for (int i = 0; i < nal; i++)
		ob_row(o, &fr->alerts[i], cols, false);
	if (more) {
		snprintf(r.text, TEXT_MAX, "! ... %d more alerts", more);
		r.attr = ATTR_ALERT;
		ob_row(o, &r, cols, false);
	}
	left -= nal + !!more;
	for (bool any = true; any && left > 0;) {
		any = false;
		for (int s = 0; s < 3 && left > 0; s++) {
			if (give[s] < fr->sec[s].n) {
				give[s]++;
				left--;
				any = true;
			}
		}
	}
	for (int s = 0; s < 3; s++) {
		struct section *sec = &fr->sec[s];
		int shown = give[s] < sec->n && give[s] > 0 ? give[s] - 1 : give[s];

		if (rows < 2 + 3 * 2)
			break;
		r.text[0] = '\0';
		r.attr = ATTR_NONE;
		ob_row(o, &r, cols, false);
		sec->head.attr = ATTR_HEAD;
		ob_row(o, &sec->head, cols, false);
		keep = calloc((size_t)(sec->n ? sec->n : 1), sizeof(bool));
		if (!keep)
			continue;
		pick_rows(sec, shown, keep);
		for (int i = 0; i < sec->n; i++)
			if (keep[i])
				ob_row(o, &sec->rows[i], cols, false);
		free(keep);
		if (shown < sec->n && give[s] > 0) {
			snprintf(r.text, TEXT_MAX, "  ... %d more (the busiest are shown)", sec->n - shown);
			ob_row(o, &r, cols, false);
		}
	}
	if (rows >= 2 + 3 * 2 && left > NR_LEGEND)
		draw_legend(o, left, cols);
	ob_str(o, "\033[J");
	put(o->s ? o->s : "");
}

/* -------------------------------------------------------------- main loop */

static int interactive(const struct segment *g, struct snap snaps[3])
{
	struct snap *cur = &snaps[0], *prev = &snaps[1], *tmp = &snaps[2];
	struct outbuf o = { 0 };
	struct frame fr;
	const char *gone = NULL;
	char err[256] = "";
	bool have_prev = false;
	uint64_t next;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "%s: the live view needs a terminal (use --once, or --json for a stream)\n", prog);
		return 1;
	}
	if (tcgetattr(STDIN_FILENO, &saved_tio) != 0) {
		fprintf(stderr, "%s: cannot read the terminal settings: %s\n", prog, strerror(errno));
		return 1;
	}
	memset(&fr, 0, sizeof(fr));
	if (frame_alloc(&fr, &cur->h) != 0) {
		frame_free(&fr);
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	install_signals();
	atexit(tty_restore);
	tty_setup();
	next = now_ns();
	while (!quit_signal) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		uint64_t now = now_ns();
		int wait_ms, rows, cols;

		if (now >= next || redraw || resized) {
			struct view v;

			if (now >= next) {
				if ((gone = segment_gone(g)))
					break;
				if (segment_read(g, tmp, err, sizeof(err)) != 0)
					break;
				if (tmp->h.snapshots != cur->h.snapshots) {
					struct snap *t = prev;

					prev = cur;
					cur = tmp;
					tmp = t;
					have_prev = prev->h.snapshots != 0;
				}
				next = now + (uint64_t)(opt_delay * 1e9);
			}
			redraw = resized = 0;
			view_init(&v, g, cur, have_prev ? prev : NULL);
			term_size(&rows, &cols);
			build_frame(&fr, &v, cols);
			draw(&o, &fr, rows, cols);
		}
		now = now_ns();
		wait_ms = next > now ? (int)((next - now + 999999) / 1000000) : 0;
		if (poll(&pfd, 1, wait_ms) > 0 && (pfd.revents & POLLIN)) {
			char key[16];
			ssize_t n = read(STDIN_FILENO, key, sizeof(key));

			if (n == 0)
				break;
			for (ssize_t i = 0; i < n; i++) {
				if (key[i] == 'q' || key[i] == 'Q')
					quit_signal = -1;
				else if (key[i] == 't' || key[i] == 'T')
					show_totals = !show_totals, redraw = 1;
				else if (key[i] == ' ')
					next = 0;
				else if (key[i] == '?')
					show_legend = !show_legend, redraw = 1;
			}
		} else if (pfd.revents & (POLLHUP | POLLERR)) {
			break;
		}
	}
	tty_restore();
	free(o.s);
	frame_free(&fr);
	if (quit_signal > 0) {
		signal(quit_signal, SIG_DFL);
		raise(quit_signal);
	}
	if (err[0]) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (gone)
		fprintf(stderr, "%s: process %d %s\n", prog, g->pid, gone);
	return 0;
}

/* --once: a snapshot, and one at least RATE_WINDOW_NS younger if it comes in time. */
static int once(const struct segment *g, struct snap snaps[3])
{
	struct snap *a = &snaps[0], *b = &snaps[1];
	uint64_t start = now_ns(), step;
	char err[256];
	bool got = false;
	struct view v;

	if (segment_read(g, a, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	step = a->h.interval_ms ? (uint64_t)a->h.interval_ms * 1000000 / 4 : 20000000;
	if (step > 50000000)
		step = 50000000;
	if (step < 5000000)
		step = 5000000;
	while (now_ns() - start < ONCE_WAIT_NS) {
		sleep_ns(step);
		if (segment_read(g, b, err, sizeof(err)) != 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		got = b->h.snapshots != a->h.snapshots;
		if (got && b->h.snapshot_ns - a->h.snapshot_ns >= RATE_WINDOW_NS)
			break;
	}
	if (got)
		view_init(&v, g, b, a);
	else
		view_init(&v, g, a, NULL);
	if (opt_json) {
		print_json(stdout, &v);
	} else {
		struct frame fr;
		int rows, cols = 80;

		memset(&fr, 0, sizeof(fr));
		if (frame_alloc(&fr, &v.cur->h) != 0) {
			frame_free(&fr);
			fprintf(stderr, "%s: out of memory\n", prog);
			return 1;
		}
		if (isatty(STDOUT_FILENO))
			term_size(&rows, &cols);
		build_frame(&fr, &v, cols);
		print_text(stdout, &fr, cols);
		frame_free(&fr);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: write error: %s\n", prog, strerror(errno));
		return 1;
	}
	return 0;
}

/*
 * --json without --once: one object per line, every -d seconds, until the
 * process goes or a signal (default actions: nothing to restore) ends it.
 */
static int json_stream(const struct segment *g, struct snap snaps[3])
{
	struct snap *cur = &snaps[0], *prev = &snaps[1], *tmp = &snaps[2];
	bool have_prev = false;
	const char *gone;
	char err[256];

	for (;;) {
		struct view v;

		if ((gone = segment_gone(g))) {
			fprintf(stderr, "%s: process %d %s\n", prog, g->pid, gone);
			return 0;
		}
		if (segment_read(g, tmp, err, sizeof(err)) != 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		if (tmp->h.snapshots != cur->h.snapshots) {
			struct snap *t = prev;

			prev = cur;
			cur = tmp;
			tmp = t;
			have_prev = prev->h.snapshots != 0;
		}
		view_init(&v, g, cur, have_prev ? prev : NULL);
		print_json(stdout, &v);
		if (fflush(stdout) != 0) {
			fprintf(stderr, "%s: write error: %s\n", prog, strerror(errno));
			return 1;
		}
		sleep_ns((uint64_t)(opt_delay * 1e9));
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [options] PID\n"
		"Show the workqueue pools, queues and interrupt lines of a uwq process\n"
		"started with UWQ_EXPORT=1 (or that called uwq_export_start()).\n"
		"  -d, --delay SECONDS  refresh period (default 1)\n"
		"      --once           print one snapshot and exit; rates over >= 0.5 s\n"
		"                       of the process's snapshots, null if none comes in 1 s\n"
		"      --json           JSON: with --once one object, else one per line\n"
		"                       every -d seconds\n"
		"      --stall SECONDS  flag a pool STALL when work is pending and no item\n"
		"                       started for this long (default 1)\n"
		"  -h, --help           this text\n"
		"JSON: the CPU%% columns are cpu_percent of pools and workqueues; MERGED is\n"
		"missed and missed_per_s of lines (names kept from the first version).\n"
		"\n",
		prog);
	for (int i = 0; i < NR_LEGEND; i++)
		fprintf(f, "%s\n", legend[i]);
}

static bool parse_seconds(const char *s, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno || end == s || *end || !(d > 0) || d > 86400)
		return false;
	*out = d;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "once", no_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "stall", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct segment g;
	struct snap snaps[3];
	char *end, err[256];
	long pid;
	int c, rc;

	while ((c = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!parse_seconds(optarg, &opt_delay)) {
				fprintf(stderr, "%s: bad delay '%s': want seconds > 0\n", prog, optarg);
				usage(stderr);
				return 2;
			}
			break;
		case 's':
			if (!parse_seconds(optarg, &opt_stall)) {
				fprintf(stderr, "%s: bad stall threshold '%s': want seconds > 0\n", prog, optarg);
				usage(stderr);
				return 2;
			}
			break;
		case 'o':
			opt_once = true;
			break;
		case 'j':
			opt_json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: %s\n", prog, optind >= argc ? "which process? (a PID)" : "one PID only");
		usage(stderr);
		return 2;
	}
	errno = 0;
	pid = strtol(argv[optind], &end, 10);
	if (errno || end == argv[optind] || *end || pid <= 0 || pid > INT32_MAX) {
		fprintf(stderr, "%s: bad PID '%s'\n", prog, argv[optind]);
		usage(stderr);
		return 2;
	}
	install_fault_handler();
	if (segment_open(&g, (int)pid) != 0)
		return 1;
	memset(snaps, 0, sizeof(snaps));
	for (int i = 0; i < 3; i++)
		if (snap_alloc(&snaps[i], &g) != 0) {
			fprintf(stderr, "%s: out of memory\n", prog);
			rc = 1;
			goto out;
		}
	if (opt_once) {
		rc = once(&g, snaps);
	} else if (opt_json) {
		rc = json_stream(&g, snaps);
	} else if (segment_read(&g, &snaps[0], err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		rc = 1;
	} else {
		rc = interactive(&g, snaps);
	}
out:
	for (int i = 0; i < 3; i++)
		free(snaps[i].buf);
	segment_close(&g);
	return rc;
}

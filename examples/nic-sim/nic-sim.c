/* SPDX-License-Identifier: MIT */
/*
 * nic-sim - two simulated network cards on one shared interrupt line
 * (`make demo`).
 *
 * Each card has a status register and an rx ring filled by a "hardware"
 * thread, which raises the shared software line. Both drivers request the
 * line with UWQ_IRQF_SHARED | UWQ_IRQF_ONESHOT: each primary handler reads
 * its own status register and answers UWQ_IRQ_NONE when its card did not
 * interrupt, else acknowledges it and wakes its thread handler, which
 * drains the rx ring and queues protocol work on a workqueue. One packet in
 * eight needs a simulated disk write (a plain 3 ms sleep, no hint): the
 * pool notices the blocked workers and grows, then shrinks back when the
 * load stops. A legend, then rates over the last second: redrawn in place
 * on a terminal, one line a second otherwise (a pipe, a log). At the end,
 * what the demo used, read with the stats API in uwq_dump()'s format (the
 * idle system workqueues left out), and what the line's unhandled and
 * missed counts mean here.
 *
 *   nic-sim [-t SECONDS] [--uio /dev/uioN] [--gpio /dev/gpiochipN:OFFSET]
 *
 * --uio/--gpio attach card 0's interrupt to a real device instead of the
 * simulation (its primary then treats every interrupt as an rx event).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <uwq.h>

#define RING		1024
#define NR_PKTS		4096	/* work items: queueing never allocates */
#define STATUS_RX	1u
#define TICK_NS		250000000	/* display refresh */
#define TICKS_PER_RATE	4		/* rates are over the last second */

struct pkt {
	struct uwq_work	work;
	struct nic	*nic;
	uint32_t	len;
	uint32_t	seq;
	atomic_int	busy;
};

struct nic {
	int		id;
	atomic_uint	status;		/* the device's status register */
	uint32_t	ring[RING];	/* rx descriptors: packet lengths */
	atomic_uint	head, tail;	/* producer: hardware; consumer: thread handler */
	atomic_ulong	rx, dropped, irqs, none, processed, disk;
	bool		real;		/* attached to a real device */
};

static struct nic nics[2];
static struct pkt pkts[NR_PKTS];
static atomic_uint next_pkt;
static struct uwq_workqueue *proto_wq;
static atomic_int stop;
static int line;
static atomic_uint checksum_sink;	/* keeps the checksum loop from being optimised away */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void protocol_work(struct uwq_work *w)
{
	struct pkt *p = uwq_container_of(w, struct pkt, work);
	uint32_t sum = 0;

	for (uint32_t i = 0; i < p->len * 16; i++)	/* "checksum" */
		sum = sum * 31 + i;
	if (p->seq % 8 == 0) {			/* a disk write: blocks, unhinted */
		struct timespec ts = { 0, 3 * 1000000 };

		nanosleep(&ts, NULL);
		atomic_fetch_add(&p->nic->disk, 1);
	}
	atomic_store_explicit(&checksum_sink, sum, memory_order_relaxed);
	atomic_fetch_add(&p->nic->processed, 1);
	atomic_store(&p->busy, 0);
}

static uwq_irqreturn_t nic_primary(int irq, void *dev_id)
{
	struct nic *nic = dev_id;

	(void)irq;
	atomic_fetch_add(&nic->irqs, 1);
	if (!nic->real && !(atomic_exchange(&nic->status, 0) & STATUS_RX)) {
		atomic_fetch_add(&nic->none, 1);
		return UWQ_IRQ_NONE;	/* not my card: shared line */
	}
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t nic_thread(int irq, void *dev_id)
{
	struct nic *nic = dev_id;
	unsigned tail = atomic_load(&nic->tail), head = atomic_load(&nic->head);

	(void)irq;
	if (nic->real)	/* a real device: count the interrupt as one packet */
		head = tail + 1, nic->ring[tail % RING] = 64;
	for (; tail != head; tail++) {
		struct pkt *p = &pkts[atomic_fetch_add(&next_pkt, 1) % NR_PKTS];

		if (atomic_exchange(&p->busy, 1)) {	/* all descriptors in use */
			atomic_fetch_add(&nic->dropped, 1);
			continue;
		}
		p->nic = nic;
		p->len = nic->ring[tail % RING];
		p->seq = (unsigned)atomic_fetch_add(&nic->rx, 1);
		uwq_work_init(&p->work, protocol_work);
		uwq_queue_work(proto_wq, &p->work);
	}
	if (!nic->real)
		atomic_store(&nic->tail, tail);
	return UWQ_IRQ_HANDLED;
}

/* The simulated hardware: bursts of packets, then an interrupt. */
static void *hardware(void *arg)
{
	struct nic *nic = arg;
	unsigned seed = (unsigned)nic->id * 7919u + 1;

	while (!atomic_load(&stop)) {
		struct timespec ts = { 0, (long)(200000 + rand_r(&seed) % 400000) };
		int burst = 1 + rand_r(&seed) % 8;

		for (int i = 0; i < burst; i++) {
			unsigned head = atomic_load(&nic->head);

			if (head - atomic_load(&nic->tail) >= RING)
				break;
			nic->ring[head % RING] = 64 + rand_r(&seed) % 1400;
			atomic_store(&nic->head, head + 1);
		}
		atomic_fetch_or(&nic->status, STATUS_RX);
		uwq_irq_raise(line);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static int gpio_line(const char *spec)
{
	char path[256];
	const char *colon = strrchr(spec, ':');
	struct gpio_v2_line_request req;
	int chip, err;

	if (!colon || (size_t)(colon - spec) >= sizeof(path))
		return -EINVAL;
	memcpy(path, spec, (size_t)(colon - spec));
	path[colon - spec] = '\0';
	chip = open(path, O_RDONLY | O_CLOEXEC);
	if (chip < 0)
		return -errno;
	memset(&req, 0, sizeof(req));
	req.offsets[0] = (unsigned)atoi(colon + 1);
	req.num_lines = 1;
	snprintf(req.consumer, sizeof(req.consumer), "nic-sim");
	req.config.flags = GPIO_V2_LINE_FLAG_INPUT | GPIO_V2_LINE_FLAG_EDGE_RISING;
	err = ioctl(chip, GPIO_V2_GET_LINE_IOCTL, &req) ? -errno : req.fd;
	close(chip);
	return err;
}

/* One reading of the counters the display turns into rates. */
struct sample {
	uint64_t	ns;
	unsigned long	rx[2], processed, disk;
	uint64_t	events;		/* interrupt events on the demo's line(s) */
	int		workers;	/* worker threads in all pools, now */
};

static int lines[2], nr_lines;	/* the software line, then a real device's */

static void take_sample(struct sample *s)
{
	struct uwq_pool_stats ps;
	struct uwq_irq_stats is;

	s->ns = now_ns();
	s->processed = s->disk = 0;
	for (int i = 0; i < 2; i++) {
		s->rx[i] = atomic_load(&nics[i].rx);
		s->processed += atomic_load(&nics[i].processed);
		s->disk += atomic_load(&nics[i].disk);
	}
	s->events = 0;
	for (int i = 0; i < nr_lines; i++)
		if (!uwq_irq_stats(lines[i], &is))
			s->events += is.events;
	s->workers = 0;
	for (int i = 0; !uwq_pool_stats(i, &ps); i++)
		s->workers += ps.workers;
}

/* One progress line: rates between @a and @b, @b's worker count. */
static void print_rates(const struct sample *a, const struct sample *b, uint64_t t0, const char *end)
{
	double dt = (double)(b->ns - a->ns) / 1e9;
	char rx[32];

	if (dt <= 0)
		return;
	snprintf(rx, sizeof(rx), "%.0f+%.0f", (double)(b->rx[0] - a->rx[0]) / dt, (double)(b->rx[1] - a->rx[1]) / dt);
	printf("%5.1f s  rx %-11s done %5.0f pkt/s  irq %5.0f/s  disk %4.0f/s  workers %2d%s",
	       (double)(b->ns - t0) / 1e9, rx, (double)(b->processed - a->processed) / dt,
	       (double)(b->events - a->events) / dt, (double)(b->disk - a->disk) / dt, b->workers, end);
	fflush(stdout);
}

/* A histogram bound as "<=131us"; the last bucket has none: ">2.1s". */
static const char *bound_str(uint64_t ns, char *buf, size_t len)
{
	if (ns == UINT64_MAX)
		snprintf(buf, len, ">%.1fs", (double)(1ull << (UWQ_HIST_BUCKETS - 1)) / 1e9);
	else if (ns < 1000)
		snprintf(buf, len, "<=%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "<=%lluus", (unsigned long long)(ns / 1000));
	else if (ns < 1000000000)
		snprintf(buf, len, "<=%.1fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "<=%.1fs", (double)ns / 1e9);
	return buf;
}

/*
 * What the demo used, in uwq_dump()'s format: its pool, its workqueue and
 * its line(s) (@ls, read while the handlers were installed: thread_runs
 * sums over them). uwq_dump() would add the system workqueues, idle here.
 */
static void print_summary(const struct uwq_irq_stats *ls, int n, bool real)
{
	struct uwq_wq_stats ws;
	struct uwq_pool_stats ps;
	char p50[16], p99[16];

	for (int i = 0; !uwq_pool_stats(i, &ps); i++) {
		char cpus[24];

		if (!ps.started || !ps.created)
			continue;
		if (ps.cpu < 0)
			snprintf(cpus, sizeof(cpus), "unbound(%d)", ps.nr_cpus);
		else
			snprintf(cpus, sizeof(cpus), "%d", ps.cpu);
		printf("pool %d: cpus=%s workers=%d idle=%d created=%llu reaped=%llu\n", ps.id, cpus, ps.workers,
		       ps.idle, (unsigned long long)ps.created, (unsigned long long)ps.reaped);
	}
	if (!uwq_workqueue_stats(proto_wq, &ws))
		printf("workqueue %s: completed=%llu cm_wakeups=%llu queue_latency p50%s p99%s\n", ws.name,
		       (unsigned long long)ws.completed, (unsigned long long)ws.cm_wakeups,
		       bound_str(uwq_hist_percentile(&ws.queue_latency, 50), p50, sizeof(p50)),
		       bound_str(uwq_hist_percentile(&ws.queue_latency, 99), p99, sizeof(p99)));
	for (int i = 0; i < n; i++)
		printf("irq %d: %s %s events=%llu thread_runs=%llu unhandled=%llu missed=%llu\n", ls[i].irq,
		       ls[i].chip, ls[i].actions, (unsigned long long)ls[i].events,
		       (unsigned long long)ls[i].thread_runs, (unsigned long long)ls[i].unhandled,
		       (unsigned long long)ls[i].missed);
	/* What the counts mean here (src/irq/spurious.c, src/irq/chip*.c). */
	if (!real)
		printf("  Both primaries run on every event; the card that did not raise it answers NONE\n"
		       "  (nic0 %lu times, nic1 %lu). unhandled: events BOTH answered NONE, because a\n"
		       "  card sets its status bit, then raises, and an event under way took its packets:\n"
		       "  normal on a shared line (uwq disables a line at 99,900 of 100,000 events).\n",
		       atomic_load(&nics[0].none), atomic_load(&nics[1].none));
	if (!real)
		printf("  missed: raises merged into an earlier one still pending (the line stays masked\n"
		       "  while a thread handler runs: ONESHOT); status bits and rings keep every packet.\n");
	else
		printf("  missed: on the software line, raises merged into one still pending (ONESHOT\n"
		       "  keeps a line masked while its thread handler runs); on the device's line,\n"
		       "  interrupts that the UIO count or the GPIO seqno skipped.\n");
}

int main(int argc, char **argv)
{
	const char *uio = NULL, *gpio = NULL;
	struct uwq_config cfg;
	double seconds = 5;
	pthread_t hw[2];
	struct sample hist[TICKS_PER_RATE + 1], last;	/* hist: a ring, the last second's samples */
	struct uwq_irq_stats line_st[2];
	int nr_st = 0;
	struct timespec next;
	bool tty = isatty(STDOUT_FILENO);
	uint64_t t0;
	int real_line = 0, peak = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-t") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--uio") && i + 1 < argc)
			uio = argv[++i];
		else if (!strcmp(argv[i], "--gpio") && i + 1 < argc)
			gpio = argv[++i];
		else {
			fprintf(stderr, "usage: %s [-t SECONDS] [--uio /dev/uioN] [--gpio /dev/gpiochipN:OFFSET]\n",
				argv[0]);
			return 2;
		}
	}
	/* Short idle timeout so the demo shows the pool shrinking too. */
	uwq_config_defaults(&cfg);
	cfg.idle_timeout_ns = 500ull * 1000000;
	uwq_configure(&cfg);
	proto_wq = uwq_alloc_workqueue("proto", UWQ_UNBOUND, 0);
	line = uwq_irq_create_eventfd();
	if (!proto_wq || line < 0) {
		fprintf(stderr, "nic-sim: set-up failed: %s\n", strerror(line < 0 ? -line : errno));
		return 1;
	}
	lines[nr_lines++] = line;
	for (int i = 0; i < 2; i++)
		nics[i].id = i;
	if (uio || gpio) {
		real_line = uio ? uwq_irq_create_uio(uio) : uwq_irq_create_gpio(gpio_line(gpio));
		if (real_line < 0) {
			fprintf(stderr, "nic-sim: cannot attach %s: %s\n", uio ? uio : gpio, strerror(-real_line));
			return 1;
		}
		lines[nr_lines++] = real_line;
		nics[0].real = true;
	}
	/* Two drivers share the line; the kernel's rules: both SHARED, same ONESHOT. */
	if (uwq_request_threaded_irq(real_line ? real_line : line, nic_primary, nic_thread,
				     UWQ_IRQF_SHARED | UWQ_IRQF_ONESHOT, "nic0", &nics[0]) ||
	    uwq_request_threaded_irq(line, nic_primary, nic_thread, UWQ_IRQF_SHARED | UWQ_IRQF_ONESHOT,
				     "nic1", &nics[1])) {
		fprintf(stderr, "nic-sim: request_threaded_irq failed\n");
		return 1;
	}
	if (real_line)
		printf("nic-sim: nic0 on irq %d (%s), nic1 on irq %d; work on queue proto; %g s load + 1.5 s idle\n",
		       real_line, uio ? uio : gpio, line, seconds);
	else
		printf("nic-sim: nic0, nic1 share irq %d; work on queue proto; %g s load + 1.5 s idle\n",
		       line, seconds);
	printf("legend: rx = packets/s received by nic0+nic1, done = packets/s processed,\n"
	       "        irq = line events/s, disk = 3 ms blocking writes/s, workers = threads\n");
	for (int i = 0; i < 2; i++)
		if (!nics[i].real)
			pthread_create(&hw[i], NULL, hardware, &nics[i]);
	t0 = now_ns();
	take_sample(&hist[0]);
	hist[0].ns = t0;
	clock_gettime(CLOCK_MONOTONIC, &next);
	/*
	 * Load for `seconds`, then 1.5 s of quiet in which idle workers exit.
	 * A terminal gets one line redrawn every tick; anything else one line
	 * per second. Rates are over the last second either way.
	 */
	for (unsigned tick = 1; now_ns() - t0 < (uint64_t)((seconds + 1.5) * 1e9); tick++) {
		struct sample *cur = &hist[tick % (TICKS_PER_RATE + 1)];
		const struct sample *old = &hist[(tick < TICKS_PER_RATE ? 0 : tick - TICKS_PER_RATE) %
						 (TICKS_PER_RATE + 1)];

		next.tv_nsec += TICK_NS;
		if (next.tv_nsec >= 1000000000) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		take_sample(cur);
		if (cur->workers > peak)
			peak = cur->workers;
		if (tty)
			print_rates(old, cur, t0, "\r");
		else if (tick % TICKS_PER_RATE == 0)
			print_rates(old, cur, t0, "\n");
		if (!atomic_load(&stop) && now_ns() - t0 >= (uint64_t)(seconds * 1e9)) {
			atomic_store(&stop, 1);	/* the cards go quiet */
			for (int i = 0; i < 2; i++)
				if (!nics[i].real)
					pthread_join(hw[i], NULL);
		}
	}
	/*
	 * Freeing the handlers stops a real device's packets too; then the
	 * flush makes the counts final. The line stats first: thread_runs is
	 * summed over the installed handlers.
	 */
	for (int i = 0; i < nr_lines; i++)
		if (!uwq_irq_stats(lines[i], &line_st[nr_st]))
			nr_st++;
	uwq_free_irq(line, &nics[1]);
	uwq_free_irq(real_line ? real_line : line, &nics[0]);
	uwq_flush_workqueue(proto_wq);
	take_sample(&last);
	printf("%snic-sim: done; %lu packets, %s processed, %lu dropped; workers: peak %d, now %d\n",
	       tty ? "\n" : "", last.rx[0] + last.rx[1], last.processed == last.rx[0] + last.rx[1] ? "all" : "NOT ALL",
	       atomic_load(&nics[0].dropped) + atomic_load(&nics[1].dropped), peak, last.workers);
	print_summary(line_st, nr_st, real_line > 0);
	uwq_destroy_workqueue(proto_wq);
	uwq_irq_destroy(line);
	if (real_line)
		uwq_irq_destroy(real_line);
	return uwq_shutdown() ? 1 : 0;
}

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
 * load stops. A one-line display shows progress; at the end, uwq_dump().
 *
 *   nic-sim [-t SECONDS] [--uio /dev/uioN] [--gpio /dev/gpiochipN:OFFSET]
 *
 * --uio/--gpio attach card 0's interrupt to a real device instead of the
 * simulation (its primary then treats every interrupt as an rx event).
 */
#define _GNU_SOURCE
#include <dirent.h>
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
	struct pkt *p = (struct pkt *)w;
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

static int count_workers(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		char path[300], comm[32] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (f) {
			if (fgets(comm, sizeof(comm), f) && !strncmp(comm, "uwq/", 4))
				n++;
			fclose(f);
		}
	}
	if (d)
		closedir(d);
	return n;
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

int main(int argc, char **argv)
{
	const char *uio = NULL, *gpio = NULL;
	struct uwq_config cfg;
	double seconds = 5;
	pthread_t hw[2];
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
	for (int i = 0; i < 2; i++)
		nics[i].id = i;
	if (uio || gpio) {
		real_line = uio ? uwq_irq_create_uio(uio) : uwq_irq_create_gpio(gpio_line(gpio));
		if (real_line < 0) {
			fprintf(stderr, "nic-sim: cannot attach %s: %s\n", uio ? uio : gpio, strerror(-real_line));
			return 1;
		}
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
	printf("nic-sim: 2 cards on irq %d (shared, oneshot), protocol work on an unbound queue, %.0f s\n",
	       line, seconds);
	for (int i = 0; i < 2; i++)
		if (!nics[i].real)
			pthread_create(&hw[i], NULL, hardware, &nics[i]);
	t0 = now_ns();
	/* Load for `seconds`, then 1.5 s of quiet in which idle workers exit. */
	while (now_ns() - t0 < (uint64_t)((seconds + 1.5) * 1e9)) {
		struct timespec ts = { 0, 200 * 1000000 };
		int workers = count_workers();

		if (workers > peak)
			peak = workers;
		printf("\r%5.1f s  rx %7lu/%-7lu  irqs %7lu  not-mine %7lu  processed %7lu  disk %6lu  workers %3d   ",
		       (double)(now_ns() - t0) / 1e9, atomic_load(&nics[0].rx), atomic_load(&nics[1].rx),
		       atomic_load(&nics[0].irqs) + atomic_load(&nics[1].irqs),
		       atomic_load(&nics[0].none) + atomic_load(&nics[1].none),
		       atomic_load(&nics[0].processed) + atomic_load(&nics[1].processed),
		       atomic_load(&nics[0].disk) + atomic_load(&nics[1].disk), workers);
		fflush(stdout);
		nanosleep(&ts, NULL);
		if (!atomic_load(&stop) && now_ns() - t0 >= (uint64_t)(seconds * 1e9)) {
			atomic_store(&stop, 1);	/* the cards go quiet */
			for (int i = 0; i < 2; i++)
				if (!nics[i].real)
					pthread_join(hw[i], NULL);
		}
	}
	uwq_flush_workqueue(proto_wq);
	printf("\nnic-sim: done; peak %d worker threads; dropped %lu; %s\n\n", peak,
	       atomic_load(&nics[0].dropped) + atomic_load(&nics[1].dropped),
	       atomic_load(&nics[0].processed) + atomic_load(&nics[1].processed) ==
			       atomic_load(&nics[0].rx) + atomic_load(&nics[1].rx) ?
		       "every received packet processed" : "PACKETS LOST");
	uwq_dump(stdout);
	uwq_free_irq(line, &nics[1]);
	uwq_free_irq(real_line ? real_line : line, &nics[0]);
	uwq_destroy_workqueue(proto_wq);
	uwq_irq_destroy(line);
	if (real_line)
		uwq_irq_destroy(real_line);
	return uwq_shutdown() ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * need.c - how many workers a pool needs: growth follows need.
 *
 * DESIGN
 * A pool makes a worker whenever its running workers fall below its
 * concurrency with work queued and nobody idle (pool.c). With items that
 * block, every block makes one, so a pool grows to its cap: 2,000 items of
 * 2 ms sleep + 0.5 ms CPU on 2 CPUs made 80 workers (the cap) with hints,
 * where Little's law says about 2 x (1 + 2 / 0.5) = 10 busy workers keep
 * both CPUs busy. So the pool measures what its items do and stops
 * growing past what they need.
 *
 * Measure. On each base tick (1 ms) the monitor counts the pool's busy
 * workers (those with an item) as blocked (hinted, uwq's own waits, or
 * seen blocked by the monitor) or running, at most `concurrency` of the
 * latter (more wait for a CPU, as queued items do), and adds the counts to
 * two sums B and R that lose 1/64 of their value per counted tick (a
 * memory of about 64 ms). By Little's law each state holds items in
 * proportion to the time an item spends in it, so
 *     flight = concurrency x (B + R) / R
 * busy workers keep `concurrency` of them on a CPU. It is the items' own
 * ratio, not the pool's size: an over-grown pool has more idle workers,
 * not more blocked ones per running one. Ticks are counted only while
 * blocks end (one ended within the window below): at a burst's start every
 * item is in its first block and nobody runs, and counting that time made
 * the first estimates of this mix say 40-60 (limits of 60-80) while the
 * pool grew, so it made up to 28 workers. Below 16 samples the estimate
 * is unknown (no limit).
 *
 * Gate. pool.c makes no worker when nr_workers >= grow_limit = flight x
 * 3/2 (rounded up): the blocked count swings around its mean as blocks
 * end in bunches (in the mix above, traced per tick, between 3 and 15
 * around a flight of 9-10), and the limit must cover the swings' top.
 * A limit alone could starve a pool whose workers block on each other
 * (nested waits: a parent waits for a child queued behind it), and would
 * leave a CPU idle for a long block with work queued (a few items that
 * sleep 200 ms): so the pool holds at the limit only while blocked
 * workers come back, i.e. one came back within the window, 2 x the mean
 * block time clamped to 8-50 ms, and the next is due soon: blocks end at
 * about nr_blocked per mean block time, and the pool holds only when
 * that gives one within 1 ms, about what making and starting a worker
 * takes here (300-500 us of CPU), so holding costs no more than growing.
 * Otherwise growth goes on as before: the monitor, armed while work
 * waits with nobody idle to take it, retries each tick, and each worker
 * that blocks makes the next. The nested-wait guarantee thus costs at most
 * one window (50 ms) of delay, never a deadlock.
 *
 * pool.c's keep_working() uses flight too: see there.
 *
 * CONCURRENCY
 * Everything here is under pool->lock (L); the sums are written only by
 * the monitor, the block accounting by whoever changes a worker's flags.
 *
 * INVARIANTS
 *  1. need.nr_blocked == number of workers of the pool with WORKER_BLOCKED
 *     or WORKER_AUTO_BLOCKED set (maintained only by uwq__need_flags()).
 *  2. need.limit == 0 (no limit) or need.limit <= max_workers as of the
 *     last sample.
 */
#include "internal/wq.h"

#define NEED_ONE	16	/* one sample, in the sums' fixed point */
#define NEED_DECAY	6	/* the sums lose 1/2^6 per busy tick */
#define NEED_MIN	16	/* samples before the estimate counts */
#define WINDOW_MIN_NS	(8 * 1000000ull)
#define WINDOW_MAX_NS	(50 * 1000000ull)
#define HOLD_NS		(1000000ull)	/* hold for a return expected within 1 ms */

#define BLOCKED_ANY	(WORKER_BLOCKED | WORKER_AUTO_BLOCKED)

void uwq__need_flags(struct uwq__worker *worker, unsigned oflags, unsigned nflags)
{
	struct uwq__need *n = &worker->pool->need;
	uint64_t now;

	if (!(oflags & BLOCKED_ANY) == !(nflags & BLOCKED_ANY))
		return;
	now = uwq__now_ns();
	if (nflags & BLOCKED_ANY) {
		n->nr_blocked++;
		worker->need_blocked_at = now;
		return;
	}
	n->nr_blocked--;
	n->woke_at = now;
	if (worker->need_blocked_at) {
		uint64_t d = now - worker->need_blocked_at;

		/* A moving mean over about 8 blocks. */
		n->mean_block_ns = n->mean_block_ns ? n->mean_block_ns - n->mean_block_ns / 8 + d / 8 : d;
		worker->need_blocked_at = 0;
	}
}

/* How long the pool holds at its limit after a block last ended. */
static uint64_t window_ns(const struct uwq__need *n)
{
	uint64_t w = 2 * n->mean_block_ns;

	return w < WINDOW_MIN_NS ? WINDOW_MIN_NS : w > WINDOW_MAX_NS ? WINDOW_MAX_NS : w;
}

void uwq__need_sample(struct uwq__pool *pool)
{
	struct uwq__need *n = &pool->need;
	struct uwq__list *pos;
	uint32_t b = 0, r = 0;
	uint64_t flight;

	list_for_each(pos, &pool->workers) {
		struct uwq__worker *wk = container_of(pos, struct uwq__worker, all_node);

		if (!wk->current_work)
			continue;
		if (wk->flags & BLOCKED_ANY)
			b++;
		else
			r++;
	}
	/* Running workers beyond the CPUs wait for a CPU, as queued items do. */
	if (r > (uint32_t)pool->concurrency)
		r = (uint32_t)pool->concurrency;
	/* Only while blocks end: in a tick after none has for a window (a
	 * burst's first sleeps, workers waiting on each other) the samples
	 * say how long blocks are, not how items divide their time. */
	if ((!b && !r) || !n->woke_at || uwq__now_ns() - n->woke_at > window_ns(n))
		return;
	n->b -= (n->b + (1u << NEED_DECAY) - 1) >> NEED_DECAY;
	n->r -= (n->r + (1u << NEED_DECAY) - 1) >> NEED_DECAY;
	n->b += b * NEED_ONE;
	n->r += r * NEED_ONE;
	if (n->b + n->r < NEED_MIN * NEED_ONE) {
		n->flight = 0;
		n->limit = 0;
		return;
	}
	flight = n->r ? ((uint64_t)pool->concurrency * (n->b + n->r) + n->r - 1) / n->r : (uint64_t)pool->max_workers;
	if (flight > (uint64_t)pool->max_workers)
		flight = (uint64_t)pool->max_workers;
	n->flight = (int)flight;
	n->limit = (int)((flight * 3 + 1) / 2);
	if (n->limit > pool->max_workers)
		n->limit = pool->max_workers;
}

bool uwq__need_may_grow(const struct uwq__pool *pool)
{
	const struct uwq__need *n = &pool->need;

	if (!n->limit || pool->nr_workers < n->limit || !n->woke_at)
		return true;
	/* Hold only for a return expected soon: blocks end at about
	 * nr_blocked per mean block time. */
	if ((uint64_t)n->nr_blocked * HOLD_NS < n->mean_block_ns)
		return true;
	return uwq__now_ns() - n->woke_at > window_ns(n);
}

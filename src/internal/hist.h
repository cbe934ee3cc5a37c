/* SPDX-License-Identifier: MIT */
/*
 * hist.h - reading a log2 histogram (struct uwq_hist, <uwq/stats.h>):
 * header-only, so that tools/uwq-top, which links no libuwq, computes
 * percentiles exactly as uwq_hist_percentile() does.
 */
#ifndef UWQ_INTERNAL_HIST_H
#define UWQ_INTERNAL_HIST_H

#include <stdint.h>
#include <uwq/stats.h>

static inline uint64_t uwq__hist_count(const struct uwq_hist *h)
{
	uint64_t n = 0;

	for (int i = 0; i < UWQ_HIST_BUCKETS; i++)
		n += h->bucket[i];
	return n;
}

/* The upper bound (ns) of the bucket holding the @p-th percentile; @p
 * above 100 is 100; 0 for an empty histogram or @p not above 0. */
static inline uint64_t uwq__hist_percentile(const struct uwq_hist *h, double p)
{
	uint64_t n = uwq__hist_count(h), want, seen = 0;

	if (!n || !(p > 0))
		return 0;
	if (p > 100)
		p = 100;
	want = (uint64_t)((double)n * p / 100.0 + 0.999999);
	if (want == 0)
		want = 1;
	for (int i = 0; i < UWQ_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= want)
			return i == UWQ_HIST_BUCKETS - 1 ? UINT64_MAX : (2ull << i) - 1;
	}
	return UINT64_MAX;
}

#endif

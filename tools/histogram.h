/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Latency histogram with bounded relative error: exact below 32 ns, then 32 buckets per power of
 * two (at most ~3% error), from nanoseconds to centuries, in fixed memory. Histograms of several
 * threads merge by adding counts.
 */
#ifndef DMACOPY_HISTOGRAM_H
#define DMACOPY_HISTOGRAM_H

#include <stdint.h>

#define HIST_SUB_BITS 5
#define HIST_BUCKETS  ((64 - HIST_SUB_BITS + 1) << HIST_SUB_BITS)

struct histogram {
	uint64_t count;
	uint64_t buckets[HIST_BUCKETS];
};

void hist_reset(struct histogram *h);
void hist_merge(struct histogram *into, const struct histogram *from);

static inline unsigned int hist_index(uint64_t v)
{
	unsigned int msb, shift;

	if (v < (1u << HIST_SUB_BITS))
		return (unsigned int)v;
	msb = 63 - (unsigned int)__builtin_clzll(v);
	shift = msb - HIST_SUB_BITS;
	return ((shift + 1) << HIST_SUB_BITS) +
	       (unsigned int)((v >> shift) & ((1u << HIST_SUB_BITS) - 1));
}

static inline void hist_add(struct histogram *h, uint64_t v)
{
	h->buckets[hist_index(v)]++;
	h->count++;
}

/* The value at quantile q (0 < q <= 1): the middle of the bucket holding it; 0 when empty. */
uint64_t hist_quantile(const struct histogram *h, double q);

#endif /* DMACOPY_HISTOGRAM_H */

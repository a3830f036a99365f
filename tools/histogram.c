// SPDX-License-Identifier: BSD-3-Clause
/*
 * Latency histogram (see histogram.h).
 */
#include <math.h>
#include <string.h>

#include "histogram.h"

void hist_reset(struct histogram *h)
{
	memset(h, 0, sizeof(*h));
}

void hist_merge(struct histogram *into, const struct histogram *from)
{
	for (unsigned int i = 0; i < HIST_BUCKETS; i++)
		into->buckets[i] += from->buckets[i];
	into->count += from->count;
}

/* Smallest value of bucket i and the bucket's width. */
static void bucket_range(unsigned int i, uint64_t *low, uint64_t *width)
{
	unsigned int shift, sub;

	if (i < (1u << HIST_SUB_BITS)) {
		*low = i;
		*width = 1;
		return;
	}
	shift = (i >> HIST_SUB_BITS) - 1;
	sub = i & ((1u << HIST_SUB_BITS) - 1);
	*low = ((uint64_t)(sub | (1u << HIST_SUB_BITS))) << shift;
	*width = 1ull << shift;
}

uint64_t hist_quantile(const struct histogram *h, double q)
{
	uint64_t rank, seen = 0, low, width;

	if (!h->count)
		return 0;
	rank = (uint64_t)ceil(q * (double)h->count);
	if (rank < 1)
		rank = 1;
	for (unsigned int i = 0; i < HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank) {
			bucket_range(i, &low, &width);
			return low + (width - 1) / 2;
		}
	}
	return 0;
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * Patterns, guard bytes and checks of `dmacopy verify` (see verify_buffers.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rng.h"
#include "verify_buffers.h"

#define SRC_MARK   0x80 /* every source byte */
#define RANGE_MARK 0x40 /* source bytes inside the range to copy */
#define FREE_BITS  0x3f

static uint8_t *map_area(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int verify_buffers_init(struct verify_buffers *b, size_t area, size_t guard, unsigned int slots,
                        uint64_t seed)
{
	size_t total;
	struct rng rng;

	memset(b, 0, sizeof(*b));
	b->area = area;
	b->guard = guard;
	/* Every slot starts at a multiple of guard, which is a multiple of the engine's alignment.
	 */
	b->slot_len = (2 * guard + area + guard - 1) / guard * guard;
	b->slots = slots;
	total = b->slot_len * slots;
	b->src = map_area(total);
	b->dst = map_area(total);
	b->want_src = malloc(total);
	b->want_dst = malloc(total);
	b->noise = malloc(b->slot_len);
	if (!b->src || !b->dst || !b->want_src || !b->want_dst || !b->noise) {
		verify_buffers_free(b);
		return -ENOMEM;
	}
	rng_seed(&rng, seed ^ 0x6e6f697365ull);
	for (size_t i = 0; i < b->slot_len; i += 8) {
		uint64_t v = rng_next(&rng);

		memcpy(b->noise + i, &v, b->slot_len - i < 8 ? b->slot_len - i : 8);
	}
	return 0;
}

void verify_buffers_free(struct verify_buffers *b)
{
	if (b->src)
		munmap(b->src, b->slot_len * b->slots);
	if (b->dst)
		munmap(b->dst, b->slot_len * b->slots);
	free(b->want_src);
	free(b->want_dst);
	free(b->noise);
	memset(b, 0, sizeof(*b));
}

uint8_t *verify_src(const struct verify_buffers *b, unsigned int slot, size_t off)
{
	return b->src + slot * b->slot_len + b->guard + off;
}

uint8_t *verify_dst(const struct verify_buffers *b, unsigned int slot, size_t off)
{
	return b->dst + slot * b->slot_len + b->guard + off;
}

static void key_bytes(uint64_t key, uint8_t k[8])
{
	for (int i = 0; i < 8; i++)
		k[i] = (uint8_t)(key >> (8 * i));
}

void verify_prepare(struct verify_buffers *b, unsigned int slot, const struct verify_op *op)
{
	size_t base = slot * b->slot_len, n = b->slot_len;
	uint8_t *src = b->src + base, *dst = b->dst + base;
	uint8_t *ws = b->want_src + base, *wd = b->want_dst + base;
	size_t s0 = b->guard + op->src_off, s1 = op->fill ? s0 : s0 + op->len;
	size_t d0 = b->guard + op->dst_off, d1 = d0 + op->len;
	uint64_t mix = op->key;
	uint8_t ks[8], kd[8];

	key_bytes(op->key, ks);
	key_bytes(splitmix64(&mix), kd);
	for (size_t j = 0; j < n; j++) {
		ws[j] = (uint8_t)(((b->noise[j] ^ ks[j & 7]) & FREE_BITS) | SRC_MARK);
		wd[j] = (uint8_t)((b->noise[j] ^ kd[j & 7]) & 0x7f);
	}
	for (size_t j = s0; j < s1; j++)
		ws[j] |= RANGE_MARK;
	for (size_t i = 0; i < op->len; i++)
		wd[d0 + i] = op->fill ? (uint8_t)(op->pattern >> (8 * (i & 7))) : ws[s0 + i];

	memcpy(src, ws, n);
	memcpy(dst, wd, d0);
	for (size_t j = d0; j < d1; j++)
		dst[j] = (uint8_t)~wd[j];
	memcpy(dst + d1, wd + d1, n - d1);
}

static const char *diagnose(const struct verify_op *op, bool in_range, uint8_t want, uint8_t got)
{
	if (!in_range)
		return got & SRC_MARK ? (op->fill ? "written outside the range: over-fill"
		                                  : "written outside the range: over-copy")
		                      : "guard byte changed";
	if ((uint8_t)(got ^ want) == 0xff) /* still the inverted pre-fill */
		return op->fill ? "not written: under-fill" : "not written: under-copy";
	if (op->fill)
		return "wrong fill value";
	if ((got & (SRC_MARK | RANGE_MARK)) == (SRC_MARK | RANGE_MARK))
		return "a byte of the source range, but not this one: misplaced copy or corruption";
	if (got & SRC_MARK)
		return "a source byte from outside the range: over-read";
	return "corrupted";
}

/* "dst offset 100 (byte 4 of the range)" / "dst offset 96, 4 bytes before the range". */
static void describe(char *buf, size_t len, const struct verify_buffers *b, size_t j, size_t r0,
                     size_t r1, const char *which)
{
	long long off = (long long)j - (long long)b->guard;

	if (j >= r0 && j < r1)
		snprintf(buf, len, "%s offset %lld (byte %zu of the range)", which, off, j - r0);
	else if (j < r0)
		snprintf(buf, len, "%s offset %lld, %zu bytes before the range", which, off,
		         r0 - j);
	else
		snprintf(buf, len, "%s offset %lld, %zu bytes after the range", which, off,
		         j - r1 + 1);
}

uint64_t verify_check(const struct verify_buffers *b, unsigned int slot, const struct verify_op *op,
                      const char *prefix, unsigned int max_print)
{
	size_t base = slot * b->slot_len, n = b->slot_len;
	const uint8_t *src = b->src + base, *dst = b->dst + base;
	const uint8_t *ws = b->want_src + base, *wd = b->want_dst + base;
	size_t s0 = b->guard + op->src_off, d0 = b->guard + op->dst_off, d1 = d0 + op->len;
	uint64_t bad = 0;
	char where[96];

	if (!memcmp(src, ws, n) && !memcmp(dst, wd, n))
		return 0;
	for (size_t j = 0; j < n; j++) {
		if (src[j] == ws[j])
			continue;
		if (bad++ < max_print) {
			describe(where, sizeof(where), b, j, s0, op->fill ? s0 : s0 + op->len,
			         "src");
			printf("%s: %s: expected 0x%02x, got 0x%02x (the engine wrote to its "
			       "source)\n",
			       prefix, where, ws[j], src[j]);
		}
	}
	for (size_t j = 0; j < n; j++) {
		bool in_range = j >= d0 && j < d1;

		if (dst[j] == wd[j])
			continue;
		if (bad++ < max_print) {
			describe(where, sizeof(where), b, j, d0, d1, "dst");
			printf("%s: %s: expected 0x%02x, got 0x%02x (%s)\n", prefix, where, wd[j],
			       dst[j], diagnose(op, in_range, wd[j], dst[j]));
		}
	}
	if (max_print && bad > max_print)
		printf("%s: %llu differing bytes in all\n", prefix, (unsigned long long)bad);
	return bad;
}

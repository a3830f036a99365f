/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Buffers and byte patterns of `dmacopy verify`, built so that every way a copy or fill can go
 * wrong leaves a recognisable mark:
 *
 *   source bytes          bit 7 set; bit 6 set inside the range to copy, clear outside it;
 *                         bits 0-5 pseudo-random per position and per operation
 *   destination, range    pre-filled with the inverse of the expected byte (bit 7 clear)
 *   destination, guards   pre-filled with bit 7 clear: everything outside the range, including
 *                         GUARD bytes before and after the area, must stay as it was
 *   fill patterns         every byte has bit 7 set
 *
 * So a byte never written keeps its inverted value (under-copy), a guard byte with bit 7 set was
 * written (over-copy), a byte with bit 6 clear came from outside the source range (over-read),
 * another source byte means a misplaced copy, and a changed source byte means the engine wrote to
 * its source.
 */
#ifndef DMACOPY_VERIFY_BUFFERS_H
#define DMACOPY_VERIFY_BUFFERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One operation, with offsets relative to the start of a slot's test area. */
struct verify_op {
	bool fill;
	uint64_t pattern; /* fill: byte i of the range = byte i % 8, little-endian */
	size_t len, src_off, dst_off;
	uint64_t key; /* varies the pseudo-random source and guard bytes */
	unsigned int flags;
};

/* Per slot: a source and a destination area of `area` bytes with `guard` bytes on each side. */
struct verify_buffers {
	size_t area, guard, slot_len;
	unsigned int slots;
	uint8_t *src, *dst;           /* what the engine reads and writes */
	uint8_t *want_src, *want_dst; /* their expected contents after the operation */
	uint8_t *noise;               /* slot_len random bytes, fixed for the run */
};

/* guard must be a multiple of the engine's alignment. Returns 0 or -ENOMEM. */
int verify_buffers_init(struct verify_buffers *b, size_t area, size_t guard, unsigned int slots,
                        uint64_t seed);
void verify_buffers_free(struct verify_buffers *b);

/* Engine-side addresses of a slot's ranges. */
uint8_t *verify_src(const struct verify_buffers *b, unsigned int slot, size_t off);
uint8_t *verify_dst(const struct verify_buffers *b, unsigned int slot, size_t off);

/* Write the patterns for op into slot and compute what the slot must hold afterwards. */
void verify_prepare(struct verify_buffers *b, unsigned int slot, const struct verify_op *op);

/*
 * Compare slot with its expected contents. Prints at most max_print differing bytes as
 * "<prefix>: <where>: expected 0x.., got 0x.. (<diagnosis>)" lines; returns how many bytes differ.
 */
uint64_t verify_check(const struct verify_buffers *b, unsigned int slot, const struct verify_op *op,
                      const char *prefix, unsigned int max_print);

#endif /* DMACOPY_VERIFY_BUFFERS_H */

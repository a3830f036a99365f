/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CPU engine's copy and fill primitives (internal to libdmacopy).
 *
 * cpu_copy()/cpu_fill() are the single-thread primitives: chosen once at start-up from the CPU's
 * features (SSE2, AVX2, AVX-512, ERMS) and the cache sizes, with a portable fallback. They switch
 * to non-temporal stores above a size where that pays off on this machine.
 *
 * A cpu_pool splits large copies across worker threads; the caller's thread takes a share too.
 */
#ifndef DMACOPY_CPU_COPY_H
#define DMACOPY_CPU_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "dmacopy.h"

/* Detect features and pick the routines; idempotent and thread-safe (also run as a constructor). */
void cpu_copy_init(void);

/* Feature summary such as "avx2 erms nt>=1048576" for `dmacopy info` and benchmark reports. */
const char *cpu_copy_features(void);

/* Size at and above which cpu_copy() uses non-temporal stores (0: never). */
size_t cpu_copy_nt_threshold(void);

/* Copy n bytes; the ranges must not overlap. Any alignment, any n (0 included). */
void cpu_copy(void *dst, const void *src, size_t n);

#define CPU_SMALL_COPY_MAX 64
/*
 * Up to here the C library's memcpy does the inline copies: for these sizes its call costs less
 * than cpu_copy()'s (bench/small: 1.5 vs 3.9 ns at 65-128 B on AVX2/AVX-512 machines), and above
 * it cpu_copy() is as fast or faster (bench/small at 2-4 KiB).
 */
#define CPU_LIBC_COPY_MAX 2048

/* n <= 64 bytes without a loop (dmacopy.h's, which the inline dmacopy_memcpy() uses too). */
static inline void cpu_copy_small(void *dst, const void *src, size_t n)
{
	dmacopy__copy_small((unsigned char *)dst, (const unsigned char *)src, n);
}

/*
 * A single-thread copy of n bytes, small ones inline: what the CPU engine does for one operation
 * below its parallel threshold (dmacopy_memcpy() and the CPU engine's queues).
 */
static inline void cpu_copy_inline(void *dst, const void *src, size_t n)
{
	if (n <= CPU_SMALL_COPY_MAX)
		cpu_copy_small(dst, src, n);
	else if (n <= CPU_LIBC_COPY_MAX)
		__builtin_memcpy(dst, src, n);
	else
		cpu_copy(dst, src, n);
}

/* Fill n bytes at dst: byte i = byte (i % 8) of pattern stored little-endian. */
void cpu_fill(void *dst, uint64_t pattern, size_t n);

struct cpu_pool;

/*
 * Create a pool of threads - 1 workers (the calling thread is the last one); threads 0 = online
 * CPUs. Returns 0 or -errno.
 */
int cpu_pool_create(unsigned int threads, struct cpu_pool **pool);
void cpu_pool_destroy(struct cpu_pool *pool);
unsigned int cpu_pool_threads(const struct cpu_pool *pool);

/*
 * Copy / fill using every thread of the pool; returns when all is done. Safe to call from several
 * threads at once (callers serialise on the pool, or fall back to a single-thread copy when the
 * pool is busy: never deadlock, never slower than cpu_copy()).
 */
void cpu_pool_copy(struct cpu_pool *pool, void *dst, const void *src, size_t n);
void cpu_pool_fill(struct cpu_pool *pool, void *dst, uint64_t pattern, size_t n);

/* Default size from which a copy is worth splitting across the pool on this machine. */
size_t cpu_pool_default_threshold(void);

#endif /* DMACOPY_CPU_COPY_H */

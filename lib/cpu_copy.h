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

/* Detect features and pick the routines; idempotent and thread-safe (also run as a constructor). */
void cpu_copy_init(void);

/* Feature summary such as "avx2 erms nt>=1048576" for `dmacopy info` and benchmark reports. */
const char *cpu_copy_features(void);

/* Size at and above which cpu_copy() uses non-temporal stores (0: never). */
size_t cpu_copy_nt_threshold(void);

/* Copy n bytes; the ranges must not overlap. Any alignment, any n (0 included). */
void cpu_copy(void *dst, const void *src, size_t n);

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

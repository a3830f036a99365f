/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside the CPU engine: the per-ISA copy/fill kernels and the tuning knobs they read.
 * Only lib/cpu_copy*.c, the unit tests and the benchmarks include this.
 */
#ifndef DMACOPY_CPU_COPY_IMPL_H
#define DMACOPY_CPU_COPY_IMPL_H

#include <stddef.h>
#include <stdint.h>

/* Internal to libdmacopy: no GOT indirection on the kernels' hot paths. */
#pragma GCC visibility push(hidden)

/*
 * One instruction-set variant. copy/fill are complete (any size; non-temporal stores from
 * cpu_tune.nt_threshold up). copy_nt/fill_nt always use non-temporal stores for the bulk (the pool
 * calls them on chunks of a copy that is large as a whole) and end with a store fence.
 */
struct cpu_kernels {
	const char *name;
	void (*copy)(void *dst, const void *src, size_t n);
	void (*copy_nt)(void *dst, const void *src, size_t n);
	void (*fill)(void *dst, uint64_t pattern, size_t n);
	void (*fill_nt)(void *dst, uint64_t pattern, size_t n);
};

/*
 * Thresholds the kernels read on their large-size paths (set once by cpu_copy_init(); SIZE_MAX
 * disables a path): copies and fills from nt_threshold up use non-temporal stores; below that,
 * copies from rep_movsb_min use `rep movsb`, and fills of a repeated byte from rep_stosb_min use
 * `rep stosb`.
 */
struct cpu_tune {
	size_t nt_threshold;
	size_t rep_movsb_min;
	size_t rep_stosb_min;
};

extern struct cpu_tune cpu_tune;

#if defined(__x86_64__)
extern const struct cpu_kernels cpu_kernels_sse2;
extern const struct cpu_kernels cpu_kernels_avx2;
extern const struct cpu_kernels cpu_kernels_avx512;
#endif
extern const struct cpu_kernels cpu_kernels_generic;

/*
 * Select the variant by name ("generic", "sse2", "avx2", "avx512"); -ENOTSUP if this CPU cannot run
 * it, -EINVAL if unknown. For tests and benchmarks: must not race with copies in progress.
 * DMACOPY_CPU_ISA=<name> in the environment does the same at start-up.
 */
int cpu_copy_select(const char *name);

/* The variant in use. */
const struct cpu_kernels *cpu_copy_kernels(void);

/*
 * Override thresholds (tests, tuning): 0 leaves a value unchanged, SIZE_MAX disables the path;
 * rep_min sets both rep_movsb_min and rep_stosb_min. Environment at start-up:
 * DMACOPY_CPU_NT_MIN (nt_threshold), DMACOPY_CPU_REP_MIN (rep_movsb_min): bytes with an optional
 * K/M/G suffix, "off" or 0 = never.
 */
void cpu_copy_tune(size_t nt_threshold, size_t rep_min);

struct cpu_pool;

/*
 * By default a pool times its jobs and, per size class, runs them on the caller alone while that
 * is faster (the workers' CPUs busy with other work, or memory bandwidth already saturated by one
 * core), trying the workers again now and then; off makes every job use the workers (tests).
 */
void cpu_pool_set_adaptive(struct cpu_pool *pool, int on);

#pragma GCC visibility pop

#endif /* DMACOPY_CPU_COPY_IMPL_H */

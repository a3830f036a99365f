// SPDX-License-Identifier: BSD-3-Clause
/*
 * Per-call cost of synchronous small copies: dmacopy_memcpy() on the CPU engine against glibc
 * memcpy, same buffers, same kind of loop (in cache). The figure is against memcpy() called as a
 * program calls it, through the PLT; the "GOT call" columns give memcpy() called through its GOT
 * entry as well (no PLT stub: what a -fno-plt build does, and the very call dmacopy.h's inline
 * dmacopy_memcpy() makes from GCC on x86-64 above 64 bytes for lengths not known at compile
 * time, as here; below 65 bytes it makes no call at all).
 *
 * Usage: sync_call [-n] [SIZE...]   (default: 8 64 256 4096)
 *   -n  also time dmacopy_memcpy() as the library's function, called through a pointer (the path
 *       of DMACOPY_NO_INLINE, other languages, and every caller before the inline version)
 *
 * Method. Rounds are paired: in each one the loops run back to back on the same buffers, and the
 * round's ratio is dmacopy's time over memcpy's (each loop in its own function; dmacopy's runs
 * between the two memcpy() loops, whose order alternates from round to round); a size's figure is the
 * median of its rounds' ratios, which a slow moment of the host moves far less than the ratio of
 * two medians. The destination is placed at four offsets within a 4 KiB page (0, 1, 2 and 3 KiB
 * past the source's): a load that follows stores to an address 4 KiB apart in its low 12 bits
 * waits for them on x86 ("4K aliasing"), and dmacopy_memcpy() loads two words of the engine while
 * memcpy() loads nothing but the source, so one placement can cost dmacopy a few cycles per call
 * that another does not. Each offset gets ROUNDS rounds; the figure is the median over all of
 * them, and the per-offset medians are printed beside it.
 *
 * The "empty call" column is a control: a function with dmacopy_memcpy()'s signature that does
 * nothing (sync_call_nop.c, compiled apart so that it cannot be inlined), called through a
 * pointer in the same kind of loop: the floor of any copy behind a call here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dmacopy.h"

int sync_call_nop(struct dmacopy_engine *e, void *dst, const void *src, size_t len);

#define ROUNDS  10 /* even: each baseline goes first in half of them */
#define LAYOUTS 4

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(v[0]), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * Each timed loop is a function of its own, so that the compiler allocates its registers for that
 * loop alone. In one large main() it kept the engine pointer on the stack too, and the inline
 * dmacopy_memcpy() reloaded it on every call; it still reloads the invariants of its checks
 * (as in a caller with as many live values: across the call to memcpy() only the callee-saved
 * registers survive). Every loop copies to one of two destinations 8 KiB apart in turn; the
 * empty asm keeps the compiler from merging or dropping calls.
 */
#if defined(__clang__)
#define LOOP_FN __attribute__((noinline))
#else
#define LOOP_FN __attribute__((noinline, noipa))
#endif

/* glibc's memcpy() as a program calls it (through the PLT) */
static LOOP_FN double loop_memcpy(char *dst, const char *src, size_t n, long iters)
{
	double t0 = now();

	for (long k = 0; k < iters; k++) {
		memcpy(dst + (k & 1) * 8192, src, n);
		__asm__ volatile("" ::: "memory");
	}
	return now() - t0;
}

/* glibc's memcpy() through its GOT entry, as dmacopy.h calls it for lengths not known at compile
 * time (no PLT stub) */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
extern void *memcpy_got(void *dst, const void *src, size_t len) __asm__("memcpy")
	__attribute__((noplt, nothrow, leaf));
#else
#error "bench/small measures GCC on x86-64 (the GOT call of dmacopy.h)"
#endif

static LOOP_FN double loop_memcpy_got(char *dst, const char *src, size_t n, long iters)
{
	double t0 = now();

	for (long k = 0; k < iters; k++) {
		memcpy_got(dst + (k & 1) * 8192, src, n);
		__asm__ volatile("" ::: "memory");
	}
	return now() - t0;
}

/* dmacopy.h's inline dmacopy_memcpy() */
static LOOP_FN double loop_dmacopy(struct dmacopy_engine *e, char *dst, const char *src, size_t n,
				   long iters)
{
	double t0 = now();

	for (long k = 0; k < iters; k++) {
		if (dmacopy_memcpy(e, dst + (k & 1) * 8192, src, n))
			abort();
		__asm__ volatile("" ::: "memory");
	}
	return now() - t0;
}

/* the library's function, or the empty control, through a pointer */
static LOOP_FN double loop_fn(int (*volatile fn)(struct dmacopy_engine *, void *, const void *,
						   size_t),
			      struct dmacopy_engine *e, char *dst, const char *src, size_t n,
			      long iters)
{
	double t0 = now();

	for (long k = 0; k < iters; k++) {
		if (fn(e, dst + (k & 1) * 8192, src, n))
			abort();
		__asm__ volatile("" ::: "memory");
	}
	return now() - t0;
}

int main(int argc, char **argv)
{
	static const size_t defaults[] = { 8, 64, 256, 4096 };
	struct dmacopy_engine *e;
	/* source at a page start; destinations in a buffer of their own, two 8 KiB apart */
	char *src = aligned_alloc(4096, 8192), *dbuf = aligned_alloc(4096, 4 * 8192);
	int with_lib = argc > 1 && !strcmp(argv[1], "-n");
	int first = 1 + with_lib;
	int nsizes = argc > first ? argc - first : 4;

	if (!src || !dbuf || dmacopy_engine_open(&e, "cpu", NULL)) {
		fprintf(stderr, "sync_call: setup failed\n");
		return 1;
	}
	memset(src, 1, 8192);
	memset(dbuf, 0, 4 * 8192);
	printf("%-6s %9s %9s %7s  %-27s%s %9s %7s %10s\n", "size", "memcpy ns", "dmacopy", "ratio",
	       "ratio at dst offset 0-3 KiB", with_lib ? "  lib fn  ratio" : "", "GOT call",
	       "ratio", "empty call");
	for (int i = 0; i < nsizes; i++) {
		size_t n = argc > first ? strtoul(argv[i + first], NULL, 0) : defaults[i];
		long iters = n >= 2048 ? 400000 : 2000000;
		double m[LAYOUTS * ROUNDS], d[LAYOUTS * ROUNDS], q[LAYOUTS * ROUNDS];
		double l[LAYOUTS * ROUNDS], z[LAYOUTS * ROUNDS], per[LAYOUTS];
		double ql[LAYOUTS * ROUNDS], p[LAYOUTS * ROUNDS], qp[LAYOUTS * ROUNDS];
		const double ns = 1e9 / iters;

		if (n == 0 || n > 4096) {
			fprintf(stderr, "sync_call: size must be 1..4096\n");
			return 2;
		}
		for (int lay = 0; lay < LAYOUTS; lay++) {
			char *dst = dbuf + lay * 1024;

			for (int r = 0; r < ROUNDS; r++) {
				int k0 = lay * ROUNDS + r;

				/* dmacopy's loop between the two baselines, each first in turn */
				if (r & 1) {
					p[k0] = loop_memcpy_got(dst, src, n, iters) * ns;
					d[k0] = loop_dmacopy(e, dst, src, n, iters) * ns;
					m[k0] = loop_memcpy(dst, src, n, iters) * ns;
				} else {
					m[k0] = loop_memcpy(dst, src, n, iters) * ns;
					d[k0] = loop_dmacopy(e, dst, src, n, iters) * ns;
					p[k0] = loop_memcpy_got(dst, src, n, iters) * ns;
				}
				l[k0] = with_lib ? loop_fn(dmacopy_memcpy, e, dst, src, n, iters) * ns : 0;
				z[k0] = loop_fn(sync_call_nop, e, dst, src, n, iters) * ns;
				q[k0] = d[k0] / m[k0];
				ql[k0] = l[k0] / m[k0];
				qp[k0] = d[k0] / p[k0];
			}
		}
		for (int lay = 0; lay < LAYOUTS; lay++) {
			double v[ROUNDS];

			memcpy(v, q + lay * ROUNDS, sizeof(v));
			per[lay] = median(v, ROUNDS);
		}
		printf("%-6zu %9.2f %9.2f %6.2fx  %6.2f %6.2f %6.2f %6.2f ", n, median(m, LAYOUTS * ROUNDS),
		       median(d, LAYOUTS * ROUNDS), median(q, LAYOUTS * ROUNDS), per[0], per[1], per[2],
		       per[3]);
		if (with_lib)
			printf(" %7.2f %6.2fx", median(l, LAYOUTS * ROUNDS), median(ql, LAYOUTS * ROUNDS));
		printf(" %9.2f %6.2fx %10.2f\n", median(p, LAYOUTS * ROUNDS),
		       median(qp, LAYOUTS * ROUNDS), median(z, LAYOUTS * ROUNDS));
	}
	dmacopy_engine_close(e);
	return 0;
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * Per-call cost of synchronous small copies: dmacopy_memcpy() on the CPU engine against glibc
 * memcpy, same buffers, same loop (in cache). glibc's memcpy is called through a volatile
 * function pointer so the compiler cannot inline it: both sides pay one real call.
 *
 * Usage: sync_call [SIZE...]   (default: 8 64 256 4096); prints median of 7 rounds per size.
 *
 * The last column is a control: a function with dmacopy_memcpy()'s signature that does nothing
 * (sync_call_nop.c, compiled apart so that it cannot be inlined), called through the same loop.
 * It is the floor of any copy behind a call here; at the smallest sizes it is about what glibc's
 * memcpy costs, so ratios there measure the call, and the loop's alignment, more than the copy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dmacopy.h"

int sync_call_nop(struct dmacopy_engine *e, void *dst, const void *src, size_t len);

#define ROUNDS 7

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

int main(int argc, char **argv)
{
	static const size_t defaults[] = { 8, 64, 256, 4096 };
	void *(*volatile libc_memcpy)(void *, const void *, size_t) = memcpy;
	struct dmacopy_engine *e;
	char *src = aligned_alloc(64, 16384), *dst = aligned_alloc(64, 16384);
	int nsizes = argc > 1 ? argc - 1 : 4;

	if (!src || !dst || dmacopy_engine_open(&e, "cpu", NULL)) {
		fprintf(stderr, "sync_call: setup failed\n");
		return 1;
	}
	memset(src, 1, 16384);
	memset(dst, 0, 16384);
	printf("%-8s %14s %22s %7s %16s\n", "size", "memcpy ns/call", "dmacopy_memcpy ns/call",
	       "ratio", "empty call ns");
	for (int i = 0; i < nsizes; i++) {
		size_t n = argc > 1 ? strtoul(argv[i + 1], NULL, 0) : defaults[i];
		long iters = n >= 4096 ? 2000000 : 20000000;
		double m[ROUNDS], d[ROUNDS], z[ROUNDS];

		if (n == 0 || n > 8192) {
			fprintf(stderr, "sync_call: size must be 1..8192\n");
			return 2;
		}
		for (int r = 0; r < ROUNDS; r++) {
			double t0 = now(), t1, t2;

			for (long k = 0; k < iters; k++) {
				libc_memcpy(dst + (k & 1) * 8192, src, n);
				__asm__ volatile("" ::: "memory");
			}
			t1 = now();
			for (long k = 0; k < iters; k++) {
				if (dmacopy_memcpy(e, dst + (k & 1) * 8192, src, n))
					return 1;
				__asm__ volatile("" ::: "memory");
			}
			t2 = now();
			for (long k = 0; k < iters; k++) {
				if (sync_call_nop(e, dst + (k & 1) * 8192, src, n))
					return 1;
				__asm__ volatile("" ::: "memory");
			}
			m[r] = (t1 - t0) / iters * 1e9;
			d[r] = (t2 - t1) / iters * 1e9;
			z[r] = (now() - t2) / iters * 1e9;
		}
		qsort(m, ROUNDS, sizeof(m[0]), cmp);
		qsort(d, ROUNDS, sizeof(d[0]), cmp);
		qsort(z, ROUNDS, sizeof(z[0]), cmp);
		printf("%-8zu %14.2f %22.2f %6.2fx %16.2f\n", n, m[ROUNDS / 2], d[ROUNDS / 2],
		       d[ROUNDS / 2] / m[ROUNDS / 2], z[ROUNDS / 2]);
	}
	dmacopy_engine_close(e);
	return 0;
}

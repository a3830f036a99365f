// SPDX-License-Identifier: BSD-3-Clause
/*
 * The CPU engine's copy core against its peers, side by side in one process:
 *
 *   large: 64 MiB copies out of cache: cpu_pool_copy (all CPUs), cpu_copy (one thread), glibc
 *          memcpy, DPDK rte_memcpy (three builds), PMDK pmem_memcpy_nodrain;
 *   small: per-call cost of cpu_copy and glibc memcpy at 64 B and 4 KiB (hot cache).
 *
 * Contenders take turns within every round (in a rotating order), so background load that comes
 * and goes hits all of them alike; each figure is the median of all samples. Large copies rotate
 * over several source/destination pairs whose total is many times the last-level cache, so every
 * copy starts cold.
 *
 * Usage: peers [--size BYTES] [--pairs N] [--rounds N] [--reps N] [--small-rounds N]
 *              [--raw FILE] [--only large|small]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <libpmem.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "cpu_copy.h"
#include "cpu_copy_impl.h"

void rte_peer_copy_sse(void *dst, const void *src, size_t n);
void rte_peer_copy_avx2(void *dst, const void *src, size_t n);
void rte_peer_copy_avx512(void *dst, const void *src, size_t n);
void rte_peer_small_loop_sse(void *dst, const void *src, size_t n, uint64_t iters);
void rte_peer_small_loop_avx2(void *dst, const void *src, size_t n, uint64_t iters);
void rte_peer_small_loop_avx512(void *dst, const void *src, size_t n, uint64_t iters);

static struct cpu_pool *pool;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- large copies ---- */

static void c_memcpy(void *d, const void *s, size_t n)
{
	memcpy(d, s, n);
}

static void c_pool(void *d, const void *s, size_t n)
{
	cpu_pool_copy(pool, d, s, n);
}

static void c_cpu_temporal(void *d, const void *s, size_t n)
{
	size_t nt = cpu_tune.nt_threshold;

	cpu_tune.nt_threshold = SIZE_MAX;
	cpu_copy(d, s, n);
	cpu_tune.nt_threshold = nt;
}

static void c_pmem(void *d, const void *s, size_t n)
{
	pmem_memcpy_nodrain(d, s, n);
	pmem_drain(); /* one sfence: the same ordering cpu_copy ends with */
}

struct contender {
	const char *name;
	void (*copy)(void *, const void *, size_t);
	int baseline;
	int info; /* shown for context, not a peer */
};

static struct contender large[] = {
        {"glibc memcpy", c_memcpy, 1, 0},
        {"cpu_pool_copy", c_pool, 0, 0},
        {"cpu_copy", cpu_copy, 0, 0},
        {"rte_memcpy sse (pkg-config flags)", rte_peer_copy_sse, 0, 0},
        {"rte_memcpy avx2", rte_peer_copy_avx2, 0, 0},
        {"rte_memcpy avx512", rte_peer_copy_avx512, 0, 0},
        {"pmem_memcpy_nodrain", c_pmem, 0, 0},
        {"cpu_copy, NT stores off (rep movsb)", c_cpu_temporal, 0, 1},
};
#define NLARGE (sizeof(large) / sizeof(large[0]))

static void *map_buffers(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

static void run_large(size_t size, unsigned int pairs, unsigned int rounds, unsigned int reps,
                      FILE *raw)
{
	char *mem = map_buffers(2 * size * pairs);
	unsigned int nsamples = rounds * reps, next = 0;
	double *samples = calloc(NLARGE * nsamples, sizeof(double));
	double base = 0;

	/* Touch everything (no zero page, no first-touch faults while timing). */
	for (size_t i = 0; i < 2 * size * pairs; i += 4096)
		mem[i] = (char)(i >> 12);
	for (unsigned int p = 0; p < pairs; p++)
		for (size_t i = 0; i < size; i += 8)
			*(uint64_t *)(mem + 2 * size * p + i) = i * 0x9e3779b97f4a7c15ull + p;

	/* Every contender must actually copy. */
	for (unsigned int c = 0; c < NLARGE; c++) {
		char *src = mem, *dst = mem + size;

		memset(dst, 0, size);
		large[c].copy(dst + 64, src + 64, size - 128);
		if (memcmp(dst + 64, src + 64, size - 128)) {
			fprintf(stderr, "%s: copy is wrong\n", large[c].name);
			exit(1);
		}
	}

	for (unsigned int r = 0; r < rounds; r++) {
		for (unsigned int k = 0; k < NLARGE; k++) {
			unsigned int c = (k + r) % NLARGE;

			for (unsigned int i = 0; i < reps; i++) {
				char *src = mem + 2 * size * (next % pairs), *dst = src + size;
				double t0, t;

				next++;
				t0 = now();
				large[c].copy(dst, src, size);
				t = now() - t0;
				samples[c * nsamples + r * reps + i] = (double)size / t / 1e9;
				if (raw)
					fprintf(raw, "large,%s,%zu,%u,%u,%.4f\n", large[c].name,
					        size, r, i, (double)size / t / 1e9);
			}
		}
	}

	printf("Large copies: %zu MiB, source and destination out of cache (%u pairs = %zu MiB "
	       "rotated), %u rounds x %u copies per contender\n",
	       size >> 20, pairs, (2 * size * pairs) >> 20, rounds, reps);
	printf("  %-36s %10s %10s %10s %12s\n", "contender", "median", "min", "max", "vs memcpy");
	for (unsigned int c = 0; c < NLARGE; c++) {
		double *v = samples + c * nsamples;
		double med = median(v, nsamples);

		if (large[c].baseline)
			base = med;
		printf("  %-36s %6.2f GB/s %6.2f GB/s %6.2f GB/s %10.2fx%s\n", large[c].name, med,
		       v[0], v[nsamples - 1], base ? med / base : 0.0,
		       large[c].info ? "  (info)" : "");
	}
	free(samples);
	munmap(mem, 2 * size * pairs);
}

/* ---- small copies ---- */

/* Both loops call through the same kind of linkage: a direct call into a function that jumps
 * to the selected implementation (glibc: PLT + ifunc; cpu_copy: one indirect jump). */
__attribute__((noinline)) static void loop_memcpy(void *d, const void *s, size_t n, uint64_t it)
{
	for (uint64_t i = 0; i < it; i++) {
		memcpy(d, s, n);
		__asm__ volatile("" : : : "memory");
	}
}

__attribute__((noinline)) static void loop_cpu_copy(void *d, const void *s, size_t n, uint64_t it)
{
	for (uint64_t i = 0; i < it; i++) {
		cpu_copy(d, s, n);
		__asm__ volatile("" : : : "memory");
	}
}

struct small_contender {
	const char *name;
	void (*loop)(void *, const void *, size_t, uint64_t);
	int baseline;
	int info;
};

static const struct small_contender small[] = {
        {"glibc memcpy", loop_memcpy, 1, 0},
        {"cpu_copy", loop_cpu_copy, 0, 0},
        {"rte_memcpy avx512 (inlined)", rte_peer_small_loop_avx512, 0, 1},
};
#define NSMALL (sizeof(small) / sizeof(small[0]))

static void run_small(unsigned int rounds, FILE *raw)
{
	static const size_t sizes[] = {64, 4096};
	static const struct {
		const char *name;
		size_t doff, soff;
	} aligns[] = {{"64-byte aligned", 0, 0}, {"dst+1 src+35", 1, 35}};
	char *buf = map_buffers(1u << 20);
	double *samples = calloc(NSMALL * rounds, sizeof(double));

	memset(buf, 7, 1u << 20);
	printf("\nSmall copies: nanoseconds per call, hot cache, %u rounds (median)\n", rounds);
	printf("  %-8s %-16s", "size", "alignment");
	for (unsigned int c = 0; c < NSMALL; c++)
		printf(" %22s", small[c].name);
	printf("  cpu_copy/memcpy\n");
	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		for (size_t ai = 0; ai < sizeof(aligns) / sizeof(aligns[0]); ai++) {
			/* volatile: the size must not be a compile-time constant in the loops */
			volatile size_t vn = sizes[si];
			size_t n = vn;
			char *dst = buf + 4096 + aligns[ai].doff;
			const char *src = buf + (512u << 10) + aligns[ai].soff;
			uint64_t iters = n <= 64 ? 200000 : 20000; /* ~0.3 ms samples */
			double med[NSMALL];

			for (unsigned int c = 0; c < NSMALL; c++) /* warm up */
				small[c].loop(dst, src, n, iters / 10);
			for (unsigned int r = 0; r < rounds; r++) {
				for (unsigned int k = 0; k < NSMALL; k++) {
					unsigned int c = (k + r) % NSMALL;
					double t0 = now(), ns;

					small[c].loop(dst, src, n, iters);
					ns = (now() - t0) * 1e9 / (double)iters;
					samples[c * rounds + r] = ns;
					if (raw)
						fprintf(raw, "small,%s,%zu,%s,%u,%.4f\n",
						        small[c].name, n, aligns[ai].name, r, ns);
				}
			}
			printf("  %-8zu %-16s", n, aligns[ai].name);
			for (unsigned int c = 0; c < NSMALL; c++) {
				med[c] = median(samples + c * rounds, rounds);
				printf(" %19.2f ns", med[c]);
			}
			printf("  %14.3fx\n", med[1] / med[0]);
		}
	}
	free(samples);
	munmap(buf, 1u << 20);
}

static size_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (*end == 'K' || *end == 'k')
		v <<= 10;
	else if (*end == 'M' || *end == 'm')
		v <<= 20;
	else if (*end == 'G' || *end == 'g')
		v <<= 30;
	return (size_t)v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"size", required_argument, NULL, 's'},
	        {"pairs", required_argument, NULL, 'p'},
	        {"rounds", required_argument, NULL, 'r'},
	        {"reps", required_argument, NULL, 'n'},
	        {"small-rounds", required_argument, NULL, 'S'},
	        {"raw", required_argument, NULL, 'R'},
	        {"only", required_argument, NULL, 'o'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	size_t size = 64u << 20;
	unsigned int pairs = 8, rounds = 15, reps = 3, small_rounds = 51;
	const char *only = NULL;
	FILE *raw = NULL;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			size = parse_size(optarg);
			break;
		case 'p':
			pairs = (unsigned int)atoi(optarg);
			break;
		case 'r':
			rounds = (unsigned int)atoi(optarg);
			break;
		case 'n':
			reps = (unsigned int)atoi(optarg);
			break;
		case 'S':
			small_rounds = (unsigned int)atoi(optarg);
			break;
		case 'R':
			raw = fopen(optarg, "w");
			if (!raw) {
				perror(optarg);
				return 1;
			}
			fprintf(raw, "kind,contender,size,round,rep_or_alignment,value\n");
			break;
		case 'o':
			only = optarg;
			break;
		default:
			fprintf(stderr,
			        "usage: %s [--size BYTES] [--pairs N] [--rounds N] [--reps N] "
			        "[--small-rounds N] [--raw FILE] [--only large|small]\n",
			        argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (size < 4096 || !pairs || !rounds || !reps || !small_rounds) {
		fprintf(stderr, "bad arguments\n");
		return 2;
	}

	cpu_copy_init();
	ret = cpu_pool_create(0, &pool);
	if (ret) {
		fprintf(stderr, "cpu_pool_create: %s\n", strerror(-ret));
		return 1;
	}
	printf("cpu_copy: %s; pool: %u threads\n", cpu_copy_features(), cpu_pool_threads(pool));
	if (!only || !strcmp(only, "large"))
		run_large(size, pairs, rounds, reps, raw);
	if (!only || !strcmp(only, "small"))
		run_small(small_rounds, raw);
	cpu_pool_destroy(pool);
	if (raw)
		fclose(raw);
	return 0;
}

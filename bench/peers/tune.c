// SPDX-License-Identifier: BSD-3-Clause
/*
 * How the CPU engine's thresholds were chosen: for sizes from 4 KiB to 64 MiB, the throughput of
 * each large-copy strategy (vector loop through the cache, rep movsb, non-temporal stores) and of
 * the worker pool, with the buffers hot (the same pair copied again and again) and cold (rotating
 * over pairs that together are several times the last-level cache).
 *
 * Usage: tune [--rounds N] [--max BYTES] [--fill]
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "cpu_copy.h"
#include "cpu_copy_impl.h"

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

enum strategy { S_LOOP, S_REP, S_NT, S_POOL, S_DEFAULT, S_MEMCPY, NSTRAT };
static const char *const names[NSTRAT] = {"loop", "rep", "nt", "pool", "cpu_copy", "memcpy"};

static struct cpu_pool *pool;
static struct cpu_tune defaults;
static int do_fill;

static void run_one(enum strategy s, char *d, const char *src, size_t n)
{
	cpu_tune = defaults;
	switch (s) {
	case S_LOOP:
		cpu_tune.nt_threshold = cpu_tune.rep_movsb_min = cpu_tune.rep_stosb_min = SIZE_MAX;
		break;
	case S_REP:
		cpu_tune.nt_threshold = SIZE_MAX;
		cpu_tune.rep_movsb_min = cpu_tune.rep_stosb_min = 0;
		break;
	case S_NT:
		cpu_tune.nt_threshold = 0;
		break;
	default:
		break;
	}
	if (do_fill) {
		if (s == S_POOL)
			cpu_pool_fill(pool, d, 0x4242424242424242ull, n);
		else if (s == S_MEMCPY)
			memset(d, 0x42, n);
		else
			cpu_fill(d, 0x4242424242424242ull, n);
	} else {
		if (s == S_POOL)
			cpu_pool_copy(pool, d, src, n);
		else if (s == S_MEMCPY)
			memcpy(d, src, n);
		else
			cpu_copy(d, src, n);
	}
	cpu_tune = defaults;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"rounds", required_argument, NULL, 'r'},
	        {"max", required_argument, NULL, 'm'},
	        {"fill", no_argument, NULL, 'f'},
	        {NULL, 0, NULL, 0},
	};
	unsigned int rounds = 9;
	size_t max = 64u << 20, region = 512u << 20;
	char *mem;
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'r')
			rounds = (unsigned int)atoi(optarg);
		else if (opt == 'm')
			max = strtoull(optarg, NULL, 0) << 20;
		else if (opt == 'f')
			do_fill = 1;
		else
			return 2;
	}
	if (!rounds)
		rounds = 1;
	cpu_copy_init();
	defaults = cpu_tune;
	if (cpu_pool_create(0, &pool))
		return 1;
	if (region < 8 * max)
		region = 8 * max;
	mem = mmap(NULL, region, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	memset(mem, 1, region);

	printf("%s; pool %u threads; %s; GB/s, median of %u rounds\n", cpu_copy_features(),
	       cpu_pool_threads(pool), do_fill ? "fill" : "copy", rounds);
	printf("%-5s %9s", "cache", "size");
	for (int s = 0; s < NSTRAT; s++)
		printf(" %9s", names[s]);
	printf("\n");
	for (int cold = 0; cold < 2; cold++) {
		/* cold only means something once a pair no longer fits in the caches */
		for (size_t n = cold ? 1u << 20 : 4096; n <= max; n *= 2) {
			size_t pairs = cold ? region / (2 * n) : 1;
			/* samples of 4 MiB moved: short enough to dodge most preemption */
			size_t batch = n >= (4u << 20) ? 1 : (4u << 20) / n;
			double med[NSTRAT];
			double *v = calloc((size_t)rounds * NSTRAT, sizeof(double));
			size_t next = 0;

			for (unsigned int r = 0; r < rounds; r++) {
				for (int k = 0; k < NSTRAT; k++) {
					int s = (k + (int)r) % NSTRAT;
					double t0;

					if (!cold) /* warm */
						run_one((enum strategy)s, mem + n, mem, n);
					t0 = now();
					for (size_t b = 0; b < batch; b++) {
						char *src = mem + 2 * n * (next++ % pairs);

						run_one((enum strategy)s, src + n, src, n);
					}
					v[s * rounds + r] =
					        (double)(n * batch) / (now() - t0) / 1e9;
				}
			}
			printf("%-5s %9zu", cold ? "cold" : "hot", n);
			for (int s = 0; s < NSTRAT; s++) {
				qsort(v + s * rounds, rounds, sizeof(double), cmp_double);
				med[s] = v[s * rounds + rounds / 2];
				printf(" %9.2f", med[s]);
			}
			printf("\n");
			fflush(stdout);
			free(v);
		}
	}
	cpu_pool_destroy(pool);
	return 0;
}

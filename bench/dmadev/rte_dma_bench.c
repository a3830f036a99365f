// SPDX-License-Identifier: BSD-3-Clause
/*
 * The benchmark peer of dmacopy's user-space engines: DPDK's dmadev API (rte_dma_copy,
 * rte_dma_submit, rte_dma_completed) on one DMA device, driven exactly as
 * tests/vm/progs/ioatuser_bench.c drives a libdmacopy engine, so that the two print comparable
 * figures in one guest run:
 *
 *   rte_dma_bench [EAL options] -- ops [-b BATCH] [-w WINDOW] [-t SECONDS]
 *       64-byte copies in batches of BATCH (32) with WINDOW (1) batches in flight: refill as soon
 *       as a batch's worth of completions is reaped
 *   rte_dma_bench [EAL options] -- bw SIZE [-w INFLIGHT] [-t SECONDS]
 *       copies of SIZE bytes, INFLIGHT at once (default: 64 for <= 64 KiB, 8 for <= 1 MiB, else 2)
 *
 * The device is the first dmadev EAL found (pass -a PCI_ADDR to choose; DSA: -a ADDR,max_queues=1
 * gives one dedicated WQ with every slot, as dmacopy's dsa engine configures it). Memory comes
 * from DPDK's hugepage heap. Copies are sample-checked. Prints "result: NAME VALUE UNIT" lines.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ALLOW_EXPERIMENTAL_API 1 /* dmadev is experimental in DPDK 22.11 */
#include <rte_dmadev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#define MiB (1024u * 1024u)
/*
 * Loop iterations between two looks at the clock. In an emulated guest the clock is HPET, read
 * with a system call that also flushes the emulated TLB, which would weigh on both contenders
 * (tests/vm/progs/ioatuser_bench.c does the same).
 */
#define CLOCK_EVERY 16

static int16_t dev = -1;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "rte_dma_bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void result(const char *name, double value, const char *unit)
{
	printf("result: %s %.3f %s\n", name, value, unit);
	fflush(stdout);
}

/*
 * The destination's copies start one page into its buffer (DST_SKEW), so that a source and a
 * destination byte at the same offset are an odd number of pages apart: 2 MiB apart, the
 * emulated CPU's TLB (a power of two entries, often 256 or 512) would put the two pages at the
 * same index, and the check of every copy would miss it twice. ioatuser_bench does the same.
 */
#define DST_SKEW 4096

struct bufs {
	uint8_t *src, *dst; /* dst: DST_SKEW into its allocation */
	rte_iova_t src_iova, dst_iova;
	size_t len;
};

static void setup(struct bufs *b, size_t len, uint16_t ring)
{
	struct rte_dma_conf conf = { .nb_vchans = 1 };
	struct rte_dma_vchan_conf vconf = { .direction = RTE_DMA_DIR_MEM_TO_MEM };
	struct rte_dma_info info;
	uint64_t x = 7;

	if (rte_dma_info_get(dev, &info))
		die("rte_dma_info_get %d failed", dev);
	vconf.nb_desc = ring < info.min_desc ? info.min_desc : ring > info.max_desc ? info.max_desc
										       : ring;
	if (rte_dma_configure(dev, &conf) || rte_dma_vchan_setup(dev, 0, &vconf) ||
	    rte_dma_start(dev))
		die("cannot configure and start %s", info.dev_name);
	b->len = len;
	b->src = rte_malloc("src", len, 2 * MiB);
	b->dst = rte_malloc("dst", len + DST_SKEW, 2 * MiB);
	if (!b->src || !b->dst)
		die("rte_malloc of 2 x %zu bytes failed (hugepages?)", len);
	b->src_iova = rte_malloc_virt2iova(b->src);
	b->dst_iova = rte_malloc_virt2iova(b->dst) + DST_SKEW;
	b->dst += DST_SKEW;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b->src[i] = (uint8_t)x;
	}
	memset(b->dst, 0, len);
	printf("# %s, %zu-byte hugepage buffers, ring %u descriptors\n", info.dev_name, len,
	       vconf.nb_desc);
}

static void teardown(struct bufs *b)
{
	rte_dma_stop(dev);
	rte_free(b->src);
	rte_free(b->dst - DST_SKEW);
}

/*
 * Enqueue one copy; spin (reaping nothing) only if the ring is full, which the callers avoid.
 * Inlined into the loops, as tests/vm/progs/ioatuser_bench.c's enqueue() is: each copy is the
 * driver's one indirect call from the benchmark's loop.
 */
static inline __attribute__((always_inline)) void copy(struct bufs *b, size_t off, size_t len)
{
	int ret = rte_dma_copy(dev, 0, b->src_iova + off, b->dst_iova + off, (uint32_t)len, 0);

	if (ret < 0)
		die("rte_dma_copy: %d", ret);
}

/* Reap at least min completions (all successful); returns how many were reaped. */
static unsigned int reap(unsigned int min, unsigned int max)
{
	unsigned int got = 0, idle = 0;
	double t0 = 0;

	while (got < min) {
		bool error = false;
		uint16_t last;
		uint16_t n = rte_dma_completed(dev, 0, (uint16_t)(max - got), &last, &error);

		if (error)
			die("a copy failed");
		got += n;
		/* the clock only after many empty polls (see CLOCK_EVERY) */
		if (!n && ++idle % 4096 == 0) {
			if (!t0)
				t0 = now_sec();
			else if (now_sec() - t0 > 30)
				die("no completion in 30 s");
		}
	}
	return got;
}

static void check(const struct bufs *b, size_t off, size_t len)
{
	if (b->dst[off] != b->src[off] || b->dst[off + len - 1] != b->src[off + len - 1])
		die("data differs at offset %zu", off);
}

/*
 * 64-byte copies in batches. Its own function, aligned to a page, in this program and in its
 * dmacopy peer alike: the measured loop then never crosses a page wherever the linker puts the
 * rest (under TCG a jump across a page costs a lookup, so the loop's cost would move with the
 * layout of unrelated code).
 */
static __attribute__((noinline, aligned(4096))) void bench_ops(unsigned int batch,
								unsigned int window, double seconds)
{
	const size_t len = 64, slots = 16384;
	unsigned int depth = batch * window, inflight = 0, iter = 0;
	uint64_t ud = 0, done = 0;
	double t0, t = 0, cpu0;
	struct bufs b;
	char name[64];

	setup(&b, slots * len, 4096);
	t0 = now_sec();
	cpu0 = cpu_now();
	do {
		while (inflight + batch <= depth) {
			for (unsigned int i = 0; i < batch; i++, ud++)
				copy(&b, (size_t)(ud % slots) * len, len);
			rte_dma_submit(dev, 0);
			inflight += batch;
		}
		unsigned int n = reap(batch, depth);

		for (unsigned int i = 0; i < n; i++)
			check(&b, (size_t)((done + i) % slots) * len, len);
		inflight -= n;
		done += n;
		if (++iter % CLOCK_EVERY == 0)
			t = now_sec() - t0;
	} while (t < seconds);
	snprintf(name, sizeof(name), "ops64_b%u_w%u", batch, window);
	result(name, (double)done / t, "ops/s");
	snprintf(name, sizeof(name), "ops64_b%u_w%u_cpu_per_op", batch, window);
	result(name, (cpu_now() - cpu0) / (double)done * 1e9, "ns");
	if (inflight)
		reap(inflight, inflight);
	teardown(&b);
}

static void bench_bw(size_t size, unsigned int inflight_max, double seconds)
{
	uint64_t ud = 0, done = 0;
	unsigned int iter = 0;
	double t0, t = 0;
	struct bufs b;
	char name[64];

	if (!inflight_max)
		inflight_max = size <= 65536 ? 64 : size <= MiB ? 8 : 2;
	if (inflight_max > 64)
		inflight_max = 64;
	setup(&b, size * inflight_max, 4096);
	t0 = now_sec();
	do {
		while (ud - done < inflight_max) {
			copy(&b, (size_t)(ud % inflight_max) * size, size);
			ud++;
		}
		rte_dma_submit(dev, 0);
		unsigned int n = reap(1, 64);

		for (unsigned int i = 0; i < n; i++)
			check(&b, (size_t)((done + i) % inflight_max) * size, size);
		done += n;
		if (++iter % CLOCK_EVERY == 0)
			t = now_sec() - t0;
	} while (t < seconds);
	snprintf(name, sizeof(name), "bw_%zu", size);
	result(name, (double)done * (double)size / t / 1e9, "GB/s");
	if (ud > done)
		reap((unsigned int)(ud - done), 64);
	teardown(&b);
}

int main(int argc, char **argv)
{
	unsigned int batch = 32, window = 0;
	double seconds = 2;
	const char *mode;
	size_t size = 0;
	int n, opt;

	n = rte_eal_init(argc, argv);
	if (n < 0)
		die("rte_eal_init failed: %s", rte_strerror(rte_errno));
	argc -= n;
	argv += n;
	if (argc < 2)
		die("usage: rte_dma_bench [EAL options] -- ops|bw [SIZE] [options]");
	mode = argv[1];
	optind = 2;
	if (!strcmp(mode, "bw")) {
		if (argc < 3)
			die("bw needs a size");
		size = strtoull(argv[2], NULL, 0);
		optind = 3;
	}
	while ((opt = getopt(argc, argv, "b:w:t:")) != -1) {
		switch (opt) {
		case 'b':
			batch = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'w':
			window = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 't':
			seconds = strtod(optarg, NULL);
			break;
		default:
			die("bad option");
		}
	}
	if (!batch || batch > 1024)
		die("bad batch");
	dev = (int16_t)rte_dma_next_dev(0);
	if (dev < 0)
		die("no DMA device (is it bound to vfio-pci and allowed with -a?)");
	if (!strcmp(mode, "ops"))
		bench_ops(batch, window ? window : 1, seconds);
	else if (!strcmp(mode, "bw"))
		bench_bw(size, window, seconds);
	else
		die("unknown mode %s", mode);
	rte_dma_close(dev);
	rte_eal_cleanup();
	return 0;
}

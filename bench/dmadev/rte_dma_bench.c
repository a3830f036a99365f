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
 *   rte_dma_bench [EAL options] -- pair SPEC [-b BATCH] [-w WINDOW] [-t SECONDS] [-s SLICE_MS] [-r|-S] [-v]
 *       what ops does, taking turns in slices of SLICE_MS (50) with libdmacopy's engine SPEC
 *       (e.g. dsa:0000:00:06.0) driven as ioatuser_bench drives it (dmacopy_enqueue_copy(),
 *       dmacopy_submit(), dmacopy_wait(); with -r dmacopy_reap()), in this one process: both
 *       run under the same conditions of the emulated machine, which move from one process to
 *       the next (bench/spread). Each slice ends with nothing in flight. Prints both rates and
 *       their ratio (dmacopy / DPDK). DPDK's side reaps with rte_dma_completed(), a count like
 *       dmacopy_reap()'s; with -S with rte_dma_completed_status(), a status for every copy
 *       (each checked) as dmacopy_wait() gives. With -v libdmacopy's side enqueues each batch
 *       with one dmacopy_enqueue_copies() call (an array of the batch's copies, built for it),
 *       its API for a batch; DPDK's dmadev has none, so its side calls rte_dma_copy() per copy.
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

#include <sys/mman.h>

#include "dmacopy.h"

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

/* pair -S: reap with rte_dma_completed_status() */
static bool dpdk_status;

/* Reap at least min completions (all successful); returns how many were reaped. */
static unsigned int dpdk_reap(unsigned int min, unsigned int max)
{
	static enum rte_dma_status_code st[1024];
	unsigned int got = 0, idle = 0;
	double t0 = 0;

	while (got < min) {
		bool error = false;
		uint16_t last, n;

		if (dpdk_status) {
			n = rte_dma_completed_status(dev, 0, (uint16_t)(max - got), &last, st);
			for (uint16_t i = 0; i < n; i++)
				if (st[i] != RTE_DMA_STATUS_SUCCESSFUL)
					die("a copy failed: status %d", st[i]);
		} else {
			n = rte_dma_completed(dev, 0, (uint16_t)(max - got), &last, &error);
		}
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

static void dpdk_check(const struct bufs *b, size_t off, size_t len)
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
		unsigned int n = dpdk_reap(batch, depth);

		for (unsigned int i = 0; i < n; i++)
			dpdk_check(&b, (size_t)((done + i) % slots) * len, len);
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
		dpdk_reap(inflight, inflight);
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
		unsigned int n = dpdk_reap(1, 64);

		for (unsigned int i = 0; i < n; i++)
			dpdk_check(&b, (size_t)((done + i) % inflight_max) * size, size);
		done += n;
		if (++iter % CLOCK_EVERY == 0)
			t = now_sec() - t0;
	} while (t < seconds);
	snprintf(name, sizeof(name), "bw_%zu", size);
	result(name, (double)done * (double)size / t / 1e9, "GB/s");
	if (ud > done)
		dpdk_reap((unsigned int)(ud - done), 64);
	teardown(&b);
}

/* ---- pair: DPDK's driver and a libdmacopy engine taking turns in one process ------------- */

/* libdmacopy's side: its engine, queue and two registered 2 MiB hugetlb buffers. */
struct dc {
	struct dmacopy_engine *e;
	struct dmacopy_queue *q;
	struct dmacopy_region *r[2];
	uint8_t *src, *dst; /* dst: DST_SKEW into its mapping */
	struct dmacopy_completion c[1024];
	bool counted; /* -r: dmacopy_reap() */
	bool vector;  /* -v: dmacopy_enqueue_copies() */
};

static void dc_setup(struct dc *d, const char *spec, size_t len, unsigned int depth)
{
	struct dmacopy_queue_opts qo = { .depth = depth };
	void *m[2];

	if (dmacopy_engine_open(&d->e, spec, NULL))
		die("dmacopy_engine_open %s: %s", spec, dmacopy_last_error());
	for (int i = 0; i < 2; i++) {
		m[i] = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
		if (m[i] == MAP_FAILED)
			die("mmap of a 2 MiB hugetlb page failed (hugepages?)");
		if (dmacopy_region_register(d->e, m[i], 2 * MiB, &d->r[i]))
			die("dmacopy_region_register: %s", dmacopy_last_error());
	}
	if (len + DST_SKEW > 2 * MiB)
		die("pair: buffers of %zu bytes do not fit 2 MiB", len);
	d->src = m[0];
	d->dst = (uint8_t *)m[1] + DST_SKEW;
	for (size_t i = 0; i < len; i++)
		d->src[i] = (uint8_t)(i * 131 + 7);
	if (dmacopy_queue_create(d->e, &qo, &d->q))
		die("dmacopy_queue_create: %s", dmacopy_last_error());
	printf("# %s, 2 MiB hugetlb buffers, queue depth %u\n", dmacopy_engine_name(d->e), depth);
}

static void dc_teardown(struct dc *d)
{
	dmacopy_queue_destroy(d->q);
	for (int i = 0; i < 2; i++) {
		void *p = (void *)(uintptr_t)(i ? d->dst - DST_SKEW : d->src);

		dmacopy_region_unregister(d->r[i]);
		munmap(p, 2 * MiB);
	}
	dmacopy_engine_close(d->e);
}

/* Reap at least min of libdmacopy's copies, from done on; sample-check them. */
static unsigned int dc_reap(struct dc *d, unsigned int min, unsigned int max, uint64_t done,
			    size_t len, size_t slots)
{
	int got;

	if (d->counted) {
		got = dmacopy_reap(d->q, min, max, 30000);
	} else {
		got = dmacopy_wait(d->q, d->c, min, max, 30000);
		for (int i = 0; i < got; i++)
			if (d->c[i].status)
				die("dmacopy copy failed: %d", d->c[i].status);
	}
	if (got < (int)min)
		die("dmacopy reap: %d (%s)", got, got < 0 ? dmacopy_last_error() : "timeout");
	for (uint64_t ud = done; ud < done + (unsigned int)got; ud++) {
		size_t off = (size_t)(ud & (slots - 1)) * len;

		if (d->dst[off] != d->src[off] || d->dst[off + len - 1] != d->src[off + len - 1])
			die("dmacopy copy %" PRIu64 ": data differs", ud);
	}
	return (unsigned int)got;
}

/* -v: copies ud.. ud + n - 1 in one dmacopy_enqueue_copies() call. */
static void dc_enqueue_batch(struct dc *d, uint64_t ud, unsigned int n, size_t len, size_t slots)
{
	struct dmacopy_copy c[1024];
	int ret;

	for (unsigned int i = 0; i < n; i++, ud++) {
		size_t off = (size_t)(ud & (slots - 1)) * len;

		c[i] = (struct dmacopy_copy){ .dst = d->dst + off, .src = d->src + off, .len = len,
					      .user_data = ud };
	}
	ret = dmacopy_enqueue_copies(d->q, c, n);
	if (ret != (int)n)
		die("dmacopy_enqueue_copies: %d of %u: %s", ret, n, dmacopy_last_error());
}

/*
 * One slice of each side: 64-byte copies in batches, window batches in flight, for about
 * slice seconds, then drained. Adds the copies to *ops and returns the slice's seconds. Both
 * are page-aligned functions of their own, as bench_ops() is.
 */
static __attribute__((noinline, aligned(4096))) double
slice_dmacopy(struct dc *d, unsigned int batch, unsigned int window, double slice, uint64_t *ops)
{
	const size_t len = 64, slots = 16384;
	const bool vector = d->vector;
	unsigned int depth = batch * window, inflight = 0, iter = 0;
	uint64_t ud = 0, done = 0;
	double t0 = now_sec(), t = 0;

	do {
		while (inflight + batch <= depth) {
			if (vector) {
				dc_enqueue_batch(d, ud, batch, len, slots);
				ud += batch;
			} else {
				for (unsigned int i = 0; i < batch; i++, ud++) {
					size_t off = (size_t)(ud & (slots - 1)) * len;

					if (dmacopy_enqueue_copy(d->q, d->dst + off, d->src + off,
								 len, ud, 0))
						die("dmacopy_enqueue_copy: %s",
						    dmacopy_last_error());
				}
			}
			if (dmacopy_submit(d->q) < 0)
				die("dmacopy_submit: %s", dmacopy_last_error());
			inflight += batch;
		}
		unsigned int n = dc_reap(d, batch, depth, done, len, slots);

		inflight -= n;
		done += n;
		if (++iter % CLOCK_EVERY == 0)
			t = now_sec() - t0;
	} while (t < slice);
	while (inflight) {
		unsigned int n = dc_reap(d, 1, depth, done, len, slots);

		inflight -= n;
		done += n;
	}
	*ops += done;
	return now_sec() - t0;
}

static __attribute__((noinline, aligned(4096))) double
slice_dpdk(struct bufs *b, unsigned int batch, unsigned int window, double slice, uint64_t *ops)
{
	const size_t len = 64, slots = 16384;
	unsigned int depth = batch * window, inflight = 0, iter = 0;
	uint64_t ud = 0, done = 0;
	double t0 = now_sec(), t = 0;

	do {
		while (inflight + batch <= depth) {
			for (unsigned int i = 0; i < batch; i++, ud++)
				copy(b, (size_t)(ud % slots) * len, len);
			rte_dma_submit(dev, 0);
			inflight += batch;
		}
		unsigned int n = dpdk_reap(batch, depth);

		for (unsigned int i = 0; i < n; i++)
			dpdk_check(b, (size_t)((done + i) % slots) * len, len);
		inflight -= n;
		done += n;
		if (++iter % CLOCK_EVERY == 0)
			t = now_sec() - t0;
	} while (t < slice);
	if (inflight)
		dpdk_reap(inflight, inflight);
	*ops += done + inflight;
	return now_sec() - t0;
}

/*
 * DPDK's driver and libdmacopy's engine spec in turns of about slice seconds each for seconds
 * in all, the side that starts alternating from turn to turn. Prints each side's copies per
 * second over its own slices and their ratio.
 */
static void bench_pair(const char *spec, bool counted, bool vector, unsigned int batch,
		       unsigned int window, double seconds, double slice)
{
	const size_t len = 64, slots = 16384;
	uint64_t ops_dc = 0, ops_rte = 0;
	double t_dc = 0, t_rte = 0;
	struct dc d = { .counted = counted, .vector = vector };
	struct bufs b;
	char name[64], how[8];

	snprintf(how, sizeof(how), "%s%s", vector ? "_v" : "",
		 counted ? "_r" : dpdk_status ? "_s" : "");

	if (batch * window > 1024)
		die("pair: at most 1024 copies in flight");
	setup(&b, slots * len, 4096);
	dc_setup(&d, spec, slots * len, batch * window);
	/* one untimed turn each first: translation and first touches are not part of a slice */
	slice_dmacopy(&d, batch, window, slice, &(uint64_t){ 0 });
	slice_dpdk(&b, batch, window, slice, &(uint64_t){ 0 });
	for (unsigned int turn = 0; t_dc + t_rte < seconds; turn++) {
		if (turn & 1) {
			t_rte += slice_dpdk(&b, batch, window, slice, &ops_rte);
			t_dc += slice_dmacopy(&d, batch, window, slice, &ops_dc);
		} else {
			t_dc += slice_dmacopy(&d, batch, window, slice, &ops_dc);
			t_rte += slice_dpdk(&b, batch, window, slice, &ops_rte);
		}
	}
	snprintf(name, sizeof(name), "pair64_b%u_w%u%s_dmacopy", batch, window, how);
	result(name, (double)ops_dc / t_dc, "ops/s");
	snprintf(name, sizeof(name), "pair64_b%u_w%u%s_dpdk", batch, window, how);
	result(name, (double)ops_rte / t_rte, "ops/s");
	snprintf(name, sizeof(name), "pair64_b%u_w%u%s_ratio", batch, window, how);
	result(name, ((double)ops_dc / t_dc) / ((double)ops_rte / t_rte), "x");
	dc_teardown(&d);
	teardown(&b);
}

int main(int argc, char **argv)
{
	unsigned int batch = 32, window = 0;
	double seconds = 2, slice = 0.05;
	const char *mode, *spec = NULL;
	bool counted = false, vector = false;
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
	} else if (!strcmp(mode, "pair")) {
		if (argc < 3)
			die("pair needs a libdmacopy engine spec (e.g. dsa:0000:00:06.0)");
		spec = argv[2];
		optind = 3;
	}
	while ((opt = getopt(argc, argv, "b:w:t:s:rSv")) != -1) {
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
		case 's':
			slice = strtod(optarg, NULL) / 1000;
			break;
		case 'r':
			counted = true;
			break;
		case 'S':
			dpdk_status = true;
			break;
		case 'v':
			vector = true;
			break;
		default:
			die("bad option");
		}
	}
	if (!batch || batch > 1024)
		die("bad batch");
	if (counted && dpdk_status)
		die("-r (counts on both sides) and -S (statuses on both sides) exclude each other");
	dev = (int16_t)rte_dma_next_dev(0);
	if (dev < 0)
		die("no DMA device (is it bound to vfio-pci and allowed with -a?)");
	if (!strcmp(mode, "ops"))
		bench_ops(batch, window ? window : 1, seconds);
	else if (!strcmp(mode, "bw"))
		bench_bw(size, window, seconds);
	else if (!strcmp(mode, "pair"))
		bench_pair(spec, counted, vector, batch, window ? window : 1, seconds, slice);
	else
		die("unknown mode %s", mode);
	rte_dma_close(dev);
	rte_eal_cleanup();
	return 0;
}

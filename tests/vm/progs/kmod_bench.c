// SPDX-License-Identifier: BSD-3-Clause
/*
 * dmacopy.ko throughput figures, all in one run:
 *
 *   kmod_bench ops [SECONDS]        4 KiB copies: registered buffers in batches of 32 through
 *                                   /dev/dmacopy vs one synchronous /dev/ioat-dma request per copy
 *   kmod_bench big [SECONDS] [DEPTH] [MEM]
 *                                   16 MiB copies through /dev/dmacopy, DEPTH in flight, between
 *                                   buffers of MEM (huge: hugetlbfs, the default; dax; anon)
 *   kmod_bench sweep                DMA (registered, one copy at a time) vs memcpy per size,
 *                                   and the crossover size
 *
 * Prints one "result:" line per figure (name value unit) for the calling script.
 */
#include "kmod_util.h"

static void result(const char *name, double value, const char *unit)
{
	printf("result: %s %.3f %s\n", name, value, unit);
}

/* One synchronous copy per request, the reference way. */
static double legacy_ops(double seconds)
{
	int fd = open("/dev/ioat-dma", O_RDWR);
	double t0 = now_sec(), t;
	unsigned long n = 0;
	long r;

	if (fd < 0)
		die("open /dev/ioat-dma: %s", strerror(errno));
	do {
		r = legacy_copy(fd, DAX_PATH, (n % 256) * 4096, (4u << 20) + (n % 256) * 4096,
		                4096);
		if (r)
			die("legacy copy: %s", strerror((int)-r));
		n++;
		t = now_sec() - t0;
	} while (t < seconds);
	close(fd);
	return n / t;
}

/* Batches of 32 4 KiB copies between registered device-dax buffers. */
static double batched_ops(double seconds)
{
	unsigned char *buf = dax_map(8ULL << 20, 4u << 20);
	struct dmacopy_sqe sqe[32];
	struct dmacopy_cqe cqe[32];
	double t0, t;
	unsigned long n = 0;
	uint32_t h;
	int fd = dc_open(), i, got;
	long r;

	if ((r = dc_register(fd, buf, 4u << 20, 0, &h)))
		die("register: %s", strerror((int)-r));
	for (i = 0; i < 32; i++) {
		memset(&sqe[i], 0, sizeof(sqe[i]));
		sqe[i].user_data = (uint64_t)i;
		sqe[i].src_handle = h;
		sqe[i].dst_handle = h;
		sqe[i].src_offset = (uint64_t)i * 4096;
		sqe[i].dst_offset = (2u << 20) + (uint64_t)i * 4096;
		sqe[i].len = 4096;
	}
	t0 = now_sec();
	do {
		if ((r = dc_submit(fd, sqe, 32, NULL)))
			die("submit: %s", strerror((int)-r));
		for (got = 0; got < 32; got += (int)r) {
			r = dc_wait(fd, cqe, 1, 32, 10000000000LL);
			if (r <= 0)
				die("wait: %ld", r);
			for (i = 0; i < r; i++)
				if (cqe[i].status)
					die("copy failed: %d", cqe[i].status);
		}
		n += 32;
		t = now_sec() - t0;
	} while (t < seconds);
	close(fd);
	return n / t;
}

static double big_copies(double seconds, int depth, const char *mem)
{
	const size_t sz = 16u << 20;
	unsigned char *buf = !strcmp(mem, "dax")    ? dax_map(256ULL << 20, 256u << 20)
	                     : !strcmp(mem, "anon") ? anon_map(256u << 20, false)
	                                            : anon_map(256u << 20, true);
	struct dmacopy_sqe sqe;
	struct dmacopy_cqe cqe[64];
	unsigned long n = 0, sent = 0;
	int fd = dc_open(), inflight = 0, i;
	double t0, t;
	uint32_t h;
	long r;

	if ((r = dc_register(fd, buf, 256u << 20, 0, &h)))
		die("register: %s", strerror((int)-r));
	memset(&sqe, 0, sizeof(sqe));
	sqe.src_handle = h;
	sqe.dst_handle = h;
	sqe.len = sz;
	t0 = now_sec();
	do {
		while (inflight < depth) {
			/* sources in the first 128 MiB, destinations in the second */
			sqe.src_offset = (sent % 8) * sz;
			sqe.dst_offset = (128u << 20) + (sent % 8) * sz;
			sqe.user_data = sent++;
			if ((r = dc_submit(fd, &sqe, 1, NULL)))
				die("submit: %s", strerror((int)-r));
			inflight++;
		}
		r = dc_wait(fd, cqe, 1, 64, 30000000000LL);
		if (r <= 0)
			die("wait: %ld", r);
		for (i = 0; i < r; i++)
			if (cqe[i].status)
				die("copy failed: %d", cqe[i].status);
		inflight -= (int)r;
		n += (unsigned long)r;
		t = now_sec() - t0;
	} while (t < seconds);
	while (inflight > 0 && (r = dc_wait(fd, cqe, 1, 64, 30000000000LL)) > 0)
		inflight -= (int)r;
	close(fd);
	return n * (double)sz / t / 1e6;
}

static void sweep(void)
{
	unsigned char *buf = dax_map(512ULL << 20, 64u << 20);
	struct dmacopy_sqe sqe;
	struct dmacopy_cqe cqe;
	size_t sz, crossover = 0;
	int fd = dc_open(), reps, k;
	double td, tm, t0;
	uint32_t h;
	long r;

	if ((r = dc_register(fd, buf, 64u << 20, 0, &h)))
		die("register: %s", strerror((int)-r));
	memset(buf, 0x5a, 64u << 20);
	memset(&sqe, 0, sizeof(sqe));
	sqe.src_handle = h;
	sqe.dst_handle = h;
	sqe.dst_offset = 32u << 20;
	/* Warm up: the first copy maps the registration for the DMA device. */
	sqe.len = 32u << 20;
	if (dc_submit(fd, &sqe, 1, NULL) || dc_wait(fd, &cqe, 1, 1, 30000000000LL) != 1)
		die("warm-up copy failed");
	memcpy(buf + (32u << 20), buf, 32u << 20);
	printf("%10s %12s %12s\n", "size", "DMA us", "memcpy us");
	for (sz = 4096; sz <= (16u << 20); sz *= 4) {
		reps = sz <= 65536 ? 200 : sz <= (1u << 20) ? 40 : 8;
		sqe.len = sz;
		t0 = now_sec();
		for (k = 0; k < reps; k++) {
			if (dc_submit(fd, &sqe, 1, NULL) ||
			    dc_wait(fd, &cqe, 1, 1, 30000000000LL) != 1 || cqe.status)
				die("DMA copy of %zu failed", sz);
		}
		td = (now_sec() - t0) / reps * 1e6;
		t0 = now_sec();
		for (k = 0; k < reps; k++) {
			memcpy(buf + (32u << 20), buf, sz);
			__asm__ volatile("" ::: "memory");
		}
		tm = (now_sec() - t0) / reps * 1e6;
		printf("%10zu %12.1f %12.1f\n", sz, td, tm);
		if (!crossover && td < tm)
			crossover = sz;
	}
	close(fd);
	if (crossover)
		result("crossover_bytes", (double)crossover, "B");
	else
		printf("result: crossover_bytes none (memcpy faster at every size up to 16 MiB)\n");
}

int main(int argc, char **argv)
{
	double seconds = argc > 2 ? atof(argv[2]) : 2;

	test_name = "kmod_bench";
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "ops")) {
		double b = batched_ops(seconds), l = legacy_ops(seconds);

		result("ops_batched_4k", b, "ops/s");
		result("ops_reference_4k", l, "ops/s");
		result("ops_ratio", b / l, "x");
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "big")) {
		const char *mem = argc > 4 ? argv[4] : "huge";
		char name[32];

		snprintf(name, sizeof(name), "big_16m_%s", mem);
		result(name, big_copies(seconds, argc > 3 ? atoi(argv[3]) : 2, mem), "MB/s");
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "sweep")) {
		sweep();
		return 0;
	}
	fprintf(stderr, "usage: %s ops|big|sweep [SECONDS] [DEPTH]\n", argv[0]);
	return 2;
}

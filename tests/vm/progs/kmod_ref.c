// SPDX-License-Identifier: BSD-3-Clause
/*
 * The reference ioat-dma programs, as a program written for the reference
 * would do them: it defines the reference's ioctl structure itself (no
 * dmacopy header), opens /dev/dax0.0, maps it, fills the source, asks
 * /dev/ioat-dma to copy and compares.
 *
 *   kmod_ref unittest [DEV]   the unit test's three steps on 2 MiB:
 *                             test_01 source init, test_02 DMA, test_03 validate
 *   kmod_ref perf [DEV] [SIZE] DMA vs memcpy on SIZE bytes (default 32 MiB),
 *                             both verified, timings printed like the reference
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* Exactly as the reference README defines it. */
struct ioctl_dma_args {
	char device_name[64];
	uint64_t src_offset;
	uint64_t dst_offset;
	uint64_t size;
} __attribute__((packed));
#define IOCTL_IOAT_DMA_SUBMIT _IOW(0xad, 0, struct ioctl_dma_args)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fill_random(unsigned char *p, size_t len)
{
	uint64_t s = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		p[i] = (unsigned char)s;
	}
}

/* device-dax mappings must be multiples of its alignment (2 MiB by default). */
static unsigned char *map_dax(const char *dev, size_t len)
{
	int fd = open(dev, O_RDWR);
	void *p;

	len = (len + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);

	if (fd < 0) {
		perror(dev);
		exit(1);
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	close(fd);
	return p;
}

static int perform_dma(const char *dev, uint64_t src, uint64_t dst, uint64_t size)
{
	int fd = open("/dev/ioat-dma", O_RDWR);
	struct ioctl_dma_args args = {
	        .src_offset = src,
	        .dst_offset = dst,
	        .size = size,
	};
	int ret;

	if (fd < 0) {
		perror("/dev/ioat-dma");
		return -1;
	}
	snprintf(args.device_name, sizeof(args.device_name), "%s", dev);
	ret = ioctl(fd, IOCTL_IOAT_DMA_SUBMIT, &args);
	if (ret)
		perror("ioctl(IOCTL_IOAT_DMA_SUBMIT)");
	close(fd);
	return ret;
}

static int unittest(const char *dev)
{
	const size_t size = 2 << 20;
	unsigned char *dax = map_dax(dev, 2 * size);
	unsigned char *expect = malloc(size);
	int failed = 0;

	if (!expect)
		return 1;
	fill_random(expect, size);
	printf("Randomly generated data: %02x%02x%02x%02x... (%zu bytes)\n", expect[0], expect[1],
	       expect[2], expect[3], size);

	printf("test_01_dax_src_init ... ");
	memcpy(dax, expect, size);
	memset(dax + size, 0, size);
	if (memcmp(dax, expect, size)) {
		printf("FAIL\n");
		return 1;
	}
	printf("ok\n");

	printf("test_02_ioat_dma ... ");
	if (perform_dma(dev, 0, size, size)) {
		printf("FAIL\n");
		return 1;
	}
	printf("ok\n");

	printf("test_03_dax_dst_validate ... ");
	if (memcmp(dax + size, expect, size)) {
		printf("FAIL\n");
		failed = 1;
	} else {
		printf("ok\n");
	}
	printf("Ran 3 tests: %s\n", failed ? "FAILED" : "OK");
	free(expect);
	return failed;
}

static int perf(const char *dev, uint64_t size)
{
	unsigned char *dax = map_dax(dev, 3 * size);
	double t0, t_dma, t_memcpy;

	printf("DMA vs memcpy (data size: 0x%llx bytes)\n", (unsigned long long)size);
	fill_random(dax, size);

	memset(dax + size, 0, size);
	t0 = now();
	if (perform_dma(dev, 0, size, size))
		return 1;
	t_dma = now() - t0;
	if (memcmp(dax, dax + size, size)) {
		printf("perform_dma: data verification FAILED\n");
		return 1;
	}
	printf("perform_dma: data verification done!\n");

	memset(dax + 2 * size, 0, size);
	t0 = now();
	memcpy(dax + 2 * size, dax, size);
	t_memcpy = now() - t0;
	if (memcmp(dax, dax + 2 * size, size)) {
		printf("perform_memcpy: data verification FAILED\n");
		return 1;
	}
	printf("perform_memcpy: data verification done!\n");
	printf("DMA: %f s, memcpy: %f s\n", t_dma, t_memcpy);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dev = argc > 2 ? argv[2] : "/dev/dax0.0";

	if (argc > 1 && !strcmp(argv[1], "unittest"))
		return unittest(dev);
	if (argc > 1 && !strcmp(argv[1], "perf"))
		return perf(dev, argc > 3 ? strtoull(argv[3], NULL, 0) : 32ULL << 20);
	fprintf(stderr, "usage: %s unittest|perf [DEV] [SIZE]\n", argv[0]);
	return 2;
}

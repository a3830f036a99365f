/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the dmacopy.ko guest test programs (tests/vm/progs/kmod_*.c):
 * ioctl wrappers for /dev/dmacopy and /dev/ioat-dma, device-dax mappings, a
 * small PRNG and failure reporting. Everything returns -errno on failure.
 */
#ifndef KMOD_UTIL_H
#define KMOD_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "uapi/linux/dmacopy.h"

#define DAX_PATH  "/dev/dax0.0"
#define DAX_SYSFS "/sys/bus/dax/devices/dax0.0"

static const char *test_name = "kmod";

#include "progs_util.h"

static inline long sys_ret(long ret)
{
	return ret < 0 ? -errno : ret;
}

static inline long dc_ioctl(int fd, unsigned long cmd, void *arg)
{
	return sys_ret(ioctl(fd, cmd, arg));
}

static inline int dc_open(void)
{
	int fd = open("/dev/dmacopy", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open /dev/dmacopy: %s", strerror(errno));
	return fd;
}

static inline long dc_info(int fd, struct dmacopy_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return dc_ioctl(fd, DMACOPY_IOC_INFO, info);
}

static inline long dc_register(int fd, const void *addr, uint64_t len, uint32_t flags,
                               uint32_t *handle)
{
	struct dmacopy_register r = {
	        .size = sizeof(r),
	        .flags = flags,
	        .addr = (uintptr_t)addr,
	        .len = len,
	};
	long ret = dc_ioctl(fd, DMACOPY_IOC_REGISTER, &r);

	if (!ret && handle)
		*handle = r.handle;
	return ret;
}

static inline long dc_unregister(int fd, uint32_t handle)
{
	struct dmacopy_unregister u = {.size = sizeof(u), .handle = handle};

	return dc_ioctl(fd, DMACOPY_IOC_UNREGISTER, &u);
}

static inline long dc_submit(int fd, const struct dmacopy_sqe *sqes, uint32_t n,
                             uint32_t *error_index)
{
	struct dmacopy_submit s = {
	        .size = sizeof(s),
	        .count = n,
	        .sqe_size = sizeof(*sqes),
	        .sqes = (uintptr_t)sqes,
	};
	long ret = dc_ioctl(fd, DMACOPY_IOC_SUBMIT, &s);

	if (error_index)
		*error_index = s.error_index;
	return ret;
}

static inline long dc_reap(int fd, struct dmacopy_cqe *cqes, uint32_t max)
{
	struct dmacopy_reap r = {
	        .size = sizeof(r),
	        .max = max,
	        .cqes = (uintptr_t)cqes,
	        .cqe_size = sizeof(*cqes),
	};

	return dc_ioctl(fd, DMACOPY_IOC_REAP, &r);
}

static inline long dc_wait(int fd, struct dmacopy_cqe *cqes, uint32_t min, uint32_t max,
                           int64_t timeout_ns)
{
	struct dmacopy_reap r = {
	        .size = sizeof(r),
	        .max = max,
	        .min = min,
	        .cqes = (uintptr_t)cqes,
	        .timeout_ns = timeout_ns,
	        .cqe_size = sizeof(*cqes),
	};

	return dc_ioctl(fd, DMACOPY_IOC_WAIT, &r);
}

static inline long legacy_copy(int fd, const char *dev, uint64_t src, uint64_t dst, uint64_t size)
{
	struct ioctl_dma_args a = {.src_offset = src, .dst_offset = dst, .size = size};

	snprintf(a.device_name, sizeof(a.device_name), "%s", dev);
	return dc_ioctl(fd, IOCTL_IOAT_DMA_SUBMIT, &a);
}

static inline uint64_t sysfs_u64(const char *path)
{
	unsigned long long v;
	FILE *f = fopen(path, "r");

	if (!f || fscanf(f, "%llu", &v) != 1)
		die("cannot read %s", path);
	fclose(f);
	return v;
}

static inline uint64_t dax_size(void)
{
	return sysfs_u64(DAX_SYSFS "/size");
}

/* Map [off, off + len) of /dev/dax0.0 (both multiples of its alignment). */
static inline void *dax_map(uint64_t off, uint64_t len)
{
	int fd = open(DAX_PATH, O_RDWR | O_CLOEXEC);
	void *p;

	if (fd < 0)
		die("open %s: %s", DAX_PATH, strerror(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	if (p == MAP_FAILED)
		die("mmap %s [%#llx, +%#llx): %s", DAX_PATH, (unsigned long long)off,
		    (unsigned long long)len, strerror(errno));
	close(fd);
	return p;
}

static inline void *anon_map(size_t len, bool huge)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | (huge ? MAP_HUGETLB : 0);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, -1, 0);

	if (p == MAP_FAILED)
		die("mmap %zu bytes%s: %s", len, huge ? " (hugetlb)" : "", strerror(errno));
	return p;
}

#endif /* KMOD_UTIL_H */

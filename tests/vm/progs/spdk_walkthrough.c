// SPDX-License-Identifier: BSD-3-Clause
/*
 * SPDK's I/OAT walk-through (docs/spdk-compat.md) as one complete program, built against
 * dmacopy's SPDK-compatible API: initialise the environment, probe and attach one I/OAT channel
 * with copy support, register a device-dax mapping, submit one copy inside it, poll until the
 * completion callback fires, and check the data.
 *
 *   spdk_walkthrough [DEVICE [IO_SIZE]]    (default /dev/dax0.0, 4 MiB - 4 KiB + 123 bytes)
 *
 * The API calls are the walk-through's, with its typos fixed (spdk_pci_deivce, volid, the
 * missing return type of op_done_cb); only error reporting and the data check are added.
 * Exit status 0 when the copied data is right.
 */
#include "spdk/stdinc.h"
#include "spdk/env.h"
#include "spdk/ioat.h"

#include <sys/sysmacros.h> /* major(), minor() */

struct spdk_ioat_chan *ioat_chan = NULL;

static bool probe_cb(void *cb_ctx, struct spdk_pci_device *pci_device)
{
	(void)cb_ctx;
	(void)pci_device;
	if (ioat_chan) {
		return false;
	} else {
		return true;
	}
}

static void attach_cb(void *cb_ctx, struct spdk_pci_device *pci_device, struct spdk_ioat_chan *ioat)
{
	(void)cb_ctx;
	(void)pci_device;
	// Check if that device/channel supports copy operations
	if (!(spdk_ioat_get_dma_capabilities(ioat) & SPDK_IOAT_ENGINE_COPY_SUPPORTED)) {
		return;
	}

	ioat_chan = ioat;
	printf("Attaching to the ioat device!\n");
}

bool copy_done = false;
static void op_done_cb(void *arg)
{
	*(bool *)arg = true;
}

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "spdk_walkthrough: FAIL: " __VA_ARGS__);                           \
		fputc('\n', stderr);                                                               \
		exit(1);                                                                           \
	} while (0)

/* The size of a device-dax device (from sysfs) or of a regular file. */
static size_t device_size_of(const char *path, int fd)
{
	struct stat st;
	char sysfs[PATH_MAX];
	unsigned long long size = 0;
	FILE *f;

	if (fstat(fd, &st))
		FAIL("fstat %s: %s", path, strerror(errno));
	if (!S_ISCHR(st.st_mode))
		return (size_t)st.st_size;
	snprintf(sysfs, sizeof(sysfs), "/sys/dev/char/%u:%u/size", major(st.st_rdev),
	         minor(st.st_rdev));
	f = fopen(sysfs, "r");
	if (!f || fscanf(f, "%llu", &size) != 1)
		FAIL("cannot read the size of %s from %s", path, sysfs);
	fclose(f);
	return (size_t)size;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/dax0.0";
	uint64_t io_size = argc > 2 ? strtoull(argv[2], NULL, 0) : (4u << 20) - 4096 + 123;
	struct spdk_env_opts opts;
	size_t device_size;
	unsigned char *src, *dst;
	uint64_t i, bad;
	int fd, rc;

	/* 1. Initializing SPDK & allocating an I/OAT channel */
	spdk_env_opts_init(&opts);
	opts.name = "spdk_walkthrough";
	rc = spdk_env_init(&opts);
	if (rc)
		FAIL("spdk_env_init: %d", rc);

	if (spdk_ioat_probe(NULL, probe_cb, attach_cb)) {
		FAIL("spdk_ioat_probe failed");
	}
	if (!ioat_chan)
		FAIL("no I/OAT channel with copy support was attached");

	/* 2. DMA-able memory: a device-dax mapping, registered */
	fd = open(path, O_RDWR);
	if (fd < 0)
		FAIL("open %s: %s", path, strerror(errno));
	device_size = device_size_of(path, fd);
	void *dev_addr = mmap(NULL, device_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (dev_addr == MAP_FAILED)
		FAIL("mmap %s (%zu bytes): %s", path, device_size, strerror(errno));
	rc = spdk_mem_register(dev_addr, device_size);
	if (rc)
		FAIL("spdk_mem_register(%p, %zu): %d", dev_addr, device_size, rc);

	src = (unsigned char *)dev_addr + 0x1000;
	dst = (unsigned char *)dev_addr + device_size / 2 + 0x3000;
	if (io_size + 4096 > device_size / 2 - 0x3000)
		FAIL("io_size %llu is too large for %s", (unsigned long long)io_size, path);
	for (i = 0; i < io_size; i++)
		src[i] = (unsigned char)(i * 7 + (i >> 11) + 1);
	memset(dst, 0xa5, io_size + 4096);

	/* 3. DMA transfer and completion callback */
	rc = spdk_ioat_submit_copy(ioat_chan,
	                           &copy_done, // optional
	                           op_done_cb, // optional: called by spdk_ioat_process_events()
	                           dst, src, io_size);
	if (rc)
		FAIL("spdk_ioat_submit_copy: %d", rc);

	int result;
	do {
		result = spdk_ioat_process_events(ioat_chan);
	} while (result == 0);

	if (result < 0)
		FAIL("spdk_ioat_process_events: %d (the copy failed)", result);
	assert(copy_done); // must be true!
	if (!copy_done)
		FAIL("the completion callback did not run");

	/* The data: every byte copied, nothing written past the end */
	for (i = 0, bad = 0; i < io_size; i++)
		bad += dst[i] != src[i];
	if (bad)
		FAIL("%llu of %llu bytes differ after the copy", (unsigned long long)bad,
		     (unsigned long long)io_size);
	for (i = io_size; i < io_size + 4096; i++) {
		if (dst[i] != 0xa5)
			FAIL("byte %llu past the end of the copy was overwritten",
			     (unsigned long long)(i - io_size));
	}
	printf("spdk_walkthrough: copied %llu bytes in %s (%zu MiB registered), %d event(s), "
	       "data verified\n",
	       (unsigned long long)io_size, path, device_size >> 20, result);

	rc = spdk_mem_unregister(dev_addr, device_size);
	if (rc)
		FAIL("spdk_mem_unregister: %d", rc);
	munmap(dev_addr, device_size);
	close(fd);
	spdk_ioat_detach(ioat_chan);
	spdk_env_fini();
	return 0;
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * Bad input for both dmacopy.ko ABIs, each with its expected error, plus the
 * ABI's invariants (layout, versioned sizes, RLIMIT_MEMLOCK accounting).
 *
 *   kmod_abi [--no-channel]
 *
 * With --no-channel the module is expected to have no DMA channel: requests
 * that need one must fail with ENODEV, everything else as usual. Without it,
 * at least one channel must exist and the /dev/dmacopy submission checks run
 * too. /dev/ioat-dma must be accessible to user nobody (the test script makes
 * it so) for the "no access to the device-dax node" case.
 */
#include <assert.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kmod_util.h"
#include "kmod_check.h"

/* The layouts are part of the ABI. */
static_assert(sizeof(struct ioctl_dma_args) == 88, "reference ABI");
static_assert(IOCTL_IOAT_DMA_SUBMIT == 0x4058ad00, "reference request number");
static_assert(sizeof(struct dmacopy_info) == 80, "dmacopy_info");
static_assert(sizeof(struct dmacopy_channel_info) == 112, "dmacopy_channel_info");
static_assert(sizeof(struct dmacopy_channel_stats) == 80, "dmacopy_channel_stats");
static_assert(sizeof(struct dmacopy_channels) == 24, "dmacopy_channels");
static_assert(sizeof(struct dmacopy_register) == 48, "dmacopy_register");
static_assert(sizeof(struct dmacopy_unregister) == 16, "dmacopy_unregister");
static_assert(sizeof(struct dmacopy_sqe) == 48, "dmacopy_sqe");
static_assert(sizeof(struct dmacopy_submit) == 32, "dmacopy_submit");
static_assert(sizeof(struct dmacopy_cqe) == 16, "dmacopy_cqe");
static_assert(sizeof(struct dmacopy_reap) == 40, "dmacopy_reap");
static_assert(sizeof(struct dmacopy_queue_create) == 48, "dmacopy_queue_create");

/* A pointer to the last len bytes of a mapped page followed by an unmapped one. */
static void *edge_of_mapping(size_t len)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || munmap(p + pg, pg))
		die("mmap: %s", strerror(errno));
	return p + pg - len;
}

static void *unmapped_address(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || munmap(p, pg))
		die("mmap: %s", strerror(errno));
	return p;
}

/* Run fn as user nobody (no capabilities) in a child; return its result. */
static long as_nobody(long (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(255);
		_exit((int)-fn());
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) == 255)
		die("child as nobody failed");
	return -(long)WEXITSTATUS(status);
}

static long nobody_legacy(void)
{
	int fd = open("/dev/ioat-dma", O_RDWR);

	if (fd < 0)
		return -254;
	return legacy_copy(fd, DAX_PATH, 0, 1 << 21, 4096);
}

static void legacy_table(bool channels)
{
	const uint64_t dsize = dax_size();
	int fd = open("/dev/ioat-dma", O_RDWR);
	struct ioctl_dma_args a;
	long good = channels ? 0 : -ENODEV;
	char tmpfile[] = "/tmp/kmod_abi.XXXXXX";
	void *edge;
	int tfd;

	if (fd < 0)
		die("open /dev/ioat-dma: %s", strerror(errno));
	printf("-- /dev/ioat-dma (device-dax size %llu)\n", (unsigned long long)dsize);

	EXPECT("valid 4 KiB copy", legacy_copy(fd, DAX_PATH, 0, 1 << 21, 4096), good);
	EXPECT("unknown request number", dc_ioctl(fd, _IOW(0xad, 1, struct ioctl_dma_args), &a),
	       -ENOTTY);
	EXPECT("request number with another size", dc_ioctl(fd, _IOW(0xad, 0, uint64_t), &a),
	       -ENOTTY);
	EXPECT("dmacopy request on /dev/ioat-dma", dc_ioctl(fd, DMACOPY_IOC_INFO, &a), -ENOTTY);
	EXPECT("NULL argument", dc_ioctl(fd, IOCTL_IOAT_DMA_SUBMIT, NULL), -EFAULT);
	EXPECT("unmapped argument", dc_ioctl(fd, IOCTL_IOAT_DMA_SUBMIT, unmapped_address()),
	       -EFAULT);
	edge = edge_of_mapping(40);
	EXPECT("short argument (40 of 88 bytes mapped)", dc_ioctl(fd, IOCTL_IOAT_DMA_SUBMIT, edge),
	       -EFAULT);

	memset(&a, 'x', sizeof(a));
	a.src_offset = 0;
	a.dst_offset = 1 << 21;
	a.size = 4096;
	EXPECT("device name not NUL-terminated", dc_ioctl(fd, IOCTL_IOAT_DMA_SUBMIT, &a), -EINVAL);
	EXPECT("empty device name", legacy_copy(fd, "", 0, 1 << 21, 4096), -ENOENT);
	EXPECT("missing device", legacy_copy(fd, "/dev/dax9.9", 0, 1 << 21, 4096), -ENOENT);
	EXPECT("directory", legacy_copy(fd, "/tmp", 0, 1 << 21, 4096), -EISDIR);
	tfd = mkstemp(tmpfile);
	if (tfd < 0 || ftruncate(tfd, 4 << 20))
		die("mkstemp: %s", strerror(errno));
	EXPECT("regular file", legacy_copy(fd, tmpfile, 0, 1 << 21, 4096), -EINVAL);
	close(tfd);
	unlink(tmpfile);
	EXPECT("character device that is not device-dax",
	       legacy_copy(fd, "/dev/null", 0, 1 << 21, 4096), -ENODEV);
	EXPECT("device-dax node the caller may not open", as_nobody(nobody_legacy), -EACCES);

	EXPECT("size 0", legacy_copy(fd, DAX_PATH, 0, 1 << 21, 0), -EINVAL);
	EXPECT("source range wraps past 2^64",
	       legacy_copy(fd, DAX_PATH, UINT64_MAX - 4095, 1 << 21, 8192), -EINVAL);
	EXPECT("destination range wraps past 2^64",
	       legacy_copy(fd, DAX_PATH, 0, UINT64_MAX - 100, 4096), -EINVAL);
	EXPECT("size 2^63", legacy_copy(fd, DAX_PATH, 0, 1 << 21, 1ULL << 63), -EINVAL);
	EXPECT("source past the end", legacy_copy(fd, DAX_PATH, dsize, 0, 4096), -EINVAL);
	EXPECT("destination past the end", legacy_copy(fd, DAX_PATH, 0, dsize, 4096), -EINVAL);
	EXPECT("destination straddles the end", legacy_copy(fd, DAX_PATH, 0, dsize - 4096, 8192),
	       -EINVAL);
	EXPECT("source far past the end", legacy_copy(fd, DAX_PATH, 1ULL << 50, 0, 4096), -EINVAL);
	EXPECT("last byte of the device", legacy_copy(fd, DAX_PATH, 0, dsize - 1, 1), good);
	EXPECT("overlapping ranges", legacy_copy(fd, DAX_PATH, 0, 4096, 8192), -EINVAL);
	EXPECT("identical ranges", legacy_copy(fd, DAX_PATH, 4096, 4096, 1), -EINVAL);
	EXPECT("adjacent ranges", legacy_copy(fd, DAX_PATH, 0, 8192, 8192), good);
	close(fd);
}

/* Versioned argument handling, with DMACOPY_IOC_INFO. */
static void size_rules(int fd)
{
	struct {
		struct dmacopy_info info;
		uint64_t extra[4];
	} big;
	struct dmacopy_info info;

	memset(&big, 0, sizeof(big));
	big.info.size = sizeof(big);
	EXPECT("INFO with a larger struct, zero tail", dc_ioctl(fd, DMACOPY_IOC_INFO, &big), 0);
	EXPECT("  abi_version reported", big.info.abi_version, DMACOPY_ABI_VERSION);
	big.extra[3] = 1;
	EXPECT("INFO with a larger struct, non-zero tail", dc_ioctl(fd, DMACOPY_IOC_INFO, &big),
	       -E2BIG);
	memset(&info, 0, sizeof(info));
	info.size = 4;
	EXPECT("INFO with size 4", dc_ioctl(fd, DMACOPY_IOC_INFO, &info), -EINVAL);
	info.size = 0;
	EXPECT("INFO with size 0", dc_ioctl(fd, DMACOPY_IOC_INFO, &info), -EINVAL);
	info.size = 1 << 20;
	EXPECT("INFO with size 1 MiB", dc_ioctl(fd, DMACOPY_IOC_INFO, &info), -E2BIG);
	info.size = sizeof(info);
	info.flags = 1;
	EXPECT("INFO with unknown flags", dc_ioctl(fd, DMACOPY_IOC_INFO, &info), -EINVAL);
	info.flags = 0;
	info.reserved[2] = 7;
	EXPECT("INFO with reserved set", dc_ioctl(fd, DMACOPY_IOC_INFO, &info), -EINVAL);
	EXPECT("INFO request number with another size",
	       dc_ioctl(fd, _IOWR(DMACOPY_IOC_MAGIC, 0, struct dmacopy_cqe), &big), -E2BIG);
	big.extra[3] = 0;
	EXPECT("INFO request number with another size, zero tail",
	       dc_ioctl(fd, _IOWR(DMACOPY_IOC_MAGIC, 0, struct dmacopy_cqe), &big), 0);
	EXPECT("INFO with the wrong direction",
	       dc_ioctl(fd, _IOW(DMACOPY_IOC_MAGIC, 0, struct dmacopy_info), &big), -ENOTTY);
	EXPECT("unknown request number",
	       dc_ioctl(fd, _IOWR(DMACOPY_IOC_MAGIC, 0x40, struct dmacopy_info), &big), -ENOTTY);
	EXPECT("reference request on /dev/dmacopy", dc_ioctl(fd, IOCTL_IOAT_DMA_SUBMIT, &big),
	       -ENOTTY);
	EXPECT("NULL argument", dc_ioctl(fd, DMACOPY_IOC_INFO, NULL), -EFAULT);
	EXPECT("unmapped argument", dc_ioctl(fd, DMACOPY_IOC_INFO, unmapped_address()), -EFAULT);
	EXPECT("short argument (16 of 80 bytes mapped)", ({
		       struct dmacopy_info *e = edge_of_mapping(16);

		       e->size = sizeof(*e);
		       dc_ioctl(fd, DMACOPY_IOC_INFO, e);
	       }),
	       -EFAULT);
}

static void register_table(int fd)
{
	const size_t len = 1 << 20;
	char *buf = anon_map(len, false);
	char *ro = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *none = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct dmacopy_register r;
	uint32_t h, h2;

	if (ro == MAP_FAILED || none == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	EXPECT("register 1 MiB anonymous", dc_register(fd, buf, len, 0, &h), 0);
	EXPECT("  handle is non-zero", h != 0, 1);
	EXPECT("register the same range again", dc_register(fd, buf, len, 0, &h2), 0);
	EXPECT("  handles differ", h != h2, 1);
	EXPECT("unregister it", dc_unregister(fd, h2), 0);
	EXPECT("unregister a freed handle", dc_unregister(fd, h2), -ENOENT);
	EXPECT("unregister handle 0", dc_unregister(fd, 0), -ENOENT);
	EXPECT("unregister an unknown handle", dc_unregister(fd, 0x7fff1234), -ENOENT);
	EXPECT("register length 0", dc_register(fd, buf, 0, 0, NULL), -EINVAL);
	EXPECT("register unknown flags", dc_register(fd, buf, len, 0x80, NULL), -EINVAL);
	EXPECT("register unmapped memory", dc_register(fd, unmapped_address(), 4096, 0, NULL),
	       -EFAULT);
	EXPECT("register a range running into unmapped memory",
	       dc_register(fd, edge_of_mapping(4096), 8192, 0, NULL), -EFAULT);
	EXPECT("register a wrapping range", dc_register(fd, buf, UINT64_MAX - 10, 0, NULL),
	       -EINVAL);
	EXPECT("register more than max_reg_mb", dc_register(fd, buf, 1ULL << 62, 0, NULL), -E2BIG);
	EXPECT("register a kernel address",
	       dc_register(fd, (void *)0xffff888000000000ULL, 4096, 0, NULL), -EFAULT);
	EXPECT("register PROT_NONE memory", dc_register(fd, none, len, 0, NULL), -EFAULT);
	EXPECT("register read-only memory for writing", dc_register(fd, ro, len, 0, NULL), -EFAULT);
	EXPECT("register read-only memory read-only",
	       dc_register(fd, ro, len, DMACOPY_REG_READONLY, NULL), 0);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.addr = (uintptr_t)buf;
	r.len = 4096;
	r.reserved[1] = 1;
	EXPECT("register with reserved set", dc_ioctl(fd, DMACOPY_IOC_REGISTER, &r), -EINVAL);
	EXPECT("unregister with flags set", ({
		       struct dmacopy_unregister u = {.size = sizeof(u), .flags = 1, .handle = h};
		       dc_ioctl(fd, DMACOPY_IOC_UNREGISTER, &u);
	       }),
	       -EINVAL);
	EXPECT("unregister the first handle", dc_unregister(fd, h), 0);
}

static void submit_table(int fd, bool channels)
{
	const size_t len = 1 << 20;
	char *a = anon_map(len, false), *b = anon_map(len, false);
	struct dmacopy_sqe sqe[4];
	struct dmacopy_cqe cqe[8];
	struct dmacopy_submit s;
	struct dmacopy_info info;
	uint32_t ha, hb, hro, hfree, idx = 99;
	long good = channels ? 0 : -ENODEV;

	memset(a, 0x5a, len);
	if (dc_register(fd, a, len, 0, &ha) || dc_register(fd, b, len, 0, &hb) ||
	    dc_register(fd, b, len, DMACOPY_REG_READONLY, &hro) ||
	    dc_register(fd, a, 4096, 0, &hfree) || dc_unregister(fd, hfree))
		die("registering the submission buffers failed");
	if (dc_info(fd, &info))
		die("DMACOPY_IOC_INFO failed");

	sqe_set(&sqe[0], hb, 0, ha, 0, 4096);
	EXPECT("submit one valid copy", dc_submit(fd, sqe, 1, NULL), good);
	if (channels) {
		EXPECT("  one completion", dc_wait(fd, cqe, 1, 8, 5000000000LL), 1);
		EXPECT("  its status", cqe[0].status, 0);
		EXPECT("  its user_data", cqe[0].user_data == sqe[0].user_data, 1);
		EXPECT("  data arrived", !memcmp(a, b, 4096), 1);
	}
	EXPECT("submit count 0", dc_submit(fd, sqe, 0, NULL), -EINVAL);
	EXPECT("submit more than max_batch", dc_submit(fd, sqe, info.max_batch + 1, NULL), -E2BIG);
	EXPECT("submit with a NULL array", dc_submit(fd, NULL, 1, NULL),
	       channels ? -EFAULT : -ENODEV);
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.count = 1;
	s.sqe_size = 40;
	s.sqes = (uintptr_t)sqe;
	EXPECT("submit with sqe_size 40", dc_ioctl(fd, DMACOPY_IOC_SUBMIT, &s), -EINVAL);
	s.sqe_size = sizeof(sqe[0]);
	s.flags = 2;
	EXPECT("submit with unknown flags", dc_ioctl(fd, DMACOPY_IOC_SUBMIT, &s), -EINVAL);
	if (!channels) {
		EXPECT("queue bound to a channel that does not exist", ({
			       struct dmacopy_queue_create c = {.size = sizeof(c)};

			       strcpy(c.channel, "dma0chan0");
			       dc_ioctl(fd, DMACOPY_IOC_QUEUE_CREATE, &c);
		       }),
		       -ENODEV);
		return;
	}

	sqe_set(&sqe[0], hb, 0, ha, 0, 4096);
	sqe_set(&sqe[1], hb, 8192, 0x7fff0000, 0, 4096);
	EXPECT("unknown source handle (2nd op)", dc_submit(fd, sqe, 2, &idx), -ENOENT);
	EXPECT("  error_index", idx, 1);
	sqe_set(&sqe[1], hfree, 0, ha, 0, 4096);
	EXPECT("freed destination handle", dc_submit(fd, sqe, 2, &idx), -ENOENT);
	EXPECT("  error_index", idx, 1);
	sqe_set(&sqe[0], hb, len - 4095, ha, 0, 4096);
	EXPECT("destination past its registration", dc_submit(fd, sqe, 1, &idx), -EINVAL);
	EXPECT("  error_index", idx, 0);
	sqe_set(&sqe[0], hb, 0, ha, len, 1);
	EXPECT("source offset at the end of its registration", dc_submit(fd, sqe, 1, NULL),
	       -EINVAL);
	sqe_set(&sqe[0], hb, UINT64_MAX - 10, ha, 0, 4096);
	EXPECT("destination offset wraps", dc_submit(fd, sqe, 1, NULL), -EINVAL);
	sqe_set(&sqe[0], hb, 0, ha, 0, 0);
	EXPECT("length 0", dc_submit(fd, sqe, 1, NULL), -EINVAL);
	sqe_set(&sqe[0], ha, 100, ha, 0, 4096);
	EXPECT("overlapping source and destination", dc_submit(fd, sqe, 1, NULL), -EINVAL);
	sqe_set(&sqe[0], ha, 4096, ha, 0, 4096);
	EXPECT("adjacent ranges in one registration", dc_submit(fd, sqe, 1, NULL), 0);
	sqe_set(&sqe[0], hro, 0, ha, 0, 4096);
	EXPECT("read-only registration as destination", dc_submit(fd, sqe, 1, NULL), -EACCES);
	sqe_set(&sqe[0], hb, 0, ha, 0, 4096);
	sqe[0].flags = 1;
	EXPECT("operation flags set", dc_submit(fd, sqe, 1, NULL), -EINVAL);
	sqe[0].flags = 0;
	sqe[0].reserved = 1;
	EXPECT("operation reserved set", dc_submit(fd, sqe, 1, NULL), -EINVAL);
	sqe_set(&sqe[0], ha, 65536, hro, 0, 4096);
	EXPECT("read-only registration as source", dc_submit(fd, sqe, 1, NULL), 0);
	EXPECT("reap both", dc_wait(fd, cqe, 2, 8, 5000000000LL), 2);
	EXPECT("  statuses", cqe[0].status | cqe[1].status, 0);
	EXPECT("wait for more than in flight", dc_wait(fd, cqe, 1, 8, 0), -EINVAL);
	EXPECT("wait with min > max", dc_wait(fd, cqe, 2, 1, 0), -EINVAL);
	EXPECT("reap with min set", ({
		       struct dmacopy_reap r = {.size = sizeof(r),
		                                .max = 8,
		                                .min = 1,
		                                .cqes = (uintptr_t)cqe,
		                                .cqe_size = sizeof(cqe[0])};
		       dc_ioctl(fd, DMACOPY_IOC_REAP, &r);
	       }),
	       -EINVAL);
	EXPECT("reap with cqe_size 8", ({
		       struct dmacopy_reap r = {
		               .size = sizeof(r), .max = 8, .cqes = (uintptr_t)cqe, .cqe_size = 8};
		       dc_ioctl(fd, DMACOPY_IOC_REAP, &r);
	       }),
	       -EINVAL);
	EXPECT("reap into an unmapped array, nothing ready", ({
		       struct dmacopy_reap r = {.size = sizeof(r),
		                                .max = 8,
		                                .cqes = (uintptr_t)unmapped_address(),
		                                .cqe_size = sizeof(cqe[0])};
		       dc_ioctl(fd, DMACOPY_IOC_REAP, &r);
	       }),
	       0);
	sqe_set(&sqe[0], hb, 0, ha, 0, 4096);
	EXPECT("submit before a faulting reap", dc_submit(fd, sqe, 1, NULL), 0);
	EXPECT("  wait for it without reaping", dc_wait(fd, cqe, 1, 0, 5000000000LL), 0);
	EXPECT("  reap into an unmapped array", ({
		       struct dmacopy_reap r = {.size = sizeof(r),
		                                .max = 8,
		                                .cqes = (uintptr_t)unmapped_address(),
		                                .cqe_size = sizeof(cqe[0])};
		       dc_ioctl(fd, DMACOPY_IOC_REAP, &r);
	       }),
	       -EFAULT);
	EXPECT("  the completion was kept", dc_reap(fd, cqe, 8), 1);
	EXPECT("unregister while idle", dc_unregister(fd, hro), 0);
	EXPECT("read() with a 15-byte buffer", sys_ret(read(fd, cqe, 15)), -EINVAL);
	EXPECT("read() with nothing in flight", sys_ret(read(fd, cqe, sizeof(cqe))), 0);

	/* Ring full, -EBUSY while in flight, read() and poll(). */
	{
		struct dmacopy_queue_create c = {.size = sizeof(c), .cq_entries = 2};
		struct pollfd pfd;
		int qfd;

		EXPECT("queue with 2 ring entries", dc_ioctl(fd, DMACOPY_IOC_QUEUE_CREATE, &c), 0);
		qfd = c.fd;
		sqe_set(&sqe[0], hb, 0, ha, 0, 65536);
		sqe_set(&sqe[1], hb, 65536, ha, 65536, 65536);
		sqe_set(&sqe[2], hb, 131072, ha, 131072, 65536);
		EXPECT("  submit 3 operations to it", dc_submit(qfd, sqe, 3, NULL), -ENOSPC);
		EXPECT("  submit 2", dc_submit(qfd, sqe, 2, NULL), 0);
		EXPECT("  submit 1 more", dc_submit(qfd, sqe, 1, NULL), -ENOSPC);
		pfd.fd = qfd;
		pfd.events = POLLIN;
		EXPECT("  poll() for completions", sys_ret(poll(&pfd, 1, 5000)), 1);
		EXPECT("  epoll_wait() for completions", ({
			       struct epoll_event ev = {.events = EPOLLIN}, out;
			       int ep = epoll_create1(EPOLL_CLOEXEC);
			       long n = -1;

			       if (ep >= 0 && !epoll_ctl(ep, EPOLL_CTL_ADD, qfd, &ev))
				       n = sys_ret(epoll_wait(ep, &out, 1, 5000));
			       if (ep >= 0)
				       close(ep);
			       n == 1 && (out.events & EPOLLIN) ? 1 : n;
		       }),
		       1);
		EXPECT("  read() two completions", ({
			       long n = sys_ret(read(qfd, cqe, sizeof(cqe)));

			       if (n == 16)
				       n += sys_ret(read(qfd, cqe + 1, sizeof(cqe) - 16));
			       n;
		       }),
		       32);
		EXPECT("  queue fd is close-on-exec", (fcntl(qfd, F_GETFD) & FD_CLOEXEC) != 0, 1);
		fcntl(qfd, F_SETFL, O_NONBLOCK);
		EXPECT("  non-blocking read() of nothing", sys_ret(read(qfd, cqe, sizeof(cqe))),
		       -EAGAIN);
		close(qfd);
	}
	EXPECT("queue with too many ring entries", ({
		       struct dmacopy_queue_create c = {.size = sizeof(c), .cq_entries = 1 << 20};
		       dc_ioctl(fd, DMACOPY_IOC_QUEUE_CREATE, &c);
	       }),
	       -EINVAL);
	EXPECT("queue bound to an unknown channel", ({
		       struct dmacopy_queue_create c = {.size = sizeof(c)};

		       strcpy(c.channel, "nochan7");
		       dc_ioctl(fd, DMACOPY_IOC_QUEUE_CREATE, &c);
	       }),
	       -ENODEV);
	EXPECT("queue with a non-terminated channel name", ({
		       struct dmacopy_queue_create c = {.size = sizeof(c)};

		       memset(c.channel, 'a', sizeof(c.channel));
		       dc_ioctl(fd, DMACOPY_IOC_QUEUE_CREATE, &c);
	       }),
	       -EINVAL);

	/* A registration used by an operation in flight cannot go. */
	{
		char *big = anon_map(64 << 20, false);
		struct dmacopy_sqe many[64];
		uint32_t hbig;
		long busy;
		int i;

		if (dc_register(fd, big, 64 << 20, 0, &hbig))
			die("register 64 MiB failed");
		for (i = 0; i < 32; i++)
			sqe_set(&many[i], hbig, (32 << 20) + ((uint64_t)i << 20), hbig,
			        (uint64_t)i << 20, 1 << 20);
		EXPECT("submit 32 x 1 MiB", dc_submit(fd, many, 32, NULL), 0);
		busy = dc_unregister(fd, hbig);
		/* A fast engine may be done already; t_kmod_timeout checks EBUSY for sure. */
		if (busy)
			EXPECT("unregister it while in flight", busy, -EBUSY);
		else
			printf("note  the copies were done before the unregister\n");
		EXPECT("wait for all 32", ({
			       long n = 0, r;

			       while (n < 32 && (r = dc_wait(fd, cqe, 1, 8, 10000000000LL)) > 0)
				       n += r;
			       n;
		       }),
		       32);
		if (busy)
			EXPECT("unregister it when idle", dc_unregister(fd, hbig), 0);
		munmap(big, 64 << 20);
	}
}

static void channels_table(int fd, bool channels)
{
	struct dmacopy_channel_info ci[8];
	struct dmacopy_channel_stats cs[8];
	struct dmacopy_channels c;
	struct dmacopy_info info;

	EXPECT("INFO", dc_info(fd, &info), 0);
	EXPECT("  nr_channels > 0", info.nr_channels > 0, channels);
	EXPECT("  cq_entries", info.cq_entries >= 1, 1);
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	EXPECT("CHANNELS with no room", dc_ioctl(fd, DMACOPY_IOC_CHANNELS, &c), 0);
	EXPECT("  count = nr_channels", c.count, info.nr_channels);
	c.count = 8;
	c.entry_size = sizeof(ci[0]);
	c.entries = (uintptr_t)ci;
	EXPECT("CHANNELS", dc_ioctl(fd, DMACOPY_IOC_CHANNELS, &c), 0);
	if (channels && c.count) {
		printf("      channel %s driver %s device %s node %d flags %#x\n", ci[0].name,
		       ci[0].driver, ci[0].device, ci[0].numa_node, ci[0].flags);
		EXPECT("  first channel has a name", ci[0].name[0] != 0, 1);
	}
	c.count = 8;
	c.entry_size = 8;
	EXPECT("CHANNELS with entry_size 8", dc_ioctl(fd, DMACOPY_IOC_CHANNELS, &c), -EINVAL);
	c.count = 8;
	c.entry_size = sizeof(cs[0]);
	c.entries = (uintptr_t)cs;
	EXPECT("STATS", dc_ioctl(fd, DMACOPY_IOC_STATS, &c), 0);
	c.count = 8;
	c.entry_size = sizeof(cs[0]);
	c.entries = (uintptr_t)unmapped_address();
	EXPECT("STATS into unmapped memory", dc_ioctl(fd, DMACOPY_IOC_STATS, &c),
	       channels ? -EFAULT : 0);
}

/* RLIMIT_MEMLOCK: runs in a child that drops CAP_IPC_LOCK. */
static void memlock_child(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	struct rlimit rl = {1 << 20, 1 << 20};
	char *buf = anon_map(4 << 20, false);
	uint32_t h1, h2;
	int fd = dc_open();

	failures = 0;
	if (syscall(SYS_capget, &hdr, data))
		die("capget: %s", strerror(errno));
	data[0].effective &= ~(1u << CAP_IPC_LOCK);
	data[0].permitted &= ~(1u << CAP_IPC_LOCK);
	if (syscall(SYS_capset, &hdr, data) || setrlimit(RLIMIT_MEMLOCK, &rl))
		die("dropping CAP_IPC_LOCK: %s", strerror(errno));
	EXPECT("memlock 1 MiB: register 2 MiB", dc_register(fd, buf, 2 << 20, 0, NULL), -ENOMEM);
	EXPECT("memlock 1 MiB: register 512 KiB", dc_register(fd, buf, 512 << 10, 0, &h1), 0);
	EXPECT("memlock 1 MiB: register 512 KiB more", dc_register(fd, buf, 512 << 10, 0, &h2), 0);
	EXPECT("memlock 1 MiB: register 1 byte more", dc_register(fd, buf, 1, 0, NULL), -ENOMEM);
	EXPECT("memlock 1 MiB: unregister 512 KiB", dc_unregister(fd, h1), 0);
	EXPECT("memlock 1 MiB: register 4 KiB", dc_register(fd, buf, 4096, 0, NULL), 0);
	close(fd);
	EXPECT("memlock 1 MiB: after close, register 1 MiB", ({
		       int fd2 = dc_open();
		       long r = dc_register(fd2, buf, 1 << 20, 0, NULL);

		       close(fd2);
		       r;
	       }),
	       0);
	exit(failures ? 1 : 0);
}

static void memlock_table(void)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (!pid)
		memlock_child();
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		failures++;
		printf("FAIL  RLIMIT_MEMLOCK checks (see above)\n");
	}
}

/*
 * --busy, on a stalled engine that the caller resumes a few seconds later: a
 * registration is busy while a copy uses it, still after the copy timed out,
 * and free once the engine finally completed it.
 */
static int busy_check(void)
{
	char *buf = anon_map(1 << 20, false);
	struct dmacopy_sqe sqe;
	struct dmacopy_cqe cqe;
	uint32_t h;
	long r = -EBUSY;
	int fd = dc_open(), i;

	EXPECT("register", dc_register(fd, buf, 1 << 20, 0, &h), 0);
	sqe_set(&sqe, h, 0, h, 65536, 4096);
	EXPECT("submit a copy to the stalled engine", dc_submit(fd, &sqe, 1, NULL), 0);
	EXPECT("unregister while it is in flight", dc_unregister(fd, h), -EBUSY);
	EXPECT("wait for its completion", dc_wait(fd, &cqe, 1, 1, 30000000000LL), 1);
	EXPECT("  it timed out", cqe.status, -ETIMEDOUT);
	EXPECT("  error code", cqe.error, DMACOPY_ERR_TIMEOUT);
	EXPECT("unregister after the timeout, engine still stalled", dc_unregister(fd, h), -EBUSY);
	for (i = 0; i < 200 && r == -EBUSY; i++) {
		usleep(50000);
		r = dc_unregister(fd, h);
	}
	EXPECT("unregister once the engine completed the copy", r, 0);
	close(fd);
	printf("%s: %d checks, %d failed\n", test_name, checks, failures);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	bool channels = !(argc > 1 && !strcmp(argv[1], "--no-channel"));
	int fd;

	if (argc > 1 && !strcmp(argv[1], "--busy"))
		return busy_check();

	test_name = "kmod_abi";
	setvbuf(stdout, NULL, _IOLBF, 0);
	legacy_table(channels);
	printf("-- /dev/dmacopy\n");
	fd = dc_open();
	size_rules(fd);
	channels_table(fd, channels);
	register_table(fd);
	submit_table(fd, channels);
	close(fd);
	memlock_table();
	printf("%s: %d checks, %d failed\n", test_name, checks, failures);
	return failures ? 1 : 0;
}

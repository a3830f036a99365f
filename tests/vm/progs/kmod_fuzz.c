// SPDX-License-Identifier: BSD-3-Clause
/*
 * Randomised ioctl fuzzing of /dev/dmacopy and /dev/ioat-dma for a fixed time.
 *
 *   kmod_fuzz [-t SECONDS] [-p PROCS] [-s SEED]
 *
 * Each process mixes well-formed, mutated and garbage requests of every kind
 * (request numbers with any direction and size, NULL/unmapped/short/garbage
 * arguments, registrations, batches, reaps, waits, reads, polls, extra queues,
 * legacy copies, children after fork() using the parent's descriptors). Other
 * programs get its descriptors too: this program execve()d with them left open
 * (at most one a second: an exec is slow under emulation), and a helper it
 * started before opening anything, which receives them over a socket
 * (SCM_RIGHTS). Such a process throws random requests at them, then makes one
 * well-formed registration of its own memory through the session, which must
 * fail with EPERM (the session belongs to the process that opened it); any
 * other result fails the run. Memory it may legitimately register or copy into is an
 * anonymous arena and a device-dax arena, each between two guard zones that
 * nothing may change; legacy copies stay in the first 64 MiB of the device,
 * far from the device-dax arena. The guards are checked at the end, after all
 * files are closed; the kernel log is checked by the harness.
 */
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "kmod_util.h"

#define ARENA    (2u << 20)
#define DAX_BASE (512ULL << 20) /* device-dax slice of process 0 */
#define MAXH     32

struct area {
	unsigned char *base; /* guard | arena | guard, ARENA bytes each */
	unsigned char *guard_copy;
};

static uint64_t rs;
static int fd, lfd, qfds[4];
static uint32_t handles[MAXH];
static int nhandles;
static struct area anon_area, dax_area;
static unsigned char garbage[8192];
static unsigned long counts[16];

static void area_init(struct area *a, unsigned char *base)
{
	a->base = base;
	rnd_fill(&rs, base, 3 * ARENA);
	a->guard_copy = malloc(2 * ARENA);
	if (!a->guard_copy)
		die("malloc");
	memcpy(a->guard_copy, base, ARENA);
	memcpy(a->guard_copy + ARENA, base + 2 * ARENA, ARENA);
}

static void area_check(const struct area *a, const char *what)
{
	if (memcmp(a->guard_copy, a->base, ARENA))
		die("%s: guard zone below the arena changed", what);
	if (memcmp(a->guard_copy + ARENA, a->base + 2 * ARENA, ARENA))
		die("%s: guard zone above the arena changed", what);
}

static uint64_t pick_u64(void)
{
	static const uint64_t special[] = {0,
	                                   1,
	                                   4095,
	                                   4096,
	                                   4097,
	                                   65536,
	                                   1 << 20,
	                                   2 << 20,
	                                   UINT32_MAX,
	                                   1ULL << 32,
	                                   INT64_MAX,
	                                   UINT64_MAX,
	                                   UINT64_MAX - 4095};

	switch (rnd_below(&rs, 4)) {
	case 0:
		return special[rnd_below(&rs, sizeof(special) / sizeof(special[0]))];
	case 1:
		return rnd_below(&rs, 1 << 22);
	default:
		return rnd_next(&rs);
	}
}

/* An address inside an arena (may be registered) or one that is clearly invalid. */
static uint64_t pick_addr(uint64_t *len)
{
	const struct area *a = rnd_below(&rs, 2) ? &anon_area : &dax_area;
	uint64_t off;

	switch (rnd_below(&rs, 5)) {
	case 0:
		*len = pick_u64();
		return pick_u64() | 0xffff000000000000ULL; /* kernel half */
	case 1:
		*len = pick_u64();
		return 0;
	default:
		off = rnd_below(&rs, ARENA);
		*len = 1 + rnd_below(&rs, ARENA - off);
		return (uintptr_t)a->base + ARENA + off;
	}
}

#define NO_PTR SIZE_MAX

/*
 * An argument pointer: NULL, unmapped, garbage, or the prepared buffer, maybe
 * with a few bytes changed. The 8 bytes at ptr (a user pointer the module
 * writes through) are never changed: a pointer with one byte flipped could
 * point into this program's own data, which the module would rightly write.
 */
static void *pick_arg(void *good, size_t len, size_t ptr)
{
	switch (rnd_below(&rs, 8)) {
	case 0:
		return NULL;
	case 1:
		return (void *)(uintptr_t)(pick_u64() | 0x100000000000ULL);
	case 2:
		rnd_fill(&rs, garbage, sizeof(garbage));
		if (rnd_below(&rs, 2))
			*(uint32_t *)garbage = (uint32_t)rnd_below(&rs, 200);
		return garbage;
	case 3:
		/* the prepared argument with a few random bytes */
		{
			unsigned char *p = good;
			int k = 1 + (int)rnd_below(&rs, 3);

			size_t at;

			while (k--) {
				at = rnd_below(&rs, len);
				if (ptr == NO_PTR || at < ptr || at >= ptr + 8)
					p[at] ^= (unsigned char)rnd_next(&rs);
			}
		}
		return good;
	default:
		return good;
	}
}

static int pick_fd(void)
{
	int i = (int)rnd_below(&rs, 6);

	if (i < 4 && qfds[i] >= 0)
		return qfds[i];
	return fd;
}

static uint32_t pick_handle(void)
{
	if (nhandles && rnd_below(&rs, 8))
		return handles[rnd_below(&rs, nhandles)];
	return (uint32_t)pick_u64();
}

static void fuzz_register(void)
{
	struct dmacopy_register r = {.size = sizeof(r)};
	uint64_t len;
	long ret;

	r.addr = pick_addr(&len);
	r.len = len;
	r.flags = rnd_below(&rs, 4) ? (uint32_t)rnd_below(&rs, 2) : (uint32_t)rnd_next(&rs);
	if (rnd_below(&rs, 16) == 0)
		r.size = (uint32_t)pick_u64();
	ret = dc_ioctl(pick_fd(), DMACOPY_IOC_REGISTER, &r);
	if (!ret && r.handle && nhandles < MAXH)
		handles[nhandles++] = r.handle;
	else if (!ret)
		dc_unregister(fd, r.handle);
}

static void fuzz_unregister(void)
{
	struct dmacopy_unregister u = {.size = sizeof(u)};
	int i;

	if (!nhandles)
		return;
	i = (int)rnd_below(&rs, nhandles);
	u.handle = rnd_below(&rs, 8) ? handles[i] : (uint32_t)pick_u64();
	if (!dc_ioctl(pick_fd(), DMACOPY_IOC_UNREGISTER, pick_arg(&u, sizeof(u), NO_PTR)) &&
	    u.handle == handles[i])
		handles[i] = handles[--nhandles];
}

static void fuzz_submit(void)
{
	static struct dmacopy_sqe sqe[300];
	struct dmacopy_submit s = {.size = sizeof(s), .sqe_size = sizeof(sqe[0])};
	uint32_t n = 1 + (uint32_t)rnd_below(&rs, rnd_below(&rs, 4) ? 16 : 300), i;

	for (i = 0; i < n; i++) {
		memset(&sqe[i], 0, sizeof(sqe[i]));
		sqe[i].user_data = rnd_next(&rs);
		sqe[i].dst_handle = pick_handle();
		sqe[i].src_handle = pick_handle();
		sqe[i].dst_offset = rnd_below(&rs, 8) ? rnd_below(&rs, ARENA) : pick_u64();
		sqe[i].src_offset = rnd_below(&rs, 8) ? rnd_below(&rs, ARENA) : pick_u64();
		sqe[i].len = rnd_below(&rs, 8) ? 1 + rnd_below(&rs, 1 << rnd_below(&rs, 20))
		                               : pick_u64();
		if (rnd_below(&rs, 32) == 0)
			sqe[i].flags = (uint32_t)rnd_next(&rs);
	}
	s.count = rnd_below(&rs, 16) ? n : (uint32_t)pick_u64();
	if (s.count > 300)
		s.count = rnd_below(&rs, 2) ? s.count : 300;
	s.sqes = (uintptr_t)sqe;
	if (rnd_below(&rs, 16) == 0)
		s.sqe_size = (uint32_t)pick_u64();
	dc_ioctl(pick_fd(), DMACOPY_IOC_SUBMIT,
	         pick_arg(&s, sizeof(s), offsetof(struct dmacopy_submit, sqes)));
}

/*
 * Where the module writes completions and channel entries: 1 MiB each, the most
 * any (mutated) count can make it write, in mappings of their own.
 */
static struct dmacopy_cqe *cqe_sink;
static unsigned char *entry_sink;

static void fuzz_reap(void)
{
	struct dmacopy_cqe *cqe = cqe_sink;
	struct dmacopy_reap r = {.size = sizeof(r), .cqe_size = sizeof(cqe[0])};
	bool wait = rnd_below(&rs, 2);

	r.max = (uint32_t)rnd_below(&rs, 80);
	r.cqes = rnd_below(&rs, 8) ? (uintptr_t)cqe : pick_u64();
	if (wait) {
		r.min = (uint32_t)rnd_below(&rs, 4);
		r.timeout_ns = (int64_t)rnd_below(&rs, 5000000);
	}
	dc_ioctl(pick_fd(), wait ? DMACOPY_IOC_WAIT : DMACOPY_IOC_REAP,
	         pick_arg(&r, sizeof(r), offsetof(struct dmacopy_reap, cqes)));
}

static void fuzz_raw_ioctl(void)
{
	unsigned long cmd;
	unsigned char buf[512];

	rnd_fill(&rs, buf, sizeof(buf));
	*(uint32_t *)buf = (uint32_t)rnd_below(&rs, 160);
	cmd = _IOC(rnd_below(&rs, 4), rnd_below(&rs, 4) ? DMACOPY_IOC_MAGIC : 0xad,
	           rnd_below(&rs, 16), rnd_below(&rs, 200));
	if (rnd_below(&rs, 8) == 0)
		cmd = (unsigned long)rnd_next(&rs) & 0xffffffff;
	/* Garbage register/submit arguments are harmless: addresses are random 64-bit. */
	dc_ioctl(rnd_below(&rs, 2) ? pick_fd() : lfd, cmd, pick_arg(buf, sizeof(buf), NO_PTR));
}

static void fuzz_info(void)
{
	union {
		struct dmacopy_info info;
		struct dmacopy_channels ch;
	} u;
	unsigned char *entries = entry_sink;

	memset(&u, 0, sizeof(u));
	if (rnd_below(&rs, 2)) {
		u.info.size = sizeof(u.info);
		dc_ioctl(pick_fd(), DMACOPY_IOC_INFO, pick_arg(&u, sizeof(u.info), NO_PTR));
		return;
	}
	u.ch.size = sizeof(u.ch);
	u.ch.count = (uint32_t)rnd_below(&rs, 40);
	u.ch.entry_size = (uint32_t)(rnd_below(&rs, 2) ? 112 : rnd_below(&rs, 300));
	u.ch.entries = rnd_below(&rs, 4) ? (uintptr_t)entries : pick_u64();
	dc_ioctl(pick_fd(), rnd_below(&rs, 2) ? DMACOPY_IOC_CHANNELS : DMACOPY_IOC_STATS,
	         pick_arg(&u, sizeof(u.ch), offsetof(struct dmacopy_channels, entries)));
}

static void fuzz_queue(void)
{
	struct dmacopy_queue_create c = {.size = sizeof(c)};
	int i = (int)rnd_below(&rs, 4);

	if (qfds[i] >= 0) {
		close(qfds[i]);
		qfds[i] = -1;
		return;
	}
	c.cq_entries = (uint32_t)(rnd_below(&rs, 4) ? rnd_below(&rs, 64) : pick_u64());
	if (rnd_below(&rs, 4) == 0)
		snprintf(c.channel, sizeof(c.channel), "dma%dchan0", (int)rnd_below(&rs, 5));
	if (!dc_ioctl(fd, DMACOPY_IOC_QUEUE_CREATE, pick_arg(&c, sizeof(c), NO_PTR)) && c.fd > 2)
		qfds[i] = c.fd;
}

static void fuzz_read_poll(void)
{
	static unsigned char buf[1024];
	struct pollfd p = {.fd = pick_fd(), .events = POLLIN | POLLOUT};
	int flags = fcntl(p.fd, F_GETFL);

	if (rnd_below(&rs, 2)) {
		poll(&p, 1, (int)rnd_below(&rs, 3));
		return;
	}
	fcntl(p.fd, F_SETFL, flags | O_NONBLOCK);
	if (read(p.fd, rnd_below(&rs, 8) ? (void *)buf : (void *)(uintptr_t)pick_u64(),
	         rnd_below(&rs, sizeof(buf))) < 0 &&
	    errno == EINTR)
		die("read interrupted");
	fcntl(p.fd, F_SETFL, flags);
}

static void fuzz_legacy(void)
{
	struct ioctl_dma_args a;
	static const char *const names[] = {DAX_PATH, "/dev/null", "/dev/dmacopy", "/", ""};

	memset(&a, 0, sizeof(a));
	if (rnd_below(&rs, 8))
		snprintf(a.device_name, sizeof(a.device_name), "%s",
		         names[rnd_below(&rs, rnd_below(&rs, 4) ? 1 : 5)]);
	else
		rnd_fill(&rs, a.device_name, sizeof(a.device_name));
	a.src_offset = rnd_below(&rs, 4) ? rnd_below(&rs, 32 << 20) : pick_u64();
	a.dst_offset = rnd_below(&rs, 4) ? (32 << 20) + rnd_below(&rs, 32 << 20) : pick_u64();
	a.size = rnd_below(&rs, 4) ? 1 + rnd_below(&rs, 1 << 20) : pick_u64();
	/* Never mutated: a flipped offset bit could reach the device-dax arena. */
	switch (rnd_below(&rs, 8)) {
	case 0:
		dc_ioctl(lfd, IOCTL_IOAT_DMA_SUBMIT, NULL);
		break;
	case 1:
		dc_ioctl(lfd, IOCTL_IOAT_DMA_SUBMIT, (void *)(uintptr_t)(pick_u64() | 1ULL << 44));
		break;
	default:
		dc_ioctl(lfd, IOCTL_IOAT_DMA_SUBMIT, &a);
		break;
	}
}

/*
 * A child after fork() throws a few random requests at the parent's
 * descriptors: the state-changing ones must fail (EPERM, the session is the
 * parent's), none may disturb the parent. The child's own arena copies are
 * private; it exits without checking anything.
 */
static void fuzz_fork(void)
{
	void (*const child_actions[])(void) = {fuzz_register, fuzz_unregister, fuzz_submit,
	                                       fuzz_reap,     fuzz_queue,      fuzz_read_poll};
	pid_t pid;
	int i, status;

	if (rnd_below(&rs, 4))	/* forking is slow under emulation: a quarter of the draws */
		return;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return;
	if (!pid) {
		rs ^= (uint64_t)getpid() << 17;
		for (i = 0; i < 16; i++)
			child_actions[rnd_below(&rs, sizeof(child_actions) / sizeof(child_actions[0]))]();
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		die("a forked child died (status %#x)", status);
}

/*
 * In a process that did not open the session (execve()d with its descriptors, or the SCM_RIGHTS
 * receiver): 16 random requests, then a well-formed registration of this process's own memory
 * through the session, which must fail with EPERM. 0, or 1 with a note of what happened.
 */
static int foreign_round(const char *how)
{
	void (*const acts[])(void) = {fuzz_register, fuzz_unregister, fuzz_submit,
	                              fuzz_reap,     fuzz_queue,      fuzz_read_poll};
	struct dmacopy_register r = {.size = sizeof(r)};
	long ret;
	int i;

	for (i = 0; i < 16; i++)
		acts[rnd_below(&rs, sizeof(acts) / sizeof(acts[0]))]();
	r.addr = (uintptr_t)anon_area.base + ARENA;
	r.len = ARENA;
	ret = dc_ioctl(fd, DMACOPY_IOC_REGISTER, &r);
	if (ret == -EPERM)
		return 0;
	note("%s: a well-formed REGISTER through the opener's session returned %ld, expected %d "
	     "(EPERM)", how, ret, -EPERM);
	return 1;
}

/* The arenas of a foreign process: its own anonymous memory for both (no device-dax). */
static void foreign_setup(uint64_t seed)
{
	int i;

	rs = seed;
	cqe_sink = anon_map(1 << 20, false);
	entry_sink = anon_map(1 << 20, false);
	area_init(&anon_area, anon_map(3 * ARENA, false));
	dax_area = anon_area;
	for (i = 0; i < 4; i++)
		qfds[i] = -1;
}

/* kmod_fuzz -X exec FD LFD QFD SEED: the program execve()d with the session's descriptors. */
static int exec_child(char **argv)
{
	foreign_setup(strtoull(argv[4], NULL, 0));
	fd = atoi(argv[1]);
	lfd = atoi(argv[2]);
	qfds[0] = atoi(argv[3]);
	return foreign_round("after execve()");
}

/*
 * kmod_fuzz -X recv SOCK SEED: the helper that receives a fuzzer's descriptors (session, legacy,
 * maybe a queue) over SOCK, one message at a time, runs foreign_round() on them, closes them and
 * answers with one byte (0: as expected). Ends with the socket; exit status 1 if a round failed.
 */
static int recv_child(char **argv)
{
	int sock = atoi(argv[1]), failed = 0;

	foreign_setup(strtoull(argv[2], NULL, 0));
	for (;;) {
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(3 * sizeof(int))];
		} u;
		int fds[3] = {-1, -1, -1}, n = 0, i;
		uint64_t seed;
		struct iovec iov = {.iov_base = &seed, .iov_len = sizeof(seed)};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
		                   .msg_controllen = sizeof(u.buf)};
		struct cmsghdr *c;
		unsigned char ack;
		ssize_t got = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);

		if (got <= 0)
			return failed;
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
				memcpy(fds, CMSG_DATA(c), (size_t)n * sizeof(int));
			}
		}
		if (n < 2) {
			note("SCM_RIGHTS: %d descriptors received, expected 2 or 3", n);
			return 1;
		}
		rs ^= seed;
		fd = fds[0];
		lfd = fds[1];
		qfds[0] = fds[2];
		ack = (unsigned char)foreign_round("received over SCM_RIGHTS");
		failed |= ack;
		/* the queue received is qfds[0] unless a request closed it (and maybe reused it) */
		for (i = 0; i < 4; i++) {
			if (qfds[i] >= 0)
				close(qfds[i]);
			qfds[i] = -1;
		}
		close(fds[0]);
		close(fds[1]);
		if (write(sock, &ack, 1) != 1)
			return 1;
	}
}

static double next_exec;
static int pass_sock = -1;
static pid_t pass_pid;
static unsigned long execs, passes;

/* This program execve()d with the session, legacy and a queue descriptor left open. */
static void fuzz_exec(void)
{
	char a[4][24];
	pid_t pid;
	int status, q = qfds[rnd_below(&rs, 4)];

	if (now_sec() < next_exec)
		return;
	next_exec = now_sec() + 1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return;
	if (!pid) {
		fcntl(fd, F_SETFD, 0);
		fcntl(lfd, F_SETFD, 0);
		if (q >= 0)
			fcntl(q, F_SETFD, 0);
		snprintf(a[0], sizeof(a[0]), "%d", fd);
		snprintf(a[1], sizeof(a[1]), "%d", lfd);
		snprintf(a[2], sizeof(a[2]), "%d", q);
		snprintf(a[3], sizeof(a[3]), "%llu", (unsigned long long)rnd_next(&rs));
		execl("/proc/self/exe", "kmod_fuzz", "-X", "exec", a[0], a[1], a[2], a[3],
		      (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		die("the program execve()d with the session's descriptors failed (status %#x)", status);
	execs++;
}

/* The session, legacy and maybe a queue descriptor to the receiver, over SCM_RIGHTS. */
static void fuzz_pass(void)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(3 * sizeof(int))];
	} u;
	int fds[3] = {fd, lfd, qfds[rnd_below(&rs, 4)]}, n = fds[2] >= 0 ? 3 : 2;
	uint64_t seed = rnd_next(&rs);
	struct iovec iov = {.iov_base = &seed, .iov_len = sizeof(seed)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
	                   .msg_controllen = CMSG_SPACE((size_t)n * sizeof(int))};
	struct cmsghdr *c;
	unsigned char ack;

	if (pass_sock < 0 || rnd_below(&rs, 2))
		return;
	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
	memcpy(CMSG_DATA(c), fds, (size_t)n * sizeof(int));
	if (sendmsg(pass_sock, &m, 0) != (ssize_t)sizeof(seed))
		die("sendmsg to the receiver: %s", strerror(errno));
	if (read(pass_sock, &ack, 1) != 1)
		die("the SCM_RIGHTS receiver did not answer");
	if (ack)
		die("the SCM_RIGHTS receiver reached the session (see its note above)");
	passes++;
}

/* Start the SCM_RIGHTS receiver: forked and execve()d before this process opens anything. */
static void start_receiver(void)
{
	int sv[2];
	char a[2][24];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		die("socketpair: %s", strerror(errno));
	fflush(stdout);
	pass_pid = fork();
	if (pass_pid < 0)
		die("fork: %s", strerror(errno));
	if (!pass_pid) {
		fcntl(sv[1], F_SETFD, 0);
		snprintf(a[0], sizeof(a[0]), "%d", sv[1]);
		snprintf(a[1], sizeof(a[1]), "%llu", (unsigned long long)rnd_next(&rs));
		execl("/proc/self/exe", "kmod_fuzz", "-X", "recv", a[0], a[1], (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	pass_sock = sv[0];
}

static void stop_receiver(void)
{
	int status;

	close(pass_sock);
	if (waitpid(pass_pid, &status, 0) != pass_pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("the SCM_RIGHTS receiver failed (status %#x)", status);
}

static void fuzzer(int id, double seconds, uint64_t seed)
{
	void (*const actions[])(void) = {
	        fuzz_register,  fuzz_unregister, fuzz_submit, fuzz_submit,    fuzz_reap,   fuzz_reap,
	        fuzz_raw_ioctl, fuzz_info,       fuzz_queue,  fuzz_read_poll, fuzz_legacy, fuzz_fork,
	        fuzz_exec,      fuzz_pass};
	const int nactions = sizeof(actions) / sizeof(actions[0]);
	unsigned long total = 0;
	double end = now_sec() + seconds;
	int i, a;

	rs = seed * 0x9e3779b97f4a7c15ULL + (uint64_t)id + 1;
	start_receiver();
	cqe_sink = anon_map(1 << 20, false);
	entry_sink = anon_map(1 << 20, false);
	area_init(&anon_area, anon_map(3 * ARENA, false));
	area_init(&dax_area, dax_map(DAX_BASE + (uint64_t)id * 3 * ARENA, 3 * ARENA));
	fd = dc_open();
	lfd = open("/dev/ioat-dma", O_RDWR | O_CLOEXEC);
	if (lfd < 0)
		die("open /dev/ioat-dma: %s", strerror(errno));
	for (i = 0; i < 4; i++)
		qfds[i] = -1;

	while (now_sec() < end) {
		for (i = 0; i < 64; i++) {
			a = (int)rnd_below(&rs, nactions);
			actions[a]();
			counts[a]++;
			total++;
		}
	}
	for (i = 0; i < 4; i++)
		if (qfds[i] >= 0)
			close(qfds[i]);
	close(fd);
	close(lfd);
	stop_receiver();
	area_check(&anon_area, "anonymous arena");
	area_check(&dax_area, "device-dax arena");
	note("process %d: %lu requests (%lu registrations, %lu submissions, %lu legacy, %lu fork "
	     "draws, %lu execve()s and %lu SCM_RIGHTS passes refused as expected), guards intact",
	     id, total, counts[0], counts[2] + counts[3], counts[10], counts[11], execs, passes);
	exit(0);
}

int main(int argc, char **argv)
{
	uint64_t seed = (uint64_t)time(NULL);
	double seconds = 10;
	int procs = 2, opt, i, status, failed = 0;
	pid_t pid;

	test_name = "kmod_fuzz";
	if (argc == 7 && !strcmp(argv[1], "-X") && !strcmp(argv[2], "exec"))
		return exec_child(argv + 2);
	if (argc == 5 && !strcmp(argv[1], "-X") && !strcmp(argv[2], "recv"))
		return recv_child(argv + 2);
	while ((opt = getopt(argc, argv, "t:p:s:")) != -1) {
		switch (opt) {
		case 't':
			seconds = atof(optarg);
			break;
		case 'p':
			procs = atoi(optarg);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-t SECONDS] [-p PROCS] [-s SEED]\n", argv[0]);
			return 2;
		}
	}
	if (DAX_BASE + (uint64_t)procs * 3 * ARENA > dax_size())
		die("%s is too small", DAX_PATH);
	note("%d processes for %.0f s, seed %llu", procs, seconds, (unsigned long long)seed);
	for (i = 0; i < procs; i++) {
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (!pid)
			fuzzer(i, seconds, seed);
	}
	while (wait(&status) > 0)
		failed += !WIFEXITED(status) || WEXITSTATUS(status);
	if (failed)
		die("%d of %d fuzzing processes failed", failed, procs);
	return 0;
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * dmacopy.ko's limits and ownership rules, tried as a hostile or careless
 * user would (each case names what it guards against):
 *
 *   kmod_harden owner            a session serves only the process that opened it:
 *                                fork(), execve() without O_CLOEXEC, SCM_RIGHTS
 *   kmod_harden memlock          RLIMIT_MEMLOCK holds per user across processes
 *   kmod_harden files DIR        writable pins of shared ordinary-file pages refused
 *                                (DIR: a directory on a real file system, e.g. ext4)
 *   kmod_harden daxmix           a range mixing device-dax and other memory refused
 *   kmod_harden register         REGISTER publishes a handle only when done with it
 *                                (one held in its write-back by userfaultfd, and a race)
 *   kmod_harden queues           per-session caps on queues and ring entries
 *   kmod_harden cgroup           queue rings charged to the memory cgroup (run
 *                                inside one with a small memory.max)
 *   kmod_harden daxrace SECONDS  register and unregister device-dax memory in a loop while
 *                                the script unbinds the device (the unbind must not hang)
 *
 * /dev/dmacopy must be accessible to user nobody for memlock (the script does it).
 */
#define _GNU_SOURCE
#include <grp.h>
#include <linux/capability.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kmod_util.h"
#include "kmod_check.h"

/* One copy within registration h ([0, 4K) -> [64K, 68K)), waited for and verified. */
static long copy_verified(int fd, uint32_t h, unsigned char *buf)
{
	struct dmacopy_sqe sqe;
	struct dmacopy_cqe cqe;
	long r;
	int i;

	for (i = 0; i < 4096; i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	memset(buf + 65536, 0, 4096);
	sqe_set(&sqe, h, 65536, h, 0, 4096);
	r = dc_submit(fd, &sqe, 1, NULL);
	if (r)
		return r;
	r = dc_wait(fd, &cqe, 1, 1, 10000000000LL);
	if (r != 1)
		return r < 0 ? r : -EIO;
	if (cqe.status)
		return cqe.status;
	return memcmp(buf, buf + 65536, 4096) ? -EILSEQ : 0;
}

static long child_status(pid_t pid)
{
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -ECHILD;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Every state-changing request on a session fd this process did not open: EPERM. */
static int foreign_requests(int fd, uint32_t h, const char *how)
{
	struct dmacopy_queue_create qc = {.size = sizeof(qc)};
	struct dmacopy_cqe cqe[4];
	struct dmacopy_info info;
	struct dmacopy_sqe sqe;
	char *buf = anon_map(1 << 20, false);
	char what[96];
	int before = failures;

	sqe_set(&sqe, h, 65536, h, 0, 4096);
	snprintf(what, sizeof(what), "%s: REGISTER", how);
	EXPECT(what, dc_register(fd, buf, 1 << 20, 0, NULL), -EPERM);
	snprintf(what, sizeof(what), "%s: SUBMIT on the opener's handle", how);
	EXPECT(what, dc_submit(fd, &sqe, 1, NULL), -EPERM);
	snprintf(what, sizeof(what), "%s: UNREGISTER the opener's handle", how);
	EXPECT(what, dc_unregister(fd, h), -EPERM);
	snprintf(what, sizeof(what), "%s: QUEUE_CREATE", how);
	EXPECT(what, dc_ioctl(fd, DMACOPY_IOC_QUEUE_CREATE, &qc), -EPERM);
	snprintf(what, sizeof(what), "%s: INFO still answers", how);
	EXPECT(what, dc_info(fd, &info), 0);
	snprintf(what, sizeof(what), "%s: REAP still answers (nothing there)", how);
	EXPECT(what, dc_reap(fd, cqe, 4), 0);
	return failures > before;
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	char byte = 'x';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
	                     .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
	                     .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -errno;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static int owner_cases(const char *self)
{
	unsigned char *buf = anon_map(1 << 20, false);
	int fd = open("/dev/dmacopy", O_RDWR), sv[2], got;	/* no O_CLOEXEC on purpose */
	char fdarg[16], harg[16];
	uint32_t h;
	pid_t pid;

	if (fd < 0)
		die("open /dev/dmacopy: %s", strerror(errno));
	EXPECT("opener: register 1 MiB", dc_register(fd, buf, 1 << 20, 0, &h), 0);
	EXPECT("opener: a copy works", copy_verified(fd, h, buf), 0);

	/* 1. A child after fork() uses the inherited descriptor. */
	fflush(stdout);
	pid = fork();
	if (!pid)
		_exit(foreign_requests(fd, h, "child after fork"));
	EXPECT("child after fork: every state change refused", child_status(pid), 0);

	/* 2. A new program after execve(), the descriptor kept open. */
	snprintf(fdarg, sizeof(fdarg), "%d", fd);
	snprintf(harg, sizeof(harg), "%u", h);
	fflush(stdout);
	pid = fork();
	if (!pid) {
		execl(self, self, "exec-child", fdarg, harg, (char *)NULL);
		_exit(127);
	}
	EXPECT("program after execve: every state change refused", child_status(pid), 0);

	/* 3. A descriptor passed over a socket to a process that did not open it. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (!pid) {
		int theirs = dc_open(), ret;
		uint32_t th;
		unsigned char *b = anon_map(1 << 20, false);
		char ack;

		ret = dc_register(theirs, b, 1 << 20, 0, &th) || send_fd(sv[1], theirs);
		/* Keep it open until the receiver is done. */
		if (!ret && read(sv[1], &ack, 1) != 1)
			ret = 1;
		_exit(ret ? 1 : 0);
	}
	got = recv_fd(sv[0]);
	if (got < 0)
		die("receiving a descriptor: %s", strerror(-got));
	failures += foreign_requests(got, 1, "receiver of SCM_RIGHTS");
	checks++;
	if (write(sv[0], "x", 1) != 1)
		die("socket write: %s", strerror(errno));
	EXPECT("sender: registered and passed its descriptor", child_status(pid), 0);
	close(got);

	/* The opener is unaffected. */
	EXPECT("opener: a copy still works", copy_verified(fd, h, buf), 0);
	EXPECT("opener: unregister", dc_unregister(fd, h), 0);
	close(fd);
	return 0;
}

/* Drop to user nobody with a MEMLOCK limit of 16 MiB (no CAP_IPC_LOCK). */
static void become_nobody(void)
{
	struct rlimit rl = {16 << 20, 16 << 20};

	if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgroups(0, NULL) || setgid(65534) ||
	    setuid(65534))
		die("becoming nobody with memlock 16 MiB: %s", strerror(errno));
}

static long vm_pin_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/*
 * 8 processes of one user, each with its own /dev/dmacopy, each asking for
 * 12 MiB with a per-process limit of 16 MiB: only one fits in the user's 16
 * MiB. Then the fork-and-inherit variant of the same attack.
 */
static int memlock_cases(void)
{
	int go[2], done[2], i, ok = 0, nomem = 0, other = 0;
	pid_t pids[8];
	char c;

	if (pipe(go) || pipe(done))
		die("pipe: %s", strerror(errno));
	fflush(stdout);
	for (i = 0; i < 8; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork: %s", strerror(errno));
		if (!pids[i]) {
			char *buf;
			long r;
			int fd;

			become_nobody();
			buf = anon_map(12 << 20, false);
			fd = dc_open();
			r = dc_register(fd, buf, 12 << 20, 0, NULL);
			c = r == 0 ? 'y' : r == -ENOMEM ? 'n' : '?';
			if (r == 0 && vm_pin_kib() != 12 << 10)
				c = 'v';
			if (write(done[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
				_exit(2);
			_exit(0);
		}
	}
	for (i = 0; i < 8; i++) {
		if (read(done[0], &c, 1) != 1)
			die("reading a child's result");
		ok += c == 'y';
		nomem += c == 'n';
		other += c != 'y' && c != 'n';
	}
	/* All registrations are held now; release them together. */
	for (i = 0; i < 8; i++)
		if (write(go[1], "x", 1) != 1)
			die("pipe write");
	for (i = 0; i < 8; i++)
		child_status(pids[i]);
	note("8 processes of user nobody, 12 MiB each, memlock 16 MiB: %d registered, %d ENOMEM, "
	     "%d other",
	     ok, nomem, other);
	EXPECT("one user's processes: registrations that fit in RLIMIT_MEMLOCK", ok, 1);
	EXPECT("one user's processes: refused with ENOMEM", nomem, 7);
	EXPECT("one user's processes: no other outcome (VmPin shows the pin)", other, 0);

	/* The charge went with the processes: one 12 MiB registration fits again. */
	fflush(stdout);
	i = fork();
	if (!i) {
		char *buf;
		int fd;

		become_nobody();
		buf = anon_map(12 << 20, false);
		fd = dc_open();
		_exit(dc_register(fd, buf, 12 << 20, 0, NULL) ? 1 : 0);
	}
	EXPECT("after they exited: 12 MiB registers again", child_status(i), 0);

	/* The attack from the issue: one open descriptor, 8 children registering through it. */
	fflush(stdout);
	i = fork();
	if (!i) {
		int fd, k, n_ok = 0, n_perm = 0;
		pid_t kids[8];

		become_nobody();
		fd = dc_open();
		for (k = 0; k < 8; k++) {
			kids[k] = fork();
			if (!kids[k]) {
				char *buf = anon_map(12 << 20, false);
				long r = dc_register(fd, buf, 12 << 20, 0, NULL);

				_exit(r == 0 ? 0 : r == -EPERM ? 1 : 2);
			}
		}
		for (k = 0; k < 8; k++) {
			long st = child_status(kids[k]);

			n_ok += st == 0;
			n_perm += st == 1;
		}
		printf("      children registering through the parent's descriptor: %d ok, %d "
		       "EPERM\n",
		       n_ok, n_perm);
		_exit(n_perm == 8 ? 0 : 1);
	}
	EXPECT("8 children through one inherited descriptor: all refused (EPERM)",
	       child_status(i), 0);
	return 0;
}

static int files_cases(const char *dir)
{
	char path[512];
	size_t len = 1 << 20;
	unsigned char *shared, *priv, *ro, *shm, *sanon;
	uint32_t h;
	int fd = dc_open(), ffd, mfd;

	snprintf(path, sizeof(path), "%s/kmod_harden.data", dir);
	ffd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (ffd < 0 || ftruncate(ffd, (off_t)len))
		die("creating %s: %s", path, strerror(errno));
	shared = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, ffd, 0);
	priv = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, ffd, 0);
	ro = mmap(NULL, len, PROT_READ, MAP_SHARED, ffd, 0);
	mfd = memfd_create("kmod_harden", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, (off_t)len))
		die("memfd: %s", strerror(errno));
	shm = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	sanon = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED || priv == MAP_FAILED || ro == MAP_FAILED || shm == MAP_FAILED ||
	    sanon == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	memset(shared, 0x5a, len);

	EXPECT("shared file mapping, writable: refused",
	       dc_register(fd, shared, len, 0, NULL), -EOPNOTSUPP);
	EXPECT("shared file mapping, one page of it: refused",
	       dc_register(fd, shared + 8192, 4096, 0, NULL), -EOPNOTSUPP);
	EXPECT("shared file mapping, read-only registration: allowed",
	       dc_register(fd, shared, len, DMACOPY_REG_READONLY, &h), 0);
	EXPECT("  and unregistered", dc_unregister(fd, h), 0);
	EXPECT("read-only shared file mapping, read-only registration: allowed",
	       dc_register(fd, ro, len, DMACOPY_REG_READONLY, &h), 0);
	EXPECT("  and unregistered", dc_unregister(fd, h), 0);
	EXPECT("private file mapping, writable (private copies): allowed",
	       dc_register(fd, priv, len, 0, &h), 0);
	EXPECT("  a copy inside it works", copy_verified(fd, h, priv), 0);
	EXPECT("  and unregistered", dc_unregister(fd, h), 0);
	EXPECT("memfd (shmem) shared, writable: allowed", dc_register(fd, shm, len, 0, &h), 0);
	EXPECT("  a copy inside it works", copy_verified(fd, h, shm), 0);
	EXPECT("  and unregistered", dc_unregister(fd, h), 0);
	EXPECT("shared anonymous, writable: allowed", dc_register(fd, sanon, len, 0, &h), 0);
	EXPECT("  a copy inside it works", copy_verified(fd, h, sanon), 0);
	EXPECT("  and unregistered", dc_unregister(fd, h), 0);
	close(fd);
	close(ffd);
	close(mfd);
	unlink(path);
	return 0;
}

static int daxmix_cases(void)
{
	const size_t two = 2 << 20;
	int fd = dc_open(), dfd;
	char *base, *dax;
	uint32_t h;

	/* [base, base + 2M) anonymous, [base + 2M, base + 4M) /dev/dax0.0, 2 MiB aligned. */
	base = mmap(NULL, 3 * two, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	base = (char *)(((uintptr_t)base + two - 1) & ~(uintptr_t)(two - 1));
	dfd = open(DAX_PATH, O_RDWR | O_CLOEXEC);
	if (dfd < 0)
		die("open %s: %s", DAX_PATH, strerror(errno));
	dax = mmap(base + two, two, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, dfd, 0);
	if (dax != base + two)
		die("mapping %s next to anonymous memory: %s", DAX_PATH, strerror(errno));
	close(dfd);
	memset(base, 1, two);
	EXPECT("anonymous + device-dax in one range: refused",
	       dc_register(fd, base + two - 4096, 8192, 0, NULL), -EINVAL);
	EXPECT("the device-dax part alone: allowed", dc_register(fd, dax, two, 0, &h), 0);
	EXPECT("  and unregistered", dc_unregister(fd, h), 0);
	EXPECT("the anonymous part alone: allowed", dc_register(fd, base, two, 0, &h), 0);
	EXPECT("  and unregistered", dc_unregister(fd, h), 0);
	close(fd);
	return 0;
}

static long status_value(const char *key)
{
	char line[128], want[64];
	long v = -1;
	FILE *f = fopen("/sys/kernel/debug/dmacopy/status", "r");

	if (!f)
		die("cannot read /sys/kernel/debug/dmacopy/status (debugfs mounted?)");
	snprintf(want, sizeof(want), "%s: %%ld", key);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, want, &v) == 1)
			break;
	fclose(f);
	return v;
}

struct guess_arg {
	int fd;
	volatile int stop;
	long unregistered;
};

/* Unregister whatever handle exists, as a hostile thread guessing handles would. */
static void *guesser(void *p)
{
	struct guess_arg *g = p;
	uint32_t h;

	while (!g->stop)
		for (h = 1; h <= 16; h++)
			g->unregistered += dc_unregister(g->fd, h) == 0;
	return NULL;
}

struct stall_arg {
	int fd;
	struct dmacopy_register *ra;
	long ret;
};

static void *stalled_register(void *p)
{
	struct stall_arg *a = p;

	a->ret = dc_ioctl(a->fd, DMACOPY_IOC_REGISTER, a->ra);
	return NULL;
}

/*
 * A REGISTER held in the middle of writing its handle back: the argument's page is
 * write-protected through userfaultfd, so the write-back waits on this process. Meanwhile the
 * handle it is about to return must be unreachable (an UNREGISTER of it fails, another
 * REGISTER gets another one); then the write-back fails (the page made read-only, the fault
 * woken), and the failed REGISTER must take nothing with it but its own reservation.
 * Deterministic: no race to win.
 */
static int register_stalled_case(int fd, char *buf, long regs0)
{
	struct uffdio_api api = {.api = UFFD_API, .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP};
	struct uffdio_register ureg = {.mode = UFFDIO_REGISTER_MODE_WP};
	struct uffdio_writeprotect wp = {.mode = UFFDIO_WRITEPROTECT_MODE_WP};
	struct uffdio_range wake;
	struct stall_arg a = {.fd = fd};
	struct pollfd pfd;
	struct uffd_msg msg;
	uint32_t hb = 0;
	pthread_t t;
	char *page;
	int uffd;

	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		die("userfaultfd: %s (the stalled-REGISTER case needs it)", strerror(errno));
	if (ioctl(uffd, UFFDIO_API, &api))
		die("UFFDIO_API with write-protect faults: %s", strerror(errno));
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	a.ra = (struct dmacopy_register *)page;
	memset(page, 0, 4096);
	a.ra->size = sizeof(*a.ra);
	a.ra->addr = (uintptr_t)buf;
	a.ra->len = 1 << 20;
	ureg.range.start = wp.range.start = (uintptr_t)page;
	ureg.range.len = wp.range.len = 4096;
	wake = ureg.range;
	if (ioctl(uffd, UFFDIO_REGISTER, &ureg) || ioctl(uffd, UFFDIO_WRITEPROTECT, &wp))
		die("write-protecting the argument's page: %s", strerror(errno));
	if (pthread_create(&t, NULL, stalled_register, &a))
		die("pthread_create");

	/* The REGISTER reaches its write-back and waits there. */
	pfd = (struct pollfd){.fd = uffd, .events = POLLIN};
	if (poll(&pfd, 1, 10000) != 1 || read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		die("the stalled REGISTER never wrote its result back");
	EXPECT("stalled REGISTER: the write-back faults on the protected page",
	       msg.event == UFFD_EVENT_PAGEFAULT && (msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP) &&
		       msg.arg.pagefault.address - (uintptr_t)page < 4096, 1);
	/* Nothing else is registered on fd, so the handle being returned is 1. */
	EXPECT("  UNREGISTER of the handle it is returning", dc_unregister(fd, 1), -ENOENT);
	EXPECT("  another REGISTER meanwhile", dc_register(fd, buf, 4096, 0, &hb), 0);
	EXPECT("  gets another handle than the stalled one's", hb != 1, 1);

	/* The write-back fails: the page read-only, the waiting fault woken to find it so. */
	if (mprotect(page, 4096, PROT_READ) || ioctl(uffd, UFFDIO_WAKE, &wake))
		die("failing the write-back: %s", strerror(errno));
	pthread_join(t, NULL);
	EXPECT("  the stalled REGISTER fails", a.ret, -EFAULT);
	EXPECT("  the other registration is still there", dc_unregister(fd, hb), 0);
	EXPECT("  nothing else is left", status_value("registrations"), regs0);
	EXPECT("  handle 1 is free again", dc_unregister(fd, 1), -ENOENT);
	close(uffd);
	munmap(page, 4096);
	return 0;
}

static int register_cases(void)
{
	char *buf = anon_map(1 << 20, false);
	struct dmacopy_register *ra;
	struct guess_arg g = {0};
	long regs0 = status_value("registrations"), made = 0, r;
	pthread_t t;
	double t0;
	int fd = dc_open();

	/* The argument in a read-only page: the handle cannot be returned. */
	ra = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ra == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	memset(ra, 0, sizeof(*ra));
	ra->size = sizeof(*ra);
	ra->addr = (uintptr_t)buf;
	ra->len = 1 << 20;
	if (mprotect(ra, 4096, PROT_READ))
		die("mprotect: %s", strerror(errno));
	EXPECT("REGISTER whose result cannot be written back", dc_ioctl(fd, DMACOPY_IOC_REGISTER, ra),
	       -EFAULT);
	EXPECT("  left no registration behind", status_value("registrations"), regs0);
	EXPECT("  nor a handle: handle 1 is not registered", dc_unregister(fd, 1), -ENOENT);
	EXPECT("  the next registration gets handle 1",
	       ({
		       uint32_t h = 0;
		       long rr = dc_register(fd, buf, 4096, 0, &h);

		       rr ? rr : (long)h;
	       }),
	       1);
	EXPECT("  and unregistered", dc_unregister(fd, 1), 0);
	register_stalled_case(fd, buf, regs0);

	/* Register while another thread unregisters every handle it can guess. */
	g.fd = fd;
	if (pthread_create(&t, NULL, guesser, &g))
		die("pthread_create");
	t0 = now_sec();
	while (now_sec() - t0 < 2.0) {
		uint32_t h = 0;

		r = dc_register(fd, buf, 65536, 0, &h);
		if (r) {
			EXPECT("register racing with guessed unregisters", r, 0);
			break;
		}
		made++;
		/* Beyond what the other thread guesses: do not let them pile up. */
		if (h > 16)
			dc_unregister(fd, h);
	}
	g.stop = 1;
	pthread_join(t, NULL);
	for (uint32_t h = 1; h <= 64; h++)
		dc_unregister(fd, h);
	note("%ld registrations made while another thread unregistered %ld of them", made,
	     g.unregistered);
	checks++;
	if (made < 10 || g.unregistered < 1) {
		failures++;
		printf("FAIL  the race did not happen (%ld made, %ld unregistered)\n", made,
		       g.unregistered);
	}
	close(fd);
	EXPECT("after close: registrations back to where they were", status_value("registrations"),
	       regs0);
	EXPECT("after close: nothing pinned", status_value("pinned_pages"), 0);
	return 0;
}

static int queue_create(int fd, uint32_t entries)
{
	struct dmacopy_queue_create qc = {.size = sizeof(qc), .cq_entries = entries};
	long r = dc_ioctl(fd, DMACOPY_IOC_QUEUE_CREATE, &qc);

	return r ? (int)r : qc.fd;
}

static int queues_cases(void)
{
	struct dmacopy_info info;
	int fd = dc_open(), qfd[4096], n = 0, q, i;
	long r;

	EXPECT("INFO", dc_info(fd, &info), 0);
	note("max_queues %u, default ring %u entries", info.max_queues, info.cq_entries);
	checks++;
	if (info.max_queues < 2 || info.max_queues > 4096) {
		failures++;
		printf("FAIL  max_queues %u out of range\n", info.max_queues);
		return 0;
	}
	/* The open file is the session's first queue. */
	while (n < 4096 && (q = queue_create(fd, 1)) >= 0)
		qfd[n++] = q;
	EXPECT("queues created before the cap", n, (long)info.max_queues - 1);
	EXPECT("one more: refused", queue_create(fd, 1), -ENOSPC);
	close(qfd[--n]);
	r = queue_create(fd, 1);
	EXPECT("after closing one: one more allowed", r >= 0 ? 0 : r, 0);
	if (r >= 0)
		qfd[n++] = (int)r;
	for (i = 0; i < n; i++)
		close(qfd[i]);

	/* Ring entries: 65536-entry rings until the session's total is used up. */
	n = 0;
	while (n < 64 && (q = queue_create(fd, 65536)) >= 0)
		qfd[n++] = q;
	note("%d queues of 65536 entries fit next to the %u-entry first one", n, info.cq_entries);
	EXPECT("65536-entry rings: the total cap refuses the next", queue_create(fd, 65536),
	       -ENOSPC);
	checks++;
	if (n < 1 || n >= 64) {
		failures++;
		printf("FAIL  %d large rings fit: no total cap at work\n", n);
	}
	for (i = 0; i < n; i++)
		close(qfd[i]);
	r = queue_create(fd, 65536);
	EXPECT("after closing them: a large ring again", r >= 0 ? 0 : r, 0);
	close(fd);
	return 0;
}

/* Inside a memory cgroup with a small memory.max: large rings must fail with ENOMEM. */
static int cgroup_cases(void)
{
	int fd = dc_open(), n = 0, q;
	long last = 0;

	while (n < 200) {
		q = queue_create(fd, 65536);
		if (q < 0) {
			last = q;
			break;
		}
		n++;
	}
	note("%d rings of 1 MiB created before the cgroup's limit stopped them (%s)", n,
	     last ? strerror((int)-last) : "no failure");
	EXPECT("a ring beyond the cgroup's memory.max", last, -ENOMEM);
	close(fd);
	return 0;
}

/*
 * Registrations of /dev/dax0.0 memory, one after another, while the device is unbound under
 * them: each either succeeds (and is unregistered at once) or fails with ENODEV/EFAULT once the
 * device is going; the memory itself is never touched (after the unbind it would SIGBUS).
 */
static int daxrace_cases(double seconds)
{
	char *dax = dax_map(0, 4 << 20);
	long ok = 0, gone = 0, other = 0, r;
	double end = now_sec() + seconds;
	int fd = dc_open();
	uint32_t h;

	while (now_sec() < end) {
		r = dc_register(fd, dax + ((ok + gone) & 1) * (2 << 20), 2 << 20, 0, &h);
		if (!r) {
			ok++;
			r = dc_unregister(fd, h);
			if (r) {
				EXPECT("unregister right after registering", r, 0);
				break;
			}
		} else if (r == -ENODEV || r == -EFAULT) {
			gone++;
		} else {
			other++;
			EXPECT("register while the device may be going", r, -ENODEV);
		}
	}
	close(fd);
	note("%ld device-dax registrations, %ld refused as the device went, %ld other", ok, gone,
	     other);
	checks++;
	if (!ok || !gone) {
		failures++;
		printf("FAIL  the unbind did not happen during the loop (%ld ok, %ld refused)\n", ok,
		       gone);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	test_name = "kmod_harden";
	if (!strcmp(mode, "exec-child") && argc == 4)
		return foreign_requests(atoi(argv[2]), (uint32_t)atoi(argv[3]), "program after execve");
	if (!strcmp(mode, "owner"))
		owner_cases(argv[0]);
	else if (!strcmp(mode, "memlock"))
		memlock_cases();
	else if (!strcmp(mode, "files") && argc == 3)
		files_cases(argv[2]);
	else if (!strcmp(mode, "daxmix"))
		daxmix_cases();
	else if (!strcmp(mode, "register"))
		register_cases();
	else if (!strcmp(mode, "queues"))
		queues_cases();
	else if (!strcmp(mode, "cgroup"))
		cgroup_cases();
	else if (!strcmp(mode, "daxrace") && argc == 3)
		daxrace_cases(atof(argv[2]));
	else
		die("usage: kmod_harden owner|memlock|files DIR|daxmix|register|queues|cgroup|"
		    "daxrace SECONDS");
	printf("%s %s: %d checks, %d failed\n", test_name, mode, checks, failures);
	return failures ? 1 : 0;
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * Errors of the "ioat" engine, each with the call's return value and dmacopy_last_error()'s text:
 *
 *   ioatuser_errors BDF OTHER_BDF NOT_VFIO_BDF NOT_IOAT_BDF
 *   ioatuser_errors --read-only-huge BDF   (only the read-only check, on hugetlb memory)
 *
 * BDF and OTHER_BDF are I/OAT functions bound to vfio-pci, NOT_VFIO_BDF one that is not (e.g. on
 * ioatdma), NOT_IOAT_BDF a PCI device that is no I/OAT function. Checked:
 *  - unregistered memory is rejected with -EFAULT as destination, as source, for fills, for a range
 *    running past a registration, after dmacopy_region_unregister(), and for memory registered with
 *    another engine; in dmacopy_memcpy()/dmacopy_fill() too; nothing is enqueued and the queue
 * keeps working;
 *  - overlapping copies are -EINVAL (queue and dmacopy_memcpy()); adjacent ranges are fine;
 *  - read-only memory can be registered and copied from; copying into it fails;
 *  - unregistering a region with an operation in flight is -EBUSY;
 *  - bad specs: malformed ("ioat:zzz", "ioat:0000:00:05"), a PCI address with no device, a device
 *    that is no I/OAT function, an I/OAT function not bound to vfio-pci: each fails with a message
 *    naming the problem;
 *  - a second engine on a function this process holds is -EBUSY.
 * What other processes see is checked by t_ioatuser_errors with ioatuser_hold.
 */
#include "ioatuser.h"

/* ret must be want, with a non-empty explanation; prints it. */
static void expect_err(const char *what, int ret, int want)
{
	const char *msg = dmacopy_last_error();

	CHECK(ret == want, "%s: returned %d (%s), expected %d (%s)", what, ret,
	      ret ? dmacopy_strerror(ret) : "success", want, dmacopy_strerror(want));
	if (ret == want) {
		CHECK(msg && *msg, "%s: dmacopy_last_error() is empty", what);
		note("ok: %s -> %d: %s", what, ret, msg);
	}
}

static void *map_mem(size_t len, bool huge)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | (huge ? MAP_HUGETLB : 0), -1, 0);

	if (p == MAP_FAILED)
		die("mmap%s: %s", huge ? " (hugetlb)" : "", strerror(errno));
	memset(p, 0x11, len);
	return p;
}

static void *map_anon(size_t len)
{
	return map_mem(len, false);
}

/* One verified copy through the queue (the queue still works). */
static void queue_works(struct dmacopy_queue *q, unsigned char *dst, const unsigned char *src,
                        size_t len, const char *after)
{
	struct dmacopy_completion c;
	int ret;

	CHECK(dmacopy_queue_pending(q) == 0, "after %s: %u operations pending", after,
	      dmacopy_queue_pending(q));
	memset(dst, 0x5a, len);
	ret = dmacopy_enqueue_copy(q, dst, src, len, 77, 0);
	CHECK(ret == 0, "after %s: enqueue of a valid copy: %d", after, ret);
	ret = dmacopy_submit(q);
	CHECK(ret == 1, "after %s: submit returned %d", after, ret);
	ret = dmacopy_wait(q, &c, 1, 1, 10000);
	CHECK(ret == 1 && c.user_data == 77 && c.status == 0,
	      "after %s: wait %d, user_data %" PRIu64 ", status %d", after, ret, c.user_data,
	      c.status);
	CHECK(!memcmp(dst, src, len), "after %s: copied data differs", after);
}

static void memory_errors(struct dmacopy_engine *e, struct dmacopy_engine *other)
{
	const size_t len = 4 * MiB;
	unsigned char *reg = map_anon(len), *unreg = map_anon(len), *later = map_anon(len);
	unsigned char *theirs = map_anon(len);
	struct dmacopy_region *r, *rl, *rt;
	struct dmacopy_completion c;
	struct dmacopy_queue *q;
	uint64_t rs = 42;
	int ret;

	rnd_fill(&rs, reg, len / 2);
	if (dmacopy_region_register(e, reg, len, &r))
		die("register: %s", dmacopy_last_error());
	if (dmacopy_region_register(other, theirs, len, &rt))
		die("register with the other engine: %s", dmacopy_last_error());
	q = queue_create(e, 64);

	expect_err("copy to unregistered memory", dmacopy_enqueue_copy(q, unreg, reg, 4096, 1, 0),
	           -EFAULT);
	expect_err("copy from unregistered memory",
	           dmacopy_enqueue_copy(q, reg + len / 2, unreg, 4096, 2, 0), -EFAULT);
	expect_err("fill of unregistered memory",
	           dmacopy_enqueue_fill(q, unreg, 0x1122334455667788ull, 100, 3, 0), -EFAULT);
	expect_err("copy running 1 byte past the end of a registration",
	           dmacopy_enqueue_copy(q, reg + len - 4095, reg, 4096, 4, 0), -EFAULT);
	expect_err("copy from memory registered with another engine",
	           dmacopy_enqueue_copy(q, reg + len / 2, theirs, 4096, 5, 0), -EFAULT);
	expect_err("dmacopy_memcpy to unregistered memory", dmacopy_memcpy(e, unreg, reg, 8192),
	           -EFAULT);
	expect_err("dmacopy_memcpy from unregistered memory",
	           dmacopy_memcpy(e, reg + len / 2, unreg, 8192), -EFAULT);
	expect_err("dmacopy_fill of unregistered memory", dmacopy_fill(e, unreg, 7, 8192), -EFAULT);
	CHECK(unreg[0] == 0x11 && unreg[8191] == 0x11, "unregistered memory was written");
	queue_works(q, reg + len / 2, reg, 65536, "the -EFAULT rejections");

	/* registered, then unregistered: rejected again */
	if (dmacopy_region_register(e, later, len, &rl))
		die("register: %s", dmacopy_last_error());
	ret = dmacopy_memcpy(e, later, reg, 4096);
	CHECK(ret == 0 && !memcmp(later, reg, 4096), "copy into a new registration: %d", ret);
	CHECK(dmacopy_region_unregister(rl) == 0, "unregister: %s", dmacopy_last_error());
	expect_err("copy to memory after dmacopy_region_unregister",
	           dmacopy_enqueue_copy(q, later, reg, 4096, 6, 0), -EFAULT);

	/* overlap */
	expect_err("overlapping copy (dst = src + 100, 200 bytes)",
	           dmacopy_enqueue_copy(q, reg + 100, reg, 200, 7, 0), -EINVAL);
	expect_err("overlapping copy (dst = src)", dmacopy_enqueue_copy(q, reg, reg, 64, 8, 0),
	           -EINVAL);
	expect_err("overlapping dmacopy_memcpy (dst = src - 1)",
	           dmacopy_memcpy(e, reg + 999, reg + 1000, 4096), -EINVAL);
	queue_works(q, reg + len / 2 + 4096, reg + len / 2, 4096, "adjacent ranges");

	/* unregister with an operation in flight (not reaped yet) */
	ret = dmacopy_enqueue_copy(q, reg + len / 2, reg, 2 * MiB - 4096, 9, 0);
	CHECK(ret == 0, "enqueue: %d", ret);
	CHECK(dmacopy_submit(q) == 1, "submit");
	expect_err("dmacopy_region_unregister with an operation in flight",
	           dmacopy_region_unregister(r), -EBUSY);
	ret = dmacopy_wait(q, &c, 1, 1, 10000);
	CHECK(ret == 1 && c.status == 0, "wait: %d, status %d", ret, c.status);
	CHECK(!memcmp(reg + len / 2, reg, 2 * MiB - 4096), "2 MiB copy differs");

	/* length 0 */
	ret = dmacopy_enqueue_copy(q, reg + len / 2, reg, 0, 10, 0);
	CHECK(ret == 0, "enqueue of length 0: %d", ret);
	CHECK(dmacopy_submit(q) == 1, "submit");
	ret = dmacopy_wait(q, &c, 1, 1, 10000);
	CHECK(ret == 1 && c.status == 0 && c.user_data == 10, "length 0: wait %d, status %d", ret,
	      c.status);

	CHECK(dmacopy_queue_destroy(q) == 0, "queue_destroy: %s", dmacopy_last_error());
	CHECK(dmacopy_region_unregister(r) == 0, "unregister: %s", dmacopy_last_error());
	CHECK(dmacopy_region_unregister(rt) == 0, "unregister: %s", dmacopy_last_error());
	munmap(reg, len);
	munmap(unreg, len);
	munmap(later, len);
	munmap(theirs, len);
}

/*
 * Read-only memory (as a program gets when it maps a file or device it only reads): it can be
 * registered and copied from; a copy into it fails (at enqueue or in its completion) and leaves it
 * unchanged.
 */
static void read_only_memory(struct dmacopy_engine *e, bool huge)
{
	const size_t len = 2 * MiB;
	unsigned char *ro = map_mem(len, huge), *rw = map_mem(len, huge);
	struct dmacopy_region *rro, *rrw;
	struct dmacopy_completion c;
	struct dmacopy_queue *q;
	uint64_t rs = 5;
	int ret;

	rnd_fill(&rs, ro, len);
	if (mprotect(ro, len, PROT_READ))
		die("mprotect: %s", strerror(errno));
	ret = dmacopy_region_register(e, ro, len, &rro);
	CHECK(ret == 0, "registering read-only memory: %d %s", ret, dmacopy_strerror(ret));
	if (ret)
		goto out;
	if (dmacopy_region_register(e, rw, len, &rrw))
		die("register: %s", dmacopy_last_error());
	ret = dmacopy_memcpy(e, rw, ro, len);
	CHECK(ret == 0 && !memcmp(rw, ro, len), "copy from read-only memory: %d", ret);
	if (!ret)
		note("ok: read-only memory registered and copied from");

	q = queue_create(e, 4);
	memset(rw, 0xee, 4096);
	ret = dmacopy_enqueue_copy(q, ro, rw, 4096, 1, 0);
	if (ret) {
		CHECK(ret == -EFAULT || ret == -EACCES || ret == -EPERM,
		      "copy into read-only memory: enqueue %d", ret);
		note("ok: copy into read-only memory refused at enqueue: %d (%s)", ret,
		     dmacopy_last_error());
	} else {
		CHECK(dmacopy_submit(q) == 1, "submit");
		ret = dmacopy_wait(q, &c, 1, 1, 10000);
		CHECK(ret == 1 && c.status != 0, "copy into read-only memory: wait %d, status %d",
		      ret, c.status);
		if (ret == 1 && c.status)
			note("ok: copy into read-only memory failed: status %d, error %s", c.status,
			     dmacopy_op_error_str(c.error));
	}
	CHECK(ro[0] != 0xee || ro[4095] != 0xee, "read-only memory was written");
	dmacopy_queue_destroy(q);
	CHECK(dmacopy_region_unregister(rrw) == 0, "unregister");
	CHECK(dmacopy_region_unregister(rro) == 0, "unregister");
out:
	munmap(ro, len);
	munmap(rw, len);
}

/* dmacopy_engine_open(spec) must fail with want or want2 and a message naming needle. */
static void expect_open_fails(const char *spec, int want, int want2, const char *needle)
{
	struct dmacopy_engine *e = NULL;
	char what[160];
	int ret = dmacopy_engine_open(&e, spec, NULL);
	const char *msg = dmacopy_last_error();

	snprintf(what, sizeof(what), "dmacopy_engine_open(\"%s\")", spec);
	if (ret == 0) {
		CHECK(0, "%s succeeded (engine %s)", what, dmacopy_engine_name(e));
		dmacopy_engine_close(e);
		return;
	}
	expect_err(what, ret, ret == want2 ? want2 : want);
	CHECK(strstr(msg, needle), "%s: the message does not mention '%s'", what, needle);
}

int main(int argc, char **argv)
{
	char spec[64], other_spec[64], s[96];
	struct dmacopy_engine *e, *other;
	struct dmacopy_caps caps;

	test_name = "ioatuser_errors";
	if (argc == 3 && !strcmp(argv[1], "--read-only-huge")) {
		snprintf(spec, sizeof(spec), "ioat:%s", argv[2]);
		e = engine_open(spec);
		read_only_memory(e, true);
		dmacopy_engine_close(e);
		if (check_failures)
			die("%d check(s) failed", check_failures);
		printf("ioatuser_errors: read-only hugetlb memory: PASS\n");
		return 0;
	}
	if (argc != 5)
		die("usage: ioatuser_errors BDF OTHER_BDF NOT_VFIO_BDF NOT_IOAT_BDF");
	snprintf(spec, sizeof(spec), "ioat:%s", argv[1]);
	snprintf(other_spec, sizeof(other_spec), "ioat:%s", argv[2]);

	e = engine_open(spec);
	other = engine_open(other_spec);
	caps = engine_caps(e);
	CHECK(!strcmp(dmacopy_engine_kind(e), "ioat"), "kind %s", dmacopy_engine_kind(e));
	CHECK(strstr(dmacopy_engine_name(e), argv[1]), "name %s does not contain %s",
	      dmacopy_engine_name(e), argv[1]);
	CHECK((caps.flags & (DMACOPY_CAP_COPY | DMACOPY_CAP_FILL | DMACOPY_CAP_NEEDS_REGISTER |
	                     DMACOPY_CAP_HARDWARE)) ==
	              (DMACOPY_CAP_COPY | DMACOPY_CAP_FILL | DMACOPY_CAP_NEEDS_REGISTER |
	               DMACOPY_CAP_HARDWARE),
	      "caps %#x lack copy, fill, needs-register or hardware", caps.flags);
	note("%s: caps %#x, %u channel(s), descriptor <= %u B, queue depth <= %u; selection: %s",
	     dmacopy_engine_name(e), caps.flags, caps.channels, caps.hw_max_transfer,
	     caps.max_queue_depth, dmacopy_engine_selection(e));

	memory_errors(e, other);
	read_only_memory(e, false);
	dmacopy_engine_close(other);

	/*
	 * Bad specs. The library's convention: -ENOENT for a name that names nothing (as for
	 * "kernel:NAME"), -EINVAL for a malformed spec, -ENODEV for a device that is not usable.
	 */
	expect_open_fails("ioat:zzz", -EINVAL, -ENOENT, "zzz");
	expect_open_fails("ioat:0000:00:05", -EINVAL, -ENOENT, "0000:00:05");
	expect_open_fails("ioat:0000:00:1e.7", -ENOENT, -ENODEV, "0000:00:1e.7");
	snprintf(s, sizeof(s), "ioat:%s", argv[4]);
	expect_open_fails(s, -ENODEV, -ENODEV, argv[4]);
	CHECK(strstr(dmacopy_last_error(), "I/OAT"),
	      "the message does not say it is no I/OAT function");
	snprintf(s, sizeof(s), "ioat:%s", argv[3]);
	{
		struct dmacopy_engine *x = NULL;
		int ret = dmacopy_engine_open(&x, s, NULL);

		/* the public header says -ENODEV for "not present"; the driver's -ENXIO is fine too
		 */
		CHECK(ret == -ENODEV || ret == -ENXIO,
		      "dmacopy_engine_open(\"%s\") (not on vfio-pci): "
		      "%d, expected -ENODEV or -ENXIO",
		      s, ret);
		CHECK(strstr(dmacopy_last_error(), "ioatdma"),
		      "the message does not name the driver");
		if (ret == -ENODEV || ret == -ENXIO) {
			CHECK(strstr(dmacopy_last_error(), argv[3]) &&
			              strstr(dmacopy_last_error(), "vfio"),
			      "not-on-vfio message must name %s and vfio-pci", argv[3]);
			note("ok: dmacopy_engine_open(\"%s\") (not on vfio-pci) -> %d: %s", s, ret,
			     dmacopy_last_error());
		} else if (!ret) {
			dmacopy_engine_close(x);
		}
	}

	/* a second engine on a function this process holds */
	{
		struct dmacopy_engine *x = NULL;
		int ret = dmacopy_engine_open(&x, spec, NULL);

		if (!ret)
			dmacopy_engine_close(x);
		expect_err("a second dmacopy_engine_open() of a function this process holds", ret,
		           -EBUSY);
	}
	dmacopy_engine_close(e);

	if (check_failures)
		die("%d check(s) failed", check_failures);
	note("PASS");
	return 0;
}

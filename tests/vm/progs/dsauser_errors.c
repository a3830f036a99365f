// SPDX-License-Identifier: BSD-3-Clause
/*
 * The user-space "dsa" engine beyond random copies (ioatuser_copy does those):
 *
 *   dsauser_errors SPEC
 *   dsauser_errors --faults read|write SPEC   (on a device injecting faults: fail-every=N)
 *
 *  - unregistered memory is refused with -EFAULT and a message (copy to it, copy from it, fill of
 *    it, a range running past a registration, dmacopy_memcpy()/dmacopy_fill()); nothing is written
 *    and the queue keeps working;
 *  - fenced chains: copy A -> B, then fenced B -> C, then fenced C -> D, many at once in one
 *    submission; D must equal A (a fence that did not wait would copy stale bytes);
 *  - zero-length operations complete with status 0;
 *  - a queue deeper than the WQ: 4096 small copies in one submission all complete.
 * With --faults: 200 copies and 100 fills of 4 KiB in one submission; some fail (the device
 * injects them), each with -EIO and the read or write fault detail (fills always write faults),
 * every other one is verified, and at least one of each kind failed. Then the same again reaped
 * with dmacopy_reap(): it counts the successes in order and stops with -EIO at each failure
 * until dmacopy_poll() has taken its record.
 */
#include "ioatuser.h"

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

static unsigned char *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED)
		die("mmap %zu: %s", len, strerror(errno));
	return p;
}

/* Submit what is enqueued and reap n completions, each status 0. */
static void reap_ok(const char *what, struct dmacopy_queue *q, unsigned int n)
{
	struct dmacopy_completion c[256];
	unsigned int got = 0;
	int ret = dmacopy_submit(q);

	if (ret < 0)
		die("%s: dmacopy_submit: %d %s", what, ret, dmacopy_last_error());
	while (got < n) {
		unsigned int want = n - got > 256 ? 256 : n - got;

		ret = dmacopy_wait(q, c, 1, want, 20000);
		if (ret <= 0)
			die("%s: dmacopy_wait: %d %s (%u of %u)", what, ret, dmacopy_last_error(),
			    got, n);
		for (int i = 0; i < ret; i++)
			CHECK(c[i].status == 0, "%s: op %" PRIu64 " status %d (%s): %s", what,
			      c[i].user_data, c[i].status, dmacopy_op_error_str(c[i].error),
			      dmacopy_last_error());
		got += (unsigned int)ret;
	}
}

/* Enqueue and submit the n operations of a fault run: fills (every third) and copies. */
static void fault_ops(struct dmacopy_queue *q, unsigned char *mem, size_t n, size_t sz)
{
	int ret;

	memset(mem + n * sz, 0xee, n * sz);
	for (size_t i = 0; i < n; i++) {
		unsigned char *dst = mem + n * sz + i * sz;

		if (i % 3 == 2)
			ret = dmacopy_enqueue_fill(q, dst, 0x0101010101010101ull * (i & 0xff), sz,
			                           i, 0);
		else
			ret = dmacopy_enqueue_copy(q, dst, mem + i * sz, sz, i, 0);
		CHECK(!ret, "enqueue %zu: %s", i, dmacopy_last_error());
	}
	ret = dmacopy_submit(q);
	CHECK(ret >= 0, "submit: %s", dmacopy_last_error());
}

/* Check operation i of a fault run, which ended with c (its status and error). */
static void fault_check(const struct dmacopy_completion *c, const unsigned char *mem, size_t n,
                        size_t sz, bool write, unsigned int *failed_copies,
                        unsigned int *failed_fills)
{
	size_t i = c->user_data;
	const unsigned char *dst = mem + n * sz + i * sz;
	bool fill = i % 3 == 2;

	if (c->status) {
		unsigned int want = fill || write ? DMACOPY_OP_WRITE_FAULT : DMACOPY_OP_READ_FAULT;

		CHECK(c->status == -EIO && c->error == want,
		      "op %zu (%s) failed with %d (%s), expected -EIO (%s)", i, fill ? "fill" : "copy",
		      c->status, dmacopy_op_error_str(c->error), dmacopy_op_error_str(want));
		if (fill)
			(*failed_fills)++;
		else
			(*failed_copies)++;
	} else if (fill) {
		CHECK(first_not(dst, sz, (unsigned char)i) == sz, "fill %zu wrong", i);
	} else {
		CHECK(copy_mismatch(dst, mem + i * sz, sz) == sz, "copy %zu wrong", i);
	}
}

/*
 * The same run reaped with dmacopy_reap(): the operations it counts are the next ones in order
 * (the engine ends them in order) and succeeded; at a failed one it returns -EIO until
 * dmacopy_poll() has taken that one's record.
 */
static void fault_reap(struct dmacopy_queue *q, unsigned char *mem, size_t n, size_t sz,
                       bool write)
{
	unsigned int failed_copies = 0, failed_fills = 0, eio = 0;
	struct dmacopy_completion c;
	size_t next = 0;
	int ret;

	fault_ops(q, mem, n, sz);
	while (next < n) {
		ret = dmacopy_reap(q, 1, 64, 20000);
		if (ret == -EIO) {
			eio++;
			ret = dmacopy_reap(q, 0, 64, 0);
			CHECK(ret == -EIO, "dmacopy_reap at a failed op returned %d the second time",
			      ret);
			ret = dmacopy_poll(q, &c, 1);
			CHECK(ret == 1 && c.user_data == next && c.status,
			      "after -EIO from dmacopy_reap: dmacopy_poll %d, op %" PRIu64
			      " status %d (expected a failure of op %zu)", ret, c.user_data, c.status,
			      next);
			fault_check(&c, mem, n, sz, write, &failed_copies, &failed_fills);
			next++;
			continue;
		}
		if (ret <= 0)
			die("dmacopy_reap: %d %s (%zu of %zu)", ret, dmacopy_last_error(), next, n);
		for (int k = 0; k < ret; k++, next++) {
			c = (struct dmacopy_completion){ .user_data = next };
			fault_check(&c, mem, n, sz, write, &failed_copies, &failed_fills);
		}
	}
	CHECK(next == n && dmacopy_queue_inflight(q) == 0, "dmacopy_reap: %zu of %zu reaped, %u "
	      "in flight", next, n, dmacopy_queue_inflight(q));
	note("ok: dmacopy_reap(): %zu operations, the %u failures (%u copies, %u fills) each "
	     "stopped it with -EIO until dmacopy_poll() took its record, the others verified",
	     n, eio, failed_copies, failed_fills);
	CHECK(failed_copies > 0 && failed_fills > 0, "dmacopy_reap: no copy or no fill failed");
}

static int faults(const char *kind, const char *spec)
{
	const size_t n = 300, sz = 4096;
	bool write = !strcmp(kind, "write");
	struct dmacopy_completion c[64];
	struct dmacopy_engine *e = engine_open(spec);
	struct dmacopy_region *r;
	struct dmacopy_queue *q;
	unsigned char *mem = map_anon(2 * n * sz);
	unsigned int got = 0, failed_copies = 0, failed_fills = 0;
	int ret;

	ret = dmacopy_region_register(e, mem, 2 * n * sz, &r);
	if (ret)
		die("dmacopy_region_register: %d %s", ret, dmacopy_last_error());
	q = queue_create(e, 1024);
	for (size_t i = 0; i < n * sz; i++)
		mem[i] = (unsigned char)(i * 7 + i / 4096);
	fault_ops(q, mem, n, sz);
	while (got < n) {
		ret = dmacopy_wait(q, c, 1, 64, 20000);
		if (ret <= 0)
			die("dmacopy_wait: %d %s (%u of %zu)", ret, dmacopy_last_error(), got, n);
		for (int k = 0; k < ret; k++)
			fault_check(&c[k], mem, n, sz, write, &failed_copies, &failed_fills);
		got += (unsigned int)ret;
	}
	note("ok: %zu operations, %u copies and %u fills failed with the %s fault detail, the "
	     "others verified",
	     n, failed_copies, failed_fills, write ? "write" : "read");
	CHECK(failed_copies > 0 && failed_fills > 0, "no copy or no fill failed");
	fault_reap(q, mem, n, sz, write);
	/* the device keeps working after faults */
	memset(mem + n * sz, 0, sz);
	ret = dmacopy_memcpy(e, mem + n * sz, mem, sz);
	if (ret)
		ret = dmacopy_memcpy(e, mem + n * sz, mem, sz); /* at most one injected in a row */
	CHECK(!ret && copy_mismatch(mem + n * sz, mem, sz) == sz, "copy after faults: %d %s", ret,
	      dmacopy_last_error());
	if (dmacopy_queue_destroy(q) || dmacopy_region_unregister(r) || dmacopy_engine_close(e))
		die("teardown: %s", dmacopy_last_error());
	note("PASS");
	return 0;
}

int main(int argc, char **argv)
{
	const size_t len = 16 * MiB, chunk = 64 * 1024;
	struct dmacopy_engine *e;
	struct dmacopy_region *r;
	struct dmacopy_queue *q;
	unsigned char *reg, *unreg;
	uint64_t rs = 0x1234567;
	int ret;

	test_name = "dsauser_errors";
	if (argc == 4 && !strcmp(argv[1], "--faults"))
		return faults(argv[2], argv[3]);
	if (argc != 2)
		die("usage: dsauser_errors SPEC | dsauser_errors --faults read|write SPEC");
	e = engine_open(argv[1]);
	note("%s: kind %s, hw_max_transfer %u", dmacopy_engine_name(e), dmacopy_engine_kind(e),
	     engine_caps(e).hw_max_transfer);
	reg = map_anon(len);
	unreg = map_anon(len);
	ret = dmacopy_region_register(e, reg, len, &r);
	if (ret)
		die("dmacopy_region_register: %d %s", ret, dmacopy_last_error());
	q = queue_create(e, 8192);

	/* ---- unregistered memory ---- */
	memset(unreg, 0x5a, 8192);
	expect_err("copy to unregistered memory", dmacopy_enqueue_copy(q, unreg, reg, 4096, 1, 0),
	           -EFAULT);
	expect_err("copy from unregistered memory",
	           dmacopy_enqueue_copy(q, reg + len / 2, unreg, 4096, 2, 0), -EFAULT);
	expect_err("fill of unregistered memory",
	           dmacopy_enqueue_fill(q, unreg, 0x1122334455667788ull, 100, 3, 0), -EFAULT);
	expect_err("copy running past the registration",
	           dmacopy_enqueue_copy(q, reg + len - 4095, reg, 4096, 4, 0), -EFAULT);
	expect_err("dmacopy_memcpy to unregistered memory", dmacopy_memcpy(e, unreg, reg, 8192),
	           -EFAULT);
	expect_err("dmacopy_fill of unregistered memory", dmacopy_fill(e, unreg, 1, 8192), -EFAULT);
	CHECK(first_not(unreg, 8192, 0x5a) == 8192, "unregistered memory was written");
	CHECK(dmacopy_queue_pending(q) == 0, "a refused operation was enqueued");

	/* ---- fenced chains ---- */
	for (int round = 0; round < 20; round++) {
		unsigned int n = 0;
		size_t pieces = 4 * MiB / chunk;

		for (size_t i = 0; i < 4 * MiB; i += 8) {
			uint64_t v = rnd_next(&rs);

			memcpy(reg + i, &v, 8);
		}
		memset(reg + 4 * MiB, 0, 12 * MiB);
		for (size_t i = 0; i < pieces; i++) {
			size_t o = i * chunk;

			ret = dmacopy_enqueue_copy(q, reg + 4 * MiB + o, reg + o, chunk, n++, 0);
			CHECK(!ret, "enqueue A->B: %s", dmacopy_last_error());
		}
		for (size_t i = 0; i < pieces; i++) {
			size_t o = i * chunk;

			ret = dmacopy_enqueue_copy(q, reg + 8 * MiB + o, reg + 4 * MiB + o, chunk,
			                           n++, i ? 0 : DMACOPY_OP_FENCE);
			CHECK(!ret, "enqueue B->C: %s", dmacopy_last_error());
		}
		for (size_t i = 0; i < pieces; i++) {
			size_t o = i * chunk;

			ret = dmacopy_enqueue_copy(q, reg + 12 * MiB + o, reg + 8 * MiB + o, chunk,
			                           n++, i ? 0 : DMACOPY_OP_FENCE);
			CHECK(!ret, "enqueue C->D: %s", dmacopy_last_error());
		}
		reap_ok("fenced chain", q, n);
		CHECK(copy_mismatch(reg + 12 * MiB, reg, 4 * MiB) == 4 * MiB,
		      "round %d: fenced chain A->B->C->D: D differs from A at byte %zu", round,
		      copy_mismatch(reg + 12 * MiB, reg, 4 * MiB));
	}
	note("ok: 20 fenced chains of 3 x 64 copies of 64 KiB, D == A every time");

	/* ---- zero length and a queue deeper than the WQ ---- */
	CHECK(!dmacopy_enqueue_copy(q, reg, reg + MiB, 0, 1, 0), "len 0 copy");
	CHECK(!dmacopy_enqueue_fill(q, reg, 7, 0, 2, 0), "len 0 fill");
	reap_ok("zero length", q, 2);
	for (unsigned int i = 0; i < 4096; i++) {
		ret = dmacopy_enqueue_fill(q, reg + (size_t)i * 512,
		                           0x0101010101010101ull * (i & 0xff), 512, i, 0);
		CHECK(!ret, "enqueue fill %u: %s", i, dmacopy_last_error());
	}
	reap_ok("4096 fills", q, 4096);
	for (unsigned int i = 0; i < 4096; i++)
		CHECK(first_not(reg + (size_t)i * 512, 512, (unsigned char)i) == 512,
		      "fill %u wrong", i);
	note("ok: len 0 copy and fill; 4096 fills in one submission");

	if (dmacopy_queue_destroy(q) || dmacopy_region_unregister(r) || dmacopy_engine_close(e))
		die("teardown: %s", dmacopy_last_error());
	note("PASS");
	return 0;
}

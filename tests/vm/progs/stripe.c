// SPDX-License-Identifier: BSD-3-Clause
/*
 * Striped operations through libdmacopy: on an engine with several channels (the "kernel" engine
 * on dmacopy.ko's channels, "ioat" or "dsa" on several functions), a copy (and on ioat and dsa a
 * fill) of at least the stripe threshold is split into one piece per channel and completes as one
 * operation.
 *
 *   stripe [-e SPEC] check          random copies (and fills, where the engine fills) around the
 *                                   threshold (odd sizes and offsets, guard bytes), striped and
 *                                   not, fenced ones among them, each checked byte for byte; then
 *                                   dmacopy_memcpy() and dmacopy_fill(), striped too
 *   stripe [-e SPEC] full           a striped copy and a striped dmacopy_memcpy() that need room
 *                                   on a channel whose ring another queue filled (ring_full())
 *   stripe [-e SPEC] fault [N]      as check, on channels where the device's fault injection
 *                                   fails some piece descriptors: between 1 and N operations
 *                                   (N given: the most that can be injected; without it the
 *                                   caller checks "read faults: K" against the device's count)
 *                                   fail with -EIO and DMACOPY_OP_READ_FAULT (a striped one when
 *                                   any of its pieces failed; a fill, which reads nothing, may
 *                                   fail with a write fault), others queued behind a fault on its
 *                                   channel may end -ECANCELED/ABORTED; every other one is exact
 *   stripe [-e SPEC] [-s SPIN_US] [-H] bench SIZE_KIB ROUNDS [THRESHOLD...]
 *                                   copies of SIZE_KIB KiB one at a time, back to back, at least
 *                                   ROUNDS of them and for at least a second, with each stripe
 *                                   threshold given (bytes; "never" = UINT64_MAX, the default):
 *                                   "result:" lines (GB/s over all the copies) for the caller
 *
 * SPEC is the engine ("kernel" by default; e.g. "ioat:all"); SPIN_US the bench queues'
 * dmacopy_queue_opts.spin_us (0, the default: polled waits spin, but 200 us for a striped
 * operation; 4294967295: they spin throughout). -H takes the bench's source and destination
 * from 2 MiB hugetlb pages (reserved by the caller) instead of 4 KiB anonymous pages.
 */
#include <limits.h>

#include <dmacopy.h>

#include "kmod_util.h"

#define THRESHOLD (1u << 20)	/* the stripe threshold the checks use */
#define AREA (24u << 20)	/* each of the source and destination areas */
#define GUARD 4096u

struct bufs {
	unsigned char *src, *dst, *want;
	struct dmacopy_region *rs, *rd;
};

static const char *spec = "kernel";
static uint32_t spin_us; /* dmacopy_queue_opts.spin_us of the bench's queues */
static bool huge; /* bench buffers from 2 MiB hugetlb pages (-H) */

static struct dmacopy_engine *open_engine(uint64_t threshold)
{
	struct dmacopy_engine_opts o = {.stripe_threshold = threshold};
	struct dmacopy_engine *e;
	int ret = dmacopy_engine_open(&e, spec, &o);

	if (ret)
		die("dmacopy_engine_open(%s): %s: %s", spec, strerror(-ret), dmacopy_last_error());
	return e;
}

/* What a fill of len bytes with pattern writes at dst. */
static void fill_want(unsigned char *dst, uint64_t pattern, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dst[i] = (unsigned char)(pattern >> (8 * (i % 8)));
}

static void *map_anon(size_t len)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE;
	void *p;

	if (huge) {
		flags |= MAP_HUGETLB;
		len = (len + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, -1, 0);

	if (p == MAP_FAILED)
		die("mmap %zu: %s", len, strerror(errno));
	return p;
}

static void bufs_init(struct dmacopy_engine *e, struct bufs *b, size_t area)
{
	uint64_t rs = 99;
	int ret;

	b->src = map_anon(area);
	b->dst = map_anon(area);
	b->want = malloc(area);
	if (!b->want)
		die("malloc");
	rnd_fill(&rs, b->src, area);
	rnd_fill(&rs, b->dst, area);
	memcpy(b->want, b->dst, area);
	ret = dmacopy_region_register(e, b->src, area, &b->rs);
	if (!ret)
		ret = dmacopy_region_register(e, b->dst, area, &b->rd);
	if (ret)
		die("dmacopy_region_register: %s: %s", strerror(-ret), dmacopy_last_error());
}

/*
 * Rounds of copies from src to disjoint slices of dst, sizes around the threshold (odd ones,
 * odd offsets), every fourth fenced; each completion matched by user_data. With failures
 * expected (fault), copies that fail are counted and their slices taken as they are; the
 * others, and the bytes between slices (guards), must be exact.
 */
static int random_copies(struct dmacopy_engine *e, struct bufs *b, int rounds, bool fault,
			 int *read_faults)
{
	struct dmacopy_queue_opts qo = {.depth = 64};
	struct dmacopy_completion c[64];
	struct dmacopy_queue *q;
	uint64_t rs = 4242;
	struct dmacopy_caps caps;
	int round, i, failed = 0, striped = 0, fills = 0, total = 0, ret;
	bool can_fill;

	dmacopy_engine_caps(e, &caps);
	can_fill = caps.flags & DMACOPY_CAP_FILL;
	ret = dmacopy_queue_create(e, &qo, &q);
	if (ret)
		die("dmacopy_queue_create: %s", dmacopy_last_error());
	for (round = 0; round < rounds; round++) {
		struct {
			size_t doff, soff, len;
			uint64_t pattern; /* a fill's, when fill */
			bool fill;
		} op[8];
		int nops = 1 + (int)rnd_below(&rs, 8), got = 0, n;
		size_t slice = AREA / 8;

		for (i = 0; i < nops; i++) {
			/* Half below the threshold, half up to 2.5 MiB; odd sizes and offsets. */
			size_t len = rnd_below(&rs, 2) ? 1 + rnd_below(&rs, THRESHOLD - 1)
						       : THRESHOLD + rnd_below(&rs, 3u << 19);

			if (rnd_below(&rs, 4) == 0)
				len = THRESHOLD - 1 + rnd_below(&rs, 3);	/* just around it */
			op[i].len = len;
			op[i].doff = (size_t)i * slice + GUARD + rnd_below(&rs, slice - len - 2 * GUARD);
			op[i].soff = rnd_below(&rs, AREA - len);
			if (len >= THRESHOLD)
				striped++;
			op[i].fill = can_fill && rnd_below(&rs, 4) == 0;
			op[i].pattern = rnd_below(&rs, UINT32_MAX) << 32 | rnd_below(&rs, UINT32_MAX);
			if (op[i].fill)
				ret = dmacopy_enqueue_fill(q, b->dst + op[i].doff, op[i].pattern, len,
							   (uint64_t)i,
							   i % 4 == 3 ? DMACOPY_OP_FENCE : 0);
			else
				ret = dmacopy_enqueue_copy(q, b->dst + op[i].doff,
							   b->src + op[i].soff, len, (uint64_t)i,
							   i % 4 == 3 ? DMACOPY_OP_FENCE : 0);
			fills += op[i].fill;
			total++;
			if (ret)
				die("enqueue %zu bytes: %s", len, dmacopy_last_error());
		}
		ret = dmacopy_submit(q);
		if (ret != nops)
			die("dmacopy_submit: %d of %d: %s", ret, nops, dmacopy_last_error());
		while (got < nops) {
			n = dmacopy_wait(q, c, 1, 64, 10000);
			if (n < 0)
				die("dmacopy_wait: %s", dmacopy_last_error());
			if (!n)
				die("round %d: no completion in 10 s", round);
			for (i = 0; i < n; i++) {
				uint64_t k = c[i].user_data;

				CHECK(k < (uint64_t)nops, "user_data %llu", (unsigned long long)k);
				if (k >= (uint64_t)nops)
					continue;
				if (c[i].status) {
					CHECK(fault, "%s of %zu bytes failed: %d (%s)",
					      op[k].fill ? "fill" : "copy", op[k].len, c[i].status,
					      dmacopy_op_error_str(c[i].error));
					CHECK((c[i].status == -EIO &&
					       (c[i].error == DMACOPY_OP_READ_FAULT ||
						(op[k].fill && c[i].error == DMACOPY_OP_WRITE_FAULT))) ||
					      (c[i].status == -ECANCELED &&
					       c[i].error == DMACOPY_OP_ABORTED),
					      "a failed %s's status %d, detail %s",
					      op[k].fill ? "fill" : "copy", c[i].status,
					      dmacopy_op_error_str(c[i].error));
					failed++;
					*read_faults += c[i].status == -EIO;
					/* What the other pieces wrote is taken as it is. */
					memcpy(b->want + op[k].doff, b->dst + op[k].doff, op[k].len);
				} else if (op[k].fill) {
					fill_want(b->want + op[k].doff, op[k].pattern, op[k].len);
				} else {
					memcpy(b->want + op[k].doff, b->src + op[k].soff, op[k].len);
				}
			}
			got += n;
		}
		if (memcmp(b->want, b->dst, AREA)) {
			for (i = 0; i < (int)AREA && b->want[i] == b->dst[i]; i++)
				;
			CHECK(false, "round %d: destination differs at byte %d", round, i);
			break;
		}
	}
	dmacopy_queue_destroy(q);
	note("%s: %d rounds, %d operations (%d fills), %d of them striped, %d failed (%d with a "
	     "fault)", dmacopy_engine_name(e), rounds, total, fills, striped, failed, *read_faults);
	return failed;
}

/*
 * Copies of len bytes one at a time, back to back, for at least min_rounds copies and one second:
 * bytes moved over the time taken (GB/s). A mean over many copies, not the best single one: the
 * emulated devices' single copies vary by tens of percent.
 */
static double gbps(struct dmacopy_engine *e, struct bufs *b, size_t len, int min_rounds)
{
	struct dmacopy_queue_opts qo = {.depth = 4, .spin_us = spin_us};
	struct dmacopy_completion c;
	struct dmacopy_queue *q;
	double t0, t;
	long n = 0;
	int ret;

	ret = dmacopy_queue_create(e, &qo, &q);
	if (ret)
		die("dmacopy_queue_create: %s", dmacopy_last_error());
	t0 = now_sec();
	do {
		if (dmacopy_enqueue_copy(q, b->dst, b->src, len, 1, 0) || dmacopy_submit(q) != 1)
			die("copy: %s", dmacopy_last_error());
		ret = dmacopy_wait(q, &c, 1, 1, 60000);
		if (ret != 1 || c.status)
			die("copy of %zu bytes: %d %d: %s", len, ret, c.status, dmacopy_last_error());
		n++;
		t = now_sec() - t0;
	} while (n < min_rounds || t < 1.0);
	CHECK(!memcmp(b->dst, b->src, len), "the copied bytes differ");
	dmacopy_queue_destroy(q);
	return (double)len * (double)n / t / 1e9;
}

/*
 * A striped operation that finds a channel's ring full of another queue's work: queue a (the
 * engine's first, home channel 0) submits FULL_OPS small copies, more than that ring holds, and
 * nobody reaps it; queue b (home channel 1) then submits a striped copy, which needs room on
 * channel 0 too, and waits for it alone: the wait must make that room itself (read channel 0's
 * completions). Then a striped dmacopy_memcpy() behind another such burst; then everything is
 * reaped and checked.
 */
#define FULL_OPS 12000u

static void ring_full(struct dmacopy_engine *e, struct bufs *b)
{
	struct dmacopy_queue_opts qoa = {.depth = 16384}, qob = {.depth = 4};
	static struct dmacopy_completion c[FULL_OPS];
	struct dmacopy_queue *qa, *qb;
	size_t big = (8u << 20) + 4093, sync = (4u << 20) + 13;
	unsigned int round, i, got;
	int ret;

	if (dmacopy_queue_create(e, &qoa, &qa) || dmacopy_queue_create(e, &qob, &qb))
		die("dmacopy_queue_create: %s", dmacopy_last_error());
	for (round = 0; round < 2; round++) {
		for (i = 0; i < FULL_OPS; i++) {
			ret = dmacopy_enqueue_copy(qa, b->dst + (size_t)i * 64,
						   b->src + (size_t)(round * FULL_OPS + i) * 64, 64,
						   i, 0);
			if (ret)
				die("enqueue small copy %u: %s", i, dmacopy_last_error());
		}
		if (dmacopy_submit(qa) != (int)FULL_OPS)
			die("dmacopy_submit(a): %s", dmacopy_last_error());
		if (!round) {
			if (dmacopy_enqueue_copy(qb, b->dst + (4u << 20), b->src + (1u << 20), big, 7,
						 0) || dmacopy_submit(qb) != 1)
				die("striped copy: %s", dmacopy_last_error());
			ret = dmacopy_wait(qb, c, 1, 1, 20000);
			CHECK(ret == 1 && c[0].status == 0 && c[0].user_data == 7,
			      "striped copy behind a full ring: %d (status %d): %s", ret,
			      ret == 1 ? c[0].status : 0, dmacopy_last_error());
			CHECK(!memcmp(b->dst + (4u << 20), b->src + (1u << 20), big),
			      "striped copy behind a full ring: wrong bytes");
		} else {
			CHECK(!dmacopy_memcpy(e, b->dst + (13u << 20), b->src + (9u << 20), sync),
			      "striped dmacopy_memcpy behind a full ring: %s", dmacopy_last_error());
			CHECK(!memcmp(b->dst + (13u << 20), b->src + (9u << 20), sync),
			      "striped dmacopy_memcpy behind a full ring: wrong bytes");
		}
		for (got = 0; got < FULL_OPS; got += (unsigned int)ret) {
			ret = dmacopy_wait(qa, c + got, 1, FULL_OPS - got, 20000);
			if (ret <= 0)
				die("reaping the small copies: %d after %u: %s", ret, got,
				    dmacopy_last_error());
		}
		for (i = 0; i < FULL_OPS; i++)
			CHECK(c[i].status == 0 && c[i].user_data == i, "small copy %u: %d", i,
			      c[i].status);
		CHECK(!memcmp(b->dst, b->src + (size_t)round * FULL_OPS * 64, FULL_OPS * 64),
		      "small copies, round %u: wrong bytes", round);
	}
	dmacopy_queue_destroy(qb);
	dmacopy_queue_destroy(qa);
	note("%s: a striped copy and a striped dmacopy_memcpy() behind a full ring of %u copies",
	     dmacopy_engine_name(e), FULL_OPS);
}

int main(int argc, char **argv)
{
	struct dmacopy_engine *e;
	struct dmacopy_caps caps;
	struct bufs b;
	int failed, faults = 0;

	test_name = "stripe";
	for (;;) {
		if (argc > 1 && !strcmp(argv[1], "-H")) {
			huge = true;
			argc--;
			argv++;
			continue;
		}
		if (argc <= 2 || (strcmp(argv[1], "-e") && strcmp(argv[1], "-s")))
			break;
		if (!strcmp(argv[1], "-e"))
			spec = argv[2];
		else
			spin_us = (uint32_t)strtoul(argv[2], NULL, 0);
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		die("usage: stripe [-e SPEC] [-s SPIN_US] [-H] check | full | fault [N] | bench SIZE_KIB "
		    "ROUNDS [THRESHOLD...]");
	if (!strcmp(argv[1], "bench")) {
		size_t len = (size_t)strtoul(argc > 2 ? argv[2] : "65536", NULL, 0) << 10;
		int rounds = argc > 3 ? atoi(argv[3]) : 5, i;

		for (i = 4; i < argc || i == 4; i++) {
			const char *t = i < argc ? argv[i] : "never";
			uint64_t th = !strcmp(t, "never") ? UINT64_MAX : strtoull(t, NULL, 0);

			e = open_engine(th);
			bufs_init(e, &b, len);
			printf("result: gbps_%zuK_stripe_%s %.3f GB/s\n", len >> 10, t,
			       gbps(e, &b, len, rounds));
			fflush(stdout);
			dmacopy_region_unregister(b.rs);
			dmacopy_region_unregister(b.rd);
			dmacopy_engine_close(e);
			munmap(b.src, huge ? (len + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1) : len);
			munmap(b.dst, huge ? (len + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1) : len);
			free(b.want);
		}
		return check_failures ? 1 : 0;
	}
	e = open_engine(THRESHOLD);
	dmacopy_engine_caps(e, &caps);
	CHECK(caps.channels >= 2, "engine %s has %u channels; striping needs 2 or more",
	      dmacopy_engine_name(e), caps.channels);
	bufs_init(e, &b, AREA);
	if (!strcmp(argv[1], "check")) {
		failed = random_copies(e, &b, 40, false, &faults);
		CHECK(!failed, "%d operations failed", failed);
		/* The synchronous calls stripe too: odd sizes and offsets, guards around. */
		for (int i = 0; i < 8; i++) {
			size_t len = (3u << 20) + 4093 * (size_t)i, doff = 4096 + 7 * (size_t)i;
			unsigned char *d = b.dst + doff;
			uint64_t pat = 0x0123456789abcdefull * (uint64_t)(i + 1);

			memset(b.dst, 0x5a, len + 8192 + 64);
			CHECK(!dmacopy_memcpy(e, d, b.src + 13 * (size_t)i, len),
			      "dmacopy_memcpy of %zu bytes: %s", len, dmacopy_last_error());
			CHECK(!memcmp(d, b.src + 13 * (size_t)i, len) && d[-1] == 0x5a &&
			      d[len] == 0x5a, "dmacopy_memcpy of %zu bytes: wrong bytes", len);
			if (!(caps.flags & DMACOPY_CAP_FILL))
				continue;
			memset(b.dst, 0x5a, len + 8192 + 64);
			fill_want(b.want, pat, len);
			CHECK(!dmacopy_fill(e, d, pat, len), "dmacopy_fill of %zu bytes: %s", len,
			      dmacopy_last_error());
			CHECK(!memcmp(d, b.want, len) && d[-1] == 0x5a && d[len] == 0x5a,
			      "dmacopy_fill of %zu bytes: wrong bytes", len);
		}
	} else if (!strcmp(argv[1], "full")) {
		ring_full(e, &b);
	} else if (!strcmp(argv[1], "fault")) {
		int most = argc > 2 ? atoi(argv[2]) : INT_MAX;

		failed = random_copies(e, &b, 40, true, &faults);
		CHECK(faults >= 1 && faults <= most,
		      "%d operations failed with a fault, 1 to %s expected (%d failed in all)",
		      faults, argc > 2 ? argv[2] : "any", failed);
		printf("read faults: %d\n", faults);
	} else {
		die("unknown mode %s", argv[1]);
	}
	dmacopy_region_unregister(b.rs);
	dmacopy_region_unregister(b.rd);
	dmacopy_engine_close(e);
	if (check_failures)
		die("%d checks failed", check_failures);
	note("ok");
	return 0;
}

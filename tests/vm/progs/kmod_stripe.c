// SPDX-License-Identifier: BSD-3-Clause
/*
 * Striped copies through libdmacopy's "kernel" engine: a copy of at least the engine's stripe
 * threshold is split into one piece per channel of dmacopy.ko, and completes as one operation.
 *
 *   kmod_stripe check               random copies around the threshold (odd sizes and offsets,
 *                                   guard bytes), striped and not, fenced ones among them, each
 *                                   checked byte for byte; then dmacopy_memcpy(), striped too
 *   kmod_stripe fault N             as check, on channels where N piece descriptors in all fail
 *                                   (the device's fault injection): between 1 and N copies fail
 *                                   with -EIO and DMACOPY_OP_READ_FAULT (a striped one when any
 *                                   of its pieces failed), others queued behind a fault on its
 *                                   channel may end -ECANCELED/ABORTED; every other copy is exact
 *   kmod_stripe bench SIZE_KIB ROUNDS [THRESHOLD...]
 *                                   copies of SIZE_KIB KiB one at a time, back to back, at least
 *                                   ROUNDS of them and for at least a second, with each stripe
 *                                   threshold given (bytes; "never" = UINT64_MAX, the default):
 *                                   "result:" lines (GB/s over all the copies) for the caller
 */
#include <dmacopy.h>

#include "kmod_util.h"

#define THRESHOLD (1u << 20)	/* the stripe threshold the checks use */
#define AREA (24u << 20)	/* each of the source and destination areas */
#define GUARD 4096u

struct bufs {
	unsigned char *src, *dst, *want;
	struct dmacopy_region *rs, *rd;
};

static struct dmacopy_engine *open_kernel(uint64_t threshold)
{
	struct dmacopy_engine_opts o = {.stripe_threshold = threshold};
	struct dmacopy_engine *e;
	int ret = dmacopy_engine_open(&e, "kernel", &o);

	if (ret)
		die("dmacopy_engine_open(kernel): %s: %s", strerror(-ret), dmacopy_last_error());
	return e;
}

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		       -1, 0);

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
	int round, i, failed = 0, striped = 0, ret;

	ret = dmacopy_queue_create(e, &qo, &q);
	if (ret)
		die("dmacopy_queue_create: %s", dmacopy_last_error());
	for (round = 0; round < rounds; round++) {
		struct {
			size_t doff, soff, len;
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
			ret = dmacopy_enqueue_copy(q, b->dst + op[i].doff, b->src + op[i].soff, len,
						   (uint64_t)i, i % 4 == 3 ? DMACOPY_OP_FENCE : 0);
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
					CHECK(fault, "copy of %zu bytes failed: %d (%s)", op[k].len,
					      c[i].status, dmacopy_op_error_str(c[i].error));
					CHECK((c[i].status == -EIO &&
					       c[i].error == DMACOPY_OP_READ_FAULT) ||
					      (c[i].status == -ECANCELED &&
					       c[i].error == DMACOPY_OP_ABORTED),
					      "a failed copy's status %d, detail %s", c[i].status,
					      dmacopy_op_error_str(c[i].error));
					failed++;
					*read_faults += c[i].error == DMACOPY_OP_READ_FAULT;
					/* What the other pieces wrote is taken as it is. */
					memcpy(b->want + op[k].doff, b->dst + op[k].doff, op[k].len);
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
	note("%d rounds, %d copies striped, %d failed (%d with a read fault)", rounds, striped,
	     failed, *read_faults);
	return failed;
}

/*
 * Copies of len bytes one at a time, back to back, for at least min_rounds copies and one second:
 * bytes moved over the time taken (GB/s). A mean over many copies, not the best single one: the
 * emulated devices' single copies vary by tens of percent.
 */
static double gbps(struct dmacopy_engine *e, struct bufs *b, size_t len, int min_rounds)
{
	struct dmacopy_queue_opts qo = {.depth = 4};
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

int main(int argc, char **argv)
{
	struct dmacopy_engine *e;
	struct dmacopy_caps caps;
	struct bufs b;
	int failed, faults = 0;

	test_name = "kmod_stripe";
	if (argc < 2)
		die("usage: kmod_stripe check | fault N | bench SIZE_KIB ROUNDS [THRESHOLD...]");
	if (!strcmp(argv[1], "bench")) {
		size_t len = (size_t)strtoul(argc > 2 ? argv[2] : "65536", NULL, 0) << 10;
		int rounds = argc > 3 ? atoi(argv[3]) : 5, i;

		for (i = 4; i < argc || i == 4; i++) {
			const char *t = i < argc ? argv[i] : "never";
			uint64_t th = !strcmp(t, "never") ? UINT64_MAX : strtoull(t, NULL, 0);

			e = open_kernel(th);
			bufs_init(e, &b, len);
			printf("result: gbps_%zuK_stripe_%s %.3f GB/s\n", len >> 10, t,
			       gbps(e, &b, len, rounds));
			fflush(stdout);
			dmacopy_engine_close(e);
			munmap(b.src, len);
			munmap(b.dst, len);
			free(b.want);
		}
		return check_failures ? 1 : 0;
	}
	e = open_kernel(THRESHOLD);
	dmacopy_engine_caps(e, &caps);
	CHECK(caps.channels >= 2, "the kernel engine has %u channels; striping needs 2 or more",
	      caps.channels);
	bufs_init(e, &b, AREA);
	if (!strcmp(argv[1], "check")) {
		failed = random_copies(e, &b, 40, false, &faults);
		CHECK(!failed, "%d copies failed", failed);
		/* The synchronous call stripes too: odd sizes and offsets, guards around. */
		for (int i = 0; i < 8; i++) {
			size_t len = (3u << 20) + 4093 * (size_t)i, doff = 4096 + 7 * (size_t)i;
			unsigned char *d = b.dst + doff;

			memset(b.dst, 0x5a, len + 8192 + 64);
			CHECK(!dmacopy_memcpy(e, d, b.src + 13 * (size_t)i, len),
			      "dmacopy_memcpy of %zu bytes: %s", len, dmacopy_last_error());
			CHECK(!memcmp(d, b.src + 13 * (size_t)i, len) && d[-1] == 0x5a &&
			      d[len] == 0x5a, "dmacopy_memcpy of %zu bytes: wrong bytes", len);
		}
	} else if (!strcmp(argv[1], "fault") && argc > 2) {
		failed = random_copies(e, &b, 40, true, &faults);
		CHECK(faults >= 1 && faults <= atoi(argv[2]),
		      "%d copies failed with a read fault, 1 to %s expected (%d failed in all)",
		      faults, argv[2], failed);
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

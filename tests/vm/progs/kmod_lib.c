// SPDX-License-Identifier: BSD-3-Clause
/*
 * libdmacopy's "kernel" engine over /dev/dmacopy, in a guest with DMA channels:
 *
 *   kmod_lib [CHANNEL]
 *
 * "auto" must choose the kernel engine; regions over anonymous, hugetlbfs,
 * device-dax and read-only memory; queues with random copies in batches,
 * checked byte for byte, completions matched by user_data; fenced operations
 * complete after everything before them; length 0 completes with status 0;
 * a read-only destination fails alone; dmacopy_memcpy(); per-channel specs
 * ("kernel:CHANNEL", and an unknown one); dmacopy_probe() rows; closing an
 * engine with operations in flight.
 */
#include <dmacopy.h>

#include "kmod_util.h"

#define BUF (8u << 20)

struct mem {
	const char *name;
	unsigned char *p;
	struct dmacopy_region *r;
};

static void random_copies(struct dmacopy_engine *e, struct mem *m, int nm, int rounds)
{
	struct dmacopy_queue_opts qo = {.depth = 512};
	struct dmacopy_completion c[512];
	unsigned char *shadow[4];
	struct dmacopy_queue *q;
	uint64_t rs = 12345;
	int round, i, n, got, ret, b;

	ret = dmacopy_queue_create(e, &qo, &q);
	CHECK(!ret, "queue_create: %d", ret);
	if (ret)
		return;
	for (b = 0; b < nm; b++) {
		shadow[b] = malloc(BUF);
		rnd_fill(&rs, m[b].p, BUF);
		memcpy(shadow[b], m[b].p, BUF);
	}
	for (round = 0; round < rounds; round++) {
		/* Disjoint slots: op i writes slot 2i and reads slot 2i+1 of 64 KiB each. */
		int nops = 1 + (int)rnd_below(&rs, 60);
		struct {
			int d, s;
			size_t doff, soff, len;
		} op[64];

		for (i = 0; i < nops; i++) {
			op[i].d = (int)rnd_below(&rs, nm);
			op[i].s = (int)rnd_below(&rs, nm);
			op[i].len = 1 + rnd_below(&rs, 65536);
			op[i].doff =
			        (size_t)(2 * i) * 65536 + rnd_below(&rs, 65536 - op[i].len + 1);
			op[i].soff =
			        (size_t)(2 * i + 1) * 65536 + rnd_below(&rs, 65536 - op[i].len + 1);
			ret = dmacopy_enqueue_copy(q, m[op[i].d].p + op[i].doff,
			                           m[op[i].s].p + op[i].soff, op[i].len,
			                           1000 * (uint64_t)round + (uint64_t)i,
			                           i == nops / 2 ? DMACOPY_OP_FENCE : 0);
			CHECK(!ret, "enqueue: %d", ret);
		}
		n = dmacopy_submit(q);
		CHECK(n == nops, "submit returned %d, expected %d", n, nops);
		for (got = 0; got < nops;) {
			ret = dmacopy_wait(q, c, 1, 512, 10000);
			CHECK(ret > 0, "wait: %d", ret);
			if (ret <= 0)
				return;
			for (i = 0; i < ret; i++) {
				CHECK(c[i].status == 0, "copy %llu: %d (%s)",
				      (unsigned long long)c[i].user_data, c[i].status,
				      dmacopy_op_error_str(c[i].error));
				CHECK(c[i].user_data / 1000 == (uint64_t)round, "stray completion");
			}
			got += ret;
		}
		for (i = 0; i < nops; i++) {
			memcpy(shadow[op[i].d] + op[i].doff, shadow[op[i].s] + op[i].soff,
			       op[i].len);
		}
		for (b = 0; b < nm; b++)
			CHECK(!memcmp(shadow[b], m[b].p, BUF), "round %d: %s differs", round,
			      m[b].name);
	}
	CHECK(dmacopy_queue_destroy(q) == 0, "queue_destroy");
	for (b = 0; b < nm; b++)
		free(shadow[b]);
}

static void fence_and_errors(struct dmacopy_engine *e, struct mem *m, unsigned char *ro,
                             struct dmacopy_region *ror)
{
	struct dmacopy_completion c[8];
	struct dmacopy_queue *q;
	int ret, i, got = 0, pos_fence = -1, pos_last = -1;

	(void)ror;
	if (dmacopy_queue_create(e, NULL, &q))
		return;
	/* Two big copies, then a fenced one and one after it. */
	dmacopy_enqueue_copy(q, m[0].p, m[1].p, 2 << 20, 1, 0);
	dmacopy_enqueue_copy(q, m[0].p + (2 << 20), m[1].p + (2 << 20), 2 << 20, 2, 0);
	dmacopy_enqueue_copy(q, m[1].p + (4 << 20), m[0].p, 4096, 3, DMACOPY_OP_FENCE);
	dmacopy_enqueue_copy(q, m[1].p + (5 << 20), m[0].p + 8192, 4096, 4, 0);
	ret = dmacopy_enqueue_copy(q, m[0].p + (6 << 20), m[1].p, 0, 5, 0);
	CHECK(!ret, "enqueue of length 0: %d", ret);
	ret = dmacopy_enqueue_copy(q, ro, m[0].p, 4096, 6, 0);
	CHECK(ret == -EACCES, "enqueue to read-only memory: %d, not -EACCES", ret);
	CHECK(dmacopy_submit(q) == 5, "submit");
	while (got < 5) {
		ret = dmacopy_wait(q, c, 1, 8, 10000);
		CHECK(ret > 0, "wait: %d", ret);
		if (ret <= 0)
			break;
		for (i = 0; i < ret; i++, got++) {
			switch (c[i].user_data) {
			case 1:
			case 2:
				CHECK(pos_fence < 0, "fenced copy completed before copy %llu",
				      (unsigned long long)c[i].user_data);
				CHECK(!c[i].status, "copy failed: %d", c[i].status);
				break;
			case 3:
				pos_fence = got;
				CHECK(!c[i].status, "fenced copy failed: %d", c[i].status);
				break;
			case 4:
				pos_last = got;
				CHECK(!c[i].status, "copy failed: %d", c[i].status);
				break;
			case 5:
				CHECK(!c[i].status, "length 0: %d", c[i].status);
				break;
			case 6:
				CHECK(false, "the refused copy completed: %d", c[i].status);
				break;
			}
		}
	}
	CHECK(pos_fence >= 0 && pos_last >= 0, "fenced copies missing");
	CHECK(!memcmp(m[1].p + (4 << 20), m[0].p, 4096), "fenced copy data");
	CHECK(dmacopy_queue_destroy(q) == 0, "queue_destroy");
}

int main(int argc, char **argv)
{
	const char *chan = argc > 1 ? argv[1] : NULL;
	struct dmacopy_engine_status rows[16];
	struct dmacopy_engine *e, *e2;
	struct dmacopy_queue *q;
	struct dmacopy_caps caps;
	struct mem m[3] = {{.name = "anon"}, {.name = "hugetlb"}, {.name = "dax"}};
	unsigned char *ro;
	struct dmacopy_region *ror;
	char spec[64];
	int ret, i, n;

	test_name = "kmod_lib";
	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = dmacopy_engine_open(&e, "auto", NULL);
	if (ret)
		die("auto: %s (%s)", dmacopy_strerror(ret), dmacopy_last_error());
	printf("%s", dmacopy_engine_selection(e));
	CHECK(!strcmp(dmacopy_engine_kind(e), "kernel"), "auto chose %s", dmacopy_engine_kind(e));
	CHECK(!dmacopy_engine_caps(e, &caps), "caps");
	CHECK(caps.flags & DMACOPY_CAP_HARDWARE, "not hardware");
	CHECK(caps.flags & DMACOPY_CAP_NEEDS_REGISTER, "no registration needed?");
	CHECK(caps.channels > 0, "no channels");
	note("auto chose %s: %u channels, max transfer %llu", dmacopy_engine_name(e), caps.channels,
	     (unsigned long long)caps.max_transfer);

	m[0].p = anon_map(BUF, false);
	m[1].p = anon_map(BUF, true);
	m[2].p = dax_map(128ULL << 20, BUF);
	for (i = 0; i < 3; i++) {
		ret = dmacopy_region_register(e, m[i].p, BUF, &m[i].r);
		CHECK(!ret, "register %s: %d", m[i].name, ret);
	}
	ro = mmap(NULL, 1 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ret = dmacopy_region_register(e, ro, 1 << 20, &ror);
	CHECK(!ret, "register read-only memory: %d", ret);
	ret = dmacopy_memcpy(e, m[0].p, m[1].p + 100, 3 << 20);
	CHECK(!ret, "memcpy: %d", ret);
	CHECK(!memcmp(m[0].p, m[1].p + 100, 3 << 20), "memcpy data");
	ret = dmacopy_memcpy(e, m[0].p, (unsigned char *)&ret, 4);
	CHECK(ret == -EFAULT, "memcpy from unregistered memory: %d", ret);
	ret = dmacopy_memset(e, m[0].p, 0, 100);
	CHECK(ret == -ENOTSUP, "memset: %d", ret);

	random_copies(e, m, 3, 20);
	fence_and_errors(e, m, ro, ror);
	CHECK(dmacopy_region_unregister(ror) == 0, "unregister read-only");

	/* Close with operations in flight. */
	if (!dmacopy_queue_create(e, NULL, &q)) {
		for (i = 0; i < 32; i++)
			dmacopy_enqueue_copy(q, m[0].p + (size_t)i * 131072,
			                     m[2].p + (size_t)i * 131072, 131072, (uint64_t)i, 0);
		CHECK(dmacopy_submit(q) == 32, "submit 32");
	}
	CHECK(dmacopy_engine_close(e) == 0, "close with copies in flight");
	CHECK(!memcmp(m[0].p, m[2].p, 32 * 131072), "copies done by close");

	n = dmacopy_probe(rows, 16);
	CHECK(n >= 2, "probe rows %d", n);
	for (i = 0; i < n && i < 16; i++)
		printf("  probe: %-6s %-20s %s %s\n", rows[i].kind, rows[i].spec,
		       rows[i].available ? "available  " : "unavailable", rows[i].detail);

	snprintf(spec, sizeof(spec), "kernel:%s", chan ? chan : "dma0chan0");
	ret = dmacopy_engine_open(&e2, spec, NULL);
	CHECK(!ret, "open %s: %d", spec, ret);
	if (!ret) {
		CHECK(!dmacopy_region_register(e2, m[0].p, BUF, &m[0].r), "register");
		CHECK(!dmacopy_region_register(e2, m[2].p, BUF, &m[2].r), "register");
		rnd_fill(&(uint64_t){7}, m[2].p, 1 << 20);
		CHECK(!dmacopy_memcpy(e2, m[0].p, m[2].p, 1 << 20), "memcpy on %s", spec);
		CHECK(!memcmp(m[0].p, m[2].p, 1 << 20), "memcpy data on %s", spec);
		dmacopy_engine_close(e2);
	}
	ret = dmacopy_engine_open(&e2, "kernel:nochan9", NULL);
	CHECK(ret == -ENOENT, "open kernel:nochan9: %d", ret);

	printf("%s: %d failures\n", test_name, check_failures);
	return check_failures ? 1 : 0;
}

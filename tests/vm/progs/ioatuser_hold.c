// SPDX-License-Identifier: BSD-3-Clause
/*
 * Hold an "ioat" engine: keep large copies in flight (to be killed), or just keep it open, or
 * check that it cannot be opened because another process holds it:
 *
 *   ioatuser_hold [-m anon|huge|dax] [-b BATCH] [-l LEN] [-t SECONDS] [-D MIB] SPEC
 *   ioatuser_hold -i [-t SECONDS] SPEC      open and hold it idle
 *   ioatuser_hold -x EBUSY|EACCES|ENODEV|ENXIO SPEC
 *                                           expect dmacopy_engine_open(SPEC) to fail so
 *   ioatuser_hold -c SPEC                   open, copy 4 MiB (verified), print the engine's name
 *
 * Busy mode: two batches of BATCH copies of LEN bytes (default 32 x 1 MiB) are always in flight
 * between registered buffers of one memory kind (default huge); every completed batch is checked
 * (its first, middle and last bytes) and submitted again. Prints "ready" once the first batches are
 * submitted and "done N" at the end; runs until killed, or for SECONDS (then exits 0 if every copy
 * succeeded).
 */
#include "ioatuser.h"

static void check_sample(const unsigned char *dst, const unsigned char *src, size_t len,
                         unsigned int i)
{
	if (dst[0] != src[0] || dst[len / 2] != src[len / 2] || dst[len - 1] != src[len - 1])
		die("copy %u: data differs", i);
}

int main(int argc, char **argv)
{
	enum mem_kind kind = MEM_HUGE;
	unsigned int batch = 32, i, b;
	size_t len = MiB;
	double seconds = 0, t0;
	uint64_t dax_mib = 0, done = 0, rs = 99;
	bool idle = false, copy_once = false;
	const char *expect = NULL;
	struct dmacopy_completion c[64];
	struct dmacopy_engine *e;
	struct dmacopy_queue *q;
	struct dbuf src, dst;
	int opt, ret;

	test_name = "ioatuser_hold";
	while ((opt = getopt(argc, argv, "m:b:l:t:D:icx:")) != -1) {
		switch (opt) {
		case 'm':
			kind = (enum mem_kind)__builtin_ctz(mem_kinds_parse(optarg));
			break;
		case 'b':
			batch = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'l':
			len = strtoull(optarg, NULL, 0);
			break;
		case 't':
			seconds = strtod(optarg, NULL);
			break;
		case 'D':
			dax_mib = strtoull(optarg, NULL, 0);
			break;
		case 'i':
			idle = true;
			break;
		case 'c':
			copy_once = true;
			break;
		case 'x':
			expect = optarg;
			break;
		default:
			die("usage: ioatuser_hold [-i|-c|-x ERR] [-m KIND] [-b BATCH] [-l LEN] "
			    "[-t SECONDS] [-D MIB] SPEC");
		}
	}
	if (optind != argc - 1)
		die("one engine spec expected");
	if (batch < 1 || batch > 32 || len < 64 || len % 64)
		die("batch 1..32 and a length that is a multiple of 64");

	if (expect) {
		static const struct {
			const char *name;
			int err;
		} errs[] = {
		        {"EBUSY", EBUSY}, {"EACCES", EACCES}, {"ENODEV", ENODEV}, {"ENXIO", ENXIO}};
		int want = 0;

		for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
			if (!strcmp(expect, errs[i].name))
				want = -errs[i].err;
		if (!want)
			die("unknown error name %s", expect);
		ret = dmacopy_engine_open(&e, argv[optind], NULL);
		if (ret == 0)
			die("dmacopy_engine_open(\"%s\") succeeded (engine %s), expected -%s",
			    argv[optind], dmacopy_engine_name(e), expect);
		if (ret != want)
			die("dmacopy_engine_open(\"%s\"): %d (%s), expected -%s: %s", argv[optind],
			    ret, dmacopy_strerror(ret), expect, dmacopy_last_error());
		if (!*dmacopy_last_error())
			die("dmacopy_engine_open(\"%s\"): -%s without an explanation", argv[optind],
			    expect);
		note("%s: -%s as expected: %s", argv[optind], expect, dmacopy_last_error());
		return 0;
	}
	if (copy_once) {
		e = engine_open(argv[optind]);
		dbuf_map(&src, kind, 8 * MiB, dax_mib * MiB);
		rnd_fill(&rs, src.p, 4 * MiB);
		dbuf_register(e, &src);
		ret = dmacopy_memcpy(e, src.p + 4 * MiB, src.p, 4 * MiB);
		if (ret || memcmp(src.p + 4 * MiB, src.p, 4 * MiB))
			die("%s: 4 MiB copy: %d %s", dmacopy_engine_name(e), ret,
			    ret ? dmacopy_last_error() : "data differs");
		note("engine %s: 4 MiB copy verified", dmacopy_engine_name(e));
		dbuf_release(&src);
		dmacopy_engine_close(e);
		return 0;
	}
	e = engine_open(argv[optind]);
	if (idle) {
		note("ready (idle)");
		t0 = now_sec();
		while (!seconds || now_sec() - t0 < seconds)
			usleep(10000);
		dmacopy_engine_close(e);
		return 0;
	}

	/* two sets of batch buffers: set b copies src[b] to dst[b] */
	dbuf_map(&src, kind,
	         2 * batch * len < 2 * MiB
	                 ? 2 * MiB
	                 : (2 * batch * len + 2 * MiB - 1) & ~(size_t)(2 * MiB - 1),
	         dax_mib * MiB);
	dbuf_map(&dst, kind, src.len, dax_mib * MiB + src.len);
	rnd_fill(&rs, src.p, src.len);
	dbuf_register(e, &src);
	dbuf_register(e, &dst);
	q = queue_create(e, 64);

	for (b = 0; b < 2; b++) {
		for (i = 0; i < batch; i++) {
			size_t off = (b * batch + i) * len;

			ret = dmacopy_enqueue_copy(q, dst.p + off, src.p + off, len, b * batch + i,
			                           0);
			if (ret)
				die("enqueue: %d %s", ret, dmacopy_last_error());
		}
		ret = dmacopy_submit(q);
		if (ret != (int)batch)
			die("submit: %d %s", ret, dmacopy_last_error());
	}
	note("ready: %u copies of %zu bytes in flight on %s memory", 2 * batch, len,
	     mem_kind_name[kind]);
	t0 = now_sec();
	for (;;) {
		unsigned int got = 0, set = (unsigned int)(done / batch) % 2;

		/* wait for the older set, check it, submit it again */
		while (got < batch) {
			int n = dmacopy_wait(q, c + got, 1, batch - got, 30000);

			if (n <= 0)
				die("wait: %d %s", n, dmacopy_last_error());
			got += (unsigned int)n;
		}
		for (i = 0; i < batch; i++) {
			unsigned int id = (unsigned int)c[i].user_data;

			if (c[i].status)
				die("copy %u failed: %d (%s)", id, c[i].status,
				    dmacopy_op_error_str(c[i].error));
			if (id / batch != set)
				die("copy %u completed out of its batch", id);
			check_sample(dst.p + (size_t)id * len, src.p + (size_t)id * len, len, id);
		}
		done += batch;
		if (seconds && now_sec() - t0 >= seconds)
			break;
		for (i = 0; i < batch; i++) {
			size_t off = (set * batch + i) * len;

			ret = dmacopy_enqueue_copy(q, dst.p + off, src.p + off, len,
			                           set * batch + i, 0);
			if (ret)
				die("enqueue: %d %s", ret, dmacopy_last_error());
		}
		if (dmacopy_submit(q) != (int)batch)
			die("submit: %s", dmacopy_last_error());
	}
	dmacopy_queue_destroy(q);
	dbuf_release(&src);
	dbuf_release(&dst);
	dmacopy_engine_close(e);
	note("done %" PRIu64 " copies of %zu bytes", done, len);
	return 0;
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fault injection through the "ioat" engine, one thread per emulated I/OAT function:
 *
 *   ioatuser_fault [-n OPS] [-s SEED] BDF=MODE...
 *
 *   MODE  nth:N:read|write     the device fails its Nth COPY/FILL descriptor since power-on
 *         every:N:read|write   ... every Nth one
 *         none                 no fault
 *   append ":multi" to use operations of 2 to 16 descriptors each (nth only), else every
 *   operation fits in one descriptor
 *
 * The modes must match the devices' fail-nth / fail-every / fail-op properties, and nothing else
 * (ioatdma's self-test included) may have run descriptors on these functions since power-on.
 * Each thread runs OPS (default 3000) random copies and fills in batches of 1 to 64 on registered
 * anonymous and hugetlb memory and counts the data descriptors it hands to the channel, so it knows
 * which operation holds the faulty descriptor. Checked: exactly those operations fail, with status
 * -EIO and DMACOPY_OP_READ_FAULT or DMACOPY_OP_WRITE_FAULT as injected; every other operation, the
 * ones queued behind a fault in the same batch included, succeeds with verified data; no guard byte
 * changes; the channel works after the last fault (at least 1000 verified operations, then
 * dmacopy_memcpy()).
 */
#include <pthread.h>

#include "ioatuser.h"

struct fault_dev {
	char bdf[32];
	char spec[48];
	enum { F_NONE, F_NTH, F_EVERY } mode;
	uint64_t n;
	bool write, multi;
	uint64_t seed, count;
	/* results */
	uint64_t expected_failures, failures, ok, checked_ops;
	uint64_t first_failed_op, ok_after_last;
	uint32_t first_failed_descs,
	        first_failed_at; /* its descriptors, the faulty one (1-based) */
	char err[256];
	pthread_t thread;
};

static bool desc_fails(const struct fault_dev *d, uint64_t desc)
{
	if (d->mode == F_NTH)
		return desc == d->n;
	if (d->mode == F_EVERY)
		return desc % d->n == 0;
	return false;
}

/* Called with every finished batch: compare the failures with the injected ones. */
static void batch_done(void *arg, struct op *ops, unsigned int n)
{
	struct fault_dev *d = arg;
	unsigned int i;

	for (i = 0; i < n; i++) {
		const struct op *o = &ops[i];
		uint64_t k, opno = d->checked_ops++;
		bool expect = false;

		for (k = 0; k < o->descs; k++)
			expect |= desc_fails(d, o->first_desc + k);
		if (expect) {
			unsigned int want =
			        d->write ? DMACOPY_OP_WRITE_FAULT : DMACOPY_OP_READ_FAULT;

			d->expected_failures++;
			if (o->status != -EIO || o->error != want)
				die("%s: op %" PRIu64 " (%s of %zu bytes, descriptors %" PRIu64
				    "-%" PRIu64 ") holds the injected %s fault but completed with "
				                "status %d (%s), "
				    "error %u (%s); expected -EIO, %s",
				    d->bdf, opno, o->src ? "copy" : "fill", o->len, o->first_desc,
				    o->first_desc + o->descs - 1, d->write ? "write" : "read",
				    o->status, dmacopy_strerror(o->status), o->error,
				    dmacopy_op_error_str(o->error), dmacopy_op_error_str(want));
			if (!d->failures) {
				d->first_failed_op = opno;
				d->first_failed_descs = o->descs;
				for (k = 0; k < o->descs; k++)
					if (desc_fails(d, o->first_desc + k))
						d->first_failed_at = (uint32_t)k + 1;
			}
			d->failures++;
			d->ok_after_last = 0;
		} else {
			if (o->status)
				die("%s: op %" PRIu64 " (%s of %zu bytes, descriptors %" PRIu64
				    "-%" PRIu64 ") failed: status %d (%s), error %u (%s), but no "
				                "fault was injected "
				    "there (%" PRIu64 " failures so far)",
				    d->bdf, opno, o->src ? "copy" : "fill", o->len, o->first_desc,
				    o->first_desc + o->descs - 1, o->status,
				    dmacopy_strerror(o->status), o->error,
				    dmacopy_op_error_str(o->error), d->failures);
			d->ok++;
			d->ok_after_last++;
		}
	}
}

static void *fault_main(void *arg)
{
	struct fault_dev *d = arg;
	struct dmacopy_engine *e = engine_open(d->spec);
	struct dmacopy_caps caps = engine_caps(e);
	uint64_t rs = d->seed, descs = 0;
	struct ops_stats st;
	struct ops_mem m;
	struct dmacopy_queue *q;
	struct ops_cfg cfg = {
	        .count = d->count,
	        /* multi: every operation takes 2 to 16 descriptors */
	        .min_len = d->multi ? (size_t)caps.hw_max_transfer + 1 : 1,
	        .max_len = d->multi ? 16 * (size_t)caps.hw_max_transfer : caps.hw_max_transfer,
	        .min_batch = 1,
	        .max_batch = 64,
	        .fill_pct = 25,
	        .depth = 256,
	        .single_desc = !d->multi,
	        .allow_errors = true,
	        .batch_done = batch_done,
	        .arg = d,
	};
	unsigned char *a, *b;
	int ret;

	if (cfg.max_len > 2 * MiB)
		cfg.max_len = 2 * MiB;
	ops_mem_setup(&m, e, (1u << MEM_ANON) | (1u << MEM_HUGE), 4 * MiB, 16 * MiB, 0, &rs);
	q = queue_create(e, cfg.depth);
	ops_run(d->bdf, e, q, &m, &cfg, &rs, &descs, &st);
	dmacopy_queue_destroy(q);

	/* the synchronous path after everything */
	a = m.src[MEM_HUGE].p;
	b = m.dst[MEM_ANON].p;
	memset(b, 0, 65536);
	ret = dmacopy_memcpy(e, b, a, 65536);
	if (ret || memcmp(a, b, 65536))
		die("%s: dmacopy_memcpy after the faults: %d (%s)", d->bdf, ret,
		    dmacopy_last_error());
	ops_mem_release(&m);
	dmacopy_engine_close(e);
	return NULL;
}

int main(int argc, char **argv)
{
	uint64_t count = 3000, seed;
	const char *seed_arg = NULL;
	struct fault_dev *devs;
	int opt, n, i, bad = 0;

	test_name = "ioatuser_fault";
	while ((opt = getopt(argc, argv, "n:s:")) != -1) {
		switch (opt) {
		case 'n':
			count = strtoull(optarg, NULL, 0);
			break;
		case 's':
			seed_arg = optarg;
			break;
		default:
			die("usage: ioatuser_fault [-n OPS] [-s SEED] BDF=MODE...");
		}
	}
	n = argc - optind;
	if (n < 1)
		die("usage: ioatuser_fault [-n OPS] [-s SEED] BDF=MODE...");
	seed = seed_from(seed_arg);
	note("seed %#" PRIx64 ", %" PRIu64 " operations per function", seed, count);
	devs = calloc((size_t)n, sizeof(*devs));
	if (!devs)
		die("out of memory");
	for (i = 0; i < n; i++) {
		struct fault_dev *d = &devs[i];
		char mode[64], *eq = strchr(argv[optind + i], '=');

		if (!eq || (size_t)(eq - argv[optind + i]) >= sizeof(d->bdf))
			die("bad argument '%s' (BDF=MODE)", argv[optind + i]);
		memcpy(d->bdf, argv[optind + i], (size_t)(eq - argv[optind + i]));
		snprintf(d->spec, sizeof(d->spec), "ioat:%s", d->bdf);
		snprintf(mode, sizeof(mode), "%s", eq + 1);
		d->multi = strstr(mode, ":multi") != NULL;
		d->write = strstr(mode, ":write") != NULL;
		if (!strncmp(mode, "nth:", 4)) {
			d->mode = F_NTH;
			d->n = strtoull(mode + 4, NULL, 0);
		} else if (!strncmp(mode, "every:", 6)) {
			d->mode = F_EVERY;
			d->n = strtoull(mode + 6, NULL, 0);
			if (d->multi)
				die("%s: every:N works with single-descriptor operations only",
				    d->bdf);
		} else if (strcmp(mode, "none")) {
			die("bad mode '%s'", mode);
		}
		if (d->mode != F_NONE && !d->n)
			die("bad mode '%s'", mode);
		d->seed = seed + 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
		d->count = count;
		if (pthread_create(&d->thread, NULL, fault_main, d))
			die("pthread_create");
	}
	for (i = 0; i < n; i++) {
		struct fault_dev *d = &devs[i];

		pthread_join(d->thread, NULL);
		note("%s: %" PRIu64 " operations, %" PRIu64
		     " failed as injected (first: op %" PRIu64 ", descriptor %u of %u), %" PRIu64
		     " verified, %" PRIu64 " verified after the "
		     "last fault",
		     d->bdf, d->checked_ops, d->failures, d->failures ? d->first_failed_op : 0,
		     d->first_failed_at, d->first_failed_descs, d->ok, d->ok_after_last);
		if (d->multi && d->failures && d->first_failed_descs < 2) {
			note("%s: FAIL: the fault did not land in a multi-descriptor operation",
			     d->bdf);
			bad++;
		}
		if (d->mode != F_NONE && d->failures == 0) {
			note("%s: FAIL: no operation held an injected fault", d->bdf);
			bad++;
		}
		if (d->mode == F_NONE && d->failures) {
			note("%s: FAIL: failures without fault injection", d->bdf);
			bad++;
		}
		if (d->ok_after_last < 1000 && d->mode != F_EVERY) {
			note("%s: FAIL: only %" PRIu64 " verified operations after the last fault",
			     d->bdf, d->ok_after_last);
			bad++;
		}
		if (d->mode == F_EVERY && d->ok < 1000) {
			note("%s: FAIL: only %" PRIu64 " verified operations", d->bdf, d->ok);
			bad++;
		}
	}
	if (bad)
		die("%d check(s) failed", bad);
	free(devs);
	note("PASS");
	return 0;
}

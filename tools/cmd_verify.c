// SPDX-License-Identifier: BSD-3-Clause
/*
 * dmacopy verify: dmatest-style checking of an engine. Random sizes and offsets, guard bytes,
 * patterns that expose under- and over-copies (see verify_buffers.h), synchronous operations and
 * asynchronous batches, copies and (where the engine has them) fills.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dmacopy.h"
#include "cli.h"
#include "rng.h"
#include "verify_buffers.h"

static void verify_usage(void)
{
	printf("Usage: dmacopy verify [OPTIONS]\n"
	       "\n"
	       "Check that an engine copies and fills exactly the bytes asked for: random sizes and\n"
	       "offsets, guard bytes around every destination, source bytes marked so that over- and\n"
	       "under-copies, misplaced copies and writes to the source are recognised. Operations run\n"
	       "synchronously and in asynchronous batches. Every failure is printed with its iteration,\n"
	       "offset, expected and actual byte; the exit status is 1 if any operation failed.\n"
	       "\n"
	       "Options:\n"
	       "  -e, --engine SPEC      one of %s (default auto)\n"
	       "  -n, --iterations N     operations to check (default 1000)\n"
	       "      --seed N           seed of the random choices (default: time-based; printed)\n"
	       "      --max-size SIZE    largest operation, K/M/G suffixes (default 1M)\n"
	       "  -m, --mode MODE        sync, async or mixed (default mixed: both, chosen at random)\n"
	       "      --batch N          largest asynchronous batch (default 16)\n"
	       "      --no-fill          check copies only, even if the engine can fill\n"
	       "      --inject-error N   corrupt one byte after iteration N (to see a failure reported)\n"
	       "  -q, --quiet            print failures and the summary only\n"
	       "  -h, --help             show this help\n",
	       dmacopy_engine_specs());
}

#define GUARD_BYTES     4096
#define MAX_REPORTED    20 /* failing operations printed in full */
#define BYTES_PER_FAIL  8  /* differing bytes printed per failing operation */
#define WAIT_TIMEOUT_MS 10000

enum verify_mode { MODE_SYNC, MODE_ASYNC, MODE_MIXED };

struct verify_args {
	const char *engine;
	uint64_t iterations, seed, max_size, inject;
	unsigned int batch;
	enum verify_mode mode;
	bool seed_given, no_fill, quiet;
};

/* How an operation ended. */
struct op_result {
	int status;         /* 0 or -errno */
	unsigned int error; /* enum dmacopy_op_error of a failed completion */
	const char *call;   /* what reported status */
};

struct verify_run {
	const struct verify_args *a;
	struct dmacopy_engine *engine;
	struct dmacopy_caps caps;
	struct verify_buffers buf;
	struct dmacopy_region *src_reg, *dst_reg;
	struct dmacopy_queue *queue;
	struct verify_op *ops;
	struct op_result *results;
	struct rng rng;
	bool can_fill;
	bool stuck;         /* operations never completed: leave the engine and the buffers alone */
	uint64_t iteration; /* operations started so far */
	uint64_t sync_ops, async_ops, batches, copies, fills, bytes, failures;
};

/* ---- arguments ---------------------------------------------------------------------------------
 */

static int parse_args(int argc, char **argv, struct verify_args *a)
{
	enum { OPT_SEED = 256, OPT_MAX_SIZE, OPT_BATCH, OPT_NO_FILL, OPT_INJECT };
	static const struct option options[] = {
	        {"engine", required_argument, NULL, 'e'},
	        {"iterations", required_argument, NULL, 'n'},
	        {"seed", required_argument, NULL, OPT_SEED},
	        {"max-size", required_argument, NULL, OPT_MAX_SIZE},
	        {"mode", required_argument, NULL, 'm'},
	        {"batch", required_argument, NULL, OPT_BATCH},
	        {"no-fill", no_argument, NULL, OPT_NO_FILL},
	        {"inject-error", required_argument, NULL, OPT_INJECT},
	        {"quiet", no_argument, NULL, 'q'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	uint64_t v;
	int opt;

	*a = (struct verify_args){.engine = "auto",
	                          .iterations = 1000,
	                          .max_size = 1u << 20,
	                          .batch = 16,
	                          .mode = MODE_MIXED};
	while ((opt = getopt_long(argc, argv, ":e:n:m:qh", options, NULL)) != -1) {
		switch (opt) {
		case 'e':
			a->engine = optarg;
			break;
		case 'n':
			if (parse_uint(optarg, 1, UINT64_MAX, &a->iterations))
				return cli_usage_error(
				        "verify",
				        "--iterations '%s' is not a count; use a number "
				        "of at least 1",
				        optarg);
			break;
		case OPT_SEED:
			if (parse_uint(optarg, 0, UINT64_MAX, &a->seed))
				return cli_usage_error("verify",
				                       "--seed '%s' is not a number; use a decimal "
				                       "number (as printed by an earlier run)",
				                       optarg);
			a->seed_given = true;
			break;
		case OPT_MAX_SIZE:
			if (parse_size(optarg, &a->max_size) || !a->max_size ||
			    a->max_size > (1ull << 30))
				return cli_usage_error(
				        "verify",
				        "--max-size '%s' is not a size from 1 to 1G; use "
				        "a number with an optional K, M, G suffix (e.g. "
				        "64K)",
				        optarg);
			break;
		case 'm':
			if (!strcmp(optarg, "sync"))
				a->mode = MODE_SYNC;
			else if (!strcmp(optarg, "async"))
				a->mode = MODE_ASYNC;
			else if (!strcmp(optarg, "mixed"))
				a->mode = MODE_MIXED;
			else
				return cli_usage_error(
				        "verify",
				        "--mode '%s' is not a mode; use sync, async or "
				        "mixed",
				        optarg);
			break;
		case OPT_BATCH:
			if (parse_uint(optarg, 1, 4096, &v))
				return cli_usage_error(
				        "verify",
				        "--batch '%s' is not a batch size; use a number "
				        "from 1 to 4096",
				        optarg);
			a->batch = (unsigned int)v;
			break;
		case OPT_NO_FILL:
			a->no_fill = true;
			break;
		case OPT_INJECT:
			if (parse_uint(optarg, 1, UINT64_MAX, &a->inject))
				return cli_usage_error(
				        "verify",
				        "--inject-error '%s' is not an iteration number; "
				        "use a number from 1 to the iteration count",
				        optarg);
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'h':
			verify_usage();
			return CLI_HELP_SHOWN;
		default:
			return cli_option_error("verify", opt, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("verify",
		                       "unexpected argument '%s'; verify takes only options",
		                       argv[optind]);
	if (a->inject > a->iterations)
		return cli_usage_error(
		        "verify",
		        "--inject-error %llu is beyond the last iteration (%llu); use "
		        "a smaller number",
		        (unsigned long long)a->inject, (unsigned long long)a->iterations);
	if (!a->seed_given)
		a->seed = now_ns() ^ ((uint64_t)getpid() << 32);
	return CLI_EXIT_OK;
}

/* ---- operations ---------------------------------------------------------------------------------
 */

/* Mostly spread evenly over orders of magnitude, with extra weight on tiny sizes, the largest
 * size and zero. */
static size_t random_len(struct rng *r, size_t max)
{
	uint64_t pick = rng_below(r, 64), len;
	unsigned int bits = 0, e;

	if (pick == 0)
		return 0;
	if (pick < 16)
		return 1 + rng_below(r, max < 64 ? max : 64);
	if (pick < 20)
		return max;
	while ((2ull << bits) <= max)
		bits++;
	e = (unsigned int)rng_below(r, bits + 1);
	len = (1ull << e) + rng_below(r, 1ull << e);
	return len > max ? max : (size_t)len;
}

static size_t random_offset(struct rng *r, size_t room, size_t align)
{
	size_t off = rng_below(r, room + 1);

	if (rng_below(r, 4) == 0)
		off &= ~(size_t)63; /* cache-line aligned, where copy routines take their fast paths
		                     */
	return off / align * align;
}

static void random_op(struct verify_run *v, struct verify_op *op, bool async)
{
	size_t area = v->buf.area, align = v->caps.align > 1 ? v->caps.align : 1;

	memset(op, 0, sizeof(*op));
	op->fill = v->can_fill && rng_below(&v->rng, 8) == 0;
	op->len = random_len(&v->rng, area) / align * align;
	op->src_off = random_offset(&v->rng, area - op->len, align);
	op->dst_off = random_offset(&v->rng, area - op->len, align);
	op->key = rng_next(&v->rng);
	op->pattern = rng_next(&v->rng) | 0x8080808080808080ull;
	if (async && rng_below(&v->rng, 8) == 0)
		op->flags = DMACOPY_OP_FENCE;
}

static void describe_op(char *buf, size_t len, const struct verify_op *op, bool async)
{
	if (op->fill)
		snprintf(buf, len, "%s fill of %zu bytes with 0x%016llx at dst offset %zu",
		         async ? "async" : "sync", op->len, (unsigned long long)op->pattern,
		         op->dst_off);
	else
		snprintf(buf, len, "%s copy of %zu bytes, src offset %zu -> dst offset %zu%s",
		         async ? "async" : "sync", op->len, op->src_off, op->dst_off,
		         op->flags & DMACOPY_OP_FENCE ? ", fenced" : "");
}

/* Account for one finished operation, then check and report it. */
static void finish_op(struct verify_run *v, unsigned int slot, const struct verify_op *op,
                      uint64_t iteration, const struct op_result *res, const char *batch_info)
{
	char desc[192], prefix[64], detail[256] = "";
	uint64_t bad = 0;

	v->copies += !op->fill;
	v->fills += op->fill;
	v->bytes += op->len;
	if (v->a->inject == iteration) {
		/* Mid-range; for an empty range this is the guard byte right after it. */
		*verify_dst(&v->buf, slot, op->dst_off + op->len / 2) ^= 0x01;
	}
	if (!res->status) {
		bad = verify_check(&v->buf, slot, op, "", 0);
		if (!bad)
			return;
	}
	if (++v->failures > MAX_REPORTED) {
		if (v->failures == MAX_REPORTED + 1)
			printf("(further failures are counted but not printed)\n");
		return;
	}
	describe_op(desc, sizeof(desc), op, !!batch_info[0]);
	if (res->status) {
		if (res->error)
			snprintf(detail, sizeof(detail), " (%s)", dmacopy_op_error_str(res->error));
		else
			cli_lib_detail(detail, sizeof(detail));
		printf("FAIL iteration %llu: %s%s: %s: %s%s\n", (unsigned long long)iteration, desc,
		       batch_info, res->call, dmacopy_strerror(res->status), detail);
		return;
	}
	printf("FAIL iteration %llu: %s%s: %llu byte%s wrong\n", (unsigned long long)iteration,
	       desc, batch_info, (unsigned long long)bad, bad == 1 ? "" : "s");
	snprintf(prefix, sizeof(prefix), "  iteration %llu", (unsigned long long)iteration);
	verify_check(&v->buf, slot, op, prefix, BYTES_PER_FAIL);
}

static void run_sync(struct verify_run *v)
{
	struct verify_op *op = &v->ops[0];
	struct op_result res = {0};
	uint64_t iteration = ++v->iteration;

	random_op(v, op, false);
	res.call = op->fill ? "dmacopy_fill" : "dmacopy_memcpy";
	verify_prepare(&v->buf, 0, op);
	if (op->fill)
		res.status = dmacopy_fill(v->engine, verify_dst(&v->buf, 0, op->dst_off),
		                          op->pattern, op->len);
	else
		res.status = dmacopy_memcpy(v->engine, verify_dst(&v->buf, 0, op->dst_off),
		                            verify_src(&v->buf, 0, op->src_off), op->len);
	v->sync_ops++;
	finish_op(v, 0, op, iteration, &res, "");
}

static int enqueue_op(struct verify_run *v, unsigned int slot)
{
	const struct verify_op *op = &v->ops[slot];

	if (op->fill)
		return dmacopy_enqueue_fill(v->queue, verify_dst(&v->buf, slot, op->dst_off),
		                            op->pattern, op->len, slot, op->flags);
	return dmacopy_enqueue_copy(v->queue, verify_dst(&v->buf, slot, op->dst_off),
	                            verify_src(&v->buf, slot, op->src_off), op->len, slot,
	                            op->flags);
}

/* One batch; returns non-zero when the queue is in an unknown state and the run must stop. */
static int run_async(struct verify_run *v, uint64_t left)
{
	unsigned int n = 1 + (unsigned int)rng_below(&v->rng, v->a->batch), queued = 0, reaped = 0;
	uint64_t first = v->iteration + 1;
	struct dmacopy_completion done[64];
	char info[96], detail[256];
	int ret;

	if (n > left)
		n = (unsigned int)left;
	for (unsigned int i = 0; i < n; i++) {
		struct op_result *res = &v->results[i];

		random_op(v, &v->ops[i], true);
		verify_prepare(&v->buf, i, &v->ops[i]);
		*res = (struct op_result){.call = "completion"};
		res->status = enqueue_op(v, i);
		if (res->status)
			res->call =
			        v->ops[i].fill ? "dmacopy_enqueue_fill" : "dmacopy_enqueue_copy";
		queued += !res->status;
	}
	v->iteration += n;
	v->batches++;
	v->async_ops += n;
	ret = queued ? dmacopy_submit(v->queue) : 0;
	if (ret < 0)
		return cli_error("verify", "iterations %llu-%llu: dmacopy_submit: %s%s",
		                 (unsigned long long)first, (unsigned long long)(first + n - 1),
		                 dmacopy_strerror(ret), cli_lib_detail(detail, sizeof(detail)));
	while (reaped < queued) {
		unsigned int want =
		        queued - reaped < ARRAY_SIZE(done) ? queued - reaped : ARRAY_SIZE(done);

		ret = dmacopy_wait(v->queue, done, want, want, WAIT_TIMEOUT_MS);
		v->stuck = ret < 0 || (unsigned int)ret < want;
		if (v->stuck)
			return cli_error(
			        "verify",
			        "iterations %llu-%llu: %u of %u operations did not complete "
			        "within %d ms%s%s",
			        (unsigned long long)first, (unsigned long long)(first + n - 1),
			        queued - reaped - (ret > 0 ? ret : 0), queued, WAIT_TIMEOUT_MS,
			        ret < 0 ? ": " : "", ret < 0 ? dmacopy_strerror(ret) : "");
		for (int i = 0; i < ret; i++) {
			if (done[i].user_data >= n)
				return cli_error("verify", "completion with unknown user_data %llu",
				                 (unsigned long long)done[i].user_data);
			v->results[done[i].user_data].status = done[i].status;
			v->results[done[i].user_data].error = done[i].error;
		}
		reaped += (unsigned int)ret;
	}
	for (unsigned int i = 0; i < n; i++) {
		snprintf(info, sizeof(info), " (op %u of a batch of %u)", i + 1, n);
		finish_op(v, i, &v->ops[i], first + i, &v->results[i], info);
	}
	return 0;
}

/* ---- the run ------------------------------------------------------------------------------------
 */

static int setup(struct verify_run *v)
{
	const struct verify_args *a = v->a;
	unsigned int slots = a->mode == MODE_SYNC ? 1 : a->batch;
	struct dmacopy_queue_opts qopts = {.depth = slots};
	size_t guard = GUARD_BYTES;
	char detail[256];
	int ret;

	ret = cli_engine_open("verify", a->engine, &v->engine);
	if (ret)
		return ret;
	ret = dmacopy_engine_caps(v->engine, &v->caps);
	if (ret)
		return cli_error("verify", "cannot read the engine's capabilities: %s",
		                 dmacopy_strerror(ret));
	if (v->caps.align > 1 && (a->max_size < v->caps.align || guard % v->caps.align))
		return cli_usage_error("verify",
		                       "engine %s needs %u-byte alignment; use a larger "
		                       "--max-size",
		                       dmacopy_engine_name(v->engine), v->caps.align);
	v->can_fill = !a->no_fill && (v->caps.flags & DMACOPY_CAP_FILL);
	rng_seed(&v->rng, a->seed);
	v->ops = calloc(slots, sizeof(*v->ops));
	v->results = calloc(slots, sizeof(*v->results));
	if (!v->ops || !v->results ||
	    verify_buffers_init(&v->buf, a->max_size, guard, slots, a->seed))
		return cli_error("verify", "cannot allocate buffers for %u x %llu bytes", slots,
		                 (unsigned long long)a->max_size);
	ret = dmacopy_region_register(v->engine, v->buf.src, v->buf.slot_len * slots, &v->src_reg);
	if (!ret)
		ret = dmacopy_region_register(v->engine, v->buf.dst, v->buf.slot_len * slots,
		                              &v->dst_reg);
	if (ret)
		return cli_error("verify", "cannot register the test buffers: %s%s",
		                 dmacopy_strerror(ret), cli_lib_detail(detail, sizeof(detail)));
	if (a->mode == MODE_SYNC)
		return CLI_EXIT_OK;
	ret = dmacopy_queue_create(v->engine, &qopts, &v->queue);
	if (ret)
		return cli_error("verify", "cannot create a queue of depth %u: %s%s", slots,
		                 dmacopy_strerror(ret), cli_lib_detail(detail, sizeof(detail)));
	return CLI_EXIT_OK;
}

static void teardown(struct verify_run *v)
{
	if (v->stuck)
		return; /* the process exits: the kernel releases everything */
	if (v->queue)
		dmacopy_queue_destroy(v->queue);
	dmacopy_region_unregister(v->src_reg);
	dmacopy_region_unregister(v->dst_reg);
	verify_buffers_free(&v->buf);
	free(v->ops);
	free(v->results);
	dmacopy_engine_close(v->engine);
}

static int run(struct verify_run *v)
{
	const struct verify_args *a = v->a;
	static const char *const modes[] = {"sync", "async", "mixed"};
	char max[32], moved[32];
	int ret = setup(v);

	if (ret)
		return ret;
	if (!a->quiet)
		printf("verify: engine %s, seed %llu, %llu iterations, sizes 0..%s, mode %s, "
		       "batches "
		       "up to %u, fills %s\n",
		       dmacopy_engine_name(v->engine), (unsigned long long)a->seed,
		       (unsigned long long)a->iterations,
		       format_size(a->max_size, max, sizeof(max)), modes[a->mode], a->batch,
		       v->can_fill  ? "yes"
		       : a->no_fill ? "no (--no-fill)"
		                    : "no (engine cannot fill)");
	if (a->inject && !a->quiet)
		printf("verify: corrupting one byte after iteration %llu (--inject-error)\n",
		       (unsigned long long)a->inject);
	while (v->iteration < a->iterations && !ret) {
		/* mixed: keep the numbers of sync and async operations close. */
		bool async = a->mode == MODE_ASYNC ||
		             (a->mode == MODE_MIXED &&
		              (v->sync_ops > v->async_ops ||
		               (v->sync_ops == v->async_ops && rng_below(&v->rng, 2))));

		if (async)
			ret = run_async(v, a->iterations - v->iteration);
		else
			run_sync(v);
	}
	printf("verify: %llu iterations (%llu sync, %llu async in %llu batches; %llu copies, %llu "
	       "fills, %s): %llu failure%s (engine %s, seed %llu)\n",
	       (unsigned long long)v->iteration, (unsigned long long)v->sync_ops,
	       (unsigned long long)v->async_ops, (unsigned long long)v->batches,
	       (unsigned long long)v->copies, (unsigned long long)v->fills,
	       format_bytes(v->bytes, moved, sizeof(moved)), (unsigned long long)v->failures,
	       v->failures == 1 ? "" : "s", dmacopy_engine_name(v->engine),
	       (unsigned long long)a->seed);
	if (ret)
		return ret;
	return v->failures ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

int cmd_verify(int argc, char **argv)
{
	struct verify_args args;
	struct verify_run v = {.a = &args};
	int ret = parse_args(argc, argv, &args);

	if (ret == CLI_HELP_SHOWN)
		return CLI_EXIT_OK; /* --help */
	if (ret)
		return ret;
	ret = run(&v);
	teardown(&v);
	return ret;
}

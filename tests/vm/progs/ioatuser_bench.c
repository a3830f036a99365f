// SPDX-License-Identifier: BSD-3-Clause
/*
 * Throughput and per-operation CPU cost of a libdmacopy engine (run with the "ioat" engine and, for
 * comparison, the "kernel" engine), on registered memory (-m anon|huge|dax, default huge):
 *
 *   ioatuser_bench ops SPEC [-b BATCH] [-w WINDOW] [-t SECONDS] [-v] [-r]
 *       64-byte copies in batches of BATCH (32) with WINDOW (1) batches in flight: refill as soon
 *       as a batch's worth of completions is reaped (dmacopy_wait, min = BATCH); each copy
 *       enqueued with dmacopy_enqueue_copy(), or with -v each batch with one
 *       dmacopy_enqueue_copies() (result names end in _v); with -r reaped with dmacopy_reap(),
 *       a count without records, as DPDK's rte_dma_completed() gives (names end in _r)
 *   ioatuser_bench bw SPEC SIZE [-w INFLIGHT] [-t SECONDS]
 *       copies of SIZE bytes, INFLIGHT at once (default: 64 for <= 64 KiB, 8 for <= 1 MiB, else 2)
 *   ioatuser_bench cost SPEC [-b BATCH] [-n BATCHES]
 *       CPU time of the submitting thread (CLOCK_THREAD_CPUTIME_ID) for enqueueing BATCH 64-byte
 *       copies plus dmacopy_submit(), and for the dmacopy_wait() that reaps them after the thread
 *       slept 2 ms (so the engine has finished and idle polling is not counted; time an engine
 *       blocks in the kernel is not CPU time either); the clock's own cost is subtracted
 *
 * Copies are checked (a sample of each destination in ops/bw, every byte in cost). Prints
 * "result: NAME VALUE UNIT" lines.
 */
#include "ioatuser.h"

#define HUGE_2M (2 * MiB)
/*
 * Loop iterations between two looks at the clock. In an emulated guest the clock is HPET, read
 * with a system call that also flushes the emulated TLB; bench/dmadev/rte_dma_bench.c, the DPDK
 * peer, does the same.
 */
#define CLOCK_EVERY 16

static enum mem_kind mem = MEM_HUGE;
static bool vectored; /* -v */
static bool counted;  /* -r */

static void result(const char *name, double value, const char *unit)
{
	printf("result: %s %.3f %s\n", name, value, unit);
	fflush(stdout);
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t round_2m(size_t len)
{
	return (len + HUGE_2M - 1) & ~(size_t)(HUGE_2M - 1);
}

/*
 * The destination's copies start one page into its buffer (DST_SKEW), so that a source and a
 * destination byte at the same offset are an odd number of pages apart: 2 MiB apart, the
 * emulated CPU's TLB (a power of two entries, often 256 or 512) would put the two pages at the
 * same index, and the check of every copy would miss it twice. bench/dmadev/rte_dma_bench.c,
 * the DPDK peer, does the same.
 */
#define DST_SKEW 4096

struct setup {
	struct dmacopy_engine *e;
	struct dmacopy_queue *q;
	struct dbuf src, dst;
	unsigned char *sp, *dp; /* where the copies go: src.p, dst.p + DST_SKEW */
};

static void setup(struct setup *s, const char *spec, size_t len, unsigned int depth)
{
	uint64_t rs = 7;

	s->e = engine_open(spec);
	dbuf_map(&s->src, mem, round_2m(len), 0);
	dbuf_map(&s->dst, mem, round_2m(len + DST_SKEW), round_2m(len));
	s->sp = s->src.p;
	s->dp = s->dst.p + DST_SKEW;
	rnd_fill(&rs, s->src.p, s->src.len);
	dbuf_register(s->e, &s->src);
	dbuf_register(s->e, &s->dst);
	s->q = queue_create(s->e, depth);
	note("%s (%s), %zu-byte %s buffers, queue depth %u", dmacopy_engine_name(s->e),
	     dmacopy_engine_kind(s->e), s->src.len, mem_kind_name[mem], depth);
}

static void teardown(struct setup *s)
{
	dmacopy_queue_destroy(s->q);
	dbuf_release(&s->src);
	dbuf_release(&s->dst);
	dmacopy_engine_close(s->e);
}

/*
 * Inlined into the loops, as the DPDK peer's copy() is: each copy is one call into the library,
 * made from the benchmark's loop (under TCG a call and its return cost a lookup each, more
 * when they cross a page, so both programs make the same calls).
 */
static inline __attribute__((always_inline)) void enqueue(struct setup *s, size_t off, size_t len,
							  uint64_t ud)
{
	int ret = dmacopy_enqueue_copy(s->q, s->dp + off, s->sp + off, len, ud, 0);

	if (ret)
		die("enqueue: %d %s", ret, dmacopy_last_error());
}

/* n copies of len bytes at offsets (ud % slots) * len, user_data ud.., in one call */
static void enqueue_batch(struct setup *s, uint64_t ud, unsigned int n, size_t len, size_t slots)
{
	struct dmacopy_copy c[1024];
	int ret;

	for (unsigned int i = 0; i < n; i++, ud++) {
		size_t off = (size_t)(ud & (slots - 1)) * len;

		c[i] = (struct dmacopy_copy){ .dst = s->dp + off, .src = s->sp + off,
					      .len = len, .user_data = ud };
	}
	ret = dmacopy_enqueue_copies(s->q, c, n);
	if (ret != (int)n)
		die("enqueue_copies: %d of %u: %s", ret, n, dmacopy_last_error());
}

static void submit(struct setup *s)
{
	int ret = dmacopy_submit(s->q);

	if (ret < 0)
		die("submit: %d %s", ret, dmacopy_last_error());
}

/* Sample-check copy number ud, which went to offset off: its first and last bytes. */
static void check_copy(const struct setup *s, size_t off, size_t len, uint64_t ud)
{
	if (s->dp[off] != s->sp[off] || s->dp[off + len - 1] != s->sp[off + len - 1])
		die("copy %" PRIu64 ": data differs", ud);
}

/* Reap at least min completions; each must have succeeded; sample-check their data. */
static unsigned int reap(struct setup *s, struct dmacopy_completion *c, unsigned int min,
                         unsigned int max, size_t len, size_t slots)
{
	int got = dmacopy_wait(s->q, c, min, max, 30000), i;

	if (got < (int)min)
		die("wait: %d (%s)", got, got < 0 ? dmacopy_last_error() : "timeout");
	/* slots is a power of two: a mask, not a division (as the DPDK peer's constant allows) */
	for (i = 0; i < got; i++) {
		size_t off = (size_t)(c[i].user_data & (slots - 1)) * len;

		if (c[i].status)
			die("copy failed: %d (%s)", c[i].status, dmacopy_op_error_str(c[i].error));
		check_copy(s, off, len, c[i].user_data);
	}
	return (unsigned int)got;
}

/*
 * reap() with dmacopy_reap(): a count of copies that succeeded (a failure is -EIO), which are
 * the next ones in order from done, as the engine ends them in order.
 */
static unsigned int reap_count(struct setup *s, unsigned int min, unsigned int max, uint64_t done,
                               size_t len, size_t slots)
{
	int got = dmacopy_reap(s->q, min, max, 30000);

	if (got < (int)min)
		die("reap: %d (%s)", got, got < 0 ? dmacopy_last_error() : "timeout");
	for (uint64_t ud = done; ud < done + (unsigned int)got; ud++)
		check_copy(s, (size_t)(ud & (slots - 1)) * len, len, ud);
	return (unsigned int)got;
}

/*
 * 64-byte copies, batches of `batch`, `window` batches in flight. Its own function, aligned to a
 * page, in this program and in its DPDK peer alike: the measured loop then never crosses a page
 * wherever the linker puts the rest (under TCG a jump across a page costs a lookup, so the
 * loop's cost would move with the layout of unrelated code).
 */
static __attribute__((noinline, aligned(4096))) void bench_ops(const char *spec, unsigned int batch,
								unsigned int window, double seconds)
{
	const size_t len = 64, slots = 16384; /* 1 MiB of slots */
	unsigned int depth = batch * window, inflight = 0, iter = 0;
	struct dmacopy_completion *c = calloc(depth, sizeof(*c));
	uint64_t ud = 0, done = 0;
	double t0, t = 0, cpu0;
	struct setup s;
	char name[64]; /* at most 33 characters before "_cpu_per_op" */
	unsigned int i;
	size_t n;

	if (!c)
		die("out of memory");
	setup(&s, spec, slots * len, depth);
	t0 = now_sec();
	cpu0 = cpu_now();
	do {
		while (inflight + batch <= depth) {
			if (vectored) {
				enqueue_batch(&s, ud, batch, len, slots);
				ud += batch;
			} else {
				for (i = 0; i < batch; i++, ud++)
					enqueue(&s, (size_t)(ud % slots) * len, len, ud);
			}
			submit(&s);
			inflight += batch;
		}
		if (counted)
			i = reap_count(&s, batch, depth, done, len, slots);
		else
			i = reap(&s, c, batch, depth, len, slots);
		inflight -= i;
		done += i;
		if (++iter % CLOCK_EVERY == 0)
			t = now_sec() - t0;
	} while (t < seconds);
	n = (size_t)snprintf(name, sizeof(name), "ops64_b%u_w%u%s%s", batch, window,
			     vectored ? "_v" : "", counted ? "_r" : "");
	result(name, (double)done / t, "ops/s");
	snprintf(name + n, sizeof(name) - n, "_cpu_per_op");
	result(name, (cpu_now() - cpu0) / (double)done * 1e9, "ns");
	while (inflight)
		inflight -= reap(&s, c, 1, depth, len, slots);
	teardown(&s);
	free(c);
}

static void bench_bw(const char *spec, size_t size, unsigned int inflight_max, double seconds)
{
	struct dmacopy_completion c[64];
	unsigned int inflight = 0, iter = 0;
	uint64_t ud = 0, done = 0;
	double t0, t = 0;
	struct setup s;
	char name[64];

	if (!inflight_max)
		inflight_max = size <= 65536 ? 64 : size <= MiB ? 8 : 2;
	if (inflight_max > 64)
		inflight_max = 64;
	while (inflight_max & (inflight_max - 1)) /* a power of two, for reap() */
		inflight_max &= inflight_max - 1;
	setup(&s, spec, size * inflight_max, inflight_max);
	t0 = now_sec();
	do {
		while (inflight < inflight_max) {
			enqueue(&s, (size_t)(ud % inflight_max) * size, size, ud);
			ud++;
			inflight++;
		}
		submit(&s);
		done += reap(&s, c, 1, 64, size, inflight_max);
		inflight = (unsigned int)(ud - done);
		if (++iter % CLOCK_EVERY == 0)
			t = now_sec() - t0;
	} while (t < seconds);
	snprintf(name, sizeof(name), "bw_%zu", size);
	result(name, (double)done * (double)size / t / 1e9, "GB/s");
	while (ud > done)
		done += reap(&s, c, 1, 64, size, inflight_max);
	teardown(&s);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void bench_cost(const char *spec, unsigned int batch, unsigned int batches)
{
	const size_t len = 64, slots = 16384;
	double *sub = calloc(batches, sizeof(double)), *pol = calloc(batches, sizeof(double));
	double *wsub = calloc(batches, sizeof(double)), *wpol = calloc(batches, sizeof(double));
	double clock_cost = 1, t0, t1, w0, w1, sum_sub = 0, sum_pol = 0;
	struct dmacopy_completion *c = calloc(batch, sizeof(*c));
	uint64_t ud = 0, slow_reaps = 0;
	struct setup s;
	unsigned int b, i;

	if (!sub || !pol || !wsub || !wpol || !c)
		die("out of memory");
	/* the clock's own cost: the cheapest of many back-to-back reads */
	for (i = 0; i < 1000; i++) {
		t0 = cpu_now();
		t1 = cpu_now();
		if (t1 - t0 < clock_cost)
			clock_cost = t1 - t0;
	}
	setup(&s, spec, slots * len, batch);
	for (b = 0; b < batches; b++) {
		unsigned int got = 0;

		memset(s.dp + (ud % slots) * len, 0, batch * len);
		w0 = now_sec();
		t0 = cpu_now();
		for (i = 0; i < batch; i++, ud++)
			enqueue(&s, (size_t)(ud % slots) * len, len, ud);
		submit(&s);
		t1 = cpu_now();
		w1 = now_sec();
		sub[b] = t1 - t0 - clock_cost;
		wsub[b] = w1 - w0;
		usleep(2000); /* the engine finishes meanwhile; the thread is not running */
		w0 = now_sec();
		t0 = cpu_now();
		while (got < batch) {
			int n = dmacopy_wait(s.q, c + got, batch - got, batch - got, 10000);

			if (n <= 0)
				die("wait: %d %s", n, n ? dmacopy_last_error() : "timeout");
			got += (unsigned int)n;
		}
		t1 = cpu_now();
		w1 = now_sec();
		if (w1 - w0 > 100e-6)
			slow_reaps++;
		pol[b] = t1 - t0 - clock_cost;
		wpol[b] = w1 - w0;
		for (i = 0; i < batch; i++) {
			size_t off = (size_t)(c[i].user_data % slots) * len;

			if (c[i].status || memcmp(s.dp + off, s.sp + off, len))
				die("copy %" PRIu64 " failed or differs (status %d)",
				    c[i].user_data, c[i].status);
		}
		sum_sub += sub[b];
		sum_pol += pol[b];
	}
	qsort(sub, batches, sizeof(double), cmp_double);
	qsort(pol, batches, sizeof(double), cmp_double);
	qsort(wsub, batches, sizeof(double), cmp_double);
	qsort(wpol, batches, sizeof(double), cmp_double);
	note("%u batches of %u; clock read costs %.0f ns (subtracted); %" PRIu64
	     " reaps took over 100 us of wall time",
	     batches, batch, clock_cost * 1e9, slow_reaps);
	result("cost_submit_cpu_median", sub[batches / 2] / batch * 1e9, "ns/op");
	result("cost_reap_cpu_median", pol[batches / 2] / batch * 1e9, "ns/op");
	result("cost_total_cpu_median", (sub[batches / 2] + pol[batches / 2]) / batch * 1e9,
	       "ns/op");
	result("cost_total_cpu_mean", (sum_sub + sum_pol) / batches / batch * 1e9, "ns/op");
	result("cost_submit_wall_median", wsub[batches / 2] / batch * 1e9, "ns/op");
	result("cost_reap_wall_median", wpol[batches / 2] / batch * 1e9, "ns/op");
	teardown(&s);
	free(sub);
	free(pol);
	free(wsub);
	free(wpol);
	free(c);
}

int main(int argc, char **argv)
{
	unsigned int batch = 32, window = 0, batches = 2000;
	double seconds = 2;
	const char *mode, *spec;
	size_t size = 0;
	int opt;

	test_name = "ioatuser_bench";
	if (argc < 3)
		die("usage: ioatuser_bench ops|bw|cost SPEC [SIZE] [options]");
	mode = argv[1];
	spec = argv[2];
	optind = 3;
	if (!strcmp(mode, "bw")) {
		if (argc < 4)
			die("bw needs a size");
		size = strtoull(argv[3], NULL, 0);
		optind = 4;
	}
	while ((opt = getopt(argc, argv, "b:w:t:n:m:vr")) != -1) {
		switch (opt) {
		case 'r':
			counted = true;
			break;
		case 'v':
			vectored = true;
			break;
		case 'b':
			batch = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'w':
			window = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 't':
			seconds = strtod(optarg, NULL);
			break;
		case 'n':
			batches = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'm':
			mem = (enum mem_kind)__builtin_ctz(mem_kinds_parse(optarg));
			break;
		default:
			die("bad option");
		}
	}
	if (!batch || batch > 1024 || batches < 1)
		die("bad batch, window or count");
	if (!strcmp(mode, "ops"))
		bench_ops(spec, batch, window ? window : 1, seconds);
	else if (!strcmp(mode, "bw"))
		bench_bw(spec, size, window, seconds);
	else if (!strcmp(mode, "cost"))
		bench_cost(spec, batch, batches);
	else
		die("unknown mode %s", mode);
	return 0;
}

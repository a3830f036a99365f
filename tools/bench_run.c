// SPDX-License-Identifier: BSD-3-Clause
/*
 * One benchmark point: `threads` submitting threads, each with its own buffers (and queue), copy
 * `size` bytes per operation for a duration or a number of iterations.
 *
 * Buffers: when the source and destination buffers of the operations in flight fit in half the
 * last-level cache they are reused (data in cache, the common case for small copies); otherwise,
 * or with --cold, each thread rotates through buffers at least twice the LLC per side so that every
 * copy reads and writes memory.
 *
 * Latency: reading the clock costs tens of nanoseconds, as much as a small copy, so only one
 * operation (sync) or batch (async) in 2^k is timed, with k chosen from a warm-up so that timing
 * adds about 1% to the run; the clock's own cost is subtracted from each sample.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "histogram.h"

#define WARMUP_NS       (20 * 1000 * 1000ull)
#define WARMUP_MAX_OPS  10000
#define WAIT_TIMEOUT_MS 10000
#define MAX_COMPLETIONS 256u

/* Where operation i of a thread reads and writes: slot i % slots of its buffers. */
struct layout {
	size_t stride; /* bytes between slots: the size rounded up to a cache line */
	size_t slots;
	size_t area; /* bytes per buffer (source or destination) */
	bool in_cache;
};

struct batch_rec {
	uint64_t t_submit; /* 0 when this batch is not timed */
	unsigned int remaining;
};

/* Start and finish line shared by the main thread and the workers. */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int ready, done; /* workers that finished setting up / measuring */
	bool open, abort;         /* set once by the main thread */
};

struct worker {
	const struct bench_case *c;
	const struct layout *l;
	unsigned int index;
	pthread_t thread;
	struct gate *gate;

	uint8_t *src, *dst;
	struct dmacopy_region *src_reg, *dst_reg;
	struct dmacopy_queue *queue;
	struct batch_rec *ring;
	unsigned int ring_len;
	struct dmacopy_completion *done;
	uint64_t sample_mask;

	struct histogram hist;
	uint64_t ops;
	uint64_t cpu_ns;
	bool failed;
	bool stuck; /* operations may still be in flight: leave queue, regions and buffers alone */
	char msg[384];
};

double bench_clock_cost(void)
{
	double best = 1e9;

	for (int round = 0; round < 5; round++) {
		uint64_t t0 = now_ns(), t1 = t0;

		for (int i = 0; i < 2000; i++)
			t1 = now_ns();
		if ((double)(t1 - t0) / 2000 < best)
			best = (double)(t1 - t0) / 2000;
	}
	return best;
}

CLI_PRINTF(3, 4) static void worker_fail(struct worker *w, int err, const char *fmt, ...)
{
	char detail[256];
	size_t used;
	va_list ap;

	if (w->failed)
		return;
	w->failed = true;
	va_start(ap, fmt);
	vsnprintf(w->msg, sizeof(w->msg), fmt, ap);
	va_end(ap);
	if (err) {
		used = strlen(w->msg);
		snprintf(w->msg + used, sizeof(w->msg) - used, ": %s%s", dmacopy_strerror(err),
		         cli_lib_detail(detail, sizeof(detail)));
	}
}

/* ---- setup ------------------------------------------------------------------------------------
 */

static uint8_t *alloc_buffer(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (len >= (2u << 20))
		madvise(p, len, MADV_HUGEPAGE); /* fewer TLB misses, as device memory would have */
	return p;
}

static void worker_setup(struct worker *w)
{
	const struct bench_case *c = w->c;
	struct dmacopy_engine *e = c->target->engine;
	struct dmacopy_queue_opts qopts = {.depth = c->qd};
	int ret;

	w->src = alloc_buffer(w->l->area);
	w->dst = alloc_buffer(w->l->area);
	if (!w->src || !w->dst) {
		worker_fail(w, 0, "cannot allocate 2 x %zu bytes of buffers: %s", w->l->area,
		            strerror(errno));
		return;
	}
	/* Touch every page now so that page faults stay out of the measurement. */
	memset(w->src, 0x5a ^ (int)w->index, w->l->area);
	memset(w->dst, 0, w->l->area);
	if (!e)
		return;
	ret = dmacopy_region_register(e, w->src, w->l->area, &w->src_reg);
	if (!ret)
		ret = dmacopy_region_register(e, w->dst, w->l->area, &w->dst_reg);
	if (ret) {
		worker_fail(w, ret, "cannot register %zu-byte buffers", w->l->area);
		return;
	}
	if (c->mode != BENCH_ASYNC)
		return;
	ret = dmacopy_queue_create(e, &qopts, &w->queue);
	if (ret) {
		worker_fail(w, ret, "cannot create a queue of depth %u", c->qd);
		return;
	}
	w->ring_len = c->qd / c->batch + 1;
	w->ring = calloc(w->ring_len, sizeof(*w->ring));
	w->done = calloc(MAX_COMPLETIONS, sizeof(*w->done));
	if (!w->ring || !w->done)
		worker_fail(w, 0, "out of memory");
}

static void worker_teardown(struct worker *w)
{
	int ret;

	if (w->stuck)
		return; /* the engine may still write to the buffers; the process exits soon */
	ret = w->queue ? dmacopy_queue_destroy(w->queue) : 0;

	if (ret)
		worker_fail(w, ret, "dmacopy_queue_destroy");
	dmacopy_region_unregister(w->src_reg);
	dmacopy_region_unregister(w->dst_reg);
	if (w->src)
		munmap(w->src, w->l->area);
	if (w->dst)
		munmap(w->dst, w->l->area);
	free(w->ring);
	free(w->done);
}

/* ---- the loops
 * ----------------------------------------------------------------------------------- */

static inline uint8_t *slot_ptr(uint8_t *base, const struct layout *l, size_t slot)
{
	return base + slot * l->stride;
}

static inline void next_slot(size_t *slot, const struct layout *l)
{
	if (++*slot == l->slots)
		*slot = 0;
}

static inline uint64_t sample_ns(const struct bench_case *c, uint64_t t0, uint64_t t1)
{
	double v = (double)(t1 - t0) - c->clock_ns;

	return v > 0 ? (uint64_t)v : 0;
}

/* One copy; memcpy is a constant at each call site, so each loop is specialised. */
static inline __attribute__((always_inline)) int
copy_one(struct dmacopy_engine *e, bool memcpy_only, void *dst, const void *src, size_t len)
{
	if (memcpy_only) {
		memcpy(dst, src, len);
		return 0;
	}
	return dmacopy_memcpy(e, dst, src, len);
}

static inline __attribute__((always_inline)) void sync_loop(struct worker *w, bool memcpy_only,
                                                            uint64_t limit, uint64_t deadline)
{
	const struct layout *l = w->l;
	struct dmacopy_engine *e = w->c->target->engine;
	size_t size = w->c->size, slot = 0;
	uint64_t ops = 0;

	while (ops < limit) {
		uint8_t *src = slot_ptr(w->src, l, slot), *dst = slot_ptr(w->dst, l, slot);
		bool timed = !(ops & w->sample_mask);
		uint64_t t0 = timed ? now_ns() : 0, t1;
		int ret = copy_one(e, memcpy_only, dst, src, size);

		if (ret) {
			worker_fail(w, ret, "dmacopy_memcpy of %zu bytes", size);
			break;
		}
		ops++;
		next_slot(&slot, l);
		if (!timed)
			continue;
		t1 = now_ns();
		hist_add(&w->hist, sample_ns(w->c, t0, t1));
		if (t1 >= deadline)
			break;
	}
	w->ops = ops;
}

/* memcpy in the async loop's shape: a batch of copies, timed as one. */
static void memcpy_batch_loop(struct worker *w, uint64_t limit, uint64_t deadline)
{
	const struct layout *l = w->l;
	size_t size = w->c->size, slot = 0;
	uint64_t ops = 0;

	for (uint64_t seq = 0; ops < limit; seq++) {
		unsigned int batch =
		        limit - ops < w->c->batch ? (unsigned int)(limit - ops) : w->c->batch;
		bool timed = !(seq & w->sample_mask);
		uint64_t t0 = timed ? now_ns() : 0, t1;

		for (unsigned int i = 0; i < batch; i++) {
			memcpy(slot_ptr(w->dst, l, slot), slot_ptr(w->src, l, slot), size);
			next_slot(&slot, l);
		}
		ops += batch;
		if (!timed)
			continue;
		t1 = now_ns();
		hist_add(&w->hist, sample_ns(w->c, t0, t1));
		if (t1 >= deadline)
			break;
	}
	w->ops = ops;
}

/* Enqueue and submit one batch of `batch` copies; returns false on failure. */
static bool submit_batch(struct worker *w, uint64_t seq, unsigned int batch, size_t *slot)
{
	const struct layout *l = w->l;
	struct batch_rec *rec = &w->ring[seq % w->ring_len];
	int ret;

	for (unsigned int i = 0; i < batch; i++) {
		ret = dmacopy_enqueue_copy(w->queue, slot_ptr(w->dst, l, *slot),
		                           slot_ptr(w->src, l, *slot), w->c->size, seq, 0);
		if (ret) {
			worker_fail(w, ret, "dmacopy_enqueue_copy of %llu bytes",
			            (unsigned long long)w->c->size);
			return false;
		}
		next_slot(slot, l);
	}
	rec->remaining = batch;
	rec->t_submit = (seq & w->sample_mask) ? 0 : now_ns();
	ret = dmacopy_submit(w->queue);
	if (ret < 0) {
		worker_fail(w, ret, "dmacopy_submit of %u operations", batch);
		return false;
	}
	return true;
}

static void async_loop(struct worker *w, uint64_t limit, uint64_t deadline)
{
	const struct bench_case *c = w->c;
	unsigned int inflight = 0, max = c->qd < MAX_COMPLETIONS ? c->qd : MAX_COMPLETIONS;
	uint64_t seq = 0, submitted = 0, ops = 0;
	bool stop = false;
	size_t slot = 0;

	while (!stop || inflight) {
		int n;

		while (!stop && inflight + c->batch <= c->qd) {
			/* The last batch is cut short to stop at exactly `limit` operations. */
			unsigned int batch = limit - submitted < c->batch
			                             ? (unsigned int)(limit - submitted)
			                             : c->batch;

			if (!submit_batch(w, seq++, batch, &slot)) {
				stop = true;
				break;
			}
			inflight += batch;
			submitted += batch;
			stop = submitted >= limit;
		}
		if (!inflight)
			break;
		n = dmacopy_wait(w->queue, w->done, 1, max, WAIT_TIMEOUT_MS);
		if (n <= 0) {
			worker_fail(w, n ? n : -ETIMEDOUT,
			            "dmacopy_wait with %u operations in flight (%d ms)", inflight,
			            WAIT_TIMEOUT_MS);
			w->stuck = true;
			break;
		}
		for (int i = 0; i < n; i++) {
			const struct dmacopy_completion *d = &w->done[i];
			struct batch_rec *rec = &w->ring[d->user_data % w->ring_len];

			if (d->status) {
				worker_fail(w, d->status, "copy of %llu bytes completed with %s",
				            (unsigned long long)c->size,
				            dmacopy_op_error_str(d->error));
				stop = true;
			}
			if (--rec->remaining || !rec->t_submit)
				continue;
			uint64_t t = now_ns();

			hist_add(&w->hist, sample_ns(c, rec->t_submit, t));
			if (t >= deadline)
				stop = true;
		}
		inflight -= (unsigned int)n;
		ops += (unsigned int)n;
	}
	w->ops = ops;
}

/* ---- the thread
 * -------------------------------------------------------------------------------------- */

static uint64_t next_pow2(uint64_t v)
{
	uint64_t p = 1;

	while (p < v && p < (1ull << 40))
		p <<= 1;
	return p;
}

/*
 * Untimed copies to warm caches, TLBs and the engine, and to choose the sampling rate. Runs of
 * doubling length keep clock reads out of the per-operation estimate.
 */
static void worker_warmup(struct worker *w)
{
	const struct bench_case *c = w->c;
	struct dmacopy_engine *e = c->target->engine;
	uint64_t t0 = now_ns(), t = t0, ops = 0, run = 1, unit_ns, every;
	size_t slot = 0;

	while (ops < WARMUP_MAX_OPS && t - t0 < WARMUP_NS) {
		for (uint64_t i = 0; i < run; i++) {
			int ret = copy_one(e, !e, slot_ptr(w->dst, w->l, slot),
			                   slot_ptr(w->src, w->l, slot), c->size);

			if (ret) {
				worker_fail(w, ret, "warm-up copy of %llu bytes",
				            (unsigned long long)c->size);
				return;
			}
			next_slot(&slot, w->l);
		}
		ops += run;
		run *= 2;
		t = now_ns();
	}
	unit_ns = (t - t0) / ops * (c->mode == BENCH_ASYNC ? c->batch : 1);
	/* Two clock reads per timed unit: keep them near 1% of the time measured. */
	every = (uint64_t)(200 * c->clock_ns) / (unit_ns ? unit_ns : 1) + 1;
	w->sample_mask = next_pow2(every) - 1;
}

static void worker_measure(struct worker *w)
{
	const struct bench_case *c = w->c;
	uint64_t limit = c->iterations ? c->iterations : UINT64_MAX;
	uint64_t cpu0 = thread_cpu_ns(), start = now_ns();
	uint64_t deadline = c->duration > 0 ? start + (uint64_t)(c->duration * 1e9) : UINT64_MAX;

	if (c->mode == BENCH_SYNC && !c->target->engine)
		sync_loop(w, true, limit, deadline);
	else if (c->mode == BENCH_SYNC)
		sync_loop(w, false, limit, deadline);
	else if (!c->target->engine)
		memcpy_batch_loop(w, limit, deadline);
	else
		async_loop(w, limit, deadline);
	w->cpu_ns = thread_cpu_ns() - cpu0;
}

static void gate_count(struct gate *g, unsigned int *counter)
{
	pthread_mutex_lock(&g->lock);
	(*counter)++;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

static void gate_wait_count(struct gate *g, const unsigned int *counter, unsigned int n)
{
	pthread_mutex_lock(&g->lock);
	while (*counter < n)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

/* Wait for the main thread's decision; true means measure. */
static bool gate_wait_open(struct gate *g)
{
	bool go;

	pthread_mutex_lock(&g->lock);
	while (!g->open)
		pthread_cond_wait(&g->cond, &g->lock);
	go = !g->abort;
	pthread_mutex_unlock(&g->lock);
	return go;
}

static void gate_release(struct gate *g, bool abort_run)
{
	pthread_mutex_lock(&g->lock);
	g->open = true;
	g->abort = abort_run;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct gate *g = w->gate;

	worker_setup(w);
	if (!w->failed)
		worker_warmup(w);
	gate_count(g, &g->ready);
	if (gate_wait_open(g) && !w->failed)
		worker_measure(w);
	gate_count(g, &g->done);
	worker_teardown(w);
	return NULL;
}

/* ---- one point
 * --------------------------------------------------------------------------------------- */

static int plan_layout(const struct bench_case *c, struct layout *l, char *err, size_t len)
{
	uint64_t in_flight = c->mode == BENCH_ASYNC ? c->qd : 1;
	uint64_t stride = (c->size + 63) & ~63ull, slots, total;
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);

	l->in_cache = !c->cold && 2 * stride * in_flight <= c->llc / 2;
	if (l->in_cache) {
		slots = in_flight;
	} else {
		slots = (2 * c->llc + stride - 1) / stride;
		if (slots < in_flight + 1)
			slots = in_flight + 1;
	}
	l->stride = stride;
	l->slots = slots;
	l->area = stride * slots;
	total = 2 * l->area * c->threads;
	if (pages > 0 && page > 0 && total > (uint64_t)pages * (uint64_t)page / 2) {
		snprintf(err, len,
		         "buffers would take %llu MiB (%u threads x 2 x %zu MiB), more "
		         "than half of this machine's memory; use fewer threads, a smaller "
		         "--qd or smaller sizes",
		         (unsigned long long)(total >> 20), c->threads, l->area >> 20);
		return -1;
	}
	return 0;
}

static void summarise(const struct bench_case *c, const struct layout *l, struct worker *w,
                      uint64_t wall_ns, uint64_t process_cpu, struct bench_result *r)
{
	struct histogram *all = &w[0].hist;
	uint64_t cpu = 0;

	memset(r, 0, sizeof(*r));
	r->c = *c;
	r->in_cache = l->in_cache;
	r->footprint = 2 * l->area;
	for (unsigned int i = 0; i < c->threads; i++) {
		r->ops += w[i].ops;
		cpu += w[i].cpu_ns;
		if (i)
			hist_merge(all, &w[i].hist);
	}
	r->seconds = (double)wall_ns / 1e9;
	if (r->ops && wall_ns) {
		r->gbps = (double)r->ops * (double)c->size / (double)wall_ns;
		r->mops = (double)r->ops / (double)wall_ns * 1e3;
		r->thread_cpu_ns = (double)cpu / (double)r->ops;
		r->process_cpu_ns = (double)process_cpu / (double)r->ops;
	}
	r->lat_samples = all->count;
	r->lat_p50 = hist_quantile(all, 0.50);
	r->lat_p99 = hist_quantile(all, 0.99);
	r->lat_p999 = hist_quantile(all, 0.999);
}

int bench_run_case(const struct bench_case *c, struct bench_result *r, char *err, size_t len)
{
	struct gate gate = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	uint64_t t0, t1, pcpu0, pcpu1;
	unsigned int started;
	bool abort_run = false;
	struct worker *w;
	struct layout l;
	int ret = 0;

	if (plan_layout(c, &l, err, len))
		return -1;
	w = calloc(c->threads, sizeof(*w));
	if (!w) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	for (started = 0; started < c->threads; started++) {
		w[started] = (struct worker){.c = c, .l = &l, .index = started, .gate = &gate};
		if (pthread_create(&w[started].thread, NULL, worker_main, &w[started]))
			break;
	}
	gate_wait_count(&gate, &gate.ready, started);
	for (unsigned int i = 0; i < started; i++)
		abort_run |= w[i].failed;
	pcpu0 = process_cpu_ns();
	t0 = now_ns();
	gate_release(&gate, abort_run || started < c->threads);
	gate_wait_count(&gate, &gate.done, started);
	t1 = now_ns();
	pcpu1 = process_cpu_ns();
	for (unsigned int i = 0; i < started; i++)
		pthread_join(w[i].thread, NULL);

	if (started < c->threads) {
		snprintf(err, len, "cannot start thread %u of %u", started + 1, c->threads);
		ret = -1;
	}
	for (unsigned int i = 0; i < started && !ret; i++) {
		if (w[i].failed) {
			snprintf(err, len, "thread %u: %s", i, w[i].msg);
			ret = w[i].stuck ? BENCH_STUCK : -1;
		}
	}
	if (!ret)
		summarise(c, &l, w, t1 - t0, pcpu1 - pcpu0, r);
	free(w);
	return ret;
}

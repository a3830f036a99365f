// SPDX-License-Identifier: BSD-3-Clause
/*
 * The "cpu" engine: copies with this machine's CPUs. Small operations run inline in the caller's
 * thread; large ones are split across a pool of worker threads. Operations complete in order
 * during dmacopy_submit(), so completions are ready as soon as it returns.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu_copy.h"
#include "internal.h"

struct cpu_engine {
	struct cpu_pool *pool;
	size_t parallel_threshold;
};

static int cpu_open(struct dmacopy_engine *e, const char *arg,
		    const struct dmacopy_engine_opts *opts)
{
	struct cpu_engine *ce;
	unsigned int threads = opts->cpu_threads;
	int ret;

	if (arg) {
		char *end;
		unsigned long n;

		errno = 0;
		n = strtoul(arg, &end, 10);
		if (errno || *end || end == arg || n == 0 || n > 1024) {
			return lib_error(-EINVAL,
					 "cpu engine argument '%s' is not a thread count (1-1024), "
					 "as in cpu:4",
					 arg);
		}
		threads = (unsigned int)n;
	}
	if (threads > 1024)
		return lib_error(-EINVAL, "cpu_threads %u is above the limit of 1024", threads);
	cpu_copy_init();
	ce = calloc(1, sizeof(*ce));
	if (!ce)
		return -ENOMEM;
	ret = cpu_pool_create(threads, &ce->pool);
	if (ret) {
		free(ce);
		return ret;
	}
	ce->parallel_threshold = opts->cpu_parallel_threshold ? opts->cpu_parallel_threshold
							       : cpu_pool_default_threshold();
	e->priv = ce;
	return 0;
}

static void cpu_close(struct dmacopy_engine *e)
{
	struct cpu_engine *ce = e->priv;

	cpu_pool_destroy(ce->pool);
	free(ce);
	e->priv = NULL;
}

static void cpu_caps(const struct dmacopy_engine *e, struct dmacopy_caps *caps)
{
	const struct cpu_engine *ce = e->priv;

	caps->channels = cpu_pool_threads(ce->pool);
	caps->max_transfer = (uint64_t)SIZE_MAX >> 1;
	caps->hw_max_transfer = UINT32_MAX;
	caps->align = 1;
	caps->max_queue_depth = DMACOPY_MAX_DEPTH;
}

static void cpu_probe(const struct engine_ops *ops, struct dmacopy_engine_status *rows,
		      unsigned int max, unsigned int *n)
{
	char detail[256];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	(void)ops;
	cpu_copy_init();
	snprintf(detail, sizeof(detail), "CPU copy on %ld online CPUs (%s)", cpus,
		 cpu_copy_features());
	status_row(rows, max, n, "cpu", "cpu", 0, detail, "");
}

static inline void cpu_do_copy(struct cpu_engine *ce, void *dst, const void *src, size_t len)
{
	if (len >= ce->parallel_threshold)
		cpu_pool_copy(ce->pool, dst, src, len);
	else
		cpu_copy_inline(dst, src, len);
}

static inline void cpu_do_fill(struct cpu_engine *ce, void *dst, uint64_t pattern, size_t len)
{
	if (len >= ce->parallel_threshold)
		cpu_pool_fill(ce->pool, dst, pattern, len);
	else
		cpu_fill(dst, pattern, len);
}

/* One operation the queue's inline case does not take: large copies, fills. */
static __attribute__((noinline)) void cpu_run(struct cpu_engine *ce, const struct queue_op *op)
{
	if (op->kind == OP_COPY)
		cpu_do_copy(ce, op->dst, op->src, op->len);
	else
		cpu_do_fill(ce, op->dst, op->pattern, op->len);
}

/*
 * Run every submitted operation now, in order (which satisfies DMACOPY_OP_FENCE by construction),
 * and post its completion. Copies of up to CPU_SMALL_COPY_MAX bytes below the parallel threshold
 * are done inline, the rest by cpu_run(). The engine needs no registration: operations hold no
 * region references.
 */
static int cpu_submit(struct dmacopy_queue *q)
{
	struct cpu_engine *ce = q->engine->priv;
	const struct queue_op *ops = q->ops;
	struct dmacopy_completion *cqes = q->cqes;
	/* The largest inline copy: below the parallel threshold (0: every copy to the pool). */
	const size_t small = ce->parallel_threshold > CPU_SMALL_COPY_MAX ? CPU_SMALL_COPY_MAX
			     : ce->parallel_threshold ? ce->parallel_threshold - 1 : 0;
	const uint32_t mask = q->mask, end = q->sq_tail, delta = q->cq_tail - q->sq_submitted;

	for (uint32_t i = q->sq_submitted; i != end; i++) {
		const struct queue_op *op = &ops[i & mask];

		if (__builtin_expect(op->kind == OP_COPY && op->len <= small, 1))
			cpu_copy_small(op->dst, op->src, op->len);
		else
			cpu_run(ce, op);
		cqe_set(&cqes[(i + delta) & mask], op->user_data, 0, DMACOPY_OP_OK);
	}
	q->sq_submitted = end;
	q->cq_tail = end + delta;
	return 0;
}

static int cpu_progress(struct dmacopy_queue *q, int timeout_ms)
{
	(void)q;
	(void)timeout_ms;
	return 0; /* everything completed in cpu_submit() */
}

static int cpu_memcpy(struct dmacopy_engine *e, const struct queue_op *op)
{
	cpu_do_copy(e->priv, op->dst, op->src, op->len);
	return 0;
}

static int cpu_fill_sync(struct dmacopy_engine *e, const struct queue_op *op)
{
	cpu_do_fill(e->priv, op->dst, op->pattern, op->len);
	return 0;
}

/* Below its parallel threshold a copy runs on the caller's thread: dmacopy_memcpy() does it. */
static size_t cpu_inline_limit(const struct dmacopy_engine *e)
{
	const struct cpu_engine *ce = e->priv;

	return ce->parallel_threshold;
}

const struct engine_ops engine_cpu_ops = {
	.kind = "cpu",
	.syntax = "cpu",
	.cap_flags = DMACOPY_CAP_COPY | DMACOPY_CAP_FILL,
	.open = cpu_open,
	.close = cpu_close,
	.caps = cpu_caps,
	.probe = cpu_probe,
	.submit = cpu_submit,
	.progress = cpu_progress,
	.memcpy = cpu_memcpy,
	.inline_limit = cpu_inline_limit,
	.fill = cpu_fill_sync,
};

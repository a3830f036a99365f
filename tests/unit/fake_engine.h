/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A test-only engine ("fake") for the core's unit tests, never part of the library: it needs
 * registration, holds submitted operations until progress() and then completes them out of order
 * (newest first within each run between fences), moves the data only at completion (so an
 * operation that ran before one it was fenced behind would read stale data), and fails the
 * operations the test chooses with the status and detail it chooses. With fake.emit, its queues
 * emit DSA descriptors (dmacopy_queue.emit) and its regions are flat for the device, each at its
 * own distance from the virtual addresses: an emitted copy is done from its descriptor. With
 * fake.run_refs (and always with fake.emit) its queues keep region references per region run
 * (dmacopy_queue.run_refs): the operations of one progress() call are the oldest in flight, so
 * they retire as a prefix, whatever the order they complete in.
 */
#ifndef FAKE_ENGINE_H
#define FAKE_ENGINE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmacopy/dsa_spec.h"
#include "internal.h"

/* The device address of p in the n-th region registered (from 1) is p + n * FAKE_DEV_DELTA. */
#define FAKE_DEV_DELTA 0x100000000ull

/* What the test controls and observes. */
struct fake_ctl {
	uint64_t fail_user_data; /* an operation with this user_data fails ... */
	int fail_status;         /* ... with this status (0: nothing fails) */
	unsigned int fail_error; /* ... and this enum dmacopy_op_error */
	unsigned int max_per_progress; /* complete at most this many per progress() (0: no limit) */
	unsigned int registered;       /* regions registered now */
	bool register_readonly;        /* the next registrations are read-only memory */
	bool emit;                     /* the next queues emit DSA descriptors, regions are flat */
	uint64_t emit_max;             /* ... of copies up to this size */
	bool register_not_flat;        /* the next registrations are not flat, even with emit */
	bool run_refs;                 /* the next queues keep region references per run */
	unsigned long registrations;   /* regions registered ever */
	unsigned long submitted, completed, progress_calls;
};

static struct fake_ctl fake;

struct fake_queue {
	uint32_t *slots; /* q->ops indices in flight, oldest first */
	unsigned int n;
};

static int fake_open(struct dmacopy_engine *e, const char *arg,
                     const struct dmacopy_engine_opts *opts)
{
	(void)opts;
	if (arg)
		return lib_error(-ENOENT, "the fake engine takes no argument");
	e->priv = NULL;
	return 0;
}

static void fake_close(struct dmacopy_engine *e)
{
	(void)e;
}

static void fake_caps(const struct dmacopy_engine *e, struct dmacopy_caps *caps)
{
	(void)e;
	caps->channels = 1;
	caps->max_transfer = SIZE_MAX;
	caps->hw_max_transfer = UINT32_MAX;
	caps->align = 1;
	caps->max_queue_depth = DMACOPY_MAX_DEPTH;
}

static void fake_probe(const struct engine_ops *ops, struct dmacopy_engine_status *rows,
                       unsigned int max, unsigned int *n)
{
	(void)ops;
	(void)rows;
	(void)max;
	(void)n;
}

static int fake_region_register(struct dmacopy_engine *e, struct dmacopy_region *r)
{
	(void)e;
	if (fake.register_readonly) {
		r->readonly = true;
		r->readonly_why = " (the fake engine was told so)";
	}
	fake.registrations++;
	if (fake.emit && !fake.register_not_flat) {
		r->dev_flat = true;
		r->dev_delta = fake.registrations * FAKE_DEV_DELTA;
	}
	fake.registered++;
	return 0;
}

static void fake_region_unregister(struct dmacopy_engine *e, struct dmacopy_region *r)
{
	(void)e;
	(void)r;
	fake.registered--;
}

static int fake_queue_init(struct dmacopy_queue *q)
{
	struct fake_queue *fq = calloc(1, sizeof(*fq));

	if (!fq || !(fq->slots = calloc(q->depth, sizeof(*fq->slots)))) {
		free(fq);
		return -ENOMEM;
	}
	q->run_refs = fake.run_refs || fake.emit;
	if (fake.emit) {
		q->emit_ring = calloc(q->depth, sizeof(struct dsa_desc));
		if (!q->emit_ring) {
			free(fq->slots);
			free(fq);
			return -ENOMEM;
		}
		q->emit = EMIT_DSA;
		q->emit_max = fake.emit_max;
	}
	q->engine_priv = fq;
	return 0;
}

static void fake_queue_fini(struct dmacopy_queue *q)
{
	struct fake_queue *fq = q->engine_priv;

	free(fq->slots);
	free(fq);
	free(q->emit_ring);
	q->emit_ring = NULL;
}

static int fake_submit(struct dmacopy_queue *q)
{
	struct fake_queue *fq = q->engine_priv;

	while (q->sq_submitted != q->sq_tail) {
		fq->slots[fq->n++] = q->sq_submitted & q->mask;
		q->sq_submitted++;
		fake.submitted++;
	}
	return 0;
}

/* Post op's completion; without region runs, drop its references. */
static void fake_post(struct dmacopy_queue *q, const struct queue_op *op, int status,
                      unsigned int error)
{
	if (q->run_refs)
		queue_post(q, op, status, error);
	else
		queue_complete(q, op, status, error);
}

/* Run operation seq, in slot. */
static void fake_run(struct dmacopy_queue *q, uint32_t slot, uint32_t seq)
{
	const struct queue_op *op = &q->ops[slot];

	if (fake.fail_status && op->user_data == fake.fail_user_data) {
		fake_post(q, op, fake.fail_status, fake.fail_error);
	} else {
		if (op->kind == OP_EMITTED) {
			/* what the device would do: the addresses and size from the descriptor */
			const struct dsa_desc *d = (const struct dsa_desc *)q->emit_ring + slot;
			struct dmacopy_region *r[2];

			if (d->flags_op != (DSA_FLAG_CRAV | (uint32_t)DSA_OP_MEMMOVE << 24)) {
				fake_post(q, op, -EIO, DMACOPY_OP_CHANNEL_ERROR);
				fake.completed++;
				return;
			}
			queue_op_regions(q, seq, r);
			memcpy((void *)(uintptr_t)(d->dst - r[0]->dev_delta),
			       (const void *)(uintptr_t)(d->src - r[1]->dev_delta), d->xfer_size);
		} else if (op->kind == OP_COPY) {
			memcpy(op->dst, op->src, op->len);
		} else {
			for (size_t i = 0; i < op->len; i++)
				((uint8_t *)op->dst)[i] = (uint8_t)(op->pattern >> (8 * (i % 8)));
		}
		fake_post(q, op, 0, DMACOPY_OP_OK);
	}
	fake.completed++;
}

/* The oldest run of operations up to the next fenced one, newest first. */
static int fake_progress(struct dmacopy_queue *q, int timeout_ms)
{
	struct fake_queue *fq = q->engine_priv;
	const uint32_t start = q->cq_tail;
	unsigned int run = 1, k;

	(void)timeout_ms;
	fake.progress_calls++;
	if (!fq->n)
		return 0;
	while (run < fq->n && !(q->ops[fq->slots[run]].flags & DMACOPY_OP_FENCE))
		run++;
	if (fake.max_per_progress && run > fake.max_per_progress)
		run = fake.max_per_progress;
	for (k = run; k-- > 0;)
		fake_run(q, fq->slots[k], start + k);
	if (q->run_refs)
		queue_runs_retire(q, start, start + run);
	memmove(fq->slots, fq->slots + run, (fq->n - run) * sizeof(*fq->slots));
	fq->n -= run;
	return 0;
}

static int fake_memcpy(struct dmacopy_engine *e, const struct queue_op *op)
{
	(void)e;
	memcpy(op->dst, op->src, op->len);
	return 0;
}

static const struct engine_ops fake_engine_ops = {
        .kind = "fake",
        .cap_flags = DMACOPY_CAP_COPY | DMACOPY_CAP_FILL | DMACOPY_CAP_NEEDS_REGISTER |
                     DMACOPY_CAP_OUT_OF_ORDER,
        .open = fake_open,
        .close = fake_close,
        .caps = fake_caps,
        .probe = fake_probe,
        .region_register = fake_region_register,
        .region_unregister = fake_region_unregister,
        .queue_init = fake_queue_init,
        .queue_fini = fake_queue_fini,
        .submit = fake_submit,
        .progress = fake_progress,
        .memcpy = fake_memcpy,
};

#endif /* FAKE_ENGINE_H */

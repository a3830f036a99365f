// SPDX-License-Identifier: BSD-3-Clause
/*
 * libdmacopy core: queues: creation, the enqueue paths (a straight-line one for the common
 * case), submission and the reaping of completions. Engines see only operations that passed
 * validation here.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "emit.h"

/*
 * The region holding [start, start + len) for an operation of queue q, with an in-flight reference
 * taken, or NULL. Most operations hit the region of the previous one: that one is reused without
 * the engine lock while no region was unregistered since (the generation) and the object is still
 * the same registration (its incarnation, compared in the same atomic step that takes the
 * reference, so a parked or reused object is never touched).
 */
/* queue_region_get() when the cached region does not do: the list under the lock. */
static __attribute__((noinline)) struct dmacopy_region *
queue_region_lookup(struct dmacopy_queue *q, unsigned int which, uintptr_t start, size_t len)
{
	struct dmacopy_engine *e = q->engine;
	struct dmacopy_region *r;

	queue_credit_return(q, which);
	pthread_mutex_lock(&e->lock);
	r = region_find_locked(e, start, len);
	if (r) {
		uint64_t busy = __atomic_fetch_add(&r->busy, 1 + REGION_CREDIT, __ATOMIC_RELAXED);

		q->last_region[which] = r;
		q->last[which].gen = __atomic_load_n(&e->regions_gen, __ATOMIC_RELAXED);
		q->last[which].incarnation = REGION_INCARNATION(busy);
		q->last[which].credit = REGION_CREDIT;
		q->last[which].readonly = r->readonly;
		q->last[which].dev_flat = r->dev_flat;
		q->fast[which].start = r->start;
		q->last[which].len = r->len;
		q->fast[which].dev_delta = r->dev_delta;
		q->fast[which].emit_len = r->dev_flat && (which || !r->readonly) ? r->len : 0;
	}
	pthread_mutex_unlock(&e->lock);
	return r;
}

/* queue_unpark(), inline where a queue takes its parked credit back at its next copy. */
static ALWAYS_INLINE void unpark(struct dmacopy_queue *q)
{
	uint32_t w = __atomic_load_n(&q->park, __ATOMIC_ACQUIRE);

	if ((w & PARK_STATE) == PARK_PARKED &&
	    __atomic_compare_exchange_n(&q->park, &w, w & ~(uint32_t)PARK_STATE, false,
					__ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
		/* parked on the regions still in last[]: nothing changes them while parked */
		q->last[0].credit += q->parked[0];
		q->last[1].credit += q->parked[1];
		return;
	}
	/* PARK_REVOKED: the unregistration gave them back */
	__atomic_store_n(&q->park, w & ~(uint32_t)PARK_STATE, __ATOMIC_RELAXED);
}

void queue_unpark(struct dmacopy_queue *q)
{
	unpark(q);
}

/*
 * Take REGION_CREDIT references ahead on the region side which of queue q last used, which it
 * holds none on: its parked credit if it has any (one compare-and-swap for both sides), else if
 * no region was unregistered since the lookup and it is still the same registration (its
 * incarnation, compared in the atomic step that takes them). Whether it did.
 */
static ALWAYS_INLINE bool queue_credit_refill(struct dmacopy_queue *q, unsigned int which)
{
	struct dmacopy_region *r = q->last_region[which];
	uint64_t busy;

	if (queue_parked(q)) {
		unpark(q);
		if (q->last[which].credit)
			return true;
	}
	if (!r || __atomic_load_n(&q->engine->regions_gen, __ATOMIC_ACQUIRE) != q->last[which].gen)
		return false;
	busy = __atomic_load_n(&r->busy, __ATOMIC_RELAXED);
	while (REGION_INCARNATION(busy) == q->last[which].incarnation) {
		if (__atomic_compare_exchange_n(&r->busy, &busy, busy + REGION_CREDIT, true,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			q->last[which].credit = REGION_CREDIT;
			return true;
		}
	}
	return false;
}

/*
 * The region holding [start, start + len) with an in-flight reference taken, or NULL: the one the
 * queue's previous operation used for this side (which: 0 destination, 1 source), else a lookup.
 * While the queue holds references taken ahead on the cached region, the region cannot be
 * unregistered and one of them is used, with no atomic operation; else, if no region was
 * unregistered since the lookup, a compare-and-swap on the region's incarnation takes one for
 * the operation and REGION_CREDIT ahead. Inlined into the enqueue path.
 */
static ALWAYS_INLINE struct dmacopy_region *queue_region_get(struct dmacopy_queue *q,
							      unsigned int which, uintptr_t start,
							      size_t len)
{
	struct dmacopy_region *r = q->last_region[which];

	if (q->last[which].credit && region_holds(r, start, len)) {
		q->last[which].credit--;
		return r;
	}
	if (r && !q->last[which].credit && region_holds(r, start, len) &&
	    queue_credit_refill(q, which)) {
		q->last[which].credit--;
		return r;
	}
	return queue_region_lookup(q, which, start, len);
}

/*
 * An operation failed its region checks: nothing taken ahead may stay on its destination's side,
 * which no operation of the run uses now, nor on either side of a queue with nothing staged or
 * in flight (after queue_unpark() it may hold both).
 */
static __attribute__((cold)) void queue_credit_error(struct dmacopy_queue *q)
{
	queue_credit_return(q, 0);
	if (q->sq_tail == q->cq_tail)
		queue_credit_return(q, 1);
}

/* Regions of a queued operation, with their in-flight references taken. */
static ALWAYS_INLINE int queue_lookup_regions(struct dmacopy_queue *q, struct queue_op *op)
{
	if (!(q->engine->caps.flags & DMACOPY_CAP_NEEDS_REGISTER) || !op->len)
		return 0;
	op->dst_region = queue_region_get(q, 0, (uintptr_t)op->dst, op->len);
	if (!op->dst_region)
		return lib_error(-EFAULT, "destination [%p, +%zu) is not inside a registered region",
			    op->dst, op->len);
	if (__builtin_expect(op->dst_region->readonly, 0)) {
		const struct dmacopy_region *r = op->dst_region;

		__atomic_fetch_sub(&op->dst_region->busy, 1, __ATOMIC_RELEASE);
		op->dst_region = NULL;
		queue_credit_error(q);
		return readonly_error(op->dst, r);
	}
	if (op->kind == OP_COPY) {
		op->src_region = queue_region_get(q, 1, (uintptr_t)op->src, op->len);
		if (!op->src_region) {
			__atomic_fetch_sub(&op->dst_region->busy, 1, __ATOMIC_RELEASE);
			op->dst_region = NULL;
			queue_credit_error(q);
			return lib_error(-EFAULT,
				    "source [%p, +%zu) is not inside a registered region", op->src,
				    op->len);
		}
	}
	return 0;
}

/* ---- region runs (dmacopy_queue.run_refs) ---------------------------------------------------- */

void queue_run_open(struct dmacopy_queue *q, struct dmacopy_region *rd, struct dmacopy_region *rs)
{
	struct queue_run *r = &q->runs[(q->run_tail - 1) & q->run_mask];

	/*
	 * A new run, unless the newest one has no operation (then it changes regions) or every run
	 * has retired (then the newest is the only one). So each run but the newest holds at least
	 * one operation that has not retired, and the ring of 2 * depth never fills.
	 */
	if (q->cq_tail == q->sq_tail)
		q->run_head = q->run_tail - 1;
	else if (r->first != q->sq_tail)
		r = &q->runs[q->run_tail++ & q->run_mask];
	r->first = q->sq_tail;
	r->region[0] = rd;
	r->region[1] = rs;
}

void queue_op_regions(const struct dmacopy_queue *q, uint32_t seq,
		      struct dmacopy_region *region[2])
{
	uint32_t h = q->run_head;
	/* distances from the oldest run's start, which no operation not retired precedes */
	const uint32_t base = q->runs[h & q->run_mask].first;

	while (h + 1 != q->run_tail && q->runs[(h + 1) & q->run_mask].first - base <= seq - base)
		h++;
	region[0] = q->runs[h & q->run_mask].region[0];
	region[1] = q->runs[h & q->run_mask].region[1];
}

/* Drop the region references of a run_refs queue's operations [to, sq_tail), never submitted. */
static void queue_runs_drop_tail(struct dmacopy_queue *q, uint32_t to)
{
	uint32_t end = q->sq_tail;

	while (end != to) {
		const struct queue_run *r = &q->runs[(q->run_tail - 1) & q->run_mask];
		uint32_t n = end - to;

		if (end - r->first < n)
			n = end - r->first;
		region_put(r->region[0], n);
		region_put(r->region[1], n);
		end -= n;
		if (end == r->first && q->run_tail - 1 != q->run_head)
			q->run_tail--;
	}
}

/* ---- queues ---------------------------------------------------------------------------------- */

int dmacopy_queue_create(struct dmacopy_engine *e, const struct dmacopy_queue_opts *opts,
			 struct dmacopy_queue **queue)
{
	struct dmacopy_queue *q;
	uint32_t depth = DMACOPY_DEFAULT_DEPTH, spin_us = 0;
	int ret = engine_check(e);

	if (ret)
		return ret;
	if (!queue)
		return lib_error(-EINVAL, "queue pointer is NULL");
	*queue = NULL;
	if (opts) {
		for (size_t i = 0; i < ARRAY_SIZE(opts->reserved); i++) {
			if (opts->reserved[i])
				return lib_error(-EINVAL, "dmacopy_queue_opts.reserved[%zu] is not zero",
					    i);
		}
		if (opts->depth)
			depth = opts->depth;
		if (opts->spin_us)
			spin_us = opts->spin_us;
	}
	if (depth > e->caps.max_queue_depth)
		return lib_error(-EINVAL, "queue depth %u exceeds the engine's maximum %u", depth,
			    e->caps.max_queue_depth);
	while (depth & (depth - 1))
		depth = (depth | (depth - 1)) + 1;

	q = obj_alloc(PARK_QUEUE, sizeof(*q));
	if (!q)
		return lib_error(-ENOMEM, "cannot allocate the queue");
	q->engine = e;
	q->depth = depth;
	q->mask = depth - 1;
	q->max_len = e->caps.max_transfer;
	q->spin_ns = spin_us ? spin_us * 1000ll : LLONG_MAX;
	q->needs_reg = e->caps.flags & DMACOPY_CAP_NEEDS_REGISTER;
	q->ops = calloc(depth, sizeof(*q->ops));
	q->cqes = calloc(depth, sizeof(*q->cqes));
	if (!q->ops || !q->cqes) {
		ret = lib_error(-ENOMEM, "cannot allocate a queue of depth %u", depth);
		goto err_free;
	}
	ret = e->ops->queue_init ? e->ops->queue_init(q) : 0;
	if (ret)
		goto err_free;
	if (q->run_refs) {
		q->runs = calloc(2 * (size_t)depth, sizeof(*q->runs));
		q->run_mask = 2 * depth - 1;
		q->run_tail = 1; /* runs[0]: an empty run on no region */
	}
	if ((q->run_refs && !q->runs) || (q->emit != EMIT_NONE && !q->run_refs)) {
		ret = q->run_refs ? lib_error(-ENOMEM, "cannot allocate a queue of depth %u", depth)
				  : lib_error(-EINVAL, "engine %s emits without region runs", e->name);
		if (e->ops->queue_fini)
			e->ops->queue_fini(q);
		goto err_free;
	}
	if (q->emit != EMIT_NONE)
		emit_fast_init(q);
	q->magic = MAGIC_QUEUE;
	pthread_mutex_lock(&e->lock);
	q->next = e->queues;
	e->queues = q;
	pthread_mutex_unlock(&e->lock);
	*queue = q;
	return 0;

err_free:
	free(q->runs);
	free(q->ops);
	free(q->cqes);
	obj_retire(PARK_QUEUE, q);
	return ret;
}

int dmacopy_queue_destroy(struct dmacopy_queue *q)
{
	struct dmacopy_engine *e;
	struct dmacopy_queue **pp;
	int ret;

	if (!q)
		return 0;
	ret = queue_check(q);
	if (ret)
		return ret;
	e = q->engine;
	/* Drop what was never submitted, then let the engine finish what it holds. */
	if (q->run_refs)
		queue_runs_drop_tail(q, q->sq_submitted);
	else
		for (uint32_t i = q->sq_submitted; i != q->sq_tail; i++)
			queue_op_release(&q->ops[i & q->mask]);
	q->sq_tail = q->sq_submitted;
	while (q->cq_tail != q->sq_submitted) {
		ret = e->ops->progress(q, 1000);
		if (ret && ret != -ETIMEDOUT)
			break;
	}
	/* the references taken ahead, with what the retired operations left (or parked) */
	queue_credit_return(q, 0);
	queue_credit_return(q, 1);
	if (e->ops->queue_fini)
		e->ops->queue_fini(q);
	pthread_mutex_lock(&e->lock);
	for (pp = &e->queues; *pp; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	}
	pthread_mutex_unlock(&e->lock);
	free(q->runs);
	free(q->ops);
	free(q->cqes);
	obj_retire(PARK_QUEUE, q);
	return 0;
}

/*
 * The free slot at the queue's tail for an operation with these flags, or NULL with *ret set.
 * The caller writes the operation there and calls enqueue_commit().
 */
static ALWAYS_INLINE struct queue_op *enqueue_slot(struct dmacopy_queue *q, unsigned int flags,
						    int *ret)
{
	emit_budget_fold(q);
	if (flags & ~(unsigned int)DMACOPY_OP_FENCE) {
		*ret = lib_error(-EINVAL, "unknown operation flags %#x", flags);
		return NULL;
	}
	if (q->sq_tail - q->cq_head >= q->depth) {
		*ret = lib_error(-ENOSPC, "queue of depth %u is full", q->depth);
		return NULL;
	}
	return &q->ops[q->sq_tail & q->mask];
}

/* Take the regions of the operation written in the tail slot and make it part of the queue. */
static ALWAYS_INLINE int enqueue_commit(struct dmacopy_queue *q, struct queue_op *op)
{
	int ret = queue_lookup_regions(q, op);

	if (ret)
		return ret;
	if (q->run_refs)
		queue_run_note(q, op->dst_region, op->src_region);
	q->emit_mark = ++q->sq_tail;
	return 0;
}

/* dmacopy_enqueue_copy() with every check and lookup spelled out: what the fast path leaves. */
static __attribute__((noinline)) int enqueue_copy_checked(struct dmacopy_queue *q, void *dst,
							  const void *src, size_t len,
							  uint64_t user_data, unsigned int flags)
{
	struct queue_op *op;
	int ret = queue_check(q);

	if (ret)
		return ret;
	ret = check_copy(q->engine, dst, src, len);
	if (ret)
		return ret;
	op = enqueue_slot(q, flags, &ret);
	if (!op)
		return ret;
	*op = (struct queue_op){ .dst = dst, .src = src, .len = len, .user_data = user_data,
				 .flags = flags, .kind = OP_COPY };
	return enqueue_commit(q, op);
}

/*
 * Write the operation into the tail slot of q, which has room, and make it part of the queue (on
 * a run_refs queue the caller has noted its region run: queue_run_note()).
 */
static ALWAYS_INLINE void enqueue_copy_write(struct dmacopy_queue *q, void *dst, const void *src,
					     size_t len, uint64_t user_data, unsigned int flags,
					     struct dmacopy_region *rd, struct dmacopy_region *rs)
{
	struct queue_op *op = &q->ops[q->sq_tail & q->mask];

	op->dst = dst;
	op->src = src;
	op->len = len;
	op->user_data = user_data;
	op->dst_region = rd;
	op->src_region = rs;
	op->flags = flags;
	op->kind = OP_COPY;
	q->sq_tail++;
}

/*
 * dmacopy_enqueue_copy() for an engine that needs registration, the first checks passed: both
 * sides inside the regions the queue's previous operation used, with references taken ahead
 * left on both (inside registered regions neither side wraps around), read from what the queue
 * copied of them at lookup. Kept out of the caller so that the path of engines without
 * registration stays a leaf with few registers.
 */
static __attribute__((noinline)) int enqueue_copy_reg(struct dmacopy_queue *q, void *dst,
						      const void *src, size_t len,
						      uint64_t user_data, unsigned int flags)
{
	const uintptr_t od = (uintptr_t)dst - q->fast[0].start;
	const uintptr_t os = (uintptr_t)src - q->fast[1].start;

	/* od < len_0 and len_0 - od >= len: [dst, dst + len) inside [start_0, start_0 + len_0) */
	if (__builtin_expect(!q->last[0].credit || !q->last[1].credit || od >= q->last[0].len ||
			     q->last[0].len - od < len || os >= q->last[1].len ||
			     q->last[1].len - os < len || q->last[0].readonly, 0))
		return enqueue_copy_checked(q, dst, src, len, user_data, flags);
	q->last[0].credit--;
	q->last[1].credit--;
	if (q->run_refs)
		queue_run_note(q, q->last_region[0], q->last_region[1]);
	enqueue_copy_write(q, dst, src, len, user_data, flags, q->last_region[0],
			   q->last_region[1]);
	return 0;
}

/*
 * References taken ahead on both sides for enqueue_copy_emit(), whose checks passed on the
 * cached regions, when a side holds none (the first copy after dmacopy_submit()): both, or none
 * and false.
 */
static ALWAYS_INLINE bool emit_refill(struct dmacopy_queue *q)
{
	bool had0 = q->last[0].credit;

	if (!had0 && !queue_credit_refill(q, 0))
		return false;
	if (!q->last[1].credit && !queue_credit_refill(q, 1)) {
		if (!had0)
			queue_credit_return(q, 0);
		return false;
	}
	return true;
}

/*
 * enqueue_copies_emit() took references ahead on the sides that held none (!had0, !had1) and no
 * copy uses them: they may not stay (see queue_region_get()). A call, out of its 1 KiB block.
 */
static __attribute__((noinline, cold)) void emit_refill_undo(struct dmacopy_queue *q, bool had0,
							     bool had1)
{
	if (!had0)
		queue_credit_return(q, 0);
	if (!had1)
		queue_credit_return(q, 1);
}

/* emit_refill() as a call, for enqueue_copies_emit(), which must stay inside its 1 KiB block. */
static __attribute__((noinline)) HOT bool emit_refill_call(struct dmacopy_queue *q)
{
	return emit_refill(q);
}

/*
 * Write a checked copy into the tail slot and make it part of the queue; the caller has taken
 * the regions' references (one of each side's credit, or of the fast path's budget) and made
 * sure that the newest region run is on the two (queue_run_note(): the operation keeps no
 * region of its own).
 */
static ALWAYS_INLINE void emit_write(struct dmacopy_queue *q, uintptr_t d, uintptr_t s, size_t len,
				     uint64_t user_data)
{
	const uint32_t tail = q->sq_tail, slot = tail & q->mask;
	struct queue_op *op = &q->ops[slot];
	void *ring = q->emit_ring; /* set only for EMIT_DSA: one load tells both */

	op->user_data = user_data;
	if (ring) {
		op_set_kind(op, OP_EMITTED);
		emit_dsa_copy(ring, slot, d + q->fast[0].dev_delta, s + q->fast[1].dev_delta, len);
	} else {
		op_set_kind(op, OP_DEVCOPY);
		op->dst = (void *)(d + q->fast[0].dev_delta);
		op->src = (const void *)(s + q->fast[1].dev_delta);
		op->len = len;
	}
	q->sq_tail = tail + 1;
}

/*
 * Grant the fast path of dmacopy_enqueue_copy() a budget on the regions in last[], which the
 * queue's last copy used: as many copies as the queue has room for and both sides have credit
 * (taken from the credit, so no other path can spend it), if both sides may be emitted.
 */
static ALWAYS_INLINE void emit_grant(struct dmacopy_queue *q)
{
	const uintptr_t a0 = q->fast[0].start, a1 = q->fast[1].start;
	uint32_t k = q->depth - (q->sq_tail - q->cq_head);
	uint64_t max = q->emit_max;

	if (q->fast[0].emit_len < max)
		max = q->fast[0].emit_len;
	if (q->fast[1].emit_len < max)
		max = q->fast[1].emit_len;
	k = k < q->last[0].credit ? k : q->last[0].credit;
	k = k < q->last[1].credit ? k : q->last[1].credit;
	if (!k || !max)
		return;
	q->last[0].credit -= k;
	q->last[1].credit -= k;
	q->emit_budget = k;
	q->emit_fast_max = max;
	/* [a0, a0 + len0) and [a1, a1 + len1) apart: neither starts inside the other */
	q->emit_disjoint = (a0 >= a1 ? a0 - a1 >= q->last[1].len : a1 - a0 >= q->last[0].len);
}

/* The end of enqueue_copy_emit(): the copy, checked, with a reference ahead left on both sides. */
static ALWAYS_INLINE void emit_copy(struct dmacopy_queue *q, uintptr_t d, uintptr_t s, size_t len,
				    uint64_t user_data)
{
	q->last[0].credit--;
	q->last[1].credit--;
	queue_run_note(q, q->last_region[0], q->last_region[1]);
	emit_write(q, d, s, len, user_data);
	emit_grant(q);
}

/* enqueue_copy_emit() when a side holds no reference ahead: take them, or the checked path. */
static __attribute__((noinline)) HOT int enqueue_copy_emit_refill(struct dmacopy_queue *q, void *dst,
							      const void *src, size_t len,
							      uint64_t user_data)
{
	if (!emit_refill(q))
		return enqueue_copy_checked(q, dst, src, len, user_data, 0);
	emit_copy(q, (uintptr_t)dst, (uintptr_t)src, len, user_data);
	return 0;
}

/*
 * dmacopy_enqueue_copy() on an emitting queue (dmacopy_queue.emit), the handle checked: the
 * common case, an unfenced copy of 1 to emit_max bytes between two flat regions the queue's
 * previous operation used (what it copied of them at lookup), in straight-line code that ends
 * with the descriptor written, with no call unless the copy starts a new region run (so little
 * to save). The checks the general path makes and this one leaves out follow from the others: a
 * pointer inside a registered region is not NULL and its range does not wrap, and emit_max is at
 * most the engine's maximum transfer. Anything else takes enqueue_copy_checked().
 */
static __attribute__((noinline)) HOT int enqueue_copy_emit(struct dmacopy_queue *q, void *dst,
						       const void *src, size_t len,
						       uint64_t user_data, unsigned int flags)
{
	const uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;
	uintptr_t od, os;

	emit_budget_fold(q);
	od = d - q->fast[0].start;
	os = s - q->fast[1].start;
	/* od < emit_len_0 and emit_len_0 - od >= len: [d, d + len) inside the emittable region 0 */
	if (__builtin_expect(flags || len - 1 >= q->emit_max ||
			     q->sq_tail - q->cq_head >= q->depth || copy_overlaps(d, s, len) ||
			     od >= q->fast[0].emit_len || q->fast[0].emit_len - od < len ||
			     os >= q->fast[1].emit_len || q->fast[1].emit_len - os < len, 0))
		return enqueue_copy_checked(q, dst, src, len, user_data, flags);
	if (__builtin_expect(!q->last[0].credit || !q->last[1].credit, 0))
		return enqueue_copy_emit_refill(q, dst, src, len, user_data);
	emit_copy(q, d, s, len, user_data);
	return 0;
}

/*
 * Whether q (not NULL) is a queue handle with an emit budget and flags are 0, in one load of
 * magic and emit_budget (adjacent, lib/internal.h asserts it) and one comparison: the word with
 * magic's half xored with MAGIC_QUEUE and or-ed with flags, that half made the high one, is
 * the budget alone (1 to UINT32_MAX) exactly when all three hold.
 */
static ALWAYS_INLINE bool fast_handle_ok(const struct dmacopy_queue *q, unsigned int flags)
{
	uint64_t w;

	memcpy(&w, &q->magic, sizeof(w));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	w = (w ^ MAGIC_QUEUE) | flags;
	w = w >> 32 | w << 32;
#else
	w = (w ^ (uint64_t)MAGIC_QUEUE << 32) | (uint64_t)flags << 32;
#endif
	return w - 1 < UINT32_MAX;
}

/*
 * The common case in straight-line code: a valid queue with room, a non-empty copy within the
 * engine's limit that neither wraps nor overlaps and, on engines that need registration, both
 * sides in the cached regions (enqueue_copy_reg()). Anything else, errors included, takes
 * enqueue_copy_checked(), which does the same in full.
 */
HOT_OP int dmacopy_enqueue_copy(struct dmacopy_queue *q, void *dst, const void *src, size_t len,
			 uint64_t user_data, unsigned int flags)
{
	uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src, end;

	/*
	 * The fast path of an emitting queue (emit_grant()): a valid handle with a budget, no
	 * flags, 1 to emit_fast_max bytes, [d, d + len) and [s, s + len) inside the budget's
	 * regions (emit_fast_max is at most each side's emit_len, so emit_len - len cannot wrap)
	 * and not overlapping. The newest region run is on the budget's regions: emit_copy()
	 * granted it after a copy on them. The conditions are combined without a branch each:
	 * under an emulator every conditional branch ends a block of translated code.
	 */
	if (__builtin_expect(q != NULL, 1)) {
		bool fits = fast_handle_ok(q, flags) & (len - 1 < q->emit_fast_max) &
			    (d - q->fast[0].start <= q->fast[0].emit_len - len) &
			    (s - q->fast[1].start <= q->fast[1].emit_len - len);

		unsigned int ok = (unsigned int)fits & q->emit_disjoint;

		/* one test of the and, which the compiler would make two branches */
		__asm__("" : "+r"(ok));
		if (__builtin_expect(ok, 1) || (fits && !copy_overlaps(d, s, len))) {
			q->emit_budget--;
			emit_write(q, d, s, len, user_data);
			return 0;
		}
	}
	if (__builtin_expect(q && q->magic == MAGIC_QUEUE && q->emit != EMIT_NONE, 1))
		return enqueue_copy_emit(q, dst, src, len, user_data, flags);
	if (__builtin_expect(!q || q->magic != MAGIC_QUEUE || (flags & ~(unsigned int)DMACOPY_OP_FENCE) ||
			     len - 1 >= q->max_len || !d || !s || q->sq_tail - q->cq_head >= q->depth ||
			     copy_overlaps(d, s, len), 0))
		return enqueue_copy_checked(q, dst, src, len, user_data, flags);
	if (q->needs_reg)
		return enqueue_copy_reg(q, dst, src, len, user_data, flags);
	if (__builtin_expect(__builtin_add_overflow(d, len - 1, &end) ||
			     __builtin_add_overflow(s, len - 1, &end), 0))
		return enqueue_copy_checked(q, dst, src, len, user_data, flags);
	enqueue_copy_write(q, dst, src, len, user_data, flags, NULL, NULL);
	return 0;
}

/*
 * dmacopy_enqueue_copies() on a queue that emits DSA descriptors: as many of the n copies from the first as
 * enqueue_copy_emit() would emit, up to the end of the queue's slots, in one loop with the
 * queue's state in locals; returns how many it emitted (it stops at the first one that needs
 * more than its fast path).
 */
static __attribute__((noinline)) HOT_OP unsigned int
enqueue_copies_emit(struct dmacopy_queue *q, const struct dmacopy_copy *c,
					unsigned int n)
{
	const uintptr_t start0 = q->fast[0].start, start1 = q->fast[1].start;
	const size_t elen0 = q->fast[0].emit_len, elen1 = q->fast[1].emit_len;
	const uint64_t delta0 = q->fast[0].dev_delta, delta1 = q->fast[1].dev_delta;
	const uint32_t tail = q->sq_tail, slot = tail & q->mask;
	struct queue_op *op = &q->ops[slot];
	struct dsa_desc *desc = (struct dsa_desc *)q->emit_ring + slot;
	uint32_t k = q->depth - (tail - q->cq_head), i;
	const bool had0 = q->last[0].credit, had1 = q->last[1].credit;
	/*
	 * At most emit_max and both sides' emittable lengths: a len below it leaves elen - len
	 * unwrapped. Two regions apart (neither starts inside the other) need no overlap check.
	 */
	const uint64_t emax = q->emit_max < elen0 ? (q->emit_max < elen1 ? q->emit_max : elen1)
						  : (elen0 < elen1 ? elen0 : elen1);
	const bool apart = start0 >= start1 ? start0 - start1 >= q->last[1].len
					    : start1 - start0 >= q->last[0].len;

	if (!k || ((!had0 || !had1) && !emit_refill_call(q)))
		return 0;
	k = k < n ? k : n;
	k = k < q->depth - slot ? k : q->depth - slot;
	k = k < q->last[0].credit ? k : q->last[0].credit;
	k = k < q->last[1].credit ? k : q->last[1].credit;
	for (i = 0; i < k; i++, c++, op++, desc++) {
		const uintptr_t d = (uintptr_t)c->dst, s = (uintptr_t)c->src;
		const size_t len = c->len;
		uint64_t fr; /* flags and reserved: both 0 */

		_Static_assert(offsetof(struct dmacopy_copy, reserved) ==
			       offsetof(struct dmacopy_copy, flags) + 4, "dmacopy_copy layout");
		memcpy(&fr, &c->flags, sizeof(fr));
		/* [d, d + len) inside the emittable part of region 0, [s, s + len) of region 1 */
		if (__builtin_expect(fr || len - 1 >= emax || d - start0 > elen0 - len ||
				     s - start1 > elen1 - len || (!apart && copy_overlaps(d, s, len)),
				     0))
			break;
		op->user_data = c->user_data;
		op_set_kind(op, OP_EMITTED); /* as emit_write() writes one */
		emit_dsa_copy_at(desc, d + delta0, s + delta1, len);
	}
	if (!i) {
		emit_refill_undo(q, had0, had1);
		return 0;
	}
	q->last[0].credit -= i;
	q->last[1].credit -= i;
	queue_run_note(q, q->last_region[0], q->last_region[1]);
	q->sq_tail = tail + i;
	return i;
}

HOT int dmacopy_enqueue_copies(struct dmacopy_queue *q, const struct dmacopy_copy *copies,
			   unsigned int n)
{
	unsigned int i = 0;
	int ret = queue_check(q);

	if (ret)
		return ret;
	if (!copies && n)
		return lib_error(-EINVAL, "copies is NULL");
	if (n > INT32_MAX)
		return lib_error(-EINVAL, "%u copies at once; at most %d", n, INT32_MAX);
	while (i < n) {
		const struct dmacopy_copy *c = &copies[i];

		if (q->emit == EMIT_DSA) {
			emit_budget_fold(q);
			i += enqueue_copies_emit(q, c, n - i);
			if (i == n)
				break;
			c = &copies[i];
		}
		/* the copy the loop above left, and the ones after it while they take this path */
		if (c->reserved)
			ret = lib_error(-EINVAL, "dmacopy_copy.reserved of copy %u is not zero", i);
		else
			ret = dmacopy_enqueue_copy(q, c->dst, c->src, c->len, c->user_data, c->flags);
		if (ret)
			return i ? (int)i : ret;
		i++;
	}
	return (int)n;
}

int dmacopy_enqueue_fill(struct dmacopy_queue *q, void *dst, uint64_t pattern, size_t len,
			 uint64_t user_data, unsigned int flags)
{
	struct queue_op *op;
	int ret = queue_check(q);

	if (ret)
		return ret;
	ret = check_fill(q->engine, dst, len);
	if (ret)
		return ret;
	op = enqueue_slot(q, flags, &ret);
	if (!op)
		return ret;
	*op = (struct queue_op){ .dst = dst, .pattern = pattern, .len = len,
				 .user_data = user_data, .flags = flags, .kind = OP_FILL };
	return enqueue_commit(q, op);
}

HOT_BATCH(512) int dmacopy_submit(struct dmacopy_queue *q)
{
	const struct queue_run *newest;
	uint32_t n;
	int ret = queue_check(q);

	if (ret)
		return ret;
	n = q->sq_tail - q->sq_submitted;
	/*
	 * The submitted operations hold their own references: none taken ahead may stay, but on a
	 * run_refs queue those on the regions of its newest run (the last operations submitted),
	 * which stay in use until they retire; the queue parks them when it runs idle.
	 */
	newest = n && q->run_refs ? &q->runs[(q->run_tail - 1) & q->run_mask] : NULL;
	for (unsigned int w = 0; w < 2; w++) {
		if (!newest || newest->region[w] != q->last_region[w])
			queue_credit_return(q, w);
	}
	if (!n)
		return 0;
	ret = q->engine->ops->submit(q);
	if (ret)
		return ret;
	return (int)n;
}

static HOT unsigned int reap(struct dmacopy_queue *q, struct dmacopy_completion *out, unsigned int max)
{
	const struct dmacopy_completion *cqes = q->cqes;
	const uint32_t head = q->cq_head, avail = q->cq_tail - head, mask = q->mask;
	unsigned int n = avail < max ? avail : max;

	for (unsigned int i = 0; i < n; i++)
		out[i] = cqes[(head + i) & mask];
	q->cq_head = head + n;
	return n;
}

static ALWAYS_INLINE unsigned int reap_ok(struct dmacopy_queue *q, unsigned int max, bool *failed);

/*
 * One round of progress that does not block, and what it yields reaped, at most max: stored into
 * out, or, with out NULL, counted up to the first that failed (dmacopy_reap(), *failed set
 * then). Straight from the engine when it can (progress_out, progress_count) and the ring is
 * empty, else through the ring. Returns how many, or -errno.
 */
static ALWAYS_INLINE int progress_reap(struct dmacopy_queue *q, struct dmacopy_completion *out,
					unsigned int max, bool *failed)
{
	const struct engine_ops *ops = q->engine->ops;
	int ret;

	if (q->cq_head == q->cq_tail) {
		if (out && ops->progress_out)
			return ops->progress_out(q, out, max);
		if (!out && ops->progress_count)
			return ops->progress_count(q, max, failed);
	}
	ret = ops->progress(q, 0);
	if (ret && ret != -ETIMEDOUT)
		return ret;
	return (int)(out ? reap(q, out, max) : reap_ok(q, max, failed));
}

/* wait_check() found a bad argument: -EINVAL with the reason. */
static __attribute__((noinline, cold)) int wait_check_fail(const struct dmacopy_queue *q,
							   unsigned int min, unsigned int max,
							   int timeout_ms)
{
	if (min > max)
		return lib_error(-EINVAL, "min %u is larger than max %u", min, max);
	if (min > q->sq_submitted - q->cq_head)
		return lib_error(-EINVAL,
			    "waiting for %u completions but only %u operations were submitted and "
			    "not reaped",
			    min, q->sq_submitted - q->cq_head);
	/* the one left: timeout_ms < -1 */
	return lib_error(-EINVAL, "timeout %d ms is negative; use -1 to wait forever", timeout_ms);
}

/*
 * The arguments dmacopy_wait() and dmacopy_reap() share: 0 or -EINVAL with the reason. Inline:
 * a call and its return per batch for three comparisons.
 */
static ALWAYS_INLINE int wait_check(const struct dmacopy_queue *q, unsigned int min,
				    unsigned int max, int timeout_ms)
{
	if (__builtin_expect(min > max || min > q->sq_submitted - q->cq_head || timeout_ms < -1, 0))
		return wait_check_fail(q, min, max, timeout_ms);
	return 0;
}

/* The deadline of a wait, set at its first look at the clock. */
struct wait_clock {
	long long deadline;
	bool timed;
};

/*
 * Milliseconds left of a wait of timeout_ms (-1: forever, then -1) counted from the first call;
 * 0 once it is over.
 */
static int wait_left(struct wait_clock *wc, int timeout_ms)
{
	long long now, rem;

	if (timeout_ms < 0)
		return -1;
	now = mono_ms();
	if (!wc->timed) {
		wc->deadline = now + timeout_ms;
		wc->timed = true;
	}
	rem = wc->deadline - now;
	if (rem <= 0)
		return 0;
	return rem > INT32_MAX ? INT32_MAX : (int)rem;
}

HOT_BATCH(1024) int dmacopy_poll(struct dmacopy_queue *q, struct dmacopy_completion *completions,
				 unsigned int max)
{
	unsigned int got;
	int ret = queue_check(q);

	if (ret)
		return ret;
	if (!completions && max)
		return lib_error(-EINVAL, "completions is NULL");
	got = reap(q, completions, max);
	if (q->cq_tail == q->sq_submitted)
		return (int)got;
	if (got < max) {
		ret = progress_reap(q, completions + got, max - got, NULL);
		if (ret < 0)
			return got ? (int)got : ret;
		got += (unsigned int)ret;
	} else {
		/* nothing more fits in completions; the engine still makes progress (a kick) */
		ret = q->engine->ops->progress(q, 0);
		if (ret && ret != -ETIMEDOUT && !got)
			return ret;
	}
	return (int)got;
}

/*
 * What is ready in the ring, at most max: stored into out, or, with out NULL, counted up to the
 * first that failed (*failed set then).
 */
static ALWAYS_INLINE unsigned int take(struct dmacopy_queue *q, struct dmacopy_completion *out,
				       unsigned int max, bool *failed)
{
	return out ? reap(q, out, max) : reap_ok(q, max, failed);
}

/*
 * dmacopy_wait() (into out) and dmacopy_reap() (out NULL: counted, stopping before a failure,
 * *failed set then), the arguments checked.
 */
static ALWAYS_INLINE int wait_reap(struct dmacopy_queue *q, struct dmacopy_completion *out,
				    unsigned int min, unsigned int max, int timeout_ms,
				    bool *failed)
{
	unsigned int got = take(q, out, max, failed);
	int ret;

	if (!*failed && got < max && q->cq_tail != q->sq_submitted) {
		ret = progress_reap(q, out ? out + got : NULL, max - got, failed);
		if (ret < 0)
			return got ? (int)got : ret;
		got += (unsigned int)ret;
	}
	/*
	 * min never exceeds what is in flight or completed, so each round can make progress. The
	 * clock is first read here: most waits of a polled engine end before.
	 */
	for (struct wait_clock wc = { 0 }; got < min && !*failed;) {
		int left = wait_left(&wc, timeout_ms);

		if (!left)
			break;
		ret = q->engine->ops->progress(q, left);
		if (ret && ret != -ETIMEDOUT)
			return got ? (int)got : ret;
		got += take(q, out ? out + got : NULL, max - got, failed);
	}
	return (int)got;
}

HOT_BATCH(2048) int dmacopy_wait(struct dmacopy_queue *q, struct dmacopy_completion *completions,
				 unsigned int min, unsigned int max, int timeout_ms)
{
	bool failed = false; /* never set with completions */
	int ret = queue_check(q);

	if (ret)
		return ret;
	if (!completions && max)
		return lib_error(-EINVAL, "completions is NULL");
	ret = wait_check(q, min, max, timeout_ms);
	if (ret)
		return ret;
	if (!max)
		return 0;
	return wait_reap(q, completions, min, max, timeout_ms, &failed);
}

/*
 * The completions at the head of the ring that succeeded, up to max, reaped without a copy;
 * *failed is set when the one after them failed.
 */
static ALWAYS_INLINE unsigned int reap_ok(struct dmacopy_queue *q, unsigned int max, bool *failed)
{
	const struct dmacopy_completion *cqes = q->cqes;
	const uint32_t head = q->cq_head, avail = q->cq_tail - head, mask = q->mask;
	unsigned int n = avail < max ? avail : max, i;

	for (i = 0; i < n && !cqes[(head + i) & mask].status; i++)
		;
	*failed = i < avail && cqes[(head + i) & mask].status;
	q->cq_head = head + i;
	return i;
}

HOT_BATCH(1024) int dmacopy_reap(struct dmacopy_queue *q, unsigned int min, unsigned int max,
				 int timeout_ms)
{
	bool failed = false;
	int ret = queue_check(q);

	if (ret)
		return ret;
	ret = wait_check(q, min, max, timeout_ms);
	if (ret)
		return ret;
	ret = wait_reap(q, NULL, min, max, timeout_ms, &failed);
	if (failed && !ret)
		return lib_error(-EIO, "the next operation to reap failed: dmacopy_poll() or "
			    "dmacopy_wait() returns its completion with the status and error");
	return ret;
}

unsigned int dmacopy_queue_pending(const struct dmacopy_queue *q)
{
	return queue_check(q) ? 0 : q->sq_tail - q->sq_submitted;
}

unsigned int dmacopy_queue_inflight(const struct dmacopy_queue *q)
{
	return queue_check(q) ? 0 : q->sq_submitted - q->cq_head;
}

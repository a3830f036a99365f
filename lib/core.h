/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the files of libdmacopy's core (error.c, handle.c, engine.c, region.c, queue.c, sync.c)
 * share among themselves: handle lifetime, handle and argument checks, region lookup. Engines
 * include internal.h only.
 */
#ifndef DMACOPY_CORE_H
#define DMACOPY_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* Empty the calling thread's dmacopy_last_error() (error.c). */
void lib_error_clear(void);

/* ---- handles (handle.c) ---------------------------------------------------------------------- */

enum { PARK_ENGINE, PARK_QUEUE, PARK_REGION, PARK_KINDS };

/* A zeroed object of kind, reused from the parked ones when there are (a region keeps busy). */
void *obj_alloc(unsigned int kind, size_t size);
/* Retire obj: its magic becomes MAGIC_DEAD and it is parked for reuse, never freed. */
void obj_retire(unsigned int kind, void *obj);

static inline int engine_check(const struct dmacopy_engine *e)
{
	if (!e)
		return lib_error(-EINVAL, "engine is NULL");
	if (e->magic != MAGIC_ENGINE)
		return lib_error(-EBADF, "engine handle is closed or invalid");
	return 0;
}

static inline int queue_check(const struct dmacopy_queue *q)
{
	if (!q)
		return lib_error(-EINVAL, "queue is NULL");
	if (q->magic != MAGIC_QUEUE)
		return lib_error(-EBADF, "queue handle is destroyed or invalid");
	return 0;
}

/* ---- regions (region.c) ---------------------------------------------------------------------- */

static inline bool range_wraps(uintptr_t start, size_t len)
{
	return len && len - 1 > UINTPTR_MAX - start;
}

/* Whether [d, d + len) and [s, s + len) share a byte (the distance between them is under len). */
static inline bool copy_overlaps(uintptr_t d, uintptr_t s, size_t len)
{
	return (d >= s ? d - s : s - d) < len;
}

static inline bool region_holds(const struct dmacopy_region *r, uintptr_t start, size_t len)
{
	return start >= r->start && len <= r->len && start - r->start <= r->len - len;
}

/* The registered region of e that holds [start, start + len), or NULL; e->lock held. */
struct dmacopy_region *region_find_locked(struct dmacopy_engine *e, uintptr_t start, size_t len);

__attribute__((cold)) int readonly_error(const void *dst, const struct dmacopy_region *r);

/* References queue_region_get() takes ahead, beyond the one the operation needs. */
#define REGION_CREDIT 63u

/*
 * Take back a run_refs queue's parked credit (dmacopy_queue.park) into last[], or learn that an
 * unregistration revoked it. Its thread only, before it reads or changes its credit or last[].
 */
void queue_unpark(struct dmacopy_queue *q);

static inline bool queue_parked(const struct dmacopy_queue *q)
{
	return __atomic_load_n(&q->park, __ATOMIC_RELAXED) & PARK_STATE;
}

/* Give back the references taken ahead on the cached region of side which. */
static inline void queue_credit_return(struct dmacopy_queue *q, unsigned int which)
{
	if (__builtin_expect(queue_parked(q), 0))
		queue_unpark(q);
	emit_budget_fold(q);
	if (q->last[which].credit) {
		region_put(q->last_region[which], q->last[which].credit);
		q->last[which].credit = 0;
	}
}

/* ---- region runs of run_refs queues (queue.c) ------------------------------------------------ */

/* Start a new run on regions rd and rs at the queue's tail (queue_run_note()). */
void queue_run_open(struct dmacopy_queue *q, struct dmacopy_region *rd, struct dmacopy_region *rs);

/*
 * The operation about to be committed at the tail of a run_refs queue uses regions rd and rs: it
 * joins the newest run if that one is on the same two, else starts one. Every path that commits
 * an operation of such a queue calls it first (the fast path of dmacopy_enqueue_copy() need not:
 * its budget is granted only after a copy on the regions it is for).
 */
static ALWAYS_INLINE void queue_run_note(struct dmacopy_queue *q, struct dmacopy_region *rd,
					 struct dmacopy_region *rs)
{
	const struct queue_run *r = &q->runs[(q->run_tail - 1) & q->run_mask];

	if (__builtin_expect(r->region[0] != rd || r->region[1] != rs, 0))
		queue_run_open(q, rd, rs);
}

/* ---- validation shared by queues and synchronous helpers ------------------------------------ */

static ALWAYS_INLINE int check_copy(const struct dmacopy_engine *e, const void *dst,
				    const void *src, size_t len)
{
	uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;

	if (!dst || !src)
		return lib_error(-EINVAL, "%s is NULL", !dst ? "destination" : "source");
	if (range_wraps(d, len))
		return lib_error(-EOVERFLOW, "destination %p + %zu wraps around", dst, len);
	if (range_wraps(s, len))
		return lib_error(-EOVERFLOW, "source %p + %zu wraps around", src, len);
	if (len > e->caps.max_transfer)
		return lib_error(-E2BIG, "length %zu exceeds the engine's maximum %llu", len,
			    (unsigned long long)e->caps.max_transfer);
	if (copy_overlaps(d, s, len))
		return lib_error(-EINVAL,
			    "source [%p, +%zu) and destination [%p, +%zu) overlap; DMA engines do "
			    "not implement memmove",
			    src, len, dst, len);
	return 0;
}

static inline int check_fill(const struct dmacopy_engine *e, const void *dst, size_t len)
{
	if (!(e->caps.flags & DMACOPY_CAP_FILL))
		return lib_error(-ENOTSUP, "engine %s cannot fill", e->name);
	if (!dst)
		return lib_error(-EINVAL, "destination is NULL");
	if (range_wraps((uintptr_t)dst, len))
		return lib_error(-EOVERFLOW, "destination %p + %zu wraps around", dst, len);
	if (len > e->caps.max_transfer)
		return lib_error(-E2BIG, "length %zu exceeds the engine's maximum %llu", len,
			    (unsigned long long)e->caps.max_transfer);
	return 0;
}

#endif /* DMACOPY_CORE_H */

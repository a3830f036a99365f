// SPDX-License-Identifier: BSD-3-Clause
/*
 * libdmacopy core: registering and unregistering memory, and finding the region that holds a
 * range.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"

/* ---- regions -------------------------------------------------------------------------------- */


int dmacopy_region_register(struct dmacopy_engine *e, void *addr, size_t len,
			    struct dmacopy_region **region)
{
	struct dmacopy_region *r, *it;
	uintptr_t start = (uintptr_t)addr;
	int ret = engine_check(e);

	if (ret)
		return ret;
	if (!region)
		return lib_error(-EINVAL, "region pointer is NULL");
	*region = NULL;
	if (!addr || !len)
		return lib_error(-EINVAL, "cannot register %s", !addr ? "a NULL address" : "0 bytes");
	if (range_wraps(start, len))
		return lib_error(-EOVERFLOW, "region %p + %zu wraps around", addr, len);

	r = obj_alloc(PARK_REGION, sizeof(*r));
	if (!r)
		return lib_error(-ENOMEM, "cannot allocate the region");
	r->engine = e;
	r->start = start;
	r->len = len;

	pthread_mutex_lock(&e->lock);
	for (it = e->regions; it; it = it->next) {
		if (start < it->start + it->len && it->start < start + len) {
			pthread_mutex_unlock(&e->lock);
			obj_retire(PARK_REGION, r);
			return lib_error(-EEXIST, "region [%p, +%zu) overlaps registered [%#lx, +%zu)",
				    addr, len, (unsigned long)it->start, it->len);
		}
	}
	ret = e->ops->region_register ? e->ops->region_register(e, r) : 0;
	if (ret) {
		pthread_mutex_unlock(&e->lock);
		obj_retire(PARK_REGION, r);
		return ret;
	}
	r->magic = MAGIC_REGION;
	r->next = e->regions;
	e->regions = r;
	pthread_mutex_unlock(&e->lock);
	*region = r;
	return 0;
}

/*
 * Give back the credit every idle queue of e parked (dmacopy_queue.park), on any region, so that
 * none holds a region it does not use; e->lock held (queues are neither created nor destroyed).
 * A queue's parked[] and parked_region[] are read before the compare-and-swap that revokes them:
 * it succeeds only if the queue neither took them back nor parked again since (the version).
 */
static void revoke_parked(struct dmacopy_engine *e)
{
	for (struct dmacopy_queue *q = e->queues; q; q = q->next) {
		uint32_t w = __atomic_load_n(&q->park, __ATOMIC_ACQUIRE);
		struct dmacopy_region *r0, *r1;
		uint32_t c0, c1;

		if ((w & PARK_STATE) != PARK_PARKED)
			continue;
		c0 = __atomic_load_n(&q->parked[0], __ATOMIC_RELAXED);
		c1 = __atomic_load_n(&q->parked[1], __ATOMIC_RELAXED);
		r0 = __atomic_load_n(&q->parked_region[0], __ATOMIC_RELAXED);
		r1 = __atomic_load_n(&q->parked_region[1], __ATOMIC_RELAXED);
		if (!__atomic_compare_exchange_n(&q->park, &w,
						 (w & ~(uint32_t)PARK_STATE) | PARK_REVOKED, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			continue;
		region_put(r0, c0);
		region_put(r1, c1);
	}
}

int dmacopy_region_unregister(struct dmacopy_region *r)
{
	struct dmacopy_engine *e;
	struct dmacopy_region **pp;
	uint64_t busy;

	if (!r)
		return 0;
	if (r->magic != MAGIC_REGION)
		return lib_error(-EBADF, "region handle is unregistered or invalid");
	e = r->engine;
	pthread_mutex_lock(&e->lock);
	if (r->magic != MAGIC_REGION) { /* a concurrent unregister won */
		pthread_mutex_unlock(&e->lock);
		return lib_error(-EBADF, "region handle is unregistered or invalid");
	}
	/*
	 * Lookups under the lock are excluded; a queue's lock-free reuse (queue_region_get()) takes
	 * its reference with a compare-and-swap on the incarnation, so either it got in first
	 * (-EBUSY here) or the new incarnation makes it fail and look the region up again.
	 */
	__atomic_fetch_add(&e->regions_gen, 1, __ATOMIC_SEQ_CST);
	revoke_parked(e);
	busy = __atomic_load_n(&r->busy, __ATOMIC_SEQ_CST);
	do {
		if (REGION_REFS(busy)) {
			pthread_mutex_unlock(&e->lock);
			return lib_error(-EBUSY, "region [%#lx, +%zu) is used by operations in "
				    "flight; reap their completions first", (unsigned long)r->start,
				    r->len);
		}
	} while (!__atomic_compare_exchange_n(&r->busy, &busy, busy + REGION_NEXT_INCARNATION, false,
					      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	for (pp = &e->regions; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	if (e->ops->region_unregister)
		e->ops->region_unregister(e, r);
	r->magic = MAGIC_DEAD; /* under the lock: a concurrent unregister sees it */
	pthread_mutex_unlock(&e->lock);
	obj_retire(PARK_REGION, r);
	return 0;
}


/* The registered region of e that holds [start, start + len), or NULL; e->lock held. */
struct dmacopy_region *region_find_locked(struct dmacopy_engine *e, uintptr_t start, size_t len)
{
	struct dmacopy_region *r;

	for (r = e->regions; r; r = r->next) {
		if (region_holds(r, start, len))
			break;
	}
	return r;
}

/* -EACCES for a destination in region r, which the engine registered read-only. */
__attribute__((cold)) int readonly_error(const void *dst, const struct dmacopy_region *r)
{
	return lib_error(-EACCES, "destination %p is in memory registered read-only%s", dst,
			 r->readonly_why ? r->readonly_why : "");
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * libdmacopy core: the synchronous helpers (dmacopy_memcpy(), dmacopy_fill(), dmacopy_memset()),
 * the CPU engine's small copies inline.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The library's dmacopy_memcpy() is the out-of-line one the header's inline version falls back on. */
#define DMACOPY_NO_INLINE
#include "cpu_copy.h"
#include "core.h"

/*
 * Regions of a synchronous operation, with in-flight references taken under the engine lock, so
 * that they cannot be unregistered while the engine works on them (queue_op_release() drops them).
 */
static int sync_lookup_regions(struct dmacopy_engine *e, struct queue_op *op)
{
	struct dmacopy_region *d, *src = NULL;

	pthread_mutex_lock(&e->lock);
	d = region_find_locked(e, (uintptr_t)op->dst, op->len);
	if (op->kind == OP_COPY)
		src = region_find_locked(e, (uintptr_t)op->src, op->len);
	if (d && (src || op->kind != OP_COPY)) {
		__atomic_fetch_add(&d->busy, 1, __ATOMIC_RELAXED);
		if (src)
			__atomic_fetch_add(&src->busy, 1, __ATOMIC_RELAXED);
		op->dst_region = d;
		op->src_region = src;
	}
	pthread_mutex_unlock(&e->lock);
	if (!d)
		return lib_error(-EFAULT, "destination [%p, +%zu) is not inside a registered region",
			    op->dst, op->len);
	if (op->kind == OP_COPY && !src)
		return lib_error(-EFAULT, "source [%p, +%zu) is not inside a registered region",
			    op->src, op->len);
	if (d->readonly) {
		queue_op_release(op);
		return readonly_error(op->dst, d);
	}
	return 0;
}

/* ---- synchronous helpers -------------------------------------------------------------------- */

/*
 * Run a validated synchronous operation on the engine, with its regions looked up and held for
 * the call when the engine needs registration.
 */
static int sync_run(struct dmacopy_engine *e,
		    int (*run)(struct dmacopy_engine *e, const struct queue_op *op), struct queue_op *op)
{
	int ret;

	if ((e->caps.flags & DMACOPY_CAP_NEEDS_REGISTER) && op->len) {
		ret = sync_lookup_regions(e, op);
		if (ret)
			return ret;
	}
	ret = run(e, op);
	queue_op_release(op);
	return ret;
}

/* Everything but the CPU engine's inline copies: full checks, then the engine. */
static __attribute__((noinline)) int memcpy_checked(struct dmacopy_engine *e, void *dst,
						    const void *src, size_t len)
{
	int ret = engine_check(e);

	if (ret)
		return ret;
	ret = check_copy(e, dst, src, len);
	if (ret)
		return ret;
	return sync_run(e, e->ops->memcpy,
			&(struct queue_op){ .dst = dst, .src = src, .len = len, .kind = OP_COPY });
}

int dmacopy_memcpy(struct dmacopy_engine *e, void *dst, const void *src, size_t len)
{
	/* Copies the CPU engine does on this thread: the same checks, in a few instructions. */
	if (__builtin_expect(e && e->magic == MAGIC_ENGINE && len < e->inline_max && dst && src, 1)) {
		uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;

		if (!copy_overlaps(d, s, len) && d < UINTPTR_MAX - len && s < UINTPTR_MAX - len) {
			cpu_copy_inline(dst, src, len);
			return 0;
		}
	}
	return memcpy_checked(e, dst, src, len);
}

int dmacopy_fill(struct dmacopy_engine *e, void *dst, uint64_t pattern, size_t len)
{
	int ret = engine_check(e);

	if (ret)
		return ret;
	ret = check_fill(e, dst, len);
	if (ret)
		return ret;
	if (!e->ops->fill)
		return lib_error(-ENOTSUP, "engine %s has no synchronous fill; use a queue", e->name);
	return sync_run(e, e->ops->fill,
			&(struct queue_op){ .dst = dst, .pattern = pattern, .len = len, .kind = OP_FILL });
}

int dmacopy_memset(struct dmacopy_engine *e, void *dst, int c, size_t len)
{
	return dmacopy_fill(e, dst, 0x0101010101010101ull * (uint8_t)c, len);
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * dmacopy_enqueue_copy() as a program compiles it, with dmacopy.h's inline fast path, in a file
 * of its own: it never sees the library's struct dmacopy_queue (test_core.c, which does, calls
 * it through inline_enqueue_copy()).
 */
#include <dmacopy.h>

int inline_enqueue_copy(struct dmacopy_queue *q, void *dst, const void *src, size_t len,
			uint64_t user_data, unsigned int flags);

int inline_enqueue_copy(struct dmacopy_queue *q, void *dst, const void *src, size_t len,
			uint64_t user_data, unsigned int flags)
{
	return dmacopy_enqueue_copy(q, dst, src, len, user_data, flags);
}

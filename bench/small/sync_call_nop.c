// SPDX-License-Identifier: BSD-3-Clause
/*
 * The control of bench/small/sync_call: dmacopy_memcpy()'s signature, no work. In a file of its
 * own so that the compiler cannot inline it into the measuring loop.
 */
#include <stddef.h>

struct dmacopy_engine;

int sync_call_nop(struct dmacopy_engine *e, void *dst, const void *src, size_t len);

int sync_call_nop(struct dmacopy_engine *e, void *dst, const void *src, size_t len)
{
	(void)e;
	(void)dst;
	(void)src;
	(void)len;
	return 0;
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * DPDK's rte_memcpy() as a peer. It is a header-only inline function whose code depends on the
 * compiler flags, so bench/peers/run builds this file once per instruction set with
 * -DRTE_PEER=<name> (sse: the flags DPDK's pkg-config file gives; avx2; avx512 with
 * RTE_MEMCPY_AVX512) and links all of them into one program.
 */
#include <stddef.h>
#include <stdint.h>

#include <rte_memcpy.h>

#define CAT2(a, b) a##_##b
#define CAT(a, b)  CAT2(a, b)

void CAT(rte_peer_copy, RTE_PEER)(void *dst, const void *src, size_t n);
void CAT(rte_peer_small_loop, RTE_PEER)(void *dst, const void *src, size_t n, uint64_t iters);

/* One call per copy, as any user calls it (rte_memcpy inlined here). */
void CAT(rte_peer_copy, RTE_PEER)(void *dst, const void *src, size_t n)
{
	rte_memcpy(dst, src, n);
}

/* Small copies as DPDK code does them: rte_memcpy inlined into the caller's loop. */
void CAT(rte_peer_small_loop, RTE_PEER)(void *dst, const void *src, size_t n, uint64_t iters)
{
	for (uint64_t i = 0; i < iters; i++) {
		rte_memcpy(dst, src, n);
		__asm__ volatile("" : : : "memory");
	}
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The descriptor formats libdmacopy's core writes at enqueue, for queues with descriptors of
 * their own (dmacopy_queue.emit): a copy's descriptor is written once, in the caller's thread,
 * into the ring the device will read, with no staging and no call into the engine.
 */
#ifndef DMACOPY_EMIT_H
#define DMACOPY_EMIT_H

#include <stdint.h>

#include "dmacopy/dsa_spec.h"
#include "internal.h"

/*
 * A DSA MEMMOVE in slot `slot` of ring: the fields that change per copy. The others are the
 * same in every use of the slot and set by the engine (compl_addr at queue creation, the rest
 * zero; the engine adds DSA_FLAG_RCR when it submits the descriptor alone).
 */
static ALWAYS_INLINE void emit_dsa_copy_at(struct dsa_desc *desc, uint64_t dst, uint64_t src,
					   uint64_t len)
{
	desc->flags_op = DSA_FLAG_CRAV | (uint32_t)DSA_OP_MEMMOVE << 24;
	desc->src = src;
	desc->dst = dst;
	desc->xfer_size = (uint32_t)len;
}

static ALWAYS_INLINE void emit_dsa_copy(void *ring, uint32_t slot, uint64_t dst, uint64_t src,
					uint64_t len)
{
	emit_dsa_copy_at((struct dsa_desc *)ring + slot, dst, src, len);
}

#endif /* DMACOPY_EMIT_H */

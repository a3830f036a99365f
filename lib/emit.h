/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The descriptor formats libdmacopy's core writes at enqueue, for queues with descriptors of
 * their own (dmacopy_queue.emit): a copy's descriptor is written once, in the caller's thread,
 * into the ring the device will read, with no staging and no call into the engine.
 */
#ifndef DMACOPY_EMIT_H
#define DMACOPY_EMIT_H

#include <stddef.h>
#include <stdint.h>

#include "dmacopy/dsa_spec.h"
#include "internal.h"

/* A copy's flags and opcode word: MEMMOVE, its completion record's address valid. */
#define EMIT_DSA_COPY_OP (DSA_FLAG_CRAV | (uint32_t)DSA_OP_MEMMOVE << 24)

/*
 * A DSA MEMMOVE in slot `slot` of ring: the fields that change per copy. The others are the
 * same in every use of the slot and set by the engine (compl_addr at queue creation, the rest
 * zero; the engine adds DSA_FLAG_RCR when it submits the descriptor alone).
 */
static ALWAYS_INLINE void emit_dsa_copy_at(struct dsa_desc *desc, uint64_t dst, uint64_t src,
					   uint64_t len)
{
	desc->flags_op = EMIT_DSA_COPY_OP;
	desc->src = src;
	desc->dst = dst;
	desc->xfer_size = (uint32_t)len;
}

static ALWAYS_INLINE void emit_dsa_copy(void *ring, uint32_t slot, uint64_t dst, uint64_t src,
					uint64_t len)
{
	emit_dsa_copy_at((struct dsa_desc *)ring + slot, dst, src, len);
}

/* What the inline dmacopy_enqueue_copy() writes of a descriptor is where dsa_desc has it. */
_Static_assert(offsetof(struct dsa_desc, flags_op) == offsetof(struct dmacopy_queue_fast_desc, op) &&
		       offsetof(struct dsa_desc, src) == offsetof(struct dmacopy_queue_fast_desc, src) &&
		       offsetof(struct dsa_desc, dst) == offsetof(struct dmacopy_queue_fast_desc, dst) &&
		       offsetof(struct dsa_desc, xfer_size) ==
			       offsetof(struct dmacopy_queue_fast_desc, len) &&
		       sizeof(struct dsa_desc) == sizeof(struct dmacopy_queue_fast_desc) &&
		       sizeof(((struct dsa_desc *)0)->flags_op) == 4 &&
		       sizeof(((struct dsa_desc *)0)->src) == 8 &&
		       sizeof(((struct dsa_desc *)0)->dst) == 8 &&
		       sizeof(((struct dsa_desc *)0)->xfer_size) == 4,
	       "struct dmacopy_queue_fast_desc is a DSA descriptor's layout");

/*
 * The op and kind words the inline dmacopy_enqueue_copy() writes for an emitted copy, as
 * emit_write() writes them, for a queue whose engine set emit at queue_init.
 */
static inline void emit_fast_init(struct dmacopy_queue *q)
{
	struct queue_op op = { 0 };

	op_set_kind(&op, q->emit == EMIT_DSA ? OP_EMITTED : OP_DEVCOPY);
	__builtin_memcpy(&q->emit_op_kind, &op.kind, sizeof(q->emit_op_kind));
	q->emit_desc_op = q->emit == EMIT_DSA ? EMIT_DSA_COPY_OP : 0;
}

#endif /* DMACOPY_EMIT_H */

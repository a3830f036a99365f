/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A polled DMA channel that user space drives through VFIO, as the device engines see it: one
 * table per hardware kind (struct vchan_driver), implemented by its driver (lib/ioat_chan.c for
 * I/OAT, lib/dsa_dev.c for DSA). lib/engine_vchan.c builds a libdmacopy engine on any such table:
 * discovery and the reasons a function cannot be used, registration through lib/vfio.c, queues
 * shared by threads, operations split into the pieces the hardware takes, synchronous helpers.
 *
 * A channel is not thread-safe: the engine serialises calls to one channel.
 */
#ifndef DMACOPY_VCHAN_H
#define DMACOPY_VCHAN_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "dmacopy/remedies.h"
#include "internal.h"
#include "vfio.h"

struct vchan; /* a driver's channel: struct ioat_chan, struct dsa_dev */
struct vchan_engine; /* the engine on its channels (lib/engine_vchan.c) */
struct vchan_stripe; /* a striped operation (lib/engine_vchan.c) */

/*
 * Called once per operation when it is finished: status 0, or -EIO (error = DMACOPY_OP_READ_FAULT,
 * DMACOPY_OP_WRITE_FAULT or DMACOPY_OP_CHANNEL_ERROR), -ETIMEDOUT, -ENODEV, -ECANCELED. Runs inside
 * process_events() (or close()).
 */
typedef void (*vchan_done_fn)(void *arg, int status, unsigned int error);

/*
 * Where vchan_status_done() leaves an operation's end, in one word stored once (release):
 * VCHAN_ST_DONE, the enum dmacopy_op_error in bits 47:32, the status in bits 31:0. 0 while the
 * operation runs.
 */
struct vchan_status {
	uint64_t word;
};

#define VCHAN_ST_DONE (1ull << 48)
/* The bits of a word that say its operations failed: the status and the error. */
#define VCHAN_ST_RECORD (VCHAN_ST_DONE - 1)

/*
 * A done function for arg = a struct vchan_status. The drivers recognise it and store the status
 * inline (vchan_complete()), without an indirect call per operation.
 */
void vchan_status_done(void *arg, int status, unsigned int error);

/* The word of an ended operation. */
static inline uint64_t vchan_st_word(int status, unsigned int error)
{
	return VCHAN_ST_DONE | (uint64_t)(uint16_t)error << 32 | (uint32_t)status;
}

/*
 * A word may stand for a run of operations of a queue that ended alike: the one of its slot and
 * the next vchan_st_more(w) (whose own words stay 0), as a driver ends a batch in one store. A
 * run does not cross the end of the queue's slots.
 */
#define VCHAN_ST_MORE_SHIFT 49
#define VCHAN_ST_MORE_MAX   0x3fffu

static inline uint64_t vchan_st_run_word(int status, unsigned int error, uint32_t more)
{
	return vchan_st_word(status, error) | (uint64_t)more << VCHAN_ST_MORE_SHIFT;
}

static inline uint32_t vchan_st_more(uint64_t w)
{
	return (uint32_t)(w >> VCHAN_ST_MORE_SHIFT) & VCHAN_ST_MORE_MAX;
}

/* Its status and error. */
static inline int vchan_st_status(uint64_t w)
{
	return (int)(int32_t)(uint32_t)w;
}

static inline unsigned int vchan_st_error(uint64_t w)
{
	return (unsigned int)(uint16_t)(w >> 32);
}

/* Tell an operation's owner that it ended: what the drivers call at the end of an operation. */
static inline void vchan_complete(vchan_done_fn fn, void *arg, int status, unsigned int error)
{
	if (fn == vchan_status_done) {
		struct vchan_status *st = arg;

		__atomic_store_n(&st->word, vchan_st_word(status, error), __ATOMIC_RELEASE);
	} else if (fn) {
		fn(arg, status, error);
	}
}

/* Start only after every earlier operation of the channel is done. */
#define VCHAN_OPF_FENCE 0x1u
/*
 * More pieces of this operation follow (built right after, before any other operation): no done
 * function runs for this piece; the operation ends with the first piece built without the flag.
 * The caller checks slots_free() for all pieces first.
 */
#define VCHAN_OPF_MORE 0x2u

/* A registered region as the device engines keep it (dmacopy_region.engine_priv). */
struct vchan_region {
	void *map_va; /* the page-aligned range mapped for it */
	size_t map_len;
	uint64_t map_iova;
	/* Where the device finds it: one extent with an IOMMU, physical pieces without one. */
	const struct vfio_dma_ext *ext;
	unsigned int next;
	/* One extent (with an IOMMU): the device address of p is p + delta. */
	bool flat;
	uint64_t delta;
};

/* A queue as the device engines keep it (dmacopy_queue.engine_priv). */
struct vchan_queue {
	struct vchan_status *st; /* per queue slot: its operation's end */
	uint32_t hw_next; /* next operation to build: [hw_next, sq_submitted) wait for ring room */
	/*
	 * DMACOPY_OP_FENCE on an engine with several channels, where the home channel's own fence
	 * does not cover the pieces of striped operations on the others: while the queue has any
	 * in flight, a fenced operation waits until every earlier one of the queue was reaped.
	 * 0 on one channel.
	 */
	uint32_t hold_fence;
	/* Operations of more bytes are striped over the engine's channels (vchan_build_slow()). */
	uint64_t fast_max;
	void *drv_priv;   /* the driver's, from its queue_init */
	unsigned int home; /* the engine's channel the queue's unstriped operations go to */
	uint32_t stripes; /* striped operations of the queue not yet ended (atomic) */
	bool stripe_wait; /* the next operation is striped and waits for room on the channels */
	struct vchan_stripe *sp; /* per queue slot, on an engine with several channels */
};

/* What vchan_build_slow() returns for an operation the engine stripes over its channels. */
#define VCHAN_STRIPE (-EAGAIN)

struct vchan_info {
	char bdf[32];
	uint64_t max_xfer; /* bytes per descriptor: larger operations take several */
	uint32_t slots;    /* descriptors that can be built and not yet finished */
	bool can_fill;
};

struct vchan_driver {
	const char *kind;          /* the engine kind and spec prefix: "ioat" */
	const char *name;          /* the hardware in messages: "I/OAT" */
	const char *kernel_driver; /* its kernel driver, which the kernel engine uses: "ioatdma" */
	const char *example;       /* a spec for messages: "ioat:0000:00:04.0" */
	const char *absent;        /* when the machine has none: what and how to get one */
	const char *absent_fix;    /* REMEDY_*_ABSENT (dmacopy/remedies.h) */
	/* The driver's PCI functions on this machine (any driver bound), sorted by address. */
	unsigned int (*scan)(struct vfio_pci_info *out, unsigned int max);
	/* NULL when this CPU can submit to the device, else why not (and *fix what to do). */
	const char *(*cpu_lacks)(const char **fix);
	/*
	 * Open the function at bdf (bound to vfio-pci) and make it ready. -ENODEV not this kind or
	 * not answering, -EBUSY used elsewhere, -EACCES permissions, -ENXIO not bound or no IOMMU;
	 * dmacopy_last_error() says what and how to fix it.
	 */
	int (*open)(const char *bdf, struct vchan **out);
	/* Wait (up to a second) for operations in flight, stop the device, release everything. */
	void (*close)(struct vchan *c);
	void (*info)(const struct vchan *c, struct vchan_info *info);
	/* Descriptors an operation of len bytes takes (0 bytes: one). */
	uint32_t (*descs_needed)(const struct vchan *c, uint64_t len);
	/* Descriptors that can be built now. */
	uint32_t (*slots_free)(const struct vchan *c);
	/*
	 * Build one operation (dst/src are IOVAs); nothing starts before flush(). Returns 0, -ENOMEM
	 * when there is no room for it (nothing is built), -ENOTSUP fill on a device without it,
	 * -ENODEV the device is out of service.
	 */
	int (*build_copy)(struct vchan *c, uint64_t dst, uint64_t src, uint64_t len, uint32_t flags,
			  vchan_done_fn fn, void *arg);
	int (*build_fill)(struct vchan *c, uint64_t dst, uint64_t pattern, uint64_t len,
			  uint32_t flags, vchan_done_fn fn, void *arg);
	/*
	 * One round for queue q, channel lock held, in one call: with events, first what
	 * process_events does; then build the queue's waiting operations ([hw_next, sq_submitted)
	 * of its vchan_queue) as far as there is room (vchan_push() with the driver's inline
	 * builder, or the driver's own), and start what is built, as flush does.
	 */
	void (*drive)(struct vchan *c, struct dmacopy_queue *q, struct vchan_engine *ve,
		      bool events);
	/* Start what is built, as far as fences allow. */
	void (*flush)(struct vchan *c);
	/*
	 * Optional: give queue q (its vchan_queue allocated) what the driver keeps per queue, in
	 * drv_priv, and may make it an emitting queue (dmacopy_queue.emit); queue_fini undoes it,
	 * once the queue has nothing in flight. Called without the channel lock and with it.
	 */
	int (*queue_init)(struct vchan *c, struct dmacopy_queue *q);
	void (*queue_fini)(struct vchan *c, struct dmacopy_queue *q);
	/*
	 * Call the done function of each finished operation, in submission order, and start what
	 * waited. Returns the operations finished (>= 0) or -ENODEV when the device is gone.
	 */
	int (*process_events)(struct vchan *c);
};

extern const struct vchan_driver ioat_vchan_driver;
extern const struct vchan_driver dsa_vchan_driver;

/*
 * The stall watch of a polled channel, which never reads the clock on the fast path: the driver
 * calls vchan_moved() when the device made progress and vchan_idle() on a poll that found
 * nothing new.
 */
struct vchan_watch {
	long long since; /* when polls began to find nothing (0: the device moved since) */
	uint32_t polls;
};

#define VCHAN_IDLE_POLLS 64 /* polls that find nothing new between two looks at the clock */

static inline void vchan_moved(struct vchan_watch *w)
{
	w->since = 0;
}

/* 0 between looks at the clock; else the time now, with w->since set. */
static inline long long vchan_idle(struct vchan_watch *w)
{
	long long t;

	if (++w->polls % VCHAN_IDLE_POLLS)
		return 0;
	t = mono_ns();
	if (!w->since)
		w->since = t;
	return t;
}

/* The pattern for a fill piece that starts off bytes into an operation filling with pattern. */
static inline uint64_t vchan_fill_pattern_at(uint64_t pattern, uint64_t off)
{
	unsigned int r = (unsigned int)(off % 8) * 8;

	return r ? pattern >> r | pattern << (64 - r) : pattern;
}

/*
 * An operation vchan_push() leaves to the engine layer (no bytes, a fill, memory without an
 * IOMMU, one to stripe): built on channel c through the driver's per-operation calls. 0,
 * -ENOMEM no room (nothing built), VCHAN_STRIPE (nothing built: the engine stripes it over its
 * channels itself, outside this channel's lock), or another error for the operation.
 */
int vchan_build_slow(struct vchan_engine *ve, struct vchan *c, const struct queue_op *op,
		     uint32_t flags, struct vchan_status *st);

/* The builder a driver gives vchan_push(): its build_copy, inlined. */
typedef int (*vchan_build_fn)(struct vchan *c, uint64_t dst, uint64_t src, uint64_t len,
			      uint32_t flags, vchan_done_fn fn, void *arg);

/*
 * Build queue q's waiting operations in order while the ring has room; an operation that fails
 * to build ends at once with its status. Instantiated by each driver with its own inline
 * builder (in the drive entry of its table), so that the common case, one copy between memory the
 * IOMMU maps flat, costs no call per operation. Channel lock held.
 */
static ALWAYS_INLINE void vchan_push(struct vchan *c, struct dmacopy_queue *q,
				     struct vchan_engine *ve, vchan_build_fn build)
{
	struct vchan_queue *qp = q->engine_priv;
	uint32_t i = qp->hw_next, end = q->sq_submitted;

	for (; i != end; i++) {
		const struct queue_op *op = &q->ops[i & q->mask];
		struct vchan_status *x = &qp->st[i & q->mask];
		uint32_t flags = op->flags & DMACOPY_OP_FENCE ? VCHAN_OPF_FENCE : 0;
		int ret;

		/* on several channels, a fence waits for the queue's earlier operations to end */
		if (__builtin_expect(op->flags & qp->hold_fence, 0) && i != q->cq_tail &&
		    __atomic_load_n(&qp->stripes, __ATOMIC_ACQUIRE))
			break;
		/* x->word is 0: the engine's harvest clears a slot's word when it posts it */
		if (__builtin_expect(op->kind == OP_DEVCOPY, 1)) {
			ret = build(c, (uintptr_t)op->dst, (uintptr_t)op->src, op->len, 0,
				    vchan_status_done, x);
		} else {
			const struct vchan_region *rd =
				op->dst_region ? op->dst_region->engine_priv : NULL;
			const struct vchan_region *rs =
				op->src_region ? op->src_region->engine_priv : NULL;

			if (op->kind == OP_COPY && op->len - 1 < qp->fast_max && rd && rs &&
			    rd->flat && rs->flat)
				ret = build(c, (uintptr_t)op->dst + rd->delta,
					    (uintptr_t)op->src + rs->delta, op->len, flags,
					    vchan_status_done, x);
			else
				ret = vchan_build_slow(ve, c, op, flags, x);
		}
		if (__builtin_expect(ret, 0)) {
			if (ret == -ENOMEM || ret == VCHAN_STRIPE)
				break;
			vchan_status_done(x, ret,
					  ret == -ENODEV ? DMACOPY_OP_DEVICE_GONE : DMACOPY_OP_CHANNEL_ERROR);
		}
	}
	qp->hw_next = i;
}

#endif /* DMACOPY_VCHAN_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libdmacopy internals: the engine ops table and the objects behind the public handles.
 */
#ifndef DMACOPY_INTERNAL_H
#define DMACOPY_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dmacopy.h"

/*
 * The library's own code calls its functions: the inline fast path of dmacopy_enqueue_copy()
 * is for programs, which never see struct dmacopy_queue (no code reads a queue's head as both).
 */
#undef dmacopy_enqueue_copy

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* For the few small functions of the per-operation path that -O2 would leave as calls. */
#define ALWAYS_INLINE inline __attribute__((always_inline))
/*
 * The fast path: what runs for every operation or batch of a queue. The toolchain gathers these
 * functions in .text.hot (as DPDK's __rte_hot does), a few pages instead of the whole library.
 * HOT_OP: a function run for every operation, kept inside one 1 KiB block (so one page) when it
 * is smaller (tests/unit/hot_layout checks it): a call into it then never crosses a page, which
 * costs little on hardware but a lookup per crossing under an emulator such as QEMU's TCG,
 * which chains translated code only within a page. HOT_BATCH(n): a function run for every batch,
 * aligned to n, a power of two no smaller than it, so that it too lies inside one page (a jump
 * across a page inside a loop of it would cost a lookup per turn); hot_layout checks these too.
 */
#define HOT          __attribute__((hot))
#define HOT_OP       __attribute__((hot, aligned(1024)))
#define HOT_BATCH(n) __attribute__((hot, aligned(n)))

#define DMACOPY_DEFAULT_DEPTH 256u
#define DMACOPY_MAX_DEPTH     65536u
#define DMACOPY_SELECTION_LEN 2048

/* Handle states: a retired handle keeps its memory so that a late call is an error, not a crash. */
enum obj_magic {
	MAGIC_ENGINE = 0x454e4731u, /* "ENG1" */
	MAGIC_QUEUE = 0x51554532u,  /* "QUE2": DMACOPY_QUEUE_FAST_MAGIC, the layout of the queue's head */
	MAGIC_REGION = 0x52454731u, /* "REG1" */
	MAGIC_DEAD = 0xdeadd1e5u,
};

enum op_kind {
	OP_COPY = 0,
	OP_FILL = 1,
	/* A copy whose descriptor the core already wrote (dmacopy_queue.emit EMIT_DSA). */
	OP_EMITTED = 2,
	/*
	 * A copy between flat regions whose dst and src the core already turned into device
	 * addresses, of at most emit_max bytes and without flags (dmacopy_queue.emit EMIT_DEV).
	 */
	OP_DEVCOPY = 3,
};

/*
 * One operation as the core validated it. An OP_EMITTED one has only user_data and flags here
 * (dst, src, pattern and len are left from the slot's previous use: its descriptor holds them);
 * an OP_DEVCOPY one has no regions either (the queue's region runs hold them: run_refs).
 */
struct queue_op {
	void *dst;
	const void *src; /* OP_COPY */
	uint64_t pattern; /* OP_FILL */
	size_t len;
	uint64_t user_data;
	/* set when the engine needs registration, but in OP_EMITTED and OP_DEVCOPY operations */
	struct dmacopy_region *dst_region;
	struct dmacopy_region *src_region;
	/* kind first: on little-endian hosts an unfenced one's pair is a small constant, one store */
	uint32_t kind;
	uint32_t flags;
};

/* kind and flags read or written as one 64-bit word (op_set_kind(), the DSA driver) */
_Static_assert(offsetof(struct queue_op, flags) == offsetof(struct queue_op, kind) + 4,
	       "queue_op kind and flags adjacent");

/* Set op's kind with no flags: one store of a small constant on little-endian hosts. */
static inline void op_set_kind(struct queue_op *op, enum op_kind kind)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t kf = kind;

	__builtin_memcpy(&op->kind, &kf, sizeof(kf));
#else
	op->kind = kind;
	op->flags = 0;
#endif
}

/*
 * A run of consecutive operations of a queue on the same two regions, for a queue whose region
 * references are kept per run (dmacopy_queue.run_refs): operations [first, the next run's first),
 * or up to the queue's tail for the newest run. Each holds one in-flight reference on both
 * regions until it retires.
 */
struct queue_run {
	uint32_t first;
	struct dmacopy_region *region[2]; /* destination, source; NULL for none */
};

/* Granularity of the pieces of a striped operation (dmacopy_engine_opts.stripe_threshold). */
#define STRIPE_ALIGN 4096u

/*
 * How many pieces an operation of len bytes is striped into over n channels (1: not striped) and
 * their size in *piece: equal shares in whole STRIPE_ALIGN units, the last piece taking the rest.
 */
static inline uint32_t stripe_pieces(uint32_t n, uint64_t stripe_min, uint64_t len, uint64_t *piece)
{
	uint64_t units = (len + STRIPE_ALIGN - 1) / STRIPE_ALIGN, per;

	*piece = len;
	if (n < 2 || len < stripe_min || units < 2)
		return 1;
	if (units < n)
		n = (uint32_t)units;
	per = (units + n - 1) / n * STRIPE_ALIGN;
	*piece = per;
	return (uint32_t)((len + per - 1) / per);
}

#define REGION_REFS(busy)        ((uint32_t)(busy))
#define REGION_INCARNATION(busy) ((uint32_t)((busy) >> 32))
#define REGION_NEXT_INCARNATION  (1ull << 32)

struct dmacopy_region {
	uint32_t magic;
	struct dmacopy_engine *engine;
	uintptr_t start;
	size_t len;
	/*
	 * Atomic. Low 32 bits: operations in flight that use it. High 32 bits: its incarnation,
	 * raised by a successful unregistration, so that a queue holding a stale pointer to a parked
	 * or reused object cannot take a reference on it (REGION_REFS()/REGION_INCARNATION()).
	 */
	uint64_t busy;
	/*
	 * Set by the engine at registration when the memory may only be read (then the core refuses
	 * it as a destination, with readonly_why, a static string or NULL, added to the message).
	 */
	bool readonly;
	const char *readonly_why;
	void *engine_priv;
	/*
	 * Set by engines whose queues emit (dmacopy_queue.emit): the device address of p in this
	 * region is p + dev_delta when dev_flat (one extent for the device, as with an IOMMU).
	 */
	uint64_t dev_delta;
	bool dev_flat;
	struct dmacopy_region *next;
};

/*
 * Descriptor formats the core writes at enqueue, for queues with descriptors of their own
 * (dmacopy_queue.emit; lib/emit.h).
 */
enum queue_emit {
	EMIT_NONE = 0,
	EMIT_DSA = 1, /* struct dsa_desc, MEMMOVE with CRAV; the other fields constant per slot */
	/*
	 * No descriptor of its own: the core leaves the copy in ops as OP_DEVCOPY, with device
	 * addresses, for an engine whose ring is shared (the I/OAT channel's) to build from.
	 */
	EMIT_DEV = 2,
};

struct dmacopy_queue {
	/*
	 * The head, up to emit_op_kind, is laid out as struct dmacopy_queue_fast (dmacopy.h), which
	 * the inline dmacopy_enqueue_copy() of programs reads and writes (the asserts below keep
	 * the two the same; a change of layout changes MAGIC_QUEUE).
	 *
	 * The enqueue fast path of emitting queues (dmacopy_enqueue_copy()): emit_budget more
	 * copies may be emitted on the regions in last_region[] without a look at the queue's room
	 * or at references. The budget is room the queue had and references taken from both
	 * sides' credit when it was granted; emit_budget_fold() gives it back to the credits
	 * before any other path reads them or takes a slot. emit_fast_max: the largest copy it
	 * takes (the smaller of emit_max and both sides' emit_len); emit_disjoint: the two regions
	 * do not overlap, so neither can a copy between them. emit_desc_op and emit_op_kind: what
	 * an emitted copy's descriptor and operation get as their op and kind (emit_write()).
	 */
	uint32_t magic;
	uint32_t emit_budget;
	uint32_t emit_disjoint;
	uint32_t sq_tail; /* see the counters below */
	uint32_t mask;
	uint32_t emit_desc_op;
	uint64_t emit_fast_max;
	/* the regions in last_region[], copied at lookup for the enqueue path */
	struct {
		uintptr_t start;
		size_t emit_len; /* len when this side may be emitted (flat; not read-only), else 0 */
		uint64_t dev_delta;
	} fast[2];
	void *emit_ring;
	struct queue_op *ops;
	uint64_t emit_op_kind;
	/*
	 * Free-running counters (sq_tail above). Slots in use = sq_tail - cq_head <= depth:
	 * [cq_head, cq_tail) completed, not reaped; [cq_tail.., sq_submitted) in flight (engine
	 * order may differ); [sq_submitted, sq_tail) enqueued, not submitted.
	 */
	uint32_t sq_submitted;
	uint32_t cq_tail;
	uint32_t cq_head;
	uint32_t depth;
	void *engine_priv;
	struct dmacopy_engine *engine;
	uint64_t max_len; /* the engine's caps.max_transfer */
	long long spin_ns; /* dmacopy_queue_opts.spin_us: a polled wait spins this long first */
	bool needs_reg;   /* the engine has DMACOPY_CAP_NEEDS_REGISTER */
	/*
	 * The regions the last operation's destination ([0]) and source ([1]) were in
	 * (last_region[], apart from the rest of last[] so that the two pointers are side by side
	 * as in struct queue_op: one load and one store copy them into an operation), each valid
	 * while engine->regions_gen is last[].gen and the region's incarnation is what it was.
	 * credit: in-flight references on it taken ahead for the next operations (a run of
	 * enqueues costs one atomic operation, not one each); they exist only while an operation
	 * of this queue that uses the region is enqueued or, on a run_refs queue, in flight, and
	 * go back at dmacopy_submit() (see queue_region_get()); a run_refs queue keeps them
	 * through submission, adds its retired operations' references to them and parks them when
	 * it runs idle (park).
	 */
	struct dmacopy_region *last_region[2];
	struct {
		uint32_t gen;
		uint32_t incarnation;
		uint32_t credit;
		/* the region's, copied at lookup for the enqueue path: one load each, no pointer */
		bool readonly;
		bool dev_flat;
		size_t len; /* start, emit_len and dev_delta in fast[] */
	} last[2];
	struct dmacopy_completion *cqes;
	/*
	 * Optional, set by the engine's queue_init: the core writes, at enqueue, each copy between
	 * flat regions (dmacopy_region.dev_flat) of at most emit_max bytes without flags in a form
	 * the engine builds from without looking at its regions. EMIT_DSA: a queue with descriptors
	 * of its own, one per slot in emit_ring, in format emit; the op keeps user_data, regions and
	 * flags with kind OP_EMITTED. EMIT_DEV: the op itself, kind OP_DEVCOPY, with the device
	 * addresses. Everything else is staged in ops as usual. The engine's submit hands them to
	 * the device. emit_ring is set exactly while emit is EMIT_DSA.
	 */
	uint32_t emit;
	uint64_t emit_max;
	uint32_t emit_mark; /* 1 + the index of the last operation staged (any queue) */
	/*
	 * Set by the engine's queue_init when it retires the queue's operations in order, a prefix
	 * of those in flight at a time: the operations' region references are then kept per run of
	 * operations on the same regions (runs[], a ring of run_mask + 1 from run_head, the oldest
	 * run not retired, to run_tail), not per operation, and the engine drops them with
	 * queue_runs_retire() when it posts completions with queue_post(). Only such a queue may
	 * emit: the core writes no region into an emitted operation (queue_op_regions() finds them).
	 */
	bool run_refs;
	uint32_t run_head;
	uint32_t run_tail;
	uint32_t run_mask;
	struct queue_run *runs;
	/*
	 * A run_refs queue that runs idle (its last operation retired, none staged) parks its
	 * credit instead of giving it back: parked[] on parked_region[], the regions in last[] then,
	 * and park says PARK_PARKED (with a version above its two low bits, bumped at each parking).
	 * Its next operation takes them back with one compare-and-swap (queue_unpark()) instead of
	 * two, and its harvests before then cost none; an unregistration meanwhile revokes them
	 * (PARK_REVOKED, region.c), so an idle queue never makes one fail with -EBUSY. park is
	 * atomic; parked[] and parked_region[] are written by the queue's thread only while it owns
	 * its credit (PARK_OWNED) and read by an unregistration only before its compare-and-swap.
	 */
	uint32_t park;
	uint32_t parked[2];
	struct dmacopy_region *parked_region[2];
	struct dmacopy_queue *next;
};

enum {
	PARK_OWNED = 0,
	PARK_PARKED = 1,
	PARK_REVOKED = 2,
	PARK_STATE = 3, /* the state's bits of dmacopy_queue.park; the version counts in 4s */
};

/*
 * The head of a queue is struct dmacopy_queue_fast, field for field, and an operation's fields
 * the inline dmacopy_enqueue_copy() writes are where struct dmacopy_queue_fast_op has them
 * (magic and emit_budget, read as one 64-bit word, among them).
 */
#define FAST_SAME(a, b)                                                                            \
	(offsetof(struct dmacopy_queue, a) == offsetof(struct dmacopy_queue_fast, b) &&            \
	 sizeof(((struct dmacopy_queue *)0)->a) == sizeof(((struct dmacopy_queue_fast *)0)->b))
#define FAST_OP_SAME(a, b)                                                                         \
	(offsetof(struct queue_op, a) == offsetof(struct dmacopy_queue_fast_op, b) &&              \
	 sizeof(((struct queue_op *)0)->a) == sizeof(((struct dmacopy_queue_fast_op *)0)->b))
_Static_assert(FAST_SAME(magic, magic) && FAST_SAME(emit_budget, budget) &&
		       FAST_SAME(emit_disjoint, disjoint) && FAST_SAME(sq_tail, tail) &&
		       FAST_SAME(mask, mask) && FAST_SAME(emit_desc_op, desc_op) &&
		       FAST_SAME(emit_fast_max, max) && FAST_SAME(fast[0].start, side[0].start) &&
		       FAST_SAME(fast[0].emit_len, side[0].len) &&
		       FAST_SAME(fast[0].dev_delta, side[0].delta) &&
		       FAST_SAME(fast[1].start, side[1].start) &&
		       FAST_SAME(fast[1].emit_len, side[1].len) &&
		       FAST_SAME(fast[1].dev_delta, side[1].delta) &&
		       FAST_SAME(emit_ring, ring) && FAST_SAME(ops, ops) &&
		       FAST_SAME(emit_op_kind, op_kind) && MAGIC_QUEUE == DMACOPY_QUEUE_FAST_MAGIC,
	       "the head of struct dmacopy_queue is struct dmacopy_queue_fast");
/*
 * Layout "QUE2" (DMACOPY_QUEUE_FAST_MAGIC) as programs built against it write it, on 64-bit
 * hosts: a change here is a new layout, which must come with a new magic.
 */
_Static_assert(sizeof(void *) != 8 ||
		       (offsetof(struct dmacopy_queue_fast, tail) == 12 &&
			offsetof(struct dmacopy_queue_fast, max) == 24 &&
			offsetof(struct dmacopy_queue_fast, side) == 32 &&
			sizeof(((struct dmacopy_queue_fast *)0)->side) == 48 &&
			offsetof(struct dmacopy_queue_fast, ring) == 80 &&
			offsetof(struct dmacopy_queue_fast, ops) == 88 &&
			offsetof(struct dmacopy_queue_fast, op_kind) == 96 &&
			sizeof(struct dmacopy_queue_fast_op) == 64 &&
			offsetof(struct dmacopy_queue_fast_op, len) == 24 &&
			offsetof(struct dmacopy_queue_fast_op, user_data) == 32 &&
			offsetof(struct dmacopy_queue_fast_op, kind) == 56 &&
			sizeof(struct dmacopy_queue_fast_desc) == 64 &&
			offsetof(struct dmacopy_queue_fast_desc, op) == 4 &&
			offsetof(struct dmacopy_queue_fast_desc, src) == 16 &&
			offsetof(struct dmacopy_queue_fast_desc, dst) == 24 &&
			offsetof(struct dmacopy_queue_fast_desc, len) == 32 &&
			DMACOPY_QUEUE_FAST_MAGIC == 0x51554532u),
	       "struct dmacopy_queue_fast's layout changed: give it a new DMACOPY_QUEUE_FAST_MAGIC");
_Static_assert(FAST_OP_SAME(dst, dst) && FAST_OP_SAME(src, src) && FAST_OP_SAME(len, len) &&
		       FAST_OP_SAME(user_data, user_data) &&
		       offsetof(struct queue_op, kind) == offsetof(struct dmacopy_queue_fast_op, kind) &&
		       offsetof(struct queue_op, flags) == offsetof(struct queue_op, kind) + 4 &&
		       sizeof(struct queue_op) == sizeof(struct dmacopy_queue_fast_op),
	       "struct queue_op has struct dmacopy_queue_fast_op's fields where it has them");

struct engine_ops {
	const char *kind;
	/* The specs that open it, as usage texts and manuals write them: "kernel[:CHANNEL]". */
	const char *syntax;
	uint32_t cap_flags;
	const void *driver; /* the engine's own data: the vchan_driver of the device engines */
	/* Open the engine named by arg (the part after "kind:", or NULL). */
	int (*open)(struct dmacopy_engine *e, const char *arg, const struct dmacopy_engine_opts *opts);
	void (*close)(struct dmacopy_engine *e);
	void (*caps)(const struct dmacopy_engine *e, struct dmacopy_caps *caps);
	/* Append rows for this kind to rows[*n..max); *n counts rows that exist even past max. */
	void (*probe)(const struct engine_ops *ops, struct dmacopy_engine_status *rows,
		      unsigned int max, unsigned int *n);
	int (*region_register)(struct dmacopy_engine *e, struct dmacopy_region *r);
	void (*region_unregister)(struct dmacopy_engine *e, struct dmacopy_region *r);
	int (*queue_init)(struct dmacopy_queue *q);
	void (*queue_fini)(struct dmacopy_queue *q);
	/* Start ops [q->sq_submitted, q->sq_tail); may complete some or all of them at once. */
	int (*submit)(struct dmacopy_queue *q);
	/*
	 * Move finished operations to the completion ring; block up to timeout_ms (0: do not block)
	 * until at least one is there when none is. Returns 0 or -errno (-ETIMEDOUT is not an error).
	 */
	int (*progress)(struct dmacopy_queue *q, int timeout_ms);
	/*
	 * Optional: progress(q, 0) that stores finished operations' completions straight into out
	 * (at most max, in order) instead of the completion ring, which is empty when it is called
	 * (cq_head == cq_tail); what it stores is reaped (cq_head moves with cq_tail). Returns how
	 * many it stored, or -errno.
	 */
	int (*progress_out)(struct dmacopy_queue *q, struct dmacopy_completion *out,
			    unsigned int max);
	/*
	 * Optional: progress(q, 0) that reaps up to max operations that succeeded without storing
	 * their completions, the ring empty as for progress_out (cq_head moves with cq_tail). It
	 * stops before an operation that failed, which stays for progress() and sets *failed.
	 * Returns how many it reaped, or -errno.
	 */
	int (*progress_count)(struct dmacopy_queue *q, unsigned int max, bool *failed);
	/*
	 * Synchronous helpers on an operation the core has validated: dst, src (copy) or pattern
	 * (fill), len, and, for engines that need registration, its regions with in-flight
	 * references the core holds until the call returns. fill may be NULL (-ENOTSUP).
	 */
	int (*memcpy)(struct dmacopy_engine *e, const struct queue_op *op);
	/*
	 * Optional: the size below which this engine's synchronous copy is exactly the CPU's inline
	 * copy (cpu_copy_inline()) on the caller's thread, so that dmacopy_memcpy() may do it without
	 * calling the engine. Asked once, after open (the CPU engine: its parallel threshold).
	 */
	size_t (*inline_limit)(const struct dmacopy_engine *e);
	int (*fill)(struct dmacopy_engine *e, const struct queue_op *op);
};

struct dmacopy_engine {
	/* First, as struct dmacopy_engine_head (dmacopy.h) says: the inline dmacopy_memcpy() reads them. */
	uint32_t magic;
	uint32_t reserved;
	void *park_link; /* the parking link (handle.c) of a closed engine */
	size_t inline_limit; /* min(inline_max, DMACOPY_INLINE_COPY_MAX + 1); 0 once closed */
	const struct engine_ops *ops;
	struct dmacopy_caps caps;
	char name[256]; /* "ioat:A+B+..." names up to 16 functions */
	char selection[DMACOPY_SELECTION_LEN];
	pthread_mutex_t lock; /* queues and regions lists */
	struct dmacopy_queue *queues;
	struct dmacopy_region *regions;
	uint32_t regions_gen; /* bumped by every unregistration (atomic; see queue_region_get) */
	void *priv;
	/*
	 * Copies below inline_max bytes are done by dmacopy_memcpy() itself, on the caller's thread,
	 * with no engine call (0: never): what engine_ops.inline_limit() said at open, kept here so
	 * that the check costs one load.
	 */
	size_t inline_max;
};

_Static_assert(offsetof(struct dmacopy_engine, magic) == offsetof(struct dmacopy_engine_head, magic) &&
	       offsetof(struct dmacopy_engine, inline_limit) ==
		       offsetof(struct dmacopy_engine_head, inline_limit),
	       "struct dmacopy_engine must start as struct dmacopy_engine_head");
_Static_assert((uint32_t)MAGIC_ENGINE == DMACOPY_ENGINE_MAGIC, "one engine magic");

/*
 * Unit tests only: make ops openable by its kind name (never by "auto"); NULL removes it. Not
 * exported by the shared library (libdmacopy.map); the tests link the static one.
 */
void lib_test_engine_kind(const struct engine_ops *ops);

/* Engine kinds compiled into the library, in "auto" preference order (cpu last). */
extern const struct engine_ops engine_kernel_ops;
extern const struct engine_ops engine_dsa_ops;
extern const struct engine_ops engine_ioat_ops;
extern const struct engine_ops engine_cpu_ops;

/*
 * End the fast path's budget (dmacopy_queue.emit_budget): what is left of it goes back to both
 * sides' credit. Every path but the fast one calls it before it reads a credit or takes a slot.
 */
static inline void emit_budget_fold(struct dmacopy_queue *q)
{
	if (q->emit_budget) {
		q->last[0].credit += q->emit_budget;
		q->last[1].credit += q->emit_budget;
		q->emit_budget = 0;
	}
}

/* Drop n in-flight references on r at once (r may be NULL). */
static inline void region_put(struct dmacopy_region *r, uint32_t n)
{
	if (r && n)
		__atomic_fetch_sub(&r->busy, n, __ATOMIC_RELEASE);
}

/*
 * Park the credit of a run_refs queue that owns it and ran idle (dmacopy_queue.park): the fast
 * path's budget folded into it first. Its thread only.
 */
static ALWAYS_INLINE void queue_park(struct dmacopy_queue *q)
{
	uint32_t c0, c1;

	emit_budget_fold(q);
	c0 = q->last[0].credit;
	c1 = q->last[1].credit;
	if (!(c0 | c1))
		return;
	q->last[0].credit = 0;
	q->last[1].credit = 0;
	__atomic_store_n(&q->parked[0], c0, __ATOMIC_RELAXED);
	__atomic_store_n(&q->parked[1], c1, __ATOMIC_RELAXED);
	__atomic_store_n(&q->parked_region[0], q->last_region[0], __ATOMIC_RELAXED);
	__atomic_store_n(&q->parked_region[1], q->last_region[1], __ATOMIC_RELAXED);
	__atomic_store_n(&q->park, ((q->park & ~(uint32_t)PARK_STATE) + 4) | PARK_PARKED,
			 __ATOMIC_RELEASE);
}

/*
 * Retire the region references of a run_refs queue's operations [from, to): the oldest not
 * retired (from is where the last call ended) and those after them, in order. A batch between
 * the same two regions is one run. While the queue owns its credit, a run's references on the
 * regions it has cached become credit (no atomic operation), and the credit is parked once the
 * queue runs idle; otherwise they are dropped, one atomic operation per run and side.
 */
static ALWAYS_INLINE void queue_runs_retire(struct dmacopy_queue *q, uint32_t from, uint32_t to)
{
	/* only this thread sets PARK_OWNED, and another changes only PARK_PARKED */
	const bool keep = !(__atomic_load_n(&q->park, __ATOMIC_RELAXED) & PARK_STATE);
	uint32_t h = q->run_head;

	while (from != to) {
		const struct queue_run *r = &q->runs[h & q->run_mask];
		/* the run ends where the next begins; the newest, at the queue's tail */
		uint32_t n = to - from;

		if (h + 1 != q->run_tail && q->runs[(h + 1) & q->run_mask].first - from <= n) {
			n = q->runs[(h + 1) & q->run_mask].first - from;
			h++;
		}
		for (unsigned int w = 0; w < 2; w++) {
			if (keep && r->region[w] && r->region[w] == q->last_region[w])
				q->last[w].credit += n;
			else
				region_put(r->region[w], n);
		}
		from += n;
	}
	q->run_head = h;
	if (keep && to == q->sq_tail)
		queue_park(q);
}

/*
 * The regions of a run_refs queue's operation seq (one not retired) into region[2]: the slow way,
 * for an engine that needs them for an emitted operation.
 */
void queue_op_regions(const struct dmacopy_queue *q, uint32_t seq,
		      struct dmacopy_region *region[2]);

/* Drop the in-flight references an operation holds on its registered regions. */
static inline void queue_op_release(const struct queue_op *op)
{
	if (op->dst_region)
		__atomic_fetch_sub(&op->dst_region->busy, 1, __ATOMIC_RELEASE);
	if (op->src_region)
		__atomic_fetch_sub(&op->src_region->busy, 1, __ATOMIC_RELEASE);
}

/*
 * Post the completion of an operation whose region references the engine drops itself, with
 * region_put() (after posting, e.g. once for a run of operations on the same regions).
 */
/* Fill in completion entry c: the operation's user_data, status and error. */
static inline void cqe_set(struct dmacopy_completion *c, uint64_t user_data, int status,
			   unsigned int error)
{
	c->user_data = user_data;
	c->status = status;
	c->error = (uint16_t)error;
	c->reserved = 0;
}

/*
 * cqe_set() with the status and error as a vchan-style word holds them: bits 31:0 the status,
 * 47:32 the error (bits above are ignored). Two stores.
 */
static inline void cqe_set_word(struct dmacopy_completion *c, uint64_t user_data, uint64_t w)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t rest = w & 0xffffffffffffull; /* status, error, reserved 0 */

	_Static_assert(offsetof(struct dmacopy_completion, status) == 8 &&
		       offsetof(struct dmacopy_completion, error) == 12 &&
		       offsetof(struct dmacopy_completion, reserved) == 14,
		       "completion layout");
	c->user_data = user_data;
	__builtin_memcpy(&c->status, &rest, sizeof(rest));
#else
	cqe_set(c, user_data, (int)(int32_t)(uint32_t)w, (unsigned int)(uint16_t)(w >> 32));
#endif
}

static inline void queue_post(struct dmacopy_queue *q, const struct queue_op *op, int status,
			      unsigned int error)
{
	cqe_set(&q->cqes[q->cq_tail & q->mask], op->user_data, status, error);
	q->cq_tail++;
}

/*
 * Post the completion of an operation (engine use). op needs user_data and the regions the core
 * looked up at enqueue time: their in-flight references are dropped here, once per operation.
 */
static inline void queue_complete(struct dmacopy_queue *q, const struct queue_op *op, int status,
				  unsigned int error)
{
	queue_op_release(op);
	queue_post(q, op, status, error);
}

/* CLOCK_MONOTONIC in nanoseconds and milliseconds. */
static inline long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline long long mono_ms(void)
{
	return mono_ns() / 1000000;
}

/* Record a detailed message for dmacopy_last_error() and return err (a negative errno). */
__attribute__((format(printf, 2, 3))) int lib_error(int err, const char *fmt, ...);

/* Helpers shared by engines' probe functions. */
void status_row(struct dmacopy_engine_status *rows, unsigned int max, unsigned int *n,
		const char *kind, const char *spec, int error, const char *detail,
		const char *remedy);
int read_sysfs_str(const char *path, char *buf, size_t len);
long long read_sysfs_ll(const char *path, int base);

#endif /* DMACOPY_INTERNAL_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dmacopy.h - copy and fill memory with a DMA engine, or with a fast CPU engine where none exists.
 *
 * One API over every engine (dmacopy_engine_specs() lists the specs that open them):
 *
 *   "cpu"               multi-threaded, vectorised CPU copy (always available; the default without
 *                       DMA hardware, and the baseline every DMA engine is measured against)
 *   "kernel[:CHANNEL]"  any Linux dmaengine DMA_MEMCPY channel through dmacopy.ko (/dev/dmacopy)
 *   "dsa[:PCI_ADDR]"    an Intel DSA work queue driven from user space through VFIO (MOVDIR64B,
 *                       polled, no syscall); no address: the first usable function
 *   "ioat[:PCI_ADDR]"   an Intel I/OAT channel driven from user space through VFIO (polled, no
 *                       syscall); no address: the first usable function
 *                       Both take several functions, "ioat:ADDR+ADDR+..." or "ioat:all" (every
 *                       usable one): each queue then has a channel of its own in turn, and large
 *                       operations are striped over all of them (stripe_threshold)
 *   "auto"              the best available engine; dmacopy_engine_selection() says what it chose
 *                       and why each other engine was not usable
 *
 * The model, as in DPDK's dmadev and liburing:
 *
 *   dmacopy_engine_open()       -> an engine
 *   dmacopy_queue_create()      -> a queue: the unit of submission, owned by one thread
 *   dmacopy_enqueue_copy/fill() -> describe operations, each tagged with a 64-bit user_data
 *   dmacopy_submit()            -> hand every enqueued operation to the engine (one doorbell/syscall)
 *   dmacopy_poll/wait()         -> reap completions {user_data, status}
 *
 * dmacopy_memcpy() and dmacopy_fill() are synchronous helpers on top.
 *
 * Errors: every call that can fail returns a negative errno value (never sets errno as its only
 * signal); dmacopy_strerror() turns it into a sentence that says what was wrong and what to do.
 * Bad arguments (NULL, overflow, overlap, a closed engine) are reported, never a crash.
 *
 * Overlap: DMA engines do not implement memmove. Every engine, the CPU engine included, rejects
 * a copy whose source and destination overlap with -EINVAL; dmacopy_last_error() then names the
 * two ranges.
 *
 * Thread safety:
 *   - an engine may be used from many threads at once: dmacopy_queue_create(), the synchronous
 *     helpers, dmacopy_region_register()/unregister() and the query calls are thread-safe;
 *   - a queue is NOT thread-safe: use one queue per thread (the fast, intended way), or serialise
 *     every call on a shared queue with your own lock;
 *   - dmacopy_engine_close() must not race with any other call on that engine or its queues.
 */
#ifndef DMACOPY_H
#define DMACOPY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DMACOPY_VERSION_MAJOR 0
#define DMACOPY_VERSION_MINOR 1
#define DMACOPY_VERSION_PATCH 0

/** The library's version as "MAJOR.MINOR.PATCH". */
const char *dmacopy_version(void);

struct dmacopy_engine;
struct dmacopy_queue;
struct dmacopy_region;

/* ------------------------------------------------------------------------------------------------
 * Engines
 */

/** Options for dmacopy_engine_open(); zero-initialise and set what you need (NULL = defaults). */
struct dmacopy_engine_opts {
	/** CPU engine: worker threads for large copies; 0 = number of online CPUs. */
	unsigned int cpu_threads;
	/** CPU engine: copies at or above this size are split across workers; 0 = engine default. */
	size_t cpu_parallel_threshold;
	/**
	 * Engines with several channels ("kernel" without a channel name, "ioat" and "dsa" on
	 * several functions): a copy (a fill too, on ioat and dsa) of at least this many bytes is
	 * striped, split into one piece per channel that run at once, and completes as one
	 * operation (the first failed piece gives its status and detail). 0 = the engine's default
	 * (DMACOPY_STRIPE_DEFAULT); UINT64_MAX = never.
	 */
	uint64_t stripe_threshold;
	/** Reserved; must be zero. */
	uint64_t reserved[5];
};

/**
 * The default dmacopy_engine_opts.stripe_threshold, 4 MiB: the smallest size from which striping
 * was ahead in every run of bench/stripe/run (emulated I/OAT, four channels).
 */
#define DMACOPY_STRIPE_DEFAULT (4u * 1024u * 1024u)

/**
 * Open an engine from a spec string, one of those dmacopy_engine_specs() lists (e.g. "cpu",
 * "kernel:dma0chan0", "ioat:0000:00:04.0"). NULL means "auto".
 * The DMACOPY_ENGINE environment variable, when set, replaces "auto".
 *
 * Returns 0 and stores the engine in *engine, or a negative errno:
 *   -EINVAL   spec malformed or opts invalid        -ENODEV  engine not present on this machine
 *   -ENOTSUP  engine not built into this library    -EACCES  no permission (see dmacopy info)
 */
int dmacopy_engine_open(struct dmacopy_engine **engine, const char *spec,
			const struct dmacopy_engine_opts *opts);

/**
 * The specs dmacopy_engine_open() takes, as one line for messages and usage texts:
 * "auto, dsa[:PCI_ADDR], ioat[:PCI_ADDR], kernel[:CHANNEL], cpu" ("auto" first, then every engine
 * kind this library has, in the order "auto" tries them). Thread-safe; the string is static.
 */
const char *dmacopy_engine_specs(void);

/**
 * Close an engine: waits for every queue's in-flight operations, destroys remaining queues and
 * regions, frees everything. Passing NULL is allowed and does nothing. Returns 0 or -errno.
 */
int dmacopy_engine_close(struct dmacopy_engine *engine);

/** The engine's kind ("cpu", "kernel", "dsa", "ioat") and a specific name (e.g. "kernel:dma0chan0"). */
const char *dmacopy_engine_kind(const struct dmacopy_engine *engine);
const char *dmacopy_engine_name(const struct dmacopy_engine *engine);

/**
 * How this engine was chosen: for "auto", a multi-line text naming the chosen engine and, for every
 * other engine, why it was not usable and how to enable it. For an explicit spec, one line.
 */
const char *dmacopy_engine_selection(const struct dmacopy_engine *engine);

/** One row of dmacopy_probe(): an engine kind and whether it can be opened here. */
struct dmacopy_engine_status {
	char kind[16];         /**< "cpu", "kernel", "dsa", "ioat" */
	char spec[64];         /**< a spec string that opens it, e.g. "ioat:0000:00:04.0" */
	int available;         /**< 1 if dmacopy_engine_open(spec) is expected to succeed */
	int error;             /**< 0, or the -errno opening it would return */
	char detail[256];      /**< what it is, or why it is unavailable */
	char remedy[256];      /**< when unavailable: how to enable it ("" if nothing can be done) */
};

/**
 * Describe every engine kind this library knows and every instance found on this machine (one row
 * per kernel channel or I/OAT function). Fills up to max rows; returns the number of rows that exist
 * (may exceed max) or -errno.
 */
int dmacopy_probe(struct dmacopy_engine_status *rows, unsigned int max);

/* ------------------------------------------------------------------------------------------------
 * Capabilities
 */

enum dmacopy_cap_flags {
	DMACOPY_CAP_COPY = 1u << 0,           /**< memory to memory copy */
	DMACOPY_CAP_FILL = 1u << 1,           /**< fill with a repeated 64-bit pattern */
	DMACOPY_CAP_NEEDS_REGISTER = 1u << 2, /**< memory must be registered before use */
	DMACOPY_CAP_OUT_OF_ORDER = 1u << 3,   /**< completions may be reported out of order */
	DMACOPY_CAP_HARDWARE = 1u << 4,       /**< a DMA device moves the data, not this CPU */
};

struct dmacopy_caps {
	uint32_t flags;            /**< enum dmacopy_cap_flags */
	uint32_t channels;         /**< hardware channels (CPU engine: worker threads) */
	uint64_t max_transfer;     /**< largest single operation accepted (larger: -E2BIG) */
	uint32_t hw_max_transfer;  /**< largest single descriptor; the engine splits above this */
	uint32_t align;            /**< required alignment of addresses and lengths (1 = none) */
	uint32_t max_queue_depth;  /**< largest depth dmacopy_queue_create() accepts */
	uint32_t reserved[7];
};

/** Fill *caps for an engine. Returns 0 or -errno. */
int dmacopy_engine_caps(const struct dmacopy_engine *engine, struct dmacopy_caps *caps);

/* ------------------------------------------------------------------------------------------------
 * Memory registration
 *
 * Device engines can only reach memory that was registered (pinned and mapped for the device) first.
 * Register large buffers once and reuse them: registration is expensive, copies are not. The CPU
 * engine accepts any memory; registering with it is a cheap no-op that still validates arguments.
 * Registrations may not overlap each other. An operation touching memory outside every
 * registration fails with -EFAULT on engines with DMACOPY_CAP_NEEDS_REGISTER.
 */

/** Register [addr, addr + len). Returns 0 and a handle in *region, or -errno. */
int dmacopy_region_register(struct dmacopy_engine *engine, void *addr, size_t len,
			    struct dmacopy_region **region);

/** Unregister. Fails with -EBUSY while an operation on it is in flight. NULL is a no-op. */
int dmacopy_region_unregister(struct dmacopy_region *region);

/* ------------------------------------------------------------------------------------------------
 * Queues and asynchronous operations
 */

struct dmacopy_queue_opts {
	/**
	 * Operations a queue holds at once: enqueued but not submitted, in flight, and completed but
	 * not yet reaped all count. 0 = engine default (256). Rounded up to a power of two.
	 */
	uint32_t depth;
	/**
	 * Polled engines ("ioat", "dsa"): 0 (the default) = dmacopy_wait() spins on completions for
	 * the whole wait, a core given to polling as in DPDK and SPDK, except while the queue has a
	 * striped operation in flight (one above the stripe threshold, spread over several
	 * functions): then as with 200; N = it spins N microseconds, then sleeps between polls, each
	 * time for a thirty-second of the time waited so far (at most 1 ms), so that a long wait (a large
	 * copy) does not hold a CPU, at the price of seeing the end late (the sleeps' own
	 * granularity included). The synchronous calls wait as with 0. Other engines wait their own
	 * way. (Libraries before this field refuse it as reserved.)
	 */
	uint32_t spin_us;
	/** Reserved; must be zero. */
	uint32_t reserved[6];
};

/** Create a queue on an engine. Returns 0 and the queue in *queue, or -errno. */
int dmacopy_queue_create(struct dmacopy_engine *engine, const struct dmacopy_queue_opts *opts,
			 struct dmacopy_queue **queue);

/**
 * Destroy a queue: waits (without time limit) for operations in flight; operations enqueued but
 * never submitted are dropped. NULL is a no-op. Returns 0 or -errno.
 */
int dmacopy_queue_destroy(struct dmacopy_queue *queue);

/** Per-operation flags for dmacopy_enqueue_copy()/dmacopy_enqueue_fill(). */
enum dmacopy_op_flags {
	/** Start this operation only after every earlier operation of the queue has completed. */
	DMACOPY_OP_FENCE = 1u << 0,
};

/**
 * Enqueue a copy of len bytes from src to dst. Nothing moves before dmacopy_submit().
 * Returns 0 or -errno: -ENOSPC when the queue is full (submit, then reap completions),
 * -EINVAL for NULL pointers, overlapping ranges, unknown flags, or address overflow;
 * -E2BIG above caps.max_transfer; -EFAULT for unregistered memory on engines that need it;
 * -EACCES when dst is in memory registered read-only (the engine could only read it).
 * len 0 is valid and completes with status 0.
 */
int dmacopy_enqueue_copy(struct dmacopy_queue *queue, void *dst, const void *src, size_t len,
			 uint64_t user_data, unsigned int flags);

/*
 * The inline fast path of dmacopy_enqueue_copy().
 *
 * The common copy on a queue whose engine writes device descriptors at enqueue (dsa, ioat) is a
 * handful of loads and stores: the calls below write it in the caller's code, with no call into
 * the library, and call the library for everything else (its own checks are then made in full).
 * What the inline code reads and writes is the head of every queue, struct dmacopy_queue_fast,
 * whose layout goes with DMACOPY_QUEUE_FAST_MAGIC: a library whose queues are laid out otherwise
 * puts another value there, so the inline code of a program built against this header then
 * always calls the library and never writes a layout it was not built for. Not for direct use:
 * every field is the library's, and may only be read or written by the code below.
 *
 * Define DMACOPY_NO_INLINE before including this header to call the library for every copy.
 */
#define DMACOPY_QUEUE_FAST_MAGIC 0x51554532u /* "QUE2" */

/*
 * The library reads what the inline code writes through its own types: the mirrors may alias
 * them (link-time optimisation may put both in one unit).
 */
#if defined(__GNUC__) || defined(__clang__)
#define DMACOPY__MAY_ALIAS __attribute__((may_alias))
#else
#define DMACOPY__MAY_ALIAS
#endif

/* One slot of a queue's operations, as far as the inline path writes it. */
struct DMACOPY__MAY_ALIAS dmacopy_queue_fast_op {
	void *dst;
	const void *src;
	uint64_t reserved0;
	size_t len;
	uint64_t user_data;
	void *reserved1[2];
	uint64_t kind; /* the library's word for an operation the inline path wrote */
};

/* A 64-byte device descriptor, as far as the inline path writes it (Intel DSA's layout). */
struct DMACOPY__MAY_ALIAS dmacopy_queue_fast_desc {
	uint32_t reserved0;
	uint32_t op;
	uint64_t reserved1;
	uint64_t src;
	uint64_t dst;
	uint32_t len;
	uint32_t reserved2;
	uint64_t reserved3[3];
};

struct DMACOPY__MAY_ALIAS dmacopy_queue_fast {
	uint32_t magic;    /* DMACOPY_QUEUE_FAST_MAGIC */
	uint32_t budget;   /* copies the inline path may still write; 0: none */
	uint32_t disjoint; /* the two sides' ranges do not overlap */
	uint32_t tail;     /* the next slot, free-running */
	uint32_t mask;     /* slots - 1 */
	uint32_t desc_op;  /* a copy's op word in a descriptor */
	uint64_t max;      /* the largest copy it takes */
	struct {
		uintptr_t start;
		size_t len;     /* [start, start + len) may be written in one copy */
		uint64_t delta; /* the device address of p is p + delta */
	} side[2];          /* [0] destination, [1] source */
	struct dmacopy_queue_fast_desc *ring; /* one descriptor per slot, or NULL: in the slot */
	struct dmacopy_queue_fast_op *ops;
	uint64_t op_kind;
};

#if !defined(DMACOPY_NO_INLINE) && (defined(__GNUC__) || defined(__clang__))
/*
 * dmacopy_enqueue_copy() with the queue's fast path inline: when the queue has a budget, flags
 * are 0, and the copy (1 to max bytes, source and destination apart) lies in the two ranges the
 * budget was granted on, it is written here; anything else (errors included) calls the library.
 * The tests are combined without a branch each, as the library's own fast path does, and the
 * result is the same as the library's.
 */
static inline __attribute__((always_inline)) int
dmacopy_enqueue_copy_inline(struct dmacopy_queue *queue, void *dst, const void *src, size_t len,
			    uint64_t user_data, unsigned int flags)
{
	struct dmacopy_queue_fast *f = (struct dmacopy_queue_fast *)(void *)queue;
	const uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;

	if (__builtin_expect(f != 0, 1)) {
		uint64_t w;
		unsigned int fits, ok;

		/* magic and budget in one load: the budget alone (1 to 2^32 - 1) when all hold */
		__builtin_memcpy(&w, &f->magic, sizeof(w));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		w = (w ^ DMACOPY_QUEUE_FAST_MAGIC) | flags;
		w = w >> 32 | w << 32;
#else
		w = (w ^ (uint64_t)DMACOPY_QUEUE_FAST_MAGIC << 32) | (uint64_t)flags << 32;
#endif
		fits = (unsigned int)((w - 1 < 0xffffffffu) & (len - 1 < f->max) &
				      (d - f->side[0].start <= f->side[0].len - len) &
				      (s - f->side[1].start <= f->side[1].len - len));
		ok = fits & f->disjoint;
		/* one test of the and, which the compiler would make a branch each */
		__asm__("" : "+r"(ok));
		/* both sides in one region: the copy itself must not overlap */
		if (__builtin_expect(ok, 1) || (fits && (d >= s ? d - s : s - d) >= len)) {
			const uint32_t tail = f->tail, slot = tail & f->mask;
			struct dmacopy_queue_fast_op *op = &f->ops[slot];
			struct dmacopy_queue_fast_desc *ring = f->ring;

			f->budget--;
			op->user_data = user_data;
			op->kind = f->op_kind;
			if (ring) {
				ring[slot].op = f->desc_op;
				ring[slot].src = s + f->side[1].delta;
				ring[slot].dst = d + f->side[0].delta;
				ring[slot].len = (uint32_t)len;
			} else {
				op->dst = (void *)(uintptr_t)(d + f->side[0].delta);
				op->src = (const void *)(uintptr_t)(s + f->side[1].delta);
				op->len = len;
			}
			f->tail = tail + 1;
			return 0;
		}
	}
	return (dmacopy_enqueue_copy)(queue, dst, src, len, user_data, flags);
}

#define dmacopy_enqueue_copy(queue, dst, src, len, user_data, flags)                              \
	dmacopy_enqueue_copy_inline(queue, dst, src, len, user_data, flags)
#endif

/** One copy for dmacopy_enqueue_copies(): the arguments of one dmacopy_enqueue_copy(). */
struct dmacopy_copy {
	void *dst;
	const void *src;
	size_t len;
	uint64_t user_data;
	uint32_t flags;    /**< enum dmacopy_op_flags */
	uint32_t reserved; /**< must be 0 */
};

/**
 * Enqueue n copies in order, as n calls of dmacopy_enqueue_copy() would, at less cost per copy
 * (one call, the queue's checks once). Returns n when every copy was enqueued; else the number
 * enqueued before the first refused one, copies[ret], whose reason dmacopy_last_error() gives
 * (enqueue it alone for its -errno); -errno when copies[0] is refused (as dmacopy_enqueue_copy()
 * would refuse it; -EINVAL also for a non-zero reserved field) or for a NULL array with n > 0.
 * n 0 returns 0. Since DMACOPY_0.3.
 */
int dmacopy_enqueue_copies(struct dmacopy_queue *queue, const struct dmacopy_copy *copies,
			   unsigned int n);

/**
 * Enqueue a fill of len bytes at dst with a 64-bit pattern: byte i of dst becomes byte (i % 8) of
 * the pattern stored little-endian. Requires DMACOPY_CAP_FILL (else -ENOTSUP). Errors as above.
 */
int dmacopy_enqueue_fill(struct dmacopy_queue *queue, void *dst, uint64_t pattern, size_t len,
			 uint64_t user_data, unsigned int flags);

/**
 * Hand every enqueued operation to the engine in one batch. Returns the number submitted (>= 0)
 * or -errno. The CPU engine may complete the operations before returning.
 */
int dmacopy_submit(struct dmacopy_queue *queue);

/** Detail of a failed operation, beyond its errno-style status. */
enum dmacopy_op_error {
	DMACOPY_OP_OK = 0,
	DMACOPY_OP_READ_FAULT = 1,    /**< the engine could not read the source (status -EIO) */
	DMACOPY_OP_WRITE_FAULT = 2,   /**< the engine could not write the destination (status -EIO) */
	DMACOPY_OP_ABORTED = 3,       /**< dropped after an earlier failure (status -ECANCELED) */
	DMACOPY_OP_TIMEOUT = 4,       /**< the engine did not finish in time (status -ETIMEDOUT) */
	DMACOPY_OP_CHANNEL_ERROR = 5, /**< the channel halted for another reason (status -EIO) */
	DMACOPY_OP_DEVICE_GONE = 6,   /**< the device or memory went away (status -ENODEV) */
};

/** A completed operation. */
struct dmacopy_completion {
	uint64_t user_data; /**< as passed to dmacopy_enqueue_*() */
	int32_t status;     /**< 0, or a negative errno */
	uint16_t error;     /**< enum dmacopy_op_error */
	uint16_t reserved;
};

/**
 * Reap up to max completions without blocking. Returns how many were stored (0..max) or -errno.
 *
 * Completions may arrive in a different order from submission on engines with
 * DMACOPY_CAP_OUT_OF_ORDER; match them by user_data, never by position.
 */
int dmacopy_poll(struct dmacopy_queue *queue, struct dmacopy_completion *completions,
		 unsigned int max);

/**
 * Reap between min and max completions, blocking until at least min are available or timeout_ms
 * elapses (-1 = forever, 0 = poll). Returns the number stored, which is below min only on timeout
 * (then it may be 0), or -errno. min may not exceed the number of operations submitted and not yet
 * reaped (-EINVAL: that wait could never end).
 */
int dmacopy_wait(struct dmacopy_queue *queue, struct dmacopy_completion *completions,
		 unsigned int min, unsigned int max, int timeout_ms);

/**
 * dmacopy_wait() for operations that succeeded, without their records (as a count of completions
 * serves a caller that needs no user_data back): reaps between min and max operations that ended
 * successfully and returns how many, below min only on timeout or when the next operation to
 * reap failed. A failed operation is never reaped here: it and those after it stay for
 * dmacopy_poll() or dmacopy_wait(), which return its record; while it is next, this returns
 * -EIO. Other errors as dmacopy_wait(). Since DMACOPY_0.4.
 */
int dmacopy_reap(struct dmacopy_queue *queue, unsigned int min, unsigned int max, int timeout_ms);

/** Operations enqueued but not yet submitted, and submitted but not yet reaped. */
unsigned int dmacopy_queue_pending(const struct dmacopy_queue *queue);
unsigned int dmacopy_queue_inflight(const struct dmacopy_queue *queue);

/* ------------------------------------------------------------------------------------------------
 * Synchronous helpers (thread-safe)
 */

/**
 * Copy len bytes from src to dst and return when the data is in place. Returns 0 or -errno
 * (as dmacopy_enqueue_copy(), plus any per-operation status). Overlap is -EINVAL.
 */
int dmacopy_memcpy(struct dmacopy_engine *engine, void *dst, const void *src, size_t len);

/*
 * The first members of every engine, which the inline dmacopy_memcpy() below reads: part of the
 * library's ABI (soname libdmacopy.so.0); the rest of struct dmacopy_engine is private.
 *   magic         DMACOPY_ENGINE_MAGIC while the engine is open
 *   reserved      the library's
 *   inline_limit  copies shorter than this the inline dmacopy_memcpy() does itself, on the
 *                 caller's thread: 0 for DMA engines and once the engine is closed; for the CPU
 *                 engine its threshold for spreading a copy over threads, at most
 *                 DMACOPY_INLINE_COPY_MAX + 1
 */
struct dmacopy_engine_head {
	uint32_t magic;
	uint32_t reserved;
	void *reserved_link;
	size_t inline_limit;
};

#define DMACOPY_ENGINE_MAGIC 0x454e4731u
/* The largest copy the inline dmacopy_memcpy() does (with the C library's memcpy() above 64 B). */
#define DMACOPY_INLINE_COPY_MAX 2048

#if defined(__GNUC__)
/*
 * n <= 64 bytes with no loop and no call: overlapping moves from both ends, as wide as n allows
 * (also the library's own small copies).
 */
struct dmacopy__bytes16 {
	uint64_t q[2];
};

extern __inline__ __attribute__((gnu_inline, always_inline)) void
dmacopy__copy_small(unsigned char *d, const unsigned char *s, size_t n)
{
	if (n >= 16) {
		struct dmacopy__bytes16 a, b, c, e;

		__builtin_memcpy(&a, s, 16);
		__builtin_memcpy(&b, s + n - 16, 16);
		if (n > 32) {
			__builtin_memcpy(&c, s + 16, 16);
			__builtin_memcpy(&e, s + n - 32, 16);
			__builtin_memcpy(d + 16, &c, 16);
			__builtin_memcpy(d + n - 32, &e, 16);
		}
		__builtin_memcpy(d, &a, 16);
		__builtin_memcpy(d + n - 16, &b, 16);
	} else if (n >= 8) {
		uint64_t a, b;

		__builtin_memcpy(&a, s, 8);
		__builtin_memcpy(&b, s + n - 8, 8);
		__builtin_memcpy(d, &a, 8);
		__builtin_memcpy(d + n - 8, &b, 8);
	} else if (n >= 4) {
		uint32_t a, b;

		__builtin_memcpy(&a, s, 4);
		__builtin_memcpy(&b, s + n - 4, 4);
		__builtin_memcpy(d, &a, 4);
		__builtin_memcpy(d + n - 4, &b, 4);
	} else if (n) {
		unsigned char a = s[0], b = s[n / 2], c = s[n - 1];

		d[0] = a;
		d[n / 2] = b;
		d[n - 1] = c;
	}
}

#endif

#if defined(__GNUC__) && !defined(DMACOPY_NO_INLINE)
/*
 * Small copies on the CPU engine in the caller's code, for the price of memcpy() and a few
 * compares: a call into the library costs as much as a 64-byte memcpy() itself. Everything else
 * (other engines, larger copies, overlap, NULL, wrap-around, a closed engine) is the library's
 * dmacopy_memcpy(), which checks and reports it. Define DMACOPY_NO_INLINE to always call it.
 */
extern int dmacopy__memcpy_call(struct dmacopy_engine *engine, void *dst, const void *src,
				size_t len) __asm__("dmacopy_memcpy");
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(noplt)
/*
 * The C library's memcpy() through its GOT entry, so that a position-independent caller skips
 * the PLT; only for lengths the compiler does not know (it expands constant ones itself).
 */
#define DMACOPY__NOPLT_MEMCPY 1
extern void *dmacopy__libc_memcpy(void *dst, const void *src, size_t len) __asm__("memcpy")
	__attribute__((noplt, nothrow, leaf));
#endif
#endif

extern __inline__ __attribute__((gnu_inline, always_inline)) int
dmacopy_memcpy(struct dmacopy_engine *engine, void *dst, const void *src, size_t len)
{
	const struct dmacopy_engine_head *h = (const struct dmacopy_engine_head *)(void *)engine;
	uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;

	/*
	 * The checks the library makes, in few compares: an open engine that copies len bytes
	 * inline (a closed one has inline_limit 0); neither pointer NULL nor [p, p + len) wrapping,
	 * as len <= DMACOPY_INLINE_COPY_MAX; no overlap, which for len >= 1 is
	 * d - s + len - 1 >= 2 * len - 1 modulo 2^N (len 0 takes the library's way).
	 */
	if (__builtin_expect(h && len < h->inline_limit &&
				     ((d - 1) | (s - 1)) < UINTPTR_MAX - DMACOPY_INLINE_COPY_MAX &&
				     d - s + len - 1 >= 2 * len - 1,
			     1)) {
		if (__builtin_expect(len > 64, 1)) {
#ifdef DMACOPY__NOPLT_MEMCPY
			if (!__builtin_constant_p(len)) {
				dmacopy__libc_memcpy(dst, src, len);
				return 0;
			}
#endif
			__builtin_memcpy(dst, src, len);
		} else {
			dmacopy__copy_small((unsigned char *)dst, (const unsigned char *)src, len);
		}
		return 0;
	}
#if defined(__clang__)
	{
		/*
		 * clang takes a call to a function of the inline function's own symbol name for
		 * recursion and then never inlines it: call the library through a pointer it cannot
		 * follow (only this slow way pays the indirect call).
		 */
		int (*fn)(struct dmacopy_engine *, void *, const void *, size_t) = dmacopy__memcpy_call;

		__asm__("" : "+r"(fn));
		return fn(engine, dst, src, len);
	}
#else
	return dmacopy__memcpy_call(engine, dst, src, len);
#endif
}
#undef DMACOPY__NOPLT_MEMCPY
#endif

/** Fill len bytes at dst with the 64-bit pattern (see dmacopy_enqueue_fill()). */
int dmacopy_fill(struct dmacopy_engine *engine, void *dst, uint64_t pattern, size_t len);

/** Fill len bytes at dst with the byte c, like memset(). */
int dmacopy_memset(struct dmacopy_engine *engine, void *dst, int c, size_t len);

/* ------------------------------------------------------------------------------------------------
 * Errors
 */

/**
 * A sentence for a negative errno returned by this library (also accepts positive values).
 * Thread-safe; the string is static.
 */
const char *dmacopy_strerror(int err);

/**
 * A sentence describing the most recent failure of a dmacopy call in the calling thread, with its
 * specifics (e.g. which ranges overlap, which spec field is malformed), or "" if none has failed.
 * Valid until the thread's next dmacopy call.
 */
const char *dmacopy_last_error(void);

/** A name for an enum dmacopy_op_error value ("read fault", ...). */
const char *dmacopy_op_error_str(unsigned int error);

#ifdef __cplusplus
}
#endif

#endif /* DMACOPY_H */

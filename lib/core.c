// SPDX-License-Identifier: BSD-3-Clause
/*
 * libdmacopy core: handles, argument validation, engine selection, queue bookkeeping.
 * Engines (engine_*.c) only see operations that passed validation here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu_copy.h"
#include "internal.h"

#define XSTR(x)       #x
#define STR(x)        XSTR(x)

/*
 * In "auto" preference order: the user-space polled engines first (no system call per copy; a
 * function is theirs only when its owner bound it to vfio-pci), DSA before I/OAT (the newer and
 * faster engine), then the kernel engine, then the CPU.
 */
static const struct engine_ops *const engine_kinds[] = {
	&engine_dsa_ops,
	&engine_ioat_ops,
	&engine_kernel_ops,
	&engine_cpu_ops,
};

const char *dmacopy_version(void)
{
	return STR(DMACOPY_VERSION_MAJOR) "." STR(DMACOPY_VERSION_MINOR) "." STR(
		DMACOPY_VERSION_PATCH);
}

/* ---- last error, per thread ------------------------------------------------------------------ */

/* Room for an engine's reason and its remedy (a dmacopy_probe() row's detail and remedy). */
static __thread char last_error[512];

int lib_error(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return err;
}

const char *dmacopy_last_error(void)
{
	return last_error;
}

const char *dmacopy_strerror(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return "success";
	case EINVAL:
		return "invalid argument (NULL pointer, overlapping source and destination, unknown flag, "
		       "non-zero reserved field or malformed engine spec; dmacopy_last_error() says which)";
	case EOVERFLOW:
		return "address range wraps around the end of the address space";
	case E2BIG:
		return "operation larger than the engine's maximum transfer (see dmacopy_engine_caps)";
	case ENOSPC:
		return "queue full: submit, then reap completions with dmacopy_poll or dmacopy_wait";
	case EBADF:
		return "handle is closed or not a dmacopy handle";
	case ENODEV:
		return "engine not present on this machine (run 'dmacopy info' to see why and how to "
		       "enable it)";
	case ENOTSUP:
		return "operation not supported by this engine";
	case EACCES:
	case EPERM:
		return "permission denied (run 'dmacopy info' for the device permissions needed)";
	case EFAULT:
		return "memory not registered with this engine (use dmacopy_region_register)";
	case EBUSY:
		return "resource busy: operations still in flight, or the device is used by another "
		       "process";
	case ENXIO:
		return "device not set up for this engine (wrong driver, no IOMMU or VFIO missing; "
		       "run 'dmacopy info' to see what is missing)";
	case ERANGE:
		return "address outside what the device or IOMMU can reach";
	case EMFILE:
		return "too many devices open in this process";
	case EEXIST:
		return "region overlaps an existing registration";
	case ENOENT:
		return "no such engine, channel or device";
	case ENOMEM:
		return "out of memory";
	case ETIMEDOUT:
		return "timed out";
	case EIO:
		return "the DMA engine reported an error for this operation";
	case ECANCELED:
		return "operation aborted after an earlier failure on the channel";
	case EAGAIN:
		return "resource temporarily unavailable; try again";
	default:
		return "unknown error";
	}
}

const char *dmacopy_op_error_str(unsigned int error)
{
	static const char *const names[] = {
		[DMACOPY_OP_OK] = "ok",
		[DMACOPY_OP_READ_FAULT] = "read fault",
		[DMACOPY_OP_WRITE_FAULT] = "write fault",
		[DMACOPY_OP_ABORTED] = "aborted",
		[DMACOPY_OP_TIMEOUT] = "timeout",
		[DMACOPY_OP_CHANNEL_ERROR] = "channel error",
		[DMACOPY_OP_DEVICE_GONE] = "device gone",
	};

	if (error < ARRAY_SIZE(names) && names[error])
		return names[error];
	return "unknown";
}

/* ---- handle lifetime ------------------------------------------------------------------------
 * Retired handles are parked, not freed, and reused for the next object of the same kind: a call on
 * a closed handle then finds MAGIC_DEAD and fails with -EBADF instead of touching freed memory.
 * Every handle struct starts with its 32-bit magic followed by a pointer-sized field, which the
 * parking link overlays.
 */

struct parked {
	uint32_t magic;
	struct parked *next;
};

/*
 * What parking relies on, for each handle struct: its magic where struct parked has it (a retired
 * handle reads MAGIC_DEAD) and room for the link; and a region's busy past the link, so that its
 * incarnation survives parking (obj_alloc()).
 */
#define PARKABLE(type)                                                                   \
	_Static_assert(offsetof(type, magic) == offsetof(struct parked, magic) &&        \
		       sizeof(((type *)0)->magic) == sizeof(uint32_t) &&                \
		       sizeof(type) >= sizeof(struct parked),                           \
		       #type " cannot be parked")
PARKABLE(struct dmacopy_engine);
PARKABLE(struct dmacopy_queue);
PARKABLE(struct dmacopy_region);
_Static_assert(offsetof(struct dmacopy_region, busy) >= sizeof(struct parked),
	       "the parking link would overwrite a parked region's incarnation");

enum { PARK_ENGINE, PARK_QUEUE, PARK_REGION, PARK_KINDS };

static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static struct parked *parked_lists[PARK_KINDS];

static void *obj_alloc(unsigned int kind, size_t size)
{
	struct parked *p;

	pthread_mutex_lock(&park_lock);
	p = parked_lists[kind];
	if (p)
		parked_lists[kind] = p->next;
	pthread_mutex_unlock(&park_lock);
	if (p && kind == PARK_REGION) {
		/*
		 * busy keeps its incarnation across reuse: a queue holding a stale pointer
		 * compares it before taking a reference (queue_region_get()).
		 */
		size_t at = offsetof(struct dmacopy_region, busy), n = sizeof(uint64_t);

		memset(p, 0, at);
		memset((char *)p + at + n, 0, size - at - n);
		return p;
	}
	if (p) {
		memset(p, 0, size);
		return p;
	}
	return calloc(1, size);
}

static void obj_retire(unsigned int kind, void *obj)
{
	struct parked *p = obj;

	p->magic = MAGIC_DEAD;
	pthread_mutex_lock(&park_lock);
	p->next = parked_lists[kind];
	parked_lists[kind] = p;
	pthread_mutex_unlock(&park_lock);
}

__attribute__((destructor)) static void park_release(void)
{
	for (unsigned int k = 0; k < PARK_KINDS; k++) {
		while (parked_lists[k]) {
			struct parked *p = parked_lists[k];

			parked_lists[k] = p->next;
			free(p);
		}
	}
}


static int engine_check(const struct dmacopy_engine *e)
{
	if (!e)
		return lib_error(-EINVAL, "engine is NULL");
	if (e->magic != MAGIC_ENGINE)
		return lib_error(-EBADF, "engine handle is closed or invalid");
	return 0;
}

static int queue_check(const struct dmacopy_queue *q)
{
	if (!q)
		return lib_error(-EINVAL, "queue is NULL");
	if (q->magic != MAGIC_QUEUE)
		return lib_error(-EBADF, "queue handle is destroyed or invalid");
	return 0;
}

/* ---- engines -------------------------------------------------------------------------------- */

/* An engine kind the unit tests add (tests/unit/fake_engine.h); the library never sets it. */
static const struct engine_ops *test_kind;

void lib_test_engine_kind(const struct engine_ops *ops)
{
	test_kind = ops;
}

/*
 * What engine_kinds[] says to people, written once: the specs dmacopy_engine_open() takes
 * ("auto, dsa[:PCI_ADDR], ...") and the kinds in auto's order ("dsa, ioat, kernel, cpu").
 */
static pthread_once_t kind_lists_once = PTHREAD_ONCE_INIT;
static char spec_list[256], auto_order[64];

static void kind_lists_init(void)
{
	size_t s = (size_t)snprintf(spec_list, sizeof(spec_list), "auto"), o = 0;

	for (size_t i = 0; i < ARRAY_SIZE(engine_kinds); i++) {
		if (s < sizeof(spec_list))
			s += (size_t)snprintf(spec_list + s, sizeof(spec_list) - s, ", %s",
					      engine_kinds[i]->syntax);
		if (o < sizeof(auto_order))
			o += (size_t)snprintf(auto_order + o, sizeof(auto_order) - o, "%s%s",
					      i ? ", " : "", engine_kinds[i]->kind);
	}
}

const char *dmacopy_engine_specs(void)
{
	pthread_once(&kind_lists_once, kind_lists_init);
	return spec_list;
}

static const char *engine_auto_order(void)
{
	pthread_once(&kind_lists_once, kind_lists_init);
	return auto_order;
}

static const struct engine_ops *kind_lookup(const char *kind, size_t len)
{
	if (test_kind && strlen(test_kind->kind) == len && !memcmp(test_kind->kind, kind, len))
		return test_kind;
	for (size_t i = 0; i < ARRAY_SIZE(engine_kinds); i++) {
		if (strlen(engine_kinds[i]->kind) == len && !memcmp(engine_kinds[i]->kind, kind, len))
			return engine_kinds[i];
	}
	return NULL;
}

static int engine_try(struct dmacopy_engine *e, const struct engine_ops *ops, const char *arg,
		      const struct dmacopy_engine_opts *opts)
{
	int ret;

	e->ops = ops;
	memset(&e->caps, 0, sizeof(e->caps));
	snprintf(e->name, sizeof(e->name), "%s%s%s", ops->kind, arg ? ":" : "", arg ? arg : "");
	ret = ops->open(e, arg, opts);
	if (ret)
		return ret;
	ops->caps(e, &e->caps);
	e->caps.flags |= ops->cap_flags;
	return 0;
}

static int engine_open_auto(struct dmacopy_engine *e, const struct dmacopy_engine_opts *opts)
{
	char reasons[DMACOPY_SELECTION_LEN] = "";
	size_t used = 0;

	for (size_t i = 0; i < ARRAY_SIZE(engine_kinds); i++) {
		const struct engine_ops *ops = engine_kinds[i];
		int ret;

		last_error[0] = '\0';
		ret = engine_try(e, ops, NULL, opts);
		if (!ret) {
			snprintf(e->selection, sizeof(e->selection),
				 "auto: chose %s (order: %s)\n%.1850s", e->name,
				 engine_auto_order(), reasons);
			return 0;
		}
		if (used < sizeof(reasons))
			used += (size_t)snprintf(reasons + used, sizeof(reasons) - used,
						 "  %s: unavailable: %s%s%s\n", ops->kind,
						 dmacopy_strerror(ret), last_error[0] ? ": " : "",
						 last_error);
	}
	return lib_error(-ENODEV, "no engine could be opened:\n%s", reasons);
}

int dmacopy_engine_open(struct dmacopy_engine **engine, const char *spec,
			const struct dmacopy_engine_opts *opts)
{
	static const struct dmacopy_engine_opts no_opts;
	struct dmacopy_engine *e;
	const char *colon;
	int ret;

	if (!engine)
		return lib_error(-EINVAL, "engine pointer is NULL");
	*engine = NULL;
	if (!opts)
		opts = &no_opts;
	for (size_t i = 0; i < ARRAY_SIZE(opts->reserved); i++) {
		if (opts->reserved[i])
			return lib_error(-EINVAL, "dmacopy_engine_opts.reserved[%zu] is not zero", i);
	}
	if (!spec || !strcmp(spec, "auto")) {
		const char *env = getenv("DMACOPY_ENGINE");

		spec = env && *env ? env : "auto";
	}
	if (strlen(spec) >= sizeof(e->name))
		return lib_error(-EINVAL, "engine spec is longer than %zu characters", sizeof(e->name) - 1);

	e = obj_alloc(PARK_ENGINE, sizeof(*e));
	if (!e)
		return lib_error(-ENOMEM, "cannot allocate the engine");
	pthread_mutex_init(&e->lock, NULL);

	if (!strcmp(spec, "auto")) {
		ret = engine_open_auto(e, opts);
	} else {
		const struct engine_ops *ops;
		size_t klen;

		colon = strchr(spec, ':');
		klen = colon ? (size_t)(colon - spec) : strlen(spec);
		ops = kind_lookup(spec, klen);
		if (!ops) {
			ret = lib_error(-EINVAL, "unknown engine '%.*s' in spec '%s'; use one of: %s",
					(int)klen, spec, spec, dmacopy_engine_specs());
		} else if (colon && !colon[1]) {
			ret = lib_error(-EINVAL, "engine spec '%s' ends with ':'; name a channel or device, "
					    "or drop the ':'", spec);
		} else {
			last_error[0] = '\0';
			ret = engine_try(e, ops, colon ? colon + 1 : NULL, opts);
			if (!ret)
				snprintf(e->selection, sizeof(e->selection), "%s: requested\n",
					 e->name);
		}
	}
	if (ret) {
		pthread_mutex_destroy(&e->lock);
		obj_retire(PARK_ENGINE, e);
		return ret;
	}
	e->magic = MAGIC_ENGINE;
	*engine = e;
	return 0;
}

int dmacopy_engine_close(struct dmacopy_engine *e)
{
	int ret;

	if (!e)
		return 0;
	ret = engine_check(e);
	if (ret)
		return ret;
	while (e->queues)
		dmacopy_queue_destroy(e->queues);
	while (e->regions) {
		struct dmacopy_region *r = e->regions;

		/* every queue is gone, nothing is in flight */
		r->busy = r->busy & ~(uint64_t)UINT32_MAX;
		dmacopy_region_unregister(r);
	}
	e->ops->close(e);
	e->magic = MAGIC_DEAD;
	pthread_mutex_destroy(&e->lock);
	obj_retire(PARK_ENGINE, e);
	return 0;
}

const char *dmacopy_engine_kind(const struct dmacopy_engine *e)
{
	return engine_check(e) ? "invalid" : e->ops->kind;
}

const char *dmacopy_engine_name(const struct dmacopy_engine *e)
{
	return engine_check(e) ? "invalid" : e->name;
}

const char *dmacopy_engine_selection(const struct dmacopy_engine *e)
{
	return engine_check(e) ? "invalid engine handle\n" : e->selection;
}

int dmacopy_engine_caps(const struct dmacopy_engine *e, struct dmacopy_caps *caps)
{
	int ret = engine_check(e);

	if (ret)
		return ret;
	if (!caps)
		return lib_error(-EINVAL, "caps is NULL");
	*caps = e->caps;
	return 0;
}

void status_row(struct dmacopy_engine_status *rows, unsigned int max, unsigned int *n,
		const char *kind, const char *spec, int error, const char *detail, const char *remedy)
{
	if (*n < max) {
		struct dmacopy_engine_status *r = &rows[*n];

		memset(r, 0, sizeof(*r));
		snprintf(r->kind, sizeof(r->kind), "%s", kind);
		snprintf(r->spec, sizeof(r->spec), "%s", spec);
		r->available = error == 0;
		r->error = error;
		snprintf(r->detail, sizeof(r->detail), "%s", detail ? detail : "");
		snprintf(r->remedy, sizeof(r->remedy), "%s", remedy ? remedy : "");
	}
	(*n)++;
}

int dmacopy_probe(struct dmacopy_engine_status *rows, unsigned int max)
{
	unsigned int n = 0;

	if (!rows && max)
		return lib_error(-EINVAL, "rows is NULL but max is %u", max);
	for (size_t i = 0; i < ARRAY_SIZE(engine_kinds); i++)
		engine_kinds[i]->probe(engine_kinds[i], rows, max, &n);
	return (int)n;
}

/* ---- regions -------------------------------------------------------------------------------- */

static bool range_wraps(uintptr_t start, size_t len)
{
	return len && len - 1 > UINTPTR_MAX - start;
}

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

static bool region_holds(const struct dmacopy_region *r, uintptr_t start, size_t len)
{
	return start >= r->start && len <= r->len && start - r->start <= r->len - len;
}

/* The registered region of e that holds [start, start + len), or NULL; e->lock held. */
static struct dmacopy_region *region_find_locked(struct dmacopy_engine *e, uintptr_t start,
						 size_t len)
{
	struct dmacopy_region *r;

	for (r = e->regions; r; r = r->next) {
		if (region_holds(r, start, len))
			break;
	}
	return r;
}

/* ---- validation shared by queues and synchronous helpers ------------------------------------ */

static ALWAYS_INLINE int check_copy(const struct dmacopy_engine *e, const void *dst,
				    const void *src, size_t len)
{
	uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;

	if (!dst || !src)
		return lib_error(-EINVAL, "%s is NULL", !dst ? "destination" : "source");
	if (range_wraps(d, len))
		return lib_error(-EOVERFLOW, "destination %p + %zu wraps around", dst, len);
	if (range_wraps(s, len))
		return lib_error(-EOVERFLOW, "source %p + %zu wraps around", src, len);
	if (len > e->caps.max_transfer)
		return lib_error(-E2BIG, "length %zu exceeds the engine's maximum %llu", len,
			    (unsigned long long)e->caps.max_transfer);
	if ((d >= s ? d - s : s - d) < len)
		return lib_error(-EINVAL,
			    "source [%p, +%zu) and destination [%p, +%zu) overlap; DMA engines do "
			    "not implement memmove",
			    src, len, dst, len);
	return 0;
}

static int check_fill(const struct dmacopy_engine *e, const void *dst, size_t len)
{
	if (!(e->caps.flags & DMACOPY_CAP_FILL))
		return lib_error(-ENOTSUP, "engine %s cannot fill", e->name);
	if (!dst)
		return lib_error(-EINVAL, "destination is NULL");
	if (range_wraps((uintptr_t)dst, len))
		return lib_error(-EOVERFLOW, "destination %p + %zu wraps around", dst, len);
	if (len > e->caps.max_transfer)
		return lib_error(-E2BIG, "length %zu exceeds the engine's maximum %llu", len,
			    (unsigned long long)e->caps.max_transfer);
	return 0;
}

/*
 * The region holding [start, start + len) for an operation of queue q, with an in-flight reference
 * taken, or NULL. Most operations hit the region of the previous one: that one is reused without
 * the engine lock while no region was unregistered since (the generation) and the object is still
 * the same registration (its incarnation, compared in the same atomic step that takes the
 * reference, so a parked or reused object is never touched).
 */
/* References queue_region_get() takes ahead, beyond the one the operation needs. */
#define REGION_CREDIT 63u

/* Give back the references taken ahead on the cached region of side which. */
static void queue_credit_return(struct dmacopy_queue *q, unsigned int which)
{
	if (q->last[which].credit) {
		region_put(q->last[which].region, q->last[which].credit);
		q->last[which].credit = 0;
	}
}

/* queue_region_get() when the cached region does not do: the list under the lock. */
static __attribute__((noinline)) struct dmacopy_region *
queue_region_lookup(struct dmacopy_queue *q, unsigned int which, uintptr_t start, size_t len)
{
	struct dmacopy_engine *e = q->engine;
	struct dmacopy_region *r;

	queue_credit_return(q, which);
	pthread_mutex_lock(&e->lock);
	r = region_find_locked(e, start, len);
	if (r) {
		uint64_t busy = __atomic_fetch_add(&r->busy, 1 + REGION_CREDIT, __ATOMIC_RELAXED);

		q->last[which].region = r;
		q->last[which].gen = __atomic_load_n(&e->regions_gen, __ATOMIC_RELAXED);
		q->last[which].incarnation = REGION_INCARNATION(busy);
		q->last[which].credit = REGION_CREDIT;
	}
	pthread_mutex_unlock(&e->lock);
	return r;
}

/*
 * The region holding [start, start + len) with an in-flight reference taken, or NULL: the one the
 * queue's previous operation used for this side (which: 0 destination, 1 source), else a lookup.
 * While the queue holds references taken ahead on the cached region, the region cannot be
 * unregistered and one of them is used, with no atomic operation; else, if no region was
 * unregistered since the lookup, a compare-and-swap on the region's incarnation takes one for
 * the operation and REGION_CREDIT ahead. Inlined into the enqueue path.
 */
static ALWAYS_INLINE struct dmacopy_region *queue_region_get(struct dmacopy_queue *q,
							      unsigned int which, uintptr_t start,
							      size_t len)
{
	struct dmacopy_region *r = q->last[which].region;
	uint32_t gen;

	if (q->last[which].credit && region_holds(r, start, len)) {
		q->last[which].credit--;
		return r;
	}
	gen = __atomic_load_n(&q->engine->regions_gen, __ATOMIC_ACQUIRE);
	if (r && !q->last[which].credit && gen == q->last[which].gen &&
	    region_holds(r, start, len)) {
		uint64_t busy = __atomic_load_n(&r->busy, __ATOMIC_RELAXED);

		while (REGION_INCARNATION(busy) == q->last[which].incarnation) {
			if (__atomic_compare_exchange_n(&r->busy, &busy, busy + 1 + REGION_CREDIT,
							true, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
				q->last[which].credit = REGION_CREDIT;
				return r;
			}
		}
	}
	return queue_region_lookup(q, which, start, len);
}

/* -EACCES for a destination in region r, which the engine registered read-only. */
static __attribute__((cold)) int readonly_error(const void *dst, const struct dmacopy_region *r)
{
	return lib_error(-EACCES, "destination %p is in memory registered read-only%s", dst,
			 r->readonly_why ? r->readonly_why : "");
}

/* Regions of a queued operation, with their in-flight references taken. */
static ALWAYS_INLINE int queue_lookup_regions(struct dmacopy_queue *q, struct queue_op *op)
{
	if (!(q->engine->caps.flags & DMACOPY_CAP_NEEDS_REGISTER) || !op->len)
		return 0;
	op->dst_region = queue_region_get(q, 0, (uintptr_t)op->dst, op->len);
	if (!op->dst_region)
		return lib_error(-EFAULT, "destination [%p, +%zu) is not inside a registered region",
			    op->dst, op->len);
	if (__builtin_expect(op->dst_region->readonly, 0)) {
		const struct dmacopy_region *r = op->dst_region;

		__atomic_fetch_sub(&op->dst_region->busy, 1, __ATOMIC_RELEASE);
		op->dst_region = NULL;
		queue_credit_return(q, 0);
		return readonly_error(op->dst, r);
	}
	if (op->kind == OP_COPY) {
		op->src_region = queue_region_get(q, 1, (uintptr_t)op->src, op->len);
		if (!op->src_region) {
			__atomic_fetch_sub(&op->dst_region->busy, 1, __ATOMIC_RELEASE);
			op->dst_region = NULL;
			/* no operation of the run uses it now: nothing taken ahead may stay */
			queue_credit_return(q, 0);
			return lib_error(-EFAULT,
				    "source [%p, +%zu) is not inside a registered region", op->src,
				    op->len);
		}
	}
	return 0;
}

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

/* ---- queues ---------------------------------------------------------------------------------- */

int dmacopy_queue_create(struct dmacopy_engine *e, const struct dmacopy_queue_opts *opts,
			 struct dmacopy_queue **queue)
{
	struct dmacopy_queue *q;
	uint32_t depth = DMACOPY_DEFAULT_DEPTH;
	int ret = engine_check(e);

	if (ret)
		return ret;
	if (!queue)
		return lib_error(-EINVAL, "queue pointer is NULL");
	*queue = NULL;
	if (opts) {
		for (size_t i = 0; i < ARRAY_SIZE(opts->reserved); i++) {
			if (opts->reserved[i])
				return lib_error(-EINVAL, "dmacopy_queue_opts.reserved[%zu] is not zero",
					    i);
		}
		if (opts->depth)
			depth = opts->depth;
	}
	if (depth > e->caps.max_queue_depth)
		return lib_error(-EINVAL, "queue depth %u exceeds the engine's maximum %u", depth,
			    e->caps.max_queue_depth);
	while (depth & (depth - 1))
		depth = (depth | (depth - 1)) + 1;

	q = obj_alloc(PARK_QUEUE, sizeof(*q));
	if (!q)
		return lib_error(-ENOMEM, "cannot allocate the queue");
	q->engine = e;
	q->depth = depth;
	q->mask = depth - 1;
	q->max_len = e->caps.max_transfer;
	q->needs_reg = e->caps.flags & DMACOPY_CAP_NEEDS_REGISTER;
	q->ops = calloc(depth, sizeof(*q->ops));
	q->cqes = calloc(depth, sizeof(*q->cqes));
	if (!q->ops || !q->cqes) {
		ret = lib_error(-ENOMEM, "cannot allocate a queue of depth %u", depth);
		goto err_free;
	}
	ret = e->ops->queue_init ? e->ops->queue_init(q) : 0;
	if (ret)
		goto err_free;
	q->magic = MAGIC_QUEUE;
	pthread_mutex_lock(&e->lock);
	q->next = e->queues;
	e->queues = q;
	pthread_mutex_unlock(&e->lock);
	*queue = q;
	return 0;

err_free:
	free(q->ops);
	free(q->cqes);
	obj_retire(PARK_QUEUE, q);
	return ret;
}

int dmacopy_queue_destroy(struct dmacopy_queue *q)
{
	struct dmacopy_engine *e;
	struct dmacopy_queue **pp;
	int ret;

	if (!q)
		return 0;
	ret = queue_check(q);
	if (ret)
		return ret;
	e = q->engine;
	/* Drop what was never submitted, then let the engine finish what it holds. */
	queue_credit_return(q, 0);
	queue_credit_return(q, 1);
	for (uint32_t i = q->sq_submitted; i != q->sq_tail; i++)
		queue_op_release(&q->ops[i & q->mask]);
	q->sq_tail = q->sq_submitted;
	while (q->cq_tail != q->sq_submitted) {
		ret = e->ops->progress(q, 1000);
		if (ret && ret != -ETIMEDOUT)
			break;
	}
	if (e->ops->queue_fini)
		e->ops->queue_fini(q);
	pthread_mutex_lock(&e->lock);
	for (pp = &e->queues; *pp; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	}
	pthread_mutex_unlock(&e->lock);
	free(q->ops);
	free(q->cqes);
	obj_retire(PARK_QUEUE, q);
	return 0;
}

/*
 * The free slot at the queue's tail for an operation with these flags, or NULL with *ret set.
 * The caller writes the operation there and calls enqueue_commit().
 */
static ALWAYS_INLINE struct queue_op *enqueue_slot(struct dmacopy_queue *q, unsigned int flags,
						    int *ret)
{
	if (flags & ~(unsigned int)DMACOPY_OP_FENCE) {
		*ret = lib_error(-EINVAL, "unknown operation flags %#x", flags);
		return NULL;
	}
	if (q->sq_tail - q->cq_head >= q->depth) {
		*ret = lib_error(-ENOSPC, "queue of depth %u is full", q->depth);
		return NULL;
	}
	return &q->ops[q->sq_tail & q->mask];
}

/* Take the regions of the operation written in the tail slot and make it part of the queue. */
static ALWAYS_INLINE int enqueue_commit(struct dmacopy_queue *q, struct queue_op *op)
{
	int ret = queue_lookup_regions(q, op);

	if (ret)
		return ret;
	q->sq_tail++;
	return 0;
}

/* dmacopy_enqueue_copy() with every check and lookup spelled out: what the fast path leaves. */
static __attribute__((noinline)) int enqueue_copy_checked(struct dmacopy_queue *q, void *dst,
							  const void *src, size_t len,
							  uint64_t user_data, unsigned int flags)
{
	struct queue_op *op;
	int ret = queue_check(q);

	if (ret)
		return ret;
	ret = check_copy(q->engine, dst, src, len);
	if (ret)
		return ret;
	op = enqueue_slot(q, flags, &ret);
	if (!op)
		return ret;
	*op = (struct queue_op){ .dst = dst, .src = src, .len = len, .user_data = user_data,
				 .flags = flags, .kind = OP_COPY };
	return enqueue_commit(q, op);
}

/*
 * The common case in straight-line code: a valid queue with room, a non-empty copy within the
 * engine's limit that neither wraps nor overlaps, both sides inside the regions the queue's
 * previous operation used, with references taken ahead left on both. Anything else, errors
 * included, takes enqueue_copy_checked(), which does the same in full.
 */
int dmacopy_enqueue_copy(struct dmacopy_queue *q, void *dst, const void *src, size_t len,
			 uint64_t user_data, unsigned int flags)
{
	uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src, end;
	struct dmacopy_region *rd = NULL, *rs = NULL;
	struct queue_op *op;

	if (__builtin_expect(!q || q->magic != MAGIC_QUEUE || (flags & ~(unsigned int)DMACOPY_OP_FENCE) ||
			     len - 1 >= q->max_len || !d || !s || q->sq_tail - q->cq_head >= q->depth ||
			     (d >= s ? d - s : s - d) < len, 0))
		return enqueue_copy_checked(q, dst, src, len, user_data, flags);
	if (q->needs_reg) {
		/* Inside registered regions: neither side wraps around. */
		rd = q->last[0].region;
		rs = q->last[1].region;
		if (__builtin_expect(!q->last[0].credit || !q->last[1].credit ||
				     !region_holds(rd, d, len) || !region_holds(rs, s, len) ||
				     rd->readonly, 0))
			return enqueue_copy_checked(q, dst, src, len, user_data, flags);
		q->last[0].credit--;
		q->last[1].credit--;
	} else if (__builtin_expect(__builtin_add_overflow(d, len - 1, &end) ||
				    __builtin_add_overflow(s, len - 1, &end), 0)) {
		return enqueue_copy_checked(q, dst, src, len, user_data, flags);
	}
	op = &q->ops[q->sq_tail & q->mask];
	op->dst = dst;
	op->src = src;
	op->len = len;
	op->user_data = user_data;
	op->dst_region = rd;
	op->src_region = rs;
	op->flags = flags;
	op->kind = OP_COPY;
	q->sq_tail++;
	return 0;
}

int dmacopy_enqueue_fill(struct dmacopy_queue *q, void *dst, uint64_t pattern, size_t len,
			 uint64_t user_data, unsigned int flags)
{
	struct queue_op *op;
	int ret = queue_check(q);

	if (ret)
		return ret;
	ret = check_fill(q->engine, dst, len);
	if (ret)
		return ret;
	op = enqueue_slot(q, flags, &ret);
	if (!op)
		return ret;
	*op = (struct queue_op){ .dst = dst, .pattern = pattern, .len = len,
				 .user_data = user_data, .flags = flags, .kind = OP_FILL };
	return enqueue_commit(q, op);
}

int dmacopy_submit(struct dmacopy_queue *q)
{
	uint32_t n;
	int ret = queue_check(q);

	if (ret)
		return ret;
	n = q->sq_tail - q->sq_submitted;
	/* The submitted operations hold their own references: none taken ahead may stay. */
	queue_credit_return(q, 0);
	queue_credit_return(q, 1);
	if (!n)
		return 0;
	ret = q->engine->ops->submit(q);
	if (ret)
		return ret;
	return (int)n;
}

static unsigned int reap(struct dmacopy_queue *q, struct dmacopy_completion *out, unsigned int max)
{
	unsigned int n = 0;

	while (n < max && q->cq_head != q->cq_tail) {
		uint32_t idx = q->cq_head & q->mask;

		out[n++] = q->cqes[idx];
		q->cq_head++;
	}
	return n;
}

int dmacopy_poll(struct dmacopy_queue *q, struct dmacopy_completion *completions, unsigned int max)
{
	int ret = queue_check(q);

	if (ret)
		return ret;
	if (!completions && max)
		return lib_error(-EINVAL, "completions is NULL");
	if (q->cq_tail != q->sq_submitted) {
		ret = q->engine->ops->progress(q, 0);
		if (ret && ret != -ETIMEDOUT)
			return ret;
	}
	return (int)reap(q, completions, max);
}

int dmacopy_wait(struct dmacopy_queue *q, struct dmacopy_completion *completions, unsigned int min,
		 unsigned int max, int timeout_ms)
{
	long long deadline = 0;
	unsigned int got;
	int ret = queue_check(q);

	if (ret)
		return ret;
	if (!completions && max)
		return lib_error(-EINVAL, "completions is NULL");
	if (min > max)
		return lib_error(-EINVAL, "min %u is larger than max %u", min, max);
	if (min > q->sq_submitted - q->cq_head)
		return lib_error(-EINVAL,
			    "waiting for %u completions but only %u operations were submitted and "
			    "not reaped",
			    min, q->sq_submitted - q->cq_head);
	if (timeout_ms < -1)
		return lib_error(-EINVAL, "timeout %d ms is negative; use -1 to wait forever", timeout_ms);
	got = reap(q, completions, max);
	if (got < max && q->cq_tail != q->sq_submitted) {
		ret = q->engine->ops->progress(q, 0);
		if (ret && ret != -ETIMEDOUT)
			return got ? (int)got : ret;
		got += reap(q, completions + got, max - got);
	}
	/*
	 * min never exceeds what is in flight or completed, so each round can make progress. The
	 * clock is first read here: most waits of a polled engine end before.
	 */
	for (bool timed = false; got < min;) {
		int left = -1;

		if (timeout_ms >= 0) {
			long long now = mono_ms(), rem;

			if (!timed) {
				deadline = now + timeout_ms;
				timed = true;
			}
			rem = deadline - now;
			if (rem <= 0)
				break;
			left = rem > INT32_MAX ? INT32_MAX : (int)rem;
		}
		ret = q->engine->ops->progress(q, left);
		if (ret && ret != -ETIMEDOUT)
			return got ? (int)got : ret;
		got += reap(q, completions + got, max - got);
	}
	return (int)got;
}

unsigned int dmacopy_queue_pending(const struct dmacopy_queue *q)
{
	return queue_check(q) ? 0 : q->sq_tail - q->sq_submitted;
}

unsigned int dmacopy_queue_inflight(const struct dmacopy_queue *q)
{
	return queue_check(q) ? 0 : q->sq_submitted - q->cq_head;
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

		if ((d >= s ? d - s : s - d) >= len && d < UINTPTR_MAX - len && s < UINTPTR_MAX - len) {
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

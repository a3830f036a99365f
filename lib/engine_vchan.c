// SPDX-License-Identifier: BSD-3-Clause
/*
 * The device engines driven from user space through VFIO, polled, with no system call per copy:
 * "ioat" (Intel I/OAT, lib/ioat_chan.c) and "dsa" (Intel DSA, lib/dsa_dev.c), both on the channel
 * table of vchan.h and on lib/vfio.c.
 *
 * One engine drives one PCI function (one channel). Queues of the engine share the channel:
 * building descriptors and reading completions happen under the engine's channel lock, and each
 * finished operation is marked in its queue's context array; a queue moves its own marked
 * operations, in order, to its completion ring. Operations that do not fit in the descriptor ring
 * wait in the queue and are built as the ring drains.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "vchan.h"

#define MAX_FUNCS 64
#define IDLE_SPINS 64 /* polls between two looks at the clock while waiting */
#define CAP_SYS_RAWIO_BIT 17
#define CAP_SYS_ADMIN_BIT 21

struct vchan_engine {
	const struct vchan_driver *drv;
	struct vchan *chan;
	pthread_mutex_t lock; /* the channel */
	struct vchan_info info;
};

void vchan_status_done(void *arg, int status, unsigned int error)
{
	vchan_complete(vchan_status_done, arg, status, error);
}


/* ---- discovery and open ---------------------------------------------------------------------- */

/*
 * Why f can or cannot be opened. find_holder: also look for another process holding its group
 * (a walk over /proc; opening finds that out by itself with -EBUSY).
 */
static void describe(const struct vchan_driver *drv, const struct vfio_pci_info *f,
		     bool find_holder, char *detail, size_t dlen, char *remedy, size_t rlen, int *err)
{
	const char *hw = drv->name;
	char path[64];
	long holder;
	bool noiommu = false;

	if (f->iommu_group >= 0)
		noiommu = vfio_group_node(f->iommu_group, path, sizeof(path));
	*remedy = '\0';
	if (f->iommu_group < 0) {
		*err = -ENXIO;
		snprintf(detail, dlen, "%s %s (%04x:%04x) on %s; no IOMMU group (the IOMMU is off)",
			 hw, f->bdf, f->vendor, f->device, f->driver);
		snprintf(remedy, rlen, REMEDY_VFIO_NO_IOMMU, f->bdf, f->bdf);
	} else if (noiommu && !strcmp(f->driver, "vfio-pci") &&
	           (!vfio_has_cap(CAP_SYS_RAWIO_BIT) || !vfio_has_cap(CAP_SYS_ADMIN_BIT))) {
		*err = -EPERM;
		snprintf(detail, dlen, "%s %s on vfio-pci in no-IOMMU mode (%s); this process "
			 "lacks CAP_SYS_RAWIO or CAP_SYS_ADMIN", hw, f->bdf, path);
		snprintf(remedy, rlen, "run as root: without an IOMMU the driver opens %s "
			 "(CAP_SYS_RAWIO) and reads physical addresses (CAP_SYS_ADMIN)", path);
	} else if (strcmp(f->driver, "vfio-pci")) {
		*err = -ENXIO;
		snprintf(detail, dlen, "%s %s (%04x:%04x) on %s, IOMMU group %d; not bound to "
			 "vfio-pci", hw, f->bdf, f->vendor, f->device, f->driver, f->iommu_group);
		snprintf(remedy, rlen, REMEDY_VFIO_BIND " (or keep %s and use the kernel engine)",
			 f->bdf, drv->kernel_driver);
	} else if (!vfio_group_accessible(f->iommu_group)) {
		*err = -EACCES;
		snprintf(detail, dlen, "%s %s on vfio-pci, IOMMU group %d; no read/write access to %s",
			 hw, f->bdf, f->iommu_group, path);
		snprintf(remedy, rlen, REMEDY_VFIO_ACCESS, f->bdf);
	} else if (find_holder && (holder = vfio_group_holder(f->iommu_group))) {
		*err = -EBUSY;
		snprintf(detail, dlen, "%s %s on vfio-pci, IOMMU group %d; in use by process %ld", hw,
			 f->bdf, f->iommu_group, holder);
		snprintf(remedy, rlen, "one process per function: use another function or wait for "
			 "process %ld", holder);
	} else {
		int members = vfio_group_members(f->iommu_group);

		*err = 0;
		if (noiommu)
			snprintf(detail, dlen, "%s %s (%04x:%04x) on vfio-pci, no-IOMMU mode (%s; "
				 "unsafe: the device reaches all memory; hugepage or device-dax "
				 "memory only), user-space polled mode", hw, f->bdf, f->vendor,
				 f->device, path);
		else
			snprintf(detail, dlen, "%s %s (%04x:%04x) on vfio-pci, IOMMU group %d "
				 "(%s%s), user-space polled mode", hw, f->bdf, f->vendor, f->device,
				 f->iommu_group, path, members > 1 ? ", shared with other devices" : "");
	}
	if (!*err && drv->cpu_lacks) {
		const char *fix = "";
		const char *why = drv->cpu_lacks(&fix);

		if (why) {
			*err = -ENOTSUP;
			snprintf(detail, dlen, "%s %s: %s", hw, f->bdf, why);
			snprintf(remedy, rlen, "%s", fix);
		}
	}
}

static int open_chan(struct dmacopy_engine *e, const struct vchan_driver *drv, const char *bdf)
{
	struct vchan_engine *ve;
	struct vchan *c;
	int ret = drv->open(bdf, &c);

	if (ret)
		return ret;
	ve = calloc(1, sizeof(*ve));
	if (!ve) {
		drv->close(c);
		return lib_error(-ENOMEM, "cannot allocate the engine");
	}
	ve->drv = drv;
	ve->chan = c;
	pthread_mutex_init(&ve->lock, NULL);
	drv->info(c, &ve->info);
	e->priv = ve;
	snprintf(e->name, sizeof(e->name), "%s:%s", drv->kind, ve->info.bdf);
	return 0;
}

/* "0000:00:04.0" or "00:04.0" -> "0000:00:04.0"; -EINVAL for anything else. */
static int normalize_bdf(const struct vchan_driver *drv, const char *arg, char *out, size_t len)
{
	unsigned int dom = 0, bus, dev, fn;
	int n = -1;

	if (sscanf(arg, "%4x:%2x:%2x.%1x%n", &dom, &bus, &dev, &fn, &n) != 4 ||
	    n != (int)strlen(arg)) {
		n = -1;
		dom = 0;
		if (sscanf(arg, "%2x:%2x.%1x%n", &bus, &dev, &fn, &n) != 3 || n != (int)strlen(arg))
			n = -1;
	}
	if (n < 0 || dev > 0x1f || fn > 7 || strchr(arg, ' ') || strchr(arg, '+') ||
	    strchr(arg, '-'))
		return lib_error(-EINVAL, "'%s' is not a PCI address; use DOMAIN:BUS:DEVICE.FUNCTION "
				 "as in %s (see dmacopy info)", arg, drv->example);
	snprintf(out, len, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

static int vchan_open(struct dmacopy_engine *e, const char *arg,
		      const struct dmacopy_engine_opts *opts)
{
	const struct vchan_driver *drv = e->ops->driver;
	struct vfio_pci_info f[MAX_FUNCS];
	const char *fix, *lacks = drv->cpu_lacks ? drv->cpu_lacks(&fix) : NULL;
	char why[1024] = "";
	size_t used = 0;
	unsigned int n;
	int first = 0;

	(void)opts;
	if (arg) {
		char bdf[32];
		int ret = normalize_bdf(drv, arg, bdf, sizeof(bdf));

		if (!ret && lacks)
			ret = lib_error(-ENOTSUP, "%s", lacks);
		return ret ? ret : open_chan(e, drv, bdf);
	}
	if (lacks)
		return lib_error(-ENOTSUP, "%s", lacks);
	n = drv->scan(f, MAX_FUNCS);
	if (!n)
		return lib_error(-ENODEV, "%s", drv->absent);
	if (n > MAX_FUNCS)
		n = MAX_FUNCS;
	/* The first function this process can take; the others may be busy in other processes. */
	for (unsigned int i = 0; i < n; i++) {
		char detail[256], remedy[256];
		int err;

		describe(drv, &f[i], false, detail, sizeof(detail), remedy, sizeof(remedy), &err);
		if (!err) {
			err = open_chan(e, drv, f[i].bdf);
			if (!err)
				return 0;
			snprintf(detail, sizeof(detail), "%s", dmacopy_last_error());
		}
		if (!first || first == -EBUSY)
			first = err;
		if (used < sizeof(why))
			used += (size_t)snprintf(why + used, sizeof(why) - used, "%s%s%s%s",
						 used ? "; " : "", detail, *remedy ? ": " : "",
						 remedy);
	}
	return lib_error(first, "no usable %s function: %s", drv->name, why);
}

static void vchan_close(struct dmacopy_engine *e)
{
	struct vchan_engine *ve = e->priv;

	if (!ve)
		return;
	ve->drv->close(ve->chan);
	pthread_mutex_destroy(&ve->lock);
	free(ve);
	e->priv = NULL;
}

static void vchan_caps(const struct dmacopy_engine *e, struct dmacopy_caps *caps)
{
	const struct vchan_engine *ve = e->priv;
	uint64_t max = ve->info.max_xfer * (ve->info.slots / 2);

	caps->flags = ve->info.can_fill ? DMACOPY_CAP_FILL : 0;
	caps->channels = 1;
	caps->max_transfer = max > SIZE_MAX ? SIZE_MAX : max;
	caps->hw_max_transfer = ve->info.max_xfer > UINT32_MAX ? UINT32_MAX
							       : (uint32_t)ve->info.max_xfer;
	caps->align = 1;
	caps->max_queue_depth = DMACOPY_MAX_DEPTH;
}

static void vchan_probe(const struct engine_ops *ops, struct dmacopy_engine_status *rows,
			unsigned int max, unsigned int *n)
{
	const struct vchan_driver *drv = ops->driver;
	struct vfio_pci_info f[MAX_FUNCS];
	unsigned int nf = drv->scan(f, MAX_FUNCS);
	char spec[64];

	if (!nf) {
		snprintf(spec, sizeof(spec), "%s:PCI_ADDR", drv->kind);
		status_row(rows, max, n, drv->kind, spec, -ENODEV, drv->absent, drv->absent_fix);
		return;
	}
	for (unsigned int i = 0; i < nf && i < MAX_FUNCS; i++) {
		char detail[256], remedy[256];
		int err;

		describe(drv, &f[i], true, detail, sizeof(detail), remedy, sizeof(remedy), &err);
		snprintf(spec, sizeof(spec), "%s:%.40s", drv->kind, f[i].bdf);
		status_row(rows, max, n, drv->kind, spec, err, detail, remedy);
	}
}

/* ---- registration ---------------------------------------------------------------------------- */

static int vchan_region_register(struct dmacopy_engine *e, struct dmacopy_region *r)
{
	uintptr_t ps = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t first = r->start & ~(ps - 1);
	uintptr_t end = (r->start + r->len + ps - 1) & ~(ps - 1);
	struct vchan_region *ir = calloc(1, sizeof(*ir));
	bool writable;
	uint64_t iova;
	int ret;

	(void)e;
	if (!ir)
		return lib_error(-ENOMEM, "cannot allocate the region");
	if (end < first) {
		free(ir);
		return lib_error(-EOVERFLOW, "region wraps around");
	}
	ret = vfio_dma_map_any((void *)first, end - first, true, &writable, &iova);
	if (ret) {
		free(ir);
		return ret;
	}
	r->readonly = !writable;
	ir->map_va = (void *)first;
	ir->map_iova = iova;
	ir->map_len = end - first;
	ret = vfio_dma_extents(ir->map_va, ir->map_len, iova, &ir->ext, &ir->next);
	if (ret) {
		vfio_dma_unmap(ir->map_va, ir->map_len, iova);
		free(ir);
		return lib_error(ret, "the new DMA mapping has no layout");
	}
	ir->flat = ir->next == 1;
	ir->delta = ir->ext[0].iova - ir->ext[0].off - (uintptr_t)ir->map_va;
	r->dev_flat = ir->flat;
	r->dev_delta = ir->delta;
	r->engine_priv = ir;
	return 0;
}

static void vchan_region_unregister(struct dmacopy_engine *e, struct dmacopy_region *r)
{
	struct vchan_region *ir = r->engine_priv;

	(void)e;
	if (!ir)
		return;
	vfio_dma_unmap(ir->map_va, ir->map_len, ir->map_iova);
	free(ir);
	r->engine_priv = NULL;
}

/*
 * The device address of p in region r, and in *avail how many of the len bytes from there are
 * contiguous for the device (all of them with an IOMMU).
 */
static uint64_t iova_at(const struct dmacopy_region *r, const void *p, uint64_t len,
			uint64_t *avail)
{
	const struct vchan_region *ir = r->engine_priv;
	uint64_t off = (uintptr_t)p - (uintptr_t)ir->map_va;
	const struct vfio_dma_ext *x = vfio_dma_ext_find(ir->ext, ir->next, off);
	uint64_t in = off - x->off;

	*avail = x->len - in < len ? x->len - in : len;
	return x->iova + in;
}

/*
 * The piece of an operation that starts off bytes in: its device addresses in *da (and *sa for a
 * copy) and its length, as far as both sides stay contiguous for the device.
 */
static uint64_t piece_at(uint32_t kind, const struct dmacopy_region *rd, void *dst,
			 const struct dmacopy_region *rs, const void *src, uint64_t off, uint64_t len,
			 uint64_t *da, uint64_t *sa)
{
	uint64_t n, sn;

	*da = iova_at(rd, (char *)dst + off, len - off, &n);
	if (kind == OP_COPY) {
		*sa = iova_at(rs, (const char *)src + off, len - off, &sn);
		n = sn < n ? sn : n;
	}
	return n;
}

/*
 * Build one operation as the pieces the two regions' layouts need (one piece with an IOMMU),
 * all or nothing: -ENOMEM when the ring lacks room for every piece, -E2BIG when it never could.
 */
static int build_op(struct vchan_engine *ve, uint32_t kind, const struct dmacopy_region *rd,
		    void *dst, const struct dmacopy_region *rs, const void *src, uint64_t pattern,
		    uint64_t len, uint32_t flags, void *arg)
{
	const struct vchan_driver *drv = ve->drv;
	struct vchan *c = ve->chan;
	uint64_t off, da, sa = 0, n;
	uint32_t descs = 0;
	int ret = 0;

	if (!len)
		return drv->build_copy(c, 0, 0, 0, flags, vchan_status_done, arg);
	n = piece_at(kind, rd, dst, rs, src, 0, len, &da, &sa);
	if (n == len) {
		/* One piece (always with an IOMMU): the channel checks the room. */
		if (kind == OP_FILL)
			return drv->build_fill(c, da, pattern, len, flags, vchan_status_done, arg);
		return drv->build_copy(c, da, sa, len, flags, vchan_status_done, arg);
	}
	/* Count first: a partly built operation cannot be taken back. */
	for (off = 0; off < len; off += n) {
		n = piece_at(kind, rd, dst, rs, src, off, len, &da, &sa);
		descs += drv->descs_needed(c, n);
	}
	if (descs > drv->slots_free(c)) {
		if (descs > ve->info.slots / 2)
			return lib_error(-E2BIG, "the operation needs %u descriptors (its memory is "
					 "in physically separate pieces); the ring takes %u: split it",
					 descs, ve->info.slots / 2);
		return -ENOMEM;
	}
	for (off = 0; off < len && !ret; off += n) {
		uint32_t f = off ? flags & ~VCHAN_OPF_FENCE : flags;

		n = piece_at(kind, rd, dst, rs, src, off, len, &da, &sa);
		if (off + n < len)
			f |= VCHAN_OPF_MORE;
		if (kind == OP_FILL)
			ret = drv->build_fill(c, da, vchan_fill_pattern_at(pattern, off), n, f,
					      vchan_status_done, arg);
		else
			ret = drv->build_copy(c, da, sa, n, f, vchan_status_done, arg);
	}
	return ret;
}

/* ---- queues ---------------------------------------------------------------------------------- */

static int vchan_queue_init(struct dmacopy_queue *q)
{
	struct vchan_engine *ve = q->engine->priv;
	struct vchan_queue *qp = calloc(1, sizeof(*qp));

	if (!qp)
		return lib_error(-ENOMEM, "cannot allocate the queue");
	qp->st = calloc(q->depth, sizeof(*qp->st));
	if (!qp->st) {
		free(qp);
		return lib_error(-ENOMEM, "cannot allocate the queue");
	}
	qp->hw_next = q->sq_submitted;
	q->engine_priv = qp;
	if (ve->drv->queue_init) {
		int ret = ve->drv->queue_init(ve->chan, q);

		if (ret) {
			q->engine_priv = NULL;
			free(qp->st);
			free(qp);
			return ret;
		}
	}
	return 0;
}

static void vchan_queue_fini(struct dmacopy_queue *q)
{
	struct vchan_engine *ve = q->engine->priv;
	struct vchan_queue *qp = q->engine_priv;

	if (ve->drv->queue_fini) {
		pthread_mutex_lock(&ve->lock);
		ve->drv->queue_fini(ve->chan, q);
		pthread_mutex_unlock(&ve->lock);
	}
	free(qp->st);
	free(qp);
	q->engine_priv = NULL;
}

/*
 * An operation the drivers' push fast path leaves (no bytes, not one flat copy): built here
 * through the driver's per-operation calls. Returns what build_op() does.
 */
int vchan_build_slow(struct vchan_engine *ve, const struct queue_op *op, uint32_t flags,
		     struct vchan_status *st)
{
	return build_op(ve, op->kind, op->dst_region, op->dst, op->src_region, op->src, op->pattern,
			op->len, flags, st);
}

/*
 * Post the finished operations at the head of the queue, in order: into the completion ring, or,
 * with out, straight into out (at most max; they are reaped). Their region references are
 * dropped once per run of operations on the same regions, not once per operation, and their
 * status words are cleared for the slots' next use. A word may end a run of operations
 * (vchan_st_more()); a run cut short by max leaves its rest as a word of the next slot.
 */
static ALWAYS_INLINE unsigned int harvest_to(struct dmacopy_queue *q, bool to_out,
					     struct dmacopy_completion *out, unsigned int max)
{
	struct vchan_queue *qp = q->engine_priv;
	const struct queue_op *ops = q->ops;
	struct dmacopy_completion *cqes = q->cqes;
	struct vchan_status *st = qp->st;
	struct dmacopy_region *rd = NULL, *rs = NULL;
	const uint32_t mask = q->mask, start = q->cq_tail;
	uint32_t n = 0, t = start, end = qp->hw_next;

	if (to_out && end - start > max)
		end = start + max;
	while (t != end) {
		uint64_t w = __atomic_load_n(&st[t & mask].word, __ATOMIC_ACQUIRE);
		uint32_t run;

		if (!w)
			break;
		st[t & mask].word = 0;
		/* the word's operation and the next vchan_st_more(w), as far as end */
		run = vchan_st_more(w) + 1;
		if (__builtin_expect(run > end - t, 0)) {
			run = end - t;
			st[end & mask].word = w - ((uint64_t)run << VCHAN_ST_MORE_SHIFT);
		}
		/* a run does not cross the end of the slots: its operations are contiguous */
		const struct queue_op *op = &ops[t & mask];
		struct dmacopy_completion *c = to_out ? &out[t - start] : &cqes[t & mask];

		for (const struct queue_op *stop = op + run; op != stop; op++, c++) {
			/* n operations on (rd, rs) so far: one reference each on both */
			if (__builtin_expect(op->dst_region != rd || op->src_region != rs, 0)) {
				region_put(rd, n);
				region_put(rs, n);
				rd = op->dst_region;
				rs = op->src_region;
				n = 0;
			}
			n++;
			cqe_set_word(c, op->user_data, w);
		}
		t += run;
	}
	q->cq_tail = t;
	if (to_out)
		q->cq_head = t;
	region_put(rd, n);
	region_put(rs, n);
	return t - start;
}

static unsigned int harvest(struct dmacopy_queue *q)
{
	return harvest_to(q, false, NULL, 0);
}

static int vchan_submit(struct dmacopy_queue *q)
{
	struct vchan_engine *ve = q->engine->priv;

	q->sq_submitted = q->sq_tail;
	pthread_mutex_lock(&ve->lock);
	ve->drv->push(ve->chan, q, ve);
	ve->drv->flush(ve->chan);
	pthread_mutex_unlock(&ve->lock);
	return 0;
}

static int vchan_progress(struct dmacopy_queue *q, int timeout_ms)
{
	struct vchan_engine *ve = q->engine->priv;
	long long deadline = 0; /* from the first look at the clock, after IDLE_SPINS polls */
	unsigned int spins = 0;

	for (;;) {
		pthread_mutex_lock(&ve->lock);
		ve->drv->process_events(ve->chan);
		ve->drv->push(ve->chan, q, ve);
		ve->drv->flush(ve->chan);
		pthread_mutex_unlock(&ve->lock);
		if (harvest(q) || !timeout_ms || q->cq_tail == q->sq_submitted)
			return 0;
		/* Polled mode: spin, look at the clock and let other threads run now and then. */
		if (++spins % IDLE_SPINS)
			continue;
		if (timeout_ms > 0) {
			long long now = mono_ms();

			if (!deadline)
				deadline = now + timeout_ms;
			else if (now >= deadline)
				return -ETIMEDOUT;
		}
		if (spins % 256 == 0)
			sched_yield();
	}
}

static int vchan_progress_out(struct dmacopy_queue *q, struct dmacopy_completion *out,
			      unsigned int max)
{
	struct vchan_engine *ve = q->engine->priv;

	pthread_mutex_lock(&ve->lock);
	ve->drv->process_events(ve->chan);
	ve->drv->push(ve->chan, q, ve);
	ve->drv->flush(ve->chan);
	pthread_mutex_unlock(&ve->lock);
	return (int)harvest_to(q, true, out, max);
}

/* ---- synchronous helpers --------------------------------------------------------------------- */

/* A synchronous copy or fill: built, flushed and polled until it ends. */
static int sync_op(struct dmacopy_engine *e, const struct queue_op *op)
{
	struct vchan_engine *ve = e->priv;
	struct vchan_status x = { 0 };
	uint64_t w;
	int ret;

	if (!op->len)
		return 0;
	pthread_mutex_lock(&ve->lock);
	for (;;) {
		ret = build_op(ve, op->kind, op->dst_region, op->dst, op->src_region, op->src,
			       op->pattern, op->len, 0, &x);
		if (ret != -ENOMEM)
			break;
		/* The ring is full of other queues' work: let it drain. */
		ve->drv->flush(ve->chan);
		ve->drv->process_events(ve->chan);
		pthread_mutex_unlock(&ve->lock);
		sched_yield();
		pthread_mutex_lock(&ve->lock);
	}
	if (!ret)
		ve->drv->flush(ve->chan);
	pthread_mutex_unlock(&ve->lock);
	if (ret)
		return ret;
	while (!(w = __atomic_load_n(&x.word, __ATOMIC_ACQUIRE))) {
		pthread_mutex_lock(&ve->lock);
		ve->drv->process_events(ve->chan);
		pthread_mutex_unlock(&ve->lock);
	}
	if (vchan_st_status(w))
		return lib_error(vchan_st_status(w), "the %s operation failed: %s (%s)",
				 ve->drv->name, strerror(-vchan_st_status(w)),
				 dmacopy_op_error_str(vchan_st_error(w)));
	return 0;
}


#define VCHAN_ENGINE_OPS(kind_, syntax_, drv_)                                                     \
	{                                                                                          \
		.kind = kind_,                                                                     \
		.syntax = syntax_,                                                                 \
		.cap_flags = DMACOPY_CAP_COPY | DMACOPY_CAP_NEEDS_REGISTER | DMACOPY_CAP_HARDWARE, \
		.driver = &(drv_),                                                                 \
		.open = vchan_open,                                                                \
		.close = vchan_close,                                                              \
		.caps = vchan_caps,                                                                \
		.probe = vchan_probe,                                                              \
		.region_register = vchan_region_register,                                          \
		.region_unregister = vchan_region_unregister,                                      \
		.queue_init = vchan_queue_init,                                                    \
		.queue_fini = vchan_queue_fini,                                                    \
		.submit = vchan_submit,                                                            \
		.progress = vchan_progress,                                                        \
		.progress_out = vchan_progress_out,                                                \
		.memcpy = sync_op,                                                                 \
		.fill = sync_op,                                                                   \
	}

const struct engine_ops engine_ioat_ops =
	VCHAN_ENGINE_OPS("ioat", "ioat:PCI_ADDR", ioat_vchan_driver);
const struct engine_ops engine_dsa_ops =
	VCHAN_ENGINE_OPS("dsa", "dsa[:PCI_ADDR]", dsa_vchan_driver);

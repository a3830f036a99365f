// SPDX-License-Identifier: BSD-3-Clause
/*
 * The device engines driven from user space through VFIO, polled, with no system call per copy:
 * "ioat" (Intel I/OAT, lib/ioat_chan.c) and "dsa" (Intel DSA, lib/dsa_dev.c), both on the channel
 * table of vchan.h and on lib/vfio.c.
 *
 * An engine drives one PCI function (one channel), or several ("ioat:all", "ioat:A+B"): each queue
 * then has a home channel for its operations, and one of at least the stripe threshold is split
 * into a piece per channel that run at once and end as one operation. Queues of the engine share
 * its channels: building descriptors and reading completions happen under the channel's lock, and
 * each finished operation is marked in its queue's context array; a queue moves its own marked
 * operations, in order, to its completion ring. Operations that do not fit in the descriptor ring
 * wait in the queue and are built as the ring drains.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "lock.h"
#include "vchan.h"

#define MAX_FUNCS 64
#define MAX_CHANS 16 /* functions one engine drives */
#define IDLE_SPINS 64 /* polls between two looks at the clock while waiting */
/*
 * A wait spins for its queue's spin_ns (dmacopy_queue_opts.spin_us; by default, and in the
 * synchronous calls, for the whole wait); then it sleeps between polls, each time for a
 * thirty-second of the time waited so far (at most WAIT_SLEEP_MAX_NS): small operations end while
 * it spins, and a long one (a large copy) does not hold a CPU for its whole length, and is seen
 * at most about 3% late (an eighth, before: in bench/stripe's paired rounds of 64 MiB striped
 * copies on the 7.3 guest, six boots each, 1.36-1.73x (mean 1.58x) against 1.40-1.58x (1.49x)).
 */
#define WAIT_SLEEP_MAX_NS 1000000ll
/*
 * ... except that a default wait (spin_us 0) for a striped operation spins STRIPE_SPIN_NS: such an
 * operation is large (from the stripe threshold, 4 MiB by default, up) and keeps several channels
 * busy for a long time, so polling it late by a fraction costs little, while where the channels'
 * work takes CPU (emulated ones) a polling CPU takes it from them (bench/stripe).
 */
#define STRIPE_SPIN_NS 200000ll
#define CAP_SYS_RAWIO_BIT 17
#define CAP_SYS_ADMIN_BIT 21

struct vchan_chan {
	struct vchan *chan;
	struct lib_lock lock; /* taken twice per batch: inline (lib/lock.h) */
	struct vchan_info info;
};

struct vchan_engine {
	const struct vchan_driver *drv;
	unsigned int nchan;
	struct vchan_chan ch[MAX_CHANS];
	struct vchan_info info; /* what every channel can do: the smallest sizes */
	uint64_t stripe_min;    /* operations of at least this many bytes are striped */
	unsigned int next_home; /* the home channel of the next queue or synchronous call (atomic) */
	unsigned int next_stripe; /* the first channel of the next striped operation (atomic) */
};

/*
 * A striped operation while its pieces run: it ends, with the first failed piece's status (or
 * success), when the last piece does.
 */
struct vchan_stripe {
	struct vchan_status *st; /* where the operation ends */
	uint32_t *count;         /* the queue's striped operations in flight, or NULL */
	uint32_t pending;        /* pieces not yet ended */
	uint64_t fail;           /* the first failed piece's word, 0 while none failed */
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

/* Open the function at bdf as the engine's next channel. */
static int add_chan(struct vchan_engine *ve, const char *bdf)
{
	struct vchan_chan *ch = &ve->ch[ve->nchan];
	int ret;

	for (unsigned int i = 0; i < ve->nchan; i++)
		if (!strcmp(ve->ch[i].info.bdf, bdf))
			return lib_error(-EINVAL, "%s %s is named twice", ve->drv->name, bdf);
	if (ve->nchan == MAX_CHANS)
		return lib_error(-E2BIG, "one engine drives at most %u functions", MAX_CHANS);
	ret = ve->drv->open(bdf, &ch->chan);
	if (ret)
		return ret;
	ch->lock = (struct lib_lock){ 0 };
	ve->drv->info(ch->chan, &ch->info);
	ve->nchan++;
	return 0;
}

static void close_chans(struct vchan_engine *ve)
{
	while (ve->nchan) {
		struct vchan_chan *ch = &ve->ch[--ve->nchan];

		ve->drv->close(ch->chan);
	}
}

/* The engine on its channels: what they all can do, and its name. */
static void engine_ready(struct dmacopy_engine *e, struct vchan_engine *ve)
{
	size_t used;

	ve->info = ve->ch[0].info;
	for (unsigned int i = 1; i < ve->nchan; i++) {
		const struct vchan_info *in = &ve->ch[i].info;

		if (in->max_xfer < ve->info.max_xfer)
			ve->info.max_xfer = in->max_xfer;
		if (in->slots < ve->info.slots)
			ve->info.slots = in->slots;
		ve->info.can_fill = ve->info.can_fill && in->can_fill;
	}
	if (ve->nchan < 2)
		ve->stripe_min = UINT64_MAX;
	used = (size_t)snprintf(e->name, sizeof(e->name), "%s:%s", ve->drv->kind,
				ve->ch[0].info.bdf);
	for (unsigned int i = 1; i < ve->nchan; i++) {
		size_t room = sizeof(e->name) - used, need = strlen(ve->ch[i].info.bdf) + 1;

		/* "ioat:0000:00:04.0+0000:00:04.1", or "ioat:0000:00:04.0+7 more" when too long */
		if (need + (i + 1 < ve->nchan ? 12 : 0) >= room) {
			snprintf(e->name + used, room, "+%u more", ve->nchan - i);
			break;
		}
		used += (size_t)snprintf(e->name + used, room, "+%s", ve->ch[i].info.bdf);
	}
	e->priv = ve;
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

/*
 * The functions of a spec's address part, "A" or "A+B+...", into bdf[0..*n) (normalised).
 */
static int parse_list(const struct vchan_driver *drv, const char *arg, char (*bdf)[32],
		      unsigned int *n)
{
	char list[512], *save = NULL;
	int ret = 0;

	*n = 0;
	if (strlen(arg) >= sizeof(list))
		return lib_error(-EINVAL, "'%s' is too long a list of PCI addresses", arg);
	memcpy(list, arg, strlen(arg) + 1);
	if (!*list || *list == '+' || list[strlen(list) - 1] == '+' || strstr(list, "++"))
		return lib_error(-EINVAL, "'%s' is not a PCI address or a list of them joined by '+' "
				 "as in %s+0000:00:04.1 (see dmacopy info)", arg, drv->example);
	for (char *a = strtok_r(list, "+", &save); a && !ret; a = strtok_r(NULL, "+", &save)) {
		if (*n == MAX_CHANS)
			return lib_error(-E2BIG, "one engine drives at most %u functions", MAX_CHANS);
		ret = normalize_bdf(drv, a, bdf[*n], sizeof(bdf[0]));
		if (!ret)
			++*n;
	}
	return ret;
}

/* The functions of a spec's address part, opened in that order (any failure fails the open). */
static int open_list(struct vchan_engine *ve, const char *arg)
{
	char bdf[MAX_CHANS][32];
	unsigned int n;
	int ret = parse_list(ve->drv, arg, bdf, &n);

	for (unsigned int i = 0; i < n && !ret; i++)
		ret = add_chan(ve, bdf[i]);
	return ret;
}

/*
 * No address: the first function this process can take (the others may be busy in other
 * processes); every one of them with all.
 */
static int open_free(struct vchan_engine *ve, bool all)
{
	const struct vchan_driver *drv = ve->drv;
	struct vfio_pci_info f[MAX_FUNCS];
	char why[1024] = "";
	size_t used = 0;
	unsigned int n = drv->scan(f, MAX_FUNCS);
	int first = 0;

	if (!n)
		return lib_error(-ENODEV, "%s", drv->absent);
	if (n > MAX_FUNCS)
		n = MAX_FUNCS;
	for (unsigned int i = 0; i < n && ve->nchan < MAX_CHANS; i++) {
		char detail[256], remedy[256];
		int err;

		describe(drv, &f[i], false, detail, sizeof(detail), remedy, sizeof(remedy), &err);
		if (!err) {
			err = add_chan(ve, f[i].bdf);
			if (!err && !all)
				return 0;
			if (!err)
				continue;
			snprintf(detail, sizeof(detail), "%s", dmacopy_last_error());
		}
		if (!first || first == -EBUSY)
			first = err;
		if (used < sizeof(why))
			used += (size_t)snprintf(why + used, sizeof(why) - used, "%s%s%s%s",
						 used ? "; " : "", detail, *remedy ? ": " : "",
						 remedy);
	}
	if (ve->nchan)
		return 0;
	return lib_error(first, "no usable %s function: %s", drv->name, why);
}

static int vchan_open(struct dmacopy_engine *e, const char *arg,
		      const struct dmacopy_engine_opts *opts)
{
	const struct vchan_driver *drv = e->ops->driver;
	const char *fix, *lacks = drv->cpu_lacks ? drv->cpu_lacks(&fix) : NULL;
	struct vchan_engine *ve;
	int ret;

	if (lacks) {
		char bdf[MAX_CHANS][32];
		unsigned int n;

		/* a malformed address is reported as such first */
		ret = arg && strcmp(arg, "all") ? parse_list(drv, arg, bdf, &n) : 0;
		return ret ? ret : lib_error(-ENOTSUP, "%s", lacks);
	}
	ve = calloc(1, sizeof(*ve));
	if (!ve)
		return lib_error(-ENOMEM, "cannot allocate the engine");
	ve->drv = drv;
	ve->stripe_min = opts && opts->stripe_threshold ? opts->stripe_threshold
							: DMACOPY_STRIPE_DEFAULT;
	if (!arg || !strcmp(arg, "all"))
		ret = open_free(ve, arg != NULL);
	else
		ret = open_list(ve, arg);
	if (ret) {
		close_chans(ve);
		free(ve);
		return ret;
	}
	engine_ready(e, ve);
	return 0;
}

static void vchan_close(struct dmacopy_engine *e)
{
	struct vchan_engine *ve = e->priv;

	if (!ve)
		return;
	close_chans(ve);
	free(ve);
	e->priv = NULL;
}

static void vchan_caps(const struct dmacopy_engine *e, struct dmacopy_caps *caps)
{
	const struct vchan_engine *ve = e->priv;
	uint64_t max = ve->info.max_xfer * (ve->info.slots / 2);

	caps->flags = ve->info.can_fill ? DMACOPY_CAP_FILL : 0;
	caps->channels = ve->nchan;
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

/* Descriptors the bytes [off, end) of an operation take on channel c. */
static uint32_t range_descs(const struct vchan_engine *ve, const struct vchan *c, uint32_t kind,
			    const struct dmacopy_region *rd, void *dst,
			    const struct dmacopy_region *rs, const void *src, uint64_t off,
			    uint64_t end)
{
	uint64_t n, da, sa;
	uint32_t descs = 0;

	for (; off < end; off += n) {
		n = piece_at(kind, rd, dst, rs, src, off, end, &da, &sa);
		descs += ve->drv->descs_needed(c, n);
	}
	return descs;
}

/*
 * Whether channel c has room for the bytes [off, end) of an operation (what names it in the
 * error): 0, -ENOMEM when its ring lacks room now, -E2BIG when it never has enough (more than
 * half of the ring: the operation's memory is in too many physically separate pieces).
 */
static int range_room(const struct vchan_engine *ve, const struct vchan *c, const char *what,
		      uint32_t kind, const struct dmacopy_region *rd, void *dst,
		      const struct dmacopy_region *rs, const void *src, uint64_t off, uint64_t end)
{
	uint32_t descs = range_descs(ve, c, kind, rd, dst, rs, src, off, end);

	if (descs > ve->info.slots / 2)
		return lib_error(-E2BIG, "%s needs %u descriptors (its memory is in physically "
				 "separate pieces); the ring takes %u: split it", what, descs,
				 ve->info.slots / 2);
	return descs > ve->drv->slots_free(c) ? -ENOMEM : 0;
}

/*
 * Build the bytes [off, end) of an operation on channel c, as the pieces the two regions'
 * layouts need (one piece with an IOMMU), all or nothing: first range_room() unless the caller
 * did it (room_checked). The range ends through fn(arg).
 */
static int build_range(struct vchan_engine *ve, struct vchan *c, uint32_t kind,
		       const struct dmacopy_region *rd, void *dst, const struct dmacopy_region *rs,
		       const void *src, uint64_t pattern, uint64_t off, uint64_t end,
		       uint32_t flags, bool room_checked, vchan_done_fn fn, void *arg)
{
	const struct vchan_driver *drv = ve->drv;
	uint64_t o, da, sa = 0, n;
	int ret = 0;

	n = piece_at(kind, rd, dst, rs, src, off, end, &da, &sa);
	if (off + n == end) {
		/* One piece (always with an IOMMU): the channel checks the room. */
		if (kind == OP_FILL)
			return drv->build_fill(c, da, vchan_fill_pattern_at(pattern, off), n, flags,
					       fn, arg);
		return drv->build_copy(c, da, sa, n, flags, fn, arg);
	}
	/* Count first: a partly built operation cannot be taken back. */
	if (!room_checked) {
		ret = range_room(ve, c, "the operation", kind, rd, dst, rs, src, off, end);
		if (ret)
			return ret;
	}
	for (o = off; o < end && !ret; o += n) {
		uint32_t f = o != off ? flags & ~VCHAN_OPF_FENCE : flags;

		n = piece_at(kind, rd, dst, rs, src, o, end, &da, &sa);
		if (o + n < end)
			f |= VCHAN_OPF_MORE;
		if (kind == OP_FILL)
			ret = drv->build_fill(c, da, vchan_fill_pattern_at(pattern, o), n, f, fn, arg);
		else
			ret = drv->build_copy(c, da, sa, n, f, fn, arg);
	}
	return ret;
}

/* Build one operation on channel c, to end in the status word arg; as build_range(). */
static int build_op(struct vchan_engine *ve, struct vchan *c, const struct queue_op *op,
		    uint32_t flags, void *arg)
{
	if (!op->len)
		return ve->drv->build_copy(c, 0, 0, 0, flags, vchan_status_done, arg);
	return build_range(ve, c, op->kind, op->dst_region, op->dst, op->src_region, op->src,
			   op->pattern, 0, op->len, flags, false, vchan_status_done, arg);
}

/* ---- striping -------------------------------------------------------------------------------- */

/* How many pieces op is striped into over the engine's channels (1: not striped), of *piece. */
static uint32_t stripes_of(const struct vchan_engine *ve, const struct queue_op *op,
			   uint64_t *piece)
{
	if (ve->nchan < 2 || (op->kind != OP_COPY && op->kind != OP_FILL) ||
	    (op->kind == OP_FILL && !ve->info.can_fill))
		return 1;
	return stripe_pieces(ve->nchan, ve->stripe_min, op->len, piece);
}

/* A piece of a striped operation ended: the operation ends with its last piece. */
static void stripe_done(void *arg, int status, unsigned int error)
{
	struct vchan_stripe *sp = arg;
	struct vchan_status *st = sp->st;
	uint64_t w, none = 0;

	if (status)
		__atomic_compare_exchange_n(&sp->fail, &none, vchan_st_word(status, error), false,
					    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
	if (__atomic_sub_fetch(&sp->pending, 1, __ATOMIC_ACQ_REL))
		return;
	w = __atomic_load_n(&sp->fail, __ATOMIC_ACQUIRE);
	if (sp->count)
		__atomic_sub_fetch(sp->count, 1, __ATOMIC_RELEASE);
	/* sp may be reused (or gone, for a synchronous call) once the word is out */
	__atomic_store_n(&st->word, w ? w : vchan_st_word(0, DMACOPY_OP_OK), __ATOMIC_RELEASE);
}

/*
 * Build op striped into k pieces of piece bytes over k of the engine's channels (piece i on
 * channel (first + i) % nchan, first taking the channels in turn when k < nchan), all or nothing,
 * and start them; it ends in st, through sp (count, if not NULL, counts it while it runs).
 * Returns 0, -ENOMEM when a channel lacks room now (nothing built), or an error for the
 * operation.
 */
static int stripe_build(struct vchan_engine *ve, const struct queue_op *op, uint32_t k,
			uint64_t piece, struct vchan_status *st, uint32_t *count,
			struct vchan_stripe *sp)
{
	const struct vchan_driver *drv = ve->drv;
	const unsigned int n = ve->nchan;
	const unsigned int first =
		k < n ? __atomic_fetch_add(&ve->next_stripe, 1, __ATOMIC_RELAXED) % n : 0;
	bool used[MAX_CHANS] = {false};
	uint64_t bounds[MAX_CHANS][2]; /* piece i: bytes [bounds[i][0], bounds[i][1]) */
	unsigned int c;
	int ret = 0;
	uint32_t i;

	for (i = 0; i < k; i++)
		used[(first + i) % n] = true;
	/* the channels it uses, locked in channel order: nothing else holds two */
	for (c = 0; c < n; c++)
		if (used[c])
			lib_lock(&ve->ch[c].lock);
	for (i = 0; i < k && !ret; i++) {
		uint64_t off = i * piece, end = off + piece < op->len ? off + piece : op->len;

		bounds[i][0] = off;
		bounds[i][1] = end;
		ret = range_room(ve, ve->ch[(first + i) % n].chan, "a piece of the striped operation",
				 op->kind, op->dst_region, op->dst, op->src_region, op->src, off,
				 end);
	}
	if (!ret) {
		*sp = (struct vchan_stripe){.st = st, .count = count, .pending = k};
		if (count)
			__atomic_add_fetch(count, 1, __ATOMIC_RELAXED);
		for (i = 0; i < k; i++) {
			struct vchan *ch = ve->ch[(first + i) % n].chan;
			int r = build_range(ve, ch, op->kind, op->dst_region, op->dst, op->src_region,
					    op->src, op->pattern, bounds[i][0], bounds[i][1], 0, true,
					    stripe_done, sp);

			/* the room was checked: only a device out of service fails here */
			if (r)
				stripe_done(sp, r, r == -ENODEV ? DMACOPY_OP_DEVICE_GONE
								: DMACOPY_OP_CHANNEL_ERROR);
			drv->flush(ch);
		}
	}
	for (c = n; c--;)
		if (used[c])
			lib_unlock(&ve->ch[c].lock);
	return ret;
}

/* A wait for operations to end: when it began (0: before its first look at the clock). */
struct waiter {
	long long t0;
	long long spin_ns;
	unsigned int spins;
};

/*
 * Between two polls that found nothing new: spin, look at the clock now and then, and once the
 * wait is older than its spin_ns sleep (see WAIT_SLEEP_MAX_NS). Returns the nanoseconds waited so far at a
 * look at the clock, else 0. deadline_ns: do not sleep past this long (0: no limit).
 */
static long long wait_idle(struct waiter *w, long long deadline_ns)
{
	long long now, waited, nap;

	if (++w->spins % IDLE_SPINS)
		return 0;
	now = mono_ns();
	if (!w->t0)
		w->t0 = now;
	waited = now - w->t0;
	if (waited <= w->spin_ns) {
		if (w->spins % 256 == 0)
			sched_yield();
		return waited ? waited : 1;
	}
	nap = waited / 32 < WAIT_SLEEP_MAX_NS ? waited / 32 : WAIT_SLEEP_MAX_NS;
	if (deadline_ns && waited + nap > deadline_ns)
		nap = deadline_ns > waited ? deadline_ns - waited : 0;
	if (nap > 0) {
		struct timespec ts = {.tv_sec = nap / 1000000000, .tv_nsec = nap % 1000000000};

		nanosleep(&ts, NULL);
	}
	return waited;
}

/* Start what is built and read the completions of channels [first, first + n). */
static void poll_chans(struct vchan_engine *ve, unsigned int first, unsigned int n)
{
	for (unsigned int i = first; i < first + n; i++) {
		struct vchan_chan *ch = &ve->ch[i];

		lib_lock(&ch->lock);
		ve->drv->flush(ch->chan);
		ve->drv->process_events(ch->chan);
		lib_unlock(&ch->lock);
	}
}

/* ---- queues ---------------------------------------------------------------------------------- */

static int vchan_queue_init(struct dmacopy_queue *q)
{
	struct vchan_engine *ve = q->engine->priv;
	struct vchan_queue *qp = calloc(1, sizeof(*qp));

	if (!qp)
		return lib_error(-ENOMEM, "cannot allocate the queue");
	/* one spare word after the last: a driver's run of words (vchan_st_run_word()) ends there */
	qp->st = calloc(q->depth + 1, sizeof(*qp->st));
	/* the queues take the channels in turn */
	qp->home = __atomic_fetch_add(&ve->next_home, 1, __ATOMIC_RELAXED) % ve->nchan;
	qp->fast_max = UINT64_MAX - 1;
	if (ve->nchan > 1) {
		qp->sp = calloc(q->depth, sizeof(*qp->sp));
		qp->hold_fence = DMACOPY_OP_FENCE;
		qp->fast_max = ve->stripe_min - 1;
	}
	if (!qp->st || (ve->nchan > 1 && !qp->sp)) {
		free(qp->st);
		free(qp->sp);
		free(qp);
		return lib_error(-ENOMEM, "cannot allocate the queue");
	}
	qp->hw_next = q->sq_submitted;
	q->engine_priv = qp;
	/* operations retire in order (harvest_to()) */
	q->run_refs = true;
	if (ve->drv->queue_init) {
		int ret = ve->drv->queue_init(ve->ch[qp->home].chan, q);

		if (ret) {
			q->engine_priv = NULL;
			free(qp->st);
			free(qp->sp);
			free(qp);
			return ret;
		}
	}
	/*
	 * A driver with no descriptors of its queues' own takes copies the core staged with their
	 * device addresses (OP_DEVCOPY, vchan_push()): no region is looked at when it builds them.
	 */
	if (q->emit == EMIT_NONE && !vfio_dma_physical()) {
		q->emit = EMIT_DEV;
		q->emit_max = q->max_len;
	}
	/* the core writes descriptors only for operations that are not striped */
	if (q->emit != EMIT_NONE && q->emit_max > qp->fast_max)
		q->emit_max = qp->fast_max;
	return 0;
}

static void vchan_queue_fini(struct dmacopy_queue *q)
{
	struct vchan_engine *ve = q->engine->priv;
	struct vchan_queue *qp = q->engine_priv;
	struct vchan_chan *h = &ve->ch[qp->home];

	if (ve->drv->queue_fini) {
		lib_lock(&h->lock);
		ve->drv->queue_fini(h->chan, q);
		lib_unlock(&h->lock);
	}
	free(qp->st);
	free(qp->sp);
	free(qp);
	q->engine_priv = NULL;
}

/*
 * An operation the drivers' push fast path leaves (no bytes, not one flat copy, one to stripe):
 * built here through the driver's per-operation calls, or left to stripe_next().
 */
int vchan_build_slow(struct vchan_engine *ve, struct vchan *c, const struct queue_op *op,
		     uint32_t flags, struct vchan_status *st)
{
	uint64_t piece;

	if (stripes_of(ve, op, &piece) > 1)
		return VCHAN_STRIPE;
	return build_op(ve, c, op, flags, st);
}

/*
 * Stripe the operation at queue q's hw_next over the engine's channels if it is one to stripe
 * and it can start now (a fenced one once every earlier operation of the queue was reaped, as
 * vchan_push() holds fences). True when it was built or failed: the queue moved on.
 */
static bool stripe_next(struct vchan_engine *ve, struct dmacopy_queue *q)
{
	struct vchan_queue *qp = q->engine_priv;
	const uint32_t i = qp->hw_next, slot = i & q->mask;
	const struct queue_op *op = &q->ops[slot];
	uint64_t piece;
	uint32_t k;
	int ret;

	if (op->kind == OP_EMITTED || op->kind == OP_DEVCOPY || (k = stripes_of(ve, op, &piece)) < 2 ||
	    ((op->flags & DMACOPY_OP_FENCE) && i != q->cq_tail))
		return false;
	ret = stripe_build(ve, op, k, piece, &qp->st[slot], &qp->stripes, &qp->sp[slot]);
	/* no room on a channel: drive() then reads every channel's completions until there is */
	qp->stripe_wait = ret == -ENOMEM;
	if (ret == -ENOMEM)
		return false;
	if (ret)
		vchan_status_done(&qp->st[slot], ret, DMACOPY_OP_CHANNEL_ERROR);
	qp->hw_next = i + 1;
	return true;
}

/*
 * Build and start queue q's waiting operations in order, as far as there is room and fences
 * allow: on its home channel, striped over every channel when one is to be. events: read the
 * channels' completions first (the other channels' only while the queue has striped operations
 * in flight or one waiting for room on them).
 */
static ALWAYS_INLINE void drive(struct vchan_engine *ve, struct dmacopy_queue *q, bool events)
{
	struct vchan_queue *qp = q->engine_priv;
	struct vchan_chan *h = &ve->ch[qp->home];

	if (events && (__atomic_load_n(&qp->stripes, __ATOMIC_ACQUIRE) || qp->stripe_wait)) {
		for (unsigned int i = 0; i < ve->nchan; i++)
			if (i != qp->home)
				poll_chans(ve, i, 1);
	}
	for (;;) {
		lib_lock(&h->lock);
		ve->drv->drive(h->chan, q, ve, events);
		lib_unlock(&h->lock);
		if (qp->hw_next == q->sq_submitted || ve->nchan < 2 || !stripe_next(ve, q))
			return;
		events = false;
	}
}

/* Where harvest_to() posts finished operations. */
enum harvest_mode {
	HARVEST_RING,  /* into the completion ring */
	HARVEST_OUT,   /* into out, reaped */
	HARVEST_COUNT, /* nowhere, reaped, up to the first that failed */
};

/*
 * Post the finished operations at the head of the queue, in order, as mode says (at most max
 * but into the ring). Their region references are dropped once per region run
 * (queue_runs_retire()), and their status words are cleared for the slots' next use. A word
 * may end a run of operations (vchan_st_more()); a run cut short by max leaves its rest as a
 * word of the next slot. HARVEST_COUNT leaves a word that failed as it is, for a harvest that
 * stores it, and sets *failed.
 */
static ALWAYS_INLINE unsigned int harvest_to(struct dmacopy_queue *q, enum harvest_mode mode,
					     struct dmacopy_completion *out, unsigned int max,
					     bool *failed)
{
	const bool to_out = mode != HARVEST_RING;
	struct vchan_queue *qp = q->engine_priv;
	const struct queue_op *ops = q->ops;
	struct dmacopy_completion *cqes = q->cqes;
	struct vchan_status *st = qp->st;
	const uint32_t mask = q->mask, start = q->cq_tail;
	uint32_t t = start, end = qp->hw_next;

	if (to_out && end - start > max)
		end = start + max;
	while (t != end) {
		uint64_t w = __atomic_load_n(&st[t & mask].word, __ATOMIC_ACQUIRE);
		uint32_t run;

		if (!w)
			break;
		if (mode == HARVEST_COUNT && (w & VCHAN_ST_RECORD)) {
			*failed = true;
			break;
		}
		st[t & mask].word = 0;
		/* the word's operation and the next vchan_st_more(w), as far as end */
		run = vchan_st_more(w) + 1;
		if (__builtin_expect(run > end - t, 0)) {
			run = end - t;
			st[end & mask].word = w - ((uint64_t)run << VCHAN_ST_MORE_SHIFT);
		}
		/* a run does not cross the end of the slots: its operations are contiguous */
		const struct queue_op *op = &ops[t & mask];

		for (uint32_t k = 0; mode != HARVEST_COUNT && k < run; k++, op++) {
			if (mode == HARVEST_OUT)
				cqe_set_word(&out[t - start + k], op->user_data, w);
			else
				cqe_set_word(&cqes[(t & mask) + k], op->user_data, w);
		}
		t += run;
	}
	q->cq_tail = t;
	if (to_out)
		q->cq_head = t;
	queue_runs_retire(q, start, t);
	return t - start;
}

static HOT unsigned int harvest(struct dmacopy_queue *q)
{
	return harvest_to(q, HARVEST_RING, NULL, 0, NULL);
}

static HOT_BATCH(256) int vchan_submit(struct dmacopy_queue *q)
{
	q->sq_submitted = q->sq_tail;
	drive(q->engine->priv, q, false);
	return 0;
}

static HOT_BATCH(2048) int vchan_progress(struct dmacopy_queue *q, int timeout_ms)
{
	struct vchan_engine *ve = q->engine->priv;
	/* the deadline counts from the first look at the clock, after IDLE_SPINS polls */
	long long limit = timeout_ms > 0 ? timeout_ms * 1000000ll : 0;
	struct vchan_queue *qp = q->engine_priv;
	struct waiter w = {.spin_ns = q->spin_ns};

	for (;;) {
		long long waited;

		drive(ve, q, true);
		if (harvest(q) || !timeout_ms || q->cq_tail == q->sq_submitted)
			return 0;
		/* Polled mode: spin, then sleep between polls while the wait grows long. */
		if (q->spin_ns == LLONG_MAX)
			w.spin_ns = __atomic_load_n(&qp->stripes, __ATOMIC_ACQUIRE) ? STRIPE_SPIN_NS
										     : LLONG_MAX;
		waited = wait_idle(&w, limit);
		if (limit && waited >= limit)
			return -ETIMEDOUT;
	}
}

static HOT_BATCH(2048) int vchan_progress_out(struct dmacopy_queue *q,
					      struct dmacopy_completion *out, unsigned int max)
{
	drive(q->engine->priv, q, true);
	return (int)harvest_to(q, HARVEST_OUT, out, max, NULL);
}

static HOT_BATCH(2048) int vchan_progress_count(struct dmacopy_queue *q, unsigned int max,
						bool *failed)
{
	drive(q->engine->priv, q, true);
	return (int)harvest_to(q, HARVEST_COUNT, NULL, max, failed);
}

/* ---- synchronous helpers --------------------------------------------------------------------- */

/*
 * A synchronous copy or fill: built (striped over every channel when it is large enough, else
 * on the channels in turn), started and polled until it ends.
 */
static int sync_op(struct dmacopy_engine *e, const struct queue_op *op)
{
	struct vchan_engine *ve = e->priv;
	struct vchan_status x = { 0 };
	struct vchan_stripe sp;
	struct waiter wt = {.spin_ns = LLONG_MAX};
	unsigned int first = 0, n = ve->nchan;
	uint64_t w, piece;
	uint32_t k;
	int ret;

	if (!op->len)
		return 0;
	k = stripes_of(ve, op, &piece);
	if (k < 2) {
		if (ve->nchan > 1)
			first = __atomic_fetch_add(&ve->next_home, 1, __ATOMIC_RELAXED) % ve->nchan;
		n = 1;
	}
	for (;;) {
		if (k > 1) {
			ret = stripe_build(ve, op, k, piece, &x, NULL, &sp);
		} else {
			struct vchan_chan *ch = &ve->ch[first];

			lib_lock(&ch->lock);
			ret = build_op(ve, ch->chan, op, 0, &x);
			if (!ret)
				ve->drv->flush(ch->chan);
			lib_unlock(&ch->lock);
		}
		if (ret != -ENOMEM)
			break;
		/* The rings are full of other queues' work: let them drain. */
		poll_chans(ve, first, n);
		sched_yield();
	}
	if (ret)
		return ret;
	if (k > 1)
		wt.spin_ns = STRIPE_SPIN_NS;
	while (!(w = __atomic_load_n(&x.word, __ATOMIC_ACQUIRE))) {
		poll_chans(ve, first, n);
		wait_idle(&wt, 0);
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
		.progress_count = vchan_progress_count,                                            \
		.memcpy = sync_op,                                                                 \
		.fill = sync_op,                                                                   \
	}

const struct engine_ops engine_ioat_ops =
	VCHAN_ENGINE_OPS("ioat", "ioat[:PCI_ADDR]", ioat_vchan_driver);
const struct engine_ops engine_dsa_ops =
	VCHAN_ENGINE_OPS("dsa", "dsa[:PCI_ADDR]", dsa_vchan_driver);

// SPDX-License-Identifier: BSD-3-Clause
/*
 * SPDK-compatible I/OAT channels over dmacopy's user-space I/OAT driver (lib/ioat_drv.h).
 *
 * One SPDK operation becomes one driver operation per IOVA-contiguous piece of its buffers
 * (usually one; the driver splits pieces into descriptors itself). Each operation has a record
 * in a ring indexed by build order; the driver reports pieces finished in submission order, and
 * when the last piece of an operation is reported its outcome is queued. The user's callbacks
 * run from that queue after the driver call returns, so a callback may build and flush new
 * operations on the same channel.
 *
 * Errors: SPDK's callback has no status. A failed operation's callback is not called; the
 * spdk_ioat_process_events() call that finds it returns a negative errno, and the failure is
 * kept for dmacopy_spdk_ioat_get_failure().
 */
#define _GNU_SOURCE /* PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ioat_drv.h"
#include "spdk/dmacopy_ioat.h"
#include "spdk/ioat.h"
#include "spdk_priv.h"

#define SPDK_RING_SIZE 32768u /* SPDK's ring: 1 << IOAT_DEFAULT_ORDER */
#define FAILURES_KEPT  256u
#define MAX_SCAN       256u

/* One SPDK operation in flight. */
struct op_rec {
	spdk_ioat_req_cb cb_fn;
	void *cb_arg;
	struct spdk_ioat_chan *chan;
	uint32_t pieces; /* driver operations it was built as */
	uint32_t pieces_done;
	int status; /* the first failure of a piece, or 0 */
	unsigned int error;
};

/* An operation finished, waiting for its callback. */
struct done_ent {
	spdk_ioat_req_cb cb_fn;
	void *cb_arg;
	int status;
	unsigned int error;
};

struct spdk_ioat_chan {
	struct ioat_chan *hw;
	struct spdk_pci_device *pci;
	uint32_t caps;
	uint32_t ring_size;
	bool detaching;

	struct op_rec *recs; /* ring of ring_size records, indexed by build sequence */
	uint32_t rec_head;   /* next record to use */
	uint32_t rec_tail;   /* oldest record in flight */

	struct done_ent *done; /* FIFO of finished operations, grows as needed */
	uint32_t done_cap;     /* a power of two */
	uint32_t done_head, done_tail;

	char fail_detail[192]; /* the driver's message for the latest failed piece */
	struct dmacopy_spdk_ioat_failure failures[FAILURES_KEPT];
	uint32_t fail_head, fail_tail;
	uint64_t fail_count;

	struct spdk_ioat_chan *next; /* attached channels */
};

static pthread_mutex_t ioat_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static struct spdk_pci_device *pci_devices;
static struct spdk_ioat_chan *attached;

/* ---- completion path ------------------------------------------------------------------------- */

static void record_failure(struct spdk_ioat_chan *chan, const struct done_ent *e)
{
	struct dmacopy_spdk_ioat_failure *f;

	chan->fail_count++;
	if (chan->fail_tail - chan->fail_head == FAILURES_KEPT)
		chan->fail_head++; /* drop the oldest */
	f = &chan->failures[chan->fail_tail++ % FAILURES_KEPT];
	f->cb_arg = e->cb_arg;
	f->cb_fn = e->cb_fn;
	f->status = e->status;
	f->error = e->error;
	snprintf(f->detail, sizeof(f->detail), "%s", chan->fail_detail);
	dcspdk_error(e->status,
	             "I/OAT %s: operation with cb_arg %p failed (%s, %d); its callback "
	             "is not called; driver: %s",
	             chan->pci->bdf, e->cb_arg, dmacopy_op_error_str(e->error), e->status,
	             f->detail);
}

/*
 * Room for n more finished operations, made before the driver is asked for completions: a
 * callback may submit and process events again (nested), so entries not yet delivered can pile
 * up beyond one ring. Growing here, and not while the driver retires, means running out of
 * memory loses nothing: the completions stay in the driver for a later call.
 */
static int done_reserve(struct spdk_ioat_chan *chan, uint32_t n)
{
	uint32_t used = chan->done_tail - chan->done_head, cap = chan->done_cap;
	struct done_ent *d;

	if (chan->done_cap - used >= n)
		return 0;
	while (cap - used < n)
		cap *= 2;
	d = malloc(cap * sizeof(*d));
	if (!d)
		return dcspdk_error(-ENOMEM, "I/OAT %s: no memory for %u completions; none were "
		                    "taken from the channel", chan->pci->bdf, cap);
	for (uint32_t i = 0; i < used; i++)
		d[i] = chan->done[(chan->done_head + i) & (chan->done_cap - 1)];
	free(chan->done);
	chan->done = d;
	chan->done_cap = cap;
	chan->done_head = 0;
	chan->done_tail = used;
	return 0;
}

/* done_reserve() made the room: at most one entry per record in flight is pushed per call. */
static void done_push(struct spdk_ioat_chan *chan, const struct done_ent *e)
{
	if (chan->done_tail - chan->done_head == chan->done_cap) {
		dcspdk_error(-EPROTO, "I/OAT %s: completion queue overflow (cb_arg %p)",
		             chan->pci->bdf, e->cb_arg);
		return;
	}
	chan->done[chan->done_tail++ & (chan->done_cap - 1)] = *e;
}

/* The driver's done function: called once per piece, in submission order. */
static void piece_done(void *arg, int status, unsigned int error)
{
	struct op_rec *rec = arg;
	struct spdk_ioat_chan *chan = rec->chan;
	struct done_ent e;

	if (status && !rec->status) {
		rec->status = status;
		rec->error = error;
		/* The driver explained the failure just before calling us. */
		snprintf(chan->fail_detail, sizeof(chan->fail_detail), "%s", dmacopy_last_error());
	}
	if (++rec->pieces_done < rec->pieces)
		return;
	if (rec != &chan->recs[chan->rec_tail & (chan->ring_size - 1)])
		dcspdk_error(-EPROTO, "I/OAT %s: the driver finished operations out of order",
		             chan->pci->bdf);
	chan->rec_tail++;
	if (chan->detaching)
		return;
	e.cb_fn = rec->cb_fn;
	e.cb_arg = rec->cb_arg;
	e.status = rec->status;
	e.error = rec->error;
	/* Recorded now, while fail_detail is this operation's: its pieces finish back to back. */
	if (e.status)
		record_failure(chan, &e);
	done_push(chan, &e);
}

int spdk_ioat_process_events(struct spdk_ioat_chan *chan)
{
	int rc, first_error = 0, n = 0;

	if (!chan)
		return -EINVAL;
	rc = done_reserve(chan, chan->ring_size);
	if (rc)
		return rc;
	rc = ioat_process_events(chan->hw);
	/* A callback may process events again: each entry is taken before its callback runs. */
	while (chan->done_head != chan->done_tail) {
		struct done_ent e = chan->done[chan->done_head++ & (chan->done_cap - 1)];

		if (e.status) {
			if (!first_error)
				first_error = e.status;
			continue;
		}
		n++;
		if (e.cb_fn)
			e.cb_fn(e.cb_arg);
	}
	if (rc < 0 && !first_error)
		first_error = rc;
	return first_error ? first_error : n;
}

/* ---- building operations --------------------------------------------------------------------- */

/*
 * The IOVA of base + off, and in *len how much of the *len bytes from there one mapping holds;
 * -EINVAL (with the reason) for memory that is not registered.
 */
static int piece_translate(struct spdk_ioat_chan *chan, const char *what, const void *base,
                           uint64_t off, uint64_t nbytes, uint64_t *len, uint64_t *iova)
{
	uint64_t avail;

	if (dcspdk_mem_translate((const char *)base + off, *len, iova, &avail))
		return dcspdk_error(-EINVAL,
		                    "I/OAT %s: %s %p (+%llu of %llu bytes) is not registered DMA "
		                    "memory",
		                    chan->pci->bdf, what, base, (unsigned long long)off,
		                    (unsigned long long)nbytes);
	*len = avail;
	return 0;
}

/*
 * Walk the operation's IOVA-contiguous pieces: count their descriptors into *descs (build false)
 * or build them (build true). *pieces counts the pieces walked (built). Returns 0, -EINVAL for
 * unregistered memory, or the driver's error.
 */
static int walk_pieces(struct spdk_ioat_chan *chan, enum op_kind kind, void *dst, const void *src,
                       uint64_t pattern, uint64_t nbytes, bool build, struct op_rec *rec,
                       uint64_t *descs, uint32_t *pieces)
{
	uint64_t off = 0;

	*pieces = 0;
	do {
		uint64_t diova = 0, siova = 0, len = nbytes - off;
		int rc;

		/* nbytes 0 is one NULL operation, with no address to translate (as SPDK). */
		if (len) {
			rc = piece_translate(chan, "destination", dst, off, nbytes, &len, &diova);
			if (rc)
				return rc;
		}
		if (len && kind == OP_COPY) {
			rc = piece_translate(chan, "source", src, off, nbytes, &len, &siova);
			if (rc)
				return rc;
		}
		if (!build) {
			*descs += ioat_descs_needed(chan->hw, len);
		} else {
			if (kind == OP_COPY)
				rc = ioat_build_copy(chan->hw, diova, siova, len, 0, piece_done,
				                     rec);
			else
				rc = ioat_build_fill(chan->hw, diova, vchan_fill_pattern_at(pattern, off), len,
				                     0, piece_done, rec);
			if (rc)
				return rc;
		}
		(*pieces)++;
		off += len;
	} while (off < nbytes);
	return 0;
}

static int build_op(struct spdk_ioat_chan *chan, enum op_kind kind, void *cb_arg,
                    spdk_ioat_req_cb cb_fn, void *dst, const void *src, uint64_t pattern,
                    uint64_t nbytes)
{
	struct op_rec *rec;
	uint64_t descs = 0;
	uint32_t pieces, built;
	int rc;

	if (!chan)
		return -EINVAL;
	if (kind == OP_FILL && !(chan->caps & SPDK_IOAT_ENGINE_FILL_SUPPORTED))
		return dcspdk_error(-ENOTSUP, "I/OAT %s does not support fill", chan->pci->bdf);
	if (chan->rec_head - chan->rec_tail >= chan->ring_size - 1)
		return -ENOMEM;

	/* Nothing may be built unless all of it fits: count first. */
	rc = walk_pieces(chan, kind, dst, src, pattern, nbytes, false, NULL, &descs, &pieces);
	if (rc)
		return rc;
	if (descs > ioat_ring_free(chan->hw))
		return -ENOMEM;

	rec = &chan->recs[chan->rec_head & (chan->ring_size - 1)];
	rec->cb_fn = cb_fn;
	rec->cb_arg = cb_arg;
	rec->chan = chan;
	rec->pieces = pieces;
	rec->pieces_done = 0;
	rec->status = 0;
	rec->error = 0;
	chan->rec_head++;
	rc = walk_pieces(chan, kind, dst, src, pattern, nbytes, true, rec, &descs, &built);
	if (rc || built != pieces) {
		/*
		 * Memory was unregistered meanwhile, or the driver refused a piece. Pieces already
		 * built cannot be taken back: the operation will complete as a failure.
		 */
		if (!rc)
			rc = -EIO;
		if (!built) {
			chan->rec_head--;
			return rc;
		}
		dcspdk_error(rc,
		             "I/OAT %s: building an operation failed after part of it was "
		             "built; it will be reported failed",
		             chan->pci->bdf);
		snprintf(chan->fail_detail, sizeof(chan->fail_detail),
		         "building failed after %u of %u pieces: %s", built, pieces,
		         dmacopy_strerror(rc));
		rec->pieces = built;
		rec->status = rc;
		rec->error = DMACOPY_OP_CHANNEL_ERROR;
	}
	return 0;
}

int spdk_ioat_build_copy(struct spdk_ioat_chan *chan, void *cb_arg, spdk_ioat_req_cb cb_fn,
                         void *dst, const void *src, uint64_t nbytes)
{
	return build_op(chan, OP_COPY, cb_arg, cb_fn, dst, src, 0, nbytes);
}

int spdk_ioat_build_fill(struct spdk_ioat_chan *chan, void *cb_arg, spdk_ioat_req_cb cb_fn,
                         void *dst, uint64_t fill_pattern, uint64_t nbytes)
{
	return build_op(chan, OP_FILL, cb_arg, cb_fn, dst, NULL, fill_pattern, nbytes);
}

void spdk_ioat_flush(struct spdk_ioat_chan *chan)
{
	if (chan)
		ioat_flush(chan->hw);
}

int spdk_ioat_submit_copy(struct spdk_ioat_chan *chan, void *cb_arg, spdk_ioat_req_cb cb_fn,
                          void *dst, const void *src, uint64_t nbytes)
{
	int rc = spdk_ioat_build_copy(chan, cb_arg, cb_fn, dst, src, nbytes);

	if (!rc)
		ioat_flush(chan->hw);
	return rc;
}

int spdk_ioat_submit_fill(struct spdk_ioat_chan *chan, void *cb_arg, spdk_ioat_req_cb cb_fn,
                          void *dst, uint64_t fill_pattern, uint64_t nbytes)
{
	int rc = spdk_ioat_build_fill(chan, cb_arg, cb_fn, dst, fill_pattern, nbytes);

	if (!rc)
		ioat_flush(chan->hw);
	return rc;
}

uint32_t spdk_ioat_get_dma_capabilities(struct spdk_ioat_chan *chan)
{
	return chan ? chan->caps : 0;
}

uint32_t spdk_ioat_get_max_descriptors(struct spdk_ioat_chan *chan)
{
	return chan ? chan->ring_size : 0;
}

/* ---- attach and detach ----------------------------------------------------------------------- */

static void chan_free(struct spdk_ioat_chan *chan)
{
	free(chan->recs);
	free(chan->done);
	free(chan);
}

static int chan_create(struct ioat_chan *hw, struct spdk_pci_device *pci,
                       struct spdk_ioat_chan **out)
{
	struct ioat_chan_info info;
	struct spdk_ioat_chan *chan;

	ioat_chan_get_info(hw, &info);
	if (!info.ring_size || (info.ring_size & (info.ring_size - 1)))
		return dcspdk_error(-EPROTO, "I/OAT %s: ring size %u is not a power of two",
		                    pci->bdf, info.ring_size);
	chan = calloc(1, sizeof(*chan));
	if (!chan)
		return -ENOMEM;
	chan->hw = hw;
	chan->pci = pci;
	chan->ring_size = info.ring_size;
	chan->caps = SPDK_IOAT_ENGINE_COPY_SUPPORTED |
	             (info.can_fill ? SPDK_IOAT_ENGINE_FILL_SUPPORTED : 0);
	chan->recs = calloc(chan->ring_size, sizeof(*chan->recs));
	chan->done_cap = chan->ring_size;
	chan->done = calloc(chan->done_cap, sizeof(*chan->done));
	if (!chan->recs || !chan->done) {
		chan_free(chan);
		return -ENOMEM;
	}
	*out = chan;
	return 0;
}

/* The handle of the function described by info, created on first sight. Caller holds ioat_lock. */
static struct spdk_pci_device *pci_device_get(const struct vfio_pci_info *info)
{
	struct spdk_pci_device *dev;
	char path[128];
	long long v;

	for (dev = pci_devices; dev; dev = dev->next) {
		if (!strcmp(dev->bdf, info->bdf))
			break;
	}
	if (!dev) {
		dev = calloc(1, sizeof(*dev));
		if (!dev)
			return NULL;
		snprintf(dev->bdf, sizeof(dev->bdf), "%s", info->bdf);
		if (spdk_pci_addr_parse(&dev->addr, info->bdf)) {
			free(dev);
			return NULL;
		}
		dev->next = pci_devices;
		pci_devices = dev;
	}
	dev->id.vendor_id = info->vendor;
	dev->id.device_id = info->device;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/subsystem_vendor", info->bdf);
	v = read_sysfs_ll(path, 16);
	dev->id.subvendor_id = v < 0 ? 0 : (uint16_t)v;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/subsystem_device", info->bdf);
	v = read_sysfs_ll(path, 16);
	dev->id.subdevice_id = v < 0 ? 0 : (uint16_t)v;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/class", info->bdf);
	v = read_sysfs_ll(path, 16);
	dev->id.class_id = v < 0 ? 0 : (uint32_t)v;
	dev->numa_node = info->numa_node;
	dev->iommu_group = info->iommu_group;
	return dev;
}

int spdk_ioat_probe(void *cb_ctx, spdk_ioat_probe_cb probe_cb, spdk_ioat_attach_cb attach_cb)
{
	struct vfio_pci_info *infos;
	unsigned int n;
	int ret = 0;

	if (!probe_cb || !attach_cb) {
		dcspdk_error(-EINVAL, "spdk_ioat_probe: probe_cb and attach_cb are required");
		return -1;
	}
	infos = calloc(MAX_SCAN, sizeof(*infos));
	if (!infos)
		return -1;
	pthread_mutex_lock(&ioat_lock);
	n = ioat_pci_scan(infos, MAX_SCAN);
	if (n > MAX_SCAN)
		n = MAX_SCAN;
	for (unsigned int i = 0; i < n; i++) {
		const struct vfio_pci_info *info = &infos[i];
		struct ioat_chan_opts opts = {.ring_size = SPDK_RING_SIZE};
		struct spdk_pci_device *dev;
		struct spdk_ioat_chan *chan = NULL;
		struct ioat_chan *hw = NULL;
		int rc;

		/* As SPDK: only functions given to a user-space driver are enumerated. */
		if (strcmp(info->driver, "vfio-pci"))
			continue;
		dev = pci_device_get(info);
		if (!dev) {
			ret = -1;
			break;
		}
		if (dev->chan || !dcspdk_env_pci_allowed(&dev->addr))
			continue;
		if (!probe_cb(cb_ctx, dev))
			continue;
		rc = ioat_chan_open(info->bdf, &opts, &hw);
		if (rc == -EBUSY) {
			/* Held by another process (or by this one outside this API): not ours. */
			dcspdk_error(rc, "I/OAT %s skipped: %s", info->bdf, dmacopy_last_error());
			continue;
		}
		if (rc) {
			dcspdk_error(rc, "attaching I/OAT %s failed: %s", info->bdf,
			             dmacopy_last_error());
			ret = -1;
			break;
		}
		rc = chan_create(hw, dev, &chan);
		if (rc) {
			ioat_chan_close(hw);
			ret = -1;
			break;
		}
		dev->chan = chan;
		chan->next = attached;
		attached = chan;
		attach_cb(cb_ctx, dev, chan);
	}
	pthread_mutex_unlock(&ioat_lock);
	free(infos);
	return ret;
}

void spdk_ioat_detach(struct spdk_ioat_chan *ioat)
{
	struct spdk_ioat_chan **pp;
	uint32_t left;

	if (!ioat)
		return;
	pthread_mutex_lock(&ioat_lock);
	for (pp = &attached; *pp && *pp != ioat; pp = &(*pp)->next)
		;
	if (!*pp) {
		pthread_mutex_unlock(&ioat_lock);
		dcspdk_error(-EINVAL, "spdk_ioat_detach(%p): not an attached channel",
		             (void *)ioat);
		return;
	}
	*pp = ioat->next;
	ioat->pci->chan = NULL;
	pthread_mutex_unlock(&ioat_lock);

	/* In flight, and finished but not yet delivered by spdk_ioat_process_events(). */
	left = ioat->rec_head - ioat->rec_tail + (ioat->done_tail - ioat->done_head);
	if (left)
		dcspdk_error(-EBUSY,
		             "I/OAT %s detached with %u operations outstanding or not yet "
		             "reported; their callbacks are not called",
		             ioat->pci->bdf, left);
	ioat->detaching = true;
	ioat_chan_close(ioat->hw);
	chan_free(ioat);
}

/* ---- dmacopy extensions ---------------------------------------------------------------------- */

int dmacopy_spdk_ioat_get_failure(struct spdk_ioat_chan *chan,
                                  struct dmacopy_spdk_ioat_failure *failure)
{
	if (!chan || !failure)
		return -EINVAL;
	if (chan->fail_head == chan->fail_tail)
		return 0;
	*failure = chan->failures[chan->fail_head++ % FAILURES_KEPT];
	return 1;
}

uint64_t dmacopy_spdk_ioat_failure_count(struct spdk_ioat_chan *chan)
{
	return chan ? chan->fail_count : 0;
}

uint32_t dmacopy_spdk_ioat_outstanding(struct spdk_ioat_chan *chan)
{
	return chan ? chan->rec_head - chan->rec_tail + (chan->done_tail - chan->done_head) : 0;
}

struct spdk_pci_device *dmacopy_spdk_ioat_get_pci_device(struct spdk_ioat_chan *chan)
{
	return chan ? chan->pci : NULL;
}

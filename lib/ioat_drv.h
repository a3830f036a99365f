/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The user-space I/OAT driver: VFIO device access, DMA mappings and one polled channel per PCI
 * function. Used by the "ioat" engine of libdmacopy and by the SPDK-compatible API.
 *
 * Addresses given to the data path are I/O virtual addresses (IOVAs) obtained from
 * ioat_dma_map()/ioat_dma_translate(). A channel is not thread-safe: its user serialises calls.
 * The DMA mapping calls are thread-safe.
 */
#ifndef DMACOPY_IOAT_DRV_H
#define DMACOPY_IOAT_DRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ioat_chan;

/* ---- discovery ------------------------------------------------------------------------------ */

struct ioat_pci_info {
	char bdf[32];       /* "0000:00:04.0" */
	uint16_t vendor;
	uint16_t device;
	char driver[32];    /* "vfio-pci", "ioatdma", "none", ... */
	int iommu_group;    /* -1: the device has no IOMMU group (no IOMMU enabled) */
	int numa_node;      /* -1 if unknown */
};

/*
 * List the I/OAT PCI functions of this machine (any driver), sorted by address. Fills up to max
 * entries and returns how many exist.
 */
unsigned int ioat_pci_scan(struct ioat_pci_info *out, unsigned int max);

/* ---- DMA memory (process-wide, shared by every channel) ------------------------------------- */

/*
 * Make [vaddr, vaddr + len) reachable by every I/OAT channel this process opens, now or later
 * (pins the pages). vaddr and len must be multiples of the page size. Returns 0 and the IOVA of
 * vaddr in *iova, or -errno (-EINVAL alignment, -ENOMEM, -ENOSPC no IOVA space, or what VFIO
 * said, with dmacopy_last_error() explaining). Mappings may overlap (each pins its pages).
 */
int ioat_dma_map(void *vaddr, size_t len, uint64_t *iova);

/*
 * The same for memory the device may only read (e.g. a PROT_READ mapping, which VFIO cannot pin
 * for writing). *writable says which one was made when try_rw is set: read-write if possible,
 * else read-only.
 */
int ioat_dma_map_any(void *vaddr, size_t len, bool try_rw, bool *writable, uint64_t *iova);

/* Undo the ioat_dma_map() that returned iova for this range. Returns 0, -ENOENT if not mapped. */
int ioat_dma_unmap(void *vaddr, size_t len, uint64_t iova);

/*
 * The device address of vaddr when it lies inside a mapping (a writable one if there is one), and
 * in *avail how many of the len bytes from there are contiguous for the device (all of them with
 * an IOMMU; up to the end of a physically contiguous piece without one); else -EFAULT.
 */
int ioat_dma_translate(const void *vaddr, uint64_t len, uint64_t *iova, uint64_t *avail);

/* A piece of a mapping that is contiguous for the device: bytes [off, off + len) at iova. */
struct ioat_dma_ext {
	uint64_t off;
	uint64_t iova;
	uint64_t len;
};

/* The extent of ext[0..n) (sorted by off, covering a mapping, n >= 1) that holds byte off. */
static inline const struct ioat_dma_ext *ioat_dma_ext_find(const struct ioat_dma_ext *ext,
							   unsigned int n, uint64_t off)
{
	unsigned int lo = 0, hi = n;

	while (hi - lo > 1) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (ext[mid].off <= off)
			lo = mid;
		else
			hi = mid;
	}
	return &ext[lo];
}

/*
 * The pieces of the mapping ioat_dma_map() made for this range (sorted by off, covering it): one
 * with an IOMMU. The array stays valid until the mapping is undone, while a channel is open.
 */
int ioat_dma_extents(const void *vaddr, size_t len, uint64_t iova, const struct ioat_dma_ext **ext,
		     unsigned int *n);

/* True when the channels of this process run in VFIO no-IOMMU mode (IOVAs are physical). */
bool ioat_dma_physical(void);

/* The VFIO node of an IOMMU group into path; true when it is a no-IOMMU group. */
bool ioat_group_node(int group, char *path, size_t len);

/* Whether this process has capability cap (CAP_SYS_RAWIO, CAP_SYS_ADMIN, ...) in effect. */
bool ioat_has_cap(unsigned int cap);

/* ---- channels -------------------------------------------------------------------------------- */

struct ioat_chan_opts {
	uint32_t ring_size; /* descriptors, a power of two 16..32768; 0 = 4096 */
};

/*
 * Open the I/OAT function at bdf (bound to vfio-pci): map BAR0, reset channel 0 and start it.
 * -ENODEV not an I/OAT function, -EBUSY used by another process, -EACCES permissions,
 * -ENXIO not bound to vfio-pci or no IOMMU; dmacopy_last_error() says what and how to fix it.
 */
int ioat_chan_open(const char *bdf, const struct ioat_chan_opts *opts, struct ioat_chan **out);

/* Wait (up to a second) for operations in flight, reset the channel, release everything. */
void ioat_chan_close(struct ioat_chan *c);

struct ioat_chan_info {
	char bdf[32];
	uint8_t version;        /* CBVER, e.g. 0x33 */
	uint32_t dmacap;        /* DMACAPABILITY */
	uint64_t max_desc_len;  /* 1 << XFERCAP: larger operations take several descriptors */
	uint32_t ring_size;     /* descriptors in the ring; at most ring_size - 1 in flight */
	int iommu_group;
	int numa_node;
	bool can_fill;
};

void ioat_chan_get_info(const struct ioat_chan *c, struct ioat_chan_info *info);

/*
 * Called once per operation when it is finished: status 0, or -EIO (error = DMACOPY_OP_READ_FAULT,
 * DMACOPY_OP_WRITE_FAULT or DMACOPY_OP_CHANNEL_ERROR), -ETIMEDOUT, -ENODEV. Runs inside
 * ioat_process_events() (or ioat_chan_close()).
 */
typedef void (*ioat_done_fn)(void *arg, int status, unsigned int error);

#define IOAT_OPF_FENCE 0x1u /* start only after every earlier operation of the channel is done */
/*
 * More pieces of this operation follow (built right after, before any other operation): no done
 * function runs for this piece; the operation ends with the first piece built without the flag.
 * The caller checks ioat_ring_free() for all pieces first.
 */
#define IOAT_OPF_MORE 0x2u

/* Descriptors an operation of len bytes takes (0 bytes: one, a NULL descriptor). */
uint32_t ioat_descs_needed(const struct ioat_chan *c, uint64_t len);

/* Descriptors that can be built now. */
uint32_t ioat_ring_free(const struct ioat_chan *c);

/*
 * Build one operation (dst/src are IOVAs). Nothing starts before ioat_flush(). len 0 is allowed
 * (completes with status 0, in order). Returns 0, -ENOMEM when the ring has no room for it
 * (nothing is built), -ENOTSUP fill on a channel without fill, -EINVAL bad flags.
 */
int ioat_build_copy(struct ioat_chan *c, uint64_t dst, uint64_t src, uint64_t len, uint32_t flags,
		    ioat_done_fn fn, void *arg);
int ioat_build_fill(struct ioat_chan *c, uint64_t dst, uint64_t pattern, uint64_t len,
		    uint32_t flags, ioat_done_fn fn, void *arg);

/* The pattern for a fill piece that starts off bytes into an operation filling with pattern. */
static inline uint64_t ioat_fill_pattern_at(uint64_t pattern, uint64_t off)
{
	unsigned int r = (unsigned int)(off % 8) * 8;

	return r ? pattern >> r | pattern << (64 - r) : pattern;
}

/* Ring the doorbell for everything built so far (one MMIO write; nothing if nothing is new). */
void ioat_flush(struct ioat_chan *c);

/*
 * Retire finished descriptors and call the done function of each finished operation, in
 * submission order. A halted channel (CHANERR set) fails the operation it stopped on, is reset
 * and restarted, and the operations after it run. Returns the number of operations finished
 * (>= 0), or -ENODEV when the device stopped answering (every operation was failed).
 */
int ioat_process_events(struct ioat_chan *c);

/* Operations built and not yet finished. */
uint32_t ioat_ops_outstanding(const struct ioat_chan *c);

/* Counters since open. */
struct ioat_chan_stats {
	uint64_t ops;        /* operations finished */
	uint64_t descs;      /* descriptors retired */
	uint64_t doorbells;  /* DMACOUNT writes */
	uint64_t errors;     /* operations failed */
	uint64_t restarts;   /* channel resets after a halt */
};

void ioat_chan_get_stats(const struct ioat_chan *c, struct ioat_chan_stats *st);

#endif /* DMACOPY_IOAT_DRV_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The user-space I/OAT driver: one polled channel per PCI function, over the VFIO layer (vfio.h:
 * devices and the process-wide DMA mappings). Used by the "ioat" engine of libdmacopy and by the
 * SPDK-compatible API.
 *
 * Addresses given to the data path are I/O virtual addresses (IOVAs) obtained from
 * vfio_dma_map()/vfio_dma_translate(). A channel is not thread-safe: its user serialises calls.
 */
#ifndef DMACOPY_IOAT_DRV_H
#define DMACOPY_IOAT_DRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vchan.h"
#include "vfio.h"

struct ioat_chan;

/* ---- discovery ------------------------------------------------------------------------------ */

/* I/OAT functions for vfio_dev_open(): the IDs of dmacopy/pci_ids.h, "I/OAT" in messages. */
extern const struct vfio_pci_driver ioat_pci_driver;

/*
 * List the I/OAT PCI functions of this machine (any driver), sorted by address. Fills up to max
 * entries and returns how many exist.
 */
unsigned int ioat_pci_scan(struct vfio_pci_info *out, unsigned int max);

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

/* Called once per operation when it is finished (see vchan_done_fn). */
typedef vchan_done_fn ioat_done_fn;

/* Operation flags: VCHAN_OPF_FENCE, VCHAN_OPF_MORE (see vchan.h). */
#define IOAT_OPF_FENCE VCHAN_OPF_FENCE
#define IOAT_OPF_MORE VCHAN_OPF_MORE

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

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The user-space DSA driver: one Intel Data Streaming Accelerator PCI function over the VFIO layer
 * (vfio.h), configured with one group, one engine and one dedicated work queue (WQ), polled. Used by
 * the "dsa" engine of libdmacopy.
 *
 * Descriptors go to the WQ's portal with MOVDIR64B; each asks for a completion record in DMA
 * memory, which the driver polls. Addresses given to the data path are I/O virtual addresses
 * (IOVAs) from vfio_dma_map()/vfio_dma_translate(). A device handle is not thread-safe: its user
 * serialises calls.
 */
#ifndef DMACOPY_DSA_DRV_H
#define DMACOPY_DSA_DRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfio.h"

struct dsa_dev;

/* ---- discovery ------------------------------------------------------------------------------ */

/* DSA functions for vfio_dev_open(): 8086:0b25, "DSA" in messages. */
extern const struct vfio_pci_driver dsa_pci_driver;

/* List the DSA PCI functions of this machine (any driver), sorted by address. */
unsigned int dsa_pci_scan(struct vfio_pci_info *out, unsigned int max);

/* Whether this CPU has MOVDIR64B (CPUID.(EAX=7,ECX=0):ECX bit 28), which dedicated WQs need. */
bool dsa_cpu_has_movdir64b(void);

/* ---- devices -------------------------------------------------------------------------------- */

/*
 * Open the DSA function at bdf (bound to vfio-pci): map BAR0 and the WQ's portal in BAR2, reset the
 * device, configure group 0 with engine 0 and dedicated WQ 0 (all of WQCAP's slots), enable the
 * device and the WQ. -ENOTSUP without MOVDIR64B or a device lacking what this needs, -ENODEV not a
 * DSA function or not answering, -EIO a command failed; dmacopy_last_error() says what.
 */
int dsa_dev_open(const char *bdf, struct dsa_dev **out);

/* Wait (up to a second) for operations in flight, reset the device, release everything. */
void dsa_dev_close(struct dsa_dev *d);

struct dsa_dev_info {
	char bdf[32];
	uint32_t version;      /* VERSION, e.g. 0x100 */
	uint32_t wq_size;      /* descriptors the WQ holds: at most this many in flight */
	uint64_t max_xfer;     /* bytes per descriptor: larger operations take several */
	uint32_t max_batch;    /* descriptors per batch (not used yet) */
	uint32_t engines, groups, wqs;
	int iommu_group;
	int numa_node;
	bool can_fill;
};

void dsa_dev_get_info(const struct dsa_dev *d, struct dsa_dev_info *info);

/*
 * Called once per operation when it is finished: status 0, or -EIO (error = DMACOPY_OP_READ_FAULT,
 * DMACOPY_OP_WRITE_FAULT or DMACOPY_OP_CHANNEL_ERROR), -ETIMEDOUT, -ENODEV, -ECANCELED. Runs inside
 * dsa_process_events() (or dsa_dev_close()).
 */
typedef void (*dsa_done_fn)(void *arg, int status, unsigned int error);

#define DSA_OPF_FENCE 0x1u /* start only after every earlier operation of the device is done */
/* More pieces of this operation follow (see IOAT_OPF_MORE); check dsa_slots_free() first. */
#define DSA_OPF_MORE 0x2u

/* Descriptors an operation of len bytes takes (0 bytes: one, a no-op descriptor). */
uint32_t dsa_descs_needed(const struct dsa_dev *d, uint64_t len);

/* Descriptors that can be built now. */
uint32_t dsa_slots_free(const struct dsa_dev *d);

/*
 * Build one operation (dst/src are IOVAs); it is submitted by dsa_flush(). Returns 0, -ENOMEM when
 * there is no room for it (nothing is built), -ENODEV when the device is dead.
 */
int dsa_build_copy(struct dsa_dev *d, uint64_t dst, uint64_t src, uint64_t len, uint32_t flags,
		   dsa_done_fn fn, void *arg);
int dsa_build_fill(struct dsa_dev *d, uint64_t dst, uint64_t pattern, uint64_t len, uint32_t flags,
		   dsa_done_fn fn, void *arg);

/* Submit what is built (MOVDIR64B each), as far as fences allow. */
void dsa_flush(struct dsa_dev *d);

/*
 * Read completion records and call the done function of each finished operation, in submission
 * order, then submit what waited. Returns the operations finished (>= 0) or -ENODEV.
 */
int dsa_process_events(struct dsa_dev *d);

/* Operations built and not yet finished. */
uint32_t dsa_ops_outstanding(const struct dsa_dev *d);

#endif /* DMACOPY_DSA_DRV_H */

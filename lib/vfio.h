/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFIO for the user-space drivers (I/OAT, DSA): finding their PCI functions, opening them through
 * one VFIO container per process, and the process-wide DMA mappings every device shares.
 *
 * Device addresses are I/O virtual addresses (IOVAs) from vfio_dma_map()/vfio_dma_translate():
 * IOMMU addresses, or physical ones in VFIO's no-IOMMU mode (and in the DMACOPY_IOAT_PHYS_IOVA=1
 * test mode). Every call is thread-safe.
 */
#ifndef DMACOPY_VFIO_H
#define DMACOPY_VFIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dmacopy/pci_ids.h"

/* ---- PCI functions --------------------------------------------------------------------------- */

/* A user-space driver: the functions it takes and how messages name them. */
struct vfio_pci_driver {
	const char *name;   /* "I/OAT": "I/OAT 0000:00:04.0 is bound to 'ioatdma', ..." */
	const char *family; /* "Intel I/OAT": "... is not an Intel I/OAT function" */
	const struct pci_id_range *ids;
	unsigned int nids;
};

struct vfio_pci_info {
	char bdf[32]; /* "0000:00:04.0" */
	uint16_t vendor;
	uint16_t device;
	char driver[32]; /* "vfio-pci", "ioatdma", "none", ... */
	int iommu_group; /* -1: the device has no IOMMU group (no IOMMU enabled) */
	int numa_node;   /* -1 if unknown */
};

/* The PCI function at bdf (any device): 0, -ENOENT no such function, -EINVAL not an address. */
int vfio_pci_info_of(const char *bdf, struct vfio_pci_info *info);

/*
 * List the PCI functions of this machine that ids[0..nids) name (any driver), sorted by address.
 * Fills up to max entries and returns how many exist.
 */
unsigned int vfio_pci_scan(const struct pci_id_range *ids, unsigned int nids,
                           struct vfio_pci_info *out, unsigned int max);

/* ---- IOMMU groups ---------------------------------------------------------------------------- */

/* The VFIO node of an IOMMU group into path; true when it is a no-IOMMU group. */
bool vfio_group_node(int group, char *path, size_t len);

/* Whether this process may open the group's VFIO node for reading and writing. */
bool vfio_group_accessible(int group);

/* How many devices the IOMMU group holds. */
int vfio_group_members(int group);

/* A process (not this one) that has the group's VFIO node open, or 0. Needs root to see others. */
long vfio_group_holder(int group);

/* Whether this process has capability cap (CAP_SYS_RAWIO, CAP_SYS_ADMIN, ...) in effect. */
bool vfio_has_cap(unsigned int cap);

/* ---- devices --------------------------------------------------------------------------------- */

/* An open VFIO device (fd -1 when not open). */
struct vfio_dev {
	const struct vfio_pci_driver *drv;
	struct vfio_pci_info info;
	int fd;
};

/*
 * Open the function at bdf, which must be one of drv's and bound to vfio-pci; its group joins the
 * process's container (the first one chooses the IOMMU model and replays the DMA mappings).
 * -ENODEV no such function or not drv's, -ENXIO not on vfio-pci or no IOMMU group, -EBUSY used by
 * another process, -EACCES/-EPERM permissions; dmacopy_last_error() says what and how to fix it.
 */
int vfio_dev_open(struct vfio_dev *dev, const struct vfio_pci_driver *drv, const char *bdf);

/* Close the device and leave its group (nothing when it is not open). */
void vfio_dev_close(struct vfio_dev *dev);

/* Offset (for pread/pwrite/mmap on the device fd), size and VFIO_REGION_INFO_FLAG_* of a region. */
int vfio_dev_region(const struct vfio_dev *dev, unsigned int index, uint64_t *offset,
                    uint64_t *size, uint32_t *flags);

/* Map the first len bytes of BAR bar (read-write, shared) at *out; munmap(*out, len) undoes it. */
int vfio_dev_map_bar(const struct vfio_dev *dev, unsigned int bar, size_t len, void **out);

/* Memory decoding and bus mastering on: the device cannot DMA without the latter. */
int vfio_dev_enable_bus_master(const struct vfio_dev *dev);

/* ---- DMA memory (process-wide, shared by every device) --------------------------------------- */

/*
 * Make [vaddr, vaddr + len) reachable by every device this process opens, now or later (pins the
 * pages). vaddr and len must be multiples of the page size. Returns 0 and the IOVA of vaddr in
 * *iova, or -errno (-EINVAL alignment, -ENOMEM, -ENOSPC no IOVA space, or what VFIO said, with
 * dmacopy_last_error() explaining). Mappings may overlap (each pins its pages).
 */
int vfio_dma_map(void *vaddr, size_t len, uint64_t *iova);

/*
 * The same for memory the device may only read (e.g. a PROT_READ mapping, which VFIO cannot pin
 * for writing). *writable says which one was made when try_rw is set: read-write if possible,
 * else read-only.
 */
int vfio_dma_map_any(void *vaddr, size_t len, bool try_rw, bool *writable, uint64_t *iova);

/* Undo the vfio_dma_map() that returned iova for this range. Returns 0, -ENOENT if not mapped. */
int vfio_dma_unmap(void *vaddr, size_t len, uint64_t iova);

/*
 * The device address of vaddr when it lies inside a mapping (a writable one if there is one), and
 * in *avail how many of the len bytes from there are contiguous for the device (all of them with
 * an IOMMU; up to the end of a physically contiguous piece without one); else -EFAULT.
 */
int vfio_dma_translate(const void *vaddr, uint64_t len, uint64_t *iova, uint64_t *avail);

/* A piece of a mapping that is contiguous for the device: bytes [off, off + len) at iova. */
struct vfio_dma_ext {
	uint64_t off;
	uint64_t iova;
	uint64_t len;
};

/* The extent of ext[0..n) (sorted by off, covering a mapping, n >= 1) that holds byte off. */
static inline const struct vfio_dma_ext *vfio_dma_ext_find(const struct vfio_dma_ext *ext,
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
 * The pieces of the mapping vfio_dma_map() made for this range (sorted by off, covering it): one
 * with an IOMMU. The array stays valid until the mapping is undone, while a device is open.
 */
int vfio_dma_extents(const void *vaddr, size_t len, uint64_t iova, const struct vfio_dma_ext **ext,
                     unsigned int *n);

/* True when the devices of this process work with physical addresses (no-IOMMU mode). */
bool vfio_dma_physical(void);

#endif /* DMACOPY_VFIO_H */

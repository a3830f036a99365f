/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The user-space DSA driver: one Intel Data Streaming Accelerator PCI function over the VFIO layer
 * (vfio.h), configured with one group, one engine and one dedicated work queue (WQ), polled. Its
 * data path is the channel table dsa_vchan_driver (vchan.h), which the "dsa" engine of libdmacopy
 * drives.
 *
 * Descriptors go to the WQ's portal with MOVDIR64B; completion records in DMA memory are polled.
 * Addresses given to the data path are I/O virtual addresses (IOVAs) from
 * vfio_dma_map()/vfio_dma_translate().
 */
#ifndef DMACOPY_DSA_DRV_H
#define DMACOPY_DSA_DRV_H

#include "vchan.h"
#include "vfio.h"

/* DSA functions for vfio_dev_open(): 8086:0b25, "DSA" in messages. */
extern const struct vfio_pci_driver dsa_pci_driver;

/* List the DSA PCI functions of this machine (any driver), sorted by address. */
unsigned int dsa_pci_scan(struct vfio_pci_info *out, unsigned int max);

/*
 * NULL when this CPU can submit to a dedicated WQ (it has MOVDIR64B, CPUID.(EAX=7,ECX=0):ECX
 * bit 28), else why not, with what to do in *fix.
 */
const char *dsa_cpu_lacks(const char **fix);

#endif /* DMACOPY_DSA_DRV_H */

// SPDX-License-Identifier: BSD-3-Clause
/*
 * The user-space I/OAT driver, part 1: which PCI functions are I/OAT channels. Everything else
 * about VFIO (groups, devices, DMA mappings) is lib/vfio.c's, shared with the other drivers.
 */
#include "ioat_drv.h"
#include "dmacopy/pci_ids.h"

const struct vfio_pci_driver ioat_pci_driver = {
        .name = "I/OAT",
        .family = "Intel I/OAT",
        .ids = ioat_pci_ids,
        .nids = IOAT_PCI_NIDS,
};

unsigned int ioat_pci_scan(struct vfio_pci_info *out, unsigned int max)
{
	return vfio_pci_scan(ioat_pci_ids, IOAT_PCI_NIDS, out, max);
}

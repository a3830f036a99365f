/* SPDX-License-Identifier: BSD-3-Clause */
/* Inside the user-space I/OAT driver: what the channel code needs from the VFIO code. */
#ifndef DMACOPY_IOAT_HW_H
#define DMACOPY_IOAT_HW_H

#include <stdint.h>

#include "ioat_drv.h"

/* Details of one PCI function; -ENOENT no such device, -ENODEV not I/OAT (info still filled). */
int ioat_pci_info_of(const char *bdf, struct ioat_pci_info *info);

/* Open the VFIO device of an I/OAT function bound to vfio-pci: its fd, or -errno. */
int vfio_dev_open(const char *bdf, int *group_num);
void vfio_dev_close(int fd, int group_num);
int vfio_region(int fd, unsigned int index, uint64_t *offset, uint64_t *size, uint32_t *flags);
int vfio_enable_bus_master(int fd);

#endif /* DMACOPY_IOAT_HW_H */

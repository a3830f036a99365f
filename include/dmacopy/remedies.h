/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How to fix what keeps an engine from working: one text for each situation, given by the
 * library (the remedy of a dmacopy_probe() row, the message of a failed dmacopy_engine_open())
 * and by the checks of `dmacopy info` (tools/doctor.c), so that both say the same. A text with
 * a %s takes a PCI address. The project's own header: not installed.
 */
#ifndef DMACOPY_REMEDIES_H
#define DMACOPY_REMEDIES_H

/* ---- the IOMMU ------------------------------------------------------------------------------ */

#define REMEDY_IOMMU_ON                                                                            \
	"enable VT-d/AMD-Vi in the firmware setup and boot with intel_iommu=on or amd_iommu=on"

/* ---- dmacopy.ko, the kernel engine ----------------------------------------------------------- */

/* The module is not loaded. */
#define REMEDY_KMOD_LOAD                                                                           \
	"build and load it: make kmods; sudo insmod build/kmod/$(uname -r)/kmod/dmacopy.ko (see "  \
	"docs/kernel-module.md)"

/* The module is loaded but /dev/dmacopy is missing. */
#define REMEDY_KMOD_NODE                                                                           \
	"create the node: install kmod/99-dmacopy.rules for udev, or mknod from "                  \
	"/sys/class/misc/dmacopy/dev"

/* This user cannot open /dev/dmacopy. */
#define REMEDY_KMOD_ACCESS                                                                         \
	"add the user to the 'dmacopy' group (kmod/99-dmacopy.rules) or run as root"

/* The module holds no DMA_MEMCPY channel. */
#define REMEDY_KMOD_NO_CHANNEL                                                                     \
	"load a DMA engine driver (ioatdma, idxd with a kernel work queue, ptdma); see 'dmacopy "   \
	"info'"

/* The module left its channels unused: their DMA would be bounced through swiotlb. */
#define REMEDY_KMOD_BOUNCED                                                                        \
	REMEDY_IOMMU_ON " so that the DMA engine reaches all memory without bounce buffers (and "  \
			"drop swiotlb=force)"

/* ---- VFIO, the user-space engines (ioat, dsa) ---------------------------------------------- */

/* The function (%s) is not bound to vfio-pci (dmacopy-bind loads vfio-pci when needed). */
#define REMEDY_VFIO_BIND "scripts/dmacopy-bind bind %s"

/* The function (%s) has no IOMMU group: the IOMMU is off. */
#define REMEDY_VFIO_NO_IOMMU                                                                       \
	REMEDY_IOMMU_ON ", then " REMEDY_VFIO_BIND " (or, unsafe, root only: scripts/dmacopy-bind " \
			"--noiommu bind %s)"

/* This user cannot open the VFIO group node of the function (%s). */
#define REMEDY_VFIO_ACCESS "run as root or scripts/dmacopy-bind bind --user $USER %s"

/* ---- the hardware ------------------------------------------------------------------------- */

#define REMEDY_IOAT_ABSENT                                                                         \
	"I/OAT exists on Intel Xeon platforms; enable it in the firmware setup ('Crystal Beach "   \
	"DMA' / CBDMA)"

#define REMEDY_DSA_ABSENT                                                                          \
	"DSA exists on Intel Xeon platforms from Sapphire Rapids on; enable it in the firmware "    \
	"setup"

#endif /* DMACOPY_REMEDIES_H */

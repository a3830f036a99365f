/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCI IDs of the DMA functions dmacopy recognises, for the library's user-space drivers (lib/) and
 * the CLI's inventory (tools/sysinfo.c). The project's own header: not installed.
 */
#ifndef DMACOPY_PCI_IDS_H
#define DMACOPY_PCI_IDS_H

#include <stdbool.h>
#include <stdint.h>

/* Device IDs first..last of a vendor ({0x8086, {0x0b25, 0x0b25}}). */
struct pci_id_range {
	uint16_t vendor;
	struct {
		uint16_t first, last;
	} device;
};

/* Whether (vendor, device) is one of ids[0..n). */
static inline bool pci_id_match(const struct pci_id_range *ids, unsigned int n,
                                unsigned int vendor, unsigned int device)
{
	for (unsigned int i = 0; i < n; i++) {
		if (vendor == ids[i].vendor && device >= ids[i].device.first &&
		    device <= ids[i].device.last)
			return true;
	}
	return false;
}

/*
 * Intel I/OAT (QuickData / CBDMA) channels, version 3.x: the one list (scripts/dmacopy-bind's copy
 * is checked against these lines by tests/vm/t_ioatuser_bind, so keep their form).
 */
// clang-format off
static const struct pci_id_range ioat_pci_ids[] = {
	{ 0x8086, { 0x3c20, 0x3c27 } }, { 0x8086, { 0x3c2e, 0x3c2f } }, /* Sandy Bridge EP */
	{ 0x8086, { 0x0e20, 0x0e27 } }, { 0x8086, { 0x0e2e, 0x0e2f } }, /* Ivy Bridge EP */
	{ 0x8086, { 0x2f20, 0x2f27 } }, { 0x8086, { 0x2f2e, 0x2f2f } }, /* Haswell EP */
	{ 0x8086, { 0x6f20, 0x6f27 } }, { 0x8086, { 0x6f2e, 0x6f2f } }, /* Broadwell EP */
	{ 0x8086, { 0x6f50, 0x6f53 } },                                 /* Broadwell DE */
	{ 0x8086, { 0x0c50, 0x0c53 } },                                 /* Atom C2000 */
	{ 0x8086, { 0x2021, 0x2021 } },                                 /* Skylake SP */
	{ 0x8086, { 0x0b00, 0x0b00 } },                                 /* Ice Lake SP */
};
// clang-format on

#define IOAT_PCI_NIDS (sizeof(ioat_pci_ids) / sizeof(ioat_pci_ids[0]))

/* Whether an Intel (vendor 0x8086) device ID is an I/OAT channel's. */
static inline bool ioat_pci_device_id(unsigned int id)
{
	return pci_id_match(ioat_pci_ids, IOAT_PCI_NIDS, 0x8086, id);
}

#endif /* DMACOPY_PCI_IDS_H */

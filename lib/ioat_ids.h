/* SPDX-License-Identifier: BSD-3-Clause */
/* PCI device IDs (vendor 0x8086) of Intel I/OAT (QuickData / CBDMA) channels, version 3.x. */
#ifndef DMACOPY_IOAT_IDS_H
#define DMACOPY_IOAT_IDS_H

#include <stdbool.h>

static inline bool ioat_pci_device_id(unsigned int id)
{
	static const struct {
		unsigned short first, last;
	} ranges[] = {
		{ 0x3c20, 0x3c27 }, { 0x3c2e, 0x3c2f }, /* Sandy Bridge EP */
		{ 0x0e20, 0x0e27 }, { 0x0e2e, 0x0e2f }, /* Ivy Bridge EP */
		{ 0x2f20, 0x2f27 }, { 0x2f2e, 0x2f2f }, /* Haswell EP */
		{ 0x6f20, 0x6f27 }, { 0x6f2e, 0x6f2f }, /* Broadwell EP */
		{ 0x6f50, 0x6f53 },                     /* Broadwell DE */
		{ 0x0c50, 0x0c53 },                     /* Atom C2000 */
		{ 0x2021, 0x2021 },                     /* Skylake SP */
		{ 0x0b00, 0x0b00 },                     /* Ice Lake SP */
	};

	for (unsigned int i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		if (id >= ranges[i].first && id <= ranges[i].last)
			return true;
	}
	return false;
}

#endif /* DMACOPY_IOAT_IDS_H */

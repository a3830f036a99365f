// SPDX-License-Identifier: BSD-3-Clause
/* SPDK-compatible PCI device handles and address helpers. */
#include <errno.h>
#include <stdio.h>

#include "spdk_priv.h"

struct spdk_pci_addr spdk_pci_device_get_addr(struct spdk_pci_device *dev)
{
	return dev->addr;
}

uint16_t spdk_pci_device_get_vendor_id(struct spdk_pci_device *dev)
{
	return dev->id.vendor_id;
}

uint16_t spdk_pci_device_get_device_id(struct spdk_pci_device *dev)
{
	return dev->id.device_id;
}

uint16_t spdk_pci_device_get_subvendor_id(struct spdk_pci_device *dev)
{
	return dev->id.subvendor_id;
}

uint16_t spdk_pci_device_get_subdevice_id(struct spdk_pci_device *dev)
{
	return dev->id.subdevice_id;
}

struct spdk_pci_id spdk_pci_device_get_id(struct spdk_pci_device *dev)
{
	return dev->id;
}

int spdk_pci_device_get_socket_id(struct spdk_pci_device *dev)
{
	return dev->numa_node;
}

int32_t spdk_pci_device_get_numa_id(struct spdk_pci_device *dev)
{
	return dev->numa_node;
}

const char *spdk_pci_device_get_type(const struct spdk_pci_device *dev)
{
	(void)dev;
	return "pci";
}

int spdk_pci_addr_compare(const struct spdk_pci_addr *a1, const struct spdk_pci_addr *a2)
{
	uint64_t k1 = (uint64_t)a1->domain << 24 | (uint32_t)a1->bus << 16 |
	              (uint32_t)a1->dev << 8 | a1->func;
	uint64_t k2 = (uint64_t)a2->domain << 24 | (uint32_t)a2->bus << 16 |
	              (uint32_t)a2->dev << 8 | a2->func;

	return k1 < k2 ? -1 : k1 > k2;
}

int spdk_pci_addr_parse(struct spdk_pci_addr *addr, const char *bdf)
{
	unsigned int domain = 0, bus, dev, func = 0;
	char tail;

	if (!addr || !bdf)
		return -EINVAL;
	/* The longest forms first; a trailing character means the form did not match. */
	if (sscanf(bdf, "%x:%x:%x.%x%c", &domain, &bus, &dev, &func, &tail) == 4 ||
	    sscanf(bdf, "%x.%x.%x.%x%c", &domain, &bus, &dev, &func, &tail) == 4) {
		;
	} else if (sscanf(bdf, "%x:%x:%x%c", &domain, &bus, &dev, &tail) == 3) {
		func = 0;
	} else if (sscanf(bdf, "%x:%x.%x%c", &bus, &dev, &func, &tail) == 3 ||
	           sscanf(bdf, "%x.%x.%x%c", &bus, &dev, &func, &tail) == 3) {
		domain = 0;
	} else if (sscanf(bdf, "%x:%x%c", &bus, &dev, &tail) == 2 ||
	           sscanf(bdf, "%x.%x%c", &bus, &dev, &tail) == 2) {
		domain = 0;
		func = 0;
	} else {
		return -EINVAL;
	}
	if (bus > 0xff || dev > 0x1f || func > 7)
		return -EINVAL;
	addr->domain = domain;
	addr->bus = (uint8_t)bus;
	addr->dev = (uint8_t)dev;
	addr->func = (uint8_t)func;
	return 0;
}

int spdk_pci_addr_fmt(char *bdf, size_t sz, const struct spdk_pci_addr *addr)
{
	int n = snprintf(bdf, sz, "%04x:%02x:%02x.%x", addr->domain, addr->bus, addr->dev,
	                 addr->func);

	return n > 0 && (size_t)n < sz ? 0 : -1;
}

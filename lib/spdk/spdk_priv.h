/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by the files of the SPDK-compatible layer (lib/spdk). */
#ifndef DMACOPY_SPDK_PRIV_H
#define DMACOPY_SPDK_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spdk/env.h"

/*
 * Log a message on stderr ("dmacopy-spdk: ...") and record it for dmacopy_last_error().
 * Returns err.
 */
__attribute__((format(printf, 2, 3))) int dcspdk_error(int err, const char *fmt, ...);

/*
 * Translate [vaddr, vaddr + want) (want 0 counts as 1): *iova for vaddr and, in *avail, how many
 * bytes from vaddr (at most want when want > 0) share that translation. Returns 0 or -EFAULT
 * when vaddr is not registered.
 */
int dcspdk_mem_translate(const void *vaddr, uint64_t want, uint64_t *iova, uint64_t *avail);

/* A PCI function seen by spdk_ioat_probe(); kept for the life of the process. */
struct spdk_pci_device {
	char bdf[32];
	struct spdk_pci_addr addr;
	struct spdk_pci_id id;
	int numa_node;
	int iommu_group;
	struct spdk_ioat_chan *chan; /* the attached channel, or NULL */
	struct spdk_pci_device *next;
};

/* Whether spdk_ioat_probe() may look at the function at addr (opts no_pci, allowed, blocked). */
bool dcspdk_env_pci_allowed(const struct spdk_pci_addr *addr);

#endif /* DMACOPY_SPDK_PRIV_H */

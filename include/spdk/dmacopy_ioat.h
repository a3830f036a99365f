/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dmacopy extensions to the SPDK-compatible I/OAT API: what SPDK's API cannot say (which
 * operation failed, how many are outstanding). Not part of SPDK; programs that use these
 * compile only against dmacopy.
 */
#ifndef SPDK_DMACOPY_IOAT_H
#define SPDK_DMACOPY_IOAT_H

#include "spdk/ioat.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An operation that failed; its callback was not called. */
struct dmacopy_spdk_ioat_failure {
	void *cb_arg;           /* as given to spdk_ioat_build_*() */
	spdk_ioat_req_cb cb_fn; /* as given to spdk_ioat_build_*() (not called) */
	int status;             /* -EIO, -ETIMEDOUT or -ENODEV */
	unsigned int error; /* enum dmacopy_op_error (dmacopy.h): read fault, write fault, ... */
	char detail[192];   /* what the driver said (e.g. the channel error register) */
};

/**
 * Take the oldest failure of chan not taken yet (the channel keeps the last 256). Returns 1 and
 * fills *failure, 0 when there is none, -EINVAL for NULL arguments.
 */
int dmacopy_spdk_ioat_get_failure(struct spdk_ioat_chan *chan,
                                  struct dmacopy_spdk_ioat_failure *failure);

/** Operations that failed on chan since it was attached (including ones no longer kept). */
uint64_t dmacopy_spdk_ioat_failure_count(struct spdk_ioat_chan *chan);

/** Operations built on chan whose callback has not run yet (nor been reported failed). */
uint32_t dmacopy_spdk_ioat_outstanding(struct spdk_ioat_chan *chan);

/** The PCI function behind chan. */
struct spdk_pci_device *dmacopy_spdk_ioat_get_pci_device(struct spdk_ioat_chan *chan);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_DMACOPY_IOAT_H */

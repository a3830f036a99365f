/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dmacopy's implementation of SPDK's user-space I/OAT API ("spdk/ioat.h"), on top of dmacopy's
 * VFIO I/OAT driver. Programs written for SPDK's API compile unchanged; see docs/spdk-compat.md
 * for what differs (error reporting in particular).
 *
 * The I/OAT functions must be bound to vfio-pci (scripts/dmacopy-bind) with an IOMMU enabled.
 * A channel is used by one thread at a time (calls on one channel are not serialised here);
 * spdk_ioat_probe() and spdk_ioat_detach() are thread-safe.
 */
#ifndef SPDK_IOAT_H
#define SPDK_IOAT_H

#include "spdk/stdinc.h"

#ifdef __cplusplus
extern "C" {
#endif

#include "spdk/env.h"

/** One I/OAT channel (one PCI function), returned through spdk_ioat_probe()'s attach_cb. */
struct spdk_ioat_chan;

/** Completion callback of a copy or fill; arg is the cb_arg given when it was built. */
typedef void (*spdk_ioat_req_cb)(void *arg);

/** Called once per I/OAT function found and not attached yet; return true to attach it. */
typedef bool (*spdk_ioat_probe_cb)(void *cb_ctx, struct spdk_pci_device *pci_dev);

/** Called for each function attached, with its channel. */
typedef void (*spdk_ioat_attach_cb)(void *cb_ctx, struct spdk_pci_device *pci_dev,
                                    struct spdk_ioat_chan *ioat);

/**
 * Enumerate the I/OAT functions bound to vfio-pci that this process has not attached, call
 * probe_cb for each and attach those it accepts (then attach_cb). A function already in use by
 * another process is skipped (a message on stderr). Returns 0, or -1 when attaching an accepted
 * function failed (enumeration stops there; the reason is on stderr and in dmacopy_last_error()).
 */
int spdk_ioat_probe(void *cb_ctx, spdk_ioat_probe_cb probe_cb, spdk_ioat_attach_cb attach_cb);

/**
 * Stop the channel and release it; the function can be attached again by a later probe.
 * Operations still outstanding are waited for (up to a second) but their callbacks are not called.
 */
void spdk_ioat_detach(struct spdk_ioat_chan *ioat);

/** Descriptors in the channel's ring (32768); at most one less can be outstanding. */
uint32_t spdk_ioat_get_max_descriptors(struct spdk_ioat_chan *chan);

/**
 * Build a copy of nbytes from src to dst (registered or spdk_*malloc'd memory). Nothing starts
 * before spdk_ioat_flush(). Returns 0 or a negative errno: -EINVAL when chan is NULL or src/dst
 * are not registered memory, -ENOMEM when the ring has no room for the whole copy (nothing is
 * built; process events and retry). nbytes 0 is allowed. src and dst must not overlap.
 */
int spdk_ioat_build_copy(struct spdk_ioat_chan *chan, void *cb_arg, spdk_ioat_req_cb cb_fn,
                         void *dst, const void *src, uint64_t nbytes);

/** spdk_ioat_build_copy() then spdk_ioat_flush(). */
int spdk_ioat_submit_copy(struct spdk_ioat_chan *chan, void *cb_arg, spdk_ioat_req_cb cb_fn,
                          void *dst, const void *src, uint64_t nbytes);

/**
 * Build a fill of nbytes at dst: byte i of dst becomes byte (i % 8) of fill_pattern stored
 * little-endian. Errors as spdk_ioat_build_copy(), and -ENOTSUP on a channel without fill.
 */
int spdk_ioat_build_fill(struct spdk_ioat_chan *chan, void *cb_arg, spdk_ioat_req_cb cb_fn,
                         void *dst, uint64_t fill_pattern, uint64_t nbytes);

/** spdk_ioat_build_fill() then spdk_ioat_flush(). */
int spdk_ioat_submit_fill(struct spdk_ioat_chan *chan, void *cb_arg, spdk_ioat_req_cb cb_fn,
                          void *dst, uint64_t fill_pattern, uint64_t nbytes);

/** Start everything built so far on this channel (one doorbell write). */
void spdk_ioat_flush(struct spdk_ioat_chan *chan);

/**
 * Call the callbacks of the operations that finished, in the order they were built, and return
 * how many finished (0 if none yet). When an operation failed (the device reported an error),
 * its callback is NOT called and the call returns a negative errno (-EIO, -ETIMEDOUT, -ENODEV)
 * after running the callbacks of the operations that succeeded; the failed operation's cb_arg
 * is available through dmacopy_spdk_ioat_get_failure() ("spdk/dmacopy_ioat.h"). The channel
 * keeps working after such a failure.
 */
int spdk_ioat_process_events(struct spdk_ioat_chan *chan);

enum spdk_ioat_dma_capability_flags {
	SPDK_IOAT_ENGINE_COPY_SUPPORTED = 0x1,
	SPDK_IOAT_ENGINE_FILL_SUPPORTED = 0x2,
};

/** A combination of enum spdk_ioat_dma_capability_flags (0 for NULL). */
uint32_t spdk_ioat_get_dma_capabilities(struct spdk_ioat_chan *chan);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IOAT_H */

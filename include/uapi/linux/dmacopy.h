/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note OR BSD-3-Clause */
/*
 * dmacopy.ko user ABI: memory copies through Linux dmaengine DMA_MEMCPY channels.
 *
 * Two character devices:
 *
 * /dev/ioat-dma  the reference ABI, unchanged: one synchronous copy inside a
 *                device-dax device per IOCTL_IOAT_DMA_SUBMIT.
 *
 * /dev/dmacopy   the batched ABI: register user buffers once (pinned and
 *                mapped for the DMA devices), submit batches of copies between
 *                registrations, reap completions by ioctl, read() or after
 *                poll()/epoll, each tagged with the caller's user_data.
 *
 * Every /dev/dmacopy ioctl argument starts with
 *     __u32 size;   bytes of the structure as the caller knows it
 *     __u32 flags;  request flags; unknown bits are rejected (-EINVAL)
 * The module accepts any size from the first published version of a structure
 * on: fields past what the caller passed read as zero, and bytes the module
 * does not know must be zero (else -E2BIG). Only _IOC_TYPE, _IOC_NR and
 * _IOC_DIR of a request number are matched, never its size bits, so a program
 * built with a newer header keeps working on an older module as long as it
 * only uses the older fields. Reserved fields must be zero.
 *
 * Arrays passed by pointer (operations, completions, channel entries) carry
 * their element size in an *_size field, for the same reason.
 *
 * Errors are negative errno values from ioctl(); per-operation failures are
 * reported in the completion (status, error) instead. See docs/kernel-module.md.
 */
#ifndef _UAPI_LINUX_DMACOPY_H
#define _UAPI_LINUX_DMACOPY_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* ----------------------------------------------------------------------------
 * /dev/ioat-dma: the reference ABI (layout and request number unchanged)
 */

#define IOAT_DMA_DEVICE_NAME_LEN 64

/*
 * Copy size bytes from src_offset to dst_offset inside the device-dax device
 * named by device_name (a NUL-terminated path, e.g. "/dev/dax0.0"), and return
 * when the data is in place.
 */
struct ioctl_dma_args {
	char device_name[IOAT_DMA_DEVICE_NAME_LEN];
	__u64 src_offset;
	__u64 dst_offset;
	__u64 size;
} __attribute__((packed));

#define IOCTL_IOAT_DMA_SUBMIT _IOW(0xad, 0, struct ioctl_dma_args)

/* ----------------------------------------------------------------------------
 * /dev/dmacopy
 */

#define DMACOPY_ABI_VERSION 1
#define DMACOPY_IOC_MAGIC 0xdc
#define DMACOPY_NAME_LEN 32

/* Per-operation error detail in struct dmacopy_cqe.error. */
enum dmacopy_op_error_code {
	DMACOPY_ERR_NONE = 0,
	DMACOPY_ERR_READ_FAULT = 1,	/* the engine could not read the source (-EIO) */
	DMACOPY_ERR_WRITE_FAULT = 2,	/* the engine could not write the destination (-EIO) */
	DMACOPY_ERR_ABORTED = 3,	/* dropped after an earlier failure (-ECANCELED) */
	DMACOPY_ERR_TIMEOUT = 4,	/* not finished within op_timeout_ms (-ETIMEDOUT) */
	DMACOPY_ERR_CHANNEL = 5,	/* the channel refused or failed it otherwise */
	DMACOPY_ERR_DEVICE_GONE = 6,	/* the DMA device or the memory went away (-ENODEV) */
};

/* DMACOPY_IOC_INFO: module and queue parameters. */
struct dmacopy_info {
	__u32 size;
	__u32 flags;		/* in: 0 */
	__u32 abi_version;	/* out: DMACOPY_ABI_VERSION */
	__u32 nr_channels;	/* out: channels usable now */
	__u32 max_batch;	/* out: most operations per DMACOPY_IOC_SUBMIT */
	__u32 cq_entries;	/* out: completion ring size of this queue */
	__u64 max_op_len;	/* out: largest single operation in bytes */
	__u64 max_reg_len;	/* out: largest registration in bytes */
	__u32 max_chunk;	/* out: largest descriptor the module builds */
	__u32 op_timeout_ms;	/* out: an operation not done by then fails (-ETIMEDOUT) */
	__u32 nr_bounced;	/* out: DMA channels not used: their device's DMA would be
				 * bounced through swiotlb (no IOMMU and a DMA mask that
				 * cannot reach all memory, or swiotlb=force)
				 */
	__u32 max_queues;	/* out: most queues of one session (the open file and the
				 * queues created from it)
				 */
	__u64 reserved[3];
};

/* Channel flags in struct dmacopy_channel_info.flags. */
#define DMACOPY_CHAN_SHARED	(1u << 0)	/* public channel shared with other clients */
#define DMACOPY_CHAN_OUT_OF_ORDER (1u << 1)	/* completes out of submission order */
#define DMACOPY_CHAN_STALLED	(1u << 2)	/* an operation timed out on it: used last */

/* One channel the module holds (DMACOPY_IOC_CHANNELS). */
struct dmacopy_channel_info {
	char name[DMACOPY_NAME_LEN];	/* dmaengine name, e.g. "dma0chan0" */
	char driver[DMACOPY_NAME_LEN];	/* DMA device's driver, e.g. "ioatdma" */
	char device[DMACOPY_NAME_LEN];	/* DMA device, e.g. "0000:00:04.0" */
	__u32 id;			/* the module's channel number (as in stats) */
	__s32 numa_node;		/* -1 when unknown */
	__u32 flags;			/* DMACOPY_CHAN_* */
	__u32 reserved;
};

/* Per-channel counters (DMACOPY_IOC_STATS); also in debugfs dmacopy/channels. */
struct dmacopy_channel_stats {
	__u32 id;		/* as in struct dmacopy_channel_info */
	__u32 reserved;
	__u64 ops;		/* operations finished successfully */
	__u64 bytes;		/* bytes those operations copied */
	__u64 errors;		/* operations that failed (any reason) */
	__u64 read_faults;
	__u64 write_faults;
	__u64 aborted;
	__u64 timeouts;
	__u64 descriptors;	/* descriptors submitted */
	__u64 inflight;		/* descriptors in flight now */
};

/*
 * DMACOPY_IOC_CHANNELS / DMACOPY_IOC_STATS: fill an array. count is in: the
 * room in entries[], out: how many channels exist (may exceed the room; then
 * only the first ones are written). entries may be 0 when count is 0.
 */
struct dmacopy_channels {
	__u32 size;
	__u32 flags;		/* in: 0 */
	__u32 count;		/* in/out */
	__u32 entry_size;	/* in: sizeof the entry structure */
	__u64 entries;		/* in: user pointer to the array */
};

/* DMACOPY_IOC_REGISTER flags. */
#define DMACOPY_REG_READONLY	(1u << 0)	/* only ever a source; pin without write access */

/*
 * DMACOPY_IOC_REGISTER: pin [addr, addr + len) of the caller's memory (anonymous,
 * hugetlbfs, shared memory or a device-dax mapping) and return a handle. The
 * pages are charged to the calling user (as io_uring does) and checked against
 * RLIMIT_MEMLOCK unless CAP_IPC_LOCK. A writable registration of a shared
 * mapping of an ordinary file (page cache) fails with -EOPNOTSUPP: DMA behind
 * the file system's back corrupts files. A range mapping device-dax must map
 * that one device-dax device only (-EINVAL).
 *
 * A /dev/dmacopy session belongs to the process (mm) that opened it: REGISTER,
 * UNREGISTER, SUBMIT and QUEUE_CREATE from any other process (a child after
 * fork(), a program after execve() of a descriptor without O_CLOEXEC, a
 * receiver of the descriptor over a socket) fail with -EPERM.
 */
struct dmacopy_register {
	__u32 size;
	__u32 flags;		/* in: DMACOPY_REG_* */
	__u64 addr;		/* in: start (any alignment) */
	__u64 len;		/* in: bytes, > 0 */
	__u32 handle;		/* out: non-zero */
	__s32 numa_node;	/* out: NUMA node of the first page */
	__u64 reserved[2];
};

/* DMACOPY_IOC_UNREGISTER: fails with -EBUSY while an operation uses it. */
struct dmacopy_unregister {
	__u32 size;
	__u32 flags;		/* in: 0 */
	__u32 handle;
	__u32 reserved;
};

/* One copy in a DMACOPY_IOC_SUBMIT batch (48 bytes). */
struct dmacopy_sqe {
	__u64 user_data;	/* returned in the completion */
	__u32 dst_handle;
	__u32 src_handle;
	__u64 dst_offset;	/* from the registration's addr */
	__u64 src_offset;
	__u64 len;		/* > 0 */
	__u32 flags;		/* 0 */
	__u32 reserved;
};

/*
 * DMACOPY_IOC_SUBMIT: start count operations. Every operation is checked first;
 * if one is invalid nothing is started, the ioctl fails and error_index names
 * it. Otherwise every operation produces exactly one completion. Fails with
 * -ENOSPC when the completion ring could not hold them (reap first).
 */
struct dmacopy_submit {
	__u32 size;
	__u32 flags;		/* in: 0 */
	__u32 count;		/* in: 1..max_batch */
	__u32 sqe_size;		/* in: sizeof(struct dmacopy_sqe) */
	__u64 sqes;		/* in: user pointer to count operations */
	__u32 error_index;	/* out: the operation that failed the checks */
	__u32 reserved;
};

/* A completion: also the record read() returns. */
struct dmacopy_cqe {
	__u64 user_data;
	__s32 status;		/* 0 or a negative errno */
	__u16 error;		/* enum dmacopy_op_error_code */
	__u16 reserved;
};

/*
 * DMACOPY_IOC_REAP: copy up to max completions, never blocking.
 * DMACOPY_IOC_WAIT: block until at least min completions are ready (then copy up
 * to max; max 0 copies none) or timeout_ns passes (< 0: no limit); -EINVAL if
 * min exceeds what is in flight plus ready. Both return the number copied
 * (also in count). A completion leaves the ring only once it was copied.
 */
struct dmacopy_reap {
	__u32 size;
	__u32 flags;		/* in: 0 */
	__u32 max;		/* in: room in cqes[] */
	__u32 min;		/* in: WAIT only (REAP: 0) */
	__u64 cqes;		/* in: user pointer */
	__s64 timeout_ns;	/* in: WAIT only (REAP: 0) */
	__u32 cqe_size;		/* in: sizeof(struct dmacopy_cqe) */
	__u32 count;		/* out */
};

/*
 * DMACOPY_IOC_QUEUE_CREATE: a new file descriptor (close-on-exec) with its own
 * completion ring, sharing this descriptor's registrations. channel: "" for
 * any channel, else the name of the one channel this queue uses. Fails with
 * -ENOSPC when the session already has max_queues queues (dmacopy_info) or its
 * rings would hold more than the module's session_cq_entries completions in
 * total; the rings are charged to the caller's memory cgroup.
 */
struct dmacopy_queue_create {
	__u32 size;
	__u32 flags;		/* in: 0 */
	__u32 cq_entries;	/* in: 0 = default; rounded up to a power of two */
	__s32 fd;		/* out */
	char channel[DMACOPY_NAME_LEN];
};

#define DMACOPY_IOC_INFO	 _IOWR(DMACOPY_IOC_MAGIC, 0x00, struct dmacopy_info)
#define DMACOPY_IOC_CHANNELS	 _IOWR(DMACOPY_IOC_MAGIC, 0x01, struct dmacopy_channels)
#define DMACOPY_IOC_STATS	 _IOWR(DMACOPY_IOC_MAGIC, 0x02, struct dmacopy_channels)
#define DMACOPY_IOC_REGISTER	 _IOWR(DMACOPY_IOC_MAGIC, 0x03, struct dmacopy_register)
#define DMACOPY_IOC_UNREGISTER	 _IOW(DMACOPY_IOC_MAGIC, 0x04, struct dmacopy_unregister)
#define DMACOPY_IOC_SUBMIT	 _IOWR(DMACOPY_IOC_MAGIC, 0x05, struct dmacopy_submit)
#define DMACOPY_IOC_REAP	 _IOWR(DMACOPY_IOC_MAGIC, 0x06, struct dmacopy_reap)
#define DMACOPY_IOC_WAIT	 _IOWR(DMACOPY_IOC_MAGIC, 0x07, struct dmacopy_reap)
#define DMACOPY_IOC_QUEUE_CREATE _IOWR(DMACOPY_IOC_MAGIC, 0x08, struct dmacopy_queue_create)

#endif /* _UAPI_LINUX_DMACOPY_H */

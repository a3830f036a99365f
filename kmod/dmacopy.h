/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dmacopy.ko internals: channels, registrations, queues and operations.
 *
 * Object lifetimes (every arrow holds a reference):
 *
 *   file ─> queue ─> session ─> registration (xarray handle)
 *   operation ─> its channel, queue and registrations
 *   channel ─> DMA device (dmadev)
 *
 * An operation lives from submission until its last descriptor callback ran.
 * If the engine does not finish it within op_timeout_ms, the operation is
 * completed to user space with -ETIMEDOUT but its memory stays pinned and
 * mapped (it becomes an orphan, holding a module reference) until the
 * engine's callback finally runs or the DMA device's driver is unbound: a
 * descriptor that may still run must never write into unpinned memory.
 *
 * Files, each using only those below it:
 *
 *   dmacopy_main.c     misc devices, /dev/dmacopy file operations, init/exit
 *   dmacopy_stats.c    queries, statistics, debugfs
 *   dmacopy_legacy.c   /dev/ioat-dma
 *   dmacopy_batch.c    sessions, queues, operations
 *   dmacopy_chan.c     channels and DMA devices; what the layers above must do
 *                      when a device's driver is gone is passed to
 *                      dmacopy_chans_init() by dmacopy_main.c
 *   dmacopy_pin.c      registrations
 *   dmacopy_common.c   module parameters, module-wide objects, ioctl helpers
 */
#ifndef DMACOPY_INTERNAL_H
#define DMACOPY_INTERNAL_H

#include <linux/atomic.h>
#include <linux/dma-direction.h>
#include <linux/dmaengine.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <uapi/linux/dmacopy.h>

#include "dmacopy_compat.h"

#define DMACOPY_MAX_DMADEVS	16	/* DMA devices mapped at once */
#define DMACOPY_MAX_CQ		65536	/* largest completion ring */

/* Module parameters (dmacopy_common.c). */
extern unsigned int dmacopy_op_timeout_ms;
extern unsigned int dmacopy_max_batch;
extern unsigned int dmacopy_cq_entries;
extern unsigned int dmacopy_max_chunk;
extern unsigned int dmacopy_max_channels;
extern unsigned int dmacopy_max_reg_mb;
extern unsigned int dmacopy_max_queues;
extern unsigned int dmacopy_session_cq_entries;
extern bool dmacopy_longterm_pin;

/* Module-wide objects (dmacopy_common.c), set up by dmacopy_main.c's init. */
extern struct workqueue_struct *dmacopy_wq;
extern struct kmem_cache *dmacopy_op_cache;
extern struct device *dmacopy_dev;	/* for dev_dbg() and friends */

/* Read a versioned ioctl argument: size field first, then the whole struct. */
int dmacopy_copy_arg(void *karg, size_t ksize, size_t minsize, const void __user *uarg,
		     u32 *usize);
int dmacopy_copy_arg_out(void __user *uarg, u32 usize, const void *karg, size_t ksize);

/* ---- DMA devices and channels (dmacopy_chan.c) ------------------------- */

struct dmacopy_dmadev {
	struct kref ref;		/* channels, and an unbind in progress */
	struct work_struct free_work;
	struct device *dev;		/* the DMA device (get_device) */
	unsigned int id;		/* index of registrations' mappings */
	bool gone;			/* its driver is being unbound */
	bool stopped;			/* its driver is unbound: no more callbacks */
};

struct dmacopy_chan_counters {
	atomic64_t ops;
	atomic64_t bytes;
	atomic64_t errors;
	atomic64_t read_faults;
	atomic64_t write_faults;
	atomic64_t aborted;
	atomic64_t timeouts;
	atomic64_t descriptors;
};

struct dmacopy_chan {
	struct list_head node;		/* dmacopy_chans, under dmacopy_chans_rwsem */
	struct kref ref;
	struct dma_chan *chan;		/* NULL once given back */
	struct dmacopy_dmadev *dd;
	u32 id;
	int nid;			/* NUMA node, NUMA_NO_NODE if unknown */
	bool shared;			/* public channel (dma_find_channel) */
	bool out_of_order;
	bool dead;			/* under dmacopy_chans_rwsem (write) */
	bool going;			/* refused a submission as going away (idxd) */
	bool stalled;			/* an operation timed out on it */
	unsigned int max_len;		/* descriptor limit, lowered when it refuses one */
	atomic_t inflight;		/* descriptors submitted, callback pending */
	wait_queue_head_t wq;		/* inflight went down */
	char name[DMACOPY_NAME_LEN];
	char driver[DMACOPY_NAME_LEN];
	char device[DMACOPY_NAME_LEN];
	struct dmacopy_chan_counters st;
};

extern struct rw_semaphore dmacopy_chans_rwsem;
extern struct list_head dmacopy_chans;

/*
 * release_orphans(dd): dd's driver is unbound and no callback can come any
 * more; the operations still holding dd's channels must be released.
 */
int dmacopy_chans_init(void (*release_orphans)(struct dmacopy_dmadev *dd));
void dmacopy_chans_exit(void);
void dmacopy_chans_rescan(bool force);
void dmacopy_chans_maybe_rescan(void);
unsigned int dmacopy_chans_count(void);
unsigned int dmacopy_chans_bounced(void);
struct dmacopy_chan *dmacopy_chan_pick(int node, u32 *rr);
struct dmacopy_chan *dmacopy_chan_get_by_name(const char *name);
void dmacopy_chan_put(struct dmacopy_chan *c);
u32 dmacopy_chan_flags(struct dmacopy_chan *c);
void dmacopy_chan_limit(struct dmacopy_chan *c, size_t refused);

/* Not retired, and not known to be going away: give it work. */
static inline bool dmacopy_chan_usable(struct dmacopy_chan *c)
{
	return !READ_ONCE(c->dead) && !READ_ONCE(c->going);
}

/* ---- registrations (dmacopy_pin.c) -------------------------------------- */

/* A run of physically contiguous pinned pages. */
struct dmacopy_seg {
	u64 start;			/* byte offset from the first page's start */
	u64 len;
	unsigned long page;		/* index of its first page */
};

/* A registration's segments mapped for one DMA device. */
struct dmacopy_map_ent {
	dma_addr_t addr;
	u64 len;
};

struct dmacopy_map {
	struct dmacopy_map *next;	/* on a list of maps being torn down */
	struct device *dev;
	enum dma_data_direction dir;	/* DMA_TO_DEVICE for read-only registrations */
	unsigned int nsegs;
	struct dmacopy_map_ent ent[];
};

struct dmacopy_reg {
	struct kref ref;
	struct rcu_head rcu;
	struct work_struct free_work;	/* last reference dropped in atomic context */
	struct work_struct release_work; /* dead and idle: unpin now */
	struct list_head node;		/* all registrations */
	struct list_head dax_node;	/* device-dax registrations */
	struct list_head kill_node;	/* device-dax unbind in progress */
	spinlock_t lock;		/* busy, dead, release_on_idle */
	unsigned int busy;		/* operations in flight that use it */
	bool dead;			/* memory went away: refuse new operations */
	bool release_on_idle;		/* unpin as soon as busy drops to 0 */
	bool readonly;
	bool dax_watched;		/* on the device-dax unbind watch list */
	unsigned long accounted;	/* pages counted in mm->pinned_vm */
	struct user_struct *user;	/* user charged r->accounted pages of locked_vm, or NULL */
	u64 addr;			/* user address it was registered at */
	u64 len;
	unsigned int pgoff;		/* addr's offset in its first page */
	int nid;
	struct mm_struct *mm;		/* mmgrab()ed */
	struct mutex backing_lock;	/* pages, maps, pins */
	struct page **pages;
	unsigned long npages;		/* pinned pages (0 once released) */
	struct dmacopy_seg *segs;
	unsigned int nsegs;
	struct dmacopy_map __rcu *maps[DMACOPY_MAX_DMADEVS];
	struct file *dax_file;		/* device-dax registrations only */
	struct device *dax_dev;
	struct dev_pagemap *pgmap;
};

struct device *dmacopy_dax_device(struct file *f);
struct dmacopy_reg *dmacopy_reg_create(u64 addr, u64 len, u32 flags, bool legacy);
void dmacopy_reg_put(struct dmacopy_reg *r);
void dmacopy_reg_put_async(struct dmacopy_reg *r);
int dmacopy_reg_get_busy(struct dmacopy_reg *r);
void dmacopy_reg_put_busy(struct dmacopy_reg *r);
struct dmacopy_map *dmacopy_reg_map(struct dmacopy_reg *r, struct dmacopy_dmadev *dd);
unsigned int dmacopy_reg_find_seg(const struct dmacopy_reg *r, u64 off);
void dmacopy_regs_unmap_dev(struct dmacopy_dmadev *dd);
void dmacopy_pin_status(struct seq_file *m);

/* ---- sessions, queues, operations (dmacopy_batch.c) -------------------- */

struct dmacopy_session {
	struct kref ref;
	struct mutex lock;		/* serialises register/unregister; queue counts */
	struct xarray regs;		/* handle -> struct dmacopy_reg */
	struct mm_struct *mm;		/* the opener's (mmgrab): the only one served */
	unsigned int nqueues;		/* queues on it, under lock */
	u32 cq_total;			/* their ring entries, under lock */
};

/* The session's state may only be changed from the process that opened it. */
static inline bool dmacopy_session_owner(const struct dmacopy_session *s)
{
	return current->mm == s->mm;
}

struct dmacopy_queue {
	struct kref ref;		/* the file (or legacy caller) + operations */
	struct dmacopy_session *s;
	spinlock_t lock;		/* everything below */
	struct list_head inflight;	/* operations in submission order */
	u32 ninflight;
	u32 reserved;			/* ring slots promised to a submission */
	struct dmacopy_cqe *cq;
	u32 cq_size;			/* power of two */
	u32 cq_head;
	u32 cq_tail;
	bool closing;
	wait_queue_head_t wq;
	struct mutex reap_lock;		/* one reaper at a time */
	struct delayed_work timeout_work;
	struct work_struct free_work;
	struct dmacopy_chan *bound;	/* NULL: any channel */
	u32 rr;				/* round-robin cursor */
};

enum dmacopy_op_state {
	DMACOPY_OP_INFLIGHT,
	DMACOPY_OP_TIMEDOUT,		/* completed to user space, engine may still run it */
};

struct dmacopy_op {
	struct list_head node;		/* queue's inflight list, then dmacopy_orphans */
	struct work_struct free_work;
	struct dmacopy_queue *q;
	struct dmacopy_reg *src;
	struct dmacopy_reg *dst;
	struct dmacopy_chan *chan;
	u64 user_data;
	u64 src_off;
	u64 dst_off;
	u64 len;
	unsigned long deadline;		/* jiffies */
	atomic_t pending;		/* descriptors in flight + 1 while submitting */
	atomic_t status;		/* first failure, 0 if none */
	u16 error;			/* enum dmacopy_op_error_code of that failure */
	u8 state;
};

struct dmacopy_session *dmacopy_session_create(void);
void dmacopy_session_put(struct dmacopy_session *s);
struct dmacopy_queue *dmacopy_queue_create(struct dmacopy_session *s, u32 cq_entries,
					   struct dmacopy_chan *bound);
void dmacopy_queue_close(struct dmacopy_queue *q);
int dmacopy_reserve(struct dmacopy_queue *q, unsigned int n);
void dmacopy_unreserve(struct dmacopy_queue *q, unsigned int n);
struct dmacopy_op *dmacopy_op_alloc(struct dmacopy_queue *q, struct dmacopy_reg *dst,
				    u64 dst_off, struct dmacopy_reg *src, u64 src_off,
				    u64 len, u64 user_data);
void dmacopy_op_abandon(struct dmacopy_op *op);
void dmacopy_submit_ops(struct dmacopy_queue *q, struct dmacopy_op **ops, unsigned int n);
u32 dmacopy_cq_ready(struct dmacopy_queue *q);
long dmacopy_reap(struct dmacopy_queue *q, struct dmacopy_cqe __user *ucq, unsigned int max);
long dmacopy_wait(struct dmacopy_queue *q, struct dmacopy_cqe __user *ucq, unsigned int min,
		  unsigned int max, s64 timeout_ns);
__poll_t dmacopy_poll_mask(struct dmacopy_queue *q);
bool dmacopy_queue_busy(struct dmacopy_queue *q);
void dmacopy_orphans_release_dev(struct dmacopy_dmadev *dd);
unsigned int dmacopy_orphans_count(void);

extern const struct file_operations dmacopy_fops;

/* ---- legacy /dev/ioat-dma (dmacopy_legacy.c) ------------------------------ */

extern const struct file_operations dmacopy_legacy_fops;

/* ---- statistics and queries (dmacopy_stats.c) --------------------------- */

long dmacopy_ioctl_info(struct dmacopy_queue *q, void __user *arg);
long dmacopy_ioctl_channels(void __user *arg, bool stats);
void dmacopy_debugfs_init(void);
void dmacopy_debugfs_exit(void);

/* ---- helpers ------------------------------------------------------------ */

#endif /* DMACOPY_INTERNAL_H */

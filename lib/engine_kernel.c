// SPDX-License-Identifier: BSD-3-Clause
/*
 * The "kernel" engine: DMA through dmacopy.ko (/dev/dmacopy) onto any dmaengine DMA_MEMCPY
 * channel (I/OAT, DSA, PTDMA, the emulated I/OAT). "kernel" spreads work over every channel the
 * module holds; "kernel:dma0chan0" keeps each queue on that channel.
 *
 * Mapping onto the module's ABI (include/uapi/linux/dmacopy.h):
 *   engine     one /dev/dmacopy file: the registrations, and a queue for the synchronous
 *              helpers (serialised by a mutex)
 *   region     DMACOPY_IOC_REGISTER (read-only memory is registered as a source only)
 *   queue      DMACOPY_IOC_QUEUE_CREATE: its own file and completion ring, same registrations
 *   submit     one DMACOPY_IOC_SUBMIT per batch (at most the module's max_batch operations)
 *   progress   DMACOPY_IOC_REAP (timeout 0) or DMACOPY_IOC_WAIT
 *
 * The kernel's user_data is a slot in this queue's table of operations in flight, which keeps the
 * library's user_data and the regions to release; completions may come in any order. Fenced
 * operations wait in the table until everything submitted before them has completed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dmacopy/remedies.h"
#include "internal.h"
#include "uapi/linux/dmacopy.h"

#define DMACOPY_DEV "/dev/dmacopy"

/* The module's per-operation error codes pass through to completions unchanged. */
_Static_assert((int)DMACOPY_ERR_NONE == (int)DMACOPY_OP_OK, "UAPI error codes");
_Static_assert((int)DMACOPY_ERR_READ_FAULT == (int)DMACOPY_OP_READ_FAULT, "UAPI error codes");
_Static_assert((int)DMACOPY_ERR_WRITE_FAULT == (int)DMACOPY_OP_WRITE_FAULT, "UAPI error codes");
_Static_assert((int)DMACOPY_ERR_ABORTED == (int)DMACOPY_OP_ABORTED, "UAPI error codes");
_Static_assert((int)DMACOPY_ERR_TIMEOUT == (int)DMACOPY_OP_TIMEOUT, "UAPI error codes");
_Static_assert((int)DMACOPY_ERR_CHANNEL == (int)DMACOPY_OP_CHANNEL_ERROR, "UAPI error codes");
_Static_assert((int)DMACOPY_ERR_DEVICE_GONE == (int)DMACOPY_OP_DEVICE_GONE, "UAPI error codes");

/* Most pieces a striped copy is split into, and their granularity. */
#define KERNEL_MAX_STRIPES 16u

struct kernel_engine {
	int fd;      /* registrations (and the synchronous queue without a channel) */
	int sync_fd; /* the synchronous helpers' queue */
	pthread_mutex_t sync_lock;
	struct dmacopy_info info;
	char channel[DMACOPY_NAME_LEN]; /* "" = any */
	uint32_t stripes;               /* pieces of a striped copy: the channels, or 1 */
	uint64_t stripe_min;            /* copies of at least this many bytes are striped */
};

struct kernel_region {
	uint32_t handle;
};

/*
 * An operation the kernel holds (or a fenced one waiting to be handed over), or one piece of a
 * striped copy. The pieces of a copy are slots of their own; the first piece's slot (parent) is the
 * operation's, which counts the pieces not finished and keeps the first failure.
 */
struct kernel_slot {
	uint64_t user_data;
	struct dmacopy_region *dst, *src;
	void *dst_addr;
	const void *src_addr;
	size_t len;
	uint32_t flags;
	uint32_t parent;  /* the operation's slot (itself for the first piece) */
	uint32_t pending; /* in the operation's slot: pieces not finished */
	int status;       /* in the operation's slot: the first failed piece's */
	unsigned int error;
};

struct kernel_queue {
	int fd;
	uint32_t depth;
	uint32_t stripes; /* most pieces per copy (1: no striping) */
	uint32_t nslots;  /* depth * stripes: every piece of every operation has a slot */
	uint64_t stripe_min;
	struct kernel_slot *slots;
	uint32_t *free; /* stack of free slot indexes */
	uint32_t nfree;
	uint32_t inflight;  /* handed to the kernel, not completed */
	uint32_t *deferred; /* fenced slots not handed over yet, in order */
	uint32_t ndeferred;
	uint32_t *batch; /* slots being handed over */
	struct dmacopy_sqe *sqes;
	struct dmacopy_cqe *cqes;
};

static long kioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static int kernel_info(int fd, struct dmacopy_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return (int)kioctl(fd, DMACOPY_IOC_INFO, info);
}

/* The channels the module holds; returns how many exist (may exceed max) or -errno. */
static int kernel_channels(int fd, struct dmacopy_channel_info *ci, unsigned int max)
{
	struct dmacopy_channels c = {
	        .size = sizeof(c),
	        .count = max,
	        .entry_size = sizeof(*ci),
	        .entries = (uintptr_t)ci,
	};
	int ret = (int)kioctl(fd, DMACOPY_IOC_CHANNELS, &c);

	return ret ? ret : (int)c.count;
}

/* Open /dev/dmacopy, with a diagnosis in detail/remedy when that is not possible. */
static int kernel_dev_open(int *fd, char *detail, size_t dlen, char *remedy, size_t rlen)
{
	remedy[0] = '\0';
	*fd = open(DMACOPY_DEV, O_RDWR | O_CLOEXEC);
	if (*fd >= 0)
		return 0;
	if (errno == EACCES || errno == EPERM) {
		snprintf(detail, dlen, "%s exists but this user cannot open it", DMACOPY_DEV);
		snprintf(remedy, rlen, "%s", REMEDY_KMOD_ACCESS);
		return -EACCES;
	}
	if (!access("/sys/module/dmacopy", F_OK)) {
		snprintf(detail, dlen, "dmacopy.ko is loaded but %s is missing", DMACOPY_DEV);
		snprintf(remedy, rlen, "%s", REMEDY_KMOD_NODE);
	} else {
		snprintf(detail, dlen, "%s not found: dmacopy.ko is not loaded", DMACOPY_DEV);
		snprintf(remedy, rlen, "%s", REMEDY_KMOD_LOAD);
	}
	return -ENODEV;
}

/*
 * -ENODEV, with why and what to do in detail/remedy, when the module (info) holds no DMA_MEMCPY
 * channel (nch); else 0.
 */
static int kernel_no_channel(const struct dmacopy_info *info, unsigned int nch, char *detail,
                             size_t dlen, char *remedy, size_t rlen)
{
	if (nch)
		return 0;
	if (info->nr_bounced) {
		snprintf(detail, dlen,
		         "dmacopy.ko holds no DMA_MEMCPY channel: it left %u unused because DMA "
		         "through them would be bounced through swiotlb",
		         info->nr_bounced);
		snprintf(remedy, rlen, "%s", REMEDY_KMOD_BOUNCED);
	} else {
		snprintf(detail, dlen, "dmacopy.ko is loaded but holds no DMA_MEMCPY channel");
		snprintf(remedy, rlen, "%s", REMEDY_KMOD_NO_CHANNEL);
	}
	return -ENODEV;
}

static int kernel_open(struct dmacopy_engine *e, const char *arg,
                       const struct dmacopy_engine_opts *opts)
{
	struct dmacopy_channel_info ci[64];
	char detail[256], remedy[256];
	struct kernel_engine *ke;
	int ret, n, i;

	if (arg && strlen(arg) >= DMACOPY_NAME_LEN)
		return lib_error(-EINVAL, "channel name '%s' is too long", arg);
	ke = calloc(1, sizeof(*ke));
	if (!ke)
		return -ENOMEM;
	ret = kernel_dev_open(&ke->fd, detail, sizeof(detail), remedy, sizeof(remedy));
	if (ret) {
		free(ke);
		return lib_error(ret, "%s%s%s", detail, remedy[0] ? "; " : "", remedy);
	}
	ret = kernel_info(ke->fd, &ke->info);
	if (ret) {
		lib_error(ret, "DMACOPY_IOC_INFO failed: %s", strerror(-ret));
		goto err;
	}
	if (ke->info.abi_version != DMACOPY_ABI_VERSION) {
		ret = lib_error(-ENOTSUP, "dmacopy.ko speaks ABI version %u, this library %u",
		                ke->info.abi_version, DMACOPY_ABI_VERSION);
		goto err;
	}
	ret = kernel_no_channel(&ke->info, ke->info.nr_channels, detail, sizeof(detail), remedy,
	                        sizeof(remedy));
	if (ret) {
		lib_error(ret, "%s; %s", detail, remedy);
		goto err;
	}
	if (arg) {
		n = kernel_channels(ke->fd, ci, 64);
		for (i = 0; i < n && i < 64 && strcmp(ci[i].name, arg); i++)
			;
		if (n < 0 || i >= n || i >= 64) {
			ret = lib_error(-ENOENT, "dmacopy.ko holds no channel named '%s'%s%.31s",
			                arg, n > 0 ? "; it has " : "", n > 0 ? ci[0].name : "");
			goto err;
		}
		snprintf(ke->channel, sizeof(ke->channel), "%s", arg);
	}
	/* Copies go to the module's channels in turn: a striped one uses them all at once. */
	ke->stripes = arg || ke->info.nr_channels < 2 ? 1 : ke->info.nr_channels;
	if (ke->stripes > KERNEL_MAX_STRIPES)
		ke->stripes = KERNEL_MAX_STRIPES;
	ke->stripe_min = opts->stripe_threshold ? opts->stripe_threshold : DMACOPY_STRIPE_DEFAULT;
	ke->sync_fd = ke->fd;
	if (arg) {
		struct dmacopy_queue_create c = {.size = sizeof(c), .cq_entries = 1};

		snprintf(c.channel, sizeof(c.channel), "%s", arg);
		ret = (int)kioctl(ke->fd, DMACOPY_IOC_QUEUE_CREATE, &c);
		if (ret) {
			lib_error(ret, "dmacopy.ko could not create a queue on %s: %s", arg,
			          strerror(-ret));
			goto err;
		}
		ke->sync_fd = c.fd;
	}
	pthread_mutex_init(&ke->sync_lock, NULL);
	e->priv = ke;
	return 0;

err:
	close(ke->fd);
	free(ke);
	return ret;
}

static void kernel_close(struct dmacopy_engine *e)
{
	struct kernel_engine *ke = e->priv;

	if (ke->sync_fd != ke->fd)
		close(ke->sync_fd);
	close(ke->fd);
	pthread_mutex_destroy(&ke->sync_lock);
	free(ke);
	e->priv = NULL;
}

static void kernel_caps(const struct dmacopy_engine *e, struct dmacopy_caps *caps)
{
	const struct kernel_engine *ke = e->priv;

	caps->channels = ke->channel[0] ? 1 : ke->info.nr_channels;
	caps->max_transfer = ke->info.max_op_len;
	caps->hw_max_transfer = ke->info.max_chunk;
	caps->align = 1;
	caps->max_queue_depth = DMACOPY_MAX_DEPTH;
}

static void kernel_probe(const struct engine_ops *ops, struct dmacopy_engine_status *rows,
			 unsigned int max, unsigned int *n)
{
	struct dmacopy_channel_info ci[64];
	char detail[256], remedy[256], spec[64];
	struct dmacopy_info info;
	int fd, ret, nch, i;

	(void)ops;
	ret = kernel_dev_open(&fd, detail, sizeof(detail), remedy, sizeof(remedy));
	if (ret) {
		status_row(rows, max, n, "kernel", "kernel", ret, detail, remedy);
		return;
	}
	ret = kernel_info(fd, &info);
	nch = ret ? 0 : kernel_channels(fd, ci, 64);
	close(fd);
	if (ret)
		memset(&info, 0, sizeof(info));
	ret = kernel_no_channel(&info, nch > 0 ? (unsigned int)nch : 0, detail, sizeof(detail),
	                        remedy, sizeof(remedy));
	if (ret) {
		status_row(rows, max, n, "kernel", "kernel", ret, detail, remedy);
		return;
	}
	snprintf(detail, sizeof(detail), "dmacopy.ko with %d DMA_MEMCPY channel%s", nch,
	         nch == 1 ? "" : "s");
	status_row(rows, max, n, "kernel", "kernel", 0, detail, "");
	for (i = 0; i < nch && i < 64; i++) {
		snprintf(spec, sizeof(spec), "kernel:%.31s", ci[i].name);
		snprintf(detail, sizeof(detail), "%.31s on %.31s (%.31s), NUMA node %d%s",
		         ci[i].name, ci[i].device, ci[i].driver, ci[i].numa_node,
		         (ci[i].flags & DMACOPY_CHAN_STALLED) ? ", stalled" : "");
		status_row(rows, max, n, "kernel", spec, 0, detail, "");
	}
}

/* Why a shared mapping of an ordinary file is registered read-only. */
#define FILE_PAGES_WHY                                                                            \
	" (a shared mapping of an ordinary file: dmacopy.ko does not let DMA write page-cache "  \
	"pages behind the file system; use the cpu engine, or tmpfs, hugetlbfs or device-dax "  \
	"memory)"

/* What dmacopy.ko's refusal ret means, for the messages below. */
static const char *kernel_why(long ret)
{
	switch (ret) {
	case -EPERM:
		return "this process did not open /dev/dmacopy (the engine was opened before "
		       "fork() or the descriptor came through execve() or a socket): open the "
		       "engine in the process that uses it";
	case -ENOSPC:
		return "the /dev/dmacopy session is at its queue limit (dmacopy.ko parameters "
		       "max_queues and session_cq_entries): destroy queues or raise them";
	default:
		return strerror((int)-ret);
	}
}

/* ---- regions ------------------------------------------------------------------------------ */

static int kernel_region_register(struct dmacopy_engine *e, struct dmacopy_region *r)
{
	struct kernel_engine *ke = e->priv;
	struct kernel_region *kr = calloc(1, sizeof(*kr));
	struct dmacopy_register reg = {
	        .size = sizeof(reg),
	        .addr = r->start,
	        .len = r->len,
	};
	long ret;

	if (!kr)
		return -ENOMEM;
	ret = kioctl(ke->fd, DMACOPY_IOC_REGISTER, &reg);
	if (ret == -EFAULT || ret == -EOPNOTSUPP) {
		/*
		 * Read-only memory, or a shared mapping of an ordinary file that
		 * DMA may not write: still usable as a source.
		 */
		long first = ret;

		reg.flags = DMACOPY_REG_READONLY;
		ret = kioctl(ke->fd, DMACOPY_IOC_REGISTER, &reg);
		r->readonly = true;
		r->readonly_why = first == -EOPNOTSUPP ? FILE_PAGES_WHY : NULL;
		if (ret)
			ret = first;
	}
	if (ret) {
		free(kr);
		switch (ret) {
		case -ENOMEM:
			return lib_error((int)ret,
			                 "cannot pin [%#lx, +%zu): RLIMIT_MEMLOCK (ulimit -l) "
			                 "is too low, or out of memory",
			                 (unsigned long)r->start, r->len);
		case -EFAULT:
			return lib_error((int)ret,
			                 "[%#lx, +%zu) is not entirely mapped memory that "
			                 "can be pinned",
			                 (unsigned long)r->start, r->len);
		case -EOPNOTSUPP:
			return lib_error((int)ret,
			                 "[%#lx, +%zu) maps an ordinary file shared (or file-system "
			                 "DAX): DMA into the page cache would corrupt the file; use "
			                 "anonymous, shared (tmpfs, memfd), hugetlbfs or device-dax "
			                 "memory, or register it read-only",
			                 (unsigned long)r->start, r->len);
		case -EINVAL:
			return lib_error((int)ret,
			                 "[%#lx, +%zu) mixes device-dax memory with other memory "
			                 "or another device-dax device: register each part alone",
			                 (unsigned long)r->start, r->len);
		default:
			return lib_error((int)ret,
			                 "dmacopy.ko refused to register [%#lx, +%zu): %s",
			                 (unsigned long)r->start, r->len, kernel_why(ret));
		}
	}
	kr->handle = reg.handle;
	r->engine_priv = kr;
	return 0;
}

static void kernel_region_unregister(struct dmacopy_engine *e, struct dmacopy_region *r)
{
	struct kernel_engine *ke = e->priv;
	struct kernel_region *kr = r->engine_priv;
	struct dmacopy_unregister u = {.size = sizeof(u), .handle = kr->handle};

	/* -EBUSY only after a timed-out copy the engine still owns: freed with the file. */
	kioctl(ke->fd, DMACOPY_IOC_UNREGISTER, &u);
	free(kr);
	r->engine_priv = NULL;
}

/* ---- queues ------------------------------------------------------------------------------- */

static int kernel_queue_init(struct dmacopy_queue *q)
{
	struct kernel_engine *ke = q->engine->priv;
	struct dmacopy_queue_create c = {.size = sizeof(c)};
	struct kernel_queue *kq;
	uint32_t i, n;
	long ret;

	snprintf(c.channel, sizeof(c.channel), "%s", ke->channel);
	kq = calloc(1, sizeof(*kq));
	if (!kq)
		return -ENOMEM;
	kq->depth = q->depth;
	/* Every piece in flight needs a completion entry of the module's ring (at most 65536). */
	kq->stripes = ke->stripes;
	if ((uint64_t)q->depth * kq->stripes > DMACOPY_MAX_DEPTH)
		kq->stripes = DMACOPY_MAX_DEPTH / q->depth;
	if (!kq->stripes)
		kq->stripes = 1;
	kq->stripe_min = ke->stripe_min;
	n = kq->nslots = q->depth * kq->stripes;
	kq->slots = calloc(n, sizeof(*kq->slots));
	kq->free = calloc(n, sizeof(*kq->free));
	kq->deferred = calloc(n, sizeof(*kq->deferred));
	kq->batch = calloc(n, sizeof(*kq->batch));
	kq->sqes = calloc(n, sizeof(*kq->sqes));
	kq->cqes = calloc(n, sizeof(*kq->cqes));
	if (!kq->slots || !kq->free || !kq->deferred || !kq->batch || !kq->sqes || !kq->cqes) {
		ret = -ENOMEM;
		goto err;
	}
	for (i = 0; i < n; i++)
		kq->free[i] = n - 1 - i;
	kq->nfree = n;
	c.cq_entries = n;
	ret = kioctl(ke->fd, DMACOPY_IOC_QUEUE_CREATE, &c);
	if (ret == -ENOSPC && kq->stripes > 1) {
		/* The session's completion entries are short: the queue does without striping. */
		kq->stripes = 1;
		c.cq_entries = q->depth;
		ret = kioctl(ke->fd, DMACOPY_IOC_QUEUE_CREATE, &c);
	}
	if (ret) {
		lib_error((int)ret, "dmacopy.ko could not create a queue%s%s: %s",
		          ke->channel[0] ? " on " : "", ke->channel, kernel_why(ret));
		goto err;
	}
	kq->fd = c.fd;
	q->engine_priv = kq;
	return 0;

err:
	free(kq->slots);
	free(kq->free);
	free(kq->deferred);
	free(kq->batch);
	free(kq->sqes);
	free(kq->cqes);
	free(kq);
	return (int)ret;
}

static void kernel_queue_fini(struct dmacopy_queue *q)
{
	struct kernel_queue *kq = q->engine_priv;

	close(kq->fd);
	free(kq->slots);
	free(kq->free);
	free(kq->deferred);
	free(kq->batch);
	free(kq->sqes);
	free(kq->cqes);
	free(kq);
	q->engine_priv = NULL;
}

/*
 * Slot i (an operation, or a piece of a striped copy) finished with status and error: free it,
 * and when it was its operation's last piece, post the operation's completion with the first
 * failure among its pieces and free the operation's slot.
 */
static void slot_complete(struct dmacopy_queue *q, uint32_t i, int status, unsigned int error)
{
	struct kernel_queue *kq = q->engine_priv;
	struct kernel_slot *s = &kq->slots[kq->slots[i].parent];
	struct queue_op op;

	if (status && !s->status) {
		s->status = status;
		s->error = error;
	}
	if (i != kq->slots[i].parent)
		kq->free[kq->nfree++] = i;
	if (--s->pending)
		return;
	op = (struct queue_op){.user_data = s->user_data, .dst_region = s->dst, .src_region = s->src};
	queue_complete(q, &op, s->status, s->status ? s->error : DMACOPY_OP_OK);
	kq->free[kq->nfree++] = kq->slots[i].parent;
}

static void sqe_fill(struct dmacopy_sqe *sqe, const struct kernel_slot *s, uint32_t i)
{
	const struct kernel_region *kd = s->dst->engine_priv, *ks = s->src->engine_priv;

	memset(sqe, 0, sizeof(*sqe));
	sqe->user_data = i;
	sqe->dst_handle = kd->handle;
	sqe->dst_offset = (uintptr_t)s->dst_addr - s->dst->start;
	sqe->src_handle = ks->handle;
	sqe->src_offset = (uintptr_t)s->src_addr - s->src->start;
	sqe->len = s->len;
}

static bool per_op_error(long err)
{
	/* Registration gone, bad range, read-only destination, memory or device gone. */
	return err == -ENOENT || err == -EINVAL || err == -EACCES || err == -ENODEV;
}

/*
 * Hand slots idx[0..n) to the kernel in batches. Every slot ends up either in flight or
 * completed here: an operation the module rejects completes alone with the module's error
 * (the others are handed over again), and if the module refuses a batch as a whole, its
 * operations complete with that error.
 */
static void hand_over(struct dmacopy_queue *q, const uint32_t *idx, uint32_t n)
{
	struct kernel_engine *ke = q->engine->priv;
	struct kernel_queue *kq = q->engine_priv;
	uint32_t batch, k;
	long ret;

	while (n) {
		struct dmacopy_submit s = {
		        .size = sizeof(s),
		        .sqe_size = sizeof(struct dmacopy_sqe),
		        .sqes = (uintptr_t)kq->sqes,
		        .error_index = UINT32_MAX, /* stays so unless one operation is at fault */
		};

		batch = n < ke->info.max_batch ? n : ke->info.max_batch;
		for (k = 0; k < batch; k++)
			sqe_fill(&kq->sqes[k], &kq->slots[idx[k]], idx[k]);
		s.count = batch;
		ret = kioctl(kq->fd, DMACOPY_IOC_SUBMIT, &s);
		if (!ret) {
			kq->inflight += batch;
			idx += batch;
			n -= batch;
			continue;
		}
		if (per_op_error(ret) && s.error_index < batch) {
			k = s.error_index;
			/* The ones before it passed the module's checks. */
			if (k)
				hand_over(q, idx, k);
			lib_error((int)ret, "dmacopy.ko rejected a copy: %s", strerror((int)-ret));
			slot_complete(q, idx[k], (int)ret,
			              ret == -ENODEV ? DMACOPY_OP_DEVICE_GONE
			                             : DMACOPY_OP_CHANNEL_ERROR);
			idx += k + 1;
			n -= k + 1;
			continue;
		}
		lib_error((int)ret, "DMACOPY_IOC_SUBMIT failed: %s", kernel_why(ret));
		for (k = 0; k < n; k++)
			slot_complete(q, idx[k], (int)ret,
			              ret == -ENODEV ? DMACOPY_OP_DEVICE_GONE
			                             : DMACOPY_OP_CHANNEL_ERROR);
		return;
	}
}

/* Hand over the fenced operation at the head of the waiting list once nothing is in flight. */
static void release_deferred(struct dmacopy_queue *q)
{
	struct kernel_queue *kq = q->engine_priv;
	uint32_t n = 0;

	if (!kq->ndeferred || kq->inflight)
		return;
	/* It waits for nothing now; the ones after it up to the next fence go along. */
	do
		n++;
	while (n < kq->ndeferred && !(kq->slots[kq->deferred[n]].flags & DMACOPY_OP_FENCE));
	hand_over(q, kq->deferred, n);
	memmove(kq->deferred, kq->deferred + n, (kq->ndeferred - n) * sizeof(*kq->deferred));
	kq->ndeferred -= n;
}

static int kernel_submit(struct dmacopy_queue *q)
{
	struct kernel_queue *kq = q->engine_priv;
	uint32_t n = 0, i, parent, k, pieces;

	while (q->sq_submitted != q->sq_tail) {
		const struct queue_op *op = &q->ops[q->sq_submitted & q->mask];
		uint64_t piece = op->len, off = 0;

		q->sq_submitted++;
		pieces = op->kind == OP_COPY ? stripe_pieces(kq->stripes, kq->stripe_min, op->len, &piece) : 1;
		parent = kq->free[kq->nfree - 1];
		for (k = 0; k < pieces; k++, off += piece) {
			struct kernel_slot *s;

			i = kq->free[--kq->nfree];
			s = &kq->slots[i];
			*s = (struct kernel_slot){.user_data = op->user_data,
			                          .dst = op->dst_region,
			                          .src = op->src_region,
			                          .dst_addr = (char *)op->dst + off,
			                          .src_addr = (const char *)op->src + off,
			                          .len = k + 1 < pieces ? piece : op->len - off,
			                          .flags = k ? 0 : op->flags,
			                          .parent = parent,
			                          .pending = k ? 0 : pieces};
			if (!op->len) {
				slot_complete(q, i, 0, DMACOPY_OP_OK);
				continue;
			}
			if (op->kind != OP_COPY) {
				slot_complete(q, i, -ENOTSUP, DMACOPY_OP_CHANNEL_ERROR);
				continue;
			}
			/*
			 * A fenced operation, and everything after it, waits for what came before
			 * (its later pieces with it).
			 */
			if (kq->ndeferred || ((s->flags & DMACOPY_OP_FENCE) && (kq->inflight || n))) {
				kq->deferred[kq->ndeferred++] = i;
				continue;
			}
			kq->batch[n++] = i;
		}
	}
	if (n)
		hand_over(q, kq->batch, n);
	release_deferred(q);
	return 0;
}

static int64_t ms_to_ns(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000000;
}

static int kernel_progress(struct dmacopy_queue *q, int timeout_ms)
{
	struct kernel_queue *kq = q->engine_priv;
	struct dmacopy_reap r = {
	        .size = sizeof(r),
	        .max = kq->nslots,
	        .cqes = (uintptr_t)kq->cqes,
	        .cqe_size = sizeof(struct dmacopy_cqe),
	};
	unsigned long cmd = DMACOPY_IOC_REAP;
	long ret;
	uint32_t i;

	if (!kq->inflight) {
		release_deferred(q);
		return 0;
	}
	if (timeout_ms) {
		cmd = DMACOPY_IOC_WAIT;
		r.min = 1;
		r.timeout_ns = ms_to_ns(timeout_ms);
	}
	do
		ret = ioctl(kq->fd, cmd, &r) < 0 ? -errno : 0;
	while (ret == -EINTR);
	if (ret)
		return lib_error((int)ret, "reaping completions from dmacopy.ko: %s",
		                 strerror((int)-ret));
	for (i = 0; i < r.count; i++) {
		uint32_t slot = (uint32_t)kq->cqes[i].user_data;

		if (slot >= kq->nslots)
			continue;
		kq->inflight--;
		/* The module's error codes are the library's (enum dmacopy_op_error). */
		slot_complete(q, slot, kq->cqes[i].status, kq->cqes[i].error);
	}
	release_deferred(q);
	return r.count || !timeout_ms ? 0 : -ETIMEDOUT;
}

/* ---- synchronous helpers ------------------------------------------------------------------ */

static int kernel_memcpy(struct dmacopy_engine *e, const struct queue_op *op)
{
	struct kernel_engine *ke = e->priv;
	const struct dmacopy_region *rd = op->dst_region, *rs = op->src_region;
	uint32_t most = ke->stripes < ke->info.max_batch ? ke->stripes : ke->info.max_batch;
	struct dmacopy_sqe sqe[KERNEL_MAX_STRIPES];
	struct dmacopy_cqe cqe[KERNEL_MAX_STRIPES];
	const struct kernel_region *kd, *ks;
	struct dmacopy_submit s = {.size = sizeof(s), .sqe_size = sizeof(sqe[0]),
	                           .sqes = (uintptr_t)sqe};
	struct dmacopy_reap r = {.size = sizeof(r),
	                         .max = KERNEL_MAX_STRIPES,
	                         .cqes = (uintptr_t)cqe,
	                         .timeout_ns = -1,
	                         .cqe_size = sizeof(cqe[0])};
	uint64_t piece, off = 0;
	uint32_t n, k, got = 0;
	int status = 0;
	unsigned int error = 0;
	long ret;

	if (!op->len)
		return 0;
	kd = rd->engine_priv;
	ks = rs->engine_priv;
	/*
	 * Striped as a queued copy is: a piece per channel, all in flight at once, in one
	 * submission and within the synchronous queue's completion ring.
	 */
	n = stripe_pieces(most < ke->info.cq_entries ? most : ke->info.cq_entries, ke->stripe_min,
	                  op->len, &piece);
	for (k = 0; k < n; k++, off += piece) {
		sqe[k] = (struct dmacopy_sqe){
		        .user_data = k + 1,
		        .dst_handle = kd->handle,
		        .dst_offset = (uintptr_t)op->dst + off - rd->start,
		        .src_handle = ks->handle,
		        .src_offset = (uintptr_t)op->src + off - rs->start,
		        .len = k + 1 < n ? piece : op->len - off,
		};
	}
	s.count = n;

	pthread_mutex_lock(&ke->sync_lock);
	ret = kioctl(ke->sync_fd, DMACOPY_IOC_SUBMIT, &s);
	while (!ret && got < n) {
		r.min = n - got;
		ret = ioctl(ke->sync_fd, DMACOPY_IOC_WAIT, &r) < 0 ? -errno : 0;
		if (ret == -EINTR) {
			ret = 0;
			continue;
		}
		for (k = 0; !ret && k < r.count; k++) {
			if (cqe[k].status && !status) {
				status = cqe[k].status;
				error = cqe[k].error;
			}
		}
		got += ret ? 0 : r.count;
	}
	pthread_mutex_unlock(&ke->sync_lock);
	if (ret)
		return lib_error((int)ret, "dmacopy.ko: %s", strerror((int)-ret));
	if (status)
		return lib_error(status, "the DMA copy failed: %s (%s)", strerror(-status),
		                 dmacopy_op_error_str(error));
	return 0;
}

const struct engine_ops engine_kernel_ops = {
        .kind = "kernel",
        .syntax = "kernel[:CHANNEL]",
        .cap_flags = DMACOPY_CAP_COPY | DMACOPY_CAP_NEEDS_REGISTER | DMACOPY_CAP_HARDWARE |
                     DMACOPY_CAP_OUT_OF_ORDER,
        .open = kernel_open,
        .close = kernel_close,
        .caps = kernel_caps,
        .probe = kernel_probe,
        .region_register = kernel_region_register,
        .region_unregister = kernel_region_unregister,
        .queue_init = kernel_queue_init,
        .queue_fini = kernel_queue_fini,
        .submit = kernel_submit,
        .progress = kernel_progress,
        .memcpy = kernel_memcpy,
};

// SPDX-License-Identifier: BSD-3-Clause
/*
 * The user-space I/OAT driver, part 2: one polled channel.
 *
 * The ring is ring_size 64-byte descriptors in one DMA mapping, linked into a circle through their
 * `next` fields once at open. Three free-running counters describe it:
 *
 *   tail <= flushed <= head        [tail, flushed) handed to the device, [flushed, head) built
 *
 * and at most ring_size - 1 descriptors are outstanding, so that a completion address always names
 * one position. The doorbell (DMACOUNT) is the 16-bit count of descriptors since the current chain
 * started at position chain_base. The last descriptor of every batch (and of every operation of
 * 64 KiB or more) asks for a completion write-back: the device stores "descriptor IOVA | state" in
 * a word in memory, which ioat_process_events() reads; it never reads a register on the fast path.
 * Completion is in order, so one write-back also completes every descriptor before it.
 *
 * When the device halts (an error with CHANERR set), the word carries the HALTED state and the last
 * descriptor that completed. The operation after it failed; its remaining descriptors are skipped,
 * the channel is reset, and a new chain starts at the next operation, so later operations run.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "dmacopy/ioat_spec.h"
#include "internal.h"
#include "ioat_drv.h"
#include "vchan.h"

#define HUGE_2M (2ul << 20)
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << 26)
#endif

#define DEFAULT_RING 4096u
#define MIN_RING 16u
#define MAX_RING 32768u
#define REG_MAP_LEN 0x1000u
#define SUSPEND_TIMEOUT_NS (20 * 1000000LL)
#define RESET_TIMEOUT_NS (200 * 1000000LL)
#define START_TIMEOUT_NS (100 * 1000000LL)
/* With work outstanding and no progress: look at CHANSTS after this, give up after that. */
#define STALL_CHECK_NS (2 * 1000000LL)
#define STALL_TIMEOUT_NS (10 * 1000000000LL)

/* Operations at least this long ask for a completion write-back of their own. */
#define COMPL_EACH_MIN (64u * 1024)

#define SLOT_LAST 0x1u /* last descriptor of an operation: its done function runs */

struct slot {
	ioat_done_fn fn;
	void *arg;
	uint32_t flags;
};

struct ioat_chan {
	char bdf[32];
	struct vfio_dev dev;
	void *bar;
	volatile struct ioat_global_regs *gregs;
	volatile struct ioat_chan_regs *regs;
	uint8_t version;
	uint32_t dmacap;
	uint64_t max_desc_len;
	unsigned int max_desc_shift; /* max_desc_len == 1 << max_desc_shift */

	void *dma;		/* ring, then the completion word, one mapping */
	size_t dma_len;
	struct ioat_desc *ring;
	uint64_t ring_iova; /* device address of the ring */
	uint64_t map_iova;  /* what vfio_dma_map() returned for it (the key to unmap it) */
	volatile uint64_t *comp;
	uint64_t comp_iova;
	struct slot *slots;
	uint32_t ring_size;
	uint32_t mask;

	uint32_t head, flushed, tail;
	uint32_t chain_base;
	uint32_t hold;		/* a fenced operation starts here; 0 = none (see build_one) */
	bool holding;
	uint64_t last_comp;	/* completion word as last seen */
	uint64_t last_sts;	/* CHANSTS as last read by the stall check */
	uint32_t outstanding;	/* operations built, not finished */
	struct vchan_watch watch; /* since when the device has not moved */
	long long checked_ns;
	bool dead;
	struct ioat_chan_stats st;
};

static uint64_t chansts(const struct ioat_chan *c)
{
	return c->regs->chansts;
}

static unsigned int state_of(uint64_t sts)
{
	return (unsigned int)(sts & IOAT_CHANSTS_STATE_MASK);
}

static void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Suspend if running, clear CHANERR, reset, and wait for the reset to finish. */
static int chan_reset(struct ioat_chan *c)
{
	uint64_t sts = chansts(c);
	unsigned int state = state_of(sts);
	long long t0;
	uint32_t err;

	if (sts == UINT64_MAX)
		return lib_error(-ENODEV, "I/OAT %s does not answer (registers read all ones)", c->bdf);
	if (state == IOAT_CHANSTS_ACTIVE || state == IOAT_CHANSTS_IDLE) {
		c->regs->chancmd = IOAT_CHANCMD_SUSPEND;
		t0 = mono_ns();
		for (;;) {
			state = state_of(chansts(c));
			if (state != IOAT_CHANSTS_ACTIVE && state != IOAT_CHANSTS_IDLE)
				break;
			if (mono_ns() - t0 > SUSPEND_TIMEOUT_NS)
				return lib_error(-ETIMEDOUT, "I/OAT %s: channel did not suspend",
						 c->bdf);
			sched_yield();
		}
	}
	err = c->regs->chanerr;
	if (err)
		c->regs->chanerr = err;
	c->regs->chancmd = IOAT_CHANCMD_RESET;
	t0 = mono_ns();
	while (c->regs->chancmd & IOAT_CHANCMD_RESET) {
		if (mono_ns() - t0 > RESET_TIMEOUT_NS)
			return lib_error(-ETIMEDOUT, "I/OAT %s: channel reset did not finish", c->bdf);
		sched_yield();
	}
	return 0;
}

static uint64_t desc_iova(const struct ioat_chan *c, uint32_t pos)
{
	return c->ring_iova + (uint64_t)(pos & c->mask) * IOAT_DESC_SIZE;
}

static void doorbell(struct ioat_chan *c)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
	c->regs->dmacount = (uint16_t)(c->flushed - c->chain_base);
	c->st.doorbells++;
}

/*
 * Point the channel at the chain starting at position pos (the device counts from 0 again) and
 * hand it what is already flushed.
 */
static void chain_start(struct ioat_chan *c, uint32_t pos)
{
	c->regs->chanctrl = IOAT_CHANCTRL_ERR_COMPLETION_EN | IOAT_CHANCTRL_ANY_ERR_ABORT_EN;
	c->regs->chancmp = c->comp_iova;
	c->chain_base = pos;
	c->regs->chainaddr = desc_iova(c, pos);
	if (c->flushed != pos)
		doorbell(c);
	vchan_moved(&c->watch);
}

/* The first start: a NULL descriptor, and the channel must report IDLE with its address. */
static int chan_start(struct ioat_chan *c)
{
	struct ioat_desc *d = &c->ring[0];
	long long t0;
	uint64_t sts = 0;

	*c->comp = 0;
	c->last_comp = 0;
	d->size = 8;
	d->ctl = IOAT_DESC_NULL | IOAT_DESC_COMPL_WRITE;
	d->src = 0;
	d->dst = 0;
	c->slots[0] = (struct slot){ 0 };
	c->tail = 0;
	c->head = c->flushed = 1;
	chain_start(c, 0);
	t0 = mono_ns();
	for (;;) {
		sts = chansts(c);
		if (state_of(sts) == IOAT_CHANSTS_IDLE && (sts & IOAT_CHANSTS_ADDR_MASK) == c->ring_iova &&
		    (*c->comp & IOAT_CHANSTS_ADDR_MASK) == c->ring_iova)
			break;
		if (state_of(sts) == IOAT_CHANSTS_HALTED || mono_ns() - t0 > START_TIMEOUT_NS)
			return lib_error(-EIO, "I/OAT %s did not start: CHANSTS %#llx, CHANERR %#x, "
					 "completion word %#llx", c->bdf, (unsigned long long)sts,
					 c->regs->chanerr, (unsigned long long)*c->comp);
		sched_yield();
	}
	c->last_comp = *c->comp;
	c->tail = 1;
	return 0;
}

uint32_t ioat_descs_needed(const struct ioat_chan *c, uint64_t len)
{
	if (len <= c->max_desc_len)
		return 1;
	return (uint32_t)(((len - 1) >> c->max_desc_shift) + 1);
}

uint32_t ioat_ring_free(const struct ioat_chan *c)
{
	return c->ring_size - 1 - (c->head - c->tail);
}

uint32_t ioat_ops_outstanding(const struct ioat_chan *c)
{
	return c->outstanding;
}

static ALWAYS_INLINE int build_one(struct ioat_chan *c, uint32_t op, uint64_t dst, uint64_t src, uint64_t len,
		     uint32_t flags, ioat_done_fn fn, void *arg)
{
	uint32_t n, ctl_op = op << IOAT_DESC_OP_SHIFT;

	if (flags & ~(IOAT_OPF_FENCE | IOAT_OPF_MORE))
		return lib_error(-EINVAL, "unknown operation flags %#x", flags);
	if (c->dead)
		return lib_error(-ENODEV, "I/OAT %s stopped answering; close and reopen it", c->bdf);
	n = ioat_descs_needed(c, len);
	if (n > ioat_ring_free(c))
		return -ENOMEM;
	if (flags & IOAT_OPF_FENCE && c->head != c->tail) {
		if (c->head != c->flushed) {
			/* The previous descriptor is not handed over yet: the device fences for us. */
			c->ring[(c->head - 1) & c->mask].ctl |= IOAT_DESC_FENCE;
		} else if (!c->holding) {
			/* It is already running: hold this one back until everything before is done. */
			c->hold = c->head;
			c->holding = true;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t pos = c->head & c->mask;
		struct ioat_desc *d = &c->ring[pos];
		uint64_t chunk = len - (uint64_t)i * c->max_desc_len;
		bool last = i == n - 1 && !(flags & IOAT_OPF_MORE);

		if (chunk > c->max_desc_len)
			chunk = c->max_desc_len;
		if (!len) {
			d->size = 8;
			d->ctl = IOAT_DESC_NULL | IOAT_DESC_COMPL_WRITE;
			d->src = 0;
			d->dst = 0;
		} else {
			d->size = (uint32_t)chunk;
			/* Large operations report their own end; small ones are covered by the
			 * write-back at the end of the batch (ioat_flush()). */
			d->ctl = ctl_op |
				 (i == n - 1 && len >= COMPL_EACH_MIN ? IOAT_DESC_COMPL_WRITE : 0);
			d->src = op == IOAT_OP_FILL ? src : src + (uint64_t)i * c->max_desc_len;
			d->dst = dst + (uint64_t)i * c->max_desc_len;
		}
		c->slots[pos] = (struct slot){ .fn = last ? fn : NULL, .arg = last ? arg : NULL,
					       .flags = last ? SLOT_LAST : 0 };
		c->head++;
	}
	if (!(flags & IOAT_OPF_MORE))
		c->outstanding++;
	return 0;
}

int ioat_build_copy(struct ioat_chan *c, uint64_t dst, uint64_t src, uint64_t len, uint32_t flags,
		    ioat_done_fn fn, void *arg)
{
	return build_one(c, IOAT_OP_COPY, dst, src, len, flags, fn, arg);
}

int ioat_build_fill(struct ioat_chan *c, uint64_t dst, uint64_t pattern, uint64_t len,
		    uint32_t flags, ioat_done_fn fn, void *arg)
{
	if (!(c->dmacap & IOAT_CAP_FILL_BLOCK))
		return lib_error(-ENOTSUP, "I/OAT %s cannot fill (DMACAPABILITY %#x)", c->bdf,
				 c->dmacap);
	return build_one(c, IOAT_OP_FILL, dst, pattern, len, flags, fn, arg);
}

void ioat_flush(struct ioat_chan *c)
{
	uint32_t upto = c->head;

	if (c->dead)
		return;
	if (c->holding) {
		if (c->tail != c->hold)
			upto = c->hold; /* the fenced operation waits */
		else
			c->holding = false;
	}
	if (upto == c->flushed)
		return;
	c->ring[(upto - 1) & c->mask].ctl |= IOAT_DESC_COMPL_WRITE;
	if (c->tail == c->flushed)
		vchan_moved(&c->watch);
	c->flushed = upto;
	doorbell(c);
}

/*
 * Post a run of operations that ended alike: the status word of the first (run) stands for it
 * and the next more ones, consecutive slots of one queue (vchan_st_run_word()).
 */
static void post_run(struct vchan_status *run, uint32_t more, int status, unsigned int error)
{
	__atomic_store_n(&run->word, vchan_st_run_word(status, error, more), __ATOMIC_RELEASE);
}

/*
 * Retire n descriptors from the tail; the operations they end get status (0 or an error).
 * Operations whose status words follow each other (a queue's consecutive slots: the engine
 * keeps a spare word after each queue's last, so a run never reaches another array) end in one
 * store, as a run; any other done function runs in order, after the run before it is posted.
 */
static int retire(struct ioat_chan *c, uint32_t n, int status, unsigned int error)
{
	const struct slot *slots = c->slots;
	const uint32_t mask = c->mask, end = c->tail + n;
	struct vchan_status *run = NULL;
	uint32_t more = 0, t;
	int ops = 0;

	c->st.descs += n;
	for (t = c->tail; t != end; t++) {
		const struct slot *s = &slots[t & mask];

		if (!(s->flags & SLOT_LAST))
			continue;
		ops++;
		if (__builtin_expect(s->fn == vchan_status_done, 1)) {
			if (run && s->arg == run + more + 1 && more < VCHAN_ST_MORE_MAX) {
				more++;
				continue;
			}
			if (run)
				post_run(run, more, status, error);
			run = s->arg;
			more = 0;
			continue;
		}
		if (run)
			post_run(run, more, status, error);
		run = NULL;
		c->tail = t + 1;
		vchan_complete(s->fn, s->arg, status, error);
	}
	c->tail = end;
	if (run)
		post_run(run, more, status, error);
	c->outstanding -= ops;
	c->st.ops += ops;
	if (status)
		c->st.errors += ops;
	return ops;
}

/* Descriptors from the tail up to and including the end of the operation there. */
static uint32_t op_extent(const struct ioat_chan *c, uint32_t limit)
{
	uint32_t n = 0;

	while (c->tail + n != limit) {
		n++;
		if (c->slots[(c->tail + n - 1) & c->mask].flags & SLOT_LAST)
			break;
	}
	return n;
}

/* Every outstanding operation fails (the device is gone or stuck). */
static int fail_all(struct ioat_chan *c, int status, unsigned int error)
{
	int ops = retire(c, c->head - c->tail, status, error);

	c->flushed = c->head;
	c->holding = false;
	return ops;
}

/* Stop the channel (suspend, reset); a channel that cannot be reset is dead. */
static int stop(struct ioat_chan *c)
{
	int ret = chan_reset(c);

	if (ret)
		c->dead = true;
	return ret;
}

/* After stop(): a fresh chain from the first descriptor not retired. */
static void rechain(struct ioat_chan *c)
{
	*c->comp = 0;
	c->last_comp = 0;
	c->st.restarts++;
	chain_start(c, c->tail);
}

static int handle_halt(struct ioat_chan *c)
{
	uint32_t err = c->regs->chanerr;
	unsigned int code = DMACOPY_OP_CHANNEL_ERROR;
	int ops = 0, ret;

	if (err & IOAT_CHANERR_READ_DATA)
		code = DMACOPY_OP_READ_FAULT;
	else if (err & IOAT_CHANERR_WRITE_DATA)
		code = DMACOPY_OP_WRITE_FAULT;
	if (c->tail != c->flushed) {
		lib_error(-EIO, "I/OAT %s halted with CHANERR %#x (%s); the operation failed, the "
			  "channel was reset", c->bdf, err, dmacopy_op_error_str(code));
		ops = retire(c, op_extent(c, c->flushed), -EIO, code);
	}
	ret = stop(c);
	if (ret) {
		ops += fail_all(c, -ENODEV, DMACOPY_OP_DEVICE_GONE);
		return ret;
	}
	rechain(c);
	return ops;
}

/*
 * Apply a completion word (or a halted CHANSTS): retire what it says is done, handle a halt. An
 * address outside the descriptors in flight is an older report (the word is only written at the
 * end of batches and large operations; CHANSTS may have told more already) and moves nothing.
 */
static int consume(struct ioat_chan *c, uint64_t v)
{
	uint64_t addr = v & IOAT_CHANSTS_ADDR_MASK;
	int ops = 0;

	if (addr >= c->ring_iova && addr - c->ring_iova < (uint64_t)c->ring_size * IOAT_DESC_SIZE) {
		uint32_t slot = (uint32_t)((addr - c->ring_iova) / IOAT_DESC_SIZE);
		uint32_t n = ((slot - c->tail) & c->mask) + 1;

		if (n <= c->flushed - c->tail) {
			ops = retire(c, n, 0, 0);
			vchan_moved(&c->watch);
		}
	}
	if (state_of(v) == IOAT_CHANSTS_HALTED) {
		int ret = handle_halt(c);

		if (ret < 0)
			return ret;
		ops += ret;
		vchan_moved(&c->watch);
	}
	return ops;
}

/* Nothing new in memory for a while: ask the device itself. */
static int check_stall(struct ioat_chan *c)
{
	long long t;
	uint64_t v;
	int ops;

	t = vchan_idle(&c->watch);
	if (!t || t - c->watch.since < STALL_CHECK_NS || t - c->checked_ns < STALL_CHECK_NS)
		return 0;
	c->checked_ns = t;
	v = chansts(c);
	if (v == UINT64_MAX) {
		lib_error(-ENODEV, "I/OAT %s stopped answering (registers read all ones)", c->bdf);
		fail_all(c, -ENODEV, DMACOPY_OP_DEVICE_GONE);
		c->dead = true;
		return -ENODEV;
	}
	if (state_of(v) == IOAT_CHANSTS_HALTED)
		return consume(c, v); /* e.g. a halt that did not write the word */
	if ((v & IOAT_CHANSTS_ADDR_MASK) != (c->last_sts & IOAT_CHANSTS_ADDR_MASK)) {
		c->last_sts = v; /* still moving: a long operation */
		c->watch.since = t;
		return 0;
	}
	if (t - c->watch.since <= STALL_TIMEOUT_NS)
		return 0;
	lib_error(-ETIMEDOUT, "I/OAT %s made no progress for %lld s (CHANSTS %#llx); outstanding "
		  "operations failed, channel reset", c->bdf, STALL_TIMEOUT_NS / 1000000000LL,
		  (unsigned long long)v);
	/* Stop the channel before anyone is told: the buffers must be the caller's again. */
	if (stop(c)) {
		fail_all(c, -ENODEV, DMACOPY_OP_DEVICE_GONE);
		return -ENODEV;
	}
	ops = retire(c, c->flushed - c->tail, -ETIMEDOUT, DMACOPY_OP_TIMEOUT);
	rechain(c);
	return ops;
}

int ioat_process_events(struct ioat_chan *c)
{
	uint64_t v;
	int ops;

	if (c->dead)
		return -ENODEV;
	if (c->tail == c->flushed) {
		if (c->holding)
			ioat_flush(c);
		return 0;
	}
	v = __atomic_load_n(c->comp, __ATOMIC_ACQUIRE);
	if (v != c->last_comp) {
		c->last_comp = v;
		ops = consume(c, v);
	} else {
		ops = check_stall(c);
	}
	if (ops >= 0 && c->holding && c->tail == c->hold)
		ioat_flush(c);
	return ops;
}

void ioat_chan_get_info(const struct ioat_chan *c, struct ioat_chan_info *info)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->bdf, sizeof(info->bdf), "%s", c->bdf);
	info->version = c->version;
	info->dmacap = c->dmacap;
	info->max_desc_len = c->max_desc_len;
	info->ring_size = c->ring_size;
	info->iommu_group = c->dev.info.iommu_group;
	info->numa_node = c->dev.info.numa_node;
	info->can_fill = c->dmacap & IOAT_CAP_FILL_BLOCK;
}

void ioat_chan_get_stats(const struct ioat_chan *c, struct ioat_chan_stats *st)
{
	*st = c->st;
}

static void chan_free(struct ioat_chan *c)
{
	if (c->dma) {
		vfio_dma_unmap(c->dma, c->dma_len, c->map_iova);
		munmap(c->dma, c->dma_len);
	}
	if (c->bar)
		munmap(c->bar, REG_MAP_LEN);
	vfio_dev_close(&c->dev);
	free(c->slots);
	free(c);
}

static int chan_map_bar(struct ioat_chan *c)
{
	int ret = vfio_dev_map_bar(&c->dev, 0, REG_MAP_LEN, &c->bar);

	if (ret)
		return ret;
	c->gregs = c->bar;
	c->regs = (volatile struct ioat_chan_regs *)((char *)c->bar + IOAT_CHAN_OFFSET(0));
	return 0;
}

static int chan_identify(struct ioat_chan *c)
{
	uint8_t xfercap;

	c->version = c->gregs->cbver;
	if (c->version == 0xff)
		return lib_error(-ENODEV, "I/OAT %s does not answer (CBVER reads 0xff)", c->bdf);
	if (c->version < IOAT_VER_3_0)
		return lib_error(-ENODEV, "I/OAT %s is version %u.%u; dmacopy drives 3.0 and later",
				 c->bdf, IOAT_VER_MAJOR(c->version), IOAT_VER_MINOR(c->version));
	if (!(c->gregs->chancnt & IOAT_CHANCNT_MASK))
		return lib_error(-ENODEV, "I/OAT %s reports no channel", c->bdf);
	c->dmacap = c->gregs->dmacapability;
	xfercap = c->gregs->xfercap & IOAT_XFERCAP_MASK;
	if (xfercap && xfercap < 12)
		return lib_error(-ENODEV, "I/OAT %s reports XFERCAP %u (below 4 KiB)", c->bdf,
				 xfercap);
	c->max_desc_shift = xfercap && xfercap < 31 ? xfercap : 31;
	c->max_desc_len = 1ull << c->max_desc_shift;
	return 0;
}

static int chan_alloc_ring(struct ioat_chan *c, uint32_t ring_size)
{
	long ps = sysconf(_SC_PAGESIZE);
	size_t ring_bytes = (size_t)ring_size * IOAT_DESC_SIZE;
	int mflags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, ret;
	bool huge;

	c->ring_size = ring_size;
	c->mask = ring_size - 1;
	c->slots = calloc(ring_size, sizeof(*c->slots));
	if (!c->slots)
		return lib_error(-ENOMEM, "cannot allocate %u ring slots", ring_size);
	c->dma_len = (ring_bytes + 64 + (size_t)ps - 1) & ~((size_t)ps - 1);
	huge = vfio_dma_physical();
	if (huge) {
		/* The device sees physical addresses: one hugepage keeps the ring contiguous. */
		c->dma_len = (c->dma_len + HUGE_2M - 1) & ~(HUGE_2M - 1);
		mflags |= MAP_HUGETLB | MAP_HUGE_2MB;
	}
	c->dma = mmap(NULL, c->dma_len, PROT_READ | PROT_WRITE, mflags, -1, 0);
	if (c->dma == MAP_FAILED) {
		c->dma = NULL;
		if (huge)
			return lib_error(-ENOMEM, "I/OAT %s: no free 2 MiB hugepage for the "
					 "descriptor ring; without an IOMMU the ring must be "
					 "physically contiguous (echo N > /proc/sys/vm/nr_hugepages)",
					 c->bdf);
		return lib_error(-ENOMEM, "cannot allocate the descriptor ring (%zu bytes)",
				 c->dma_len);
	}
	ret = vfio_dma_map(c->dma, c->dma_len, &c->map_iova);
	if (!ret) {
		uint64_t avail;

		/*
		 * The device addresses of the ring, which must be contiguous (at most 2 MiB: one
		 * hugepage without an IOMMU), and of the completion word after it (in the next
		 * hugepage for a ring of 2 MiB).
		 */
		c->comp = (volatile uint64_t *)((char *)c->dma + ring_bytes);
		ret = vfio_dma_translate(c->dma, ring_bytes, &c->ring_iova, &avail);
		if (!ret && avail < ring_bytes)
			ret = lib_error(-EFAULT, "I/OAT %s: the descriptor ring is not contiguous "
					"for the device (%llu of %zu bytes at %#llx)", c->bdf,
					(unsigned long long)avail, ring_bytes,
					(unsigned long long)c->ring_iova);
		if (!ret)
			ret = vfio_dma_translate((const void *)c->comp, sizeof(*c->comp),
			                         &c->comp_iova, &avail);
		if (ret)
			vfio_dma_unmap(c->dma, c->dma_len, c->map_iova);
	}
	if (ret) {
		munmap(c->dma, c->dma_len);
		c->dma = NULL;
		return ret;
	}
	c->ring = c->dma;
	for (uint32_t i = 0; i < ring_size; i++)
		c->ring[i].next = desc_iova(c, i + 1);
	return 0;
}

int ioat_chan_open(const char *bdf, const struct ioat_chan_opts *opts, struct ioat_chan **out)
{
	uint32_t ring_size = opts && opts->ring_size ? opts->ring_size : DEFAULT_RING;
	struct ioat_chan *c;
	int ret;

	*out = NULL;
	if (ring_size < MIN_RING || ring_size > MAX_RING || ring_size & (ring_size - 1))
		return lib_error(-EINVAL, "ring size %u is not a power of two in %u..%u", ring_size,
				 MIN_RING, MAX_RING);
	c = calloc(1, sizeof(*c));
	if (!c)
		return lib_error(-ENOMEM, "cannot allocate the channel");
	c->dev.fd = -1;
	snprintf(c->bdf, sizeof(c->bdf), "%s", bdf);
	ret = vfio_dev_open(&c->dev, &ioat_pci_driver, bdf);
	/* Whatever a previous user left running is stopped before bus mastering is on. */
	if (!ret)
		ret = chan_map_bar(c);
	if (!ret)
		ret = chan_identify(c);
	if (!ret)
		ret = chan_reset(c);
	if (!ret)
		ret = vfio_dev_enable_bus_master(&c->dev);
	if (!ret)
		ret = chan_alloc_ring(c, ring_size);
	if (!ret)
		ret = chan_start(c);
	if (ret)
		goto err;
	*out = c;
	return 0;
err:
	chan_free(c);
	return ret;
}

void ioat_chan_close(struct ioat_chan *c)
{
	long long t0 = mono_ns();

	if (!c)
		return;
	ioat_flush(c);
	while (!c->dead && c->outstanding && mono_ns() - t0 < 1000000000LL) {
		if (ioat_process_events(c) < 0)
			break;
		relax();
	}
	if (!c->dead)
		chan_reset(c);
	if (c->outstanding)
		fail_all(c, -ECANCELED, DMACOPY_OP_ABORTED);
	chan_free(c);
}

/* ---- the channel table of the "ioat" engine (vchan.h) --------------------------------------- */

static int v_open(const char *bdf, struct vchan **out)
{
	return ioat_chan_open(bdf, NULL, (struct ioat_chan **)out);
}

static void v_close(struct vchan *c)
{
	ioat_chan_close((struct ioat_chan *)c);
}

static void v_info(const struct vchan *vc, struct vchan_info *info)
{
	const struct ioat_chan *c = (const struct ioat_chan *)vc;

	memset(info, 0, sizeof(*info));
	snprintf(info->bdf, sizeof(info->bdf), "%s", c->bdf);
	info->max_xfer = c->max_desc_len;
	info->slots = c->ring_size;
	info->can_fill = c->dmacap & IOAT_CAP_FILL_BLOCK;
}

static uint32_t v_descs_needed(const struct vchan *c, uint64_t len)
{
	return ioat_descs_needed((const struct ioat_chan *)c, len);
}

static uint32_t v_slots_free(const struct vchan *c)
{
	return ioat_ring_free((const struct ioat_chan *)c);
}

/* v_build_copy() for what its fast path leaves: fences, several descriptors, no room, ... */
static __attribute__((noinline)) int v_build_copy_slow(struct ioat_chan *c, uint64_t dst,
						       uint64_t src, uint64_t len, uint32_t flags,
						       vchan_done_fn fn, void *arg)
{
	return build_one(c, IOAT_OP_COPY, dst, src, len, flags, fn, arg);
}

/* A copy of one descriptor, the last of its operation, at d and its slot. */
static ALWAYS_INLINE void put_copy(struct ioat_desc *d, struct slot *slot, uint64_t dst,
				   uint64_t src, uint64_t len, vchan_done_fn fn, void *arg)
{
	d->size = (uint32_t)len;
	/* Large operations report their own end; small ones the batch's write-back does. */
	d->ctl = IOAT_OP_COPY << IOAT_DESC_OP_SHIFT | (len >= COMPL_EACH_MIN ? IOAT_DESC_COMPL_WRITE : 0);
	d->src = src;
	d->dst = dst;
	*slot = (struct slot){ .fn = fn, .arg = arg, .flags = SLOT_LAST };
}

/*
 * The common case in straight-line code: one unfenced copy that fits one descriptor, with room
 * for it on a live channel.
 */
static ALWAYS_INLINE int v_build_copy(struct vchan *vc, uint64_t dst, uint64_t src, uint64_t len,
				       uint32_t flags, vchan_done_fn fn, void *arg)
{
	struct ioat_chan *c = (struct ioat_chan *)vc;
	uint32_t pos = c->head & c->mask;
	struct ioat_desc *d = &c->ring[pos];

	if (__builtin_expect(flags || len - 1 >= c->max_desc_len || c->dead ||
			     c->ring_size - 1 - (c->head - c->tail) == 0, 0))
		return v_build_copy_slow(c, dst, src, len, flags, fn, arg);
	put_copy(d, &c->slots[pos], dst, src, len, fn, arg);
	c->head++;
	c->outstanding++;
	return 0;
}

/* What v_push()'s loop leaves: vchan_push() with the inline builder, out of that loop's way. */
static __attribute__((noinline)) void v_push_rest(struct vchan *c, struct dmacopy_queue *q,
						  struct vchan_engine *ve)
{
	vchan_push(c, q, ve, v_build_copy);
}

/*
 * Queue q's waiting operations onto the ring. The common run first, in one loop with the ring's
 * state in locals: copies the core staged with device addresses (OP_DEVCOPY: flat regions, no
 * flags) that fit one descriptor each, as far as the ring has room. vchan_push() takes whatever
 * that loop stops at, and everything after it.
 */
static void v_push(struct vchan *vc, struct dmacopy_queue *q, struct vchan_engine *ve)
{
	struct ioat_chan *c = (struct ioat_chan *)vc;
	struct vchan_queue *qp = q->engine_priv;
	const uint32_t end = q->sq_submitted, qmask = q->mask, mask = c->mask;
	const uint64_t max_len = c->max_desc_len;
	struct ioat_desc *ring = c->ring;
	struct slot *slots = c->slots;
	struct vchan_status *st = qp->st;
	uint32_t i = qp->hw_next, head = c->head, room, k;

	room = c->dead ? 0 : c->ring_size - 1 - (head - c->tail);
	for (k = 0; i != end && k < room; i++, k++) {
		const struct queue_op *op = &q->ops[i & qmask];
		const uint32_t pos = (head + k) & mask;
		struct ioat_desc *d = &ring[pos];

		if (op->kind != OP_DEVCOPY || op->len - 1 >= max_len)
			break;
		put_copy(d, &slots[pos], (uintptr_t)op->dst, (uintptr_t)op->src, op->len,
			 vchan_status_done, &st[i & qmask]);
	}
	c->head = head + k;
	c->outstanding += k;
	qp->hw_next = i;
	if (i != end)
		v_push_rest(vc, q, ve);
}

static int v_build_fill(struct vchan *c, uint64_t dst, uint64_t pattern, uint64_t len,
			uint32_t flags, vchan_done_fn fn, void *arg)
{
	return ioat_build_fill((struct ioat_chan *)c, dst, pattern, len, flags, fn, arg);
}

static void v_flush(struct vchan *c)
{
	ioat_flush((struct ioat_chan *)c);
}

static int v_process_events(struct vchan *c)
{
	return ioat_process_events((struct ioat_chan *)c);
}

static void v_drive(struct vchan *vc, struct dmacopy_queue *q, struct vchan_engine *ve, bool events)
{
	struct ioat_chan *c = (struct ioat_chan *)vc;
	const struct vchan_queue *qp = q->engine_priv;

	if (events)
		ioat_process_events(c);
	if (qp->hw_next != q->sq_submitted)
		v_push(vc, q, ve);
	ioat_flush(c);
}

const struct vchan_driver ioat_vchan_driver = {
	.kind = "ioat",
	.name = "I/OAT",
	.kernel_driver = "ioatdma",
	.example = "ioat:0000:00:04.0",
	.absent = "no Intel I/OAT (QuickData) PCI function on this machine",
	.absent_fix = REMEDY_IOAT_ABSENT,
	.scan = ioat_pci_scan,
	.open = v_open,
	.close = v_close,
	.info = v_info,
	.descs_needed = v_descs_needed,
	.slots_free = v_slots_free,
	.build_copy = v_build_copy,
	.build_fill = v_build_fill,
	.drive = v_drive,
	.flush = v_flush,
	.process_events = v_process_events,
};

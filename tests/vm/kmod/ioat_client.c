// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioat_client: a dmaengine client that tests the ioatdma channels of the
 * guest (dmacopy's emulated I/OAT device) through the kernel's own driver.
 *
 * The module parameter "test" selects what insmod does. insmod succeeds only
 * when the test passed (the module then holds nothing: rmmod it before the
 * next run) and fails with the test's error otherwise; dmesg has the details.
 *
 *   copy     random copies (sizes min_size..max_size, octave-uniform, plus the
 *            extremes) at random offsets across all channels, depth copies in
 *            flight per channel, every byte and guard bytes on both sides
 *            verified; completion by interrupt callback, by polling or both
 *            (poll=0/1/2); fills likewise when a channel has DMA_MEMSET
 *   fault    like copy, but expects copies to fail with DMA_TRANS_READ_FAILED
 *            or WRITE_FAILED (device fault injection) or ABORTED behind them,
 *            and every channel to copy correctly after its last failure
 *   badaddr  per channel: a copy from an address nothing answers must fail
 *            with READ_FAILED, one to it with WRITE_FAILED, and a copy after
 *            each must succeed; with a translating IOMMU also a just-unmapped
 *            IOVA
 *   hold     take every channel and keep copying from one thread per channel
 *            until the module is removed; when a channel's PCI device is being
 *            unbound from ioatdma, stop, wait and release that channel first
 *            (release_on_unbind=1), or finish the copy in flight, stop calling
 *            the driver and keep the channel until rmmod (release_on_unbind=0).
 *            Progress: /sys/module/ioat_client/parameters/hold_*
 *   bench    throughput: bench_size-byte copies for bench_ms on each channel,
 *            depth in flight per channel, each completion callback submitting
 *            the next copy; one line of results in dmesg
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/iommu.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/random.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/workqueue.h>

static char *test = "copy";
module_param(test, charp, 0444);
MODULE_PARM_DESC(test, "copy, fault, badaddr or hold");

static uint count = 10000;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "buffers to copy in total (copy, fault)");

static uint min_size = 1;
module_param(min_size, uint, 0444);
MODULE_PARM_DESC(min_size, "smallest buffer in bytes");

static uint max_size = SZ_4M;
module_param(max_size, uint, 0444);
MODULE_PARM_DESC(max_size, "largest buffer in bytes (<= 4 MiB)");

static uint big_pct = 100;
module_param(big_pct, uint, 0444);
MODULE_PARM_DESC(big_pct, "percent of the octave-uniform draws above 64 KiB that are kept (others are redrawn below 64 KiB)");

static uint depth = 4;
module_param(depth, uint, 0444);
MODULE_PARM_DESC(depth, "copies in flight per channel");

static int poll = 2;
module_param(poll, int, 0444);
MODULE_PARM_DESC(poll, "0: interrupt callbacks, 1: polling, 2: alternate");

static ulong seed;
module_param(seed, ulong, 0444);
MODULE_PARM_DESC(seed, "random seed (0: pick one)");

static uint channels;
module_param(channels, uint, 0444);
MODULE_PARM_DESC(channels, "channels to use (0: all)");

static uint min_channels = 1;
module_param(min_channels, uint, 0444);
MODULE_PARM_DESC(min_channels, "fail unless at least this many channels are found");

static uint timeout_ms = 20000;
module_param(timeout_ms, uint, 0444);
MODULE_PARM_DESC(timeout_ms, "longest wait for one copy");

/*
 * When ioatdma's completion timer, not its error interrupt, finds a channel halted by an
 * injected fault, it resets the channel and aborts every descriptor but the one that failed,
 * whose callback then never runs. The fault test may count up to this many such copies per
 * channel as lost (the test script checks the kernel log for that path) and go on copying.
 */
static uint lost_max;
module_param(lost_max, uint, 0444);
MODULE_PARM_DESC(lost_max, "fault test: copies per channel that may never complete");

static char *expect = "any";
module_param(expect, charp, 0444);
MODULE_PARM_DESC(expect, "fault test: read, write or any");

static bool expect_iommu;
module_param(expect_iommu, bool, 0444);
MODULE_PARM_DESC(expect_iommu, "badaddr test: fail unless an IOMMU translates");

static ulong bad_addr = 0x7f0000000000UL;
module_param(bad_addr, ulong, 0444);
MODULE_PARM_DESC(bad_addr, "bus address nothing answers");

static bool release_on_unbind = true;
module_param(release_on_unbind, bool, 0444);
MODULE_PARM_DESC(release_on_unbind, "hold test: release a channel when its device is unbound");

static uint bench_size = SZ_1M;
module_param(bench_size, uint, 0444);
MODULE_PARM_DESC(bench_size, "bench test: bytes per copy (<= 16 MiB)");

static uint bench_lanes = 4;
module_param(bench_lanes, uint, 0444);
MODULE_PARM_DESC(bench_lanes, "bench test: source and destination regions each channel cycles through");

static uint bench_ms = 2000;
module_param(bench_ms, uint, 0444);
MODULE_PARM_DESC(bench_ms, "bench test: how long to copy");

static bool corrupt;
module_param(corrupt, bool, 0444);
MODULE_PARM_DESC(corrupt, "flip one destination byte before checking (the check must fail)");

/* hold test progress, readable while the module is loaded */
static ulong hold_copies;
module_param(hold_copies, ulong, 0444);
static ulong hold_errors;
module_param(hold_errors, ulong, 0444);
static uint hold_channels;
module_param(hold_channels, uint, 0444);
static uint hold_released;
module_param(hold_released, uint, 0444);
static uint hold_unbound;
module_param(hold_unbound, uint, 0444);

#define CHUNK_ORDER	10			/* 4 MiB: the largest buddy block */
#define CHUNK_SIZE	(PAGE_SIZE << CHUNK_ORDER)
#define MAX_BLOCKS	4
#define MAX_LANES	8
#define GUARD		1024
#define GUARD_BYTE	0xa5
#define MAX_CHANS	16
#define SMALL_LIMIT	SZ_64K

struct region {
	struct page *page;	/* first of region_blocks physically adjacent blocks */
	u8 *va;
};

/* 8 MiB regions; 16 MiB for benchmarks of 16 MiB copies */
static unsigned int region_blocks = 2;
static size_t region_size = 2 * CHUNK_SIZE;

struct copy_slot {
	struct region dst;
	dma_addr_t dst_dma;
	size_t size;
	size_t src_off;
	size_t dst_off;
	bool fill;
	u64 pattern;
	bool polled;
	bool busy;
	dma_cookie_t cookie;
	struct completion done;
	enum dmaengine_tx_result result;
	bool result_seen;
};

struct chan_ctx {
	struct dma_chan *chan;
	struct device *dev;
	int index;
	dma_addr_t src_dma[MAX_LANES];	/* one mapping per source region */
	struct copy_slot *slots;
	u64 rng;
	/* results */
	unsigned long copies, fills, bytes, ok;
	unsigned long read_failed, write_failed, aborted, other_failed, lost;
	unsigned long ok_after_fail;
	bool failed_once;
	int err;
	/* copy test */
	struct work_struct work;
	unsigned int todo;
	/* bench test */
	atomic_long_t bench_done;
	atomic_t bench_seq;
	atomic_t bench_inflight;
	struct completion bench_idle;
	/* hold test */
	struct task_struct *thread;
	bool released;
	bool down;		/* the channel's device is being unbound */
	struct completion parked;	/* the thread no longer calls the driver */
	bool parked_done;
};

static struct region src_regions[MAX_LANES];
static unsigned int nr_src = 1;		/* source regions (shared by all channels) */
static unsigned int nr_slots;		/* destination regions per channel */
static bool bench_stop;
static struct chan_ctx ctxs[MAX_CHANS];
static int nr_ctx;
static DEFINE_MUTEX(ctx_lock);
static bool notifier_registered;

/* ---------------------------------------------------------------------- */

static u64 rng_next(u64 *s)
{
	u64 x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static u64 rng_below(u64 *s, u64 n)
{
	return n ? rng_next(s) % n : 0;
}

static int cmp_page(const void *a, const void *b)
{
	unsigned long pa = page_to_pfn(*(struct page * const *)a);
	unsigned long pb = page_to_pfn(*(struct page * const *)b);

	return pa < pb ? -1 : pa > pb;
}

/* Do blk[i..i+region_blocks) follow each other in physical memory? */
static bool is_run(struct page **blk, unsigned int nb, unsigned int i)
{
	unsigned int k;

	if (i + region_blocks > nb)
		return false;
	for (k = 1; k < region_blocks; k++) {
		if (page_to_pfn(blk[i + k]) != page_to_pfn(blk[i]) + (k << CHUNK_ORDER))
			return false;
	}
	return true;
}

/*
 * Physically contiguous regions of region_blocks 4 MiB buddy blocks, found by
 * allocating blocks and keeping runs of adjacent ones (the guest kernel has
 * no CMA). A fresh guest hands out free blocks in address order, so runs are
 * plentiful.
 */
static int regions_alloc(struct region *out, unsigned int n)
{
	unsigned int cap = region_blocks * n + 32, nb = 0, found = 0, i;
	struct page **blk;
	int ret = -ENOMEM;

	blk = kcalloc(cap, sizeof(*blk), GFP_KERNEL);
	if (!blk)
		return -ENOMEM;
	while (found < n && nb < cap) {
		unsigned int want = min(cap, nb + region_blocks * (n - found));

		while (nb < want) {
			blk[nb] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, CHUNK_ORDER);
			if (!blk[nb])
				goto out;
			nb++;
		}
		sort(blk, nb, sizeof(*blk), cmp_page, NULL);
		found = 0;
		for (i = 0; i < nb && found < n; i++) {
			if (is_run(blk, nb, i)) {
				found++;
				i += region_blocks - 1;
			}
		}
	}
out:
	if (found < n) {
		pr_err("found %u of %u physically contiguous %zu MiB regions\n",
		       found, n, region_size >> 20);
		for (i = 0; i < nb; i++)
			__free_pages(blk[i], CHUNK_ORDER);
		goto free;
	}
	found = 0;
	for (i = 0; i < nb; i++) {
		if (found < n && is_run(blk, nb, i)) {
			out[found].page = blk[i];
			out[found].va = page_address(blk[i]);
			found++;
			i += region_blocks - 1;
		} else {
			__free_pages(blk[i], CHUNK_ORDER);
		}
	}
	ret = 0;
free:
	kfree(blk);
	return ret;
}

static void region_free(struct region *r)
{
	unsigned int k;

	if (!r->page)
		return;
	for (k = 0; k < region_blocks; k++)
		__free_pages(pfn_to_page(page_to_pfn(r->page) + (k << CHUNK_ORDER)), CHUNK_ORDER);
	r->page = NULL;
	r->va = NULL;
}

/* ---------------------------------------------------------------------- */

static bool is_ioat_chan(struct dma_chan *chan, void *param)
{
	struct device *dev = chan->device->dev;

	return dev && dev->driver && !strcmp(dev->driver->name, "ioatdma");
}

static int grab_channels(void)
{
	dma_cap_mask_t mask;
	unsigned int limit = channels ? min_t(uint, channels, MAX_CHANS) : MAX_CHANS;

	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	while (nr_ctx < limit) {
		struct dma_chan *chan = dma_request_channel(mask, is_ioat_chan, NULL);
		struct chan_ctx *c;

		if (!chan)
			break;
		c = &ctxs[nr_ctx];
		memset(c, 0, sizeof(*c));
		c->chan = chan;
		c->dev = chan->device->dev;
		c->index = nr_ctx;
		pr_info("channel %d: %s on %s (%s)%s\n", nr_ctx, dma_chan_name(chan),
			dev_name(c->dev), dev_driver_string(c->dev),
			dma_has_cap(DMA_MEMSET, chan->device->cap_mask) ? ", memset" : "");
		nr_ctx++;
	}
	if (nr_ctx < min_channels) {
		pr_err("found %d ioatdma memcpy channels, need %u\n", nr_ctx, min_channels);
		return -ENODEV;
	}
	return 0;
}

static void release_channel(struct chan_ctx *c)
{
	unsigned int i;

	if (!c->chan)
		return;
	if (c->err == -ESHUTDOWN) {
		pr_info("%s: leaking buffers of a copy the driver dropped\n",
			dma_chan_name(c->chan));
		c->slots = NULL;
	}
	if (c->slots) {
		for (i = 0; i < nr_slots; i++) {
			if (c->slots[i].dst_dma)
				dma_unmap_page(c->dev, c->slots[i].dst_dma, region_size,
					       DMA_FROM_DEVICE);
			region_free(&c->slots[i].dst);
		}
		kfree(c->slots);
		c->slots = NULL;
	}
	for (i = 0; i < nr_src; i++) {
		if (c->src_dma[i])
			dma_unmap_page(c->dev, c->src_dma[i], region_size, DMA_TO_DEVICE);
		c->src_dma[i] = 0;
	}
	dma_release_channel(c->chan);
	c->chan = NULL;
}

static int setup_buffers(u64 base_seed)
{
	unsigned int i, j, n = nr_src + nr_ctx * nr_slots;
	struct region *regs;
	u64 s = base_seed | 1;
	size_t off;
	int ret;

	regs = kcalloc(n, sizeof(*regs), GFP_KERNEL);
	if (!regs)
		return -ENOMEM;
	ret = regions_alloc(regs, n);
	if (ret)
		goto out;
	for (i = 0; i < nr_src; i++) {
		src_regions[i] = regs[i];
		regs[i].page = NULL;
		for (off = 0; off < region_size; off += 8) {
			u64 v = rng_next(&s);

			memcpy(src_regions[i].va + off, &v, 8);
		}
	}
	for (i = 0; i < nr_ctx && !ret; i++) {
		struct chan_ctx *c = &ctxs[i];

		c->slots = kcalloc(nr_slots, sizeof(*c->slots), GFP_KERNEL);
		if (!c->slots) {
			ret = -ENOMEM;
			break;
		}
		for (j = 0; j < nr_src; j++) {
			c->src_dma[j] = dma_map_page(c->dev, src_regions[j].page, 0, region_size,
						     DMA_TO_DEVICE);
			if (dma_mapping_error(c->dev, c->src_dma[j])) {
				c->src_dma[j] = 0;
				ret = -EIO;
				break;
			}
		}
		for (j = 0; j < nr_slots && !ret; j++) {
			struct copy_slot *sl = &c->slots[j];

			sl->dst = regs[nr_src + i * nr_slots + j];
			regs[nr_src + i * nr_slots + j].page = NULL;
			memset(sl->dst.va, GUARD_BYTE, region_size);
			sl->dst_dma = dma_map_page(c->dev, sl->dst.page, 0, region_size,
						   DMA_FROM_DEVICE);
			if (dma_mapping_error(c->dev, sl->dst_dma)) {
				sl->dst_dma = 0;
				ret = -EIO;
				break;
			}
			init_completion(&sl->done);
		}
	}
	/* regions not handed out (after an error) */
	for (i = 0; i < n; i++)
		region_free(&regs[i]);
out:
	kfree(regs);
	return ret;
}

/* ---------------------------------------------------------------------- */

static void copy_done(void *arg, const struct dmaengine_result *res)
{
	struct copy_slot *sl = arg;

	sl->result = res ? res->result : DMA_TRANS_NOERROR;
	/* pairs with the poller's smp_load_acquire(): result before the flag */
	smp_store_release(&sl->result_seen, true);
	complete(&sl->done);
}

static size_t pick_size(u64 *s)
{
	unsigned int top = fls(max_size) - 1, k;
	size_t lo, hi, size;

	for (;;) {
		k = rng_below(s, top + 1);
		lo = 1UL << k;
		hi = min_t(size_t, (2UL << k) - 1, max_size);
		size = lo + rng_below(s, hi - lo + 1);
		if (size < min_size)
			continue;
		if (size > SMALL_LIMIT && rng_below(s, 100) >= big_pct)
			continue;
		return size;
	}
}

/* Build and submit one copy (or fill) in slot sl; number n picks extremes. */
static int submit_copy(struct chan_ctx *c, struct copy_slot *sl, unsigned long n, bool fill)
{
	struct dma_async_tx_descriptor *tx;
	unsigned long flags;

	if (n == 0)
		sl->size = min_size;
	else if (n == 1)
		sl->size = max_size;
	else
		sl->size = pick_size(&c->rng);
	sl->src_off = rng_below(&c->rng, region_size - sl->size + 1);
	sl->dst_off = GUARD + rng_below(&c->rng, region_size - 2 * GUARD - sl->size + 1);
	sl->fill = fill;
	sl->pattern = rng_next(&c->rng);
	sl->polled = poll == 1 || (poll == 2 && (n & 1));
	flags = sl->polled ? 0 : DMA_PREP_INTERRUPT;
	if (fill)
		tx = dmaengine_prep_dma_memset(c->chan, sl->dst_dma + sl->dst_off,
					       (int)(sl->pattern & 0xff), sl->size, flags);
	else
		tx = dmaengine_prep_dma_memcpy(c->chan, sl->dst_dma + sl->dst_off,
					       c->src_dma[0] + sl->src_off, sl->size, flags);
	if (!tx) {
		pr_err("%s: prep of %zu bytes failed\n", dma_chan_name(c->chan), sl->size);
		return -EIO;
	}
	reinit_completion(&sl->done);
	sl->result_seen = false;
	sl->result = DMA_TRANS_ABORTED;
	tx->callback_result = copy_done;
	tx->callback_param = sl;
	sl->cookie = dmaengine_submit(tx);
	if (dma_submit_error(sl->cookie)) {
		pr_err("%s: submit failed: %d\n", dma_chan_name(c->chan), sl->cookie);
		return -EIO;
	}
	sl->busy = true;
	return 0;
}

static int wait_copy(struct chan_ctx *c, struct copy_slot *sl)
{
	unsigned long end = jiffies + msecs_to_jiffies(timeout_ms);

	if (sl->polled) {
		/* tx_status runs the driver's cleanup: no interrupt needed */
		while (dma_async_is_tx_complete(c->chan, sl->cookie, NULL, NULL) != DMA_COMPLETE) {
			if (time_after(jiffies, end))
				goto timeout;
			cond_resched();
		}
		/* the cookie completes just before the callback runs */
		while (!smp_load_acquire(&sl->result_seen)) {
			if (time_after(jiffies, end))
				goto timeout;
			cond_resched();
		}
	} else if (!wait_for_completion_timeout(&sl->done, msecs_to_jiffies(timeout_ms))) {
		goto timeout;
	}
	sl->busy = false;
	return 0;
timeout:
	pr_err("%s: copy of %zu bytes (cookie %d, %s) timed out\n", dma_chan_name(c->chan),
	       sl->size, sl->cookie, sl->polled ? "polled" : "interrupt");
	return -ETIMEDOUT;
}

static bool range_is(const u8 *p, size_t len, u8 v, size_t *bad)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != v) {
			*bad = i;
			return false;
		}
	}
	return true;
}

/* Compare 8 bytes at a time where possible (byte loops are slow under TCG). */
static bool range_eq(const u8 *a, const u8 *b, size_t len, size_t *bad)
{
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		u64 x, y;

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			break;
	}
	for (; i < len; i++) {
		if (a[i] != b[i]) {
			*bad = i;
			return false;
		}
	}
	return true;
}

/*
 * Fill slot sl's destination range with the guard pattern again and give the buffer back to the
 * device (the CPU owns it: dma_sync_single_for_cpu() was called).
 */
static void restore_guard(struct chan_ctx *c, struct copy_slot *sl)
{
	memset(sl->dst.va + sl->dst_off, GUARD_BYTE, sl->size);
	dma_sync_single_for_device(c->dev, sl->dst_dma, region_size, DMA_FROM_DEVICE);
}

/* Check a finished slot, restore its guard pattern; -EIO on bad data. */
static int check_slot(struct chan_ctx *c, struct copy_slot *sl)
{
	u8 *d = sl->dst.va + sl->dst_off;
	size_t bad = 0;
	int ret = 0;

	dma_sync_single_for_cpu(c->dev, sl->dst_dma, region_size, DMA_FROM_DEVICE);
	if (corrupt && sl->result == DMA_TRANS_NOERROR) {
		d[sl->size / 2] ^= 0x01;
		corrupt = false;
	}
	switch (sl->result) {
	case DMA_TRANS_NOERROR:
		c->ok++;
		if (c->failed_once)
			c->ok_after_fail++;
		if (!range_is(d - GUARD, GUARD, GUARD_BYTE, &bad)) {
			pr_err("%s: guard before dst+%zu (size %zu) overwritten at -%zu\n",
			       dma_chan_name(c->chan), sl->dst_off, sl->size, GUARD - bad);
			ret = -EIO;
		} else if (!range_is(d + sl->size, GUARD, GUARD_BYTE, &bad)) {
			pr_err("%s: guard after dst+%zu (size %zu) overwritten at +%zu\n",
			       dma_chan_name(c->chan), sl->dst_off, sl->size, bad);
			ret = -EIO;
		} else if (sl->fill && !range_is(d, sl->size, sl->pattern & 0xff, &bad)) {
			pr_err("%s: fill of %zu bytes wrong at byte %zu\n",
			       dma_chan_name(c->chan), sl->size, bad);
			ret = -EIO;
		} else if (!sl->fill &&
			   !range_eq(d, src_regions[0].va + sl->src_off, sl->size, &bad)) {
			pr_err("%s: copy src+%zu -> dst+%zu of %zu bytes differs at byte %zu\n",
			       dma_chan_name(c->chan), sl->src_off, sl->dst_off, sl->size, bad);
			ret = -EIO;
		}
		break;
	case DMA_TRANS_READ_FAILED:
		c->read_failed++;
		c->failed_once = true;
		c->ok_after_fail = 0;
		break;
	case DMA_TRANS_WRITE_FAILED:
		c->write_failed++;
		c->failed_once = true;
		c->ok_after_fail = 0;
		break;
	case DMA_TRANS_ABORTED:
		c->aborted++;
		break;
	default:
		c->other_failed++;
		pr_err("%s: unexpected result %d\n", dma_chan_name(c->chan), sl->result);
		ret = -EIO;
	}
	/* a failed copy may have written part of its range: restore all of it */
	restore_guard(c, sl);
	return ret;
}

static bool fault_test(void)
{
	return !strcmp(test, "fault");
}

/*
 * Count the copy in sl as lost (lost_max) and make its slot reusable. Its descriptor failed and
 * the channel was reset since, so the device no longer writes its range; the guard pattern is
 * restored over all of it.
 */
static void lose_slot(struct chan_ctx *c, struct copy_slot *sl)
{
	pr_warn("%s: counting the copy of cookie %d as lost (lost_max=%u)\n",
		dma_chan_name(c->chan), sl->cookie, lost_max);
	c->lost++;
	c->failed_once = true;
	c->ok_after_fail = 0;
	sl->busy = false;
	dma_sync_single_for_cpu(c->dev, sl->dst_dma, region_size, DMA_FROM_DEVICE);
	restore_guard(c, sl);
}

/* Copy test worker: c->todo copies (and fills) on channel c. */
static void copy_work(struct work_struct *w)
{
	struct chan_ctx *c = container_of(w, struct chan_ctx, work);
	bool memset_ok = dma_has_cap(DMA_MEMSET, c->chan->device->cap_mask);
	unsigned long issued = 0, reaped = 0;
	unsigned int head = 0;
	int ret = 0;

	while (reaped < c->todo) {
		/* fill the ring of slots, oldest first */
		while (issued < c->todo && issued - reaped < depth) {
			struct copy_slot *sl = &c->slots[issued % depth];
			bool fill = memset_ok && (issued & 2);

			ret = submit_copy(c, sl, issued, fill);
			if (ret)
				goto out;
			issued++;
			if (fill)
				c->fills++;
			else
				c->copies++;
			c->bytes += sl->size;
		}
		dma_async_issue_pending(c->chan);
		head = reaped % depth;
		ret = wait_copy(c, &c->slots[head]);
		if (ret == -ETIMEDOUT && fault_test() && c->lost < lost_max) {
			lose_slot(c, &c->slots[head]);
			reaped++;
			continue;
		}
		if (ret)
			goto out;
		/* failed copies are counted there; only wrong data is an error */
		ret = check_slot(c, &c->slots[head]);
		if (ret)
			goto out;
		reaped++;
	}
out:
	if (ret) {
		/* wait for what is still in flight so buffers can be freed */
		while (reaped < issued) {
			struct copy_slot *sl = &c->slots[reaped % depth];

			if (sl->busy && wait_copy(c, sl)) {
				pr_err("%s: copies still in flight, leaking their buffers\n",
				       dma_chan_name(c->chan));
				c->slots = NULL;	/* never free memory a device may write */
				break;
			}
			reaped++;
		}
	}
	c->err = ret;
}

static int run_copies(void)
{
	ktime_t t0 = ktime_get();
	unsigned long bytes = 0, copies = 0, fills = 0, ok = 0;
	unsigned long rf = 0, wf = 0, ab = 0;
	u64 ns;
	int i, ret = 0;
	bool any_memset = false;

	for (i = 0; i < nr_ctx; i++) {
		struct chan_ctx *c = &ctxs[i];

		c->todo = count / nr_ctx + (i < count % nr_ctx);
		c->rng = (seed + 0x9e3779b97f4a7c15ULL * (i + 1)) | 1;
		INIT_WORK(&c->work, copy_work);
		queue_work(system_unbound_wq, &c->work);
	}
	for (i = 0; i < nr_ctx; i++) {
		struct chan_ctx *c = &ctxs[i];

		flush_work(&c->work);
		pr_info("%s (%s): %lu copies %lu fills %lu bytes: ok %lu read_failed %lu write_failed %lu aborted %lu lost %lu ok_after_last_failure %lu err %d\n",
			dma_chan_name(c->chan), dev_name(c->dev), c->copies, c->fills, c->bytes,
			c->ok, c->read_failed, c->write_failed, c->aborted, c->lost,
			c->ok_after_fail, c->err);
		if (c->err && !ret)
			ret = c->err;
		bytes += c->bytes;
		copies += c->copies;
		fills += c->fills;
		ok += c->ok;
		rf += c->read_failed;
		wf += c->write_failed;
		ab += c->aborted;
		if (dma_has_cap(DMA_MEMSET, c->chan->device->cap_mask))
			any_memset = true;
		if (fault_test() && c->failed_once && !c->ok_after_fail) {
			pr_err("%s: no successful copy after the last failure\n",
			       dma_chan_name(c->chan));
			if (!ret)
				ret = -EIO;
		}
	}
	ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	pr_info("%s: %lu buffers (%lu copies, %lu fills) %lu bytes in %llu ms on %d channels, poll=%d depth=%u seed=%lu: ok %lu read_failed %lu write_failed %lu aborted %lu\n",
		test, copies + fills, copies, fills, bytes, ns / NSEC_PER_MSEC, nr_ctx, poll,
		depth, seed, ok, rf, wf, ab);
	if (!any_memset)
		pr_info("fill: no channel advertises DMA_MEMSET, fills not tested\n");
	if (ret)
		return ret;
	if (!fault_test()) {
		if (ok != copies + fills) {
			pr_err("copy: %lu of %lu buffers failed\n", copies + fills - ok,
			       copies + fills);
			return -EIO;
		}
		return 0;
	}
	if (!strcmp(expect, "read") && (!rf || wf)) {
		pr_err("fault: expected read failures only, saw %lu read and %lu write\n", rf, wf);
		return -EIO;
	}
	if (!strcmp(expect, "write") && (!wf || rf)) {
		pr_err("fault: expected write failures only, saw %lu read and %lu write\n", rf, wf);
		return -EIO;
	}
	if (!rf && !wf) {
		pr_err("fault: no copy failed\n");
		return -EIO;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */

static bool iommu_translates(struct device *dev)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(dev);

	return dom && (dom->type & __IOMMU_DOMAIN_PAGING);
}

/* One copy of len bytes src -> dst on c, expecting result want. */
static int one_copy(struct chan_ctx *c, dma_addr_t dst, dma_addr_t src, size_t len,
		    enum dmaengine_tx_result want, const char *what)
{
	struct copy_slot *sl = &c->slots[0];
	struct dma_async_tx_descriptor *tx;

	tx = dmaengine_prep_dma_memcpy(c->chan, dst, src, len, DMA_PREP_INTERRUPT);
	if (!tx)
		return -EIO;
	reinit_completion(&sl->done);
	sl->result_seen = false;
	sl->polled = false;
	sl->size = len;
	tx->callback_result = copy_done;
	tx->callback_param = sl;
	sl->cookie = dmaengine_submit(tx);
	if (dma_submit_error(sl->cookie))
		return -EIO;
	sl->busy = true;
	dma_async_issue_pending(c->chan);
	if (wait_copy(c, sl))
		return -ETIMEDOUT;
	if (sl->result == DMA_TRANS_ABORTED && want == DMA_TRANS_NOERROR) {
		pr_info("%s: %s: aborted by the driver's recovery\n", dma_chan_name(c->chan),
			what);
		return -EAGAIN;
	}
	if (sl->result != want) {
		pr_err("%s: %s: result %d, expected %d\n", dma_chan_name(c->chan), what,
		       sl->result, want);
		return -EIO;
	}
	pr_info("%s: %s: result %d as expected\n", dma_chan_name(c->chan), what, sl->result);
	return 0;
}

static int good_copy(struct chan_ctx *c, const char *what)
{
	struct copy_slot *sl = &c->slots[0];
	int ret, tries = 0;

	sl->src_off = 4096 + 17;
	sl->dst_off = GUARD + 5;
	sl->fill = false;
	/*
	 * ioatdma runs the failed copy's callback before it aborts what is
	 * queued behind it: a copy submitted from that callback's wake-up can
	 * still be aborted (never executed) by the recovery. Submit it again.
	 */
	do {
		ret = one_copy(c, sl->dst_dma + sl->dst_off, c->src_dma[0] + sl->src_off,
			       SZ_64K, DMA_TRANS_NOERROR, what);
	} while (ret == -EAGAIN && ++tries < 3);
	if (ret)
		return ret;
	sl->size = SZ_64K;
	sl->result = DMA_TRANS_NOERROR;
	return check_slot(c, sl);
}

static int run_badaddr(void)
{
	int i, ret;

	for (i = 0; i < nr_ctx; i++) {
		struct chan_ctx *c = &ctxs[i];
		struct copy_slot *sl = &c->slots[0];
		bool xlate = iommu_translates(c->dev);

		pr_info("%s: IOMMU %s\n", dma_chan_name(c->chan),
			xlate ? "translates" : "does not translate");
		if (expect_iommu && !xlate) {
			pr_err("%s: expected a translating IOMMU\n", dma_chan_name(c->chan));
			return -ENODEV;
		}
		ret = good_copy(c, "copy before faults");
		if (ret)
			return ret;
		ret = one_copy(c, sl->dst_dma + GUARD, bad_addr, 4096, DMA_TRANS_READ_FAILED,
			       "read from unbacked address");
		memset(sl->dst.va + GUARD, GUARD_BYTE, 4096);
		if (!ret)
			ret = good_copy(c, "copy after read fault");
		if (!ret)
			ret = one_copy(c, bad_addr, c->src_dma[0], 4096, DMA_TRANS_WRITE_FAILED,
				       "write to unbacked address");
		if (!ret)
			ret = good_copy(c, "copy after write fault");
		if (ret)
			return ret;
		if (xlate) {
			/* an IOVA that was mapped a moment ago and is not any more */
			dma_addr_t stale = dma_map_page(c->dev, src_regions[0].page, 0, PAGE_SIZE,
							DMA_TO_DEVICE);

			if (dma_mapping_error(c->dev, stale))
				return -EIO;
			dma_unmap_page(c->dev, stale, PAGE_SIZE, DMA_TO_DEVICE);
			msleep(100);	/* let a lazy IOTLB flush happen */
			ret = one_copy(c, sl->dst_dma + GUARD, stale, 4096,
				       DMA_TRANS_READ_FAILED, "read from unmapped IOVA");
			memset(sl->dst.va + GUARD, GUARD_BYTE, 4096);
			if (!ret)
				ret = good_copy(c, "copy after IOVA fault");
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------------- */

static int hold_thread(void *arg)
{
	struct chan_ctx *c = arg;
	unsigned long n = 0;

	while (!kthread_should_stop()) {
		struct copy_slot *sl = &c->slots[0];
		int ret;

		if (c->err || READ_ONCE(c->down)) {
			/* no more calls into the driver from here on */
			if (!c->parked_done) {
				c->parked_done = true;
				complete(&c->parked);
			}
			msleep_interruptible(20);
			continue;
		}
		ret = submit_copy(c, sl, n + 2, false);
		if (!ret) {
			dma_async_issue_pending(c->chan);
			ret = wait_copy(c, sl);
		}
		if (ret && sl->busy) {
			/* never reuse or free memory a copy may still write */
			c->err = -ESHUTDOWN;
			WRITE_ONCE(hold_errors, hold_errors + 1);
			continue;
		}
		if (!ret)
			ret = check_slot(c, sl);
		if (ret) {
			c->err = ret;
			WRITE_ONCE(hold_errors, hold_errors + 1);
			continue;
		}
		n++;
		WRITE_ONCE(hold_copies, hold_copies + 1);
	}
	return 0;
}

static void hold_stop(struct chan_ctx *c)
{
	if (c->thread) {
		kthread_stop(c->thread);
		put_task_struct(c->thread);
		c->thread = NULL;
	}
}

static int unbind_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct device *dev = data;
	int i;

	if (action != BUS_NOTIFY_UNBIND_DRIVER)
		return NOTIFY_DONE;
	mutex_lock(&ctx_lock);
	for (i = 0; i < nr_ctx; i++) {
		struct chan_ctx *c = &ctxs[i];

		if (!c->chan || c->released || c->down || c->dev != dev)
			continue;
		hold_unbound++;
		if (release_on_unbind) {
			pr_info("%s: %s is being unbound: stopping and releasing the channel\n",
				dma_chan_name(c->chan), dev_name(dev));
			hold_stop(c);
			release_channel(c);
			c->released = true;
			hold_released++;
		} else {
			/*
			 * Keep the channel, but finish the copy in flight and
			 * stop calling the driver before it goes: ioatdma's
			 * timer must not be re-armed after the device is gone.
			 */
			pr_info("%s: %s is being unbound: quiescing, holding the channel\n",
				dma_chan_name(c->chan), dev_name(dev));
			WRITE_ONCE(c->down, true);
			if (!wait_for_completion_timeout(&c->parked,
							 msecs_to_jiffies(timeout_ms + 1000))) {
				pr_err("%s: copy thread did not quiesce\n", dma_chan_name(c->chan));
				WRITE_ONCE(hold_errors, hold_errors + 1);
			}
		}
	}
	mutex_unlock(&ctx_lock);
	return NOTIFY_OK;
}

static struct notifier_block unbind_nb = {
	.notifier_call = unbind_notify,
};

static int run_hold(void)
{
	int i, ret;

	/* smaller copies keep the loop lively under TCG */
	max_size = min_t(uint, max_size, SZ_256K);
	ret = bus_register_notifier(&pci_bus_type, &unbind_nb);
	if (ret)
		return ret;
	notifier_registered = true;
	mutex_lock(&ctx_lock);
	for (i = 0; i < nr_ctx; i++) {
		struct chan_ctx *c = &ctxs[i];

		c->rng = (seed + i + 1) | 1;
		init_completion(&c->parked);
		c->thread = kthread_create(hold_thread, c, "ioat_client/%d", i);
		if (IS_ERR(c->thread)) {
			ret = PTR_ERR(c->thread);
			c->thread = NULL;
			break;
		}
		get_task_struct(c->thread);
		wake_up_process(c->thread);
	}
	hold_channels = nr_ctx;
	mutex_unlock(&ctx_lock);
	if (!ret)
		pr_info("hold: copying on %d channels until removed\n", nr_ctx);
	return ret;
}

/* ---------------------------------------------------------------------- */

static void bench_done(void *arg, const struct dmaengine_result *res);

static int bench_submit(struct chan_ctx *c)
{
	unsigned int seq = atomic_inc_return(&c->bench_seq);
	unsigned int lane = seq % bench_lanes;
	size_t off = (size_t)(seq / bench_lanes % (region_size / bench_size)) * bench_size;
	struct dma_async_tx_descriptor *tx;
	dma_cookie_t cookie;

	/* walk through every region so the host's caches do not hold them */
	tx = dmaengine_prep_dma_memcpy(c->chan, c->slots[lane].dst_dma + off,
				       c->src_dma[lane] + off, bench_size, DMA_PREP_INTERRUPT);
	if (!tx)
		return -EBUSY;
	tx->callback_result = bench_done;
	tx->callback_param = c;
	cookie = dmaengine_submit(tx);
	return dma_submit_error(cookie) ? -EIO : 0;
}

/* Runs in the driver's cleanup (softirq): count and keep the channel busy. */
static void bench_done(void *arg, const struct dmaengine_result *res)
{
	struct chan_ctx *c = arg;

	if (res && res->result != DMA_TRANS_NOERROR)
		c->err = -EIO;
	atomic_long_inc(&c->bench_done);
	if (!READ_ONCE(bench_stop) && !c->err && !bench_submit(c)) {
		dma_async_issue_pending(c->chan);
		return;
	}
	if (atomic_dec_and_test(&c->bench_inflight))
		complete(&c->bench_idle);
}

static int run_bench(void)
{
	unsigned long ops = 0;
	ktime_t t0, t1;
	u64 ns, mbps;
	size_t bad;
	int i, j, ret = 0;

	WRITE_ONCE(bench_stop, false);
	t0 = ktime_get();
	for (i = 0; i < nr_ctx; i++) {
		struct chan_ctx *c = &ctxs[i];

		atomic_long_set(&c->bench_done, 0);
		atomic_set(&c->bench_seq, 0);
		atomic_set(&c->bench_inflight, depth);
		init_completion(&c->bench_idle);
		for (j = 0; j < depth; j++) {
			ret = bench_submit(c);
			if (ret)
				break;
		}
		/* copies that could not be submitted are not in flight */
		if (j < depth && atomic_sub_and_test(depth - j, &c->bench_inflight))
			complete(&c->bench_idle);
		dma_async_issue_pending(c->chan);
		if (ret)
			break;
	}
	msleep(bench_ms);
	WRITE_ONCE(bench_stop, true);
	for (i = 0; i < nr_ctx; i++) {
		struct chan_ctx *c = &ctxs[i];

		if (!wait_for_completion_timeout(&c->bench_idle, msecs_to_jiffies(timeout_ms))) {
			pr_err("%s: copies did not drain\n", dma_chan_name(c->chan));
			c->slots = NULL;	/* never free memory a device may write */
			ret = -ETIMEDOUT;
		}
	}
	t1 = ktime_get();
	ns = max_t(u64, ktime_to_ns(ktime_sub(t1, t0)), 1);
	for (i = 0; i < nr_ctx; i++) {
		struct chan_ctx *c = &ctxs[i];

		ops += atomic_long_read(&c->bench_done);
		if (c->err && !ret)
			ret = c->err;
		/* the first copy went to lane 1, offset 0 */
		if (!ret && c->slots && bench_lanes > 1 &&
		    !range_eq(c->slots[1].dst.va, src_regions[1].va, bench_size, &bad)) {
			pr_err("%s: benchmark copy differs at byte %zu\n", dma_chan_name(c->chan),
			       bad);
			ret = -EIO;
		}
	}
	mbps = div64_u64((u64)ops * bench_size * 1000, ns);
	pr_info("bench: size %u channels %d depth %u: %lu copies in %llu us: %llu MB/s %llu copies/s (source %zu MiB, destination %zu MiB per channel)\n",
		bench_size, nr_ctx, depth, ops, ns / NSEC_PER_USEC, mbps,
		div64_u64((u64)ops * NSEC_PER_SEC, ns), (bench_lanes * region_size) >> 20,
		(bench_lanes * region_size) >> 20);
	return ret;
}

/* ---------------------------------------------------------------------- */

static void teardown(void)
{
	int i;

	if (notifier_registered) {
		bus_unregister_notifier(&pci_bus_type, &unbind_nb);
		notifier_registered = false;
	}
	mutex_lock(&ctx_lock);
	for (i = 0; i < nr_ctx; i++) {
		hold_stop(&ctxs[i]);
		release_channel(&ctxs[i]);
	}
	nr_ctx = 0;
	mutex_unlock(&ctx_lock);
	for (i = 0; i < nr_src; i++)
		region_free(&src_regions[i]);
}

static int __init ioat_client_init(void)
{
	int ret;

	if (!depth || max_size < 1 || max_size > SZ_4M || min_size < 1 || min_size > max_size ||
	    !bench_size || bench_size > MAX_BLOCKS * CHUNK_SIZE) {
		pr_err("bad parameters\n");
		return -EINVAL;
	}
	nr_slots = depth;
	if (!strcmp(test, "bench")) {
		if (bench_lanes < 2 || bench_lanes > MAX_LANES) {
			pr_err("bench_lanes must be 2..%d\n", MAX_LANES);
			return -EINVAL;
		}
		nr_slots = bench_lanes;
		nr_src = bench_lanes;
		region_blocks = max_t(uint, 2, DIV_ROUND_UP(bench_size, CHUNK_SIZE));
		region_size = region_blocks * CHUNK_SIZE;
	}
	if (!seed)
		seed = get_random_u32() | 1;
	ret = grab_channels();
	if (ret)
		goto fail;
	ret = setup_buffers(seed);
	if (ret) {
		pr_err("buffer setup failed: %d\n", ret);
		goto fail;
	}
	if (!strcmp(test, "copy") || fault_test()) {
		ret = run_copies();
	} else if (!strcmp(test, "badaddr")) {
		ret = run_badaddr();
	} else if (!strcmp(test, "bench")) {
		ret = run_bench();
	} else if (!strcmp(test, "hold")) {
		ret = run_hold();
		if (!ret)
			return 0;	/* stays loaded, holding the channels */
	} else {
		pr_err("unknown test '%s'\n", test);
		ret = -EINVAL;
	}
fail:
	teardown();
	if (ret) {
		pr_err("%s: FAIL (%d)\n", test, ret);
		return ret;
	}
	pr_info("%s: PASS\n", test);
	return 0;	/* loaded with nothing held: rmmod before the next run */
}

static void __exit ioat_client_exit(void)
{
	if (!strcmp(test, "hold"))
		pr_info("hold: %lu copies, %lu errors, %u of %u channels unbound, %u released on unbind\n",
			hold_copies, hold_errors, hold_unbound, hold_channels, hold_released);
	teardown();
}

module_init(ioat_client_init);
module_exit(ioat_client_exit);
MODULE_DESCRIPTION("dmaengine client test for the emulated I/OAT device");
MODULE_LICENSE("GPL");

// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmacopy_stuckdma: a test-only dmaengine DMA_MEMCPY channel that can be told
 * to stop completing descriptors, for dmacopy.ko's timeout, orphan and unbind
 * tests (a real or emulated engine cannot be stalled on demand).
 *
 * The module registers a platform device "dmacopy-stuckdma" and its driver;
 * the device offers one private memcpy channel. Descriptors are copied by the
 * CPU in a work item and completed through callback_result, like an engine
 * that completes in order. With hold=1 (module parameter, writable) submitted
 * descriptors wait; writing hold=0 runs them. Unbinding the device (sysfs
 * unbind of the platform driver) gives up the waiting descriptors without
 * callbacks, as ioatdma does when its channel is freed.
 *
 * Two idxd behaviours can be imitated: max_len=N makes the prep refuse more
 * than N bytes (idxd refuses more than its max_xfer_bytes), and writing 1 to
 * remove unregisters the channel while the device stays bound, as idxd does
 * when a work queue is disabled; it checks that no client holds the channel
 * by then (idxd frees it right after) and WARNs otherwise.
 *
 * DMA addresses are physical addresses (the platform device has no IOMMU), so
 * the CPU copy goes through the kernel's direct map.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/io.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

struct stuck_desc {
	struct dma_async_tx_descriptor tx;
	struct list_head node;
	dma_addr_t src, dst;
	size_t len;
};

struct stuck_dev {
	struct dma_device dma;
	struct dma_chan chan;
	spinlock_t lock;		/* the lists, cookies */
	struct list_head submitted;	/* not issued yet */
	struct list_head issued;	/* waiting to be copied */
	struct work_struct work;
	bool running;			/* channel resources allocated */
	bool removed;			/* channel unregistered (remove=1) */
};

static struct stuck_dev *stuck;
static struct platform_device *stuck_pdev;
static unsigned long completed;

static int hold_set(const char *val, const struct kernel_param *kp);
static bool hold;
static const struct kernel_param_ops hold_ops = {
	.set = hold_set,
	.get = param_get_bool,
};

module_param_cb(hold, &hold_ops, &hold, 0644);
MODULE_PARM_DESC(hold, "keep submitted descriptors waiting (1) or run them (0)");
module_param(completed, ulong, 0444);
MODULE_PARM_DESC(completed, "descriptors completed so far");

static unsigned int max_len;
module_param(max_len, uint, 0644);
MODULE_PARM_DESC(max_len, "refuse descriptors longer than this (0: no limit)");

static DEFINE_MUTEX(remove_lock);
static int remove_set(const char *val, const struct kernel_param *kp);
static const struct kernel_param_ops remove_ops = {
	.set = remove_set,
};

module_param_cb(remove, &remove_ops, NULL, 0200);
MODULE_PARM_DESC(remove, "1: unregister the channel, the device staying bound (idxd's disable-wq)");

static struct stuck_dev *to_stuck(struct dma_chan *chan)
{
	return container_of(chan, struct stuck_dev, chan);
}

static void stuck_work(struct work_struct *work)
{
	struct stuck_dev *sd = container_of(work, struct stuck_dev, work);
	struct dmaengine_result res = { .result = DMA_TRANS_NOERROR };
	struct stuck_desc *d;

	for (;;) {
		spin_lock_bh(&sd->lock);
		if (READ_ONCE(hold) || !sd->running || list_empty(&sd->issued)) {
			spin_unlock_bh(&sd->lock);
			return;
		}
		d = list_first_entry(&sd->issued, struct stuck_desc, node);
		list_del(&d->node);
		spin_unlock_bh(&sd->lock);

		memcpy(phys_to_virt(d->dst), phys_to_virt(d->src), d->len);
		spin_lock_bh(&sd->lock);
		sd->chan.completed_cookie = d->tx.cookie;
		completed++;
		spin_unlock_bh(&sd->lock);

		/* Callbacks run in softirq context with real engines. */
		local_bh_disable();
		if (d->tx.callback_result)
			d->tx.callback_result(d->tx.callback_param, &res);
		else if (d->tx.callback)
			d->tx.callback(d->tx.callback_param);
		local_bh_enable();
		kfree(d);
	}
}

static int hold_set(const char *val, const struct kernel_param *kp)
{
	int err = param_set_bool(val, kp);

	if (!err && !READ_ONCE(hold) && stuck)
		schedule_work(&stuck->work);
	return err;
}

static dma_cookie_t stuck_tx_submit(struct dma_async_tx_descriptor *tx)
{
	struct stuck_dev *sd = to_stuck(tx->chan);
	struct stuck_desc *d = container_of(tx, struct stuck_desc, tx);
	dma_cookie_t cookie;

	spin_lock_bh(&sd->lock);
	cookie = sd->chan.cookie + 1;
	if (cookie < DMA_MIN_COOKIE)
		cookie = DMA_MIN_COOKIE;
	sd->chan.cookie = cookie;
	tx->cookie = cookie;
	list_add_tail(&d->node, &sd->submitted);
	spin_unlock_bh(&sd->lock);
	return cookie;
}

static struct dma_async_tx_descriptor *
stuck_prep_memcpy(struct dma_chan *chan, dma_addr_t dst, dma_addr_t src, size_t len,
		  unsigned long flags)
{
	struct stuck_desc *d;

	if (READ_ONCE(max_len) && len > READ_ONCE(max_len))
		return NULL;
	d = kzalloc(sizeof(*d), GFP_NOWAIT);
	if (!d)
		return NULL;
	dma_async_tx_descriptor_init(&d->tx, chan);
	d->tx.tx_submit = stuck_tx_submit;
	d->tx.flags = flags;
	d->src = src;
	d->dst = dst;
	d->len = len;
	return &d->tx;
}

static void stuck_issue_pending(struct dma_chan *chan)
{
	struct stuck_dev *sd = to_stuck(chan);

	spin_lock_bh(&sd->lock);
	list_splice_tail_init(&sd->submitted, &sd->issued);
	spin_unlock_bh(&sd->lock);
	if (!READ_ONCE(hold))
		schedule_work(&sd->work);
}

static enum dma_status stuck_tx_status(struct dma_chan *chan, dma_cookie_t cookie,
				       struct dma_tx_state *state)
{
	struct stuck_dev *sd = to_stuck(chan);
	dma_cookie_t done, last;

	spin_lock_bh(&sd->lock);
	done = chan->completed_cookie;
	last = chan->cookie;
	spin_unlock_bh(&sd->lock);
	dma_set_tx_state(state, done, last, 0);
	return dma_async_is_complete(cookie, done, last);
}

static int stuck_alloc_chan_resources(struct dma_chan *chan)
{
	struct stuck_dev *sd = to_stuck(chan);

	spin_lock_bh(&sd->lock);
	sd->running = true;
	spin_unlock_bh(&sd->lock);
	return 1;
}

/* Waiting descriptors are dropped without callbacks, as ioatdma does. */
static void stuck_free_chan_resources(struct dma_chan *chan)
{
	struct stuck_dev *sd = to_stuck(chan);
	struct stuck_desc *d, *tmp;
	LIST_HEAD(drop);
	int n = 0;

	spin_lock_bh(&sd->lock);
	sd->running = false;
	list_splice_init(&sd->submitted, &drop);
	list_splice_tail_init(&sd->issued, &drop);
	spin_unlock_bh(&sd->lock);
	cancel_work_sync(&sd->work);
	list_for_each_entry_safe(d, tmp, &drop, node) {
		list_del(&d->node);
		kfree(d);
		n++;
	}
	if (n)
		pr_info("dropped %d descriptors that were never run\n", n);
}

/*
 * What idxd_dmaengine_drv_remove() does to a work queue's channel: unregister
 * it (its dmaXchanY device goes away) and free it. Clients must have given
 * it back by the time the unregistration returns.
 */
static int remove_set(const char *val, const struct kernel_param *kp)
{
	bool yes;
	int err = kstrtobool(val, &yes);

	if (err || !yes)
		return err;
	mutex_lock(&remove_lock);
	if (!stuck || stuck->removed) {
		mutex_unlock(&remove_lock);
		return -ENODEV;
	}
	dma_async_device_channel_unregister(&stuck->dma, &stuck->chan);
	list_del(&stuck->chan.device_node);
	stuck->removed = true;
	WARN(stuck->chan.client_count, "channel unregistered while %d clients hold it\n",
	     stuck->chan.client_count);
	mutex_unlock(&remove_lock);
	pr_info("channel removed\n");
	return 0;
}

static void stuck_release(struct dma_device *dma)
{
	kfree(container_of(dma, struct stuck_dev, dma));
}

static void stuck_unregister(void *data)
{
	struct stuck_dev *sd = data;

	mutex_lock(&remove_lock);
	stuck = NULL;
	mutex_unlock(&remove_lock);
	cancel_work_sync(&sd->work);
	dma_async_device_unregister(&sd->dma);
}

static int stuck_probe(struct platform_device *pdev)
{
	struct stuck_dev *sd;
	int err;

	err = dma_coerce_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (err)
		return err;
	sd = kzalloc(sizeof(*sd), GFP_KERNEL);
	if (!sd)
		return -ENOMEM;
	spin_lock_init(&sd->lock);
	INIT_LIST_HEAD(&sd->submitted);
	INIT_LIST_HEAD(&sd->issued);
	INIT_WORK(&sd->work, stuck_work);

	dma_cap_set(DMA_MEMCPY, sd->dma.cap_mask);
	dma_cap_set(DMA_PRIVATE, sd->dma.cap_mask);
	sd->dma.dev = &pdev->dev;
	sd->dma.device_prep_dma_memcpy = stuck_prep_memcpy;
	sd->dma.device_issue_pending = stuck_issue_pending;
	sd->dma.device_tx_status = stuck_tx_status;
	sd->dma.device_alloc_chan_resources = stuck_alloc_chan_resources;
	sd->dma.device_free_chan_resources = stuck_free_chan_resources;
	sd->dma.device_release = stuck_release;
	INIT_LIST_HEAD(&sd->dma.channels);
	sd->chan.device = &sd->dma;
	list_add_tail(&sd->chan.device_node, &sd->dma.channels);

	err = dma_async_device_register(&sd->dma);
	if (err) {
		kfree(sd);
		return err;
	}
	stuck = sd;
	/* Undone when the driver is unbound; no remove() needed. */
	return devm_add_action_or_reset(&pdev->dev, stuck_unregister, sd);
}

static struct platform_driver stuck_driver = {
	.driver = { .name = "dmacopy-stuckdma" },
	.probe = stuck_probe,
};

static int __init stuck_init(void)
{
	int err = platform_driver_register(&stuck_driver);

	if (err)
		return err;
	stuck_pdev = platform_device_register_simple("dmacopy-stuckdma", -1, NULL, 0);
	if (IS_ERR(stuck_pdev)) {
		platform_driver_unregister(&stuck_driver);
		return PTR_ERR(stuck_pdev);
	}
	return 0;
}

static void __exit stuck_exit(void)
{
	platform_device_unregister(stuck_pdev);
	platform_driver_unregister(&stuck_driver);
}

module_init(stuck_init);
module_exit(stuck_exit);

MODULE_DESCRIPTION("dmacopy test: a DMA_MEMCPY channel that stalls on demand");
MODULE_LICENSE("GPL");

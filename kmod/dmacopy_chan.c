// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmacopy channels: the dmaengine DMA_MEMCPY channels the module holds, how an
 * operation picks one, and what happens when a DMA device's driver goes away.
 *
 * Channels are taken lazily (when /dev/dmacopy or /dev/ioat-dma is opened, or
 * a request finds none), private ones with dma_request_channel(); when none is
 * free but async_tx holds the public ones, one is shared through
 * dmaengine_get() + dma_find_channel(). Channels are kept until the module is
 * removed or their device's driver unbinds: a PCI/platform bus notifier then
 * stops new work on them, waits for what is in flight (up to op_timeout_ms),
 * unmaps every registration from the device and gives the channels back
 * before the driver's remove() runs. Operations the engine never finished
 * (orphans) are released once the driver is gone, as no callback can come
 * any more.
 *
 * A provider may also unregister one channel while its device stays bound:
 * idxd does when a work queue is disabled (accel-config disable-wq unbinds
 * the queue from idxd's "dmaengine" driver on the dsa bus), and frees the
 * dma_chan right after, clients or not; a later dma_release_channel() would
 * touch freed memory. A class interface on the dma class sees the channel's
 * device being removed (dma_async_device_channel_unregister() unregisters it
 * before the provider frees the channel), and the channel is retired there
 * the same way. The same interface notices new channels (a work queue being
 * enabled) as the bus notifiers notice new DMA devices.
 */
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>

#include "dmacopy.h"

DECLARE_RWSEM(dmacopy_chans_rwsem);
LIST_HEAD(dmacopy_chans);

static DEFINE_MUTEX(rescan_lock);	/* rescans; also orders them with unbinds */
static DEFINE_MUTEX(take_lock);		/* taking one channel; orders it with its removal */
static unsigned long last_rescan;
static bool rescanned;			/* channels were asked for: watch for new ones */
static u32 next_chan_id;
static bool public_held;		/* dmaengine_get() taken, under rescan_lock */
/* dmacopy_chans_init()'s argument: the operation layer's, which uses this file. */
static void (*release_orphans)(struct dmacopy_dmadev *dd);

static void rescan_work_fn(struct work_struct *work)
{
	dmacopy_chans_rescan(true);
}

static DECLARE_DELAYED_WORK(rescan_work, rescan_work_fn);

/*
 * The dma class, watched through a class interface: its class pointer is not
 * exported, so the first candidate channel shows it, and no channel is taken
 * before its removal can be seen.
 */
static int chan_dev_add(DMACOPY_INTF_ARGS);
static void chan_dev_remove(DMACOPY_INTF_ARGS);

static struct class_interface chan_intf = {
	.add_dev = chan_dev_add,
	.remove_dev = chan_dev_remove,
};

static DEFINE_MUTEX(intf_lock);
static bool intf_on;			/* chan_intf registered */
static bool intf_closed;		/* module exit: take no channel */

/* DMA devices by mapping index, and devices whose driver is being unbound. */
static DEFINE_SPINLOCK(dd_lock);
static struct dmacopy_dmadev *dmadevs[DMACOPY_MAX_DMADEVS];

struct dmacopy_unbinding {
	struct list_head node;
	struct device *dev;
	struct dmacopy_dmadev *dd;	/* a reference until the driver is unbound */
};

static LIST_HEAD(unbinding);		/* under dd_lock */

static void dmadev_free_work(struct work_struct *work)
{
	struct dmacopy_dmadev *dd = container_of(work, struct dmacopy_dmadev, free_work);

	put_device(dd->dev);
	kfree(dd);
}

static void dmadev_release(struct kref *ref)
{
	struct dmacopy_dmadev *dd = container_of(ref, struct dmacopy_dmadev, ref);
	unsigned long flags;

	spin_lock_irqsave(&dd_lock, flags);
	if (dmadevs[dd->id] == dd)
		dmadevs[dd->id] = NULL;
	spin_unlock_irqrestore(&dd_lock, flags);
	/* The last reference may go in a DMA callback; put_device() may sleep. */
	queue_work(dmacopy_wq, &dd->free_work);
}

static void dmadev_put(struct dmacopy_dmadev *dd)
{
	kref_put(&dd->ref, dmadev_release);
}

/* The live dmadev of dev, created if needed; NULL when the table is full. */
static struct dmacopy_dmadev *dmadev_get(struct device *dev)
{
	struct dmacopy_dmadev *dd, *fresh;
	unsigned int i, slot = DMACOPY_MAX_DMADEVS;

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL);
	if (!fresh)
		return NULL;

	spin_lock_irq(&dd_lock);
	for (i = 0; i < DMACOPY_MAX_DMADEVS; i++) {
		dd = dmadevs[i];
		if (!dd) {
			if (slot == DMACOPY_MAX_DMADEVS)
				slot = i;
			continue;
		}
		if (dd->dev == dev && !dd->gone) {
			kref_get(&dd->ref);
			goto out;
		}
	}
	dd = NULL;
	if (slot < DMACOPY_MAX_DMADEVS) {
		dd = fresh;
		fresh = NULL;
		kref_init(&dd->ref);
		INIT_WORK(&dd->free_work, dmadev_free_work);
		dd->dev = get_device(dev);
		dd->id = slot;
		dmadevs[slot] = dd;
	}
out:
	spin_unlock_irq(&dd_lock);
	kfree(fresh);
	return dd;
}

static bool dev_unbinding(struct device *dev)
{
	struct dmacopy_unbinding *u;
	bool found = false;

	spin_lock_irq(&dd_lock);
	list_for_each_entry(u, &unbinding, node) {
		if (u->dev == dev) {
			found = true;
			break;
		}
	}
	spin_unlock_irq(&dd_lock);
	return found;
}

static void chan_release(struct kref *ref)
{
	struct dmacopy_chan *c = container_of(ref, struct dmacopy_chan, ref);

	dmadev_put(c->dd);
	kfree(c);
}

void dmacopy_chan_put(struct dmacopy_chan *c)
{
	kref_put(&c->ref, chan_release);
}

u32 dmacopy_chan_flags(struct dmacopy_chan *c)
{
	u32 flags = 0;

	if (c->shared)
		flags |= DMACOPY_CHAN_SHARED;
	if (c->out_of_order)
		flags |= DMACOPY_CHAN_OUT_OF_ORDER;
	if (READ_ONCE(c->stalled))
		flags |= DMACOPY_CHAN_STALLED;
	return flags;
}

/*
 * c refused a descriptor of refused bytes with nothing else in flight: split
 * at the next lower power of two from now on. dmaengine has no way to ask a
 * channel for its longest memcpy (dma_get_max_seg_size() of the DMA device is
 * the scatterlist limit, 64 KiB by default for PCI, not the engine's), so the
 * limit is learnt: idxd refuses more than its max_xfer_bytes.
 */
void dmacopy_chan_limit(struct dmacopy_chan *c, size_t refused)
{
	unsigned int limit = max_t(size_t, rounddown_pow_of_two(refused - 1), PAGE_SIZE);

	if (limit >= READ_ONCE(c->max_len))
		return;
	WRITE_ONCE(c->max_len, limit);
	dev_info(dmacopy_dev, "%s refused a %zu-byte descriptor: splitting at %u bytes\n",
		 c->name, refused, limit);
}

/*
 * Whether dev's DMA would go through swiotlb bounce buffers: a registration
 * is mapped once and used for many copies, so bounced DMA would read stale
 * data and its writes would never reach the memory. Either the device cannot
 * address all memory, or swiotlb=force (confidential guests) applies to it
 * because no IOMMU translates its DMA.
 */
static bool dev_bounces(struct device *dev)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(dev);
	bool translated = dom && dom->type != IOMMU_DOMAIN_IDENTITY &&
			  dom->type != IOMMU_DOMAIN_BLOCKED;

	return dma_addressing_limited(dev) || (!translated && is_swiotlb_force_bounce(dev));
}

/*
 * Channels whose DMA would be bounced are not taken (counted in *param when
 * given, for DMACOPY_IOC_INFO); neither are channels of a device being
 * unbound, or being unregistered themselves (dmaengine clears chan->dev->chan
 * first).
 */
static bool chan_filter(struct dma_chan *chan, void *param)
{
	struct device *dev = chan->device->dev;
	unsigned int *bounced = param;

	if (!READ_ONCE(intf_on) || READ_ONCE(intf_closed)) {
		if (!READ_ONCE(chan_intf.class))
			WRITE_ONCE(chan_intf.class, chan->dev->device.class);
		return false;
	}
	if (!dev || chan->dev->chan != chan || dev_unbinding(dev))
		return false;
	if (dev_bounces(dev)) {
		if (bounced)
			(*bounced)++;
		return false;
	}
	return true;
}

static unsigned int nr_bounced;		/* as last counted by a rescan */

unsigned int dmacopy_chans_bounced(void)
{
	return READ_ONCE(nr_bounced);
}

/* Start watching the dma class once a candidate channel showed it. */
static void chans_watch(void)
{
	mutex_lock(&intf_lock);
	if (!intf_on && !intf_closed && READ_ONCE(chan_intf.class)) {
		if (class_interface_register(&chan_intf))
			dev_warn_once(dmacopy_dev, "cannot watch DMA channels: taking none\n");
		else
			WRITE_ONCE(intf_on, true);
	}
	mutex_unlock(&intf_lock);
}

static int chan_add(struct dma_chan *chan, bool shared)
{
	struct device *dev = chan->device->dev;
	struct dmacopy_chan *c;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->dd = dmadev_get(dev);
	if (!c->dd) {
		kfree(c);
		return -ENOSPC;
	}
	kref_init(&c->ref);
	init_waitqueue_head(&c->wq);
	c->chan = chan;
	c->shared = shared;
	c->nid = dev_to_node(dev);
	c->out_of_order = dma_has_cap(DMA_COMPLETION_NO_ORDER, chan->device->cap_mask);
	c->max_len = UINT_MAX;		/* unknown until the channel refuses a length */
	strscpy(c->name, dma_chan_name(chan), sizeof(c->name));
	strscpy(c->driver, dev->driver ? dev->driver->name : "?", sizeof(c->driver));
	strscpy(c->device, dev_name(dev), sizeof(c->device));

	down_write(&dmacopy_chans_rwsem);
	c->id = next_chan_id++;
	list_add_tail(&c->node, &dmacopy_chans);
	up_write(&dmacopy_chans_rwsem);

	dev_info(dmacopy_dev, "using %s%s (%s %s, node %d)\n", c->name,
		 shared ? " (shared)" : "", c->driver, c->device, c->nid);
	return 0;
}

unsigned int dmacopy_chans_count(void)
{
	struct dmacopy_chan *c;
	unsigned int n = 0;

	down_read(&dmacopy_chans_rwsem);
	list_for_each_entry(c, &dmacopy_chans, node)
		n += dmacopy_chan_usable(c);
	up_read(&dmacopy_chans_rwsem);
	return n;
}

/*
 * Take the DMA_MEMCPY channels that became available. Without force, a module
 * that already holds channels looks again at most once a second.
 */
void dmacopy_chans_rescan(bool force)
{
	struct dma_chan *chan;
	dma_cap_mask_t mask;
	unsigned int held, bounced;
	bool again;

	chans_watch();
	mutex_lock(&rescan_lock);
	held = dmacopy_chans_count();
	if (held && !force && time_before(jiffies, last_rescan + HZ))
		goto out;
	WRITE_ONCE(last_rescan, jiffies);
	WRITE_ONCE(rescanned, true);

	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	while (held < dmacopy_max_channels) {
		/* The last call, which takes none, saw every channel left once. */
		bounced = 0;
		mutex_lock(&take_lock);
		chan = dma_request_channel(mask, chan_filter, &bounced);
		if (chan && chan_add(chan, false)) {
			dma_release_channel(chan);
			chan = NULL;
		}
		mutex_unlock(&take_lock);
		if (!chan) {
			if (bounced && READ_ONCE(nr_bounced) != bounced)
				dev_info(dmacopy_dev,
					 "%u DMA channel(s) not used: their DMA would be bounced through swiotlb\n",
					 bounced);
			WRITE_ONCE(nr_bounced, bounced);
			break;
		}
		held++;
	}

	/* async_tx may hold every public channel: share one of them. */
	if (!held && !public_held) {
		dmaengine_get();
		mutex_lock(&take_lock);
		chan = dma_find_channel(DMA_MEMCPY);
		if (chan && chan_filter(chan, NULL) && !chan_add(chan, true))
			public_held = true;
		mutex_unlock(&take_lock);
		if (!public_held)
			dmaengine_put();
	}
out:
	/* The first look may only have shown where the dma class is. */
	again = !held && !READ_ONCE(intf_on) && READ_ONCE(chan_intf.class);
	mutex_unlock(&rescan_lock);
	if (again) {
		chans_watch();
		if (READ_ONCE(intf_on))
			dmacopy_chans_rescan(true);
	}
}

/*
 * Look for new channels now and then (at most once a second), for buses whose
 * devices' arrival the module does not watch. Cheap when it is not time yet.
 */
void dmacopy_chans_maybe_rescan(void)
{
	if (time_after(jiffies, READ_ONCE(last_rescan) + HZ))
		dmacopy_chans_rescan(false);
}

/*
 * A channel for an operation on memory of NUMA node: round-robin among the
 * usable channels of that node, else among all; channels where an operation
 * timed out are used only when nothing else is left. The caller holds
 * dmacopy_chans_rwsem for reading.
 */
struct dmacopy_chan *dmacopy_chan_pick(int node, u32 *rr)
{
	struct dmacopy_chan *c;
	unsigned int n_node = 0, n_ok = 0, n_all = 0, k;
	bool by_node;

	list_for_each_entry(c, &dmacopy_chans, node) {
		if (!dmacopy_chan_usable(c))
			continue;
		n_all++;
		if (READ_ONCE(c->stalled))
			continue;
		n_ok++;
		if (node != NUMA_NO_NODE && c->nid == node)
			n_node++;
	}
	if (!n_all)
		return NULL;

	k = (*rr)++;
	by_node = n_node > 0;
	if (by_node)
		k %= n_node;
	else if (n_ok)
		k %= n_ok;
	else
		k %= n_all;

	list_for_each_entry(c, &dmacopy_chans, node) {
		if (!dmacopy_chan_usable(c))
			continue;
		if (n_ok && READ_ONCE(c->stalled))
			continue;
		if (by_node && c->nid != node)
			continue;
		if (!k--)
			return c;
	}
	return NULL;
}

struct dmacopy_chan *dmacopy_chan_get_by_name(const char *name)
{
	struct dmacopy_chan *c, *found = NULL;

	down_read(&dmacopy_chans_rwsem);
	list_for_each_entry(c, &dmacopy_chans, node) {
		if (dmacopy_chan_usable(c) && !strcmp(c->name, name)) {
			kref_get(&c->ref);
			found = c;
			break;
		}
	}
	up_read(&dmacopy_chans_rwsem);
	return found;
}

/* Give a channel back to dmaengine; the caller took it off the list. */
static void chan_give_back(struct dmacopy_chan *c)
{
	struct dmacopy_chan *o;
	bool shared_left = false;

	if (!c->shared) {
		dma_release_channel(c->chan);
	} else {
		down_read(&dmacopy_chans_rwsem);
		list_for_each_entry(o, &dmacopy_chans, node)
			shared_left |= o->shared;
		up_read(&dmacopy_chans_rwsem);
		mutex_lock(&rescan_lock);
		if (!shared_left && public_held) {
			public_held = false;
			dmaengine_put();
		}
		mutex_unlock(&rescan_lock);
	}
	c->chan = NULL;
}

/* Wait (bounded) for a dead channel's descriptors, then give it back. */
static void chans_retire(struct list_head *gone, struct dmacopy_dmadev *dd)
{
	struct dmacopy_chan *c, *tmp;
	long left = msecs_to_jiffies(dmacopy_op_timeout_ms);

	list_for_each_entry(c, gone, node) {
		left = wait_event_timeout(c->wq, !atomic_read(&c->inflight), left ? left : 1);
		if (atomic_read(&c->inflight))
			dev_warn(dmacopy_dev,
				 "%s: %d descriptors still in flight; their memory stays pinned until %s is unbound\n",
				 c->name, atomic_read(&c->inflight), c->device);
	}
	if (dd)
		dmacopy_regs_unmap_dev(dd);
	list_for_each_entry_safe(c, tmp, gone, node) {
		list_del_init(&c->node);
		chan_give_back(c);
		dmacopy_chan_put(c);
	}
}

/* BUS_NOTIFY_UNBIND_DRIVER: the driver of dev is about to be removed. */
static void dmadev_unbind(struct device *dev)
{
	struct dmacopy_unbinding *u;
	struct dmacopy_chan *c, *tmp;
	struct dmacopy_dmadev *dd = NULL;
	bool own_ref = false;
	unsigned int i;
	LIST_HEAD(gone);

	u = kzalloc(sizeof(*u), GFP_KERNEL);
	if (u) {
		u->dev = dev;
		/* A rescan in progress finishes first; later ones skip dev. */
		mutex_lock(&rescan_lock);
		spin_lock_irq(&dd_lock);
		list_add(&u->node, &unbinding);
		spin_unlock_irq(&dd_lock);
		mutex_unlock(&rescan_lock);
	}

	down_write(&dmacopy_chans_rwsem);
	list_for_each_entry_safe(c, tmp, &dmacopy_chans, node) {
		if (c->dd->dev != dev)
			continue;
		c->dead = true;
		dd = c->dd;
		list_move_tail(&c->node, &gone);
	}
	spin_lock_irq(&dd_lock);
	/* Its channels may all be retired already (chan_dev_remove()), not its orphans. */
	for (i = 0; !dd && i < DMACOPY_MAX_DMADEVS; i++) {
		if (dmadevs[i] && dmadevs[i]->dev == dev && !dmadevs[i]->gone &&
		    kref_get_unless_zero(&dmadevs[i]->ref)) {
			dd = dmadevs[i];
			own_ref = true;
		}
	}
	if (dd) {
		dd->gone = true;
		if (u) {
			/* The unbinding keeps a reference until the driver is unbound. */
			if (!own_ref)
				kref_get(&dd->ref);
			own_ref = false;
			u->dd = dd;
		}
	}
	spin_unlock_irq(&dd_lock);
	up_write(&dmacopy_chans_rwsem);

	if (!list_empty(&gone)) {
		dev_info(dmacopy_dev, "%s is being unbound: giving its channels back\n",
			 dev_name(dev));
		chans_retire(&gone, dd);
	} else if (dd) {
		dmacopy_regs_unmap_dev(dd);
	}
	if (own_ref)
		dmadev_put(dd);
}

/* BUS_NOTIFY_UNBOUND_DRIVER (or a failed bind): no callback can come any more. */
static void dmadev_unbound(struct device *dev)
{
	struct dmacopy_unbinding *u, *tmp;
	LIST_HEAD(done);

	spin_lock_irq(&dd_lock);
	list_for_each_entry_safe(u, tmp, &unbinding, node) {
		if (u->dev == dev)
			list_move(&u->node, &done);
	}
	spin_unlock_irq(&dd_lock);

	list_for_each_entry_safe(u, tmp, &done, node) {
		if (u->dd) {
			release_orphans(u->dd);
			dmadev_put(u->dd);
		}
		kfree(u);
	}
}

/* A DMA channel appeared (a DMA device, or an idxd work queue enabled). */
static int chan_dev_add(DMACOPY_INTF_ARGS)
{
	if (READ_ONCE(rescanned))
		queue_delayed_work(dmacopy_wq, &rescan_work, HZ / 10);
	return 0;
}

/*
 * A DMA channel's device is being removed. If the channel is one of ours,
 * its provider frees it once this returns: idxd disabling a work queue
 * (after quiescing it, so nothing new is submitted, and before draining it
 * and freeing its interrupt, so what is in flight still calls back). Retire
 * it as an unbind does: stop giving it work, wait for its descriptors,
 * give it back; unmap the registrations from its DMA device unless another
 * channel of that device is still used.
 */
static void chan_dev_remove(DMACOPY_INTF_ARGS)
{
	struct dmacopy_dmadev *dd = NULL;
	struct dmacopy_chan *c, *tmp;
	LIST_HEAD(gone);

	/* A rescan that has just taken this channel has added it by then. */
	mutex_lock(&take_lock);
	down_write(&dmacopy_chans_rwsem);
	list_for_each_entry_safe(c, tmp, &dmacopy_chans, node) {
		if (&c->chan->dev->device != dev)
			continue;
		c->dead = true;
		dd = c->dd;
		list_move_tail(&c->node, &gone);
	}
	list_for_each_entry(c, &dmacopy_chans, node) {
		if (c->dd == dd)
			dd = NULL;
	}
	up_write(&dmacopy_chans_rwsem);
	mutex_unlock(&take_lock);

	if (list_empty(&gone))
		return;
	dev_info(dmacopy_dev, "%s is being removed: giving it back\n", dev_name(dev));
	chans_retire(&gone, dd);
}

static int dmadev_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct device *dev = data;

	switch (action) {
	case BUS_NOTIFY_BOUND_DRIVER:
		/* Maybe a DMA device: take its channels soon, once they are in use. */
		if (READ_ONCE(rescanned))
			queue_delayed_work(dmacopy_wq, &rescan_work, HZ / 10);
		break;
	case BUS_NOTIFY_UNBIND_DRIVER:
		dmadev_unbind(dev);
		break;
	case BUS_NOTIFY_UNBOUND_DRIVER:
		dmadev_unbound(dev);
		break;
	default:
		return NOTIFY_DONE;
	}
	return NOTIFY_OK;
}

static struct notifier_block pci_nb = { .notifier_call = dmadev_notify };
static struct notifier_block platform_nb = { .notifier_call = dmadev_notify };

int dmacopy_chans_init(void (*orphans_fn)(struct dmacopy_dmadev *dd))
{
	int err;

	release_orphans = orphans_fn;

	err = bus_register_notifier(&pci_bus_type, &pci_nb);
	if (err)
		return err;
	err = bus_register_notifier(&platform_bus_type, &platform_nb);
	if (err)
		bus_unregister_notifier(&pci_bus_type, &pci_nb);
	return err;
}

void dmacopy_chans_exit(void)
{
	struct dmacopy_unbinding *u, *utmp;
	struct dmacopy_chan *c;
	LIST_HEAD(gone);

	bus_unregister_notifier(&platform_bus_type, &platform_nb);
	bus_unregister_notifier(&pci_bus_type, &pci_nb);
	mutex_lock(&intf_lock);
	WRITE_ONCE(intf_closed, true);	/* no channel is taken any more */
	mutex_unlock(&intf_lock);
	cancel_delayed_work_sync(&rescan_work);

	down_write(&dmacopy_chans_rwsem);
	list_for_each_entry(c, &dmacopy_chans, node)
		c->dead = true;
	list_splice_init(&dmacopy_chans, &gone);
	up_write(&dmacopy_chans_rwsem);
	/* No file is open and no orphan exists: nothing is in flight. */
	chans_retire(&gone, NULL);
	/* It calls chan_dev_remove() for every channel device: none is ours now. */
	if (intf_on)
		class_interface_unregister(&chan_intf);
	cancel_delayed_work_sync(&rescan_work);

	list_for_each_entry_safe(u, utmp, &unbinding, node) {
		list_del(&u->node);
		if (u->dd)
			dmadev_put(u->dd);
		kfree(u);
	}
}

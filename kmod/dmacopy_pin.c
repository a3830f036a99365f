// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmacopy registrations: user memory pinned once and mapped once per DMA device.
 *
 * A registration pins [addr, addr + len) of the caller's address space with
 * FOLL_PIN (FOLL_LONGTERM unless disabled or for the transient pins of
 * /dev/ioat-dma), charges the pages to the calling user's locked_vm checked
 * against RLIMIT_MEMLOCK (unless CAP_IPC_LOCK; the limit thus holds across all
 * of the user's processes, as for io_uring), shows them in the process's
 * pinned_vm (VmPin), and splits them into physically contiguous segments.
 *
 * What may be pinned: anonymous, shared memory (tmpfs, memfd, SysV),
 * hugetlbfs and device-dax mappings, and private mappings of files (writing
 * them pins private copies). A writable registration of a shared mapping of
 * any other file is refused: DMA into page cache pages behind the file
 * system's back (no dirty tracking, no stable pages, writeback racing the
 * copy) corrupts files; read-only registrations of such files are fine.
 * Each DMA device gets its own mapping of the segments, made on first use and
 * kept until the registration goes or the device's driver unbinds.
 *
 * Device-dax memory: a pin does not keep the device-dax memory map alive.
 * Registrations over a /dev/daxX.Y mapping therefore hold a reference on the
 * device's dev_pagemap (so its memory map cannot be freed under them) and are
 * watched with a notifier on the dax bus: when the device is about to be
 * unbound, new operations on them are refused, operations in flight are
 * waited for (up to op_timeout_ms) and the pages are unpinned before the
 * driver tears the memory down. If DMA is still in flight then, the pages and
 * the dev_pagemap stay held until it ends, so the unbind waits for it.
 */
#include <linux/capability.h>
#include <linux/cdev.h>
#include <linux/cred.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/magic.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "dmacopy.h"

#define DMACOPY_SEG_MAX		SZ_64M	/* largest segment mapped in one piece */
#define DMACOPY_PIN_BATCH	65536UL	/* pages per pin_user_pages() call */

static LIST_HEAD(regs);			/* every registration, under regs_lock */
static DEFINE_MUTEX(regs_lock);
static atomic_long_t pinned_pages;
static atomic_t nregs;

static LIST_HEAD(dax_regs);		/* device-dax registrations */
static DEFINE_MUTEX(dax_list_lock);

/*
 * The dax bus notifier is registered while device-dax registrations exist.
 * dax_nb_file, an open device-dax file, keeps device_dax and thus the module
 * that owns the dax bus loaded meanwhile. dax_nb_lock is never taken by the
 * notifier itself, so (un)registering under it cannot deadlock with a call.
 */
static DEFINE_MUTEX(dax_nb_lock);
static unsigned int dax_nb_users;
static typeof_member(struct device, bus) dax_bus;
static struct file *dax_nb_file;

static DECLARE_WAIT_QUEUE_HEAD(reg_idle_wq);

/* The device-dax device behind an open /dev/daxX.Y file, or NULL. */
struct device *dmacopy_dax_device(struct file *f)
{
	struct inode *inode = file_inode(f);
	struct kobject *parent;
	struct device *dev;
	struct cdev *cdev;

	if (!S_ISCHR(inode->i_mode))
		return NULL;
	/* Set when the file was opened; the open file keeps the cdev alive. */
	cdev = READ_ONCE(inode->i_cdev);
	if (!cdev)
		return NULL;
	parent = cdev->kobj.parent;
	/* Only a struct device's kobject has the same ktype as ours. */
	if (!parent || parent->ktype != dmacopy_dev->kobj.ktype)
		return NULL;
	dev = kobj_to_dev(parent);
	if (dev->devt != inode->i_rdev || !dev->bus || strcmp(dev->bus->name, "dax"))
		return NULL;
	return dev;
}

static void map_free(struct dmacopy_map *m, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		dma_unmap_page(m->dev, m->ent[i].addr, m->ent[i].len, m->dir);
	kvfree(m);
}

/*
 * Unmap, unpin and unaccount. Only called when no operation uses the
 * registration (busy == 0), so no completion reads the mappings any more.
 */
static void reg_release_backing(struct dmacopy_reg *r)
{
	struct dmacopy_map *m;
	unsigned long i, npages;

	mutex_lock(&r->backing_lock);
	for (i = 0; i < DMACOPY_MAX_DMADEVS; i++) {
		m = rcu_dereference_protected(r->maps[i], lockdep_is_held(&r->backing_lock));
		if (!m)
			continue;
		RCU_INIT_POINTER(r->maps[i], NULL);
		map_free(m, m->nsegs);
	}
	npages = r->npages;
	r->npages = 0;
	if (npages && (r->readonly || !r->pgmap)) {
		unpin_user_pages_dirty_lock(r->pages, npages, !r->readonly);
	} else if (npages) {
		/* Device-dax pages need no dirty tracking; anonymous ones do. */
		for (i = 0; i < npages; i++) {
			if (is_zone_device_page(r->pages[i]))
				unpin_user_page(r->pages[i]);
			else
				unpin_user_pages_dirty_lock(&r->pages[i], 1, true);
		}
	}
	atomic_long_sub(npages, &pinned_pages);
	if (r->pgmap) {
		put_dev_pagemap(r->pgmap);
		r->pgmap = NULL;
	}
	if (r->accounted) {
		atomic64_sub(r->accounted, &r->mm->pinned_vm);
		if (r->user)
			atomic_long_sub(r->accounted, &r->user->locked_vm);
		r->accounted = 0;
	}

	kvfree(r->pages);
	r->pages = NULL;
	kvfree(r->segs);
	r->segs = NULL;
	r->nsegs = 0;
	mutex_unlock(&r->backing_lock);
}

static int dax_nb_get(struct dmacopy_reg *r);
static void dax_nb_put(void);

static void reg_free(struct dmacopy_reg *r)
{
	mutex_lock(&regs_lock);
	list_del_init(&r->node);
	mutex_unlock(&regs_lock);
	if (r->dax_watched) {
		mutex_lock(&dax_list_lock);
		list_del_init(&r->dax_node);
		mutex_unlock(&dax_list_lock);
	}
	reg_release_backing(r);
	if (r->dax_watched)
		dax_nb_put();
	if (r->dax_dev)
		put_device(r->dax_dev);
	if (r->dax_file)
		fput(r->dax_file);
	if (r->user)
		free_uid(r->user);
	mmdrop(r->mm);
	atomic_dec(&nregs);
	kfree_rcu(r, rcu);
}

static void reg_release(struct kref *ref)
{
	reg_free(container_of(ref, struct dmacopy_reg, ref));
}

static void reg_free_work(struct work_struct *work)
{
	reg_free(container_of(work, struct dmacopy_reg, free_work));
}

static void reg_release_async(struct kref *ref)
{
	struct dmacopy_reg *r = container_of(ref, struct dmacopy_reg, ref);

	queue_work(dmacopy_wq, &r->free_work);
}

/* Drop a reference; process context (the last one unpins). */
void dmacopy_reg_put(struct dmacopy_reg *r)
{
	might_sleep();
	kref_put(&r->ref, reg_release);
}

/* Drop a reference from any context; the last one frees in a work item. */
void dmacopy_reg_put_async(struct dmacopy_reg *r)
{
	kref_put(&r->ref, reg_release_async);
}

static void reg_release_work(struct work_struct *work)
{
	struct dmacopy_reg *r = container_of(work, struct dmacopy_reg, release_work);

	reg_release_backing(r);
	dmacopy_reg_put(r);
}

/* Count an operation in flight on r; -ENODEV once its memory went away. */
int dmacopy_reg_get_busy(struct dmacopy_reg *r)
{
	unsigned long flags;
	int err = 0;

	spin_lock_irqsave(&r->lock, flags);
	if (r->dead)
		err = -ENODEV;
	else
		r->busy++;
	spin_unlock_irqrestore(&r->lock, flags);
	return err;
}

/* An operation on r ended (any context); the caller holds a reference. */
void dmacopy_reg_put_busy(struct dmacopy_reg *r)
{
	bool idle, release = false;
	unsigned long flags;

	spin_lock_irqsave(&r->lock, flags);
	idle = !--r->busy && r->dead;
	if (idle && r->release_on_idle) {
		r->release_on_idle = false;
		release = true;
	}
	spin_unlock_irqrestore(&r->lock, flags);
	if (idle)
		wake_up_all(&reg_idle_wq);
	if (release) {
		kref_get(&r->ref);
		queue_work(dmacopy_wq, &r->release_work);
	}
}

static bool reg_idle(struct dmacopy_reg *r)
{
	return !READ_ONCE(r->busy);
}

/* The device-dax device under r is going away. */
static void reg_kill(struct dmacopy_reg *r)
{
	bool busy = false;

	spin_lock_irq(&r->lock);
	r->dead = true;
	spin_unlock_irq(&r->lock);

	if (!wait_event_timeout(reg_idle_wq, reg_idle(r),
				msecs_to_jiffies(dmacopy_op_timeout_ms))) {
		spin_lock_irq(&r->lock);
		if (r->busy) {
			r->release_on_idle = true;
			busy = true;
		}
		spin_unlock_irq(&r->lock);
	}
	if (busy) {
		dev_warn(dmacopy_dev,
			 "%s: DMA still in flight on a registration; its pages stay pinned until it ends\n",
			 dev_name(r->dax_dev));
		return;
	}
	reg_release_backing(r);
}

static int dax_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct device *dev = data;
	struct dmacopy_reg *r, *tmp;
	LIST_HEAD(kill);

	if (action != BUS_NOTIFY_UNBIND_DRIVER)
		return NOTIFY_DONE;

	mutex_lock(&dax_list_lock);
	list_for_each_entry(r, &dax_regs, dax_node) {
		if (r->dax_dev == dev && kref_get_unless_zero(&r->ref))
			list_add_tail(&r->kill_node, &kill);
	}
	mutex_unlock(&dax_list_lock);
	if (list_empty(&kill))
		return NOTIFY_DONE;

	dev_info(dmacopy_dev, "%s is being unbound: releasing its registrations\n",
		 dev_name(dev));
	list_for_each_entry_safe(r, tmp, &kill, kill_node) {
		list_del(&r->kill_node);
		reg_kill(r);
		/* Never the last reference here: that would unregister this notifier. */
		dmacopy_reg_put_async(r);
	}
	return NOTIFY_OK;
}

static struct notifier_block dax_nb = { .notifier_call = dax_notify };

static int dax_nb_get(struct dmacopy_reg *r)
{
	int err = 0;

	mutex_lock(&dax_nb_lock);
	if (!dax_nb_users) {
		err = bus_register_notifier(r->dax_dev->bus, &dax_nb);
		if (!err) {
			dax_bus = r->dax_dev->bus;
			dax_nb_file = get_file(r->dax_file);
		}
	} else if (dax_bus != r->dax_dev->bus) {
		err = -EINVAL;
	}
	if (!err)
		dax_nb_users++;
	mutex_unlock(&dax_nb_lock);
	return err;
}

static void dax_nb_put(void)
{
	struct file *f = NULL;

	mutex_lock(&dax_nb_lock);
	if (!--dax_nb_users) {
		bus_unregister_notifier(dax_bus, &dax_nb);
		f = dax_nb_file;
		dax_nb_file = NULL;
		dax_bus = NULL;
	}
	mutex_unlock(&dax_nb_lock);
	if (f)
		fput(f);
}

/* Whether dev's driver is bound, after any unbind in progress ended. */
static bool dax_still_bound(struct device *dev)
{
	bool bound;

	device_lock(dev);
	bound = READ_ONCE(dev->driver);
	device_unlock(dev);
	return bound;
}

/*
 * Charge npages to the calling user against RLIMIT_MEMLOCK (unless
 * CAP_IPC_LOCK) and show them in the process's pinned_vm.
 */
static int reg_account(struct dmacopy_reg *r, unsigned long npages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	struct user_struct *user = current_user();
	long cur, want;

	if (!capable(CAP_IPC_LOCK)) {
		cur = atomic_long_read(&user->locked_vm);
		do {
			if (check_add_overflow(cur, (long)npages, &want) || want > limit)
				return -ENOMEM;
		} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur, want));
		r->user = get_uid(user);	/* charged: r->accounted pages */
	}
	atomic64_add(npages, &r->mm->pinned_vm);
	r->accounted = npages;
	return 0;
}

/* Shared memory (tmpfs, memfd, SysV shm, shared anonymous) or hugetlbfs. */
static bool vma_is_memory_file(struct vm_area_struct *vma)
{
	struct address_space *mapping = vma->vm_file->f_mapping;

	if (is_vm_hugetlb_page(vma))
		return true;
	return mapping && mapping->host && mapping->host->i_sb->s_magic == TMPFS_MAGIC;
}

/*
 * Check that [start, end) is mapped, not I/O memory, file-system DAX or (if
 * writable) a shared mapping of an ordinary file, and that if it maps
 * device-dax it maps one device-dax device only. Called with mmap_lock held.
 */
static int walk_vmas(unsigned long start, unsigned long end, bool writable,
		     struct file **dax_file, struct device **dax_dev)
{
	struct vm_area_struct *vma;
	struct device *dev;
	unsigned long a = start;
	bool other = false;

	*dax_file = NULL;
	*dax_dev = NULL;
	while (a < end) {
		vma = find_vma(current->mm, a);
		if (!vma || vma->vm_start > a)
			return -EFAULT;
		if (vma->vm_flags & (VM_IO | VM_PFNMAP))
			return -EFAULT;
		dev = vma->vm_file ? dmacopy_dax_device(vma->vm_file) : NULL;
		if (dev) {
			if (*dax_dev && *dax_dev != dev)
				return -EINVAL;
			*dax_dev = dev;
			*dax_file = vma->vm_file;
		} else {
			if (vma_is_fsdax(vma))
				return -EOPNOTSUPP;
			if (writable && vma->vm_file && (vma->vm_flags & VM_SHARED) &&
			    !vma_is_memory_file(vma))
				return -EOPNOTSUPP;
			other = true;
		}
		a = vma->vm_end;
	}
	/*
	 * Device-dax memory only: pinning it can then never wait on a fault
	 * that user space serves (userfaultfd, FUSE), which would hold up the
	 * device's unbind behind backing_lock.
	 */
	if (*dax_dev && other)
		return -EINVAL;
	return 0;
}

static bool pgmap_covers(struct dev_pagemap *pgmap, unsigned long pfn)
{
	phys_addr_t phys = PFN_PHYS(pfn);
	int i;

	for (i = 0; i < pgmap->nr_range; i++) {
		if (phys >= pgmap->ranges[i].start && phys <= pgmap->ranges[i].end)
			return true;
	}
	return false;
}

/* Device memory must be the watched device-dax device's: hold its pagemap. */
static int reg_check_pages(struct dmacopy_reg *r)
{
	unsigned long i, pfn;

	for (i = 0; i < r->npages; i++) {
		if (!is_zone_device_page(r->pages[i]))
			continue;
		pfn = page_to_pfn(r->pages[i]);
		if (r->pgmap) {
			if (!pgmap_covers(r->pgmap, pfn))
				return -EINVAL;
			continue;
		}
		if (!r->dax_dev)
			return -EOPNOTSUPP;
		r->pgmap = dmacopy_get_dev_pagemap(pfn);
		if (!r->pgmap)
			return -ENODEV;
	}
	r->nid = page_to_nid(r->pages[0]);
	return 0;
}

/* Split the pages into physically contiguous runs; with segs NULL, count them. */
static unsigned int reg_segments(struct dmacopy_reg *r, struct dmacopy_seg *segs)
{
	const unsigned long max_pages = DMACOPY_SEG_MAX >> PAGE_SHIFT;
	unsigned long i, first = 0;
	unsigned int n = 0;

	for (i = 1; i <= r->npages; i++) {
		if (i < r->npages && i - first < max_pages &&
		    page_to_pfn(r->pages[i]) == page_to_pfn(r->pages[i - 1]) + 1)
			continue;
		if (segs) {
			segs[n].start = (u64)first << PAGE_SHIFT;
			segs[n].len = (u64)(i - first) << PAGE_SHIFT;
			segs[n].page = first;
		}
		n++;
		first = i;
	}
	return n;
}

static int reg_build_segs(struct dmacopy_reg *r)
{
	unsigned int n = reg_segments(r, NULL);

	r->segs = kvmalloc_array(n, sizeof(*r->segs), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!r->segs)
		return -ENOMEM;
	r->nsegs = reg_segments(r, r->segs);
	return 0;
}

/* Pin the range, holding backing_lock so that a dax unbind waits for us. */
static int reg_pin(struct dmacopy_reg *r, unsigned long start, unsigned long npages,
		   unsigned int gup_flags)
{
	struct mm_struct *mm = current->mm;
	struct device *dax_dev;
	struct file *dax_file;
	unsigned long done = 0;
	long n;
	int err;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	/* The mappings may have changed since they were first looked at. */
	err = walk_vmas(start, start + (npages << PAGE_SHIFT), !r->readonly, &dax_file, &dax_dev);
	if (!err && dax_dev != r->dax_dev)
		err = -EAGAIN;
	while (!err && done < npages) {
		n = dmacopy_pin_user_pages(start + (done << PAGE_SHIFT),
					   min(npages - done, DMACOPY_PIN_BATCH), gup_flags,
					   r->pages + done);
		if (n <= 0) {
			err = n ? n : -EFAULT;
			break;
		}
		done += n;
	}
	mmap_read_unlock(mm);
	r->npages = done;
	atomic_long_add(done, &pinned_pages);
	return err;
}

/*
 * Register [addr, addr + len) of the current process. legacy: a transient
 * registration of /dev/ioat-dma (short-term pin, not counted in RLIMIT_MEMLOCK).
 */
struct dmacopy_reg *dmacopy_reg_create(u64 addr, u64 len, u32 flags, bool legacy)
{
	struct mm_struct *mm = current->mm;
	unsigned long start, npages;
	unsigned int gup_flags = 0;
	struct dmacopy_reg *r;
	int err;

	if (!len || addr + len < addr)
		return ERR_PTR(-EINVAL);
	if (!mm || !access_ok(u64_to_user_ptr(addr), len))
		return ERR_PTR(-EFAULT);
	start = addr & PAGE_MASK;
	npages = (PAGE_ALIGN(addr + len) - start) >> PAGE_SHIFT;

	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return ERR_PTR(-ENOMEM);
	kref_init(&r->ref);
	INIT_WORK(&r->free_work, reg_free_work);
	INIT_WORK(&r->release_work, reg_release_work);
	INIT_LIST_HEAD(&r->node);
	INIT_LIST_HEAD(&r->dax_node);
	INIT_LIST_HEAD(&r->kill_node);
	spin_lock_init(&r->lock);
	mutex_init(&r->backing_lock);
	r->addr = addr;
	r->len = len;
	r->pgoff = offset_in_page(addr);
	r->readonly = flags & DMACOPY_REG_READONLY;
	r->nid = NUMA_NO_NODE;
	mmgrab(mm);
	r->mm = mm;
	atomic_inc(&nregs);

	/* From here on, the last reference undoes whatever was done. */
	if (!legacy) {
		err = reg_account(r, npages);
		if (err)
			goto out_put;
	}
	r->pages = kvmalloc_array(npages, sizeof(*r->pages), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!r->pages) {
		err = -ENOMEM;
		goto out_put;
	}

	/* A device-dax range is watched before it is pinned. */
	if (mmap_read_lock_killable(mm)) {
		err = -EINTR;
		goto out_put;
	}
	err = walk_vmas(start, start + (npages << PAGE_SHIFT), !r->readonly, &r->dax_file,
			&r->dax_dev);
	if (!err && r->dax_dev) {
		get_file(r->dax_file);
		get_device(r->dax_dev);
	} else {
		r->dax_file = NULL;
		r->dax_dev = NULL;
	}
	mmap_read_unlock(mm);
	if (err)
		goto out_put;
	if (r->dax_dev) {
		err = dax_nb_get(r);
		if (err)
			goto out_put;
		r->dax_watched = true;
	}

	if (r->dax_watched) {
		mutex_lock(&dax_list_lock);
		list_add_tail(&r->dax_node, &dax_regs);
		mutex_unlock(&dax_list_lock);
		/*
		 * The unbind notifier sees r from now on. An unbind that began
		 * before (its notifier call may have missed r) holds the device
		 * lock until the driver is gone: wait for it, then refuse.
		 */
		if (!dax_still_bound(r->dax_dev)) {
			err = -ENODEV;
			goto out_put;
		}
	}

	mutex_lock(&r->backing_lock);
	if (!r->readonly)
		gup_flags |= FOLL_WRITE;
	if (!legacy && dmacopy_longterm_pin)
		gup_flags |= FOLL_LONGTERM;
	err = reg_pin(r, start, npages, gup_flags);
	if (!err)
		err = reg_check_pages(r);
	if (!err)
		err = reg_build_segs(r);
	if (!err && READ_ONCE(r->dead))
		err = -ENODEV;
	mutex_unlock(&r->backing_lock);
	if (err)
		goto out_put;

	mutex_lock(&regs_lock);
	list_add_tail(&r->node, &regs);
	mutex_unlock(&regs_lock);
	return r;

out_put:
	dmacopy_reg_put(r);
	return ERR_PTR(err);
}

/* The segment holding byte pos, counted from the start of the first page. */
unsigned int dmacopy_reg_find_seg(const struct dmacopy_reg *r, u64 pos)
{
	unsigned int lo = 0, hi = r->nsegs - 1, mid;

	while (lo < hi) {
		mid = lo + (hi - lo + 1) / 2;
		if (r->segs[mid].start <= pos)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/*
 * r's mapping for dd, made on first use. The caller holds r busy (so the
 * backing stays) and dmacopy_chans_rwsem for reading (so dd stays usable).
 */
struct dmacopy_map *dmacopy_reg_map(struct dmacopy_reg *r, struct dmacopy_dmadev *dd)
{
	struct dmacopy_map *m;
	struct dmacopy_seg *seg;
	dma_addr_t a;
	unsigned int i;

	m = rcu_dereference_protected(r->maps[dd->id], true);
	if (m)
		return m;

	mutex_lock(&r->backing_lock);
	m = rcu_dereference_protected(r->maps[dd->id], lockdep_is_held(&r->backing_lock));
	if (m || !r->npages)
		goto out;
	m = kvzalloc(struct_size(m, ent, r->nsegs), GFP_KERNEL_ACCOUNT);
	if (!m)
		goto out;
	m->dev = dd->dev;
	m->dir = r->readonly ? DMA_TO_DEVICE : DMA_BIDIRECTIONAL;
	for (i = 0; i < r->nsegs; i++) {
		seg = &r->segs[i];
		a = dma_map_page(dd->dev, r->pages[seg->page], 0, seg->len, m->dir);
		if (dma_mapping_error(dd->dev, a)) {
			dev_dbg(dmacopy_dev, "mapping %llu bytes for %s failed\n", seg->len,
				dev_name(dd->dev));
			map_free(m, i);
			m = NULL;
			goto out;
		}
		m->ent[i].addr = a;
		m->ent[i].len = seg->len;
	}
	m->nsegs = r->nsegs;
	rcu_assign_pointer(r->maps[dd->id], m);
out:
	mutex_unlock(&r->backing_lock);
	return m;
}

/* dd's driver is being unbound: remove every registration's mapping for it. */
void dmacopy_regs_unmap_dev(struct dmacopy_dmadev *dd)
{
	struct dmacopy_map *list = NULL, *m;
	struct dmacopy_reg *r;

	mutex_lock(&regs_lock);
	list_for_each_entry(r, &regs, node) {
		mutex_lock(&r->backing_lock);
		m = rcu_dereference_protected(r->maps[dd->id],
					      lockdep_is_held(&r->backing_lock));
		if (m) {
			RCU_INIT_POINTER(r->maps[dd->id], NULL);
			m->next = list;
			list = m;
		}
		mutex_unlock(&r->backing_lock);
	}
	mutex_unlock(&regs_lock);
	if (!list)
		return;
	/* A late completion may still be syncing through a mapping. */
	synchronize_rcu();
	while (list) {
		m = list;
		list = m->next;
		map_free(m, m->nsegs);
	}
}

void dmacopy_pin_status(struct seq_file *m)
{
	seq_printf(m, "registrations: %d\n", atomic_read(&nregs));
	seq_printf(m, "pinned_pages: %ld\n", atomic_long_read(&pinned_pages));
	mutex_lock(&dax_nb_lock);
	seq_printf(m, "dax_watch: %u\n", dax_nb_users);
	mutex_unlock(&dax_nb_lock);
}

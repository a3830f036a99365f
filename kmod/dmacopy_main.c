// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmacopy.ko: user-space memory copies through any dmaengine DMA_MEMCPY
 * channel (I/OAT, DSA, PTDMA, ...).
 *
 *   /dev/dmacopy   register buffers, submit batches, reap completions
 *   /dev/ioat-dma  the reference device-dax copy ABI (dmacopy_legacy.c)
 *
 * This file: the two misc devices, the /dev/dmacopy file operations and
 * module init/exit, on top of every other file (see dmacopy.h). The ABI is
 * include/uapi/linux/dmacopy.h; the behaviour is described in
 * docs/kernel-module.md.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "dmacopy.h"

/* A request number without its size bits. */
#define DMACOPY_IOC_NOSIZE(cmd) ((cmd) & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT))

/* ---- registrations ------------------------------------------------------ */

static struct dmacopy_reg *reg_lookup(struct dmacopy_session *s, u32 handle)
{
	struct dmacopy_reg *r;

	rcu_read_lock();
	r = xa_load(&s->regs, handle);
	if (r && !kref_get_unless_zero(&r->ref))
		r = NULL;
	rcu_read_unlock();
	return r;
}

static long ioctl_register(struct dmacopy_queue *q, void __user *arg)
{
	struct dmacopy_session *s = q->s;
	struct dmacopy_register a;
	struct dmacopy_reg *r;
	u32 usize, handle;
	int err;

	err = dmacopy_copy_arg(&a, sizeof(a), sizeof(a), arg, &usize);
	if (err)
		return err;
	if (a.flags & ~DMACOPY_REG_READONLY || a.reserved[0] || a.reserved[1])
		return -EINVAL;
	if (!a.len || a.addr + a.len < a.addr)
		return -EINVAL;
	if (a.len > (u64)dmacopy_max_reg_mb << 20)
		return -E2BIG;

	r = dmacopy_reg_create(a.addr, a.len, a.flags, false);
	if (IS_ERR(r))
		return PTR_ERR(r);
	a.numa_node = r->nid;

	/*
	 * Reserve a handle (a reserved entry looks empty to lookups), tell user
	 * space, and only then publish the registration under it: nobody can
	 * reach r before this ioctl is done with it, and a failure erases only
	 * the reservation this call made.
	 */
	mutex_lock(&s->lock);
	err = xa_alloc(&s->regs, &handle, NULL, XA_LIMIT(1, INT_MAX), GFP_KERNEL_ACCOUNT);
	mutex_unlock(&s->lock);
	if (err) {
		dmacopy_reg_put(r);
		return err == -EBUSY ? -ENOSPC : err;
	}
	a.handle = handle;
	err = dmacopy_copy_arg_out(arg, usize, &a, sizeof(a));
	mutex_lock(&s->lock);
	if (err)
		xa_release(&s->regs, handle);
	else
		err = xa_err(xa_store(&s->regs, handle, r, GFP_KERNEL_ACCOUNT));
	mutex_unlock(&s->lock);
	if (err)
		dmacopy_reg_put(r);
	return err;
}

static long ioctl_unregister(struct dmacopy_queue *q, void __user *arg)
{
	struct dmacopy_session *s = q->s;
	struct dmacopy_unregister a;
	struct dmacopy_reg *r;
	u32 usize;
	int err;

	err = dmacopy_copy_arg(&a, sizeof(a), sizeof(a), arg, &usize);
	if (err)
		return err;
	if (a.flags || a.reserved)
		return -EINVAL;

	mutex_lock(&s->lock);
	r = a.handle ? xa_load(&s->regs, a.handle) : NULL;
	if (!r) {
		err = -ENOENT;
	} else if (READ_ONCE(r->busy)) {
		err = -EBUSY;
	} else {
		xa_erase(&s->regs, a.handle);
		err = 0;
	}
	mutex_unlock(&s->lock);
	if (!err)
		dmacopy_reg_put(r);
	return err;
}

/* ---- submission --------------------------------------------------------- */

/* Check one operation and turn it into a dmacopy_op holding its registrations. */
static int op_prepare(struct dmacopy_queue *q, const struct dmacopy_sqe *u,
		      struct dmacopy_op **out)
{
	struct dmacopy_reg *dst, *src = NULL;
	u64 dst_end, src_end, da, sa;
	int err;

	if (u->flags || u->reserved || !u->len)
		return -EINVAL;
	dst = reg_lookup(q->s, u->dst_handle);
	if (!dst)
		return -ENOENT;
	src = reg_lookup(q->s, u->src_handle);
	if (!src) {
		err = -ENOENT;
		goto err_put;
	}
	err = -EACCES;
	if (dst->readonly)
		goto err_put;
	err = -EINVAL;
	if (check_add_overflow(u->dst_offset, u->len, &dst_end) || dst_end > dst->len ||
	    check_add_overflow(u->src_offset, u->len, &src_end) || src_end > src->len)
		goto err_put;
	/* DMA engines do not implement memmove. */
	da = dst->addr + u->dst_offset;
	sa = src->addr + u->src_offset;
	if (dst->mm == src->mm && da < sa + u->len && sa < da + u->len)
		goto err_put;

	err = dmacopy_reg_get_busy(dst);
	if (err)
		goto err_put;
	err = dmacopy_reg_get_busy(src);
	if (err)
		goto err_busy;
	*out = dmacopy_op_alloc(q, dst, u->dst_offset, src, u->src_offset, u->len,
				u->user_data);
	if (*out)
		return 0;
	err = -ENOMEM;
	dmacopy_reg_put_busy(src);
err_busy:
	dmacopy_reg_put_busy(dst);
err_put:
	if (src)
		dmacopy_reg_put(src);
	dmacopy_reg_put(dst);
	return err;
}

static long ioctl_submit(struct dmacopy_queue *q, void __user *arg)
{
	struct dmacopy_submit a;
	struct dmacopy_sqe u;
	struct dmacopy_op **ops;
	const u8 __user *usqes;
	unsigned int i;
	u32 usize;
	int err;

	err = dmacopy_copy_arg(&a, sizeof(a), sizeof(a), arg, &usize);
	if (err)
		return err;
	if (a.flags || a.reserved)
		return -EINVAL;
	if (!a.count)
		return -EINVAL;
	if (a.count > dmacopy_max_batch)
		return -E2BIG;
	if (a.sqe_size < sizeof(u) || a.sqe_size > PAGE_SIZE)
		return -EINVAL;
	if (q->bound) {
		if (!dmacopy_chan_usable(q->bound))
			return -ENODEV;
	} else {
		dmacopy_chans_maybe_rescan();
		if (!dmacopy_chans_count()) {
			dmacopy_chans_rescan(false);
			if (!dmacopy_chans_count())
				return -ENODEV;
		}
	}

	ops = kvmalloc_array(a.count, sizeof(*ops), GFP_KERNEL_ACCOUNT);
	if (!ops)
		return -ENOMEM;
	err = dmacopy_reserve(q, a.count);
	if (err)
		goto out_free;

	usqes = u64_to_user_ptr(a.sqes);
	for (i = 0; i < a.count; i++) {
		err = copy_struct_from_user(&u, sizeof(u), usqes + (size_t)i * a.sqe_size,
					    a.sqe_size);
		if (!err)
			err = op_prepare(q, &u, &ops[i]);
		if (err)
			break;
	}
	if (err) {
		a.error_index = i;
		while (i--)
			dmacopy_op_abandon(ops[i]);
		dmacopy_unreserve(q, a.count);
		if (dmacopy_copy_arg_out(arg, usize, &a, sizeof(a)))
			err = -EFAULT;
		goto out_free;
	}
	dmacopy_submit_ops(q, ops, a.count);
out_free:
	kvfree(ops);
	return err;
}

/* ---- completions -------------------------------------------------------- */

static long ioctl_reap(struct dmacopy_queue *q, void __user *arg, bool wait)
{
	struct dmacopy_reap a;
	u32 usize;
	long ret;
	int err;

	err = dmacopy_copy_arg(&a, sizeof(a), sizeof(a), arg, &usize);
	if (err)
		return err;
	if (a.flags || a.cqe_size != sizeof(struct dmacopy_cqe))
		return -EINVAL;
	if (!wait && (a.min || a.timeout_ns))
		return -EINVAL;
	if (a.max > DMACOPY_MAX_CQ)
		a.max = DMACOPY_MAX_CQ;

	if (wait)
		ret = dmacopy_wait(q, u64_to_user_ptr(a.cqes), a.min, a.max, a.timeout_ns);
	else
		ret = dmacopy_reap(q, u64_to_user_ptr(a.cqes), a.max);
	if (ret < 0)
		return ret;
	a.count = ret;
	/* The completions are consumed: report them even if count cannot be. */
	dmacopy_copy_arg_out(arg, usize, &a, sizeof(a));
	return ret;
}

static ssize_t dmacopy_read(struct file *file, char __user *buf, size_t len, loff_t *ppos)
{
	struct dmacopy_queue *q = file->private_data;
	unsigned int max = min_t(size_t, len / sizeof(struct dmacopy_cqe), DMACOPY_MAX_CQ);
	long n;

	if (!max)
		return -EINVAL;
	for (;;) {
		n = dmacopy_reap(q, (struct dmacopy_cqe __user *)buf, max);
		if (n)
			return n < 0 ? n : n * sizeof(struct dmacopy_cqe);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		/* Nothing in flight: nothing will ever come. */
		if (!dmacopy_queue_busy(q))
			return 0;
		if (wait_event_interruptible(q->wq, dmacopy_cq_ready(q) || !dmacopy_queue_busy(q)))
			return -ERESTARTSYS;
	}
}

static __poll_t dmacopy_poll(struct file *file, poll_table *wait)
{
	struct dmacopy_queue *q = file->private_data;

	poll_wait(file, &q->wq, wait);
	return dmacopy_poll_mask(q);
}

/* ---- queues ------------------------------------------------------------- */

static long ioctl_queue_create(struct dmacopy_queue *q, void __user *arg)
{
	struct dmacopy_queue_create a;
	struct dmacopy_chan *bound = NULL;
	struct dmacopy_queue *nq;
	struct file *file;
	u32 usize;
	int err, fd;

	err = dmacopy_copy_arg(&a, sizeof(a), sizeof(a), arg, &usize);
	if (err)
		return err;
	if (a.flags || !memchr(a.channel, '\0', sizeof(a.channel)))
		return -EINVAL;
	if (a.cq_entries > DMACOPY_MAX_CQ)
		return -EINVAL;
	if (a.channel[0]) {
		dmacopy_chans_rescan(false);
		bound = dmacopy_chan_get_by_name(a.channel);
		if (!bound)
			return -ENODEV;
	}
	nq = dmacopy_queue_create(q->s, a.cq_entries, bound);
	if (IS_ERR(nq)) {
		if (bound)
			dmacopy_chan_put(bound);
		return PTR_ERR(nq);
	}

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		dmacopy_queue_close(nq);
		return fd;
	}
	file = anon_inode_getfile("[dmacopy]", &dmacopy_fops, nq, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		dmacopy_queue_close(nq);
		return PTR_ERR(file);
	}
	a.fd = fd;
	if (dmacopy_copy_arg_out(arg, usize, &a, sizeof(a))) {
		put_unused_fd(fd);
		fput(file);	/* release() closes the queue */
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;
}

/* ---- file operations ---------------------------------------------------- */

static long dmacopy_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct dmacopy_queue *q = file->private_data;
	void __user *uarg = (void __user *)arg;

	/* Match type, number and direction, not the size bits (see the UAPI). */
	switch (DMACOPY_IOC_NOSIZE(cmd)) {
	case DMACOPY_IOC_NOSIZE(DMACOPY_IOC_REGISTER):
	case DMACOPY_IOC_NOSIZE(DMACOPY_IOC_UNREGISTER):
	case DMACOPY_IOC_NOSIZE(DMACOPY_IOC_SUBMIT):
	case DMACOPY_IOC_NOSIZE(DMACOPY_IOC_QUEUE_CREATE):
		/* Another process's descriptor (fork, execve, SCM_RIGHTS). */
		if (!dmacopy_session_owner(q->s))
			return -EPERM;
		break;
	}

	switch (DMACOPY_IOC_NOSIZE(cmd)) {
	case DMACOPY_IOC_NOSIZE(DMACOPY_IOC_INFO):
		return dmacopy_ioctl_info(q, uarg);
	case DMACOPY_IOC_NOSIZE(DMACOPY_IOC_CHANNELS):
		return dmacopy_ioctl_channels(uarg, false);
	case DMACOPY_IOC_NOSIZE(DMACOPY_IOC_STATS):
		return dmacopy_ioctl_channels(uarg, true);
	case DMACOPY_IOC_NOSIZE(DMACOPY_IOC_REGISTER):
		return ioctl_register(q, uarg);
	case DMACOPY_IOC_NOSIZE(DMACOPY_IOC_UNREGISTER):
		return ioctl_unregister(q, uarg);
	case DMACOPY_IOC_NOSIZE(DMACOPY_IOC_SUBMIT):
		return ioctl_submit(q, uarg);
	case DMACOPY_IOC_NOSIZE(DMACOPY_IOC_REAP):
		return ioctl_reap(q, uarg, false);
	case DMACOPY_IOC_NOSIZE(DMACOPY_IOC_WAIT):
		return ioctl_reap(q, uarg, true);
	case DMACOPY_IOC_NOSIZE(DMACOPY_IOC_QUEUE_CREATE):
		return ioctl_queue_create(q, uarg);
	}
	return -ENOTTY;
}

static int dmacopy_open(struct inode *inode, struct file *file)
{
	struct dmacopy_session *s;
	struct dmacopy_queue *q;

	dmacopy_chans_rescan(false);
	s = dmacopy_session_create();
	if (!s)
		return -ENOMEM;
	q = dmacopy_queue_create(s, 0, NULL);
	dmacopy_session_put(s);
	if (IS_ERR(q))
		return PTR_ERR(q);
	file->private_data = q;
	return stream_open(inode, file);
}

static int dmacopy_release(struct inode *inode, struct file *file)
{
	dmacopy_queue_close(file->private_data);
	return 0;
}

const struct file_operations dmacopy_fops = {
	.owner = THIS_MODULE,
	.open = dmacopy_open,
	.release = dmacopy_release,
	.read = dmacopy_read,
	.poll = dmacopy_poll,
	.unlocked_ioctl = dmacopy_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice dmacopy_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "dmacopy",
	.fops = &dmacopy_fops,
	.mode = 0600,
};

static struct miscdevice legacy_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "ioat-dma",
	.fops = &dmacopy_legacy_fops,
	.mode = 0600,
};

static int __init dmacopy_init(void)
{
	int err;

	BUILD_BUG_ON(sizeof(struct ioctl_dma_args) != 88);
	BUILD_BUG_ON(sizeof(struct dmacopy_sqe) != 48);
	BUILD_BUG_ON(sizeof(struct dmacopy_cqe) != 16);
	BUILD_BUG_ON(sizeof(struct dmacopy_reap) != 40);

	dmacopy_op_cache = KMEM_CACHE(dmacopy_op, SLAB_ACCOUNT);
	if (!dmacopy_op_cache)
		return -ENOMEM;
	/*
	 * Unbound: its work (unpinning and unmapping, timeouts, rescans) needs
	 * no particular CPU and may run long. Since Linux 7.2 the kernel also
	 * warns when a workqueue is made without saying whether it is per-CPU.
	 */
	dmacopy_wq = alloc_workqueue("dmacopy", WQ_UNBOUND, 0);
	if (!dmacopy_wq) {
		err = -ENOMEM;
		goto err_cache;
	}
	err = misc_register(&dmacopy_misc);
	if (err)
		goto err_wq;
	dmacopy_dev = dmacopy_misc.this_device;
	err = misc_register(&legacy_misc);
	if (err)
		goto err_misc;
	err = dmacopy_chans_init(dmacopy_orphans_release_dev);
	if (err)
		goto err_legacy;
	dmacopy_debugfs_init();
	return 0;

err_legacy:
	misc_deregister(&legacy_misc);
err_misc:
	misc_deregister(&dmacopy_misc);
err_wq:
	destroy_workqueue(dmacopy_wq);
err_cache:
	kmem_cache_destroy(dmacopy_op_cache);
	return err;
}

static void __exit dmacopy_exit(void)
{
	dmacopy_debugfs_exit();
	misc_deregister(&legacy_misc);
	dmacopy_chans_exit();
	/* Callbacks that completed the last operations may still be returning. */
	synchronize_rcu();
	destroy_workqueue(dmacopy_wq);
	misc_deregister(&dmacopy_misc);
	rcu_barrier();
	kmem_cache_destroy(dmacopy_op_cache);
}

module_init(dmacopy_init);
module_exit(dmacopy_exit);

MODULE_DESCRIPTION("User-space memory copies through dmaengine DMA_MEMCPY channels");
MODULE_LICENSE("GPL");

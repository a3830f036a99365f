// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/ioat-dma: the reference ABI (IOCTL_IOAT_DMA_SUBMIT), done safely.
 *
 * A request names a device-dax device by path and two ranges inside it. The
 * module opens the path with the caller's credentials, checks that it is a
 * device-dax node, maps both ranges into the caller's address space with
 * vm_mmap() (rounded to 1 GiB so that any device-dax alignment is met),
 * registers (pins) them like /dev/dmacopy does, unmaps them again, copies
 * with one operation and waits for it. The device's own fault handler bounds
 * the ranges: pinning a page past the end of the device fails. Physical
 * addresses never come from user space.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mman.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>

#include "dmacopy.h"

/* Pin [off, off + size) of the device-dax file f through a temporary mapping. */
static struct dmacopy_reg *legacy_pin(struct file *f, u64 off, u64 size, bool src)
{
	u64 map_off = round_down(off, SZ_1G), map_end = round_up(off + size, SZ_1G);
	unsigned long prot = src ? PROT_READ : PROT_READ | PROT_WRITE;
	struct dmacopy_reg *r;
	unsigned long addr;

	addr = vm_mmap(f, 0, map_end - map_off, prot, MAP_SHARED, map_off);
	if (IS_ERR_VALUE(addr))
		return ERR_PTR((long)addr);
	r = dmacopy_reg_create(addr + (off - map_off), size, src ? DMACOPY_REG_READONLY : 0,
			       true);
	vm_munmap(addr, map_end - map_off);
	/* The device refused to fault in a page: the range passes its end. */
	if (IS_ERR(r) && PTR_ERR(r) == -EFAULT)
		return ERR_PTR(-EINVAL);
	return r;
}

static int legacy_copy(struct file *f, u64 src_off, u64 dst_off, u64 size)
{
	struct dmacopy_reg *src = NULL, *dst = NULL;
	struct dmacopy_session *s;
	struct dmacopy_queue *q;
	struct dmacopy_cqe cqe;
	struct dmacopy_op *op;
	int err;

	s = dmacopy_session_create();
	if (!s)
		return -ENOMEM;
	q = dmacopy_queue_create(s, 1, NULL);
	dmacopy_session_put(s);
	if (IS_ERR(q))
		return PTR_ERR(q);

	src = legacy_pin(f, src_off, size, true);
	if (IS_ERR(src)) {
		err = PTR_ERR(src);
		dev_dbg(dmacopy_dev, "ioat-dma: source range: %d\n", err);
		src = NULL;
		goto out;
	}
	dst = legacy_pin(f, dst_off, size, false);
	if (IS_ERR(dst)) {
		err = PTR_ERR(dst);
		dev_dbg(dmacopy_dev, "ioat-dma: destination range: %d\n", err);
		dst = NULL;
		goto out;
	}
	/* Checked last, so that bad requests get their own error without a channel. */
	if (!dmacopy_chans_count()) {
		dmacopy_chans_rescan(true);
		if (!dmacopy_chans_count()) {
			err = -ENODEV;
			goto out;
		}
	}
	err = dmacopy_reg_get_busy(src);
	if (err)
		goto out;
	err = dmacopy_reg_get_busy(dst);
	if (err) {
		dmacopy_reg_put_busy(src);
		goto out;
	}
	op = dmacopy_op_alloc(q, dst, 0, src, 0, size, 0);
	if (!op) {
		dmacopy_reg_put_busy(src);
		dmacopy_reg_put_busy(dst);
		err = -ENOMEM;
		goto out;
	}
	/* The operation owns the references now. */
	src = NULL;
	dst = NULL;
	err = dmacopy_reserve(q, 1);
	if (err) {
		dmacopy_op_abandon(op);
		goto out;
	}
	dmacopy_submit_ops(q, &op, 1);

	/* Killed: give up waiting; closing the queue still waits for the DMA. */
	err = wait_event_killable(q->wq, dmacopy_cq_ready(q));
	if (!err) {
		spin_lock_irq(&q->lock);
		cqe = q->cq[q->cq_head & (q->cq_size - 1)];
		q->cq_head++;
		spin_unlock_irq(&q->lock);
		err = cqe.status;
		/* The reference ABI reports any engine failure as an I/O error. */
		if (err == -ECANCELED)
			err = -EIO;
	}
out:
	dmacopy_queue_close(q);
	if (src)
		dmacopy_reg_put(src);
	if (dst)
		dmacopy_reg_put(dst);
	return err;
}

static long legacy_submit(const struct ioctl_dma_args *a)
{
	struct file *f;
	u64 src_end, dst_end;
	long err;

	if (!memchr(a->device_name, '\0', sizeof(a->device_name)))
		return -EINVAL;
	/* As open(2) does; filp_open() would resolve "" to the working directory. */
	if (!a->device_name[0])
		return -ENOENT;
	if (!a->size || a->size > (u64)dmacopy_max_reg_mb << 20)
		return -EINVAL;
	if (check_add_overflow(a->src_offset, a->size, &src_end) ||
	    check_add_overflow(a->dst_offset, a->size, &dst_end))
		return -EINVAL;
	/* Offsets are file offsets (loff_t), rounded up to 1 GiB for mapping. */
	if (src_end > MAX_LFS_FILESIZE - SZ_1G || dst_end > MAX_LFS_FILESIZE - SZ_1G)
		return -EINVAL;
	if (a->src_offset < dst_end && a->dst_offset < src_end)
		return -EINVAL;

	/* The caller's credentials decide: no access, no copy. */
	f = filp_open(a->device_name, O_RDWR | O_NOCTTY | O_NONBLOCK | O_LARGEFILE, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	if (!S_ISCHR(file_inode(f)->i_mode)) {
		dev_dbg(dmacopy_dev, "ioat-dma: %s is not a character device\n", a->device_name);
		err = -EINVAL;
		goto out;
	}
	if (!dmacopy_dax_device(f)) {
		dev_dbg(dmacopy_dev, "ioat-dma: %s is not a device-dax device\n", a->device_name);
		err = -ENODEV;
		goto out;
	}
	err = legacy_copy(f, a->src_offset, a->dst_offset, a->size);
out:
	fput(f);
	return err;
}

static long legacy_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ioctl_dma_args a;

	if (cmd != IOCTL_IOAT_DMA_SUBMIT)
		return -ENOTTY;
	if (copy_from_user(&a, (void __user *)arg, sizeof(a)))
		return -EFAULT;
	return legacy_submit(&a);
}

static int legacy_open(struct inode *inode, struct file *file)
{
	dmacopy_chans_rescan(false);
	return stream_open(inode, file);
}

const struct file_operations dmacopy_legacy_fops = {
	.owner = THIS_MODULE,
	.open = legacy_open,
	.unlocked_ioctl = legacy_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

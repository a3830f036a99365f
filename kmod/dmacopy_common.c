// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmacopy: what every other file of the module uses and which uses none of
 * them: the module parameters, the module-wide objects (set up by
 * dmacopy_main.c's init) and the versioned ioctl argument helpers.
 */
#include <linux/device.h>
#include <linux/minmax.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>

#include "dmacopy.h"

unsigned int dmacopy_op_timeout_ms = 10000;
unsigned int dmacopy_max_batch = 1024;
unsigned int dmacopy_cq_entries = 1024;
unsigned int dmacopy_max_chunk = SZ_2M;
unsigned int dmacopy_max_channels = 16;
unsigned int dmacopy_max_reg_mb = 65536;
unsigned int dmacopy_max_queues = 64;
unsigned int dmacopy_session_cq_entries = 262144;
bool dmacopy_longterm_pin = true;

struct workqueue_struct *dmacopy_wq;
struct kmem_cache *dmacopy_op_cache;
struct device *dmacopy_dev;

/* An unsigned int module parameter that only takes values in [min, max]. */
struct range_param {
	unsigned int *val;
	unsigned int min;
	unsigned int max;
};

static int range_param_set(const char *val, const struct kernel_param *kp)
{
	struct range_param *p = kp->arg;
	struct kernel_param k = *kp;

	k.arg = p->val;
	return param_set_uint_minmax(val, &k, p->min, p->max);
}

static int range_param_get(char *buf, const struct kernel_param *kp)
{
	struct range_param *p = kp->arg;

	return sysfs_emit(buf, "%u\n", *p->val);
}

static const struct kernel_param_ops range_param_ops = {
	.set = range_param_set,
	.get = range_param_get,
};

static struct range_param op_timeout_range = { &dmacopy_op_timeout_ms, 100, 60000 };
module_param_cb(op_timeout_ms, &range_param_ops, &op_timeout_range, 0644);
MODULE_PARM_DESC(op_timeout_ms,
		 "an operation not done after this many ms fails with -ETIMEDOUT (100-60000, default 10000)");

static struct range_param max_batch_range = { &dmacopy_max_batch, 1, 65536 };
module_param_cb(max_batch, &range_param_ops, &max_batch_range, 0644);
MODULE_PARM_DESC(max_batch, "most operations per DMACOPY_IOC_SUBMIT (1-65536, default 1024)");

static struct range_param cq_entries_range = { &dmacopy_cq_entries, 1, DMACOPY_MAX_CQ };
module_param_cb(cq_entries, &range_param_ops, &cq_entries_range, 0644);
MODULE_PARM_DESC(cq_entries, "default completion ring size of a queue (1-65536, default 1024)");

static struct range_param max_chunk_range = { &dmacopy_max_chunk, PAGE_SIZE, SZ_1G };
module_param_cb(max_chunk, &range_param_ops, &max_chunk_range, 0644);
MODULE_PARM_DESC(max_chunk, "largest descriptor in bytes (4096-1 GiB, default 2 MiB)");

static struct range_param max_channels_range = { &dmacopy_max_channels, 1, 256 };
module_param_cb(max_channels, &range_param_ops, &max_channels_range, 0644);
MODULE_PARM_DESC(max_channels, "most DMA channels the module takes (1-256, default 16)");

static struct range_param max_reg_mb_range = { &dmacopy_max_reg_mb, 1, 1048576 };
module_param_cb(max_reg_mb, &range_param_ops, &max_reg_mb_range, 0644);
MODULE_PARM_DESC(max_reg_mb, "largest registration in MiB (1-1048576, default 65536)");

static struct range_param max_queues_range = { &dmacopy_max_queues, 1, 4096 };
module_param_cb(max_queues, &range_param_ops, &max_queues_range, 0644);
MODULE_PARM_DESC(max_queues, "most queues of one /dev/dmacopy session (1-4096, default 64)");

static struct range_param session_cq_range = { &dmacopy_session_cq_entries, 1, 1 << 24 };
module_param_cb(session_cq_entries, &range_param_ops, &session_cq_range, 0644);
MODULE_PARM_DESC(session_cq_entries,
		 "most completion ring entries of one session's queues together (default 262144)");

module_param_named(longterm_pin, dmacopy_longterm_pin, bool, 0644);
MODULE_PARM_DESC(longterm_pin, "pin registrations with FOLL_LONGTERM (default Y)");

/* ---- versioned ioctl arguments ----------------------------------------- */

int dmacopy_copy_arg(void *karg, size_t ksize, size_t minsize, const void __user *uarg,
		     u32 *usize)
{
	u32 size;
	int err;

	if (get_user(size, (const u32 __user *)uarg))
		return -EFAULT;
	if (size < minsize)
		return -EINVAL;
	if (size > PAGE_SIZE)
		return -E2BIG;
	err = copy_struct_from_user(karg, ksize, uarg, size);
	if (err)
		return err;
	*usize = size;
	return 0;
}

int dmacopy_copy_arg_out(void __user *uarg, u32 usize, const void *karg, size_t ksize)
{
	if (copy_to_user(uarg, karg, min_t(size_t, usize, ksize)))
		return -EFAULT;
	return 0;
}

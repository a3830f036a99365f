// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmacopy queries and statistics: DMACOPY_IOC_INFO, DMACOPY_IOC_CHANNELS,
 * DMACOPY_IOC_STATS, and the same figures in debugfs:
 *
 *   /sys/kernel/debug/dmacopy/channels   one line per channel with its counters
 *   /sys/kernel/debug/dmacopy/status     registrations, pinned pages, orphans
 */
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "dmacopy.h"

static struct dentry *dmacopy_debugfs;

long dmacopy_ioctl_info(struct dmacopy_queue *q, void __user *arg)
{
	struct dmacopy_info a;
	u32 usize;
	int err;

	err = dmacopy_copy_arg(&a, sizeof(a), sizeof(a), arg, &usize);
	if (err)
		return err;
	if (a.flags || memchr_inv(a.reserved, 0, sizeof(a.reserved)))
		return -EINVAL;

	dmacopy_chans_rescan(false);
	a.abi_version = DMACOPY_ABI_VERSION;
	a.nr_channels = dmacopy_chans_count();
	a.max_batch = READ_ONCE(dmacopy_max_batch);
	a.cq_entries = q->cq_size;
	a.max_reg_len = (u64)READ_ONCE(dmacopy_max_reg_mb) << 20;
	a.max_op_len = a.max_reg_len;
	a.max_chunk = READ_ONCE(dmacopy_max_chunk);
	a.op_timeout_ms = READ_ONCE(dmacopy_op_timeout_ms);
	a.nr_bounced = dmacopy_chans_bounced();
	a.max_queues = READ_ONCE(dmacopy_max_queues);
	return dmacopy_copy_arg_out(arg, usize, &a, sizeof(a));
}

static void chan_info(struct dmacopy_chan *c, struct dmacopy_channel_info *e)
{
	memset(e, 0, sizeof(*e));
	strscpy(e->name, c->name, sizeof(e->name));
	strscpy(e->driver, c->driver, sizeof(e->driver));
	strscpy(e->device, c->device, sizeof(e->device));
	e->id = c->id;
	e->numa_node = c->nid;
	e->flags = dmacopy_chan_flags(c);
}

static void chan_stats(struct dmacopy_chan *c, struct dmacopy_channel_stats *e)
{
	memset(e, 0, sizeof(*e));
	e->id = c->id;
	e->ops = atomic64_read(&c->st.ops);
	e->bytes = atomic64_read(&c->st.bytes);
	e->errors = atomic64_read(&c->st.errors);
	e->read_faults = atomic64_read(&c->st.read_faults);
	e->write_faults = atomic64_read(&c->st.write_faults);
	e->aborted = atomic64_read(&c->st.aborted);
	e->timeouts = atomic64_read(&c->st.timeouts);
	e->descriptors = atomic64_read(&c->st.descriptors);
	e->inflight = atomic_read(&c->inflight);
}

/*
 * DMACOPY_IOC_CHANNELS (stats false) and DMACOPY_IOC_STATS: a snapshot is
 * taken under the channel lock, then copied out without it.
 */
long dmacopy_ioctl_channels(void __user *arg, bool stats)
{
	size_t esize = stats ? sizeof(struct dmacopy_channel_stats) :
			       sizeof(struct dmacopy_channel_info);
	struct dmacopy_channels a;
	struct dmacopy_chan *c;
	u8 __user *uent;
	unsigned int n, i, room;
	u8 *snap = NULL;
	u32 usize;
	int err;

	err = dmacopy_copy_arg(&a, sizeof(a), sizeof(a), arg, &usize);
	if (err)
		return err;
	if (a.flags || (a.count && (a.entry_size < esize || a.entry_size > PAGE_SIZE)))
		return -EINVAL;

	dmacopy_chans_rescan(false);
	room = min_t(u32, a.count, 256);
	if (room) {
		snap = kcalloc(room, esize, GFP_KERNEL);
		if (!snap)
			return -ENOMEM;
	}
	n = 0;
	down_read(&dmacopy_chans_rwsem);
	list_for_each_entry(c, &dmacopy_chans, node) {
		if (c->dead)
			continue;
		if (n < room) {
			if (stats)
				chan_stats(c, (void *)(snap + n * esize));
			else
				chan_info(c, (void *)(snap + n * esize));
		}
		n++;
	}
	up_read(&dmacopy_chans_rwsem);

	uent = u64_to_user_ptr(a.entries);
	for (i = 0; i < min(n, room); i++) {
		u8 __user *dst = uent + (size_t)i * a.entry_size;

		if (copy_to_user(dst, snap + i * esize, esize) ||
		    clear_user(dst + esize, a.entry_size - esize)) {
			err = -EFAULT;
			goto out;
		}
	}
	a.count = n;
	err = dmacopy_copy_arg_out(arg, usize, &a, sizeof(a));
out:
	kfree(snap);
	return err;
}

static int channels_show(struct seq_file *m, void *unused)
{
	struct dmacopy_channel_stats st;
	struct dmacopy_chan *c;

	seq_puts(m, "id name driver device node flags ops bytes errors read_faults write_faults aborted timeouts descriptors inflight max_len\n");
	down_read(&dmacopy_chans_rwsem);
	list_for_each_entry(c, &dmacopy_chans, node) {
		if (c->dead)
			continue;
		chan_stats(c, &st);
		seq_printf(m, "%u %s %s %s %d 0x%x %llu %llu %llu %llu %llu %llu %llu %llu %llu %u\n",
			   c->id, c->name, c->driver, c->device, c->nid, dmacopy_chan_flags(c),
			   st.ops, st.bytes, st.errors, st.read_faults, st.write_faults,
			   st.aborted, st.timeouts, st.descriptors, st.inflight,
			   min(READ_ONCE(c->max_len), READ_ONCE(dmacopy_max_chunk)));
	}
	up_read(&dmacopy_chans_rwsem);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(channels);

static int status_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "channels: %u\n", dmacopy_chans_count());
	dmacopy_pin_status(m);
	seq_printf(m, "orphans: %u\n", dmacopy_orphans_count());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(status);

void dmacopy_debugfs_init(void)
{
	dmacopy_debugfs = debugfs_create_dir("dmacopy", NULL);
	debugfs_create_file("channels", 0444, dmacopy_debugfs, NULL, &channels_fops);
	debugfs_create_file("status", 0444, dmacopy_debugfs, NULL, &status_fops);
}

void dmacopy_debugfs_exit(void)
{
	debugfs_remove_recursive(dmacopy_debugfs);
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmacopy operations: sessions and queues, batched submission of copies as
 * dmaengine descriptors, completion callbacks, the completion ring, timeouts.
 *
 * An operation is split into descriptors at segment boundaries of its source
 * and destination registrations, at max_chunk bytes and at the channel's own
 * limit, learnt when it refuses a length (idxd). Every descriptor has
 * a callback_result; the operation completes when the last one has run (so
 * engines that complete out of order are handled like in-order ones), with
 * the first failure any descriptor reported.
 *
 * Timeouts: an operation not finished op_timeout_ms after submission is
 * completed with -ETIMEDOUT (DMACOPY_ERR_TIMEOUT). dmaengine cannot cancel a
 * descriptor (ioat and idxd have no terminate_all), so the engine may still
 * run it later: the operation becomes an orphan that keeps its registrations
 * pinned and mapped, its channel, and a module reference, until its last
 * callback runs or the DMA device's driver is unbound. Its channel is marked
 * stalled and used only when no other is left.
 */
#include <linux/dma-mapping.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "dmacopy.h"

static atomic_t queue_seq;		/* spreads queues' round-robin starts */
static LIST_HEAD(orphans);		/* timed-out operations the engine still owns */
static DEFINE_SPINLOCK(orphan_lock);	/* nests inside a queue's lock */
static unsigned int norphans;

/* ---- sessions and queues ------------------------------------------------ */

struct dmacopy_session *dmacopy_session_create(void)
{
	struct dmacopy_session *s;

	if (!current->mm)
		return NULL;
	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return NULL;
	kref_init(&s->ref);
	mutex_init(&s->lock);
	xa_init_flags(&s->regs, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	mmgrab(current->mm);
	s->mm = current->mm;
	return s;
}

static void session_release(struct kref *ref)
{
	struct dmacopy_session *s = container_of(ref, struct dmacopy_session, ref);
	struct dmacopy_reg *r;
	unsigned long handle;

	xa_for_each(&s->regs, handle, r)
		dmacopy_reg_put(r);
	xa_destroy(&s->regs);
	mmdrop(s->mm);
	kfree(s);
}

/* Process context: the last reference unpins the session's registrations. */
void dmacopy_session_put(struct dmacopy_session *s)
{
	kref_put(&s->ref, session_release);
}

/* Count a queue of cq_size entries against the session's caps. */
static int session_add_queue(struct dmacopy_session *s, u32 cq_size)
{
	int err = 0;

	mutex_lock(&s->lock);
	if (s->nqueues >= READ_ONCE(dmacopy_max_queues) ||
	    s->cq_total + cq_size > READ_ONCE(dmacopy_session_cq_entries)) {
		err = -ENOSPC;
	} else {
		s->nqueues++;
		s->cq_total += cq_size;
	}
	mutex_unlock(&s->lock);
	return err;
}

/* A queue of cq_size entries is gone: give its share of the caps back. */
static void session_del_queue(struct dmacopy_session *s, u32 cq_size)
{
	mutex_lock(&s->lock);
	s->nqueues--;
	s->cq_total -= cq_size;
	mutex_unlock(&s->lock);
}

static void queue_free(struct dmacopy_queue *q)
{
	struct dmacopy_session *s = q->s;

	if (q->bound)
		dmacopy_chan_put(q->bound);
	session_del_queue(s, q->cq_size);
	dmacopy_session_put(s);
	kvfree(q->cq);
	kfree(q);
}

static void queue_free_work(struct work_struct *work)
{
	queue_free(container_of(work, struct dmacopy_queue, free_work));
}

static void queue_release(struct kref *ref)
{
	queue_free(container_of(ref, struct dmacopy_queue, ref));
}

static void queue_release_async(struct kref *ref)
{
	struct dmacopy_queue *q = container_of(ref, struct dmacopy_queue, ref);

	queue_work(dmacopy_wq, &q->free_work);
}

static void queue_expire(struct dmacopy_queue *q);

static void queue_timeout_work(struct work_struct *work)
{
	struct dmacopy_queue *q = container_of(to_delayed_work(work), struct dmacopy_queue,
					       timeout_work);

	queue_expire(q);
}

/*
 * A queue on session s (which it references) with a ring of cq_entries. Its
 * memory is charged to the caller's memory cgroup; a ring that does not fit
 * there fails with -ENOMEM rather than waking the OOM killer.
 */
struct dmacopy_queue *dmacopy_queue_create(struct dmacopy_session *s, u32 cq_entries,
					   struct dmacopy_chan *bound)
{
	struct dmacopy_queue *q;
	u32 cq_size;
	int err;

	if (!cq_entries)
		cq_entries = dmacopy_cq_entries;
	if (cq_entries > DMACOPY_MAX_CQ)
		return ERR_PTR(-EINVAL);
	cq_size = roundup_pow_of_two(cq_entries);
	err = session_add_queue(s, cq_size);
	if (err)
		return ERR_PTR(err);

	q = kzalloc(sizeof(*q), GFP_KERNEL_ACCOUNT);
	if (q)
		q->cq = kvcalloc(cq_size, sizeof(*q->cq),
				 GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN);
	if (!q || !q->cq) {
		kfree(q);
		session_del_queue(s, cq_size);
		return ERR_PTR(-ENOMEM);
	}
	q->cq_size = cq_size;
	kref_init(&q->ref);
	kref_get(&s->ref);
	q->s = s;
	q->bound = bound;
	q->rr = atomic_inc_return(&queue_seq);
	spin_lock_init(&q->lock);
	INIT_LIST_HEAD(&q->inflight);
	init_waitqueue_head(&q->wq);
	mutex_init(&q->reap_lock);
	INIT_DELAYED_WORK(&q->timeout_work, queue_timeout_work);
	INIT_WORK(&q->free_work, queue_free_work);
	return q;
}

static bool queue_idle(struct dmacopy_queue *q)
{
	bool idle;

	spin_lock_irq(&q->lock);
	idle = !q->ninflight;
	spin_unlock_irq(&q->lock);
	return idle;
}

/*
 * The queue's file is closed (or the legacy request ends): wait for the
 * operations in flight, expiring those that reach their deadline, then drop
 * the file's reference. Completions nobody reaped are dropped with it.
 */
void dmacopy_queue_close(struct dmacopy_queue *q)
{
	spin_lock_irq(&q->lock);
	q->closing = true;
	spin_unlock_irq(&q->lock);

	while (!queue_idle(q)) {
		wait_event_timeout(q->wq, queue_idle(q),
				   msecs_to_jiffies(dmacopy_op_timeout_ms) + 1);
		if (!queue_idle(q))
			queue_expire(q);
	}
	cancel_delayed_work_sync(&q->timeout_work);
	kref_put(&q->ref, queue_release);
}

/* ---- completion ring ---------------------------------------------------- */

/* Ring slots promised to a submission of n operations (or -ENOSPC). */
int dmacopy_reserve(struct dmacopy_queue *q, unsigned int n)
{
	int err = 0;
	u32 used;

	spin_lock_irq(&q->lock);
	used = q->ninflight + q->reserved + (q->cq_tail - q->cq_head);
	if (n > q->cq_size - used)
		err = -ENOSPC;
	else
		q->reserved += n;
	spin_unlock_irq(&q->lock);
	return err;
}

void dmacopy_unreserve(struct dmacopy_queue *q, unsigned int n)
{
	spin_lock_irq(&q->lock);
	q->reserved -= n;
	spin_unlock_irq(&q->lock);
}

/* Called with q->lock held; a slot is always free (see dmacopy_reserve()). */
static void cq_post(struct dmacopy_queue *q, u64 user_data, int status, u16 error)
{
	struct dmacopy_cqe *e = &q->cq[q->cq_tail & (q->cq_size - 1)];

	e->user_data = user_data;
	e->status = status;
	e->error = error;
	e->reserved = 0;
	q->cq_tail++;
}

u32 dmacopy_cq_ready(struct dmacopy_queue *q)
{
	return READ_ONCE(q->cq_tail) - READ_ONCE(q->cq_head);
}

/* Copy up to max ready completions to out without consuming them. */
static unsigned int cq_peek(struct dmacopy_queue *q, struct dmacopy_cqe *out,
			    unsigned int max)
{
	unsigned int i, n;

	spin_lock_irq(&q->lock);
	n = min(max, q->cq_tail - q->cq_head);
	for (i = 0; i < n; i++)
		out[i] = q->cq[(q->cq_head + i) & (q->cq_size - 1)];
	spin_unlock_irq(&q->lock);
	return n;
}

static void cq_consume(struct dmacopy_queue *q, unsigned int n)
{
	spin_lock_irq(&q->lock);
	q->cq_head += n;
	spin_unlock_irq(&q->lock);
	wake_up_poll(&q->wq, EPOLLOUT | EPOLLWRNORM);
}

/*
 * Copy up to max completions to user space. A completion leaves the ring only
 * once it was copied, so a fault loses nothing. The caller holds reap_lock.
 */
static long cq_reap_locked(struct dmacopy_queue *q, struct dmacopy_cqe __user *ucq,
			   unsigned int max)
{
	struct dmacopy_cqe buf[16];
	unsigned int total = 0, n;

	while (total < max) {
		n = cq_peek(q, buf, min_t(unsigned int, max - total, ARRAY_SIZE(buf)));
		if (!n)
			break;
		if (copy_to_user(ucq + total, buf, n * sizeof(*buf)))
			return total ? total : -EFAULT;
		cq_consume(q, n);
		total += n;
	}
	return total;
}

/* Reap without blocking. */
long dmacopy_reap(struct dmacopy_queue *q, struct dmacopy_cqe __user *ucq, unsigned int max)
{
	long ret;

	if (mutex_lock_interruptible(&q->reap_lock))
		return -EINTR;
	ret = cq_reap_locked(q, ucq, max);
	mutex_unlock(&q->reap_lock);
	return ret;
}

/*
 * Block until min completions are ready or timeout_ns passes (< 0: forever),
 * then reap up to max (max 0: leave them in the ring). -EINVAL when min can
 * never be reached.
 */
long dmacopy_wait(struct dmacopy_queue *q, struct dmacopy_cqe __user *ucq, unsigned int min,
		  unsigned int max, s64 timeout_ns)
{
	long left, ret;
	u32 possible;

	if (max && min > max)
		return -EINVAL;
	if (mutex_lock_interruptible(&q->reap_lock))
		return -EINTR;
	spin_lock_irq(&q->lock);
	possible = q->ninflight + (q->cq_tail - q->cq_head);
	spin_unlock_irq(&q->lock);
	if (min > possible) {
		ret = -EINVAL;
		goto out;
	}
	if (timeout_ns < 0)
		left = MAX_SCHEDULE_TIMEOUT;
	else
		left = min_t(u64, nsecs_to_jiffies64(timeout_ns) + (timeout_ns > 0),
			     MAX_SCHEDULE_TIMEOUT - 1);
	if (min) {
		left = wait_event_interruptible_timeout(q->wq, dmacopy_cq_ready(q) >= min, left);
		if (left < 0 && !dmacopy_cq_ready(q)) {
			ret = -EINTR;
			goto out;
		}
	}
	ret = cq_reap_locked(q, ucq, max);
out:
	mutex_unlock(&q->reap_lock);
	return ret;
}

__poll_t dmacopy_poll_mask(struct dmacopy_queue *q)
{
	__poll_t mask = 0;
	u32 used;

	spin_lock_irq(&q->lock);
	if (q->cq_tail != q->cq_head)
		mask |= EPOLLIN | EPOLLRDNORM;
	used = q->ninflight + q->reserved + (q->cq_tail - q->cq_head);
	if (used < q->cq_size)
		mask |= EPOLLOUT | EPOLLWRNORM;
	spin_unlock_irq(&q->lock);
	return mask;
}

bool dmacopy_queue_busy(struct dmacopy_queue *q)
{
	return READ_ONCE(q->ninflight) != 0;
}

/* ---- operations --------------------------------------------------------- */

/*
 * An operation of len bytes from src (+src_off) to dst (+dst_off). Takes over
 * the caller's references on both registrations and their busy counts.
 */
struct dmacopy_op *dmacopy_op_alloc(struct dmacopy_queue *q, struct dmacopy_reg *dst,
				    u64 dst_off, struct dmacopy_reg *src, u64 src_off,
				    u64 len, u64 user_data)
{
	struct dmacopy_op *op;

	op = kmem_cache_zalloc(dmacopy_op_cache, GFP_KERNEL);
	if (!op)
		return NULL;
	INIT_LIST_HEAD(&op->node);
	kref_get(&q->ref);
	op->q = q;
	op->dst = dst;
	op->dst_off = dst_off;
	op->src = src;
	op->src_off = src_off;
	op->len = len;
	op->user_data = user_data;
	atomic_set(&op->pending, 1);
	return op;
}

/* Free an operation whose busy counts were dropped (any context). */
static void op_free_async(struct dmacopy_op *op)
{
	dmacopy_reg_put_async(op->src);
	dmacopy_reg_put_async(op->dst);
	if (op->chan)
		dmacopy_chan_put(op->chan);
	kref_put(&op->q->ref, queue_release_async);
	kmem_cache_free(dmacopy_op_cache, op);
}

/* An operation that was allocated but never submitted. */
void dmacopy_op_abandon(struct dmacopy_op *op)
{
	dmacopy_reg_put_busy(op->src);
	dmacopy_reg_put_busy(op->dst);
	op_free_async(op);
}

/* An orphan's engine finally let go of it: free it, then the module. */
static void orphan_free_work(struct work_struct *work)
{
	struct dmacopy_op *op = container_of(work, struct dmacopy_op, free_work);

	op_free_async(op);
	module_put(THIS_MODULE);
}

static void op_fail(struct dmacopy_op *op, int status, u16 error)
{
	if (!atomic_cmpxchg(&op->status, 0, status))
		op->error = error;
}

/* Make the destination's new contents visible to the CPU. */
static void op_sync_for_cpu(struct dmacopy_op *op)
{
	struct dmacopy_reg *r = op->dst;
	struct dmacopy_map *m;
	u64 pos = r->pgoff + op->dst_off, left = op->len, in, n;
	unsigned int i;

	rcu_read_lock();
	m = rcu_dereference(r->maps[op->chan->dd->id]);
	if (m) {
		i = dmacopy_reg_find_seg(r, pos);
		while (left && i < m->nsegs) {
			in = pos - r->segs[i].start;
			n = min(left, r->segs[i].len - in);
			dma_sync_single_range_for_cpu(m->dev, m->ent[i].addr, in, n,
						      DMA_BIDIRECTIONAL);
			pos += n;
			left -= n;
			i++;
		}
	}
	rcu_read_unlock();
}

static void op_count(struct dmacopy_op *op, int status)
{
	struct dmacopy_chan_counters *st = &op->chan->st;

	if (!status) {
		atomic64_inc(&st->ops);
		atomic64_add(op->len, &st->bytes);
		return;
	}
	atomic64_inc(&st->errors);
	switch (op->error) {
	case DMACOPY_ERR_READ_FAULT:
		atomic64_inc(&st->read_faults);
		break;
	case DMACOPY_ERR_WRITE_FAULT:
		atomic64_inc(&st->write_faults);
		break;
	case DMACOPY_ERR_ABORTED:
		atomic64_inc(&st->aborted);
		break;
	}
}

/* The last descriptor of op is done (any context). */
static void op_finish(struct dmacopy_op *op)
{
	struct dmacopy_queue *q = op->q;
	int status = atomic_read(&op->status);
	unsigned long flags;
	bool orphan = false;

	/* Dead registrations were unmapped; nobody reads their memory any more. */
	if (!status && op->chan)
		op_sync_for_cpu(op);
	dmacopy_reg_put_busy(op->src);
	dmacopy_reg_put_busy(op->dst);

	spin_lock_irqsave(&q->lock, flags);
	if (op->state == DMACOPY_OP_INFLIGHT) {
		if (op->chan)
			op_count(op, status);
		list_del(&op->node);
		q->ninflight--;
		cq_post(q, op->user_data, status, status ? op->error : DMACOPY_ERR_NONE);
	} else {
		spin_lock(&orphan_lock);
		list_del(&op->node);
		norphans--;
		spin_unlock(&orphan_lock);
		orphan = true;
	}
	spin_unlock_irqrestore(&q->lock, flags);

	if (orphan) {
		WRITE_ONCE(op->chan->stalled, false);
		INIT_WORK(&op->free_work, orphan_free_work);
		queue_work(dmacopy_wq, &op->free_work);
		return;
	}
	wake_up_poll(&q->wq, EPOLLIN | EPOLLRDNORM);
	op_free_async(op);
}

static void op_desc_done(void *param, const struct dmaengine_result *res)
{
	struct dmacopy_op *op = param;
	struct dmacopy_chan *c = op->chan;

	/* Module removal waits for an RCU grace period after the last file. */
	rcu_read_lock();
	if (res && res->result != DMA_TRANS_NOERROR) {
		switch (res->result) {
		case DMA_TRANS_READ_FAILED:
			op_fail(op, -EIO, DMACOPY_ERR_READ_FAULT);
			break;
		case DMA_TRANS_WRITE_FAILED:
			op_fail(op, -EIO, DMACOPY_ERR_WRITE_FAULT);
			break;
		case DMA_TRANS_ABORTED:
			op_fail(op, -ECANCELED, DMACOPY_ERR_ABORTED);
			break;
		default:
			op_fail(op, -EIO, DMACOPY_ERR_CHANNEL);
			break;
		}
	}
	atomic_dec(&c->inflight);
	if (wq_has_sleeper(&c->wq))
		wake_up(&c->wq);
	if (atomic_dec_and_test(&op->pending))
		op_finish(op);
	rcu_read_unlock();
}

/*
 * One descriptor; waits (bounded by the deadline) while the channel is full.
 * A prep may sleep (idxd waits for a free descriptor while its work queue is
 * full), so the caller holds no spinlock. A prep that fails while nothing of
 * ours is in flight, even after a tick (a ring may still be releasing the
 * last descriptors), refuses the length (idxd: above max_xfer_bytes): the
 * channel's limit is lowered and -EMSGSIZE tells the caller to split again.
 */
static int op_submit_desc(struct dmacopy_op *op, struct dmacopy_chan *c, dma_addr_t dst,
			  dma_addr_t src, size_t len, unsigned long flags)
{
	struct dma_async_tx_descriptor *tx;
	bool retried = false;
	dma_cookie_t cookie;
	int busy;

	for (;;) {
		atomic_inc(&op->pending);
		atomic_inc(&c->inflight);
		/* ioat returns holding its ring lock: nothing sleeps until submit. */
		tx = dmaengine_prep_dma_memcpy(c->chan, dst, src, len, flags);
		if (tx)
			break;
		atomic_dec(&op->pending);
		busy = atomic_dec_return(&c->inflight);
		if (!busy) {
			if (!retried) {
				/* idxd fails too if its queue is full and a signal pending. */
				retried = true;
				schedule_timeout_uninterruptible(1);
				continue;
			}
			if (len <= PAGE_SIZE)
				return -EIO;	/* the channel refuses even that */
			dmacopy_chan_limit(c, len);
			return -EMSGSIZE;
		}
		dma_async_issue_pending(c->chan);
		if (time_after(jiffies, op->deadline))
			return -EBUSY;
		if (fatal_signal_pending(current))
			return -EINTR;
		wait_event_timeout(c->wq, atomic_read(&c->inflight) < busy, msecs_to_jiffies(10));
	}
	tx->callback = NULL;
	tx->callback_result = op_desc_done;
	tx->callback_param = op;
	cookie = dmaengine_submit(tx);
	if (dma_submit_error(cookie)) {
		atomic_dec(&op->pending);
		atomic_dec(&c->inflight);
		if (cookie != -ENXIO)
			return -EIO;
		/*
		 * idxd: its work queue is being disabled (quiesced first, the
		 * channel unregistered next): give the channel no more work.
		 */
		WRITE_ONCE(c->going, true);
		return -ENODEV;
	}
	atomic64_inc(&c->st.descriptors);
	return 0;
}

/*
 * Split op into descriptors on channel c: at segment boundaries, max_chunk
 * and the channel's limit. Engines that complete out of order (idxd) signal
 * every descriptor: idxd gives no callback at all for one submitted without
 * DMA_PREP_INTERRUPT. Returns true, with nothing submitted and op not
 * failed, if c refused op's first descriptor as going away: op may be
 * submitted elsewhere.
 */
static bool op_submit(struct dmacopy_op *op, struct dmacopy_chan *c)
{
	struct dmacopy_reg *s = op->src, *d = op->dst;
	struct device *dev = c->dd->dev;
	struct dmacopy_map *sm, *dm;
	u64 spos = s->pgoff + op->src_off, dpos = d->pgoff + op->dst_off;
	u64 left = op->len, sin, din, n;
	unsigned int si, di;
	unsigned long flags;
	bool started = false;
	int err;

	sm = dmacopy_reg_map(s, c->dd);
	dm = dmacopy_reg_map(d, c->dd);
	if (!sm || !dm) {
		op_fail(op, -ENOMEM, DMACOPY_ERR_CHANNEL);
		return false;
	}
	si = dmacopy_reg_find_seg(s, spos);
	di = dmacopy_reg_find_seg(d, dpos);
	while (left) {
		sin = spos - s->segs[si].start;
		din = dpos - d->segs[di].start;
		n = min3(left, s->segs[si].len - sin, d->segs[di].len - din);
		n = min3(n, (u64)READ_ONCE(dmacopy_max_chunk), (u64)READ_ONCE(c->max_len));
		dma_sync_single_range_for_device(dev, sm->ent[si].addr, sin, n, DMA_BIDIRECTIONAL);
		dma_sync_single_range_for_device(dev, dm->ent[di].addr, din, n, DMA_BIDIRECTIONAL);
		flags = DMA_CTRL_ACK;
		/* In-order engines signal the last descriptor only. */
		if (n == left || c->out_of_order)
			flags |= DMA_PREP_INTERRUPT;
		err = op_submit_desc(op, c, dm->ent[di].addr + din, sm->ent[si].addr + sin, n,
				     flags);
		if (err == -EMSGSIZE)
			continue;
		if (err == -ENODEV && !started)
			return true;
		if (err) {
			op_fail(op, err, err == -ENODEV ? DMACOPY_ERR_DEVICE_GONE :
					 DMACOPY_ERR_CHANNEL);
			return false;
		}
		started = true;
		left -= n;
		spos += n;
		dpos += n;
		if (spos == s->segs[si].start + s->segs[si].len)
			si++;
		if (dpos == d->segs[di].start + d->segs[di].len)
			di++;
	}
	return false;
}

/* op's channel refused it as going away: another one for it, or NULL. */
static struct dmacopy_chan *op_move(struct dmacopy_queue *q, struct dmacopy_op *op)
{
	struct dmacopy_chan *old = op->chan, *c = NULL;

	if (!q->bound)
		c = dmacopy_chan_pick(op->dst->nid, &q->rr);
	if (c)
		kref_get(&c->ref);
	spin_lock_irq(&q->lock);
	op->chan = c;
	spin_unlock_irq(&q->lock);
	dmacopy_chan_put(old);
	return c;
}

/*
 * Start n operations that hold reserved ring slots. Each one ends with exactly
 * one completion, whatever happens to it.
 */
void dmacopy_submit_ops(struct dmacopy_queue *q, struct dmacopy_op **ops, unsigned int n)
{
	unsigned long timeout = msecs_to_jiffies(READ_ONCE(dmacopy_op_timeout_ms));
	struct dmacopy_chan *used[8], *c;
	unsigned int i, j, nused = 0;
	struct dmacopy_op *op;

	down_read(&dmacopy_chans_rwsem);
	for (i = 0; i < n; i++) {
		op = ops[i];
		if (q->bound)
			c = dmacopy_chan_usable(q->bound) ? q->bound : NULL;
		else
			c = dmacopy_chan_pick(op->dst->nid, &q->rr);

		if (c) {
			kref_get(&c->ref);
			op->chan = c;
		}
		op->deadline = jiffies + timeout;
		op->state = DMACOPY_OP_INFLIGHT;
		spin_lock_irq(&q->lock);
		list_add_tail(&op->node, &q->inflight);
		q->ninflight++;
		q->reserved--;
		spin_unlock_irq(&q->lock);

		/* A channel refusing it as going away (idxd) is not picked again. */
		while (c && op_submit(op, c))
			c = op_move(q, op);
		if (c) {
			for (j = 0; j < nused && used[j] != c; j++)
				;
			if (j == nused) {
				if (nused == ARRAY_SIZE(used)) {
					for (j = 0; j < nused; j++)
						dma_async_issue_pending(used[j]->chan);
					nused = 0;
				}
				used[nused++] = c;
			}
		} else {
			op_fail(op, -ENODEV, DMACOPY_ERR_DEVICE_GONE);
		}
		if (atomic_dec_and_test(&op->pending))
			op_finish(op);
	}
	for (j = 0; j < nused; j++)
		dma_async_issue_pending(used[j]->chan);
	up_read(&dmacopy_chans_rwsem);

	if (!delayed_work_pending(&q->timeout_work))
		queue_delayed_work(dmacopy_wq, &q->timeout_work, timeout + 1);
}

/* Complete the operations past their deadline with -ETIMEDOUT; they become orphans. */
static void queue_expire(struct dmacopy_queue *q)
{
	unsigned long now = jiffies, next = 0;
	struct dmacopy_op *op, *tmp;
	LIST_HEAD(stopped);
	unsigned int n = 0;
	bool rearm = false;

	spin_lock_irq(&q->lock);
	list_for_each_entry_safe(op, tmp, &q->inflight, node) {
		/* Without a channel it is completing right now. */
		if (!op->chan)
			continue;
		if (time_before(now, op->deadline)) {
			next = op->deadline;
			rearm = true;
			break;
		}
		op->state = DMACOPY_OP_TIMEDOUT;
		q->ninflight--;
		cq_post(q, op->user_data, -ETIMEDOUT, DMACOPY_ERR_TIMEOUT);
		atomic64_inc(&op->chan->st.errors);
		atomic64_inc(&op->chan->st.timeouts);
		WRITE_ONCE(op->chan->stalled, true);
		spin_lock(&orphan_lock);
		if (op->chan->dd->stopped) {
			/* The driver is gone: no callback can come. */
			list_move_tail(&op->node, &stopped);
		} else {
			list_move_tail(&op->node, &orphans);
			norphans++;
			__module_get(THIS_MODULE);
		}
		spin_unlock(&orphan_lock);
		n++;
	}
	spin_unlock_irq(&q->lock);

	if (n) {
		wake_up_poll(&q->wq, EPOLLIN | EPOLLRDNORM);
		dev_warn_ratelimited(dmacopy_dev, "%u operations timed out after %u ms\n", n,
				     dmacopy_op_timeout_ms);
	}
	list_for_each_entry_safe(op, tmp, &stopped, node) {
		list_del(&op->node);
		dmacopy_op_abandon(op);
	}
	if (rearm)
		queue_delayed_work(dmacopy_wq, &q->timeout_work, next - now + 1);
}

/* dd's driver is unbound: its orphans can never complete. Process context. */
void dmacopy_orphans_release_dev(struct dmacopy_dmadev *dd)
{
	struct dmacopy_op *op, *tmp;
	LIST_HEAD(gone);

	spin_lock_irq(&orphan_lock);
	dd->stopped = true;
	list_for_each_entry_safe(op, tmp, &orphans, node) {
		if (op->chan->dd == dd) {
			list_move_tail(&op->node, &gone);
			norphans--;
		}
	}
	spin_unlock_irq(&orphan_lock);

	list_for_each_entry_safe(op, tmp, &gone, node) {
		list_del(&op->node);
		dmacopy_op_abandon(op);
		module_put(THIS_MODULE);
	}
}

unsigned int dmacopy_orphans_count(void)
{
	return READ_ONCE(norphans);
}

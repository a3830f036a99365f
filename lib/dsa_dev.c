// SPDX-License-Identifier: BSD-3-Clause
/*
 * The user-space DSA driver (dsa_drv.h): configuration through BAR0 and submission through the
 * portals of BAR2, polled, no interrupts. The sequence is the one DPDK's idxd PCI driver uses:
 * reset the device, put WQ 0 and engine 0 in group 0, give WQ 0 every descriptor slot of WQCAP
 * as a dedicated WQ, enable the device, enable the WQ.
 *
 * Memory: a ring of ring_size (a power of two) 64-byte descriptors, one 32-byte completion record
 * per descriptor, and one record per WQ slot for batch descriptors, in one DMA mapping. Three
 * free-running counters describe the ring:
 *
 *   tail <= submitted <= head      [tail, submitted) in the device, [submitted, head) built
 *
 * dsa_flush() hands [submitted, head) to the WQ in units: a run of 2 to max-batch descriptors goes
 * as one BATCH descriptor (one MOVDIR64B) whose list is the run in the ring, a lone descriptor goes
 * as itself. Units are counted too (u_tail <= u_head, u_head - u_tail <= wq_size): a dedicated WQ
 * silently drops a descriptor that does not fit (MOVDIR64B has no status), so a unit is written
 * only when the WQ has a free slot. A unit's record (the batch's, or the lone descriptor's, asked
 * for with RCR) is polled; the descriptors of a batch carry CRAV without RCR, so the device writes
 * their own records only when they fail, and the per-operation status of a failed batch is read
 * from them. Units retire in order.
 *
 * A fenced operation starts a unit and is submitted only when every earlier one has finished
 * (DSA_FLAG_FENCE orders descriptors inside a batch only).
 *
 * With an IOMMU each queue also has a ring of its own (struct dsa_queue): slot i holds the
 * descriptor of the queue's operation i, which the core writes at enqueue (lib/emit.h) or
 * dq_own() at submission, and dq_push() hands runs of them to the WQ as units of the same
 * count, a BATCH descriptor pointing into the queue's ring. Only operations that take several
 * descriptors use the shared ring above. A fenced operation of such a queue waits until every
 * earlier operation of the queue has been posted to its completion ring.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "dmacopy/dsa_spec.h"
#include "dsa_drv.h"
#include "internal.h"
#include "vchan.h"

#define HUGE_2M (2ul << 20)
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << 26)
#endif

#define MAX_WQ_SLOTS 4096u
#define RING_MAX 4096u /* descriptors in the ring */
#define CMD_TIMEOUT_NS (1000 * 1000000LL)
#define STALL_TIMEOUT_NS (10 * 1000000000LL)
#define SLOT_LAST 0x1u
#define SLOT_FENCE 0x2u

static const struct pci_id_range dsa_pci_ids[] = {
	{ 0x8086, { 0x0b25, 0x0b25 } }, /* Sapphire Rapids */
};

const struct vfio_pci_driver dsa_pci_driver = {
	.name = "DSA",
	.family = "Intel DSA",
	.ids = dsa_pci_ids,
	.nids = sizeof(dsa_pci_ids) / sizeof(dsa_pci_ids[0]),
};

unsigned int dsa_pci_scan(struct vfio_pci_info *out, unsigned int max)
{
	return vfio_pci_scan(dsa_pci_ids, dsa_pci_driver.nids, out, max);
}

static bool cpu_has_movdir64b(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned int a, b, c, d;

	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return false;
	return c & (1u << 28);
#else
	return false;
#endif
}

const char *dsa_cpu_lacks(const char **fix)
{
	*fix = "use a CPU with MOVDIR64B (Tremont, Tiger Lake, Sapphire Rapids and later), or the "
	       "kernel engine";
	if (!cpu_has_movdir64b())
		return "this CPU lacks MOVDIR64B (CPUID.(7,0):ECX bit 28), which submitting to a "
		       "dedicated DSA work queue needs";
	return NULL;
}

struct slot {
	vchan_done_fn fn;
	void *arg;
	uint32_t flags;
};

/*
 * What one WQ slot holds: a BATCH descriptor for n > 1 descriptors from start, or start alone;
 * of the channel's ring (q NULL), or of queue q's own ring (start is then q's operation index).
 */
struct unit {
	volatile struct dsa_completion *rec;
	struct dmacopy_queue *q;
	uint32_t start;
	uint32_t n;
};

/*
 * A queue's own descriptors (with an IOMMU): descriptor i of the ring is the queue's operation in
 * slot i, its completion address record i. Copies are written there at enqueue by the core
 * (emit_dsa_copy(), lib/emit.h), the other one-descriptor operations at submission; dsa_drive()
 * hands runs of them to the WQ as BATCH descriptors that point into this ring, so an operation's
 * descriptor is written once and never copied. Operations that need several descriptors go
 * through the channel's ring.
 */
struct dsa_queue {
	struct dsa_desc *descs;
	volatile struct dsa_completion *recs;
	uint64_t desc_iova, rec_iova;
	void *dma;
	size_t dma_len;
	uint64_t map_iova;
};

struct dsa_dev {
	char bdf[32];
	struct vfio_dev dev;
	void *bar0;
	size_t bar0_len;
	void *portal;
	uint64_t gencap, wqcap, grpcap, engcap, opcap0;
	uint32_t version;
	uint32_t grpcfg_off, wqcfg_off, wqcfg_stride;
	uint32_t max_xfer_shift, max_batch_shift;
	uint64_t max_xfer; /* 1 << max_xfer_shift */

	void *dma; /* descriptors, their completion records, the batches' records */
	size_t dma_len;
	uint64_t map_iova;
	struct dsa_desc *descs;
	volatile struct dsa_completion *comps;
	volatile struct dsa_completion *ucomps;
	uint64_t desc_iova, comp_iova, ucomp_iova;
	struct slot *slots;
	struct unit *units;
	uint32_t ring_size, mask;
	uint32_t wq_size;
	uint32_t max_batch; /* descriptors per unit: 1 when the device has no batches */

	uint32_t head, submitted, tail;
	uint32_t u_head, u_tail;
	uint32_t outstanding; /* operations built, not finished */
	int op_status;        /* the first failure among the pieces of the retiring operation */
	unsigned int op_error;
	struct vchan_watch watch;
	bool dead;
};

/* The driver's channel (vchan.h) is its device. */
static struct dsa_dev *to_dev(struct vchan *c)
{
	return (struct dsa_dev *)c;
}

static const struct dsa_dev *to_cdev(const struct vchan *c)
{
	return (const struct dsa_dev *)c;
}

/* ---- registers ------------------------------------------------------------------------------- */

static uint32_t rd32(const struct dsa_dev *d, uint32_t off)
{
	return *(volatile uint32_t *)((char *)d->bar0 + off);
}

static uint64_t rd64(const struct dsa_dev *d, uint32_t off)
{
	return *(volatile uint64_t *)((char *)d->bar0 + off);
}

static void wr32(struct dsa_dev *d, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)((char *)d->bar0 + off) = v;
}

static void wr64(struct dsa_dev *d, uint32_t off, uint64_t v)
{
	*(volatile uint64_t *)((char *)d->bar0 + off) = v;
}

static const char *cmd_name(uint32_t code)
{
	switch (code) {
	case DSA_CMD_ENABLE_DEVICE:
		return "ENABLE_DEVICE";
	case DSA_CMD_DISABLE_DEVICE:
		return "DISABLE_DEVICE";
	case DSA_CMD_RESET_DEVICE:
		return "RESET_DEVICE";
	case DSA_CMD_ENABLE_WQ:
		return "ENABLE_WQ";
	case DSA_CMD_DISABLE_WQ:
		return "DISABLE_WQ";
	default:
		return "command";
	}
}

static const char *cmderr_str(uint32_t err)
{
	switch (err) {
	case DSA_CMDERR_BAD_CMD:
		return "unknown or unsupported command";
	case DSA_CMDERR_BAD_WQ:
		return "WQ index out of range";
	case DSA_CMDERR_HW:
		return "hardware error";
	case DSA_CMDERR_ENDEV_ENABLED:
		return "the device is already enabled";
	case DSA_CMDERR_ENDEV_CONFIG:
		return "configuration error";
	case DSA_CMDERR_ENDEV_BUS_MASTER:
		return "bus mastering is off";
	case DSA_CMDERR_ENDEV_PASID:
		return "bad PASID setting";
	case DSA_CMDERR_ENDEV_WQ_SIZES:
		return "the WQ sizes exceed WQCAP's total";
	case DSA_CMDERR_ENDEV_GRP_CONFIG:
	case DSA_CMDERR_ENDEV_GRP_CONFIG2:
	case DSA_CMDERR_ENDEV_GRP_CONFIG3:
	case DSA_CMDERR_ENDEV_GRP_CONFIG4:
		return "the group tables are inconsistent (a WQ in no or several groups, an engine "
		       "in several groups, or a group with WQs and no engine)";
	case DSA_CMDERR_ENWQ_DEV_DISABLED:
		return "the device is not enabled";
	case DSA_CMDERR_ENWQ_ENABLED:
		return "the WQ is already enabled";
	case DSA_CMDERR_ENWQ_SIZE:
		return "WQ size 0 or too big";
	case DSA_CMDERR_ENWQ_PRIORITY:
		return "bad WQ priority";
	case DSA_CMDERR_ENWQ_MODE:
		return "WQ mode not supported";
	case DSA_CMDERR_ENWQ_BOF:
		return "block on fault not supported";
	case DSA_CMDERR_ENWQ_PASID:
		return "bad WQ PASID setting";
	case DSA_CMDERR_ENWQ_MAX_BATCH:
		return "WQ maximum batch size above GENCAP's";
	case DSA_CMDERR_ENWQ_MAX_XFER:
		return "WQ maximum transfer size above GENCAP's";
	case DSA_CMDERR_DISDEV_DISABLED:
		return "the device is not enabled";
	case DSA_CMDERR_WQCMD_DEV_DISABLED:
		return "the device is not enabled";
	default:
		return "unknown error code";
	}
}

/* Run a command and wait for CMDSTS.ACTIVE to clear (polled). 0, or -EIO/-ETIMEDOUT/-ENODEV. */
static int dsa_cmd(struct dsa_dev *d, uint32_t code, uint32_t operand)
{
	long long t0 = mono_ns();
	uint32_t sts, err;

	for (;;) {
		sts = rd32(d, DSA_CMDSTS_OFFSET);
		if (sts == UINT32_MAX)
			return lib_error(-ENODEV, "DSA %s does not answer (CMDSTS reads all ones)",
					 d->bdf);
		if (!(sts & DSA_CMDSTS_ACTIVE))
			break;
		if (mono_ns() - t0 > CMD_TIMEOUT_NS)
			return lib_error(-ETIMEDOUT, "DSA %s: an earlier command is still running",
					 d->bdf);
		sched_yield();
	}
	wr32(d, DSA_CMD_OFFSET, (uint32_t)(DSA_SET(DSA_CMD_CODE, code) |
					    DSA_SET(DSA_CMD_OPERAND, operand)));
	t0 = mono_ns();
	for (;;) {
		sts = rd32(d, DSA_CMDSTS_OFFSET);
		if (sts == UINT32_MAX)
			return lib_error(-ENODEV, "DSA %s stopped answering during %s", d->bdf,
					 cmd_name(code));
		if (!(sts & DSA_CMDSTS_ACTIVE))
			break;
		if (mono_ns() - t0 > CMD_TIMEOUT_NS)
			return lib_error(-ETIMEDOUT, "DSA %s: %s did not finish within %lld ms", d->bdf,
					 cmd_name(code), CMD_TIMEOUT_NS / 1000000);
		sched_yield();
	}
	err = (uint32_t)DSA_GET(DSA_CMDSTS_ERR, sts);
	if (err)
		return lib_error(-EIO, "DSA %s: %s(%#x) failed with CMDSTS error %#x: %s", d->bdf,
				 cmd_name(code), operand, err, cmderr_str(err));
	return 0;
}

/* ---- open and configuration ------------------------------------------------------------------ */

static int map_bars(struct dsa_dev *d)
{
	uint64_t off, size;
	uint32_t flags;
	int ret = vfio_dev_region(&d->dev, DSA_BAR_REGS, &off, &size, &flags);

	if (ret)
		return ret;
	if (size < 0x1000)
		return lib_error(-ENODEV, "DSA %s: BAR0 is %llu bytes", d->bdf,
				 (unsigned long long)size);
	d->bar0_len = size > DSA_BAR0_SIZE ? DSA_BAR0_SIZE : (size_t)size;
	ret = vfio_dev_map_bar(&d->dev, DSA_BAR_REGS, d->bar0_len, &d->bar0);
	if (ret) {
		d->bar0 = NULL;
		return ret;
	}
	/* WQ 0's unlimited portal: the first page of BAR2. */
	ret = vfio_dev_map_bar(&d->dev, DSA_BAR_PORTALS, DSA_PORTAL_SIZE, &d->portal);
	if (ret)
		d->portal = NULL;
	return ret;
}

static int identify(struct dsa_dev *d)
{
	uint64_t offsets;
	uint32_t total;

	d->version = rd32(d, DSA_VERSION_OFFSET);
	if (d->version == UINT32_MAX)
		return lib_error(-ENODEV, "DSA %s does not answer (VERSION reads all ones)", d->bdf);
	d->gencap = rd64(d, DSA_GENCAP_OFFSET);
	d->wqcap = rd64(d, DSA_WQCAP_OFFSET);
	d->grpcap = rd64(d, DSA_GRPCAP_OFFSET);
	d->engcap = rd64(d, DSA_ENGCAP_OFFSET);
	d->opcap0 = rd64(d, DSA_OPCAP_OFFSET);
	offsets = rd64(d, DSA_OFFSETS_OFFSET);
	d->grpcfg_off = (uint32_t)DSA_GET(DSA_OFFSETS_GRPCFG, offsets) * DSA_TABLE_UNIT;
	d->wqcfg_off = (uint32_t)DSA_GET(DSA_OFFSETS_WQCFG, offsets) * DSA_TABLE_UNIT;
	d->wqcfg_stride = DSA_WQCFG_ENTRY_SIZE((uint32_t)DSA_GET(DSA_WQCAP_WQCFG_SIZE, d->wqcap));
	total = (uint32_t)DSA_GET(DSA_WQCAP_TOTAL_SIZE, d->wqcap);
	if (!(d->gencap & DSA_GENCAP_CONFIG_EN))
		return lib_error(-ENOTSUP, "DSA %s: its configuration is not writable (GENCAP "
				 "configuration support clear; a virtual function?)", d->bdf);
	if (!(d->wqcap & DSA_WQCAP_DEDICATED))
		return lib_error(-ENOTSUP, "DSA %s has no dedicated WQs (WQCAP %#llx); MOVDIR64B "
				 "submission needs one", d->bdf, (unsigned long long)d->wqcap);
	if (!DSA_GET(DSA_WQCAP_NUM_WQS, d->wqcap) || !DSA_GET(DSA_GRPCAP_NUM_GROUPS, d->grpcap) ||
	    !DSA_GET(DSA_ENGCAP_NUM_ENGINES, d->engcap) || !total)
		return lib_error(-ENODEV, "DSA %s reports no WQ, group, engine or WQ slot (WQCAP "
				 "%#llx, GRPCAP %#llx, ENGCAP %#llx)", d->bdf,
				 (unsigned long long)d->wqcap, (unsigned long long)d->grpcap,
				 (unsigned long long)d->engcap);
	if (!(d->opcap0 & DSA_OPCAP_BIT(DSA_OP_MEMMOVE)) || !(d->opcap0 & DSA_OPCAP_BIT(DSA_OP_NOOP)))
		return lib_error(-ENOTSUP, "DSA %s does not support MEMMOVE (OPCAP %#llx)", d->bdf,
				 (unsigned long long)d->opcap0);
	if (!d->grpcfg_off || !d->wqcfg_off || d->grpcfg_off + DSA_GRPCFG_SIZE > d->bar0_len ||
	    d->wqcfg_off + d->wqcfg_stride > d->bar0_len)
		return lib_error(-ENODEV, "DSA %s: table offsets outside BAR0 (OFFSETS %#llx)",
				 d->bdf, (unsigned long long)offsets);
	d->max_xfer_shift = (uint32_t)DSA_GET(DSA_GENCAP_MAX_XFER_LOG2, d->gencap);
	d->max_batch_shift = (uint32_t)DSA_GET(DSA_GENCAP_MAX_BATCH_LOG2, d->gencap);
	if (d->max_xfer_shift < 12 || d->max_xfer_shift > DSA_MAX_XFER_LOG2)
		return lib_error(-ENODEV, "DSA %s reports a maximum transfer of 2^%u bytes", d->bdf,
				 d->max_xfer_shift);
	d->wq_size = total > MAX_WQ_SLOTS ? MAX_WQ_SLOTS : total;
	/* a power of two: units are indexed by free-running counters modulo wq_size */
	while (d->wq_size & (d->wq_size - 1))
		d->wq_size &= d->wq_size - 1;
	d->max_batch = d->max_batch_shift ? 1u << d->max_batch_shift : 1;
	d->max_xfer = 1ull << d->max_xfer_shift;
	for (d->ring_size = 64; d->ring_size < RING_MAX &&
	     (d->ring_size < d->wq_size || d->ring_size / d->max_batch < d->wq_size);)
		d->ring_size *= 2;
	d->mask = d->ring_size - 1;
	return 0;
}

/* Group 0 = WQ 0 + engine 0; WQ 0 dedicated with every slot; then enable device and WQ. */
static int configure(struct dsa_dev *d)
{
	uint32_t wq = d->wqcfg_off, g = d->grpcfg_off, st;
	int ret;

	if (DSA_GET(DSA_GENSTATS_STATE, rd32(d, DSA_GENSTATS_OFFSET)) != DSA_STATE_DISABLED)
		return lib_error(-EIO, "DSA %s is still enabled after RESET_DEVICE (GENSTATS %#x)",
				 d->bdf, rd32(d, DSA_GENSTATS_OFFSET));
	for (unsigned int i = 0; i < 4; i++)
		wr64(d, g + DSA_GRPCFG_WQS_OFFSET + 8 * i, i ? 0 : 1);
	wr64(d, g + DSA_GRPCFG_ENGINES_OFFSET, 1);
	wr64(d, g + DSA_GRPCFG_FLAGS_OFFSET, 0);

	for (unsigned int i = 0; i < 8; i++)
		if (i != DSA_WQCFG_DW_STATUS)
			wr32(d, wq + 4 * i, 0);
	wr32(d, wq + 4 * DSA_WQCFG_DW_SIZE, (uint32_t)DSA_SET(DSA_WQCFG_SIZE, d->wq_size));
	wr32(d, wq + 4 * DSA_WQCFG_DW_MODE,
	     DSA_WQCFG_DEDICATED | (uint32_t)DSA_SET(DSA_WQCFG_PRIORITY, 1));
	wr32(d, wq + 4 * DSA_WQCFG_DW_LIMITS,
	     (uint32_t)(DSA_SET(DSA_WQCFG_MAX_XFER_LOG2, d->max_xfer_shift) |
			DSA_SET(DSA_WQCFG_MAX_BATCH_LOG2, d->max_batch_shift)));
	if (DSA_GET(DSA_WQCFG_SIZE, rd32(d, wq + 4 * DSA_WQCFG_DW_SIZE)) != d->wq_size)
		return lib_error(-EIO, "DSA %s: the WQ configuration did not take (WQCFG size reads "
				 "%u, wrote %u)", d->bdf, rd32(d, wq) & 0xffff, d->wq_size);

	ret = dsa_cmd(d, DSA_CMD_ENABLE_DEVICE, 0);
	if (ret)
		return ret;
	ret = dsa_cmd(d, DSA_CMD_ENABLE_WQ, 0);
	if (ret)
		return ret;
	st = rd32(d, wq + 4 * DSA_WQCFG_DW_STATUS);
	if (DSA_GET(DSA_WQCFG_STATE, st) != DSA_WQ_STATE_ENABLED)
		return lib_error(-EIO, "DSA %s: WQ 0 is not enabled after ENABLE_WQ (WQCFG status "
				 "%#x)", d->bdf, st);
	return 0;
}

static int alloc_slots(struct dsa_dev *d)
{
	long ps = sysconf(_SC_PAGESIZE);
	size_t desc_bytes = (size_t)d->ring_size * DSA_DESC_SIZE;
	size_t comp_bytes = (size_t)d->ring_size * DSA_COMPL_SIZE;
	size_t bytes = desc_bytes + comp_bytes + (size_t)d->wq_size * DSA_COMPL_SIZE;
	int mflags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, ret;
	uint64_t iova, avail;
	bool huge;

	d->slots = calloc(d->ring_size, sizeof(*d->slots));
	d->units = calloc(d->wq_size, sizeof(*d->units));
	if (!d->slots || !d->units)
		return lib_error(-ENOMEM, "cannot allocate %u slots", d->ring_size);
	d->dma_len = (bytes + (size_t)ps - 1) & ~((size_t)ps - 1);
	huge = vfio_dma_physical();
	if (huge) {
		d->dma_len = (d->dma_len + HUGE_2M - 1) & ~(HUGE_2M - 1);
		mflags |= MAP_HUGETLB | MAP_HUGE_2MB;
	}
	d->dma = mmap(NULL, d->dma_len, PROT_READ | PROT_WRITE, mflags, -1, 0);
	if (d->dma == MAP_FAILED) {
		d->dma = NULL;
		if (huge)
			return lib_error(-ENOMEM, "DSA %s: no free 2 MiB hugepage for the completion "
					 "records; without an IOMMU they must be physically "
					 "contiguous (echo N > /proc/sys/vm/nr_hugepages)", d->bdf);
		return lib_error(-ENOMEM, "cannot allocate the descriptor slots (%zu bytes)",
				 d->dma_len);
	}
	ret = vfio_dma_map(d->dma, d->dma_len, &d->map_iova);
	if (ret) {
		munmap(d->dma, d->dma_len);
		d->dma = NULL;
		return ret;
	}
	ret = vfio_dma_translate(d->dma, bytes, &iova, &avail);
	if (!ret && avail < bytes)
		ret = lib_error(-EFAULT, "DSA %s: the completion records are not contiguous for the "
				"device", d->bdf);
	if (ret) {
		vfio_dma_unmap(d->dma, d->dma_len, d->map_iova);
		munmap(d->dma, d->dma_len);
		d->dma = NULL;
		return ret;
	}
	d->descs = d->dma;
	d->desc_iova = iova;
	d->comps = (volatile struct dsa_completion *)((char *)d->dma + desc_bytes);
	d->comp_iova = iova + desc_bytes;
	d->ucomps = (volatile struct dsa_completion *)((char *)d->dma + desc_bytes + comp_bytes);
	d->ucomp_iova = iova + desc_bytes + comp_bytes;
	return 0;
}

static void dev_free(struct dsa_dev *d)
{
	if (d->dma) {
		vfio_dma_unmap(d->dma, d->dma_len, d->map_iova);
		munmap(d->dma, d->dma_len);
	}
	if (d->portal)
		munmap(d->portal, DSA_PORTAL_SIZE);
	if (d->bar0)
		munmap(d->bar0, d->bar0_len);
	vfio_dev_close(&d->dev);
	free(d->slots);
	free(d->units);
	free(d);
}

static int dsa_open(const char *bdf, struct vchan **out)
{
	const char *fix, *lacks = dsa_cpu_lacks(&fix);
	struct dsa_dev *d;
	int ret;

	*out = NULL;
	if (lacks)
		return lib_error(-ENOTSUP, "%s", lacks);
	d = calloc(1, sizeof(*d));
	if (!d)
		return lib_error(-ENOMEM, "cannot allocate the device");
	d->dev.fd = -1;
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	ret = vfio_dev_open(&d->dev, &dsa_pci_driver, bdf);
	if (!ret)
		ret = map_bars(d);
	if (!ret)
		ret = identify(d);
	/* Whatever a previous user left running is stopped before bus mastering is on. */
	if (!ret)
		ret = dsa_cmd(d, DSA_CMD_RESET_DEVICE, 0);
	if (!ret)
		ret = vfio_dev_enable_bus_master(&d->dev);
	if (!ret)
		ret = alloc_slots(d);
	if (!ret)
		ret = configure(d);
	if (ret) {
		if (d->bar0 && ret != -ENODEV)
			dsa_cmd(d, DSA_CMD_RESET_DEVICE, 0);
		dev_free(d);
		return ret;
	}
	vchan_moved(&d->watch);
	*out = (struct vchan *)d;
	return 0;
}

static void dsa_info(const struct vchan *c, struct vchan_info *info)
{
	const struct dsa_dev *d = to_cdev(c);

	memset(info, 0, sizeof(*info));
	snprintf(info->bdf, sizeof(info->bdf), "%s", d->bdf);
	info->max_xfer = d->max_xfer;
	info->slots = d->ring_size;
	info->can_fill = d->opcap0 & DSA_OPCAP_BIT(DSA_OP_MEMFILL);
}

/* ---- data path ------------------------------------------------------------------------------- */

static void movdir64b(void *portal, const void *desc)
{
#if defined(__x86_64__) || defined(__i386__)
	/* Everything written before (the cleared record, the data) first. */
	__asm__ __volatile__("sfence" ::: "memory");
	__asm__ __volatile__(".byte 0x66,0x0f,0x38,0xf8,0x02" : : "a"(portal), "d"(desc) : "memory");
#else
	(void)portal;
	(void)desc;
#endif
}

static uint32_t descs_needed(const struct dsa_dev *d, uint64_t len)
{
	uint64_t n = len ? ((len - 1) >> d->max_xfer_shift) + 1 : 1;

	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

static uint32_t dsa_descs_needed(const struct vchan *c, uint64_t len)
{
	return descs_needed(to_cdev(c), len);
}

static uint32_t slots_free(const struct dsa_dev *d)
{
	return d->ring_size - (d->head - d->tail);
}

static uint32_t dsa_slots_free(const struct vchan *c)
{
	return slots_free(to_cdev(c));
}

/* build() for what its fast path does not take: several pieces, no bytes, out of room, dead. */
static __attribute__((noinline)) int build_slow(struct dsa_dev *d, uint8_t op, uint64_t dst,
						uint64_t src, uint64_t len, uint32_t flags,
						vchan_done_fn fn, void *arg)
{
	uint32_t n = descs_needed(d, len);
	uint64_t max = d->max_xfer, off = 0;

	if (d->dead)
		return lib_error(-ENODEV, "DSA %s is out of service", d->bdf);
	if (n > slots_free(d))
		return -ENOMEM;
	if (!len)
		op = DSA_OP_NOOP;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t pos = d->head & d->mask;
		uint64_t piece = len - off < max ? len - off : max;

		/* Pieces start at multiples of the maximum transfer: a fill's pattern does not shift. */
		d->descs[pos] = (struct dsa_desc){
			.flags_op = DSA_FLAG_CRAV | (uint32_t)op << 24,
			.compl_addr = d->comp_iova + (uint64_t)pos * DSA_COMPL_SIZE,
			.src = op == DSA_OP_MEMFILL ? src : len ? src + off : 0,
			.dst = len ? dst + off : 0,
			.xfer_size = (uint32_t)piece,
		};
		d->comps[pos].status = 0;
		d->slots[pos] = (struct slot){
			.fn = fn,
			.arg = arg,
			.flags = (i + 1 == n && !(flags & VCHAN_OPF_MORE) ? SLOT_LAST : 0) |
				 (!i && (flags & VCHAN_OPF_FENCE) ? SLOT_FENCE : 0),
		};
		off += piece;
		d->head++;
	}
	if (!(flags & VCHAN_OPF_MORE))
		d->outstanding++;
	return 0;
}

/*
 * Build one operation of len bytes (a MEMFILL's src is its pattern). The common case, one
 * descriptor with room for it on a live device, is straight-line code: every field of the
 * descriptor written once, no loop.
 */
static ALWAYS_INLINE int build(struct dsa_dev *d, uint8_t op, uint64_t dst, uint64_t src, uint64_t len,
		 uint32_t flags, vchan_done_fn fn, void *arg)
{
	uint32_t pos = d->head & d->mask;
	struct dsa_desc *desc = &d->descs[pos];
	struct slot *s = &d->slots[pos];

	if (__builtin_expect(len - 1 >= d->max_xfer || d->head - d->tail >= d->ring_size || d->dead,
			     0))
		return build_slow(d, op, dst, src, len, flags, fn, arg);
	/*
	 * The fields not written here (int_handle, reserved, the operation-specific bytes) are zero
	 * in every ring slot: the ring starts zeroed, build_slow() writes whole descriptors with
	 * them zero, flush() changes only flags_op and the device writes no descriptor.
	 */
	desc->pasid_priv = 0;
	desc->flags_op = DSA_FLAG_CRAV | (uint32_t)op << 24;
	desc->compl_addr = d->comp_iova + (uint64_t)pos * DSA_COMPL_SIZE;
	desc->src = src;
	desc->dst = dst;
	desc->xfer_size = (uint32_t)len;
	d->comps[pos].status = 0;
	s->fn = fn;
	s->arg = arg;
	s->flags = (flags & VCHAN_OPF_MORE ? 0 : SLOT_LAST) |
		   (flags & VCHAN_OPF_FENCE ? SLOT_FENCE : 0);
	d->head++;
	d->outstanding += !(flags & VCHAN_OPF_MORE);
	return 0;
}

static ALWAYS_INLINE int dsa_build_copy(struct vchan *c, uint64_t dst, uint64_t src, uint64_t len,
					 uint32_t flags, vchan_done_fn fn, void *arg)
{
	return build(to_dev(c), DSA_OP_MEMMOVE, dst, src, len, flags, fn, arg);
}

/* ---- queues with their own ring ------------------------------------------------------------ */

/*
 * Mark the n operations of q from index start ended with status and error: one status word per
 * run of up to VCHAN_ST_MORE_MAX + 1 of them (vchan_st_run_word()), never across the end of the
 * queue's slots; returns n.
 */
static ALWAYS_INLINE int dq_end(struct dmacopy_queue *q, uint32_t start, uint32_t n, int status,
				  unsigned int error)
{
	struct vchan_queue *qp = q->engine_priv;

	for (uint32_t i = 0, k; i < n; i += k) {
		k = n - i > VCHAN_ST_MORE_MAX + 1 ? VCHAN_ST_MORE_MAX + 1 : n - i;
		if (k > q->mask + 1 - ((start + i) & q->mask))
			k = q->mask + 1 - ((start + i) & q->mask);
		__atomic_store_n(&qp->st[(start + i) & q->mask].word,
				 vchan_st_run_word(status, error, k - 1), __ATOMIC_RELEASE);
	}
	return (int)n;
}

/* Whether op is a copy the core wrote as its descriptor, without a fence: one load, one test. */
static ALWAYS_INLINE bool emitted_unfenced(const struct queue_op *op)
{
	uint64_t fk; /* kind and flags (lib/internal.h asserts they are adjacent) */

	memcpy(&fk, &op->kind, sizeof(fk));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return fk == OP_EMITTED;
#else
	return fk == (uint64_t)OP_EMITTED << 32;
#endif
}

/*
 * Make the staged operation in slot its own descriptor if it takes one (a copy or fill up to the
 * maximum transfer, or nothing to move) and say whether it does; the others (longer ones) go
 * through the channel's ring.
 */
static bool dq_own(const struct dsa_dev *d, struct dmacopy_queue *q, const struct dsa_queue *dq,
		   uint32_t slot)
{
	struct queue_op *op = &q->ops[slot];
	struct dsa_desc *desc = &dq->descs[slot];
	uint64_t dst = 0, src = 0;
	uint8_t code = DSA_OP_NOOP;

	if (op->kind == OP_EMITTED)
		return true;
	if (op->len > d->max_xfer ||
	    op->len > ((const struct vchan_queue *)q->engine_priv)->fast_max)
		return false;
	if (op->len) {
		if (!op->dst_region->dev_flat ||
		    (op->kind == OP_COPY && !op->src_region->dev_flat))
			return false;
		dst = (uintptr_t)op->dst + op->dst_region->dev_delta;
		if (op->kind == OP_COPY) {
			code = DSA_OP_MEMMOVE;
			src = (uintptr_t)op->src + op->src_region->dev_delta;
		} else {
			code = DSA_OP_MEMFILL;
			src = op->pattern;
		}
	}
	/* as emit_dsa_copy() writes a copy */
	desc->flags_op = DSA_FLAG_CRAV | (uint32_t)code << 24;
	desc->src = src;
	desc->dst = dst;
	desc->xfer_size = (uint32_t)op->len;
	op->kind = OP_EMITTED;
	return true;
}

/*
 * Send the next unit to the WQ: the n descriptors at descs (IOVA desc_iova) of queue q's own ring
 * (q NULL: the device's shared ring), whose first is operation or slot number start. A lone
 * descriptor goes as itself and asks for its record, lone_rec (RCR); a run goes as one BATCH
 * descriptor whose record is the unit's. The caller has checked that the WQ has room.
 */
static ALWAYS_INLINE void send_unit(struct dsa_dev *d, struct dmacopy_queue *q, uint32_t start,
				    struct dsa_desc *descs, uint64_t desc_iova, uint32_t n,
				    volatile struct dsa_completion *lone_rec)
{
	uint32_t ui = d->u_head % d->wq_size;
	struct unit *u = &d->units[ui];

	u->q = q;
	u->start = start;
	u->n = n;
	if (n == 1) {
		descs->flags_op |= DSA_FLAG_RCR;
		u->rec = lone_rec;
		movdir64b(d->portal, descs);
	} else {
		struct dsa_desc batch = {
			.flags_op = DSA_FLAG_CRAV | DSA_FLAG_RCR | (uint32_t)DSA_OP_BATCH << 24,
			.compl_addr = d->ucomp_iova + (uint64_t)ui * DSA_COMPL_SIZE,
			.desc_list = desc_iova,
			.desc_count = n,
		};

		d->ucomps[ui].status = 0;
		u->rec = &d->ucomps[ui];
		movdir64b(d->portal, &batch);
	}
	d->u_head++;
}

/*
 * Hand queue q's operations [hw_next, sq_submitted) to the device in order: runs of operations
 * with their own descriptors as units (a BATCH descriptor pointing into the queue's ring, or a
 * lone descriptor), the others built in the channel's ring. A fenced operation starts a unit and
 * waits until every earlier operation of the queue has been reaped into its completion ring.
 * Channel lock held.
 */
static HOT void dq_push(struct dsa_dev *d, struct dmacopy_queue *q, struct vchan_engine *ve)
{
	struct vchan_queue *qp = q->engine_priv;
	const struct dsa_queue *dq = qp->drv_priv;
	const uint32_t mask = q->mask, end = q->sq_submitted;
	uint32_t i = qp->hw_next;

	while (i != end) {
		uint32_t slot = i & mask, n, lim;
		const struct queue_op *op = &q->ops[slot];

		if (d->dead) {
			dq_end(q, i, end - i, -ENODEV, DMACOPY_OP_DEVICE_GONE);
			i = end;
			break;
		}
		if (!emitted_unfenced(op) && (op->flags & DMACOPY_OP_FENCE) && i != q->cq_tail)
			break;
		if (!emitted_unfenced(op) && !dq_own(d, q, dq, slot)) {
			int ret;

			ret = vchan_build_slow(ve, (struct vchan *)d, op,
					       op->flags & DMACOPY_OP_FENCE ? VCHAN_OPF_FENCE : 0,
					       &qp->st[slot]);
			if (ret == -ENOMEM || ret == VCHAN_STRIPE)
				break;
			if (ret)
				dq_end(q, i, 1, ret,
				       ret == -ENODEV ? DMACOPY_OP_DEVICE_GONE : DMACOPY_OP_CHANNEL_ERROR);
			i++;
			continue;
		}
		if (d->u_head - d->u_tail >= d->wq_size)
			break;
		/* The unit: up to max_batch operations, not across the ring's end or a fence. */
		lim = end - i;
		if (lim > d->max_batch)
			lim = d->max_batch;
		if (lim > mask + 1 - slot)
			lim = mask + 1 - slot;
		/*
		 * Only the operations after the core's last staged one (emit_mark) need a look: the
		 * others are unfenced copies it wrote. (The status words of free slots are 0:
		 * harvest clears them.)
		 */
		n = lim;
		/*
		 * Any staged operation after i (the last one staged, emit_mark - 1, is)? Then look
		 * at each. (Not "inside this run": earlier staged ones would be missed. After 2^31
		 * operations with none staged the test turns true again: a slower, safe run.)
		 */
		if ((int32_t)(q->emit_mark - i - 1) > 0) {
			for (n = 1; n < lim; n++) {
				const struct queue_op *o = &q->ops[slot + n];

				if (!emitted_unfenced(o) &&
				    ((o->flags & DMACOPY_OP_FENCE) || !dq_own(d, q, dq, slot + n)))
					break;
			}
		}
		if (d->u_tail == d->u_head)
			vchan_moved(&d->watch);
		if (n == 1)
			dq->recs[slot].status = 0;
		send_unit(d, q, i, &dq->descs[slot], dq->desc_iova + (uint64_t)slot * DSA_DESC_SIZE,
			  n, &dq->recs[slot]);
		i += n;
	}
	qp->hw_next = i;
}

static int dsa_build_fill(struct vchan *c, uint64_t dst, uint64_t pattern, uint64_t len,
			  uint32_t flags, vchan_done_fn fn, void *arg)
{
	struct dsa_dev *d = to_dev(c);

	if (!(d->opcap0 & DSA_OPCAP_BIT(DSA_OP_MEMFILL)))
		return lib_error(-ENOTSUP, "DSA %s does not support MEMFILL", d->bdf);
	return build(d, DSA_OP_MEMFILL, dst, pattern, len, flags, fn, arg);
}

/*
 * Hand what is built to the WQ, a unit per free WQ slot: runs of descriptors as BATCH
 * descriptors (not across the ring's end, at most max_batch), a lone descriptor as itself. A
 * fenced descriptor starts a unit and waits until everything before it has finished.
 */
static __attribute__((noinline)) HOT_BATCH(512) void flush(struct dsa_dev *d)
{
	if (d->dead)
		return;
	while (d->submitted != d->head && d->u_head - d->u_tail < d->wq_size) {
		uint32_t pos = d->submitted & d->mask, n, i;

		if ((d->slots[pos].flags & SLOT_FENCE) && d->tail != d->submitted)
			break;
		n = d->head - d->submitted;
		if (n > d->max_batch)
			n = d->max_batch;
		if (n > d->ring_size - pos)
			n = d->ring_size - pos;
		for (i = 1; i < n && !(d->slots[pos + i].flags & SLOT_FENCE); i++)
			;
		n = i;
		if (d->tail == d->submitted)
			vchan_moved(&d->watch);
		send_unit(d, NULL, d->submitted, &d->descs[pos],
			  d->desc_iova + (uint64_t)pos * DSA_DESC_SIZE, n, &d->comps[pos]);
		d->submitted += n;
	}
}

/* Per-operation status of a completion record's status byte. */
static int status_of(uint8_t st, unsigned int *error)
{
	switch (st & DSA_COMP_STATUS_MASK) {
	case DSA_COMP_SUCCESS:
		*error = DMACOPY_OP_OK;
		return 0;
	case DSA_COMP_PAGE_FAULT_NOBOF:
	case DSA_COMP_PAGE_FAULT_IR:
	case DSA_COMP_TRANSLATION_FAIL:
		*error = st & DSA_COMP_FAULT_WRITE ? DMACOPY_OP_WRITE_FAULT : DMACOPY_OP_READ_FAULT;
		return -EIO;
	default:
		*error = DMACOPY_OP_CHANNEL_ERROR;
		return -EIO;
	}
}

/* Retire the slot at tail with status/error; runs the done function at an operation's end. */
static ALWAYS_INLINE int retire_one(struct dsa_dev *d, int status, unsigned int error)
{
	struct slot *s = &d->slots[d->tail & d->mask];

	if (status && !d->op_status) {
		d->op_status = status;
		d->op_error = error;
	}
	d->tail++;
	if (!(s->flags & SLOT_LAST))
		return 0;
	status = d->op_status;
	error = d->op_error;
	d->op_status = 0;
	d->op_error = 0;
	d->outstanding--;
	vchan_complete(s->fn, s->arg, status, error);
	return 1;
}

/* Fail every built operation (the device is gone or stuck). */
static int fail_all(struct dsa_dev *d, int status, unsigned int error)
{
	int ops = 0;

	for (; d->u_tail != d->u_head; d->u_tail++) {
		const struct unit *u = &d->units[d->u_tail % d->wq_size];

		if (u->q)
			ops += dq_end(u->q, u->start, u->n, status, error);
	}
	while (d->tail != d->head)
		ops += retire_one(d, status, error);
	d->submitted = d->head;
	d->u_tail = d->u_head;
	return ops;
}

/*
 * Whether the device has made no progress for STALL_TIMEOUT_NS while work was outstanding. Called
 * on polls that found nothing (the clock is read on few of them: vchan_idle()).
 */
static bool stalled(struct dsa_dev *d)
{
	long long t = vchan_idle(&d->watch);

	return t && t - d->watch.since > STALL_TIMEOUT_NS;
}

/* Report a failed descriptor's record in dmacopy_last_error(); its operation's status. */
static int failed(struct dsa_dev *d, const volatile struct dsa_completion *rec, uint8_t st,
		  unsigned int *error)
{
	int status = status_of(st, error);

	if (status)
		lib_error(status, "DSA %s: descriptor failed with completion status %#x (fault "
			  "address %#llx)", d->bdf, st, (unsigned long long)rec->fault_addr);
	return status;
}

/*
 * Retire a unit of a queue's own ring whose record has status st: each of its operations is
 * marked ended in the queue (vchan_queue.st). Returns the operations finished.
 */
static HOT int retire_dq_unit(struct dsa_dev *d, const struct unit *u, uint8_t st)
{
	struct vchan_queue *qp = u->q->engine_priv;
	const struct dsa_queue *dq = qp->drv_priv;
	const uint32_t mask = u->q->mask, slot = u->start & mask;
	unsigned int error = 0;
	int status;

	if (u->n == 1) {
		/* a lone descriptor asked for its record (RCR): clear it for the slot's next use */
		status = failed(d, u->rec, st, &error);
		u->rec->status = 0;
		return dq_end(u->q, u->start, 1, status, error);
	}
	if ((st & DSA_COMP_STATUS_MASK) == DSA_COMP_SUCCESS)
		return dq_end(u->q, u->start, u->n, 0, 0);
	if ((st & DSA_COMP_STATUS_MASK) != DSA_COMP_BATCH_FAIL) {
		/*
		 * The batch itself failed (its list unreadable, ...): its operations fail. Members
		 * that ran before may have written their records: cleared for the slots' next use.
		 */
		status = failed(d, u->rec, st, &error);
		for (uint32_t i = 0; i < u->n; i++)
			dq->recs[slot + i].status = 0;
		return dq_end(u->q, u->start, u->n, status, error);
	}
	/* Some members failed: their own records say which (and are cleared); the rest succeeded. */
	for (uint32_t i = 0; i < u->n; i++) {
		volatile struct dsa_completion *rec = &dq->recs[slot + i];
		uint8_t mst = rec->status;

		status = mst ? failed(d, rec, mst, &error) : 0;
		rec->status = 0;
		__atomic_store_n(&qp->st[slot + i].word, vchan_st_word(status, status ? error : 0),
				 __ATOMIC_RELEASE);
	}
	return (int)u->n;
}

/* Retire a unit whose record has status st; returns the operations finished. */
static HOT int retire_unit(struct dsa_dev *d, const struct unit *u, uint8_t st)
{
	unsigned int error = 0;
	int status, ops = 0;

	if (u->q)
		return retire_dq_unit(d, u, st);
	if (u->n == 1) {
		/* not retire_one(d, failed(..., &error), error): arguments have no order */
		status = failed(d, u->rec, st, &error);
		return retire_one(d, status, error);
	}
	if ((st & DSA_COMP_STATUS_MASK) == DSA_COMP_SUCCESS) {
		if (__builtin_expect(d->op_status, 0)) {
			/* It ends an operation whose earlier pieces failed. */
			for (uint32_t i = 0; i < u->n; i++)
				ops += retire_one(d, 0, 0);
			return ops;
		}
		/* Everything succeeded: only the last pieces of operations have anything to do. */
		for (uint32_t i = 0; i < u->n; i++) {
			const struct slot *s = &d->slots[(d->tail + i) & d->mask];

			if (s->flags & SLOT_LAST) {
				ops++;
				vchan_complete(s->fn, s->arg, 0, 0);
			}
		}
		d->tail += u->n;
		d->outstanding -= (uint32_t)ops;
		return ops;
	}
	if ((st & DSA_COMP_STATUS_MASK) != DSA_COMP_BATCH_FAIL) {
		/* The batch itself failed (its list unreadable, ...): none of it ran. */
		status = failed(d, u->rec, st, &error);
		for (uint32_t i = 0; i < u->n; i++)
			ops += retire_one(d, status, error);
		return ops;
	}
	/* Some members failed: their own records say which; the others succeeded. */
	for (uint32_t i = 0; i < u->n; i++) {
		const volatile struct dsa_completion *rec = &d->comps[(u->start + i) & d->mask];
		uint8_t mst = rec->status;

		status = mst ? failed(d, rec, mst, &error) : 0;
		ops += retire_one(d, status, status ? error : 0);
	}
	return ops;
}

/*
 * The device made no progress for STALL_TIMEOUT_NS with work outstanding: fail that work, and
 * take the device out of service. Returns the operations finished.
 */
static __attribute__((noinline, cold)) int stall(struct dsa_dev *d)
{
	uint32_t gs = rd32(d, DSA_GENSTATS_OFFSET);
	int ops;

	if (gs == UINT32_MAX) {
		lib_error(-ENODEV, "DSA %s stopped answering (registers read all ones)", d->bdf);
		ops = fail_all(d, -ENODEV, DMACOPY_OP_DEVICE_GONE);
	} else {
		lib_error(-ETIMEDOUT, "DSA %s made no progress for %lld s (GENSTATS %#x, "
			  "SWERR %#llx); outstanding operations failed, device reset",
			  d->bdf, STALL_TIMEOUT_NS / 1000000000LL, gs,
			  (unsigned long long)rd64(d, DSA_SWERR_OFFSET));
		/* Stop the device before anyone is told: the buffers are the caller's again. */
		dsa_cmd(d, DSA_CMD_RESET_DEVICE, 0);
		ops = fail_all(d, -ETIMEDOUT, DMACOPY_OP_TIMEOUT);
	}
	d->dead = true;
	return ops;
}

/*
 * Retire the units whose records are written, in order, and start what waited. Inline in
 * dsa_drive(): a unit of a queue's own ring that succeeded as a whole (the common case) is
 * retired there, with no call.
 */
static ALWAYS_INLINE int process_events(struct dsa_dev *d)
{
	int ops = 0;

	if (d->dead)
		return -ENODEV;
	while (d->u_tail != d->u_head) {
		const struct unit *u = &d->units[d->u_tail % d->wq_size];
		uint8_t st = __atomic_load_n(&u->rec->status, __ATOMIC_ACQUIRE);

		if (!st)
			break;
		if (u->q && u->n > 1 && (st & DSA_COMP_STATUS_MASK) == DSA_COMP_SUCCESS)
			ops += dq_end(u->q, u->start, u->n, 0, 0);
		else
			ops += retire_unit(d, u, st);
		d->u_tail++;
		vchan_moved(&d->watch);
	}
	if ((d->tail != d->submitted || d->u_tail != d->u_head) && !ops && stalled(d))
		return ops + stall(d);
	if (d->submitted != d->head)
		flush(d);
	return ops;
}

static HOT void dsa_flush(struct vchan *c)
{
	flush(to_dev(c));
}

static HOT_BATCH(4096) void dsa_drive(struct vchan *c, struct dmacopy_queue *q,
				       struct vchan_engine *ve, bool events)
{
	struct dsa_dev *d = to_dev(c);
	const struct vchan_queue *qp = q->engine_priv;

	if (events)
		process_events(d);
	if (qp->hw_next != q->sq_submitted) {
		if (qp->drv_priv)
			dq_push(d, q, ve);
		else
			vchan_push(c, q, ve, dsa_build_copy);
	}
	if (d->submitted != d->head)
		flush(d);
}

static HOT_BATCH(512) int dsa_process_events(struct vchan *c)
{
	return process_events(to_dev(c));
}

static void dsa_close(struct vchan *c)
{
	struct dsa_dev *d = to_dev(c);
	long long t0 = mono_ns();

	if (!d)
		return;
	flush(d);
	while (!d->dead && d->tail != d->head && mono_ns() - t0 < 1000000000LL) {
		if (process_events(d) < 0)
			break;
		sched_yield();
	}
	if (!d->dead && rd32(d, DSA_GENSTATS_OFFSET) != UINT32_MAX)
		dsa_cmd(d, DSA_CMD_RESET_DEVICE, 0);
	if (d->tail != d->head)
		fail_all(d, -ECANCELED, DMACOPY_OP_ABORTED);
	dev_free(d);
}

static void dq_free(struct dsa_queue *dq)
{
	if (dq->dma) {
		vfio_dma_unmap(dq->dma, dq->dma_len, dq->map_iova);
		munmap(dq->dma, dq->dma_len);
	}
	free(dq);
}

/*
 * A ring of q's depth for the queue, when the device can be given one: with an IOMMU (without
 * one the ring would need physically contiguous memory; such queues use the channel's ring).
 */
static int dsa_queue_init(struct vchan *c, struct dmacopy_queue *q)
{
	struct dsa_dev *d = to_dev(c);
	struct vchan_queue *qp = q->engine_priv;
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	size_t desc_bytes = (size_t)q->depth * DSA_DESC_SIZE;
	size_t bytes = desc_bytes + (size_t)q->depth * DSA_COMPL_SIZE;
	struct dsa_queue *dq;
	uint64_t iova, avail;
	int ret;

	if (vfio_dma_physical())
		return 0;
	dq = calloc(1, sizeof(*dq));
	if (!dq)
		return lib_error(-ENOMEM, "cannot allocate the queue");
	dq->dma_len = (bytes + ps - 1) & ~(ps - 1);
	dq->dma = mmap(NULL, dq->dma_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (dq->dma == MAP_FAILED) {
		free(dq);
		return lib_error(-ENOMEM, "DSA %s: cannot allocate the queue's descriptors (%zu "
				 "bytes)", d->bdf, bytes);
	}
	ret = vfio_dma_map(dq->dma, dq->dma_len, &dq->map_iova);
	if (ret) {
		munmap(dq->dma, dq->dma_len);
		free(dq);
		return ret;
	}
	ret = vfio_dma_translate(dq->dma, bytes, &iova, &avail);
	if (!ret && avail < bytes)
		ret = lib_error(-EFAULT, "DSA %s: the queue's descriptors are not contiguous for "
				"the device", d->bdf);
	if (ret) {
		dq_free(dq);
		return ret;
	}
	dq->descs = dq->dma;
	dq->desc_iova = iova;
	dq->recs = (volatile struct dsa_completion *)((char *)dq->dma + desc_bytes);
	dq->rec_iova = iova + desc_bytes;
	for (uint32_t i = 0; i < q->depth; i++)
		dq->descs[i].compl_addr = dq->rec_iova + (uint64_t)i * DSA_COMPL_SIZE;
	qp->drv_priv = dq;
	q->emit = EMIT_DSA;
	q->emit_ring = dq->descs;
	q->emit_max = d->max_xfer;
	return 0;
}

/*
 * Channel lock held; q has nothing in flight unless the device stopped answering (the queue is
 * drained first: dmacopy_queue_destroy()), so the fail_all() below is a last resort whose
 * completions nobody reaps.
 */
static void dsa_queue_fini(struct vchan *c, struct dmacopy_queue *q)
{
	struct dsa_dev *d = to_dev(c);
	struct vchan_queue *qp = q->engine_priv;

	if (!qp->drv_priv)
		return;
	for (uint32_t t = d->u_tail; t != d->u_head; t++) {
		if (d->units[t % d->wq_size].q == q) {
			/* The device may still read or write the ring: stop it first. */
			lib_error(-ETIMEDOUT, "DSA %s: a destroyed queue still had work in the "
				  "device; device reset", d->bdf);
			dsa_cmd(d, DSA_CMD_RESET_DEVICE, 0);
			fail_all(d, -ECANCELED, DMACOPY_OP_ABORTED);
			d->dead = true;
			break;
		}
	}
	q->emit = EMIT_NONE;
	q->emit_ring = NULL;
	dq_free(qp->drv_priv);
	qp->drv_priv = NULL;
}

const struct vchan_driver dsa_vchan_driver = {
	.kind = "dsa",
	.name = "DSA",
	.kernel_driver = "idxd",
	.example = "dsa:0000:00:06.0",
	.absent = "no Intel DSA PCI function on this machine",
	.absent_fix = REMEDY_DSA_ABSENT,
	.scan = dsa_pci_scan,
	.cpu_lacks = dsa_cpu_lacks,
	.open = dsa_open,
	.close = dsa_close,
	.info = dsa_info,
	.descs_needed = dsa_descs_needed,
	.slots_free = dsa_slots_free,
	.build_copy = dsa_build_copy,
	.build_fill = dsa_build_fill,
	.drive = dsa_drive,
	.flush = dsa_flush,
	.queue_init = dsa_queue_init,
	.queue_fini = dsa_queue_fini,
	.process_events = dsa_process_events,
};

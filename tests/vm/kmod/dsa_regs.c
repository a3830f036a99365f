// SPDX-License-Identifier: GPL-2.0-only
/*
 * dsa_regs: register- and descriptor-level test of one emulated Intel DSA
 * function (qemu/hw/dma/dsa.c), without Linux's idxd. It is a PCI driver with
 * no ID table: bind it with driver_override. Probe runs groups of checks on
 * the device, logs one "<group>: ok" or "<group>: FAIL" line for each and
 * fails (so the bind fails) if one check does not hold; dmesg says which.
 *
 *   echo dsa_regs > /sys/bus/pci/devices/BDF/driver_override
 *   echo BDF > /sys/bus/pci/drivers_probe
 *
 * Layouts come from include/dmacopy/dsa_spec.h, the header the model is built
 * from. Descriptors go to dedicated WQs with MOVDIR64B (iosubmit_cmds512()).
 * All addresses are DMA API addresses: with a vIOMMU they are IOVAs, and the
 * fault checks need one (they map a page DMA_FROM_DEVICE and one DMA_TO_DEVICE
 * first: the top of the device's 32-bit IOVA space, with nothing mapped above).
 *
 * Module parameters say how the device was created: fail_nth, fail_every and
 * fail_write mirror its fault-injection properties (then only the capability,
 * limit and injection groups run); max_xfer_log2 its max-xfer-log2.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <asm/cpufeature.h>

#include "dmacopy/dsa_spec.h"

#define NCR		2048		/* completion records */
#define LIST_DESCS	1040		/* batch list entries: the largest batch and more */
#define BUF_SIZE	SZ_4M
#define SCRATCH_SIZE	SZ_1M
#define GUARD		0xa5
#define WAIT_MS		5000
#define MAX_VEC		DSA_EMU_MSIX_VECTORS
#define BUSY_MEMBERS	512		/* 4 MiB fills in the batch that keeps a WQ busy */
#define WQ_DED		(DSA_WQCFG_DEDICATED | (u32)DSA_SET(DSA_WQCFG_PRIORITY, 1))

static uint max_xfer_log2 = 31;
module_param(max_xfer_log2, uint, 0444);
MODULE_PARM_DESC(max_xfer_log2, "the device's max-xfer-log2 property");
static ulong fail_nth;
module_param(fail_nth, ulong, 0444);
MODULE_PARM_DESC(fail_nth, "the device's fail-nth property (injection checks only)");
static ulong fail_every;
module_param(fail_every, ulong, 0444);
MODULE_PARM_DESC(fail_every, "the device's fail-every property (injection checks only)");
static bool fail_write;
module_param(fail_write, bool, 0444);
MODULE_PARM_DESC(fail_write, "the device has fail-op=write");
static ulong ecam;
module_param(ecam, ulong, 0444);
MODULE_PARM_DESC(ecam, "physical address of the PCI ECAM window (for the hostile-target checks)");
static uint fuzz_ms = 4000;
module_param(fuzz_ms, uint, 0444);
MODULE_PARM_DESC(fuzz_ms, "milliseconds of random register writes and descriptors (0: skip)");

struct dsa_test;

struct dsa_vec {
	struct dsa_test *t;
	atomic_t count;
};

struct dsa_test {
	struct pci_dev *pdev;
	struct device *dev;
	void __iomem *regs;
	void __iomem *portals;
	unsigned int num_wqs;
	unsigned int num_groups;
	unsigned int num_engines;
	unsigned int total_size;
	unsigned int max_batch;
	unsigned int nvec;
	unsigned int slot;		/* rotates the portal page and offset */
	unsigned int next_cr;
	struct dsa_vec vec[MAX_VEC];
	struct dsa_completion *cr;
	dma_addr_t cr_dma;
	struct dsa_desc *list;
	dma_addr_t list_dma;
	u8 *src, *dst, *scratch;
	dma_addr_t src_dma, dst_dma, scratch_dma;
	struct page *edge_r, *edge_w;	/* mapped DMA_TO_DEVICE and DMA_FROM_DEVICE */
	dma_addr_t edge_r_dma, edge_w_dma;
	bool edge_r_mapped, edge_w_mapped;
	int failures;
};

#define CHECK(t, cond, fmt, ...)						\
	do {									\
		if (!(cond)) {							\
			pr_err("%s:%d: %s: " fmt "\n", __func__, __LINE__,	\
			       #cond, ##__VA_ARGS__);				\
			(t)->failures++;					\
		}								\
	} while (0)

/* ------------------------------------------------------------------------ */
/* Registers and commands                                                   */

static u32 rd32(struct dsa_test *t, u32 off)
{
	return readl(t->regs + off);
}

static u64 rd64(struct dsa_test *t, u32 off)
{
	return readq(t->regs + off);
}

static void wr32(struct dsa_test *t, u32 off, u32 v)
{
	writel(v, t->regs + off);
}

static unsigned int dev_state(struct dsa_test *t)
{
	return DSA_GET(DSA_GENSTATS_STATE, rd32(t, DSA_GENSTATS_OFFSET));
}

/* Wait for CMDSTS.ACTIVE to clear (10 s at most); CMDSTS. */
static u32 cmd_wait(struct dsa_test *t)
{
	unsigned long end = jiffies + msecs_to_jiffies(2 * WAIT_MS);
	u32 sts;

	while ((sts = rd32(t, DSA_CMDSTS_OFFSET)) & DSA_CMDSTS_ACTIVE) {
		if (time_after(jiffies, end))
			break;
		usleep_range(20, 100);
	}
	return sts;
}

static u32 cmd_word(u32 code, u32 operand)
{
	return (u32)(DSA_SET(DSA_CMD_CODE, code) | DSA_SET(DSA_CMD_OPERAND, operand));
}

static u32 cmd_raw(struct dsa_test *t, u32 code, u32 operand, u32 flags)
{
	wr32(t, DSA_CMD_OFFSET, cmd_word(code, operand) | flags);
	return cmd_wait(t);
}

static void cmd_expect(struct dsa_test *t, const char *fn, int line, const char *name, u32 code,
		       u32 operand, u32 err)
{
	u32 sts = cmd_raw(t, code, operand, 0);

	if (sts != err) {
		pr_err("%s:%d: command %s operand 0x%x: CMDSTS 0x%x, want 0x%x\n", fn, line, name,
		       operand, sts, err);
		t->failures++;
	}
}

/* Run a command; CMDSTS must be exactly err (ACTIVE clear, no result). */
#define CMD_EXPECT(t, code, operand, err) \
	cmd_expect(t, __func__, __LINE__, #code, code, operand, err)

static void __iomem *grp_reg(struct dsa_test *t, unsigned int g, u32 off)
{
	return t->regs + DSA_EMU_GRPCFG_OFFSET + g * DSA_GRPCFG_SIZE + off;
}

static void grp_set(struct dsa_test *t, unsigned int g, u64 wqs, u64 engines)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		writeq(i ? 0 : wqs, grp_reg(t, g, DSA_GRPCFG_WQS_OFFSET + 8 * i));
	writeq(engines, grp_reg(t, g, DSA_GRPCFG_ENGINES_OFFSET));
	writeq(0, grp_reg(t, g, DSA_GRPCFG_FLAGS_OFFSET));
}

static u64 grp_wqs(struct dsa_test *t, unsigned int g)
{
	return readq(grp_reg(t, g, DSA_GRPCFG_WQS_OFFSET));
}

static u64 grp_engines(struct dsa_test *t, unsigned int g)
{
	return readq(grp_reg(t, g, DSA_GRPCFG_ENGINES_OFFSET));
}

static void __iomem *wq_reg(struct dsa_test *t, unsigned int wq, unsigned int dw)
{
	return t->regs + DSA_EMU_WQCFG_OFFSET + wq * DSA_WQCFG_ENTRY_SIZE(0) + 4 * dw;
}

static u32 wq_word(struct dsa_test *t, unsigned int wq, unsigned int dw)
{
	return readl(wq_reg(t, wq, dw));
}

static u32 wq_limits(u32 xfer_log2, u32 batch_log2)
{
	return (u32)(DSA_SET(DSA_WQCFG_MAX_XFER_LOG2, xfer_log2) |
		     DSA_SET(DSA_WQCFG_MAX_BATCH_LOG2, batch_log2));
}

static void wq_set(struct dsa_test *t, unsigned int wq, u32 size, u32 mode, u32 limits)
{
	writel(size, wq_reg(t, wq, DSA_WQCFG_DW_SIZE));
	writel(0, wq_reg(t, wq, DSA_WQCFG_DW_THRESH));
	writel(mode, wq_reg(t, wq, DSA_WQCFG_DW_MODE));
	writel(limits, wq_reg(t, wq, DSA_WQCFG_DW_LIMITS));
	writel(0, wq_reg(t, wq, DSA_WQCFG_DW_OCC_INT));
	writel(0, wq_reg(t, wq, DSA_WQCFG_DW_OCC_LIMIT));
}

static bool wq_enabled(struct dsa_test *t, unsigned int wq)
{
	return DSA_GET(DSA_WQCFG_STATE, wq_word(t, wq, DSA_WQCFG_DW_STATUS)) ==
	       DSA_WQ_STATE_ENABLED;
}

static unsigned int wq_occupancy(struct dsa_test *t, unsigned int wq)
{
	return DSA_GET(DSA_WQCFG_OCCUPANCY, wq_word(t, wq, DSA_WQCFG_DW_STATUS));
}

static void clear_errors(struct dsa_test *t)
{
	writel(DSA_SWERR_VALID | DSA_SWERR_OVERFLOW, t->regs + DSA_SWERR_OFFSET);
	wr32(t, DSA_INTCAUSE_OFFSET, ~0u);
}

/*
 * The configuration most checks use: engine 0 and WQs 0-3 in group 0, engine
 * 1 alone in group 1; WQ 0 (16 slots), 1 (4 slots) and 3 (4 slots, 4 KiB
 * transfers at most) enabled, WQ 2 (4 slots) configured but disabled.
 */
static void std_config(struct dsa_test *t)
{
	u32 lim = wq_limits(max_xfer_log2, 10);

	CMD_EXPECT(t, DSA_CMD_RESET_DEVICE, 0, DSA_CMDERR_OK);
	clear_errors(t);
	grp_set(t, 0, 0xf, BIT(0));
	grp_set(t, 1, 0, BIT(1));
	wq_set(t, 0, 16, WQ_DED, lim);
	wq_set(t, 1, 4, WQ_DED, lim);
	wq_set(t, 2, 4, WQ_DED, lim);
	wq_set(t, 3, 4, WQ_DED, wq_limits(12, 10));
	CMD_EXPECT(t, DSA_CMD_ENABLE_DEVICE, 0, DSA_CMDERR_OK);
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 0, DSA_CMDERR_OK);
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 1, DSA_CMDERR_OK);
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 3, DSA_CMDERR_OK);
}

/* Every WQ enabled with an equal share of the slots, every engine in group 0. */
static void all_config(struct dsa_test *t)
{
	unsigned int i;

	CMD_EXPECT(t, DSA_CMD_RESET_DEVICE, 0, DSA_CMDERR_OK);
	clear_errors(t);
	grp_set(t, 0, GENMASK_ULL(t->num_wqs - 1, 0), GENMASK_ULL(t->num_engines - 1, 0));
	for (i = 0; i < t->num_wqs; i++)
		wq_set(t, i, t->total_size / t->num_wqs, WQ_DED, wq_limits(max_xfer_log2, 10));
	CMD_EXPECT(t, DSA_CMD_ENABLE_DEVICE, 0, DSA_CMDERR_OK);
	for (i = 0; i < t->num_wqs; i++)
		CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, i, DSA_CMDERR_OK);
}

/* ------------------------------------------------------------------------ */
/* Interrupts                                                               */

static irqreturn_t vec_irq(int irq, void *data)
{
	struct dsa_vec *v = data;

	atomic_inc(&v->count);
	return IRQ_HANDLED;
}

static int irqs(struct dsa_test *t, unsigned int v)
{
	return atomic_read(&t->vec[v].count);
}

static int all_irqs(struct dsa_test *t)
{
	unsigned int v;
	int n = 0;

	for (v = 0; v < t->nvec; v++)
		n += irqs(t, v);
	return n;
}

/* Interrupts on vector v since it counted before (waits up to 1 s for one). */
static int wait_irq(struct dsa_test *t, unsigned int v, int before)
{
	unsigned long end = jiffies + HZ;

	while (irqs(t, v) == before && time_before(jiffies, end))
		usleep_range(10, 50);
	return irqs(t, v) - before;
}

/* ------------------------------------------------------------------------ */
/* Descriptors                                                              */

static struct dsa_completion *cr_new(struct dsa_test *t)
{
	struct dsa_completion *cr = &t->cr[t->next_cr++ % NCR];

	memset(cr, 0, sizeof(*cr));
	return cr;
}

/* Two adjacent records (the first returned). */
static struct dsa_completion *cr_pair(struct dsa_test *t)
{
	struct dsa_completion *cr;

	if (t->next_cr % NCR == NCR - 1)
		t->next_cr++;
	cr = cr_new(t);
	cr_new(t);
	return cr;
}

static u64 cr_addr(struct dsa_test *t, const struct dsa_completion *cr)
{
	return t->cr_dma + (cr - t->cr) * sizeof(*cr);
}

static u8 cr_status(const struct dsa_completion *cr)
{
	return READ_ONCE(cr->status);
}

/* A descriptor; with cr, CRAV and RCR set and the record at cr. */
static void desc_init(struct dsa_test *t, struct dsa_desc *d, u8 op, u32 flags,
		      const struct dsa_completion *cr)
{
	memset(d, 0, sizeof(*d));
	if (cr) {
		flags |= DSA_FLAG_CRAV | DSA_FLAG_RCR;
		d->compl_addr = cr_addr(t, cr);
	}
	d->flags_op = flags | (u32)DSA_SET(DSA_DESC_OPCODE, op);
}

static void desc_move(struct dsa_test *t, struct dsa_desc *d, u32 flags,
		      const struct dsa_completion *cr, u64 src, u64 dst, u32 size)
{
	desc_init(t, d, DSA_OP_MEMMOVE, flags, cr);
	d->src = src;
	d->dst = dst;
	d->xfer_size = size;
}

static void submit_at(struct dsa_test *t, unsigned int wq, unsigned int page, unsigned int off,
		      const struct dsa_desc *d)
{
	/* the descriptor's buffers and records before the device may see it */
	wmb();
	iosubmit_cmds512(t->portals + DSA_PORTAL_OFFSET(wq, page) + off, d, 1);
}

/* Submit at a new 64-byte offset of the WQ's unlimited or limited portal each time. */
static void submit(struct dsa_test *t, unsigned int wq, const struct dsa_desc *d)
{
	unsigned int s = t->slot++;

	submit_at(t, wq, s % 2 ? DSA_PORTAL_LIMITED : DSA_PORTAL_UNLIMITED,
		  (s / 2 * DSA_DESC_SIZE) % DSA_PORTAL_SIZE, d);
}

/* Wait up to 5 s for the record's status; the status (0: none). */
static u8 cr_wait(struct dsa_test *t, const struct dsa_completion *cr)
{
	unsigned long end = jiffies + msecs_to_jiffies(WAIT_MS);
	u8 st;

	while (!(st = cr_status(cr)) && time_before(jiffies, end))
		usleep_range(10, 50);
	/* the rest of the record after its status */
	dma_rmb();
	return st;
}

static u8 run(struct dsa_test *t, unsigned int wq, const struct dsa_desc *d,
	      const struct dsa_completion *cr)
{
	submit(t, wq, d);
	return cr_wait(t, cr);
}

static void drain_wq(struct dsa_test *t, unsigned int wq)
{
	CMD_EXPECT(t, DSA_CMD_DRAIN_WQ, DSA_CMD_WQ_SET(wq), DSA_CMDERR_OK);
	dma_rmb();
}

static void fill_src(struct dsa_test *t, u64 seed)
{
	u64 *p = (u64 *)t->src;
	size_t i;

	for (i = 0; i < BUF_SIZE / 8; i++)
		p[i] = (i + seed) * 0x9e3779b97f4a7c15ULL;
}

static bool all_are(const u8 *p, size_t len, u8 v)
{
	while (len--) {
		if (*p++ != v)
			return false;
	}
	return true;
}

static bool pattern_ok(const u8 *p, size_t len, u64 pattern)
{
	size_t j;

	for (j = 0; j < len; j++) {
		if (p[j] != (u8)(pattern >> (8 * (j % 8))))
			return false;
	}
	return true;
}

static void write_pattern(u8 *p, size_t len, u64 pattern)
{
	size_t j;

	for (j = 0; j < len; j++)
		p[j] = pattern >> (8 * (j % 8));
}

/* ------------------------------------------------------------------------ */
/* Capabilities                                                             */

static void check_caps(struct dsa_test *t)
{
	u64 gencap = rd64(t, DSA_GENCAP_OFFSET);
	u64 wqcap = rd64(t, DSA_WQCAP_OFFSET);
	u64 grpcap = rd64(t, DSA_GRPCAP_OFFSET);
	u64 engcap = rd64(t, DSA_ENGCAP_OFFSET);
	u64 ops = BIT_ULL(DSA_OP_NOOP) | BIT_ULL(DSA_OP_BATCH) | BIT_ULL(DSA_OP_DRAIN) |
		  BIT_ULL(DSA_OP_MEMMOVE) | BIT_ULL(DSA_OP_MEMFILL) | BIT_ULL(DSA_OP_COMPARE) |
		  BIT_ULL(DSA_OP_COMPVAL);
	u32 cmds = BIT(DSA_CMD_ENABLE_DEVICE) | BIT(DSA_CMD_DISABLE_DEVICE) |
		   BIT(DSA_CMD_DRAIN_ALL) | BIT(DSA_CMD_ABORT_ALL) | BIT(DSA_CMD_RESET_DEVICE) |
		   BIT(DSA_CMD_ENABLE_WQ) | BIT(DSA_CMD_DISABLE_WQ) | BIT(DSA_CMD_DRAIN_WQ) |
		   BIT(DSA_CMD_ABORT_WQ) | BIT(DSA_CMD_RESET_WQ) | BIT(DSA_CMD_DRAIN_PASID) |
		   BIT(DSA_CMD_ABORT_PASID);
	u64 want;
	unsigned int i;

	CHECK(t, rd32(t, DSA_VERSION_OFFSET) == DSA_VERSION_1_0, "VERSION 0x%x",
	      rd32(t, DSA_VERSION_OFFSET));
	want = DSA_GENCAP_CACHE_CTRL_MEM | DSA_GENCAP_CMDCAP | DSA_GENCAP_CONFIG_EN |
	       DSA_SET(DSA_GENCAP_MAX_XFER_LOG2, max_xfer_log2) |
	       DSA_SET(DSA_GENCAP_MAX_BATCH_LOG2, 10);
	CHECK(t, gencap == want, "GENCAP 0x%llx, want 0x%llx", gencap, want);
	want = DSA_SET(DSA_WQCAP_TOTAL_SIZE, 128) | DSA_SET(DSA_WQCAP_NUM_WQS, DSA_EMU_NUM_WQS) |
	       DSA_WQCAP_DEDICATED | DSA_WQCAP_OCCUPANCY;
	CHECK(t, wqcap == want, "WQCAP 0x%llx, want 0x%llx", wqcap, want);
	want = DSA_SET(DSA_GRPCAP_NUM_GROUPS, DSA_EMU_NUM_GROUPS) |
	       DSA_SET(DSA_GRPCAP_TOTAL_RDBUFS, 96);
	CHECK(t, grpcap == want, "GRPCAP 0x%llx, want 0x%llx", grpcap, want);
	CHECK(t, engcap == DSA_EMU_NUM_ENGINES, "ENGCAP 0x%llx", engcap);
	CHECK(t, rd64(t, DSA_OPCAP_OFFSET) == ops, "OPCAP[0] 0x%llx, want 0x%llx",
	      rd64(t, DSA_OPCAP_OFFSET), ops);
	for (i = 1; i < DSA_OPCAP_WORDS; i++)
		CHECK(t, rd64(t, DSA_OPCAP_OFFSET + 8 * i) == 0, "OPCAP[%u] 0x%llx", i,
		      rd64(t, DSA_OPCAP_OFFSET + 8 * i));
	want = DSA_SET(DSA_OFFSETS_GRPCFG, DSA_EMU_GRPCFG_OFFSET / DSA_TABLE_UNIT) |
	       DSA_SET(DSA_OFFSETS_WQCFG, DSA_EMU_WQCFG_OFFSET / DSA_TABLE_UNIT) |
	       DSA_SET(DSA_OFFSETS_MSIX_PERM, DSA_EMU_MSIX_PERM_OFFSET / DSA_TABLE_UNIT);
	CHECK(t, rd64(t, DSA_OFFSETS_OFFSET) == want, "OFFSETS[0] 0x%llx, want 0x%llx",
	      rd64(t, DSA_OFFSETS_OFFSET), want);
	CHECK(t, rd64(t, DSA_OFFSETS_OFFSET + 8) == 0, "OFFSETS[1] (perfmon) 0x%llx",
	      rd64(t, DSA_OFFSETS_OFFSET + 8));
	CHECK(t, rd32(t, DSA_CMDCAP_OFFSET) == cmds, "CMDCAP 0x%x, want 0x%x",
	      rd32(t, DSA_CMDCAP_OFFSET), cmds);
	CHECK(t, rd64(t, DSA_EVLSTATUS_OFFSET) == 0 && rd64(t, DSA_IAACAP_OFFSET) == 0,
	      "unimplemented registers read non-zero");

	/* read-only */
	writeq(0, t->regs + DSA_GENCAP_OFFSET);
	writeq(~0ULL, t->regs + DSA_WQCAP_OFFSET);
	writeq(0, t->regs + DSA_OPCAP_OFFSET);
	wr32(t, DSA_VERSION_OFFSET, 0);
	CHECK(t, rd64(t, DSA_GENCAP_OFFSET) == gencap && rd64(t, DSA_WQCAP_OFFSET) == wqcap &&
	      rd64(t, DSA_OPCAP_OFFSET) == ops && rd32(t, DSA_VERSION_OFFSET) == DSA_VERSION_1_0,
	      "a capability register changed when written");

	t->num_wqs = DSA_GET(DSA_WQCAP_NUM_WQS, wqcap);
	t->total_size = DSA_GET(DSA_WQCAP_TOTAL_SIZE, wqcap);
	t->num_groups = DSA_GET(DSA_GRPCAP_NUM_GROUPS, grpcap);
	t->num_engines = DSA_GET(DSA_ENGCAP_NUM_ENGINES, engcap);
	t->max_batch = 1u << DSA_GET(DSA_GENCAP_MAX_BATCH_LOG2, gencap);
	pr_info("%s: VERSION 0x%x, GENCAP 0x%llx (transfers up to 2^%llu, batches up to %u), %u WQs with %u slots, %u groups, %u engines, OPCAP 0x%llx, CMDCAP 0x%x\n",
		pci_name(t->pdev), rd32(t, DSA_VERSION_OFFSET), gencap,
		DSA_GET(DSA_GENCAP_MAX_XFER_LOG2, gencap), t->max_batch, t->num_wqs,
		t->total_size, t->num_groups, t->num_engines, rd64(t, DSA_OPCAP_OFFSET),
		rd32(t, DSA_CMDCAP_OFFSET));
}

/* ------------------------------------------------------------------------ */
/* Commands                                                                 */

static void check_commands(struct dsa_test *t)
{
	u32 lim = wq_limits(max_xfer_log2, 10);

	CMD_EXPECT(t, DSA_CMD_RESET_DEVICE, 0, DSA_CMDERR_OK);
	CHECK(t, dev_state(t) == DSA_STATE_DISABLED, "state %u after RESET_DEVICE",
	      dev_state(t));
	grp_set(t, 0, BIT(0), BIT(0));
	wq_set(t, 0, 8, WQ_DED, lim);
	wr32(t, DSA_GENCFG_OFFSET, DSA_GENCFG_USER_INT_EN);
	CHECK(t, grp_wqs(t, 0) == 1 && grp_engines(t, 0) == 1 &&
	      wq_word(t, 0, DSA_WQCFG_DW_SIZE) == 8 &&
	      rd32(t, DSA_GENCFG_OFFSET) == DSA_GENCFG_USER_INT_EN,
	      "tables not writable while disabled");
	CMD_EXPECT(t, DSA_CMD_RESET_DEVICE, 0, DSA_CMDERR_OK);
	CHECK(t, grp_wqs(t, 0) == 0 && grp_engines(t, 0) == 0 &&
	      wq_word(t, 0, DSA_WQCFG_DW_SIZE) == 0 && wq_word(t, 0, DSA_WQCFG_DW_MODE) == 0 &&
	      rd32(t, DSA_GENCFG_OFFSET) == 0, "RESET_DEVICE did not clear the configuration");

	/* commands that need an enabled device; unknown commands */
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 0, DSA_CMDERR_ENWQ_DEV_DISABLED);
	CMD_EXPECT(t, DSA_CMD_DISABLE_WQ, DSA_CMD_WQ_SET(0), DSA_CMDERR_WQCMD_DEV_DISABLED);
	CMD_EXPECT(t, DSA_CMD_DRAIN_WQ, DSA_CMD_WQ_SET(0), DSA_CMDERR_WQCMD_DEV_DISABLED);
	CMD_EXPECT(t, DSA_CMD_ABORT_WQ, DSA_CMD_WQ_SET(0), DSA_CMDERR_WQCMD_DEV_DISABLED);
	CMD_EXPECT(t, DSA_CMD_DISABLE_DEVICE, 0, DSA_CMDERR_DISDEV_DISABLED);
	CMD_EXPECT(t, 0, 0, DSA_CMDERR_BAD_CMD);
	CMD_EXPECT(t, 0x1f, 0, DSA_CMDERR_BAD_CMD);
	CMD_EXPECT(t, DSA_CMD_REQUEST_INT_HANDLE, 1, DSA_CMDERR_BAD_CMD);
	CMD_EXPECT(t, DSA_CMD_RELEASE_INT_HANDLE, 0, DSA_CMDERR_BAD_CMD);

	/* ENABLE_DEVICE refuses bad configurations */
	pci_clear_master(t->pdev);
	CMD_EXPECT(t, DSA_CMD_ENABLE_DEVICE, 0, DSA_CMDERR_ENDEV_BUS_MASTER);
	pci_set_master(t->pdev);
	wq_set(t, 0, 4, WQ_DED, lim);			/* a WQ with slots in no group */
	CMD_EXPECT(t, DSA_CMD_ENABLE_DEVICE, 0, DSA_CMDERR_ENDEV_GRP_CONFIG);
	grp_set(t, 0, BIT(0), BIT(0));
	grp_set(t, 1, BIT(0), BIT(1));			/* ... in two groups */
	CMD_EXPECT(t, DSA_CMD_ENABLE_DEVICE, 0, DSA_CMDERR_ENDEV_GRP_CONFIG);
	grp_set(t, 1, 0, BIT(0));			/* engine 0 in two groups */
	CMD_EXPECT(t, DSA_CMD_ENABLE_DEVICE, 0, DSA_CMDERR_ENDEV_GRP_CONFIG2);
	grp_set(t, 1, BIT(1), 0);			/* a group with a WQ, no engine */
	wq_set(t, 1, 4, WQ_DED, lim);
	CMD_EXPECT(t, DSA_CMD_ENABLE_DEVICE, 0, DSA_CMDERR_ENDEV_GRP_CONFIG3);
	grp_set(t, 0, BIT(0) | BIT(1), BIT(0));
	grp_set(t, 1, 0, BIT(1));
	wq_set(t, 0, t->total_size / 2 + 1, WQ_DED, lim);	/* more slots than there are */
	wq_set(t, 1, t->total_size / 2, WQ_DED, lim);
	CMD_EXPECT(t, DSA_CMD_ENABLE_DEVICE, 0, DSA_CMDERR_ENDEV_WQ_SIZES);
	CHECK(t, dev_state(t) == DSA_STATE_DISABLED, "state %u after failed enables",
	      dev_state(t));

	/* GRPCFG keeps only WQs and engines that exist */
	grp_set(t, 2, ~0ULL, ~0ULL);
	CHECK(t, grp_wqs(t, 2) == GENMASK_ULL(t->num_wqs - 1, 0) &&
	      grp_engines(t, 2) == GENMASK_ULL(t->num_engines - 1, 0),
	      "GRPCFG 2 wqs 0x%llx engines 0x%llx", grp_wqs(t, 2), grp_engines(t, 2));
	grp_set(t, 2, 0, 0);

	/* a good configuration; enabling twice */
	wq_set(t, 0, 16, WQ_DED, lim);
	wq_set(t, 1, 4, WQ_DED, lim);
	CMD_EXPECT(t, DSA_CMD_ENABLE_DEVICE, 0, DSA_CMDERR_OK);
	CHECK(t, dev_state(t) == DSA_STATE_ENABLED, "state %u", dev_state(t));
	CMD_EXPECT(t, DSA_CMD_ENABLE_DEVICE, 0, DSA_CMDERR_ENDEV_ENABLED);

	/* GRPCFG and GENCFG are read-only while the device is enabled */
	grp_set(t, 2, BIT(2), BIT(2));
	grp_set(t, 0, 0, 0);
	wr32(t, DSA_GENCFG_OFFSET, DSA_GENCFG_USER_INT_EN);
	CHECK(t, grp_wqs(t, 2) == 0 && grp_engines(t, 2) == 0 && grp_wqs(t, 0) == 3 &&
	      grp_engines(t, 0) == 1 && rd32(t, DSA_GENCFG_OFFSET) == 0,
	      "configuration written while enabled");

	/* ENABLE_WQ errors */
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, t->num_wqs, DSA_CMDERR_BAD_WQ);
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 0xfffff, DSA_CMDERR_BAD_WQ);
	wq_set(t, 2, 0, WQ_DED, lim);
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 2, DSA_CMDERR_ENWQ_SIZE);
	wq_set(t, 2, 4, 0, lim);			/* shared */
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 2, DSA_CMDERR_ENWQ_MODE);
	wq_set(t, 2, 4, WQ_DED | DSA_WQCFG_BOF, lim);
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 2, DSA_CMDERR_ENWQ_BOF);
	wq_set(t, 2, 4, WQ_DED | DSA_WQCFG_PASID_EN, lim);
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 2, DSA_CMDERR_ENWQ_PASID);
	wq_set(t, 2, 4, WQ_DED, wq_limits(max_xfer_log2, 15));
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 2, DSA_CMDERR_ENWQ_MAX_BATCH);
	if (max_xfer_log2 < DSA_MAX_XFER_LOG2) {
		wq_set(t, 2, 4, WQ_DED, wq_limits(max_xfer_log2 + 1, 10));
		CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 2, DSA_CMDERR_ENWQ_MAX_XFER);
	}
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 0, DSA_CMDERR_OK);
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 0, DSA_CMDERR_ENWQ_ENABLED);
	wq_set(t, 2, t->total_size - 16 + 1, WQ_DED, lim);	/* more than WQ 0 left */
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 2, DSA_CMDERR_ENWQ_SIZE);
	CHECK(t, !wq_enabled(t, 2), "WQ 2 enabled by a failed ENABLE_WQ");
	wq_set(t, 2, 0, 0, 0);
	CHECK(t, wq_enabled(t, 0) && wq_occupancy(t, 0) == 0, "WQ 0 status 0x%x",
	      wq_word(t, 0, DSA_WQCFG_DW_STATUS));
	/* WQCFG is read-only while the WQ is enabled, writable for others */
	wq_set(t, 0, 9, 0, 0);
	CHECK(t, wq_word(t, 0, DSA_WQCFG_DW_SIZE) == 16 &&
	      wq_word(t, 0, DSA_WQCFG_DW_MODE) == WQ_DED &&
	      wq_word(t, 0, DSA_WQCFG_DW_LIMITS) == lim,
	      "WQCFG 0 written while enabled");
	writel(~0u, wq_reg(t, 0, DSA_WQCFG_DW_STATUS));
	CHECK(t, wq_enabled(t, 0), "WQ 0 status written");
	wq_set(t, 1, 5, WQ_DED, lim);
	CHECK(t, wq_word(t, 1, DSA_WQCFG_DW_SIZE) == 5, "WQCFG 1 not writable while disabled");
	wq_set(t, 1, 4, WQ_DED, lim);
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 1, DSA_CMDERR_OK);

	/* WQ-set operands */
	CMD_EXPECT(t, DSA_CMD_DISABLE_WQ, DSA_CMD_WQ_SET(0) | DSA_CMD_WQ_SET(1), DSA_CMDERR_OK);
	CHECK(t, !wq_enabled(t, 0) && !wq_enabled(t, 1), "WQs 0, 1 still enabled");
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 0, DSA_CMDERR_OK);
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 1, DSA_CMDERR_OK);
	CMD_EXPECT(t, DSA_CMD_DISABLE_WQ, BIT(t->num_wqs), DSA_CMDERR_BAD_WQ);
	CMD_EXPECT(t, DSA_CMD_DISABLE_WQ, DSA_CMD_WQ_SET(16), DSA_CMDERR_BAD_WQ);
	CMD_EXPECT(t, DSA_CMD_DRAIN_WQ, DSA_CMD_WQ_SET(0), DSA_CMDERR_OK);
	CMD_EXPECT(t, DSA_CMD_ABORT_WQ, DSA_CMD_WQ_SET(1), DSA_CMDERR_OK);
	CHECK(t, wq_enabled(t, 0) && wq_enabled(t, 1), "DRAIN_WQ/ABORT_WQ disabled a WQ");
	CMD_EXPECT(t, DSA_CMD_RESET_WQ, DSA_CMD_WQ_SET(1), DSA_CMDERR_OK);
	CHECK(t, !wq_enabled(t, 1) && wq_word(t, 1, DSA_WQCFG_DW_SIZE) == 0 &&
	      wq_word(t, 1, DSA_WQCFG_DW_MODE) == 0, "WQ 1 after RESET_WQ: status 0x%x size %u",
	      wq_word(t, 1, DSA_WQCFG_DW_STATUS), wq_word(t, 1, DSA_WQCFG_DW_SIZE));
	CHECK(t, wq_enabled(t, 0), "RESET_WQ of WQ 1 touched WQ 0");
	CMD_EXPECT(t, DSA_CMD_DRAIN_ALL, 0, DSA_CMDERR_OK);
	CMD_EXPECT(t, DSA_CMD_ABORT_ALL, 0, DSA_CMDERR_OK);
	CMD_EXPECT(t, DSA_CMD_DRAIN_PASID, 0, DSA_CMDERR_OK);
	CMD_EXPECT(t, DSA_CMD_ABORT_PASID, 0, DSA_CMDERR_OK);

	/* disabling twice; RESET_WQ also works on a disabled device */
	CMD_EXPECT(t, DSA_CMD_DISABLE_DEVICE, 0, DSA_CMDERR_OK);
	CHECK(t, dev_state(t) == DSA_STATE_DISABLED && !wq_enabled(t, 0),
	      "state %u, WQ 0 status 0x%x after DISABLE_DEVICE", dev_state(t),
	      wq_word(t, 0, DSA_WQCFG_DW_STATUS));
	CMD_EXPECT(t, DSA_CMD_DISABLE_DEVICE, 0, DSA_CMDERR_DISDEV_DISABLED);
	CMD_EXPECT(t, DSA_CMD_RESET_WQ, DSA_CMD_WQ_SET(0), DSA_CMDERR_OK);
	CHECK(t, wq_word(t, 0, DSA_WQCFG_DW_SIZE) == 0, "RESET_WQ on a disabled device");
	CMD_EXPECT(t, DSA_CMD_RESET_DEVICE, 0, DSA_CMDERR_OK);
}

/* Command completion interrupts: INTCAUSE.CMD and MSI-X vector 0. */
static void check_cmd_irqs(struct dsa_test *t)
{
	int c0, all;
	u32 cmd;

	std_config(t);
	wr32(t, DSA_INTCAUSE_OFFSET, ~0u);
	CHECK(t, rd32(t, DSA_INTCAUSE_OFFSET) == 0, "INTCAUSE 0x%x", rd32(t, DSA_INTCAUSE_OFFSET));

	c0 = irqs(t, 0);
	all = all_irqs(t);
	cmd = cmd_word(DSA_CMD_DRAIN_ALL, 0) | DSA_CMD_INT_REQ;
	CHECK(t, cmd_raw(t, DSA_CMD_DRAIN_ALL, 0, DSA_CMD_INT_REQ) == 0, "CMDSTS");
	CHECK(t, rd32(t, DSA_CMD_OFFSET) == cmd, "CMD reads 0x%x, want 0x%x",
	      rd32(t, DSA_CMD_OFFSET), cmd);
	CHECK(t, rd32(t, DSA_INTCAUSE_OFFSET) == DSA_INTCAUSE_CMD, "INTCAUSE 0x%x",
	      rd32(t, DSA_INTCAUSE_OFFSET));
	CHECK(t, wait_irq(t, 0, c0) == 1, "vector 0 interrupts %d", irqs(t, 0) - c0);
	CHECK(t, all_irqs(t) - all == 1, "%d interrupts in all", all_irqs(t) - all);

	/* write 1 to clear */
	wr32(t, DSA_INTCAUSE_OFFSET, 0);
	wr32(t, DSA_INTCAUSE_OFFSET, ~DSA_INTCAUSE_CMD);
	CHECK(t, rd32(t, DSA_INTCAUSE_OFFSET) == DSA_INTCAUSE_CMD, "INTCAUSE 0x%x",
	      rd32(t, DSA_INTCAUSE_OFFSET));
	wr32(t, DSA_INTCAUSE_OFFSET, DSA_INTCAUSE_CMD);
	CHECK(t, rd32(t, DSA_INTCAUSE_OFFSET) == 0, "INTCAUSE 0x%x after W1C",
	      rd32(t, DSA_INTCAUSE_OFFSET));

	/* no INT_REQ, no interrupt */
	c0 = irqs(t, 0);
	CMD_EXPECT(t, DSA_CMD_DRAIN_ALL, 0, DSA_CMDERR_OK);
	msleep(20);
	CHECK(t, irqs(t, 0) == c0 && rd32(t, DSA_INTCAUSE_OFFSET) == 0,
	      "interrupt without INT_REQ: INTCAUSE 0x%x", rd32(t, DSA_INTCAUSE_OFFSET));

	/* a failing command interrupts too */
	c0 = irqs(t, 0);
	CHECK(t, cmd_raw(t, DSA_CMD_ENABLE_DEVICE, 0, DSA_CMD_INT_REQ) ==
	      DSA_CMDERR_ENDEV_ENABLED, "CMDSTS");
	CHECK(t, wait_irq(t, 0, c0) == 1, "vector 0 interrupts %d", irqs(t, 0) - c0);
	CHECK(t, rd32(t, DSA_INTCAUSE_OFFSET) == DSA_INTCAUSE_CMD, "INTCAUSE 0x%x",
	      rd32(t, DSA_INTCAUSE_OFFSET));
	wr32(t, DSA_INTCAUSE_OFFSET, DSA_INTCAUSE_CMD);
}

/* ------------------------------------------------------------------------ */
/* Descriptors                                                              */

static void copy_check(struct dsa_test *t, unsigned int wq, u32 size, u32 soff, u32 doff)
{
	struct dsa_completion *cr = cr_new(t);
	struct dsa_desc d;
	u8 st;

	memset(t->dst + doff - 1, GUARD, size + 2);
	desc_move(t, &d, 0, cr, t->src_dma + soff, t->dst_dma + doff, size);
	st = run(t, wq, &d, cr);
	CHECK(t, st == DSA_COMP_SUCCESS, "MEMMOVE of %u bytes: status 0x%x", size, st);
	CHECK(t, !memcmp(t->dst + doff, t->src + soff, size), "MEMMOVE of %u bytes: data", size);
	CHECK(t, t->dst[doff - 1] == GUARD && t->dst[doff + size] == GUARD,
	      "MEMMOVE of %u bytes: bytes around it", size);
}

static void fill_check(struct dsa_test *t, u64 pattern, u32 size, u32 doff)
{
	struct dsa_completion *cr = cr_new(t);
	struct dsa_desc d;
	u8 st;

	memset(t->dst + doff - 1, GUARD, size + 2);
	desc_init(t, &d, DSA_OP_MEMFILL, 0, cr);
	d.pattern = pattern;
	d.dst = t->dst_dma + doff;
	d.xfer_size = size;
	st = run(t, 0, &d, cr);
	CHECK(t, st == DSA_COMP_SUCCESS, "MEMFILL 0x%llx of %u bytes: status 0x%x", pattern,
	      size, st);
	CHECK(t, pattern_ok(t->dst + doff, size, pattern), "MEMFILL 0x%llx of %u bytes: data",
	      pattern, size);
	CHECK(t, t->dst[doff - 1] == GUARD && t->dst[doff + size] == GUARD,
	      "MEMFILL of %u bytes: bytes around it", size);
}

/* COMPARE src+off with dst+off (or COMPVAL src+off with pattern); the record. */
static struct dsa_completion *compare(struct dsa_test *t, bool val, u64 pattern, u32 off,
				      u32 size, u32 flags, u8 expected)
{
	struct dsa_completion *cr = cr_new(t);
	struct dsa_desc d;

	desc_init(t, &d, val ? DSA_OP_COMPVAL : DSA_OP_COMPARE, flags, cr);
	d.src = t->src_dma + off;
	if (val)
		d.comp_pattern = pattern;
	else
		d.src2 = t->dst_dma + off;
	d.xfer_size = size;
	d.expected_result = expected;
	run(t, 0, &d, cr);
	return cr;
}

/* The record must say status st, result res and (if res) bytes_completed bytes. */
static void cmp_expect(struct dsa_test *t, int line, const struct dsa_completion *cr, u8 st,
		       u8 res, u32 bytes)
{
	if (cr->status != st || cr->result != res || (res && cr->bytes_completed != bytes)) {
		pr_err("line %d: status 0x%x result %u bytes %u, want 0x%x %u %u\n", line,
		       cr->status, cr->result, cr->bytes_completed, st, res, bytes);
		t->failures++;
	}
}

#define CMP_EXPECT(t, cr, st, res, bytes) cmp_expect(t, __LINE__, cr, st, res, bytes)

static void check_ops(struct dsa_test *t)
{
	static const u32 sizes[] = { 1, 3, 63, 64, 4095, 4097, 65536, 65537, 200003,
				     3 * SZ_1M + 7 };
	struct dsa_completion *cr, *cr2;
	struct dsa_desc d;
	unsigned int i;
	u64 pat;

	std_config(t);
	fill_src(t, 1);

	/* NOOP and DRAIN */
	cr = cr_new(t);
	desc_init(t, &d, DSA_OP_NOOP, 0, cr);
	CHECK(t, run(t, 0, &d, cr) == DSA_COMP_SUCCESS, "NOOP: status 0x%x", cr->status);
	cr = cr_new(t);
	desc_init(t, &d, DSA_OP_DRAIN, 0, cr);
	CHECK(t, run(t, 0, &d, cr) == DSA_COMP_SUCCESS, "DRAIN: status 0x%x", cr->status);

	/* MEMMOVE: 1 byte to 3 MiB (in pieces), odd offsets */
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		copy_check(t, 0, sizes[i], 2 * i + 1, 4 * i + 3);
	copy_check(t, 3, 4096, 0, 1);	/* WQ 3's largest transfer */

	/* DRAIN waits for the work before it: a 3 MiB copy without a record */
	memset(t->dst + 1, 0, 3 * SZ_1M);
	desc_move(t, &d, 0, NULL, t->src_dma + 5, t->dst_dma + 1, 3 * SZ_1M);
	submit(t, 0, &d);
	cr = cr_new(t);
	desc_init(t, &d, DSA_OP_DRAIN, 0, cr);
	CHECK(t, run(t, 0, &d, cr) == DSA_COMP_SUCCESS, "DRAIN: status 0x%x", cr->status);
	CHECK(t, !memcmp(t->dst + 1, t->src + 5, 3 * SZ_1M), "copy before the DRAIN not done");

	/* MEMFILL: patterns at odd offsets; the pattern restarts at the destination */
	pat = 0x0123456789abcdefULL;
	fill_check(t, pat, 1, 1);
	fill_check(t, pat, 7, 3);
	fill_check(t, pat, 13, 5);
	fill_check(t, pat, 4099, 7);
	fill_check(t, pat, 70001, 9);
	fill_check(t, ~0ULL, 100, 11);
	fill_check(t, 0xfffffffffffffff0ULL, 65541, 13);
	fill_check(t, 0, 300007, 15);

	/* COMPARE: equal; first difference; CHECK_RESULT */
	memcpy(t->dst, t->src, 300000);
	cr = compare(t, false, 0, 1, 200000, 0, 0);
	CMP_EXPECT(t, cr, DSA_COMP_SUCCESS, 0, 0);
	t->dst[1 + 123457] ^= 0x10;
	cr = compare(t, false, 0, 1, 200000, 0, 0);
	CMP_EXPECT(t, cr, DSA_COMP_SUCCESS, 1, 123457);
	cr = compare(t, false, 0, 1, 123457, 0, 0);	/* stops just before it */
	CMP_EXPECT(t, cr, DSA_COMP_SUCCESS, 0, 0);
	cr = compare(t, false, 0, 1 + 123457, 1, 0, 0);
	CMP_EXPECT(t, cr, DSA_COMP_SUCCESS, 1, 0);
	cr = compare(t, false, 0, 1, 200000, DSA_FLAG_CHECK_RESULT, 0);
	CMP_EXPECT(t, cr, DSA_COMP_SUCCESS_PRED, 1, 123457);
	cr = compare(t, false, 0, 1, 200000, DSA_FLAG_CHECK_RESULT, 1);
	CMP_EXPECT(t, cr, DSA_COMP_SUCCESS, 1, 123457);
	cr = compare(t, false, 0, 1, 1000, DSA_FLAG_CHECK_RESULT, 0);
	CMP_EXPECT(t, cr, DSA_COMP_SUCCESS, 0, 0);
	cr = compare(t, false, 0, 1, 1000, DSA_FLAG_CHECK_RESULT, 1);
	CMP_EXPECT(t, cr, DSA_COMP_SUCCESS_PRED, 0, 0);

	/* COMPVAL: the pattern restarts at the source */
	pat = 0x8877665544332211ULL;
	write_pattern(t->src + 3, 70000, pat);
	cr = compare(t, true, pat, 3, 70000, 0, 0);
	CMP_EXPECT(t, cr, DSA_COMP_SUCCESS, 0, 0);
	t->src[3 + 66000] ^= 1;
	cr = compare(t, true, pat, 3, 70000, 0, 0);
	CMP_EXPECT(t, cr, DSA_COMP_SUCCESS, 1, 66000);
	cr = compare(t, true, pat, 3, 70000, DSA_FLAG_CHECK_RESULT, 0);
	CMP_EXPECT(t, cr, DSA_COMP_SUCCESS_PRED, 1, 66000);
	cr = compare(t, true, pat, 3, 66000, DSA_FLAG_CHECK_RESULT, 0);
	CMP_EXPECT(t, cr, DSA_COMP_SUCCESS, 0, 0);
	cr = compare(t, true, pat ^ 0xff00, 3, 66000, 0, 0);
	CMP_EXPECT(t, cr, DSA_COMP_SUCCESS, 1, 1);

	/* every 64-byte slot of every portal page of WQ 0 takes descriptors */
	for (i = 0; i < 4 * DSA_PORTAL_SIZE / DSA_DESC_SIZE; i += 13) {
		cr = cr_new(t);
		desc_init(t, &d, DSA_OP_NOOP, 0, cr);
		submit_at(t, 0, i * DSA_DESC_SIZE / DSA_PORTAL_SIZE,
			  i * DSA_DESC_SIZE % DSA_PORTAL_SIZE, &d);
		CHECK(t, cr_wait(t, cr) == DSA_COMP_SUCCESS, "NOOP at portal offset 0x%x: 0x%x",
		      i * DSA_DESC_SIZE, cr->status);
	}

	/* two WQs at once */
	cr = cr_new(t);
	cr2 = cr_new(t);
	desc_move(t, &d, 0, cr, t->src_dma, t->dst_dma, 100000);
	submit(t, 0, &d);
	desc_move(t, &d, 0, cr2, t->src_dma + 200000, t->dst_dma + 200000, 4096);
	submit(t, 3, &d);
	CHECK(t, cr_wait(t, cr) == DSA_COMP_SUCCESS && cr_wait(t, cr2) == DSA_COMP_SUCCESS,
	      "two WQs: status 0x%x 0x%x", cr->status, cr2->status);
	CHECK(t, !memcmp(t->dst, t->src, 100000) &&
	      !memcmp(t->dst + 200000, t->src + 200000, 4096), "two WQs: data");
}

/* One descriptor that must complete with status want (and invalid_flags). */
static void expect_error(struct dsa_test *t, int line, unsigned int wq, struct dsa_desc *d,
			 struct dsa_completion *cr, u8 want, u32 invalid)
{
	u8 st = run(t, wq, d, cr);

	if (st != want || cr->invalid_flags != invalid) {
		pr_err("%s:%d: opcode 0x%x flags 0x%x size %u: status 0x%x invalid_flags 0x%x, want 0x%x 0x%x\n",
		       __func__, line, d->flags_op >> 24, d->flags_op & DSA_DESC_FLAGS_MASK,
		       d->xfer_size, st, cr->invalid_flags, want, invalid);
		t->failures++;
	}
}

#define EXPECT_ERROR(t, wq, d, cr, want, invalid) \
	expect_error(t, __LINE__, wq, d, cr, want, invalid)

static void check_desc_errors(struct dsa_test *t)
{
	static const u8 bad_ops[] = { DSA_OP_CR_DELTA, DSA_OP_AP_DELTA, DSA_OP_DUALCAST,
				      DSA_OP_TRANSL_FETCH, DSA_OP_CRCGEN, DSA_OP_DIF_CHECK,
				      DSA_OP_CFLUSH, 0x7f, 0xff };
	static const u32 bad_flags[] = { DSA_FLAG_BOF, DSA_FLAG_CR_STEER, DSA_FLAG_DEST_READBACK,
					 DSA_FLAG_DEST_STEER, DSA_FLAG_CRC_READ_SEED, 0x800000,
					 DSA_FLAG_BOF | DSA_FLAG_DEST_STEER | 0x40 };
	struct dsa_completion *cr;
	struct dsa_desc d;
	unsigned int i;
	u8 st;

	std_config(t);
	fill_src(t, 2);
	for (i = 0; i < ARRAY_SIZE(bad_ops); i++) {
		cr = cr_new(t);
		desc_move(t, &d, 0, cr, t->src_dma, t->dst_dma, 64);
		d.flags_op = (d.flags_op & DSA_DESC_FLAGS_MASK) | (u32)bad_ops[i] << 24;
		EXPECT_ERROR(t, 0, &d, cr, DSA_COMP_BAD_OPCODE, 0);
	}
	for (i = 0; i < ARRAY_SIZE(bad_flags); i++) {
		cr = cr_new(t);
		desc_move(t, &d, bad_flags[i], cr, t->src_dma, t->dst_dma, 64);
		EXPECT_ERROR(t, 0, &d, cr, DSA_COMP_INVALID_FLAGS, bad_flags[i]);
	}
	cr = cr_new(t);
	desc_init(t, &d, DSA_OP_NOOP, DSA_FLAG_DEST_STEER, cr);
	EXPECT_ERROR(t, 0, &d, cr, DSA_COMP_INVALID_FLAGS, DSA_FLAG_DEST_STEER);

	/* transfer sizes: 0, above the device's and above the WQ's limit */
	cr = cr_new(t);
	desc_move(t, &d, 0, cr, t->src_dma, t->dst_dma, 0);
	EXPECT_ERROR(t, 0, &d, cr, DSA_COMP_XFER_ERANGE, 0);
	cr = cr_new(t);
	desc_init(t, &d, DSA_OP_MEMFILL, 0, cr);
	d.dst = t->dst_dma;
	EXPECT_ERROR(t, 0, &d, cr, DSA_COMP_XFER_ERANGE, 0);
	cr = cr_new(t);
	desc_init(t, &d, DSA_OP_COMPARE, 0, cr);
	d.src = t->src_dma;
	d.src2 = t->dst_dma;
	EXPECT_ERROR(t, 0, &d, cr, DSA_COMP_XFER_ERANGE, 0);
	cr = cr_new(t);
	desc_init(t, &d, DSA_OP_COMPVAL, 0, cr);
	d.src = t->src_dma;
	EXPECT_ERROR(t, 0, &d, cr, DSA_COMP_XFER_ERANGE, 0);
	cr = cr_new(t);
	desc_move(t, &d, 0, cr, t->src_dma, t->dst_dma, (u32)(BIT_ULL(max_xfer_log2) + 1));
	EXPECT_ERROR(t, 0, &d, cr, DSA_COMP_XFER_ERANGE, 0);
	cr = cr_new(t);
	desc_move(t, &d, 0, cr, t->src_dma, t->dst_dma, 4097);
	EXPECT_ERROR(t, 3, &d, cr, DSA_COMP_XFER_ERANGE, 0);
	cr = cr_new(t);
	desc_init(t, &d, DSA_OP_MEMFILL, 0, cr);
	d.dst = t->dst_dma;
	d.xfer_size = 8192;
	EXPECT_ERROR(t, 3, &d, cr, DSA_COMP_XFER_ERANGE, 0);

	/* overlapping MEMMOVE: an error, nothing written; adjacent buffers are fine */
	memcpy(t->dst, t->src + SZ_1M, 8192);
	cr = cr_new(t);
	desc_move(t, &d, 0, cr, t->src_dma + SZ_1M, t->src_dma + SZ_1M + 100, 4096);
	EXPECT_ERROR(t, 0, &d, cr, DSA_COMP_OVERLAP_BUFFERS, 0);
	cr = cr_new(t);
	desc_move(t, &d, 0, cr, t->src_dma + SZ_1M + 100, t->src_dma + SZ_1M, 4096);
	EXPECT_ERROR(t, 0, &d, cr, DSA_COMP_OVERLAP_BUFFERS, 0);
	cr = cr_new(t);
	desc_move(t, &d, 0, cr, t->src_dma + SZ_1M + 4095, t->src_dma + SZ_1M, 4096);
	EXPECT_ERROR(t, 0, &d, cr, DSA_COMP_OVERLAP_BUFFERS, 0);
	CHECK(t, !memcmp(t->dst, t->src + SZ_1M, 8192), "overlapping MEMMOVE wrote");
	cr = cr_new(t);
	desc_move(t, &d, 0, cr, t->src_dma + SZ_1M, t->src_dma + SZ_1M + 4096, 4096);
	st = run(t, 0, &d, cr);
	CHECK(t, st == DSA_COMP_SUCCESS && !memcmp(t->src + SZ_1M + 4096, t->dst, 4096),
	      "adjacent MEMMOVE: status 0x%x", st);

	/* buffers past the end of the address space */
	cr = cr_new(t);
	desc_move(t, &d, 0, cr, ~0ULL - 4095, t->dst_dma, 8192);
	EXPECT_ERROR(t, 0, &d, cr, DSA_COMP_PAGE_FAULT_NOBOF, 0);
	CHECK(t, cr->fault_addr == ~0ULL - 4095, "fault address 0x%llx", cr->fault_addr);
	cr = cr_new(t);
	desc_move(t, &d, 0, cr, t->src_dma, ~0ULL - 4095, 8192);
	EXPECT_ERROR(t, 0, &d, cr, DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_FAULT_WRITE, 0);
	CHECK(t, cr->fault_addr == ~0ULL - 4095, "fault address 0x%llx", cr->fault_addr);

	/* an interrupt handle beyond the vectors */
	cr = cr_new(t);
	desc_move(t, &d, DSA_FLAG_RCI, cr, t->src_dma, t->dst_dma, 64);
	d.int_handle = t->num_wqs + 1;
	EXPECT_ERROR(t, 0, &d, cr, DSA_COMP_INT_HANDLE_INVAL, 0);
	cr = cr_new(t);
	desc_init(t, &d, DSA_OP_NOOP, DSA_FLAG_RCI, cr);
	d.int_handle = 0xffff;
	EXPECT_ERROR(t, 0, &d, cr, DSA_COMP_INT_HANDLE_INVAL, 0);
}

static u64 swerr(struct dsa_test *t, unsigned int word)
{
	return rd64(t, DSA_SWERR_OFFSET + 8 * word);
}

/* Records (RCR), completion interrupts (RCI), records the device cannot write. */
static void check_completion(struct dsa_test *t)
{
	struct dsa_completion *cr;
	struct dsa_desc d;
	int c, all;
	u64 info, want;
	unsigned int v;

	std_config(t);
	fill_src(t, 3);

	/* no record on success without RCR */
	cr = cr_pair(t);
	memset(t->dst, 0, 8192);
	desc_move(t, &d, DSA_FLAG_CRAV, NULL, t->src_dma + 1, t->dst_dma, 8192);
	d.compl_addr = cr_addr(t, cr);
	submit(t, 0, &d);
	desc_init(t, &d, DSA_OP_NOOP, DSA_FLAG_CRAV, NULL);
	d.compl_addr = cr_addr(t, cr) + DSA_COMPL_SIZE;
	submit(t, 0, &d);
	drain_wq(t, 0);
	CHECK(t, !memcmp(t->dst, t->src + 1, 8192), "copy without RCR: data");
	CHECK(t, all_are((u8 *)cr, 2 * DSA_COMPL_SIZE, 0), "a record written without RCR");

	/* RCI: the vector the handle names */
	for (v = 0; v < t->nvec; v += 3) {
		c = irqs(t, v);
		all = all_irqs(t);
		desc_move(t, &d, DSA_FLAG_RCI, NULL, t->src_dma + v, t->dst_dma + v, 1000);
		d.int_handle = v;
		submit_at(t, 0, DSA_PORTAL_UNLIMITED, 0, &d);
		CHECK(t, wait_irq(t, v, c) == 1, "vector %u: %d interrupts", v, irqs(t, v) - c);
		CHECK(t, all_irqs(t) - all == 1, "vector %u: %d interrupts in all", v,
		      all_irqs(t) - all);
	}
	CHECK(t, !memcmp(t->dst + v - 3, t->src + v - 3, 1000), "copy with RCI: data");
	/* an error interrupts too; an invalid handle does not */
	c = irqs(t, 2);
	cr = cr_new(t);
	desc_move(t, &d, DSA_FLAG_RCI, cr, t->src_dma, t->dst_dma, 0);
	d.int_handle = 2;
	CHECK(t, run(t, 1, &d, cr) == DSA_COMP_XFER_ERANGE, "status 0x%x", cr->status);
	CHECK(t, wait_irq(t, 2, c) == 1, "vector 2: %d interrupts after an error", irqs(t, 2) - c);
	all = all_irqs(t);
	cr = cr_new(t);
	desc_init(t, &d, DSA_OP_NOOP, DSA_FLAG_RCI, cr);
	d.int_handle = t->nvec;
	CHECK(t, run(t, 0, &d, cr) == DSA_COMP_INT_HANDLE_INVAL, "status 0x%x", cr->status);
	msleep(20);
	CHECK(t, all_irqs(t) == all, "%d interrupts for an invalid handle", all_irqs(t) - all);

	/* an error without a record address: SWERR, INTCAUSE.ERR and vector 0 */
	clear_errors(t);
	wr32(t, DSA_GENCTRL_OFFSET, DSA_GENCTRL_SOFTERR_INT_EN);
	c = irqs(t, 0);
	desc_move(t, &d, DSA_FLAG_BOF, NULL, t->src_dma, t->dst_dma, 64);
	submit(t, 1, &d);
	drain_wq(t, 1);
	info = swerr(t, 0);
	want = DSA_SWERR_VALID | DSA_SWERR_DESC_VALID | DSA_SWERR_WQ_VALID |
	       DSA_SET(DSA_SWERR_CODE, DSA_COMP_INVALID_FLAGS) | DSA_SET(DSA_SWERR_WQ, 1) |
	       DSA_SET(DSA_SWERR_OPCODE, DSA_OP_MEMMOVE);
	CHECK(t, info == want, "SWERR[0] 0x%llx, want 0x%llx", info, want);
	CHECK(t, DSA_GET(DSA_SWERR_INVALID_FLAGS, swerr(t, 1)) == DSA_FLAG_BOF,
	      "SWERR[1] 0x%llx: invalid flags", swerr(t, 1));
	CHECK(t, rd32(t, DSA_INTCAUSE_OFFSET) == DSA_INTCAUSE_ERR, "INTCAUSE 0x%x",
	      rd32(t, DSA_INTCAUSE_OFFSET));
	CHECK(t, wait_irq(t, 0, c) == 1, "vector 0: %d interrupts", irqs(t, 0) - c);
	/* a second error before software clears SWERR: OVERFLOW, first one kept */
	cr = cr_new(t);
	desc_init(t, &d, 0x33, 0, NULL);
	submit(t, 0, &d);
	drain_wq(t, 0);
	CHECK(t, swerr(t, 0) == (want | DSA_SWERR_OVERFLOW), "SWERR[0] 0x%llx after a second error",
	      swerr(t, 0));
	writel(DSA_SWERR_VALID | DSA_SWERR_OVERFLOW, t->regs + DSA_SWERR_OFFSET);
	CHECK(t, !(swerr(t, 0) & (DSA_SWERR_VALID | DSA_SWERR_OVERFLOW)),
	      "SWERR[0] 0x%llx after W1C", swerr(t, 0));
	wr32(t, DSA_INTCAUSE_OFFSET, DSA_INTCAUSE_ERR);
	CHECK(t, rd32(t, DSA_INTCAUSE_OFFSET) == 0, "INTCAUSE 0x%x", rd32(t, DSA_INTCAUSE_OFFSET));

	/* a misaligned record address: CRA_ALIGN in SWERR, nothing written */
	c = irqs(t, 0);
	cr = cr_pair(t);
	desc_init(t, &d, DSA_OP_BATCH, 0, NULL);	/* desc_count 0: an error */
	d.flags_op |= DSA_FLAG_CRAV;
	d.compl_addr = cr_addr(t, cr) + 8;
	submit(t, 0, &d);
	drain_wq(t, 0);
	info = swerr(t, 0);
	want = DSA_SWERR_VALID | DSA_SWERR_DESC_VALID | DSA_SWERR_WQ_VALID |
	       DSA_SET(DSA_SWERR_CODE, DSA_COMP_CRA_ALIGN) |
	       DSA_SET(DSA_SWERR_OPCODE, DSA_OP_BATCH);
	CHECK(t, (info & ~DSA_SWERR_FAULT_WRITE) == want, "SWERR[0] 0x%llx, want 0x%llx", info,
	      want);
	CHECK(t, swerr(t, 2) == cr_addr(t, cr) + 8, "SWERR[2] 0x%llx, want 0x%llx", swerr(t, 2),
	      cr_addr(t, cr) + 8);
	CHECK(t, all_are((u8 *)cr, 2 * DSA_COMPL_SIZE, 0), "a misaligned record was written");
	CHECK(t, wait_irq(t, 0, c) == 1, "vector 0: %d interrupts", irqs(t, 0) - c);
	clear_errors(t);
	/* ... also for a success with RCR */
	c = irqs(t, 0);
	desc_init(t, &d, DSA_OP_NOOP, DSA_FLAG_CRAV | DSA_FLAG_RCR, NULL);
	d.compl_addr = cr_addr(t, cr) + 16;
	submit(t, 0, &d);
	drain_wq(t, 0);
	CHECK(t, DSA_GET(DSA_SWERR_CODE, swerr(t, 0)) == DSA_COMP_CRA_ALIGN,
	      "SWERR[0] 0x%llx", swerr(t, 0));
	CHECK(t, wait_irq(t, 0, c) == 1, "vector 0: %d interrupts", irqs(t, 0) - c);
	CHECK(t, all_are((u8 *)cr, 2 * DSA_COMPL_SIZE, 0), "a misaligned record was written");
	clear_errors(t);

	/* without SOFTERR_INT_EN: SWERR, no INTCAUSE.ERR, no interrupt */
	wr32(t, DSA_GENCTRL_OFFSET, 0);
	c = irqs(t, 0);
	desc_init(t, &d, 0x40, 0, NULL);
	submit(t, 3, &d);
	drain_wq(t, 3);
	msleep(20);
	want = DSA_SWERR_VALID | DSA_SWERR_DESC_VALID | DSA_SWERR_WQ_VALID |
	       DSA_SET(DSA_SWERR_CODE, DSA_COMP_BAD_OPCODE) | DSA_SET(DSA_SWERR_WQ, 3) |
	       DSA_SET(DSA_SWERR_OPCODE, 0x40);
	CHECK(t, swerr(t, 0) == want, "SWERR[0] 0x%llx, want 0x%llx", swerr(t, 0), want);
	CHECK(t, rd32(t, DSA_INTCAUSE_OFFSET) == 0 && irqs(t, 0) == c,
	      "INTCAUSE 0x%x, %d interrupts without SOFTERR_INT_EN",
	      rd32(t, DSA_INTCAUSE_OFFSET), irqs(t, 0) - c);
	clear_errors(t);
	CHECK(t, swerr(t, 0) == want - DSA_SWERR_VALID, "SWERR[0] 0x%llx after W1C",
	      swerr(t, 0));
}

/* ------------------------------------------------------------------------ */
/* Batches                                                                  */

static u8 run_batch(struct dsa_test *t, struct dsa_completion *cr, u64 list, u32 count)
{
	struct dsa_desc d;

	desc_init(t, &d, DSA_OP_BATCH, 0, cr);
	d.desc_list = list;
	d.desc_count = count;
	return run(t, 0, &d, cr);
}

static void batch_expect(struct dsa_test *t, int line, const struct dsa_completion *cr, u8 st,
			 u32 n)
{
	if (cr->status != st || cr->bytes_completed != n) {
		pr_err("line %d: batch status 0x%x completed %u, want 0x%x %u\n", line,
		       cr->status, cr->bytes_completed, st, n);
		t->failures++;
	}
}

#define BATCH_EXPECT(t, cr, st, n) batch_expect(t, __LINE__, cr, st, n)

static void check_batch(struct dsa_test *t)
{
	struct dsa_completion *cr, *m[4];
	struct dsa_desc *l = t->list;
	unsigned int i;
	int c;

	std_config(t);
	fill_src(t, 4);

	/* two NOOPs, each with a record */
	cr = cr_new(t);
	for (i = 0; i < 2; i++) {
		m[i] = cr_new(t);
		desc_init(t, &l[i], DSA_OP_NOOP, 0, m[i]);
	}
	run_batch(t, cr, t->list_dma, 2);
	BATCH_EXPECT(t, cr, DSA_COMP_SUCCESS, 2);
	CHECK(t, m[0]->status == DSA_COMP_SUCCESS && m[1]->status == DSA_COMP_SUCCESS,
	      "members 0x%x 0x%x", m[0]->status, m[1]->status);

	/* the largest batch: 64-byte copies, only the last with a record */
	memset(t->dst, 0, t->max_batch * 128);
	for (i = 0; i < t->max_batch; i++)
		desc_move(t, &l[i], 0, NULL, t->src_dma + 3 * i, t->dst_dma + 128 * i, 64);
	m[0] = cr_new(t);
	desc_move(t, &l[t->max_batch - 1], 0, m[0], t->src_dma + 3 * (t->max_batch - 1),
		  t->dst_dma + 128 * (t->max_batch - 1), 64);
	cr = cr_new(t);
	run_batch(t, cr, t->list_dma, t->max_batch);
	BATCH_EXPECT(t, cr, DSA_COMP_SUCCESS, t->max_batch);
	CHECK(t, m[0]->status == DSA_COMP_SUCCESS, "last member 0x%x", m[0]->status);
	for (i = 0; i < t->max_batch; i++) {
		if (memcmp(t->dst + 128 * i, t->src + 3 * i, 64)) {
			CHECK(t, false, "member %u: data", i);
			break;
		}
	}

	/* descriptor counts and list alignment */
	cr = cr_new(t);
	run_batch(t, cr, t->list_dma, 0);
	BATCH_EXPECT(t, cr, DSA_COMP_DESC_CNT_ERANGE, 0);
	cr = cr_new(t);
	run_batch(t, cr, t->list_dma, 1);
	BATCH_EXPECT(t, cr, DSA_COMP_DESC_CNT_ERANGE, 0);
	cr = cr_new(t);
	run_batch(t, cr, t->list_dma, t->max_batch + 1);
	BATCH_EXPECT(t, cr, DSA_COMP_DESC_CNT_ERANGE, 0);
	cr = cr_new(t);
	run_batch(t, cr, t->list_dma + 32, 2);
	BATCH_EXPECT(t, cr, DSA_COMP_DESCLIST_ALIGN, 0);

	/* a member fails: BATCH_FAIL, each member's own record, the rest still runs */
	memset(t->dst, 0, 8192);
	for (i = 0; i < 3; i++) {
		m[i] = cr_new(t);
		desc_move(t, &l[i], 0, m[i], t->src_dma + 1000 * i, t->dst_dma + 1000 * i, 999);
	}
	l[1].flags_op = (l[1].flags_op & DSA_DESC_FLAGS_MASK) | (u32)DSA_OP_CRCGEN << 24;
	cr = cr_new(t);
	run_batch(t, cr, t->list_dma, 3);
	BATCH_EXPECT(t, cr, DSA_COMP_BATCH_FAIL, 3);
	CHECK(t, m[0]->status == DSA_COMP_SUCCESS && m[1]->status == DSA_COMP_BAD_OPCODE &&
	      m[2]->status == DSA_COMP_SUCCESS, "members 0x%x 0x%x 0x%x", m[0]->status,
	      m[1]->status, m[2]->status);
	CHECK(t, !memcmp(t->dst + 2000, t->src + 2000, 999), "member after the failure: data");

	/* a FENCE after a failure abandons the rest */
	memset(t->dst, 0, 8192);
	for (i = 0; i < 4; i++) {
		m[i] = cr_new(t);
		desc_move(t, &l[i], 0, m[i], t->src_dma + 1000 * i, t->dst_dma + 1000 * i, 999);
	}
	l[1].xfer_size = 0;
	l[2].flags_op |= DSA_FLAG_FENCE;
	cr = cr_new(t);
	run_batch(t, cr, t->list_dma, 4);
	BATCH_EXPECT(t, cr, DSA_COMP_BATCH_FAIL, 2);
	CHECK(t, m[0]->status == DSA_COMP_SUCCESS && m[1]->status == DSA_COMP_XFER_ERANGE &&
	      !m[2]->status && !m[3]->status, "members 0x%x 0x%x 0x%x 0x%x", m[0]->status,
	      m[1]->status, m[2]->status, m[3]->status);
	CHECK(t, all_are(t->dst + 2000, 2000, 0), "abandoned members copied");

	/* a FENCE after successes waits and runs */
	for (i = 0; i < 3; i++) {
		m[i] = cr_new(t);
		desc_move(t, &l[i], 0, m[i], t->src_dma + 1000 * i, t->dst_dma + 1000 * i, 999);
	}
	l[2].flags_op |= DSA_FLAG_FENCE;
	cr = cr_new(t);
	run_batch(t, cr, t->list_dma, 3);
	BATCH_EXPECT(t, cr, DSA_COMP_SUCCESS, 3);
	CHECK(t, m[2]->status == DSA_COMP_SUCCESS, "fenced member 0x%x", m[2]->status);

	/* CHECK_RESULT: a compare that is not as expected stops a fenced member */
	memcpy(t->dst + SZ_1M, t->src + SZ_1M, 4096);
	t->dst[SZ_1M + 100] ^= 1;
	m[0] = cr_new(t);
	desc_init(t, &l[0], DSA_OP_COMPARE, DSA_FLAG_CHECK_RESULT, m[0]);
	l[0].src = t->src_dma + SZ_1M;
	l[0].src2 = t->dst_dma + SZ_1M;
	l[0].xfer_size = 4096;
	m[1] = cr_new(t);
	desc_init(t, &l[1], DSA_OP_NOOP, DSA_FLAG_FENCE, m[1]);
	cr = cr_new(t);
	run_batch(t, cr, t->list_dma, 2);
	BATCH_EXPECT(t, cr, DSA_COMP_BATCH_FAIL, 1);
	CHECK(t, m[0]->status == DSA_COMP_SUCCESS_PRED && m[0]->result == 1 &&
	      m[0]->bytes_completed == 100 && !m[1]->status, "members 0x%x (result %u at %u) 0x%x",
	      m[0]->status, m[0]->result, m[0]->bytes_completed, m[1]->status);
	/* ... and lets it run when the result is as expected */
	l[0].expected_result = 1;
	m[0]->status = 0;
	cr = cr_new(t);
	run_batch(t, cr, t->list_dma, 2);
	BATCH_EXPECT(t, cr, DSA_COMP_SUCCESS, 2);
	CHECK(t, m[0]->status == DSA_COMP_SUCCESS && m[1]->status == DSA_COMP_SUCCESS,
	      "members 0x%x 0x%x", m[0]->status, m[1]->status);

	/* BATCH and DRAIN are not allowed inside a batch */
	m[0] = cr_new(t);
	desc_init(t, &l[0], DSA_OP_BATCH, 0, m[0]);
	l[0].desc_list = t->list_dma + 2 * DSA_DESC_SIZE;
	l[0].desc_count = 2;
	m[1] = cr_new(t);
	desc_init(t, &l[1], DSA_OP_DRAIN, 0, m[1]);
	desc_init(t, &l[2], DSA_OP_NOOP, 0, NULL);
	desc_init(t, &l[3], DSA_OP_NOOP, 0, NULL);
	cr = cr_new(t);
	run_batch(t, cr, t->list_dma, 2);
	BATCH_EXPECT(t, cr, DSA_COMP_BATCH_FAIL, 2);
	CHECK(t, m[0]->status == DSA_COMP_BAD_OPCODE && m[1]->status == DSA_COMP_BAD_OPCODE,
	      "members 0x%x 0x%x", m[0]->status, m[1]->status);

	/* a member's error without a record: SWERR names the batch and the member */
	clear_errors(t);
	desc_init(t, &l[0], DSA_OP_NOOP, 0, NULL);
	desc_init(t, &l[1], DSA_OP_NOOP, 0, NULL);
	desc_init(t, &l[2], 0x21, 0, NULL);
	cr = cr_new(t);
	run_batch(t, cr, t->list_dma, 3);
	BATCH_EXPECT(t, cr, DSA_COMP_BATCH_FAIL, 3);
	CHECK(t, swerr(t, 0) == (DSA_SWERR_VALID | DSA_SWERR_DESC_VALID | DSA_SWERR_WQ_VALID |
				 DSA_SWERR_BATCH | DSA_SET(DSA_SWERR_CODE, DSA_COMP_BAD_OPCODE) |
				 DSA_SET(DSA_SWERR_OPCODE, 0x21)) &&
	      swerr(t, 1) == DSA_SET(DSA_SWERR_BATCH_INDEX, 2),
	      "SWERR 0x%llx 0x%llx for member 2", swerr(t, 0), swerr(t, 1));
	clear_errors(t);

	/* a member's RCI interrupts on its vector */
	c = irqs(t, 4);
	desc_init(t, &l[0], DSA_OP_NOOP, 0, NULL);
	desc_init(t, &l[1], DSA_OP_NOOP, DSA_FLAG_RCI, NULL);
	l[1].int_handle = 4;
	cr = cr_new(t);
	run_batch(t, cr, t->list_dma, 2);
	BATCH_EXPECT(t, cr, DSA_COMP_SUCCESS, 2);
	CHECK(t, wait_irq(t, 4, c) == 1, "vector 4: %d interrupts", irqs(t, 4) - c);
}

/* ------------------------------------------------------------------------ */
/* Queues: full, disabled, busy; what portals refuse                        */

/* WQ 1 runs a batch of BUSY_MEMBERS 4 MiB fills; true once it took it. */
static bool start_busy(struct dsa_test *t, struct dsa_completion *cr)
{
	unsigned long end = jiffies + msecs_to_jiffies(WAIT_MS);
	struct dsa_desc d;
	unsigned int i;

	for (i = 0; i < BUSY_MEMBERS; i++) {
		desc_init(t, &t->list[i], DSA_OP_MEMFILL, 0, NULL);
		t->list[i].pattern = i;
		t->list[i].dst = t->dst_dma;
		t->list[i].xfer_size = BUF_SIZE;
	}
	desc_init(t, &d, DSA_OP_BATCH, 0, cr);
	d.desc_list = t->list_dma;
	d.desc_count = BUSY_MEMBERS;
	submit(t, 1, &d);
	while (wq_occupancy(t, 1) && time_before(jiffies, end))
		usleep_range(10, 50);
	return !wq_occupancy(t, 1) && !cr_status(cr);
}

static void check_queues(struct dsa_test *t)
{
	struct dsa_completion *busy, *cr[8], *more[32];
	struct dsa_desc d;
	unsigned int i, n;
	u32 sts, drain;
	u64 q[8];

	std_config(t);

	/* WQ 1 (4 slots) busy: 8 more descriptors, the first 4 are queued, the rest dropped */
	busy = cr_new(t);
	CHECK(t, start_busy(t, busy), "the busy batch: status 0x%x occupancy %u",
	      cr_status(busy), wq_occupancy(t, 1));
	for (i = 0; i < 8; i++) {
		cr[i] = cr_new(t);
		desc_init(t, &d, DSA_OP_NOOP, 0, cr[i]);
		submit(t, 1, &d);
	}
	CHECK(t, wq_occupancy(t, 1) == 4, "occupancy %u of 4", wq_occupancy(t, 1));
	CHECK(t, !cr_status(busy), "the busy batch ended too early (status 0x%x)",
	      cr_status(busy));
	/* DRAIN_WQ stays active while WQ 1 works; CMD is ignored meanwhile */
	drain = cmd_word(DSA_CMD_DRAIN_WQ, DSA_CMD_WQ_SET(1));
	wr32(t, DSA_CMD_OFFSET, drain);
	sts = rd32(t, DSA_CMDSTS_OFFSET);
	CHECK(t, sts == DSA_CMDSTS_ACTIVE, "CMDSTS 0x%x during DRAIN_WQ", sts);
	wr32(t, DSA_CMD_OFFSET, cmd_word(DSA_CMD_ABORT_WQ, DSA_CMD_WQ_SET(1)));
	CHECK(t, rd32(t, DSA_CMD_OFFSET) == drain, "CMD 0x%x written while active",
	      rd32(t, DSA_CMD_OFFSET));
	sts = cmd_wait(t);
	CHECK(t, sts == DSA_CMDERR_OK, "DRAIN_WQ: CMDSTS 0x%x", sts);
	dma_rmb();
	CHECK(t, busy->status == DSA_COMP_SUCCESS && busy->bytes_completed == BUSY_MEMBERS,
	      "the busy batch after the drain: status 0x%x completed %u", busy->status,
	      busy->bytes_completed);
	for (i = 0, n = 0; i < 8; i++)
		n += cr[i]->status == DSA_COMP_SUCCESS;
	CHECK(t, n == 4 && cr[3]->status && !cr[4]->status,
	      "%u of 8 descriptors done after the drain, want the first 4", n);
	CHECK(t, pattern_ok(t->dst, BUF_SIZE, BUSY_MEMBERS - 1), "the busy batch: data");

	/* ABORT_WQ drops the queued work and the running batch at once */
	busy = cr_new(t);
	CHECK(t, start_busy(t, busy), "the busy batch: status 0x%x", cr_status(busy));
	for (i = 0; i < 4; i++) {
		cr[i] = cr_new(t);
		desc_init(t, &d, DSA_OP_NOOP, 0, cr[i]);
		submit(t, 1, &d);
	}
	CHECK(t, wq_occupancy(t, 1) == 4, "occupancy %u of 4", wq_occupancy(t, 1));
	CMD_EXPECT(t, DSA_CMD_ABORT_WQ, DSA_CMD_WQ_SET(1), DSA_CMDERR_OK);
	CHECK(t, wq_occupancy(t, 1) == 0 && wq_enabled(t, 1), "WQ 1 status 0x%x after ABORT_WQ",
	      wq_word(t, 1, DSA_WQCFG_DW_STATUS));
	msleep(50);
	CHECK(t, !busy->status && !cr[0]->status && !cr[3]->status,
	      "aborted work completed: 0x%x 0x%x", busy->status, cr[0]->status);
	cr[0] = cr_new(t);
	desc_init(t, &d, DSA_OP_NOOP, 0, cr[0]);
	CHECK(t, run(t, 1, &d, cr[0]) == DSA_COMP_SUCCESS, "NOOP after ABORT_WQ: 0x%x",
	      cr[0]->status);

	/* DISABLE_WQ waits for the WQ's work too, then disables it */
	busy = cr_new(t);
	CHECK(t, start_busy(t, busy), "the busy batch: status 0x%x", cr_status(busy));
	cr[0] = cr_new(t);
	desc_init(t, &d, DSA_OP_NOOP, 0, cr[0]);
	submit(t, 1, &d);
	wr32(t, DSA_CMD_OFFSET, cmd_word(DSA_CMD_DISABLE_WQ, DSA_CMD_WQ_SET(1)));
	sts = rd32(t, DSA_CMDSTS_OFFSET);
	CHECK(t, sts == DSA_CMDSTS_ACTIVE, "CMDSTS 0x%x during DISABLE_WQ", sts);
	sts = cmd_wait(t);
	dma_rmb();
	CHECK(t, sts == DSA_CMDERR_OK && busy->status == DSA_COMP_SUCCESS &&
	      cr[0]->status == DSA_COMP_SUCCESS && !wq_enabled(t, 1),
	      "DISABLE_WQ: CMDSTS 0x%x, work 0x%x 0x%x, WQ 1 status 0x%x", sts, busy->status,
	      cr[0]->status, wq_word(t, 1, DSA_WQCFG_DW_STATUS));
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 1, DSA_CMDERR_OK);

	/* a descriptor to a disabled WQ is dropped, also when the WQ is enabled later */
	cr[0] = cr_new(t);
	desc_init(t, &d, DSA_OP_NOOP, 0, cr[0]);
	submit(t, 2, &d);
	cr[1] = cr_new(t);
	desc_init(t, &d, DSA_OP_NOOP, 0, cr[1]);
	submit(t, 7, &d);
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 2, DSA_CMDERR_OK);
	drain_wq(t, 2);
	msleep(20);
	CHECK(t, !cr[0]->status && !cr[1]->status, "descriptors to disabled WQs ran: 0x%x 0x%x",
	      cr[0]->status, cr[1]->status);
	cr[0] = cr_new(t);
	desc_init(t, &d, DSA_OP_NOOP, 0, cr[0]);
	CHECK(t, run(t, 2, &d, cr[0]) == DSA_COMP_SUCCESS, "NOOP on WQ 2: 0x%x", cr[0]->status);

	/*
	 * WQ 0 enabled again with more slots while WQs 1 and 2 hold some: it
	 * must get slots of its own. WQ 1 busy, 4 queued on WQ 1 and 4 on WQ 2,
	 * then 24 on WQ 0: all 32 complete, each once.
	 */
	CMD_EXPECT(t, DSA_CMD_DISABLE_WQ, DSA_CMD_WQ_SET(0), DSA_CMDERR_OK);
	wq_set(t, 0, 24, WQ_DED, wq_limits(max_xfer_log2, 10));
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 0, DSA_CMDERR_OK);
	busy = cr_new(t);
	CHECK(t, start_busy(t, busy), "the busy batch: status 0x%x", cr_status(busy));
	for (i = 0; i < 32; i++) {
		more[i] = cr_new(t);
		desc_init(t, &d, DSA_OP_NOOP, 0, more[i]);
		submit(t, i < 4 ? 1 : i < 8 ? 2 : 0, &d);
	}
	CHECK(t, wq_occupancy(t, 0) == 24 && wq_occupancy(t, 1) == 4 && wq_occupancy(t, 2) == 4,
	      "occupancy %u %u %u", wq_occupancy(t, 0), wq_occupancy(t, 1), wq_occupancy(t, 2));
	CMD_EXPECT(t, DSA_CMD_DRAIN_ALL, 0, DSA_CMDERR_OK);
	for (i = 0, n = 0; i < 32; i++)
		n += more[i]->status == DSA_COMP_SUCCESS;
	CHECK(t, n == 32 && busy->status == DSA_COMP_SUCCESS,
	      "%u of 32 descriptors on WQs 0-2 done (WQ 1: 0x%x 0x%x 0x%x 0x%x)", n,
	      more[0]->status, more[1]->status, more[2]->status, more[3]->status);
	/* ... and a fifth WQ gets no more than the slots left */
	wq_set(t, 4, t->total_size - 24 - 4 - 4 - 4 + 1, WQ_DED, wq_limits(max_xfer_log2, 10));
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 4, DSA_CMDERR_ENWQ_SIZE);
	wq_set(t, 4, 16, WQ_DED, wq_limits(max_xfer_log2, 10));
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 4, DSA_CMDERR_OK);

	/* plain stores to a portal are not descriptors */
	cr[0] = cr_new(t);
	desc_init(t, &d, DSA_OP_NOOP, 0, cr[0]);
	memcpy(q, &d, sizeof(q));
	for (i = 0; i < 8; i++)
		writeq(q[i], t->portals + DSA_PORTAL_OFFSET(0, DSA_PORTAL_UNLIMITED) + 8 * i);
	memcpy_toio(t->portals + DSA_PORTAL_OFFSET(0, DSA_PORTAL_LIMITED) + 64, &d, sizeof(d));
	for (i = 0; i < 16; i++)
		writel(((u32 *)q)[i], t->portals + DSA_PORTAL_OFFSET(0, DSA_PORTAL_UNLIMITED) +
		       128 + 4 * i);
	drain_wq(t, 0);
	msleep(20);
	CHECK(t, !cr[0]->status, "plain stores made a descriptor: 0x%x", cr[0]->status);
	CHECK(t, readq(t->portals + DSA_PORTAL_OFFSET(0, DSA_PORTAL_UNLIMITED)) == 0,
	      "portal reads non-zero");
	CHECK(t, run(t, 0, &d, cr[0]) == DSA_COMP_SUCCESS, "MOVDIR64B after plain stores: 0x%x",
	      cr[0]->status);
}

/* ------------------------------------------------------------------------ */
/* Faults behind the vIOMMU                                                 */

static u8 move_fault(struct dsa_test *t, u8 op, u64 src, u64 dst, u32 size,
		     struct dsa_completion **crp)
{
	struct dsa_completion *cr = cr_new(t);
	struct dsa_desc d;

	desc_move(t, &d, 0, cr, src, dst, size);
	d.flags_op = (d.flags_op & DSA_DESC_FLAGS_MASK) | (u32)op << 24;
	*crp = cr;
	return run(t, 0, &d, cr);
}

static void fault_expect(struct dsa_test *t, int line, const struct dsa_completion *cr, u8 st,
			 u64 addr, u32 bytes)
{
	if (cr->status != st || cr->fault_addr != addr || cr->bytes_completed != bytes) {
		pr_err("line %d: status 0x%x fault 0x%llx bytes %u, want 0x%x 0x%llx %u\n", line,
		       cr->status, cr->fault_addr, cr->bytes_completed, st, addr, bytes);
		t->failures++;
	}
}

#define FAULT_EXPECT(t, cr, st, addr, bytes) fault_expect(t, __LINE__, cr, st, addr, bytes)

/* A buffer of ours whose end is followed by an unmapped IOVA page: its end (0: none). */
static u64 end_before_hole(struct iommu_domain *dom, u64 dma, size_t size)
{
	return iommu_iova_to_phys(dom, dma + size) ? 0 : dma + size;
}

/*
 * The device's own BARs as DMA addresses (mapped with dma_map_resource()):
 * the model refuses DMA to its own registers and portals, so each access is a
 * page fault at the BAR address (a record there: SWERR CRA_XLAT), and nothing
 * it would have written takes effect. With bh, a 2 MiB copy goes before each
 * descriptor, so that the model runs it in its bottom half, not in the portal
 * write.
 */
static void self_busy(struct dsa_test *t, bool bh)
{
	struct dsa_desc d;

	if (bh) {
		desc_move(t, &d, 0, NULL, t->src_dma + SZ_2M, t->dst_dma + SZ_2M, SZ_2M - 64);
		submit(t, 0, &d);
	}
}

static void check_self_dma(struct dsa_test *t, bool bh)
{
	const u32 cmd = cmd_word(DSA_CMD_RESET_DEVICE, 0);
	struct dsa_completion *cr, *cr2;
	struct dsa_desc d, noop;
	dma_addr_t bar0, bar2;

	bar0 = dma_map_resource(t->dev, pci_resource_start(t->pdev, DSA_BAR_REGS),
				DSA_MSIX_TABLE_OFFSET, DMA_BIDIRECTIONAL, 0);
	bar2 = dma_map_resource(t->dev, pci_resource_start(t->pdev, DSA_BAR_PORTALS),
				DSA_WQ_PORTALS_SIZE, DMA_BIDIRECTIONAL, 0);
	if (dma_mapping_error(t->dev, bar0) || dma_mapping_error(t->dev, bar2)) {
		CHECK(t, false, "dma_map_resource of the BARs failed");
		goto out;
	}
	clear_errors(t);
	/* reading the registers */
	memset(t->dst, GUARD, 4096);
	self_busy(t, bh);
	move_fault(t, DSA_OP_MEMMOVE, bar0, t->dst_dma, 4096, &cr);
	FAULT_EXPECT(t, cr, DSA_COMP_PAGE_FAULT_NOBOF, bar0, 0);
	CHECK(t, all_are(t->dst, 4096, GUARD), "copy from BAR0 wrote");
	/* writing a command, then GENCFG to SWERR */
	self_busy(t, bh);
	move_fault(t, DSA_OP_MEMFILL, cmd, bar0 + DSA_CMD_OFFSET, 8, &cr);
	FAULT_EXPECT(t, cr, DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_FAULT_WRITE,
		     bar0 + DSA_CMD_OFFSET, 0);
	CHECK(t, dev_state(t) == DSA_STATE_ENABLED && wq_enabled(t, 0) &&
	      rd32(t, DSA_CMD_OFFSET) != cmd, "the device ran a command it wrote");
	self_busy(t, bh);
	move_fault(t, DSA_OP_MEMFILL, ~0ULL, bar0 + DSA_GENCFG_OFFSET, 0x60, &cr);
	FAULT_EXPECT(t, cr, DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_FAULT_WRITE,
		     bar0 + DSA_GENCFG_OFFSET, 0);
	CHECK(t, rd32(t, DSA_GENCTRL_OFFSET) == 0 && rd32(t, DSA_INTCAUSE_OFFSET) == 0,
	      "GENCTRL 0x%x INTCAUSE 0x%x written by the device",
	      rd32(t, DSA_GENCTRL_OFFSET), rd32(t, DSA_INTCAUSE_OFFSET));
	/* a record for the registers */
	desc_init(t, &d, 0x60, DSA_FLAG_CRAV, NULL);
	d.compl_addr = bar0 + DSA_SWERR_OFFSET;
	self_busy(t, bh);
	submit(t, 0, &d);
	drain_wq(t, 0);
	CHECK(t, (swerr(t, 0) & DSA_SWERR_VALID) &&
	      DSA_GET(DSA_SWERR_CODE, swerr(t, 0)) == DSA_COMP_CRA_XLAT &&
	      swerr(t, 2) == bar0 + DSA_SWERR_OFFSET, "SWERR 0x%llx 0x%llx", swerr(t, 0),
	      swerr(t, 2));
	clear_errors(t);
	/* a descriptor copied to a portal is no descriptor */
	cr2 = cr_new(t);
	desc_init(t, &noop, DSA_OP_NOOP, 0, cr2);
	memcpy(t->src, &noop, sizeof(noop));
	self_busy(t, bh);
	move_fault(t, DSA_OP_MEMMOVE, t->src_dma, bar2, DSA_DESC_SIZE, &cr);
	FAULT_EXPECT(t, cr, DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_FAULT_WRITE, bar2, 0);
	drain_wq(t, 0);
	msleep(20);
	CHECK(t, !cr_status(cr2), "a descriptor the device wrote to its portal ran: 0x%x",
	      cr_status(cr2));
	/* a batch list in the registers */
	cr = cr_new(t);
	self_busy(t, bh);
	run_batch(t, cr, bar0 + 0x100, 2);
	FAULT_EXPECT(t, cr, DSA_COMP_BATCH_PAGE_FAULT, bar0 + 0x100, 0);
out:
	if (!dma_mapping_error(t->dev, bar0))
		dma_unmap_resource(t->dev, bar0, DSA_MSIX_TABLE_OFFSET, DMA_BIDIRECTIONAL, 0);
	if (!dma_mapping_error(t->dev, bar2))
		dma_unmap_resource(t->dev, bar2, DSA_WQ_PORTALS_SIZE, DMA_BIDIRECTIONAL, 0);
}

/*
 * Targets no root complex routes a memory request to: the device's own
 * configuration space through ECAM (a write of 0 to its Command register
 * would stop its bus mastering) and the MSI window. Each access is a page
 * fault at that address and changes nothing.
 */
static void check_hostile_targets(struct dsa_test *t)
{
	const phys_addr_t msi = 0xfee00000;
	struct dsa_completion *cr;
	phys_addr_t cfg_phys;
	dma_addr_t cfg, msiw;
	u16 cmd, now;

	if (!ecam) {
		CHECK(t, false, "the ecam parameter is missing");
		return;
	}
	cfg_phys = ecam + ((phys_addr_t)t->pdev->bus->number << 20) +
		   ((phys_addr_t)t->pdev->devfn << 12);
	cfg = dma_map_resource(t->dev, cfg_phys, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
	msiw = dma_map_resource(t->dev, msi, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
	if (dma_mapping_error(t->dev, cfg) || dma_mapping_error(t->dev, msiw)) {
		CHECK(t, false, "dma_map_resource of ECAM or the MSI window failed");
		goto out;
	}
	clear_errors(t);
	pci_read_config_word(t->pdev, PCI_COMMAND, &cmd);
	move_fault(t, DSA_OP_MEMFILL, 0, cfg + PCI_COMMAND, 2, &cr);
	FAULT_EXPECT(t, cr, DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_FAULT_WRITE, cfg + PCI_COMMAND, 0);
	pci_read_config_word(t->pdev, PCI_COMMAND, &now);
	CHECK(t, now == cmd, "the device wrote its own Command register: 0x%x -> 0x%x", cmd, now);
	memset(t->dst, GUARD, 4096);
	move_fault(t, DSA_OP_MEMMOVE, cfg, t->dst_dma, 256, &cr);
	FAULT_EXPECT(t, cr, DSA_COMP_PAGE_FAULT_NOBOF, cfg, 0);
	CHECK(t, all_are(t->dst, 4096, GUARD), "a copy from configuration space wrote");
	move_fault(t, DSA_OP_MEMFILL, 0x4041, msiw, 4, &cr);
	FAULT_EXPECT(t, cr, DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_FAULT_WRITE, msiw, 0);
	/* The device still works. */
	memset(t->src, 0x3c, 4096);
	memset(t->dst, 0, 4096);
	move_fault(t, DSA_OP_MEMMOVE, t->src_dma, t->dst_dma, 4096, &cr);
	CHECK(t, cr->status == DSA_COMP_SUCCESS && all_are(t->dst, 4096, 0x3c),
	      "a copy after the hostile targets: status 0x%x", cr->status);
out:
	if (!dma_mapping_error(t->dev, cfg))
		dma_unmap_resource(t->dev, cfg, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
	if (!dma_mapping_error(t->dev, msiw))
		dma_unmap_resource(t->dev, msiw, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
}

static void check_iommu(struct dsa_test *t)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(t->dev);
	u64 r = t->edge_r_dma, w = t->edge_w_dma, hole = w + PAGE_SIZE, end, other_dma;
	u8 *wp = page_address(t->edge_w), *buf, *other;
	struct dsa_completion *cr, *m;
	struct dsa_desc d;
	u64 rd_stop;		/* where a read running from r onwards faults */
	u32 rd_bytes;		/* and how many bytes from r + 4000 it reads */

	if (!dom || !iommu_iova_to_phys(dom, t->src_dma)) {
		CHECK(t, false, "no translating IOMMU domain (run with --iommu on)");
		return;
	}
	if (r + PAGE_SIZE != w || iommu_iova_to_phys(dom, hole)) {
		CHECK(t, false, "IOVA layout: pages 0x%llx, 0x%llx, then 0x%llx %s", r, w, hole,
		      iommu_iova_to_phys(dom, hole) ? "mapped" : "unmapped");
		return;
	}
	std_config(t);
	fill_src(t, 5);
	memcpy(page_address(t->edge_r), t->src, PAGE_SIZE);
	dma_sync_single_for_device(t->dev, r, PAGE_SIZE, DMA_TO_DEVICE);
	memcpy(wp, t->src + PAGE_SIZE, PAGE_SIZE);
	dma_sync_single_for_device(t->dev, w, PAGE_SIZE, DMA_FROM_DEVICE);

	/*
	 * Whether the device may read the page mapped FROM_DEVICE: the VT-d
	 * page tables of 6.x kernels make every mapping readable, those of 7.x
	 * map FROM_DEVICE write-only. Either way the model must fault exactly
	 * where the IOMMU refuses.
	 */
	move_fault(t, DSA_OP_MEMMOVE, w, t->dst_dma, 64, &cr);
	if (cr->status == DSA_COMP_SUCCESS) {
		rd_stop = hole;
		rd_bytes = PAGE_SIZE + 96;
	} else {
		FAULT_EXPECT(t, cr, DSA_COMP_PAGE_FAULT_NOBOF, w, 0);
		rd_stop = w;
		rd_bytes = 96;
	}
	/* Read faults: the source runs from the read-only page into rd_stop. */
	memset(t->dst, 0, 3 * PAGE_SIZE);
	move_fault(t, DSA_OP_MEMMOVE, r + 4000, t->dst_dma, PAGE_SIZE + 200, &cr);
	FAULT_EXPECT(t, cr, DSA_COMP_PAGE_FAULT_NOBOF, rd_stop, rd_bytes);
	CHECK(t, !memcmp(t->dst, t->src + 4000, rd_bytes), "bytes before the read fault");
	CHECK(t, all_are(t->dst + rd_bytes, PAGE_SIZE + 200 - rd_bytes, 0),
	      "bytes after the read fault");
	move_fault(t, DSA_OP_MEMMOVE, hole + 8, t->dst_dma, 200, &cr);
	FAULT_EXPECT(t, cr, DSA_COMP_PAGE_FAULT_NOBOF, hole + 8, 0);
	/* compares read both */
	move_fault(t, DSA_OP_COMPARE, t->dst_dma, r + 4000, PAGE_SIZE + 300, &cr);
	FAULT_EXPECT(t, cr, DSA_COMP_PAGE_FAULT_NOBOF, rd_stop, rd_bytes);
	move_fault(t, DSA_OP_COMPVAL, hole, 0, 64, &cr);
	FAULT_EXPECT(t, cr, DSA_COMP_PAGE_FAULT_NOBOF, hole, 0);
	/* write faults: the destination runs from a writable page into nothing */
	move_fault(t, DSA_OP_MEMMOVE, t->src_dma, w + 4000, 200, &cr);
	FAULT_EXPECT(t, cr, DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_FAULT_WRITE, hole, 96);
	dma_sync_single_for_cpu(t->dev, w, PAGE_SIZE, DMA_FROM_DEVICE);
	CHECK(t, !memcmp(wp + 4000, t->src, 96), "bytes before the write fault");
	move_fault(t, DSA_OP_MEMFILL, 0x1122334455667788ULL, w + 4090, 100, &cr);
	FAULT_EXPECT(t, cr, DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_FAULT_WRITE, hole, 6);
	/* the read-only page */
	move_fault(t, DSA_OP_MEMMOVE, t->src_dma, r + 8, 64, &cr);
	FAULT_EXPECT(t, cr, DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_FAULT_WRITE, r + 8, 0);
	move_fault(t, DSA_OP_MEMFILL, 0, r + 4000, 200, &cr);
	FAULT_EXPECT(t, cr, DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_FAULT_WRITE, r + 4000, 0);

	/* long copies that fault after more than one piece, at the end of src or dst */
	end = end_before_hole(dom, t->src_dma, BUF_SIZE);
	buf = t->src;
	other = t->dst;
	other_dma = t->dst_dma;
	if (!end) {
		end = end_before_hole(dom, t->dst_dma, BUF_SIZE);
		buf = t->dst;
		other = t->src;
		other_dma = t->src_dma;
	}
	CHECK(t, end, "neither src nor dst is followed by an unmapped IOVA");
	if (end) {
		memset(other, 0, 300000);
		move_fault(t, DSA_OP_MEMMOVE, end - 100000, other_dma, 300000, &cr);
		FAULT_EXPECT(t, cr, DSA_COMP_PAGE_FAULT_NOBOF, end, 100000);
		CHECK(t, !memcmp(other, buf + BUF_SIZE - 100000, 100000),
		      "bytes before the read fault");
		CHECK(t, all_are(other + 100000, 200000, 0), "bytes after the read fault");
		move_fault(t, DSA_OP_MEMMOVE, other_dma + 1, end - 70001, 200000, &cr);
		FAULT_EXPECT(t, cr, DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_FAULT_WRITE, end, 70001);
		CHECK(t, !memcmp(buf + BUF_SIZE - 70001, other + 1, 70001),
		      "bytes before the write fault");
	}

	/* a record the device cannot write: SWERR CRA_XLAT */
	clear_errors(t);
	desc_init(t, &d, 0x50, DSA_FLAG_CRAV, NULL);
	d.compl_addr = hole + 64;
	submit(t, 0, &d);
	drain_wq(t, 0);
	CHECK(t, DSA_GET(DSA_SWERR_CODE, swerr(t, 0)) == DSA_COMP_CRA_XLAT &&
	      (swerr(t, 0) & DSA_SWERR_VALID) && swerr(t, 2) == hole + 64,
	      "SWERR 0x%llx 0x%llx", swerr(t, 0), swerr(t, 2));
	clear_errors(t);
	desc_init(t, &d, DSA_OP_NOOP, DSA_FLAG_CRAV | DSA_FLAG_RCR, NULL);
	d.compl_addr = r;		/* read-only */
	submit(t, 0, &d);
	drain_wq(t, 0);
	CHECK(t, DSA_GET(DSA_SWERR_CODE, swerr(t, 0)) == DSA_COMP_CRA_XLAT &&
	      swerr(t, 2) == r, "SWERR 0x%llx 0x%llx", swerr(t, 0), swerr(t, 2));
	clear_errors(t);

	/* batches: a list that cannot be read, a member that faults */
	cr = cr_new(t);
	run_batch(t, cr, hole, 2);
	FAULT_EXPECT(t, cr, DSA_COMP_BATCH_PAGE_FAULT, hole, 0);
	memset(wp + PAGE_SIZE - DSA_DESC_SIZE, 0, DSA_DESC_SIZE);	/* a NOOP */
	dma_sync_single_for_device(t->dev, w, PAGE_SIZE, DMA_FROM_DEVICE);
	cr = cr_new(t);
	run_batch(t, cr, w + PAGE_SIZE - DSA_DESC_SIZE, 2);
	if (rd_stop == hole)	/* the NOOP was read, the second entry faults */
		FAULT_EXPECT(t, cr, DSA_COMP_BATCH_PAGE_FAULT, hole, 1);
	else
		FAULT_EXPECT(t, cr, DSA_COMP_BATCH_PAGE_FAULT, w + PAGE_SIZE - DSA_DESC_SIZE, 0);
	desc_init(t, &t->list[0], DSA_OP_NOOP, 0, NULL);
	m = cr_new(t);
	desc_move(t, &t->list[1], 0, m, hole + 100, t->dst_dma, 64);
	cr = cr_new(t);
	run_batch(t, cr, t->list_dma, 2);
	CHECK(t, cr->status == DSA_COMP_BATCH_FAIL && cr->bytes_completed == 2,
	      "batch status 0x%x completed %u", cr->status, cr->bytes_completed);
	FAULT_EXPECT(t, m, DSA_COMP_PAGE_FAULT_NOBOF, hole + 100, 0);

	check_self_dma(t, false);
	check_self_dma(t, true);
	check_hostile_targets(t);

	/* bus mastering off: every access fails, nothing is written */
	pci_clear_master(t->pdev);
	memset(t->dst, 0, 4096);
	desc_move(t, &d, 0, NULL, t->src_dma, t->dst_dma, 4096);
	submit(t, 0, &d);
	drain_wq(t, 0);
	pci_set_master(t->pdev);
	CHECK(t, all_are(t->dst, 4096, 0), "copied with bus mastering off");
	CHECK(t, swerr(t, 0) & DSA_SWERR_VALID, "no SWERR for a copy without bus mastering");
	clear_errors(t);
	copy_check(t, 0, 4096, 0, 1);
}

/* ------------------------------------------------------------------------ */
/* Fault injection (fail-nth, fail-every, fail-op)                          */

static void check_inject(struct dsa_test *t)
{
	static const u8 ops[] = { DSA_OP_MEMMOVE, DSA_OP_MEMFILL, DSA_OP_COMPARE,
				  DSA_OP_MEMMOVE, DSA_OP_COMPVAL, DSA_OP_MEMMOVE,
				  DSA_OP_MEMFILL, DSA_OP_MEMMOVE, DSA_OP_COMPARE };
	struct dsa_completion *cr, *m;
	unsigned int i, k = 0, failed = 0;
	struct dsa_desc d;
	u64 src, dst;
	bool fail, write;
	u8 op, want;

	std_config(t);
	fill_src(t, 6);
	memcpy(t->dst, t->src, BUF_SIZE / 2);
	for (i = 0; i < 3 * ARRAY_SIZE(ops); i++) {
		/* a NOOP in between: it is not a data descriptor */
		cr = cr_new(t);
		desc_init(t, &d, DSA_OP_NOOP, 0, cr);
		CHECK(t, run(t, 0, &d, cr) == DSA_COMP_SUCCESS, "NOOP: 0x%x", cr->status);

		op = ops[i % ARRAY_SIZE(ops)];
		k++;
		fail = (fail_nth && k == fail_nth) || (fail_every && k % fail_every == 0);
		failed += fail;
		src = t->src_dma + 8192 * i;
		dst = t->dst_dma + BUF_SIZE / 2 + 8192 * i;
		if (op == DSA_OP_COMPARE)
			dst = src - t->src_dma + t->dst_dma;
		memset(t->dst + BUF_SIZE / 2 + 8192 * i, GUARD, 8192);
		cr = cr_new(t);
		desc_move(t, &d, 0, cr, src, dst, 5000);
		d.flags_op = (d.flags_op & DSA_DESC_FLAGS_MASK) | (u32)op << 24;
		if (op == DSA_OP_MEMFILL || op == DSA_OP_COMPVAL)
			d.pattern = 0x0102030405060708ULL;	/* src / dst as patterns */
		if (op == DSA_OP_MEMFILL)
			d.dst = dst;
		if (op == DSA_OP_COMPVAL) {
			write_pattern(t->src + 8192 * i, 5000, 0x55);
			d.src = src;
			d.comp_pattern = 0x55;
		}
		/* a batch member counts like a descriptor */
		if (i % 4 == 3) {
			m = cr;
			memcpy(&t->list[0], &d, sizeof(d));
			desc_init(t, &t->list[1], DSA_OP_NOOP, 0, NULL);
			cr = cr_new(t);
			run_batch(t, cr, t->list_dma, 2);
			CHECK(t, cr->status == (fail ? DSA_COMP_BATCH_FAIL : DSA_COMP_SUCCESS),
			      "data descriptor %u in a batch: batch status 0x%x", k, cr->status);
			cr = m;
			cr_wait(t, cr);
		} else {
			run(t, 0, &d, cr);
		}
		write = op == DSA_OP_MEMFILL || (fail_write && (op == DSA_OP_MEMMOVE));
		want = fail ? DSA_COMP_PAGE_FAULT_NOBOF | (write ? DSA_COMP_FAULT_WRITE : 0) :
			      DSA_COMP_SUCCESS;
		if (!fail) {
			CHECK(t, cr->status == want && (op != DSA_OP_COMPARE || !cr->result),
			      "data descriptor %u (opcode %u): status 0x%x result %u", k, op,
			      cr->status, cr->result);
			if (op == DSA_OP_MEMMOVE)
				CHECK(t, !memcmp(t->dst + BUF_SIZE / 2 + 8192 * i,
						 t->src + 8192 * i, 5000),
				      "data descriptor %u: data", k);
			continue;
		}
		FAULT_EXPECT(t, cr, want, write ? dst : src, 0);
		if (op == DSA_OP_MEMMOVE || op == DSA_OP_MEMFILL)
			CHECK(t, all_are(t->dst + BUF_SIZE / 2 + 8192 * i, 8192, GUARD),
			      "data descriptor %u failed but wrote", k);
	}
	CHECK(t, failed, "the parameters inject no fault in %u data descriptors", k);
	pr_info("%s: %u data descriptors, %u injected faults (fail-nth %lu, fail-every %lu, fail-op %s)\n",
		pci_name(t->pdev), k, failed, fail_nth, fail_every, fail_write ? "write" : "read");
}

/* The device's max-xfer-log2 below 31: GENCAP, ENABLE_WQ and descriptors keep to it. */
static void check_limits(struct dsa_test *t)
{
	u32 max = 1u << max_xfer_log2;
	struct dsa_completion *cr;
	struct dsa_desc d;

	CMD_EXPECT(t, DSA_CMD_RESET_DEVICE, 0, DSA_CMDERR_OK);
	grp_set(t, 0, BIT(0) | BIT(1), BIT(0));
	wq_set(t, 0, 8, WQ_DED, wq_limits(max_xfer_log2, 10));
	wq_set(t, 1, 8, WQ_DED, wq_limits(max_xfer_log2 + 1, 10));
	CMD_EXPECT(t, DSA_CMD_ENABLE_DEVICE, 0, DSA_CMDERR_OK);
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 1, DSA_CMDERR_ENWQ_MAX_XFER);
	CMD_EXPECT(t, DSA_CMD_ENABLE_WQ, 0, DSA_CMDERR_OK);
	fill_src(t, 7);
	cr = cr_new(t);
	desc_move(t, &d, 0, cr, t->src_dma, t->dst_dma, max + 1);
	EXPECT_ERROR(t, 0, &d, cr, DSA_COMP_XFER_ERANGE, 0);
	cr = cr_new(t);
	desc_init(t, &d, DSA_OP_MEMFILL, 0, cr);
	d.dst = t->dst_dma;
	d.xfer_size = max + 1;
	EXPECT_ERROR(t, 0, &d, cr, DSA_COMP_XFER_ERANGE, 0);
	pr_info("%s: transfers up to %u bytes\n", pci_name(t->pdev), max);
}

/* ------------------------------------------------------------------------ */
/* Garbage                                                                  */

static void fuzz_reg(struct dsa_test *t)
{
	u32 r = get_random_u32(), off;
	u64 v = get_random_u64();

	switch (r % 8) {
	case 0:
		off = DSA_EMU_GRPCFG_OFFSET + (r >> 8) % (t->num_groups * DSA_GRPCFG_SIZE);
		break;
	case 1:
		off = DSA_EMU_WQCFG_OFFSET + (r >> 8) % (t->num_wqs * DSA_WQCFG_ENTRY_SIZE(0));
		break;
	case 2:
		/* a command (one of the 16 codes, mostly), random operand and INT_REQ */
		off = DSA_CMD_OFFSET;
		v = (v & (DSA_CMD_OPERAND_MASK | DSA_CMD_INT_REQ)) |
		    DSA_SET(DSA_CMD_CODE, (r >> 8) % 17);
		break;
	case 3:
		off = (r >> 8) % DSA_MSIX_TABLE_OFFSET;
		break;
	default:
		off = (r >> 8) % 0x100;
		break;
	}
	switch ((r >> 28) % 4) {
	case 0:
		writeb(v, t->regs + off);
		break;
	case 1:
		writew(v, t->regs + (off & ~1));
		break;
	case 2:
		writel(v, t->regs + (off & ~3));
		break;
	default:
		writeq(v, t->regs + (off & ~7));
		break;
	}
	if (!(r & 0x80))
		(void)readq(t->regs + (off & ~7));
}

static u64 fuzz_addr(struct dsa_test *t, u32 r, u32 size)
{
	if (!(r % 16))
		return get_random_u64();
	return t->scratch_dma + get_random_u32() % (SCRATCH_SIZE - min_t(u32, size, SZ_64K));
}

/* A random descriptor, most of the time close enough to a valid one to run. */
static void fuzz_desc(struct dsa_test *t, struct dsa_desc *d)
{
	static const u32 flag_mix = DSA_FLAG_FENCE | DSA_FLAG_CRAV | DSA_FLAG_RCR | DSA_FLAG_RCI |
				    DSA_FLAG_CHECK_RESULT | DSA_FLAG_CACHE_CONTROL;
	u32 r = get_random_u32(), size;
	u8 op;

	get_random_bytes(d, sizeof(*d));
	if (!(r % 8))
		return;
	op = r & 0x100 ? (r >> 9) % 8 : DSA_OP_MEMMOVE + (r >> 9) % 4;
	size = r & 0x800000 ? get_random_u32() % SZ_64K : get_random_u32() % 64;
	if (!((r >> 12) % 32))
		size = get_random_u32();
	d->pasid_priv = 0;
	d->flags_op = (get_random_u32() & flag_mix) | (u32)op << 24;
	if (!((r >> 17) % 16))
		d->flags_op ^= BIT(get_random_u32() % 24);
	d->compl_addr = fuzz_addr(t, r >> 3, 64) & ~(u64)(r & 0x40000 ? 0 : 31);
	d->src = fuzz_addr(t, r >> 5, size);
	d->dst = fuzz_addr(t, r >> 7, size);
	d->xfer_size = size;
	d->int_handle = (r >> 20) % 12;
	if (op == DSA_OP_BATCH) {
		d->desc_list = fuzz_addr(t, r >> 9, 65536) & ~(u64)(r & 0x400000 ? 0 : 63);
		d->desc_count = get_random_u32() % 1100;
	}
}

static void check_fuzz(struct dsa_test *t)
{
	unsigned long t0 = jiffies, mid = t0 + msecs_to_jiffies(fuzz_ms / 3);
	unsigned long end = t0 + msecs_to_jiffies(fuzz_ms);
	unsigned int regs = 0, descs = 0, plain = 0, i;
	struct dsa_completion *cr;
	struct dsa_desc d;
	u32 sts;
	int c = all_irqs(t);

	if (!fuzz_ms)
		return;
	get_random_bytes(t->scratch, SCRATCH_SIZE);
	/* register writes (not the MSI-X table) */
	while (time_before(jiffies, mid)) {
		fuzz_reg(t);
		if (!(++regs % 64))
			cond_resched();
	}
	/* descriptors on every portal page of every WQ, some register writes */
	cmd_wait(t);
	all_config(t);
	wr32(t, DSA_GENCTRL_OFFSET, DSA_GENCTRL_SOFTERR_INT_EN);
	while (time_before(jiffies, end)) {
		u32 r = get_random_u32();

		fuzz_desc(t, &d);
		if (!(r % 64)) {
			memcpy_toio(t->portals + DSA_PORTAL_OFFSET(r % t->num_wqs, 0) +
				    (r >> 8) % DSA_WQ_PORTALS_SIZE / 8 * 8, &d, 8);
			plain++;
		} else {
			submit_at(t, (r >> 6) % t->num_wqs, (r >> 10) % 4, (r >> 12) %
				  (DSA_PORTAL_SIZE / DSA_DESC_SIZE) * DSA_DESC_SIZE, &d);
			descs++;
		}
		if (!((r >> 24) % 32)) {
			fuzz_reg(t);
			regs++;
		}
		if (!(descs % 32))
			cond_resched();
	}

	/* the device still resets and works */
	sts = cmd_wait(t);
	CHECK(t, !(sts & DSA_CMDSTS_ACTIVE), "a command still active 10 s after the garbage");
	pci_set_master(t->pdev);
	wr32(t, DSA_GENCTRL_OFFSET, 0);
	std_config(t);
	CHECK(t, !(rd64(t, DSA_SWERR_OFFSET) & (DSA_SWERR_VALID | DSA_SWERR_OVERFLOW)) &&
	      rd32(t, DSA_INTCAUSE_OFFSET) == 0,
	      "SWERR 0x%llx INTCAUSE 0x%x after the reset", rd64(t, DSA_SWERR_OFFSET),
	      rd32(t, DSA_INTCAUSE_OFFSET));
	fill_src(t, 8);
	copy_check(t, 0, 65537, 3, 5);
	copy_check(t, 1, 300001, 1, 7);
	for (i = 0; i < 2; i++)
		desc_init(t, &t->list[i], DSA_OP_NOOP, 0, NULL);
	cr = cr_new(t);
	run_batch(t, cr, t->list_dma, 2);
	BATCH_EXPECT(t, cr, DSA_COMP_SUCCESS, 2);
	pr_info("%s: %u random register writes, %u random descriptors, %u plain portal writes in %u ms, %d interrupts\n",
		pci_name(t->pdev), regs, descs, plain, jiffies_to_msecs(jiffies - t0),
		all_irqs(t) - c);
}

/* ------------------------------------------------------------------------ */
/* Probe                                                                    */

static void run_group(struct dsa_test *t, const char *name, void (*fn)(struct dsa_test *t))
{
	int before = t->failures;
	ktime_t t0 = ktime_get();

	fn(t);
	if (t->failures == before)
		pr_info("%s: %s: ok (%lld ms)\n", pci_name(t->pdev), name,
			ktime_ms_delta(ktime_get(), t0));
	else
		pr_err("%s: %s: FAIL (%d checks)\n", pci_name(t->pdev), name,
		       t->failures - before);
}

/* Stop the device for good: no DMA, no command pending. */
static void quiesce(struct dsa_test *t)
{
	pci_clear_master(t->pdev);
	cmd_wait(t);
	wr32(t, DSA_CMD_OFFSET, cmd_word(DSA_CMD_RESET_DEVICE, 0));
	cmd_wait(t);
}

static void release(struct dsa_test *t)
{
	unsigned int v;

	for (v = 0; v < t->nvec; v++)
		free_irq(pci_irq_vector(t->pdev, v), &t->vec[v]);
	if (t->nvec)
		pci_free_irq_vectors(t->pdev);
	t->nvec = 0;
	if (t->edge_r_mapped)
		dma_unmap_page(t->dev, t->edge_r_dma, PAGE_SIZE, DMA_TO_DEVICE);
	if (t->edge_w_mapped)
		dma_unmap_page(t->dev, t->edge_w_dma, PAGE_SIZE, DMA_FROM_DEVICE);
	t->edge_r_mapped = false;
	t->edge_w_mapped = false;
	if (t->edge_r)
		__free_page(t->edge_r);
	if (t->edge_w)
		__free_page(t->edge_w);
	t->edge_r = NULL;
	t->edge_w = NULL;
}

static int map_edges(struct dsa_test *t)
{
	t->edge_r = alloc_page(GFP_KERNEL | __GFP_ZERO);
	t->edge_w = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!t->edge_r || !t->edge_w)
		return -ENOMEM;
	/* the first two mappings of the domain: the top of the 32-bit IOVA space */
	t->edge_w_dma = dma_map_page(t->dev, t->edge_w, 0, PAGE_SIZE, DMA_FROM_DEVICE);
	if (dma_mapping_error(t->dev, t->edge_w_dma))
		return -ENOMEM;
	t->edge_w_mapped = true;
	t->edge_r_dma = dma_map_page(t->dev, t->edge_r, 0, PAGE_SIZE, DMA_TO_DEVICE);
	if (dma_mapping_error(t->dev, t->edge_r_dma))
		return -ENOMEM;
	t->edge_r_mapped = true;
	return 0;
}

static int setup_irqs(struct dsa_test *t)
{
	unsigned int v, n = DSA_EMU_NUM_WQS + 1;
	int ret;

	ret = pci_alloc_irq_vectors(t->pdev, n, n, PCI_IRQ_MSIX);
	if (ret < 0)
		return ret;
	for (v = 0; v < n; v++) {
		t->vec[v].t = t;
		atomic_set(&t->vec[v].count, 0);
		ret = request_irq(pci_irq_vector(t->pdev, v), vec_irq, 0, KBUILD_MODNAME,
				  &t->vec[v]);
		if (ret) {
			t->nvec = v;
			return ret;
		}
		t->nvec = v + 1;
	}
	return 0;
}

static int regs_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	bool inject = fail_nth || fail_every;
	struct dsa_test *t;
	int ret;

	if (!boot_cpu_has(X86_FEATURE_MOVDIR64B)) {
		pr_err("%s: the CPU lacks MOVDIR64B\n", pci_name(pdev));
		return -ENODEV;
	}
	t = devm_kzalloc(&pdev->dev, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->pdev = pdev;
	t->dev = &pdev->dev;
	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(DSA_BAR_REGS) | BIT(DSA_BAR_PORTALS), KBUILD_MODNAME);
	if (ret)
		return ret;
	t->regs = pcim_iomap_table(pdev)[DSA_BAR_REGS];
	t->portals = pcim_iomap_table(pdev)[DSA_BAR_PORTALS];
	ret = dma_set_mask_and_coherent(t->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	ret = map_edges(t);
	if (ret)
		goto out;
	t->cr = dmam_alloc_coherent(t->dev, NCR * DSA_COMPL_SIZE, &t->cr_dma, GFP_KERNEL);
	t->list = dmam_alloc_coherent(t->dev, LIST_DESCS * DSA_DESC_SIZE, &t->list_dma,
				      GFP_KERNEL);
	t->src = dmam_alloc_coherent(t->dev, BUF_SIZE, &t->src_dma, GFP_KERNEL);
	t->dst = dmam_alloc_coherent(t->dev, BUF_SIZE, &t->dst_dma, GFP_KERNEL);
	t->scratch = dmam_alloc_coherent(t->dev, SCRATCH_SIZE, &t->scratch_dma, GFP_KERNEL);
	ret = -ENOMEM;
	if (!t->cr || !t->list || !t->src || !t->dst || !t->scratch)
		goto out;
	ret = setup_irqs(t);
	if (ret)
		goto out;
	pci_set_master(pdev);

	run_group(t, "caps", check_caps);
	if (t->num_wqs != DSA_EMU_NUM_WQS || t->num_groups < 2 || t->num_engines < 2 ||
	    t->total_size < 64) {
		pr_err("%s: the checks need the default WQs, groups and engines\n",
		       pci_name(pdev));
		t->failures++;
	} else if (inject) {
		if (max_xfer_log2 < DSA_MAX_XFER_LOG2)
			run_group(t, "limits", check_limits);
		run_group(t, "inject", check_inject);
	} else {
		run_group(t, "commands", check_commands);
		run_group(t, "cmd-interrupts", check_cmd_irqs);
		run_group(t, "operations", check_ops);
		run_group(t, "descriptor-errors", check_desc_errors);
		run_group(t, "completion", check_completion);
		run_group(t, "batch", check_batch);
		run_group(t, "queues", check_queues);
		run_group(t, "iommu-faults", check_iommu);
		if (max_xfer_log2 < DSA_MAX_XFER_LOG2)
			run_group(t, "limits", check_limits);
		if (fuzz_ms)
			run_group(t, "fuzz", check_fuzz);
	}
	quiesce(t);
	if (t->failures) {
		pr_err("%s: %d checks failed\n", pci_name(pdev), t->failures);
		ret = -EIO;
		goto out;
	}
	pci_set_drvdata(pdev, t);
	pr_info("%s: all checks passed\n", pci_name(pdev));
	return 0;
out:
	release(t);
	return ret;
}

static void regs_remove(struct pci_dev *pdev)
{
	struct dsa_test *t = pci_get_drvdata(pdev);

	quiesce(t);
	release(t);
}

static const struct pci_device_id regs_ids[] = {
	{ }	/* bound through driver_override only */
};
MODULE_DEVICE_TABLE(pci, regs_ids);

static struct pci_driver regs_driver = {
	.name = KBUILD_MODNAME,
	.id_table = regs_ids,
	.probe = regs_probe,
	.remove = regs_remove,
};
module_pci_driver(regs_driver);

MODULE_DESCRIPTION("register- and descriptor-level test of the emulated Intel DSA");
MODULE_LICENSE("GPL");

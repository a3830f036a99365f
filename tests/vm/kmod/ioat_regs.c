// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioat_regs: register-level conformance test of one emulated I/OAT function,
 * without Linux's ioatdma (which never uses FILL). It is a PCI driver with
 * no ID table: bind it with driver_override. Probe runs every check on the
 * device and fails (so the bind fails) if one does not hold; dmesg says which.
 *
 *   echo ioat_regs > /sys/bus/pci/devices/BDF/driver_override
 *   echo BDF > /sys/bus/pci/drivers_probe
 *
 * The register layout comes from include/dmacopy/ioat_spec.h, the same header
 * the device model is built from.
 *
 * huge_mb=N adds one N MiB descriptor (needs an IOMMU to get that much
 * DMA-contiguous memory): the channel must read ACTIVE while it works, the
 * guest must keep running (CHANSTS reads answered throughout) and a
 * descriptor appended meanwhile must complete after it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/random.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "dmacopy/ioat_spec.h"

#define RING_DESCS	64
#define BUF_SIZE	SZ_64K
#define BIG_SIZE	SZ_2M
#define BAD_ADDR	0x7f0000000000ULL
#define SENTINEL	0x5a5a5a5a5a5a5a5aULL
#define GUARD_BYTE	0xa5

static uint huge_mb;
module_param(huge_mb, uint, 0444);
MODULE_PARM_DESC(huge_mb, "size of the one-descriptor copy check in MiB (0: skip)");

static uint fuzz_writes = 20000;
module_param(fuzz_writes, uint, 0444);
MODULE_PARM_DESC(fuzz_writes, "random register writes of the fuzz check (default 20000)");
static uint desc_fuzz_ms = 2000;
module_param(desc_fuzz_ms, uint, 0444);
MODULE_PARM_DESC(desc_fuzz_ms, "milliseconds of random descriptor chains (0: skip)");
static ulong ecam;
module_param(ecam, ulong, 0444);
MODULE_PARM_DESC(ecam, "physical address of the PCI ECAM window (for the hostile-target checks)");

struct regs_test {
	struct pci_dev *pdev;
	struct device *dev;
	void __iomem *bar;
	void __iomem *chan;
	struct ioat_desc *ring;		/* RING_DESCS descriptors, linked in a circle */
	dma_addr_t ring_dma;
	u64 *compl;
	dma_addr_t compl_dma;
	u8 *src, *dst;
	dma_addr_t src_dma, dst_dma;
	u8 *big_src, *big_dst;
	dma_addr_t big_src_dma, big_dst_dma;
	u16 dmacount;
	int failures;
};

#define CHECK(t, cond, fmt, ...)						\
	do {									\
		struct regs_test *check_t = (t);				\
										\
		if (!(cond)) {							\
			dev_err(check_t->dev, "%s:%d: %s: " fmt "\n", __func__,	\
				__LINE__, #cond, ##__VA_ARGS__);		\
			check_t->failures++;					\
		}								\
	} while (0)

static u64 chansts(struct regs_test *t)
{
	return readq(t->chan + IOAT_CHANSTS_OFFSET);
}

static unsigned int state(struct regs_test *t)
{
	return chansts(t) & IOAT_CHANSTS_STATE_MASK;
}

static u32 chanerr(struct regs_test *t)
{
	return readl(t->chan + IOAT_CHANERR_OFFSET);
}

static dma_addr_t desc_dma(struct regs_test *t, unsigned int i)
{
	return t->ring_dma + (i % RING_DESCS) * IOAT_DESC_SIZE;
}

/* Poll CHANSTS until the state leaves ACTIVE (or 2 s pass); the state. */
static unsigned int wait_settled_ms(struct regs_test *t, unsigned int ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);
	unsigned int st;

	while ((st = state(t)) == IOAT_CHANSTS_ACTIVE && time_before(jiffies, end))
		usleep_range(20, 100);
	return st;
}

static unsigned int wait_settled(struct regs_test *t)
{
	return wait_settled_ms(t, 2000);
}

static void doorbell(struct regs_test *t, unsigned int n)
{
	t->dmacount += n;
	/* descriptors in memory before the device may read them */
	wmb();
	writew(t->dmacount, t->chan + IOAT_DMACOUNT_OFFSET);
}

static void reset_chan(struct regs_test *t)
{
	writeb(IOAT_CHANCMD_RESET, t->chan + IOAT_CHANCMD_OFFSET);
	CHECK(t, !(readb(t->chan + IOAT_CHANCMD_OFFSET) & IOAT_CHANCMD_RESET),
	      "reset did not complete");
	CHECK(t, chansts(t) == IOAT_CHANSTS_HALTED, "CHANSTS 0x%llx after reset", chansts(t));
	CHECK(t, chanerr(t) == 0, "CHANERR 0x%x after reset", chanerr(t));
	/* program the channel again, as drivers do after a reset */
	writew(IOAT_CHANCTRL_ERR_COMPLETION_EN | IOAT_CHANCTRL_ANY_ERR_ABORT_EN,
	       t->chan + IOAT_CHANCTRL_OFFSET);
	writeq(t->compl_dma, t->chan + IOAT_CHANCMP_OFFSET);
	t->dmacount = 0;
}

static void start_chain(struct regs_test *t, unsigned int first)
{
	writel(lower_32_bits(desc_dma(t, first)), t->chan + IOAT_CHAINADDR_OFFSET);
	writel(upper_32_bits(desc_dma(t, first)), t->chan + IOAT_CHAINADDR_OFFSET + 4);
	CHECK(t, chansts(t) == IOAT_CHANSTS_ARMED, "CHANSTS 0x%llx after CHAINADDR", chansts(t));
	t->dmacount = 0;
}

static void set_desc(struct regs_test *t, unsigned int i, u32 size, u32 ctl, u64 src, u64 dst)
{
	struct ioat_desc *d = &t->ring[i % RING_DESCS];

	d->size = cpu_to_le32(size);
	d->ctl = cpu_to_le32(ctl);
	d->src = cpu_to_le64(src);
	d->dst = cpu_to_le64(dst);
	/* next stays as linked at setup; sw[] holds a marker the device must keep */
	d->sw[0] = cpu_to_le64(0x1000 + i);
	d->sw[1] = cpu_to_le64(~(u64)i);
}

static u32 copy_ctl(u32 flags)
{
	return IOAT_OP_COPY << IOAT_DESC_OP_SHIFT | flags;
}

static u32 fill_ctl(u32 flags)
{
	return IOAT_OP_FILL << IOAT_DESC_OP_SHIFT | flags;
}

static bool all_are(const u8 *p, size_t len, u8 v)
{
	while (len--) {
		if (*p++ != v)
			return false;
	}
	return true;
}

static bool fill_ok(const u8 *p, size_t len, u64 pattern)
{
	size_t j;

	for (j = 0; j < len; j++) {
		if (p[j] != (u8)(pattern >> (8 * (j % 8))))
			return false;
	}
	return true;
}

static void check_identity(struct regs_test *t)
{
	u8 xfercap = readb(t->bar + IOAT_XFERCAP_OFFSET) & IOAT_XFERCAP_MASK;

	CHECK(t, (readb(t->bar + IOAT_CHANCNT_OFFSET) & IOAT_CHANCNT_MASK) == 1, "CHANCNT");
	CHECK(t, xfercap >= 12, "XFERCAP %u", xfercap);
	CHECK(t, readb(t->bar + IOAT_CBVER_OFFSET) == IOAT_VER_3_3, "CBVER 0x%x",
	      readb(t->bar + IOAT_CBVER_OFFSET));
	CHECK(t, readl(t->bar + IOAT_DMACAP_OFFSET) == IOAT_CAP_FILL_BLOCK, "DMACAPABILITY 0x%x",
	      readl(t->bar + IOAT_DMACAP_OFFSET));
	CHECK(t, readw(t->bar + IOAT_DCAOFFSET_OFFSET) == 0, "DCAOFFSET");
	CHECK(t, !(readw(t->chan + IOAT_CHANCTRL_OFFSET) & IOAT_CHANCTRL_IN_USE), "IN_USE");
	dev_info(t->dev, "identity: CBVER 0x33, 1 channel, XFERCAP %u, DMACAPABILITY FILL\n",
		 xfercap);
}

/* CHAINADDR as one 64-bit store arms too (DPDK, SPDK). */
static void check_arm64(struct regs_test *t)
{
	reset_chan(t);
	writeq(desc_dma(t, 0), t->chan + IOAT_CHAINADDR_OFFSET);
	CHECK(t, chansts(t) == IOAT_CHANSTS_ARMED, "CHANSTS 0x%llx", chansts(t));
	CHECK(t, readq(t->chan + IOAT_CDAR_OFFSET) == desc_dma(t, 0), "CDAR");
	CHECK(t, readq(t->chan + IOAT_CHAINADDR_OFFSET) == desc_dma(t, 0), "CHAINADDR readback");
	reset_chan(t);
}

static void check_chain(struct regs_test *t)
{
	u64 p1 = 0x0807060504030201ULL, p2 = 0xf1e2d3c4b5a69788ULL;
	struct ioat_desc saved[12];
	unsigned int i;

	memset(t->dst, GUARD_BYTE, BUF_SIZE);
	for (i = 0; i < BUF_SIZE; i++)
		t->src[i] = (u8)(i * 7 + 3);
	reset_chan(t);
	*t->compl = SENTINEL;
	start_chain(t, 0);

	set_desc(t, 0, 1, IOAT_DESC_NULL | IOAT_DESC_COMPL_WRITE, 0, 0);
	set_desc(t, 1, 1, copy_ctl(0), t->src_dma + 3, t->dst_dma + 5);
	set_desc(t, 2, 4095, copy_ctl(IOAT_DESC_COMPL_WRITE), t->src_dma + 17, t->dst_dma + 0x101);
	set_desc(t, 3, 50, fill_ctl(IOAT_DESC_COMPL_WRITE), p1, t->dst_dma + 0x1201);
	set_desc(t, 4, 89, fill_ctl(0), p2, t->dst_dma + 0x2003);
	set_desc(t, 5, 20000, copy_ctl(IOAT_DESC_FENCE), t->src_dma + 0x3000, t->dst_dma + 0x3007);
	set_desc(t, 6, 8, IOAT_DESC_NULL | IOAT_DESC_COMPL_WRITE, 0, 0);
	set_desc(t, 7, 100, copy_ctl(0), t->src_dma, t->dst_dma + 0x9000);
	set_desc(t, 8, 300, copy_ctl(IOAT_DESC_COMPL_WRITE), t->src_dma + 1, t->dst_dma + 0x9100);
	set_desc(t, 9, 64, copy_ctl(0), t->src_dma + 2, t->dst_dma + 0x9400);
	memcpy(saved, t->ring, sizeof(saved));

	/* a null descriptor: completion = its address | IDLE */
	doorbell(t, 1);
	CHECK(t, wait_settled(t) == IOAT_CHANSTS_IDLE, "state %u after 1 descriptor", state(t));
	CHECK(t, *t->compl == (desc_dma(t, 0) | IOAT_CHANSTS_IDLE), "completion 0x%llx",
	      *t->compl);

	/* six more (1-6); 7-9 are valid in memory but not counted yet */
	doorbell(t, 6);
	CHECK(t, wait_settled(t) == IOAT_CHANSTS_IDLE, "state %u", state(t));
	CHECK(t, *t->compl == (desc_dma(t, 6) | IOAT_CHANSTS_IDLE), "completion 0x%llx",
	      *t->compl);
	CHECK(t, chansts(t) == (desc_dma(t, 6) | IOAT_CHANSTS_IDLE), "CHANSTS 0x%llx",
	      chansts(t));
	CHECK(t, readq(t->chan + IOAT_CDAR_OFFSET) == desc_dma(t, 7), "CDAR 0x%llx",
	      readq(t->chan + IOAT_CDAR_OFFSET));
	CHECK(t, all_are(t->dst + 0x9000, 0x1000, GUARD_BYTE),
	      "descriptor past DMACOUNT was processed");

	CHECK(t, t->dst[5] == t->src[3] && t->dst[4] == GUARD_BYTE && t->dst[6] == GUARD_BYTE,
	      "1-byte copy");
	CHECK(t, !memcmp(t->dst + 0x101, t->src + 17, 4095), "4095-byte copy");
	CHECK(t, t->dst[0x100] == GUARD_BYTE && t->dst[0x101 + 4095] == GUARD_BYTE,
	      "bytes around the 4095-byte copy");
	CHECK(t, fill_ok(t->dst + 0x1201, 50, p1), "50-byte fill");
	CHECK(t, t->dst[0x1200] == GUARD_BYTE && t->dst[0x1201 + 50] == GUARD_BYTE,
	      "bytes around the 50-byte fill");
	CHECK(t, fill_ok(t->dst + 0x2003, 89, p2), "89-byte fill");
	CHECK(t, t->dst[0x2002] == GUARD_BYTE && t->dst[0x2003 + 89] == GUARD_BYTE,
	      "bytes around the 89-byte fill");
	CHECK(t, !memcmp(t->dst + 0x3007, t->src + 0x3000, 20000), "20000-byte copy");
	CHECK(t, t->dst[0x3006] == GUARD_BYTE && t->dst[0x3007 + 20000] == GUARD_BYTE,
	      "bytes around the 20000-byte copy");

	/*
	 * The rest: the last (9) has no compl_write, so the word stays at 8,
	 * written while 9 was still to do (state ACTIVE).
	 */
	doorbell(t, 3);
	CHECK(t, wait_settled(t) == IOAT_CHANSTS_IDLE, "state %u", state(t));
	CHECK(t, *t->compl == (desc_dma(t, 8) | IOAT_CHANSTS_ACTIVE), "completion 0x%llx",
	      *t->compl);
	CHECK(t, (chansts(t) & IOAT_CHANSTS_ADDR_MASK) == desc_dma(t, 9), "CHANSTS 0x%llx",
	      chansts(t));
	CHECK(t, !memcmp(t->dst + 0x9000, t->src, 100) &&
	      !memcmp(t->dst + 0x9100, t->src + 1, 300) &&
	      !memcmp(t->dst + 0x9400, t->src + 2, 64), "copies 7-9");
	CHECK(t, !memcmp(saved, t->ring, sizeof(saved)), "the device wrote a descriptor");
	dev_info(t->dev,
		 "chain: null, copies of 1..20000 bytes, fills of 50 and 89 bytes, DMACOUNT limit, completion words\n");
}

static void check_suspend(struct regs_test *t)
{
	set_desc(t, 10, 256, copy_ctl(IOAT_DESC_COMPL_WRITE), t->src_dma + 5, t->dst_dma + 0xa000);
	writeb(IOAT_CHANCMD_SUSPEND, t->chan + IOAT_CHANCMD_OFFSET);
	CHECK(t, state(t) == IOAT_CHANSTS_SUSPENDED, "state %u after SUSPEND", state(t));
	doorbell(t, 1);
	msleep(20);
	CHECK(t, state(t) == IOAT_CHANSTS_SUSPENDED, "state %u", state(t));
	CHECK(t, all_are(t->dst + 0xa000, 256, GUARD_BYTE), "suspended channel copied");
	writeb(IOAT_CHANCMD_RESUME, t->chan + IOAT_CHANCMD_OFFSET);
	CHECK(t, wait_settled(t) == IOAT_CHANSTS_IDLE, "state %u after RESUME", state(t));
	CHECK(t, !memcmp(t->dst + 0xa000, t->src + 5, 256), "copy after RESUME");
	CHECK(t, *t->compl == (desc_dma(t, 10) | IOAT_CHANSTS_IDLE), "completion 0x%llx",
	      *t->compl);
}

static void check_errors(struct regs_test *t)
{
	/* read fault mid-chain: completion = last good descriptor | HALTED */
	set_desc(t, 11, 4096, copy_ctl(IOAT_DESC_COMPL_WRITE), BAD_ADDR, t->dst_dma);
	doorbell(t, 1);
	CHECK(t, wait_settled(t) == IOAT_CHANSTS_HALTED, "state %u", state(t));
	CHECK(t, chanerr(t) == IOAT_CHANERR_READ_DATA, "CHANERR 0x%x", chanerr(t));
	CHECK(t, *t->compl == (desc_dma(t, 10) | IOAT_CHANSTS_HALTED), "completion 0x%llx",
	      *t->compl);
	doorbell(t, 1);
	msleep(20);
	CHECK(t, state(t) == IOAT_CHANSTS_HALTED, "a halted channel restarted on DMACOUNT");
	writel(IOAT_CHANERR_READ_DATA, t->chan + IOAT_CHANERR_OFFSET);
	CHECK(t, chanerr(t) == 0, "CHANERR 0x%x after write-1-to-clear", chanerr(t));

	/* write fault on the first descriptor of a new chain: address 0 */
	reset_chan(t);
	set_desc(t, 12, 4096, copy_ctl(IOAT_DESC_COMPL_WRITE), t->src_dma, BAD_ADDR);
	start_chain(t, 12);
	doorbell(t, 1);
	CHECK(t, wait_settled(t) == IOAT_CHANSTS_HALTED, "state %u", state(t));
	CHECK(t, chanerr(t) == IOAT_CHANERR_WRITE_DATA, "CHANERR 0x%x", chanerr(t));
	CHECK(t, *t->compl == IOAT_CHANSTS_HALTED, "completion 0x%llx", *t->compl);

	/* zero size, unsupported operation */
	reset_chan(t);
	set_desc(t, 13, 0, copy_ctl(IOAT_DESC_COMPL_WRITE), t->src_dma, t->dst_dma);
	start_chain(t, 13);
	doorbell(t, 1);
	CHECK(t, wait_settled(t) == IOAT_CHANSTS_HALTED, "state %u", state(t));
	CHECK(t, chanerr(t) == IOAT_CHANERR_DESC_LENGTH, "CHANERR 0x%x", chanerr(t));
	reset_chan(t);
	set_desc(t, 14, 64, IOAT_OP_XOR << IOAT_DESC_OP_SHIFT, t->src_dma, t->dst_dma);
	start_chain(t, 14);
	doorbell(t, 1);
	CHECK(t, wait_settled(t) == IOAT_CHANSTS_HALTED, "state %u", state(t));
	CHECK(t, chanerr(t) == IOAT_CHANERR_DESC_CONTROL, "CHANERR 0x%x", chanerr(t));
	reset_chan(t);
	dev_info(t->dev, "errors: read 0x100, write 0x200, length 0x800, control 0x400\n");
}

/* 65552 null descriptors around the ring: DMACOUNT wraps at 2^16. */
/*
 * One 4-byte copy from our source to dst (or from src to ours): the channel
 * must halt with err, write nothing and leave the target alone.
 */
static void hostile_one(struct regs_test *t, const char *what, dma_addr_t src, dma_addr_t dst,
			u32 err)
{
	reset_chan(t);
	memset(t->dst, GUARD_BYTE, 64);
	set_desc(t, 15, 4, copy_ctl(IOAT_DESC_COMPL_WRITE), src, dst);
	start_chain(t, 15);
	doorbell(t, 1);
	CHECK(t, wait_settled(t) == IOAT_CHANSTS_HALTED, "%s: state %u", what, state(t));
	CHECK(t, chanerr(t) == err, "%s: CHANERR 0x%x", what, chanerr(t));
	CHECK(t, all_are(t->dst, 64, GUARD_BYTE), "%s: memory written", what);
}

/*
 * Targets no root complex routes a memory request to, as bus addresses of
 * one page each: the device's own configuration space through ECAM, the MSI
 * window and its own registers.
 */
struct hostile_targets {
	dma_addr_t cfg, msi, bar;
};

static void unmap_hostile(struct regs_test *t, struct hostile_targets *h)
{
	if (!dma_mapping_error(t->dev, h->cfg))
		dma_unmap_resource(t->dev, h->cfg, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
	if (!dma_mapping_error(t->dev, h->msi))
		dma_unmap_resource(t->dev, h->msi, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
	if (!dma_mapping_error(t->dev, h->bar))
		dma_unmap_resource(t->dev, h->bar, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
}

/* Map the hostile targets for the device; false (a failed check) if that cannot be done. */
static bool map_hostile(struct regs_test *t, struct hostile_targets *h)
{
	phys_addr_t cfg_phys = ecam + ((phys_addr_t)t->pdev->bus->number << 20) +
			       ((phys_addr_t)t->pdev->devfn << 12);

	if (!ecam) {
		CHECK(t, false, "the ecam parameter is missing");
		return false;
	}
	h->cfg = dma_map_resource(t->dev, cfg_phys, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
	h->msi = dma_map_resource(t->dev, 0xfee00000, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
	h->bar = dma_map_resource(t->dev, pci_resource_start(t->pdev, 0), PAGE_SIZE,
				  DMA_BIDIRECTIONAL, 0);
	if (dma_mapping_error(t->dev, h->cfg) || dma_mapping_error(t->dev, h->msi) ||
	    dma_mapping_error(t->dev, h->bar)) {
		CHECK(t, false, "dma_map_resource failed");
		unmap_hostile(t, h);
		return false;
	}
	return true;
}

/*
 * DMA to or from the hostile targets (zeros written to its Command register
 * would stop its bus mastering) halts the channel and changes nothing.
 */
static void check_hostile(struct regs_test *t)
{
	struct hostile_targets h;
	u16 cmd, now;

	if (!map_hostile(t, &h))
		return;
	memset(t->src, 0, 64);
	pci_read_config_word(t->pdev, PCI_COMMAND, &cmd);
	hostile_one(t, "to its Command register (ECAM)", t->src_dma, h.cfg + PCI_COMMAND,
		    IOAT_CHANERR_WRITE_DATA);
	pci_read_config_word(t->pdev, PCI_COMMAND, &now);
	CHECK(t, now == cmd, "Command register changed by DMA: 0x%x -> 0x%x", cmd, now);
	hostile_one(t, "from configuration space", h.cfg, t->dst_dma, IOAT_CHANERR_READ_DATA);
	hostile_one(t, "to the MSI window", t->src_dma, h.msi, IOAT_CHANERR_WRITE_DATA);
	hostile_one(t, "to its own registers", t->src_dma, h.bar + 0x80, IOAT_CHANERR_WRITE_DATA);
	hostile_one(t, "from its own registers", h.bar, t->dst_dma, IOAT_CHANERR_READ_DATA);
	reset_chan(t);
	unmap_hostile(t, &h);
}

static void check_wrap(struct regs_test *t)
{
	unsigned int i, total = 0x10010;

	for (i = 0; i < RING_DESCS; i++)
		set_desc(t, i, 8, IOAT_DESC_NULL | IOAT_DESC_COMPL_WRITE, 0, 0);
	start_chain(t, 0);
	doorbell(t, 0xfff0);
	/* 65520 descriptors, one per slice on 04.1: seconds on a loaded emulator */
	CHECK(t, wait_settled_ms(t, 30000) == IOAT_CHANSTS_IDLE, "state %u", state(t));
	CHECK(t, *t->compl == (desc_dma(t, 0xfff0 - 1) | IOAT_CHANSTS_IDLE),
	      "completion 0x%llx", *t->compl);
	doorbell(t, total - 0xfff0);
	CHECK(t, t->dmacount == (u16)total, "test arithmetic");
	CHECK(t, wait_settled_ms(t, 30000) == IOAT_CHANSTS_IDLE, "state %u", state(t));
	CHECK(t, *t->compl == (desc_dma(t, total - 1) | IOAT_CHANSTS_IDLE),
	      "completion 0x%llx after the wrap", *t->compl);
	dev_info(t->dev, "DMACOUNT wrap after 65552 descriptors\n");
}

/* Interrupt status without delivering an interrupt (INTx disabled, no MSI). */
static void check_attn(struct regs_test *t)
{
	u8 intrctrl;

	reset_chan(t);
	writew(IOAT_CHANCTRL_INT_REARM | IOAT_CHANCTRL_ERR_COMPLETION_EN |
	       IOAT_CHANCTRL_ANY_ERR_ABORT_EN, t->chan + IOAT_CHANCTRL_OFFSET);
	writeb(IOAT_INTRCTRL_MASTER_INT_EN, t->bar + IOAT_INTRCTRL_OFFSET);
	CHECK(t, readl(t->bar + IOAT_ATTNSTATUS_OFFSET) == 0, "ATTNSTATUS before");
	set_desc(t, 0, 1, IOAT_DESC_NULL | IOAT_DESC_COMPL_WRITE | IOAT_DESC_INT_EN, 0, 0);
	start_chain(t, 0);
	doorbell(t, 1);
	CHECK(t, wait_settled(t) == IOAT_CHANSTS_IDLE, "state %u", state(t));
	CHECK(t, readl(t->bar + IOAT_ATTNSTATUS_OFFSET) == 1, "ATTNSTATUS 0x%x",
	      readl(t->bar + IOAT_ATTNSTATUS_OFFSET));
	intrctrl = readb(t->bar + IOAT_INTRCTRL_OFFSET);
	CHECK(t, intrctrl == (IOAT_INTRCTRL_MASTER_INT_EN | IOAT_INTRCTRL_INT_STATUS |
			      IOAT_INTRCTRL_INT), "INTRCTRL 0x%x", intrctrl);
	writeb(intrctrl, t->bar + IOAT_INTRCTRL_OFFSET);
	CHECK(t, readl(t->bar + IOAT_ATTNSTATUS_OFFSET) == 0, "ATTNSTATUS after INTRCTRL write");

	/* an error is an event with ERR_INT_EN, unless CHANERR_MASK masks it */
	reset_chan(t);
	writel(IOAT_CHANERR_READ_DATA, t->chan + IOAT_CHANERR_MASK_OFFSET);
	writew(IOAT_CHANCTRL_RUN, t->chan + IOAT_CHANCTRL_OFFSET);
	set_desc(t, 0, 64, copy_ctl(IOAT_DESC_COMPL_WRITE), BAD_ADDR, t->dst_dma);
	start_chain(t, 0);
	doorbell(t, 1);
	CHECK(t, wait_settled(t) == IOAT_CHANSTS_HALTED, "state %u", state(t));
	CHECK(t, chanerr(t) == IOAT_CHANERR_READ_DATA, "CHANERR 0x%x", chanerr(t));
	CHECK(t, readl(t->bar + IOAT_ATTNSTATUS_OFFSET) == 0, "masked error raised ATTNSTATUS");
	reset_chan(t);
	writel(0, t->chan + IOAT_CHANERR_MASK_OFFSET);
	writew(IOAT_CHANCTRL_RUN, t->chan + IOAT_CHANCTRL_OFFSET);
	start_chain(t, 0);
	doorbell(t, 1);
	CHECK(t, wait_settled(t) == IOAT_CHANSTS_HALTED, "state %u", state(t));
	CHECK(t, readl(t->bar + IOAT_ATTNSTATUS_OFFSET) == 1, "error did not raise ATTNSTATUS");
	writeb(0, t->bar + IOAT_INTRCTRL_OFFSET);
	CHECK(t, readl(t->bar + IOAT_ATTNSTATUS_OFFSET) == 0, "ATTNSTATUS after INTRCTRL write");
	reset_chan(t);

	/* ABORT stops a channel without an error */
	set_desc(t, 0, 1, IOAT_DESC_NULL | IOAT_DESC_COMPL_WRITE, 0, 0);
	start_chain(t, 0);
	doorbell(t, 1);
	CHECK(t, wait_settled(t) == IOAT_CHANSTS_IDLE, "state %u", state(t));
	writeb(IOAT_CHANCMD_ABORT, t->chan + IOAT_CHANCMD_OFFSET);
	CHECK(t, state(t) == IOAT_CHANSTS_HALTED && chanerr(t) == 0,
	      "state %u CHANERR 0x%x after ABORT", state(t), chanerr(t));
}

/* One descriptor larger than a processing slice: data right, then IDLE. */
static void check_big(struct regs_test *t)
{
	size_t i;

	for (i = 0; i < BIG_SIZE; i += 8)
		*(u64 *)(t->big_src + i) = i * 0x9e3779b97f4a7c15ULL;
	memset(t->big_dst, 0, BIG_SIZE);
	reset_chan(t);
	set_desc(t, 0, BIG_SIZE, copy_ctl(IOAT_DESC_COMPL_WRITE), t->big_src_dma,
		 t->big_dst_dma);
	start_chain(t, 0);
	doorbell(t, 1);
	CHECK(t, wait_settled(t) == IOAT_CHANSTS_IDLE, "state %u", state(t));
	CHECK(t, !memcmp(t->big_src, t->big_dst, BIG_SIZE), "2 MiB copy");
}

/*
 * Descriptors large enough for the model's worker thread (workers=on: 256 KiB
 * or more; with workers=off the same through the slices): copies and fills at
 * odd sizes and offsets, byte for byte with the pattern's phase; ABORT and
 * RESET written while such a descriptor moves, after which the channel is
 * halted or reset and copies again; SUSPEND, after which nothing moves until
 * RESUME lets the copy finish.
 */
static void check_worker(struct regs_test *t)
{
	const u64 pat = 0x8877665544332211ULL;
	size_t len = BIG_SIZE - 4096 - 5;
	u32 cmd;

	for (cmd = 0; cmd < 4; cmd++) {
		memset(t->big_dst, 0x5a, BIG_SIZE);
		reset_chan(t);
		set_desc(t, 0, len, copy_ctl(IOAT_DESC_COMPL_WRITE), t->big_src_dma + 3,
			 t->big_dst_dma + 7);
		set_desc(t, 1, len, fill_ctl(IOAT_DESC_COMPL_WRITE), pat, t->big_dst_dma + 4093);
		start_chain(t, 0);
		doorbell(t, 1);
		if (cmd == 1) {
			writeb(IOAT_CHANCMD_ABORT, t->chan + IOAT_CHANCMD_OFFSET);
			CHECK(t, state(t) == IOAT_CHANSTS_HALTED, "state %u after ABORT", state(t));
			continue;
		}
		if (cmd == 2) {
			reset_chan(t);	/* checks HALTED and CHANERR 0 */
			continue;
		}
		if (cmd == 3) {
			u8 before[64];
			unsigned int st;

			writeb(IOAT_CHANCMD_SUSPEND, t->chan + IOAT_CHANCMD_OFFSET);
			st = state(t);
			CHECK(t, st == IOAT_CHANSTS_SUSPENDED || st == IOAT_CHANSTS_IDLE,
			      "state %u after SUSPEND", st);
			/* suspended (or already done): the destination no longer changes */
			memcpy(before, t->big_dst + 7 + len - sizeof(before), sizeof(before));
			usleep_range(2000, 3000);
			CHECK(t, !memcmp(before, t->big_dst + 7 + len - sizeof(before),
					 sizeof(before)), "data moved while suspended");
			writeb(IOAT_CHANCMD_RESUME, t->chan + IOAT_CHANCMD_OFFSET);
		}
		CHECK(t, wait_settled(t) == IOAT_CHANSTS_IDLE, "state %u", state(t));
		CHECK(t, !memcmp(t->big_src + 3, t->big_dst + 7, len) && t->big_dst[6] == 0x5a &&
		      t->big_dst[7 + len] == 0x5a, "%zu-byte copy at odd offsets", len);
		memset(t->big_dst, 0x5a, BIG_SIZE);
		doorbell(t, 1);
		CHECK(t, wait_settled(t) == IOAT_CHANSTS_IDLE, "state %u", state(t));
		CHECK(t, fill_ok(t->big_dst + 4093, len, pat) && t->big_dst[4092] == 0x5a &&
		      t->big_dst[4093 + len] == 0x5a, "%zu-byte fill at an odd address", len);
	}
	/* after ABORT and RESET in the middle of a large descriptor, it copies again */
	check_big(t);
}

#define JOB_DESCS	6
#define JOB_STRIDE	(SZ_256K + SZ_64K)

/* Descriptor i of check_jobchain(): i odd a FILL, else a COPY, at odd offsets and sizes. */
static size_t job_len(unsigned int i)
{
	return SZ_256K + 4096 * i + 3 * i + 1;
}

static u64 job_pattern(unsigned int i)
{
	return 0x0706050403020100ULL + 0x1111111111111111ULL * i;
}

static dma_addr_t job_dst(struct regs_test *t, unsigned int i)
{
	return t->big_dst_dma + (size_t)i * JOB_STRIDE + 11 + i;
}

static void job_desc(struct regs_test *t, unsigned int i, dma_addr_t dst)
{
	if (i % 2)
		set_desc(t, i, job_len(i), fill_ctl(IOAT_DESC_COMPL_WRITE), job_pattern(i), dst);
	else
		set_desc(t, i, job_len(i), copy_ctl(IOAT_DESC_COMPL_WRITE),
			 t->big_src_dma + 5 * i + 1, dst);
}

/* Descriptor i's destination is what it wrote, the bytes around it untouched (done) or all. */
static bool job_ok(struct regs_test *t, unsigned int i, bool done)
{
	u8 *d = t->big_dst + (size_t)i * JOB_STRIDE + 11 + i;

	if (d[-1] != GUARD_BYTE || d[job_len(i)] != GUARD_BYTE)
		return false;
	if (!done)
		return all_are(d, job_len(i), GUARD_BYTE);
	if (i % 2)
		return fill_ok(d, job_len(i), job_pattern(i));
	return !memcmp(d, t->big_src + 5 * i + 1, job_len(i));
}

/*
 * A chain of descriptors of 256 KiB and more (copies and fills at odd sizes,
 * offsets and pattern phases), which the model's worker moves several at a
 * time (workers=on): nothing past DMACOUNT moves, each ends byte for byte
 * with the completion word naming the last; then the same chain with a write
 * fault in its third descriptor: the first two are done and the completion
 * word names the second, HALTED, and nothing after the fault is written;
 * then with a completion address that is not memory: the channel halts after
 * the first descriptor and nothing after it is written.
 */
static void check_jobchain(struct regs_test *t)
{
	unsigned int i;

	for (i = 0; i < BIG_SIZE; i += 8)
		*(u64 *)(t->big_src + i) = i * 0x2545f4914f6cdd1dULL + 7;
	memset(t->big_dst, GUARD_BYTE, BIG_SIZE);
	reset_chan(t);
	for (i = 0; i < JOB_DESCS; i++)
		job_desc(t, i, job_dst(t, i));
	start_chain(t, 0);
	doorbell(t, 3);
	CHECK(t, wait_settled(t) == IOAT_CHANSTS_IDLE, "state %u", state(t));
	CHECK(t, *t->compl == (desc_dma(t, 2) | IOAT_CHANSTS_IDLE), "completion 0x%llx",
	      *t->compl);
	for (i = 0; i < JOB_DESCS; i++)
		CHECK(t, job_ok(t, i, i < 3), "descriptor %u of 3 valid", i);
	doorbell(t, JOB_DESCS - 3);
	CHECK(t, wait_settled(t) == IOAT_CHANSTS_IDLE, "state %u", state(t));
	CHECK(t, *t->compl == (desc_dma(t, JOB_DESCS - 1) | IOAT_CHANSTS_IDLE),
	      "completion 0x%llx", *t->compl);
	for (i = 0; i < JOB_DESCS; i++)
		CHECK(t, job_ok(t, i, true), "descriptor %u of %u", i, JOB_DESCS);

	memset(t->big_dst, GUARD_BYTE, BIG_SIZE);
	reset_chan(t);
	for (i = 0; i < JOB_DESCS; i++)
		job_desc(t, i, i == 2 ? BAD_ADDR : job_dst(t, i));
	start_chain(t, 0);
	doorbell(t, JOB_DESCS);
	CHECK(t, wait_settled(t) == IOAT_CHANSTS_HALTED, "state %u", state(t));
	CHECK(t, chanerr(t) == IOAT_CHANERR_WRITE_DATA, "CHANERR 0x%x", chanerr(t));
	CHECK(t, *t->compl == (desc_dma(t, 1) | IOAT_CHANSTS_HALTED), "completion 0x%llx",
	      *t->compl);
	for (i = 0; i < JOB_DESCS; i++)
		if (i != 2)
			CHECK(t, job_ok(t, i, i < 2), "descriptor %u, a fault in the third", i);

	/* a completion address that is not memory: halted after the first, nothing else moved */
	memset(t->big_dst, GUARD_BYTE, BIG_SIZE);
	reset_chan(t);
	writeq(BAD_ADDR, t->chan + IOAT_CHANCMP_OFFSET);
	for (i = 0; i < JOB_DESCS; i++)
		job_desc(t, i, job_dst(t, i));
	start_chain(t, 0);
	doorbell(t, JOB_DESCS);
	CHECK(t, wait_settled(t) == IOAT_CHANSTS_HALTED, "state %u", state(t));
	CHECK(t, chanerr(t) == IOAT_CHANERR_COMPLETION_ADDR, "CHANERR 0x%x", chanerr(t));
	for (i = 0; i < JOB_DESCS; i++)
		CHECK(t, job_ok(t, i, i < 1), "descriptor %u, completion address not memory", i);
	reset_chan(t);
}

/* After a fuzz: a reset brings the channel back, and a 4 KiB copy through it checks. */
static void copy_after(struct regs_test *t, const char *what)
{
	reset_chan(t);
	memset(t->dst, 0, 4096);
	set_desc(t, 0, 4096, copy_ctl(IOAT_DESC_COMPL_WRITE), t->src_dma, t->dst_dma);
	start_chain(t, 0);
	doorbell(t, 1);
	CHECK(t, wait_settled(t) == IOAT_CHANSTS_IDLE, "after %s: state %u", what, state(t));
	CHECK(t, !memcmp(t->dst, t->src, 4096), "copy after %s", what);
}

/*
 * Random writes of every width to the register page, bus mastering off so
 * whatever DMA they start fails harmlessly: the device (and QEMU) must
 * survive, and a reset must bring the channel back.
 */
static void check_fuzz(struct regs_test *t)
{
	unsigned int i, width;
	u32 off;
	u64 val;

	pci_clear_master(t->pdev);
	for (i = 0; i < fuzz_writes; i++) {
		width = 1 << (get_random_u32() % 4);
		off = (get_random_u32() % IOAT_MSIX_TABLE_OFFSET) & ~(width - 1);
		/* mostly the global and channel registers */
		if (i % 4)
			off &= 0xff;
		val = get_random_u64();
		switch (width) {
		case 1:
			writeb(val, t->bar + off);
			break;
		case 2:
			writew(val, t->bar + off);
			break;
		case 4:
			writel(val, t->bar + off);
			break;
		default:
			writeq(val, t->bar + off);
			break;
		}
		if (!(i % 16))
			(void)readq(t->bar + (off & ~7));
	}
	writeb(0, t->bar + IOAT_INTRCTRL_OFFSET);
	writel(0, t->chan + IOAT_CHANERR_MASK_OFFSET);
	pci_set_master(t->pdev);
	copy_after(t, "the random writes");
	dev_info(t->dev, "%u random register writes, then reset and copy\n", fuzz_writes);
}

/*
 * A random source or destination and how many bytes may follow it: inside the test's buffers
 * (the room to their end), or a target that must fail with nothing written (unbacked space,
 * the function's own configuration space, the MSI window, its own registers), any size. The
 * ring is never a destination: without an IOMMU, a descriptor the device wrote itself could
 * aim anywhere in guest memory.
 */
static u64 fuzz_addr(struct regs_test *t, const struct hostile_targets *ft, bool dst, bool clean,
		     u64 *room)
{
	u32 r = get_random_u32(), off;

	switch (clean ? 4 + r % 12 : r % 16) {
	case 0:
		*room = U64_MAX;
		return BAD_ADDR + (get_random_u64() & 0xffffffffffULL);
	case 1:
		*room = U64_MAX;
		return ft->cfg + (get_random_u32() % PAGE_SIZE);
	case 2:
		*room = U64_MAX;
		return ft->msi + (get_random_u32() % PAGE_SIZE);
	case 3:
		*room = U64_MAX;
		return ft->bar + (get_random_u32() % PAGE_SIZE);
	case 4:
		if (!dst) {
			off = get_random_u32() % (RING_DESCS * IOAT_DESC_SIZE);
			*room = RING_DESCS * IOAT_DESC_SIZE - off;
			return t->ring_dma + off;
		}
		off = get_random_u32() % PAGE_SIZE;
		*room = PAGE_SIZE - off;
		return t->compl_dma + off;
	case 5:
	case 6:
		off = get_random_u32() % BIG_SIZE;
		*room = BIG_SIZE - off;
		return (dst ? t->big_dst_dma : t->big_src_dma) + off;
	default:
		off = get_random_u32() % BUF_SIZE;
		*room = BUF_SIZE - off;
		return (dst ? t->dst_dma : t->src_dma) + off;
	}
}

/*
 * Ring slot i: random operation, flags and size, targets from fuzz_addr(), a random link; clean:
 * a copy, fill or null descriptor with the usual flags, inside the buffers, linked in the ring
 * (it may still fail: a size above XFERCAP).
 */
static void fuzz_desc(struct regs_test *t, const struct hostile_targets *ft, unsigned int i,
		      bool clean)
{
	static const u32 ops[] = { IOAT_OP_COPY, IOAT_OP_COPY, IOAT_OP_COPY, IOAT_OP_FILL,
				   IOAT_OP_FILL, IOAT_OP_XOR, IOAT_OP_PQ, 0x42 };
	u32 r = get_random_u32(), ctl, size;
	u64 src, dst, room_s, room_d, room;
	struct ioat_desc *d = &t->ring[i % RING_DESCS];

	ctl = (get_random_u32() & 0x7ff) | ops[r % ARRAY_SIZE(ops)] << IOAT_DESC_OP_SHIFT;
	if (clean)
		ctl &= IOAT_DESC_OP_MASK | IOAT_DESC_INT_EN | IOAT_DESC_COMPL_WRITE |
		       IOAT_DESC_FENCE | IOAT_DESC_NULL;
	if (clean && IOAT_DESC_OP(ctl) != IOAT_OP_FILL)
		ctl &= ~IOAT_DESC_OP_MASK;
	if (r & 0x100)
		ctl &= ~IOAT_DESC_NULL;
	src = fuzz_addr(t, ft, false, clean, &room_s);
	dst = fuzz_addr(t, ft, true, clean, &room_d);
	/* a FILL's source is its pattern */
	if (IOAT_DESC_OP(ctl) == IOAT_OP_FILL)
		room_s = U64_MAX;
	room = min(room_s, room_d);
	size = r & 0x200 ? get_random_u32() % 64 + 1 : get_random_u32() % SZ_64K;
	if (r & 0x400 && !clean)
		size = get_random_u32();
	/*
	 * A side inside the buffers bounds the size: past a source lies whatever follows in the
	 * guest's physical space, MMIO with read side effects included.
	 */
	if (size > room)
		size = room;
	d->size = cpu_to_le32(size);
	d->ctl = cpu_to_le32(ctl);
	d->src = cpu_to_le64(src);
	d->dst = cpu_to_le64(dst);
	/* mostly the ring's own link; now and then one that must fail to fetch */
	switch (clean ? 15 : r >> 28) {
	case 0:
		d->next = cpu_to_le64(BAD_ADDR + (get_random_u32() & ~63u));
		break;
	case 1:
		d->next = cpu_to_le64(ft->bar + (get_random_u32() % PAGE_SIZE & ~63u));
		break;
	case 2:
		d->next = cpu_to_le64(ft->cfg + (get_random_u32() % PAGE_SIZE & ~63u));
		break;
	default:
		d->next = cpu_to_le64(desc_dma(t, i + 1));
		break;
	}
}

/*
 * Random descriptor chains for desc_fuzz_ms, bus mastering on: random operations (the
 * unsupported ones too), flags, sizes (up to 4 GiB), targets inside the test's buffers and
 * targets that must fail (unbacked space, the function's own configuration space, its own
 * registers, the MSI window), broken links, and SUSPEND/RESUME/ABORT/RESET while the chain
 * runs. Descriptors are rewritten only while the channel is not ACTIVE, and every one in the
 * ring stays safe to run at any time, so a stale one the doorbell reaches is harmless. Each
 * round must settle (IDLE, HALTED or SUSPENDED) within 5 s, and a reset must bring the channel
 * back (reset_chan() checks it); at the end a checked copy runs. The counts go to dmesg.
 */
static void check_desc_fuzz(struct regs_test *t)
{
	unsigned long end = jiffies + msecs_to_jiffies(desc_fuzz_ms);
	unsigned int rounds = 0, descs = 0, halted = 0, idle = 0, suspended = 0, cmds = 0;
	unsigned int i, pos = 0, n, st;
	struct hostile_targets ft;

	if (!desc_fuzz_ms) {
		dev_info(t->dev, "descriptor fuzz: skipped (desc_fuzz_ms=0)\n");
		return;
	}
	if (!map_hostile(t, &ft))
		return;
	get_random_bytes(t->src, BUF_SIZE);
	reset_chan(t);
	for (i = 0; i < RING_DESCS; i++)
		fuzz_desc(t, &ft, i, false);
	start_chain(t, 0);
	while (time_before(jiffies, end) && !t->failures) {
		u32 r = get_random_u32();
		bool clean = r & 0x40000;

		/* the next n slots, which the device has not been told of; half the rounds clean */
		n = r % 16 + 1;
		for (i = 0; i < n; i++)
			fuzz_desc(t, &ft, pos + i, clean);
		pos += n;
		descs += n;
		/* mostly the slots just written; sometimes past them, into older ones */
		doorbell(t, r & 0x10000 ? n + (r >> 20) % RING_DESCS : n);
		if (!(r & 0x380000)) {
			static const u8 cmd[] = { IOAT_CHANCMD_SUSPEND, IOAT_CHANCMD_ABORT,
						  IOAT_CHANCMD_RESUME, IOAT_CHANCMD_RESET };

			writeb(cmd[(r >> 22) % 4], t->chan + IOAT_CHANCMD_OFFSET);
			cmds++;
		}
		st = wait_settled_ms(t, 5000);
		rounds++;
		if (st == IOAT_CHANSTS_ACTIVE) {
			CHECK(t, false, "still ACTIVE 5 s after round %u", rounds);
			break;
		}
		if (st == IOAT_CHANSTS_IDLE) {
			idle++;
			continue;
		}
		if (st == IOAT_CHANSTS_HALTED)
			halted++;
		else if (st == IOAT_CHANSTS_SUSPENDED)
			suspended++;
		/* halted, suspended, or reset and never restarted: start again at pos */
		reset_chan(t);
		start_chain(t, pos);
	}
	for (i = 0; i < RING_DESCS; i++)
		t->ring[i].next = cpu_to_le64(desc_dma(t, i + 1));
	copy_after(t, "the random descriptors");
	dev_info(t->dev,
		 "descriptor fuzz: %u rounds, %u descriptors, %u commands in %u ms: %u ended idle, %u halted (an error, ABORT or RESET), %u suspended; then reset and copy\n",
		 rounds, descs, cmds, desc_fuzz_ms, idle, halted, suspended);
	unmap_hostile(t, &ft);
}

static void check_huge(struct regs_test *t)
{
	size_t i, size = (size_t)huge_mb << 20;
	unsigned int st, active = 0, reads = 0, attempt;
	dma_addr_t src_dma, dst_dma;
	ktime_t t0, last, now;
	s64 gap, max_gap = 0;
	bool appended = false;
	u8 *src, *dst;

	src = dma_alloc_coherent(t->dev, size, &src_dma, GFP_KERNEL);
	dst = dma_alloc_coherent(t->dev, size, &dst_dma, GFP_KERNEL);
	CHECK(t, src && dst, "no %u MiB of DMA-contiguous memory (IOMMU off?)", huge_mb);
	if (!src || !dst)
		goto out;
	for (i = 0; i < size; i += 8)
		*(u64 *)(src + i) = i ^ 0x0123456789abcdefULL;
	/*
	 * On a loaded host the vCPU may not run at all while the device copies, and then it never
	 * sees ACTIVE: try up to ten times. A device that stalls the guest fails every attempt
	 * (and the gap check below).
	 */
	for (attempt = 0; attempt < 10 && !appended; attempt++) {
		memset(dst, 0, size);
		reset_chan(t);
		set_desc(t, 0, size, copy_ctl(IOAT_DESC_COMPL_WRITE), src_dma, dst_dma);
		set_desc(t, 1, 1, IOAT_DESC_NULL | IOAT_DESC_COMPL_WRITE, 0, 0);
		start_chain(t, 0);
		t0 = ktime_get();
		last = t0;
		doorbell(t, 1);
		do {
			st = state(t);
			now = ktime_get();
			gap = ktime_us_delta(now, last);
			max_gap = max(max_gap, gap);
			last = now;
			reads++;
			if (st == IOAT_CHANSTS_ACTIVE) {
				active++;
				if (!appended) {
					/* submit while the device works */
					doorbell(t, 1);
					appended = true;
				}
			}
			usleep_range(10, 20);
		} while (st == IOAT_CHANSTS_ACTIVE &&
			 ktime_us_delta(now, t0) < 20 * USEC_PER_SEC);
	}
	CHECK(t, st == IOAT_CHANSTS_IDLE, "state %u", st);
	CHECK(t, active > 0, "never read ACTIVE during a %u MiB descriptor", huge_mb);
	CHECK(t, appended, "nothing appended");
	CHECK(t, *t->compl == (desc_dma(t, 1) | IOAT_CHANSTS_IDLE), "completion 0x%llx",
	      *t->compl);
	CHECK(t, max_gap < 100 * USEC_PER_MSEC, "the guest stalled for %lld us", max_gap);
	CHECK(t, !memcmp(src, dst, size), "%u MiB copy", huge_mb);
	dev_info(t->dev,
		 "%u MiB descriptor: %lld us, %u of %u CHANSTS reads ACTIVE in %u attempts, longest gap between reads %lld us\n",
		 huge_mb, ktime_us_delta(last, t0), active, reads, attempt, max_gap);
out:
	if (src)
		dma_free_coherent(t->dev, size, src, src_dma);
	if (dst)
		dma_free_coherent(t->dev, size, dst, dst_dma);
}

/*
 * The check groups in the order they run. Each reports its own line,
 * "group NAME: ok" or "group NAME: N checks failed" (t_ioat_regs expects
 * every one by name); huge runs only with huge_mb.
 */
struct check_group {
	const char *name;
	void (*run)(struct regs_test *t);
	bool needs_huge_mb;
};

static const struct check_group check_groups[] = {
	{ "identity", check_identity },
	{ "arm64", check_arm64 },
	{ "chain", check_chain },
	{ "suspend", check_suspend },
	{ "errors", check_errors },
	{ "hostile", check_hostile },
	{ "wrap", check_wrap },
	{ "attn", check_attn },
	{ "big", check_big },
	{ "worker", check_worker },
	{ "jobchain", check_jobchain },
	{ "fuzz", check_fuzz },
	{ "descfuzz", check_desc_fuzz },
	{ "huge", check_huge, true },
};

static void run_group(struct regs_test *t, const struct check_group *g)
{
	int before = t->failures;

	if (g->needs_huge_mb && !huge_mb) {
		dev_info(t->dev, "group %s: skipped (huge_mb=0)\n", g->name);
		return;
	}
	g->run(t);
	if (t->failures == before)
		dev_info(t->dev, "group %s: ok\n", g->name);
	else
		dev_err(t->dev, "group %s: %d checks failed\n", g->name, t->failures - before);
}

static int regs_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct regs_test *t;
	unsigned int i;
	int ret;

	t = devm_kzalloc(&pdev->dev, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->pdev = pdev;
	t->dev = &pdev->dev;
	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(IOAT_BAR_MMIO), KBUILD_MODNAME);
	if (ret)
		return ret;
	t->bar = pcim_iomap_table(pdev)[IOAT_BAR_MMIO];
	t->chan = t->bar + IOAT_CHAN_OFFSET(0);
	ret = dma_set_mask_and_coherent(t->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	pci_set_master(pdev);
	pci_intx(pdev, 0);

	t->ring = dmam_alloc_coherent(t->dev, RING_DESCS * IOAT_DESC_SIZE, &t->ring_dma,
				      GFP_KERNEL);
	t->compl = dmam_alloc_coherent(t->dev, PAGE_SIZE, &t->compl_dma, GFP_KERNEL);
	t->src = dmam_alloc_coherent(t->dev, BUF_SIZE, &t->src_dma, GFP_KERNEL);
	t->dst = dmam_alloc_coherent(t->dev, BUF_SIZE, &t->dst_dma, GFP_KERNEL);
	t->big_src = dmam_alloc_coherent(t->dev, BIG_SIZE, &t->big_src_dma, GFP_KERNEL);
	t->big_dst = dmam_alloc_coherent(t->dev, BIG_SIZE, &t->big_dst_dma, GFP_KERNEL);
	if (!t->ring || !t->compl || !t->src || !t->dst || !t->big_src || !t->big_dst)
		return -ENOMEM;
	for (i = 0; i < RING_DESCS; i++)
		t->ring[i].next = cpu_to_le64(desc_dma(t, i + 1));

	for (i = 0; i < ARRAY_SIZE(check_groups); i++)
		run_group(t, &check_groups[i]);
	reset_chan(t);
	pci_set_drvdata(pdev, t);
	if (t->failures) {
		dev_err(t->dev, "%d checks failed\n", t->failures);
		return -EIO;
	}
	dev_info(t->dev, "all checks passed\n");
	return 0;
}

static void regs_remove(struct pci_dev *pdev)
{
	struct regs_test *t = pci_get_drvdata(pdev);

	writeb(IOAT_CHANCMD_RESET, t->chan + IOAT_CHANCMD_OFFSET);
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

MODULE_DESCRIPTION("register-level test of the emulated I/OAT device");
MODULE_LICENSE("GPL");

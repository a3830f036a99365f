/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note OR BSD-3-Clause */
/*
 * Intel I/OAT (QuickData, CB3.x) DMA engine: register and descriptor layout.
 *
 * One description of the hardware, shared by the emulated device (QEMU), the
 * kernel modules and the user-space driver. Everything is little-endian.
 *
 * A device exposes one 64-bit memory BAR (BAR0). Global registers sit at
 * offset 0; channel n's registers at IOAT_CHAN_OFFSET(n). Software builds
 * 64-byte descriptors linked through their `next` field, writes the chain's
 * first address to CHAINADDR and then a running 16-bit count of valid
 * descriptors to DMACOUNT (the doorbell). After each descriptor with
 * IOAT_DESC_COMPL_WRITE the device stores "descriptor bus address | state" to
 * the 8-byte word at CHANCMP; CHANSTS reads the same value.
 */
#ifndef DMACOPY_IOAT_SPEC_H
#define DMACOPY_IOAT_SPEC_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/stddef.h>
#else
#include <stdint.h>
#include <stddef.h>
#endif

#ifdef __cplusplus
#define IOAT_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define IOAT_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/* ------------------------------------------------------------------------ */
/* PCI identity                                                             */

#define IOAT_PCI_VENDOR_INTEL	0x8086
#define IOAT_PCI_DEVICE_BDX0	0x6f20	/* Broadwell-EP CBDMA, channel 0 */
#define IOAT_PCI_CLASS		0x088000 /* system peripheral, other */
#define IOAT_BAR_MMIO		0	/* BAR0: 64-bit, non-prefetchable */
#define IOAT_BAR_SIZE		0x4000
#define IOAT_MSIX_TABLE_OFFSET	0x2000	/* BAR0 offsets used by the emulated device */
#define IOAT_MSIX_PBA_OFFSET	0x3000

/* ------------------------------------------------------------------------ */
/* Global registers (BAR0 + offset)                                         */

#define IOAT_CHANCNT_OFFSET	0x00	/*  8: number of channels, bits 4:0 */
#define IOAT_CHANCNT_MASK	0x1f
#define IOAT_XFERCAP_OFFSET	0x01	/*  8: log2(max bytes per descriptor), 4:0 */
#define IOAT_XFERCAP_MASK	0x1f
#define IOAT_GENCTRL_OFFSET	0x02	/*  8 */
#define IOAT_INTRCTRL_OFFSET	0x03	/*  8 */
#define IOAT_ATTNSTATUS_OFFSET	0x04	/* 32: one bit per channel with an event */
#define IOAT_CBVER_OFFSET	0x08	/*  8: major << 4 | minor */
#define IOAT_PERPORTOFFSET_OFFSET 0x0a	/* 16 */
#define IOAT_INTRDELAY_OFFSET	0x0c	/* 16 */
#define IOAT_CS_STATUS_OFFSET	0x0e	/* 16 */
#define IOAT_DMACAP_OFFSET	0x10	/* 32: IOAT_CAP_* */
#define IOAT_DCAOFFSET_OFFSET	0x14	/* 16: 0 = no DCA */

#define IOAT_INTRCTRL_MASTER_INT_EN	0x01	/* RW */
#define IOAT_INTRCTRL_INT_STATUS	0x02	/* RO: ATTNSTATUS != 0 */
#define IOAT_INTRCTRL_INT		0x04	/* RO: INT_STATUS && MASTER_INT_EN */
#define IOAT_INTRCTRL_MSIX_VECTOR_CONTROL 0x08	/* RW */

#define IOAT_VER_3_0		0x30
#define IOAT_VER_3_2		0x32
#define IOAT_VER_3_3		0x33
#define IOAT_VER_3_4		0x34
#define IOAT_VER_MAJOR(v)	(((v) >> 4) & 0xf)
#define IOAT_VER_MINOR(v)	((v) & 0xf)

#define IOAT_CAP_PAGE_BREAK	0x00000001
#define IOAT_CAP_CRC		0x00000002
#define IOAT_CAP_SKIP_MARKER	0x00000004
#define IOAT_CAP_DCA		0x00000010
#define IOAT_CAP_CRC_MOVE	0x00000020
#define IOAT_CAP_FILL_BLOCK	0x00000040
#define IOAT_CAP_APIC		0x00000080
#define IOAT_CAP_XOR		0x00000100
#define IOAT_CAP_PQ		0x00000200
#define IOAT_CAP_DWBES		0x00002000
#define IOAT_CAP_RAID16SS	0x00020000
#define IOAT_CAP_DPS		0x00800000

/* ------------------------------------------------------------------------ */
/* Channel registers (BAR0 + IOAT_CHAN_OFFSET(n) + offset)                  */

#define IOAT_CHAN_MMIO_SIZE	0x80
#define IOAT_CHAN_OFFSET(n)	(IOAT_CHAN_MMIO_SIZE * ((n) + 1))
#define IOAT_MAX_CHANS		4	/* what Linux's ioatdma drives per function */

#define IOAT_CHANCTRL_OFFSET	0x00	/* 16 */
#define IOAT_DMACOMP_OFFSET	0x02	/* 16 */
#define IOAT_CHANCMD_OFFSET	0x04	/*  8 */
#define IOAT_DMACOUNT_OFFSET	0x06	/* 16: doorbell */
#define IOAT_CHANSTS_OFFSET	0x08	/* 64, RO (two 32-bit halves allowed) */
#define IOAT_CHAINADDR_OFFSET	0x10	/* 64 (two 32-bit halves allowed) */
#define IOAT_CHANCMP_OFFSET	0x18	/* 64 (two 32-bit halves allowed) */
#define IOAT_CDAR_OFFSET	0x20	/* 64, RO: current descriptor address */
#define IOAT_CHANERR_OFFSET	0x28	/* 32, write 1 to clear */
#define IOAT_CHANERR_MASK_OFFSET 0x2c	/* 32 */
#define IOAT_DCACTRL_OFFSET	0x30	/* 32 */

#define IOAT_CHANCTRL_INT_REARM		0x0001	/* arm the channel's interrupt */
#define IOAT_CHANCTRL_ERR_COMPLETION_EN	0x0004	/* write the completion word on error */
#define IOAT_CHANCTRL_ANY_ERR_ABORT_EN	0x0008
#define IOAT_CHANCTRL_ERR_INT_EN	0x0010	/* an error is an interrupt event */
#define IOAT_CHANCTRL_DESC_ADDR_SNOOP	0x0020
#define IOAT_CHANCTRL_IN_USE		0x0100
#define IOAT_CHANCTRL_COMPL_DCA_EN	0x0200
#define IOAT_CHANCTRL_PRIORITY_MASK	0xf000
/* What Linux's ioatdma writes to run a channel. */
#define IOAT_CHANCTRL_RUN \
	(IOAT_CHANCTRL_INT_REARM | IOAT_CHANCTRL_ERR_COMPLETION_EN | \
	 IOAT_CHANCTRL_ANY_ERR_ABORT_EN | IOAT_CHANCTRL_ERR_INT_EN)

#define IOAT_CHANCMD_START	0x01
#define IOAT_CHANCMD_APPEND	0x02
#define IOAT_CHANCMD_SUSPEND	0x04
#define IOAT_CHANCMD_ABORT	0x08
#define IOAT_CHANCMD_RESUME	0x10
#define IOAT_CHANCMD_RESET	0x20	/* reads 1 until the reset is done */

/* CHANSTS and the completion word: bits 63:6 address, 2:0 state. */
#define IOAT_CHANSTS_ADDR_MASK		(~(uint64_t)0x3f)
#define IOAT_CHANSTS_SOFT_ERR		0x10
#define IOAT_CHANSTS_UNAFFILIATED_ERR	0x08
#define IOAT_CHANSTS_STATE_MASK		0x07
#define IOAT_CHANSTS_ACTIVE		0x0
#define IOAT_CHANSTS_IDLE		0x1	/* Linux: DONE */
#define IOAT_CHANSTS_SUSPENDED		0x2
#define IOAT_CHANSTS_HALTED		0x3
#define IOAT_CHANSTS_ARMED		0x4

#define IOAT_CHANERR_SRC_ADDR		0x00000001
#define IOAT_CHANERR_DEST_ADDR		0x00000002
#define IOAT_CHANERR_NEXT_ADDR		0x00000004
#define IOAT_CHANERR_NEXT_DESC_ALIGN	0x00000008
#define IOAT_CHANERR_CHAIN_ADDR_VALUE	0x00000010
#define IOAT_CHANERR_CHANCMD		0x00000020
#define IOAT_CHANERR_CHIPSET_UNCORR	0x00000040
#define IOAT_CHANERR_DMA_UNCORR		0x00000080
#define IOAT_CHANERR_READ_DATA		0x00000100	/* a DMA read failed */
#define IOAT_CHANERR_WRITE_DATA		0x00000200	/* a DMA write failed */
#define IOAT_CHANERR_DESC_CONTROL	0x00000400	/* unknown or unsupported op */
#define IOAT_CHANERR_DESC_LENGTH	0x00000800	/* zero transfer size */
#define IOAT_CHANERR_COMPLETION_ADDR	0x00001000
#define IOAT_CHANERR_INT_CONFIG		0x00002000
#define IOAT_CHANERR_SOFT		0x00004000
#define IOAT_CHANERR_UNAFFILIATED	0x00008000
#define IOAT_CHANERR_XOR_P_OR_CRC	0x00010000
#define IOAT_CHANERR_XOR_Q		0x00020000
#define IOAT_CHANERR_DESC_COUNT		0x00040000

#define IOAT_DCACTRL_ANY_CPU		0xffffffff

/* ------------------------------------------------------------------------ */
/* Register blocks as structures, for a mapped BAR0 (accesses must keep the */
/* register's width; 64-bit registers may also be written as 32-bit halves). */

struct ioat_global_regs {
	uint8_t chancnt;
	uint8_t xfercap;
	uint8_t genctrl;
	uint8_t intrctrl;
	uint32_t attnstatus;
	uint8_t cbver;
	uint8_t reserved0;
	uint16_t perportoffset;
	uint16_t intrdelay;
	uint16_t cs_status;
	uint32_t dmacapability;
	uint16_t dcaoffset;
	uint8_t reserved1[IOAT_CHAN_MMIO_SIZE - 0x16];
} __attribute__((packed));

struct ioat_chan_regs {
	uint16_t chanctrl;
	uint16_t dmacomp;
	uint8_t chancmd;
	uint8_t reserved0;
	uint16_t dmacount;
	uint64_t chansts;
	uint64_t chainaddr;
	uint64_t chancmp;
	uint64_t cdar;
	uint32_t chanerr;
	uint32_t chanerr_mask;
	uint32_t dcactrl;
	uint8_t reserved1[IOAT_CHAN_MMIO_SIZE - 0x34];
} __attribute__((packed));

IOAT_STATIC_ASSERT(sizeof(struct ioat_global_regs) == IOAT_CHAN_MMIO_SIZE, "global regs");
IOAT_STATIC_ASSERT(offsetof(struct ioat_global_regs, dmacapability) == IOAT_DMACAP_OFFSET, "dmacap");
IOAT_STATIC_ASSERT(offsetof(struct ioat_global_regs, dcaoffset) == IOAT_DCAOFFSET_OFFSET, "dcaoff");
IOAT_STATIC_ASSERT(sizeof(struct ioat_chan_regs) == IOAT_CHAN_MMIO_SIZE, "channel regs");
IOAT_STATIC_ASSERT(offsetof(struct ioat_chan_regs, dmacount) == IOAT_DMACOUNT_OFFSET, "dmacount");
IOAT_STATIC_ASSERT(offsetof(struct ioat_chan_regs, chansts) == IOAT_CHANSTS_OFFSET, "chansts");
IOAT_STATIC_ASSERT(offsetof(struct ioat_chan_regs, chainaddr) == IOAT_CHAINADDR_OFFSET, "chainaddr");
IOAT_STATIC_ASSERT(offsetof(struct ioat_chan_regs, chancmp) == IOAT_CHANCMP_OFFSET, "chancmp");
IOAT_STATIC_ASSERT(offsetof(struct ioat_chan_regs, chanerr) == IOAT_CHANERR_OFFSET, "chanerr");
IOAT_STATIC_ASSERT(offsetof(struct ioat_chan_regs, dcactrl) == IOAT_DCACTRL_OFFSET, "dcactrl");

/* ------------------------------------------------------------------------ */
/* Descriptors: 64 bytes, 64-byte aligned.                                   */

#define IOAT_DESC_SIZE		64

#define IOAT_DESC_INT_EN	0x00000001	/* interrupt event on completion */
#define IOAT_DESC_SRC_SNOOP_DIS	0x00000002
#define IOAT_DESC_DST_SNOOP_DIS	0x00000004
#define IOAT_DESC_COMPL_WRITE	0x00000008	/* write the completion word */
#define IOAT_DESC_FENCE		0x00000010
#define IOAT_DESC_NULL		0x00000020	/* move no data */
#define IOAT_DESC_SRC_BRK	0x00000040
#define IOAT_DESC_DST_BRK	0x00000080
#define IOAT_DESC_BUNDLE	0x00000100
#define IOAT_DESC_DEST_DCA	0x00000200
#define IOAT_DESC_HINT		0x00000400
#define IOAT_DESC_OP_SHIFT	24
#define IOAT_DESC_OP_MASK	0xff000000u
#define IOAT_DESC_OP(ctl)	(((ctl) & IOAT_DESC_OP_MASK) >> IOAT_DESC_OP_SHIFT)

#define IOAT_OP_COPY		0x00
#define IOAT_OP_FILL		0x01	/* dst byte j = byte (j % 8) of the pattern */
#define IOAT_OP_XOR		0x87
#define IOAT_OP_XOR_VAL		0x88
#define IOAT_OP_PQ		0x89
#define IOAT_OP_PQ_VAL		0x8a

/*
 * COPY, FILL and NULL descriptor. The device reads bytes 0x00-0x1f only and
 * never writes a descriptor; bytes 0x20-0x3f are free for software.
 */
struct ioat_desc {
	uint32_t size;		/* bytes; must be non-zero, also for NULL */
	uint32_t ctl;		/* IOAT_DESC_* | op << IOAT_DESC_OP_SHIFT */
	uint64_t src;		/* COPY: source bus address; FILL: 64-bit pattern */
	uint64_t dst;		/* destination bus address */
	uint64_t next;		/* bus address of the next descriptor */
	uint64_t reserved[2];
	uint64_t sw[2];		/* software-owned */
} __attribute__((packed));

IOAT_STATIC_ASSERT(sizeof(struct ioat_desc) == IOAT_DESC_SIZE, "descriptor size");
IOAT_STATIC_ASSERT(offsetof(struct ioat_desc, next) == 0x18, "descriptor next");

#endif /* DMACOPY_IOAT_SPEC_H */

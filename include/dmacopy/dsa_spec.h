/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note OR BSD-3-Clause */
/*
 * Intel Data Streaming Accelerator (DSA, Linux driver idxd): registers,
 * configuration tables, descriptors and completion records.
 *
 * One description of the hardware, shared by the emulated device (QEMU), the
 * kernel test modules and the user-space VFIO driver. Everything is
 * little-endian. A field of several bits is a pair NAME_SHIFT / NAME_MASK (mask
 * in place), read with DSA_GET(NAME, v) and built with DSA_SET(NAME, x); a
 * one-bit field is a single mask. Structures: fixed-width members at their
 * natural alignment, no bitfields, no packing.
 *
 * BAR0 holds the registers and, where OFFSETS says, the group (GRPCFG),
 * work-queue (WQCFG) and MSI-X permission tables. BAR2 holds the portals: a
 * 64-byte descriptor goes to a work queue (WQ) in one 64-byte store (MOVDIR64B
 * for a dedicated WQ, ENQCMD(S) for a shared one). The device writes a 32-byte
 * completion record and may send an MSI-X interrupt. Device events (command
 * done, software error) use vector 0; idxd gives WQ n vector n + 1.
 *
 * Sources: Linux 6.1 and 6.12 drivers/dma/idxd and include/uapi/linux/idxd.h.
 * "(6.12)" marks what 6.1 does not define; the emulated device keeps those
 * capabilities at 0, so that neither kernel touches the matching registers.
 */
#ifndef DMACOPY_DSA_SPEC_H
#define DMACOPY_DSA_SPEC_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/stddef.h>
#else
#include <stdint.h>
#include <stddef.h>
#endif

#ifdef __cplusplus
#define DSA_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define DSA_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/* Read or build a field described by NAME_SHIFT and NAME_MASK. */
#define DSA_GET(name, v)	(((v) & name##_MASK) >> name##_SHIFT)
#define DSA_SET(name, x)	(((uint64_t)(x) << name##_SHIFT) & name##_MASK)

/* ------------------------------------------------------------------------ */
/* PCI identity and BARs                                                    */

#define DSA_PCI_VENDOR_INTEL	0x8086
#define DSA_PCI_DEVICE_SPR	0x0b25	/* Sapphire Rapids; 6.1 knows only this */
#define DSA_PCI_DEVICE_GNRD	0x11fb	/* Granite Rapids-D (6.12) */
#define DSA_PCI_DEVICE_DMR	0x1212	/* Diamond Rapids (6.12) */
#define DSA_PCI_CLASS		0x088000 /* system peripheral, other (idxd ignores it) */

#define DSA_BAR_REGS		0	/* 64-bit memory BAR: registers, tables, MSI-X */
#define DSA_BAR_PORTALS		2	/* 64-bit memory BAR: WQ portals */

/* Choices of the emulated device; drivers read the capabilities instead. */
#define DSA_EMU_NUM_WQS		8
#define DSA_EMU_NUM_GROUPS	4
#define DSA_EMU_NUM_ENGINES	4
#define DSA_EMU_MSIX_VECTORS	(1 + DSA_EMU_NUM_WQS)	/* what idxd needs */
#define DSA_BAR0_SIZE		0x10000
#define DSA_EMU_GRPCFG_OFFSET	0x0400	/* BAR0 offsets, multiples of 0x100 */
#define DSA_EMU_WQCFG_OFFSET	0x0800
#define DSA_EMU_MSIX_PERM_OFFSET 0x0c00
#define DSA_MSIX_TABLE_OFFSET	0x2000	/* 16 bytes per vector */
#define DSA_MSIX_PBA_OFFSET	0x3000
#define DSA_BAR2_SIZE		(DSA_EMU_NUM_WQS * DSA_WQ_PORTALS_SIZE)

/*
 * Portals: each WQ owns four 4 KiB pages of BAR2. A descriptor may be written
 * at any 64-byte-aligned offset of a page (idxd walks through the page). The
 * limited pages refuse ENQCMD(S) work beyond the WQ threshold; on the IMS
 * pages a descriptor's interrupt handle names an IMS entry, on the others an
 * MSI-X vector (or a handle from DSA_CMD_REQUEST_INT_HANDLE).
 */
#define DSA_PORTAL_SIZE		0x1000
#define DSA_WQ_PORTALS_SIZE	(4 * DSA_PORTAL_SIZE)
#define DSA_PORTAL_UNLIMITED	0	/* page index inside the WQ's portals */
#define DSA_PORTAL_LIMITED	1
#define DSA_PORTAL_IMS_UNLIMITED 2
#define DSA_PORTAL_IMS_LIMITED	3
#define DSA_PORTAL_OFFSET(wq, kind) \
	((uint32_t)(wq) * DSA_WQ_PORTALS_SIZE + (uint32_t)(kind) * DSA_PORTAL_SIZE)

/* ------------------------------------------------------------------------ */
/* BAR0 registers (offset, width in bits; 64-bit ones read as one access)   */

#define DSA_VERSION_OFFSET	0x00	/* 32 RO */
#define DSA_GENCAP_OFFSET	0x10	/* 64 RO */
#define DSA_WQCAP_OFFSET	0x20	/* 64 RO */
#define DSA_GRPCAP_OFFSET	0x30	/* 64 RO */
#define DSA_ENGCAP_OFFSET	0x38	/* 64 RO */
#define DSA_OPCAP_OFFSET	0x40	/* 4 x 64 RO: bit n = opcode n supported */
#define DSA_OFFSETS_OFFSET	0x60	/* 2 x 64 RO: table offsets */
#define DSA_GENCFG_OFFSET	0x80	/* 32 RW */
#define DSA_GENCTRL_OFFSET	0x88	/* 32 RW */
#define DSA_GENSTATS_OFFSET	0x90	/* 32 RO */
#define DSA_INTCAUSE_OFFSET	0x98	/* 32 RW1C */
#define DSA_CMD_OFFSET		0xa0	/* 32 RW */
#define DSA_CMDSTS_OFFSET	0xa8	/* 32 RO */
#define DSA_CMDCAP_OFFSET	0xb0	/* 32 RO, when DSA_GENCAP_CMDCAP */
#define DSA_SWERR_OFFSET	0xc0	/* 4 x 64, valid/overflow RW1C */

/* Newer registers the emulated device does not implement (reads 0). */
#define DSA_EVLCFG_OFFSET	0xe0	/* 2 x 64 event log address/size (6.12) */
#define DSA_EVLSTATUS_OFFSET	0xf0	/* 64 event log head/tail (6.12) */
#define DSA_IAACAP_OFFSET	0x180	/* 64, IAA version >= 2 only (6.12) */

#define DSA_OPCAP_WORDS		4
#define DSA_OPCAP_WORD(op)	((op) / 64)
#define DSA_OPCAP_BIT(op)	((uint64_t)1 << ((op) % 64))

/* VERSION: idxd compares the whole value. */
#define DSA_VERSION_1_0		0x100	/* Sapphire Rapids */
#define DSA_VERSION_2_0		0x200

/* GENCAP */
#define DSA_GENCAP_BOF			0x0000000000000001ULL	/* block on fault */
#define DSA_GENCAP_OVERLAP_COPY		0x0000000000000002ULL
#define DSA_GENCAP_CACHE_CTRL_MEM	0x0000000000000004ULL
#define DSA_GENCAP_CACHE_CTRL_CACHE	0x0000000000000008ULL
#define DSA_GENCAP_CMDCAP		0x0000000000000010ULL	/* CMDCAP present */
#define DSA_GENCAP_DEST_READBACK	0x0000000000000100ULL
#define DSA_GENCAP_DRAIN_READBACK	0x0000000000000200ULL
#define DSA_GENCAP_EVL_SHIFT		13			/* (6.12) */
#define DSA_GENCAP_EVL_MASK		0x0000000000006000ULL
#define DSA_GENCAP_BATCH_CONT		0x0000000000008000ULL	/* (6.12) */
#define DSA_GENCAP_MAX_XFER_LOG2_SHIFT	16
#define DSA_GENCAP_MAX_XFER_LOG2_MASK	0x00000000001f0000ULL
#define DSA_GENCAP_MAX_BATCH_LOG2_SHIFT	21
#define DSA_GENCAP_MAX_BATCH_LOG2_MASK	0x0000000001e00000ULL
#define DSA_GENCAP_IMS_MULT_SHIFT	25	/* IMS entries / 256 */
#define DSA_GENCAP_IMS_MULT_MASK	0x000000007e000000ULL
#define DSA_GENCAP_CONFIG_EN		0x0000000080000000ULL	/* tables writable */

/* WQCAP */
#define DSA_WQCAP_TOTAL_SIZE_SHIFT	0	/* descriptor slots, all WQs */
#define DSA_WQCAP_TOTAL_SIZE_MASK	0x000000000000ffffULL
#define DSA_WQCAP_NUM_WQS_SHIFT		16
#define DSA_WQCAP_NUM_WQS_MASK		0x0000000000ff0000ULL
#define DSA_WQCAP_WQCFG_SIZE_SHIFT	24	/* entry = 32 << this bytes */
#define DSA_WQCAP_WQCFG_SIZE_MASK	0x000000000f000000ULL
#define DSA_WQCAP_SHARED		0x0001000000000000ULL
#define DSA_WQCAP_DEDICATED		0x0002000000000000ULL
#define DSA_WQCAP_ATS			0x0004000000000000ULL	/* per-WQ ATS disable */
#define DSA_WQCAP_PRIORITY		0x0008000000000000ULL
#define DSA_WQCAP_OCCUPANCY		0x0010000000000000ULL
#define DSA_WQCAP_OCCUPANCY_INT		0x0020000000000000ULL
#define DSA_WQCAP_OP_CONFIG		0x0040000000000000ULL	/* needs 64-byte WQCFG */
#define DSA_WQCAP_PRS			0x0080000000000000ULL	/* (6.12) */
#define DSA_WQCFG_ENTRY_SIZE(wqcfg_size) (32u << (wqcfg_size))

/* GRPCAP and ENGCAP */
#define DSA_GRPCAP_NUM_GROUPS_SHIFT	0
#define DSA_GRPCAP_NUM_GROUPS_MASK	0x00000000000000ffULL
#define DSA_GRPCAP_TOTAL_RDBUFS_SHIFT	8
#define DSA_GRPCAP_TOTAL_RDBUFS_MASK	0x000000000000ff00ULL
#define DSA_GRPCAP_RDBUF_CTRL		0x0000000000010000ULL
#define DSA_GRPCAP_RDBUF_LIMIT		0x0000000000020000ULL
#define DSA_GRPCAP_PROGRESS_LIMIT	0x0000000000040000ULL
#define DSA_ENGCAP_NUM_ENGINES_SHIFT	0
#define DSA_ENGCAP_NUM_ENGINES_MASK	0x00000000000000ffULL

/* OFFSETS: word 0 at 0x60, word 1 at 0x68; values in DSA_TABLE_UNIT bytes. */
#define DSA_TABLE_UNIT			0x100
#define DSA_OFFSETS_GRPCFG_SHIFT	0	/* word 0 */
#define DSA_OFFSETS_GRPCFG_MASK		0x000000000000ffffULL
#define DSA_OFFSETS_WQCFG_SHIFT		16	/* word 0 */
#define DSA_OFFSETS_WQCFG_MASK		0x00000000ffff0000ULL
#define DSA_OFFSETS_MSIX_PERM_SHIFT	32	/* word 0 */
#define DSA_OFFSETS_MSIX_PERM_MASK	0x0000ffff00000000ULL
#define DSA_OFFSETS_IMS_SHIFT		48	/* word 0; 0 = none */
#define DSA_OFFSETS_IMS_MASK		0xffff000000000000ULL
#define DSA_OFFSETS_PERFMON_SHIFT	0	/* word 1; 0 = no perfmon */
#define DSA_OFFSETS_PERFMON_MASK	0x000000000000ffffULL

/* GENCFG and GENCTRL */
#define DSA_GENCFG_RDBUF_LIMIT_SHIFT	0
#define DSA_GENCFG_RDBUF_LIMIT_MASK	0x000000ffu
#define DSA_GENCFG_USER_INT_EN		0x00001000u
#define DSA_GENCFG_EVL_EN		0x00002000u	/* (6.12) */
#define DSA_GENCTRL_SOFTERR_INT_EN	0x00000001u	/* SWERR raises INTCAUSE.ERR */
#define DSA_GENCTRL_HALT_INT_EN		0x00000002u
#define DSA_GENCTRL_EVL_INT_EN		0x00000004u	/* (6.12) */

/* GENSTATS */
#define DSA_GENSTATS_STATE_SHIFT	0
#define DSA_GENSTATS_STATE_MASK		0x00000003u
#define DSA_GENSTATS_RESET_SHIFT	2	/* when halted: reset needed */
#define DSA_GENSTATS_RESET_MASK		0x0000000cu
#define DSA_STATE_DISABLED		0
#define DSA_STATE_ENABLED		1
#define DSA_STATE_DRAINING		2
#define DSA_STATE_HALTED		3
#define DSA_RESET_SOFTWARE		0	/* a DSA_CMD_RESET_DEVICE */
#define DSA_RESET_FLR			1
#define DSA_RESET_WARM			2
#define DSA_RESET_COLD			3

/* INTCAUSE: write 1s to clear. */
#define DSA_INTCAUSE_ERR		0x00000001u	/* SWERR has an entry */
#define DSA_INTCAUSE_CMD		0x00000002u	/* command done (int_req) */
#define DSA_INTCAUSE_OCCUPANCY		0x00000004u
#define DSA_INTCAUSE_PERFMON_OVF	0x00000008u
#define DSA_INTCAUSE_HALT		0x00000010u
#define DSA_INTCAUSE_EVL		0x00000020u	/* (6.12) */
#define DSA_INTCAUSE_HANDLE_REVOKED	0x80000000u

/* CMD: writing starts a command; CMDSTS.ACTIVE reads 1 until it is done. */
#define DSA_CMD_OPERAND_SHIFT		0
#define DSA_CMD_OPERAND_MASK		0x000fffffu
#define DSA_CMD_CODE_SHIFT		20
#define DSA_CMD_CODE_MASK		0x01f00000u
#define DSA_CMD_INT_REQ			0x80000000u	/* INTCAUSE.CMD when done */

#define DSA_CMD_ENABLE_DEVICE		0x01	/* operand 0 */
#define DSA_CMD_DISABLE_DEVICE		0x02
#define DSA_CMD_DRAIN_ALL		0x03
#define DSA_CMD_ABORT_ALL		0x04
#define DSA_CMD_RESET_DEVICE		0x05
#define DSA_CMD_ENABLE_WQ		0x06	/* operand: WQ index */
#define DSA_CMD_DISABLE_WQ		0x07	/* operand: DSA_CMD_WQ_SET() */
#define DSA_CMD_DRAIN_WQ		0x08
#define DSA_CMD_ABORT_WQ		0x09
#define DSA_CMD_RESET_WQ		0x0a
#define DSA_CMD_DRAIN_PASID		0x0b	/* operand: PASID */
#define DSA_CMD_ABORT_PASID		0x0c
#define DSA_CMD_REQUEST_INT_HANDLE	0x0d	/* operand: vector | _IMS */
#define DSA_CMD_RELEASE_INT_HANDLE	0x0e	/* operand: handle | _IMS */
#define DSA_CMD_INT_HANDLE_IMS		0x00010000u

/* WQ-set operand: bit (wq % 16) of bits 15:0, block wq / 16 in bits 19:16. */
#define DSA_CMD_WQ_SET(wq) \
	((1u << ((wq) % 16)) | (((uint32_t)(wq) / 16) << 16))

/* CMDSTS. CMDCAP: bit n set = command code n supported. */
#define DSA_CMDSTS_ERR_SHIFT		0
#define DSA_CMDSTS_ERR_MASK		0x000000ffu
#define DSA_CMDSTS_RESULT_SHIFT		8	/* REQUEST_INT_HANDLE: handle */
#define DSA_CMDSTS_RESULT_MASK		0x00ffff00u
#define DSA_CMDSTS_ACTIVE		0x80000000u

#define DSA_CMDERR_OK			0x00
#define DSA_CMDERR_BAD_CMD		0x01	/* unknown or unsupported code */
#define DSA_CMDERR_BAD_WQ		0x02	/* WQ index out of range */
#define DSA_CMDERR_HW			0x03
#define DSA_CMDERR_ENDEV_ENABLED	0x10	/* ENABLE_DEVICE: already enabled */
#define DSA_CMDERR_ENDEV_CONFIG		0x11	/* ... other configuration error */
#define DSA_CMDERR_ENDEV_BUS_MASTER	0x12	/* ... bus mastering off */
#define DSA_CMDERR_ENDEV_PASID		0x13	/* ... bad PASID setting */
#define DSA_CMDERR_ENDEV_WQ_SIZES	0x14	/* ... WQ sizes exceed the total */
#define DSA_CMDERR_ENDEV_GRP_CONFIG	0x15	/* ... group tables, four cases */
#define DSA_CMDERR_ENDEV_GRP_CONFIG2	0x16
#define DSA_CMDERR_ENDEV_GRP_CONFIG3	0x17
#define DSA_CMDERR_ENDEV_GRP_CONFIG4	0x18
#define DSA_CMDERR_ENWQ_DEV_DISABLED	0x20	/* ENABLE_WQ: device not enabled */
#define DSA_CMDERR_ENWQ_ENABLED		0x21	/* ... WQ already enabled */
#define DSA_CMDERR_ENWQ_SIZE		0x22	/* ... size 0 or too big */
#define DSA_CMDERR_ENWQ_PRIORITY	0x23
#define DSA_CMDERR_ENWQ_MODE		0x24
#define DSA_CMDERR_ENWQ_BOF		0x25
#define DSA_CMDERR_ENWQ_PASID		0x26
#define DSA_CMDERR_ENWQ_MAX_BATCH	0x27
#define DSA_CMDERR_ENWQ_MAX_XFER	0x28
#define DSA_CMDERR_DISDEV_DISABLED	0x31	/* DISABLE_DEVICE: not enabled */
#define DSA_CMDERR_WQCMD_DEV_DISABLED	0x32	/* DISABLE/DRAIN/ABORT/RESET_WQ */
#define DSA_CMDERR_INTH_BAD_INDEX	0x41	/* REQUEST_INT_HANDLE */
#define DSA_CMDERR_INTH_NONE_FREE	0x42

/*
 * SWERR (4 x 64): a software error not reported in a completion record. The
 * error code uses the DSA_COMP_* values. Writing 1s to VALID and OVERFLOW in
 * word 0 clears them.
 */
#define DSA_SWERR_VALID			0x0000000000000001ULL	/* word 0 */
#define DSA_SWERR_OVERFLOW		0x0000000000000002ULL
#define DSA_SWERR_DESC_VALID		0x0000000000000004ULL
#define DSA_SWERR_WQ_VALID		0x0000000000000008ULL
#define DSA_SWERR_BATCH			0x0000000000000010ULL
#define DSA_SWERR_FAULT_WRITE		0x0000000000000020ULL
#define DSA_SWERR_PRIV			0x0000000000000040ULL
#define DSA_SWERR_CODE_SHIFT		8
#define DSA_SWERR_CODE_MASK		0x000000000000ff00ULL
#define DSA_SWERR_WQ_SHIFT		16
#define DSA_SWERR_WQ_MASK		0x0000000000ff0000ULL
#define DSA_SWERR_OPCODE_SHIFT		32
#define DSA_SWERR_OPCODE_MASK		0x000000ff00000000ULL
#define DSA_SWERR_PASID_SHIFT		40
#define DSA_SWERR_PASID_MASK		0x0fffff0000000000ULL
#define DSA_SWERR_BATCH_INDEX_SHIFT	0	/* word 1 */
#define DSA_SWERR_BATCH_INDEX_MASK	0x000000000000ffffULL
#define DSA_SWERR_INVALID_FLAGS_SHIFT	32	/* word 1 */
#define DSA_SWERR_INVALID_FLAGS_MASK	0xffffffff00000000ULL

struct dsa_swerr {
	uint64_t info;		/* word 0 */
	uint64_t batch_flags;	/* word 1 */
	uint64_t fault_addr;	/* word 2 */
	uint64_t reserved;
};

/* BAR0 from 0 to 0x100 as a structure (keep each register's access width). */
struct dsa_regs {
	uint32_t version;
	uint32_t rsvd_04[3];
	uint64_t gencap;
	uint64_t rsvd_18;
	uint64_t wqcap;
	uint64_t rsvd_28;
	uint64_t grpcap;
	uint64_t engcap;
	uint64_t opcap[DSA_OPCAP_WORDS];
	uint64_t offsets[2];
	uint64_t rsvd_70[2];
	uint32_t gencfg;
	uint32_t rsvd_84;
	uint32_t genctrl;
	uint32_t rsvd_8c;
	uint32_t genstats;
	uint32_t rsvd_94;
	uint32_t intcause;
	uint32_t rsvd_9c;
	uint32_t cmd;
	uint32_t rsvd_a4;
	uint32_t cmdsts;
	uint32_t rsvd_ac;
	uint32_t cmdcap;
	uint32_t rsvd_b4[3];
	struct dsa_swerr swerr;
	uint64_t evlcfg[2];
	uint64_t evlstatus;
	uint64_t rsvd_f8;
};

/* ------------------------------------------------------------------------ */
/* Configuration tables (writable while the device is disabled)             */

/* GRPCFG: one 64-byte entry per group. */
#define DSA_GRPCFG_SIZE			64
#define DSA_GRPCFG_WQS_OFFSET		0x00	/* 4 x 64: bit n = WQ n in group */
#define DSA_GRPCFG_ENGINES_OFFSET	0x20	/* 64: bit n = engine n */
#define DSA_GRPCFG_FLAGS_OFFSET		0x28	/* 64 */
#define DSA_GRPCFG_TC_A_SHIFT		0	/* traffic class by default */
#define DSA_GRPCFG_TC_A_MASK		0x0000000000000007ULL
#define DSA_GRPCFG_TC_B_SHIFT		3	/* ... chosen by DSA_FLAG_*_TC */
#define DSA_GRPCFG_TC_B_MASK		0x0000000000000038ULL
#define DSA_GRPCFG_USE_RDBUF_LIMIT	0x0000000000000080ULL
#define DSA_GRPCFG_RDBUFS_RSVD_SHIFT	8
#define DSA_GRPCFG_RDBUFS_RSVD_MASK	0x000000000000ff00ULL
#define DSA_GRPCFG_RDBUFS_ALLOWED_SHIFT	20
#define DSA_GRPCFG_RDBUFS_ALLOWED_MASK	0x000000000ff00000ULL
#define DSA_GRPCFG_DESC_PROGRESS_SHIFT	32
#define DSA_GRPCFG_DESC_PROGRESS_MASK	0x0000000300000000ULL
#define DSA_GRPCFG_BATCH_PROGRESS_SHIFT	36
#define DSA_GRPCFG_BATCH_PROGRESS_MASK	0x0000003000000000ULL

struct dsa_grpcfg {
	uint64_t wqs[4];
	uint64_t engines;
	uint64_t flags;
	uint64_t reserved[2];
};

/*
 * WQCFG: one entry per WQ, DSA_WQCFG_ENTRY_SIZE(WQCAP.WQCFG_SIZE) bytes apart,
 * accessed as 32-bit words. Fields are word index (DW) + shift/mask.
 */
#define DSA_WQCFG_DW_SIZE		0
#define DSA_WQCFG_SIZE_SHIFT		0	/* descriptor slots; 0 = unused */
#define DSA_WQCFG_SIZE_MASK		0x0000ffffu
#define DSA_WQCFG_DW_THRESH		1
#define DSA_WQCFG_THRESH_SHIFT		0	/* shared WQ: limited portal limit */
#define DSA_WQCFG_THRESH_MASK		0x0000ffffu
#define DSA_WQCFG_DW_MODE		2
#define DSA_WQCFG_DEDICATED		0x00000001u	/* 0 = shared */
#define DSA_WQCFG_BOF			0x00000002u
#define DSA_WQCFG_ATS_DISABLE		0x00000004u
#define DSA_WQCFG_PRS_DISABLE		0x00000008u	/* (6.12) */
#define DSA_WQCFG_PRIORITY_SHIFT	4
#define DSA_WQCFG_PRIORITY_MASK		0x000000f0u
#define DSA_WQCFG_PASID_SHIFT		8	/* dedicated WQ: its PASID */
#define DSA_WQCFG_PASID_MASK		0x0fffff00u
#define DSA_WQCFG_PASID_EN		0x10000000u
#define DSA_WQCFG_PRIV			0x20000000u
#define DSA_WQCFG_DW_LIMITS		3
#define DSA_WQCFG_MAX_XFER_LOG2_SHIFT	0
#define DSA_WQCFG_MAX_XFER_LOG2_MASK	0x0000001fu
#define DSA_WQCFG_MAX_BATCH_LOG2_SHIFT	5
#define DSA_WQCFG_MAX_BATCH_LOG2_MASK	0x000001e0u
#define DSA_WQCFG_DW_OCC_INT		4
#define DSA_WQCFG_OCC_HANDLE_SHIFT	0
#define DSA_WQCFG_OCC_HANDLE_MASK	0x0000ffffu
#define DSA_WQCFG_OCC_TABLE_IMS		0x00010000u
#define DSA_WQCFG_DW_OCC_LIMIT		5
#define DSA_WQCFG_OCC_LIMIT_SHIFT	0
#define DSA_WQCFG_OCC_LIMIT_MASK	0x0000ffffu
#define DSA_WQCFG_OCC_INT_EN		0x00010000u
#define DSA_WQCFG_DW_STATUS		6	/* read-only word */
#define DSA_WQCFG_OCCUPANCY_SHIFT	0
#define DSA_WQCFG_OCCUPANCY_MASK	0x0000ffffu
#define DSA_WQCFG_OCC_INT		0x00010000u
#define DSA_WQCFG_MODE_SUPPORT		0x20000000u
#define DSA_WQCFG_STATE_SHIFT		30
#define DSA_WQCFG_STATE_MASK		0xc0000000u
#define DSA_WQ_STATE_DISABLED		0
#define DSA_WQ_STATE_ENABLED		1
#define DSA_WQCFG_OP_CONFIG_OFFSET	0x20	/* 4 x 64, 64-byte entries only */

struct dsa_wqcfg {
	uint32_t dw[8];		/* a 32-byte entry; DSA_WQCFG_DW_* index it */
};

/* MSI-X permission table: one 32-bit entry per vector, 8 bytes apart. */
#define DSA_MSIX_PERM_STRIDE		8
#define DSA_MSIX_PERM_IGNORE		0x00000004u
#define DSA_MSIX_PERM_PASID_EN		0x00000008u
#define DSA_MSIX_PERM_PASID_SHIFT	12
#define DSA_MSIX_PERM_PASID_MASK	0xfffff000u

/* Limits of the formats (the emulated device uses far fewer). */
#define DSA_MAX_WQS		256	/* GRPCFG bitmap; WQCAP counts up to 255 */
#define DSA_MAX_GROUPS		255	/* GRPCAP count */
#define DSA_MAX_ENGINES		64	/* GRPCFG engine bitmap */
#define DSA_MAX_XFER_LOG2	31	/* transfer size is 32-bit */
#define DSA_MAX_BATCH_LOG2	15

/* ------------------------------------------------------------------------ */
/* Descriptors: 64 bytes, written to a portal in one 64-byte store.         */

#define DSA_DESC_SIZE		64
#define DSA_DESC_PASID_SHIFT	0	/* word 0; shared WQs (ENQCMD fills it) */
#define DSA_DESC_PASID_MASK	0x000fffffu
#define DSA_DESC_PRIV		0x80000000u
#define DSA_DESC_FLAGS_SHIFT	0	/* word 1 */
#define DSA_DESC_FLAGS_MASK	0x00ffffffu
#define DSA_DESC_OPCODE_SHIFT	24
#define DSA_DESC_OPCODE_MASK	0xff000000u

#define DSA_FLAG_FENCE		0x000001u	/* wait for the batch's earlier ones */
#define DSA_FLAG_BOF		0x000002u	/* block on fault */
#define DSA_FLAG_CRAV		0x000004u	/* completion address valid */
#define DSA_FLAG_RCR		0x000008u	/* completion record even on success */
#define DSA_FLAG_RCI		0x000010u	/* completion interrupt (int_handle) */
#define DSA_FLAG_CR_STEER	0x000020u	/* completion steering tag select */
#define DSA_FLAG_CHECK_RESULT	0x000080u	/* compare ops: status 2 if unexpected */
#define DSA_FLAG_CACHE_CONTROL	0x000100u	/* destination writes go to cache */
#define DSA_FLAG_ADDR1_TC	0x000200u	/* use TC-B for src/addr 1 */
#define DSA_FLAG_ADDR2_TC	0x000400u	/* ... dst/addr 2 */
#define DSA_FLAG_ADDR3_TC	0x000800u	/* ... addr 3 (dest2, delta) */
#define DSA_FLAG_CR_TC		0x001000u	/* ... completion record */
#define DSA_FLAG_STRICT_ORDER	0x002000u
#define DSA_FLAG_DEST_READBACK	0x004000u
#define DSA_FLAG_DEST_STEER	0x008000u	/* destination steering tag select */
#define DSA_FLAG_CRC_READ_SEED	0x010000u	/* CRC ops: seed from seed_addr */

#define DSA_OP_NOOP		0x00
#define DSA_OP_BATCH		0x01
#define DSA_OP_DRAIN		0x02
#define DSA_OP_MEMMOVE		0x03
#define DSA_OP_MEMFILL		0x04
#define DSA_OP_COMPARE		0x05
#define DSA_OP_COMPVAL		0x06
#define DSA_OP_CR_DELTA		0x07
#define DSA_OP_AP_DELTA		0x08
#define DSA_OP_DUALCAST		0x09
#define DSA_OP_TRANSL_FETCH	0x0a	/* (6.12) */
#define DSA_OP_CRCGEN		0x10
#define DSA_OP_COPY_CRC		0x11
#define DSA_OP_DIF_CHECK	0x12
#define DSA_OP_DIF_INSERT	0x13
#define DSA_OP_DIF_STRIP	0x14
#define DSA_OP_DIF_UPDATE	0x15
#define DSA_OP_DIX_GEN		0x17	/* (6.12) */
#define DSA_OP_CFLUSH		0x20

/*
 * Common descriptor. MEMFILL writes the 8-byte pattern repeatedly. COMPARE
 * sets result 0 (equal) or 1, bytes_completed then being the offset of the
 * first difference; COMPVAL does the same against the 8-byte comp_pattern.
 * With CHECK_RESULT a result other than expected_result gives
 * DSA_COMP_SUCCESS_PRED. BATCH runs desc_count (2..max batch) descriptors
 * from the 64-byte-aligned desc_list.
 */
struct dsa_desc {
	uint32_t pasid_priv;		/* DSA_DESC_PASID, DSA_DESC_PRIV */
	uint32_t flags_op;		/* DSA_FLAG_* | opcode << 24 */
	uint64_t compl_addr;		/* 32-byte aligned */
	union {
		uint64_t src;
		uint64_t pattern;	/* MEMFILL */
		uint64_t desc_list;	/* BATCH */
	};
	union {
		uint64_t dst;
		uint64_t src2;		/* COMPARE, CR_DELTA */
		uint64_t comp_pattern;	/* COMPVAL */
	};
	union {
		uint32_t xfer_size;	/* bytes, non-zero */
		uint32_t desc_count;	/* BATCH */
	};
	uint16_t int_handle;		/* with DSA_FLAG_RCI */
	uint16_t reserved;
	union {				/* operation-specific, 24 bytes */
		uint8_t expected_result; /* COMPARE, COMPVAL */
		uint64_t dest2;		/* DUALCAST: same bits 11:0 as dst */
		uint64_t delta_addr;	/* CR_DELTA; max size at +0x30 */
		uint32_t delta_size;	/* AP_DELTA */
		uint32_t crc_seed;	/* CRCGEN, COPY_CRC; seed_addr at +0x30 */
		uint64_t pattern_hi;	/* MEMFILL 16-byte pattern (6.12) */
		uint64_t op_specific[3];
	};
};

/* ------------------------------------------------------------------------ */
/* Completion record: 32 bytes, 32-byte aligned.                            */

#define DSA_COMPL_SIZE		32
#define DSA_COMPL_ALIGN		32
#define DSA_DESC_LIST_ALIGN	64
#define DSA_BATCH_MIN_DESCS	2

#define DSA_COMP_STATUS_MASK	0x7f
#define DSA_COMP_FAULT_WRITE	0x80	/* page fault on a write (else read) */

#define DSA_COMP_NONE			0x00	/* not written yet */
#define DSA_COMP_SUCCESS		0x01
#define DSA_COMP_SUCCESS_PRED		0x02	/* result not as expected */
#define DSA_COMP_PAGE_FAULT_NOBOF	0x03	/* fault, block on fault off */
#define DSA_COMP_PAGE_FAULT_IR		0x04	/* page request failed */
#define DSA_COMP_BATCH_FAIL		0x05	/* some batch member failed */
#define DSA_COMP_BATCH_PAGE_FAULT	0x06	/* fault reading the list */
#define DSA_COMP_DR_OFFSET_NOINC	0x07	/* delta record offsets */
#define DSA_COMP_DR_OFFSET_ERANGE	0x08
#define DSA_COMP_DIF_ERR		0x09
#define DSA_COMP_BAD_OPCODE		0x10
#define DSA_COMP_INVALID_FLAGS		0x11	/* see invalid_flags */
#define DSA_COMP_NOZERO_RESERVE		0x12	/* reserved field not zero */
#define DSA_COMP_XFER_ERANGE		0x13	/* size 0 or above the maximum */
#define DSA_COMP_DESC_CNT_ERANGE	0x14
#define DSA_COMP_DR_ERANGE		0x15
#define DSA_COMP_OVERLAP_BUFFERS	0x16
#define DSA_COMP_DCAST_ERR		0x17	/* DUALCAST bits 11:0 differ */
#define DSA_COMP_DESCLIST_ALIGN		0x18
#define DSA_COMP_INT_HANDLE_INVAL	0x19
#define DSA_COMP_CRA_XLAT		0x1a	/* completion address fault */
#define DSA_COMP_CRA_ALIGN		0x1b
#define DSA_COMP_ADDR_ALIGN		0x1c
#define DSA_COMP_PRIV_BAD		0x1d
#define DSA_COMP_TRAFFIC_CLASS_CONF	0x1e
#define DSA_COMP_PFAULT_RDBA		0x1f	/* fault on a DRAIN readback address */
#define DSA_COMP_HW_ERR1		0x20
#define DSA_COMP_HW_ERR_DRB		0x21
#define DSA_COMP_TRANSLATION_FAIL	0x22
#define DSA_COMP_DRAIN_EVL		0x26	/* (6.12) */
#define DSA_COMP_BATCH_EVL_ERR		0x27	/* (6.12) */

struct dsa_completion {
	uint8_t status;			/* DSA_COMP_* | DSA_COMP_FAULT_WRITE */
	uint8_t result;			/* COMPARE, COMPVAL: 0 equal, 1 not */
	uint8_t fault_info;		/* (6.12); 6.1: reserved */
	uint8_t reserved;
	uint32_t bytes_completed;	/* BATCH: descriptors completed */
	uint64_t fault_addr;
	union {				/* operation-specific, 16 bytes */
		uint32_t invalid_flags;	/* bits 23:0, DSA_COMP_INVALID_FLAGS */
		uint32_t delta_size;	/* CR_DELTA */
		uint32_t crc;		/* CRCGEN, COPY_CRC */
		uint64_t op_specific[2];
	};
};

/* ------------------------------------------------------------------------ */
/* Layout checks                                                            */

DSA_STATIC_ASSERT(sizeof(struct dsa_swerr) == 32, "swerr size");
DSA_STATIC_ASSERT(offsetof(struct dsa_swerr, fault_addr) == 16, "swerr fault_addr");
DSA_STATIC_ASSERT(sizeof(struct dsa_regs) == 0x100, "regs size");
DSA_STATIC_ASSERT(offsetof(struct dsa_regs, gencap) == DSA_GENCAP_OFFSET, "gencap");
DSA_STATIC_ASSERT(offsetof(struct dsa_regs, opcap) == DSA_OPCAP_OFFSET, "opcap");
DSA_STATIC_ASSERT(offsetof(struct dsa_regs, offsets) == DSA_OFFSETS_OFFSET, "offsets");
DSA_STATIC_ASSERT(offsetof(struct dsa_regs, gencfg) == DSA_GENCFG_OFFSET, "gencfg");
DSA_STATIC_ASSERT(offsetof(struct dsa_regs, intcause) == DSA_INTCAUSE_OFFSET, "intcause");
DSA_STATIC_ASSERT(offsetof(struct dsa_regs, cmd) == DSA_CMD_OFFSET, "cmd");
DSA_STATIC_ASSERT(offsetof(struct dsa_regs, cmdsts) == DSA_CMDSTS_OFFSET, "cmdsts");
DSA_STATIC_ASSERT(offsetof(struct dsa_regs, cmdcap) == DSA_CMDCAP_OFFSET, "cmdcap");
DSA_STATIC_ASSERT(offsetof(struct dsa_regs, swerr) == DSA_SWERR_OFFSET, "swerr");
DSA_STATIC_ASSERT(offsetof(struct dsa_regs, evlstatus) == DSA_EVLSTATUS_OFFSET, "evlstatus");

DSA_STATIC_ASSERT(sizeof(struct dsa_grpcfg) == DSA_GRPCFG_SIZE, "grpcfg size");
DSA_STATIC_ASSERT(offsetof(struct dsa_grpcfg, engines) == DSA_GRPCFG_ENGINES_OFFSET, "grp eng");
DSA_STATIC_ASSERT(offsetof(struct dsa_grpcfg, flags) == DSA_GRPCFG_FLAGS_OFFSET, "grp flags");
DSA_STATIC_ASSERT(sizeof(struct dsa_wqcfg) == DSA_WQCFG_ENTRY_SIZE(0), "wqcfg size");
DSA_STATIC_ASSERT(sizeof(struct dsa_wqcfg) == DSA_WQCFG_OP_CONFIG_OFFSET, "op_config");

DSA_STATIC_ASSERT(sizeof(struct dsa_desc) == DSA_DESC_SIZE, "descriptor size");
DSA_STATIC_ASSERT(offsetof(struct dsa_desc, compl_addr) == 0x08, "desc compl_addr");
DSA_STATIC_ASSERT(offsetof(struct dsa_desc, src) == 0x10, "desc src");
DSA_STATIC_ASSERT(offsetof(struct dsa_desc, dst) == 0x18, "desc dst");
DSA_STATIC_ASSERT(offsetof(struct dsa_desc, xfer_size) == 0x20, "desc xfer_size");
DSA_STATIC_ASSERT(offsetof(struct dsa_desc, int_handle) == 0x24, "desc int_handle");
DSA_STATIC_ASSERT(offsetof(struct dsa_desc, expected_result) == 0x28, "desc op-specific");
DSA_STATIC_ASSERT(sizeof(struct dsa_completion) == DSA_COMPL_SIZE, "completion size");
DSA_STATIC_ASSERT(offsetof(struct dsa_completion, bytes_completed) == 4, "compl bytes");
DSA_STATIC_ASSERT(offsetof(struct dsa_completion, fault_addr) == 8, "compl fault_addr");
DSA_STATIC_ASSERT(offsetof(struct dsa_completion, invalid_flags) == 16, "compl op-specific");

/* The emulated device's BAR0 and BAR2 layout: tables must not overlap. */
DSA_STATIC_ASSERT(sizeof(struct dsa_regs) <= DSA_EMU_GRPCFG_OFFSET, "grpcfg placement");
DSA_STATIC_ASSERT(DSA_EMU_GRPCFG_OFFSET + DSA_EMU_NUM_GROUPS * DSA_GRPCFG_SIZE <=
		  DSA_EMU_WQCFG_OFFSET, "grpcfg overlaps wqcfg");
DSA_STATIC_ASSERT(DSA_EMU_WQCFG_OFFSET + DSA_EMU_NUM_WQS * DSA_WQCFG_ENTRY_SIZE(1) <=
		  DSA_EMU_MSIX_PERM_OFFSET, "wqcfg overlaps msix perm");
DSA_STATIC_ASSERT(DSA_EMU_MSIX_PERM_OFFSET + DSA_EMU_MSIX_VECTORS * DSA_MSIX_PERM_STRIDE <=
		  DSA_MSIX_TABLE_OFFSET, "msix perm overlaps msix table");
DSA_STATIC_ASSERT(DSA_MSIX_TABLE_OFFSET + DSA_EMU_MSIX_VECTORS * 16 <= DSA_MSIX_PBA_OFFSET,
		  "msix table overlaps pba");
DSA_STATIC_ASSERT(DSA_MSIX_PBA_OFFSET + 8 * ((DSA_EMU_MSIX_VECTORS + 63) / 64) <= DSA_BAR0_SIZE,
		  "pba outside bar0");
DSA_STATIC_ASSERT((DSA_EMU_GRPCFG_OFFSET | DSA_EMU_WQCFG_OFFSET | DSA_EMU_MSIX_PERM_OFFSET) %
		  DSA_TABLE_UNIT == 0, "table offsets in 0x100 units");
DSA_STATIC_ASSERT(DSA_PORTAL_OFFSET(1, DSA_PORTAL_LIMITED) == 0x5000, "portal layout");

#endif /* DMACOPY_DSA_SPEC_H */

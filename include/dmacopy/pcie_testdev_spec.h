/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note OR BSD-3-Clause */
/*
 * pcie-testdev: register interface of the dmacopy PCIe DMA test device.
 *
 * One description shared by the QEMU model (qemu/hw/misc/pcie-testdev.c),
 * the Linux driver (kmod/pcie_testdev.c) and user-space test tools, so it
 * uses nothing but preprocessor constants.
 *
 * BAR0 (4 KiB, memory, 64-bit) holds the registers below. Accesses must be
 * 4 or 8 bytes wide and naturally aligned; 64-bit registers may also be
 * accessed as two 32-bit halves (low half at the lower offset). Reads of
 * undefined offsets return 0, writes to them and to read-only registers are
 * ignored. BAR2 holds the MSI-X table and PBA (one vector).
 *
 * A transfer copies SIZE bytes from SRCADDR to DSTADDR, both bus addresses in
 * the device's PCI DMA address space (so bus mastering and an IOMMU apply).
 * SRCADDR, DSTADDR and SIZE are latched when DOORBELL_START is written;
 * writing them during a transfer only affects the next one. The register
 * layout of the first five registers matches the original test device:
 * write SRCADDR, DSTADDR, SIZE, write 1 to DOORBELL, read STATUS (0 = OK).
 */
#ifndef DMACOPY_PCIE_TESTDEV_SPEC_H
#define DMACOPY_PCIE_TESTDEV_SPEC_H

/* PCI identity (see docs/pci-ids.md). */
#define PCIE_TESTDEV_VENDOR_ID		0x1af4	/* experimental range 10f0-10ff */
#define PCIE_TESTDEV_DEVICE_ID		0x10f1
#define PCIE_TESTDEV_REVISION		0x01
#define PCIE_TESTDEV_CLASS		0x088000	/* system peripheral, other */

#define PCIE_TESTDEV_BAR_REGS		0
#define PCIE_TESTDEV_BAR_MSIX		2	/* BAR0 is 64-bit: BAR0+1 */
#define PCIE_TESTDEV_REGS_SIZE		0x1000

/* Register offsets in BAR0 (width in bits, access). */
#define PCIE_TESTDEV_SRCADDR		0x00	/* 64 RW source bus address */
#define PCIE_TESTDEV_DSTADDR		0x08	/* 64 RW destination bus address */
#define PCIE_TESTDEV_SIZE		0x10	/* 64 RW bytes, 1..MAX_SIZE */
#define PCIE_TESTDEV_DOORBELL		0x18	/* 32 WO command, reads 0 */
#define PCIE_TESTDEV_STATUS		0x20	/* 32 RO result of last transfer */
#define PCIE_TESTDEV_ENGINE		0x24	/* 32 RO engine state */
#define PCIE_TESTDEV_INT_STATUS		0x28	/* 32 RW1C interrupt causes */
#define PCIE_TESTDEV_INT_ENABLE		0x2c	/* 32 RW interrupt enables */
#define PCIE_TESTDEV_MAX_SIZE		0x30	/* 64 RO largest SIZE accepted */
#define PCIE_TESTDEV_BYTES_DONE		0x38	/* 64 RO bytes written so far */
#define PCIE_TESTDEV_FAULT_ADDR		0x40	/* 64 RO address of failed access */
#define PCIE_TESTDEV_ID			0x48	/* 32 RO PCIE_TESTDEV_ID_MAGIC */
#define PCIE_TESTDEV_VERSION		0x4c	/* 32 RO interface version */
#define PCIE_TESTDEV_AGGR_ATTEMPTS	0x50	/* 64 RO aggressive-mode attempts */
#define PCIE_TESTDEV_AGGR_SUCCESSES	0x58	/* 64 RO ... copies that completed */
#define PCIE_TESTDEV_AGGR_FAULTS	0x60	/* 64 RO ... copies that faulted */
#define PCIE_TESTDEV_AGGR_STATE		0x68	/* 32 RO aggressive mode state */
#define PCIE_TESTDEV_XFER_COUNT		0x70	/* 64 RO transfers completed */
#define PCIE_TESTDEV_XFER_ERRORS	0x78	/* 64 RO ... of them with an error */

#define PCIE_TESTDEV_ID_MAGIC		0x50544456u	/* "PTDV" */
#define PCIE_TESTDEV_VERSION_1		0x00010000u	/* major << 16 | minor */

/* DOORBELL bits. ABORT wins when both are set. */
#define PCIE_TESTDEV_DOORBELL_START	0x1u
#define PCIE_TESTDEV_DOORBELL_ABORT	0x2u

/* ENGINE bits. DONE is set when a transfer ends and cleared by START. */
#define PCIE_TESTDEV_ENGINE_BUSY	0x1u
#define PCIE_TESTDEV_ENGINE_DONE	0x2u

/*
 * INT_STATUS / INT_ENABLE bits. A cause is latched in INT_STATUS whether or
 * not it is enabled; the interrupt (MSI-X vector 0, else MSI, else INTx A)
 * fires when an enabled cause becomes pending. INTx stays asserted while
 * (INT_STATUS & INT_ENABLE) != 0. Write 1s to INT_STATUS to acknowledge.
 */
#define PCIE_TESTDEV_INT_DONE		0x1u	/* a transfer ended */
#define PCIE_TESTDEV_INT_ERROR		0x2u	/* ... with STATUS >= 0x10 */
#define PCIE_TESTDEV_INT_ALL		(PCIE_TESTDEV_INT_DONE | PCIE_TESTDEV_INT_ERROR)

/* AGGR_STATE bits. */
#define PCIE_TESTDEV_AGGR_ENABLED	0x1u

/* STATUS values. Codes >= PCIE_TESTDEV_ST_ERR_FIRST are errors. */
#define PCIE_TESTDEV_ST_OK		0x00	/* success (also the reset value) */
#define PCIE_TESTDEV_ST_RUNNING		0x01	/* transfer in progress */
#define PCIE_TESTDEV_ST_ERR_FIRST	0x10
#define PCIE_TESTDEV_ST_ABORTED		0x10	/* stopped by DOORBELL_ABORT */
#define PCIE_TESTDEV_ST_SIZE_ZERO	0x11	/* SIZE was 0 */
#define PCIE_TESTDEV_ST_SIZE_TOO_BIG	0x12	/* SIZE > MAX_SIZE */
#define PCIE_TESTDEV_ST_ADDR_WRAP	0x13	/* ADDR + SIZE wraps past 2^64 */
#define PCIE_TESTDEV_ST_DOORBELL_BUSY	0x14	/* START while busy: both stop */
#define PCIE_TESTDEV_ST_READ_FAULT	0x20	/* source read failed (IOMMU, BME) */
#define PCIE_TESTDEV_ST_WRITE_FAULT	0x21	/* destination write failed */

/* Default largest transfer (property max_size can change it). */
#define PCIE_TESTDEV_DEFAULT_MAX_SIZE	(1024u * 1024u)

#endif /* DMACOPY_PCIE_TESTDEV_SPEC_H */

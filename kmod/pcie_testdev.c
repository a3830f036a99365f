// SPDX-License-Identifier: GPL-2.0-only
/*
 * Driver for the dmacopy PCIe DMA test device (QEMU "pcie-testdev").
 *
 * On probe it runs two transfers and logs the device's STATUS for each:
 * one between buffers from the DMA API (succeeds with or without an IOMMU)
 * and one to the raw physical address of a page the device was never given
 * (succeeds without an IOMMU, faults with one). Afterwards /dev/pcie-testdevN
 * runs transfers on request:
 *
 *   echo "copy SIZE [SRC_OFF [DST_OFF]]" > /dev/pcie-testdev0
 *   cat /dev/pcie-testdev0       # result of the last command
 *
 * A copy moves SIZE bytes between two DMA-API buffers of the driver, at
 * offsets below PAGE_SIZE past a guard page, then checks the destination
 * and every byte around it. The write fails with EIO when the device
 * reports an error or the check fails, ETIMEDOUT when the completion
 * interrupt does not come.
 */

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/kernel.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <dmacopy/pcie_testdev_spec.h>

#define PTD_DRV_NAME		"pcie_testdev"
#define PTD_NODE_PREFIX		"pcie-testdev"
/* Largest transfer the driver buffers, whatever the device accepts. */
#define PTD_DRV_MAX_SIZE	(2u * 1024 * 1024)
#define PTD_CMD_MAX		64
#define PTD_RESULT_MAX		192
#define PTD_GUARD_BYTE		0xa5
#define PTD_RAW_ORDER		2	/* raw test: guard, target, guard, guard */

static unsigned int timeout_ms = 5000;
module_param(timeout_ms, uint, 0644);
MODULE_PARM_DESC(timeout_ms, "Transfer completion timeout in ms (default 5000)");

static bool probe_transfers = true;
module_param(probe_transfers, bool, 0444);
MODULE_PARM_DESC(probe_transfers, "Run the two transfers at probe (default on)");

static DEFINE_IDA(ptd_ida);

struct ptd_buf {
	void *cpu;
	dma_addr_t dma;
	size_t len;
};

struct ptd_device {
	struct kref ref;
	struct pci_dev *pdev;
	void __iomem *regs;
	int id;
	char name[32];
	struct miscdevice misc;
	int irq;
	const char *irq_kind;

	/* Serializes transfers, the buffers, result[] and gone. */
	struct mutex lock;
	struct completion done;
	bool gone;
	u64 max_size;
	struct ptd_buf src;
	struct ptd_buf dst;
	u32 seq;
	u64 transfers;
	u64 failures;
	char result[PTD_RESULT_MAX];
};

static const char *ptd_status_name(u32 status)
{
	switch (status) {
	case PCIE_TESTDEV_ST_OK:
		return "ok";
	case PCIE_TESTDEV_ST_RUNNING:
		return "running";
	case PCIE_TESTDEV_ST_ABORTED:
		return "aborted";
	case PCIE_TESTDEV_ST_SIZE_ZERO:
		return "size zero";
	case PCIE_TESTDEV_ST_SIZE_TOO_BIG:
		return "size too big";
	case PCIE_TESTDEV_ST_ADDR_WRAP:
		return "address wraps";
	case PCIE_TESTDEV_ST_DOORBELL_BUSY:
		return "doorbell while busy";
	case PCIE_TESTDEV_ST_READ_FAULT:
		return "read fault";
	case PCIE_TESTDEV_ST_WRITE_FAULT:
		return "write fault";
	default:
		return "unknown";
	}
}

static irqreturn_t ptd_irq(int irq, void *data)
{
	struct ptd_device *ptd = data;
	u32 causes = readl(ptd->regs + PCIE_TESTDEV_INT_STATUS);

	/* Nothing pending, or the device is gone (all-ones read). */
	if (!causes || causes == U32_MAX)
		return IRQ_NONE;
	writel(causes, ptd->regs + PCIE_TESTDEV_INT_STATUS);
	if (causes & PCIE_TESTDEV_INT_DONE)
		complete(&ptd->done);
	return IRQ_HANDLED;
}

/*
 * Run one transfer and wait for its completion interrupt. Returns 0 with
 * *status set to the device's STATUS, or -ETIMEDOUT after aborting it.
 */
static int ptd_transfer(struct ptd_device *ptd, u64 src, u64 dst, u64 size,
			u32 *status, u64 *elapsed_ns)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(timeout_ms);
	ktime_t start;
	u32 engine;

	lockdep_assert_held(&ptd->lock);

	reinit_completion(&ptd->done);
	writeq(src, ptd->regs + PCIE_TESTDEV_SRCADDR);
	writeq(dst, ptd->regs + PCIE_TESTDEV_DSTADDR);
	writeq(size, ptd->regs + PCIE_TESTDEV_SIZE);
	start = ktime_get();
	writel(PCIE_TESTDEV_DOORBELL_START, ptd->regs + PCIE_TESTDEV_DOORBELL);

	/* A late interrupt of an earlier transfer may wake us: check ENGINE. */
	for (;;) {
		long left = (long)(deadline - jiffies);

		if (left > 0)
			wait_for_completion_timeout(&ptd->done, left);
		engine = readl(ptd->regs + PCIE_TESTDEV_ENGINE);
		if (!(engine & PCIE_TESTDEV_ENGINE_BUSY))
			break;
		if (time_after_eq(jiffies, deadline)) {
			writel(PCIE_TESTDEV_DOORBELL_ABORT,
			       ptd->regs + PCIE_TESTDEV_DOORBELL);
			*status = readl(ptd->regs + PCIE_TESTDEV_STATUS);
			*elapsed_ns = ktime_to_ns(ktime_sub(ktime_get(), start));
			dev_err(&ptd->pdev->dev,
				"transfer of %llu bytes timed out after %u ms, aborted\n",
				size, timeout_ms);
			return -ETIMEDOUT;
		}
	}
	*elapsed_ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	*status = readl(ptd->regs + PCIE_TESTDEV_STATUS);
	return 0;
}

/* --- data patterns -------------------------------------------------------- */

static u8 ptd_pattern(u32 seq, size_t i)
{
	return (u8)(i * 7 + (i >> 9) + seq * 13 + 1);
}

/*
 * Fill the source buffer with a pattern and the destination with the
 * complement of what any shifted copy of the source would bring, so every
 * byte the device writes, wanted or not, changes the destination.
 */
static void ptd_fill(struct ptd_device *ptd, size_t src_start, size_t dst_start)
{
	u8 *src = ptd->src.cpu;
	u8 *dst = ptd->dst.cpu;
	size_t i;

	for (i = 0; i < ptd->src.len; i++)
		src[i] = ptd_pattern(ptd->seq, i);
	for (i = 0; i < ptd->dst.len; i++) {
		size_t k = i + src_start - dst_start;

		dst[i] = k < ptd->src.len ? (u8)~src[k] : PTD_GUARD_BYTE;
	}
}

/* Returns -1 when correct, else the first wrong destination offset. */
static long ptd_check(struct ptd_device *ptd, size_t src_start,
		      size_t dst_start, size_t size)
{
	const u8 *src = ptd->src.cpu;
	const u8 *dst = ptd->dst.cpu;
	size_t i;

	for (i = 0; i < ptd->dst.len; i++) {
		size_t k = i + src_start - dst_start;
		u8 want;

		if (i >= dst_start && i < dst_start + size)
			want = src[k];
		else
			want = k < ptd->src.len ? (u8)~src[k] : PTD_GUARD_BYTE;
		if (dst[i] != want)
			return i;
	}
	for (i = 0; i < ptd->src.len; i++)
		if (src[i] != ptd_pattern(ptd->seq, i))
			return -2;
	return -1;
}

/* --- probe transfers ------------------------------------------------------ */

static void ptd_probe_dma_api(struct ptd_device *ptd)
{
	struct device *dev = &ptd->pdev->dev;
	size_t start = PAGE_SIZE;
	u64 ns;
	u32 status;
	long bad;
	int ret;

	ptd->seq++;
	ptd_fill(ptd, start, start);
	ret = ptd_transfer(ptd, ptd->src.dma + start, ptd->dst.dma + start,
			   PAGE_SIZE, &status, &ns);
	if (ret) {
		dev_err(dev, "transfer 1 (DMA API buffers): no completion (%d)\n", ret);
		return;
	}
	bad = ptd_check(ptd, start, start, PAGE_SIZE);
	if (status == PCIE_TESTDEV_ST_OK && bad == -1)
		dev_info(dev, "transfer 1 (DMA API buffers): STATUS = 0x%x (%s), data verified\n",
			 status, ptd_status_name(status));
	else
		dev_err(dev, "transfer 1 (DMA API buffers): STATUS = 0x%x (%s), data %s (offset %ld)\n",
			status, ptd_status_name(status),
			bad == -1 ? "verified" : "wrong", bad);
}

static bool ptd_all_bytes(const u8 *p, size_t len, u8 val)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != val)
			return false;
	return true;
}

/*
 * Copy a page from a DMA-API buffer to the physical address of a page the
 * device was never given. Without an IOMMU the bus address is the physical
 * address and the copy lands; with one, it faults and nothing may change.
 */
static void ptd_probe_raw_phys(struct ptd_device *ptd)
{
	struct device *dev = &ptd->pdev->dev;
	size_t npages = 1u << PTD_RAW_ORDER;
	struct page *pages;
	phys_addr_t phys;
	const u8 *src = (u8 *)ptd->src.cpu + PAGE_SIZE;
	u8 *raw;
	bool target_copied, target_kept, guards_kept;
	u64 ns;
	u32 status;
	int ret;

	pages = alloc_pages(GFP_KERNEL, PTD_RAW_ORDER);
	if (!pages) {
		dev_err(dev, "transfer 2: no memory for the raw page\n");
		return;
	}
	raw = page_address(pages);
	memset(raw, PTD_GUARD_BYTE, npages * PAGE_SIZE);
	phys = page_to_phys(pages + 1);

	ptd->seq++;
	ptd_fill(ptd, PAGE_SIZE, PAGE_SIZE);
	ret = ptd_transfer(ptd, ptd->src.dma + PAGE_SIZE, phys, PAGE_SIZE,
			   &status, &ns);
	if (ret) {
		dev_err(dev, "transfer 2 (raw physical address %pa): no completion (%d)\n",
			&phys, ret);
		/* The device may still write: leak the pages rather than reuse them. */
		return;
	}

	target_copied = !memcmp(raw + PAGE_SIZE, src, PAGE_SIZE);
	target_kept = ptd_all_bytes(raw + PAGE_SIZE, PAGE_SIZE, PTD_GUARD_BYTE);
	guards_kept = ptd_all_bytes(raw, PAGE_SIZE, PTD_GUARD_BYTE) &&
		      ptd_all_bytes(raw + 2 * PAGE_SIZE, (npages - 2) * PAGE_SIZE,
				    PTD_GUARD_BYTE);
	dev_info(dev,
		 "transfer 2 (raw physical address %pa, not mapped for the device): STATUS = 0x%x (%s), destination %s, neighbours %s\n",
		 &phys, status, ptd_status_name(status),
		 target_copied ? "written" : target_kept ? "unchanged" : "corrupted",
		 guards_kept ? "unchanged" : "corrupted");
	__free_pages(pages, PTD_RAW_ORDER);
}

/* --- character device ----------------------------------------------------- */

static void ptd_release_ref(struct kref *ref)
{
	struct ptd_device *ptd = container_of(ref, struct ptd_device, ref);

	kfree(ptd);
}

static int ptd_open(struct inode *inode, struct file *file)
{
	/* misc_open() set private_data and holds misc_mtx: remove waits. */
	struct ptd_device *ptd = container_of(file->private_data,
					      struct ptd_device, misc);

	kref_get(&ptd->ref);
	file->private_data = ptd;
	return 0;
}

static int ptd_release(struct inode *inode, struct file *file)
{
	struct ptd_device *ptd = file->private_data;

	kref_put(&ptd->ref, ptd_release_ref);
	return 0;
}

static ssize_t ptd_read(struct file *file, char __user *ubuf, size_t count,
			loff_t *ppos)
{
	struct ptd_device *ptd = file->private_data;
	char text[PTD_RESULT_MAX];
	int ret;

	ret = mutex_lock_interruptible(&ptd->lock);
	if (ret)
		return ret;
	strscpy(text, ptd->result, sizeof(text));
	mutex_unlock(&ptd->lock);
	return simple_read_from_buffer(ubuf, count, ppos, text, strlen(text));
}

static int ptd_copy_cmd(struct ptd_device *ptd, u64 size, u32 src_off, u32 dst_off)
{
	size_t src_start = PAGE_SIZE + src_off;
	size_t dst_start = PAGE_SIZE + dst_off;
	const char *verdict;
	u32 status = 0;
	u64 ns = 0, done;
	long bad = -1;
	int ret;

	if (!size || size > ptd->max_size || src_off >= PAGE_SIZE ||
	    dst_off >= PAGE_SIZE)
		return -EINVAL;

	ptd->seq++;
	ptd_fill(ptd, src_start, dst_start);
	ret = ptd_transfer(ptd, ptd->src.dma + src_start, ptd->dst.dma + dst_start,
			   size, &status, &ns);
	done = readq(ptd->regs + PCIE_TESTDEV_BYTES_DONE);
	if (ret) {
		verdict = "timeout";
	} else if (status != PCIE_TESTDEV_ST_OK) {
		verdict = "device-error";
		ret = -EIO;
	} else {
		bad = ptd_check(ptd, src_start, dst_start, size);
		verdict = bad == -1 ? "ok" : "mismatch";
		if (bad != -1)
			ret = -EIO;
	}
	ptd->transfers++;
	if (ret)
		ptd->failures++;
	snprintf(ptd->result, sizeof(ptd->result),
		 "seq=%u size=%llu src_off=%u dst_off=%u status=0x%x (%s) bytes_done=%llu verify=%s bad_offset=%ld time_ns=%llu\n",
		 ptd->seq, size, src_off, dst_off, status,
		 ptd_status_name(status), done, verdict, bad, ns);
	return ret;
}

static ssize_t ptd_write(struct file *file, const char __user *ubuf,
			 size_t count, loff_t *ppos)
{
	struct ptd_device *ptd = file->private_data;
	char cmd[PTD_CMD_MAX];
	u32 src_off = 0, dst_off = 0;
	u64 size;
	int n, ret;

	if (count >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, count))
		return -EFAULT;
	cmd[count] = '\0';

	n = sscanf(cmd, "copy %llu %u %u", &size, &src_off, &dst_off);
	if (n < 1)
		return -EINVAL;

	ret = mutex_lock_interruptible(&ptd->lock);
	if (ret)
		return ret;
	if (READ_ONCE(ptd->gone))
		ret = -ENODEV;
	else
		ret = ptd_copy_cmd(ptd, size, src_off, dst_off);
	mutex_unlock(&ptd->lock);
	return ret ? ret : count;
}

static const struct file_operations ptd_fops = {
	.owner = THIS_MODULE,
	.open = ptd_open,
	.release = ptd_release,
	.read = ptd_read,
	.write = ptd_write,
};

/* --- sysfs (on the PCI device) -------------------------------------------- */

static ssize_t irq_mode_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct ptd_device *ptd = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n", ptd->irq_kind);
}
static DEVICE_ATTR_RO(irq_mode);

static ssize_t max_transfer_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct ptd_device *ptd = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%llu\n", ptd->max_size);
}
static DEVICE_ATTR_RO(max_transfer);

static ssize_t transfers_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	struct ptd_device *ptd = dev_get_drvdata(dev);
	u64 total, failed;

	mutex_lock(&ptd->lock);
	total = ptd->transfers;
	failed = ptd->failures;
	mutex_unlock(&ptd->lock);
	return sysfs_emit(buf, "%llu %llu\n", total, failed);
}
static DEVICE_ATTR_RO(transfers);

static struct attribute *ptd_attrs[] = {
	&dev_attr_irq_mode.attr,
	&dev_attr_max_transfer.attr,
	&dev_attr_transfers.attr,
	NULL,
};
ATTRIBUTE_GROUPS(ptd);

/* --- probe / remove ------------------------------------------------------- */

/*
 * Everything the binding owns is managed (pcim_*, dmam_*, devm_*), released
 * in reverse order when probe fails or after ptd_remove(): stop the device
 * (ptd_stop), free the interrupt and its vectors, the buffers, unmap and
 * release BAR0, disable the device, free the id, drop the binding's
 * reference. struct ptd_device itself is reference-counted, not devm
 * memory: an open file may outlive the binding.
 */

static void ptd_put(void *data)
{
	struct ptd_device *ptd = data;

	kref_put(&ptd->ref, ptd_release_ref);
}

static void ptd_free_id(void *data)
{
	struct ptd_device *ptd = data;

	ida_free(&ptd_ida, ptd->id);
}

static int ptd_alloc_buf(struct ptd_device *ptd, struct ptd_buf *buf)
{
	/* Guard page, data (offset < PAGE_SIZE plus max_size), guard page. */
	buf->len = ptd->max_size + 3 * PAGE_SIZE;
	buf->cpu = dmam_alloc_coherent(&ptd->pdev->dev, buf->len, &buf->dma,
				       GFP_KERNEL);
	return buf->cpu ? 0 : -ENOMEM;
}

/* The vectors are released by pcim (the device was enabled with pcim_enable_device()). */
static int ptd_setup_irq(struct ptd_device *ptd)
{
	struct pci_dev *pdev = ptd->pdev;
	unsigned long flags = 0;
	int ret;

	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_ALL_TYPES);
	if (ret < 0)
		return ret;
	if (pdev->msix_enabled) {
		ptd->irq_kind = "msix";
	} else if (pdev->msi_enabled) {
		ptd->irq_kind = "msi";
	} else {
		ptd->irq_kind = "intx";
		flags = IRQF_SHARED;
	}
	ptd->irq = pci_irq_vector(pdev, 0);
	ret = devm_request_irq(&pdev->dev, ptd->irq, ptd_irq, flags, ptd->name, ptd);
	if (ret)
		return ret;
	writel(PCIE_TESTDEV_INT_ALL, ptd->regs + PCIE_TESTDEV_INT_ENABLE);
	return 0;
}

static void ptd_quiesce(struct ptd_device *ptd)
{
	writel(0, ptd->regs + PCIE_TESTDEV_INT_ENABLE);
	writel(PCIE_TESTDEV_DOORBELL_ABORT, ptd->regs + PCIE_TESTDEV_DOORBELL);
	writel(PCIE_TESTDEV_INT_ALL, ptd->regs + PCIE_TESTDEV_INT_STATUS);
}

/* First to run on release: no DMA and no interrupt once the buffers and the IRQ go. */
static void ptd_stop(void *data)
{
	struct ptd_device *ptd = data;

	ptd_quiesce(ptd);
	pci_clear_master(ptd->pdev);
}

static int ptd_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct ptd_device *ptd;
	u32 magic, version;
	u64 dev_max;
	int ret;

	ptd = kzalloc(sizeof(*ptd), GFP_KERNEL);
	if (!ptd)
		return -ENOMEM;
	kref_init(&ptd->ref);
	mutex_init(&ptd->lock);
	init_completion(&ptd->done);
	ptd->pdev = pdev;
	strscpy(ptd->result, "no transfer yet\n", sizeof(ptd->result));
	ret = devm_add_action_or_reset(dev, ptd_put, ptd);
	if (ret)
		return ret;

	ptd->id = ida_alloc(&ptd_ida, GFP_KERNEL);
	if (ptd->id < 0)
		return ptd->id;
	ret = devm_add_action_or_reset(dev, ptd_free_id, ptd);
	if (ret)
		return ret;
	snprintf(ptd->name, sizeof(ptd->name), PTD_NODE_PREFIX "%d", ptd->id);

	ret = pcim_enable_device(pdev);
	if (ret) {
		dev_err(dev, "cannot enable device: %d\n", ret);
		return ret;
	}
	if (pci_resource_len(pdev, PCIE_TESTDEV_BAR_REGS) < PCIE_TESTDEV_REGS_SIZE) {
		dev_err(dev, "BAR%d too small\n", PCIE_TESTDEV_BAR_REGS);
		return -ENODEV;
	}
	ret = pcim_iomap_regions(pdev, BIT(PCIE_TESTDEV_BAR_REGS), PTD_DRV_NAME);
	if (ret) {
		dev_err(dev, "cannot claim BAR%d: %d\n", PCIE_TESTDEV_BAR_REGS, ret);
		return ret;
	}
	ptd->regs = pcim_iomap_table(pdev)[PCIE_TESTDEV_BAR_REGS];

	magic = readl(ptd->regs + PCIE_TESTDEV_ID);
	version = readl(ptd->regs + PCIE_TESTDEV_VERSION);
	if (magic != PCIE_TESTDEV_ID_MAGIC ||
	    (version >> 16) != (PCIE_TESTDEV_VERSION_1 >> 16)) {
		dev_err(dev, "unexpected ID 0x%08x / version 0x%08x\n", magic, version);
		return -ENODEV;
	}

	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret) {
		dev_err(dev, "no usable DMA mask: %d\n", ret);
		return ret;
	}
	ptd_quiesce(ptd);

	dev_max = readq(ptd->regs + PCIE_TESTDEV_MAX_SIZE);
	ptd->max_size = min_t(u64, dev_max, PTD_DRV_MAX_SIZE);
	if (!ptd->max_size) {
		dev_err(dev, "device reports MAX_SIZE 0\n");
		return -ENODEV;
	}
	ret = ptd_alloc_buf(ptd, &ptd->src);
	if (ret)
		return ret;
	ret = ptd_alloc_buf(ptd, &ptd->dst);
	if (ret)
		return ret;

	ret = ptd_setup_irq(ptd);
	if (ret) {
		dev_err(dev, "cannot set up an interrupt: %d\n", ret);
		return ret;
	}
	pci_set_master(pdev);
	ret = devm_add_action_or_reset(dev, ptd_stop, ptd);
	if (ret)
		return ret;
	pci_set_drvdata(pdev, ptd);

	if (probe_transfers) {
		mutex_lock(&ptd->lock);
		ptd_probe_dma_api(ptd);
		ptd_probe_raw_phys(ptd);
		mutex_unlock(&ptd->lock);
	}

	ptd->misc.minor = MISC_DYNAMIC_MINOR;
	ptd->misc.name = ptd->name;
	ptd->misc.fops = &ptd_fops;
	ptd->misc.parent = dev;
	ptd->misc.mode = 0600;
	ret = misc_register(&ptd->misc);
	if (ret) {
		dev_err(dev, "cannot register /dev/%s: %d\n", ptd->name, ret);
		return ret;
	}

	dev_info(dev, "/dev/%s: %s interrupt, max transfer %llu bytes (device %llu)\n",
		 ptd->name, ptd->irq_kind, ptd->max_size, dev_max);
	return 0;
}

static void ptd_remove(struct pci_dev *pdev)
{
	struct ptd_device *ptd = pci_get_drvdata(pdev);

	/* No new opens; open files keep ptd alive but see ->gone. */
	misc_deregister(&ptd->misc);

	/*
	 * Stop a transfer in flight (the device ends it with STATUS ABORTED and
	 * its writer returns) until the lock is ours; writers then see ->gone.
	 * The managed release (ptd_stop() first) follows.
	 */
	WRITE_ONCE(ptd->gone, true);
	while (!mutex_trylock(&ptd->lock)) {
		writel(PCIE_TESTDEV_DOORBELL_ABORT, ptd->regs + PCIE_TESTDEV_DOORBELL);
		usleep_range(500, 1000);
	}
	ptd_quiesce(ptd);
	mutex_unlock(&ptd->lock);
}

static void ptd_shutdown(struct pci_dev *pdev)
{
	struct ptd_device *ptd = pci_get_drvdata(pdev);

	if (ptd) {
		ptd_quiesce(ptd);
		pci_clear_master(pdev);
	}
}

static const struct pci_device_id ptd_ids[] = {
	{ PCI_DEVICE(PCIE_TESTDEV_VENDOR_ID, PCIE_TESTDEV_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, ptd_ids);

static struct pci_driver ptd_driver = {
	.name = PTD_DRV_NAME,
	.id_table = ptd_ids,
	.probe = ptd_probe,
	.remove = ptd_remove,
	.shutdown = ptd_shutdown,
	.dev_groups = ptd_groups,
};
module_pci_driver(ptd_driver);

MODULE_DESCRIPTION("Driver for the dmacopy PCIe DMA test device");
MODULE_LICENSE("GPL");

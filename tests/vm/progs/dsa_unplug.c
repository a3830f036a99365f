// SPDX-License-Identifier: BSD-3-Clause
/*
 * dsa_unplug: an emulated DSA function goes away while it works (t_dsa_unplug).
 *
 *   dsa_unplug BDF WHAT
 *
 * BDF is a DSA function no driver owns, behind a PCIe hotplug slot, with no IOMMU (bus addresses
 * are physical ones). Through sysfs (resource0, resource2, config) the program resets it, puts
 * WQ 0 (dedicated) and engine 0 in group 0, enables the device and the WQ, and writes batch
 * descriptors to WQ 0's portal with MOVDIR64B: each batch holds the most memmove descriptors the
 * device takes, 2 MiB each between two hugepages, every one with its own completion record, as
 * many batches as the WQ holds (seconds of work). Once the first records are written and the last
 * batch's is not, it powers the slot off (/sys/bus/pci/slots/N/power), so QEMU unplugs and
 * unrealizes the device in the middle of its work. Checks: the function leaves the bus within
 * 10 s; nothing the device wrote (records, destination) changes in the 0.3 s after; powering the
 * slot on again finds it empty (QEMU unplugged it, not only the guest). WHAT names the case in
 * the notes.
 */
#define _GNU_SOURCE
static const char *test_name = "dsa_unplug";

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dmacopy/dsa_spec.h>

#include "progs_util.h"

#define SYS_PCI "/sys/bus/pci/devices"
#define SYS_SLOTS "/sys/bus/pci/slots"
#define HUGE (2u << 20)
#define MAX_BATCHES 16u

struct dev {
	const char *bdf;
	volatile uint8_t *bar0;
	void *portal;
	uint32_t grpcfg, wqcfg;
	uint32_t wq_size, batch;
};

struct huge {
	unsigned char *va;
	uint64_t pa;
};

static void write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		die("writing %s to %s: %s", val, path, strerror(errno));
	close(fd);
}

static bool exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

static uint32_t rd32(struct dev *d, uint32_t off)
{
	return *(volatile uint32_t *)(d->bar0 + off);
}

static uint64_t rd64(struct dev *d, uint32_t off)
{
	return *(volatile uint64_t *)(d->bar0 + off);
}

static void wr32(struct dev *d, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(d->bar0 + off) = v;
}

static void wr64(struct dev *d, uint32_t off, uint64_t v)
{
	*(volatile uint64_t *)(d->bar0 + off) = v;
}

static void *map_resource(const char *bdf, int bar, size_t len)
{
	char path[128];
	void *p;
	int fd;

	snprintf(path, sizeof(path), SYS_PCI "/%s/resource%d", bdf, bar);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap %s: %s", path, strerror(errno));
	close(fd);
	return p;
}

/* Bus mastering and memory decoding, through the config file (no driver to do it). */
static void enable(const char *bdf)
{
	char path[128];
	uint16_t cmd;
	int fd;

	snprintf(path, sizeof(path), SYS_PCI "/%s/enable", bdf);
	write_file(path, "1");
	snprintf(path, sizeof(path), SYS_PCI "/%s/config", bdf);
	fd = open(path, O_RDWR);
	if (fd < 0 || pread(fd, &cmd, 2, 4) != 2)
		die("%s: %s", path, strerror(errno));
	cmd |= 0x0006 | 0x0400;	/* memory, bus master, INTx disabled */
	if (pwrite(fd, &cmd, 2, 4) != 2)
		die("%s: %s", path, strerror(errno));
	close(fd);
}

static void cmd(struct dev *d, uint32_t code, uint32_t operand)
{
	double t0 = now_sec();
	uint32_t sts;

	wr32(d, DSA_CMD_OFFSET, (uint32_t)(DSA_SET(DSA_CMD_CODE, code) |
					    DSA_SET(DSA_CMD_OPERAND, operand)));
	while ((sts = rd32(d, DSA_CMDSTS_OFFSET)) & DSA_CMDSTS_ACTIVE)
		if (now_sec() - t0 > 5)
			die("%s: command %#x still active after 5 s", d->bdf, code);
	if (DSA_GET(DSA_CMDSTS_ERR, sts))
		die("%s: command %#x failed: CMDSTS %#x", d->bdf, code, sts);
}

static void configure(struct dev *d)
{
	uint64_t gencap, wqcap, offsets;
	uint32_t total;

	d->bar0 = map_resource(d->bdf, DSA_BAR_REGS, DSA_BAR0_SIZE);
	d->portal = map_resource(d->bdf, DSA_BAR_PORTALS, DSA_PORTAL_SIZE);
	if (rd32(d, DSA_VERSION_OFFSET) == UINT32_MAX)
		die("%s: VERSION reads all ones", d->bdf);
	cmd(d, DSA_CMD_RESET_DEVICE, 0);
	gencap = rd64(d, DSA_GENCAP_OFFSET);
	wqcap = rd64(d, DSA_WQCAP_OFFSET);
	offsets = rd64(d, DSA_OFFSETS_OFFSET);
	d->grpcfg = (uint32_t)DSA_GET(DSA_OFFSETS_GRPCFG, offsets) * DSA_TABLE_UNIT;
	d->wqcfg = (uint32_t)DSA_GET(DSA_OFFSETS_WQCFG, offsets) * DSA_TABLE_UNIT;
	total = (uint32_t)DSA_GET(DSA_WQCAP_TOTAL_SIZE, wqcap);
	d->wq_size = total < MAX_BATCHES ? total : MAX_BATCHES;
	d->batch = 1u << DSA_GET(DSA_GENCAP_MAX_BATCH_LOG2, gencap);
	if (d->batch < DSA_BATCH_MIN_DESCS || !d->wq_size ||
	    DSA_GET(DSA_GENCAP_MAX_XFER_LOG2, gencap) < 21)
		die("%s: GENCAP %#llx WQCAP %#llx: no batches, WQ slots or 2 MiB transfers", d->bdf,
		    (unsigned long long)gencap, (unsigned long long)wqcap);

	wr64(d, d->grpcfg + DSA_GRPCFG_WQS_OFFSET, 1);
	wr64(d, d->grpcfg + DSA_GRPCFG_ENGINES_OFFSET, 1);
	wr64(d, d->grpcfg + DSA_GRPCFG_FLAGS_OFFSET, 0);
	wr32(d, d->wqcfg + 4 * DSA_WQCFG_DW_SIZE, d->wq_size);
	wr32(d, d->wqcfg + 4 * DSA_WQCFG_DW_MODE,
	     DSA_WQCFG_DEDICATED | (uint32_t)DSA_SET(DSA_WQCFG_PRIORITY, 1));
	wr32(d, d->wqcfg + 4 * DSA_WQCFG_DW_LIMITS,
	     (uint32_t)(DSA_SET(DSA_WQCFG_MAX_XFER_LOG2, 21) |
			DSA_SET(DSA_WQCFG_MAX_BATCH_LOG2,
				DSA_GET(DSA_GENCAP_MAX_BATCH_LOG2, gencap))));
	cmd(d, DSA_CMD_ENABLE_DEVICE, 0);
	cmd(d, DSA_CMD_ENABLE_WQ, 0);
	if (DSA_GET(DSA_WQCFG_STATE, rd32(d, d->wqcfg + 4 * DSA_WQCFG_DW_STATUS)) !=
	    DSA_WQ_STATE_ENABLED)
		die("%s: WQ 0 is not enabled", d->bdf);
}

static uint64_t phys_of(void *va)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t pfn;

	if (fd < 0)
		die("/proc/self/pagemap: %s", strerror(errno));
	if (pagemap_pfn(fd, (uintptr_t)va, &pfn))
		die("no physical address for %p in /proc/self/pagemap", va);
	close(fd);
	return pfn * 4096;
}

static struct huge huge_page(void)
{
	struct huge h;

	h.va = mmap(NULL, HUGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	if (h.va == MAP_FAILED)
		die("no 2 MiB hugepage: %s", strerror(errno));
	memset(h.va, 0, HUGE);
	h.pa = phys_of(h.va);
	if (phys_of(h.va + HUGE - 4096) != h.pa + HUGE - 4096)
		die("a hugepage that is not physically contiguous");
	return h;
}

/* movdir64b (%rdx), %rax */
static void movdir64b(void *dst, const void *src)
{
	__asm__ volatile("sfence\n\t.byte 0x66, 0x0f, 0x38, 0xf8, 0x02"
			 : "+m"(*(volatile char(*)[64])dst)
			 : "m"(*(const char(*)[64])src), "a"(dst), "d"(src)
			 : "memory");
}

/* The hotplug slot whose address is BDF's bus:device. */
static void find_slot(const char *bdf, char *slot, size_t len)
{
	char want[32], path[300], addr[64];
	struct dirent *e;
	DIR *dir;

	snprintf(want, sizeof(want), "%s", bdf);
	if (strrchr(want, '.'))
		*strrchr(want, '.') = 0;
	dir = opendir(SYS_SLOTS);
	if (!dir)
		die(SYS_SLOTS ": %s", strerror(errno));
	while ((e = readdir(dir))) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), SYS_SLOTS "/%s/address", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(addr, sizeof(addr), f)) {
			addr[strcspn(addr, "\n")] = 0;
			if (!strcmp(addr, want)) {
				snprintf(slot, len, "%s", e->d_name);
				fclose(f);
				closedir(dir);
				return;
			}
		}
		fclose(f);
	}
	closedir(dir);
	die("%s is in no hotplug slot", bdf);
}

static uint64_t sum(const void *p, size_t len)
{
	const uint64_t *q = p;
	uint64_t h = 0;

	for (size_t i = 0; i < len / 8; i++)
		h = (h ^ q[i]) * 0x100000001b3ull + i;
	return h;
}

int main(int argc, char **argv)
{
	struct dev d = {0};
	struct huge src, dst, meta;
	struct dsa_desc *lists, desc;
	volatile struct dsa_completion *recs, *brecs;
	char slot[NAME_MAX + 1], path[PATH_MAX];
	uint32_t b, i, done = 0;
	uint64_t h_rec, h_dst;
	double t0, gone;
	size_t rec_bytes;
	int fd;

	if (argc != 3)
		die("usage: dsa_unplug BDF WHAT");
	d.bdf = argv[1];
	snprintf(path, sizeof(path), SYS_PCI "/%s/driver", d.bdf);
	if (exists(path))
		die("%s has a driver", d.bdf);
	find_slot(d.bdf, slot, sizeof(slot));
	enable(d.bdf);
	configure(&d);

	/*
	 * meta: the batches' descriptor lists, then every member's completion record, then the
	 * batches' records. It bounds the batch size here (the device allows up to 1024).
	 */
	while (d.wq_size * d.batch * (DSA_DESC_SIZE + DSA_COMPL_SIZE) +
	       d.wq_size * DSA_COMPL_SIZE > HUGE)
		d.batch /= 2;
	src = huge_page();
	dst = huge_page();
	meta = huge_page();
	rnd_fill(&(uint64_t){42}, src.va, HUGE);
	lists = (struct dsa_desc *)meta.va;
	recs = (volatile struct dsa_completion *)(meta.va + (size_t)d.wq_size * d.batch *
						  DSA_DESC_SIZE);
	brecs = recs + (size_t)d.wq_size * d.batch;
	rec_bytes = ((size_t)d.wq_size * d.batch + d.wq_size) * DSA_COMPL_SIZE;
	for (b = 0; b < d.wq_size; b++) {
		for (i = 0; i < d.batch; i++) {
			struct dsa_desc *m = &lists[b * d.batch + i];
			size_t k = (size_t)b * d.batch + i;

			m->flags_op = DSA_FLAG_CRAV | DSA_FLAG_RCR |
				      (uint32_t)DSA_OP_MEMMOVE << 24;
			m->compl_addr = meta.pa + ((uintptr_t)&recs[k] - (uintptr_t)meta.va);
			m->src = src.pa;
			m->dst = dst.pa;
			m->xfer_size = HUGE;
		}
	}
	for (b = 0; b < d.wq_size; b++) {
		memset(&desc, 0, sizeof(desc));
		desc.flags_op = DSA_FLAG_CRAV | DSA_FLAG_RCR | (uint32_t)DSA_OP_BATCH << 24;
		desc.compl_addr = meta.pa + ((uintptr_t)&brecs[b] - (uintptr_t)meta.va);
		desc.desc_list = meta.pa + (uint64_t)b * d.batch * DSA_DESC_SIZE;
		desc.desc_count = d.batch;
		movdir64b(d.portal, &desc);
	}

	/* Busy: the first member is done, the last batch is not. */
	t0 = now_sec();
	while (!recs[0].status)
		if (now_sec() - t0 > 10)
			die("%s: no completion record within 10 s", d.bdf);
	if (recs[0].status != DSA_COMP_SUCCESS)
		die("%s: the first copy completed with status %#x", d.bdf, recs[0].status);
	if (brecs[d.wq_size - 1].status)
		die("%s: all %u batches of %u copies finished before the unplug (status %#x)",
		    d.bdf, d.wq_size, d.batch, brecs[d.wq_size - 1].status);
	if (DSA_GET(DSA_GENSTATS_STATE, rd32(&d, DSA_GENSTATS_OFFSET)) != DSA_STATE_ENABLED)
		die("%s: GENSTATS %#x before the unplug, not enabled", d.bdf,
		    rd32(&d, DSA_GENSTATS_OFFSET));

	snprintf(path, sizeof(path), SYS_SLOTS "/%s/power", slot);
	t0 = now_sec();
	write_file(path, "0");
	snprintf(path, sizeof(path), SYS_PCI "/%s", d.bdf);
	while (exists(path)) {
		if (now_sec() - t0 > 10)
			die("%s: still on the bus 10 s after its slot %s was powered off", d.bdf, slot);
		usleep(10000);
	}
	gone = now_sec() - t0;

	/* Nothing of the device is left to write the records or the destination. */
	h_rec = sum((const void *)recs, rec_bytes);
	h_dst = sum(dst.va, HUGE);
	for (i = 0; i < d.wq_size * d.batch; i++)
		done += recs[i].status == DSA_COMP_SUCCESS;
	usleep(300000);
	if (sum((const void *)recs, rec_bytes) != h_rec)
		die("%s: completion records changed after the unplug", d.bdf);
	if (sum(dst.va, HUGE) != h_dst)
		die("%s: the destination changed after the unplug", d.bdf);
	if (done == d.wq_size * d.batch)
		die("%s: every copy had finished: the unplug did not come mid-work", d.bdf);

	/* An empty slot may refuse power (pciehp: no adapter): that is an answer too. */
	snprintf(path, sizeof(path), SYS_SLOTS "/%s/power", slot);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, "1", 1) != 1)
		note("%s: powering slot %s on again: %s", d.bdf, slot, strerror(errno));
	if (fd >= 0)
		close(fd);
	sleep(1);
	snprintf(path, sizeof(path), SYS_PCI "/%s", d.bdf);
	if (exists(path))
		die("%s is back after powering slot %s on: QEMU did not unplug it", d.bdf, slot);
	note("%s (%s): slot %s powered off with %u of %u copies of 2 MiB done (%u batches of %u "
	     "in WQ 0); gone in %.2f s; records and destination unchanged 0.3 s after; the slot "
	     "is empty when powered on again", d.bdf, argv[2], slot, done, d.wq_size * d.batch,
	     d.wq_size, d.batch, gone);
	return 0;
}

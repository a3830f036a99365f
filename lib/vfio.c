// SPDX-License-Identifier: BSD-3-Clause
/*
 * VFIO for the user-space drivers: finding their PCI functions, IOMMU groups, one container per
 * process, devices, and the process-wide DMA mappings.
 *
 * One VFIO container per process holds every group this process opened, so that one mapping makes
 * memory reachable by every device. The list of mappings is kept here as well: when the last group
 * leaves the container the kernel forgets the mappings, and they are replayed when a group comes
 * back. IOVAs are allocated here (first fit, 2 MiB aligned) inside the ranges the IOMMU accepts.
 *
 * Without an IOMMU (VFIO's no-IOMMU mode, /dev/vfio/noiommu-N, CAP_SYS_RAWIO) the device sees
 * physical addresses: a mapping then only records where its pages are (/proc/self/pagemap,
 * CAP_SYS_ADMIN), as extents of physically contiguous bytes, and only memory whose pages never
 * move is accepted: hugetlbfs and device-dax mappings.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sys/types.h>

#include "internal.h"
#include "vfio.h"

#define PCI_DEVICES "/sys/bus/pci/devices"
#define IOVA_ALIGN  (2ull << 20)
/* Until the IOMMU says otherwise: 4 GiB .. 512 GiB fits every VT-d address width (39 bits min). */
#define IOVA_DEFAULT_START (4ull << 30)
#define IOVA_DEFAULT_END   ((1ull << 39) - 1)
#define MAX_IOVA_RANGES    16
#define MAX_GROUPS         64

/* ---- PCI functions --------------------------------------------------------------------------- */

static void link_basename(const char *path, char *buf, size_t len, const char *none)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *slash;

	if (n < 0) {
		snprintf(buf, len, "%s", none);
		return;
	}
	target[n] = '\0';
	slash = strrchr(target, '/');
	slash = slash ? slash + 1 : target;
	if (strlen(slash) >= len)
		snprintf(buf, len, "%s", none);
	else
		memcpy(buf, slash, strlen(slash) + 1);
}

static int cmp_info(const void *a, const void *b)
{
	return strcmp(((const struct vfio_pci_info *)a)->bdf,
	              ((const struct vfio_pci_info *)b)->bdf);
}

int vfio_pci_info_of(const char *bdf, struct vfio_pci_info *info)
{
	char path[PATH_MAX], grp[32];
	long long vendor, device;

	if (strlen(bdf) >= sizeof(info->bdf) || strchr(bdf, '/') || bdf[0] == '.')
		return -EINVAL;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/vendor", bdf);
	vendor = read_sysfs_ll(path, 16);
	if (vendor < 0)
		return -ENOENT;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/device", bdf);
	device = read_sysfs_ll(path, 16);
	memset(info, 0, sizeof(*info));
	snprintf(info->bdf, sizeof(info->bdf), "%s", bdf);
	info->vendor = (uint16_t)vendor;
	info->device = (uint16_t)device;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	link_basename(path, info->driver, sizeof(info->driver), "none");
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu_group", bdf);
	link_basename(path, grp, sizeof(grp), "-1");
	info->iommu_group = atoi(grp);
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/numa_node", bdf);
	info->numa_node = (int)read_sysfs_ll(path, 10);
	return 0;
}

unsigned int vfio_pci_scan(const struct pci_id_range *ids, unsigned int nids,
                           struct vfio_pci_info *out, unsigned int max)
{
	struct dirent *de;
	unsigned int n = 0;
	DIR *d = opendir(PCI_DEVICES);

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct vfio_pci_info info;

		if (de->d_name[0] == '.' || vfio_pci_info_of(de->d_name, &info) ||
		    !pci_id_match(ids, nids, info.vendor, info.device))
			continue;
		if (n < max)
			out[n] = info;
		n++;
	}
	closedir(d);
	if (out && n)
		qsort(out, n < max ? n : max, sizeof(*out), cmp_info);
	return n;
}

/* ---- IOMMU groups ---------------------------------------------------------------------------- */

bool vfio_group_node(int group, char *path, size_t len)
{
	char name[32] = "";
	FILE *f;

	/* VFIO names the groups it makes without an IOMMU so, and their nodes noiommu-N. */
	snprintf(path, len, "/sys/kernel/iommu_groups/%d/name", group);
	f = fopen(path, "re");
	if (f) {
		if (!fgets(name, sizeof(name), f))
			name[0] = '\0';
		fclose(f);
	}
	if (!strncmp(name, "vfio-noiommu", 12)) {
		snprintf(path, len, "/dev/vfio/noiommu-%d", group);
		return true;
	}
	snprintf(path, len, "/dev/vfio/%d", group);
	return false;
}

bool vfio_has_cap(unsigned int cap)
{
	FILE *f = fopen("/proc/self/status", "re");
	unsigned long long eff = 0;
	char line[128];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "CapEff: %llx", &eff) == 1;
	fclose(f);
	return found && cap < 64 && (eff >> cap & 1);
}

bool vfio_group_accessible(int group)
{
	char path[64];

	vfio_group_node(group, path, sizeof(path));
	return access(path, R_OK | W_OK) == 0;
}

int vfio_group_members(int group)
{
	struct dirent *de;
	char path[64];
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices", group);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

long vfio_group_holder(int group)
{
	char want[32], path[64], target[64];
	long self = (long)getpid(), found = 0;
	struct dirent *p;
	DIR *proc;

	vfio_group_node(group, want, sizeof(want));
	proc = opendir("/proc");
	if (!proc)
		return 0;
	while (!found && (p = readdir(proc))) {
		char *end;
		long pid = strtol(p->d_name, &end, 10);
		struct dirent *f;
		DIR *fds;

		if (*end || pid <= 0 || pid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((f = readdir(fds))) {
			ssize_t n;

			if (f->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%ld/fd/%.20s", pid, f->d_name);
			n = readlink(path, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (!strcmp(target, want)) {
				found = pid;
				break;
			}
		}
		closedir(fds);
	}
	closedir(proc);
	return found;
}

/* ---- DMA mappings ---------------------------------------------------------------------------- */

struct mapping {
	uintptr_t va;
	size_t len;
	uint64_t iova; /* the IOMMU address of va (allocated even before a container exists) */
	bool readonly;
	/*
	 * Where the device finds it: one extent at iova with an IOMMU; the physical extents in
	 * no-IOMMU mode. Own allocation, stable while the mapping exists and the container stays.
	 */
	struct vfio_dma_ext *ext;
	unsigned int next;
};

struct group {
	int num;
	int fd;
	unsigned int refs;
	bool noiommu;
};

static pthread_mutex_t vlock = PTHREAD_MUTEX_INITIALIZER;
static const struct vfio_dev *open_devs[64]; /* see open_slot() */
static int container = -1;
static int iommu_type; /* set with the first group: type-1 (v2) or VFIO_NOIOMMU_IOMMU */
static struct group groups[MAX_GROUPS];
static unsigned int ngroups;
static struct mapping *maps;
static unsigned int nmaps, maps_cap;
static struct {
	uint64_t start, end; /* inclusive */
} ranges[MAX_IOVA_RANGES] = {{IOVA_DEFAULT_START, IOVA_DEFAULT_END}};
static unsigned int nranges = 1;

static long page_size(void)
{
	static long ps;

	if (!ps)
		ps = sysconf(_SC_PAGESIZE);
	return ps;
}

/*
 * Test mode, DMACOPY_IOAT_PHYS_IOVA=1: behind an IOMMU, lay mappings out as without one and map
 * every physical extent at IOVA = its physical address. The physical-address path (pagemap,
 * extents, split operations, the hugepage ring) then runs on kernels built without
 * CONFIG_VFIO_NOIOMMU (Debian's). Mappings that share a page (overlapping registrations, or two
 * that meet inside one page) are not supported in this mode: the second one fails with -EEXIST.
 */
static bool phys_iova(void)
{
	static int mode = -1;

	if (mode < 0) {
		const char *v = getenv("DMACOPY_IOAT_PHYS_IOVA");

		mode = v && !strcmp(v, "1");
	}
	return mode;
}

/* Device addresses are physical ones (vlock held). */
static bool physical(void)
{
	return container >= 0 && ngroups && (iommu_type == VFIO_NOIOMMU_IOMMU || phys_iova());
}

/*
 * Every VMA of [va, va + len) must keep its pages in place (hugetlbfs or device-dax) and, for a
 * writable mapping, be writable: -EFAULT otherwise, as VFIO says of read-only pages, so that
 * vfio_dma_map_any() maps it read-only instead.
 */
static int check_fixed_pages(uintptr_t va, size_t len, bool writable)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512], path[256] = "", perms[8] = "", p[8];
	unsigned long lo = 0, hi = 0, kps;
	uintptr_t covered = va, end = va + len;
	bool in = false;
	int ret = 0;

	if (!f)
		return lib_error(-errno, "cannot read /proc/self/smaps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;
		int n = 0;

		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &a, &b, p, &n) == 3 && n) {
			in = a < end && b > va;
			lo = a;
			hi = b;
			memcpy(perms, p, sizeof(perms));
			snprintf(path, sizeof(path), "%s", line + n);
			path[strcspn(path, "\n")] = 0;
			continue;
		}
		if (!in || sscanf(line, "KernelPageSize: %lu kB", &kps) != 1)
			continue;
		if (lo > covered)
			break; /* a hole: reported below */
		if (writable && perms[1] != 'w') {
			ret = -EFAULT; /* quietly: the caller may map it read-only */
			break;
		}
		if (kps < 2048 && strncmp(path, "/dev/dax", 8)) {
			ret = lib_error(
			        -EINVAL,
			        "without an IOMMU the device sees physical addresses, "
			        "so only memory whose pages never move can be registered: "
			        "hugepages (hugetlbfs, MAP_HUGETLB) or device-dax; [%#lx, %#lx) "
			        "%s is not",
			        lo, hi, path[0] ? path : "(anonymous memory)");
			break;
		}
		covered = hi;
		if (covered >= end)
			break;
	}
	fclose(f);
	if (!ret && covered < end)
		ret = lib_error(-EFAULT, "[%#lx, +%zu) is not mapped", (unsigned long)va, len);
	return ret;
}

/*
 * The physical extents of a mapping: its pages are touched (written for a writable mapping, so
 * that no copy-on-write moves them later), then read from /proc/self/pagemap.
 */
static int phys_layout(struct mapping *m)
{
	long ps = page_size();
	size_t pages = m->len / (size_t)ps, chunk = 4096;
	struct vfio_dma_ext *ext = NULL;
	unsigned int n = 0, cap = 0;
	uint64_t *pm = NULL;
	int fd, ret;

	ret = check_fixed_pages(m->va, m->len, !m->readonly);
	if (ret)
		return ret;
	/*
	 * Nothing pins these pages: after a fork() a write by either process would move the
	 * writer to a copy while the device keeps using the old page. Not inherited, they stay.
	 */
	if (madvise((void *)m->va, m->len, MADV_DONTFORK))
		return lib_error(-errno, "madvise(MADV_DONTFORK) of [%#lx, +%zu) failed: %s",
		                 (unsigned long)m->va, m->len, strerror(errno));
	for (size_t i = 0; i < pages; i++) {
		volatile unsigned char *p = (volatile unsigned char *)(m->va + i * (size_t)ps);

		if (m->readonly)
			(void)*p;
		else
			__atomic_fetch_add((unsigned char *)p, 0, __ATOMIC_RELAXED);
	}
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lib_error(-errno, "cannot open /proc/self/pagemap: %s", strerror(errno));
	pm = malloc(chunk * sizeof(*pm));
	if (!pm) {
		close(fd);
		return lib_error(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < pages && !ret; i += chunk) {
		size_t k = pages - i < chunk ? pages - i : chunk;
		off_t at = (off_t)((m->va / (uintptr_t)ps + i) * sizeof(*pm));

		if (pread(fd, pm, k * sizeof(*pm), at) != (ssize_t)(k * sizeof(*pm))) {
			ret = lib_error(-EIO, "cannot read /proc/self/pagemap");
			break;
		}
		for (size_t j = 0; j < k; j++) {
			uint64_t pfn = pm[j] & ((1ull << 55) - 1);
			uint64_t pa = pfn * (uint64_t)ps, off = (i + j) * (uint64_t)ps;

			if (!(pm[j] >> 63)) {
				ret = lib_error(-EFAULT, "page %#llx of the mapping is not present",
				                (unsigned long long)(m->va + off));
				break;
			}
			if (!pfn) {
				ret = lib_error(-EPERM,
				                "no physical addresses in /proc/self/pagemap: "
				                "without an IOMMU the driver needs CAP_SYS_ADMIN "
				                "(run as root)");
				break;
			}
			if (n && ext[n - 1].iova + ext[n - 1].len == pa) {
				ext[n - 1].len += (uint64_t)ps;
				continue;
			}
			if (n == cap) {
				struct vfio_dma_ext *ne;

				cap = cap ? cap * 2 : 8;
				ne = realloc(ext, cap * sizeof(*ne));
				if (!ne) {
					ret = lib_error(-ENOMEM, "out of memory");
					break;
				}
				ext = ne;
			}
			ext[n++] =
			        (struct vfio_dma_ext){.off = off, .iova = pa, .len = (uint64_t)ps};
		}
	}
	free(pm);
	close(fd);
	if (ret) {
		free(ext);
		return ret;
	}
	free(m->ext);
	m->ext = ext;
	m->next = n;
	return 0;
}

/* One extent at the mapping's IOVA. */
static int iommu_layout(struct mapping *m)
{
	struct vfio_dma_ext *ext = m->next == 1 ? m->ext : malloc(sizeof(*ext));

	if (!ext)
		return lib_error(-ENOMEM, "out of memory");
	*ext = (struct vfio_dma_ext){.off = 0, .iova = m->iova, .len = m->len};
	if (ext != m->ext)
		free(m->ext);
	m->ext = ext;
	m->next = 1;
	return 0;
}

/* No group holds the container any more: every mapping goes back to its IOMMU layout. */
static void layouts_reset(void)
{
	for (unsigned int i = 0; i < nmaps; i++)
		iommu_layout(&maps[i]);
}

static void kunmap(const struct mapping *m)
{
	struct vfio_iommu_type1_dma_unmap du = {
	        .argsz = sizeof(du),
	        .iova = m->iova,
	        .size = m->len,
	};

	if (container < 0 || !ngroups || iommu_type == VFIO_NOIOMMU_IOMMU)
		return;
	if (!physical()) {
		ioctl(container, VFIO_IOMMU_UNMAP_DMA, &du);
		return;
	}
	for (unsigned int i = 0; i < m->next; i++) {
		du.iova = m->ext[i].iova;
		du.size = m->ext[i].len;
		ioctl(container, VFIO_IOMMU_UNMAP_DMA, &du);
	}
}

/* Make the mapping reachable in the container's mode (nothing to tell the kernel without IOMMU). */
static int kmap(struct mapping *m)
{
	struct vfio_iommu_type1_dma_map dm = {
	        .argsz = sizeof(dm),
	        .flags = VFIO_DMA_MAP_FLAG_READ | (m->readonly ? 0 : VFIO_DMA_MAP_FLAG_WRITE),
	        .vaddr = m->va,
	        .iova = m->iova,
	        .size = m->len,
	};

	if (physical()) {
		int ret = phys_layout(m);

		if (ret || iommu_type == VFIO_NOIOMMU_IOMMU)
			return ret;
		for (unsigned int i = 0; i < m->next; i++) {
			dm.vaddr = m->va + m->ext[i].off;
			dm.iova = m->ext[i].iova;
			dm.size = m->ext[i].len;
			if (ioctl(container, VFIO_IOMMU_MAP_DMA, &dm) < 0) {
				ret = lib_error(-errno,
				                "VFIO could not map physical extent %#llx "
				                "(+%llu) at its own address: %s",
				                (unsigned long long)dm.iova,
				                (unsigned long long)dm.size, strerror(errno));
				m->next = i; /* kunmap() undoes those before */
				kunmap(m);
				return ret;
			}
		}
		return 0;
	}
	if (iommu_layout(m))
		return -ENOMEM;
	if (container < 0 || !ngroups)
		return 0; /* mapped when the first group comes */
	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &dm) < 0) {
		int err = -errno;

		return lib_error(err, "VFIO could not map %zu bytes at %p for DMA: %s%s", m->len,
		                 (void *)m->va, strerror(-err),
		                 err == -ENOMEM
		                         ? " (pinned memory is limited by RLIMIT_MEMLOCK; raise it "
		                           "with ulimit -l or run with CAP_IPC_LOCK)"
		                         : "");
	}
	return 0;
}

/* The IOVA ranges the IOMMU accepts, from VFIO's capability chain (kept as is when absent). */
static void read_iova_ranges(void)
{
	struct vfio_iommu_type1_info *info;
	struct vfio_info_cap_header hdr;
	unsigned char *buf;

	buf = calloc(1, 4096);
	if (!buf)
		return;
	info = (struct vfio_iommu_type1_info *)buf;
	info->argsz = 4096;
	if (ioctl(container, VFIO_IOMMU_GET_INFO, info) < 0 || info->argsz > 4096 ||
	    !(info->flags & VFIO_IOMMU_INFO_CAPS) || !info->cap_offset) {
		free(buf);
		return;
	}
	/* The chain is only 4-byte aligned: copy each piece out before reading it. */
	for (uint32_t off = info->cap_offset, hops = 0;
	     off && off + sizeof(hdr) <= 4096 && hops < 64; off = hdr.next, hops++) {
		struct vfio_iommu_type1_info_cap_iova_range cap;
		size_t at = off + sizeof(cap);

		memcpy(&hdr, buf + off, sizeof(hdr));
		if (hdr.id != VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE)
			continue;
		if (at > 4096)
			break;
		memcpy(&cap, buf + off, sizeof(cap));
		for (uint32_t i = 0, n = 0; i < cap.nr_iovas && n < MAX_IOVA_RANGES; i++) {
			struct vfio_iova_range r;

			if (at + (i + 1) * sizeof(r) > 4096)
				break;
			memcpy(&r, buf + at + i * sizeof(r), sizeof(r));
			/* Stay above 4 GiB: below it sit the interrupt window and friends. */
			if (r.end < IOVA_DEFAULT_START)
				continue;
			if (r.start < IOVA_DEFAULT_START)
				r.start = IOVA_DEFAULT_START;
			ranges[n].start = r.start;
			ranges[n].end = r.end;
			nranges = ++n;
		}
		break;
	}
	free(buf);
}

static bool iova_fits(uint64_t iova, size_t len)
{
	for (unsigned int i = 0; i < nranges; i++) {
		if (iova >= ranges[i].start && iova <= ranges[i].end &&
		    len - 1 <= ranges[i].end - iova)
			return true;
	}
	return false;
}

static bool iova_free(uint64_t iova, size_t len)
{
	for (unsigned int i = 0; i < nmaps; i++) {
		if (iova < maps[i].iova + maps[i].len && maps[i].iova < iova + len)
			return false;
	}
	return true;
}

/* First fit: try each range start and the end of every mapping. */
static int iova_alloc(size_t len, uint64_t *out)
{
	for (unsigned int r = 0; r < nranges; r++) {
		uint64_t cand = (ranges[r].start + IOVA_ALIGN - 1) & ~(IOVA_ALIGN - 1);

		if (iova_fits(cand, len) && iova_free(cand, len)) {
			*out = cand;
			return 0;
		}
		for (unsigned int i = 0; i < nmaps; i++) {
			cand = (maps[i].iova + maps[i].len + IOVA_ALIGN - 1) & ~(IOVA_ALIGN - 1);
			if (cand >= ranges[r].start && iova_fits(cand, len) &&
			    iova_free(cand, len)) {
				*out = cand;
				return 0;
			}
		}
	}
	return lib_error(-ENOSPC, "no room for %zu bytes in the IOMMU's address space", len);
}

static int dma_map(void *vaddr, size_t len, bool readonly, uint64_t *iova)
{
	struct mapping m = {.va = (uintptr_t)vaddr, .len = len, .readonly = readonly};
	long ps = page_size();
	int ret;

	if (!vaddr || !len || (m.va | len) & (uintptr_t)(ps - 1))
		return lib_error(-EINVAL, "DMA mapping [%p, +%zu) is empty or not page aligned",
		                 vaddr, len);
	pthread_mutex_lock(&vlock);
	ret = iova_alloc(len, &m.iova);
	if (!ret && nmaps == maps_cap) {
		unsigned int cap = maps_cap ? maps_cap * 2 : 16;
		struct mapping *nm = realloc(maps, cap * sizeof(*nm));

		if (!nm) {
			ret = lib_error(-ENOMEM, "cannot grow the DMA mapping table");
		} else {
			maps = nm;
			maps_cap = cap;
		}
	}
	if (!ret)
		ret = kmap(&m);
	if (!ret) {
		maps[nmaps++] = m;
		*iova = m.iova;
	} else {
		free(m.ext);
	}
	pthread_mutex_unlock(&vlock);
	return ret;
}

int vfio_dma_map(void *vaddr, size_t len, uint64_t *iova)
{
	return dma_map(vaddr, len, false, iova);
}

int vfio_dma_map_any(void *vaddr, size_t len, bool try_rw, bool *writable, uint64_t *iova)
{
	int ret = -EFAULT;

	if (try_rw)
		ret = dma_map(vaddr, len, false, iova);
	*writable = !ret;
	if (ret == -EFAULT) /* read-only pages cannot be pinned for writing */
		ret = dma_map(vaddr, len, true, iova);
	return ret;
}

int vfio_dma_unmap(void *vaddr, size_t len, uint64_t iova)
{
	int ret = -ENOENT;

	pthread_mutex_lock(&vlock);
	for (unsigned int i = nmaps; i-- > 0;) {
		if (maps[i].va == (uintptr_t)vaddr && maps[i].len == len && maps[i].iova == iova) {
			if (physical())
				madvise(vaddr, len, MADV_DOFORK); /* the memory may be gone already */
			kunmap(&maps[i]);
			free(maps[i].ext);
			maps[i] = maps[--nmaps];
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&vlock);
	if (ret)
		lib_error(ret, "[%p, +%zu) is not mapped for DMA", vaddr, len);
	return ret;
}

int vfio_dma_translate(const void *vaddr, uint64_t len, uint64_t *iova, uint64_t *avail)
{
	uintptr_t va = (uintptr_t)vaddr;
	const struct mapping *best = NULL;
	int ret = -EFAULT;

	if (!len)
		len = 1;
	pthread_mutex_lock(&vlock);
	for (unsigned int i = 0; i < nmaps; i++) {
		const struct mapping *m = &maps[i];

		if (va >= m->va && va - m->va < m->len && m->next) {
			best = m;
			if (!m->readonly)
				break;
		}
	}
	if (best) {
		const struct vfio_dma_ext *x =
		        vfio_dma_ext_find(best->ext, best->next, va - best->va);
		uint64_t in = va - best->va - x->off;

		*iova = x->iova + in;
		*avail = x->len - in < len ? x->len - in : len;
		ret = 0;
	}
	pthread_mutex_unlock(&vlock);
	return ret;
}

int vfio_dma_extents(const void *vaddr, size_t len, uint64_t iova, const struct vfio_dma_ext **ext,
                     unsigned int *n)
{
	int ret = -ENOENT;

	pthread_mutex_lock(&vlock);
	for (unsigned int i = 0; i < nmaps; i++) {
		if (maps[i].va == (uintptr_t)vaddr && maps[i].len == len && maps[i].iova == iova) {
			*ext = maps[i].ext;
			*n = maps[i].next;
			ret = maps[i].next ? 0 : -ENOENT;
			break;
		}
	}
	pthread_mutex_unlock(&vlock);
	return ret;
}

bool vfio_dma_physical(void)
{
	bool p;

	pthread_mutex_lock(&vlock);
	p = physical();
	pthread_mutex_unlock(&vlock);
	return p;
}

/* ---- the container and its groups ------------------------------------------------------------ */

static int container_open(void)
{
	int fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		int err = -errno;

		return lib_error(
		        err == -ENOENT ? -ENXIO : err,
		        "cannot open /dev/vfio/vfio: %s; load the vfio-pci module "
		        "(modprobe vfio-pci) and bind the device (scripts/dmacopy-bind bind)",
		        strerror(-err));
	}
	if (ioctl(fd, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		close(fd);
		return lib_error(-ENXIO, "unsupported VFIO API version");
	}
	container = fd;
	return 0;
}

/* The container's IOMMU model, chosen by its first group. */
static int choose_iommu(bool noiommu)
{
	if (noiommu) {
		if (ioctl(container, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU) > 0) {
			iommu_type = VFIO_NOIOMMU_IOMMU;
			return 0;
		}
		return lib_error(-ENXIO,
		                 "the device is in a VFIO no-IOMMU group but VFIO does not offer "
		                 "no-IOMMU mode now (vfio enable_unsafe_noiommu_mode)");
	}
	if (ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0) {
		iommu_type = VFIO_TYPE1v2_IOMMU;
	} else if (ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0) {
		iommu_type = VFIO_TYPE1_IOMMU;
	} else {
		return lib_error(-ENXIO, "VFIO offers no type-1 IOMMU (modprobe vfio_iommu_type1; "
		                         "boot with intel_iommu=on)");
	}
	return 0;
}

/*
 * A group is attached to the container; the first one chooses the IOMMU model and replays the
 * mappings (into the IOMMU, or as physical extents without one).
 */
static int group_attach(int gfd, int num, bool noiommu)
{
	int ret;

	if (container < 0) {
		ret = container_open();
		if (ret)
			return ret;
	}
	if (ngroups && noiommu != (iommu_type == VFIO_NOIOMMU_IOMMU))
		return lib_error(-EINVAL,
		                 "group %d is %s but this process already uses %s groups; "
		                 "one process cannot mix them",
		                 num, noiommu ? "a no-IOMMU group" : "behind an IOMMU",
		                 noiommu ? "IOMMU" : "no-IOMMU");
	if (ioctl(gfd, VFIO_GROUP_SET_CONTAINER, &container) < 0)
		return lib_error(-errno, "VFIO_GROUP_SET_CONTAINER for group %d: %s", num,
		                 strerror(errno));
	if (ngroups)
		return 0;
	ret = choose_iommu(noiommu);
	if (!ret && ioctl(container, VFIO_SET_IOMMU, iommu_type) < 0)
		ret = lib_error(-errno, "VFIO_SET_IOMMU: %s", strerror(errno));
	if (ret) {
		ioctl(gfd, VFIO_GROUP_UNSET_CONTAINER);
		return ret;
	}
	if (!noiommu)
		read_iova_ranges();
	ngroups++; /* the mappings go where this group's container says (physical() needs it) */
	for (unsigned int i = 0; i < nmaps && !ret; i++) {
		if (!physical() && !iova_fits(maps[i].iova, maps[i].len))
			ret = lib_error(-ERANGE,
			                "DMA mapping at IOVA %#llx is outside what this IOMMU "
			                "accepts; map memory after opening the device",
			                (unsigned long long)maps[i].iova);
		else
			ret = kmap(&maps[i]);
	}
	ngroups--;
	if (ret) {
		ioctl(gfd, VFIO_GROUP_UNSET_CONTAINER);
		layouts_reset();
	}
	return ret;
}

/* Take a reference on group num, opening it and attaching it to the container on first use. */
static struct group *group_get(int num, const char *name, int *err)
{
	struct vfio_group_status st = {.argsz = sizeof(st)};
	struct group *g = NULL;
	bool noiommu = false;
	char path[64];
	int fd;

	for (unsigned int i = 0; i < ngroups; i++) {
		if (groups[i].num == num) {
			groups[i].refs++;
			return &groups[i];
		}
	}
	if (ngroups == MAX_GROUPS) {
		*err = lib_error(-EMFILE, "too many VFIO groups open");
		return NULL;
	}
	noiommu = vfio_group_node(num, path, sizeof(path));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		if (noiommu && (e == EPERM || e == EACCES))
			*err = lib_error(-EPERM,
			                 "cannot open %s: a no-IOMMU group needs CAP_SYS_RAWIO "
			                 "(run as root)",
			                 path);
		else if (e == EBUSY)
			*err = lib_error(-EBUSY,
			                 "%s is in use by another process (one process per %s "
			                 "function; pick another function)",
			                 path, name);
		else if (e == EACCES || e == EPERM)
			*err = lib_error(-EACCES,
			                 "no permission to open %s; run as root or give the user "
			                 "the group (scripts/dmacopy-bind bind --user USER)",
			                 path);
		else
			*err = lib_error(-e == -ENOENT ? -ENXIO : -e,
			                 "cannot open %s: %s; is the device bound to vfio-pci?",
			                 path, strerror(e));
		return NULL;
	}
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &st) < 0 || !(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		close(fd);
		*err = lib_error(-EPERM,
		                 "IOMMU group %d is not viable: another device in the group is "
		                 "bound to a kernel driver; bind every device of "
		                 "/sys/kernel/iommu_groups/%d/devices to vfio-pci or unbind it",
		                 num, num);
		return NULL;
	}
	*err = group_attach(fd, num, noiommu);
	if (*err) {
		close(fd);
		return NULL;
	}
	g = &groups[ngroups++];
	g->num = num;
	g->fd = fd;
	g->refs = 1;
	g->noiommu = noiommu;
	return g;
}

static void group_put(int num)
{
	for (unsigned int i = 0; i < ngroups; i++) {
		if (groups[i].num != num)
			continue;
		if (--groups[i].refs)
			return;
		ioctl(groups[i].fd, VFIO_GROUP_UNSET_CONTAINER);
		close(groups[i].fd);
		groups[i] = groups[--ngroups];
		break;
	}
	if (!ngroups && container >= 0) {
		/* The kernel dropped every mapping with the last group; they are replayed later. */
		close(container);
		container = -1;
		layouts_reset();
	}
}

/* ---- devices --------------------------------------------------------------------------------- */

/*
 * The devices open in this process: a second open of the same function would fight the first
 * over its registers. A free slot for dev, or NULL with *err (-EBUSY, -EMFILE). vlock held.
 */
static const struct vfio_dev **open_slot(const struct vfio_dev *dev, const char *name, int *err)
{
	const struct vfio_dev **free_slot = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(open_devs); i++) {
		if (!open_devs[i]) {
			if (!free_slot)
				free_slot = &open_devs[i];
		} else if (!strcmp(open_devs[i]->info.bdf, dev->info.bdf)) {
			*err = lib_error(-EBUSY, "%s %s is already open in this process", name,
					 dev->info.bdf);
			return NULL;
		}
	}
	if (!free_slot)
		*err = lib_error(-EMFILE, "too many %s functions open in this process", name);
	return free_slot;
}

int vfio_dev_open(struct vfio_dev *dev, const struct vfio_pci_driver *drv, const char *bdf)
{
	struct vfio_pci_info *info = &dev->info;
	const struct vfio_dev **slot;
	struct group *g;
	int ret, fd;

	dev->drv = drv;
	dev->fd = -1;
	ret = vfio_pci_info_of(bdf, info);
	if (ret)
		return lib_error(-ENODEV,
		                 "no PCI device %s (use the full address, e.g. 0000:00:04.0; see "
		                 "dmacopy info)",
		                 bdf);
	if (!pci_id_match(drv->ids, drv->nids, info->vendor, info->device))
		return lib_error(-ENODEV, "PCI device %s (%04x:%04x) is not an %s function", bdf,
		                 info->vendor, info->device, drv->family);
	if (strcmp(info->driver, "vfio-pci"))
		return lib_error(-ENXIO,
		                 "%s %s is bound to '%s', not vfio-pci; run "
		                 "scripts/dmacopy-bind bind %s",
		                 drv->name, bdf, info->driver, bdf);
	if (info->iommu_group < 0)
		return lib_error(-ENXIO,
		                 "%s %s has no IOMMU group; enable the IOMMU (VT-d in the "
		                 "firmware, intel_iommu=on on the kernel command line)",
		                 drv->name, bdf);
	pthread_mutex_lock(&vlock);
	slot = open_slot(dev, drv->name, &ret);
	if (!slot) {
		pthread_mutex_unlock(&vlock);
		return ret;
	}
	g = group_get(info->iommu_group, drv->name, &ret);
	if (!g) {
		pthread_mutex_unlock(&vlock);
		return ret;
	}
	fd = ioctl(g->fd, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (fd < 0) {
		ret = lib_error(-errno, "VFIO_GROUP_GET_DEVICE_FD %s: %s", bdf, strerror(errno));
		group_put(info->iommu_group);
		pthread_mutex_unlock(&vlock);
		return ret;
	}
	dev->fd = fd;
	*slot = dev;
	pthread_mutex_unlock(&vlock);
	return 0;
}

void vfio_dev_close(struct vfio_dev *dev)
{
	if (dev->fd < 0)
		return;
	close(dev->fd);
	dev->fd = -1;
	pthread_mutex_lock(&vlock);
	for (size_t i = 0; i < ARRAY_SIZE(open_devs); i++) {
		if (open_devs[i] == dev)
			open_devs[i] = NULL;
	}
	group_put(dev->info.iommu_group);
	pthread_mutex_unlock(&vlock);
}

int vfio_dev_region(const struct vfio_dev *dev, unsigned int index, uint64_t *offset,
                    uint64_t *size, uint32_t *flags)
{
	struct vfio_region_info ri = {.argsz = sizeof(ri), .index = index};

	if (ioctl(dev->fd, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0)
		return lib_error(-errno, "VFIO_DEVICE_GET_REGION_INFO %u: %s", index,
		                 strerror(errno));
	*offset = ri.offset;
	*size = ri.size;
	*flags = ri.flags;
	return 0;
}

int vfio_dev_map_bar(const struct vfio_dev *dev, unsigned int bar, size_t len, void **out)
{
	uint64_t off, size;
	uint32_t flags;
	int ret = vfio_dev_region(dev, VFIO_PCI_BAR0_REGION_INDEX + bar, &off, &size, &flags);
	void *p;

	if (ret)
		return ret;
	if (size < len || !(flags & VFIO_REGION_INFO_FLAG_MMAP))
		return lib_error(-ENXIO, "%s %s: BAR%u (%llu bytes, flags %#x) cannot be mapped",
		                 dev->drv->name, dev->info.bdf, bar, (unsigned long long)size,
		                 flags);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, dev->fd, (off_t)off);
	if (p == MAP_FAILED)
		return lib_error(-errno, "%s %s: mmap of BAR%u failed: %s", dev->drv->name,
		                 dev->info.bdf, bar, strerror(errno));
	*out = p;
	return 0;
}

int vfio_dev_enable_bus_master(const struct vfio_dev *dev)
{
	uint64_t off, size;
	uint32_t flags;
	uint16_t cmd;
	int ret = vfio_dev_region(dev, VFIO_PCI_CONFIG_REGION_INDEX, &off, &size, &flags);

	if (ret)
		return ret;
	if (pread(dev->fd, &cmd, sizeof(cmd), (off_t)off + 4) != sizeof(cmd))
		return lib_error(-EIO, "cannot read the PCI command register");
	cmd |= 0x6; /* memory space, bus master */
	if (pwrite(dev->fd, &cmd, sizeof(cmd), (off_t)off + 4) != sizeof(cmd))
		return lib_error(-EIO, "cannot write the PCI command register");
	return 0;
}

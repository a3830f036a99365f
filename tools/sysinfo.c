// SPDX-License-Identifier: BSD-3-Clause
/*
 * Collect what the machine offers for DMA copies (see sysinfo.h).
 */
#define _GNU_SOURCE /* versionsort() */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dmacopy/dsa_spec.h" /* DSA_PCI_DEVICE_*: the DSA functions idxd knows */
#include "dmacopy/pci_ids.h"  /* the one list of I/OAT device IDs */
#include "sysinfo.h"

/* items with room for one more zeroed element at index n (NULL when out of memory). */
static void *grow(void *items, size_t n, size_t elem)
{
	char *grown = realloc(items, (n + 1) * elem);

	if (grown)
		memset(grown + n * elem, 0, elem);
	return grown;
}

/* Directory entries without dot files, in natural order (dax2.0 before dax10.0). */
struct dir_list {
	struct dirent **ents;
	int n;
};

static int not_dot(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

static const char *dir_list_read(struct dir_list *l, const char *path)
{
	l->n = scandir(path, &l->ents, not_dot, versionsort);
	if (l->n < 0) {
		l->n = 0;
		l->ents = NULL;
	}
	return path;
}

static void dir_list_free(struct dir_list *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->ents[i]);
	free(l->ents);
}

static int read_int(const char *path, int dflt)
{
	char buf[32];

	if (sysfs_read_str(path, buf, sizeof(buf)))
		return dflt;
	return atoi(buf);
}

/* ---- dmaengine channels ---------------------------------------------------------------------- */

/* Drivers known to register DMA_MEMCPY channels (sysfs does not expose capabilities). */
static const char *const memcpy_drivers[] = {
        "ioatdma", "idxd", "ptdma", "ae4dma", "hisi_dma", "plx_dma", "dw_dmac_pci", "dw-edma",
};

static enum tristate driver_has_memcpy(const char *driver)
{
	for (size_t i = 0; i < sizeof(memcpy_drivers) / sizeof(memcpy_drivers[0]); i++)
		if (!strcmp(driver, memcpy_drivers[i]))
			return TRI_YES;
	return TRI_UNKNOWN;
}

static int collect_channels(const struct sysroot *root, struct sysinfo *info)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	struct dir_list l;
	int ret = 0;

	dir_list_read(&l, sys_path(root, dir, sizeof(dir), "class/dma"));
	for (int i = 0; i < l.n; i++) {
		const char *name = l.ents[i]->d_name;
		struct dma_channel_info *c = grow(info->channels, info->n_channels, sizeof(*c));

		if (!c) {
			ret = -ENOMEM;
			break;
		}
		info->channels = c;
		c += info->n_channels++;
		strfmt(c->name, sizeof(c->name), "%s", name);
		strfmt(path, sizeof(path), "%s/%s/device", dir, name);
		sysfs_link_name(path, c->device, sizeof(c->device));
		strfmt(path, sizeof(path), "%s/%s/device/driver", dir, name);
		sysfs_link_name(path, c->driver, sizeof(c->driver));
		strfmt(path, sizeof(path), "%s/%s/in_use", dir, name);
		c->in_use = read_int(path, -1);
		c->memcpy = driver_has_memcpy(c->driver);
	}
	dir_list_free(&l);
	return ret;
}

/* ---- device-dax --------------------------------------------------------------------------------
 */

/* align: the device's own attribute (Linux >= 5.10), else its region's. */
static void dax_read_attrs(const char *dir, struct dax_device_info *d)
{
	char path[PATH_MAX + 64];

	strfmt(path, sizeof(path), "%s/size", dir);
	sysfs_read_u64(path, &d->size);
	strfmt(path, sizeof(path), "%s/align", dir);
	if (sysfs_read_u64(path, &d->align)) {
		strfmt(path, sizeof(path), "%s/../dax_region/align", dir);
		if (sysfs_read_u64(path, &d->align))
			d->align = 0;
	}
	strfmt(path, sizeof(path), "%s/target_node", dir);
	d->numa_node = read_int(path, -1);
	if (d->numa_node < 0) {
		strfmt(path, sizeof(path), "%s/numa_node", dir);
		d->numa_node = read_int(path, -1);
	}
	strfmt(path, sizeof(path), "%s/driver", dir);
	sysfs_link_name(path, d->driver, sizeof(d->driver));
}

static void dax_check_node(const struct sysroot *root, struct dax_device_info *d)
{
	struct stat st;

	dev_path(root, d->node, sizeof(d->node), d->name);
	d->node_exists = !stat(d->node, &st);
	d->accessible = d->node_exists && !access(d->node, R_OK | W_OK);
}

static int collect_dax(const struct sysroot *root, struct sysinfo *info)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	struct dir_list l;
	int ret = 0;

	dir_list_read(&l, sys_path(root, dir, sizeof(dir), "bus/dax/devices"));
	for (int i = 0; i < l.n; i++) {
		const char *name = l.ents[i]->d_name;
		struct dax_device_info *d = grow(info->dax, info->n_dax, sizeof(*d));

		if (!d) {
			ret = -ENOMEM;
			break;
		}
		info->dax = d;
		d += info->n_dax++;
		strfmt(d->name, sizeof(d->name), "%s", name);
		strfmt(path, sizeof(path), "%s/%s", dir, name);
		dax_read_attrs(path, d);
		dax_check_node(root, d);
	}
	dir_list_free(&l);
	return ret;
}

int dax_lookup_devt(const struct sysroot *root, dev_t rdev, struct dax_device_info *info)
{
	char rel[64], link[PATH_MAX], dir[PATH_MAX], path[PATH_MAX + 64], subsystem[32];
	const char *base;

	memset(info, 0, sizeof(*info));
	strfmt(rel, sizeof(rel), "dev/char/%u:%u", major(rdev), minor(rdev));
	if (!realpath(sys_path(root, link, sizeof(link), rel), dir))
		return -ENODEV;
	strfmt(path, sizeof(path), "%s/subsystem", dir);
	if (sysfs_link_name(path, subsystem, sizeof(subsystem)) || strcmp(subsystem, "dax"))
		return -ENODEV;
	base = strrchr(dir, '/');
	strfmt(info->name, sizeof(info->name), "%s", base ? base + 1 : dir);
	dax_read_attrs(dir, info);
	if (!info->align) {
		/* Older kernels: the class device's parent carries the attributes. */
		strfmt(path, sizeof(path), "%s/device", dir);
		dax_read_attrs(path, info);
	}
	if (!info->align) {
		strfmt(rel, sizeof(rel), "bus/dax/devices/%s", info->name);
		dax_read_attrs(sys_path(root, path, sizeof(path), rel), info);
	}
	dax_check_node(root, info);
	return 0;
}

/* ---- PCI functions ------------------------------------------------------------------------------
 */

/*
 * Intel DSA device IDs (vendor 8086) in idxd's PCI table: Linux 6.1 has Sapphire Rapids' 0b25;
 * Debian's 6.12 adds Granite Rapids-D (11fb) and Diamond Rapids (1212). IAA (0cfe, 1216) shares
 * the driver but does not copy memory.
 */
static const unsigned int dsa_device_ids[] = {DSA_PCI_DEVICE_SPR, DSA_PCI_DEVICE_GNRD,
                                              DSA_PCI_DEVICE_DMR};

static bool dsa_pci_device_id(unsigned int device)
{
	for (size_t i = 0; i < sizeof(dsa_device_ids) / sizeof(dsa_device_ids[0]); i++)
		if (device == dsa_device_ids[i])
			return true;
	return false;
}

static const char *dma_family(unsigned int vendor, unsigned int device)
{
	if (vendor == 0x8086 && ioat_pci_device_id(device))
		return "I/OAT";
	if (vendor == 0x8086 && dsa_pci_device_id(device))
		return "DSA";
	if (vendor == 0x1022 && device == 0x1498)
		return "AMD PTDMA";
	return NULL;
}

static int pci_group(const char *dev_dir)
{
	char path[PATH_MAX + 64], group[32];

	strfmt(path, sizeof(path), "%s/iommu_group", dev_dir);
	if (sysfs_link_name(path, group, sizeof(group)))
		return -1;
	return atoi(group);
}

static int collect_pci(const struct sysroot *root, struct sysinfo *info)
{
	char dir[PATH_MAX], dev[PATH_MAX + 32], path[PATH_MAX + 64];
	struct dir_list l;
	int ret = 0;

	dir_list_read(&l, sys_path(root, dir, sizeof(dir), "bus/pci/devices"));
	for (int i = 0; i < l.n; i++) {
		const char *name = l.ents[i]->d_name;
		uint64_t vendor = 0, device = 0;
		struct pci_dma_function *f;
		const char *family;

		strfmt(dev, sizeof(dev), "%s/%s", dir, name);
		strfmt(path, sizeof(path), "%s/vendor", dev);
		sysfs_read_u64(path, &vendor);
		strfmt(path, sizeof(path), "%s/device", dev);
		sysfs_read_u64(path, &device);
		family = dma_family((unsigned int)vendor, (unsigned int)device);
		if (!family)
			continue;
		f = grow(info->pci, info->n_pci, sizeof(*f));
		if (!f) {
			ret = -ENOMEM;
			break;
		}
		info->pci = f;
		f += info->n_pci++;
		strfmt(f->bdf, sizeof(f->bdf), "%s", name);
		f->vendor = (unsigned int)vendor;
		f->device = (unsigned int)device;
		f->family = family;
		strfmt(path, sizeof(path), "%s/driver", dev);
		sysfs_link_name(path, f->driver, sizeof(f->driver));
		f->iommu_group = pci_group(dev);
		strfmt(path, sizeof(path), "%s/numa_node", dev);
		f->numa_node = read_int(path, -1);
	}
	dir_list_free(&l);
	return ret;
}

/* ---- Intel DSA (idxd) ---------------------------------------------------------------------------
 */

static int read_attr_int(const char *dir, const char *attr, int dflt)
{
	char path[PATH_MAX + 64];

	strfmt(path, sizeof(path), "%s/%s", dir, attr);
	return read_int(path, dflt);
}

static void read_attr_str(const char *dir, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX + 64];

	strfmt(path, sizeof(path), "%s/%s", dir, attr);
	sysfs_read_str(path, buf, len);
}

/* The PCI function a dsaN directory hangs from (its parent in /sys/devices), "" if none. */
static void dsa_parent_bdf(const char *dev_dir, char *bdf, size_t len)
{
	char real[PATH_MAX], *slash;
	unsigned int dom, bus, slot, fn;

	bdf[0] = '\0';
	if (!realpath(dev_dir, real) || !(slash = strrchr(real, '/')))
		return;
	*slash = '\0';
	slash = strrchr(real, '/');
	if (slash && sscanf(slash + 1, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) == 4)
		strfmt(bdf, len, "%s", slash + 1);
}

/* The dmaengine channels whose device is dsa's PCI function. */
static void dsa_match_channels(const struct sysinfo *info, struct dsa_device_info *d)
{
	size_t used = 0;

	for (size_t i = 0; d->bdf[0] && i < info->n_channels; i++) {
		if (strcmp(info->channels[i].device, d->bdf))
			continue;
		d->n_channels++;
		if (used < sizeof(d->channels))
			used += (size_t)snprintf(d->channels + used, sizeof(d->channels) - used,
			                         "%s%s", used ? " " : "", info->channels[i].name);
	}
}

static struct dsa_device_info *dsa_find(struct sysinfo *info, unsigned int id)
{
	for (size_t i = 0; i < info->n_dsa; i++)
		if (info->dsa[i].id == id)
			return &info->dsa[i];
	return NULL;
}

static int collect_dsa_device(struct sysinfo *info, const char *dir, const char *name,
                              unsigned int id)
{
	char dev[PATH_MAX + 32], path[PATH_MAX + 64];
	struct dsa_device_info *d = grow(info->dsa, info->n_dsa, sizeof(*d));

	if (!d)
		return -ENOMEM;
	info->dsa = d;
	d += info->n_dsa++;
	strfmt(d->name, sizeof(d->name), "%s", name);
	d->id = id;
	strfmt(dev, sizeof(dev), "%s/%s", dir, name);
	dsa_parent_bdf(dev, d->bdf, sizeof(d->bdf));
	read_attr_str(dev, "state", d->state, sizeof(d->state));
	strfmt(path, sizeof(path), "%s/driver", dev);
	sysfs_link_name(path, d->driver, sizeof(d->driver));
	d->max_groups = read_attr_int(dev, "max_groups", -1);
	d->max_engines = read_attr_int(dev, "max_engines", -1);
	d->max_work_queues = read_attr_int(dev, "max_work_queues", -1);
	dsa_match_channels(info, d);
	return 0;
}

static int collect_dsa_wq(const struct sysroot *root, struct sysinfo *info, const char *dir,
                          const char *name, const struct dsa_device_info *d)
{
	char wq_dir[PATH_MAX + 32], path[PATH_MAX + 64], rel[48];
	struct dsa_wq_info *w = grow(info->dsa_wqs, info->n_dsa_wqs, sizeof(*w));

	if (!w)
		return -ENOMEM;
	info->dsa_wqs = w;
	w += info->n_dsa_wqs++;
	strfmt(w->name, sizeof(w->name), "%s", name);
	strfmt(w->device, sizeof(w->device), "%s", d->name);
	strfmt(wq_dir, sizeof(wq_dir), "%s/%s", dir, name);
	read_attr_str(wq_dir, "mode", w->mode, sizeof(w->mode));
	read_attr_str(wq_dir, "type", w->type, sizeof(w->type));
	read_attr_str(wq_dir, "state", w->state, sizeof(w->state));
	read_attr_str(wq_dir, "name", w->wq_name, sizeof(w->wq_name));
	strfmt(path, sizeof(path), "%s/driver_name", wq_dir);
	w->has_driver_name = path_exists(path);
	sysfs_read_str(path, w->driver_name, sizeof(w->driver_name));
	strfmt(path, sizeof(path), "%s/driver", wq_dir);
	sysfs_link_name(path, w->driver, sizeof(w->driver));
	w->size = read_attr_int(wq_dir, "size", -1);
	w->group_id = read_attr_int(wq_dir, "group_id", -1);
	strfmt(rel, sizeof(rel), "dsa/%s", name);
	dev_path(root, path, sizeof(path), rel);
	if (path_exists(path))
		strfmt(w->node, sizeof(w->node), "%s", path);
	return 0;
}

bool dsa_wq_driver_name_blocks_dmaengine(const struct dsa_wq_info *w)
{
	return w->has_driver_name && strncmp(w->driver_name, "dmaengine", 9);
}

static int collect_dsa(const struct sysroot *root, struct sysinfo *info)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dir_list l;
	unsigned int id, wq;
	char end;
	int ret = 0;

	info->idxd_module = path_exists(sys_path(root, path, sizeof(path), "module/idxd"));
	info->dsa_bus = path_exists(sys_path(root, path, sizeof(path), "bus/dsa"));
	dir_list_read(&l, sys_path(root, dir, sizeof(dir), "bus/dsa/devices"));
	/* Devices first (dsa0, dsa1, ...), then the WQs of those devices (not of iaxN). */
	for (int i = 0; i < l.n && !ret; i++)
		if (sscanf(l.ents[i]->d_name, "dsa%u%c", &id, &end) == 1)
			ret = collect_dsa_device(info, dir, l.ents[i]->d_name, id);
	for (int i = 0; i < l.n && !ret; i++) {
		const struct dsa_device_info *d;

		if (sscanf(l.ents[i]->d_name, "wq%u.%u%c", &id, &wq, &end) != 2)
			continue;
		d = dsa_find(info, id);
		if (d)
			ret = collect_dsa_wq(root, info, dir, l.ents[i]->d_name, d);
	}
	dir_list_free(&l);
	return ret;
}

/* ---- IOMMU and VFIO
 * ------------------------------------------------------------------------------ */

static int collect_iommu(const struct sysroot *root, struct sysinfo *info)
{
	char dir[PATH_MAX];
	struct dir_list l;
	int ret = 0;

	dir_list_read(&l, sys_path(root, dir, sizeof(dir), "class/iommu"));
	for (int i = 0; i < l.n; i++) {
		const char *name = l.ents[i]->d_name;
		char(*unit)[32] = grow(info->iommu_units, info->n_iommu_units, sizeof(*unit));

		if (!unit) {
			ret = -ENOMEM;
			break;
		}
		info->iommu_units = unit;
		unit += info->n_iommu_units++;
		strfmt(*unit, sizeof(*unit), "%s", name);
	}
	dir_list_free(&l);
	dir_list_read(&l, sys_path(root, dir, sizeof(dir), "kernel/iommu_groups"));
	info->iommu_groups = (unsigned int)l.n;
	dir_list_free(&l);
	return ret;
}

static int collect_vfio(const struct sysroot *root, struct sysinfo *info)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], rel[64];
	struct dir_list l;
	int ret = 0;

	info->vfio_pci_module = path_exists(sys_path(root, path, sizeof(path), "module/vfio_pci"));
	info->vfio_container = path_exists(dev_path(root, path, sizeof(path), "vfio/vfio"));
	dir_list_read(&l, sys_path(root, dir, sizeof(dir), "bus/pci/drivers/vfio-pci"));
	for (int i = 0; i < l.n; i++) {
		const char *name = l.ents[i]->d_name;
		unsigned int dom, bus, slot, fn;
		struct vfio_device_info *v;

		/* The driver directory also holds bind, new_id, module...: keep PCI addresses. */
		if (sscanf(name, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) != 4)
			continue;
		v = grow(info->vfio, info->n_vfio, sizeof(*v));
		if (!v) {
			ret = -ENOMEM;
			break;
		}
		info->vfio = v;
		v += info->n_vfio++;
		strfmt(v->bdf, sizeof(v->bdf), "%s", name);
		strfmt(path, sizeof(path), "%s/%s", dir, name);
		v->iommu_group = pci_group(path);
		if (v->iommu_group >= 0) {
			strfmt(rel, sizeof(rel), "vfio/%d", v->iommu_group);
			dev_path(root, path, sizeof(path), rel);
			v->group_node_exists = path_exists(path);
			v->group_accessible = !access(path, R_OK | W_OK);
		}
	}
	dir_list_free(&l);
	return ret;
}

/* ---- everything
 * ------------------------------------------------------------------------------------ */

int sysinfo_collect(const struct sysroot *root, struct sysinfo *info)
{
	char path[PATH_MAX];
	struct stat st;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int ret;

	memset(info, 0, sizeof(*info));
	info->online_cpus = cpus > 0 ? (unsigned int)cpus : 1;
	info->llc_bytes = sysinfo_llc_bytes(root);
	sysinfo_cpu_features(info->cpu_features, sizeof(info->cpu_features));

	info->dmacopy_module = path_exists(sys_path(root, path, sizeof(path), "module/dmacopy"));
	dev_path(root, path, sizeof(path), "dmacopy");
	info->dmacopy_node = !stat(path, &st);
	info->dmacopy_node_chr = info->dmacopy_node && S_ISCHR(st.st_mode);
	info->dmacopy_node_accessible = info->dmacopy_node && !access(path, R_OK | W_OK);
	info->ioat_dma_node = path_exists(dev_path(root, path, sizeof(path), "ioat-dma"));

	ret = collect_channels(root, info);
	if (!ret)
		ret = collect_dax(root, info);
	if (!ret)
		ret = collect_pci(root, info);
	if (!ret)
		ret = collect_dsa(root, info);
	if (!ret)
		ret = collect_iommu(root, info);
	if (!ret)
		ret = collect_vfio(root, info);
	if (ret)
		sysinfo_free(info);
	return ret;
}

void sysinfo_free(struct sysinfo *info)
{
	free(info->channels);
	free(info->dax);
	free(info->pci);
	free(info->dsa);
	free(info->dsa_wqs);
	free(info->iommu_units);
	free(info->vfio);
	memset(info, 0, sizeof(*info));
}

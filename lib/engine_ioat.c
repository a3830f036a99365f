// SPDX-License-Identifier: BSD-3-Clause
/*
 * The "ioat" engine: an Intel I/OAT channel driven from user space through VFIO.
 *
 * Status: detection only. The VFIO polled-mode data path is not written yet; opening this engine
 * reports what was found and why it cannot be used, and "auto" falls through to the next engine.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "ioat_ids.h"

#define PCI_DEVICES "/sys/bus/pci/devices"

static void pci_driver(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		snprintf(buf, len, "none");
		return;
	}
	target[n] = '\0';
	snprintf(buf, len, "%.60s", strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
}

static bool is_ioat(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/vendor", bdf);
	if (read_sysfs_ll(path, 16) != 0x8086)
		return false;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/device", bdf);
	return ioat_pci_device_id((unsigned int)read_sysfs_ll(path, 16));
}

/* One status row per I/OAT function; returns how many were found. */
static unsigned int ioat_scan(const char *only, struct dmacopy_engine_status *rows, unsigned int max,
			      unsigned int *n, int *first_error)
{
	struct dirent *de;
	unsigned int found = 0;
	DIR *d = opendir(PCI_DEVICES);

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char drv[64], spec[64], detail[256], remedy[256];
		int err;

		if (de->d_name[0] == '.' || !is_ioat(de->d_name))
			continue;
		if (only && strcmp(only, de->d_name))
			continue;
		found++;
		pci_driver(de->d_name, drv, sizeof(drv));
		snprintf(spec, sizeof(spec), "ioat:%.40s", de->d_name);
		if (!strcmp(drv, "vfio-pci")) {
			err = -ENOTSUP;
			snprintf(detail, sizeof(detail), "I/OAT %.40s is bound to vfio-pci, but this "
				 "version of libdmacopy has no user-space I/OAT data path yet",
				 de->d_name);
			snprintf(remedy, sizeof(remedy), "use the kernel's ioatdma driver instead");
		} else {
			err = -ENODEV;
			snprintf(detail, sizeof(detail), "I/OAT %.40s is bound to driver '%.60s', not "
				 "vfio-pci", de->d_name, drv);
			snprintf(remedy, sizeof(remedy), "bind it to vfio-pci for user-space use "
				 "(needs an IOMMU), or keep ioatdma and use the kernel engine");
		}
		if (!*first_error)
			*first_error = err;
		status_row(rows, max, n, "ioat", spec, err, detail, remedy);
	}
	closedir(d);
	return found;
}

static int ioat_open(struct dmacopy_engine *e, const char *arg,
		     const struct dmacopy_engine_opts *opts)
{
	struct dmacopy_engine_status row;
	unsigned int n = 0;
	int err = 0;

	(void)e;
	(void)opts;
	if (!ioat_scan(arg, &row, 1, &n, &err)) {
		if (arg)
			return lib_error(-ENOENT, "no I/OAT PCI function at %s", arg);
		return lib_error(-ENODEV, "no Intel I/OAT (QuickData) PCI function on this machine");
	}
	return lib_error(err, "%s; %s", row.detail, row.remedy);
}

static void ioat_close(struct dmacopy_engine *e)
{
	(void)e;
}

static void ioat_caps(const struct dmacopy_engine *e, struct dmacopy_caps *caps)
{
	(void)e;
	(void)caps;
}

static void ioat_probe(struct dmacopy_engine_status *rows, unsigned int max, unsigned int *n)
{
	int err = 0;

	if (!ioat_scan(NULL, rows, max, n, &err))
		status_row(rows, max, n, "ioat", "ioat:PCI_ADDR", -ENODEV,
			   "no Intel I/OAT (QuickData) PCI function on this machine",
			   "I/OAT exists on Intel Xeon platforms; enable 'Crystal Beach DMA' in the "
			   "firmware setup");
}

const struct engine_ops engine_ioat_ops = {
	.kind = "ioat",
	.cap_flags = DMACOPY_CAP_COPY | DMACOPY_CAP_FILL | DMACOPY_CAP_NEEDS_REGISTER |
		     DMACOPY_CAP_HARDWARE,
	.open = ioat_open,
	.close = ioat_close,
	.caps = ioat_caps,
	.probe = ioat_probe,
};

// SPDX-License-Identifier: BSD-3-Clause
/*
 * `dmacopy info` checks: what each engine needs from the machine and how to provide it.
 *
 *   kernel engine: dmacopy.ko loaded, /dev/dmacopy usable, dmaengine DMA_MEMCPY channels
 *   ioat engine:   I/OAT PCI functions, an IOMMU, vfio-pci with accessible group nodes
 *   device-dax:    /dev/daxX.Y nodes in devdax mode, readable and writable
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "doctor.h"

const char *check_state_name(enum check_state state)
{
	switch (state) {
	case CHECK_OK:
		return "ok";
	case CHECK_MISSING:
		return "missing";
	case CHECK_WARNING:
		return "warning";
	}
	return "?";
}

CLI_PRINTF(3, 4) static void set(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

#define DETAIL(c, ...) set((c)->detail, sizeof((c)->detail), __VA_ARGS__)
#define REMEDY(c, ...) set((c)->remedy, sizeof((c)->remedy), __VA_ARGS__)

static void check_module(const struct sysinfo *si, struct check *c)
{
	c->name = "dmacopy.ko";
	if (si->dmacopy_module) {
		c->state = CHECK_OK;
		DETAIL(c, "loaded (/sys/module/dmacopy)%s",
		       si->ioat_dma_node ? "; /dev/ioat-dma (reference ABI) present" : "");
		return;
	}
	c->state = CHECK_MISSING;
	DETAIL(c, "not loaded (no /sys/module/dmacopy): the kernel engine needs it");
	REMEDY(c, "build it with 'make kmods', then: sudo insmod "
	          "build/kmod/$(uname -r)/kmod/dmacopy.ko");
}

static void check_node(const struct sysinfo *si, struct check *c)
{
	c->name = "/dev/dmacopy";
	if (!si->dmacopy_node) {
		c->state = CHECK_MISSING;
		if (si->dmacopy_module) {
			DETAIL(c, "missing although dmacopy.ko is loaded");
			REMEDY(c, "udev did not create the node: check /sys/class/misc/dmacopy/dev "
			          "and the udev rules");
		} else {
			DETAIL(c, "missing (dmacopy.ko is not loaded)");
			REMEDY(c, "load dmacopy.ko (see above)");
		}
	} else if (!si->dmacopy_node_chr) {
		c->state = CHECK_WARNING;
		DETAIL(c, "exists but is not a character device");
		REMEDY(c, "remove the stray file and reload dmacopy.ko");
	} else if (!si->dmacopy_node_accessible) {
		c->state = CHECK_WARNING;
		DETAIL(c, "present but this user cannot open it read-write");
		REMEDY(c, "run as root, or grant a group access with a udev rule (GROUP=, MODE=)");
	} else {
		c->state = CHECK_OK;
		DETAIL(c, "present and read-write for this user");
	}
}

static size_t count_pci(const struct sysinfo *si, const char *family, const char *driver)
{
	size_t n = 0;

	for (size_t i = 0; i < si->n_pci; i++)
		if (!strcmp(si->pci[i].family, family) &&
		    (!driver || !strcmp(si->pci[i].driver, driver)))
			n++;
	return n;
}

static void check_channels(const struct sysinfo *si, struct check *c)
{
	size_t known = 0, used = 0;

	c->name = "dmaengine channels";
	for (size_t i = 0; i < si->n_channels; i++) {
		known += si->channels[i].memcpy == TRI_YES;
		used += si->channels[i].in_use > 0;
	}
	if (si->n_channels) {
		c->state = known ? CHECK_OK : CHECK_WARNING;
		DETAIL(c, "%zu in /sys/class/dma, %zu from drivers known to do memcpy, %zu in use",
		       si->n_channels, known, used);
		if (!known)
			REMEDY(c,
			       "none of these drivers is known to provide DMA_MEMCPY; the kernel "
			       "engine will say whether it can use them");
		return;
	}
	c->state = CHECK_MISSING;
	DETAIL(c, "no dmaengine channels in /sys/class/dma");
	if (count_pci(si, "I/OAT", NULL) >
	    count_pci(si, "I/OAT", "ioatdma") + count_pci(si, "I/OAT", "vfio-pci"))
		REMEDY(c, "load the I/OAT driver: sudo modprobe ioatdma");
	else if (count_pci(si, "DSA", NULL))
		REMEDY(c, "configure a kernel-mode DSA work queue for idxd (accel-config) to get "
		          "dmaengine channels");
	else if (count_pci(si, "AMD PTDMA", NULL))
		REMEDY(c, "load the AMD PTDMA driver: sudo modprobe ptdma");
	else if (si->n_pci)
		REMEDY(c,
		       "the DMA functions found are not bound to a dmaengine driver (see below)");
	else
		REMEDY(c,
		       "this machine has no DMA engine the kernel can drive (I/OAT, DSA, PTDMA); "
		       "dmacopy uses the cpu engine");
}

static void check_dax(const struct sysinfo *si, struct check *c)
{
	size_t devdax = 0, kmem = 0;
	const struct dax_device_info *blocked = NULL, *first = NULL;
	char size[32], align[32];

	c->name = "device-dax";
	for (size_t i = 0; i < si->n_dax; i++) {
		const struct dax_device_info *d = &si->dax[i];

		if (!d->node_exists) {
			kmem += !strcmp(d->driver, "kmem");
			continue;
		}
		devdax++;
		if (!first)
			first = d;
		if (!d->accessible && !blocked)
			blocked = d;
	}
	if (!devdax) {
		c->state = CHECK_MISSING;
		if (kmem)
			DETAIL(c,
			       "%zu device-dax device(s), all onlined as system RAM (kmem): no "
			       "/dev/daxX.Y node",
			       kmem);
		else
			DETAIL(c, "no device-dax devices (/sys/bus/dax/devices)");
		REMEDY(c,
		       "persistent memory: ndctl create-namespace --mode=devdax; soft-reserved or "
		       "CXL memory: daxctl reconfigure-device --mode=devdax daxX.Y");
		return;
	}
	if (blocked) {
		c->state = CHECK_WARNING;
		DETAIL(c, "%s is not read-write for this user", blocked->node);
		REMEDY(c, "run as root, or grant access to %s with a udev rule", blocked->node);
		return;
	}
	c->state = CHECK_OK;
	DETAIL(c, "%zu node(s), e.g. %s (%s, align %s)", devdax, first->node,
	       format_bytes(first->size, size, sizeof(size)),
	       first->align ? format_bytes(first->align, align, sizeof(align)) : "unknown");
}

static void check_iommu(const struct sysinfo *si, struct check *c)
{
	c->name = "IOMMU";
	if (si->n_iommu_units) {
		c->state = CHECK_OK;
		DETAIL(c, "%zu unit(s) (%s%s), %u IOMMU groups", si->n_iommu_units,
		       si->iommu_units[0], si->n_iommu_units > 1 ? ", ..." : "", si->iommu_groups);
		return;
	}
	c->state = CHECK_MISSING;
	DETAIL(c,
	       "no IOMMU is active (/sys/class/iommu is empty); the ioat engine (VFIO) needs one");
	REMEDY(c, "boot with intel_iommu=on (Intel) or amd_iommu=on (AMD); enable VT-d/AMD-Vi in "
	          "the firmware setup");
}

static void check_vfio(const struct sysinfo *si, struct check *c)
{
	c->name = "vfio-pci";
	for (size_t i = 0; i < si->n_vfio; i++) {
		const struct vfio_device_info *v = &si->vfio[i];

		if (v->iommu_group < 0 || !v->group_node_exists) {
			c->state = CHECK_WARNING;
			DETAIL(c, "%s is bound to vfio-pci but has no usable IOMMU group node",
			       v->bdf);
			REMEDY(c, "enable the IOMMU (see above) and rebind %s", v->bdf);
			return;
		}
		if (!v->group_accessible) {
			c->state = CHECK_WARNING;
			DETAIL(c, "/dev/vfio/%d (%s) is not read-write for this user",
			       v->iommu_group, v->bdf);
			REMEDY(c, "run as root, or: sudo chown $USER /dev/vfio/%d", v->iommu_group);
			return;
		}
	}
	if (si->n_vfio) {
		c->state = CHECK_OK;
		DETAIL(c, "%zu device(s) bound to vfio-pci, group nodes accessible", si->n_vfio);
	} else if (si->vfio_pci_module) {
		c->state = CHECK_MISSING;
		DETAIL(c, "vfio-pci is loaded but no device is bound to it");
		REMEDY(c, "bind an I/OAT function: echo vfio-pci | sudo tee "
		          "/sys/bus/pci/devices/BDF/driver_override; echo BDF | sudo tee "
		          "/sys/bus/pci/drivers_probe");
	} else {
		c->state = CHECK_MISSING;
		DETAIL(c, "vfio-pci is not loaded; the ioat engine needs it");
		REMEDY(c, "sudo modprobe vfio-pci, then bind an I/OAT function to it");
	}
}

static void check_ioat(const struct sysinfo *si, struct check *c)
{
	size_t total = count_pci(si, "I/OAT", NULL);
	size_t kernel = count_pci(si, "I/OAT", "ioatdma");
	size_t vfio = count_pci(si, "I/OAT", "vfio-pci");
	size_t unbound = count_pci(si, "I/OAT", "");

	c->name = "I/OAT";
	if (!total) {
		c->state = CHECK_MISSING;
		DETAIL(c, "no Intel I/OAT (QuickData) PCI function");
		REMEDY(c, "I/OAT exists on Intel Xeon platforms; enable it in the firmware setup "
		          "('Crystal Beach DMA' / CBDMA)");
		return;
	}
	DETAIL(c,
	       "%zu function(s): %zu on ioatdma (kernel engine), %zu on vfio-pci (ioat engine), "
	       "%zu without driver, %zu on other drivers",
	       total, kernel, vfio, unbound, total - kernel - vfio - unbound);
	if (kernel + vfio) {
		c->state = CHECK_OK;
		return;
	}
	c->state = CHECK_WARNING;
	REMEDY(c, "sudo modprobe ioatdma (kernel engine) or bind to vfio-pci (ioat engine)");
}

size_t doctor_run(const struct sysinfo *info, struct check *checks, size_t max)
{
	static void (*const all[])(const struct sysinfo *, struct check *) = {
	        check_module, check_node,  check_channels, check_dax,
	        check_ioat,   check_iommu, check_vfio,
	};
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(all) && n < max; i++) {
		memset(&checks[n], 0, sizeof(checks[n]));
		all[i](info, &checks[n++]);
	}
	return n;
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * `dmacopy info` checks: what each engine needs from the machine and how to provide it.
 *
 *   kernel engine: dmacopy.ko loaded, /dev/dmacopy usable, dmaengine DMA_MEMCPY channels;
 *                  for Intel DSA, idxd with an enabled kernel work queue
 *   ioat engine:   I/OAT PCI functions, an IOMMU, vfio-pci with accessible group nodes
 *   device-dax:    /dev/daxX.Y nodes in devdax mode, readable and writable
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dmacopy/remedies.h"
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
	REMEDY(c, REMEDY_KMOD_LOAD);
}

static void check_node(const struct sysinfo *si, struct check *c)
{
	c->name = "/dev/dmacopy";
	if (!si->dmacopy_node) {
		c->state = CHECK_MISSING;
		if (si->dmacopy_module) {
			DETAIL(c, "missing although dmacopy.ko is loaded");
			REMEDY(c, REMEDY_KMOD_NODE);
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
		REMEDY(c, REMEDY_KMOD_ACCESS);
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

/* An I/OAT function not on vfio-pci, for REMEDY_VFIO_BIND ("BDF" when there is none). */
static const char *ioat_to_bind(const struct sysinfo *si)
{
	for (size_t i = 0; i < si->n_pci; i++)
		if (!strcmp(si->pci[i].family, "I/OAT") && strcmp(si->pci[i].driver, "vfio-pci"))
			return si->pci[i].bdf;
	return "BDF";
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
	else if (count_pci(si, "DSA", NULL) || si->n_dsa)
		REMEDY(c, "enable a DSA kernel work queue: see the DSA check below");
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
	REMEDY(c, REMEDY_IOMMU_ON);
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
			REMEDY(c, REMEDY_VFIO_ACCESS, v->bdf);
			return;
		}
	}
	if (si->n_vfio) {
		c->state = CHECK_OK;
		DETAIL(c, "%zu device(s) bound to vfio-pci, group nodes accessible", si->n_vfio);
	} else if (si->vfio_pci_module) {
		c->state = CHECK_MISSING;
		DETAIL(c, "vfio-pci is loaded but no device is bound to it");
		REMEDY(c, REMEDY_VFIO_BIND, ioat_to_bind(si));
	} else {
		c->state = CHECK_MISSING;
		DETAIL(c, "vfio-pci is not loaded; the ioat engine needs it");
		REMEDY(c, REMEDY_VFIO_BIND, ioat_to_bind(si));
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
		REMEDY(c, REMEDY_IOAT_ABSENT);
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
	REMEDY(c, "sudo modprobe ioatdma (kernel engine) or " REMEDY_VFIO_BIND " (ioat engine)",
	       ioat_to_bind(si));
}

/* ---- Intel DSA (idxd) ---------------------------------------------------------------------- */

CLI_PRINTF(3, 4) static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static bool wq_is(const struct dsa_wq_info *w, const char *type, const char *state)
{
	return !strcmp(w->type, type) && (!state || !strcmp(w->state, state));
}

static const struct dsa_device_info *dsa_device(const struct sysinfo *si, const char *name)
{
	for (size_t i = 0; i < si->n_dsa; i++)
		if (!strcmp(si->dsa[i].name, name))
			return &si->dsa[i];
	return NULL;
}

/* "wq0.1, wq0.2, ..." for the WQs of type (and state, unless NULL); returns how many. */
static size_t wq_names(const struct sysinfo *si, const char *type, const char *state, char *buf,
                       size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < si->n_dsa_wqs; i++) {
		if (!wq_is(&si->dsa_wqs[i], type, state))
			continue;
		if (n < 3)
			append(buf, len, "%s%s", n ? ", " : "", si->dsa_wqs[i].name);
		else if (n == 3)
			append(buf, len, ", ...");
		n++;
	}
	return n;
}

/* User WQs are never silently left out: say what they are for. */
static void dsa_user_wq_note(const struct sysinfo *si, struct check *c)
{
	char names[64];
	size_t n = wq_names(si, "user", NULL, names, sizeof(names));

	if (n)
		append(c->detail, sizeof(c->detail), "; %zu user WQ%s (%s), " DSA_USER_WQ_NOTE, n,
		       n == 1 ? "" : "s", names);
}

/* The WQ to turn into a kernel WQ: a disabled kernel one, else an unconfigured one, else any. */
static const struct dsa_wq_info *dsa_pick_wq(const struct sysinfo *si,
                                             const struct dsa_device_info *d)
{
	static const char *const prefer[] = {"kernel", "none", NULL};

	for (size_t p = 0; p < ARRAY_SIZE(prefer); p++)
		for (size_t i = 0; i < si->n_dsa_wqs; i++) {
			const struct dsa_wq_info *w = &si->dsa_wqs[i];

			if (!strcmp(w->device, d->name) && !strcmp(w->state, "disabled") &&
			    (!prefer[p] || !strcmp(w->type, prefer[p])))
				return w;
		}
	return NULL;
}

/*
 * The accel-config commands that give d a dedicated kernel WQ for dmaengine. Option names are
 * those of accel-config 3.5.3 (Debian 12), checked against its usage text: config-engine
 * --group-id; config-wq --group-id --mode --type --name --driver-name --wq-size --priority. idxd
 * enables no WQ without a name, and Linux 6.7+ hands a kernel WQ to the dmaengine sub-driver only
 * when its driver_name is "dmaengine"; accel-config (3.4.6 and later) writes it with --driver-name
 * and skips it on kernels without the attribute (6.1), so one command line serves both.
 */
static void dsa_remedy(const struct sysinfo *si, const struct dsa_device_info *d, struct check *c)
{
	const struct dsa_wq_info *w = dsa_pick_wq(si, d);
	bool enabled = !strcmp(d->state, "enabled");
	char wq[16];
	int group = 0;

	if (w)
		snprintf(wq, sizeof(wq), "%s", w->name);
	else
		snprintf(wq, sizeof(wq), "wq%u.0", d->id);
	/* On an enabled device, join the group of a WQ already enabled there (it has engines). */
	for (size_t i = 0; enabled && i < si->n_dsa_wqs; i++)
		if (!strcmp(si->dsa_wqs[i].device, d->name) &&
		    !strcmp(si->dsa_wqs[i].state, "enabled") && si->dsa_wqs[i].group_id >= 0) {
			group = si->dsa_wqs[i].group_id;
			break;
		}
	if (!w && enabled)
		append(c->remedy, sizeof(c->remedy),
		       "every WQ of %s is enabled: free one first (sudo accel-config disable-wq "
		       "%s/%s), then: ",
		       d->name, d->name, wq);
	if (!strcmp(d->state, "halted"))
		append(c->remedy, sizeof(c->remedy), "sudo accel-config disable-device %s && ",
		       d->name);
	if (!enabled)
		append(c->remedy, sizeof(c->remedy),
		       "sudo accel-config config-engine %s/engine%u.0 --group-id=%d && ", d->name,
		       d->id, group);
	append(c->remedy, sizeof(c->remedy),
	       "sudo accel-config config-wq %s/%s --group-id=%d --mode=dedicated --type=kernel "
	       "--name=dmacopy --driver-name=dmaengine --wq-size=16 --priority=10 && ",
	       d->name, wq, group);
	if (!enabled)
		append(c->remedy, sizeof(c->remedy), "sudo accel-config enable-device %s && ",
		       d->name);
	append(c->remedy, sizeof(c->remedy),
	       "sudo accel-config enable-wq %s/%s (apt-get install accel-config; one older than "
	       "3.4.6 lacks --driver-name: on Linux 6.7+, echo dmaengine | sudo tee "
	       "/sys/bus/dsa/devices/%s/driver_name before enable-wq)",
	       d->name, wq, wq);
}

/* No DSA device on the dsa bus: is there DSA hardware, and why has idxd not taken it? */
static void check_dsa_pci(const struct sysinfo *si, struct check *c)
{
	const struct pci_dma_function *f = NULL;
	size_t total = count_pci(si, "DSA", NULL);

	for (size_t i = 0; i < si->n_pci; i++)
		if (!strcmp(si->pci[i].family, "DSA") && (!f || !strcmp(f->driver, "idxd")))
			f = &si->pci[i];
	if (!f) {
		c->state = CHECK_MISSING;
		DETAIL(c, "no Intel DSA PCI function (8086:0b25, 11fb, 1212)");
		REMEDY(c, REMEDY_DSA_ABSENT);
		return;
	}
	if (!strcmp(f->driver, "idxd")) {
		c->state = CHECK_WARNING;
		DETAIL(c, "%s is bound to idxd but /sys/bus/dsa/devices has no DSA device", f->bdf);
		REMEDY(c, "idxd failed to set the device up: see dmesg");
		return;
	}
	if (!si->idxd_module) {
		c->state = CHECK_MISSING;
		DETAIL(c,
		       "%zu DSA function%s (%s%s), but the idxd driver is not loaded (no "
		       "/sys/module/idxd)",
		       total, total == 1 ? "" : "s", f->bdf, total > 1 ? ", ..." : "");
		if (f->driver[0]) {
			append(c->detail, sizeof(c->detail), "; %s is bound to %s", f->bdf,
			       f->driver);
			REMEDY(c, "echo %s | sudo tee /sys/bus/pci/drivers/%s/unbind; ", f->bdf,
			       f->driver);
		}
		append(c->remedy, sizeof(c->remedy),
		       "sudo modprobe idxd (it refuses to load on a CPU without MOVDIR64B: see "
		       "dmesg)");
		return;
	}
	c->state = CHECK_WARNING;
	if (f->driver[0]) {
		DETAIL(c, "idxd is loaded but %s (8086:%04x) is bound to %s%s", f->bdf, f->device,
		       f->driver,
		       !strcmp(f->driver, "vfio-pci") ? " (for user-space drivers such as DPDK's)"
		                                      : "");
		REMEDY(c,
		       "for the kernel engine, give it to idxd: echo %s | sudo tee "
		       "/sys/bus/pci/drivers/%s/unbind; echo %s | sudo tee "
		       "/sys/bus/pci/drivers/idxd/bind",
		       f->bdf, f->driver, f->bdf);
		return;
	}
	DETAIL(c, "idxd is loaded but %s (8086:%04x) is not bound to it", f->bdf, f->device);
	REMEDY(c, "echo %s | sudo tee /sys/bus/pci/drivers/idxd/bind; if that fails, ", f->bdf);
	if (f->device == 0x0b25)
		append(c->remedy, sizeof(c->remedy), "see dmesg");
	else
		append(c->remedy, sizeof(c->remedy),
		       "this kernel's idxd may not know 8086:%04x (Linux 6.1's knows only 0b25; "
		       "Debian's 6.12 adds 11fb and 1212): use a newer kernel",
		       f->device);
}

static void check_dsa(const struct sysinfo *si, struct check *c)
{
	const struct dsa_device_info *d = NULL;
	const struct dsa_wq_info *w = NULL, *bad_name = NULL;
	char wqs[64], chans[160] = "";
	size_t kernel, n_chans = 0;

	c->name = "DSA";
	if (!si->n_dsa) {
		check_dsa_pci(si, c);
		return;
	}
	kernel = wq_names(si, "kernel", "enabled", wqs, sizeof(wqs));
	for (size_t i = 0; i < si->n_dsa; i++) {
		bool has_kernel_wq = false;

		for (size_t k = 0; k < si->n_dsa_wqs; k++)
			has_kernel_wq |= !strcmp(si->dsa_wqs[k].device, si->dsa[i].name) &&
			                 wq_is(&si->dsa_wqs[k], "kernel", "enabled");
		if (!has_kernel_wq || !si->dsa[i].n_channels)
			continue;
		n_chans += si->dsa[i].n_channels;
		append(chans, sizeof(chans), "%s%s", chans[0] ? " " : "", si->dsa[i].channels);
	}
	if (kernel && n_chans) {
		c->state = CHECK_OK;
		DETAIL(c, "%zu kernel WQ%s enabled (%s), giving %zu dmaengine channel%s (%s)",
		       kernel, kernel == 1 ? "" : "s", wqs, n_chans, n_chans == 1 ? "" : "s",
		       chans);
		dsa_user_wq_note(si, c);
		return;
	}
	c->state = CHECK_WARNING;
	for (size_t i = 0; i < si->n_dsa_wqs && !w; i++)
		if (wq_is(&si->dsa_wqs[i], "kernel", "enabled"))
			w = &si->dsa_wqs[i];
	if (w) {
		d = dsa_device(si, w->device);
		DETAIL(c, "kernel WQ%s %s enabled but no /sys/class/dma channel belongs to %s (%s)",
		       kernel == 1 ? "" : "s", wqs, d->name, d->bdf[0] ? d->bdf : "?");
		dsa_user_wq_note(si, c);
		REMEDY(c,
		       "see dmesg for idxd's dmaengine errors; re-enable the WQ: sudo accel-config "
		       "disable-wq %s/%s && sudo accel-config enable-wq %s/%s",
		       d->name, w->name, d->name, w->name);
		return;
	}
	/* No kernel WQ: configure one on the first device that has a disabled WQ to spare. */
	for (size_t i = 0; i < si->n_dsa && !d; i++)
		if (dsa_pick_wq(si, &si->dsa[i]))
			d = &si->dsa[i];
	if (!d)
		d = &si->dsa[0];
	for (size_t i = 0; i < si->n_dsa_wqs && !bad_name; i++)
		if (wq_is(&si->dsa_wqs[i], "kernel", NULL) &&
		    dsa_wq_driver_name_blocks_dmaengine(&si->dsa_wqs[i]))
			bad_name = &si->dsa_wqs[i];
	DETAIL(c, "no kernel WQ is enabled, so idxd gives dmaengine no channel; %s (%s) is %s",
	       d->name, d->bdf[0] ? d->bdf : "?", d->state[0] ? d->state : "in an unknown state");
	if (si->n_dsa > 1)
		append(c->detail, sizeof(c->detail), " (%zu DSA devices)", si->n_dsa);
	if (bad_name)
		append(c->detail, sizeof(c->detail),
		       "; %s is a kernel WQ whose driver_name is '%s': Linux 6.7+ binds it only "
		       "with driver_name dmaengine",
		       bad_name->name, bad_name->driver_name);
	dsa_user_wq_note(si, c);
	dsa_remedy(si, d, c);
}

size_t doctor_run(const struct sysinfo *info, struct check *checks, size_t max)
{
	static void (*const all[])(const struct sysinfo *, struct check *) = {
	        check_module, check_node, check_channels, check_dax,
	        check_ioat,   check_dsa,  check_iommu,    check_vfio,
	};
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(all) && n < max; i++) {
		memset(&checks[n], 0, sizeof(checks[n]));
		all[i](info, &checks[n++]);
	}
	return n;
}

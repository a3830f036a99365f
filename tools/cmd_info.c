// SPDX-License-Identifier: BSD-3-Clause
/*
 * dmacopy info: the engines usable here, why the others are not and how to enable them, the CPU,
 * and the DMA hardware, device-dax, IOMMU and VFIO state of the machine.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmacopy.h"
#include "cli.h"
#include "doctor.h"
#include "json.h"
#include "sysinfo.h"

static const char info_usage[] =
        "Usage: dmacopy info [--json]\n"
        "\n"
        "Show the engines libdmacopy can use on this machine and, for each one that is not\n"
        "usable, why and how to enable it. Then check what the DMA engines need: dmacopy.ko and\n"
        "/dev/dmacopy, dmaengine channels, device-dax nodes, I/OAT functions, Intel DSA (idxd)\n"
        "devices and work queues, IOMMU and VFIO.\n"
        "\n"
        "Options:\n"
        "  -j, --json   machine-readable output\n"
        "  -h, --help   show this help\n";

#define MAX_ENGINES 64

struct engine_row {
	struct dmacopy_engine_status status;
	bool have_caps;
	struct dmacopy_caps caps;
	char name[64];
};

struct info_report {
	struct engine_row rows[MAX_ENGINES];
	unsigned int n_rows;
	int probe_error;
	char auto_name[64];
	char auto_selection[2048];
	int auto_error;
	struct sysinfo sys;
	struct check checks[DOCTOR_MAX_CHECKS];
	size_t n_checks;
};

static const struct {
	uint32_t flag;
	const char *name;
} cap_names[] = {
        {DMACOPY_CAP_COPY, "copy"},
        {DMACOPY_CAP_FILL, "fill"},
        {DMACOPY_CAP_NEEDS_REGISTER, "needs-register"},
        {DMACOPY_CAP_OUT_OF_ORDER, "out-of-order"},
        {DMACOPY_CAP_HARDWARE, "hardware"},
};

static void engine_caps(struct engine_row *row)
{
	struct dmacopy_engine *e;

	if (!row->status.available || dmacopy_engine_open(&e, row->status.spec, NULL))
		return;
	row->have_caps = !dmacopy_engine_caps(e, &row->caps);
	snprintf(row->name, sizeof(row->name), "%s", dmacopy_engine_name(e));
	dmacopy_engine_close(e);
}

static int gather(struct info_report *r)
{
	struct dmacopy_engine_status *status;
	struct dmacopy_engine *e;
	struct sysroot root;
	int n;

	status = calloc(MAX_ENGINES, sizeof(*status));
	if (!status)
		return -1;
	n = dmacopy_probe(status, MAX_ENGINES);
	r->probe_error = n < 0 ? n : 0;
	r->n_rows = n < 0 ? 0 : (unsigned int)(n > MAX_ENGINES ? MAX_ENGINES : n);
	for (unsigned int i = 0; i < r->n_rows; i++) {
		r->rows[i].status = status[i];
		engine_caps(&r->rows[i]);
	}
	free(status);

	r->auto_error = dmacopy_engine_open(&e, "auto", NULL);
	if (!r->auto_error) {
		snprintf(r->auto_name, sizeof(r->auto_name), "%s", dmacopy_engine_name(e));
		snprintf(r->auto_selection, sizeof(r->auto_selection), "%s",
		         dmacopy_engine_selection(e));
		dmacopy_engine_close(e);
	}

	sysroot_init(&root);
	if (sysinfo_collect(&root, &r->sys))
		return -1;
	r->n_checks = doctor_run(&r->sys, r->checks, DOCTOR_MAX_CHECKS);
	return 0;
}

/* ---- text --------------------------------------------------------------------------------------
 */

static void print_caps(const struct engine_row *row)
{
	char max[32], hw[32];

	printf("  %-20s %s%s: ", "", row->name[0] ? "opens as " : "", row->name);
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (row->caps.flags & cap_names[i].flag)
			printf("%s ", cap_names[i].name);
	printf("| %u channel%s, max transfer %s", row->caps.channels,
	       row->caps.channels == 1 ? "" : "s",
	       format_bytes(row->caps.max_transfer, max, sizeof(max)));
	if (row->caps.hw_max_transfer)
		printf(" (%s per descriptor)",
		       format_bytes(row->caps.hw_max_transfer, hw, sizeof(hw)));
	printf(", align %u, queue depth <= %u\n", row->caps.align, row->caps.max_queue_depth);
}

static void print_engines(const struct info_report *r)
{
	printf("Engines:\n");
	if (r->probe_error)
		printf("  dmacopy_probe() failed: %s\n", dmacopy_strerror(r->probe_error));
	for (unsigned int i = 0; i < r->n_rows; i++) {
		const struct engine_row *row = &r->rows[i];
		const struct dmacopy_engine_status *s = &row->status;

		printf("  %-20s %-12s %s\n", s->spec, s->available ? "available" : "unavailable",
		       s->detail);
		if (!s->available && s->error)
			printf("  %-20s %-12s %s\n", "", "error:", dmacopy_strerror(s->error));
		if (!s->available && s->remedy[0])
			printf("  %-20s %-12s %s\n", "", "to enable:", s->remedy);
		if (row->have_caps)
			print_caps(row);
	}
	if (r->auto_error)
		printf("  auto: no engine can be opened: %s\n", dmacopy_strerror(r->auto_error));
	else
		printf("  auto selects: %s\n", r->auto_name);
}

static void print_cpu(const struct sysinfo *si)
{
	char llc[32];

	printf("\nCPU:\n");
	printf("  %-20s %u\n", "online CPUs", si->online_cpus);
	printf("  %-20s %s\n", "last-level cache",
	       si->llc_bytes ? format_bytes(si->llc_bytes, llc, sizeof(llc)) : "unknown");
	printf("  %-20s %s\n", "features", si->cpu_features);
}

static void print_checks(const struct info_report *r)
{
	printf("\nChecks:\n");
	for (size_t i = 0; i < r->n_checks; i++) {
		const struct check *c = &r->checks[i];

		printf("  %-8s %-20s %s\n", check_state_name(c->state), c->name, c->detail);
		if (c->remedy[0])
			printf("  %-8s %-20s fix: %s\n", "", "", c->remedy);
	}
}

static const char *wq_driver_name(const struct dsa_wq_info *w)
{
	if (!w->has_driver_name)
		return "-"; /* before Linux 6.7 */
	return w->driver_name[0] ? w->driver_name : "(unset)";
}

static const char *wq_note(const struct dsa_wq_info *w)
{
	if (!strcmp(w->type, "user"))
		return DSA_USER_WQ_NOTE;
	if (!strcmp(w->type, "kernel") && dsa_wq_driver_name_blocks_dmaengine(w))
		return "Linux 6.7+ binds a kernel WQ only with driver_name dmaengine";
	return "";
}

static bool wq_unconfigured(const struct dsa_wq_info *w)
{
	return !strcmp(w->type, "none") && !strcmp(w->state, "disabled");
}

static void print_dsa(const struct sysinfo *si)
{
	printf("\nDSA (idxd %s):%s\n", si->idxd_module ? "loaded" : "not loaded",
	       si->n_dsa     ? ""
	       : si->dsa_bus ? " no devices on /sys/bus/dsa"
	                     : " none");
	for (size_t i = 0; i < si->n_dsa; i++) {
		const struct dsa_device_info *d = &si->dsa[i];
		size_t shown = 0, unconfigured = 0;

		printf("  %-12s %-12s %-9s groups %-2d engines %-2d wqs %-3d channels %s\n",
		       d->name, d->bdf[0] ? d->bdf : "?", d->state[0] ? d->state : "?",
		       d->max_groups, d->max_engines, d->max_work_queues,
		       d->n_channels ? d->channels : "none");
		for (size_t k = 0; k < si->n_dsa_wqs; k++) {
			const struct dsa_wq_info *w = &si->dsa_wqs[k];

			if (strcmp(w->device, d->name))
				continue;
			if (wq_unconfigured(w)) {
				unconfigured++;
				continue;
			}
			shown++;
			printf("  %-12s %-9s %-6s %-9s size %-4d group %-2d name %-10s driver_name "
			       "%-10s driver %s%s%s\n",
			       w->name, w->mode, w->type, w->state, w->size, w->group_id,
			       w->wq_name[0] ? w->wq_name : "-", wq_driver_name(w),
			       w->driver[0] ? w->driver : "none", w->node[0] ? "  " : "", w->node);
			if (wq_note(w)[0])
				printf("  %-12s %s\n", "", wq_note(w));
		}
		if (unconfigured)
			printf("  %-12s %zu %sWQ%s not configured (type none, disabled)\n", "",
			       unconfigured, shown ? "more " : "", unconfigured == 1 ? "" : "s");
	}
}

static void print_inventory(const struct sysinfo *si)
{
	char size[32], align[32];

	printf("\nDMA channels (/sys/class/dma):%s\n", si->n_channels ? "" : " none");
	for (size_t i = 0; i < si->n_channels; i++) {
		const struct dma_channel_info *c = &si->channels[i];

		printf("  %-12s device %-14s driver %-12s memcpy %-8s in use %d\n", c->name,
		       c->device[0] ? c->device : "?", c->driver[0] ? c->driver : "?",
		       c->memcpy == TRI_YES ? "yes" : "unknown", c->in_use);
	}
	printf("\nDevice-dax (/sys/bus/dax/devices):%s\n", si->n_dax ? "" : " none");
	for (size_t i = 0; i < si->n_dax; i++) {
		const struct dax_device_info *d = &si->dax[i];

		printf("  %-12s %-10s align %-8s node %-3d driver %-11s %s\n", d->name,
		       format_bytes(d->size, size, sizeof(size)),
		       d->align ? format_size(d->align, align, sizeof(align)) : "?", d->numa_node,
		       d->driver[0] ? d->driver : "none",
		       !d->node_exists ? "no /dev node"
		       : d->accessible ? "read-write"
		                       : "no access");
	}
	printf("\nDMA-capable PCI functions:%s\n", si->n_pci ? "" : " none");
	for (size_t i = 0; i < si->n_pci; i++) {
		const struct pci_dma_function *f = &si->pci[i];

		printf("  %-12s %04x:%04x %-9s driver %-10s iommu group %-4d node %d\n", f->bdf,
		       f->vendor, f->device, f->family, f->driver[0] ? f->driver : "none",
		       f->iommu_group, f->numa_node);
	}
	print_dsa(si);
	printf("\nVFIO (vfio-pci %s):%s\n", si->vfio_pci_module ? "loaded" : "not loaded",
	       si->n_vfio ? "" : " no devices bound");
	for (size_t i = 0; i < si->n_vfio; i++) {
		const struct vfio_device_info *v = &si->vfio[i];

		printf("  %-12s iommu group %-4d /dev/vfio/%d %s\n", v->bdf, v->iommu_group,
		       v->iommu_group,
		       !v->group_node_exists ? "missing"
		       : v->group_accessible ? "read-write"
		                             : "no access");
	}
}

/* ---- JSON --------------------------------------------------------------------------------------
 */

static void json_engine(struct json *j, const struct engine_row *row)
{
	const struct dmacopy_engine_status *s = &row->status;

	json_object_begin(j, NULL);
	json_string(j, "kind", s->kind);
	json_string(j, "spec", s->spec);
	json_bool(j, "available", s->available);
	json_int(j, "error", s->error);
	json_string(j, "error_text", s->error ? dmacopy_strerror(s->error) : NULL);
	json_string(j, "detail", s->detail);
	json_string(j, "remedy", s->remedy[0] ? s->remedy : NULL);
	if (row->have_caps) {
		json_object_begin(j, "caps");
		json_string(j, "name", row->name);
		json_array_begin(j, "flags");
		for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
			if (row->caps.flags & cap_names[i].flag)
				json_string(j, NULL, cap_names[i].name);
		json_array_end(j);
		json_uint(j, "channels", row->caps.channels);
		json_uint(j, "max_transfer", row->caps.max_transfer);
		json_uint(j, "hw_max_transfer", row->caps.hw_max_transfer);
		json_uint(j, "align", row->caps.align);
		json_uint(j, "max_queue_depth", row->caps.max_queue_depth);
		json_object_end(j);
	}
	json_object_end(j);
}

static void json_words(struct json *j, const char *key, const char *text)
{
	char word[64];

	json_array_begin(j, key);
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, " ");

		if (n && n < sizeof(word) && strcmp(text, "none detected")) {
			memcpy(word, p, n);
			word[n] = '\0';
			json_string(j, NULL, word);
		}
		p += n;
		p += strspn(p, " ");
	}
	json_array_end(j);
}

static void json_inventory(struct json *j, const struct sysinfo *si)
{
	char hex[8];

	json_array_begin(j, "dma_channels");
	for (size_t i = 0; i < si->n_channels; i++) {
		const struct dma_channel_info *c = &si->channels[i];

		json_object_begin(j, NULL);
		json_string(j, "name", c->name);
		json_string(j, "device", c->device[0] ? c->device : NULL);
		json_string(j, "driver", c->driver[0] ? c->driver : NULL);
		json_int(j, "in_use", c->in_use);
		if (c->memcpy == TRI_UNKNOWN)
			json_null(j, "memcpy");
		else
			json_bool(j, "memcpy", c->memcpy == TRI_YES);
		json_object_end(j);
	}
	json_array_end(j);

	json_array_begin(j, "dax_devices");
	for (size_t i = 0; i < si->n_dax; i++) {
		const struct dax_device_info *d = &si->dax[i];

		json_object_begin(j, NULL);
		json_string(j, "name", d->name);
		json_string(j, "path", d->node_exists ? d->node : NULL);
		json_string(j, "driver", d->driver[0] ? d->driver : NULL);
		json_uint(j, "size", d->size);
		json_uint(j, "align", d->align);
		json_int(j, "numa_node", d->numa_node);
		json_bool(j, "accessible", d->accessible);
		json_object_end(j);
	}
	json_array_end(j);

	json_array_begin(j, "pci_dma_functions");
	for (size_t i = 0; i < si->n_pci; i++) {
		const struct pci_dma_function *f = &si->pci[i];

		json_object_begin(j, NULL);
		json_string(j, "address", f->bdf);
		snprintf(hex, sizeof(hex), "%04x", f->vendor);
		json_string(j, "vendor", hex);
		snprintf(hex, sizeof(hex), "%04x", f->device);
		json_string(j, "device", hex);
		json_string(j, "family", f->family);
		json_string(j, "driver", f->driver[0] ? f->driver : NULL);
		json_int(j, "iommu_group", f->iommu_group);
		json_int(j, "numa_node", f->numa_node);
		json_object_end(j);
	}
	json_array_end(j);

	json_object_begin(j, "dsa");
	json_bool(j, "idxd_loaded", si->idxd_module);
	json_bool(j, "bus", si->dsa_bus);
	json_array_begin(j, "devices");
	for (size_t i = 0; i < si->n_dsa; i++) {
		const struct dsa_device_info *d = &si->dsa[i];

		json_object_begin(j, NULL);
		json_string(j, "name", d->name);
		json_string(j, "address", d->bdf[0] ? d->bdf : NULL);
		json_string(j, "state", d->state[0] ? d->state : NULL);
		json_string(j, "driver", d->driver[0] ? d->driver : NULL);
		json_int(j, "max_groups", d->max_groups);
		json_int(j, "max_engines", d->max_engines);
		json_int(j, "max_work_queues", d->max_work_queues);
		json_words(j, "channels", d->channels);
		json_array_begin(j, "wqs");
		for (size_t k = 0; k < si->n_dsa_wqs; k++) {
			const struct dsa_wq_info *w = &si->dsa_wqs[k];

			if (strcmp(w->device, d->name))
				continue;
			json_object_begin(j, NULL);
			json_string(j, "name", w->name);
			json_string(j, "mode", w->mode[0] ? w->mode : NULL);
			json_string(j, "type", w->type[0] ? w->type : NULL);
			json_string(j, "state", w->state[0] ? w->state : NULL);
			json_string(j, "wq_name", w->wq_name[0] ? w->wq_name : NULL);
			json_string(j, "driver_name", w->has_driver_name ? w->driver_name : NULL);
			json_string(j, "driver", w->driver[0] ? w->driver : NULL);
			json_int(j, "size", w->size);
			json_int(j, "group_id", w->group_id);
			json_string(j, "node", w->node[0] ? w->node : NULL);
			json_object_end(j);
		}
		json_array_end(j);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);

	json_object_begin(j, "iommu");
	json_array_begin(j, "units");
	for (size_t i = 0; i < si->n_iommu_units; i++)
		json_string(j, NULL, si->iommu_units[i]);
	json_array_end(j);
	json_uint(j, "groups", si->iommu_groups);
	json_object_end(j);

	json_object_begin(j, "vfio");
	json_bool(j, "vfio_pci_loaded", si->vfio_pci_module);
	json_bool(j, "container", si->vfio_container);
	json_array_begin(j, "devices");
	for (size_t i = 0; i < si->n_vfio; i++) {
		const struct vfio_device_info *v = &si->vfio[i];

		json_object_begin(j, NULL);
		json_string(j, "address", v->bdf);
		json_int(j, "iommu_group", v->iommu_group);
		json_bool(j, "group_node", v->group_node_exists);
		json_bool(j, "accessible", v->group_accessible);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}

static void print_json(const struct info_report *r)
{
	const struct sysinfo *si = &r->sys;
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_string(&j, "version", dmacopy_version());

	json_array_begin(&j, "engines");
	for (unsigned int i = 0; i < r->n_rows; i++)
		json_engine(&j, &r->rows[i]);
	json_array_end(&j);
	json_object_begin(&j, "auto");
	json_string(&j, "engine", r->auto_error ? NULL : r->auto_name);
	json_string(&j, "selection", r->auto_error ? NULL : r->auto_selection);
	json_string(&j, "error", r->auto_error ? dmacopy_strerror(r->auto_error) : NULL);
	json_object_end(&j);

	json_object_begin(&j, "cpu");
	json_uint(&j, "online_cpus", si->online_cpus);
	json_uint(&j, "llc_bytes", si->llc_bytes);
	json_words(&j, "features", si->cpu_features);
	json_object_end(&j);

	json_array_begin(&j, "checks");
	for (size_t i = 0; i < r->n_checks; i++) {
		json_object_begin(&j, NULL);
		json_string(&j, "name", r->checks[i].name);
		json_string(&j, "state", check_state_name(r->checks[i].state));
		json_string(&j, "detail", r->checks[i].detail);
		json_string(&j, "remedy", r->checks[i].remedy[0] ? r->checks[i].remedy : NULL);
		json_object_end(&j);
	}
	json_array_end(&j);

	json_inventory(&j, si);
	json_object_end(&j);
	json_finish(&j);
}

int cmd_info(int argc, char **argv)
{
	static const struct option options[] = {
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct info_report *r;
	bool json = false;
	int opt;

	while ((opt = getopt_long(argc, argv, ":jh", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(info_usage, stdout);
			return CLI_EXIT_OK;
		default:
			return cli_option_error("info", opt, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("info", "unexpected argument '%s'; info takes no arguments",
		                       argv[optind]);

	r = calloc(1, sizeof(*r));
	if (!r || gather(r)) {
		free(r);
		return cli_error("info", "out of memory");
	}
	if (json) {
		print_json(r);
	} else {
		printf("dmacopy %s\n\n", dmacopy_version());
		print_engines(r);
		print_cpu(&r->sys);
		print_checks(r);
		print_inventory(&r->sys);
	}
	sysinfo_free(&r->sys);
	free(r);
	return CLI_EXIT_OK;
}

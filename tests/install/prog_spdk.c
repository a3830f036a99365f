/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An SPDK-style program built only from an installed libdmacopy-spdk (pkg-config
 * libdmacopy-spdk): SPDK's include paths, environment start-up, a probe (which attaches whatever
 * I/OAT functions are bound to vfio-pci: none on a machine without them) and PCI address helpers.
 */
#include <spdk/env.h>
#include <spdk/ioat.h>

static unsigned int offered, attached;

static bool probe_cb(void *ctx, struct spdk_pci_device *dev)
{
	(void)ctx;
	(void)dev;
	offered++;
	return false; /* look, do not take: this program must not disturb a real channel */
}

static void attach_cb(void *ctx, struct spdk_pci_device *dev, struct spdk_ioat_chan *chan)
{
	(void)ctx;
	(void)dev;
	(void)chan;
	attached++;
}

int main(void)
{
	struct spdk_env_opts opts;
	struct spdk_pci_addr addr;
	char bdf[32];

	spdk_env_opts_init(&opts);
	opts.name = "prog_spdk";
	if (spdk_env_init(&opts) < 0) {
		fprintf(stderr, "prog_spdk: spdk_env_init failed\n");
		return 1;
	}
	if (spdk_ioat_probe(NULL, probe_cb, attach_cb) != 0) {
		fprintf(stderr, "prog_spdk: spdk_ioat_probe failed\n");
		return 1;
	}
	if (attached != 0) {
		fprintf(stderr, "prog_spdk: attached %u channels that probe_cb declined\n", attached);
		return 1;
	}
	if (spdk_pci_addr_parse(&addr, "0000:00:04.1") != 0 ||
	    spdk_pci_addr_fmt(bdf, sizeof(bdf), &addr) != 0 || strcmp(bdf, "0000:00:04.1") != 0) {
		fprintf(stderr, "prog_spdk: PCI address round trip failed\n");
		return 1;
	}
	printf("spdk: %u I/OAT functions offered, %u cores, address %s\n", offered,
	       spdk_env_get_core_count(), bdf);
	spdk_env_fini();
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the machine offers for DMA copies, read from sysfs and /dev: dmaengine channels,
 * device-dax devices, DMA-capable PCI functions, Intel DSA devices and work queues, IOMMU and
 * VFIO state, CPU caches and features.
 *
 * The sysfs and /dev roots default to /sys and /dev; the DMACOPY_SYSFS_ROOT and DMACOPY_DEV_ROOT
 * environment variables replace them so that tests can describe a machine in a directory tree.
 */
#ifndef DMACOPY_SYSINFO_H
#define DMACOPY_SYSINFO_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sysroot {
	char sys[PATH_MAX / 2];
	char dev[PATH_MAX / 2];
};

/* Roots from the environment (see above). */
void sysroot_init(struct sysroot *root);

/* Path under the sysfs / dev root: root + "/" + relative path. Returns buf. */
const char *sys_path(const struct sysroot *root, char *buf, size_t len, const char *rel);
const char *dev_path(const struct sysroot *root, char *buf, size_t len, const char *rel);

/* The first line of a sysfs file without its newline. Returns 0 or -errno. */
int sysfs_read_str(const char *path, char *buf, size_t len);
/* A number in a sysfs file (base 0: "0x" prefix means hexadecimal). Returns 0 or -errno. */
int sysfs_read_u64(const char *path, uint64_t *value);
/* The last component of a symlink's target (e.g. a driver's name). Returns 0 or -errno. */
int sysfs_link_name(const char *path, char *buf, size_t len);
bool path_exists(const char *path);

/*
 * snprintf() for sysfs paths and names: an over-long result is truncated, and a truncated path
 * then simply fails to open. Returns buf.
 */
__attribute__((format(printf, 3, 4))) char *strfmt(char *buf, size_t len, const char *fmt, ...);

/* ---- dmaengine channels (/sys/class/dma) ---------------------------------------------------- */

enum tristate {
	TRI_UNKNOWN = -1,
	TRI_NO = 0,
	TRI_YES = 1,
};

struct dma_channel_info {
	char name[32];        /* dma0chan0 */
	char device[64];      /* the providing device, e.g. 0000:00:04.0 */
	char driver[32];      /* its driver, e.g. ioatdma ("" if unknown) */
	int in_use;           /* clients holding the channel, -1 if unknown */
	enum tristate memcpy; /* DMA_MEMCPY capability as far as the driver tells */
};

/* ---- device-dax (/sys/bus/dax/devices) ------------------------------------------------------ */

struct dax_device_info {
	char name[32];           /* dax0.0 */
	char node[PATH_MAX / 2]; /* /dev/dax0.0 */
	char driver[32];         /* device_dax (character device) or kmem (system RAM) */
	uint64_t size;
	uint64_t align; /* mapping granularity; 0 if unknown */
	int numa_node;  /* -1 if unknown */
	bool node_exists;
	bool accessible; /* this user can open the node read-write */
};

/*
 * Facts about the device-dax character device rdev (from /sys/dev/char/MAJ:MIN). Returns 0,
 * -ENODEV if rdev is not a device-dax device, or -errno.
 */
int dax_lookup_devt(const struct sysroot *root, dev_t rdev, struct dax_device_info *info);

/* ---- PCI functions that move memory -----------------------------------------------------------
 */

struct pci_dma_function {
	char bdf[16]; /* 0000:00:04.0 */
	unsigned int vendor, device;
	const char *family; /* "I/OAT", "DSA", "AMD PTDMA" */
	char driver[32];    /* "" when no driver is bound */
	int iommu_group;    /* -1 without IOMMU group */
	int numa_node;      /* -1 if unknown */
};

/* ---- Intel DSA through idxd (/sys/bus/dsa) ----------------------------------------------------
 *
 * idxd puts each DSA device (dsaN, a child of its PCI function), its work queues (wqN.M), engines
 * and groups on the dsa bus. An enabled WQ of type kernel bound to idxd's "dmaengine" sub-driver
 * registers one dmaengine channel; that channel's device is the PCI function, not the WQ, so
 * channels are matched to a DSA device, not to one of its WQs. IAA devices (iaxN) share the bus
 * and the numbering but do not copy memory: they and their WQs are not collected.
 */

struct dsa_wq_info {
	char name[16];        /* wq0.0 */
	char device[16];      /* dsa0 */
	char mode[16];        /* dedicated, shared */
	char type[16];        /* kernel, user, none */
	char state[16];       /* enabled, disabled */
	char wq_name[64];     /* its name attribute (accel-config --name) */
	char driver_name[32]; /* sub-driver it may bind to (Linux 6.7+; "" when unset) */
	bool has_driver_name; /* the driver_name attribute exists */
	char driver[32];      /* the sub-driver it is bound to (dmaengine, user), "" if none */
	int size;             /* -1 if unknown */
	int group_id;         /* -1 without group */
	char node[48];        /* /dev/dsa/wqN.M of a user WQ when it exists, else "" */
};

struct dsa_device_info {
	char name[16];   /* dsa0 */
	unsigned int id; /* N of dsaN (and of its wqN.M, engineN.M) */
	char bdf[16];    /* its PCI function, "" if unknown */
	char state[16];  /* enabled, disabled, halted */
	char driver[32]; /* idxd when configured through idxd */
	int max_groups;  /* -1 if unknown, as the next two */
	int max_engines;
	int max_work_queues;
	unsigned int n_channels; /* dmaengine channels of its PCI function (/sys/class/dma) */
	char channels[256];      /* their names, space-separated */
};

/*
 * A WQ that Linux 6.7+ does not hand to idxd's dmaengine sub-driver: its driver_name attribute
 * exists and does not name dmaengine (idxd compares the start of it). Kernels without the
 * attribute (6.1) bind every kernel WQ.
 */
bool dsa_wq_driver_name_blocks_dmaengine(const struct dsa_wq_info *w);

/* ---- IOMMU and VFIO ---------------------------------------------------------------------------
 */

struct vfio_device_info {
	char bdf[16];
	int iommu_group;
	bool group_node_exists; /* /dev/vfio/GROUP */
	bool group_accessible;
};

/* ---- the whole picture ------------------------------------------------------------------------
 */

struct sysinfo {
	unsigned int online_cpus;
	uint64_t llc_bytes; /* last-level cache, 0 if unknown */
	char cpu_features[256];

	bool dmacopy_module; /* /sys/module/dmacopy */
	bool dmacopy_node;   /* /dev/dmacopy exists */
	bool dmacopy_node_chr;
	bool dmacopy_node_accessible;
	bool ioat_dma_node; /* /dev/ioat-dma (reference ABI) */

	struct dma_channel_info *channels;
	size_t n_channels;
	struct dax_device_info *dax;
	size_t n_dax;
	struct pci_dma_function *pci;
	size_t n_pci;

	bool idxd_module; /* /sys/module/idxd */
	bool dsa_bus;     /* /sys/bus/dsa */
	struct dsa_device_info *dsa;
	size_t n_dsa;
	struct dsa_wq_info *dsa_wqs; /* in natural order: a device's WQs are adjacent */
	size_t n_dsa_wqs;

	char (*iommu_units)[32]; /* /sys/class/iommu entries */
	size_t n_iommu_units;
	unsigned int iommu_groups; /* /sys/kernel/iommu_groups entries */

	bool vfio_pci_module; /* /sys/module/vfio_pci */
	bool vfio_container;  /* /dev/vfio/vfio */
	struct vfio_device_info *vfio;
	size_t n_vfio;
};

/* Collect everything; missing directories simply give empty lists. Returns 0 or -ENOMEM. */
int sysinfo_collect(const struct sysroot *root, struct sysinfo *info);
void sysinfo_free(struct sysinfo *info);

/* Last-level cache size of CPU 0 from sysfs (falls back to sysconf), 0 if unknown. */
uint64_t sysinfo_llc_bytes(const struct sysroot *root);

/* Space-separated CPU features relevant to copying ("sse2 avx2 avx512f erms fsrm ..."). */
void sysinfo_cpu_features(char *buf, size_t len);

/* The CPU's model name from /proc/cpuinfo ("AMD EPYC 7B13"), or "unknown". */
void sysinfo_cpu_model(char *buf, size_t len);

#endif /* DMACOPY_SYSINFO_H */

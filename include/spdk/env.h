/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dmacopy's implementation of the part of SPDK's environment API ("spdk/env.h") that I/OAT
 * programs use: environment start-up, DMA-able memory (registration, address translation,
 * allocation), PCI device handles and time helpers. Signatures follow SPDK v23.01; what is
 * honoured, ignored or different is listed in docs/spdk-compat.md.
 *
 * "Physical" addresses here are the I/O virtual addresses (IOVAs) the I/OAT devices use through
 * the IOMMU (VFIO), as in SPDK's IOVA-as-VA mode: they are only meaningful to the DMA engines.
 *
 * Link with build/lib/libdmacopy-spdk.a and build/lib/libdmacopy.a (and -pthread).
 */
#ifndef SPDK_ENV_H
#define SPDK_ENV_H

#include "spdk/stdinc.h"
#include "spdk/queue.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SPDK_ENV_SOCKET_ID_ANY (-1)
#define SPDK_ENV_NUMA_ID_ANY   SPDK_ENV_SOCKET_ID_ANY
#define SPDK_ENV_LCORE_ID_ANY  (UINT32_MAX)

/** spdk_malloc() flags: memory a DMA engine can reach. */
#define SPDK_MALLOC_DMA 0x01
/** spdk_malloc() flags: memory shared between processes (accepted; not shared, see the docs). */
#define SPDK_MALLOC_SHARE 0x02

struct spdk_pci_addr {
	uint32_t domain;
	uint8_t bus;
	uint8_t dev;
	uint8_t func;
};

struct spdk_pci_id {
	uint32_t class_id;
	uint16_t vendor_id;
	uint16_t device_id;
	uint16_t subvendor_id;
	uint16_t subdevice_id;
};

/** Opaque handle of a PCI function, valid from enumeration until spdk_env_fini(). */
struct spdk_pci_device;

/* ------------------------------------------------------------------------------------------------
 * Environment
 */

/**
 * Environment options. dmacopy honours name, core_mask (or lcore_map), main_core, no_pci,
 * pci_allowed/pci_blocked with num_pci_addr; every other field is accepted and ignored (there is
 * no DPDK underneath: no hugepage pool, no shared memory, no EAL).
 */
struct spdk_env_opts {
	const char *name;
	const char *core_mask; /* "0x3" hexadecimal mask or "[0,2-3]" list; cores 0..63 */
	const char *lcore_map; /* used instead of core_mask when set (same syntax) */
	int shm_id;
	int mem_channel;
	union {
		int main_core;
		int master_core; /* the name before SPDK 21.01 */
	};
	int mem_size;
	bool no_pci;
	bool hugepage_single_segments;
	bool unlink_hugepage;
	bool no_huge;
	size_t num_pci_addr;
	const char *hugedir;
	union {
		struct spdk_pci_addr *pci_blocked;
		struct spdk_pci_addr *pci_blacklist; /* the name before SPDK 21.01 */
	};
	union {
		struct spdk_pci_addr *pci_allowed;
		struct spdk_pci_addr *pci_whitelist; /* the name before SPDK 21.01 */
	};
	const char *iova_mode;
	uint64_t base_virtaddr;
	/** Opaque context for use of the env implementation. */
	void *env_context;
	const char *vf_token;
	size_t opts_size;
	bool enforce_numa;
};

/** Set *opts to the defaults (name "spdk", core_mask "0x1", main_core -1, ...). */
void spdk_env_opts_init(struct spdk_env_opts *opts);

/**
 * Initialise the environment. Returns 0 or a negative errno: -EINVAL for NULL opts before the
 * first initialisation, a malformed core mask, or any opts after it (as SPDK). After a first
 * initialisation, spdk_env_init(NULL) re-initialises (rescans PCI on the next probe) and
 * returns 0.
 */
int spdk_env_init(const struct spdk_env_opts *opts);

/** Release the environment. Channels and memory still in use stay valid. */
void spdk_env_fini(void);

/** Cores of the core mask; the current core is the main core on the spdk_env_init() thread. */
uint32_t spdk_env_get_core_count(void);
uint32_t spdk_env_get_current_core(void);
uint32_t spdk_env_get_first_core(void);
uint32_t spdk_env_get_last_core(void);
uint32_t spdk_env_get_next_core(uint32_t prev_core);
uint32_t spdk_env_get_main_core(void);

#define SPDK_ENV_FOREACH_CORE(i)                                                                   \
	for ((i) = spdk_env_get_first_core(); (i) < UINT32_MAX; (i) = spdk_env_get_next_core(i))

/** A monotonic counter and its rate (nanoseconds: 10^9 ticks per second). */
uint64_t spdk_get_ticks(void);
uint64_t spdk_get_ticks_hz(void);

/** Busy-wait us microseconds. */
void spdk_delay_us(unsigned int us);

/** A CPU pause hint for polling loops. */
void spdk_pause(void);

/** true when the kernel has an IOMMU enabled (dmacopy's I/OAT driver needs one). */
bool spdk_iommu_is_enabled(void);

/* ------------------------------------------------------------------------------------------------
 * DMA-able memory
 *
 * Every allocation below is its own mapping: a 2 MiB-rounded hugepage (MAP_HUGETLB, 2 MiB pages)
 * or, when none are free, anonymous memory, mapped for every I/OAT channel of the process. There
 * is no pool: allocate large buffers, not many small ones. Thread-safe.
 */

/**
 * Allocate size bytes aligned to align (0 or a power of two), zeroed. flags must not be 0.
 * phys_addr, when not NULL, receives the IOVA of the buffer. Returns NULL on failure.
 */
void *spdk_malloc(size_t size, size_t align, uint64_t *phys_addr, int socket_id, uint32_t flags);
void *spdk_zmalloc(size_t size, size_t align, uint64_t *phys_addr, int socket_id, uint32_t flags);
void *spdk_realloc(void *buf, size_t size, size_t align);
/** Free memory from spdk_malloc()/spdk_zmalloc()/spdk_realloc(). NULL is a no-op. */
void spdk_free(void *buf);

void *spdk_dma_malloc(size_t size, size_t align, uint64_t *phys_addr);
void *spdk_dma_malloc_socket(size_t size, size_t align, uint64_t *phys_addr, int socket_id);
void *spdk_dma_zmalloc(size_t size, size_t align, uint64_t *phys_addr);
void *spdk_dma_zmalloc_socket(size_t size, size_t align, uint64_t *phys_addr, int socket_id);
void *spdk_dma_realloc(void *buf, size_t size, size_t align, uint64_t *phys_addr);
/** Free memory from spdk_dma_*malloc*(). NULL is a no-op. */
void spdk_dma_free(void *buf);

/**
 * Make [vaddr, vaddr + len) reachable by the I/OAT channels (pins it and maps it in the IOMMU).
 * vaddr and len must be multiples of 2 MiB (-EINVAL); len 0 does nothing. -EBUSY when any part is
 * already registered (or allocated by this library); other negative errnos from VFIO (e.g.
 * -ENOMEM, -EFAULT for memory that cannot be pinned).
 */
int spdk_mem_register(void *vaddr, size_t len);

/**
 * Undo spdk_mem_register() of one or more whole registrations lying in [vaddr, vaddr + len).
 * -EINVAL misaligned or some page not registered, -ERANGE when the range would cut a
 * registration. No DMA may be in flight to the range.
 */
int spdk_mem_unregister(void *vaddr, size_t len);

#define SPDK_VTOPHYS_ERROR (0xFFFFFFFFFFFFFFFFULL)

/**
 * The IOVA of buf, or SPDK_VTOPHYS_ERROR when buf is not registered or allocated here. When size
 * is not NULL, *size is lowered to the number of bytes from buf that the translation covers.
 */
uint64_t spdk_vtophys(const void *buf, uint64_t *size);

/* ------------------------------------------------------------------------------------------------
 * PCI
 */

struct spdk_pci_addr spdk_pci_device_get_addr(struct spdk_pci_device *dev);
uint16_t spdk_pci_device_get_vendor_id(struct spdk_pci_device *dev);
uint16_t spdk_pci_device_get_device_id(struct spdk_pci_device *dev);
uint16_t spdk_pci_device_get_subvendor_id(struct spdk_pci_device *dev);
uint16_t spdk_pci_device_get_subdevice_id(struct spdk_pci_device *dev);
struct spdk_pci_id spdk_pci_device_get_id(struct spdk_pci_device *dev);
/** The NUMA node of the device, or -1 when the machine does not say. */
int spdk_pci_device_get_socket_id(struct spdk_pci_device *dev);
int32_t spdk_pci_device_get_numa_id(struct spdk_pci_device *dev);
/** "pci". */
const char *spdk_pci_device_get_type(const struct spdk_pci_device *dev);

/** 0 if equal, < 0 if a1 < a2, > 0 if a1 > a2. */
int spdk_pci_addr_compare(const struct spdk_pci_addr *a1, const struct spdk_pci_addr *a2);

/**
 * Parse "dddd:bb:dd.f", "dddd.bb.dd.f", "bb:dd.f", "dddd:bb:dd", "bb:dd" (hexadecimal).
 * Returns 0 or -EINVAL.
 */
int spdk_pci_addr_parse(struct spdk_pci_addr *addr, const char *bdf);

/** Format as "dddd:bb:dd.f" into bdf (sz >= 14). Returns 0, or -1 when sz is too small. */
int spdk_pci_addr_fmt(char *bdf, size_t sz, const struct spdk_pci_addr *addr);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_ENV_H */

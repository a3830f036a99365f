/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DMA for dmacopy's device models (ioat, dsa, pcie-testdev): memory only.
 *
 * A real root complex routes a device's memory requests to DRAM (and to
 * other devices' BARs for peer-to-peer); it never turns them into
 * configuration cycles, and a device never reaches its own registers through
 * the fabric. In QEMU a DMA address may resolve to any MemoryRegion: the ECAM
 * window (a write there reconfigures or hot-unplugs devices, synchronously,
 * inside the model's own DMA call), the model's own BARs (re-entering its
 * MMIO handlers in the middle of a transfer), another device's registers,
 * the MSI window. These helpers accept guest RAM only (NVDIMM and other
 * file-backed RAM included) and fail anything else as a decode error, which
 * the models report like an unmapped address (a page fault on DSA, a
 * read/write data error on I/OAT, a DMA error on the test device). The
 * owner is referenced across each access.
 */
#ifndef HW_DMA_DMACOPY_DMA_H
#define HW_DMA_DMACOPY_DMA_H

#include "exec/memory.h"
#include "hw/pci/pci.h"
#include "sysemu/dma.h"

/*
 * Translations a model keeps for one pass of its work, all of it under the
 * BQL: the guest changes the vIOMMU's mappings (its invalidations are
 * register writes, handled under the BQL) and the memory map only between two
 * passes, so within one a translation may be reused, as a device's own
 * translation cache would between two invalidations. Reset before and after
 * each pass (dmacopy_dma_cache_reset()); a zeroed cache is empty.
 */
#define DMACOPY_DMA_CACHE_ENTRIES 8

typedef struct DmacopyDmaCache {
    struct {
        AddressSpace *as;
        MemoryRegion *mr;
        uint8_t *host;
        dma_addr_t addr, len; /* len 0: unused */
        bool is_write;
    } e[DMACOPY_DMA_CACHE_ENTRIES];
    unsigned next; /* the entry the next translation replaces */
} DmacopyDmaCache;

static inline void dmacopy_dma_cache_reset(DmacopyDmaCache *c)
{
    memset(c, 0, sizeof(*c));
}

/* How many bytes from @addr on are guest RAM through @as (0 if it is not). */
dma_addr_t dmacopy_dma_ram_len(AddressSpace *as, dma_addr_t addr,
                               dma_addr_t len, bool is_write);

/*
 * A host pointer to up to *len bytes of guest RAM at addr (*len cut to what is
 * contiguous), for a direct access released with address_space_unmap(as, p,
 * *len, is_write, bytes written); NULL when addr is not guest RAM (nothing is
 * read or mapped then).
 */
void *dmacopy_dma_map(AddressSpace *as, dma_addr_t addr, dma_addr_t *len,
                      bool is_write);

/* dmacopy_dma_map() through cache (NULL: none), under the BQL. */
void *dmacopy_dma_map_cached(DmacopyDmaCache *cache, AddressSpace *as,
                             dma_addr_t addr, dma_addr_t *len, bool is_write);

/* dma_memory_rw() for guest RAM only: MEMTX_DECODE_ERROR for anything else. */
MemTxResult dmacopy_dma_rw(Object *owner, AddressSpace *as, dma_addr_t addr,
                           void *buf, dma_addr_t len, DMADirection dir);

/* dmacopy_dma_rw() through cache (NULL: none), under the BQL. */
MemTxResult dmacopy_dma_rw_cached(DmacopyDmaCache *cache, Object *owner,
                                  AddressSpace *as, dma_addr_t addr, void *buf,
                                  dma_addr_t len, DMADirection dir);

static inline MemTxResult dmacopy_pci_dma_read(PCIDevice *pdev,
                                               dma_addr_t addr, void *buf,
                                               dma_addr_t len)
{
    return dmacopy_dma_rw(OBJECT(pdev), pci_get_address_space(pdev), addr,
                          buf, len, DMA_DIRECTION_TO_DEVICE);
}

static inline MemTxResult dmacopy_pci_dma_write(PCIDevice *pdev,
                                                dma_addr_t addr,
                                                const void *buf,
                                                dma_addr_t len)
{
    return dmacopy_dma_rw(OBJECT(pdev), pci_get_address_space(pdev), addr,
                          (void *)buf, len, DMA_DIRECTION_FROM_DEVICE);
}

#endif /* HW_DMA_DMACOPY_DMA_H */

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DMA for dmacopy's device models: guest RAM only (see dmacopy-dma.h).
 *
 * Each piece is translated once (through the vIOMMU when there is one) and
 * accessed through its host pointer; writes are then reported as
 * address_space_unmap() does for a direct mapping (dirty tracking, translated
 * code invalidated), which is why the region is referenced first.
 */
#include "qemu/osdep.h"
#include "qemu/rcu.h"
#include "dmacopy-dma.h"

/*
 * The host address of up to *len bytes at addr in as, when they are guest RAM
 * the access may use directly (RCU read lock held); *len is cut to what is
 * contiguous. NULL for anything else.
 */
static uint8_t *ram_piece(AddressSpace *as, dma_addr_t addr, dma_addr_t *len,
                          bool is_write, MemoryRegion **mrp)
{
    hwaddr xlat, plen = *len;
    MemoryRegion *mr;

    mr = address_space_translate(as, addr, &xlat, &plen, is_write,
                                 MEMTXATTRS_UNSPECIFIED);
    if (!plen || !memory_region_is_ram(mr) || memory_region_is_ram_device(mr) ||
        (is_write && !memory_access_is_direct(mr, true))) {
        return NULL;
    }
    *len = plen;
    *mrp = mr;
    return (uint8_t *)memory_region_get_ram_ptr(mr) + xlat;
}

dma_addr_t dmacopy_dma_ram_len(AddressSpace *as, dma_addr_t addr,
                               dma_addr_t len, bool is_write)
{
    dma_addr_t done = 0;

    WITH_RCU_READ_LOCK_GUARD() {
        while (done < len) {
            dma_addr_t n = len - done;
            MemoryRegion *mr;

            if (!ram_piece(as, addr + done, &n, is_write, &mr)) {
                break;
            }
            done += n;
        }
    }
    return done;
}

void *dmacopy_dma_map_cached(DmacopyDmaCache *c, AddressSpace *as,
                             dma_addr_t addr, dma_addr_t *len, bool is_write)
{
    dma_addr_t n;
    MemoryRegion *mr;
    uint8_t *p;
    unsigned i;

    if (c) {
        for (i = 0; i < DMACOPY_DMA_CACHE_ENTRIES; i++) {
            dma_addr_t off = addr - c->e[i].addr;

            if (off < c->e[i].len && c->e[i].as == as &&
                c->e[i].is_write == is_write) {
                *len = MIN(*len, c->e[i].len - off);
                memory_region_ref(c->e[i].mr); /* as below */
                return c->e[i].host + off;
            }
        }
    }
    /* With a cache, the rest of the 4 KiB page: the next access goes there */
    n = c ? MAX(*len, 4096 - (addr & 4095)) : *len;
    RCU_READ_LOCK_GUARD();
    p = ram_piece(as, addr, &n, is_write, &mr);
    if (!p) {
        return NULL;
    }
    memory_region_ref(mr); /* dropped by address_space_unmap() */
    if (c) {
        i = c->next++ % DMACOPY_DMA_CACHE_ENTRIES;
        c->e[i].as = as;
        c->e[i].mr = mr;
        c->e[i].host = p;
        c->e[i].addr = addr;
        c->e[i].len = n;
        c->e[i].is_write = is_write;
    }
    *len = MIN(*len, n);
    return p;
}

void *dmacopy_dma_map(AddressSpace *as, dma_addr_t addr, dma_addr_t *len,
                      bool is_write)
{
    return dmacopy_dma_map_cached(NULL, as, addr, len, is_write);
}

MemTxResult dmacopy_dma_rw(Object *owner, AddressSpace *as, dma_addr_t addr,
                           void *buf, dma_addr_t len, DMADirection dir)
{
    return dmacopy_dma_rw_cached(NULL, owner, as, addr, buf, len, dir);
}

MemTxResult dmacopy_dma_rw_cached(DmacopyDmaCache *c, Object *owner,
                                  AddressSpace *as, dma_addr_t addr, void *buf,
                                  dma_addr_t len, DMADirection dir)
{
    bool is_write = dir == DMA_DIRECTION_FROM_DEVICE;
    MemTxResult r = MEMTX_OK;
    uint8_t *b = buf;

    object_ref(owner);
    dma_barrier(as, dir);
    while (len) {
        dma_addr_t n = len;
        uint8_t *p = dmacopy_dma_map_cached(c, as, addr, &n, is_write);

        if (!p) {
            r = MEMTX_DECODE_ERROR;
            break;
        }
        if (is_write) {
            memcpy(p, b, n);
        } else {
            memcpy(b, p, n);
        }
        address_space_unmap(as, p, n, is_write, is_write ? n : 0);
        addr += n;
        b += n;
        len -= n;
    }
    object_unref(owner);
    return r;
}

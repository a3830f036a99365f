/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DMA for dmacopy's device models: guest RAM only (see dmacopy-dma.h).
 */
#include "qemu/osdep.h"
#include "qemu/rcu.h"
#include "dmacopy-dma.h"

/* Guest RAM, not a device's memory exposed as RAM (a passed-through BAR). */
static bool region_is_memory(MemoryRegion *mr)
{
    return memory_region_is_ram(mr) && !memory_region_is_ram_device(mr);
}

dma_addr_t dmacopy_dma_ram_len(AddressSpace *as, dma_addr_t addr, dma_addr_t len,
                               bool is_write)
{
    dma_addr_t done = 0;

    WITH_RCU_READ_LOCK_GUARD() {
        while (done < len) {
            hwaddr xlat, plen = len - done;
            MemoryRegion *mr;

            mr = address_space_translate(as, addr + done, &xlat, &plen, is_write,
                                         MEMTXATTRS_UNSPECIFIED);
            if (!region_is_memory(mr) || !plen) {
                break;
            }
            done += plen;
        }
    }
    return done;
}

MemTxResult dmacopy_dma_rw(Object *owner, AddressSpace *as, dma_addr_t addr, void *buf,
                           dma_addr_t len, DMADirection dir)
{
    bool is_write = dir == DMA_DIRECTION_FROM_DEVICE;
    MemTxResult r = MEMTX_OK;
    uint8_t *p = buf;

    object_ref(owner);
    while (len) {
        /* Checked piece by piece, right before each is accessed. */
        dma_addr_t n = dmacopy_dma_ram_len(as, addr, len, is_write);

        if (!n) {
            r = MEMTX_DECODE_ERROR;
            break;
        }
        r = dma_memory_rw(as, addr, p, n, dir, MEMTXATTRS_UNSPECIFIED);
        if (r != MEMTX_OK) {
            break;
        }
        addr += n;
        p += n;
        len -= n;
    }
    object_unref(owner);
    return r;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dmacopy: an emulated Intel Data Streaming Accelerator (DSA 1.0, the
 * Sapphire Rapids part, PCI 8086:0b25), close enough to the hardware that
 * Linux's idxd driver configures it and runs dmaengine copies on a dedicated
 * kernel work queue, and that a user-space driver can own it over VFIO.
 *
 *   -device dsa[,groups=4][,engines=4][,wqs=8][,wq-size=128]
 *              [,max-xfer-log2=31][,max-batch-log2=10]
 *              [,fail-nth=N][,fail-every=N][,fail-op=read|write]
 *
 * Register, table, descriptor and completion-record layout:
 * include/dmacopy/dsa_spec.h.
 *
 * BAR0 holds the registers, GRPCFG/WQCFG/MSI-X permission tables and the
 * MSI-X table (vector 0 for device events, one per WQ). BAR2 holds four
 * portal pages per WQ. A descriptor is taken only from a 64-byte direct
 * store (MOVDIR64B: MemTxAttrs.direct_store64, which the project's TCG patch
 * sets); any other portal write is dropped and counted. Only dedicated WQs
 * exist here (no ENQCMD, no PASID): a descriptor sent to a full or disabled
 * WQ is dropped, as hardware does.
 *
 * Work runs in the vCPU's portal write up to inline-bytes, then in a bottom
 * half in slices of at most slice-bytes, pausing after half a millisecond of
 * back-to-back slices so vCPUs get the big lock. Data moves through the PCI
 * DMA helpers (bus mastering and a vIOMMU apply); a failed access completes
 * the descriptor with a page-fault status and the faulting address, and a
 * descriptor the device cannot report in a completion record goes to SWERR.
 * Guest mistakes are logged (-d guest_errors) and never stop QEMU.
 *
 * Counters: qom-get <device path> stats (also stat-descriptors, stat-bytes,
 * stat-errors, stat-injected, stat-interrupts, stat-dropped).
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qemu/main-loop.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "exec/cpu-common.h"
#include "hw/pci/pci.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "sysemu/dma.h"
#include "dmacopy-dma.h"
#include "sysemu/runstate.h"
#include "qemu/timer.h"
#include "qom/object.h"

#include "dmacopy/dsa_spec.h"

#define TYPE_DSA "dsa"
OBJECT_DECLARE_SIMPLE_TYPE(DSAState, DSA)

#define DSA_MODEL_WQS           16      /* the model's limits (tables at fixed offsets) */
#define DSA_MODEL_GROUPS                16
#define DSA_MODEL_ENGINES               16
#define DSA_MODEL_WQ_SLOTS      1024
#define DSA_MODEL_VECTORS               (1 + DSA_MODEL_WQS)
#define DSA_REGS_SIZE           DSA_MSIX_TABLE_OFFSET   /* registers and tables */
#define DSA_BOUNCE_SIZE         (64 * KiB)
#define DSA_PAGE_SIZE           4096    /* IOMMU granule, for finding a fault */
#define DSA_BUSY_NS             (500 * SCALE_US)
#define DSA_YIELD_NS            (50 * SCALE_US)

/* Descriptor flags this device accepts; others give DSA_COMP_INVALID_FLAGS. */
#define DSA_FLAGS_OK    (DSA_FLAG_FENCE | DSA_FLAG_CRAV | DSA_FLAG_RCR | \
                         DSA_FLAG_RCI | DSA_FLAG_CHECK_RESULT |          \
                         DSA_FLAG_CACHE_CONTROL | DSA_FLAG_ADDR1_TC |    \
                         DSA_FLAG_ADDR2_TC | DSA_FLAG_ADDR3_TC |         \
                         DSA_FLAG_CR_TC | DSA_FLAG_STRICT_ORDER)

QEMU_BUILD_BUG_ON(DSA_EMU_WQCFG_OFFSET + DSA_MODEL_WQS * 32 > DSA_EMU_MSIX_PERM_OFFSET);
QEMU_BUILD_BUG_ON(DSA_EMU_GRPCFG_OFFSET + DSA_MODEL_GROUPS * DSA_GRPCFG_SIZE >
                  DSA_EMU_WQCFG_OFFSET);
QEMU_BUILD_BUG_ON(DSA_EMU_MSIX_PERM_OFFSET + DSA_MODEL_VECTORS * DSA_MSIX_PERM_STRIDE >
                  DSA_MSIX_TABLE_OFFSET);

typedef struct DSAWQ {
    uint32_t cfg[8];        /* WQCFG words; DW_STATUS is computed */
    bool enabled;
    uint16_t base;          /* first slot in the shared descriptor store */
    uint16_t size;          /* slots while enabled */
    uint16_t head;          /* oldest queued descriptor */
    uint16_t count;         /* queued descriptors */
} DSAWQ;

/* The descriptor being executed: one submitted, or a member of its batch. */
typedef struct DSAWork {
    bool active;
    uint8_t wq;
    uint8_t top[DSA_DESC_SIZE];     /* as submitted */
    bool in_batch;
    uint32_t b_count;
    uint32_t b_index;       /* member being executed or next */
    uint32_t b_done;        /* members completed */
    bool b_failed;
    bool have_member;
    uint8_t member[DSA_DESC_SIZE];
    bool started;           /* the current data descriptor has begun */
    uint32_t done;          /* bytes of the current data descriptor done */
    uint8_t result;         /* COMPARE/COMPVAL: 1 once a difference was seen */
} DSAWork;

struct DSAState {
    PCIDevice parent_obj;

    MemoryRegion bar0;      /* registers and tables, MSI-X table and PBA */
    MemoryRegion regs;
    MemoryRegion portals;   /* BAR2 */
    QEMUBH *bh;
    QEMUTimer *yield_timer;
    VMChangeStateEntry *vmstate_change;
    int64_t busy_since;
    uint8_t *bounce;
    uint8_t *bounce2;
    bool in_dma;
    DmacopyDmaCache dma_cache; /* translations of the pass in_dma marks */

    /* properties */
    uint32_t num_groups;
    uint32_t num_engines;
    uint32_t num_wqs;
    uint32_t total_wq_size;
    uint8_t max_xfer_log2;
    uint8_t max_batch_log2;
    uint32_t slice_bytes;
    uint32_t inline_bytes;
    bool inline_irq;
    uint64_t fail_nth;
    uint64_t fail_every;
    char *fail_op;
    bool fail_write;

    /* registers */
    uint32_t gencfg;
    uint32_t genctrl;
    uint32_t state;         /* DSA_STATE_* */
    uint32_t intcause;
    uint32_t cmdsts;
    uint64_t swerr[4];
    uint64_t grp_wqs[DSA_MODEL_GROUPS][4];
    uint64_t grp_engines[DSA_MODEL_GROUPS];
    uint64_t grp_flags[DSA_MODEL_GROUPS];
    uint32_t msix_perm[DSA_MODEL_VECTORS];
    DSAWQ wq[DSA_MODEL_WQS];

    /* a command waiting for work to drain (CMDSTS.ACTIVE until then) */
    bool cmd_pending;
    uint32_t cmd;

    /* descriptor store: the WQs' slots, wq[i].base .. base + size */
    uint8_t *store;
    uint32_t store_bytes;
    uint32_t next_wq;       /* round robin among WQs with work */
    DSAWork w;

    /* a 64-byte direct store being assembled from its pieces */
    uint8_t asm_buf[DSA_DESC_SIZE];
    uint32_t asm_next;      /* offset of the next piece expected (0: none) */
    hwaddr asm_slot;

    /* counters (kept across resets) */
    uint64_t stat_descs;
    uint64_t stat_bytes;
    uint64_t stat_errors;
    uint64_t stat_injected;
    uint64_t stat_irqs;
    uint64_t stat_dropped;
    uint64_t data_descs;    /* data descriptors started, for fault injection */
    /*
     * Vectors of descriptors completed in this processing run: each gets one
     * MSI at the end of the run, as a vector already pending in the CPU's
     * interrupt controller takes no second one.
     */
    uint32_t irq_pending;
};

static const char *const dsa_state_name[] = {
    [DSA_STATE_DISABLED] = "disabled",
    [DSA_STATE_ENABLED] = "enabled",
    [DSA_STATE_DRAINING] = "draining",
    [DSA_STATE_HALTED] = "halted",
};

/* ------------------------------------------------------------------------ */
/* Interrupts and software errors                                           */

static void dsa_vector(DSAState *s, unsigned vector)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    if (msix_enabled(pdev) && vector < s->num_wqs + 1) {
        s->stat_irqs++;
        msix_notify(pdev, vector);
    }
}

static void dsa_cause(DSAState *s, uint32_t bit)
{
    s->intcause |= bit;
    dsa_vector(s, 0);
}

/*
 * An error no completion record can carry. A descriptor that is the batch
 * member being run also records BATCH and its index in the batch.
 */
static void dsa_swerr(DSAState *s, uint8_t code, unsigned wq, const uint8_t *desc,
                      uint64_t fault_addr, bool write, uint32_t invalid_flags)
{
    s->stat_errors++;
    if (s->swerr[0] & DSA_SWERR_VALID) {
        s->swerr[0] |= DSA_SWERR_OVERFLOW;
        return;
    }
    s->swerr[0] = DSA_SWERR_VALID | DSA_SET(DSA_SWERR_CODE, code) |
                  DSA_SWERR_WQ_VALID | DSA_SET(DSA_SWERR_WQ, wq) |
                  (write ? DSA_SWERR_FAULT_WRITE : 0);
    if (desc) {
        s->swerr[0] |= DSA_SWERR_DESC_VALID |
                       DSA_SET(DSA_SWERR_OPCODE, desc[7]);
    }
    s->swerr[1] = DSA_SET(DSA_SWERR_INVALID_FLAGS, invalid_flags);
    if (desc && desc == s->w.member) {
        s->swerr[0] |= DSA_SWERR_BATCH;
        s->swerr[1] |= DSA_SET(DSA_SWERR_BATCH_INDEX, s->w.b_index);
    }
    s->swerr[2] = fault_addr;
    s->swerr[3] = 0;
    if (s->genctrl & DSA_GENCTRL_SOFTERR_INT_EN) {
        dsa_cause(s, DSA_INTCAUSE_ERR);
    }
}

/* ------------------------------------------------------------------------ */
/* Memory                                                                   */

/* The translations a pass of work (dsa_process(), under the BQL) may reuse. */
static DmacopyDmaCache *dsa_cache(DSAState *s)
{
    return s->in_dma ? &s->dma_cache : NULL;
}

static bool dsa_rw(DSAState *s, uint64_t addr, void *buf, uint32_t len,
                   DMADirection dir)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    return dmacopy_dma_rw_cached(dsa_cache(s), OBJECT(pdev),
                                 pci_get_address_space(pdev), addr, buf, len,
                                 dir) == MEMTX_OK;
}

static bool dsa_read(DSAState *s, uint64_t addr, void *buf, uint32_t len)
{
    return dsa_rw(s, addr, buf, len, DMA_DIRECTION_TO_DEVICE);
}

static bool dsa_write(DSAState *s, uint64_t addr, const void *buf, uint32_t len)
{
    return dsa_rw(s, addr, (void *)buf, len, DMA_DIRECTION_FROM_DEVICE);
}

/*
 * The first page of [addr, addr + len) that cannot be accessed. Only
 * translations are checked: guest memory is neither read nor written (a write
 * probe that rewrote a byte could undo a vCPU's store to it). When every page
 * translates to RAM, the access failed elsewhere: addr, so
 * that bytes_completed never counts what may not have been done.
 */
static uint64_t dsa_find_fault(DSAState *s, uint64_t addr, uint32_t len, bool write)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint64_t a = addr, end = addr + len;

    while (a < end) {
        uint32_t n = MIN(end - a, DSA_PAGE_SIZE - (a & (DSA_PAGE_SIZE - 1)));

        if (!dmacopy_dma_ram_len(pci_get_address_space(pdev), a, 1, write)) {
            return a;
        }
        a += n;
    }
    return addr;
}

/*
 * A host pointer to guest RAM at addr for up to *len bytes (shortened to what
 * maps), or NULL when it is not plain RAM (MMIO, a fault): the caller then
 * uses the bounce buffer, which reports errors exactly.
 */
static void *dsa_map(DSAState *s, uint64_t addr, dma_addr_t *len, bool write)
{
    /* Guest RAM only, translated once; never MMIO (reading it would run its handlers). */
    return dmacopy_dma_map_cached(dsa_cache(s),
                                  pci_get_address_space(PCI_DEVICE(s)), addr,
                                  len, write);
}

static void dsa_unmap(DSAState *s, void *p, dma_addr_t len, bool write, dma_addr_t used)
{
    pci_dma_unmap(PCI_DEVICE(s), p, len, write ? DMA_DIRECTION_FROM_DEVICE :
                                 DMA_DIRECTION_TO_DEVICE, used);
}

/* ------------------------------------------------------------------------ */
/* Completion                                                               */

static uint32_t desc_flags(const uint8_t *d)
{
    return ldl_le_p(d + 4) & DSA_DESC_FLAGS_MASK;
}

static uint8_t desc_op(const uint8_t *d)
{
    return d[7];
}

/*
 * Report the end of descriptor d: a completion record (always on error, on
 * success only with RCR) and an interrupt with RCI. The status byte is written
 * last, so software that sees it sees the rest.
 */
static void dsa_complete(DSAState *s, unsigned wq, const uint8_t *d, uint8_t status,
                         uint8_t result, uint32_t bytes, uint64_t fault_addr,
                         uint32_t invalid_flags)
{
    uint32_t flags = desc_flags(d);
    uint64_t cra = ldq_le_p(d + 8);
    uint16_t handle = lduw_le_p(d + 0x24);
    bool error = (status & DSA_COMP_STATUS_MASK) != DSA_COMP_SUCCESS &&
                 (status & DSA_COMP_STATUS_MASK) != DSA_COMP_SUCCESS_PRED;
    uint8_t rec[DSA_COMPL_SIZE] = { 0 };

    s->stat_descs++;
    if (error) {
        s->stat_errors++;
    }
    if ((flags & DSA_FLAG_RCI) && handle > s->num_wqs && !error) {
        status = DSA_COMP_INT_HANDLE_INVAL;
        error = true;
    }
    if (error || (flags & DSA_FLAG_RCR)) {
        if (!(flags & DSA_FLAG_CRAV)) {
            if (error) {
                dsa_swerr(s, status & DSA_COMP_STATUS_MASK, wq, d, fault_addr,
                          status & DSA_COMP_FAULT_WRITE, invalid_flags);
            }
        } else if (cra & (DSA_COMPL_ALIGN - 1)) {
            dsa_swerr(s, DSA_COMP_CRA_ALIGN, wq, d, cra, true, 0);
            return;
        } else {
            rec[1] = result;
            stl_le_p(rec + 4, bytes);
            stq_le_p(rec + 8, fault_addr);
            stl_le_p(rec + 16, invalid_flags);
            if (!dsa_write(s, cra + 1, rec + 1, DSA_COMPL_SIZE - 1)) {
                dsa_swerr(s, DSA_COMP_CRA_XLAT, wq, d, cra, true, 0);
                return;
            }
            /* The record is complete before its status byte says so. */
            smp_wmb();
            rec[0] = status;
            if (!dsa_write(s, cra, rec, 1)) {
                dsa_swerr(s, DSA_COMP_CRA_XLAT, wq, d, cra, true, 0);
                return;
            }
        }
    }
    if ((flags & DSA_FLAG_RCI) && handle <= s->num_wqs) {
        s->irq_pending |= 1u << handle;
    }
}

/* ------------------------------------------------------------------------ */
/* Execution                                                                */

static bool dsa_inject_fault(DSAState *s)
{
    uint64_t n = ++s->data_descs;

    if ((s->fail_nth && n == s->fail_nth) || (s->fail_every && n % s->fail_every == 0)) {
        s->stat_injected++;
        return true;
    }
    return false;
}

/* The WQ's limits: its WQCFG value, or the device's when 0. */
static uint32_t wq_max_xfer(DSAState *s, unsigned wq)
{
    uint32_t shift = DSA_GET(DSA_WQCFG_MAX_XFER_LOG2, s->wq[wq].cfg[DSA_WQCFG_DW_LIMITS]);

    return 1u << MIN(shift ? shift : s->max_xfer_log2, s->max_xfer_log2);
}

static uint32_t wq_max_batch(DSAState *s, unsigned wq)
{
    uint32_t shift = DSA_GET(DSA_WQCFG_MAX_BATCH_LOG2,
                             s->wq[wq].cfg[DSA_WQCFG_DW_LIMITS]);

    return 1u << MIN(shift ? shift : s->max_batch_log2, s->max_batch_log2);
}

static bool op_supported(uint8_t op)
{
    switch (op) {
    case DSA_OP_NOOP:
    case DSA_OP_BATCH:
    case DSA_OP_DRAIN:
    case DSA_OP_MEMMOVE:
    case DSA_OP_MEMFILL:
    case DSA_OP_COMPARE:
    case DSA_OP_COMPVAL:
        return true;
    default:
        return false;
    }
}

static bool op_moves_data(uint8_t op)
{
    return op == DSA_OP_MEMMOVE || op == DSA_OP_MEMFILL || op == DSA_OP_COMPARE ||
           op == DSA_OP_COMPVAL;
}

/*
 * Check descriptor d before it runs; on error complete it and return false.
 * member: d is an entry of a batch.
 */
static bool dsa_validate(DSAState *s, unsigned wq, const uint8_t *d, bool member)
{
    uint32_t flags = desc_flags(d), bad = flags & ~DSA_FLAGS_OK;
    uint8_t op = desc_op(d);
    uint32_t size = ldl_le_p(d + 0x20);
    uint64_t src = ldq_le_p(d + 0x10), dst = ldq_le_p(d + 0x18);

    if (!op_supported(op) || (member && (op == DSA_OP_BATCH || op == DSA_OP_DRAIN))) {
        qemu_log_mask(LOG_GUEST_ERROR, "dsa: opcode 0x%x not supported%s\n", op,
                      member ? " in a batch" : "");
        dsa_complete(s, wq, d, DSA_COMP_BAD_OPCODE, 0, 0, 0, 0);
        return false;
    }
    if (bad) {
        qemu_log_mask(LOG_GUEST_ERROR, "dsa: invalid flags 0x%x\n", bad);
        dsa_complete(s, wq, d, DSA_COMP_INVALID_FLAGS, 0, 0, 0, bad);
        return false;
    }
    if (op == DSA_OP_BATCH) {
        if (size < DSA_BATCH_MIN_DESCS || size > wq_max_batch(s, wq)) {
            dsa_complete(s, wq, d, DSA_COMP_DESC_CNT_ERANGE, 0, 0, 0, 0);
            return false;
        }
        if (src & (DSA_DESC_LIST_ALIGN - 1)) {
            dsa_complete(s, wq, d, DSA_COMP_DESCLIST_ALIGN, 0, 0, 0, 0);
            return false;
        }
        return true;
    }
    if (!op_moves_data(op)) {
        return true;
    }
    if (size == 0 || size > wq_max_xfer(s, wq)) {
        dsa_complete(s, wq, d, DSA_COMP_XFER_ERANGE, 0, 0, 0, 0);
        return false;
    }
    /* a buffer past the end of the address space (MEMFILL's src is its pattern) */
    if (op != DSA_OP_MEMFILL && src + size < src) {
        dsa_complete(s, wq, d, DSA_COMP_PAGE_FAULT_NOBOF, 0, 0, src, 0);
        return false;
    }
    if (op != DSA_OP_COMPVAL && dst + size < dst) {
        dsa_complete(s, wq, d, DSA_COMP_PAGE_FAULT_NOBOF |
                     (op == DSA_OP_COMPARE ? 0 : DSA_COMP_FAULT_WRITE), 0, 0, dst, 0);
        return false;
    }
    if (op == DSA_OP_MEMMOVE && src < dst + size && dst < src + size) {
        /* GENCAP.OVERLAP_COPY is clear: overlapping buffers are an error */
        dsa_complete(s, wq, d, DSA_COMP_OVERLAP_BUFFERS, 0, 0, 0, 0);
        return false;
    }
    return true;
}

/*
 * Move up to len bytes of data descriptor d, from its offset s->w.done.
 * Returns false when it ended in a fault (completed already).
 */
static bool dsa_move(DSAState *s, unsigned wq, const uint8_t *d, uint32_t len)
{
    uint8_t op = desc_op(d);
    uint64_t src = ldq_le_p(d + 0x10) + s->w.done;
    uint64_t dst = ldq_le_p(d + 0x18) + s->w.done;
    uint64_t pattern = ldq_le_p(d + 0x10);
    dma_addr_t sl = len, dl = len;
    void *sp = NULL, *dp = NULL;
    uint32_t n, i;

    if (op == DSA_OP_MEMMOVE) {
        sp = dsa_map(s, src, &sl, false);
        if (sp) {
            dl = sl;
            dp = dsa_map(s, dst, &dl, true);
            if (!dp) {
                dsa_unmap(s, sp, sl, false, 0);
                sp = NULL;
            }
        }
        if (sp && dp) {
            n = MIN(sl, dl);
            memcpy(dp, sp, n);
            dsa_unmap(s, sp, sl, false, n);
            dsa_unmap(s, dp, dl, true, n);
            s->w.done += n;
            s->stat_bytes += n;
            return true;
        }
    }

    n = MIN(len, DSA_BOUNCE_SIZE);
    switch (op) {
    case DSA_OP_MEMFILL:
        for (i = 0; i < MIN(n, 8); i++) {
            s->bounce[i] = pattern >> (((s->w.done + i) & 7) * 8);
        }
        for (; i < n; i *= 2) {
            memcpy(s->bounce + i, s->bounce, MIN(i, n - i));
        }
        break;
    case DSA_OP_COMPVAL:
        for (i = 0; i < MIN(n, 8); i++) {
            s->bounce2[i] = ldq_le_p(d + 0x18) >> (((s->w.done + i) & 7) * 8);
        }
        for (; i < n; i *= 2) {
            memcpy(s->bounce2 + i, s->bounce2, MIN(i, n - i));
        }
        /* fall through */
    default:
        if (!dsa_read(s, src, s->bounce, n)) {
            uint64_t f = dsa_find_fault(s, src, n, false);

            s->w.done += f - src;
            dsa_complete(s, wq, d, DSA_COMP_PAGE_FAULT_NOBOF, 0, s->w.done, f, 0);
            return false;
        }
        break;
    }
    if (op == DSA_OP_COMPARE || op == DSA_OP_COMPVAL) {
        if (op == DSA_OP_COMPARE && !dsa_read(s, dst, s->bounce2, n)) {
            uint64_t f = dsa_find_fault(s, dst, n, false);

            s->w.done += f - dst;
            dsa_complete(s, wq, d, DSA_COMP_PAGE_FAULT_NOBOF, 0, s->w.done, f, 0);
            return false;
        }
        for (i = 0; i < n; i++) {
            if (s->bounce[i] != s->bounce2[i]) {
                s->w.result = 1;
                s->w.done += i;
                return true;
            }
        }
    } else if (!dsa_write(s, dst, s->bounce, n)) {
        uint64_t f = dsa_find_fault(s, dst, n, true);

        s->w.done += f - dst;
        dsa_complete(s, wq, d, DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_FAULT_WRITE, 0,
                     s->w.done, f, 0);
        return false;
    }
    s->w.done += n;
    s->stat_bytes += n;
    return true;
}

/*
 * Run (part of) descriptor d, at most *budget bytes. Returns true when d is
 * finished (completed, with whatever status) and sets *ok to whether its
 * status is Success (Success with false predicate is not).
 */
static bool dsa_run(DSAState *s, unsigned wq, const uint8_t *d,
                    uint64_t *budget, bool *ok)
{
    uint8_t op = desc_op(d);
    uint32_t size = ldl_le_p(d + 0x20);
    uint8_t status;
    bool first;

    *ok = true;
    if (!op_moves_data(op)) {
        dsa_complete(s, wq, d, DSA_COMP_SUCCESS, 0, 0, 0, 0);
        return true;
    }
    first = !s->w.started;
    s->w.started = true;
    if (first && dsa_inject_fault(s)) {
        bool write = s->fail_write && op != DSA_OP_COMPARE && op != DSA_OP_COMPVAL;
        uint64_t a = ldq_le_p(d + (write || op == DSA_OP_MEMFILL ? 0x18 : 0x10));

        *ok = false;
        dsa_complete(s, wq, d, DSA_COMP_PAGE_FAULT_NOBOF |
                     (write || op == DSA_OP_MEMFILL ? DSA_COMP_FAULT_WRITE : 0),
                     0, 0, a, 0);
        return true;
    }
    while (s->w.done < size && !s->w.result) {
        uint32_t len, before = s->w.done;

        if (!*budget) {
            return false;
        }
        len = MIN(size - s->w.done, *budget);
        len = MIN(len, 4 * MiB);
        if (!dsa_move(s, wq, d, len)) {
            *ok = false;
            return true;
        }
        /* what was done (a bounce buffer or mapping can take less than len) */
        *budget -= MIN(*budget, MAX(s->w.done - before, 1));
    }
    status = DSA_COMP_SUCCESS;
    if (op == DSA_OP_COMPARE || op == DSA_OP_COMPVAL) {
        if ((desc_flags(d) & DSA_FLAG_CHECK_RESULT) && s->w.result != d[0x28]) {
            /* not Success: a later FENCE in the batch abandons the rest */
            status = DSA_COMP_SUCCESS_PRED;
            *ok = false;
        }
        dsa_complete(s, wq, d, status, s->w.result, s->w.result ? s->w.done : 0, 0, 0);
    } else {
        dsa_complete(s, wq, d, status, 0, size, 0, 0);
    }
    return true;
}

/* Take the next descriptor from the WQs, round robin; false if none. */
static bool dsa_fetch(DSAState *s)
{
    unsigned i;

    if (s->state != DSA_STATE_ENABLED) {
        return false;
    }
    for (i = 0; i < s->num_wqs; i++) {
        unsigned n = (s->next_wq + i) % s->num_wqs;
        DSAWQ *q = &s->wq[n];

        if (!q->enabled || !q->count) {
            continue;
        }
        memset(&s->w, 0, sizeof(s->w));
        memcpy(s->w.top, s->store + (q->base + q->head) * DSA_DESC_SIZE, DSA_DESC_SIZE);
        q->head = (q->head + 1) % q->size;
        q->count--;
        s->w.wq = n;
        s->w.active = true;
        s->next_wq = n + 1;
        return true;
    }
    return false;
}

static void dsa_cmd_finish(DSAState *s);

static bool dsa_has_work(DSAState *s)
{
    unsigned i;

    if (s->w.active) {
        return true;
    }
    for (i = 0; s->state == DSA_STATE_ENABLED && i < s->num_wqs; i++) {
        if (s->wq[i].enabled && s->wq[i].count) {
            return true;
        }
    }
    return false;
}

/* One MSI for each vector that completions asked for since the last flush. */
static void dsa_flush_irqs(DSAState *s)
{
    while (s->irq_pending) {
        unsigned v = ctz32(s->irq_pending);

        s->irq_pending &= ~(1u << v);
        dsa_vector(s, v);
    }
}

/* Work for at most bytes of data; returns true if work is left. */
static bool dsa_process(DSAState *s, uint64_t bytes)
{
    bool ok;

    s->in_dma = true;
    dmacopy_dma_cache_reset(&s->dma_cache);
    for (;;) {
        DSAWork *w = &s->w;

        if (!w->active) {
            if (s->cmd_pending) {
                dsa_cmd_finish(s);
            }
            if (!bytes || !dsa_fetch(s)) {
                break;
            }
            w->in_batch = desc_op(w->top) == DSA_OP_BATCH;
            if (!dsa_validate(s, w->wq, w->top, false)) {
                w->active = false;
                continue;
            }
            if (w->in_batch) {
                w->b_count = ldl_le_p(w->top + 0x20);
            }
        }
        if (!w->in_batch) {
            if (!dsa_run(s, w->wq, w->top, &bytes, &ok)) {
                break;
            }
            w->active = false;
            continue;
        }
        /* a batch: its members one after the other */
        if (!w->have_member) {
            uint64_t list = ldq_le_p(w->top + 0x10);
            uint64_t at = list + (uint64_t)w->b_index * DSA_DESC_SIZE;

            if (w->b_index == w->b_count) {
                dsa_complete(s, w->wq, w->top, w->b_failed ? DSA_COMP_BATCH_FAIL :
                             DSA_COMP_SUCCESS, 0, w->b_done, 0, 0);
                w->active = false;
                continue;
            }
            if (!dsa_read(s, at, w->member, DSA_DESC_SIZE)) {
                dsa_complete(s, w->wq, w->top, DSA_COMP_BATCH_PAGE_FAULT, 0, w->b_done,
                             at, 0);
                w->active = false;
                continue;
            }
            if ((desc_flags(w->member) & DSA_FLAG_FENCE) && w->b_failed) {
                /* a fence after a failure abandons the rest of the batch */
                dsa_complete(s, w->wq, w->top, DSA_COMP_BATCH_FAIL, 0, w->b_done, 0,
                             0);
                w->active = false;
                continue;
            }
            w->have_member = true;
            w->started = false;
            w->done = 0;
            w->result = 0;
            if (!dsa_validate(s, w->wq, w->member, true)) {
                w->b_failed = true;
                w->b_done++;
                w->b_index++;
                w->have_member = false;
                continue;
            }
        }
        if (!dsa_run(s, w->wq, w->member, &bytes, &ok)) {
            break;
        }
        w->b_failed |= !ok;
        w->b_done++;
        w->b_index++;
        w->have_member = false;
    }
    s->in_dma = false;
    dmacopy_dma_cache_reset(&s->dma_cache);
    return dsa_has_work(s);
}

static void dsa_continue(DSAState *s)
{
    if (qemu_clock_get_ns(QEMU_CLOCK_REALTIME) - s->busy_since < DSA_BUSY_NS) {
        qemu_bh_schedule(s->bh);
        return;
    }
    s->busy_since = 0;
    timer_mod(s->yield_timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + DSA_YIELD_NS);
}

static void dsa_bh(void *opaque)
{
    DSAState *s = opaque;

    if (!runstate_is_running()) {
        return;         /* dsa_vm_state_change() restarts it */
    }
    if (!s->busy_since) {
        s->busy_since = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    }
    if (dsa_process(s, s->slice_bytes)) {
        dsa_flush_irqs(s);
        dsa_continue(s);
    } else {
        dsa_flush_irqs(s);
        s->busy_since = 0;
    }
}

/* The pause after busy slices is over: go on in the (guarded) bottom half. */
static void dsa_yield_done(void *opaque)
{
    DSAState *s = opaque;

    qemu_bh_schedule(s->bh);
}

/*
 * Work done in the portal write itself signals its completions from the
 * bottom half unless inline-irq is set: the submitting vCPU goes on
 * submitting, and completions of a burst coalesce into one interrupt.
 */
static void dsa_kick(DSAState *s)
{
    if (runstate_is_running() && s->inline_bytes && !timer_pending(s->yield_timer) &&
        !dsa_process(s, s->inline_bytes)) {
        if (s->inline_irq) {
            dsa_flush_irqs(s);
        }
        if (!s->irq_pending) {
            return;
        }
    }
    qemu_bh_schedule(s->bh);
}

static void dsa_vm_state_change(void *opaque, bool running, RunState state)
{
    DSAState *s = opaque;

    if (running) {
        qemu_bh_schedule(s->bh);
    }
}

/* ------------------------------------------------------------------------ */
/* Portals                                                                  */

static void dsa_submit(DSAState *s, unsigned wq, const uint8_t *desc)
{
    DSAWQ *q = &s->wq[wq];

    if (s->state != DSA_STATE_ENABLED || !q->enabled) {
        qemu_log_mask(LOG_GUEST_ERROR, "dsa: descriptor to disabled WQ %u dropped\n", wq);
        s->stat_dropped++;
        return;
    }
    if (q->count == q->size) {
        /* a dedicated WQ drops what does not fit; MOVDIR64B has no status */
        s->stat_dropped++;
        return;
    }
    memcpy(s->store + (q->base + (q->head + q->count) % q->size) * DSA_DESC_SIZE, desc,
           DSA_DESC_SIZE);
    q->count++;
    dsa_kick(s);
}

static MemTxResult dsa_portal_write(void *opaque, hwaddr addr, uint64_t val,
                                    unsigned size, MemTxAttrs attrs)
{
    DSAState *s = opaque;
    hwaddr slot = addr & ~(hwaddr)(DSA_DESC_SIZE - 1);
    unsigned off = addr & (DSA_DESC_SIZE - 1);

    if (s->in_dma) {
        qemu_log_mask(LOG_GUEST_ERROR, "dsa: DMA write to its own portal refused\n");
        return MEMTX_ERROR;
    }
    if (!attrs.direct_store64) {
        qemu_log_mask(LOG_GUEST_ERROR, "dsa: portal write of %u bytes at 0x%" HWADDR_PRIx
                      " is not a 64-byte direct store: dropped\n", size, addr);
        s->stat_dropped++;
        s->asm_next = 0;
        return MEMTX_OK;
    }
    /* the pieces of one store arrive in address order, nothing in between */
    if (off == 0) {
        s->asm_slot = slot;
    } else if (slot != s->asm_slot || off != s->asm_next) {
        s->stat_dropped++;
        s->asm_next = 0;
        return MEMTX_OK;
    }
    stn_le_p(s->asm_buf + off, size, val);
    s->asm_next = off + size;
    if (s->asm_next == DSA_DESC_SIZE) {
        s->asm_next = 0;
        dsa_submit(s, slot / DSA_WQ_PORTALS_SIZE, s->asm_buf);
    }
    return MEMTX_OK;
}

static MemTxResult dsa_portal_read(void *opaque, hwaddr addr, uint64_t *val,
                                   unsigned size, MemTxAttrs attrs)
{
    DSAState *s = opaque;

    *val = 0;
    return s->in_dma ? MEMTX_ERROR : MEMTX_OK;
}

static const MemoryRegionOps dsa_portal_ops = {
    .read_with_attrs = dsa_portal_read,
    .write_with_attrs = dsa_portal_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 8 },
};

/* ------------------------------------------------------------------------ */
/* Commands                                                                 */

static void wq_abort(DSAState *s, unsigned wq)
{
    s->wq[wq].count = 0;
    s->wq[wq].head = 0;
    if (s->w.active && s->w.wq == wq) {
        s->w.active = false;
    }
}

static void wq_disable(DSAState *s, unsigned wq)
{
    wq_abort(s, wq);
    s->wq[wq].enabled = false;
}

/* The WQs a command's operand names (a bit set and block index, or one index). */
static uint32_t cmd_wq_set(uint32_t operand, uint32_t *block)
{
    *block = (operand >> 16) & 0xf;
    return operand & 0xffff;
}

/* Does the work a drain-type command waits for remain? */
static bool cmd_busy(DSAState *s, uint32_t code, uint32_t operand)
{
    uint32_t block, set = cmd_wq_set(operand, &block);
    unsigned i;

    for (i = 0; i < s->num_wqs; i++) {
        bool named = code == DSA_CMD_DRAIN_ALL || code == DSA_CMD_DISABLE_DEVICE ||
                     (i / 16 == block && (set & (1u << (i % 16))));

        if (named && s->wq[i].enabled &&
            (s->wq[i].count || (s->w.active && s->w.wq == i))) {
            return true;
        }
    }
    return false;
}

static void dsa_reset_config(DSAState *s)
{
    unsigned i;

    memset(s->grp_wqs, 0, sizeof(s->grp_wqs));
    memset(s->grp_engines, 0, sizeof(s->grp_engines));
    memset(s->grp_flags, 0, sizeof(s->grp_flags));
    memset(s->msix_perm, 0, sizeof(s->msix_perm));
    for (i = 0; i < DSA_MODEL_WQS; i++) {
        memset(&s->wq[i], 0, sizeof(s->wq[i]));
    }
    memset(&s->w, 0, sizeof(s->w));
    s->gencfg = 0;
    s->genctrl = 0;
    s->state = DSA_STATE_DISABLED;
    s->next_wq = 0;
}

/* Check the group tables as ENABLE_DEVICE does; a DSA_CMDERR_* code. */
static uint32_t dsa_check_config(DSAState *s)
{
    uint64_t engines_seen = 0;
    uint32_t sum = 0;
    unsigned g, i;

    if (!(pci_get_word(PCI_DEVICE(s)->config + PCI_COMMAND) & PCI_COMMAND_MASTER)) {
        return DSA_CMDERR_ENDEV_BUS_MASTER;
    }
    for (i = 0; i < s->num_wqs; i++) {
        uint32_t size = DSA_GET(DSA_WQCFG_SIZE, s->wq[i].cfg[DSA_WQCFG_DW_SIZE]);
        unsigned groups = 0;

        sum += size;
        for (g = 0; g < s->num_groups; g++) {
            groups += !!(s->grp_wqs[g][i / 64] & (1ULL << (i % 64)));
        }
        if (size && groups != 1) {
            return DSA_CMDERR_ENDEV_GRP_CONFIG;
        }
    }
    if (sum > s->total_wq_size) {
        return DSA_CMDERR_ENDEV_WQ_SIZES;
    }
    for (g = 0; g < s->num_groups; g++) {
        bool has_wq = s->grp_wqs[g][0] || s->grp_wqs[g][1] || s->grp_wqs[g][2] ||
                      s->grp_wqs[g][3];

        if (s->grp_engines[g] & engines_seen) {
            return DSA_CMDERR_ENDEV_GRP_CONFIG2;
        }
        engines_seen |= s->grp_engines[g];
        if (has_wq && !s->grp_engines[g]) {
            return DSA_CMDERR_ENDEV_GRP_CONFIG3;
        }
    }
    return DSA_CMDERR_OK;
}

static uint32_t cmd_enable_wq(DSAState *s, uint32_t n)
{
    DSAWQ *q;
    uint32_t size, base = 0, i;

    if (n >= s->num_wqs) {
        return DSA_CMDERR_BAD_WQ;
    }
    if (s->state != DSA_STATE_ENABLED) {
        return DSA_CMDERR_ENWQ_DEV_DISABLED;
    }
    q = &s->wq[n];
    if (q->enabled) {
        return DSA_CMDERR_ENWQ_ENABLED;
    }
    size = DSA_GET(DSA_WQCFG_SIZE, q->cfg[DSA_WQCFG_DW_SIZE]);
    if (!size) {
        return DSA_CMDERR_ENWQ_SIZE;
    }
    if (!(q->cfg[DSA_WQCFG_DW_MODE] & DSA_WQCFG_DEDICATED)) {
        return DSA_CMDERR_ENWQ_MODE;    /* no shared WQs: no ENQCMD here */
    }
    if (q->cfg[DSA_WQCFG_DW_MODE] & DSA_WQCFG_BOF) {
        return DSA_CMDERR_ENWQ_BOF;
    }
    if (q->cfg[DSA_WQCFG_DW_MODE] & DSA_WQCFG_PASID_EN) {
        return DSA_CMDERR_ENWQ_PASID;
    }
    if (DSA_GET(DSA_WQCFG_MAX_XFER_LOG2, q->cfg[DSA_WQCFG_DW_LIMITS]) >
        s->max_xfer_log2) {
        return DSA_CMDERR_ENWQ_MAX_XFER;
    }
    if (DSA_GET(DSA_WQCFG_MAX_BATCH_LOG2, q->cfg[DSA_WQCFG_DW_LIMITS]) >
        s->max_batch_log2) {
        return DSA_CMDERR_ENWQ_MAX_BATCH;
    }
    /*
     * Slots: the first free range of the store. Not where the sizes of the
     * WQs before this one say: a disabled WQ's size can change while the
     * device is enabled, and enabled WQs keep the slots they have.
     */
    for (;;) {
        uint32_t next = base;

        for (i = 0; i < s->num_wqs; i++) {
            DSAWQ *o = &s->wq[i];

            if (o->enabled && o->base < base + size && base < o->base + o->size) {
                next = MAX(next, o->base + o->size);
            }
        }
        if (next == base || next + size > s->total_wq_size) {
            base = next;
            break;
        }
        base = next;
    }
    if (base + size > s->total_wq_size) {
        return DSA_CMDERR_ENWQ_SIZE;
    }
    q->base = base;
    q->size = size;
    q->head = 0;
    q->count = 0;
    q->enabled = true;
    return DSA_CMDERR_OK;
}

/* Run or finish command s->cmd; sets CMDSTS and raises the interrupt. */
static void dsa_cmd_finish(DSAState *s)
{
    uint32_t code = DSA_GET(DSA_CMD_CODE, s->cmd);
    uint32_t operand = DSA_GET(DSA_CMD_OPERAND, s->cmd);
    uint32_t block, set, err = DSA_CMDERR_OK;
    unsigned i;

    switch (code) {
    case DSA_CMD_DRAIN_ALL:
    case DSA_CMD_DRAIN_WQ:
    case DSA_CMD_DISABLE_WQ:
    case DSA_CMD_DISABLE_DEVICE:
        if (cmd_busy(s, code, operand)) {
            s->cmd_pending = true;
            return;
        }
        break;
    }
    s->cmd_pending = false;
    set = cmd_wq_set(operand, &block);

    switch (code) {
    case DSA_CMD_ENABLE_DEVICE:
        if (s->state == DSA_STATE_ENABLED) {
            err = DSA_CMDERR_ENDEV_ENABLED;
        } else {
            err = dsa_check_config(s);
            if (err == DSA_CMDERR_OK) {
                s->state = DSA_STATE_ENABLED;
            }
        }
        break;
    case DSA_CMD_DISABLE_DEVICE:
        if (s->state != DSA_STATE_ENABLED) {
            err = DSA_CMDERR_DISDEV_DISABLED;
            break;
        }
        for (i = 0; i < s->num_wqs; i++) {
            wq_disable(s, i);
        }
        s->state = DSA_STATE_DISABLED;
        break;
    case DSA_CMD_DRAIN_ALL:
    case DSA_CMD_DRAIN_PASID:
        break;
    case DSA_CMD_ABORT_ALL:
    case DSA_CMD_ABORT_PASID:
        for (i = 0; i < s->num_wqs; i++) {
            wq_abort(s, i);
        }
        break;
    case DSA_CMD_RESET_DEVICE:
        dsa_reset_config(s);
        break;
    case DSA_CMD_ENABLE_WQ:
        err = cmd_enable_wq(s, operand);
        break;
    case DSA_CMD_DISABLE_WQ:
    case DSA_CMD_DRAIN_WQ:
    case DSA_CMD_ABORT_WQ:
    case DSA_CMD_RESET_WQ:
        if (s->state != DSA_STATE_ENABLED && code != DSA_CMD_RESET_WQ) {
            err = DSA_CMDERR_WQCMD_DEV_DISABLED;
            break;
        }
        for (i = 0; i < 16; i++) {
            unsigned n = block * 16 + i;

            if (!(set & (1u << i))) {
                continue;
            }
            if (n >= s->num_wqs) {
                err = DSA_CMDERR_BAD_WQ;
                break;
            }
            if (code == DSA_CMD_DISABLE_WQ) {
                wq_disable(s, n);
            } else if (code == DSA_CMD_ABORT_WQ) {
                wq_abort(s, n);
            } else if (code == DSA_CMD_RESET_WQ) {
                wq_disable(s, n);
                memset(s->wq[n].cfg, 0, sizeof(s->wq[n].cfg));
            }
        }
        break;
    default:
        /* interrupt handles, PASIDs beyond drain/abort: CMDCAP clears them */
        qemu_log_mask(LOG_GUEST_ERROR, "dsa: unsupported command 0x%x\n", code);
        err = DSA_CMDERR_BAD_CMD;
        break;
    }
    s->cmdsts = err;
    if (s->cmd & DSA_CMD_INT_REQ) {
        dsa_cause(s, DSA_INTCAUSE_CMD);
    }
}

static void dsa_command(DSAState *s, uint32_t val)
{
    if (s->cmdsts & DSA_CMDSTS_ACTIVE) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "dsa: CMD written while a command runs: ignored\n");
        return;
    }
    s->cmd = val;
    s->cmdsts = DSA_CMDSTS_ACTIVE;
    dsa_cmd_finish(s);
    if (s->cmd_pending) {
        qemu_bh_schedule(s->bh);
    }
}

/* ------------------------------------------------------------------------ */
/* Register access (32-bit units; a 64-bit access is two of them)           */

static uint32_t wq_status_word(DSAState *s, unsigned n)
{
    DSAWQ *q = &s->wq[n];

    return DSA_SET(DSA_WQCFG_OCCUPANCY, q->count) |
           DSA_SET(DSA_WQCFG_STATE, q->enabled ? DSA_WQ_STATE_ENABLED :
            DSA_WQ_STATE_DISABLED);
}

static uint64_t dsa_cap(DSAState *s, hwaddr q)
{
    switch (q) {
    case DSA_VERSION_OFFSET:
        return DSA_VERSION_1_0;
    case DSA_GENCAP_OFFSET:
        return DSA_GENCAP_CACHE_CTRL_MEM | DSA_GENCAP_CMDCAP | DSA_GENCAP_CONFIG_EN |
               DSA_SET(DSA_GENCAP_MAX_XFER_LOG2, s->max_xfer_log2) |
               DSA_SET(DSA_GENCAP_MAX_BATCH_LOG2, s->max_batch_log2);
    case DSA_WQCAP_OFFSET:
        return DSA_SET(DSA_WQCAP_TOTAL_SIZE, s->total_wq_size) |
               DSA_SET(DSA_WQCAP_NUM_WQS, s->num_wqs) |
               DSA_SET(DSA_WQCAP_WQCFG_SIZE, 0) | DSA_WQCAP_DEDICATED |
               DSA_WQCAP_OCCUPANCY;
    case DSA_GRPCAP_OFFSET:
        return DSA_SET(DSA_GRPCAP_NUM_GROUPS, s->num_groups) |
               DSA_SET(DSA_GRPCAP_TOTAL_RDBUFS, 96);
    case DSA_ENGCAP_OFFSET:
        return DSA_SET(DSA_ENGCAP_NUM_ENGINES, s->num_engines);
    case DSA_OPCAP_OFFSET:
        return DSA_OPCAP_BIT(DSA_OP_NOOP) | DSA_OPCAP_BIT(DSA_OP_BATCH) |
               DSA_OPCAP_BIT(DSA_OP_DRAIN) | DSA_OPCAP_BIT(DSA_OP_MEMMOVE) |
               DSA_OPCAP_BIT(DSA_OP_MEMFILL) | DSA_OPCAP_BIT(DSA_OP_COMPARE) |
               DSA_OPCAP_BIT(DSA_OP_COMPVAL);
    case DSA_OFFSETS_OFFSET:
        return DSA_SET(DSA_OFFSETS_GRPCFG, DSA_EMU_GRPCFG_OFFSET / DSA_TABLE_UNIT) |
               DSA_SET(DSA_OFFSETS_WQCFG, DSA_EMU_WQCFG_OFFSET / DSA_TABLE_UNIT) |
               DSA_SET(DSA_OFFSETS_MSIX_PERM,
                       DSA_EMU_MSIX_PERM_OFFSET / DSA_TABLE_UNIT);
    case DSA_CMDCAP_OFFSET:
        return (1u << DSA_CMD_ENABLE_DEVICE) | (1u << DSA_CMD_DISABLE_DEVICE) |
               (1u << DSA_CMD_DRAIN_ALL) | (1u << DSA_CMD_ABORT_ALL) |
               (1u << DSA_CMD_RESET_DEVICE) | (1u << DSA_CMD_ENABLE_WQ) |
               (1u << DSA_CMD_DISABLE_WQ) | (1u << DSA_CMD_DRAIN_WQ) |
               (1u << DSA_CMD_ABORT_WQ) | (1u << DSA_CMD_RESET_WQ) |
               (1u << DSA_CMD_DRAIN_PASID) | (1u << DSA_CMD_ABORT_PASID);
    default:
        return 0;
    }
}

static uint32_t dsa_read32(DSAState *s, hwaddr a)
{
    if (a >= DSA_EMU_GRPCFG_OFFSET &&
        a < DSA_EMU_GRPCFG_OFFSET + s->num_groups * DSA_GRPCFG_SIZE) {
        hwaddr o = a - DSA_EMU_GRPCFG_OFFSET;
        unsigned g = o / DSA_GRPCFG_SIZE, r = o % DSA_GRPCFG_SIZE;
        uint64_t v = r < 0x20 ? s->grp_wqs[g][r / 8] : r < 0x28 ? s->grp_engines[g] :
                     r < 0x30 ? s->grp_flags[g] : 0;

        return v >> ((r & 4) * 8);
    }
    if (a >= DSA_EMU_WQCFG_OFFSET && a < DSA_EMU_WQCFG_OFFSET + s->num_wqs * 32) {
        unsigned n = (a - DSA_EMU_WQCFG_OFFSET) / 32, w = (a % 32) / 4;

        return w == DSA_WQCFG_DW_STATUS ? wq_status_word(s, n) : s->wq[n].cfg[w];
    }
    if (a >= DSA_EMU_MSIX_PERM_OFFSET &&
        a < DSA_EMU_MSIX_PERM_OFFSET + (s->num_wqs + 1) * DSA_MSIX_PERM_STRIDE) {
        hwaddr o = a - DSA_EMU_MSIX_PERM_OFFSET;

        return o % DSA_MSIX_PERM_STRIDE ? 0 : s->msix_perm[o / DSA_MSIX_PERM_STRIDE];
    }
    switch (a) {
    case DSA_GENCFG_OFFSET:
        return s->gencfg;
    case DSA_GENCTRL_OFFSET:
        return s->genctrl;
    case DSA_GENSTATS_OFFSET:
        return DSA_SET(DSA_GENSTATS_STATE, s->state);
    case DSA_INTCAUSE_OFFSET:
        return s->intcause;
    case DSA_CMD_OFFSET:
        return s->cmd;
    case DSA_CMDSTS_OFFSET:
        return s->cmdsts;
    }
    if (a >= DSA_SWERR_OFFSET && a < DSA_SWERR_OFFSET + 32) {
        return s->swerr[(a - DSA_SWERR_OFFSET) / 8] >> ((a & 4) * 8);
    }
    return dsa_cap(s, a & ~7ULL) >> ((a & 4) * 8);
}

static void dsa_write32(DSAState *s, hwaddr a, uint32_t v)
{
    if (a >= DSA_EMU_GRPCFG_OFFSET &&
        a < DSA_EMU_GRPCFG_OFFSET + s->num_groups * DSA_GRPCFG_SIZE) {
        hwaddr o = a - DSA_EMU_GRPCFG_OFFSET;
        unsigned g = o / DSA_GRPCFG_SIZE, r = o % DSA_GRPCFG_SIZE;
        unsigned sh = (r & 4) * 8;
        uint64_t *p, mask = 0xffffffffULL << sh;

        if (s->state != DSA_STATE_DISABLED) {
            return;         /* read-only while enabled (idxd rewrites it then) */
        }
        if (r < 0x20) {
            p = &s->grp_wqs[g][r / 8];
            /* only WQs that exist */
            if (r / 8 * 64 >= s->num_wqs) {
                return;
            }
            v &= (uint32_t)(MAKE_64BIT_MASK(0, MIN(64, s->num_wqs - r / 8 * 64)) >> sh);
        } else if (r < 0x28) {
            p = &s->grp_engines[g];
            v &= (uint32_t)(MAKE_64BIT_MASK(0, s->num_engines) >> sh);
        } else if (r < 0x30) {
            p = &s->grp_flags[g];
        } else {
            return;
        }
        *p = (*p & ~mask) | ((uint64_t)v << sh);
        return;
    }
    if (a >= DSA_EMU_WQCFG_OFFSET && a < DSA_EMU_WQCFG_OFFSET + s->num_wqs * 32) {
        unsigned n = (a - DSA_EMU_WQCFG_OFFSET) / 32, w = (a % 32) / 4;

        if (s->wq[n].enabled || w >= DSA_WQCFG_DW_STATUS) {
            return;         /* read-only while the WQ is enabled */
        }
        s->wq[n].cfg[w] = v;
        return;
    }
    if (a >= DSA_EMU_MSIX_PERM_OFFSET &&
        a < DSA_EMU_MSIX_PERM_OFFSET + (s->num_wqs + 1) * DSA_MSIX_PERM_STRIDE) {
        hwaddr o = a - DSA_EMU_MSIX_PERM_OFFSET;

        if (!(o % DSA_MSIX_PERM_STRIDE)) {
            s->msix_perm[o / DSA_MSIX_PERM_STRIDE] = v;
        }
        return;
    }
    switch (a) {
    case DSA_GENCFG_OFFSET:
        if (s->state == DSA_STATE_DISABLED) {
            s->gencfg = v & (DSA_GENCFG_RDBUF_LIMIT_MASK | DSA_GENCFG_USER_INT_EN);
        }
        return;
    case DSA_GENCTRL_OFFSET:
        s->genctrl = v & (DSA_GENCTRL_SOFTERR_INT_EN | DSA_GENCTRL_HALT_INT_EN);
        return;
    case DSA_INTCAUSE_OFFSET:
        s->intcause &= ~v;
        return;
    case DSA_CMD_OFFSET:
        dsa_command(s, v);
        return;
    case DSA_SWERR_OFFSET:
        s->swerr[0] &= ~((uint64_t)v & (DSA_SWERR_VALID | DSA_SWERR_OVERFLOW));
        return;
    }
    qemu_log_mask(LOG_GUEST_ERROR,
                  "dsa: write of 0x%x to read-only or reserved offset 0x%"
                  HWADDR_PRIx "\n", v, a);
}

/*
 * The device's own DMA to its registers or portals fails (the descriptor gets
 * a page fault, a record SWERR), wherever the work runs: in the portal write
 * and the bottom half QEMU's re-entrancy guard refuses it before it gets here.
 */
static MemTxResult dsa_mmio_read(void *opaque, hwaddr addr, uint64_t *val, unsigned size,
                                 MemTxAttrs attrs)
{
    DSAState *s = opaque;
    uint64_t v;

    if (s->in_dma) {
        qemu_log_mask(LOG_GUEST_ERROR, "dsa: DMA read of its own registers refused\n");
        *val = 0;
        return MEMTX_ERROR;
    }
    v = dsa_read32(s, addr);
    if (size == 8) {
        v |= (uint64_t)dsa_read32(s, addr + 4) << 32;
    }
    *val = v;
    return MEMTX_OK;
}

static MemTxResult dsa_mmio_write(void *opaque, hwaddr addr, uint64_t val, unsigned size,
                                  MemTxAttrs attrs)
{
    DSAState *s = opaque;

    if (s->in_dma) {
        qemu_log_mask(LOG_GUEST_ERROR, "dsa: DMA write to its own registers refused\n");
        return MEMTX_ERROR;
    }
    dsa_write32(s, addr, val);
    if (size == 8) {
        dsa_write32(s, addr + 4, val >> 32);
    }
    return MEMTX_OK;
}

static const MemoryRegionOps dsa_mmio_ops = {
    .read_with_attrs = dsa_mmio_read,
    .write_with_attrs = dsa_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 8 },
    .impl = { .min_access_size = 4, .max_access_size = 8 },
};

/* ------------------------------------------------------------------------ */
/* Device                                                                   */

static void dsa_reset(DeviceState *dev)
{
    DSAState *s = DSA(dev);

    qemu_bh_cancel(s->bh);
    timer_del(s->yield_timer);
    s->busy_since = 0;
    dsa_reset_config(s);
    s->intcause = 0;
    s->cmd = 0;
    s->cmdsts = 0;
    s->cmd_pending = false;
    memset(s->swerr, 0, sizeof(s->swerr));
    s->asm_next = 0;
    s->irq_pending = 0;
}

static int dsa_post_load(void *opaque, int version_id)
{
    DSAState *s = opaque;
    uint32_t used = 0;
    unsigned i;

    if (s->state > DSA_STATE_HALTED || s->w.wq >= s->num_wqs) {
        return -EINVAL;
    }
    for (i = 0; i < s->num_wqs; i++) {
        DSAWQ *q = &s->wq[i];

        if (q->enabled && (!q->size || q->head >= q->size || q->count > q->size ||
                           q->base + q->size > s->total_wq_size)) {
            return -EINVAL;
        }
        used += q->enabled ? q->size : 0;
    }
    if (used > s->total_wq_size || s->w.b_index > s->w.b_count) {
        return -EINVAL;
    }
    qemu_bh_schedule(s->bh);
    return 0;
}

static void dsa_realize(PCIDevice *pdev, Error **errp)
{
    DSAState *s = DSA(pdev);
    unsigned i;
    int rc;

    if (!s->num_wqs || s->num_wqs > DSA_MODEL_WQS) {
        error_setg(errp, "dsa: wqs must be 1..%d", DSA_MODEL_WQS);
        return;
    }
    if (!s->num_groups || s->num_groups > DSA_MODEL_GROUPS) {
        error_setg(errp, "dsa: groups must be 1..%d", DSA_MODEL_GROUPS);
        return;
    }
    if (!s->num_engines || s->num_engines > DSA_MODEL_ENGINES) {
        error_setg(errp, "dsa: engines must be 1..%d", DSA_MODEL_ENGINES);
        return;
    }
    if (!s->total_wq_size || s->total_wq_size > DSA_MODEL_WQ_SLOTS) {
        error_setg(errp, "dsa: wq-size (slots of all WQs) must be 1..%d",
                   DSA_MODEL_WQ_SLOTS);
        return;
    }
    if (s->max_xfer_log2 < 12 || s->max_xfer_log2 > DSA_MAX_XFER_LOG2) {
        error_setg(errp, "dsa: max-xfer-log2 must be 12..%d", DSA_MAX_XFER_LOG2);
        return;
    }
    if (s->max_batch_log2 < 1 || s->max_batch_log2 > DSA_MAX_BATCH_LOG2) {
        error_setg(errp, "dsa: max-batch-log2 must be 1..%d", DSA_MAX_BATCH_LOG2);
        return;
    }
    if (!s->slice_bytes) {
        error_setg(errp, "dsa: slice-bytes must be non-zero");
        return;
    }
    if (!s->fail_op || !strcmp(s->fail_op, "read")) {
        s->fail_write = false;
    } else if (!strcmp(s->fail_op, "write")) {
        s->fail_write = true;
    } else {
        error_setg(errp, "dsa: fail-op must be 'read' or 'write'");
        return;
    }

    memory_region_init(&s->bar0, OBJECT(s), "dsa-bar0", DSA_BAR0_SIZE);
    memory_region_init_io(&s->regs, OBJECT(s), &dsa_mmio_ops, s, "dsa-regs",
                          DSA_REGS_SIZE);
    memory_region_add_subregion(&s->bar0, 0, &s->regs);
    pci_register_bar(pdev, DSA_BAR_REGS,
                     PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->bar0);
    memory_region_init_io(&s->portals, OBJECT(s), &dsa_portal_ops, s, "dsa-portals",
                          pow2ceil(s->num_wqs * DSA_WQ_PORTALS_SIZE));
    pci_register_bar(pdev, DSA_BAR_PORTALS,
                     PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_TYPE_64,
                     &s->portals);

    rc = msix_init(pdev, s->num_wqs + 1, &s->bar0, DSA_BAR_REGS, DSA_MSIX_TABLE_OFFSET,
                   &s->bar0, DSA_BAR_REGS, DSA_MSIX_PBA_OFFSET, 0, errp);
    if (rc) {
        return;
    }
    for (i = 0; i < s->num_wqs + 1; i++) {
        msix_vector_use(pdev, i);
    }

    s->store_bytes = s->total_wq_size * DSA_DESC_SIZE;
    s->store = g_malloc0(s->store_bytes);
    s->bounce = g_malloc(DSA_BOUNCE_SIZE);
    s->bounce2 = g_malloc(DSA_BOUNCE_SIZE);
    /* the bottom half's DMA cannot reach the device's own regions (as in MMIO) */
    s->bh = qemu_bh_new_guarded(dsa_bh, s, &DEVICE(s)->mem_reentrancy_guard);
    s->yield_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, dsa_yield_done, s);
    s->vmstate_change = qemu_add_vm_change_state_handler(dsa_vm_state_change, s);
    s->state = DSA_STATE_DISABLED;
}

static void dsa_exit(PCIDevice *pdev)
{
    DSAState *s = DSA(pdev);

    qemu_del_vm_change_state_handler(s->vmstate_change);
    timer_del(s->yield_timer);
    qemu_bh_delete(s->bh);
    s->bh = NULL;
    msix_uninit(pdev, &s->bar0, &s->bar0);
}

/* The timer and the buffers outlive unrealize: freed with the last reference. */
static void dsa_instance_finalize(Object *obj)
{
    DSAState *s = DSA(obj);

    timer_free(s->yield_timer);
    s->yield_timer = NULL;
    g_free(s->store);
    g_free(s->bounce);
    g_free(s->bounce2);
    s->store = s->bounce = s->bounce2 = NULL;
}

static char *dsa_get_stats(Object *obj, Error **errp)
{
    DSAState *s = DSA(obj);
    GString *str = g_string_new(NULL);
    unsigned i;

    g_string_append_printf(str, "state=%s", dsa_state_name[s->state & 3]);
    for (i = 0; i < s->num_wqs; i++) {
        if (s->wq[i].enabled) {
            g_string_append_printf(str, " wq%u=%u/%u", i, s->wq[i].count, s->wq[i].size);
        }
    }
    g_string_append_printf(str, " swerr=0x%" PRIx64 " descriptors=%" PRIu64 " bytes=%"
                           PRIu64 " errors=%" PRIu64 " injected=%" PRIu64 " interrupts=%"
                           PRIu64 " dropped=%" PRIu64, s->swerr[0], s->stat_descs,
                           s->stat_bytes, s->stat_errors, s->stat_injected, s->stat_irqs,
                           s->stat_dropped);
    return g_string_free(str, false);
}

static void dsa_instance_init(Object *obj)
{
    DSAState *s = DSA(obj);

    object_property_add_uint64_ptr(obj, "stat-descriptors", &s->stat_descs,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "stat-bytes", &s->stat_bytes, OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "stat-errors", &s->stat_errors,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "stat-injected", &s->stat_injected,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "stat-interrupts", &s->stat_irqs,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "stat-dropped", &s->stat_dropped,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_str(obj, "stats", dsa_get_stats, NULL);
}

static const VMStateDescription vmstate_dsa_wq = {
    .name = "dsa-wq",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32_ARRAY(cfg, DSAWQ, 8),
        VMSTATE_BOOL(enabled, DSAWQ),
        VMSTATE_UINT16(base, DSAWQ),
        VMSTATE_UINT16(size, DSAWQ),
        VMSTATE_UINT16(head, DSAWQ),
        VMSTATE_UINT16(count, DSAWQ),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_dsa_work = {
    .name = "dsa-work",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_BOOL(active, DSAWork),
        VMSTATE_UINT8(wq, DSAWork),
        VMSTATE_UINT8_ARRAY(top, DSAWork, DSA_DESC_SIZE),
        VMSTATE_BOOL(in_batch, DSAWork),
        VMSTATE_UINT32(b_count, DSAWork),
        VMSTATE_UINT32(b_index, DSAWork),
        VMSTATE_UINT32(b_done, DSAWork),
        VMSTATE_BOOL(b_failed, DSAWork),
        VMSTATE_BOOL(have_member, DSAWork),
        VMSTATE_BOOL(started, DSAWork),
        VMSTATE_UINT8_ARRAY(member, DSAWork, DSA_DESC_SIZE),
        VMSTATE_UINT32(done, DSAWork),
        VMSTATE_UINT8(result, DSAWork),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_dsa = {
    .name = TYPE_DSA,
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = dsa_post_load,
    .fields = (VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, DSAState),
        VMSTATE_MSIX(parent_obj, DSAState),
        VMSTATE_UINT32(gencfg, DSAState),
        VMSTATE_UINT32(genctrl, DSAState),
        VMSTATE_UINT32(state, DSAState),
        VMSTATE_UINT32(intcause, DSAState),
        VMSTATE_UINT32(cmdsts, DSAState),
        VMSTATE_UINT64_ARRAY(swerr, DSAState, 4),
        VMSTATE_UINT64_2DARRAY(grp_wqs, DSAState, DSA_MODEL_GROUPS, 4),
        VMSTATE_UINT64_ARRAY(grp_engines, DSAState, DSA_MODEL_GROUPS),
        VMSTATE_UINT64_ARRAY(grp_flags, DSAState, DSA_MODEL_GROUPS),
        VMSTATE_UINT32_ARRAY(msix_perm, DSAState, DSA_MODEL_VECTORS),
        VMSTATE_STRUCT_ARRAY(wq, DSAState, DSA_MODEL_WQS, 1, vmstate_dsa_wq, DSAWQ),
        VMSTATE_BOOL(cmd_pending, DSAState),
        VMSTATE_UINT32(cmd, DSAState),
        VMSTATE_UINT32(next_wq, DSAState),
        VMSTATE_VBUFFER_UINT32(store, DSAState, 1, NULL, store_bytes),
        VMSTATE_STRUCT(w, DSAState, 1, vmstate_dsa_work, DSAWork),
        VMSTATE_UINT64(stat_descs, DSAState),
        VMSTATE_UINT64(stat_bytes, DSAState),
        VMSTATE_UINT64(stat_errors, DSAState),
        VMSTATE_UINT64(stat_injected, DSAState),
        VMSTATE_UINT64(stat_irqs, DSAState),
        VMSTATE_UINT64(stat_dropped, DSAState),
        VMSTATE_UINT64(data_descs, DSAState),
        VMSTATE_END_OF_LIST()
    },
};

static Property dsa_properties[] = {
    DEFINE_PROP_UINT32("groups", DSAState, num_groups, DSA_EMU_NUM_GROUPS),
    DEFINE_PROP_UINT32("engines", DSAState, num_engines, DSA_EMU_NUM_ENGINES),
    DEFINE_PROP_UINT32("wqs", DSAState, num_wqs, DSA_EMU_NUM_WQS),
    DEFINE_PROP_UINT32("wq-size", DSAState, total_wq_size, 128),
    DEFINE_PROP_UINT8("max-xfer-log2", DSAState, max_xfer_log2, 31),
    DEFINE_PROP_UINT8("max-batch-log2", DSAState, max_batch_log2, 10),
    DEFINE_PROP_UINT32("slice-bytes", DSAState, slice_bytes, 1 * MiB),
    DEFINE_PROP_UINT32("inline-bytes", DSAState, inline_bytes, 64 * KiB),
    DEFINE_PROP_BOOL("inline-irq", DSAState, inline_irq, true),
    DEFINE_PROP_UINT64("fail-nth", DSAState, fail_nth, 0),
    DEFINE_PROP_UINT64("fail-every", DSAState, fail_every, 0),
    DEFINE_PROP_STRING("fail-op", DSAState, fail_op),
    DEFINE_PROP_END_OF_LIST(),
};

static void dsa_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = dsa_realize;
    k->exit = dsa_exit;
    k->vendor_id = DSA_PCI_VENDOR_INTEL;
    k->device_id = DSA_PCI_DEVICE_SPR;
    k->revision = 0x01;
    k->class_id = DSA_PCI_CLASS >> 8;
    dc->desc = "Intel Data Streaming Accelerator (DSA 1.0, dedicated WQs)";
    dc->reset = dsa_reset;
    dc->vmsd = &vmstate_dsa;
    device_class_set_props(dc, dsa_properties);
    object_class_property_set_description(klass, "groups", "groups (GRPCAP)");
    object_class_property_set_description(klass, "engines", "engines (ENGCAP)");
    object_class_property_set_description(klass, "wqs", "work queues (WQCAP), 1-16");
    object_class_property_set_description(klass, "wq-size",
        "descriptor slots shared by all WQs (WQCAP total size)");
    object_class_property_set_description(klass, "max-xfer-log2",
        "log2 of the largest transfer (GENCAP)");
    object_class_property_set_description(klass, "max-batch-log2",
        "log2 of the largest batch (GENCAP)");
    object_class_property_set_description(klass, "slice-bytes",
        "most bytes moved per bottom-half run");
    object_class_property_set_description(klass, "inline-bytes",
        "most bytes moved in the portal write itself (0: all in the bottom half)");
    object_class_property_set_description(klass, "inline-irq",
        "signal completions of work done in the portal write at once "
        "(off: from the bottom half)");
    object_class_property_set_description(klass, "fail-nth",
        "fail the Nth data descriptor since power-on with a page fault (0: never)");
    object_class_property_set_description(klass, "fail-every",
        "fail every Nth data descriptor (0: never)");
    object_class_property_set_description(klass, "fail-op",
        "injected fault: 'read' (source, default) or 'write' (destination)");
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo dsa_info = {
    .name = TYPE_DSA,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(DSAState),
    .instance_init = dsa_instance_init,
    .instance_finalize = dsa_instance_finalize,
    .class_init = dsa_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void dsa_register_types(void)
{
    type_register_static(&dsa_info);
}

type_init(dsa_register_types)

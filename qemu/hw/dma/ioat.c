/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dmacopy: an emulated Intel I/OAT (QuickData CB3.3) DMA engine, one channel
 * per PCI function, close enough to the hardware that Linux's ioatdma, DPDK's
 * and SPDK's ioat drivers accept it.
 *
 *   -device ioat[,addr=4.0,multifunction=on][,xfercap=20][,fill=on]
 *               [,msix=on][,msi=on][,fail-nth=N][,fail-every=N][,fail-op=read|write]
 *
 * Register and descriptor layout: include/dmacopy/ioat_spec.h.
 *
 * A doorbell write processes up to inline-bytes bytes and inline-descs
 * descriptors at once (small batches finish without waking the main loop);
 * the rest is processed in a bottom half, in slices of at most slice-bytes
 * bytes and slice-descs descriptors; the channel reads ACTIVE until the count
 * is reached. A COPY or FILL with at least worker-bytes bytes left is moved by
 * the channel's own worker thread instead (workers=on, the default), without
 * the big lock, so that channels work in parallel as hardware's do: the main
 * loop maps what of the descriptor is guest RAM (through the vIOMMU), and
 * with it up to 16 MiB of the valid COPY/FILL descriptors after it, the
 * worker copies it all, and the main loop then finishes those descriptors in
 * order (completion writes, interrupts) and carries on with the rest of the
 * chain (a part that could not be mapped goes through the slices, which
 * report its fault; a descriptor that fault injection is due to fail is never
 * taken ahead). Every guest action that changes the channel's state
 * (reset, abort, migration, unplug) first waits for the worker. After
 * half a millisecond of back-to-back slices the device pauses for a moment
 * (a timer instead of the bottom half) so vCPUs waiting for the big lock get
 * it; nothing is processed while the VM is stopped. All
 * memory traffic goes through the PCI DMA helpers so bus mastering and a
 * vIOMMU apply; a failed read halts the channel with CHANERR READ_DATA, a
 * failed write with WRITE_DATA. Guest mistakes are logged (-d guest_errors)
 * and never stop QEMU.
 *
 * Counters: qom-get <device path> stats (also stat-descriptors, stat-bytes,
 * stat-errors, stat-injected, stat-interrupts).
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qemu/main-loop.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "hw/pci/pci.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "sysemu/dma.h"
#include "dmacopy-dma.h"
#include "sysemu/runstate.h"
#include "qemu/timer.h"
#include "qemu/thread.h"
#include "qom/object.h"

#include "dmacopy/ioat_spec.h"

#define TYPE_IOAT "ioat"
OBJECT_DECLARE_SIMPLE_TYPE(IOATState, IOAT)

#define IOAT_VERSION            IOAT_VER_3_3
/* The register window, below the MSI-X table. */
#define IOAT_REGS_SIZE          IOAT_MSIX_TABLE_OFFSET
#define IOAT_CHAN0              IOAT_CHAN_OFFSET(0)
#define IOAT_BOUNCE_SIZE        (64 * KiB)
#define IOAT_DESC_FETCH         0x20    /* bytes of a descriptor the device reads */
#define IOAT_PREFETCH           16      /* most valid descriptors read at once */
#define IOAT_BUSY_NS            (500 * SCALE_US) /* longest run of back-to-back slices */
#define IOAT_YIELD_NS           (50 * SCALE_US)  /* then a pause, big lock released */
#define IOAT_JOB_SEGS           4096    /* most mapped pieces per worker job */
#define IOAT_JOB_BYTES          (16 * MiB) /* most bytes per worker job */
#define IOAT_JOB_DESCS          64      /* most descriptors after the current one */

/*
 * A piece of a worker job: len bytes to dst, from src, or (src NULL) the fill
 * pattern pat with byte k of the piece being byte (phase + k) % 8 of it.
 */
typedef struct IOATSeg {
    uint8_t *dst;
    uint8_t *src;
    uint64_t len;
    uint8_t pat[8];
    uint32_t phase;
} IOATSeg;

/* A descriptor after the current one that a job moves whole. */
typedef struct IOATJobDesc {
    uint64_t addr;
    uint32_t size;
    uint32_t ctl;
    uint64_t src;
    uint64_t dst;
    uint64_t next;
} IOATJobDesc;

/*
 * What the worker moves, mapped: the current descriptor from d_done on
 * (first_bytes of it) and, when all of that fitted, up to IOAT_JOB_DESCS
 * whole descriptors after it (more[]), so that a chain of large descriptors
 * goes to the worker in few jobs rather than one per descriptor.
 */
typedef struct IOATJob {
    IOATSeg seg[IOAT_JOB_SEGS];
    IOATJobDesc more[IOAT_JOB_DESCS];
    uint32_t nseg;
    uint32_t nmore;
    uint64_t bytes;         /* sum of the pieces */
    uint64_t first_bytes;   /* of which in the current descriptor */
} IOATJob;

struct IOATState {
    PCIDevice parent_obj;

    MemoryRegion bar;       /* BAR0 container: registers, MSI-X table and PBA */
    MemoryRegion regs;
    QEMUBH *bh;
    QEMUTimer *yield_timer;
    VMChangeStateEntry *vmstate_change;
    int64_t busy_since;     /* host ns when back-to-back slices began, or 0 */
    uint8_t *bounce;
    /*
     * Descriptors already made valid, read ahead in one DMA read: the
     * ones at pf_addr + 64 * k for pf_next <= k < pf_count. Each is used
     * once, in order; anything else (a jump in the chain, a new chain,
     * reset, migration) drops the rest and reads afresh.
     */
    uint8_t pf[IOAT_PREFETCH * IOAT_DESC_SIZE];
    uint64_t pf_addr;
    uint32_t pf_next;
    uint32_t pf_count;
    bool in_dma;            /* the bottom half is moving data */

    /*
     * The worker thread. job_active (big lock) says a job was handed out and
     * not yet taken back; job_queued and job_done (job_lock) pass it to the
     * worker and back; job_bh takes it back in the main loop.
     */
    QemuThread worker;
    QemuMutex job_lock;
    QemuCond job_cond;
    QEMUBH *job_bh;
    IOATJob *job;
    bool job_active;
    bool job_queued;
    bool job_done;
    bool worker_quit;
    bool worker_started;

    /* properties */
    uint8_t xfercap;
    bool fill;
    bool use_msix;
    bool use_msi;
    uint32_t slice_bytes;
    uint32_t slice_descs;
    uint32_t inline_bytes;  /* done in the doorbell write itself (0: never) */
    uint32_t inline_descs;
    bool workers;
    uint32_t worker_bytes;  /* descriptors with this much left go to the worker */
    uint64_t fail_nth;
    uint64_t fail_every;
    char *fail_op;
    uint32_t fail_err;      /* CHANERR bit an injected fault sets */

    /* global registers */
    uint8_t genctrl;
    uint8_t intrctrl;       /* MASTER_INT_EN | MSIX_VECTOR_CONTROL */
    uint16_t intrdelay;
    uint32_t attnstatus;

    /* channel 0 registers and state */
    uint16_t chanctrl;
    uint16_t dmacount;      /* doorbell: descriptors made valid since CHAINADDR */
    uint16_t count;         /* descriptors completed since CHAINADDR */
    uint8_t state;          /* IOAT_CHANSTS_* */
    bool started;           /* the chain left ARMED */
    uint64_t chainaddr;
    uint64_t chancmp;
    uint64_t completed;     /* address of the last completed descriptor */
    uint64_t cur;           /* address of the descriptor in progress or next */
    uint32_t chanerr;
    uint32_t chanerr_mask;
    uint32_t dcactrl;

    /* descriptor in progress (fetched once, then worked on in slices) */
    bool have_desc;
    uint32_t d_size;
    uint32_t d_ctl;
    uint64_t d_src;
    uint64_t d_dst;
    uint64_t d_next;
    uint32_t d_done;

    /* interrupt state */
    bool armed;             /* CHANCTRL.INT_REARM seen since the last signal */
    bool pending;           /* an event not yet signalled */
    bool intx;              /* INTx line level */

    /* counters (kept across resets) */
    uint64_t stat_descs;
    uint64_t stat_bytes;
    uint64_t stat_errors;
    uint64_t stat_injected;
    uint64_t stat_irqs;
    uint64_t data_descs;    /* COPY/FILL descriptors started, for fault injection */
    uint64_t stat_worker_jobs;
    uint64_t stat_worker_bytes;
};

static const char *const ioat_state_name[] = {
    [IOAT_CHANSTS_ACTIVE] = "active",
    [IOAT_CHANSTS_IDLE] = "idle",
    [IOAT_CHANSTS_SUSPENDED] = "suspended",
    [IOAT_CHANSTS_HALTED] = "halted",
    [IOAT_CHANSTS_ARMED] = "armed",
};

/* ------------------------------------------------------------------------ */
/* Interrupts                                                               */

static void ioat_set_intx(IOATState *s, bool level)
{
    s->intx = level;
    pci_set_irq(PCI_DEVICE(s), level);
}

static void ioat_signal(IOATState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    s->armed = false;
    s->pending = false;
    s->attnstatus |= 1;     /* the MSI/INTx handler looks for it */
    s->stat_irqs++;
    if (msix_enabled(pdev)) {
        msix_notify(pdev, 0);
    } else if (msi_enabled(pdev)) {
        msi_notify(pdev, 0);
    } else {
        ioat_set_intx(s, true);
    }
}

/* Signal the pending interrupt if the channel is armed and interrupts are on. */
static void ioat_raise(IOATState *s)
{
    if (s->pending && s->armed && (s->intrctrl & IOAT_INTRCTRL_MASTER_INT_EN)) {
        ioat_signal(s);
    }
}

/* A completed descriptor with int_en, or an error with ERR_INT_EN. */
static void ioat_event(IOATState *s)
{
    s->pending = true;
    s->attnstatus |= 1;
    /* a stopped VM (its job reaped) gets it when it runs again */
    if (runstate_is_running()) {
        ioat_raise(s);
    }
}

static void ioat_rearm(IOATState *s)
{
    s->armed = true;
    ioat_raise(s);
}

/* Whether the k'th read-ahead descriptor is there and is the one at addr. */
static bool ioat_pf_has(IOATState *s, uint32_t k, uint64_t addr)
{
    return k < s->pf_count && addr == s->pf_addr + (uint64_t)k * IOAT_DESC_SIZE;
}

/* ------------------------------------------------------------------------ */
/* Descriptor processing                                                    */

static void ioat_write_completion(IOATState *s, uint64_t value, bool *ok)
{
    uint8_t v[8];
    MemTxResult r;

    *ok = true;
    if (!s->chancmp) {
        return;
    }
    stq_le_p(v, value);
    r = dmacopy_pci_dma_write(PCI_DEVICE(s), s->chancmp & ~(uint64_t)7, v, sizeof(v));
    *ok = r == MEMTX_OK;
}

static void ioat_halt(IOATState *s, uint32_t err)
{
    bool ok;

    s->chanerr |= err;
    s->state = IOAT_CHANSTS_HALTED;
    s->have_desc = false;
    s->stat_errors++;
    if (s->chanctrl & IOAT_CHANCTRL_ERR_COMPLETION_EN) {
        ioat_write_completion(s, (s->completed & IOAT_CHANSTS_ADDR_MASK) |
                              IOAT_CHANSTS_HALTED, &ok);
    }
    if ((s->chanctrl & IOAT_CHANCTRL_ERR_INT_EN) && !(err & s->chanerr_mask)) {
        ioat_event(s);
    }
}

static void ioat_finish_desc(IOATState *s)
{
    bool ok;

    s->completed = s->cur;
    s->cur = s->d_next;
    s->count++;
    s->have_desc = false;
    s->stat_descs++;
    if (s->count == s->dmacount) {
        s->state = IOAT_CHANSTS_IDLE;
    }
    if (s->d_ctl & IOAT_DESC_COMPL_WRITE) {
        ioat_write_completion(s, (s->completed & IOAT_CHANSTS_ADDR_MASK) | s->state, &ok);
        if (!ok) {
            qemu_log_mask(LOG_GUEST_ERROR, "ioat: completion write to 0x%" PRIx64
                          " failed\n", s->chancmp);
            ioat_halt(s, IOAT_CHANERR_COMPLETION_ADDR);
            return;
        }
    }
    if (s->d_ctl & IOAT_DESC_INT_EN) {
        ioat_event(s);
    }
}

/* Whether fault injection fails the n'th data descriptor (counted from 1). */
static bool ioat_inject_due(IOATState *s, uint64_t n)
{
    return (s->fail_nth && n == s->fail_nth) ||
           (s->fail_every && n % s->fail_every == 0);
}

static bool ioat_inject_fault(IOATState *s)
{
    if (ioat_inject_due(s, ++s->data_descs)) {
        s->stat_injected++;
        return true;
    }
    return false;
}

/*
 * The CHANERR bit a descriptor's own fields earn it, 0 if none: a size of 0,
 * an operation the device does not do, a source or destination range that
 * wraps around. A NULL descriptor moves nothing, so only its size counts.
 */
static uint32_t ioat_desc_check(IOATState *s, uint32_t size, uint32_t ctl,
                                uint64_t src, uint64_t dst)
{
    uint32_t op = IOAT_DESC_OP(ctl);

    if (!size) {
        return IOAT_CHANERR_DESC_LENGTH;
    }
    if (ctl & IOAT_DESC_NULL) {
        return 0;
    }
    if (op != IOAT_OP_COPY && !(op == IOAT_OP_FILL && s->fill)) {
        return IOAT_CHANERR_DESC_CONTROL;
    }
    if (op == IOAT_OP_COPY && src + size < src) {
        return IOAT_CHANERR_READ_DATA;
    }
    if (dst + size < dst) {
        return IOAT_CHANERR_WRITE_DATA;
    }
    return 0;
}

/*
 * Read the descriptor at s->cur. When several are valid, read up to
 * IOAT_PREFETCH of them (not crossing a page) in one go, as hardware
 * prefetches; later ones are taken from there if the chain is contiguous.
 */
static bool ioat_read_desc(IOATState *s, struct ioat_desc *d)
{
    uint32_t valid = (uint16_t)(s->dmacount - s->count);
    uint32_t n;

    if (ioat_pf_has(s, s->pf_next, s->cur)) {
        memcpy(d, s->pf + s->pf_next * IOAT_DESC_SIZE, IOAT_DESC_FETCH);
        s->pf_next++;
        return true;
    }
    s->pf_count = 0;
    n = MIN(valid, IOAT_PREFETCH);
    n = MIN(n, (4096 - (s->cur & 4095)) / IOAT_DESC_SIZE);
    if (n > 1 &&
        dmacopy_pci_dma_read(PCI_DEVICE(s), s->cur, s->pf,
                             n * IOAT_DESC_SIZE) == MEMTX_OK) {
        s->pf_addr = s->cur;
        s->pf_count = n;
        s->pf_next = 1;
        memcpy(d, s->pf, IOAT_DESC_FETCH);
        return true;
    }
    return dmacopy_pci_dma_read(PCI_DEVICE(s), s->cur, d, IOAT_DESC_FETCH) == MEMTX_OK;
}

/* Fetch and check the descriptor at s->cur; false if the channel halted. */
static bool ioat_fetch_desc(IOATState *s)
{
    struct ioat_desc d;
    uint32_t err;

    if (s->cur & (IOAT_DESC_SIZE - 1)) {
        qemu_log_mask(LOG_GUEST_ERROR, "ioat: misaligned descriptor 0x%" PRIx64 "\n",
                      s->cur);
        ioat_halt(s, s->count ? IOAT_CHANERR_NEXT_DESC_ALIGN :
                  IOAT_CHANERR_CHAIN_ADDR_VALUE);
        return false;
    }
    if (!ioat_read_desc(s, &d)) {
        qemu_log_mask(LOG_GUEST_ERROR, "ioat: descriptor read at 0x%" PRIx64
                      " failed\n", s->cur);
        ioat_halt(s, IOAT_CHANERR_READ_DATA);
        return false;
    }
    s->d_size = le32_to_cpu(d.size);
    s->d_ctl = le32_to_cpu(d.ctl);
    s->d_src = le64_to_cpu(d.src);
    s->d_dst = le64_to_cpu(d.dst);
    s->d_next = le64_to_cpu(d.next);
    s->d_done = 0;

    err = ioat_desc_check(s, s->d_size, s->d_ctl, s->d_src, s->d_dst);
    if (err) {
        qemu_log_mask(LOG_GUEST_ERROR, "ioat: descriptor 0x%" PRIx64 " (size %u,"
                      " control 0x%x) refused: CHANERR 0x%x\n", s->cur,
                      s->d_size, s->d_ctl, err);
        ioat_halt(s, err);
        return false;
    }
    if (s->d_ctl & IOAT_DESC_NULL) {
        s->have_desc = true;
        return true;
    }
    if (ioat_inject_fault(s)) {
        ioat_halt(s, s->fail_err);
        return false;
    }
    s->have_desc = true;
    return true;
}

/* Move len bytes of the current data descriptor; false if the channel halted. */
static bool ioat_move(IOATState *s, uint32_t len)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint64_t dst = s->d_dst + s->d_done;

    if (IOAT_DESC_OP(s->d_ctl) == IOAT_OP_FILL) {
        /* byte j of the destination is byte j % 8 of the pattern */
        uint8_t pat[8];
        uint32_t i, done;

        stq_le_p(pat, s->d_src);
        for (i = 0; i < MIN(len, 8); i++) {
            s->bounce[i] = pat[(s->d_done + i) & 7];
        }
        for (done = i; done < len; done += i) {
            i = MIN(done, len - done);
            memcpy(s->bounce + done, s->bounce, i);
        }
    } else if (dmacopy_pci_dma_read(pdev, s->d_src + s->d_done, s->bounce,
                                    len) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR, "ioat: read of 0x%" PRIx64 "+%u failed\n",
                      s->d_src + s->d_done, len);
        ioat_halt(s, IOAT_CHANERR_READ_DATA);
        return false;
    }
    if (dmacopy_pci_dma_write(pdev, dst, s->bounce, len) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR, "ioat: write of 0x%" PRIx64 "+%u failed\n",
                      dst, len);
        ioat_halt(s, IOAT_CHANERR_WRITE_DATA);
        return false;
    }
    s->d_done += len;
    s->stat_bytes += len;
    return true;
}

/* ------------------------------------------------------------------------ */
/* The worker thread                                                        */

static void ioat_job_run(IOATJob *j)
{
    uint32_t i;

    for (i = 0; i < j->nseg; i++) {
        IOATSeg *g = &j->seg[i];

        if (g->src) {
            memmove(g->dst, g->src, g->len);    /* overlap: undefined, but no harm */
        } else {
            uint64_t k, n = MIN(g->len, 8);

            for (k = 0; k < n; k++) {
                g->dst[k] = g->pat[(g->phase + k) & 7];
            }
            for (; k < g->len; k += n) {
                n = MIN(k, g->len - k);
                memcpy(g->dst + k, g->dst, n);
            }
        }
    }
}

static void *ioat_worker_fn(void *opaque)
{
    IOATState *s = opaque;

    qemu_mutex_lock(&s->job_lock);
    for (;;) {
        while (!s->job_queued && !s->worker_quit) {
            qemu_cond_wait(&s->job_cond, &s->job_lock);
        }
        if (s->worker_quit) {
            break;
        }
        qemu_mutex_unlock(&s->job_lock);
        ioat_job_run(s->job);
        qemu_mutex_lock(&s->job_lock);
        s->job_queued = false;
        s->job_done = true;
        qemu_cond_broadcast(&s->job_cond);
        qemu_bh_schedule(s->job_bh);
    }
    qemu_mutex_unlock(&s->job_lock);
    return NULL;
}

/*
 * Give back the mappings of the job's pieces from the first'th on, the
 * destinations as written (moved) or untouched, and take their bytes off the
 * job's count.
 */
static void ioat_job_unmap(IOATState *s, uint32_t first, bool moved)
{
    AddressSpace *as = pci_get_address_space(PCI_DEVICE(s));
    IOATJob *j = s->job;
    uint32_t i;

    for (i = first; i < j->nseg; i++) {
        address_space_unmap(as, j->seg[i].dst, j->seg[i].len, true,
                            moved ? j->seg[i].len : 0);
        if (j->seg[i].src) {
            address_space_unmap(as, j->seg[i].src, j->seg[i].len, false, 0);
        }
        j->bytes -= j->seg[i].len;
    }
    j->nseg = first;
}

/*
 * Map bytes [off, off + len) of a COPY from src to dst (fill: src is the
 * pattern) into the job's pieces, at most its room and IOAT_JOB_BYTES in
 * all; the bytes mapped (fewer where guest RAM ends or a translation fails).
 */
static uint64_t ioat_job_map(IOATState *s, bool fill, uint64_t src, uint64_t dst,
                             uint64_t off, uint64_t len)
{
    AddressSpace *as = pci_get_address_space(PCI_DEVICE(s));
    IOATJob *j = s->job;
    uint64_t done = 0;

    len = MIN(len, IOAT_JOB_BYTES - j->bytes);
    while (done < len && j->nseg < IOAT_JOB_SEGS) {
        dma_addr_t n = len - done, m;
        uint8_t *sp = NULL, *dp;
        IOATSeg *g;

        if (!fill) {
            sp = dmacopy_dma_map(as, src + off + done, &n, false);
            if (!sp) {
                break;
            }
        }
        m = n;
        dp = dmacopy_dma_map(as, dst + off + done, &m, true);
        if (!dp) {
            if (sp) {
                address_space_unmap(as, sp, n, false, 0);
            }
            break;
        }
        g = &j->seg[j->nseg++];
        *g = (IOATSeg){ .dst = dp, .src = sp, .len = m,
                        .phase = (uint32_t)((off + done) & 7) };
        stq_le_p(g->pat, src);
        done += m;
        j->bytes += m;
    }
    return done;
}

/*
 * The data descriptor k places after the current one, at addr, if it is one
 * a job may move whole: readable, a COPY (or FILL where the device fills) of
 * a valid range, and not one fault injection is due to fail. Reading it has
 * no effect: ioat_job_reap() makes it the current one once it is moved.
 */
static bool ioat_job_peek(IOATState *s, uint64_t addr, uint32_t k, IOATJobDesc *m,
                          uint32_t *pfi)
{
    struct ioat_desc d;

    if (addr & (IOAT_DESC_SIZE - 1)) {
        return false;
    }
    /* the read-ahead copies as ioat_read_desc() takes them: in order only */
    if (ioat_pf_has(s, *pfi, addr)) {
        memcpy(&d, s->pf + *pfi * IOAT_DESC_SIZE, IOAT_DESC_FETCH);
        (*pfi)++;
    } else {
        *pfi = UINT32_MAX;      /* off the read-ahead: not back on it in this job */
        if (dmacopy_pci_dma_read(PCI_DEVICE(s), addr, &d,
                                 IOAT_DESC_FETCH) != MEMTX_OK) {
            return false;
        }
    }
    *m = (IOATJobDesc){ .addr = addr, .size = le32_to_cpu(d.size),
                        .ctl = le32_to_cpu(d.ctl), .src = le64_to_cpu(d.src),
                        .dst = le64_to_cpu(d.dst), .next = le64_to_cpu(d.next) };
    /* anything else ioat_fetch_desc() deals with in its turn */
    return !(m->ctl & IOAT_DESC_NULL) &&
           !ioat_desc_check(s, m->size, m->ctl, m->src, m->dst) &&
           !ioat_inject_due(s, s->data_descs + k);
}

/*
 * Hand the worker what of the current descriptor is guest RAM, from d_done
 * on, and the whole descriptors after it that fit (big lock held); false if
 * not even the current one's first byte is guest RAM (the slices then take it
 * and report the fault).
 */
static bool ioat_job_start(IOATState *s)
{
    bool fill = IOAT_DESC_OP(s->d_ctl) == IOAT_OP_FILL;
    uint32_t valid = (uint16_t)(s->dmacount - s->count), pfi = s->pf_next;
    IOATJob *j = s->job;
    uint64_t next = s->d_next;

    j->nseg = 0;
    j->nmore = 0;
    j->bytes = 0;
    smp_mb();   /* as dma_barrier(): the guest's writes before the doorbell first */
    j->first_bytes = ioat_job_map(s, fill, s->d_src, s->d_dst, s->d_done,
                                  s->d_size - s->d_done);
    if (!j->nseg) {
        return false;
    }
    /*
     * The descriptors after it, whole, while they are valid and fit; none if
     * the completion word could not be written (the channel would halt at
     * the current one, and the rest must not have moved).
     */
    if (s->chancmp &&
        dmacopy_dma_ram_len(pci_get_address_space(PCI_DEVICE(s)),
                            s->chancmp & ~(uint64_t)7, 8, true) != 8) {
        valid = 0;
    }
    while (s->d_done + j->first_bytes == s->d_size && j->nmore < IOAT_JOB_DESCS &&
           j->nmore + 1 < valid && j->bytes < IOAT_JOB_BYTES) {
        IOATJobDesc *m = &j->more[j->nmore];
        uint32_t first = j->nseg;

        if (!ioat_job_peek(s, next, j->nmore + 1, m, &pfi)) {
            break;
        }
        if (ioat_job_map(s, IOAT_DESC_OP(m->ctl) == IOAT_OP_FILL, m->src, m->dst, 0,
                         m->size) != m->size) {
            ioat_job_unmap(s, first, false);
            break;
        }
        j->nmore++;
        next = m->next;
    }
    s->job_active = true;
    s->stat_worker_jobs++;
    qemu_mutex_lock(&s->job_lock);
    s->job_done = false;
    s->job_queued = true;
    qemu_cond_broadcast(&s->job_cond);
    qemu_mutex_unlock(&s->job_lock);
    return true;
}

/*
 * Wait for the worker's job, if one is out, and take it back: the mappings
 * are released (the written ones marked dirty, translated code on them
 * dropped) and the descriptor's progress counted (big lock held).
 */
static void ioat_job_reap_as(IOATState *s, bool finish)
{
    IOATJob *j = s->job;
    uint32_t i;

    if (!s->job_active) {
        return;
    }
    qemu_mutex_lock(&s->job_lock);
    while (!s->job_done) {
        qemu_cond_wait(&s->job_cond, &s->job_lock);
    }
    s->job_done = false;
    qemu_mutex_unlock(&s->job_lock);
    s->job_active = false;
    s->stat_worker_bytes += j->bytes;
    s->stat_bytes += j->bytes;
    ioat_job_unmap(s, 0, true);
    if (!s->have_desc || !finish) {
        j->nmore = 0;
        return;
    }
    s->d_done += j->first_bytes;
    /*
     * The whole descriptors after it are done too: finish each one before it
     * in order (completion write, interrupt) and make it the current one, as
     * ioat_fetch_desc() would have; ioat_process() finishes the last.
     */
    for (i = 0; i < j->nmore && s->state == IOAT_CHANSTS_ACTIVE; i++) {
        IOATJobDesc *m = &j->more[i];

        ioat_finish_desc(s);
        if (s->state != IOAT_CHANSTS_ACTIVE) {
            /*
             * Halted on a completion write that failed after all, or IDLE
             * as the guest lowered DMACOUNT meanwhile (a guest error): the
             * rest has moved but is not reported.
             */
            break;
        }
        s->pf_next += ioat_pf_has(s, s->pf_next, s->cur);
        s->data_descs++;
        s->d_size = m->size;
        s->d_ctl = m->ctl;
        s->d_src = m->src;
        s->d_dst = m->dst;
        s->d_next = m->next;
        s->d_done = m->size;
        s->have_desc = true;
    }
    j->nmore = 0;
}

static void ioat_job_reap(IOATState *s)
{
    ioat_job_reap_as(s, true);
}

/* As ioat_job_reap(), but what it moved past the current descriptor goes unreported. */
static void ioat_job_drop(IOATState *s)
{
    ioat_job_reap_as(s, false);
}

static void ioat_bh(void *opaque);

/* The worker is done: carry on with the chain at once (as the bottom half does). */
static void ioat_job_bh(void *opaque)
{
    IOATState *s = opaque;
    bool done;

    if (!s->job_active) {
        return;         /* already taken back by a waiting command */
    }
    qemu_mutex_lock(&s->job_lock);
    done = s->job_done;
    qemu_mutex_unlock(&s->job_lock);
    if (!done) {
        return;
    }
    ioat_job_reap(s);
    if (s->state == IOAT_CHANSTS_ACTIVE) {
        ioat_bh(s);
    }
}

/* More to do: the next slice now, or after a pause if the device hogged the loop. */
static void ioat_continue(IOATState *s)
{
    if (qemu_clock_get_ns(QEMU_CLOCK_REALTIME) - s->busy_since < IOAT_BUSY_NS) {
        qemu_bh_schedule(s->bh);
        return;
    }
    /*
     * An immediately rescheduled bottom half keeps the main loop from
     * sleeping, and the vCPUs rarely win the big lock back from it.
     */
    s->busy_since = 0;
    timer_mod(s->yield_timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + IOAT_YIELD_NS);
}

/*
 * Work on the chain for at most bytes and descs; the state stays ACTIVE if
 * more is left.
 */
static void ioat_process(IOATState *s, uint64_t bytes, uint32_t descs)
{
    s->in_dma = true;
    while (s->state == IOAT_CHANSTS_ACTIVE && !s->job_active) {
        if (s->count == s->dmacount) {
            s->state = IOAT_CHANSTS_IDLE;
            break;
        }
        if (!descs || !bytes) {
            break;
        }
        if (!s->have_desc && !ioat_fetch_desc(s)) {
            break;
        }
        if (!(s->d_ctl & IOAT_DESC_NULL)) {
            uint32_t len = MIN(s->d_size - s->d_done, IOAT_BOUNCE_SIZE);

            if (s->workers && s->d_size - s->d_done >= s->worker_bytes &&
                ioat_job_start(s)) {
                break;  /* ioat_job_bh() carries on when the worker is done */
            }
            len = MIN(len, bytes);
            if (!ioat_move(s, len)) {
                break;
            }
            bytes -= len;
            if (s->d_done < s->d_size) {
                continue;
            }
        }
        ioat_finish_desc(s);
        descs--;
    }
    s->in_dma = false;
}

static void ioat_bh(void *opaque)
{
    IOATState *s = opaque;

    if (!runstate_is_running()) {
        return;         /* ioat_vm_state_change() restarts it */
    }
    if (!s->busy_since) {
        s->busy_since = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    }
    ioat_process(s, s->slice_bytes, s->slice_descs);
    if (s->job_active) {
        s->busy_since = 0;      /* the worker has it; the main loop is free */
    } else if (s->state == IOAT_CHANSTS_ACTIVE) {
        ioat_continue(s);
    } else {
        s->busy_since = 0;
    }
}

static void ioat_vm_state_change(void *opaque, bool running, RunState state)
{
    IOATState *s = opaque;

    if (running) {
        ioat_raise(s);          /* an event while the VM was stopped */
        if (s->state == IOAT_CHANSTS_ACTIVE) {
            qemu_bh_schedule(s->bh);
        }
    } else {
        /*
         * Nothing moves while the VM is stopped: a migration or snapshot
         * saves RAM right after this, before any device's pre_save, so
         * what the worker wrote must be done and marked dirty by then.
         */
        ioat_job_reap(s);
    }
}

/* ------------------------------------------------------------------------ */
/* Channel commands and state                                                */

static void ioat_chan_reset(IOATState *s)
{
    ioat_job_drop(s);       /* a reset reports nothing more */
    qemu_bh_cancel(s->bh);
    timer_del(s->yield_timer);
    s->busy_since = 0;
    s->state = IOAT_CHANSTS_HALTED;
    s->started = false;
    s->dmacount = 0;
    s->count = 0;
    s->chainaddr = 0;
    s->completed = 0;
    s->cur = 0;
    s->chanerr = 0;
    s->have_desc = false;
    s->pf_count = 0;
    s->pending = false;
    s->attnstatus &= ~1u;
}

static void ioat_kick(IOATState *s)
{
    if (s->count != s->dmacount) {
        s->state = IOAT_CHANSTS_ACTIVE;
        s->started = true;
        /*
         * A small batch is done at once, in the vCPU that rang the
         * doorbell, as fast hardware would be: waking the main loop
         * costs more than the copy. The rest goes to the bottom half.
         */
        if (s->inline_bytes && s->inline_descs && runstate_is_running()) {
            ioat_process(s, s->inline_bytes, s->inline_descs);
            if (s->state != IOAT_CHANSTS_ACTIVE) {
                return;
            }
        }
        qemu_bh_schedule(s->bh);
    }
}

static void ioat_doorbell(IOATState *s, uint16_t dmacount)
{
    s->dmacount = dmacount;
    switch (s->state) {
    case IOAT_CHANSTS_ARMED:
    case IOAT_CHANSTS_IDLE:
    case IOAT_CHANSTS_ACTIVE:
        ioat_kick(s);
        break;
    default:
        /* SUSPENDED or HALTED: only remember the count */
        break;
    }
}

static void ioat_set_chainaddr(IOATState *s, uint64_t addr)
{
    s->chainaddr = addr;
    if (s->state == IOAT_CHANSTS_ACTIVE) {
        qemu_log_mask(LOG_GUEST_ERROR, "ioat: CHAINADDR written while active\n");
        return;
    }
    s->state = IOAT_CHANSTS_ARMED;
    s->started = false;
    s->count = 0;
    s->cur = addr;
    s->completed = 0;
    s->have_desc = false;
    s->pf_count = 0;
}

static void ioat_command(IOATState *s, uint8_t cmd)
{
    if (cmd & IOAT_CHANCMD_RESET) {
        ioat_chan_reset(s);
        return;
    }
    if (cmd & IOAT_CHANCMD_SUSPEND) {
        ioat_job_reap(s);       /* SUSPENDED means nothing moves any more */
        if (s->state != IOAT_CHANSTS_HALTED) {
            s->state = IOAT_CHANSTS_SUSPENDED;
        }
    }
    if (cmd & IOAT_CHANCMD_ABORT) {
        ioat_job_reap(s);       /* what the worker has moved is moved */
        s->state = IOAT_CHANSTS_HALTED;
        s->have_desc = false;
    }
    if ((cmd & IOAT_CHANCMD_RESUME) && s->state == IOAT_CHANSTS_SUSPENDED) {
        if (s->started) {
            s->state = IOAT_CHANSTS_IDLE;
            ioat_kick(s);
        } else {
            s->state = IOAT_CHANSTS_ARMED;
        }
    }
    if (cmd & (IOAT_CHANCMD_START | IOAT_CHANCMD_APPEND)) {
        qemu_log_mask(LOG_UNIMP, "ioat: CHANCMD START/APPEND (pre-CB3) ignored\n");
    }
}

/* ------------------------------------------------------------------------ */
/* Register access                                                          */

typedef enum IOATReg {
    REG_GENCTRL, REG_INTRCTRL, REG_INTRDELAY,
    REG_CHANCTRL, REG_CHANCMD, REG_DMACOUNT, REG_CHAINADDR, REG_CHANCMP,
    REG_CHANERR, REG_CHANERR_MASK, REG_DCACTRL,
} IOATReg;

typedef struct IOATWritableReg {
    uint16_t offset;
    uint8_t width;
    uint8_t id;         /* IOATReg */
} IOATWritableReg;

/* Writable registers; everything else reads as defined and ignores writes. */
static const IOATWritableReg ioat_wregs[] = {
    { IOAT_GENCTRL_OFFSET, 1, REG_GENCTRL },
    { IOAT_INTRCTRL_OFFSET, 1, REG_INTRCTRL },
    { IOAT_INTRDELAY_OFFSET, 2, REG_INTRDELAY },
    { IOAT_CHAN0 + IOAT_CHANCTRL_OFFSET, 2, REG_CHANCTRL },
    { IOAT_CHAN0 + IOAT_CHANCMD_OFFSET, 1, REG_CHANCMD },
    { IOAT_CHAN0 + IOAT_DMACOUNT_OFFSET, 2, REG_DMACOUNT },
    { IOAT_CHAN0 + IOAT_CHAINADDR_OFFSET, 8, REG_CHAINADDR },
    { IOAT_CHAN0 + IOAT_CHANCMP_OFFSET, 8, REG_CHANCMP },
    { IOAT_CHAN0 + IOAT_CHANERR_OFFSET, 4, REG_CHANERR },
    { IOAT_CHAN0 + IOAT_CHANERR_MASK_OFFSET, 4, REG_CHANERR_MASK },
    { IOAT_CHAN0 + IOAT_DCACTRL_OFFSET, 4, REG_DCACTRL },
};

static inline uint64_t merge(uint64_t old, uint64_t val, uint64_t mask)
{
    return (old & ~mask) | (val & mask);
}

/* Write the bytes of register r selected by mask (val and mask register-aligned). */
static void ioat_reg_write(IOATState *s, unsigned r, uint64_t val, uint64_t mask)
{
    switch (r) {
    case REG_GENCTRL:
        s->genctrl = val;
        break;
    case REG_INTRCTRL:
        /* Writing INTRCTRL acknowledges: it clears ATTNSTATUS and drops INTx. */
        s->intrctrl = val & (IOAT_INTRCTRL_MASTER_INT_EN |
                             IOAT_INTRCTRL_MSIX_VECTOR_CONTROL);
        s->attnstatus = 0;
        ioat_set_intx(s, false);
        ioat_raise(s);
        break;
    case REG_INTRDELAY:
        s->intrdelay = merge(s->intrdelay, val, mask) & 0x3fff;
        break;
    case REG_CHANCTRL:
        s->chanctrl = merge(s->chanctrl, val, mask) &
                      ~(IOAT_CHANCTRL_INT_REARM | IOAT_CHANCTRL_IN_USE);
        if (val & mask & IOAT_CHANCTRL_INT_REARM) {
            ioat_rearm(s);
        }
        break;
    case REG_CHANCMD:
        ioat_command(s, val);
        break;
    case REG_DMACOUNT:
        ioat_doorbell(s, merge(s->dmacount, val, mask));
        break;
    case REG_CHAINADDR:
        ioat_set_chainaddr(s, merge(s->chainaddr, val, mask));
        break;
    case REG_CHANCMP:
        s->chancmp = merge(s->chancmp, val, mask);
        break;
    case REG_CHANERR:
        s->chanerr &= ~(val & mask);
        break;
    case REG_CHANERR_MASK:
        s->chanerr_mask = merge(s->chanerr_mask, val, mask);
        break;
    case REG_DCACTRL:
        s->dcactrl = merge(s->dcactrl, val, mask);
        break;
    }
}

/* The 8-byte aligned quadword of register space at offset q, read side. */
static uint64_t ioat_read_quad(IOATState *s, hwaddr q)
{
    uint8_t intrctrl;

    switch (q) {
    case 0x00:
        intrctrl = s->intrctrl;
        if (s->attnstatus) {
            intrctrl |= IOAT_INTRCTRL_INT_STATUS;
            if (s->intrctrl & IOAT_INTRCTRL_MASTER_INT_EN) {
                intrctrl |= IOAT_INTRCTRL_INT;
            }
        }
        return 1 | (uint64_t)s->xfercap << 8 | (uint64_t)s->genctrl << 16 |
               (uint64_t)intrctrl << 24 | (uint64_t)s->attnstatus << 32;
    case 0x08:
        return IOAT_VERSION | (uint64_t)s->intrdelay << 32;
    case 0x10:
        return s->fill ? IOAT_CAP_FILL_BLOCK : 0;       /* DCAOFFSET 0: no DCA */
    case IOAT_CHAN0 + IOAT_CHANCTRL_OFFSET:
        return s->chanctrl | (uint64_t)s->dmacount << 48;
    case IOAT_CHAN0 + IOAT_CHANSTS_OFFSET:
        return (s->completed & IOAT_CHANSTS_ADDR_MASK) | s->state;
    case IOAT_CHAN0 + IOAT_CHAINADDR_OFFSET:
        return s->chainaddr;
    case IOAT_CHAN0 + IOAT_CHANCMP_OFFSET:
        return s->chancmp;
    case IOAT_CHAN0 + IOAT_CDAR_OFFSET:
        return s->cur;
    case IOAT_CHAN0 + IOAT_CHANERR_OFFSET:
        return s->chanerr | (uint64_t)s->chanerr_mask << 32;
    case IOAT_CHAN0 + IOAT_DCACTRL_OFFSET:
        return s->dcactrl;
    default:
        return 0;
    }
}

static uint64_t size_mask(unsigned size)
{
    return size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static uint64_t ioat_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    IOATState *s = opaque;

    if (s->in_dma) {
        qemu_log_mask(LOG_GUEST_ERROR, "ioat: DMA read of its own registers\n");
        return 0;
    }
    return (ioat_read_quad(s, addr & ~7ULL) >> ((addr & 7) * 8)) & size_mask(size);
}

static void ioat_mmio_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    IOATState *s = opaque;
    hwaddr end = addr + size;
    unsigned i;
    bool hit = false;

    if (s->in_dma) {
        qemu_log_mask(LOG_GUEST_ERROR, "ioat: DMA write to its own registers ignored\n");
        return;
    }
    for (i = 0; i < ARRAY_SIZE(ioat_wregs); i++) {
        const IOATWritableReg *w = &ioat_wregs[i];
        hwaddr lo = MAX(addr, w->offset);
        hwaddr hi = MIN(end, (hwaddr)w->offset + w->width);
        uint64_t part;

        if (lo >= hi) {
            continue;
        }
        hit = true;
        part = (val >> ((lo - addr) * 8)) & size_mask(hi - lo);
        ioat_reg_write(s, w->id, part << ((lo - w->offset) * 8),
                       size_mask(hi - lo) << ((lo - w->offset) * 8));
    }
    if (!hit) {
        qemu_log_mask(LOG_GUEST_ERROR, "ioat: write of 0x%" PRIx64 " to read-only or "
                      "reserved offset 0x%" HWADDR_PRIx "\n", val, addr);
    }
}

static const MemoryRegionOps ioat_mmio_ops = {
    .read = ioat_mmio_read,
    .write = ioat_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 8 },
};

/* ------------------------------------------------------------------------ */
/* Device                                                                   */

static void ioat_reset(DeviceState *dev)
{
    IOATState *s = IOAT(dev);

    ioat_chan_reset(s);
    s->genctrl = 0;
    s->intrctrl = 0;
    s->intrdelay = 0;
    s->attnstatus = 0;
    s->chanctrl = 0;
    s->chancmp = 0;
    s->chanerr_mask = 0;
    s->dcactrl = 0;
    s->armed = false;
    s->pending = false;
    ioat_set_intx(s, false);
}

static int ioat_pre_save(void *opaque)
{
    ioat_job_reap(opaque);      /* the descriptor's progress is then all in d_done */
    return 0;
}

static int ioat_post_load(void *opaque, int version_id)
{
    IOATState *s = opaque;

    if (s->state > IOAT_CHANSTS_ARMED || s->d_done > s->d_size) {
        return -EINVAL;
    }
    s->pf_count = 0;
    pci_set_irq(PCI_DEVICE(s), s->intx);
    if (s->state == IOAT_CHANSTS_ACTIVE) {
        qemu_bh_schedule(s->bh);
    }
    return 0;
}

static void ioat_realize(PCIDevice *pdev, Error **errp)
{
    IOATState *s = IOAT(pdev);
    Error *err = NULL;
    int rc;

    if (s->xfercap < 12 || s->xfercap > 30) {
        error_setg(errp, "ioat: xfercap must be between 12 and 30 (log2 bytes)");
        return;
    }
    if (!s->fail_op || !strcmp(s->fail_op, "read")) {
        s->fail_err = IOAT_CHANERR_READ_DATA;
    } else if (!strcmp(s->fail_op, "write")) {
        s->fail_err = IOAT_CHANERR_WRITE_DATA;
    } else {
        error_setg(errp, "ioat: fail-op must be 'read' or 'write'");
        return;
    }
    if (!s->slice_bytes || !s->slice_descs) {
        error_setg(errp, "ioat: slice-bytes and slice-descs must be non-zero");
        return;
    }

    pci_config_set_interrupt_pin(pdev->config, 1);
    memory_region_init(&s->bar, OBJECT(s), "ioat-bar0", IOAT_BAR_SIZE);
    memory_region_init_io(&s->regs, OBJECT(s), &ioat_mmio_ops, s, "ioat-regs",
                          IOAT_REGS_SIZE);
    memory_region_add_subregion(&s->bar, 0, &s->regs);
    pci_register_bar(pdev, IOAT_BAR_MMIO,
                     PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->bar);

    if (s->use_msix) {
        rc = msix_init(pdev, 1, &s->bar, IOAT_BAR_MMIO, IOAT_MSIX_TABLE_OFFSET,
                       &s->bar, IOAT_BAR_MMIO, IOAT_MSIX_PBA_OFFSET, 0, &err);
        if (rc == -ENOTSUP) {
            error_free(err);        /* no MSI on this machine: MSI/INTx remain */
            err = NULL;
        } else if (rc) {
            error_propagate(errp, err);
            return;
        } else {
            msix_vector_use(pdev, 0);
        }
    }
    if (s->use_msi) {
        rc = msi_init(pdev, 0, 1, true, false, &err);
        if (rc == -ENOTSUP) {
            error_free(err);
            err = NULL;
        } else if (rc) {
            error_propagate(errp, err);
            if (msix_present(pdev)) {
                msix_uninit(pdev, &s->bar, &s->bar);
            }
            return;
        }
    }

    s->bounce = g_malloc(IOAT_BOUNCE_SIZE);
    s->bh = qemu_bh_new_guarded(ioat_bh, s, &DEVICE(s)->mem_reentrancy_guard);
    s->yield_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, ioat_bh, s);
    s->vmstate_change = qemu_add_vm_change_state_handler(ioat_vm_state_change, s);
    s->state = IOAT_CHANSTS_HALTED;
    if (s->workers) {
        s->job = g_new0(IOATJob, 1);
        qemu_mutex_init(&s->job_lock);
        qemu_cond_init(&s->job_cond);
        s->job_bh = qemu_bh_new_guarded(ioat_job_bh, s, &DEVICE(s)->mem_reentrancy_guard);
        qemu_thread_create(&s->worker, "ioat-worker", ioat_worker_fn, s,
                           QEMU_THREAD_JOINABLE);
        s->worker_started = true;
    }
}

static void ioat_exit(PCIDevice *pdev)
{
    IOATState *s = IOAT(pdev);

    if (s->worker_started) {
        ioat_job_drop(s);
        qemu_mutex_lock(&s->job_lock);
        s->worker_quit = true;
        qemu_cond_broadcast(&s->job_cond);
        qemu_mutex_unlock(&s->job_lock);
        qemu_thread_join(&s->worker);
        s->worker_started = false;
        qemu_bh_delete(s->job_bh);
        s->job_bh = NULL;
        qemu_cond_destroy(&s->job_cond);
        qemu_mutex_destroy(&s->job_lock);
        g_free(s->job);
        s->job = NULL;
    }
    qemu_del_vm_change_state_handler(s->vmstate_change);
    timer_del(s->yield_timer);
    qemu_bh_delete(s->bh);
    s->bh = NULL;
    if (msix_present(pdev)) {
        msix_uninit(pdev, &s->bar, &s->bar);
    }
    msi_uninit(pdev);
}

/* The timer and the buffer outlive unrealize: freed with the last reference. */
static void ioat_instance_finalize(Object *obj)
{
    IOATState *s = IOAT(obj);

    timer_free(s->yield_timer);
    s->yield_timer = NULL;
    g_free(s->bounce);
    s->bounce = NULL;
}

static char *ioat_get_stats(Object *obj, Error **errp)
{
    IOATState *s = IOAT(obj);

    return g_strdup_printf("state=%s count=%u dmacount=%u chanerr=0x%x "
                           "descriptors=%" PRIu64 " bytes=%" PRIu64 " errors=%" PRIu64
                           " injected=%" PRIu64 " interrupts=%" PRIu64
                           " worker-jobs=%" PRIu64 " worker-bytes=%" PRIu64,
                           ioat_state_name[s->state], s->count, s->dmacount, s->chanerr,
                           s->stat_descs, s->stat_bytes, s->stat_errors,
                           s->stat_injected, s->stat_irqs, s->stat_worker_jobs,
                           s->stat_worker_bytes);
}

static void ioat_instance_init(Object *obj)
{
    IOATState *s = IOAT(obj);

    object_property_add_uint64_ptr(obj, "stat-descriptors", &s->stat_descs,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "stat-bytes", &s->stat_bytes, OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "stat-errors", &s->stat_errors,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "stat-injected", &s->stat_injected,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "stat-interrupts", &s->stat_irqs,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "stat-worker-jobs", &s->stat_worker_jobs,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "stat-worker-bytes", &s->stat_worker_bytes,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_str(obj, "stats", ioat_get_stats, NULL);
}

static const VMStateDescription vmstate_ioat = {
    .name = TYPE_IOAT,
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = ioat_pre_save,
    .post_load = ioat_post_load,
    .fields = (VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, IOATState),
        VMSTATE_MSIX(parent_obj, IOATState),
        VMSTATE_UINT8(genctrl, IOATState),
        VMSTATE_UINT8(intrctrl, IOATState),
        VMSTATE_UINT16(intrdelay, IOATState),
        VMSTATE_UINT32(attnstatus, IOATState),
        VMSTATE_UINT16(chanctrl, IOATState),
        VMSTATE_UINT16(dmacount, IOATState),
        VMSTATE_UINT16(count, IOATState),
        VMSTATE_UINT8(state, IOATState),
        VMSTATE_BOOL(started, IOATState),
        VMSTATE_UINT64(chainaddr, IOATState),
        VMSTATE_UINT64(chancmp, IOATState),
        VMSTATE_UINT64(completed, IOATState),
        VMSTATE_UINT64(cur, IOATState),
        VMSTATE_UINT32(chanerr, IOATState),
        VMSTATE_UINT32(chanerr_mask, IOATState),
        VMSTATE_UINT32(dcactrl, IOATState),
        VMSTATE_BOOL(have_desc, IOATState),
        VMSTATE_UINT32(d_size, IOATState),
        VMSTATE_UINT32(d_ctl, IOATState),
        VMSTATE_UINT64(d_src, IOATState),
        VMSTATE_UINT64(d_dst, IOATState),
        VMSTATE_UINT64(d_next, IOATState),
        VMSTATE_UINT32(d_done, IOATState),
        VMSTATE_BOOL(armed, IOATState),
        VMSTATE_BOOL(pending, IOATState),
        VMSTATE_BOOL(intx, IOATState),
        VMSTATE_UINT64(stat_descs, IOATState),
        VMSTATE_UINT64(stat_bytes, IOATState),
        VMSTATE_UINT64(stat_errors, IOATState),
        VMSTATE_UINT64(stat_injected, IOATState),
        VMSTATE_UINT64(stat_irqs, IOATState),
        VMSTATE_UINT64(data_descs, IOATState),
        VMSTATE_END_OF_LIST()
    },
};

static Property ioat_properties[] = {
    DEFINE_PROP_UINT8("xfercap", IOATState, xfercap, 20),
    DEFINE_PROP_BOOL("fill", IOATState, fill, true),
    DEFINE_PROP_BOOL("msix", IOATState, use_msix, true),
    DEFINE_PROP_BOOL("msi", IOATState, use_msi, true),
    DEFINE_PROP_UINT32("slice-bytes", IOATState, slice_bytes, 1 * MiB),
    DEFINE_PROP_UINT32("slice-descs", IOATState, slice_descs, 256),
    DEFINE_PROP_UINT32("inline-bytes", IOATState, inline_bytes, 64 * KiB),
    DEFINE_PROP_UINT32("inline-descs", IOATState, inline_descs, 64),
    DEFINE_PROP_BOOL("workers", IOATState, workers, true),
    DEFINE_PROP_UINT32("worker-bytes", IOATState, worker_bytes, 256 * KiB),
    DEFINE_PROP_UINT64("fail-nth", IOATState, fail_nth, 0),
    DEFINE_PROP_UINT64("fail-every", IOATState, fail_every, 0),
    DEFINE_PROP_STRING("fail-op", IOATState, fail_op),
    DEFINE_PROP_END_OF_LIST(),
};

static void ioat_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = ioat_realize;
    k->exit = ioat_exit;
    k->vendor_id = IOAT_PCI_VENDOR_INTEL;
    k->device_id = IOAT_PCI_DEVICE_BDX0;
    k->revision = 0x01;
    k->class_id = IOAT_PCI_CLASS >> 8;
    dc->desc = "Intel I/OAT CB3.3 DMA engine (one channel per function)";
    dc->reset = ioat_reset;
    dc->vmsd = &vmstate_ioat;
    device_class_set_props(dc, ioat_properties);
    object_class_property_set_description(klass, "xfercap",
        "log2 of the largest transfer drivers should put in one descriptor (12-30)");
    object_class_property_set_description(klass, "fill",
        "advertise and execute FILL descriptors");
    object_class_property_set_description(klass, "msix", "offer MSI-X (one vector)");
    object_class_property_set_description(klass, "msi", "offer MSI");
    object_class_property_set_description(klass, "slice-bytes",
        "most bytes moved per bottom-half run");
    object_class_property_set_description(klass, "slice-descs",
        "most descriptors completed per bottom-half run");
    object_class_property_set_description(klass, "inline-bytes",
        "most bytes moved in the doorbell write itself (0: all in the bottom half)");
    object_class_property_set_description(klass, "inline-descs",
        "most descriptors completed in the doorbell write itself");
    object_class_property_set_description(klass, "workers",
        "move large descriptors in a thread of the channel's own, outside the big lock");
    object_class_property_set_description(klass, "worker-bytes",
        "least bytes left in a descriptor for the worker thread to move them");
    object_class_property_set_description(klass, "fail-nth",
        "fail the Nth COPY/FILL descriptor since power-on (0: never)");
    object_class_property_set_description(klass, "fail-every",
        "fail every Nth COPY/FILL descriptor (0: never)");
    object_class_property_set_description(klass, "fail-op",
        "injected fault: 'read' (CHANERR 0x100, default) or 'write' (0x200)");
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo ioat_info = {
    .name = TYPE_IOAT,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(IOATState),
    .instance_init = ioat_instance_init,
    .instance_finalize = ioat_instance_finalize,
    .class_init = ioat_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void ioat_register_types(void)
{
    type_register_static(&ioat_info);
}

type_init(ioat_register_types)

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pcie-testdev: a PCIe endpoint with a small memory-to-memory DMA engine.
 *
 * It exists to test a driver's use of the DMA API, IOMMU behaviour and
 * device-initiated DMA ("aggressive mode"). The register interface is in
 * include/dmacopy/pcie_testdev_spec.h and docs/pcie-testdev.md.
 *
 * Transfers go through the bus-master address space: with bus mastering off
 * or an IOMMU that has no mapping they fail and STATUS says which side
 * failed; so do transfers aimed at anything but guest RAM (configuration
 * space, a device's registers: see hw/dma/dmacopy-dma.h). Work is split into
 * chunks of at most chunk_size bytes: the first runs in the doorbell write,
 * the rest from a timer, so a large transfer never holds a vCPU for long.
 * Aggressive mode copies on its own from a timer, ignoring the bus-master
 * enable bit but still going through the IOMMU
 * (pci_device_iommu_address_space()), as a rogue device behind a real IOMMU
 * would.
 *
 * Nothing the guest writes can abort QEMU: every bad value ends in a STATUS
 * code or is ignored.
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/log-for-trace.h"
#include "qemu/module.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "hw/pci/pci.h"
#include "hw/pci/pcie.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "sysemu/dma.h"
#include "../dma/dmacopy-dma.h"
#include "trace/control.h"
#include "dmacopy/pcie_testdev_spec.h"

#define TYPE_PCIE_TESTDEV "pcie-testdev"
OBJECT_DECLARE_SIMPLE_TYPE(PCIeTestDevState, PCIE_TESTDEV)

/* DMA is issued page by page so a fault is reported at the failing page. */
#define PTD_DMA_PAGE            4096
#define PTD_MAX_SIZE_LIMIT      (64 * MiB)
#define PTD_CHUNK_MAX           (4 * MiB)
#define PTD_CHUNK_DELAY_US_MAX  (10 * 1000 * 1000)
#define PTD_PCIE_CAP_OFFSET     0x80
#define PTD_MSI_CAP_OFFSET      0x50

struct PCIeTestDevState {
    PCIDevice parent_obj;

    MemoryRegion mmio;

    /* Guest-visible registers. */
    uint64_t srcaddr;
    uint64_t dstaddr;
    uint64_t size;
    uint32_t status;
    uint32_t engine;
    uint32_t int_status;
    uint32_t int_enable;
    uint64_t bytes_done;
    uint64_t fault_addr;
    uint64_t xfer_count;
    uint64_t xfer_errors;

    /* The transfer in progress, latched at the doorbell. */
    uint64_t job_src;
    uint64_t job_dst;
    uint64_t job_size;
    QEMUTimer *xfer_timer;
    uint8_t *bounce;

    /* Set while this device issues DMA: its own MMIO then refuses access. */
    bool in_dma;

    /* Aggressive mode: counted since power-on, not cleared by reset. */
    QEMUTimer *aggr_timer;
    uint8_t *aggr_buf;
    uint64_t aggr_attempts;
    uint64_t aggr_successes;
    uint64_t aggr_faults;

    /* Properties. */
    bool aggressive;
    uint64_t aggr_src;
    uint64_t aggr_dst;
    uint64_t aggr_size;
    uint32_t aggr_delay_ms;
    uint64_t max_size;
    uint32_t chunk_size;
    uint32_t chunk_delay_us;
    bool use_msix;
    bool use_msi;
};

/*
 * Trace events. The project's QEMU overlay carries only .c and .h files, so
 * the events are registered here instead of in hw/misc/trace-events; they
 * behave like generated ones with the default "log" backend:
 * -trace 'pcie_testdev_*' or HMP "trace-event pcie_testdev_aggr on".
 */
static uint16_t ptd_ev_xfer_start_dstate;
static uint16_t ptd_ev_xfer_end_dstate;
static uint16_t ptd_ev_aggr_dstate;
static uint16_t ptd_ev_guest_error_dstate;

static TraceEvent ptd_ev_xfer_start = {
    .vcpu_id = TRACE_VCPU_EVENT_NONE,
    .name = "pcie_testdev_xfer_start",
    .sstate = true,
    .dstate = &ptd_ev_xfer_start_dstate,
};
static TraceEvent ptd_ev_xfer_end = {
    .vcpu_id = TRACE_VCPU_EVENT_NONE,
    .name = "pcie_testdev_xfer_end",
    .sstate = true,
    .dstate = &ptd_ev_xfer_end_dstate,
};
static TraceEvent ptd_ev_aggr = {
    .vcpu_id = TRACE_VCPU_EVENT_NONE,
    .name = "pcie_testdev_aggr",
    .sstate = true,
    .dstate = &ptd_ev_aggr_dstate,
};
static TraceEvent ptd_ev_guest_error = {
    .vcpu_id = TRACE_VCPU_EVENT_NONE,
    .name = "pcie_testdev_guest_error",
    .sstate = true,
    .dstate = &ptd_ev_guest_error_dstate,
};

static TraceEvent *ptd_trace_events[] = {
    &ptd_ev_xfer_start,
    &ptd_ev_xfer_end,
    &ptd_ev_aggr,
    &ptd_ev_guest_error,
    NULL,
};

static void ptd_register_trace_events(void)
{
    trace_event_register_group(ptd_trace_events);
}
trace_init(ptd_register_trace_events);

#define PTD_TRACE(ev, fmt, ...)                                            \
    do {                                                                   \
        if (trace_event_get_state_dynamic(&(ev)) &&                        \
            qemu_loglevel_mask(LOG_TRACE)) {                               \
            qemu_log("%s " fmt "\n", (ev).name, ##__VA_ARGS__);            \
        }                                                                  \
    } while (0)

static const char *ptd_dev_name(PCIeTestDevState *s)
{
    DeviceState *dev = DEVICE(s);

    return dev->id ? dev->id : TYPE_PCIE_TESTDEV;
}

/* --- interrupts ---------------------------------------------------------- */

/*
 * Called after INT_STATUS or INT_ENABLE changed. @raised holds the causes
 * that just became pending and enabled: they send a message (MSI-X, MSI).
 * INTx is a level that follows INT_STATUS & INT_ENABLE.
 */
static void ptd_update_irq(PCIeTestDevState *s, uint32_t raised)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    bool level = (s->int_status & s->int_enable) != 0;

    if (msix_enabled(pdev)) {
        pci_set_irq(pdev, 0);
        if (raised) {
            msix_notify(pdev, 0);
        }
    } else if (msi_enabled(pdev)) {
        pci_set_irq(pdev, 0);
        if (raised) {
            msi_notify(pdev, 0);
        }
    } else {
        pci_set_irq(pdev, level);
    }
}

static void ptd_raise(PCIeTestDevState *s, uint32_t causes)
{
    uint32_t newly = causes & ~s->int_status;

    s->int_status |= causes;
    ptd_update_irq(s, newly & s->int_enable);
}

/* --- DMA ----------------------------------------------------------------- */

/*
 * Move @len bytes between @buf and bus address @addr, one page at a time.
 * With @rogue the bus-master enable bit is ignored but the IOMMU still
 * applies. Returns false on the first failed page, with *@fault set to its
 * address; *@moved counts the bytes before it.
 */
static bool ptd_dma(PCIeTestDevState *s, bool rogue, uint64_t addr,
                    uint8_t *buf, uint64_t len, DMADirection dir,
                    uint64_t *fault, uint64_t *moved)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    AddressSpace *as = rogue ? pci_device_iommu_address_space(pdev)
                             : pci_get_address_space(pdev);
    uint64_t done = 0;
    bool ok = true;

    s->in_dma = true;
    while (done < len) {
        uint64_t a = addr + done;
        uint64_t n = MIN(len - done, PTD_DMA_PAGE - (a & (PTD_DMA_PAGE - 1)));
        MemTxResult r;

        /* Guest RAM only: never configuration space or a device's registers. */
        r = dmacopy_dma_rw(OBJECT(pdev), as, a, buf + done, n, dir);
        if (r != MEMTX_OK) {
            *fault = a;
            ok = false;
            break;
        }
        done += n;
    }
    s->in_dma = false;
    if (moved) {
        *moved = done;
    }
    return ok;
}

/* --- transfer engine ----------------------------------------------------- */

static bool ptd_busy(PCIeTestDevState *s)
{
    return s->engine & PCIE_TESTDEV_ENGINE_BUSY;
}

static void ptd_xfer_end(PCIeTestDevState *s, uint32_t status)
{
    bool error = status >= PCIE_TESTDEV_ST_ERR_FIRST;

    timer_del(s->xfer_timer);
    s->status = status;
    s->engine = PCIE_TESTDEV_ENGINE_DONE;
    s->xfer_count++;
    if (error) {
        s->xfer_errors++;
    }
    PTD_TRACE(ptd_ev_xfer_end,
              "dev=%s status=0x%x bytes_done=0x%" PRIx64
              " fault_addr=0x%" PRIx64,
              ptd_dev_name(s), status, s->bytes_done, s->fault_addr);
    ptd_raise(s, PCIE_TESTDEV_INT_DONE | (error ? PCIE_TESTDEV_INT_ERROR : 0));
}

/* Copy the next chunk; end the transfer or schedule the next chunk. */
static void ptd_xfer_step(PCIeTestDevState *s)
{
    uint64_t n = MIN(s->job_size - s->bytes_done, (uint64_t)s->chunk_size);
    uint64_t written = 0;

    if (!ptd_dma(s, false, s->job_src + s->bytes_done, s->bounce, n,
                 DMA_DIRECTION_TO_DEVICE, &s->fault_addr, NULL)) {
        ptd_xfer_end(s, PCIE_TESTDEV_ST_READ_FAULT);
        return;
    }
    if (!ptd_dma(s, false, s->job_dst + s->bytes_done, s->bounce, n,
                 DMA_DIRECTION_FROM_DEVICE, &s->fault_addr, &written)) {
        s->bytes_done += written;
        ptd_xfer_end(s, PCIE_TESTDEV_ST_WRITE_FAULT);
        return;
    }
    s->bytes_done += n;
    if (s->bytes_done == s->job_size) {
        ptd_xfer_end(s, PCIE_TESTDEV_ST_OK);
        return;
    }
    timer_mod(s->xfer_timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
              (int64_t)s->chunk_delay_us * SCALE_US);
}

static void ptd_xfer_timer(void *opaque)
{
    PCIeTestDevState *s = opaque;

    if (ptd_busy(s)) {
        ptd_xfer_step(s);
    }
}

static bool ptd_range_wraps(uint64_t addr, uint64_t size)
{
    return addr + (size - 1) < addr;
}

static void ptd_doorbell(PCIeTestDevState *s, uint32_t val)
{
    if (val & PCIE_TESTDEV_DOORBELL_ABORT) {
        if (ptd_busy(s)) {
            ptd_xfer_end(s, PCIE_TESTDEV_ST_ABORTED);
        }
        return;
    }
    if (!(val & PCIE_TESTDEV_DOORBELL_START)) {
        return;
    }
    if (ptd_busy(s)) {
        PTD_TRACE(ptd_ev_guest_error, "dev=%s doorbell while busy",
                  ptd_dev_name(s));
        ptd_xfer_end(s, PCIE_TESTDEV_ST_DOORBELL_BUSY);
        return;
    }

    s->engine = 0;
    s->job_src = s->srcaddr;
    s->job_dst = s->dstaddr;
    s->job_size = s->size;
    s->bytes_done = 0;
    s->fault_addr = 0;
    PTD_TRACE(ptd_ev_xfer_start,
              "dev=%s src=0x%" PRIx64 " dst=0x%" PRIx64 " size=0x%" PRIx64,
              ptd_dev_name(s), s->job_src, s->job_dst, s->job_size);

    if (s->job_size == 0) {
        ptd_xfer_end(s, PCIE_TESTDEV_ST_SIZE_ZERO);
        return;
    }
    if (s->job_size > s->max_size) {
        ptd_xfer_end(s, PCIE_TESTDEV_ST_SIZE_TOO_BIG);
        return;
    }
    if (ptd_range_wraps(s->job_src, s->job_size) ||
        ptd_range_wraps(s->job_dst, s->job_size)) {
        ptd_xfer_end(s, PCIE_TESTDEV_ST_ADDR_WRAP);
        return;
    }

    s->status = PCIE_TESTDEV_ST_RUNNING;
    s->engine = PCIE_TESTDEV_ENGINE_BUSY;
    ptd_xfer_step(s);
}

/* --- aggressive mode ----------------------------------------------------- */

static void ptd_aggr_arm(PCIeTestDevState *s)
{
    timer_mod(s->aggr_timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
              (int64_t)s->aggr_delay_ms * SCALE_MS);
}

static void ptd_aggr_timer(void *opaque)
{
    PCIeTestDevState *s = opaque;
    uint64_t fault = 0;
    const char *result = "ok";

    s->aggr_attempts++;
    if (!ptd_dma(s, true, s->aggr_src, s->aggr_buf, s->aggr_size,
                 DMA_DIRECTION_TO_DEVICE, &fault, NULL)) {
        result = "read-fault";
        s->aggr_faults++;
    } else if (!ptd_dma(s, true, s->aggr_dst, s->aggr_buf, s->aggr_size,
                        DMA_DIRECTION_FROM_DEVICE, &fault, NULL)) {
        result = "write-fault";
        s->aggr_faults++;
    } else {
        s->aggr_successes++;
    }
    PTD_TRACE(ptd_ev_aggr,
              "dev=%s attempt=%" PRIu64 " result=%s fault_addr=0x%" PRIx64
              " successes=%" PRIu64 " faults=%" PRIu64,
              ptd_dev_name(s), s->aggr_attempts, result, fault,
              s->aggr_successes, s->aggr_faults);
    ptd_aggr_arm(s);
}

/* --- registers ----------------------------------------------------------- */

static uint32_t ptd_half(uint64_t val, hwaddr addr)
{
    return (addr & 4) ? val >> 32 : (uint32_t)val;
}

static void ptd_set_half(uint64_t *reg, hwaddr addr, uint32_t val)
{
    if (addr & 4) {
        *reg = deposit64(*reg, 32, 32, val);
    } else {
        *reg = deposit64(*reg, 0, 32, val);
    }
}

static uint32_t ptd_read32(PCIeTestDevState *s, hwaddr addr)
{
    switch (addr & ~(hwaddr)7) {
    case PCIE_TESTDEV_SRCADDR:
        return ptd_half(s->srcaddr, addr);
    case PCIE_TESTDEV_DSTADDR:
        return ptd_half(s->dstaddr, addr);
    case PCIE_TESTDEV_SIZE:
        return ptd_half(s->size, addr);
    case PCIE_TESTDEV_MAX_SIZE:
        return ptd_half(s->max_size, addr);
    case PCIE_TESTDEV_BYTES_DONE:
        return ptd_half(s->bytes_done, addr);
    case PCIE_TESTDEV_FAULT_ADDR:
        return ptd_half(s->fault_addr, addr);
    case PCIE_TESTDEV_AGGR_ATTEMPTS:
        return ptd_half(s->aggr_attempts, addr);
    case PCIE_TESTDEV_AGGR_SUCCESSES:
        return ptd_half(s->aggr_successes, addr);
    case PCIE_TESTDEV_AGGR_FAULTS:
        return ptd_half(s->aggr_faults, addr);
    case PCIE_TESTDEV_XFER_COUNT:
        return ptd_half(s->xfer_count, addr);
    case PCIE_TESTDEV_XFER_ERRORS:
        return ptd_half(s->xfer_errors, addr);
    }

    switch (addr) {
    case PCIE_TESTDEV_STATUS:
        return s->status;
    case PCIE_TESTDEV_ENGINE:
        return s->engine;
    case PCIE_TESTDEV_INT_STATUS:
        return s->int_status;
    case PCIE_TESTDEV_INT_ENABLE:
        return s->int_enable;
    case PCIE_TESTDEV_ID:
        return PCIE_TESTDEV_ID_MAGIC;
    case PCIE_TESTDEV_VERSION:
        return PCIE_TESTDEV_VERSION_1;
    case PCIE_TESTDEV_AGGR_STATE:
        return s->aggressive ? PCIE_TESTDEV_AGGR_ENABLED : 0;
    default:
        /* DOORBELL and undefined offsets read as 0. */
        return 0;
    }
}

static void ptd_write32(PCIeTestDevState *s, hwaddr addr, uint32_t val)
{
    uint32_t old_enable;

    switch (addr & ~(hwaddr)7) {
    case PCIE_TESTDEV_SRCADDR:
        ptd_set_half(&s->srcaddr, addr, val);
        return;
    case PCIE_TESTDEV_DSTADDR:
        ptd_set_half(&s->dstaddr, addr, val);
        return;
    case PCIE_TESTDEV_SIZE:
        ptd_set_half(&s->size, addr, val);
        return;
    }

    switch (addr) {
    case PCIE_TESTDEV_DOORBELL:
        ptd_doorbell(s, val);
        return;
    case PCIE_TESTDEV_INT_STATUS:
        s->int_status &= ~val;
        ptd_update_irq(s, 0);
        return;
    case PCIE_TESTDEV_INT_ENABLE:
        old_enable = s->int_enable;
        s->int_enable = val & PCIE_TESTDEV_INT_ALL;
        ptd_update_irq(s, s->int_status & s->int_enable & ~old_enable);
        return;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "%s: write 0x%x to read-only or undefined offset 0x%"
                      HWADDR_PRIx "\n", ptd_dev_name(s), val, addr);
        PTD_TRACE(ptd_ev_guest_error, "dev=%s write 0x%x to offset 0x%"
                  HWADDR_PRIx, ptd_dev_name(s), val, addr);
        return;
    }
}

static MemTxResult ptd_mmio_read(void *opaque, hwaddr addr, uint64_t *data,
                                 unsigned size, MemTxAttrs attrs)
{
    PCIeTestDevState *s = opaque;

    if (s->in_dma) {
        /* The engine addressed its own registers: refuse, do not recurse. */
        *data = ~0ULL;
        return MEMTX_ERROR;
    }
    *data = ptd_read32(s, addr);
    return MEMTX_OK;
}

static MemTxResult ptd_mmio_write(void *opaque, hwaddr addr, uint64_t data,
                                  unsigned size, MemTxAttrs attrs)
{
    PCIeTestDevState *s = opaque;

    if (s->in_dma) {
        return MEMTX_ERROR;
    }
    ptd_write32(s, addr, data);
    return MEMTX_OK;
}

static const MemoryRegionOps ptd_mmio_ops = {
    .read_with_attrs = ptd_mmio_read,
    .write_with_attrs = ptd_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 8,
        .unaligned = false,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

/* --- device lifecycle ---------------------------------------------------- */

static bool ptd_check_props(PCIeTestDevState *s, Error **errp)
{
    if (s->max_size == 0 || s->max_size > PTD_MAX_SIZE_LIMIT) {
        error_setg(errp, "max_size must be 1..%" PRIu64,
                   (uint64_t)PTD_MAX_SIZE_LIMIT);
        return false;
    }
    if (s->chunk_size == 0 || s->chunk_size > PTD_CHUNK_MAX) {
        error_setg(errp, "chunk_size must be 1..%u", (unsigned)PTD_CHUNK_MAX);
        return false;
    }
    if (s->chunk_delay_us > PTD_CHUNK_DELAY_US_MAX) {
        error_setg(errp, "chunk_delay_us must be at most %u",
                   (unsigned)PTD_CHUNK_DELAY_US_MAX);
        return false;
    }
    if (!s->aggressive) {
        return true;
    }
    if (s->aggr_size == 0 || s->aggr_size > s->max_size) {
        error_setg(errp, "aggressive mode: size must be 1..max_size "
                   "(%" PRIu64 ")", s->max_size);
        return false;
    }
    if (ptd_range_wraps(s->aggr_src, s->aggr_size) ||
        ptd_range_wraps(s->aggr_dst, s->aggr_size)) {
        error_setg(errp, "aggressive mode: srcaddr/dstaddr + size wrap around");
        return false;
    }
    if (s->aggr_delay_ms == 0) {
        error_setg(errp, "aggressive mode: aggression_delay_ms must be >= 1");
        return false;
    }
    return true;
}

static void ptd_realize(PCIDevice *pdev, Error **errp)
{
    PCIeTestDevState *s = PCIE_TESTDEV(pdev);
    Error *err = NULL;

    if (!ptd_check_props(s, errp)) {
        return;
    }

    pci_config_set_interrupt_pin(pdev->config, 1);
    if (pcie_endpoint_cap_init(pdev, PTD_PCIE_CAP_OFFSET) < 0) {
        error_setg(errp, "cannot add the PCI Express capability");
        return;
    }

    memory_region_init_io(&s->mmio, OBJECT(s), &ptd_mmio_ops, s,
                          "pcie-testdev-regs", PCIE_TESTDEV_REGS_SIZE);
    pci_register_bar(pdev, PCIE_TESTDEV_BAR_REGS,
                     PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->mmio);

    if (s->use_msix) {
        if (msix_init_exclusive_bar(pdev, 1, PCIE_TESTDEV_BAR_MSIX, &err)) {
            /* Not fatal: the driver falls back to MSI or INTx. */
            warn_report_err(err);
            err = NULL;
        } else {
            msix_vector_use(pdev, 0);
        }
    }
    if (s->use_msi) {
        if (msi_init(pdev, PTD_MSI_CAP_OFFSET, 1, true, false, &err)) {
            warn_report_err(err);
            err = NULL;
        }
    }

    s->bounce = g_malloc(s->chunk_size);
    s->xfer_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, ptd_xfer_timer, s);
    if (s->aggressive) {
        s->aggr_buf = g_malloc(s->aggr_size);
    }
    s->aggr_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, ptd_aggr_timer, s);
}

/*
 * Unrealize stops the engine (its timers) but frees nothing the engine uses:
 * the timers and buffers go in finalize, when the last reference is dropped
 * (each DMA call holds one on the device, dmacopy_dma_rw()).
 */
static void ptd_exit(PCIDevice *pdev)
{
    PCIeTestDevState *s = PCIE_TESTDEV(pdev);

    timer_del(s->xfer_timer);
    timer_del(s->aggr_timer);
    msix_uninit_exclusive_bar(pdev);
    msi_uninit(pdev);
    pcie_cap_exit(pdev);
}

static void ptd_reset(DeviceState *dev)
{
    PCIeTestDevState *s = PCIE_TESTDEV(dev);

    timer_del(s->xfer_timer);
    s->srcaddr = 0;
    s->dstaddr = 0;
    s->size = 0;
    s->status = PCIE_TESTDEV_ST_OK;
    s->engine = 0;
    s->int_status = 0;
    s->int_enable = 0;
    s->bytes_done = 0;
    s->fault_addr = 0;
    s->xfer_count = 0;
    s->xfer_errors = 0;
    s->job_src = 0;
    s->job_dst = 0;
    s->job_size = 0;
    pci_set_irq(PCI_DEVICE(s), 0);

    if (s->aggressive) {
        ptd_aggr_arm(s);
    } else {
        timer_del(s->aggr_timer);
    }
}

static void ptd_instance_finalize(Object *obj)
{
    PCIeTestDevState *s = PCIE_TESTDEV(obj);

    timer_free(s->xfer_timer);
    timer_free(s->aggr_timer);
    g_free(s->bounce);
    g_free(s->aggr_buf);
}

static void ptd_instance_init(Object *obj)
{
    PCIeTestDevState *s = PCIE_TESTDEV(obj);

    /* Read-only QOM properties: qom-get <path> aggr_faults (QMP and HMP). */
    object_property_add_uint64_ptr(obj, "aggr_attempts", &s->aggr_attempts,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "aggr_successes",
                                   &s->aggr_successes, OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "aggr_faults", &s->aggr_faults,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "xfer_count", &s->xfer_count,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "xfer_errors", &s->xfer_errors,
                                   OBJ_PROP_FLAG_READ);
}

static int ptd_post_load(void *opaque, int version_id)
{
    PCIeTestDevState *s = opaque;

    /* Reject a stream whose latched job the engine could not run safely. */
    if (ptd_busy(s) && (s->job_size == 0 || s->job_size > s->max_size ||
                        s->bytes_done >= s->job_size)) {
        return -EINVAL;
    }
    return 0;
}

static const VMStateDescription vmstate_ptd = {
    .name = TYPE_PCIE_TESTDEV,
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = ptd_post_load,
    .fields = (VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, PCIeTestDevState),
        VMSTATE_MSIX(parent_obj, PCIeTestDevState),
        VMSTATE_UINT64(srcaddr, PCIeTestDevState),
        VMSTATE_UINT64(dstaddr, PCIeTestDevState),
        VMSTATE_UINT64(size, PCIeTestDevState),
        VMSTATE_UINT32(status, PCIeTestDevState),
        VMSTATE_UINT32(engine, PCIeTestDevState),
        VMSTATE_UINT32(int_status, PCIeTestDevState),
        VMSTATE_UINT32(int_enable, PCIeTestDevState),
        VMSTATE_UINT64(bytes_done, PCIeTestDevState),
        VMSTATE_UINT64(fault_addr, PCIeTestDevState),
        VMSTATE_UINT64(xfer_count, PCIeTestDevState),
        VMSTATE_UINT64(xfer_errors, PCIeTestDevState),
        VMSTATE_UINT64(job_src, PCIeTestDevState),
        VMSTATE_UINT64(job_dst, PCIeTestDevState),
        VMSTATE_UINT64(job_size, PCIeTestDevState),
        VMSTATE_TIMER_PTR(xfer_timer, PCIeTestDevState),
        VMSTATE_UINT64(aggr_attempts, PCIeTestDevState),
        VMSTATE_UINT64(aggr_successes, PCIeTestDevState),
        VMSTATE_UINT64(aggr_faults, PCIeTestDevState),
        VMSTATE_TIMER_PTR(aggr_timer, PCIeTestDevState),
        VMSTATE_END_OF_LIST()
    },
};

static Property ptd_properties[] = {
    DEFINE_PROP_BOOL("aggressive", PCIeTestDevState, aggressive, false),
    DEFINE_PROP_UINT64("srcaddr", PCIeTestDevState, aggr_src, 0),
    DEFINE_PROP_UINT64("dstaddr", PCIeTestDevState, aggr_dst, 0),
    DEFINE_PROP_UINT64("size", PCIeTestDevState, aggr_size, 0),
    DEFINE_PROP_UINT32("aggression_delay_ms", PCIeTestDevState,
                       aggr_delay_ms, 1000),
    DEFINE_PROP_UINT64("max_size", PCIeTestDevState, max_size,
                       PCIE_TESTDEV_DEFAULT_MAX_SIZE),
    DEFINE_PROP_UINT32("chunk_size", PCIeTestDevState, chunk_size, 64 * KiB),
    DEFINE_PROP_UINT32("chunk_delay_us", PCIeTestDevState, chunk_delay_us, 0),
    DEFINE_PROP_BOOL("msix", PCIeTestDevState, use_msix, true),
    DEFINE_PROP_BOOL("msi", PCIeTestDevState, use_msi, true),
    DEFINE_PROP_END_OF_LIST(),
};

static void ptd_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = ptd_realize;
    k->exit = ptd_exit;
    k->vendor_id = PCIE_TESTDEV_VENDOR_ID;
    k->device_id = PCIE_TESTDEV_DEVICE_ID;
    k->revision = PCIE_TESTDEV_REVISION;
    k->class_id = PCIE_TESTDEV_CLASS >> 8;
    dc->desc = "PCIe DMA test device (dmacopy)";
    dc->reset = ptd_reset;
    dc->vmsd = &vmstate_ptd;
    device_class_set_props(dc, ptd_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo ptd_info = {
    .name = TYPE_PCIE_TESTDEV,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(PCIeTestDevState),
    .instance_init = ptd_instance_init,
    .instance_finalize = ptd_instance_finalize,
    .class_init = ptd_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { }
    },
};

static void ptd_register_types(void)
{
    type_register_static(&ptd_info);
}

type_init(ptd_register_types)

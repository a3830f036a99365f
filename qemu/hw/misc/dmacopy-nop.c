/*
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * dmacopy-nop: the smallest dmacopy device model. It proves that
 * qemu/build.sh overlays the project's device files into QEMU and that the
 * guest sees them (tests/vm/t_selftest_iommu_off checks its ID and SCRATCH
 * registers), and it is the device no dmacopy driver claims: vfio-pci takes
 * it in t_selftest_iommu_on, and t_ioatuser_bind puts it in an IOMMU group
 * beside I/OAT functions.
 *
 * PCI ID 1af4:10f0 (see docs/pci-ids.md), class "other". BAR0 is a 4 KiB
 * MMIO region with two 32-bit registers:
 *   0x0 ID       read-only, DMACOPY_NOP_MAGIC
 *   0x4 SCRATCH  read/write; reads return the bitwise NOT of the last write,
 *                so a test can tell the device apart from plain memory
 * Every other offset reads as 0 and ignores writes.
 */

#include "qemu/osdep.h"
#include "hw/pci/pci.h"
#include "migration/vmstate.h"
#include "qemu/module.h"
#include "qom/object.h"

#define TYPE_DMACOPY_NOP "dmacopy-nop"
OBJECT_DECLARE_SIMPLE_TYPE(DmacopyNopState, DMACOPY_NOP)

#define DMACOPY_NOP_VENDOR_ID 0x1af4
#define DMACOPY_NOP_DEVICE_ID 0x10f0
#define DMACOPY_NOP_MAGIC     0x706f6e64u /* "dnop" little-endian */

#define DMACOPY_NOP_REG_ID      0x0
#define DMACOPY_NOP_REG_SCRATCH 0x4
#define DMACOPY_NOP_BAR_SIZE    0x1000

struct DmacopyNopState {
    PCIDevice parent_obj;
    MemoryRegion mmio;
    uint32_t scratch;
};

static uint64_t dmacopy_nop_read(void *opaque, hwaddr addr, unsigned size)
{
    DmacopyNopState *s = opaque;

    switch (addr) {
    case DMACOPY_NOP_REG_ID:
        return DMACOPY_NOP_MAGIC;
    case DMACOPY_NOP_REG_SCRATCH:
        return ~s->scratch;
    default:
        return 0;
    }
}

static void dmacopy_nop_write(void *opaque, hwaddr addr, uint64_t val,
                              unsigned size)
{
    DmacopyNopState *s = opaque;

    if (addr == DMACOPY_NOP_REG_SCRATCH) {
        s->scratch = val;
    }
}

static const MemoryRegionOps dmacopy_nop_ops = {
    .read = dmacopy_nop_read,
    .write = dmacopy_nop_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

static void dmacopy_nop_realize(PCIDevice *pdev, Error **errp)
{
    DmacopyNopState *s = DMACOPY_NOP(pdev);

    memory_region_init_io(&s->mmio, OBJECT(s), &dmacopy_nop_ops, s,
                          "dmacopy-nop-mmio", DMACOPY_NOP_BAR_SIZE);
    pci_register_bar(pdev, 0, PCI_BASE_ADDRESS_SPACE_MEMORY, &s->mmio);
}

static void dmacopy_nop_reset(DeviceState *dev)
{
    DmacopyNopState *s = DMACOPY_NOP(dev);

    s->scratch = 0;
}

static const VMStateDescription dmacopy_nop_vmstate = {
    .name = TYPE_DMACOPY_NOP,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, DmacopyNopState),
        VMSTATE_UINT32(scratch, DmacopyNopState),
        VMSTATE_END_OF_LIST()
    },
};

static void dmacopy_nop_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = dmacopy_nop_realize;
    k->vendor_id = DMACOPY_NOP_VENDOR_ID;
    k->device_id = DMACOPY_NOP_DEVICE_ID;
    k->revision = 1;
    k->class_id = PCI_CLASS_OTHERS;
    dc->desc = "dmacopy no-op test device";
    dc->reset = dmacopy_nop_reset;
    dc->vmsd = &dmacopy_nop_vmstate;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo dmacopy_nop_info = {
    .name = TYPE_DMACOPY_NOP,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(DmacopyNopState),
    .class_init = dmacopy_nop_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void dmacopy_nop_register_types(void)
{
    type_register_static(&dmacopy_nop_info);
}

type_init(dmacopy_nop_register_types)

# SPDX-License-Identifier: GPL-2.0-only
"""Helpers shared by the pcie-testdev guest tests (tests/vm/t_testdev_*).

Not a test itself (not executable). Reporting (check, fail, note) is
tests/vm/vmtest.py's. Register offsets and codes are read from
include/dmacopy/pcie_testdev_spec.h, the same header the QEMU model and the
driver use. Everything here runs as root inside the test guest.
"""

import ctypes
import glob
import mmap
import os
import re
import struct
import subprocess
import time
import types

from vmtest import check, fail, note, require

ROOT = os.environ.get("DMACOPY_ROOT") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC_H = os.path.join(ROOT, "include", "dmacopy", "pcie_testdev_spec.h")
MODULE = os.path.join(os.environ.get("DMACOPY_KMOD", ""), "kmod",
                      "pcie_testdev.ko")
DRIVER = "pcie_testdev"
SYS_PCI = "/sys/bus/pci/devices"

PCI_COMMAND = 0x04
PCI_COMMAND_MEMORY = 0x2
PCI_COMMAND_MASTER = 0x4
PCI_COMMAND_INTX_DISABLE = 0x400
MAP_HUGETLB = 0x40000
HUGE_PAGE = 2 << 20


def load_defines(path, prefix):
    """#define PREFIX_X value -> .X, for the values that are integer expressions
    of numbers and earlier PREFIX_ names (others, macros with arguments or
    casts, are left out)."""
    vals = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"#define\s+%s_(\w+)\s+([^/]+?)\s*(/\*.*)?$" % prefix,
                         line)
            if not m:
                continue
            expr = re.sub(r"\b(0x[0-9a-fA-F]+|\d+)u\b", r"\1", m.group(2))
            try:
                expr = re.sub(r"\b%s_(\w+)\b" % prefix,
                              lambda x: str(vals[x.group(1)]), expr)
                vals[m.group(1)] = eval(expr, {"__builtins__": {}})  # noqa: S307
            except (KeyError, NameError, SyntaxError, TypeError):
                continue
    return types.SimpleNamespace(**vals)


S = load_defines(SPEC_H, "PCIE_TESTDEV")

STATUS_NAMES = {
    getattr(S, k): k for k in dir(S)
    if k.startswith("ST_") and k != "ST_ERR_FIRST"
}


def status_name(code):
    return "0x%x (%s)" % (code, STATUS_NAMES.get(code, "?"))


# --- commands ---------------------------------------------------------------

def run(*cmd, ok=True):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if ok and p.returncode != 0:
        fail("%s exited %d: %s" % (" ".join(cmd), p.returncode, p.stdout))
    return p


def dmesg():
    return run("dmesg").stdout


def wait_for(pred, timeout, step=0.02):
    """Poll pred() until it returns a true value or timeout seconds pass."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > end:
            return v
        time.sleep(step)


# --- PCI devices ---------------------------------------------------------------

def _read(path):
    with open(path) as f:
        return f.read().strip()


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def testdevs():
    """BDFs of every pcie-testdev, sorted."""
    out = []
    for d in sorted(glob.glob(SYS_PCI + "/*")):
        try:
            ven = int(_read(d + "/vendor"), 16)
            dev = int(_read(d + "/device"), 16)
        except OSError:
            continue
        if ven == S.VENDOR_ID and dev == S.DEVICE_ID:
            out.append(os.path.basename(d))
    return out


def short_bdf(bdf):
    """0000:01:00.0 -> 01:00.0 (the form 6.x kernels print in DMAR fault messages; 7.x prints the whole address)."""
    return bdf.split(":", 1)[1]


def config_read16(bdf, off):
    with open("%s/%s/config" % (SYS_PCI, bdf), "rb") as f:
        f.seek(off)
        return struct.unpack("<H", f.read(2))[0]


def config_write16(bdf, off, val):
    with open("%s/%s/config" % (SYS_PCI, bdf), "r+b", buffering=0) as f:
        f.seek(off)
        f.write(struct.pack("<H", val))


def pcie_cap(bdf):
    """Offset of the PCI Express capability in bdf's configuration space."""
    off = config_read16(bdf, 0x34) & 0xfc
    while off:
        ident = config_read16(bdf, off)
        if ident & 0xff == 0x10:
            return off
        off = (ident >> 8) & 0xfc
    fail("%s has no PCI Express capability" % bdf)


def ecam_base():
    """Physical address of the ECAM (MMCONFIG) window, from /proc/iomem."""
    with open("/proc/iomem") as f:
        for line in f:
            if "PCI ECAM" in line or "PCI MMCONFIG" in line:
                return int(line.strip().split("-")[0], 16)
    fail("no PCI ECAM/MMCONFIG window in /proc/iomem")


MSI_WINDOW = 0xfee00000


def set_command(bdf, set_bits=0, clear_bits=0):
    cmd = config_read16(bdf, PCI_COMMAND)
    config_write16(bdf, PCI_COMMAND, (cmd | set_bits) & ~clear_bits & 0xffff)
    return config_read16(bdf, PCI_COMMAND)


def enable_unbound(bdf):
    """Memory decoding for a device no driver owns (sysfs 'enable')."""
    _write("%s/%s/enable" % (SYS_PCI, bdf), "1")


def bound_driver(bdf):
    link = "%s/%s/driver" % (SYS_PCI, bdf)
    return os.path.basename(os.readlink(link)) if os.path.islink(link) else None


# --- BAR0 registers ----------------------------------------------------------------

class Regs:
    """BAR0 of one device through sysfs resource0 (driver unbound)."""

    def __init__(self, bdf):
        self.bdf = bdf
        path = "%s/%s/resource%d" % (SYS_PCI, bdf, S.BAR_REGS)
        fd = os.open(path, os.O_RDWR | os.O_SYNC)
        try:
            self.mm = mmap.mmap(fd, S.REGS_SIZE, mmap.MAP_SHARED,
                                mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)
        # One ctypes object per access size: single 4- or 8-byte loads/stores.
        self.u32 = (ctypes.c_uint32 * (S.REGS_SIZE // 4)).from_buffer(self.mm)
        self.u64 = (ctypes.c_uint64 * (S.REGS_SIZE // 8)).from_buffer(self.mm)

    def r32(self, off):
        return self.u32[off // 4]

    def w32(self, off, val):
        self.u32[off // 4] = val & 0xffffffff

    def r64(self, off):
        return self.u64[off // 8]

    def w64(self, off, val):
        self.u64[off // 8] = val & 0xffffffffffffffff

    def counters(self):
        return (self.r64(S.AGGR_ATTEMPTS), self.r64(S.AGGR_SUCCESSES),
                self.r64(S.AGGR_FAULTS))

    def start(self, src, dst, size):
        self.w64(S.SRCADDR, src)
        self.w64(S.DSTADDR, dst)
        self.w64(S.SIZE, size)
        self.w32(S.DOORBELL, S.DOORBELL_START)

    def wait_idle(self, timeout=5.0):
        idle = wait_for(lambda: not self.r32(S.ENGINE) & S.ENGINE_BUSY,
                        timeout, step=0.001)
        check(idle, "%s: engine still busy after %.1f s" % (self.bdf, timeout))

    def transfer(self, src, dst, size, timeout=5.0):
        """Run one transfer by polling; return STATUS."""
        self.w32(S.INT_STATUS, S.INT_ALL)
        self.start(src, dst, size)
        self.wait_idle(timeout)
        return self.r32(S.STATUS)


# --- memory the tests can hand to the device -------------------------------------

def _pagemap_phys(vaddr):
    with open("/proc/self/pagemap", "rb") as f:
        f.seek((vaddr // 4096) * 8)
        entry = struct.unpack("<Q", f.read(8))[0]
    check(entry >> 63, "pagemap: page at 0x%x not present" % vaddr)
    pfn = entry & ((1 << 55) - 1)
    check(pfn, "pagemap shows no PFN (not root?)")
    return pfn * 4096


class HugeBuf:
    """A 2 MiB hugetlb page: physically contiguous, known bus address
    (= physical address, valid only without an IOMMU)."""

    def __init__(self):
        free = int(re.search(r"HugePages_Free:\s+(\d+)",
                             _read("/proc/meminfo")).group(1))
        if free < 1:
            total = int(_read("/proc/sys/vm/nr_hugepages"))
            _write("/proc/sys/vm/nr_hugepages", str(total + 1))
        self.size = HUGE_PAGE
        self.mm = mmap.mmap(-1, self.size,
                            flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS |
                            MAP_HUGETLB,
                            prot=mmap.PROT_READ | mmap.PROT_WRITE)
        self.mm[:] = bytes(self.size)
        self.vaddr = ctypes.addressof(ctypes.c_char.from_buffer(self.mm))
        self.phys = _pagemap_phys(self.vaddr)
        last = _pagemap_phys(self.vaddr + self.size - 4096)
        check(last == self.phys + self.size - 4096,
              "hugepage is not physically contiguous")


class PhysWindow:
    """Guest-physical memory through /dev/mem (below 1 MiB only)."""

    def __init__(self, base, size=4096):
        fd = os.open("/dev/mem", os.O_RDWR)
        try:
            self.mm = mmap.mmap(fd, size, mmap.MAP_SHARED,
                                mmap.PROT_READ | mmap.PROT_WRITE, offset=base)
        finally:
            os.close(fd)
        self.base = base

    def read(self, addr, n):
        off = addr - self.base
        return bytes(self.mm[off:off + n])

    def write(self, addr, data):
        off = addr - self.base
        self.mm[off:off + len(data)] = data


# --- the driver ------------------------------------------------------------------

def insmod(*params):
    require("make kmods", MODULE)
    run("insmod", MODULE, *params)


def rmmod(ok=True):
    return run("rmmod", DRIVER, ok=ok)


def node_of(bdf):
    """/dev node of a bound device, from sysfs."""
    names = glob.glob("%s/%s/misc/pcie-testdev*" % (SYS_PCI, bdf))
    return "/dev/" + os.path.basename(names[0]) if names else None


def unbind(bdf):
    _write("/sys/bus/pci/drivers/%s/unbind" % DRIVER, bdf)


# --- hotplug slots (any device behind a hotplug-capable port) ----------------------

SYS_SLOTS = "/sys/bus/pci/slots"


def hotplug_slot(bdf):
    """The hotplug slot that holds bdf (its 'address' is the bus:device)."""
    want = bdf.rsplit(".", 1)[0]
    names = sorted(os.listdir(SYS_SLOTS)) if os.path.isdir(SYS_SLOTS) else []
    for name in names:
        try:
            addr = _read("%s/%s/address" % (SYS_SLOTS, name))
        except OSError:
            continue
        if addr == want and os.path.exists("%s/%s/power" % (SYS_SLOTS, name)):
            return name
    check(False, "no hotplug slot with a power file holds %s (slots: %s)" % (bdf, names))
    return None


def slot_power_off(bdf, slot):
    """Power slot off; bdf must leave the bus within 10 s. Returns how long it took."""
    t0 = time.monotonic()
    _write("%s/%s/power" % (SYS_SLOTS, slot), "0")
    gone = wait_for(lambda: not os.path.exists("%s/%s" % (SYS_PCI, bdf)), 10)
    check(gone, "%s: still on the bus 10 s after its slot %s was powered off" % (bdf, slot))
    return time.monotonic() - t0


def slot_power_on_empty(bdf, slot):
    """Power slot on again: it must be empty (QEMU unplugged bdf, not only the guest)."""
    try:
        _write("%s/%s/power" % (SYS_SLOTS, slot), "1")
    except OSError as e:
        note("%s: powering slot %s on again: %s" % (bdf, slot, e))
    time.sleep(1)
    check(not os.path.exists("%s/%s" % (SYS_PCI, bdf)),
          "%s: back after its slot was powered on: QEMU did not unplug it" % bdf)


def bind(bdf):
    _write("/sys/bus/pci/drivers/%s/bind" % DRIVER, bdf)


def parse_result(text):
    return dict(re.findall(r"(\w+)=(\S+)", text))


def dev_cmd(node, cmd):
    """Write one command to a device node; return (errno or 0, result dict)."""
    fd = os.open(node, os.O_RDWR)
    try:
        try:
            os.write(fd, cmd.encode())
            err = 0
        except OSError as e:
            err = e.errno
        res = os.read(fd, 512).decode()
    finally:
        os.close(fd)
    return err, parse_result(res)


def dev_copy(node, size, src_off=0, dst_off=0):
    return dev_cmd(node, "copy %d %d %d" % (size, src_off, dst_off))


def expect_copy(node, size, src_off=0, dst_off=0):
    err, res = dev_copy(node, size, src_off, dst_off)
    check(err == 0 and res.get("verify") == "ok" and res.get("status") == "0x0"
          and int(res.get("bytes_done", -1)) == size,
          "%s: copy %d (offsets %d/%d): errno %d, result %s"
          % (node, size, src_off, dst_off, err, res))
    return res


def probe_lines(bdf, text=None):
    """The driver's two probe-transfer lines for one device (the newest)."""
    text = dmesg() if text is None else text
    t1 = t2 = None
    for line in text.splitlines():
        if bdf not in line:
            continue
        if "transfer 1 (" in line:
            t1 = line
        elif "transfer 2 (" in line:
            t2 = line
    return t1, t2

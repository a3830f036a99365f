# Devices built into dmacopy's QEMU (qemu/build.sh configures QEMU with
# --without-default-devices and this list as configs/devices/x86_64-softmmu/
# dmacopy.mak). The guest machine of tests/vm/run is q35 with VT-d, an NVDIMM,
# PCIe root ports for hot-plug, and virtio-pci for 9p file sharing, the command
# console and an RNG (a device of a driver other than vfio-pci in
# t_ioatuser_bind). The dmacopy models (ioat, dsa, pcie-testdev, dmacopy-nop)
# come with the overlay and need nothing here.
CONFIG_Q35=y
CONFIG_VTD=y
CONFIG_NVDIMM=y
CONFIG_PCIE_PORT=y
CONFIG_IOH3420=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_9P=y
CONFIG_VIRTIO_SERIAL=y
CONFIG_VIRTIO_RNG=y

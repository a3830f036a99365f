#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Guest side of bench/stripe/run: dmacopy.ko on the four emulated I/OAT channels, then
# stripe bench for each size: never striped, and striped from 256 KiB, 1, 2 and 4 MiB up.
set -eu
rounds=${1:-5}
prog=$DMACOPY_BUILD/tests/vm/stripe
modprobe ioatdma
insmod "$DMACOPY_KMOD/kmod/dmacopy.ko"
n=$(ls /sys/class/dma | grep -c chan)
echo "# $n DMA channels: $(ls /sys/class/dma | tr '\n' ' ')"
for kib in 256 1024 2048 4096 16384 65536; do
	"$prog" bench "$kib" "$rounds" never 262144 1048576 2097152 4194304
done
rmmod dmacopy

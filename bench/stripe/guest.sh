#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Guest side of bench/stripe/run: the four emulated I/OAT functions through ENGINE, "kernel"
# (dmacopy.ko on their ioatdma channels) or "ioat" (the user-space engine on all of them, bound to
# vfio-pci), then stripe bench for each size: never striped, and striped from 256 KiB, 1, 2 and
# 4 MiB up; for ioat twice, with the default waits (spinning, but for a striped copy 200 us,
# then sleeping between polls) and with waits that spin throughout (spin_us=UINT32_MAX). After
# each series, PAIR_ROUNDS (default 7) paired rounds of the 64 MiB copy, never striped against
# striped from 4 MiB, a process each.
#   guest.sh ROUNDS ENGINE [PAIR_ROUNDS]
set -eu
rounds=${1:-5} engine=${2:-kernel}
prog=$DMACOPY_BUILD/tests/vm/stripe
if [ "$engine" = kernel ]; then
	modprobe ioatdma
	insmod "$DMACOPY_KMOD/kmod/dmacopy.ko"
	chans=(/sys/class/dma/*chan*)
	echo "# ${#chans[@]} DMA channels: ${chans[*]##*/}"
	spec=kernel
else
	"$DMACOPY_ROOT/scripts/dmacopy-bind" -q bind 00:04.0 00:04.1 00:04.2 00:04.3
	spec=ioat:all
fi
series() {
	for kib in 256 1024 2048 4096 16384 65536; do
		"$prog" -e "$spec" "$@" bench "$kib" "$rounds" never 262144 1048576 2097152 4194304
	done
}
# The goal's size in paired rounds: in each, a process that never stripes and one that stripes
# from 4 MiB, back to back (which goes first alternates), so that the ratio compares runs seconds
# apart; lines "pair ROUND: gbps_65536K_stripe_THRESHOLD V GB/s" for the caller's median.
pairs() {
	local i th order
	for i in $(seq "$pair_rounds"); do
		order="never 4194304"
		[ $((i % 2)) = 0 ] && order="4194304 never"
		for th in $order; do
			"$prog" -e "$spec" "$@" bench 65536 3 "$th" | sed "s/^result: /pair $i: /"
		done
	done
}
pair_rounds=${3:-7}
series
pairs
if [ "$engine" = ioat ]; then
	# the same with waits that never sleep (dmacopy_queue_opts.spin_us = UINT32_MAX)
	echo "## ioat:spin_us=max workers=on"
	series -s 4294967295
	pairs -s 4294967295
fi
[ "$engine" = kernel ] && rmmod dmacopy
exit 0

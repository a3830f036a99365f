#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Inside the test guest: ioatdma throughput for 4 KiB, 64 KiB, 1 MiB and 16 MiB
# copies on 1 and 4 channels, through the ioat_client module's bench mode.
# Prints one CSV line per run:
#   size,channels,depth,copies,microseconds,MB_per_s,copies_per_s
#
#   guest.sh SECONDS DEPTH
set -eu
seconds=${1:-2}
depth=${2:-8}
ko=${IOAT_CLIENT_KO:-$DMACOPY_KMOD/tests/ioat_client.ko}
[ -f "$ko" ] || { echo "guest.sh: $ko is missing" >&2; exit 1; }
modprobe ioatdma
echo "size,channels,depth,copies,microseconds,MB_per_s,copies_per_s"
for ch in 1 4; do
	for size in 4096 65536 1048576 16777216; do
		insmod "$ko" test=bench bench_size=$size channels=$ch min_channels=$ch \
			depth="$depth" bench_ms=$((seconds * 1000))
		rmmod ioat_client
		# bench: size S channels C depth D: N copies in U us: M MB/s R copies/s (...)
		dmesg | grep -o 'bench: size .*' | tail -n 1 |
			awk '{ gsub(":", ""); print $3 "," $5 "," $7 "," $8 "," $11 "," $13 "," $15 }'
	done
done

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Throughput of the emulated I/OAT device through Linux's ioatdma, measured
# inside the test guest (QEMU TCG) with four devices (00:04.0-3).
#
#   bench/ioat-guest/run.sh [--kernel 6.1|6.12] [--seconds S] [--depth D] [--out FILE]
#
# Each run copies one size for S seconds (default 2) with D copies in flight
# per channel (default 8); every completion callback submits the next copy.
# Sources and destinations cycle through 4 regions each (32 MiB source and
# 32 MiB destination per channel, 64 MiB each for 16 MiB copies), more than
# the host's last-level cache in the committed results. Prints a Markdown
# table; --out also writes it, with the command and the machine, to FILE.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kernel=6.1 seconds=2 depth=8 out=
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--depth) depth=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '3,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done

kver=$("$REPO/scripts/kernels.sh" --kver "$kernel")
[ -f "$REPO/build/kmod/$kver/tests/ioat_client.ko" ] || "$REPO/scripts/build-kmods" --kernel "$kernel"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
csv=$(mktemp)
trap 'rm -f "$csv"' EXIT
"$REPO/tests/vm/run" --kernel "$kernel" --timeout 600 \
	--device ioat,addr=4.0,multifunction=on --device ioat,addr=4.1 \
	--device ioat,addr=4.2 --device ioat,addr=4.3 \
	-- "$REPO/bench/ioat-guest/guest.sh" "$seconds" "$depth" | tr -d '\r' >"$csv"
grep -q '^size,' "$csv" || { echo "run.sh: no results" >&2; cat "$csv" >&2; exit 1; }

table() {
	echo "| copy size | channels | copies in flight per channel | GB/s | copies/s |"
	echo "|---:|---:|---:|---:|---:|"
	awk -F, 'NR > 1 && NF == 7 {
		size = $1 >= 1048576 ? ($1 / 1048576) " MiB" : ($1 / 1024) " KiB"
		printf "| %s | %d | %d | %.2f | %d |\n", size, $2, $3, $6 / 1000, $7
	}' "$csv"
}

report() {
	echo "## ioatdma in the guest, kernel $kver"
	echo
	echo "Command: \`bench/ioat-guest/run.sh --kernel $kernel --seconds $seconds --depth $depth\`"
	echo "($(date -u +%Y-%m-%d), QEMU $(basename "$(dirname "$("$REPO/qemu/build.sh")")"), TCG, 2 vCPUs,"
	echo "host: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), L3 $(lscpu | sed -n 's/^L3 cache: *//p'),"
	echo "load average before the run: $load_before)"
	echo
	table
	echo
}

report
if [ -n "$out" ]; then
	report >>"$out"
fi

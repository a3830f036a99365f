#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Guest side of bench/spread/run (--iommu on; DSA 06.0 and 07.0 bound to vfio-pci): RUNS
# 1-second runs of 64-byte copies in batches of 32, one batch in flight, each run a process of
# its own, for: the dsa engine on 06.0, DPDK's idxd driver on 07.0, the dsa engine again with
# address-space randomisation off (setarch -R), and the CPU engine (no device at all). One line
# per contender: its runs in thousands of copies per second, in the order they ran.
#
#   guest.sh [RUNS]
set -u
runs=${1:-8}
fail() { echo "spread: FAIL: $*" >&2; exit 1; }
. "$DMACOPY_ROOT/tests/vm/dsa.sh"
. "$DMACOPY_ROOT/tests/vm/dpdk.sh"
bench=$DMACOPY_BUILD/tests/vm/ioatuser_bench
rte=$DMACOPY_BUILD/bench/rte_dma_bench
for f in "$bench" "$rte"; do [ -x "$f" ] || fail "$f is missing (make vm-progs bench-progs)"; done
dpdk_setup 512 || fail "no hugepages"
dsa_load 2
"$DMACOPY_ROOT/scripts/dmacopy-bind" -q bind 00:06.0 00:07.0 || fail "dmacopy-bind bind"
# one WHO: a 1-second run's copies per second, in thousands
one() {
	local out
	case $1 in
	dsa) out=$("$bench" ops dsa:0000:00:06.0 -b 32 -w 1 -t 1 2>&1) ;;
	dsa-norandom) out=$(setarch -R "$bench" ops dsa:0000:00:06.0 -b 32 -w 1 -t 1 2>&1) ;;
	cpu) out=$("$bench" ops cpu -b 32 -w 1 -t 1 2>&1) ;;
	dpdk-idxd) out=$("$rte" $DPDK_EAL -a 0000:00:07.0,max_queues=1 --log-level=lib.eal:error \
		-- ops -b 32 -w 1 -t 1 2>&1) ;;
	esac || fail "$1: $out"
	echo "$out" | awk '$1 == "result:" && $2 == "ops64_b32_w1" { printf "%.0f", $3 / 1000 }'
}
for who in dsa dpdk-idxd dsa-norandom cpu; do
	line=
	for _ in $(seq "$runs"); do line="$line $(one $who)"; done
	echo "spread: $who (thousand copies/s, 1-second runs):$line"
done

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Guest side of bench/dsa-pair/run (--iommu on; DSA 06.0 and 07.0 bound to vfio-pci): PROCS
# processes of bench/dmadev/rte_dma_bench's pair mode for each way of reaping, each process
# DPDK's idxd driver on one function and the dsa engine on the other, taking turns in 50 ms
# slices for 2 seconds: 64-byte copies in batches of 32, one batch in flight. The ways: wait
# (dmacopy_wait(), a completion for each copy, against rte_dma_completed(), a count), reap
# (dmacopy_reap() against rte_dma_completed(): counts on both sides) and status (dmacopy_wait()
# against rte_dma_completed_status(): a status for each copy on both sides); vwait and vreap are
# wait and reap with each batch enqueued in one dmacopy_enqueue_copies() call, libdmacopy's API
# for a batch (DPDK's dmadev has none: its side calls rte_dma_copy() per copy in every way). The
# two functions swap every other process. One line per process, then for each way the median of
# the per-process ratios (dsa / DPDK idxd).
#
#   guest.sh [PROCS [WAYS]]     WAYS: a space-separated list (default "wait reap status")
set -u
procs=${1:-10}
ways=${2:-wait reap status}
name="dsa-pair"
fail() { echo "$name: FAIL: $*" >&2; exit 1; }
. "$DMACOPY_ROOT/tests/vm/dsa.sh"
. "$DMACOPY_ROOT/tests/vm/dpdk.sh"
. "$DMACOPY_ROOT/bench/guest-stats.sh"
rte=$DMACOPY_BUILD/bench/rte_dma_bench
[ -x "$rte" ] || fail "$rte is missing (make bench-progs)"
dpdk_setup 512 || fail "no hugepages"
dsa_load 2
"$DMACOPY_ROOT/scripts/dmacopy-bind" -q bind 00:06.0 00:07.0 || fail "dmacopy-bind bind"
for way in $ways; do
	case "$way" in
	wait) flag= ;;
	reap) flag=-r ;;
	status) flag=-S ;;
	vwait) flag=-v ;;
	vreap) flag="-v -r" ;;
	*) fail "unknown way $way (wait, reap, status, vwait, vreap)" ;;
	esac
	ratios=
	for p in $(seq "$procs"); do
		dsa=06.0 idxd=07.0
		[ $((p % 2)) = 0 ] && { dsa=07.0; idxd=06.0; }
		out=$("$rte" $DPDK_EAL -a "0000:00:$idxd,max_queues=1" --log-level=lib.eal:error \
			-- pair "dsa:0000:00:$dsa" -b 32 -w 1 -t 2 $flag 2>&1) || fail "$way: $out"
		dc=$(echo "$out" | awk '$1 == "result:" && $2 ~ /_dmacopy$/ { printf "%.0f", $3 / 1000 }')
		rt=$(echo "$out" | awk '$1 == "result:" && $2 ~ /_dpdk$/ { printf "%.0f", $3 / 1000 }')
		r=$(echo "$out" | awk '$1 == "result:" && $2 ~ /_ratio$/ { printf "%.3f", $3 }')
		[ -n "$r" ] || fail "$way: no result: $out"
		echo "$name: $way, process $p (dsa on $dsa, DPDK idxd on $idxd):" \
			"dsa $dc, DPDK idxd $rt thousand copies/s: $r"
		ratios="$ratios $r"
	done
	med=$(echo $ratios | tr ' ' '\n' | median)
	above=$(echo $ratios | tr ' ' '\n' | awk '$1 >= 1' | wc -l)
	echo "$name: $way: dsa / DPDK idxd per process:$ratios (median $med; $above of $procs >= 1)"
done

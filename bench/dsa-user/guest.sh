#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Run in the guest by bench/dsa-user/run (--iommu on; I/OAT 05.0 and 09.0, DSA 06.0-08.0).
#
#   06.0 DSA   vfio-pci  dmacopy's dsa engine             (tests/vm/progs/ioatuser_bench.c;
#                        "dsa-v": the same enqueueing each batch with dmacopy_enqueue_copies();
#                        "dsa-r": reaping with dmacopy_reap(), a count as the DPDK peer's
#                        rte_dma_completed() gives, instead of dmacopy_wait()'s records;
#                        "dsa-vr": both)
#   07.0 DSA   vfio-pci  DPDK's idxd driver, one WQ        (bench/dmadev/rte_dma_bench.c)
#   08.0 DSA   idxd      dmacopy.ko's kernel engine on a dedicated kernel WQ of 128 slots
#   05.0 I/OAT vfio-pci  dmacopy's ioat engine
#   09.0 I/OAT vfio-pci  DPDK's ioat driver
#
#  (a) 64-byte copies in batches of 32, one and four batches in flight, ops/s: fifteen 1-second
#      runs each, the contenders taking turns in every round. The goals compare the ratio of two
#      contenders' runs in the same round, median of the rounds; the table gives each one's
#      median run. Every run is a process of its own, and under TCG one process of the same
#      program runs at a rate another does not (the dsa engine's 1-second runs in one guest:
#      1.0-1.1 million/s in some processes, 1.6-1.7 in others; the CPU engine's 3.5-9.2; with
#      address-space randomisation off, too), so the figures rest on many short runs rather than
#      a few long ones. Each pair of peers swaps its two functions every round (dsa 06.0 and
#      DPDK idxd 07.0, then the other way round; likewise the two I/OAT functions), and the
#      order of the contenders is reversed in two rounds of every four, so that each pairing of
#      functions and order comes up alike and neither a function nor a place in the round
#      favours one side;
#  (b) GB/s of 4 KiB (64 in flight), 1 MiB (8) and 16 MiB (2) copies, best of two;
#  (c) CPU time of the submitting thread per 64-byte operation (ioatuser_bench cost).
# All memory is hugetlb; every copy is checked (a sample of each destination).
set -u
name="dsa-user"
fail() { echo "$name: FAIL: $*" >&2; dmesg | grep -iE 'dmacopy|idxd|ioat|vfio' | tail -20 >&2; exit 1; }
note() { echo "$name: $*"; }
. "$DMACOPY_ROOT/tests/vm/dsa.sh"
. "$DMACOPY_ROOT/tests/vm/dpdk.sh"

bench=$DMACOPY_BUILD/tests/vm/ioatuser_bench
rte=$DMACOPY_BUILD/bench/rte_dma_bench
ko=$DMACOPY_KMOD/kmod/dmacopy.ko
for f in "$bench" "$rte"; do [ -x "$f" ] || fail "$f is missing (make vm-progs bench-progs)"; done
[ -f "$ko" ] || fail "$ko is missing (make kmods)"

dpdk_setup 512 || fail "no hugepages"
dsa_load 3
"$DMACOPY_ROOT/scripts/dmacopy-bind" -q bind 00:05.0 00:06.0 00:07.0 00:09.0 ||
	fail "dmacopy-bind bind"
kdev=$(basename "$(ls -d /sys/bus/pci/devices/0000:00:08.0/dsa* 2>/dev/null | head -1)")
[ -n "$kdev" ] || fail "08.0 has no idxd device"
dsa_kernel_wq "$kdev" 0 128 >/dev/null
insmod "$ko" || fail "insmod dmacopy"
note "dsa: dsa:0000:00:06.0; dpdk-idxd: 0000:00:07.0,max_queues=1; kernel: dmacopy.ko on" \
	"$kdev/wq${kdev#dsa}.0 ($(dsa_chans "$kdev" | tr '\n' ' ')); ioat: ioat:0000:00:05.0;" \
	"dpdk-ioat: 0000:00:09.0"

# run NAME MODE ARGS...: one measurement, the bench program's result lines. Each pair of peers
# is on its two functions as swap says (0: dsa 06.0, DPDK idxd 07.0, ioat 05.0, DPDK ioat 09.0;
# 1: the other way round).
swap=0
run() {
	local who=$1 dsa=06.0 idxd=07.0 ioat=05.0 dioat=09.0
	shift
	[ "$swap" = 1 ] && { dsa=07.0; idxd=06.0; ioat=09.0; dioat=05.0; }
	case $who in
	dsa) "$bench" "$1" dsa:0000:00:$dsa "${@:2}" ;;
	dsa-v) "$bench" "$1" dsa:0000:00:$dsa "${@:2}" -v ;;
	dsa-r) "$bench" "$1" dsa:0000:00:$dsa "${@:2}" -r ;;
	dsa-vr) "$bench" "$1" dsa:0000:00:$dsa "${@:2}" -v -r ;;
	ioat) "$bench" "$1" ioat:0000:00:$ioat "${@:2}" ;;
	kernel) "$bench" "$1" kernel "${@:2}" ;;
	dpdk-idxd) "$rte" $DPDK_EAL -a 0000:00:$idxd,max_queues=1 --log-level=lib.eal:error -- "$@" ;;
	dpdk-ioat) "$rte" $DPDK_EAL -a 0000:00:$dioat --log-level=lib.eal:error -- "$@" ;;
	esac
}
# value, best, median, pratio, div and goal
. "$DMACOPY_ROOT/bench/guest-stats.sh"

who_all="dsa dsa-v dsa-r dsa-vr dpdk-idxd kernel ioat dpdk-ioat"
who_rev="dpdk-ioat ioat kernel dpdk-idxd dsa-vr dsa-r dsa-v dsa"
rounds=15
declare -A ops bw cost pmed plist pwins
for w in 1 4; do
	declare -A r=()
	for round in $(seq $rounds); do
		swap=$((round % 2 == 0))
		order=$who_all
		[ $((round % 4)) -ge 2 ] && order=$who_rev
		for who in $order; do
			res=ops64_b32_w$w
			case $who in
			dsa-v) res=${res}_v ;;
			dsa-r) res=${res}_r ;;
			dsa-vr) res=${res}_v_r ;;
			esac
			r[$who]="${r[$who]:-} $(value "$who" "$res" ops -b 32 -w $w -t 1)"
		done
	done
	swap=0
	for who in $who_all; do
		ops[$who$w]=$(printf '%s\n' ${r[$who]} | median)
		note "64 B copies, batch 32, $w in flight: $who:${r[$who]} ops/s"
	done
	for pair in dsa:dpdk-idxd dsa-v:dpdk-idxd dsa-r:dpdk-idxd dsa-vr:dpdk-idxd dsa:kernel \
		ioat:dpdk-ioat; do
		p=$(pratio "${pair%%:*}" "${pair#*:}")
		plist[$pair$w]=$(echo "$p" | tr '\n' ' ')
		pmed[$pair$w]=$(echo "$p" | median)
		pwins[$pair$w]=$(echo "$p" | awk '$1 >= 1 { n++ } END { print n + 0 }')
		note "64 B copies, batch 32, $w in flight: ${pair%%:*} / ${pair#*:}, per round:" \
			"${plist[$pair$w]}(median $(printf '%.2f' "${pmed[$pair$w]}"); ${pwins[$pair$w]} of" \
			"$rounds rounds >= 1)"
	done
	unset r
done

for size in 4096 1048576 16777216; do
	for who in dsa dpdk-idxd kernel ioat; do
		a=$(value $who bw_$size bw "$size" -t 2)
		b=$(value $who bw_$size bw "$size" -t 2)
		bw[$who$size]=$(printf '%s\n%s\n' "$a" "$b" | best)
	done
done

for who in dsa ioat kernel; do
	out=$(run $who cost -b 32 -n 2000 2>&1) || fail "cost $who: $out"
	for r in cost_submit_cpu_median cost_reap_cpu_median cost_total_cpu_median; do
		cost[$who$r]=$(echo "$out" | awk -v r=$r '$2 == r { print $3 }')
	done
done
rmmod dmacopy || fail "rmmod dmacopy"

echo
echo "## summary (emulated devices under QEMU TCG: these figures describe the emulation, not hardware)"
printf '%-40s %10s %10s %10s %10s %10s %12s %10s %10s\n' "" dsa dsa-v dsa-r dsa-vr dpdk-idxd \
	"kernel(dsa)" ioat dpdk-ioat
for w in 1 4; do
	printf '%-40s %10.0f %10.0f %10.0f %10.0f %10.0f %12.0f %10.0f %10.0f\n' \
		"64 B copies/s, batch 32, $w in flight" "${ops[dsa$w]}" "${ops[dsa-v$w]}" \
		"${ops[dsa-r$w]}" "${ops[dsa-vr$w]}" "${ops[dpdk-idxd$w]}" "${ops[kernel$w]}" \
		"${ops[ioat$w]}" "${ops[dpdk-ioat$w]}"
done
for size in 4096 1048576 16777216; do
	printf '%-40s %10.2f %10s %10s %10s %10.2f %12.2f %10.2f %10s\n' "GB/s, $size-byte copies" \
		"${bw[dsa$size]}" - - - "${bw[dpdk-idxd$size]}" "${bw[kernel$size]}" \
		"${bw[ioat$size]}" -
done
for r in cost_submit_cpu_median cost_reap_cpu_median cost_total_cpu_median; do
	printf '%-40s %10.0f %10s %10s %10s %10s %12.0f %10.0f %10s\n' \
		"CPU ns/op (64 B, batch 32): ${r#cost_}" "${cost[dsa$r]}" - - - - \
		"${cost[kernel$r]}" "${cost[ioat$r]}" -
done
echo
missed=0
# the goals on the median of the rounds' ratios; the ratio of the median runs beside it
for w in 1 4; do
	note "64 B copies, batch 32, $w in flight: ratios of the median runs: dsa / DPDK idxd" \
		"$(div "${ops[dsa$w]}" "${ops[dpdk-idxd$w]}")x, dsa-v / DPDK idxd" \
		"$(div "${ops[dsa-v$w]}" "${ops[dpdk-idxd$w]}")x, dsa-r / DPDK idxd" \
		"$(div "${ops[dsa-r$w]}" "${ops[dpdk-idxd$w]}")x, dsa-vr / DPDK idxd" \
		"$(div "${ops[dsa-vr$w]}" "${ops[dpdk-idxd$w]}")x"
	goal "64 B copies, batch 32, $w in flight: dsa engine / DPDK idxd, median of $rounds rounds" \
		"$(printf '%.2f' "${pmed[dsa:dpdk-idxd$w]}")" 1
	goal "64 B copies, batch 32, $w in flight: dsa engine, dmacopy_enqueue_copies() / DPDK idxd, median of $rounds rounds" \
		"$(printf '%.2f' "${pmed[dsa-v:dpdk-idxd$w]}")" 1
	goal "64 B copies, batch 32, $w in flight: dsa engine, dmacopy_reap() / DPDK idxd, median of $rounds rounds" \
		"$(printf '%.2f' "${pmed[dsa-r:dpdk-idxd$w]}")" 1
	goal "64 B copies, batch 32, $w in flight: dsa engine, dmacopy_enqueue_copies() and dmacopy_reap() / DPDK idxd, median of $rounds rounds" \
		"$(printf '%.2f' "${pmed[dsa-vr:dpdk-idxd$w]}")" 1
	goal "64 B copies, batch 32, $w in flight: dsa engine / kernel engine on DSA, median of $rounds rounds" \
		"$(printf '%.2f' "${pmed[dsa:kernel$w]}")" 5
done
note "for reference: ioat engine / DPDK ioat, 64 B, batch 32, 1 in flight, median of $rounds rounds:" \
	"$(printf '%.2f' "${pmed[ioat:dpdk-ioat1]}")x"
exit $missed

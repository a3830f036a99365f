#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Run in the guest by bench/ioat-user/run (--iommu on, four emulated I/OAT functions 05.0-08.0).
#
#   05.0 vfio-pci  dmacopy's ioat engine, through libdmacopy  (tests/vm/progs/ioatuser_bench.c)
#   06.0 vfio-pci  DPDK's ioat driver (dmadev)                (bench/dmadev/rte_dma_bench.c)
#   07.0 vfio-pci  unused (so that the kernel engine has one channel, as before)
#   08.0 ioatdma   dmacopy.ko, the kernel engine, through libdmacopy
#
# All on the same emulated device model, all memory hugetlb, every copy checked (a sample):
#  (a) 64-byte copies in batches of 32, one batch and four batches in flight: ops/s, five
#      2-second runs each, the contenders taking turns in every round; the table gives each one's
#      best run, the goals (ioat >= DPDK's ioat driver, ioat >= 5x kernel) the median of the
#      rounds' ratios (two contenders' runs in the same round, seconds apart);
#  (b) GB/s of 4 KiB (64 in flight), 1 MiB (8) and 16 MiB (2) copies, best of two, taking turns;
#  (c) CPU time of the submitting thread per 64-byte operation: enqueue + submit, and the
#      dmacopy_wait() that reaps a batch of 32 the engine has had 2 ms to finish
#      (CLOCK_THREAD_CPUTIME_ID, median of 2000 batches; the two libdmacopy engines).
set -u
name="ioat-user"
fail() { echo "$name: FAIL: $*" >&2; dmesg | grep -iE 'dmacopy|ioat|vfio' | tail -20 >&2; exit 1; }
note() { echo "$name: $*"; }
. "$DMACOPY_ROOT/tests/vm/dpdk.sh"

bench=$DMACOPY_BUILD/tests/vm/ioatuser_bench
rte=$DMACOPY_BUILD/bench/rte_dma_bench
ko=$DMACOPY_KMOD/kmod/dmacopy.ko
for f in "$bench" "$rte"; do [ -x "$f" ] || fail "$f is missing (make vm-progs bench-progs)"; done
[ -f "$ko" ] || fail "$ko is missing (make kmods)"

dpdk_setup 512 || fail "no hugepages"
modprobe ioatdma || fail "modprobe ioatdma"
"$DMACOPY_ROOT/scripts/dmacopy-bind" -q bind 00:05.0 00:06.0 00:07.0 || fail "dmacopy-bind bind"
insmod "$ko" || fail "insmod dmacopy"
ioat=ioat:0000:00:05.0
note "ioat engine: $ioat (vfio-pci); dpdk-ioat: 0000:00:06.0 (vfio-pci); kernel engine:" \
	"dmacopy.ko on ioatdma, $(ls /sys/class/dma) ($(basename "$(readlink /sys/class/dma/*/device)"))"

# run WHO MODE ARGS...: one measurement, the program's result lines
run() {
	local who=$1
	shift
	case $who in
	ioat) "$bench" "$1" "$ioat" "${@:2}" ;;
	kernel) "$bench" "$1" kernel "${@:2}" ;;
	dpdk-ioat) "$rte" $DPDK_EAL -a 0000:00:06.0 --log-level=lib.eal:error -- "$@" ;;
	esac
}
# value, best, median, pratio, div and goal
. "$DMACOPY_ROOT/bench/guest-stats.sh"

who_all="ioat dpdk-ioat kernel"
# (a) 64-byte copies, batches of 32
rounds=5
declare -A ops pmed
for w in 1 4; do
	declare -A r=()
	for _ in $(seq $rounds); do
		for who in $who_all; do
			r[$who]="${r[$who]:-} $(value "$who" ops64_b32_w$w ops -b 32 -w $w -t 2)"
		done
	done
	for who in $who_all; do
		ops[$who$w]=$(printf '%s\n' ${r[$who]} | best)
		note "64 B copies, batch 32, $w batch(es) in flight: $who:${r[$who]} ops/s"
	done
	for pair in ioat:dpdk-ioat ioat:kernel; do
		pmed[$pair$w]=$(pratio "${pair%%:*}" "${pair#*:}" | median)
		note "64 B copies, batch 32, $w in flight: ${pair%%:*} / ${pair#*:}, per round:" \
			"$(pratio "${pair%%:*}" "${pair#*:}" | tr '\n' ' ')(median $(printf '%.2f' "${pmed[$pair$w]}"))"
	done
	unset r
done

# (b) throughput
declare -A bw
for size in 4096 1048576 16777216; do
	declare -A r=()
	for _ in 1 2; do
		for who in $who_all; do
			r[$who]="${r[$who]:-} $(value "$who" "bw_$size" bw "$size" -t 2)"
		done
	done
	for who in $who_all; do
		bw[$who$size]=$(printf '%s\n' ${r[$who]} | best)
	done
	unset r
done

# (c) per-operation CPU cost in the submitting thread
declare -A cost
for who in ioat kernel; do
	out=$(run $who cost -b 32 -n 2000 2>&1) || fail "ioatuser_bench cost $who: $out"
	echo "$out" | sed "s/^/  [$who] /"
	for r in cost_submit_cpu_median cost_reap_cpu_median cost_total_cpu_median cost_total_cpu_mean; do
		cost[$who$r]=$(echo "$out" | awk -v r=$r '$2 == r { print $3 }')
	done
done
rmmod dmacopy || fail "rmmod dmacopy"

echo
echo "## summary (emulated I/OAT under QEMU TCG: these figures describe the emulation, not hardware)"
printf '%-44s %14s %14s %14s\n' "" "ioat (VFIO)" "dpdk-ioat" "kernel (.ko)"
for w in 1 4; do
	printf '%-44s %14.0f %14.0f %14.0f\n' "64 B copies/s, batch 32, $w in flight" \
		"${ops[ioat$w]}" "${ops[dpdk-ioat$w]}" "${ops[kernel$w]}"
done
printf '%-44s %14.0f %14.0f %14.0f\n' "4096-byte copies/s, 64 in flight" \
	"$(awk -v g="${bw[ioat4096]}" 'BEGIN { print g * 1e9 / 4096 }')" \
	"$(awk -v g="${bw[dpdk-ioat4096]}" 'BEGIN { print g * 1e9 / 4096 }')" \
	"$(awk -v g="${bw[kernel4096]}" 'BEGIN { print g * 1e9 / 4096 }')"
for size in 4096 1048576 16777216; do
	printf '%-44s %14.2f %14.2f %14.2f\n' "GB/s, $size-byte copies" "${bw[ioat$size]}" \
		"${bw[dpdk-ioat$size]}" "${bw[kernel$size]}"
done
for r in cost_submit_cpu_median cost_reap_cpu_median cost_total_cpu_median cost_total_cpu_mean; do
	printf '%-44s %14.0f %14s %14.0f\n' "CPU ns/op (64 B, batch 32): ${r#cost_}" "${cost[ioat$r]}" \
		- "${cost[kernel$r]}"
done
echo
missed=0
# the goals on the median of the rounds' ratios; the ratio of the best runs beside it
for w in 1 4; do
	note "64 B copies, batch 32, $w in flight: ratio of the best runs: ioat / DPDK ioat" \
		"$(div "${ops[ioat$w]}" "${ops[dpdk-ioat$w]}")x"
	goal "64 B copies, batch 32, $w in flight: ioat engine / DPDK ioat, median of $rounds rounds" \
		"$(printf '%.2f' "${pmed[ioat:dpdk-ioat$w]}")" 1
	goal "64 B copies, batch 32, $w in flight: ioat engine / kernel engine, median of $rounds rounds" \
		"$(printf '%.2f' "${pmed[ioat:kernel$w]}")" 5
done
for size in 4096 1048576 16777216; do
	note "for reference: $size-byte copies, GB/s: ioat engine / DPDK ioat:" \
		"$(div "${bw[ioat$size]}" "${bw[dpdk-ioat$size]}")x"
done
exit $missed

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Run in the guest by bench/ioat-user/run (--iommu on, four emulated I/OAT functions 05.0-08.0).
#
# The user-space "ioat" engine (05.0-07.0 on vfio-pci) against the "kernel" engine (dmacopy.ko on
# ioatdma, 08.0: the same emulated device), both through libdmacopy on registered hugetlb memory
# (tests/vm/progs/ioatuser_bench.c):
#  (a) 64-byte copies in batches of 32, one batch and four batches in flight: ops/s of each engine,
#      best of three interleaved 2-second runs, and the ratio (goal: ioat >= 5x kernel);
#  (b) GB/s of 4 KiB (64 in flight), 1 MiB (8) and 16 MiB (2) copies, both engines, best of two;
#  (c) CPU time of the submitting thread per 64-byte operation: enqueue + submit, and the
#      dmacopy_wait() that reaps a batch of 32 the engine has had 2 ms to finish
#      (CLOCK_THREAD_CPUTIME_ID, median of 2000 batches).
set -u
name="ioat-user"
fail() { echo "$name: FAIL: $*" >&2; dmesg | grep -iE 'dmacopy|ioat|vfio' | tail -20 >&2; exit 1; }
note() { echo "$name: $*"; }

bench=$DMACOPY_BUILD/tests/vm/ioatuser_bench
ko=$DMACOPY_KMOD/kmod/dmacopy.ko
[ -x "$bench" ] || fail "$bench is missing (make vm-progs)"
[ -f "$ko" ] || fail "$ko is missing (make kmods)"

echo 128 >/proc/sys/vm/nr_hugepages
modprobe ioatdma || fail "modprobe ioatdma"
"$DMACOPY_ROOT/scripts/dmacopy-bind" -q bind 00:05.0 00:06.0 00:07.0 || fail "dmacopy-bind bind"
insmod "$ko" || fail "insmod dmacopy"
ioat=ioat:0000:00:05.0 kernel=kernel
note "ioat engine: $ioat (vfio-pci); kernel engine: dmacopy.ko on ioatdma, $(ls /sys/class/dma)" \
	"($(basename "$(readlink /sys/class/dma/*/device)"))"

# $1 mode, $2 spec, $3 result name, then bench options: prints the value
value() {
	local mode=$1 spec=$2 res=$3 out
	shift 3
	out=$("$bench" "$mode" "$spec" "$@") || fail "ioatuser_bench $mode $spec $*: $out"
	echo "$out" | awk -v r="$res" '$1 == "result:" && $2 == r { print $3 }'
}
best() { # best of the numbers on stdin
	sort -g | tail -1
}
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b ? a / b : 0 }'; }

# (a) 64-byte copies, batches of 32
declare -A ops
for w in 1 4; do
	ri=() rk=()
	for _ in 1 2 3; do
		ri+=("$(value ops $ioat ops64_b32_w$w -b 32 -w $w -t 2)")
		rk+=("$(value ops $kernel ops64_b32_w$w -b 32 -w $w -t 2)")
	done
	ops[ioat$w]=$(printf '%s\n' "${ri[@]}" | best)
	ops[kernel$w]=$(printf '%s\n' "${rk[@]}" | best)
	note "64 B copies, batch 32, $w batch(es) in flight: ioat ${ri[*]} ops/s, kernel ${rk[*]} ops/s"
done

# (b) throughput
declare -A bw
for size in 4096 1048576 16777216; do
	for spec in $ioat $kernel; do
		a=$(value bw $spec "bw_$size" "$size" -t 2)
		b=$(value bw $spec "bw_$size" "$size" -t 2)
		bw[$spec$size]=$(printf '%s\n%s\n' "$a" "$b" | best)
	done
done

# (c) per-operation CPU cost in the submitting thread
declare -A cost
for spec in $ioat $kernel; do
	out=$("$bench" cost $spec -b 32 -n 2000) || fail "ioatuser_bench cost $spec: $out"
	echo "$out" | sed "s/^/  [$spec] /"
	for r in cost_submit_cpu_median cost_reap_cpu_median cost_total_cpu_median cost_total_cpu_mean; do
		cost[$spec$r]=$(echo "$out" | awk -v r=$r '$2 == r { print $3 }')
	done
done
rmmod dmacopy || fail "rmmod dmacopy"

echo
echo "## summary (emulated I/OAT under QEMU TCG: these figures describe the emulation, not hardware)"
printf '%-44s %14s %14s %8s\n' "" "ioat (VFIO)" "kernel (.ko)" "ratio"
for w in 1 4; do
	printf '%-44s %14.0f %14.0f %7.1fx\n' "64 B copies/s, batch 32, $w batch(es) in flight" \
		"${ops[ioat$w]}" "${ops[kernel$w]}" "$(div "${ops[ioat$w]}" "${ops[kernel$w]}")"
done
for size in 4096 1048576 16777216; do
	printf '%-44s %14.2f %14.2f %7.1fx\n' "GB/s, $size-byte copies" "${bw[$ioat$size]}" \
		"${bw[$kernel$size]}" "$(div "${bw[$ioat$size]}" "${bw[$kernel$size]}")"
done
for r in cost_submit_cpu_median cost_reap_cpu_median cost_total_cpu_median cost_total_cpu_mean; do
	printf '%-44s %14.0f %14.0f\n' "CPU ns/op (64 B, batch 32): ${r#cost_}" "${cost[$ioat$r]}" \
		"${cost[$kernel$r]}"
done
missed=0
for w in 1 4; do
	ratio=$(div "${ops[ioat$w]}" "${ops[kernel$w]}")
	if awk -v r="$ratio" 'BEGIN { exit !(r >= 5) }'; then
		note "goal met: 64 B copies, $w batch(es) of 32 in flight: ioat engine at" \
			"$(printf %.1f "$ratio")x the kernel engine (>= 5x)"
	else
		note "goal MISSED: 64 B copies, $w batch(es) of 32 in flight: ioat engine at" \
			"$(printf %.1f "$ratio")x the kernel engine (< 5x)"
		missed=1
	fi
done
exit $missed

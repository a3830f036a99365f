#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Run in the guest by bench/dsa-guest/run (--device ioat,addr=4.0 --device dsa,addr=6.0).
#
# dmacopy.ko on the emulated DSA (one dedicated kernel WQ) against dmacopy.ko
# on the emulated I/OAT (one channel), in the same guest: the two engines take
# turns (only one is bound at a time, so dmacopy.ko holds only its channel),
# three rounds each, best round kept:
#  - 4 KiB copies in batches of 32 through /dev/dmacopy (kmod_bench ops);
#  - 16 MiB copies between registered hugetlbfs buffers, 4 in flight (big);
#  - one 1 MiB copy: the DMA time of the size sweep (sweep, 1048576 row).
# Figures describe the QEMU models under TCG, not real hardware.
set -u
name=dsa-guest-perf
fail() { echo "$name: FAIL: $*" >&2; dmesg | grep -iE 'dmacopy|ioat|idxd' | tail -20 >&2; exit 1; }
note() { echo "$name: $*"; }
. "$DMACOPY_ROOT/tests/vm/dsa.sh"

ko=$DMACOPY_KMOD/kmod/dmacopy.ko
bench=$DMACOPY_BUILD/tests/vm/kmod_bench
[ -f "$ko" ] || fail "$ko is missing (make kmods)"
[ -x "$bench" ] || fail "$bench is missing (make vm-progs)"
echo 200 >/proc/sys/vm/nr_hugepages
dsa_load 1

engine_on() {
	case $1 in
	ioat) modprobe ioatdma || fail "modprobe ioatdma" ;;
	dsa) dsa_kernel_wq dsa0 0 64 >/dev/null ;;
	esac
	insmod "$ko" || fail "insmod dmacopy"
}
engine_off() {
	rmmod dmacopy || fail "rmmod dmacopy"
	case $1 in
	ioat) modprobe -r ioatdma || fail "modprobe -r ioatdma" ;;
	dsa) accel-config disable-wq dsa0/wq0.0 >/dev/null || fail "disable-wq" ;;
	esac
}
best() { awk -v a="$1" -v b="$2" -v lo="${3:-}" 'BEGIN { if (lo == "lo") print (a == "" || b < a) ? b : a; else print (b > a) ? b : a }'; }

declare -A ops mbps us1m
for e in ioat dsa; do ops[$e]=0; mbps[$e]=0; us1m[$e]=""; done
for round in 1 2 3; do
	for e in ioat dsa; do
		engine_on $e
		o=$("$bench" ops 2 | awk '/^result: ops_batched_4k/ { printf "%d", $3 }')
		m=$("$bench" big 1 4 huge | awk '/^result: big_16m/ { printf "%d", $3 }')
		u=$("$bench" sweep | awk '$1 == 1048576 { print $2 }')
		engine_off $e
		[ -n "$o" ] && [ -n "$m" ] && [ -n "$u" ] || fail "round $round, $e: no result"
		note "round $round: $e: 4 KiB batched $o ops/s, 16 MiB $m MB/s, 1 MiB copy $u us"
		ops[$e]=$(best "${ops[$e]}" "$o")
		mbps[$e]=$(best "${mbps[$e]}" "$m")
		us1m[$e]=$(best "${us1m[$e]}" "$u" lo)
	done
done
note "best of 3: 4 KiB batches of 32: dsa ${ops[dsa]} ops/s, ioat ${ops[ioat]} ops/s:" \
	"$(awk -v a="${ops[dsa]}" -v b="${ops[ioat]}" 'BEGIN { printf "%.2fx", a / b }')"
note "best of 3: 16 MiB copies: dsa ${mbps[dsa]} MB/s, ioat ${mbps[ioat]} MB/s:" \
	"$(awk -v a="${mbps[dsa]}" -v b="${mbps[ioat]}" 'BEGIN { printf "%.2fx", a / b }')"
note "best of 3: one 1 MiB copy: dsa ${us1m[dsa]} us, ioat ${us1m[ioat]} us:" \
	"$(awk -v a="${us1m[dsa]}" -v b="${us1m[ioat]}" 'BEGIN { printf "%.2fx the speed", b / a }')"

# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Helpers for the guest tests of the emulated DSA (sourced, not a test).
# The test defines fail() first.

# dsa_load [N]: load idxd and wait for N DSA devices (default 1).
dsa_load() {
	n=${1:-1}
	modprobe idxd || fail "modprobe idxd failed"
	i=0
	while [ "$(ls -d /sys/bus/dsa/devices/dsa* 2>/dev/null | wc -l)" -lt "$n" ]; do
		i=$((i + 1))
		[ $i -le 100 ] || fail "idxd loaded but $n DSA device(s) did not appear: $(ls /sys/bus/dsa/devices 2>&1)"
		sleep 0.1
	done
}

# dsa_kernel_wq DEV WQ [SIZE [ENGINE]]: engine ENGINE and WQ WQ of DEV (e.g.
# dsa0) in group 0, the WQ dedicated, kernel type, named "dmacopy", bound to
# the dmaengine driver; the device enabled (if not yet) and the WQ enabled.
# Prints nothing; fails the test on any accel-config error.
dsa_kernel_wq() {
	dev=$1 wq=$2 size=${3:-16} eng=${4:-0}
	id=${dev#dsa}
	w=/sys/bus/dsa/devices/wq$id.$wq
	# An enabled device refuses size and group changes (6.12), and disabling
	# a WQ clears its type and name: write only what differs.
	if [ "$(cat "/sys/bus/dsa/devices/engine$id.$eng/group_id")" != 0 ]; then
		accel-config config-engine "$dev/engine$id.$eng" --group-id=0 ||
			fail "accel-config config-engine $dev/engine$id.$eng failed"
	fi
	set -- --mode=dedicated --type=kernel --name=dmacopy --driver-name=dmaengine --priority=10
	[ "$(cat "$w/group_id")" = 0 ] || set -- "$@" --group-id=0
	[ "$(cat "$w/size")" = "$size" ] || set -- "$@" --wq-size="$size"
	accel-config config-wq "$dev/wq$id.$wq" "$@" ||
		fail "accel-config config-wq $dev/wq$id.$wq $* failed"
	if [ "$(cat "/sys/bus/dsa/devices/$dev/state")" != enabled ]; then
		accel-config enable-device "$dev" || fail "accel-config enable-device $dev failed"
	fi
	accel-config enable-wq "$dev/wq$id.$wq" || fail "accel-config enable-wq $dev/wq$id.$wq failed"
	[ "$(cat "/sys/bus/dsa/devices/wq$id.$wq/state")" = enabled ] ||
		fail "wq$id.$wq is not enabled after enable-wq"
}

# dsa_chans DEV: the dmaengine channels (dmaXchanY) of DEV's enabled kernel WQs,
# one per line (idxd parents them to the PCI function, not to the WQ).
dsa_chans() {
	pdev=$(dirname "$(readlink -f "/sys/bus/dsa/devices/$1")")
	for c in /sys/class/dma/dma*chan*; do
		[ -e "$c" ] || continue
		[ "$(readlink -f "$c/device")" = "$pdev" ] && basename "$c"
	done
	return 0
}

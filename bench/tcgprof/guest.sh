#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Run in the guest by bench/tcgprof/run: one contender of bench/dsa-user on its own function
# (I/OAT 05.0 and 09.0, DSA 06.0 and 07.0, all on vfio-pci), then the process's memory map
# (lines "MAP ..."), taken while it ran, for the report.
#
#   guest.sh WHO ARGS...    WHO: dsa ioat dpdk-idxd dpdk-ioat; ARGS for "ops" of the program
set -u
fail() { echo "tcgprof: FAIL: $*" >&2; exit 1; }
. "$DMACOPY_ROOT/tests/vm/dsa.sh"
. "$DMACOPY_ROOT/tests/vm/dpdk.sh"
bench=$DMACOPY_BUILD/tests/vm/ioatuser_bench
rte=$DMACOPY_BUILD/bench/rte_dma_bench
who=$1
shift
dpdk_setup 512 || fail "no hugepages"
dsa_load 2
"$DMACOPY_ROOT/scripts/dmacopy-bind" -q bind 00:05.0 00:06.0 00:07.0 00:09.0 ||
	fail "dmacopy-bind bind"
case $who in
dsa) "$bench" ops dsa:0000:00:06.0 "$@" & ;;
dsa-v) "$bench" ops dsa:0000:00:06.0 "$@" -v & ;;
dsa-r) "$bench" ops dsa:0000:00:06.0 "$@" -r & ;;
dsa-vr) "$bench" ops dsa:0000:00:06.0 "$@" -v -r & ;;
ioat) "$bench" ops ioat:0000:00:05.0 "$@" & ;;
dpdk-idxd) "$rte" $DPDK_EAL -a 0000:00:07.0,max_queues=1 --log-level=lib.eal:error -- ops "$@" & ;;
dpdk-ioat) "$rte" $DPDK_EAL -a 0000:00:09.0 --log-level=lib.eal:error -- ops "$@" & ;;
*) fail "unknown contender $who" ;;
esac
pid=$!
# The last map read before it exits: libraries loaded late (DPDK's drivers) are in it.
map=
while kill -0 "$pid" 2>/dev/null; do
	m=$(cat "/proc/$pid/maps" 2>/dev/null) && [ -n "$m" ] && map=$m
	sleep 0.3
done
wait "$pid" || fail "$who exited with status $?"
echo "$map" | sed 's/^/MAP /'

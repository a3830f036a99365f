#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Run in the guest by bench/tcgprof/run: one contender of bench/dsa-user on its own function
# (I/OAT 05.0 and 09.0, DSA 06.0 and 07.0, all on vfio-pci), then the process's memory map
# (lines "MAP ..."), taken while it ran, for the report.
#
#   guest.sh [--norand] WHO ARGS...    WHO: dsa ioat dpdk-idxd dpdk-ioat; ARGS for "ops" of the program
# (pair, pair-r: bench/dsa-pair's process, DPDK's idxd driver and the dsa engine in turns)
# --norand: without address-space randomisation (bench/tcgprof/hostmap: the guest addresses QEMU
# logs at translation are then those of every process of the program), and "tcgprof: started"
# printed once the contender runs.
set -u
fail() { echo "tcgprof: FAIL: $*" >&2; exit 1; }
. "$DMACOPY_ROOT/tests/vm/dsa.sh"
. "$DMACOPY_ROOT/tests/vm/dpdk.sh"
bench=$DMACOPY_BUILD/tests/vm/ioatuser_bench
rte=$DMACOPY_BUILD/bench/rte_dma_bench
pre=
if [ "$1" = --norand ]; then
	pre="setarch -R"
	shift
fi
who=$1
shift
dpdk_setup 512 || fail "no hugepages"
dsa_load 2
"$DMACOPY_ROOT/scripts/dmacopy-bind" -q bind 00:05.0 00:06.0 00:07.0 00:09.0 ||
	fail "dmacopy-bind bind"
case $who in
dsa) $pre "$bench" ops dsa:0000:00:06.0 "$@" & ;;
dsa-v) $pre "$bench" ops dsa:0000:00:06.0 "$@" -v & ;;
dsa-r) $pre "$bench" ops dsa:0000:00:06.0 "$@" -r & ;;
dsa-vr) $pre "$bench" ops dsa:0000:00:06.0 "$@" -v -r & ;;
ioat) $pre "$bench" ops ioat:0000:00:05.0 "$@" & ;;
dpdk-idxd) $pre "$rte" $DPDK_EAL -a 0000:00:07.0,max_queues=1 --log-level=lib.eal:error -- ops "$@" & ;;
dpdk-ioat) $pre "$rte" $DPDK_EAL -a 0000:00:09.0 --log-level=lib.eal:error -- ops "$@" & ;;
pair) $pre "$rte" $DPDK_EAL -a 0000:00:07.0,max_queues=1 --log-level=lib.eal:error \
	-- pair dsa:0000:00:06.0 "$@" & ;;
pair-r) $pre "$rte" $DPDK_EAL -a 0000:00:07.0,max_queues=1 --log-level=lib.eal:error \
	-- pair dsa:0000:00:06.0 "$@" -r & ;;
*) fail "unknown contender $who" ;;
esac
pid=$!
if [ -n "$pre" ]; then
	echo "tcgprof: started"
	# once its libraries are loaded (the map the same two seconds running), then nothing else
	# runs in the guest while it is sampled
	sleep 2
	map=$(cat "/proc/$pid/maps")
	while sleep 2; do
		m=$(cat "/proc/$pid/maps") || fail "$who exited early"
		[ "$m" = "$map" ] && break
		map=$m
	done
	echo "$map" | sed 's/^/MAP /'
	wait "$pid" || fail "$who exited with status $?"
	exit 0
fi
# The last map read before it exits: libraries loaded late (DPDK's drivers) are in it.
map=
while kill -0 "$pid" 2>/dev/null; do
	m=$(cat "/proc/$pid/maps" 2>/dev/null) && [ -n "$m" ] && map=$m
	sleep 0.3
done
wait "$pid" || fail "$who exited with status $?"
echo "$map" | sed 's/^/MAP /'

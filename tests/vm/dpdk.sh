# SPDX-License-Identifier: GPL-2.0-only
# Sourced by guest tests that run DPDK programs: hugepages for EAL, the options every run takes
# (no files under /var/run, no telemetry socket), and DPDK's own dmadev test.

# dpdk_setup [PAGES]: 2 MiB hugepages (default 256) mounted for EAL.
dpdk_setup() {
	echo "${1:-256}" >/proc/sys/vm/nr_hugepages
	grep -q ' hugetlbfs ' /proc/mounts || {
		mkdir -p /dev/hugepages && mount -t hugetlbfs none /dev/hugepages
	} || return 1
	[ "$(cat /proc/sys/vm/nr_hugepages)" -ge 64 ] || return 1
}

DPDK_EAL="--in-memory --no-telemetry -l 0"

# dpdk_autotest DEVARGS: DPDK's dmadev_autotest (dpdk-test) on the device DEVARGS names, output
# in /tmp/dmadev_autotest.out with progress lines folded. Fails unless the test says "Test OK"
# and checked the device itself (not only the skeleton driver).
dpdk_autotest() {
	local pci=${1%%,*} rc=0
	echo dmadev_autotest | timeout 900 dpdk-test $DPDK_EAL -a "$1" >/tmp/dmadev_autotest.raw 2>&1 ||
		rc=$?
	tr '\r' '\n' </tmp/dmadev_autotest.raw | grep -v '^Ops submitted' >/tmp/dmadev_autotest.out
	if [ $rc != 0 ] || ! grep -q '^Test OK' /tmp/dmadev_autotest.out ||
		! grep -q "^### Test dmadev instance 0 \[$pci" /tmp/dmadev_autotest.out; then
		tail -40 /tmp/dmadev_autotest.out >&2
		return 1
	fi
}

# SPDX-License-Identifier: GPL-2.0-only
# Shell functions for guest tests that run Linux's dmatest (built by
# scripts/build-linux-mods into $DMACOPY_KMOD/tests/dmatest.ko). Source it:
#
#   . "$DMACOPY_ROOT/tests/vm/dmatest.sh"
#   dmatest_run dma0chan0 2000                     # memcpy test, 2000 iterations
#   dmatest_run dma0chan0 500 test_buf_size=65536  # more dmatest parameters
#
# dmatest_run CHANNEL ITERATIONS [PARAM=VALUE...] loads dmatest with one
# thread on CHANNEL (run=1), waits until the thread has logged its summary
# (at most DMATEST_WAIT_S, default 600 s), unloads dmatest, prints the
# summary line and returns 0 only if the kernel
# log (from this call on) has "CHANNEL-copy0: summary N tests, 0 failures"
# with N = ITERATIONS > 0. On failure it prints why and dmatest's log lines.
# DMATEST_KO overrides the module's path; DMATEST_TIMEOUT_MS (default 10000)
# is dmatest's per-transfer timeout (TCG is slow).

dmatest_run() {
	local chan=${1:?dmatest_run: channel} iters=${2:?dmatest_run: iterations}
	shift 2
	local ko=${DMATEST_KO:-$DMACOPY_KMOD/tests/dmatest.ko}
	local mark="dmatest.sh: start $chan $$ $RANDOM" log summary n i

	if [ ! -f "$ko" ]; then
		echo "dmatest_run: $ko is missing (scripts/build-kmods builds it)" >&2
		return 1
	fi
	[ -d /sys/class/dma/"$chan" ] || {
		echo "dmatest_run: no channel $chan; /sys/class/dma has: $(ls /sys/class/dma | tr '\n' ' ')" >&2
		return 1
	}
	echo "$mark" >/dev/kmsg
	# Parameters are applied in order and channel= adds the test with the
	# values set so far: it must come after every other one.
	if ! insmod "$ko" iterations="$iters" threads_per_chan=1 \
		timeout="${DMATEST_TIMEOUT_MS:-10000}" "$@" channel="$chan" run=1; then
		echo "dmatest_run: insmod dmatest failed" >&2
		return 1
	fi
	# Reading "wait" blocks while a test thread runs, but returns at once if
	# the thread has not started yet (wait=1 at insmod has the same race):
	# the thread's summary line says that it ended.
	for i in $(seq $((${DMATEST_WAIT_S:-600} * 5))); do
		cat /sys/module/dmatest/parameters/wait >/dev/null
		log=$(dmesg | awk -v m="$mark" 'found { print } index($0, m) { found = 1 }' | grep 'dmatest')
		echo "$log" | grep -q "$chan-copy0: summary " && break
		sleep 0.2
	done
	rmmod dmatest || echo "dmatest_run: rmmod dmatest failed" >&2
	summary=$(echo "$log" | grep -E "$chan-copy0: summary " | tail -n 1)
	n=$(echo "$summary" | sed -nE 's/.*summary ([0-9]+) tests, 0 failures.*/\1/p')
	if [ -z "$summary" ] || [ -z "$n" ] || [ "$n" -eq 0 ] || [ "$n" != "$iters" ]; then
		echo "dmatest_run: $chan: expected 'summary $iters tests, 0 failures', got: ${summary:-no summary}" >&2
		echo "$log" | tail -n 20 >&2
		return 1
	fi
	echo "${summary#*dmatest: }"
}

# SPDX-License-Identifier: GPL-2.0-only
# The body of t_ioatuser_kill and t_dsauser_kill (sourced; the test sets name and kind, the engine
# kind, and runs with four functions of that kind at 05.0-08.0): see their headers.
set -u
fail_dmesg='vfio|dmar|ioat|idxd|dsa'
# shellcheck source=vmtest.sh
. "$(dirname "$0")/vmtest.sh"

hold=$DMACOPY_BUILD/tests/vm/ioatuser_hold
copy=$DMACOPY_BUILD/tests/vm/ioatuser_copy
bind=$DMACOPY_ROOT/scripts/dmacopy-bind
require "make vm-progs" "$hold" "$copy"
echo 96 >/proc/sys/vm/nr_hugepages
"$bind" -q bind 00:05.0 00:06.0 00:07.0 00:08.0 || fail "dmacopy-bind bind"
all="$kind:0000:00:05.0 $kind:0000:00:06.0 $kind:0000:00:07.0 $kind:0000:00:08.0"

wait_for() {
	local _
	for _ in $(seq 200); do
		grep -q "$2" "$1" && return 0
		sleep 0.05
	done
	fail "no '$2' from the victim: $(cat "$1")"
}

# the function is free again: nobody has its group open
free_again() {
	"$bind" status 0000:00:05.0 | grep -q 'in use by' && fail "$1: /dev/vfio group still in use"
	return 0
}

round=0
for mem in huge anon dax huge; do
	round=$((round + 1))
	"$hold" -m $mem -b 32 -l 1048576 $kind:0000:00:05.0 >/tmp/hold.$round 2>&1 &
	pid=$!
	wait_for /tmp/hold.$round ready
	sleep 0.$((RANDOM % 8 + 1))
	kill -0 $pid 2>/dev/null || fail "round $round: the victim died by itself: $(cat /tmp/hold.$round)"
	kill -9 $pid
	wait $pid 2>/dev/null
	free_again "round $round"
	"$copy" -n 300 -y 3 -m anon,huge $kind:0000:00:05.0 >/tmp/after.$round 2>&1 ||
		fail "round $round: copies after killing the holder on $mem memory: $(tail -5 /tmp/after.$round)"
	note "round $round: killed a process with 64 x 1 MiB copies in flight on $mem memory;" \
		"$(grep -o 'total: [0-9]* operations verified' /tmp/after.$round) by the next one"
done

# a process using all four functions, killed mid-run
# shellcheck disable=SC2086 # one argument per spec
"$copy" -n 200000 -m anon,huge $all >/tmp/many 2>&1 &
pid=$!
wait_for /tmp/many "$kind:0000:00:08.0: kind"
sleep 2
kill -0 $pid 2>/dev/null || fail "ioatuser_copy on four functions ended too early: $(tail -3 /tmp/many)"
kill -9 $pid
wait $pid 2>/dev/null
# shellcheck disable=SC2086
"$copy" -n 2000 -y 3 -m anon,huge,dax $all >/tmp/many.after 2>&1 ||
	fail "copies on four functions after the kill: $(tail -5 /tmp/many.after)"
note "killed a process using four functions; then $(grep -o 'total: [0-9]* operations verified' /tmp/many.after)"
note "PASS"

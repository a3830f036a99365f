# SPDX-License-Identifier: GPL-2.0-only
# The body of t_ioatuser_multi and t_dsauser_multi (sourced; the test sets name and kind, the
# engine kind, and runs with four functions of that kind at 05.0-08.0): see their headers.
set -u
fail_dmesg='vfio|dmar|ioat|idxd|dsa'
# shellcheck source=vmtest.sh
. "$(dirname "$0")/vmtest.sh"

hold=$DMACOPY_BUILD/tests/vm/ioatuser_hold
copy=$DMACOPY_BUILD/tests/vm/ioatuser_copy
require "make vm-progs" "$hold" "$copy"
echo 96 >/proc/sys/vm/nr_hugepages
"$DMACOPY_ROOT/scripts/dmacopy-bind" -q bind 00:05.0 00:06.0 00:07.0 00:08.0 || fail "dmacopy-bind bind"

# --- two processes, two functions, at the same time ---
stamp() { awk '{ print $1 }' /proc/uptime; }
run_copy() { # $1 function, $2 device-dax offset (MiB), $3 output
	{
		echo "start $(stamp)"
		"$copy" -n 3000 -w 4000 -D "$2" "$kind:$1"
		echo "status $?"
		echo "end $(stamp)"
	} >"$3" 2>&1
}
run_copy 0000:00:05.0 0 /tmp/a &
a=$!
run_copy 0000:00:06.0 200 /tmp/b &
b=$!
wait $a
wait $b
for f in /tmp/a /tmp/b; do
	grep -q '^status 0$' $f || fail "$f: $(cat $f)"
done
read -r sa < <(awk '/^start/ { print $2 }' /tmp/a)
read -r ea < <(awk '/^end/ { print $2 }' /tmp/a)
read -r sb < <(awk '/^start/ { print $2 }' /tmp/b)
read -r eb < <(awk '/^end/ { print $2 }' /tmp/b)
awk -v sa="$sa" -v ea="$ea" -v sb="$sb" -v eb="$eb" 'BEGIN { exit !(sa < eb && sb < ea) }' ||
	fail "the two runs did not overlap: 05.0 $sa-$ea s, 06.0 $sb-$eb s"
note "05.0: $(grep -o 'total: .*' /tmp/a) ($sa-$ea s)"
note "06.0: $(grep -o 'total: .*' /tmp/b) ($sb-$eb s)"

# --- two processes, one function ---
"$hold" -m huge -b 32 -l 1048576 -t 4 $kind:0000:00:07.0 >/tmp/holder 2>&1 &
holder=$!
for _ in $(seq 200); do grep -q ready /tmp/holder && break; sleep 0.05; done
grep -q ready /tmp/holder || fail "the first process did not start: $(cat /tmp/holder)"
"$hold" -x EBUSY $kind:0000:00:07.0 || fail "a second process could open 07.0 while the first used it"
"$hold" -x EBUSY $kind:0000:00:07.0 || fail "a third try was not -EBUSY"
wait $holder || fail "the first process failed: $(cat /tmp/holder)"
note "first process on 07.0: $(grep -o 'done .*' /tmp/holder)"
"$hold" -c -m anon $kind:0000:00:07.0 || fail "07.0 not usable after the first process exited"
note "PASS"

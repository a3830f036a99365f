# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# What every shell guest test uses (sourced, not a test; POSIX sh, so #!/bin/sh
# tests may source it too):
#
#   name=t_example                  # prefixes every line (default: the script's name)
#   fail_dmesg='ioat|DMAR'          # optional: the kernel log lines fail shows
#   . "$(dirname "$0")/vmtest.sh"
#
# fail MSG...     print "NAME: FAIL: MSG" on stderr, then the last 30 kernel log
#                 lines matching the extended regex $fail_dmesg (case-insensitive)
#                 if it is set, and exit 1
# note MSG...     print "NAME: [Ss] MSG", S the seconds since the test started
#                 (bash; a shell without $SECONDS prints "NAME: MSG")
# require HINT FILE|COMMAND...
#                 fail with "FILE is missing (HINT)" unless every FILE is there: a
#                 kernel module (*.ko) must exist, any other path must be an
#                 executable, a name without a slash a command in PATH; an empty
#                 HINT prints no parenthesis
# tests/vm/vmtest.py has the same for Python tests.

name=${name:-${0##*/}}

fail() {
	echo "$name: FAIL: $*" >&2
	if [ -n "${fail_dmesg:-}" ]; then
		dmesg | grep -iE -- "$fail_dmesg" | tail -n 30 >&2
	fi
	exit 1
}

note() {
	# shellcheck disable=SC3028 # bash has it; sh prints no time
	if [ -n "${SECONDS:-}" ]; then
		echo "$name: [${SECONDS}s] $*"
	else
		echo "$name: $*"
	fi
}

require() {
	_req_hint=${1:+ ($1)}
	shift
	for _req in "$@"; do
		case "$_req" in
		*.ko) [ -f "$_req" ] ;;
		*/*) [ -f "$_req" ] && [ -x "$_req" ] ;;
		*) command -v "$_req" >/dev/null 2>&1 ;;
		esac || fail "$_req is missing$_req_hint"
	done
}

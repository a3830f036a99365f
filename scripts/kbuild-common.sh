# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Shared by scripts/build-kmods and scripts/build-linux-mods (sourced, not run):
# how to build out-of-tree modules for a guest kernel. The caller sets REPO and
# CACHE and defines die().

# make for kernel $1: with the host's tools, or in the Debian 13 root that holds
# the kernel's headers and kbuild tools (7.x, see scripts/kbuild-root).
kbuild_root() { "$REPO/scripts/kernels.sh" --build-root "$1"; }
kmake() {
	local root
	root=$(kbuild_root "$1")
	shift
	if [ -n "$root" ]; then
		"$REPO/scripts/kbuild-root" make "$@"
	else
		make "$@"
	fi
}
# The tree modules for KVER are built against: Debian's headers, or the build tree of a kernel
# built here (scripts/kasan-kernel: kernels/<KVER>/kbuild-dir).
kbuild_tree() {
	local f=$CACHE/kernels/$1/kbuild-dir

	if [ -f "$f" ]; then
		cat "$f"
	else
		echo "/usr/src/linux-headers-$1"
	fi
}
headers_present() {
	[ -f "$(kbuild_root "$1")$(kbuild_tree "$1")/Makefile" ]
}

# resolve_kernels KERNEL...: the kernel release names into the array kvers
# (6.1, 6.12 and 7 through scripts/kernels.sh; anything else as given); none
# given: all three.
resolve_kernels() {
	local k kv

	[ $# -gt 0 ] || set -- 6.1 6.12 7
	kvers=()
	for k in "$@"; do
		case "$k" in
		6.1|6.12|7)
			kv=$("$REPO/scripts/kernels.sh" --kver "$k") ||
				die "kernel $k unknown: run scripts/kernels.sh first"
			kvers+=("$kv")
			;;
		*) kvers+=("$k") ;;
		esac
	done
}

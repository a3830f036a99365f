#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Fetch and cache the guest kernels (Debian's linux-image packages, unpacked,
# never installed) and make sure the matching linux-headers are installed so
# out-of-tree modules can be built for them.
#
#   scripts/kernels.sh            fetch what is missing (no-op when cached)
#   scripts/kernels.sh --list     print "<alias> <KVER> <dir>" per guest kernel
#   scripts/kernels.sh --kver A   print the KVER of alias A (6.1 or 6.12)
#   scripts/kernels.sh --dir A    print the cache folder of alias A
#   scripts/kernels.sh --header-packages
#                                 print the linux-headers packages the two
#                                 kernels need (asks apt, fetches nothing)
#
# Kernels:
#   6.1   the ABI of the installed linux-headers-amd64 (6.1.0-NN-amd64)
#   6.12  the newest linux-image-6.12.N+deb12-amd64-unsigned whose
#         linux-headers-6.12.N+deb12-amd64 is also in the archive
#
# Cache: ${DMACOPY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dmacopy}/kernels/
#   <KVER>/vmlinuz           the kernel
#   <KVER>/lib/modules/KVER  its modules, decompressed and depmod'ed
#   <alias>                  text file naming the KVER last resolved for alias
# --list/--kver/--dir only read the alias files (no apt query); run the
# script without options first.
set -euo pipefail
# Parsed whole before it runs (braces), so editing this file cannot break a run.
{

CACHE=${DMACOPY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dmacopy}
KCACHE=$CACHE/kernels
ALIASES="6.1 6.12"

log() { echo "kernels.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

alias_kver() {
	local f=$KCACHE/$1
	[ -f "$f" ] || die "kernel $1 is not fetched yet: run scripts/kernels.sh"
	cat "$f"
}

case "${1:-}" in
--list)
	for a in $ALIASES; do
		k=$(alias_kver "$a")
		echo "$a $k $KCACHE/$k"
	done
	exit 0
	;;
--kver) alias_kver "${2:?alias}"; exit 0 ;;
--dir) echo "$KCACHE/$(alias_kver "${2:?alias}")"; exit 0 ;;
--header-packages) mode=header-packages ;;
-h|--help) awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; exit 0 ;;
'') ;;
*) die "unknown option $1" ;;
esac

# --- resolve the two kernels -------------------------------------------------

kver_61() {
	local dep
	# The installed linux-headers-amd64; before it is installed, its candidate.
	dep=$(dpkg-query -W -f '${Status} ${Depends}' linux-headers-amd64 2>/dev/null |
		sed -n 's/^install ok installed //p')
	[ -n "$dep" ] || dep=$(apt-cache depends linux-headers-amd64 2>/dev/null | grep Depends:)
	[ -n "$dep" ] || die "no linux-headers-amd64 known to apt (apt-get update?)"
	dep=$(echo "$dep" | grep -o 'linux-headers-6\.1\.[0-9]*-[0-9]*-amd64' | head -1)
	[ -n "$dep" ] || die "linux-headers-amd64 does not depend on a 6.1 header package"
	echo "${dep#linux-headers-}"
}

# Both the image and the headers must have a downloadable candidate.
has_candidate() {
	local c
	c=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }')
	[ -n "$c" ] && [ "$c" != "(none)" ]
}

kver_612() {
	local names n
	names=$(apt-cache pkgnames linux- | grep -E '^linux-(image|headers)-6\.12\.[0-9]+\+deb12-amd64(-unsigned)?$' || true)
	for n in $(echo "$names" | sed -n 's/^linux-image-6\.12\.\([0-9]*\)+deb12-amd64-unsigned$/\1/p' | sort -rn); do
		if [[ $'\n'"$names"$'\n' == *$'\n'"linux-headers-6.12.$n+deb12-amd64"$'\n'* ]] &&
			has_candidate "linux-image-6.12.$n+deb12-amd64-unsigned" &&
			has_candidate "linux-headers-6.12.$n+deb12-amd64"; then
			echo "6.12.$n+deb12-amd64"
			return 0
		fi
	done
	die "no linux-image-6.12.N+deb12-amd64-unsigned with matching headers (apt-get update?)"
}

image_package() {
	case "$1" in
	6.12.*) echo "linux-image-$1-unsigned" ;;
	*) echo "linux-image-$1" ;;
	esac
}

# --- headers -----------------------------------------------------------------

ensure_headers() {
	local missing=() k
	for k in "$@"; do
		[ -f "/usr/src/linux-headers-$k/Makefile" ] || missing+=("linux-headers-$k")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		log "missing kernel headers; as root run:"
		echo "apt-get install -y --no-install-recommends ${missing[*]}" >&2
		exit 1
	fi
	log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
		die "apt-get install ${missing[*]} failed"
}

# --- images ------------------------------------------------------------------

fetch_kernel() {
	local kver=$1 dir=$KCACHE/$1 pkg tmp deb moddir
	[ -f "$dir/.complete" ] && return 0
	pkg=$(image_package "$kver")
	log "fetching $pkg"
	tmp=$KCACHE/.tmp-$kver
	rm -rf "$tmp"
	mkdir -p "$tmp/dl" "$tmp/root"
	# apt's sandbox user cannot write into root's home: download as root quietly.
	(cd "$tmp/dl" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null) ||
		die "apt-get download $pkg failed"
	deb=$(ls "$tmp"/dl/*.deb)
	dpkg-deb -x "$deb" "$tmp/root"
	moddir=$(find "$tmp/root" -maxdepth 4 -type d -path "*/modules/$kver" | head -1)
	[ -n "$moddir" ] || die "$pkg has no modules/$kver folder"
	[ -f "$tmp/root/boot/vmlinuz-$kver" ] || die "$pkg has no boot/vmlinuz-$kver"
	rm -rf "$dir"
	mkdir -p "$dir/lib/modules"
	mv "$tmp/root/boot/vmlinuz-$kver" "$dir/vmlinuz"
	mv "$tmp/root/boot/config-$kver" "$dir/config" 2>/dev/null || true
	mv "$tmp/root/boot/System.map-$kver" "$dir/System.map" 2>/dev/null || true
	mv "$moddir" "$dir/lib/modules/$kver"
	depmod -b "$dir" "$kver" || die "depmod failed for $kver"
	dpkg-deb -f "$deb" Package Version >"$dir/package"
	rm -rf "$tmp"
	touch "$dir/.complete"
	log "cached $kver in $dir"
}

# Decompress .ko.xz/.ko.zst modules once here: the guest's modprobe would
# otherwise decompress them on every load, which is slow under TCG.
decompress_modules() {
	local kver=$1 dir=$KCACHE/$1
	[ -f "$dir/.decompressed" ] && return 0
	log "decompressing the modules of $kver"
	find "$dir/lib/modules/$kver" -name '*.ko.xz' -print0 | xargs -0 -r -n 64 xz -d
	find "$dir/lib/modules/$kver" -name '*.ko.zst' -print0 | xargs -0 -r -n 64 zstd -q -d --rm
	depmod -b "$dir" "$kver" || die "depmod failed for $kver"
	touch "$dir/.decompressed"
}

if [ "${mode:-}" = header-packages ]; then
	echo "linux-headers-$(kver_61)"
	echo "linux-headers-$(kver_612)"
	exit 0
fi

mkdir -p "$KCACHE"
exec 9>"$KCACHE/.lock"
flock 9

k61=$(kver_61)
k612=$(kver_612)
ensure_headers "$k61" "$k612"
fetch_kernel "$k61"
fetch_kernel "$k612"
decompress_modules "$k61"
decompress_modules "$k612"
echo "$k61" >"$KCACHE/6.1"
echo "$k612" >"$KCACHE/6.12"
exit
}

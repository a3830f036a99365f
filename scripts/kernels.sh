#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Fetch and cache the guest kernels (Debian's linux-image packages, unpacked,
# never installed) and make sure the matching linux-headers are installed so
# out-of-tree modules can be built for them.
#
#   scripts/kernels.sh            fetch what is missing (no-op when cached)
#   scripts/kernels.sh --list     print "<alias> <KVER> <dir>" per guest kernel
#   scripts/kernels.sh --kver A   print the KVER of alias A (6.1, 6.12 or 7)
#   scripts/kernels.sh --dir A    print the cache folder of alias A
#   scripts/kernels.sh --header-packages
#                                 print the linux-headers packages the host
#                                 needs for 6.1 and 6.12 (asks apt, fetches
#                                 nothing)
#   scripts/kernels.sh --build-root KVER
#                                 print the root that builds modules for
#                                 KVER (scripts/kbuild-root), or nothing when
#                                 the host's own tools do
#
# Kernels:
#   6.1   the ABI of the installed linux-headers-amd64 (6.1.0-NN-amd64)
#   6.12  the newest linux-image-6.12.N+deb12-amd64-unsigned whose
#         linux-headers-6.12.N+deb12-amd64 is also in the archive
#   7     the newest linux-image-7.N.M+deb13-amd64 of Debian 13's suites
#         (trixie-backports) whose headers are also there; its headers and
#         kbuild tools live in the Debian 13 root of scripts/kbuild-root
#         (Debian 12's cannot build for it), which also downloads it
#
# Cache: ${DMACOPY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dmacopy}/kernels/
#   <KVER>/vmlinuz           the kernel
#   <KVER>/vmlinux           the same kernel uncompressed, booted through
#                            its PVH entry (no decompression under TCG)
#   <KVER>/lib/modules/KVER  its modules, decompressed and depmod'ed
#   <KVER>/build-root        for 7: the root its modules are built in
#   <alias>                  text file naming the KVER last resolved for alias
# --list/--kver/--dir only read the alias files (no apt query); run the
# script without options first.
set -euo pipefail
# Parsed whole before it runs (braces), so editing this file cannot break a run.
{

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${DMACOPY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dmacopy}
KCACHE=$CACHE/kernels
ALIASES="6.1 6.12 7"

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
--build-root)
	k=${2:?KVER}
	[ -f "$KCACHE/$k/build-root" ] && cat "$KCACHE/$k/build-root"
	exit 0
	;;
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

# The newest 7.x kernel of the Debian 13 root's suites with its headers. The
# root's package lists are refreshed first (a failed refresh keeps the old
# lists, with a warning: the newest version then is the newest known).
kver_7() {
	local names v
	"$REPO/scripts/kbuild-root" --update ||
		log "warning: could not refresh the Debian 13 package lists; using the cached ones"
	names=$("$REPO/scripts/kbuild-root" apt-cache pkgnames linux- |
		grep -E '^linux-(image|headers)-7\.[0-9]+\.[0-9]+\+deb13-amd64$' || true)
	for v in $(echo "$names" | sed -n 's/^linux-image-\(7\.[0-9]*\.[0-9]*\)+deb13-amd64$/\1/p' | sort -rV); do
		if [[ $'\n'"$names"$'\n' == *$'\n'"linux-headers-$v+deb13-amd64"$'\n'* ]]; then
			echo "$v+deb13-amd64"
			return 0
		fi
	done
	die "no linux-image-7.N.M+deb13-amd64 with matching headers in Debian 13's suites (${names:-no 7.x kernel at all})"
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

# Headers and kbuild tools of a 7.x kernel, in the Debian 13 root.
ensure_root_headers() {
	local kver=$1
	"$REPO/scripts/kbuild-root" test -f "/usr/src/linux-headers-$kver/Makefile" && return 0
	log "installing linux-headers-$kver in the Debian 13 root"
	"$REPO/scripts/kbuild-root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "linux-headers-$kver" >&2 ||
		die "apt-get install linux-headers-$kver in the Debian 13 root failed"
}

# Download packages into folder $1: with apt of the host, or of the Debian 13
# root for 7.x kernels. apt's sandbox user cannot write into root's home:
# download as root.
download() {
	local dir=$1 kver=$2
	shift 2
	case "$kver" in
	7.*) (cd "$dir" && "$REPO/scripts/kbuild-root" apt-get download -q \
		-o APT::Sandbox::User=root "$@" >/dev/null) ;;
	*) (cd "$dir" && apt-get download -q -o APT::Sandbox::User=root "$@" >/dev/null) ;;
	esac
}

fetch_kernel() {
	local kver=$1 dir=$KCACHE/$1 pkg tmp deb moddir vmlinuz config extra=()
	[ -f "$dir/.complete" ] && return 0
	pkg=$(image_package "$kver")
	tmp=$KCACHE/.tmp-$kver
	rm -rf "$tmp"
	mkdir -p "$tmp/dl" "$tmp/root"
	# Since 7.x Debian splits the image package: the kernel is in
	# linux-binary-KVER, the modules in linux-modules-KVER, and config,
	# System.map and modules.builtin* in linux-base-KVER.
	case "$kver" in
	7.*) extra=("linux-base-$kver" "linux-binary-$kver" "linux-modules-$kver") ;;
	esac
	log "fetching $pkg ${extra[*]}"
	download "$tmp/dl" "$kver" "$pkg" "${extra[@]}" || die "apt-get download $pkg ${extra[*]} failed"
	for deb in "$tmp"/dl/*.deb; do
		dpkg-deb -x "$deb" "$tmp/root"
	done
	moddir=$(find "$tmp/root" -maxdepth 4 -type d -path "*/modules/$kver" | head -1)
	[ -n "$moddir" ] || die "$pkg has no modules/$kver folder"
	for vmlinuz in "$tmp/root/boot/vmlinuz-$kver" "$moddir/vmlinuz" ''; do
		[ -z "$vmlinuz" ] || [ -f "$vmlinuz" ] && break
	done
	[ -n "$vmlinuz" ] || die "$pkg ${extra[*]} hold no vmlinuz for $kver"
	config=$tmp/root/boot/config-$kver
	[ -f "$config" ] || config=$moddir/config
	rm -rf "$dir"
	mkdir -p "$dir/lib/modules"
	mv "$vmlinuz" "$dir/vmlinuz"
	[ -f "$config" ] && mv "$config" "$dir/config"
	mv "$tmp/root/boot/System.map-$kver" "$dir/System.map" 2>/dev/null || true
	mv "$moddir" "$dir/lib/modules/$kver"
	depmod -b "$dir" "$kver" || die "depmod failed for $kver"
	for deb in "$tmp"/dl/*.deb; do
		dpkg-deb -f "$deb" Package Version
	done >"$dir/package"
	rm -rf "$tmp"
	touch "$dir/.complete"
	log "cached $kver in $dir"
}

# The kernel without its compressed wrapper: QEMU boots an ELF vmlinux through
# its PVH entry point, which saves the 2-3 s that decompressing the bzImage
# takes under TCG on every boot. The payload is found by its compression
# format's magic bytes and checked to be an ELF file with a PVH (Xen
# PHYS32_ENTRY) note.
extract_vmlinux() {
	local kver=$1 dir=$KCACHE/$1
	[ -f "$dir/vmlinux" ] && return 0
	python3 - "$dir/vmlinuz" "$dir/vmlinux.tmp" <<'PYEOF' || die "cannot extract an ELF vmlinux with a PVH entry from $dir/vmlinuz"
import lzma, subprocess, sys
data = open(sys.argv[1], "rb").read()
formats = [(b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zstd"), (b"\x1f\x8b\x08", "gzip")]
def unpack(kind, blob):
    if kind == "xz":
        return lzma.LZMADecompressor().decompress(blob)
    cmd = {"zstd": ["zstd", "-qdc"], "gzip": ["gzip", "-qdc"]}[kind]
    return subprocess.run(cmd, input=blob, capture_output=True).stdout
for magic, kind in formats:
    off = data.find(magic)
    while off >= 0:
        try:
            out = unpack(kind, data[off:])
        except lzma.LZMAError:
            out = b""
        if out[:4] == b"\x7fELF":
            open(sys.argv[2], "wb").write(out)
            sys.exit(0)
        off = data.find(magic, off + 1)
sys.exit("no compressed ELF kernel found")
PYEOF
	# XEN_ELFNOTE_PHYS32_ENTRY (18): the PVH entry point (CONFIG_PVH).
	readelf -n "$dir/vmlinux.tmp" | grep -Eq '^ *Xen .*\(0x00000012\)' ||
		die "$dir/vmlinuz holds no PVH entry note (CONFIG_PVH): QEMU cannot boot it uncompressed"
	mv "$dir/vmlinux.tmp" "$dir/vmlinux"
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
k7=$(kver_7)
ensure_headers "$k61" "$k612"
ensure_root_headers "$k7"
for k in "$k61" "$k612" "$k7"; do
	fetch_kernel "$k"
	decompress_modules "$k"
	extract_vmlinux "$k"
done
"$REPO/scripts/kbuild-root" --path >"$KCACHE/$k7/build-root"
echo "$k61" >"$KCACHE/6.1"
echo "$k612" >"$KCACHE/6.12"
echo "$k7" >"$KCACHE/7"
exit
}

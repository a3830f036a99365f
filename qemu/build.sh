#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build Debian's QEMU 7.2 (qemu-system-x86_64 only, with virtfs) with the
# dmacopy device models overlaid, and print the path of the cached binary.
#
#   qemu/build.sh            build if needed, print the binary's path
#   qemu/build.sh --key      print the cache key only (no build)
#   qemu/build.sh --refresh  forget the cached QEMU source and fetch the newest
#   qemu/build.sh --asan     the same QEMU built with AddressSanitizer and
#                            UndefinedBehaviorSanitizer (--enable-sanitizers),
#                            in a build folder and binary of its own (make
#                            check-qemu-asan runs the models' tests on it)
#
# Overlay: every qemu/hw/<dir>/<name>.c of the repository is copied into
# QEMU's hw/<dir>/ and registered in hw/<dir>/meson.build; qemu/hw/<dir>/*.h
# are copied beside them; the repository's include/dmacopy/*.h land in QEMU's
# include/dmacopy/ so a model can #include "dmacopy/ioat_spec.h"; and
# qemu/devices.mak becomes configs/devices/x86_64-softmmu/dmacopy.mak, the
# only devices built besides the models.
#
# Patches: qemu/patches/*.patch (-p1, applied in name order) change QEMU's own
# files where a model is not enough (MOVDIR64B in TCG). The applied versions
# are kept in the tree's .dmacopy-patches/; when the set or a patch changes,
# the applied ones are reversed and the new set applied, so the cached tree
# never carries a stale patch.
#
# Cache: ${DMACOPY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dmacopy}/qemu/
#   src/<debian-version>/    unpacked, patched Debian source plus the overlay
#   build-<debian-version>/  one build folder, reused (ninja is incremental)
#   bin/<key>/               finished binaries; <key> hashes the source
#                            version, this script and every overlay file, so
#                            unchanged inputs never rebuild and a QEMU that is
#                            running keeps its binary while a new one is built
# Builds are serialized with flock; the cached check takes no lock.
set -euo pipefail
# Parsed whole before it runs (braces), so editing this file cannot break a run.
{

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${DMACOPY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dmacopy}
QCACHE=$CACHE/qemu
KEEP_BINARIES=8
MARK='# dmacopy-overlay'
# Debian's python3 and meson, not a user's python that shadows them in PATH.
SYS_PATH=/usr/sbin:/usr/bin:/sbin:/bin

log() { echo "qemu/build.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

mode=build
san=
case "${1:-}" in
--key) mode=key ;;
--refresh) mode=refresh ;;
--asan) san=asan- ;;
-h|--help) awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; exit 0 ;;
'') ;;
*) die "unknown option $1" ;;
esac

# Overlay inputs, relative to the repository: "<relpath>" per line, sorted.
overlay_files() {
	(cd "$REPO" && {
		find qemu/hw -type f \( -name '*.c' -o -name '*.h' \) 2>/dev/null
		find include/dmacopy -maxdepth 1 -type f -name '*.h' 2>/dev/null
		find qemu/patches -maxdepth 1 -type f -name '*.patch' 2>/dev/null || true
		echo qemu/devices.mak
	} | LC_ALL=C sort)
}

# The Debian source version in use: the one already unpacked in the cache.
cached_src_version() {
	[ -f "$QCACHE/src/current" ] && cat "$QCACHE/src/current"
}

# A Debian version as a folder name (no epoch colon: meson and ninja dislike it).
version_dir() {
	echo "${1//:/_}"
}

# Where an overlay input lands in QEMU's tree.
overlay_dest() {
	case "$1" in
	qemu/hw/*) echo "hw/${1#qemu/hw/}" ;;
	qemu/patches/*) echo ".dmacopy-patches/${1#qemu/patches/}" ;;
	qemu/devices.mak) echo configs/devices/x86_64-softmmu/dmacopy.mak ;;
	*) echo "$1" ;;
	esac
}

# compute_key VERSION [TREE]: hash of the source version, this script and the
# overlay inputs, read from the repository or, with TREE, from the copies
# installed in QEMU's tree (what a build really compiled).
compute_key() {
	local ver=$1 tree=${2:-} f src
	{
		echo "src $ver"
		sha256sum "$REPO/qemu/build.sh" | cut -d' ' -f1
		overlay_files | while read -r f; do
			if [ -n "$tree" ]; then src=$tree/$(overlay_dest "$f"); else src=$REPO/$f; fi
			echo "$f $(sha256sum "$src" | cut -d' ' -f1)"
		done
	} | sha256sum | cut -c1-16 | sed "s/^/$san/"
}

print_cached() {
	local ver key
	ver=$(cached_src_version) || return 1
	[ -n "$ver" ] || return 1
	key=$(compute_key "$ver")
	[ -x "$QCACHE/bin/$key/qemu-system-x86_64" ] || return 1
	echo "$QCACHE/bin/$key/qemu-system-x86_64"
}

if [ "$mode" = key ]; then
	ver=$(cached_src_version) || ver=none
	compute_key "$ver"
	exit 0
fi

if [ "$mode" = build ] && print_cached; then
	exit 0
fi

mkdir -p "$QCACHE"
exec 9>"$QCACHE/build.lock"
if ! flock -n 9; then
	log "waiting for another QEMU build to finish"
	flock 9
fi
# Another caller may have built the same inputs while this one waited.
if [ "$mode" = build ] && print_cached; then
	exit 0
fi

# --- Debian source ---------------------------------------------------------

ensure_deb_src() {
	has_qemu_src() {
		# No grep -q: with pipefail, an early exit would fail apt-cache.
		[ "$(apt-cache showsrc --only-source qemu 2>/dev/null | grep -c '^Package: qemu$')" -gt 0 ]
	}
	has_qemu_src && return 0
	[ "$(id -u)" = 0 ] || die "apt has no deb-src entry for qemu: run qemu/build.sh once as root (it adds deb-src entries mirroring the deb ones) or add one by hand"
	local f=/etc/apt/sources.list.d/dmacopy-deb-src.sources
	log "adding deb-src entries ($f)"
	{
		if [ -f /etc/apt/sources.list.d/debian.sources ]; then
			sed -n 's/^Types:.*\bdeb\b.*/Types: deb-src/; p' \
				/etc/apt/sources.list.d/debian.sources
		fi
	} >"$f.tmp"
	if ! grep -q '^Types: deb-src' "$f.tmp"; then
		# Classic one-line format: mirror every "deb" line as "deb-src".
		rm -f "$f.tmp"
		f=/etc/apt/sources.list.d/dmacopy-deb-src.list
		grep -h '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			sed 's/^deb /deb-src /' >"$f.tmp"
		[ -s "$f.tmp" ] || die "cannot derive a deb-src entry from apt's sources"
	fi
	mv "$f.tmp" "$f"
	apt-get update -qq
	has_qemu_src || die "apt-cache showsrc qemu finds nothing after adding deb-src"
}

# Make meson skip the edk2 firmware blobs, which the dfsg tarball lacks.
patch_edk2_blobs() {
	local mb=$1/meson.build
	grep -q "$MARK edk2" "$mb" && return 0
	sed -i "s/^\( *unpack_edk2_blobs = \)bzip2.found()\$/\1false  $MARK edk2/" "$mb"
	grep -q "$MARK edk2" "$mb" || die "cannot patch $mb (no 'unpack_edk2_blobs = bzip2.found()')"
}

fetch_source() {
	ensure_deb_src
	local ver dl
	# The newest qemu source version any configured suite offers.
	ver=$(apt-cache showsrc --only-source qemu | awk '/^Version:/ { print $2 }' | sort -V | tail -1)
	[ -n "$ver" ] || die "no qemu source version found"
	local vdir
	vdir=$(version_dir "$ver")
	if [ -d "$QCACHE/src/$vdir/tree" ]; then
		echo "$ver" >"$QCACHE/src/current"
		return 0
	fi
	log "fetching Debian qemu source $ver"
	dl=$QCACHE/src/$vdir.dl
	rm -rf "$dl"
	mkdir -p "$dl"
	(cd "$dl" && apt-get source -q "qemu=$ver" >/dev/null) || die "apt-get source qemu=$ver failed"
	local top
	top=$(find "$dl" -mindepth 1 -maxdepth 1 -type d | head -1)
	[ -n "$top" ] && [ -f "$top/meson.build" ] || die "unexpected layout of the qemu source in $dl"
	patch_edk2_blobs "$top"
	mkdir -p "$QCACHE/src/$vdir"
	mv "$top" "$QCACHE/src/$vdir/tree"
	rm -rf "$dl"
	echo "$ver" >"$QCACHE/src/current"
}

# --- overlay ---------------------------------------------------------------

# Copy a file only when its content differs, so ninja sees unchanged mtimes.
install_if_changed() {
	local src=$1 dst=$2
	if ! cmp -s "$src" "$dst"; then
		mkdir -p "$(dirname "$dst")"
		cp "$src" "$dst.dmacopy-tmp"
		mv "$dst.dmacopy-tmp" "$dst"
	fi
}

apply_overlay() {
	local tree=$1 manifest=$1/.dmacopy-overlay f dst
	local -A want=()
	local -A meson_lines=()

	while read -r f; do
		[ -n "$f" ] || continue
		case "$f" in qemu/patches/*) continue ;; esac
		dst=$(overlay_dest "$f")
		want[$dst]=1
		install_if_changed "$REPO/$f" "$tree/$dst"
		case "$dst" in
		hw/*/*.c)
			local dir=${dst%/*}
			meson_lines[$dir]+="softmmu_ss.add(files('${dst##*/}'))  $MARK"$'\n'
			;;
		esac
	done < <(overlay_files)

	# Remove files a previous overlay installed that are gone from the repository.
	if [ -f "$manifest" ]; then
		while read -r f; do
			[ -n "$f" ] && [ -z "${want[$f]:-}" ] && rm -f "$tree/$f"
		done <"$manifest"
	fi
	printf '%s\n' "${!want[@]}" | LC_ALL=C sort >"$manifest"

	# Rewrite the marked lines of every hw/*/meson.build that has or needs them.
	local mb dir new
	for mb in "$tree"/hw/*/meson.build; do
		dir=hw/$(basename "$(dirname "$mb")")
		if [ -z "${meson_lines[$dir]:-}" ] && ! grep -qF "$MARK" "$mb"; then
			continue
		fi
		new=$(grep -vF "$MARK" "$mb"; printf '%s' "${meson_lines[$dir]:-}")
		if [ "$new" != "$(cat "$mb")" ]; then
			printf '%s\n' "$new" >"$mb.dmacopy-tmp"
			mv "$mb.dmacopy-tmp" "$mb"
		fi
	done
	for dir in "${!meson_lines[@]}"; do
		[ -f "$tree/$dir/meson.build" ] || die "overlay folder $dir does not exist in QEMU's tree"
	done
}

# The patches in the tree are exactly qemu/patches/*.patch, or nothing changes.
patches_current() {
	local tree=$1 applied=$1/.dmacopy-patches f
	[ "$(cd "$REPO" && find qemu/patches -maxdepth 1 -type f -name '*.patch' 2>/dev/null |
		sed 's|.*/||' | LC_ALL=C sort)" = "$(find "$applied" -maxdepth 1 -type f -name '*.patch' 2>/dev/null |
		sed 's|.*/||' | LC_ALL=C sort)" ] || return 1
	for f in "$applied"/*.patch; do
		[ -e "$f" ] || continue
		cmp -s "$f" "$REPO/qemu/patches/${f##*/}" || return 1
	done
}

apply_patches() {
	local tree=$1 applied=$1/.dmacopy-patches p
	patches_current "$tree" && return 0
	mkdir -p "$applied"
	for p in $(find "$applied" -maxdepth 1 -type f -name '*.patch' | LC_ALL=C sort -r); do
		log "reversing ${p##*/}"
		patch -d "$tree" -p1 -R -s -f --no-backup-if-mismatch <"$p" ||
			die "cannot reverse ${p##*/}: remove $tree and rebuild"
		rm -f "$p"
	done
	for p in $(cd "$REPO" && find qemu/patches -maxdepth 1 -type f -name '*.patch' 2>/dev/null | LC_ALL=C sort); do
		log "applying ${p##*/}"
		patch -d "$tree" -p1 -s -f --dry-run <"$REPO/$p" >/dev/null ||
			die "$p does not apply to QEMU $(cached_src_version)"
		patch -d "$tree" -p1 -s -f --no-backup-if-mismatch <"$REPO/$p" || die "applying $p failed"
		cp "$REPO/$p" "$applied/${p##*/}"
	done
}

# --- build -----------------------------------------------------------------

if [ "$mode" = refresh ]; then
	rm -f "$QCACHE/src/current"
fi
ver=$(cached_src_version || true)
if [ -z "$ver" ] || [ ! -d "$QCACHE/src/$(version_dir "$ver")/tree" ]; then
	fetch_source
	ver=$(cached_src_version)
fi
tree=$QCACHE/src/$(version_dir "$ver")/tree
bld=$QCACHE/build-$san$(version_dir "$ver")
key=$(compute_key "$ver")
if [ -x "$QCACHE/bin/$key/qemu-system-x86_64" ]; then
	echo "$QCACHE/bin/$key/qemu-system-x86_64"
	exit 0
fi

apply_overlay "$tree"
apply_patches "$tree"
# The key of what is compiled now, in case the repository changed meanwhile.
key=$(compute_key "$ver" "$tree")

# Only what the guest machine uses: q35 and the devices of qemu/devices.mak
# (the dmacopy models come with the overlay), no block formats, audio, vhost
# or libraries it never touches. Debug information only in the ASan build,
# whose reports need it. Changed options configure the build folder anew.
conf=(--target-list=x86_64-softmmu
	--without-default-devices --with-devices-x86_64=dmacopy
	--enable-virtfs --enable-kvm --enable-tcg
	--disable-docs --disable-werror --disable-gtk --disable-sdl --disable-vnc
	--disable-opengl --disable-spice --disable-user --disable-tools
	--disable-guest-agent --disable-slirp --disable-curl --disable-capstone
	--disable-install-blobs --disable-curses --disable-png --disable-oss
	--disable-alsa --disable-pa --disable-jack --disable-sndio
	--disable-l2tpv3 --disable-bpf --disable-tpm --disable-bzip2 --disable-numa
	--disable-libpmem --disable-rdma --disable-pvrdma --disable-libvduse
	--disable-vduse-blk-export --disable-vhost-user --disable-vhost-net
	--disable-vhost-crypto --disable-vhost-vdpa --disable-multiprocess
	--disable-live-block-migration --disable-replication --disable-bochs
	--disable-cloop --disable-dmg --disable-qcow1 --disable-vdi --disable-vvfat
	--disable-qed --disable-parallels)
if [ -n "$san" ]; then
	conf+=(--enable-sanitizers)
else
	conf+=(--disable-debug-info)
fi
start=$(date +%s)
if [ ! -f "$bld/build.ninja" ] || [ "$(cat "$bld/.dmacopy-configure" 2>/dev/null)" != "${conf[*]}" ]; then
	log "configuring QEMU $ver in $bld"
	rm -rf "$bld"
	mkdir -p "$bld"
	(cd "$bld" && PATH=$SYS_PATH "$tree/configure" "${conf[@]}") \
		>"$QCACHE/${san}configure.log" 2>&1 ||
		die "configure failed, see $QCACHE/${san}configure.log"
	echo "${conf[*]}" >"$bld/.dmacopy-configure"
fi
log "building QEMU (key $key) in $bld"
if ! PATH=$SYS_PATH nice -n 10 ninja -C "$bld" qemu-system-x86_64 >"$QCACHE/${san}build.log" 2>&1; then
	grep -E 'error|Error' "$QCACHE/${san}build.log" | head -40 >&2 || true
	die "build failed, see $QCACHE/${san}build.log"
fi
log "built in $(( $(date +%s) - start )) s"

out=$QCACHE/bin/$key
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
cp "$bld/qemu-system-x86_64" "$out.tmp/"
overlay_files >"$out.tmp/overlay.txt"
echo "$ver" >"$out.tmp/source-version"
rm -rf "$out"
mv "$out.tmp" "$out"

# Keep the newest few binaries; older ones are only removed, never rewritten.
ls -1dt "$QCACHE"/bin/*/ 2>/dev/null | tail -n +$((KEEP_BINARIES + 1)) | xargs -r rm -rf

echo "$out/qemu-system-x86_64"
exit
}

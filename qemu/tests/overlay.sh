#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Host-side test of qemu/build.sh's overlay and cache logic, on a fake QEMU
# tree whose "build" (a two-line build.ninja) just concatenates the overlaid
# sources into the "binary". Runs in a second or two; tests/vm/check runs it.
#
# Checks: device files and include/dmacopy headers are copied and registered
# in meson.build, qemu/devices.mak becomes the device configuration that
# configure is told to use; unchanged inputs reuse the cached binary without
# building or configuring; changed configure options configure anew;
# an edit gives a new key and binary while the old one stays; a removed device
# file leaves the tree and its meson.build; concurrent callers serialize and
# agree on the result; qemu/patches are applied, replaced when edited and
# reversed when removed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "qemu/tests/overlay.sh: FAIL: $*" >&2; exit 1; }

repo=$tmp/repo
export DMACOPY_CACHE=$tmp/cache
mkdir -p "$repo/qemu/hw/misc" "$repo/include/dmacopy"
cp "$HERE/../build.sh" "$repo/qemu/build.sh"
echo '/* nop */' >"$repo/qemu/hw/misc/fake-nop.c"
echo '#define FAKE_SPEC 1' >"$repo/include/dmacopy/fake_spec.h"
echo 'CONFIG_FAKE_DEVICE=y' >"$repo/qemu/devices.mak"

# The fake Debian source, already "fetched" (build.sh keeps it in src/).
ver='1:7.2+dfsg-0fake'
vdir=${ver//:/_}
tree=$DMACOPY_CACHE/qemu/src/$vdir/tree
bld=$DMACOPY_CACHE/qemu/build-$vdir
mkdir -p "$tree/hw/misc" "$tree/hw/dma" "$tree/include" "$tree/configs/devices/x86_64-softmmu"
echo "$ver" >"$DMACOPY_CACHE/qemu/src/current"
echo "softmmu_ss.add(when: 'CONFIG_EDU', if_true: files('edu.c'))" >"$tree/hw/misc/meson.build"
echo "softmmu_ss.add(when: 'CONFIG_PL330', if_true: files('pl330.c'))" >"$tree/hw/dma/meson.build"
# The fake configure checks it is told to use the overlaid device list, records
# its options, and writes a build.ninja into the folder it runs in.
cat >"$tree/configure" <<EOF
#!/bin/sh
echo "\$*" >>$tmp/configures
case " \$* " in *" --with-devices-x86_64=dmacopy "*) ;; *) exit 1 ;; esac
[ -f $tree/configs/devices/x86_64-softmmu/dmacopy.mak ] || exit 1
cat >build.ninja <<'NINJA'
rule fake
  command = cat $tree/hw/*/*.c $tree/hw/*/meson.build $tree/include/dmacopy/*.h $tree/configs/devices/x86_64-softmmu/dmacopy.mak > \$out; chmod +x \$out; echo built >> $tmp/builds
build qemu-system-x86_64: fake | always
build always: phony
NINJA
EOF
chmod +x "$tree/configure"

b1=$("$repo/qemu/build.sh" 2>/dev/null)
[ -x "$b1" ] || fail "no binary after the first build"
grep -q '/\* nop \*/' "$b1" || fail "device file not compiled in"
grep -q "softmmu_ss.add(files('fake-nop.c'))" "$tree/hw/misc/meson.build" || fail "not registered"
[ -f "$tree/include/dmacopy/fake_spec.h" ] || fail "include/dmacopy not copied"
grep -q 'CONFIG_EDU' "$tree/hw/misc/meson.build" || fail "meson.build lost its own lines"
grep -q 'CONFIG_FAKE_DEVICE=y' "$b1" || fail "qemu/devices.mak not installed as the device configuration"
[ "$(wc -l <"$tmp/configures")" = 1 ] || fail "configure did not run once"

b2=$("$repo/qemu/build.sh" 2>/dev/null)
[ "$b1" = "$b2" ] || fail "unchanged inputs gave another binary: $b2"
[ "$(wc -l <"$tmp/builds")" = 1 ] || fail "unchanged inputs rebuilt"
[ "$(wc -l <"$tmp/configures")" = 1 ] || fail "unchanged inputs configured again"
[ "$("$repo/qemu/build.sh" --key)" = "$(basename "$(dirname "$b1")")" ] || fail "--key differs"

# An edit and a new folder, built by two concurrent callers.
echo '/* edited */' >>"$repo/qemu/hw/misc/fake-nop.c"
mkdir -p "$repo/qemu/hw/dma"
echo '/* engine */' >"$repo/qemu/hw/dma/fake-engine.c"
"$repo/qemu/build.sh" >"$tmp/c1" 2>/dev/null &
"$repo/qemu/build.sh" >"$tmp/c2" 2>/dev/null &
wait
b3=$(cat "$tmp/c1")
[ "$b3" = "$(cat "$tmp/c2")" ] || fail "concurrent callers disagree"
[ "$b3" != "$b1" ] || fail "an edit kept the old key"
[ -x "$b1" ] || fail "the previous binary was removed"
grep -q 'edited' "$b3" && grep -q 'engine' "$b3" || fail "edit not compiled in"
grep -q "softmmu_ss.add(files('fake-engine.c'))" "$tree/hw/dma/meson.build" || fail "hw/dma not registered"
[ "$(grep -c "fake-nop.c" "$tree/hw/misc/meson.build")" = 1 ] || fail "registration duplicated"
[ "$(wc -l <"$tmp/builds")" = 2 ] || fail "concurrent callers built $(($(wc -l <"$tmp/builds") - 1)) times"

[ "$(wc -l <"$tmp/configures")" = 1 ] || fail "an edit of a device file configured again"

# Another device list: a new key and binary, without configuring again.
echo 'CONFIG_OTHER_DEVICE=y' >>"$repo/qemu/devices.mak"
bd=$("$repo/qemu/build.sh" 2>/dev/null)
{ [ "$bd" != "$b3" ] && grep -q 'CONFIG_OTHER_DEVICE=y' "$bd"; } || fail "an edited devices.mak was not built"
[ "$(wc -l <"$tmp/configures")" = 1 ] || fail "an edit of devices.mak configured again"
# Other configure options: the build folder is configured anew.
sed -i 's/--disable-parallels/--disable-parallels --disable-fake-option/' "$repo/qemu/build.sh"
"$repo/qemu/build.sh" >/dev/null 2>&1 || fail "build with other configure options failed"
{ [ "$(wc -l <"$tmp/configures")" = 2 ] && grep -q -- '--disable-fake-option' "$tmp/configures"; } ||
	fail "other configure options did not configure anew"

# Removing a device file removes it from QEMU's tree and meson.build.
rm "$repo/qemu/hw/misc/fake-nop.c"
b4=$("$repo/qemu/build.sh" 2>/dev/null)
[ ! -e "$tree/hw/misc/fake-nop.c" ] || fail "removed file left in the tree"
! grep -q 'fake-nop.c' "$tree/hw/misc/meson.build" || fail "removed file still registered"
! grep -q 'nop' "$b4" || fail "removed file still compiled"
grep -q 'CONFIG_EDU' "$tree/hw/misc/meson.build" || fail "meson.build lost its own lines"

# Patches to QEMU's own files: applied, rebuilt on edit, reversed on removal.
echo 'int core = 1;' >"$tree/include/core.h"
mkdir -p "$repo/qemu/patches"
mkpatch() {
	printf -- '--- a/include/core.h\n+++ b/include/core.h\n@@ -1 +1 @@\n-int core = 1;\n+int core = %s;\n' \
		"$1" >"$repo/qemu/patches/0001-core.patch"
}
mkpatch 2
b5=$("$repo/qemu/build.sh" 2>/dev/null) || fail "build with a patch failed"
grep -q 'int core = 2;' "$tree/include/core.h" || fail "patch not applied"
[ "$b5" != "$b4" ] || fail "a patch kept the old key"
b6=$("$repo/qemu/build.sh" 2>/dev/null)
[ "$b5" = "$b6" ] || fail "an applied patch rebuilt"
mkpatch 3
"$repo/qemu/build.sh" >/dev/null 2>&1 || fail "build with an edited patch failed"
grep -q 'int core = 3;' "$tree/include/core.h" || fail "edited patch not applied in place of the old one"
rm -r "$repo/qemu/patches"
[ "$("$repo/qemu/build.sh" 2>/dev/null)" = "$b4" ] || fail "without the patch, the binary built without it is not reused"
echo '/* after the patch */' >>"$repo/qemu/hw/dma/fake-engine.c"
"$repo/qemu/build.sh" >/dev/null 2>&1 || fail "build after removing the patch failed"
grep -q 'int core = 1;' "$tree/include/core.h" || fail "removed patch not reversed"

echo "qemu/tests/overlay.sh: ok"

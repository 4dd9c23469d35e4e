#!/bin/bash
# l2-qemu.sh: build (once per input) a static aarch64 qemu-system-aarch64,
# KVM only (no TCG), with vfio-pci, iommufd and arm-smmuv3, from the current
# patch series; it is the L2 VMM that the emulated arm64 L1 host runs.  Prints
# the path of the stripped binary as the last line of stdout:
#   $CACHE/testbed/qemu-aarch64-<hash>/qemu-system-aarch64
# <hash> covers patches/series, the patches it lists, this script, sysroot.sh
# and the base tarball's sha256; with the same inputs a second run only prints.
#
# Own source tree: $CACHE/testbed/cross-src (disposable, re-made by apply.sh
# when the series changes); build tree: $CACHE/testbed/cross-build; logs:
# $CACHE/testbed/logs/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/config.sh"

tb=$CACHE/testbed

# --- input hash (paths relative to TOP: the same in every clone) ------------
[ -f "$PATCHES/series" ] || { echo "l2-qemu: no $PATCHES/series" >&2; exit 1; }
series_sums() {
    echo "base $QEMU_ORIG_SHA256"
    (cd "$TOP" && sha256sum patches/series)
    local p
    while read -r p; do
        case "$p" in ''|'#'*) continue ;; esac
        [ -f "$PATCHES/$p" ] || {
            echo "l2-qemu: patches/series lists $p, which is not in patches/" >&2
            exit 1
        }
        (cd "$TOP" && sha256sum "patches/$p")
    done < "$PATCHES/series"
}
series_in=$(series_sums)
series_hash=$(echo "$series_in" | sha256sum | cut -c1-16)
hash=$( { echo "$series_in"
          (cd "$TOP" && sha256sum testbed/build/l2-qemu.sh testbed/build/sysroot.sh)
        } | sha256sum | cut -c1-16)
out=$tb/qemu-aarch64-$hash
if [ -x "$out/qemu-system-aarch64" ]; then
    echo "$out/qemu-system-aarch64"
    exit 0
fi

# --- cold path ----------------------------------------------------------------
mkdir -p "$tb/logs"
exec 9>"$tb/.cross-qemu.lock"
flock 9
if [ -x "$out/qemu-system-aarch64" ]; then     # made while we waited
    echo "$out/qemu-system-aarch64"
    exit 0
fi
logs=$tb/logs
fail() {
    local log=$1; shift
    [ -f "$log" ] && tail -n 25 "$log" >&2
    echo "l2-qemu: ERROR: $*" >&2
    echo "l2-qemu: full log: $log" >&2
    exit 1
}

"$TOP/scripts/setup/deps.sh" testbed >"$logs/deps.log" 2>&1 ||
    fail "$logs/deps.log" "deps.sh testbed failed"
sysroot=$("$TOP/testbed/build/sysroot.sh" | tail -n 1)
[ -f "$sysroot/.complete" ] || { echo "l2-qemu: sysroot.sh gave no sysroot" >&2; exit 1; }

# Source tree: pristine base + the series, re-made when the series changes.
src=$tb/cross-src
stamp=$tb/cross-src.series
if [ ! -d "$src/.git" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$series_hash" ] ||
   [ -n "$(git -C "$src" status --porcelain 2>/dev/null)" ]; then
    rm -rf "$src" "$stamp"
    "$TOP/scripts/series/apply.sh" "$src" >"$logs/apply.log" 2>&1 ||
        fail "$logs/apply.log" "apply.sh $src failed"
    echo "$series_hash" > "$stamp"
fi

# Configure (again only when the flags, the sysroot or the tree changed).
bld=$tb/cross-build
lib=$sysroot/usr/lib/aarch64-linux-gnu
export PKG_CONFIG=pkg-config
export PKG_CONFIG_LIBDIR=$lib/pkgconfig:$sysroot/usr/share/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$sysroot
unset PKG_CONFIG_PATH
mkdir -p "$CCACHE_DIR"
export CCACHE_BASEDIR=$tb CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
CONFIGURE_FLAGS=(
    --cross-prefix=aarch64-linux-gnu-
    # A compiler from meson's cross file gets no automatic ccache; an
    # explicit "ccache" first word does.
    "--cc=ccache aarch64-linux-gnu-gcc"
    --static
    --disable-tcg
    # --without-default-features turns every auto feature off, KVM included.
    --enable-kvm
    "${QEMU_CONFIGURE_COMMON[@]}"
    # libfdt has no .pc file, so meson looks for it with find_library, which
    # with --static (prefer_static) ignores -L and searches only the dirs of
    # `gcc -print-search-dirs` (the cross gcc ignores LIBRARY_PATH).  A -B
    # prefix is listed there (and becomes -L for the linker); --sysroot would
    # also need the C library inside the sysroot.
    "--extra-cflags=-I$sysroot/usr/include -B$lib/"
    "--extra-ldflags=-L$lib"
)
cstamp=$bld/.configured
want="${CONFIGURE_FLAGS[*]} $src $series_hash"
if [ ! -f "$cstamp" ] || [ "$(cat "$cstamp")" != "$want" ]; then
    rm -rf "$bld"
    mkdir -p "$bld"
    (cd "$bld" && "$src/configure" "${CONFIGURE_FLAGS[@]}") >"$logs/configure.log" 2>&1 ||
        fail "$logs/configure.log" "configure failed (meson log: $bld/meson-logs/meson-log.txt)"
    # What the L2 VMM must have (Kconfig gives these only with a Linux host).
    devs=$bld/aarch64-softmmu-config-devices.mak
    for c in CONFIG_VFIO_PCI CONFIG_IOMMUFD CONFIG_ARM_SMMUV3 CONFIG_ARM_VIRT; do
        grep -qx "$c=y" "$devs" ||
            fail "$logs/configure.log" "$c is not =y in $devs"
    done
    grep -qx '#define CONFIG_KVM 1' "$bld/aarch64-softmmu-config-target.h" ||
        fail "$logs/configure.log" "CONFIG_KVM is not set for aarch64-softmmu"
    grep -q '^#define CONFIG_TCG' "$bld/aarch64-softmmu-config-target.h" &&
        fail "$logs/configure.log" "CONFIG_TCG is set although --disable-tcg"
    echo "$want" > "$cstamp"
fi

jobs=${CROSS_JOBS:-2}
ninja -C "$bld" -j "$jobs" qemu-system-aarch64 >"$logs/build.log" 2>&1 ||
    fail "$logs/build.log" "the cross build failed"

bin=$bld/qemu-system-aarch64
# Static (static-pie: no program interpreter, no shared libraries), aarch64.
elf=$(aarch64-linux-gnu-readelf -h -l -d "$bin")
if ! [[ $elf =~ Machine:\ *AArch64 ]] || [[ $elf == *INTERP* ]] || [[ $elf == *NEEDED* ]]; then
    echo "l2-qemu: ERROR: $bin is not a static aarch64 executable" >&2
    exit 1
fi

# If an aarch64 user-mode emulator is at hand ($QEMU_AARCH64, or on PATH),
# check that the binary starts and has the devices the testbed needs.
emu=${QEMU_AARCH64:-$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)}
if [ -n "$emu" ]; then
    "$emu" "$bin" --version >"$logs/check.log" 2>&1 ||
        fail "$logs/check.log" "$bin --version fails under $emu"
    "$emu" "$bin" -device help >>"$logs/check.log" 2>&1 ||
        fail "$logs/check.log" "$bin -device help fails under $emu"
    for d in vfio-pci arm-smmuv3; do
        grep -q "^name \"$d\"" "$logs/check.log" ||
            fail "$logs/check.log" "$bin -device help does not list $d"
    done
fi

tmp=$(mktemp -d "$tb/.qemu-aarch64.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
aarch64-linux-gnu-strip -o "$tmp/qemu-system-aarch64" "$bin"
rm -rf "$out"
mv "$tmp" "$out"
chmod 755 "$out"
trap - EXIT
# Keep the four newest binaries (other clones or series may still want them).
ls -dt "$tb"/qemu-aarch64-*/ | tail -n +5 | xargs -r rm -rf
echo "$out/qemu-system-aarch64"

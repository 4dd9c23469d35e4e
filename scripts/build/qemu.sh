#!/bin/bash
# qemu.sh [SRC [BUILDDIR]]: configure (once) and build qemu-system-aarch64
# for this x86_64 host (TCG) plus the test binaries our tests run.
# Incremental, with ccache: a second run with nothing changed takes seconds.
#   BUILD_DEVICES=FILE.mak  the device configuration instead of QEMU's
#                           default (copied into the tree, which git
#                           ignores, as configs/devices/aarch64-softmmu/
#                           x-FILE.mak)
#   BUILD_OPT=N             -ON (default 2)
#   BUILD_DEBUG_INFO=0      no -g (make check's builds; default 1)
#   BUILD_TARGETS="..."     these test binaries instead of the default list
#   BUILD_ONLY_QEMU=1       qemu-system-aarch64 alone
#   BUILD_ONLY_TARGETS=1    BUILD_TARGETS alone, without qemu-system-aarch64
#   BUILD_CC, BUILD_CXX     the compilers (default gcc and g++ through
#                           ccache)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"
src=${1:-$WORK}
bld=${2:-$BUILD/qemu}

[ -d "$src/.git" ] || { echo "build: no QEMU tree at $src; run 'make apply'" >&2; exit 1; }
mkdir -p "$CCACHE_DIR"
export CCACHE_BASEDIR=$TOP CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}

opt=${BUILD_OPT:-2}
cflags="-O$opt"
[ "${BUILD_DEBUG_INFO:-1}" = 1 ] && cflags="$cflags -g"
devices=()
if [ -n "${BUILD_DEVICES:-}" ]; then
    mak=x-$(basename "$BUILD_DEVICES")
    cp "$BUILD_DEVICES" "$src/configs/devices/aarch64-softmmu/$mak"
    grep -qx "/configs/devices/aarch64-softmmu/$mak" "$src/.git/info/exclude" ||
        echo "/configs/devices/aarch64-softmmu/$mak" >> "$src/.git/info/exclude"
    devices=(--with-devices-aarch64="${mak%.mak}")
fi
CONFIGURE_FLAGS=(
    "${QEMU_CONFIGURE_COMMON[@]}"
    "${devices[@]}"
    -Doptimization="$opt"
    -Ddebug="$([ "${BUILD_DEBUG_INFO:-1}" = 1 ] && echo true || echo false)"
    ${BUILD_CONFIGURE_EXTRA:-}
    # configure names the compiler to meson itself, which then does not look
    # for ccache: name Debian's ccache wrapper instead.
    --cc="${BUILD_CC:-/usr/lib/ccache/gcc}"
    --cxx="${BUILD_CXX:-/usr/lib/ccache/g++}"
)
stamp="$bld/.configured"
want="CFLAGS=$cflags ${CONFIGURE_FLAGS[*]} $src"
# A meson regeneration that failed leaves no build.ninja behind the stamp
if [ ! -f "$stamp" ] || [ ! -f "$bld/build.ninja" ] ||
   [ "$(cat "$stamp")" != "$want" ]; then
    rm -rf "$bld"
    mkdir -p "$bld"
    echo "build: configuring $src in $bld"
    (cd "$bld" && CFLAGS=$cflags "$src/configure" "${CONFIGURE_FLAGS[@]}" \
        >configure.log 2>&1) || {
        tail -n 30 "$bld/configure.log" >&2
        echo "build: configure failed, full log: $bld/configure.log" >&2
        exit 1
    }
    echo "$want" > "$stamp"
fi

# Regenerate first (a meson.build may have changed), so that the query below
# sees the current targets.
out=$(ninja -C "$bld" build.ninja 2>&1) || { echo "$out" >&2; exit 1; }

# The targets the tests need; everything else of the default build is skipped.
# BUILD_ONLY_QEMU=1: qemu-system-aarch64 alone (the testbed's L0).
# BUILD_TARGETS="...": these instead of the tests' list, those that exist.
targets=(qemu-system-aarch64)
[ -n "${BUILD_ONLY_TARGETS:-}" ] && targets=()
wanted="tests/qtest/bios-tables-test tests/qtest/qom-test
 tests/qtest/device-introspect-test tests/qtest/test-hmp
 tests/qtest/arm-smmuv3-test tests/unit/test-smmuv3-accel
 tests/qtest/arm-smmuv3-bench tests/qtest/pci-acpi-index-test
 storage-daemon/qemu-storage-daemon
 pc-bios/edk2-aarch64-code.fd pc-bios/edk2-arm-vars.fd"
[ -n "${BUILD_TARGETS:-}" ] && wanted=$BUILD_TARGETS
[ -n "${BUILD_ONLY_QEMU:-}" ] ||
for t in $wanted; do
    if ninja -C "$bld" -t query "$t" >/dev/null 2>&1; then
        targets+=("$t")
    fi
done
set +e
ninja -C "$bld" ${BUILD_JOBS:+-j "$BUILD_JOBS"} "${targets[@]}" | grep -v '^\['
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 0 ] || { echo "build: ninja failed in $bld" >&2; exit "$rc"; }
"$TOP/scripts/build/roms.sh" "$bld"

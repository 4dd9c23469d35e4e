#!/bin/bash
# build.sh [SRC [BUILDDIR]]: configure (once) and build qemu-system-aarch64 for
# this x86_64 host (TCG) plus the test binaries our tests run.  Incremental,
# with ccache: a second run with nothing changed takes seconds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/config.sh"
src=${1:-$WORK}
bld=${2:-$BUILD/qemu}

[ -d "$src/.git" ] || { echo "build: no QEMU tree at $src; run 'make apply'" >&2; exit 1; }
mkdir -p "$CCACHE_DIR"
export CCACHE_BASEDIR=$TOP CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}

CONFIGURE_FLAGS=(
    --target-list=aarch64-softmmu
    --without-default-features
    --enable-fdt=system
    --disable-install-blobs
    --disable-docs
    --disable-rust
    --enable-trace-backends=log
    --python=/usr/bin/python3
)
stamp="$bld/.configured"
want="${CONFIGURE_FLAGS[*]} $src"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    rm -rf "$bld"
    mkdir -p "$bld"
    echo "build: configuring $src in $bld"
    (cd "$bld" && "$src/configure" "${CONFIGURE_FLAGS[@]}" >configure.log 2>&1) || {
        tail -n 30 "$bld/configure.log" >&2
        echo "build: configure failed, full log: $bld/configure.log" >&2
        exit 1
    }
    echo "$want" > "$stamp"
fi

# The targets the tests need; everything else of the default build is skipped.
targets=(qemu-system-aarch64 ${BUILD_TARGETS:-})
for t in tests/qtest/bios-tables-test tests/qtest/qom-test \
         tests/qtest/device-introspect-test tests/qtest/test-hmp \
         tests/qtest/arm-smmuv3-test tests/unit/test-smmuv3-accel \
         storage-daemon/qemu-storage-daemon; do
    if ninja -C "$bld" -t query "$t" >/dev/null 2>&1; then
        targets+=("$t")
    fi
done
ninja -C "$bld" "${targets[@]}" | grep -v '^\[' || true
test "${PIPESTATUS[0]}" = 0

# Shared settings of the project's scripts (sourced, not run).
# shellcheck shell=bash
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Everything downloaded or built from pinned inputs lives here, keyed by hash,
# so that a new clone on the same machine is warm.
CACHE=${SMMU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/smmuv3-accel}

QEMU_DEB_VERSION=1:10.2.2+ds-1
QEMU_ORIG=qemu_10.2.2+ds.orig.tar.xz
QEMU_ORIG_SHA256=be05230fe47a6937cd29f28f562932c8125f9c93c2a82c625198f7a4aa601dfb
BASE=$CACHE/base/qemu-10.2.2

# The QEMU work tree: pristine base + one commit per patch (make apply).
WORK=${SMMU_WORK:-$TOP/qemu}
PATCHES=$TOP/patches
BUILD=${SMMU_BUILD:-$TOP/build}

export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}

# configure flags of every QEMU build of the project (x86_64 TCG and the
# arm64 cross build): only aarch64-softmmu, only the features we need.
QEMU_CONFIGURE_COMMON=(
    --target-list=aarch64-softmmu
    --without-default-features
    --enable-fdt=system
    --disable-install-blobs
    --disable-docs
    --disable-rust
    --enable-trace-backends=log
    --python=/usr/bin/python3
)

# A short hash of the series as it is in patches/ (series + every patch).
series_hash() {
    (cd "$PATCHES" && cat series $(grep -v '^#' series) | sha256sum | cut -c1-16)
}

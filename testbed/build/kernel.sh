#!/bin/bash
# Build the testbed's arm64 Linux kernel (used as both the L1 host and the L2 guest)
# from Debian's binary package linux-source-7.2, pinned by version and sha256.
#   allnoconfig + testbed/kernel.config (merge_config.sh -m, then olddefconfig),
#   cross-compiled with aarch64-linux-gnu-, everything built in.
# Output: $CACHE/testbed/kernel-<hash>/Image (+ .config); the path is the last line
# on stdout. <hash> covers the package version and sha256, the fragment and this
# script, so a second run with the same inputs is instant.
# KERNEL_KEEP_BUILD=1 keeps the build tree for fast incremental iteration.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/config.sh"

PKG=linux-source-7.2
PKG_VERSION=7.2.13-1
PKG_DEB=linux-source-7.2_7.2.13-1_all.deb
PKG_SHA256=30a8c5fc63f9028a62e6d7b3f7f43bee67425dbce2a05fceba83f9b87c92083d
TARBALL=usr/src/linux-source-7.2.tar.xz
FRAGMENT=$TOP/testbed/kernel.config
JOBS=2   # shared 2-core machine: never more

die() { echo "kernel.sh: ERROR: $*" >&2; exit 1; }
[ -f "$FRAGMENT" ] || die "missing config fragment $FRAGMENT"

key=$( { printf '%s\n' "$PKG_VERSION" "$PKG_SHA256"; cat "$FRAGMENT" "$0"; } |
       sha256sum | cut -c1-16)
out=$CACHE/testbed/kernel-$key
if [ -f "$out/Image" ]; then
    echo "$out/Image"
    exit 0
fi

# One build at a time (the build tree is shared); re-check the cache once we hold it.
mkdir -p "$CACHE/testbed"
exec 9>"$CACHE/testbed/.kernel.lock"
flock 9
if [ -f "$out/Image" ]; then
    echo "$out/Image"
    exit 0
fi

# ---- fetch the pinned .deb (cached in $CACHE/dl) ----
deb=$CACHE/dl/$PKG_DEB
verify() { echo "$PKG_SHA256  $1" | sha256sum --quiet -c - >/dev/null 2>&1; }
if [ ! -f "$deb" ] || ! verify "$deb"; then
    "$TOP/scripts/setup/deps.sh" testbed
    "$TOP/scripts/setup/apt-setup.sh"
    mkdir -p "$CACHE/dl"
    tmp=$(mktemp -d "$CACHE/dl/.kernel.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    echo "kernel.sh: downloading $PKG=$PKG_VERSION (~165 MB)" >&2
    if ! (cd "$tmp" && apt-get download -qq "$PKG=$PKG_VERSION" \
            >/dev/null 2>"$tmp/err"); then
        cat "$tmp/err" >&2
        die "the Debian archive no longer serves $PKG=$PKG_VERSION" \
            "(apt-get download failed, see above). Put $PKG_DEB (sha256" \
            "$PKG_SHA256) into $CACHE/dl/ by hand to go on."
    fi
    [ -f "$tmp/$PKG_DEB" ] || die "apt-get download did not produce $PKG_DEB"
    verify "$tmp/$PKG_DEB" ||
        die "$PKG_DEB does not match the pinned sha256 $PKG_SHA256; refusing to use it."
    mv "$tmp/$PKG_DEB" "$deb"
    rm -rf "$tmp"
    trap - EXIT
else
    "$TOP/scripts/setup/deps.sh" testbed
fi

# ---- unpack (reused only when it is the same package) ----
bld=$CACHE/testbed/kernel-build
src=$bld/src
log=$bld/build.log
if [ "$(cat "$bld/.source" 2>/dev/null)" != "$PKG_VERSION $PKG_SHA256" ] ||
   [ ! -f "$src/Makefile" ]; then
    echo "kernel.sh: unpacking $PKG $PKG_VERSION" >&2
    rm -rf "$bld"
    mkdir -p "$src"
    dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "./$TARBALL" |
        tar -xJf - -C "$src" --strip-components=1
    echo "$PKG_VERSION $PKG_SHA256" > "$bld/.source"
fi

kmake() {
    make -C "$src" -j"$JOBS" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- "$@"
}
fail_log() {
    tail -n 40 "$log" >&2
    die "$1 failed (full log: $log)"
}

# Every option of the fragment must be set as asked in the final .config
# ("=n" and "is not set" also accept an absent symbol).
check_config() {
    local cfg=$src/.config line sym val got dropped=""
    while IFS= read -r line; do
        line=${line%%[[:space:]]}
        case $line in
        CONFIG_*=*)
            sym=${line%%=*}; val=${line#*=}
            got=$(grep "^$sym=" "$cfg" || true)
            if [ "$val" = n ]; then
                [ -z "$got" ] || dropped="$dropped\n  $line (got: $got)"
            else
                [ "$got" = "$line" ] || dropped="$dropped\n  $line (got: ${got:-not set})"
            fi ;;
        "# CONFIG_"*" is not set")
            sym=${line#\# }; sym=${sym%% *}
            got=$(grep "^$sym=" "$cfg" || true)
            [ -z "$got" ] || dropped="$dropped\n  $line (got: $got)" ;;
        esac
    done < "$FRAGMENT"
    if [ -n "$dropped" ]; then
        printf 'kernel.sh: ERROR: %s: options not set as asked in the %s .config:%b\n' \
            "$FRAGMENT" "$1" "$dropped" >&2
        echo "kernel.sh: (usually a dependency missing from the fragment; tree kept in $bld)" >&2
        exit 1
    fi
}

# ---- configure: allnoconfig + fragment, then olddefconfig ----
: > "$log"
kmake allnoconfig >>"$log" 2>&1 || fail_log "make allnoconfig"
(cd "$src" && ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
    scripts/kconfig/merge_config.sh -m .config "$FRAGMENT") >>"$log" 2>&1 ||
    fail_log "merge_config.sh"
kmake olddefconfig >>"$log" 2>&1 || fail_log "make olddefconfig"
check_config merged   # fail early, before a long build

# ---- build ----
echo "kernel.sh: building Image (make -j$JOBS, several minutes)" >&2
start=$(date +%s)
kmake Image >>"$log" 2>&1 || fail_log "make Image"
echo "kernel.sh: Image built in $(( $(date +%s) - start )) s" >&2
check_config final

mkdir -p "$out.tmp"
cp "$src/arch/arm64/boot/Image" "$out.tmp/Image"
cp "$src/.config" "$out.tmp/.config"
rm -rf "$out"
mv "$out.tmp" "$out"
[ "${KERNEL_KEEP_BUILD:-0}" = 1 ] || rm -rf "$bld"
echo "$out/Image"

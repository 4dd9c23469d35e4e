#!/bin/bash
# Fetch Debian's static arm64 busybox (busybox-static, bookworm), pinned by version
# and sha256, and extract the binary:  $CACHE/testbed/busybox-<hash>/busybox
# The path is the last line on stdout; a second run is instant.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/config.sh"

PKG=busybox-static:arm64
PKG_VERSION=1:1.35.0-4+deb12u1+b1
PKG_DEB=busybox-static_1.35.0-4+deb12u1+b1_arm64.deb
PKG_SHA256=732c9135564fc71337e0e05fb4da4d11e6c28c1834bce3e405e575afef2a52f5

die() { echo "busybox.sh: ERROR: $*" >&2; exit 1; }

key=$( { printf '%s\n' "$PKG_VERSION" "$PKG_SHA256"; cat "$0"; } |
       sha256sum | cut -c1-16)
out=$CACHE/testbed/busybox-$key
if [ -x "$out/busybox" ]; then
    echo "$out/busybox"
    exit 0
fi

deb=$CACHE/dl/$PKG_DEB
verify() { echo "$PKG_SHA256  $1" | sha256sum --quiet -c - >/dev/null 2>&1; }
if [ ! -f "$deb" ] || ! verify "$deb"; then
    "$TOP/scripts/setup/apt-setup.sh"   # adds the arm64 architecture
    mkdir -p "$CACHE/dl"
    tmp=$(mktemp -d "$CACHE/dl/.busybox.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    if ! (cd "$tmp" && apt-get download -qq "$PKG=$PKG_VERSION" \
            >/dev/null 2>"$tmp/err"); then
        cat "$tmp/err" >&2
        die "the Debian archive no longer serves $PKG=$PKG_VERSION" \
            "(apt-get download failed, see above). Put $PKG_DEB (sha256" \
            "$PKG_SHA256) into $CACHE/dl/ by hand to go on."
    fi
    # apt-get download spells the epoch as %3a in the file name.
    got=$(find "$tmp" -maxdepth 1 -name 'busybox-static_*_arm64.deb' | head -n 1)
    [ -n "$got" ] || die "apt-get download did not produce a busybox-static .deb"
    verify "$got" ||
        die "$(basename "$got") does not match the pinned sha256 $PKG_SHA256; refusing to use it."
    mv "$got" "$deb"
    rm -rf "$tmp"
    trap - EXIT
fi

mkdir -p "$CACHE/testbed"
tmp=$(mktemp -d "$CACHE/testbed/.busybox.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/x"
[ -f "$tmp/x/bin/busybox" ] || die "$PKG_DEB has no bin/busybox"
file_out=$(file -b "$tmp/x/bin/busybox" 2>/dev/null || echo "?")
case $file_out in
*ARM\ aarch64*statically\ linked*|\?) ;;
*) die "bin/busybox is not a static aarch64 binary: $file_out" ;;
esac
mkdir -p "$tmp/out"
install -m 0755 "$tmp/x/bin/busybox" "$tmp/out/busybox"
rm -rf "$out"
mv "$tmp/out" "$out"
echo "$out/busybox"

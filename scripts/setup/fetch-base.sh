#!/bin/bash
# Fetch QEMU 10.2.2 from Debian's source package, verify it, and unpack the
# pristine base tree once into the cache:  $CACHE/base/qemu-10.2.2
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"

tarball="$CACHE/dl/$QEMU_ORIG"
verify() {
    echo "$QEMU_ORIG_SHA256  $1" | sha256sum --quiet -c - 2>/dev/null
}

if [ ! -f "$tarball" ] || ! verify "$tarball"; then
    "$TOP/scripts/setup/apt-setup.sh"
    mkdir -p "$CACHE/dl"
    tmp=$(mktemp -d "$CACHE/dl/.src.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    echo "fetch-base: downloading Debian source package qemu=$QEMU_DEB_VERSION"
    if ! (cd "$tmp" && apt-get source -qq --download-only \
            "qemu=$QEMU_DEB_VERSION" >/dev/null 2>"$tmp/err"); then
        cat "$tmp/err" >&2
        echo "fetch-base: ERROR: the Debian archive no longer serves the source" \
             "package qemu=$QEMU_DEB_VERSION (apt-get source failed, see above)." >&2
        echo "fetch-base: put $QEMU_ORIG (sha256 $QEMU_ORIG_SHA256) into" \
             "$CACHE/dl/ by hand to go on." >&2
        exit 1
    fi
    if ! verify "$tmp/$QEMU_ORIG"; then
        echo "fetch-base: ERROR: $QEMU_ORIG does not match sha256 $QEMU_ORIG_SHA256;" \
             "refusing to use it." >&2
        exit 1
    fi
    mv "$tmp"/qemu_* "$CACHE/dl/"
fi

if [ ! -f "$BASE/.complete" ]; then
    echo "fetch-base: unpacking $QEMU_ORIG"
    rm -rf "$BASE" "$BASE.tmp"
    mkdir -p "$BASE.tmp"
    tar -xJf "$tarball" -C "$BASE.tmp" --strip-components=1
    touch "$BASE.tmp/.complete"
    mv "$BASE.tmp" "$BASE"
fi

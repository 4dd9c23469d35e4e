#!/bin/bash
# l0-qemu.sh: print the path of the testbed's L0 QEMU (x86_64, TCG): the
# series as it is in patches/ plus testbed/l0-patches/*.patch, which only
# the testbed needs (the emulated SMMUv3 of L0 playing host SMMUs of other
# kinds).  Built in its own tree, next to the series' own (series-qemu.sh),
# again only when the series or the testbed patches change; ccache makes
# the second tree cheap.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/config.sh"
"$here/series-qemu.sh" >/dev/null
CSRC=$BUILD/check/qemu
LSRC=$BUILD/l0/qemu
LBLD=$BUILD/l0/build/qemu
hash=$( { series_hash; cat "$TOP"/testbed/l0-patches/*.patch; } | sha256sum |
        cut -c1-16)
if [ "$(cat "$LSRC/.l0-hash" 2>/dev/null)" != "$hash" ] ||
   [ -n "$(git -C "$LSRC" status --porcelain 2>/dev/null | grep -v '^?? .l0-hash$')" ]; then
    rm -rf "$LSRC"
    mkdir -p "$(dirname "$LSRC")"
    git clone -q --shared "$CSRC" "$LSRC"
    "$here/edk2-blobs.sh" "$LSRC"
    for p in "$TOP"/testbed/l0-patches/*.patch; do
        git -C "$LSRC" -c user.name=testbed -c user.email=testbed@smmuv3-accel.invalid \
            am -q "$p" >&2 ||
            { echo "l0-qemu: $p does not apply on the series" >&2; exit 1; }
    done
    echo "$hash" > "$LSRC/.l0-hash"
    echo "/.l0-hash" >> "$LSRC/.git/info/exclude"
fi
BUILD_ONLY_QEMU=1 "$here/build.sh" "$LSRC" "$LBLD" >&2
echo "$LBLD/qemu-system-aarch64"

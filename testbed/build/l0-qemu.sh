#!/bin/bash
# l0-qemu.sh: print the path of the testbed's L0 QEMU (x86_64, TCG): the
# series as it is in patches/ plus testbed/l0-patches/*.patch, which only
# the testbed needs (the emulated SMMUv3 of L0 playing host SMMUs of other
# kinds).  Built in its own tree, next to the series' own
# (scripts/build/series.sh), with the same flags, so that ccache serves
# every object the patches do not change; the binary is kept in the cache
# by the hash of its inputs (the series, the testbed's patches, this
# script, scripts/build/qemu.sh and scripts/config.sh), so that another clone on this machine (make check's demo group,
# a clean copy) takes it as it is.  Beside it: the testbed patches' own
# qtest, tegra241-cmdqv-test (scripts/tests/l0-qtest.sh runs it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/config.sh"
key=$( { series_hash; cat "$TOP"/testbed/l0-patches/*.patch "$0" \
           "$TOP/scripts/build/qemu.sh" "$TOP/scripts/config.sh"; } |
       sha256sum | cut -c1-16)
out=$CACHE/testbed/l0-qemu-$key
if [ -x "$out/qemu-system-aarch64" ]; then
    echo "$out/qemu-system-aarch64"
    exit 0
fi
"$TOP/scripts/build/series.sh" >/dev/null
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
    "$TOP/scripts/build/edk2-blobs.sh" "$LSRC"
    for p in "$TOP"/testbed/l0-patches/*.patch; do
        git -C "$LSRC" -c user.name=testbed -c user.email=testbed@smmuv3-accel.invalid \
            am -q "$p" >&2 ||
            { echo "l0-qemu: $p does not apply on the series" >&2; exit 1; }
    done
    echo "$hash" > "$LSRC/.l0-hash"
    echo "/.l0-hash" >> "$LSRC/.git/info/exclude"
fi
BUILD_TARGETS=tests/qtest/tegra241-cmdqv-test BUILD_DEBUG_INFO=0 \
    "$TOP/scripts/build/qemu.sh" "$LSRC" "$LBLD" >&2
mkdir -p "$out.tmp"
cp "$LBLD/qemu-system-aarch64" "$LBLD/tests/qtest/tegra241-cmdqv-test" "$out.tmp/"
rm -rf "$out" && mv "$out.tmp" "$out"
# (only the newest four)
ls -dt "$CACHE"/testbed/l0-qemu-* | tail -n +5 | xargs -r rm -rf
echo "$out/qemu-system-aarch64"

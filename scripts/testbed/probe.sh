#!/bin/bash
# probe.sh: cross-build tools/smmuv3-accel-probe for the arm64 testbed (static,
# against QEMU's linux-headers); cached by the hash of its sources.  Prints
# the binary's path last.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/config.sh"
"$here/fetch-base.sh" >&2
src=$TOP/tools/smmuv3-accel-probe
hash=$(cat "$src"/*.c "$src/Makefile" "$0" | sha256sum | cut -c1-16)
out=$CACHE/testbed/probe-$hash
if [ ! -x "$out/smmuv3-accel-probe" ]; then
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    cp "$src"/*.c "$src/Makefile" "$out.tmp/"
    make -s -C "$out.tmp" CC=aarch64-linux-gnu-gcc \
        UAPI_INCLUDE="$BASE/linux-headers" >&2
    rm -rf "$out" && mv "$out.tmp" "$out"
fi
echo "$out/smmuv3-accel-probe"

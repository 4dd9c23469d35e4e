#!/bin/bash
# tool.sh NAME: cross-build tools/NAME (smmuv3-accel-probe for L1,
# smmuv3-hostile-guest for L2) as a static arm64 binary, against QEMU's
# linux-headers (the kernel uAPI the series is written for); cached by the
# hash of its sources.  Prints the binary's path last.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/config.sh"
name=${1:?usage: tool.sh NAME}
src=$TOP/tools/$name
[ -f "$src/Makefile" ] || { echo "tool.sh: no tools/$name/Makefile" >&2; exit 1; }
"$TOP/scripts/setup/fetch-base.sh" >&2
# Its sources: every .c and .h (a tool may have no header) and the Makefile
shopt -s nullglob
files=("$src"/*.c "$src"/*.h "$src/Makefile")
shopt -u nullglob
hash=$(cat "${files[@]}" "$0" | sha256sum | cut -c1-16)
out=$CACHE/testbed/$name-$hash
if [ ! -x "$out/$name" ]; then
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    cp "${files[@]}" "$out.tmp/"
    make -s -C "$out.tmp" CC=aarch64-linux-gnu-gcc BIN="$name" \
        UAPI_INCLUDE="$BASE/linux-headers" >&2
    rm -rf "$out" && mv "$out.tmp" "$out"
fi
echo "$out/$name"

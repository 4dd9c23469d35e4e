#!/bin/bash
# hostile.sh: cross-build tools/smmuv3-hostile-guest for the arm64 testbed's
# L2 guest (static, no headers beyond libc); cached by the hash of its
# sources.  Prints the binary's path last.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/config.sh"
src=$TOP/tools/smmuv3-hostile-guest
hash=$(cat "$src"/*.c "$src/Makefile" "$0" | sha256sum | cut -c1-16)
out=$CACHE/testbed/hostile-$hash
if [ ! -x "$out/smmuv3-hostile-guest" ]; then
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    cp "$src"/*.c "$src/Makefile" "$out.tmp/"
    make -s -C "$out.tmp" CC=aarch64-linux-gnu-gcc >&2
    rm -rf "$out" && mv "$out.tmp" "$out"
fi
echo "$out/smmuv3-hostile-guest"

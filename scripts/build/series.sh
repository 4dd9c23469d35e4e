#!/bin/bash
# series.sh: print the path of the x86_64 qemu-system-aarch64 built from the
# series as it is in patches/ (the check tree of check.sh), applying and
# building it only when patches/ changed since the last build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"
CSRC=$BUILD/check/qemu
CBLD=$BUILD/check/build/qemu
hash=$(series_hash)
if [ "$(cat "$CSRC/.series-hash" 2>/dev/null)" != "$hash" ] ||
   [ "$(git -C "$CSRC" status --porcelain 2>/dev/null | grep -v '^?? .series-hash$')" != "" ]; then
    rm -rf "$CSRC"
    FORCE=1 "$TOP/scripts/series/apply.sh" "$CSRC" >&2
    echo "$hash" > "$CSRC/.series-hash"
    echo "/.series-hash" >> "$CSRC/.git/info/exclude"
fi
# Without debug info: what make check runs needs none, and the testbed's
# L0 (testbed/build/l0-qemu.sh) and libvirt's base QEMU take their objects
# from this build's (ccache), with the same flags
BUILD_DEBUG_INFO=0 "$TOP/scripts/build/qemu.sh" "$CSRC" "$CBLD" >&2
echo "$CBLD/qemu-system-aarch64"

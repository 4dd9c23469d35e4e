#!/bin/bash
# base-qemu.sh: print the path of qemu-system-aarch64 (x86_64, TCG) built
# from the series' base alone: QEMU 10.2.2 as Debian ships it, whose
# arm-smmuv3 has no "accel" property.  The libvirt group's caps case gives
# it to libvirt as a second emulator, the same version as the series' own,
# to show that libvirt takes accel='on' from what it probed in the series'
# binary and refuses it for a binary without the property.  Built once
# (the base is pinned), in the same layout as the series' tree so that
# ccache serves nearly every object from the series' builds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"
SRC=$BUILD/libvirt/qemu
BLD=$BUILD/libvirt/build/qemu
"$TOP/scripts/setup/fetch-base.sh" >&2
baserepo=$CACHE/base/qemu-base.git
if [ ! -f "$baserepo/.complete" ]; then
    # apply.sh makes the base repository (once, for every tree).
    "$TOP/scripts/series/apply.sh" "$BUILD/libvirt/apply-tmp" >&2
    rm -rf "$BUILD/libvirt/apply-tmp"
fi
if [ "$(git -C "$SRC" rev-parse -q --verify HEAD 2>/dev/null)" != \
     "$(git -C "$baserepo" rev-parse base)" ] ||
   [ -n "$(git -C "$SRC" status --porcelain 2>/dev/null)" ]; then
    rm -rf "$SRC"
    mkdir -p "$(dirname "$SRC")"
    git clone -q -b pristine "$baserepo/.git" "$SRC"
    "$TOP/scripts/build/edk2-blobs.sh" "$SRC" >&2
fi
BUILD_ONLY_QEMU=1 BUILD_DEBUG_INFO=0 "$TOP/scripts/build/qemu.sh" "$SRC" "$BLD" >&2
echo "$BLD/qemu-system-aarch64"

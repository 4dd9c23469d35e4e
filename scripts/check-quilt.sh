#!/bin/bash
# check-quilt.sh: the series applies with "quilt push -a" to Debian's own
# qemu source tree (dpkg-source -x: upstream + Debian's patches), as a
# packager would carry it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/config.sh"
"$here/fetch-base.sh"
dsc=$CACHE/dl/qemu_${QEMU_DEB_VERSION#*:}.dsc
tree=$BUILD/debian-quilt
rm -rf "$tree"
mkdir -p "$BUILD"
dpkg-source --no-check -q -x "$dsc" "$tree" >/dev/null
cd "$tree"
QUILT_PATCHES=$PATCHES QUILT_PC=.pc-smmuv3-accel quilt push -a -q --fuzz=0
echo "check-quilt: series applies on Debian's qemu $QEMU_DEB_VERSION tree"
rm -rf "$tree"

#!/bin/bash
# check-quilt.sh: the series applies with "quilt push -a" to Debian's own
# qemu source tree (dpkg-source -x: upstream + Debian's patches), as a
# packager would carry it.
#
# quilt (GNU patch) cannot apply git's binary diffs, which is how the
# expected ACPI tables of bios-tables-test travel.  Those patches are left
# out of the quilt run and applied afterwards with git apply; a packager
# carries such files with debian/source/include-binaries.  Every other
# patch must apply with quilt, without fuzz.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"
"$TOP/scripts/setup/fetch-base.sh"
dsc=$CACHE/dl/qemu_${QEMU_DEB_VERSION#*:}.dsc
tree=$BUILD/debian-quilt
rm -rf "$tree"
mkdir -p "$BUILD"
dpkg-source --no-check -q -x "$dsc" "$tree" >/dev/null
qp=$tree/.smmuv3-accel-patches
mkdir -p "$qp"
binary=()
while read -r p; do
    case "$p" in ''|'#'*) continue ;; esac
    if grep -q '^GIT binary patch' "$PATCHES/$p"; then
        binary+=("$p")
    else
        cp "$PATCHES/$p" "$qp/" && echo "$p" >> "$qp/series"
    fi
done < "$PATCHES/series"
cd "$tree"
QUILT_PATCHES=$qp QUILT_PC=.pc-smmuv3-accel quilt push -a -q --fuzz=0
for p in "${binary[@]}"; do
    git apply --binary "$PATCHES/$p"
    echo "check-quilt: $p carries binary files; applied with git apply"
done
echo "check-quilt: series applies on Debian's qemu $QEMU_DEB_VERSION tree"
cd / && rm -rf "$tree"

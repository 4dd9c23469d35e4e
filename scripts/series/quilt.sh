#!/bin/bash
# check-quilt.sh: the series applies with "quilt push -a" to Debian's own
# qemu source tree (dpkg-source -x: upstream + Debian's patches), as a
# packager would carry it.
#
# quilt (GNU patch) cannot apply git's binary diffs, which is how the
# expected ACPI tables of bios-tables-test travel.  Those patches are
# applied with git apply in their place in the series; a packager carries
# such files with debian/source/include-binaries.  Every other patch must
# apply with quilt, without fuzz.
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
touch "$qp/series"
cd "$tree"
export QUILT_PATCHES=$qp QUILT_PC=.pc-smmuv3-accel
# quilt push -a: 0 when it applied patches, 2 when there were none left
push_all() {
    local rc=0
    quilt push -a -q --fuzz=0 || rc=$?
    [ $rc = 0 ] || [ $rc = 2 ]
}
# quilt takes no binary files: a patch with them (expected ACPI tables) is
# applied with git apply in its place, after the patches before it, so
# that the patches after it find the tree it leaves
while read -r p; do
    case "$p" in ''|'#'*) continue ;; esac
    if grep -q '^GIT binary patch' "$PATCHES/$p"; then
        push_all
        # (the tree may sit in a git checkout, whose git apply would
        # skip paths outside the current directory without a word)
        GIT_CEILING_DIRECTORIES=$(dirname "$tree") git apply --binary "$PATCHES/$p"
        echo "check-quilt: $p carries binary files; applied with git apply"
    else
        cp "$PATCHES/$p" "$qp/" && echo "$p" >> "$qp/series"
    fi
done < "$PATCHES/series"
push_all
echo "check-quilt: series applies on Debian's qemu $QEMU_DEB_VERSION tree"
cd / && rm -rf "$tree"

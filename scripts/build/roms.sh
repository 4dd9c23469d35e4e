#!/bin/bash
# roms.sh BUILDDIR: put the firmware ROMs that the +ds tarball strips, and
# that some aarch64 machines load at start-up, where a QEMU run from BUILDDIR
# finds them.  Debian builds them from source into qemu-system-data; the
# 10.2.2 build of that package is no longer served, so the one apt offers is
# used (the ROMs do not depend on QEMU's version).  Machines whose ROMs not
# even Debian ships (ast27x0_bootrom.bin) are skipped by the tests that start
# every machine (scripts/tests/qemu-test.sh).  Also the NICs' option ROMs, see below.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"
bld=$1
ROMS="npcm7xx_bootrom.bin npcm8xx_bootrom.bin"
cache=$CACHE/roms
if [ ! -f "$cache/.complete" ]; then
    "$TOP/scripts/setup/apt-setup.sh"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && apt-get download -qq qemu-system-data/sid >/dev/null 2>&1) || {
        echo "roms: Debian's qemu-system-data (sid) could not be downloaded" >&2; exit 1; }
    dpkg-deb -x "$tmp"/qemu-system-data_*.deb "$tmp/x"
    rm -rf "$cache" && mkdir -p "$cache"
    for r in $ROMS; do
        cp "$tmp/x/usr/share/qemu/$r" "$cache/"
    done
    basename "$tmp"/qemu-system-data_*.deb > "$cache/FROM"
    touch "$cache/.complete"
fi
dest=$bld/qemu-bundle/usr/local/share/qemu
mkdir -p "$dest"
for r in $ROMS; do
    cmp -s "$cache/$r" "$dest/$r" || cp "$cache/$r" "$dest/"
done
# Default NICs (virt: virtio-net-pci, sbsa-ref: e1000e) load their iPXE
# option ROMs, which Debian ships in ipxe-qemu (scripts/setup/deps.sh installs it).
# Display devices load SeaBIOS's VGA BIOSes (package seabios).
for r in /usr/lib/ipxe/qemu/*.rom /usr/share/seabios/vgabios*.bin; do
    ln -sf "$r" "$dest/${r##*/}"
done

#!/bin/bash
# edk2-blobs.sh DIR: provide DIR/pc-bios/edk2-*.fd.bz2, stripped from the +ds
# tarball (see apply.sh), from Debian's qemu-efi-aarch64 package; cached.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"
dir=$1
cache=$CACHE/edk2
if [ ! -f "$cache/.complete" ]; then
    "$TOP/scripts/setup/deps.sh" build
    rm -rf "$cache" && mkdir -p "$cache"
    bzip2 -1 -c /usr/share/AAVMF/AAVMF_CODE.fd > "$cache/edk2-aarch64-code.fd.bz2"
    bzip2 -1 -c /usr/share/AAVMF/AAVMF_VARS.fd > "$cache/edk2-arm-vars.fd.bz2"
    for f in arm-code riscv-code riscv-vars i386-code i386-secure-code \
             i386-vars x86_64-code x86_64-secure-code loongarch64-code \
             loongarch64-vars; do
        bzip2 -c < /dev/null > "$cache/edk2-$f.fd.bz2"
    done
    touch "$cache/.complete"
fi
for f in "$cache"/*.bz2; do
    b=$(basename "$f")
    [ -e "$dir/pc-bios/$b" ] || cp "$f" "$dir/pc-bios/$b"
    grep -qxF "/pc-bios/$b" "$dir/.git/info/exclude" 2>/dev/null ||
        echo "/pc-bios/$b" >> "$dir/.git/info/exclude"
done

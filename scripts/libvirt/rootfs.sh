#!/bin/bash
# rootfs.sh: print the path of a Debian sid root file system that has
# libvirt 12.8 (libvirtd, virsh, the QEMU driver) and sid's own
# qemu-system-aarch64, for the libvirt test group (scripts/libvirt/host.sh).
#
# Why a separate root file system: libvirt >= 12.7 is the first to know
# <iommu model='smmuv3'><driver accel='on' .../>, and installing sid's
# libvirt on Debian 12 would upgrade libc6 and about 130 other packages.
# Debian 12's mmdebstrap builds it in about 20 s (312 MB), from the archive
# URI this machine's own apt sources use (scripts/setup/apt-setup.sh --uri).
#
# Built once: the directory is $CACHE/libvirt/rootfs-<hash of the suite, the
# package list and this script>, and stays pristine (host.sh runs on an
# overlay of it).  sid moves on, so the versions a build got are written
# beside it in rootfs-<hash>.versions; delete the directory to rebuild.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"
[ "$(id -u)" = 0 ] || SUDO=sudo
SUDO=${SUDO:-}

SUITE=sid
# qemu-system-arm: sid's qemu-system-aarch64, the upstream reference of the
# upstream-diff case (libvirt-daemon-driver-qemu pulls a qemu-system in too,
# but not necessarily that one).
PACKAGES="libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-arm"

key=$({ echo "$SUITE"; echo "$PACKAGES"; cat "$0"; } | sha256sum | cut -c1-16)
out=$CACHE/libvirt/rootfs-$key
if [ -e "$out/.smmuv3-rootfs-complete" ]; then
    echo "$out"
    exit 0
fi

"$TOP/scripts/setup/deps.sh" libvirt >&2
uri=$("$TOP/scripts/setup/apt-setup.sh" --uri)
mkdir -p "$CACHE/libvirt"
tmp=$out.tmp
# A build that was interrupted may have left mounts in it: never follow them.
cleanup() {
    local m
    for m in $(awk -v t="$tmp/" 'index($2, t) == 1 { print $2 }' /proc/self/mounts | sort -r); do
        $SUDO umount -l "$m" || true
    done
    $SUDO rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT
cleanup
echo "libvirt-rootfs: mmdebstrap $SUITE ($PACKAGES) from $uri into $out" >&2
t0=$(date +%s)
# The archive's sid Release file may be past its Valid-Until date (seen on
# this project's machine): its signature is still checked, only its expiry
# is not (a test chroot, thrown away with the next package list).
timeout 1800 $SUDO mmdebstrap --quiet --variant=apt \
    --aptopt='Acquire::Check-Valid-Until "false"' \
    --aptopt='Acquire::Retries "3"' \
    --include="${PACKAGES// /,}" \
    "$SUITE" "$tmp" "$uri" >&2
$SUDO chroot "$tmp" dpkg-query -W -f='${Package} ${Version}\n' \
    libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-arm \
    libc6 | $SUDO tee "$out.versions" >&2
$SUDO touch "$tmp/.smmuv3-rootfs-complete"
$SUDO mv "$tmp" "$out"
# Root file systems of other inputs (an older package list or script) are
# not used any more: 380 MB each.
for old in "$CACHE"/libvirt/rootfs-*; do
    case "$old" in "$out"|"$out.versions"|*.tmp) continue ;; esac
    $SUDO rm -rf --one-file-system "$old"
done
echo "libvirt-rootfs: built in $(($(date +%s) - t0)) s, $($SUDO du -sh --one-file-system "$out" | cut -f1)" >&2
echo "$out"

#!/bin/bash
# Install the Debian packages a target needs; quiet and quick when they are there.
#   deps.sh build     host (x86_64) QEMU build, qtests, series checks
#   deps.sh testbed   + cross toolchain, kernel build tools, firmware
#   deps.sh bench     + valgrind (instruction counts)
#   deps.sh libvirt   + mmdebstrap, e2fsprogs (the sid root file systems of
#                     libvirt 12.8: the host's, and the arm64 image of the
#                     e2e scenario libvirt-accel)
#   deps.sh fuzz      + clang, its libFuzzer and sanitizer runtimes, llvm-cov
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

[ "$(id -u)" = 0 ] || SUDO=sudo
SUDO=${SUDO:-}

build_pkgs="build-essential git ccache ninja-build pkg-config python3-venv
 libglib2.0-dev libpixman-1-dev libfdt-dev zlib1g-dev device-tree-compiler
 dpkg-dev quilt xz-utils qemu-efi-aarch64 ipxe-qemu seabios flex bison"
# meson >= 1.5 and pycotap come from bookworm-backports.
bpo_pkgs="meson python3-pycotap"
testbed_pkgs="gcc-aarch64-linux-gnu libc6-dev-arm64-cross bc libssl-dev
 libelf-dev cpio kmod e2fsprogs rsync"
# Debian 12's mmdebstrap builds the separate sid root file system in which
# the libvirt group runs sid's libvirt (installing it on the host would
# upgrade libc6 and about 130 packages), and the arm64 one that L1 of the
# e2e scenario libvirt-accel mounts (mke2fs -d makes its ext4 image).
libvirt_pkgs="mmdebstrap e2fsprogs"

want=$build_pkgs
case "${1:-build}" in
testbed) want="$build_pkgs $testbed_pkgs" ;;
bench) want="$build_pkgs $testbed_pkgs valgrind" ;;
libvirt) want="$build_pkgs $libvirt_pkgs" ;;
fuzz) want="$build_pkgs clang libclang-rt-14-dev llvm-14" ;;
esac

missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
        missing="$missing $p"
done
mver=$(dpkg-query -W -f='${Version}' meson 2>/dev/null || true)
need_bpo=0
if [ -z "$mver" ] || dpkg --compare-versions "$mver" lt 1.5; then need_bpo=1; fi
dpkg-query -W -f='${Status}' python3-pycotap 2>/dev/null | grep -q 'ok installed' || need_bpo=1

[ -z "$missing" ] && [ "$need_bpo" = 0 ] && exit 0

"$here/apt-setup.sh"
export DEBIAN_FRONTEND=noninteractive
if [ -n "$missing" ]; then
    echo "deps: installing$missing"
    $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
if [ "$need_bpo" = 1 ]; then
    echo "deps: installing $bpo_pkgs from bookworm-backports"
    $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports \
        $bpo_pkgs >/dev/null
fi

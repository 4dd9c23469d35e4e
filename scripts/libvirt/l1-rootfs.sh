#!/bin/bash
# l1-rootfs.sh [libvirt|compare]: print the path of an ext4 image holding a
# Debian sid arm64 root file system, for an e2e scenario whose L1 needs
# more than busybox: L0 attaches it to L1 as a virtio disk, and L1 mounts
# it and chroots into it.
#   libvirt (the default): libvirt 12.8 (libvirtd, virsh, the QEMU driver),
#     for libvirt-accel, which runs libvirtd with the series' arm64 QEMU as
#     the emulator;
#   compare: Debian's QEMU (qemu-system-arm, 1:11.1 in sid), for the
#     compare scenario (make compare), which runs it next to the series'.
#
# How, without running a single arm64 program on this x86 host (no
# qemu-user, no binfmt_misc needed):
# - Debian 12's mmdebstrap, --architectures=arm64 --variant=extract: apt
#   resolves the packages and their dependencies, dpkg-deb only unpacks
#   them; no maintainer script runs.  The archive URI is the one this
#   machine's own apt sources name (scripts/setup/apt-setup.sh --uri).
# - libvirt-daemon-driver-qemu depends on "qemu-kvm | qemu-system", on
#   "systemd-container | sysvinit-core" and on a sysusers implementation: a
#   local package made here (smmuv3-l1-provides) provides those names, so
#   that sid's QEMU (which libvirtd would probe too, minutes under TCG) and
#   systemd stay out.  The emulator is the series' static QEMU, which L1
#   binds in at /usr/bin/qemu-system-aarch64.
# - What the maintainer scripts would have done, done here by hand: the
#   merged-/usr links (bin, sbin, lib), /etc/passwd and /etc/group (root,
#   and the groups libvirt names), nsswitch.conf, libvirt's state
#   directories.  L1 runs ldconfig in the chroot (an arm64 program).
# - libvirt's configuration for a chroot without systemd (as in
#   scripts/libvirt/host.sh): QEMU as root, no dynamic ownership, no
#   security driver, no cgroups, no per-QEMU namespaces, QEMU's stderr to
#   its log file without virtlogd.
# - The L2 guest's UEFI firmware: the same QEMU_EFI.fd as the other UEFI
#   scenarios (package qemu-efi-aarch64), padded to the 64 MiB of virt's
#   flash, since libvirt gives it to QEMU as pflash (libvirt refuses ACPI
#   on aarch64 without UEFI, and <loader type='rom'> is not UEFI to it).
# - mke2fs -d turns the tree into an ext4 image (no loop mount).
#
# Cached: $CACHE/libvirt/l1-arm64-<hash>.img, <hash> being that of the
# suite, the package list, this script and the firmware; the versions it
# got are in l1-arm64-<hash>.versions (sid moves on: delete the image to
# take newer ones).  A new build removes the older images.  Needs root
# (sudo otherwise): mmdebstrap in root mode, files owned by root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"
[ "$(id -u)" = 0 ] || SUDO=sudo
SUDO=${SUDO:-}

SUITE=sid
FLAVOUR=${1:-libvirt}
case "$FLAVOUR" in
libvirt)
    PACKAGES="libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients libc-bin"
    VERSIONS="libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients libc6"
    IMG_MIB=512 ;;
compare)
    PACKAGES="qemu-system-arm libc-bin"
    VERSIONS="qemu-system-arm qemu-system-common libc6"
    IMG_MIB=512 ;;
*) echo "l1-rootfs: no flavour $FLAVOUR (libvirt or compare)" >&2; exit 2 ;;
esac
EFI=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd

"$TOP/scripts/setup/deps.sh" libvirt >&2
[ -f "$EFI" ] || { echo "l1-rootfs: $EFI missing (package qemu-efi-aarch64)" >&2; exit 1; }
key=$({ echo "$SUITE"; echo "$PACKAGES"; cat "$0"; sha256sum < "$EFI"; } |
      sha256sum | cut -c1-16)
name=l1-arm64
[ "$FLAVOUR" = libvirt ] || name=l1-arm64-$FLAVOUR
out=$CACHE/libvirt/$name-$key.img
if [ -f "$out" ]; then
    echo "$out"
    exit 0
fi

uri=$("$TOP/scripts/setup/apt-setup.sh" --uri)
mkdir -p "$CACHE/libvirt"
# (in /tmp: the path of the local .deb below is the same inside the target)
tmp=$(mktemp -d /tmp/smmuv3-l1-rootfs.XXXXXX)
cleanup() { $SUDO rm -rf --one-file-system "$tmp"; }
trap cleanup EXIT
t0=$(date +%s)

# The names libvirt-daemon-driver-qemu depends on, provided by nothing
# else we install.
mkdir -p "$tmp/provides/DEBIAN"
cat > "$tmp/provides/DEBIAN/control" <<'EOT'
Package: smmuv3-l1-provides
Version: 1
Architecture: all
Maintainer: smmuv3-accel testbed <testbed@smmuv3-accel.invalid>
Provides: @PROVIDES@
Description: stand-in for the QEMU and init of the libvirt-accel L1 chroot
 The series' QEMU is the emulator; nothing boots this tree.
EOT
# (compare: sid's QEMU is the point, it comes in)
provides="qemu-system, qemu-kvm, sysvinit-core, systemd-sysusers"
[ "$FLAVOUR" = compare ] && provides="sysvinit-core, systemd-sysusers"
sed -i "s/@PROVIDES@/$provides/" "$tmp/provides/DEBIAN/control"
dpkg-deb --root-owner-group -b "$tmp/provides" "$tmp/provides.deb" >/dev/null

tree=$tmp/root
echo "l1-rootfs: mmdebstrap --architectures=arm64 --variant=extract $SUITE ($PACKAGES) from $uri" >&2
# (The Release file's expiry is not checked, its signature is: see
# scripts/libvirt/rootfs.sh.)  A local .deb must be reachable at the same
# path inside the target: the setup hook copies it there.
timeout 1800 $SUDO mmdebstrap --quiet --variant=extract --architectures=arm64 \
    --aptopt='Acquire::Check-Valid-Until "false"' \
    --aptopt='Acquire::Retries "3"' \
    --setup-hook="mkdir -p \"\$1$tmp\" && cp $tmp/provides.deb \"\$1$tmp/\"" \
    --include="${PACKAGES// /,}" --include="$tmp/provides.deb" \
    "$SUITE" "$tree" "$uri" >&2
$SUDO rm -rf "${tree:?}/tmp/"*

# What dpkg's unpack of the Essential packages and the maintainer scripts
# would have left.
$SUDO sh -e -c '
cd "$1"
for d in bin sbin lib; do [ -e $d ] || ln -s usr/$d $d; done
mkdir -p proc sys dev run tmp root l2 var/tmp
chmod 1777 tmp var/tmp
[ -e var/run ] || ln -s /run var/run
[ -e var/lock ] || ln -s /run/lock var/lock
# (libvirt resolves its built-in QEMU user and group, libvirt-qemu, before
# it reads qemu.conf, which makes QEMU run as root: they must exist)
cat > etc/passwd <<EOT
root:x:0:0:root:/root:/bin/sh
libvirt-qemu:x:64055:64056:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin
swtpm:x:64057:64058:swtpm:/var/lib/swtpm:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOT
cat > etc/group <<EOT
root:x:0:
kvm:x:36:libvirt-qemu
libvirt:x:64054:
libvirt-qemu:x:64056:
swtpm:x:64058:
nogroup:x:65534:
EOT
printf "passwd: files\ngroup: files\nshadow: files\nhosts: files\n" > etc/nsswitch.conf
echo l1 > etc/hostname
printf "127.0.0.1 localhost l1\n" > etc/hosts
mkdir -p var/lib/libvirt/qemu/nvram var/lib/libvirt/images var/cache/libvirt/qemu \
    var/log/libvirt/qemu usr/share/e2e
' sh "$tree"

# libvirt for a chroot without systemd (the reasons: scripts/libvirt/host.sh)
[ "$FLAVOUR" = libvirt ] &&
$SUDO tee -a "$tree/etc/libvirt/qemu.conf" >/dev/null <<'EOT'

# --- smmuv3-accel scripts/libvirt/l1-rootfs.sh (see scripts/libvirt/host.sh) ---
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
EOT
[ "$FLAVOUR" = libvirt ] &&
$SUDO tee -a "$tree/etc/libvirt/libvirtd.conf" >/dev/null <<'EOT'

# --- smmuv3-accel scripts/libvirt/l1-rootfs.sh: warnings and errors to a file.
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOT

# The L2 firmware: QEMU_EFI.fd as the other UEFI scenarios boot it with
# -bios, padded with zeros to virt's 64 MiB pflash (the padded copy that
# Debian ships as AAVMF_CODE.fd is the same bytes).
$SUDO cp "$EFI" "$tree/usr/share/e2e/QEMU_EFI-pflash.fd"
$SUDO truncate -s 64M "$tree/usr/share/e2e/QEMU_EFI-pflash.fd"

# The versions this build got (dpkg's status is empty with extract).
ls "$tree/usr/share/doc" >/dev/null
for p in $VERSIONS; do
    v=$(zcat "$tree/usr/share/doc/$p/changelog.Debian.gz" 2>/dev/null |
        awk 'NR == 1 { v = $2; gsub(/[()]/, "", v) } END { print v }') || v=""
    echo "$p ${v:-?}"
done > "$tmp/versions"

truncate -s ${IMG_MIB}M "$tmp/img"
$SUDO mke2fs -q -t ext4 -L "l1-$FLAVOUR" -E root_owner=0:0 -d "$tree" "$tmp/img" >&2
mv "$tmp/versions" "${out%.img}.versions"
mv "$tmp/img" "$out.tmp" && mv "$out.tmp" "$out"
cat "${out%.img}.versions" >&2
# Images of other inputs are not used any more.
for old in "$CACHE"/libvirt/"$name"-*; do
    case "$old" in "$out"|"${out%.img}.versions"|*.tmp) continue ;; esac
    # (the libvirt flavour's name is the others' prefix)
    case "${old#"$CACHE"/libvirt/"$name"-}" in *-*) continue ;; esac
    rm -f "$old"
done
echo "l1-rootfs: built in $(($(date +%s) - t0)) s ($(du -h "$out" | cut -f1) of $IMG_MIB MiB used)" >&2
echo "$out"

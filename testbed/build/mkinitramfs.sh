#!/bin/bash
# Build a busybox initramfs (newc cpio, no root needed):
#   mkinitramfs.sh OUT.cpio.gz INIT_SCRIPT [SRC:DEST ...]
# - /bin/busybox (Debian's static arm64 busybox, from busybox.sh) with symlinks for the
#   applets the testbed uses; /sbin, /usr/bin, /usr/sbin point at /bin;
# - /init = INIT_SCRIPT; empty /dev /proc /sys /tmp /root /mnt /run (/init mounts them;
#   /dev/console comes from the kernel's own built-in default initramfs);
# - each SRC:DEST copies file or directory SRC to DEST (DEST ending in / = into that
#   directory), keeping its mode; e.g.  build/qemu-aarch64/qemu-system-aarch64:/bin/
# OUT ending in .gz is compressed with gzip -1; any other name is left uncompressed.
# Owners are 0:0, mtimes fixed, entries sorted: same inputs give the same archive.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

die() { echo "mkinitramfs.sh: ERROR: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: $0 OUT.cpio[.gz] INIT_SCRIPT [SRC:DEST ...]"
out=$1 init=$2
shift 2
[ -f "$init" ] || die "init script '$init' not found"

APPLETS="sh ash mount umount mkdir rmdir cat echo ls sleep usleep dd cmp hexdump od
 grep sed awk head tail tr cut wc sort uniq tee touch env poweroff reboot halt dmesg
 find mknod ln rm cp mv chmod test [ [[ printf uname seq timeout xargs basename
 dirname sync true false md5sum sha256sum stat readlink expr kill ps pidof setsid
 cttyhack date blockdev devmem mountpoint nproc free which mkfifo chroot"

bb_out=$("$here/busybox.sh") || die "busybox.sh failed"
busybox=$(printf '%s\n' "$bb_out" | tail -n 1)
[ -x "$busybox" ] || die "busybox.sh did not give a binary ($busybox)"

outdir=$(cd "$(dirname "$out")" && pwd) || die "no directory for $out"
stage=$(mktemp -d "$outdir/.initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,root,mnt,run,etc,usr}
chmod 1777 "$root/tmp"
ln -s bin "$root/sbin"
ln -s ../bin "$root/usr/bin"
ln -s ../bin "$root/usr/sbin"
install -m 0755 "$busybox" "$root/bin/busybox"
for a in $APPLETS; do
    ln -s busybox "$root/bin/$a"
done
install -m 0755 "$init" "$root/init"

for spec in "$@"; do
    case $spec in *:*) ;; *) die "extra file '$spec' is not SRC:DEST" ;; esac
    src=${spec%:*} dest=${spec##*:}
    [ -e "$src" ] || die "extra file '$src' not found"
    case $dest in /*) ;; *) die "DEST of '$spec' must be an absolute path" ;; esac
    case $dest in */) dest=$dest$(basename "$src") ;; esac
    mkdir -p "$root$(dirname "$dest")"
    cp -R --preserve=mode "$src" "$root$dest"
done

# Fixed mtimes and sorted names: reproducible archive.
find "$root" -exec touch -h -d @0 {} +
tmp_out=$stage/out
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
    cpio -o -H newc --owner=0:0 --reproducible --quiet) > "$tmp_out.cpio" ||
    die "cpio failed"
case $out in
*.gz) gzip -1 -n -c "$tmp_out.cpio" > "$tmp_out" ;;
*) mv "$tmp_out.cpio" "$tmp_out" ;;
esac
mv "$tmp_out" "$out"

#!/bin/bash
# sysroot.sh: make (once) a private arm64 sysroot with the libraries that the
# static cross build of qemu-system-aarch64 links (l2-qemu.sh), and print its
# path as the last line of stdout:  $CACHE/testbed/sysroot-<hash>
#
# The arm64 .debs are fetched with `apt-get download` and unpacked with
# `dpkg-deb -x`, not installed: a multiarch `:arm64` install of the -dev
# packages conflicts with the amd64 ones the x86 build needs.  The C library
# comes from the cross toolchain (libc6-dev-arm64-cross, deps.sh testbed), so
# the build points -I/-L and pkg-config at this tree rather than --sysroot.
#
# What a static link of this QEMU configuration needs (pkg-config --static):
#   glib-2.0 -> -lglib-2.0 -pthread -lm + libpcre2-8 (Requires.private),
#   zlib, and libfdt (found by meson's find_library: it has no .pc file).
# gio/gobject/gmodule (and with them libffi, libmount, libblkid, libselinux)
# are not needed: --without-default-features turns gio off, and gmodule is only
# wanted for modules or TCG plugins.  The runtime packages are unpacked too so
# that the -dev .so symlinks are not dangling.
#
# The versions are the ones bookworm serves for arm64; the hash of this file
# names the sysroot, so changing a pin makes a new one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/config.sh"

PINS=(
    libglib2.0-dev=2.74.6-2+deb12u9
    libglib2.0-0=2.74.6-2+deb12u9
    libpcre2-dev=10.42-1+deb12u2
    libpcre2-8-0=10.42-1+deb12u2
    libfdt-dev=1.6.1-4+b1
    libfdt1=1.6.1-4+b1
    zlib1g-dev=1:1.2.13.dfsg-1
    zlib1g=1:1.2.13.dfsg-1
)

hash=$(sha256sum < "$TOP/testbed/build/sysroot.sh" | cut -c1-16)
sysroot=$CACHE/testbed/sysroot-$hash
if [ -f "$sysroot/.complete" ]; then
    echo "$sysroot"
    exit 0
fi

mkdir -p "$CACHE/testbed"
log=$CACHE/testbed/sysroot-$hash.log
: > "$log"
fail() {
    echo "sysroot: ERROR: $*" >&2
    echo "sysroot: log: $log" >&2
    exit 1
}

# The arm64 architecture must be known to apt (apt-setup.sh adds it).
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    "$TOP/scripts/setup/apt-setup.sh" >>"$log" 2>&1 || fail "apt-setup.sh failed"
fi

tmp=$(mktemp -d "$CACHE/testbed/.sysroot.XXXXXX")
# The .debs go to a directory that apt's sandbox user (_apt) can write to.
debs=$(mktemp -d "${TMPDIR:-/tmp}/smmuv3-sysroot-debs.XXXXXX")
trap 'rm -rf "$tmp" "$debs"' EXIT
mkdir -p "$tmp/root"
if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then
    chown _apt "$debs"
fi

args=()
for pin in "${PINS[@]}"; do
    args+=("${pin%%=*}:arm64=${pin#*=}")
done
echo "== apt-get download ${args[*]}" >>"$log"
if ! (cd "$debs" && apt-get download -q "${args[@]}") >>"$log" 2>&1; then
    for pin in "${PINS[@]}"; do
        pkg=${pin%%=*} ver=${pin#*=}
        if ! apt-cache madison "$pkg:arm64" 2>/dev/null |
                awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | grep -qxF "$ver"; then
            served=$(apt-cache policy "$pkg:arm64" 2>/dev/null | sed -n 's/^ *Candidate: //p')
            fail "the archive no longer serves $pkg:arm64 version $ver" \
                 "(apt candidate now: ${served:-none}); update PINS in $TOP/testbed/build/sysroot.sh"
        fi
    done
    fail "apt-get download of the arm64 packages failed"
fi

for deb in "$debs"/*.deb; do
    dpkg-deb -x "$deb" "$tmp/root" >>"$log" 2>&1 || fail "dpkg-deb -x $deb failed"
done
rm -rf "$tmp/root/usr/share/doc" "$tmp/root/usr/share/lintian"

# Absolute symlinks (e.g. libz.so -> /lib/aarch64-linux-gnu/libz.so.1.2.13)
# would point into the amd64 host: make them relative inside the sysroot.
while IFS= read -r link; do
    target=$(readlink "$link")
    case "$target" in
        /*) ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" \
                       "$tmp/root$target")" "$link" ;;
    esac
done < <(find "$tmp/root" -type l)

# The .pc files keep prefix=/usr: PKG_CONFIG_SYSROOT_DIR prefixes the -I/-L
# paths.  Check that this resolves to files inside the sysroot.
flags=$(PKG_CONFIG_LIBDIR=$tmp/root/usr/lib/aarch64-linux-gnu/pkgconfig:$tmp/root/usr/share/pkgconfig \
        PKG_CONFIG_SYSROOT_DIR=$tmp/root \
        pkg-config --static --cflags --libs glib-2.0 zlib 2>>"$log") ||
    fail "pkg-config --static glib-2.0 zlib does not resolve in the sysroot"
echo "pkg-config --static --cflags --libs glib-2.0 zlib: $flags" >>"$log"
for f in usr/include/glib-2.0/glib.h usr/lib/aarch64-linux-gnu/glib-2.0/include/glibconfig.h \
         usr/include/libfdt.h usr/include/zlib.h \
         usr/lib/aarch64-linux-gnu/libglib-2.0.a usr/lib/aarch64-linux-gnu/libpcre2-8.a \
         usr/lib/aarch64-linux-gnu/libfdt.a usr/lib/aarch64-linux-gnu/libz.a; do
    [ -e "$tmp/root/$f" ] || fail "the unpacked packages lack $f"
done

printf '%s\n' "${PINS[@]}" > "$tmp/root/.pins"
touch "$tmp/root/.complete"
rm -rf "$sysroot"
mv "$tmp/root" "$sysroot"
# Keep the two newest sysroots.
ls -dt "$CACHE"/testbed/sysroot-*/ | tail -n +3 |
    while read -r d; do rm -rf "$d" "${d%/}.log"; done
echo "$sysroot"

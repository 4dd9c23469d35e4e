#!/bin/bash
# Make the Debian suites the project needs known to apt, reusing the archive URI
# that this machine's own Debian sources already use (never a hard-coded host):
#   - sid deb-src: QEMU 10.2.2's source package;
#   - sid deb (pinned low): linux-source-7.2, busybox-static (arm64);
#   - bookworm-backports: meson >= 1.5 and python3-pycotap;
#   - the arm64 architecture for the cross sysroot's .debs.
# "apt-setup.sh --uri" only prints that URI.
# Idempotent and quiet when everything is already there.
set -euo pipefail

[ "$(id -u)" = 0 ] || SUDO=sudo
SUDO=${SUDO:-}

find_uri() {
    local f uri
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -e "$f" ] || continue
        # deb822: the stanza whose Suites name a Debian release with main.
        uri=$(awk '
            /^URIs:/ { u = $2 }
            /^Suites:/ { s = $0 }
            /^$/ { if (u != "" && s ~ /bookworm( |$)|bookworm-updates|trixie( |$)|sid/ && u !~ /security/) { print u; exit } u = ""; s = "" }
            END { if (u != "" && s ~ /bookworm( |$)|bookworm-updates|trixie( |$)|sid/ && u !~ /security/) print u }
        ' "$f" | head -n 1)
        [ -n "$uri" ] && { echo "$uri"; return; }
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -e "$f" ] || continue
        uri=$(awk '$1 == "deb" && $0 !~ /security/ && $3 ~ /^(bookworm|trixie|sid)/ { print $2; exit }' "$f")
        [ -n "$uri" ] && { echo "$uri"; return; }
    done
    echo "apt-setup: no Debian archive URI found in /etc/apt/sources.list.d/ or sources.list" >&2
    exit 1
}

# apt-setup.sh --uri: print that URI and change nothing (scripts/libvirt/
# rootfs.sh gives it to mmdebstrap).
if [ "${1:-}" = --uri ]; then
    find_uri
    exit 0
fi

uri=$(find_uri)
list=/etc/apt/sources.list.d/smmuv3-accel.sources
want=$(cat <<EOT
# Added by smmuv3-accel scripts/setup/apt-setup.sh (URI taken from this machine's own sources).
Types: deb deb-src
URIs: $uri
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
)
pin=/etc/apt/preferences.d/smmuv3-accel
want_pin=$(cat <<'EOT'
# Nothing upgrades from sid or backports unless asked for by name/suite.
Package: *
Pin: release n=sid
Pin-Priority: 50

Package: *
Pin: release n=bookworm-backports
Pin-Priority: 100
EOT
)

changed=0
if [ "$(cat "$list" 2>/dev/null)" != "$want" ]; then
    echo "$want" | $SUDO tee "$list" >/dev/null
    changed=1
fi
if [ "$(cat "$pin" 2>/dev/null)" != "$want_pin" ]; then
    echo "$want_pin" | $SUDO tee "$pin" >/dev/null
    changed=1
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
    changed=1
fi
stamp=/var/lib/apt/lists/.smmuv3-accel-updated
if [ "$changed" = 1 ] || [ ! -e "$stamp" ] || \
   [ -n "$(find "$stamp" -mmin +1440 2>/dev/null)" ]; then
    echo "apt-setup: apt-get update (sid, bookworm-backports, arm64)"
    $SUDO apt-get update -qq -o Acquire::Retries=3 >/dev/null
    $SUDO touch "$stamp"
fi

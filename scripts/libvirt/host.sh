#!/bin/bash
# host.sh [CASE...]: the libvirt test group.  Drives the series' QEMU (x86_64
# host, aarch64 target, TCG) with Debian sid's libvirt 12.8, which knows
# <iommu model='smmuv3'><driver accel='on' .../>, in a chroot of the sid root
# file system of scripts/libvirt/rootfs.sh; the host stays Debian 12.
#
# Cases (all by default): caps xml-to-argv define-start
# refuse-emulated-nic refuse-ril-without-accel upstream-diff.  Each prints
# "PASS libvirt/<case>: <what was seen>" or "FAIL libvirt/<case>: <why>";
# the exit status is non-zero if any failed.  Logs (libvirtd's, each
# domain's QEMU log, the upstream-diff runs) go to logs/libvirt/.
#
# Needs root (sudo otherwise): it mounts and chroots, in a mount namespace
# of its own.  Environment: LIBVIRT_QEMU=<qemu-system-aarch64> tests another
# build than the one of scripts/build/series.sh; LIBVIRT_BASE_QEMU another
# QEMU without arm-smmuv3's accel than the base's (scripts/libvirt/
# base-qemu.sh, for the caps case); LIBVIRT_TIMEOUT (s, default 60) bounds
# every virsh call, LIBVIRT_QEMU_TIMEOUT (s, default 20) every direct QEMU
# run.  See docs/libvirt.md.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"

ALL="caps xml-to-argv define-start refuse-emulated-nic
 refuse-ril-without-accel upstream-diff"
ALL=$(echo $ALL)
T_VIRSH=${LIBVIRT_TIMEOUT:-60}
T_QEMU=${LIBVIRT_QEMU_TIMEOUT:-20}
LOGS=$TOP/logs/libvirt

die() { echo "libvirt: ERROR: $*" >&2; exit 1; }

# --- Stage 1 (any user): what the chroot needs, then root and a mount
# namespace of our own.
if [ -z "${LIBVIRT_STAGE:-}" ]; then
    for c in "$@"; do
        case " $ALL " in *" $c "*) ;; *) die "unknown case $c (one of: $ALL)" ;; esac
    done
    "$TOP/scripts/setup/deps.sh" libvirt || die "installing packages failed"
    rootfs=$("$TOP/scripts/libvirt/rootfs.sh") || die "building the sid root file system failed"
    if [ -n "${LIBVIRT_QEMU:-}" ]; then
        qemu=$LIBVIRT_QEMU
    else
        # Only qemu-system-aarch64: the test binaries are the qemu group's.
        qemu=$(BUILD_ONLY_QEMU=1 "$TOP/scripts/build/series.sh") ||
            die "building the series' QEMU failed"
    fi
    [ -x "$qemu" ] || die "no QEMU at $qemu"
    qemu=$(readlink -f "$qemu")
    # The base alone (no accel property), for the caps case only.
    base=
    case " ${*:-$ALL} " in *" caps "*)
        base=${LIBVIRT_BASE_QEMU:-$("$TOP/scripts/libvirt/base-qemu.sh")} ||
            die "building the base QEMU (caps case) failed"
        base=$(readlink -f "$base") ;;
    esac
    mkdir -p "$LOGS"
    SUDO=
    [ "$(id -u)" = 0 ] || SUDO=sudo
    # A private mount namespace: whatever happens to this script, its mounts
    # go away with the namespace's last process (the trap below also
    # unmounts them, and ends every process it started).
    exec $SUDO env LIBVIRT_STAGE=ns LIBVIRT_ROOTFS="$rootfs" LIBVIRT_QEMU="$qemu" \
        LIBVIRT_BASE_QEMU="$base" LIBVIRT_LOGS="$LOGS" LIBVIRT_TIMEOUT="$T_VIRSH" LIBVIRT_QEMU_TIMEOUT="$T_QEMU" \
        unshare --mount --propagation private "$0" "$@"
fi

# --- Stage 2 (root, own mount namespace): the chroot and the cases.
ROOTFS=$LIBVIRT_ROOTFS
QEMU=$LIBVIRT_QEMU
LOGS=$LIBVIRT_LOGS
QDIR=$(dirname "$QEMU")
BASEQEMU=${LIBVIRT_BASE_QEMU:-}
SIDQEMU=/usr/bin/qemu-system-aarch64        # sid's, inside the chroot
cases=${*:-$ALL}

RUN=$(mktemp -d /tmp/smmuv3-libvirt.XXXXXX)
R=$RUN/root

# Processes whose root directory is our chroot: libvirtd, the QEMUs it
# started, anything a case left.  Found by their root, ended by their pid.
chroot_pids() {
    local p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$R" ] && echo "${p#/proc/}"
    done
}

cleanup() {
    local p m n
    if [ -S "$R/run/libvirt/libvirt-sock" ]; then
        for n in $(timeout 10 chroot "$R" virsh -q -c qemu:///system list --name 2>/dev/null); do
            timeout 10 chroot "$R" virsh -q -c qemu:///system destroy "$n" >/dev/null 2>&1
        done
    fi
    p=$(chroot_pids)
    [ -n "$p" ] && kill $p 2>/dev/null && sleep 1
    p=$(chroot_pids)
    [ -n "$p" ] && kill -9 $p 2>/dev/null
    if [ -d "$R/var/log/libvirt" ]; then
        rm -rf "$LOGS/var-log-libvirt"
        cp -a "$R/var/log/libvirt" "$LOGS/var-log-libvirt" 2>/dev/null
    fi
    # Run with sudo: the logs go back to the user who ran us.
    [ -n "${SUDO_UID:-}" ] && chown -R "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$LOGS"
    for m in $(awk -v r="$R" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/self/mounts | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m"
    done
    rm -rf --one-file-system "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The cached root file system stays pristine: we run on an overlay of it.
mkdir -p "$RUN/upper" "$RUN/work" "$R"
if ! mount -t overlay overlay \
        -o "lowerdir=$ROOTFS,upperdir=$RUN/upper,workdir=$RUN/work" "$R"; then
    echo "libvirt: no overlayfs here, copying the root file system" >&2
    cp -a --reflink=auto "$ROOTFS/." "$R/" || die "copying $ROOTFS failed"
fi
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
mount --rbind /dev "$R/dev"
mount -t tmpfs -o mode=755 tmpfs "$R/run"
# The series' QEMU at the same path as outside (read-only), so that libvirt
# and the domains name it by its real path, and it finds its data files.
for d in "$QDIR" ${BASEQEMU:+"$(dirname "$BASEQEMU")"}; do
    mkdir -p "$R$d"
    mount --bind "$d" "$R$d"
    mount -o remount,bind,ro "$R$d"
done

# A minimal libvirt for root, without systemd, cgroups or security drivers.
cat >> "$R/etc/libvirt/qemu.conf" <<'EOT'

# --- smmuv3-accel scripts/libvirt/host.sh ---
# QEMU runs as root: it can read the bind-mounted build directory, and
# libvirt has no files to hand over to another user.
user = "root"
group = "root"
# ... so no chown of the domain's files, and no xattrs to remember owners.
dynamic_ownership = 0
remember_owner = 0
# No AppArmor/SELinux confinement: the profiles would be loaded into the
# host's kernel, and the chroot has no apparmor_parser anyway.
security_driver = "none"
# No systemd-machined here, and libvirt must not make cgroups of its own
# under the host's /sys/fs/cgroup.
cgroup_controllers = [ ]
# No private /dev per QEMU: the chroot's /dev is the host's, bind-mounted.
namespaces = [ ]
# QEMU's stderr straight into /var/log/libvirt/qemu/<domain>.log, without
# virtlogd: one daemon less to start, and libvirt still quotes QEMU's error
# from that file when a start fails.
stdio_handler = "file"
EOT
cat >> "$R/etc/libvirt/libvirtd.conf" <<'EOT'

# --- smmuv3-accel scripts/libvirt/host.sh: warnings and errors to a file.
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOT

virsh() { timeout "$T_VIRSH" chroot "$R" virsh -c qemu:///system "$@"; }

# libvirtd daemonizes; its socket tells when it is ready (bounded wait).
t0=$(date +%s)
chroot "$R" /usr/sbin/libvirtd -d || die "libvirtd did not start"
for _ in $(seq 1 120); do
    [ -S "$R/run/libvirt/libvirt-sock" ] && virsh -q version >/dev/null 2>&1 && break
    sleep 0.5
done
ver=$(virsh version 2>&1) || die "libvirtd not answering after 60 s: $ver"
LIBVIRT_VERSION=$(echo "$ver" | sed -n 's/^Using library: libvirt \([0-9.]*\).*/\1/p')
echo "libvirt: libvirt $LIBVIRT_VERSION (sid chroot $ROOTFS) ready in $(($(date +%s) - t0)) s; emulator $QEMU" >&2

# ------------------------------------------------------------------ helpers
npass=0
nfail=0
pass() { npass=$((npass + 1)); echo "PASS libvirt/$1: $2"; }
fail() { nfail=$((nfail + 1)); echo "FAIL libvirt/$1: $2"; }
oneline() { tr '\n' ' ' | sed 's/  */ /g; s/ $//'; }

# domain_xml NAME IOMMU_DRIVER_ATTRS [EXTRA_DEVICES [EMULATOR]]: an aarch64
# virt TCG domain with no OS (it sits in QEMU's empty flash: enough for QEMU
# to create the machine and run), a pcie-expander-bus (index 1) with a
# pcie-root-port (index 2) on it, a pcie-root-port (index 3) on pcie.0, and
# the vSMMU.  Nothing libvirt would add by itself (USB, balloon) that would
# be an emulated endpoint.
domain_xml() {
    local name=$1 attrs=$2 extra=${3:-} emu=${4:-$QEMU} double=""
    # accel='on' needs KVM, which this host has not for an arm64 guest:
    # domains that start use the series' test double of the host (an x-
    # property, for tests), which QEMU takes instead of KVM
    case "$attrs" in *"accel='on'"*)
        [ "$emu" = "$QEMU" ] && double="  <qemu:commandline>
    <qemu:arg value='-global'/>
    <qemu:arg value='arm-smmuv3.x-accel-host-stub=on'/>
  </qemu:commandline>" ;;
    esac
    cat <<EOT
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$name</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='aarch64' machine='virt'>hvm</type></os>
  <features><gic version='3'/></features>
  <cpu mode='maximum'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$emu</emulator>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-expander-bus'>
      <target busNr='128'/>
      <address type='pci' domain='0' bus='0' slot='1' function='0'/>
    </controller>
    <controller type='pci' index='2' model='pcie-root-port'>
      <address type='pci' domain='0' bus='1' slot='0' function='0'/>
    </controller>
    <controller type='pci' index='3' model='pcie-root-port'>
      <address type='pci' domain='0' bus='0' slot='2' function='0'/>
    </controller>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
    <iommu model='smmuv3'>
      <driver $attrs/>
    </iommu>
$extra
  </devices>
$double
</domain>
EOT
}

# The explicit features a domain with accel='on' and no host device needs.
FEATURES="ril='on' ats='off' ssidsize='0' oas='44'"

# put FILE: copy stdin into the chroot's /tmp/FILE.
put() { cat > "$R/tmp/$1"; }

# No QEMU of ours may be left behind by a case (pids of processes in the
# chroot running the series' binary).
qemu_pids() {
    local p
    for p in $(chroot_pids); do
        [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$QEMU" ] && echo "$p"
    done
}

# ------------------------------------------------------------ upstream-diff
# qemu_try BINARY DEVICE_ARG: start BINARY (in the chroot) on a virt machine
# with DEVICE_ARG as the only -device, stopped (-S), and quit over QMP at
# once.  QEMU creates the machine, so realizes every device, before it reads
# QMP: "ok" when it answered the quit, else "refused: <first error line>"
# (warnings skipped).  Bounded by $T_QEMU.
qemu_try() {
    local bin=$1 dev=$2 out rc err
    out=$(printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"quit"}' |
          timeout "$T_QEMU" chroot "$R" "$bin" -M virt,gic-version=3 -cpu max \
              -accel tcg -m 256M -nodefaults -display none -S -qmp stdio \
              -device "$dev" 2>"$RUN/qemu_try.err")
    rc=$?
    err=$(grep -v 'warning:' "$RUN/qemu_try.err" | grep -m1 . |
          sed 's/^[0-9T:.Z-]* *//; s/^qemu-system-aarch64: //; s/^-device [^ ]*: //')
    if [ $rc = 0 ] && grep -q '"return"' <<<"$out"; then
        echo "ok"
    elif [ $rc = 124 ]; then
        echo "refused: timeout after ${T_QEMU}s"
    else
        echo "refused: ${err:-exit $rc, no message}"
    fi
}

# The command lines: "<arm-smmuv3 -device argument>", one a line.  The
# accel=on ones set the three features they do not vary (no host device).
upstream_lines() {
    local P=arm-smmuv3,primary-bus=pcie.0 v f
    echo "$P"
    echo "arm-smmuv3"
    echo "$P,accel=off"
    for v in auto on off; do echo "$P,ril=$v"; done
    for v in auto on off; do echo "$P,ats=$v"; done
    for v in auto 44 48 52 40; do echo "$P,oas=$v"; done
    for v in auto $(seq 0 21); do echo "$P,ssidsize=$v"; done
    for v in auto on off; do echo "$P,cmdqv=$v"; done
    echo "$P,ril=maybe"
    echo "$P,accel=maybe"
    echo "$P,accel=on"
    f="ats=off,oas=44,ssidsize=0"
    for v in auto on off; do echo "$P,accel=on,ril=$v,$f"; done
    f="ril=on,oas=44,ssidsize=0"
    for v in auto on off; do echo "$P,accel=on,ats=$v,$f"; done
    f="ril=on,ats=off,ssidsize=0"
    for v in auto 44 48 52 40; do echo "$P,accel=on,oas=$v,$f"; done
    f="ril=on,ats=off,oas=44"
    for v in auto $(seq 0 21); do echo "$P,accel=on,ssidsize=$v,$f"; done
    f="ril=on,ats=off,oas=44,ssidsize=0"
    for v in auto on off; do echo "$P,accel=on,cmdqv=$v,$f"; done
    # The JSON form, as libvirt writes it (strings for the OnOffAuto and
    # enum properties, a JSON bool for accel), and with the wrong types.
    local J='"driver":"arm-smmuv3","primary-bus":"pcie.0","id":"iommu0"'
    echo "{$J}"
    echo "{$J,\"ats\":\"off\",\"ril\":\"on\",\"ssidsize\":\"0\",\"oas\":\"44\"}"
    echo "{$J,\"accel\":true}"
    echo "{$J,\"accel\":true,\"ats\":\"off\",\"ril\":\"on\",\"ssidsize\":\"0\",\"oas\":\"44\"}"
    echo "{$J,\"accel\":true,\"ats\":\"off\",\"ril\":\"on\",\"ssidsize\":\"0\",\"oas\":\"44\",\"cmdqv\":\"on\"}"
    echo "{$J,\"accel\":true,\"ats\":\"off\",\"ril\":\"on\",\"ssidsize\":\"0\",\"oas\":\"48\",\"cmdqv\":\"off\"}"
    echo "{$J,\"accel\":\"on\"}"
    echo "{$J,\"ssidsize\":0}"
    echo "{$J,\"oas\":44}"
    echo "{$J,\"accel\":true,\"ats\":\"off\",\"ril\":\"on\",\"ssidsize\":20,\"oas\":\"44\"}"
}

# Each line runs on both binaries; the verdicts (accepted or refused) must
# agree.  Two kinds of lines are judged apart, recognized by what the line
# asks and what each binary said (both refuse them, for a reason that
# hides the rest of the line):
#   (c) a line with accel=on: both refuse it under TCG, for want of KVM,
#       so neither's view of the rest of the line is known here (make
#       compare runs the accel=on lines side by side with KVM, in L1);
#   (d) a line with accel=on and a value ours never takes (oas=52): ours
#       refuses the value when the property is set, before realize checks
#       for KVM; upstream refuses the same line without accel=on too.
case_upstream_diff() {
    local name=upstream-diff line ours up note n=0 bad=0 nc=0 nd=0 tab
    local upver
    upver=$(timeout "$T_QEMU" chroot "$R" "$SIDQEMU" --version | head -n 1)
    tab=$LOGS/upstream-diff.txt
    {
        echo "ours:     $QEMU"
        echo "upstream: $SIDQEMU in the sid chroot: $upver"
        echo "each: -M virt,gic-version=3 -cpu max -accel tcg -m 256M -nodefaults -display none -S -qmp stdio -device <line>"
        echo
    } > "$tab"
    while IFS= read -r line; do
        n=$((n + 1))
        ours=$(qemu_try "$QEMU" "$line")
        up=$(qemu_try "$SIDQEMU" "$line")
        note=same
        local accel_on=0
        case "$line" in *accel=on*|*'"accel":true'*) accel_on=1 ;; esac
        if [ $accel_on = 1 ] && grep -q 'requires KVM' <<<"$up" &&
           grep -q 'needs KVM' <<<"$ours"; then
            note="(c) both need KVM"; nc=$((nc + 1))
        elif [ "${ours%%:*}" = "${up%%:*}" ]; then
            if [ $accel_on = 1 ] && grep -q 'requires KVM' <<<"$up"; then
                local bare=${line/accel=on,/} bours bup
                bare=${bare/\"accel\":true,/}
                if bours=$(qemu_try "$QEMU" "$bare") &&
                     bup=$(qemu_try "$SIDQEMU" "$bare") &&
                     [ "$bours" != ok ] && [ "$bup" != ok ] &&
                     [ "${bours#refused: }" = "${ours#refused: }" ]; then
                    # ours refuses a value it never takes (when the
                    # property is set, before realize checks for KVM);
                    # upstream, without accel=on, refuses it too
                    note="(d) both refuse the value, with or without accel=on"
                    nd=$((nd + 1))
                else
                    note="DIFFERS: upstream needs KVM, ours refused for another reason"
                    bad=$((bad + 1))
                fi
            fi
        else
            note="DIFFERS"; bad=$((bad + 1))
        fi
        printf '%s\n    ours:     %s\n    upstream: %s\n    => %s\n' "$line" "$ours" "$up" "$note" >> "$tab"
        printf '    %-4s %-9s %-9s %s\n' "$n" "${ours%%:*}" "${up%%:*}" "$line $( [ "$note" = same ] || echo "[$note]")"
    done < <(upstream_lines)
    echo "    (ours, then upstream; full messages in ${tab#"$TOP"/})"
    if [ $bad = 0 ]; then
        pass $name "$n command lines, ours and $upver agree but for $nc × (c) both refuse accel=on for want of KVM; $nd × (d) both refuse the value itself"
    else
        fail $name "$bad of $n command lines differ beyond (c)/(d); see ${tab#"$TOP"/}"
    fi
}

# -------------------------------------------------------------------- cases
# dom_pids NAME: the QEMU processes of domain NAME (in the chroot).
dom_pids() {
    local p
    for p in $(chroot_pids); do
        grep -q -- "-name guest=$1," <<<"$(tr "\0" " " < "/proc/$p/cmdline" 2>/dev/null)" && echo "$p"
    done
}

# gone NAME: the domain is not running and no QEMU of it is left (waits up
# to 10 s for a QEMU that is on its way out); prints what is wrong.
gone() {
    local st
    for _ in $(seq 1 20); do
        [ -z "$(dom_pids "$1")" ] && break
        sleep 0.5
    done
    [ -z "$(dom_pids "$1")" ] || { echo "a QEMU of $1 is still there (pid $(dom_pids "$1" | oneline))"; return 1; }
    st=$(virsh domstate "$1" 2>/dev/null)
    case "$st" in ""|"shut off"*) ;; *) echo "domain $1 is '$st'"; return 1 ;; esac
    if grep -qx "$1" <<<"$(virsh list --all --name 2>/dev/null)" && [ "${2:-}" = undefined ]; then
        echo "domain $1 is still defined"; return 1
    fi
}

drop() { virsh destroy "$1" >/dev/null 2>&1; virsh undefine "$1" >/dev/null 2>&1; }

# qemu_words: the error lines QEMU wrote, as libvirt quotes them in its
# error (timestamps, the "-device {...}:" prefix and warnings left out).
qemu_words() {
    awk '/qemu-system-aarch64: / { sub(/.*qemu-system-aarch64: /, ""); sub(/^-device [^ ]*: /, "")
                                   q = ($0 !~ /warning:/); if (q) print; next }
         q && NF { print }' | oneline
}

case_caps() {
    local name=caps dc dcsays f flags ver out bout bflags
    dc=$(virsh domcapabilities --emulatorbin "$QEMU" --arch aarch64 --machine virt \
             --virttype qemu 2>&1) ||
        { fail $name "virsh domcapabilities failed: $(echo "$dc" | oneline)"; return; }
    echo "$dc" > "$LOGS/domcapabilities.xml"
    if grep -q '<iommu' <<<"$dc"; then
        dcsays="domcapabilities: $(echo "$dc" | sed -n '/<iommu/,/<\/iommu>/p' | oneline)"
        grep -q smmuv3 <<<"$dcsays" ||
            { fail $name "domcapabilities lists IOMMUs but not smmuv3: $dcsays"; return; }
    else
        dcsays="domcapabilities has no <iommu> element at all (libvirt $LIBVIRT_VERSION lists no IOMMU models nor their attributes there)"
    fi
    # What libvirt probed from the binary (device-list-properties
    # arm-smmuv3), in its capabilities cache.
    f=$(grep -l "<emulator>$QEMU</emulator>" "$R"/var/cache/libvirt/qemu/capabilities/*.xml 2>/dev/null | head -n 1)
    [ -n "$f" ] || { fail $name "no libvirt capabilities cache for $QEMU"; return; }
    flags=$(grep -o "<flag name='arm-smmuv3[^']*'/>" "$f" | sed "s/<flag name='//; s/'\/>//" | oneline)
    ver=$(sed -n 's/.*<version>\([0-9]*\)<\/version>.*/\1/p' "$f")
    case " $flags " in *" arm-smmuv3.accel "*) ;; *)
        fail $name "libvirt did not find arm-smmuv3's accel in $QEMU (flags: $flags)"; return ;;
    esac
    # accel='on' and every attribute accepted with our binary ...
    domain_xml caps-ours "pciBus='1' accel='on' $FEATURES cmdqv='off'" | put caps-ours.xml
    out=$(virsh define --validate /tmp/caps-ours.xml 2>&1) ||
        { fail $name "libvirt refused accel='on' with $QEMU: $(echo "$out" | oneline)"; return; }
    drop caps-ours
    # ... refused with the base, the same QEMU version without the series,
    # whose vSMMU libvirt accepts without accel.
    if [ -n "$BASEQEMU" ]; then
        domain_xml caps-base "pciBus='1'" "" "$BASEQEMU" | put caps-base.xml
        out=$(virsh define --validate /tmp/caps-base.xml 2>&1) ||
            { fail $name "libvirt refused the base's vSMMU without accel: $(echo "$out" | oneline)"; return; }
        drop caps-base
        domain_xml caps-base "pciBus='1' accel='on' $FEATURES" "" "$BASEQEMU" | put caps-base.xml
        if bout=$(virsh define --validate /tmp/caps-base.xml 2>&1); then
            drop caps-base
            fail $name "libvirt accepted accel='on' with the base QEMU ($BASEQEMU), which has no accel property"
            return
        fi
        grep -q 'accel is not supported' <<<"$bout" ||
            { fail $name "libvirt refused the base's accel='on', but not for accel: $(echo "$bout" | oneline)"; return; }
        bflags=$(grep -l "<emulator>$BASEQEMU</emulator>" "$R"/var/cache/libvirt/qemu/capabilities/*.xml |
                 head -n 1 | xargs grep -o "<flag name='arm-smmuv3[^']*'/>" |
                 sed "s/<flag name='//; s/'\/>//" | oneline)
        bout="; with the base QEMU 10.2.2 alone (flags: ${bflags:-none}) libvirt refuses it: $(echo "$bout" | grep -v '^$' | tail -n 1)"
    else
        bout="; (no base QEMU given: the refusal without accel was not checked)"
    fi
    pass $name "$dcsays; libvirt probed $QEMU (version $ver): flags $flags; accepts accel='on' $FEATURES cmdqv='off' (define --validate)$bout"
}

case_xml_to_argv() {
    local name=xml-to-argv out res
    # A disk and a NIC on a root port of pcie.0 (not behind the vSMMU),
    # explicitly placed: left to libvirt, the NIC lands on the expander
    # bus's root port.  No <hostdev>: domxml-to-native refuses it on a host
    # without VFIO ("VFIO PCI device assignment is not supported by the host").
    domain_xml argv "pciBus='1' accel='on' $FEATURES" "
    <controller type='pci' index='4' model='pcie-root-port'>
      <address type='pci' domain='0' bus='0' slot='3' function='0'/>
    </controller>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='/var/lib/libvirt/images/argv.img'/>
      <target dev='vda' bus='virtio'/>
      <address type='pci' domain='0' bus='3' slot='0' function='0'/>
    </disk>
    <interface type='udp'>
      <source address='127.0.0.1' port='5558'>
        <local address='127.0.0.1' port='5559'/>
      </source>
      <model type='virtio'/>
      <address type='pci' domain='0' bus='4' slot='0' function='0'/>
    </interface>" | put argv.xml
    out=$(virsh domxml-to-native qemu-argv --xml /tmp/argv.xml 2>&1) ||
        { fail $name "domxml-to-native failed: $(echo "$out" | oneline)"; return; }
    echo "$out" > "$LOGS/xml-to-argv.txt"
    res=$(echo "$out" | python3 -c '
import json, shlex, sys
argv = shlex.split(sys.stdin.read())
devs = []          # (position, parsed JSON) of every -device
first_backend = None
for i, a in enumerate(argv[:-1]):
    nxt = argv[i + 1]
    if a == "-device":
        devs.append((i, json.loads(nxt) if nxt.startswith("{") else {"driver": nxt.split(",")[0]}))
    if a in ("-blockdev", "-drive", "-netdev") and first_backend is None:
        first_backend = i
smmu = [(i, d) for i, d in devs if d["driver"] == "arm-smmuv3"]
errs = []
if len(smmu) != 1:
    print("FAIL %d arm-smmuv3 -device" % len(smmu)); sys.exit()
si, s = smmu[0]
pxb = [d for i, d in devs if d["driver"] == "pxb-pcie"]
ctrl = [i for i, d in devs if d["driver"] in ("pxb-pcie", "pcie-root-port", "pcie-pci-bridge")]
ends = [i for i, d in devs if d["driver"] in ("virtio-blk-pci", "virtio-net-pci", "vfio-pci")]
if first_backend is not None:
    ends.append(first_backend)
want = {"accel": True, "ril": "on", "ats": "off", "ssidsize": "0", "oas": "44"}
for k, v in want.items():
    if k not in s or s[k] != v or type(s[k]) != type(v):
        errs.append("%s is %r, not %r" % (k, s.get(k), v))
if len(pxb) != 1 or s.get("primary-bus") != pxb[0].get("id"):
    errs.append("primary-bus %r is not the pcie-expander-bus alias %r" % (s.get("primary-bus"), pxb[0].get("id") if pxb else None))
if not ctrl or si < max(ctrl):
    errs.append("not after every controller")
if not ends or si > min(ends):
    errs.append("not before the disk and the NIC")
order = [d["driver"] for i, d in devs]
if errs:
    print("FAIL " + "; ".join(errs) + ": " + json.dumps(s, separators=(",", ":")))
else:
    print("PASS -device %s; -device order: %s (the disk'"'"'s -blockdev and the NIC'"'"'s -netdev after the vSMMU too)" % (json.dumps(s, separators=(",", ":")), ", ".join(order)))
')
    case "$res" in
    PASS\ *) pass $name "${res#PASS }" ;;
    *) fail $name "${res#FAIL }" ;;
    esac
}

case_define_start() {
    local name=define-start out st qom v vals=() why
    domain_xml vsmmu-accel "pciBus='1' accel='on' $FEATURES" | put vsmmu-accel.xml
    out=$(virsh define --validate /tmp/vsmmu-accel.xml 2>&1) ||
        { fail $name "define --validate refused: $(echo "$out" | oneline)"; return; }
    if ! out=$(virsh start vsmmu-accel 2>&1); then
        fail $name "virsh start failed: $(echo "$out" | oneline)"; drop vsmmu-accel; return
    fi
    st=$(virsh domstate vsmmu-accel 2>&1)
    [ "$st" = running ] && [ -n "$(dom_pids vsmmu-accel)" ] ||
        { fail $name "after start the domain is '$st', QEMU pids '$(dom_pids vsmmu-accel | oneline)'"; drop vsmmu-accel; return; }
    # The vSMMU as the running QEMU has it (QMP through libvirt).
    for v in accel ril ats oas ssidsize; do
        qom=$(virsh qemu-monitor-command vsmmu-accel \
              "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/peripheral/iommu0\",\"property\":\"$v\"}}" 2>&1)
        vals+=("$v=$(echo "$qom" | sed -n 's/.*"return": *\("[^"]*"\|[a-z0-9]*\).*/\1/p' | tr -d '"')")
    done
    out=$(virsh destroy vsmmu-accel 2>&1 && virsh undefine vsmmu-accel 2>&1)
    why=$(gone vsmmu-accel undefined) ||
        { fail $name "after destroy/undefine: $why"; drop vsmmu-accel; return; }
    [ "${vals[*]}" = "accel=true ril=on ats=off oas=44 ssidsize=0" ] ||
        { fail $name "the running vSMMU has ${vals[*]}"; return; }

    # accel='on' with the features left at auto and no host device:
    # libvirt defines it, QEMU refuses to create the machine.
    domain_xml vsmmu-auto "pciBus='1' accel='on'" | put vsmmu-auto.xml
    out=$(virsh define --validate /tmp/vsmmu-auto.xml 2>&1) ||
        { fail $name "define --validate refused the all-auto domain: $(echo "$out" | oneline)"; return; }
    if out=$(virsh start vsmmu-auto 2>&1); then
        fail $name "the all-auto domain without a host device started"; drop vsmmu-auto; return
    fi
    grep -q 'no host device at start-up' <<<"$out" ||
        { fail $name "start failed without QEMU's words: $(echo "$out" | oneline)"; drop vsmmu-auto; return; }
    why=$(gone vsmmu-auto) ||
        { fail $name "after the refused start: $why"; drop vsmmu-auto; return; }
    st=$(virsh list --all | awk '$2 == "vsmmu-auto" { $1 = $2 = ""; sub(/^ +/, ""); print }')
    virsh undefine vsmmu-auto >/dev/null 2>&1
    pass $name "started with the accel vSMMU (running; QOM of iommu0: ${vals[*]}), destroyed and undefined, no QEMU left; all-auto domain: start refused with QEMU's words \"$(echo "$out" | qemu_words)\", list --all shows it '$st', no QEMU left"
}

# refused CASE DOMAIN IOMMU_ATTRS EXTRA PATTERN: the domain must be refused,
# with PATTERN in the error a user sees; tells who refused it.
refused() {
    local name=$1 dom=$2 attrs=$3 extra=$4 want=$5 out by words why
    domain_xml "$dom" "$attrs" "$extra" | put "$dom.xml"
    if ! out=$(virsh define --validate "/tmp/$dom.xml" 2>&1); then
        by="libvirt's own validation (define --validate)"
        words=$(echo "$out" | grep -v '^$' | sed 's/^error: //' | grep -v '^Failed to define' | oneline)
    elif ! out=$(virsh start "$dom" 2>&1); then
        by="QEMU at start, quoted in libvirt's error"
        words=$(echo "$out" | qemu_words)
        [ -n "$words" ] || by="libvirt at start"
        [ -n "$words" ] || words=$(echo "$out" | grep -v '^$' | oneline)
    else
        drop "$dom"
        fail "$name" "libvirt and QEMU accepted <driver $attrs/>${extra:+ with the extra devices}"
        return
    fi
    echo "$out" > "$LOGS/$name.txt"
    if ! grep -q -- "$want" <<<"$out"; then
        drop "$dom"
        fail "$name" "refused by $by, but without \"$want\": $(echo "$out" | oneline)"
        return
    fi
    why=$(gone "$dom") || { drop "$dom"; fail "$name" "refused, but $why"; return; }
    drop "$dom"
    pass "$name" "refused by $by: \"$words\""
}

case_refuse_emulated_nic() {
    # pciBus 0: the vSMMU translates pcie.0, where the NIC's root port is.
    refused refuse-emulated-nic nic "pciBus='0' accel='on' $FEATURES" "
    <interface type='udp'>
      <source address='127.0.0.1' port='5558'>
        <local address='127.0.0.1' port='5559'/>
      </source>
      <model type='virtio'/>
      <address type='pci' domain='0' bus='3' slot='0' function='0'/>
    </interface>" "virtio-net-pci id=net0 is not allowed behind it"
}

case_refuse_ril_without_accel() {
    refused refuse-ril-without-accel ril "pciBus='0' ril='off'" "" \
        "accel must be enabled"
}

for c in $cases; do
    "case_${c//-/_}"
done
echo "libvirt: $npass passed, $nfail failed"
[ $nfail = 0 ] && [ $npass -gt 0 ]

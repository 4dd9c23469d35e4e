#!/bin/bash
# run.sh [-v] [SCENARIO...]: the hardware-free end-to-end testbed.
#
#   L0  this machine: our x86_64 qemu-system-aarch64 (TCG), virt with
#       virtualization=on, an emulated arm-smmuv3 in nested stage (s2fwb=on)
#       and an emulated NVMe disk behind it;
#   L1  a real Linux host (our kernel + busybox) that binds the NVMe to
#       vfio-pci and runs the probe tool or our QEMU (aarch64, KVM);
#   L2  a real Linux guest whose nvme driver reads and writes the disk.
#
# A scenario is one file, testbed/scenarios/NAME.sh: its header says what it
# shows; settings() its L0, L1 and L2 configuration, verdict() what counts
# as PASS, and l1_steps(), if any, what L1 does instead of running one L2
# guest.  Without arguments: every scenario but those with IN_CHECK=no.
# E2E_JOBS (default 2) scenarios run at once: one L0 keeps about one of
# this machine's cores busy.  Prints one "PASS <scenario> ..." or
# "FAIL <scenario> ..." line per scenario as it ends, and keeps every
# scenario's console log in logs/e2e/<scenario>/.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../scripts/config.sh"
. "$here/lib.sh"

verbose=0
[ "${1:-}" = -v ] && { verbose=1; shift; }

SCENARIOS=$here/scenarios
LOGS=$TOP/logs/e2e
JOBS=${E2E_JOBS:-2}
L0_TIMEOUT=${E2E_L0_TIMEOUT:-240}
L2_TIMEOUT=${E2E_L2_TIMEOUT:-150}
# The lifecycle loops: make check runs these counts, make soak the full ones
HOTPLUG_CYCLES=${E2E_HOTPLUG_CYCLES:-10}
REBOOT_CYCLES=${E2E_REBOOT_CYCLES:-6}
# accel-hotplug: the most the L2 VMM's RSS may grow per cycle (KiB), from
# the third removal to the last (with 6 cycles or more)
RSS_BOUND=${E2E_RSS_BOUND:-32}
# libvirt-accel: the bound of each libvirt step in L1 (libvirtd's start and
# probe of the emulator, virsh define, start and destroy; each takes 1-15 s
# warm under TCG), added four times to L0's timeout
LV_TIMEOUT=${E2E_LV_TIMEOUT:-90}
# bench-flood compares the current L2 QEMU with this older build (before the
# bound on one pass over the command queue); E2E_FLOOD_OLD= for none
E2E_FLOOD_OLD=${E2E_FLOOD_OLD-$CACHE/testbed/qemu-aarch64-3be03677852a6f0b/qemu-system-aarch64}
FLOOD_OLD=

say() { echo "e2e: $*" >&2; }
die() { echo "e2e: ERROR: $*" >&2; exit 1; }

# Every scenario, the ones of make check (IN_CHECK not "no") unless $1 is all
scenario_names() {
    local f
    for f in "$SCENARIOS"/*.sh; do
        if [ "${1:-}" = all ] || ! grep -q '^ *IN_CHECK=no' "$f"; then
            basename "$f" .sh
        fi
    done
}
# --list: each scenario's name and its header (what it shows), in Markdown
if [ "${1:-}" = --list ]; then
    for f in "$SCENARIOS"/*.sh; do
        n=$(basename "$f" .sh)
        extra=""
        grep -q '^ *IN_CHECK=no' "$f" && extra=" (not in make check)"
        printf -- '- **%s**%s: %s\n' "$n" "$extra" "$(
            sed -n '2,/^$/{/^#/!q;s/^# \{0,1\}//;p}' "$f" | tr '\n' ' ' |
            sed "s/^$n: //;s/ *\$//")"
    done
    exit 0
fi
scenarios=${*:-$(scenario_names)}

# load NAME: the scenario's settings, over the defaults; its verdict()
load() {
    [ -f "$SCENARIOS/$1.sh" ] || return 1
    L0_SMMU="stage=nested,s2fwb=on"
    L0_NVME=1           # NVMe controllers behind L0's SMMU
    L0_TWO_SMMUS=0      # the second behind a second SMMU, on a pxb-pcie
    L0_LVDISK=0         # a sid root file system for L1 as a virtio disk
    L0_LVIMG=libvirt    # which: libvirt (libvirt 12.8) or compare (QEMU 11.1)
    DISK_MIB=16
    CORRUPT=0           # one byte of the known data changed in the image
    L1_APPEND=""
    L0_TRACE=""         # L0's trace events (patterns), into l0-trace.log
    LONG=0              # multiplies L0's bound (the lifecycle loops)
    L2LONG=1            # (LONG scenarios) multiplies the bound of each L2 run
    L2_SECS=$L2_TIMEOUT
    L0_EXTRA=0          # seconds more for L0 (a second L2 run)
    L2FW=dt             # L2's firmware: dt (direct kernel boot) or uefi
    L2_ARGS=""
    L2_APPEND=""
    REFUSAL=""
    NEEDS=""            # accel: the series must have arm-smmuv3,accel=on
    IN_CHECK=yes
    unset -f settings verdict l1_steps
    # shellcheck disable=SC1090
    . "$SCENARIOS/$1.sh" && settings
}

# Whether the series has the accelerated SMMUv3 yet (arm-smmuv3 "accel").
series_has_accel() {
    "$L0" -device arm-smmuv3,help 2>/dev/null | grep -q '^ *accel='
}

# progress MESSAGE: a line for the user on stdout (make demo and make check
# show it as it comes), while the builds' own output goes to stderr.
progress() { echo "e2e: $*" >&3; }
exec 3>&1

# step WHAT COLD CMD...: run one preparation step, whose result is the last
# line of CMD's stdout (printed).  Tells what it builds, how long it took
# the last time it was measured cold (COLD), and every minute that it is
# still at it, so that a cold machine is not a silent wait.
step() {
    local what=$1 cold=$2 t0 hb rc result
    shift 2
    t0=$(date +%s)
    progress "$what (cached: seconds; cold: $cold)"
    ( s=""
      trap 'kill $s 2>/dev/null; exit 0' TERM
      while :; do
          sleep 60 & s=$!
          wait $s
          progress "  ... $what: $(( ($(date +%s) - t0) / 60 )) min so far"
      done ) >/dev/null &
    hb=$!
    result=$("$@" | tail -n 1)
    rc=${PIPESTATUS[0]}
    kill "$hb" 2>/dev/null
    wait "$hb" 2>/dev/null
    [ "$rc" = 0 ] || return "$rc"
    progress "  done: $what ($(( $(date +%s) - t0 )) s)"
    echo "$result"
}

prepare() {
    mkdir -p "$LOGS"
    step "Debian packages for the testbed" "about 2 min" \
        "$TOP/scripts/setup/deps.sh" testbed >&2 || die "installing the testbed's packages failed"
    L0=$(step "L0 QEMU: fetch the base, apply the series, build for x86_64" \
              "about 10 min" "$here/build/l0-qemu.sh") || die "building L0 QEMU failed"
    IMAGE=$(step "the arm64 Linux kernel (L1 host and L2 guest)" "about 9 min" \
                 "$here/build/kernel.sh") || die "building the kernel failed"
    # E2E_L2QEMU: another arm64 build to run in L1 (an older series, to
    # show what a fix changed)
    L2QEMU=${E2E_L2QEMU:-$(step "the arm64 static QEMU that L1 runs (sysroot, cross build)" \
                  "about 5 min" "$here/build/l2-qemu.sh")} ||
        die "cross-building QEMU failed"
    PROBE=$(step "the probe, tools/smmuv3-accel-probe (arm64)" "seconds" \
                 "$here/build/tool.sh" smmuv3-accel-probe) ||
        die "cross-building the probe failed"
    HOSTILE=$(step "the hostile guest, tools/smmuv3-hostile-guest (arm64)" "seconds" \
                   "$here/build/tool.sh" smmuv3-hostile-guest) ||
        die "cross-building the hostile guest failed"
    DMABENCH=$(step "the I/O benchmark, tools/dmabench (arm64)" "seconds" \
                    "$here/build/tool.sh" dmabench) ||
        die "cross-building dmabench failed"
    EFI=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd
    [ -f "$EFI" ] || die "$EFI missing (package qemu-efi-aarch64)"
    # The L1 root file systems (sid arm64) of the scenarios that run and
    # attach one (L0_LVDISK=1): libvirt 12.8 for libvirt-accel, sid's QEMU
    # for compare (scripts/libvirt/l1-rootfs.sh)
    LVIMG_libvirt= LVIMG_compare=
    local s
    for s in $scenarios; do
        ( load "$s" && [ "$L0_LVDISK" = 1 ] ) || continue
        case "$(load "$s"; echo "$L0_LVIMG")" in
        libvirt)
            [ -n "$LVIMG_libvirt" ] ||
                LVIMG_libvirt=$(step "the arm64 sid root file system with libvirt 12.8 ($s's L1)" \
                                     "about 20 s" "$TOP/scripts/libvirt/l1-rootfs.sh" libvirt) ||
                die "building $s's root file system failed" ;;
        compare)
            [ -n "$LVIMG_compare" ] ||
                LVIMG_compare=$(step "the arm64 sid root file system with QEMU 11.1 ($s's L1)" \
                                     "about 1 min" "$TOP/scripts/libvirt/l1-rootfs.sh" compare) ||
                die "building $s's root file system failed" ;;
        esac
    done

    # bench-flood: the older L2 QEMU it compares ours with, in L1 as
    # /bin/qemu-system-aarch64-old (only when that scenario runs: 27 MB)
    local extra=()
    FLOOD_OLD=
    case " $(echo $scenarios) " in
    *" bench-flood "*)
        if [ -n "$E2E_FLOOD_OLD" ] && [ -x "$E2E_FLOOD_OLD" ] &&
           ! cmp -s "$E2E_FLOOD_OLD" "$L2QEMU"; then
            FLOOD_OLD=$E2E_FLOOD_OLD
            extra+=("$FLOOD_OLD:/bin/qemu-system-aarch64-old")
        else
            progress "bench-flood: no older L2 QEMU to compare with (E2E_FLOOD_OLD=$E2E_FLOOD_OLD)"
        fi ;;
    esac

    local w=$BUILD/e2e
    mkdir -p "$w"
    "$here/build/mkinitramfs.sh" "$w/l2.cpio.gz" "$here/guest/l2-init.sh" \
        "$HOSTILE:/bin/smmuv3-hostile-guest" "$DMABENCH:/bin/dmabench" ||
        die "building the L2 initramfs failed"
    # The L2 QEMU arguments of every scenario go into the one L1 initramfs,
    # with the scenarios themselves (their l1_steps).
    rm -rf "$w/l2args" && mkdir -p "$w/l2args"
    local c
    for s in $(scenario_names all); do
        ( load "$s" && echo "$L2_ARGS" > "$w/l2args/$s" ) ||
            die "scenario $s: its settings failed"
    done
    # make bench: the QEMU arguments and kernel parameters of each L2 run
    for c in $BENCH_CONFIGS; do
        bench_config "$c"
        echo "$BENCH_ARGS" > "$w/l2args/bench-$c"
        echo "$BENCH_APPEND" > "$w/l2args/bench-$c.append"
    done
    "$here/build/mkinitramfs.sh" "$w/l1.cpio.gz" "$here/guest/l1-init.sh" \
        "$L2QEMU:/bin/qemu-system-aarch64" "$PROBE:/bin/smmuv3-accel-probe" \
        "$IMAGE:/l2/Image" "$w/l2.cpio.gz:/l2/initrd.gz" "$EFI:/l2/QEMU_EFI.fd" \
        "$w/l2args:/l2/args.d" "$here/guest/l1-lib.sh:/l2/l1-lib.sh" \
        "$SCENARIOS:/l2/scenarios" ${extra[@]+"${extra[@]}"} ||
        die "building the L1 initramfs failed"
    L1INITRD=$w/l1.cpio.gz
    # What every scenario's verdict depends on, for scenario_key
    INPUTS_SUM=$( { sha256sum < "$L0"; sha256sum < "$IMAGE"; sha256sum < "$L1INITRD"
                    sha256sum < "$EFI"; sha256sum < "$0"; sha256sum < "$here/lib.sh"
                    echo "$L0_TIMEOUT $L2_TIMEOUT $HOTPLUG_CYCLES $REBOOT_CYCLES $RSS_BOUND $LV_TIMEOUT"
                    env | grep '^E2E_' | sort; } | sha256sum | cut -c1-16)
}

# The verdicts of the scenarios that passed are kept, by the hash of
# everything their run depends on: L0's QEMU, the kernel, L1's initramfs
# (which holds L2's QEMU, the tools, L2's initramfs and every scenario's
# file and arguments), the firmware, the root file system L0 attaches (its
# name carries the hash of its inputs), this runner, its settings and the
# scenario's.  A scenario none of these changed for is not run again:
# "PASS NAME (cached: DATE): <its verdict then>".  Only when
# E2E_CACHE_VERDICTS=1, which make check's e2e group (and so make e2e)
# sets; make demo and a run by hand always run their scenarios, and
# SMMU_CHECK_FRESH=1 runs every one.
VERDICTS=$CACHE/verdicts
scenario_key() {
    local img_var=LVIMG_$L0_LVIMG
    { echo "$INPUTS_SUM"; sha256sum < "$SCENARIOS/$1.sh"
      [ "$L0_LVDISK" = 1 ] && basename "${!img_var}"; } | sha256sum | cut -c1-16
}

# verdict_of NAME DIR: what L1 did, then the scenario's own verdict;
# prints the reason, returns 0 for PASS.
verdict_of() {
    local name=$1 d=$2 log=$2/console.log
    grep -q '^E2E-L1-DONE' "$log" || {
        if [ -f "$d/timeout" ]; then echo "L0 timed out"
        else echo "L1 did not finish (see console.log)"; fi
        return 1; }
    if grep -q '^E2E-L1-ERROR' "$log"; then
        echo "L1: $(sed -n 's/^E2E-L1-ERROR //p' "$log" | head -n 1)"; return 1
    fi
    verdict
}

# run_scenario NAME: boot L0 with the scenario's settings, judge its log
run_scenario() {
    local name=$1 d=$LOGS/$1 t0 reason cpu
    load "$name" || { echo "FAIL $name (no scenario testbed/scenarios/$name.sh)"; return 1; }
    if [ "$NEEDS" = accel ] && ! series_has_accel; then
        echo "SKIP $name (arm-smmuv3,accel=on is not in the series yet)"
        return 0
    fi
    local key
    key=e2e-$1-$(scenario_key "$1")
    if [ "${E2E_CACHE_VERDICTS:-}" = 1 ] && [ -z "${SMMU_CHECK_FRESH:-}" ] &&
       [ -f "$VERDICTS/$key" ]; then
        echo "PASS $name (cached: $(head -n 1 "$VERDICTS/$key")): $(tail -n +2 "$VERDICTS/$key")"
        return 0
    fi
    rm -rf "$d" && mkdir -p "$d"
    make_disk "$d/disk.img" $([ "$CORRUPT" = 1 ] && echo corrupt)
    local append="console=ttyAMA0 panic=-1 e2e.scenario=$name e2e.l2fw=$L2FW $L1_APPEND"
    # The loops of the lifecycle scenarios take longer
    local l0_timeout=$((L0_TIMEOUT + L2_SECS - L2_TIMEOUT + L0_EXTRA)) l2_timeout=$L2_SECS
    if [ "$LONG" -ge 1 ]; then
        l0_timeout=$((L0_TIMEOUT * 5 * LONG))
        l2_timeout=$((L0_TIMEOUT * 5 * L2LONG - 60))
    fi
    append="$append e2e.l2_timeout=$l2_timeout"
    # What L2 gets on its command line.
    local l2append="e2e.tag=$name e2e.known_kib=$KNOWN_KIB e2e.pat_off_kib=$PAT_OFF_KIB $L2_APPEND"
    local cmd=(timeout -k 5 "$l0_timeout" "$L0"
        -M virt,gic-version=3,virtualization=on -cpu max,pauth-impdef=on
        -smp 2 -accel tcg,thread=multi -m 2G
        -nographic -nic none -no-reboot
        -kernel "$IMAGE" -initrd "$L1INITRD" -append "$append e2e.l2append=${l2append// /,}"
        -device "arm-smmuv3,primary-bus=pcie.0,$L0_SMMU"
        -drive if=none,id=disk0,file="$d/disk.img",format=raw
        -device nvme,drive=disk0,serial=e2e0)
    if [ -n "$L0_TRACE" ]; then
        local t
        for t in $L0_TRACE; do
            cmd+=(-trace "enable=$t")
        done
        cmd+=(-D "$d/l0-trace.log")
    fi
    if [ "$L0_LVDISK" = 1 ]; then
        # libvirt's root file system: L1 writes to it, L0 keeps the cached
        # image as it is (snapshot=on)
        local img_var=LVIMG_$L0_LVIMG
        cmd+=(-drive if=none,id=lvroot,file="${!img_var}",format=raw,snapshot=on
              -device virtio-blk-pci,drive=lvroot)
    fi
    if [ "$L0_NVME" -ge 2 ]; then
        make_disk "$d/disk1.img"
        cmd+=(-drive if=none,id=disk1,file="$d/disk1.img",format=raw)
        if [ "$L0_TWO_SMMUS" = 1 ]; then
            # Behind a second SMMU, on its own root complex; L1 needs ACPI
            cmd+=(-bios "$EFI"
                  -device pxb-pcie,id=pxb1,bus_nr=0x80,bus=pcie.0
                  -device pcie-root-port,id=l0rp1,bus=pxb1,chassis=3
                  -device "arm-smmuv3,primary-bus=pxb1,$L0_SMMU"
                  -device nvme,drive=disk1,serial=e2e1,bus=l0rp1)
        else
            cmd+=(-device nvme,drive=disk1,serial=e2e1)
        fi
    fi
    printf '%q ' "${cmd[@]}" > "$d/command"
    t0=$(date +%s)
    local rc0 TIMEFORMAT='%U %S'
    if [ $verbose = 1 ]; then
        { time "${cmd[@]}" < /dev/null 2>&1 | tee "$d/console.log" >&2; } 2>"$d/cpu"
        rc0=${PIPESTATUS[0]}
    else
        { time "${cmd[@]}" < /dev/null > "$d/console.log" 2>&1; } 2>"$d/cpu"
        rc0=$?
    fi
    [ "$rc0" = 124 ] && touch "$d/timeout"
    cpu=$(awk '{ printf "%d", $1 + $2 + 0.5 }' "$d/cpu")
    tr -d '\r' < "$d/console.log" > "$d/console.tmp" && mv "$d/console.tmp" "$d/console.log"
    reason=$(verdict_of "$name" "$d")
    local rc=$? secs=$(($(date +%s) - t0))
    echo "$reason" > "$d/result"
    echo "$secs" > "$TIMES/$name"
    if [ $rc = 0 ]; then
        echo "PASS $name (${secs}s, cpu ${cpu}s): $reason"
        [ "${E2E_CACHE_VERDICTS:-}" = 1 ] && mkdir -p "$VERDICTS" &&
        { date -u +%Y-%m-%dT%H:%MZ; echo "$reason"; } > "$VERDICTS/$key"
    else
        echo "FAIL $name (${secs}s, cpu ${cpu}s): $reason; logs in ${d#"$TOP"/}/"
    fi
    return $rc
}

# The longest first, by their last time on this machine (kept in the
# cache; unknown ones first), so that the lanes end together
TIMES=$CACHE/testbed/times
longest_first() {
    local s
    for s in "$@"; do
        echo "$(cat "$TIMES/$s" 2>/dev/null || echo 100000) $s"
    done | sort -k1,1nr -s | cut -d' ' -f2
}

prepare
mkdir -p "$TIMES"
# $JOBS scenarios at once, each in a subshell; a line each as it ends
fail=0
running=0
for s in $(longest_first $scenarios); do
    if [ "$running" -ge "$JOBS" ]; then
        wait -n || fail=1
        running=$((running - 1))
    fi
    ( run_scenario "$s" ) &
    running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
    wait -n || fail=1
    running=$((running - 1))
done
exit $fail

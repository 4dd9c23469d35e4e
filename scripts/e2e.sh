#!/bin/bash
# e2e.sh [-v] [SCENARIO...]: the hardware-free end-to-end testbed.
#
#   L0  this machine: our x86_64 qemu-system-aarch64 (TCG), virt with
#       virtualization=on, an emulated arm-smmuv3 in nested stage (s2fwb=on)
#       and an emulated NVMe disk behind it;
#   L1  a real Linux host (our kernel + busybox) that binds the NVMe to
#       vfio-pci and runs the probe tool or our QEMU (aarch64, KVM);
#   L2  a real Linux guest whose nvme driver reads and writes the disk.
#
# Prints one "PASS <scenario> ..." or "FAIL <scenario> ..." line per
# scenario ("SKIP" for those whose feature is not in the series yet), and
# keeps every scenario's console log in logs/e2e/<scenario>/.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/config.sh"

verbose=0
[ "${1:-}" = -v ] && { verbose=1; shift; }

ALL="host-probe host-probe-nofwb passthrough passthrough-uefi
 passthrough-corrupt-image emulated-smmu-refuses-vfio
 accel-strict accel-lazy accel-passthrough accel-hostile-guest
 accel-host-lacks-ril accel-device-before-vsmmu accel-devicetree-refused
 accel-no-its-refused accel-two-vsmmus-one-host accel-mdev-refused
 accel-stub-refused
 accel-two-vsmmus accel-auto-from-host accel-host-lacks-oas48 accel-hotplug
 accel-reboot-loop accel-fault-injection bench-short libvirt-accel"
scenarios=${*:-$ALL}
LOGS=$TOP/logs/e2e
L0_TIMEOUT=${E2E_L0_TIMEOUT:-240}
# The lifecycle loops: make check runs these counts, make soak the full ones
HOTPLUG_CYCLES=${E2E_HOTPLUG_CYCLES:-10}
# accel-hotplug: the most the L2 VMM's RSS may grow per cycle (KiB), from
# the third removal to the last (with 6 cycles or more)
RSS_BOUND=${E2E_RSS_BOUND:-32}
REBOOT_CYCLES=${E2E_REBOOT_CYCLES:-6}
# Every host call the fault-injection scenario makes fail once, in turn
# (in a plug, the allocations are VFIO's stage 2, then the abort and bypass
# proxies, then the stage 1 of the guest's STE; the attaches are to the
# abort proxy, then what the guest's STEs say: a bypass left from the last
# unplug, then its stage 1)
FAULTS="viommu-alloc:1 hwpt-alloc:1 hwpt-alloc:2 hwpt-alloc:3 hwpt-attach:1
 veventq-alloc:1 hwpt-alloc:4 vdevice-alloc:1 hwpt-attach:3 invalidate:1
 invalidate:1:12 invalidate:1:110"
L2_TIMEOUT=${E2E_L2_TIMEOUT:-150}
# libvirt-accel: the bound of each libvirt step in L1 (libvirtd's start and
# probe of the emulator, virsh define, start and destroy; each takes 1-15 s
# warm under TCG), added four times to L0's timeout
LV_TIMEOUT=${E2E_LV_TIMEOUT:-90}
# bench-flood compares the current L2 QEMU with this older build (before the
# bound on one pass over the command queue); E2E_FLOOD_OLD= for none
E2E_FLOOD_OLD=${E2E_FLOOD_OLD-$CACHE/testbed/qemu-aarch64-3be03677852a6f0b/qemu-system-aarch64}
FLOOD_OLD=
KNOWN_KIB=1024          # known content at the start of the disk
PAT_OFF_KIB=4096        # where L2 writes its 64 KiB pattern
DISK_MIB=16
# The cases of tools/smmuv3-hostile-guest, each of which must print PASS.
HOSTILE_CASES="ste-stage2 ste-nested ste-reserved-config ste-malformed-s1
 ste-s1fmt-ignored ste-abort ste-bypass ste-s1-valid cmd-stage2-tlbi
 cmd-unknown-opcode cmd-el2-tlbi cfgi-all cfgi-ste-range host-fault-event
 cfgi-ste-cd cfgi-cd-renumbered vdevice-renumber eventq-msix alive"
# What the L2 VMM must have logged (-d guest_errors) about them.
HOSTILE_LOGGED=("illegal STE for SID 0x[0-9a-f]*: Config enables stage 2"
    "illegal STE for SID 0x[0-9a-f]*: reserved Config value"
    "illegal STE for SID 0x[0-9a-f]*: S1ContextPtr is beyond the OAS"
    "illegal command SMMU_CMD_TLBI_S2_IPA with accel=on"
    "illegal command INVALID with accel=on"
    "illegal command SMMU_CMD_TLBI_EL2_ALL with accel=on")

say() { echo "e2e: $*" >&2; }
die() { echo "e2e: ERROR: $*" >&2; exit 1; }

# The 16-byte-per-line pattern of l2-init.sh, on the host side.
pattern() { # TAG LINES
    awk -v tag="$1" -v n="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%-8.8s%07d\n", tag, i }'
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
        "$here/deps.sh" testbed >&2 || die "installing the testbed's packages failed"
    L0=$(step "L0 QEMU: fetch the base, apply the series, build for x86_64" \
              "about 10 min" "$here/l0-qemu.sh") || die "building L0 QEMU failed"
    IMAGE=$(step "the arm64 Linux kernel (L1 host and L2 guest)" "about 9 min" \
                 "$here/testbed/kernel.sh") || die "building the kernel failed"
    # E2E_L2QEMU: another arm64 build to run in L1 (an older series, to
    # show what a fix changed)
    L2QEMU=${E2E_L2QEMU:-$(step "the arm64 static QEMU that L1 runs (sysroot, cross build)" \
                  "about 5 min" "$here/testbed/cross-qemu.sh")} ||
        die "cross-building QEMU failed"
    PROBE=$(step "the probe, tools/smmuv3-accel-probe (arm64)" "seconds" \
                 "$here/testbed/tool.sh" smmuv3-accel-probe) ||
        die "cross-building the probe failed"
    HOSTILE=$(step "the hostile guest, tools/smmuv3-hostile-guest (arm64)" "seconds" \
                   "$here/testbed/tool.sh" smmuv3-hostile-guest) ||
        die "cross-building the hostile guest failed"
    DMABENCH=$(step "the I/O benchmark, tools/dmabench (arm64)" "seconds" \
                    "$here/testbed/tool.sh" dmabench) ||
        die "cross-building dmabench failed"
    EFI=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd
    [ -f "$EFI" ] || die "$EFI missing (package qemu-efi-aarch64)"
    # libvirt-accel's L1 root file system (sid arm64, libvirt 12.8), only
    # when that scenario runs
    LVIMG=
    case " $(echo $scenarios) " in *" libvirt-accel "*)
        LVIMG=$(step "the arm64 sid root file system with libvirt 12.8 (libvirt-accel's L1)" \
                     "about 20 s" "$here/libvirt/l1-rootfs.sh") ||
            die "building libvirt-accel's root file system failed" ;;
    esac

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
    "$here/testbed/mkinitramfs.sh" "$w/l2.cpio.gz" "$TOP/testbed/l2-init.sh" \
        "$HOSTILE:/bin/smmuv3-hostile-guest" "$DMABENCH:/bin/dmabench" ||
        die "building the L2 initramfs failed"
    # The L2 QEMU arguments of every scenario go into the one L1 initramfs.
    rm -rf "$w/l2args" && mkdir -p "$w/l2args"
    local s c
    for s in $ALL bench-flood; do
        scenario_def "$s"
        echo "$L2_ARGS" > "$w/l2args/$s"
    done
    # make bench: the QEMU arguments and kernel parameters of each L2 run
    for c in $BENCH_CONFIGS; do
        bench_config "$c"
        echo "$BENCH_ARGS" > "$w/l2args/bench-$c"
        echo "$BENCH_APPEND" > "$w/l2args/bench-$c.append"
    done
    "$here/testbed/mkinitramfs.sh" "$w/l1.cpio.gz" "$TOP/testbed/l1-init.sh" \
        "$L2QEMU:/bin/qemu-system-aarch64" "$PROBE:/bin/smmuv3-accel-probe" \
        "$IMAGE:/l2/Image" "$w/l2.cpio.gz:/l2/initrd.gz" "$EFI:/l2/QEMU_EFI.fd" \
        "$w/l2args:/l2/args.d" "$TOP/testbed/l1-lib.sh:/l2/l1-lib.sh" \
        "$TOP/testbed/l1:/l2/scenarios" ${extra[@]+"${extra[@]}"} ||
        die "building the L1 initramfs failed"
    L1INITRD=$w/l1.cpio.gz
}

# make bench: the L2 configurations compared, in this order, on one device
BENCH_CONFIGS="none accel-strict accel-lazy virtio-iommu accel-ril-off
 accel-ril-off-nobatch"
BENCH_SMMU="-device arm-smmuv3,primary-bus=pcie.0,id=smmu0,accel=on"

# bench_config NAME: BENCH_ARGS and BENCH_APPEND of an L2 run of make bench
bench_config() {
    BENCH_APPEND="iommu.strict=1"
    case "$1" in
    none) BENCH_ARGS="" ;;
    accel-strict) BENCH_ARGS=$BENCH_SMMU ;;
    accel-lazy) BENCH_ARGS=$BENCH_SMMU; BENCH_APPEND="iommu.strict=0" ;;
    virtio-iommu) BENCH_ARGS="-device virtio-iommu-pci" ;;
    accel-ril-off) BENCH_ARGS="$BENCH_SMMU,ril=off" ;;
    # (a test-only switch: one host call per command)
    accel-ril-off-nobatch) BENCH_ARGS="$BENCH_SMMU,ril=off,x-accel-no-batch=on" ;;
    esac
}

# scenario_def NAME: sets the scenario's L0 SMMU options, L2 firmware and
# QEMU arguments, and what counts as success (EXPECT).
# A scenario in which L2's QEMU (a UEFI guest's) must refuse to start:
# L2_ARGS $1, and $2 in what it prints
refusal() {
    NEEDS=accel
    L2FW=uefi
    L2_ARGS=$1
    REFUSAL=$2
    EXPECT=qemu-refuses
}

scenario_def() {
    L0_SMMU="stage=nested,s2fwb=on"
    L0_NVME=1
    L0_TWO_SMMUS=0
    DISK_MIB=16
    L1_APPEND=""
    LONG=0
    L2LONG=1        # (LONG scenarios) multiplies the bound of each L2 run
    L2_SECS=$L2_TIMEOUT
    L0_EXTRA=0      # seconds more for L0 (a second L2 run)
    L2FW=dt
    L2_ARGS=""
    L2_APPEND=""
    EXPECT=data
    REFUSAL=""
    NEEDS=""
    L0_LVDISK=0
    L0_EXTRA=0
    case "$1" in
    host-probe) EXPECT=probe-ready ;;
    host-probe-nofwb) L0_SMMU="stage=nested"; EXPECT=probe-nofwb ;;
    passthrough) ;;
    passthrough-uefi) L2FW=uefi ;;
    passthrough-corrupt-image) EXPECT=data-corrupt ;;
    emulated-smmu-refuses-vfio)
        L2_ARGS="-device arm-smmuv3,primary-bus=pcie.0"
        REFUSAL="requires iommu MAP notifier"
        EXPECT=qemu-refuses ;;
    accel-strict | accel-lazy | accel-passthrough)
        NEEDS=accel
        L2FW=uefi
        EXPECT=$1
        # Traces and guest errors go to a file that L1 prints after L2 ends,
        # so that they do not mix with L2's console lines.
        L2_ARGS="-device arm-smmuv3,primary-bus=pcie.0,accel=on -trace smmuv3_accel_* -d guest_errors -D /tmp/l2-qemu.log"
        case "$1" in
        accel-strict)
            # ril=off: the guest invalidates page by page, several commands
            # per CMD_SYNC, which shows QEMU's batching: one host call each.
            L2_ARGS=${L2_ARGS/accel=on/accel=on,ril=off}
            L2_APPEND="iommu.strict=1 e2e.reboot=1" ;;
        accel-lazy)
            # The host SMMU (L0's) has no range invalidation, and the
            # host-dependent features are "auto": the guest must see the
            # host's (RIL off, no ATS, 44-bit OAS, no SubstreamIDs).
            L0_SMMU="$L0_SMMU,ril=off"
            L2_ARGS=${L2_ARGS/accel=on/accel=on,ril=auto,ats=auto,oas=auto,ssidsize=auto}
            L2_APPEND="iommu.strict=0" ;;
        accel-passthrough) L2_APPEND="iommu.passthrough=1" ;;
        esac ;;
    accel-hostile-guest)
        # The guest programs the vSMMU itself (testbed/l2-init.sh runs
        # tools/smmuv3-hostile-guest): Linux's SMMU driver never registers.
        # UEFI and ACPI, as accel=on needs for the device's MSIs: the
        # SMMU's base is in the IORT, and the tables that /dev/mem maps go
        # to a memory DIMM that the guest kernel (no memory hotplug) does
        # not use.  Two NVMe controllers, each behind its own root port
        # (buses 1 and 2): vdevice-renumber gives the StreamID of the first
        # to the second by renumbering the ports' buses, and QEMU must
        # move the StreamID's iommufd vDEVICE to the second.
        NEEDS=accel
        L0_NVME=2
        # Two root ports and controllers: L2 enumerates for 25-45 s more
        L2_SECS=$((L2_TIMEOUT + 90))
        L2FW=uefi
        EXPECT=hostile
        L2_ARGS="-m 512M,slots=1,maxmem=1G -object memory-backend-ram,id=spare,size=64M -device pc-dimm,memdev=spare,addr=0x80000000 -device pcie-root-port,id=rp0,chassis=1,bus=pcie.0 -device pcie-root-port,id=rp1,chassis=2,bus=pcie.0 -device arm-smmuv3,primary-bus=pcie.0,accel=on -trace smmuv3_accel_* -d guest_errors -D /tmp/l2-qemu.log @HOSTDEV@,bus=rp0 @HOSTDEV2@,bus=rp1"
        L2_APPEND="e2e.hostile=1 e2e.spare_ram=0x80000000:0x4000000 initcall_blacklist=arm_smmu_driver_init" ;;
    accel-host-lacks-ril)
        # ril=on on a host SMMU without range invalidation: QEMU must
        # refuse the device and say how to fix it.
        L0_SMMU="$L0_SMMU,ril=off"
        refusal "-device arm-smmuv3,primary-bus=pcie.0,accel=on,ril=on" \
            "lacks range invalidation (IDR3.RIL)" ;;
    accel-device-before-vsmmu)
        # The vfio-pci device created before the vSMMU would never be
        # attached to it: the guest's IOVAs would reach L1's stage 2 as
        # addresses of guest memory.
        refusal "@HOSTDEV@ -device arm-smmuv3,primary-bus=pcie.0,accel=on" \
            "is behind it but not managed by it: it was created before the vSMMU" ;;
    accel-devicetree-refused)
        # A guest booted with a device tree has no IORT, so no RMR for the
        # host's MSI window: the device's MSIs would be lost.
        refusal "-device arm-smmuv3,primary-bus=pcie.0,accel=on" \
            "a guest booted with a device tree is not told of the host's MSI window"
        L2FW=dt ;;
    accel-no-its-refused)
        # Without an ITS there is no KVM route for the MSIs, and QEMU's
        # own MSI delivery would write to the guest's IOVA.
        refusal "-M virt,its=off -device arm-smmuv3,primary-bus=pcie.0,accel=on" \
            "its MSIs need a KVM route to a GICv3 ITS" ;;
    accel-two-vsmmus-one-host)
        # Two NVMe controllers behind L0's one SMMU, one behind each of
        # two vSMMUs of L2 (pcie.0 and a pxb-pcie): their vIOMMUs would
        # share the host's VMID.
        L0_NVME=2
        refusal "-device pxb-pcie,id=pxb1,bus_nr=0x80,bus=pcie.0 -device pcie-root-port,id=rp1,chassis=1,bus=pxb1 -device arm-smmuv3,primary-bus=pcie.0,id=smmu0,accel=on -device arm-smmuv3,primary-bus=pxb1,id=smmu1,accel=on @HOSTDEV@,bus=pcie.0 @HOSTDEV2@,bus=rp1" \
            "is behind the same host SMMUv3 as the host devices of arm-smmuv3,id=smmu0,accel=on" ;;
    accel-two-vsmmus)
        # L0 has a second SMMU, on a pxb-pcie, with the second NVMe behind
        # it (L1 boots with UEFI and ACPI: the device tree describes one
        # SMMU only).  L2 has an accelerated vSMMU for each host SMMU, each
        # on its own root complex, as the documentation shows, and checks
        # the data on both disks.
        NEEDS=accel
        L0_NVME=2
        L0_TWO_SMMUS=1
        L2FW=uefi
        EXPECT=two-vsmmus
        L2_ARGS="-device arm-smmuv3,primary-bus=pcie.0,id=smmu0,accel=on -device pxb-pcie,id=pcie.1,bus_nr=8,bus=pcie.0 -device arm-smmuv3,primary-bus=pcie.1,id=smmu1,accel=on -device pcie-root-port,id=rp1,bus=pcie.1,chassis=2 -trace iommufd_backend_alloc_viommu -trace smmuv3_accel_* -d guest_errors -D /tmp/l2-qemu.log @HOSTDEV@,bus=pcie.0 @HOSTDEV2@,bus=rp1"
        L2_APPEND="e2e.disks=2" ;;
    accel-auto-from-host)
        # L0's SMMU has a 48-bit OAS (a testbed-only patch, see
        # testbed/l0-patches/), unlike the emulated SMMU's 44: "auto"
        # (the default) must give the guest 48 bits.
        NEEDS=accel
        L2FW=uefi
        EXPECT=auto-from-host
        L0_SMMU="$L0_SMMU,oas=48"
        L2_ARGS="-device arm-smmuv3,primary-bus=pcie.0,accel=on -trace smmuv3_accel_features -D /tmp/l2-qemu.log" ;;
    accel-host-lacks-oas48)
        # An explicit oas=48 on a 44-bit host SMMU: refused, with the fix
        refusal "-device arm-smmuv3,primary-bus=pcie.0,accel=on,oas=48" \
            "host SMMUv3 output addresses are 44 bits (IDR5.OAS), fewer than the 48 of the vSMMU" ;;
    accel-mdev-refused)
        # A mediated device (mtty) would never be known to the vSMMU
        # (testbed/l1/accel-mdev-refused.sh)
        refusal "-device arm-smmuv3,primary-bus=pcie.0,accel=on,ril=on,ats=off,oas=44,ssidsize=0" \
            "cannot be behind a vIOMMU that the host IOMMU accelerates" ;;
    accel-stub-refused)
        # The test stub (x-accel-host-stub, for qtests) completes the
        # guest's commands itself: a host device behind it would get none
        # of the guest's invalidations
        refusal "-device arm-smmuv3,primary-bus=pcie.0,accel=on,x-accel-host-stub=on" \
            "x-accel-host-stub is for tests without host devices" ;;
    bench | bench-short)
        # make bench (testbed/l1/bench.sh), and its short version in make
        # check: every configuration, one run of two small workloads
        NEEDS=accel
        L2FW=uefi
        EXPECT=bench
        LONG=1
        DISK_MIB=64
        if [ "$1" = bench ]; then
            L1_APPEND="e2e.bench_configs=$(echo $BENCH_CONFIGS | tr ' ' ,) e2e.bench_reps=${E2E_BENCH_REPS:-3}"
            L2_APPEND="e2e.bench=${E2E_BENCH_MIB:-16}"
            LONG=8
        else
            L1_APPEND="e2e.bench_configs=$(echo $BENCH_CONFIGS | tr ' ' ,) e2e.bench_reps=1"
            L2_APPEND="e2e.bench=2 e2e.bench_set=short"
        fi ;;
    bench-flood)
        # make bench, part 3 (testbed/l1/bench-flood.sh): smmuv3-hostile-guest
        # --flood fills the vSMMU's command queue (2^19 TLBI_NH_ALL and
        # CMD_SYNC, the NVMe translating through a stage-1 STE) and writes
        # CMDQ_PROD once; L2 as in accel-hostile-guest, one NVMe.  Our L2
        # QEMU, then the older one ($E2E_FLOOD_OLD) in the same L0 boot.
        NEEDS=accel
        L2FW=uefi
        EXPECT=flood
        L2_SECS=${E2E_FLOOD_SECS:-600}
        [ -n "$FLOOD_OLD" ] && L0_EXTRA=$L2_SECS
        L1_APPEND="e2e.flood_new=$(basename "$(dirname "$L2QEMU")") e2e.flood_old=$(basename "$(dirname "${FLOOD_OLD:-none/none}")")"
        L2_ARGS="-m 512M,slots=1,maxmem=1G -object memory-backend-ram,id=spare,size=64M -device pc-dimm,memdev=spare,addr=0x80000000 -device arm-smmuv3,primary-bus=pcie.0,id=smmu0,accel=on"
        L2_APPEND="e2e.hostile=1 e2e.flood=1 e2e.spare_ram=0x80000000:0x4000000 initcall_blacklist=arm_smmu_driver_init" ;;
    accel-hotplug)
        # (the bounds grow with the cycles: 10 take about 2.5 minutes)
        LONG=$(( (HOTPLUG_CYCLES + 9) / 10 ))
        L2LONG=$LONG
        # The NVMe on a hotpluggable root port; L1 unplugs and plugs it
        # (testbed/l1/accel-hotplug.sh), the guest checks the data.
        NEEDS=accel
        L2FW=uefi
        EXPECT=hotplug
        L1_APPEND="kmemleak=on e2e.cycles=$HOTPLUG_CYCLES"
        L2_ARGS="-device pcie-root-port,id=rp0,chassis=1,bus=pcie.0 -device arm-smmuv3,primary-bus=pcie.0,accel=on -trace iommufd_backend_* -trace smmuv3_accel_* -d guest_errors -D /tmp/l2-qemu.log @HOSTDEV@,bus=rp0"
        L2_APPEND="e2e.hotplug=$HOTPLUG_CYCLES" ;;
    accel-reboot-loop)
        # (the bounds grow with the boots: 6 take about 3.5 minutes)
        LONG=$(( (REBOOT_CYCLES + 5) / 6 ))
        L2LONG=$LONG
        # Reboots and resets in turn, the device moved to another root
        # port (bus) half way (testbed/l1/accel-reboot-loop.sh).
        NEEDS=accel
        L2FW=uefi
        EXPECT=reboot-loop
        L1_APPEND="kmemleak=on e2e.cycles=$REBOOT_CYCLES"
        L2_ARGS="-device pcie-root-port,id=rp0,chassis=1,bus=pcie.0 -device pcie-root-port,id=rp1,chassis=2,bus=pcie.0 -device arm-smmuv3,primary-bus=pcie.0,accel=on -trace iommufd_backend_* -trace smmuv3_accel_* -d guest_errors -D /tmp/l2-qemu.log @HOSTDEV@,bus=rp0"
        L2_APPEND="e2e.reboots=$REBOOT_CYCLES" ;;
    accel-fault-injection)
        LONG=1
        # Each host call fails once in turn (testbed/l1/accel-fault-injection.sh)
        NEEDS=accel
        L2FW=uefi
        EXPECT=fault-injection
        L1_APPEND="e2e.faults=$(echo $FAULTS | tr ' ' ,)"
        L2_ARGS="-device pcie-root-port,id=rp0,chassis=1,bus=pcie.0 -device arm-smmuv3,primary-bus=pcie.0,accel=on -trace iommufd_backend_* -trace smmuv3_accel_* -d guest_errors -D /tmp/l2-qemu.log @HOSTDEV@,bus=rp0"
        L2_APPEND="e2e.hotplug=$(( $(echo $FAULTS | wc -w) + 2 )) nvme_core.admin_timeout=5 nvme_core.io_timeout=5" ;;
    libvirt-accel)
        # accel-strict's guest, started by sid's libvirt 12.8 in L1
        # (testbed/l1/libvirt-accel.sh) from a domain XML with
        # <iommufd enabled='yes'/>, the NVMe as <hostdev managed='yes'> on a
        # root port of a pcie-expander-bus and <iommu model='smmuv3'> with
        # accel='on' on that bus; the guest holds after its checks
        # (e2e.hold=1) for virsh destroy.  L0 attaches libvirt's root file
        # system as a virtio disk.  e2e.lv_iommu: the <driver> attributes
        # (name:value), e2e.lv_hostdev: the hostdev's bus:slot in the guest
        # (02:00: on the expander bus's root port; libvirt takes 00:00 as
        # no address and places the device itself).
        NEEDS=accel
        L2FW=uefi
        EXPECT=libvirt
        L0_LVDISK=1
        L0_EXTRA=$((4 * LV_TIMEOUT))
        L1_APPEND="e2e.lv_timeout=$LV_TIMEOUT e2e.lv_iommu=${E2E_LV_IOMMU:-accel:on,ril:off} e2e.lv_hostdev=${E2E_LV_HOSTDEV:-02:00}"
        L2_APPEND="iommu.strict=1 e2e.reboot=1 e2e.hold=1" ;;
    *) return 1 ;;
    esac
}

# make_disk FILE [corrupt]: the NVMe image: known content, then zeros.
make_disk() {
    rm -f "$1"
    truncate -s ${DISK_MIB}M "$1"
    pattern known $((KNOWN_KIB * 1024 / 16)) |
        dd of="$1" conv=notrunc status=none
    if [ "${2:-}" = corrupt ]; then
        printf 'X' | dd of="$1" bs=1 seek=$((KNOWN_KIB * 512)) conv=notrunc status=none
    fi
}

# kmemleak_verdict LOG: fail on an unreferenced object of iommufd, VFIO or
# the SMMUv3 driver in L1; $KMEMLEAK says what the scan found.
kmemleak_verdict() {
    KMEMLEAK=$(sed -n 's/^E2E-KMEMLEAK-VERDICT //p' "$1")
    case "$KMEMLEAK" in
    "0 objects"*) return 0 ;;
    "") echo "no kmemleak verdict from L1"; return 1 ;;
    *) echo "kmemleak in L1: $KMEMLEAK: $(grep -m1 '^E2E-KMEMLEAK ' "$1")"; return 1 ;;
    esac
}

# flood_field LINE KEY: the value of KEY=value in an E2E-FLOOD-RESULT line
flood_field() { echo " $1 " | sed -n "s/.* $2=\([^ ]*\) .*/\1/p"; }
# flood_ms MICROSECONDS: in milliseconds, one decimal ("?" stays)
flood_ms() {
    case "$1" in
    ''|*[!0-9]*) echo "${1:-?}" ;;
    *) awk -v u="$1" 'BEGIN { printf "%.1f ms\n", u / 1000 }' ;;
    esac
}

# flood_table LOG: bench-flood's table, one row per L2 QEMU
flood_table() {
    local l label bin pass all ns
    printf '%-34s %7s %10s %10s %10s %8s %10s %6s %17s %10s\n' "L2 QEMU" \
        entries "PROD write" drain "longest rd" "mean rd" "host calls" passes \
        "longest pass" "all passes"
    grep -E '^E2E-FLOOD-(RESULT|RUNFAIL) ' "$1" | while read -r l; do
        set -- $l
        label=$2 bin=$3
        case "$1" in
        E2E-FLOOD-RUNFAIL)
            printf '%-34s did not run: %s\n' "$label $bin" "${l#*: }" | cut -c1-200
            continue ;;
        esac
        pass=- all=-
        ns=$(flood_field "$l" longest_pass_ns)
        case "$ns" in ''|*[!0-9]*) ;; *)
            pass="$(flood_ms $((ns / 1000))) ($(flood_field "$l" longest_pass_cmds)/$(flood_field "$l" longest_pass_calls))" ;;
        esac
        ns=$(flood_field "$l" passes_total_ns)
        case "$ns" in ''|*[!0-9]*) ;; *) all=$(flood_ms $((ns / 1000))) ;; esac
        printf '%-34s %7s %10s %10s %10s %8s %10s %6s %17s %10s\n' "$label $bin" \
            "$(flood_field "$l" entries)" \
            "$(flood_ms "$(flood_field "$l" prod_write_us)")" \
            "$(flood_ms "$(flood_field "$l" drain_us)")" \
            "$(flood_ms "$(flood_field "$l" longest_read_us)")" \
            "$(flood_ms "$(flood_field "$l" mean_read_us)")" \
            "$(flood_field "$l" host_calls)" "$(flood_field "$l" passes)" \
            "$pass" "$all"
    done
    cat <<'EOT'
PROD write: how long the one store of CMDQ_PROD that published the full queue
  took in the guest: the VMM held the vCPU, and the BQL, for that long;
drain: from that store until CMDQ_CONS reached PROD (polled without pause);
longest rd, mean rd: the longest and the mean single read of CMDQ_CONS while
  polling: a read waits while the main loop holds the BQL (a pass of the
  queue's consumer); after a PROD write that drained it all, one read;
host calls: accel-host-calls (QOM) during the flood;
passes, longest pass (commands/host calls): trace event smmuv3_cmdq_pass, of
  a build that has it (one without the bound consumes the whole queue in the
  PROD write: one pass, as long as that write);
all passes: the time of all passes of the flood together (the BQL held to
  consume the queue); of a build without the trace event, unknown.
EOT
}

# check NAME DIR: decide PASS/FAIL from the console log and the disk.
# Prints the reason; returns 0 for PASS.
check() {
    local name=$1 d=$2 log=$2/console.log
    local want_known want_pat got back wrote
    grep -q '^E2E-L1-DONE' "$log" || {
        if [ -f "$d/timeout" ]; then echo "L0 timed out"
        else echo "L1 did not finish (see console.log)"; fi
        return 1; }
    if grep -q '^E2E-L1-ERROR' "$log"; then
        echo "L1: $(sed -n 's/^E2E-L1-ERROR //p' "$log" | head -n 1)"; return 1
    fi
    case "$EXPECT" in
    libvirt)
        # libvirt's words on any failure; then how QEMU got /dev/iommu and
        # the vfio cdev; accel-strict's checks of the guest; what virsh
        # destroy left in L1.
        local line want after probe
        line=$(grep -m1 '^E2E-LIBVIRT-FAIL ' "$log" | sed 's/^E2E-LIBVIRT-FAIL //')
        [ -z "$line" ] || { echo "libvirt: $line"; return 1; }
        grep -q '^E2E-LIBVIRT started' "$log" || { echo "libvirt: the domain did not start (see console.log)"; return 1; }
        grep -q '^E2E-LIBVIRT-QEMU arg .*"qom-type":"iommufd".*"fd":"[0-9]*"' "$log" ||
            { echo "libvirt did not give QEMU /dev/iommu as a descriptor: $(grep -m1 '^E2E-LIBVIRT-QEMU arg .*iommufd' "$log")"; return 1; }
        grep -q '^E2E-LIBVIRT-QEMU arg .*"driver":"vfio-pci".*"fd":"[0-9]*"' "$log" ||
            { echo "libvirt did not give QEMU the vfio cdev as a descriptor: $(grep -m1 '^E2E-LIBVIRT-QEMU arg .*vfio-pci' "$log")"; return 1; }
        grep -q '^E2E-LIBVIRT-QEMU names a device path' "$log" &&
            { echo "QEMU's command line names a device path: $(grep -m1 '^E2E-LIBVIRT-QEMU names' "$log")"; return 1; }
        grep -q '^E2E-LIBVIRT-QEMU fd [0-9]* /dev/iommu$' "$log" &&
            grep -q '^E2E-LIBVIRT-QEMU fd [0-9]* /dev/vfio/devices/vfio[0-9]*$' "$log" ||
            { echo "the running QEMU does not hold /dev/iommu and a vfio cdev"; return 1; }
        # (the holder search that must come back empty after destroy finds
        # the running QEMU)
        grep -q "^E2E-LIBVIRT-QEMU holders \[.*$(sed -n 's/^E2E-LIBVIRT-QEMU pid //p' "$log"):/dev/iommu" "$log" ||
            { echo "the holders of /dev/iommu do not include the running QEMU: $(grep -m1 '^E2E-LIBVIRT-QEMU holders' "$log")"; return 1; }
        EXPECT=accel-strict check "$name" "$d" > "$d/accel-result" ||
            { echo "the guest under libvirt: $(cat "$d/accel-result")"; return 1; }
        after=$(sed -n 's/^E2E-LIBVIRT-AFTER //p' "$log")
        case "$after" in
        "domstate=shut off qemu_left=no driver_before=vfio-pci driver=vfio-pci "*" holders=[]") ;;
        "") echo "no state after virsh destroy"; return 1 ;;
        *) echo "after virsh destroy: $after"; return 1 ;;
        esac
        probe=$(sed -n 's/^E2E-LIBVIRT-PROBE //p' "$log")
        case "$probe" in
        "exit 0:"*) ;;
        *) echo "after virsh destroy the probe could not take the device again: ${probe:-no probe}"; return 1 ;;
        esac
        echo "libvirt $(sed -n 's/^E2E-LIBVIRT libvirtd ready in \([0-9]*\) s: .*library: libvirt \([0-9.]*\).*/\2 (ready in \1 s)/p' "$log") started the domain (iommufd and vfio cdev as fds $(sed -n 's|^E2E-LIBVIRT-QEMU fd \([0-9]*\) /dev/.*|\1|p' "$log" | tr '\n' ' ' | sed 's/ $//')); $(cat "$d/accel-result"); virsh destroy left the NVMe on vfio-pci, no holder of /dev/iommu or a vfio cdev, the probe took the device again (${probe%%:*})"
        ;;
    probe-ready)
        local rc steps
        rc=$(sed -n 's/^E2E-PROBE-EXIT //p' "$log" | tr -d '\r')
        [ "$rc" = 0 ] || { echo "probe exit $rc: $(grep -m1 '^RESULT' "$log")"; return 1; }
        for steps in iommufd vfio-cdev hw-info ioas nest-parent viommu vdevice \
                     nested-abort nested-bypass attach nested-s1 invalidate veventq; do
            grep -q "^PASS $steps:" "$log" || { echo "probe did not pass step $steps"; return 1; }
        done
        echo "probe: every step passed, $(grep -m1 '^RESULT' "$log" | tr -d '\r')"
        ;;
    probe-nofwb)
        local rc
        rc=$(sed -n 's/^E2E-PROBE-EXIT //p' "$log" | tr -d '\r')
        [ "$rc" = 1 ] || { echo "probe exit '$rc', expected 1 without S2FWB"; return 1; }
        grep -q '^FAIL viommu:.*S2FWB' "$log" ||
            { echo "probe did not name the missing S2FWB at the viommu step"; return 1; }
        echo "probe refused as expected: $(grep -m1 '^FAIL viommu' "$log" | cut -c1-110)"
        ;;
    qemu-refuses)
        local rc
        rc=$(sed -n 's/^E2E-L2-QEMU-EXIT //p' "$log" | tr -d '\r')
        [ -n "$rc" ] && [ "$rc" != 0 ] || { echo "L2 QEMU exit '$rc': it did not refuse"; return 1; }
        grep -qF "$REFUSAL" "$log" ||
            { echo "L2 QEMU failed, but not with '$REFUSAL'"; return 1; }
        echo "L2 QEMU refused: $(grep -m1 -F "$REFUSAL" "$log" | sed 's/^ *//' | cut -c1-160)"
        ;;
    bench)
        # Every configuration ran, every workload verified: the table
        local c n n0 calls
        grep -q '^E2E-BENCH-DONE' "$log" || { echo "the benchmark did not finish"; return 1; }
        grep -q '^E2E-BENCH-FAIL' "$log" && { grep -m1 '^E2E-BENCH-FAIL' "$log"; return 1; }
        # The same workloads in every configuration, and an accelerated
        # vSMMU that called the host (its counters were read)
        n0=$(grep -c "^E2E-BENCH none " "$log")
        for c in $BENCH_CONFIGS; do
            n=$(grep -c "^E2E-BENCH $c " "$log")
            [ "$n" -ge 4 ] && [ "$n" = "$n0" ] ||
                { echo "configuration $c: $n workload runs, none: $n0"; return 1; }
            case $c in accel*)
                calls=$(grep "^E2E-BENCH $c " "$log" | sed 's/.* host-calls=\([0-9-]*\) .*/\1/' | awk '{ t += $1 } END { print t + 0 }')
                [ "${calls:-0}" -gt 0 ] || { echo "configuration $c: no host call counted"; return 1; } ;;
            esac
        done
        grep '^E2E-BENCH ' "$log" | grep -qvE 'verify=(ok|written) ' &&
            { echo "a workload did not verify: $(grep '^E2E-BENCH ' "$log" | grep -vE 'verify=(ok|written) ' | head -n 1)"; return 1; }
        "$here/bench-table.sh" "$log" > "$d/table" || { echo "no table"; return 1; }
        echo "$(grep -c '^E2E-BENCH ' "$log") workloads in $(echo $BENCH_CONFIGS | wc -w) configurations, all verified; table in ${d#"$TOP"/}/table"
        ;;
    flood)
        # The figures of the current L2 QEMU at least: a benchmark, no
        # thresholds; the older build's run is reported, whatever it gave.
        local new
        grep -q '^E2E-FLOOD-DONE' "$log" || { echo "the flood benchmark did not finish"; return 1; }
        new=$(grep -m1 '^E2E-FLOOD-RESULT new ' "$log")
        [ -n "$new" ] || { echo "the flood did not run with the current L2 QEMU: $(grep -m1 '^E2E-FLOOD-RUNFAIL new ' "$log" | cut -c1-300)"; return 1; }
        case "$new" in
        *" verdict=flood:PASS,alive:PASS") ;;
        *) echo "the guest's verdict on the flood with the current L2 QEMU: ${new##* verdict=}: $(grep -m1 -E '^ *E2E-HOSTILE FAIL' "$log" | sed 's/^ *//' | cut -c1-300)"; return 1 ;;
        esac
        flood_table "$log" > "$d/table"
        echo "a full command queue ($(flood_field "$new" entries) commands) with one write of CMDQ_PROD: the write held the vCPU $(flood_ms "$(flood_field "$new" prod_write_us)") with the current L2 QEMU (longest read of CMDQ_CONS while it drained $(flood_ms "$(flood_field "$new" longest_read_us)"))$(grep -m1 '^E2E-FLOOD-RESULT old ' "$log" | while read -r l; do echo ", $(flood_ms "$(flood_field "$l" prod_write_us)") with the old one"; done); table in ${d#"$TOP"/}/table"
        ;;
    two-vsmmus)
        # Both disks read and written, one vIOMMU per vSMMU, each on the
        # stage 2 of its own host SMMU
        local nv parents
        EXPECT=data check "$name" "$d" > "$d/data-result" ||
            { cat "$d/data-result"; return 1; }
        [ "$(dd if="$d/disk1.img" bs=1024 skip=$PAT_OFF_KIB count=64 status=none | sha256sum | cut -d' ' -f1)" = \
          "$(pattern "$name" 4096 | sha256sum | cut -d' ' -f1)" ] ||
            { echo "the second disk does not hold L2's pattern after the run"; return 1; }
        [ "$(grep -c '^ *E2E-L2-READ sha256=' "$log")" = 2 ] ||
            { echo "L2 did not check both disks"; return 1; }
        nv=$(grep -c 'iommufd_backend_alloc_viommu .*(0)$' "$log")
        parents=$(sed -n 's/.*iommufd_backend_alloc_viommu .* hwpt_id=\([0-9]*\) .*(0)$/\1/p' "$log" | sort -u | wc -l)
        [ "$nv" = 2 ] && [ "$parents" = 2 ] ||
            { echo "expected 2 vIOMMUs on 2 nesting parents, got $nv on $parents"; return 1; }
        grep -q 'smmuv3_accel_install SID 0x[0-9a-f]*: .*(stage 1)' "$log" ||
            { echo "no stage-1 STE installed"; return 1; }
        echo "two host SMMUs, two vSMMUs: both disks read 1 MiB of known data and hold L2's pattern; 2 vIOMMUs, one per vSMMU, on 2 nesting parents"
        ;;
    auto-from-host)
        EXPECT=data check "$name" "$d" > "$d/data-result" ||
            { cat "$d/data-result"; return 1; }
        grep -q 'smmuv3_accel_features .*: ril=1 ats=0 oas=48 ssidsize=0$' "$log" ||
            { echo "auto did not take the host's 48-bit OAS: $(grep -m1 -o 'smmuv3_accel_features.*' "$log")"; return 1; }
        grep -q '^ *\[.*arm-smmu-v3 arm-smmu-v3.0.auto: oas 48-bit' "$log" ||
            { echo "the guest's SMMU driver does not report a 48-bit OAS"; return 1; }
        echo "$(cat "$d/data-result"); auto features from the host: $(grep -m1 -o 'ril=1 ats=0 oas=48 ssidsize=0' "$log"); the guest's driver: $(grep -m1 -o 'oas 48-bit' "$log")"
        ;;
    hotplug)
        # Every cycle: the guest's data check, nothing of the vSMMU left in
        # the host after the removal, a vIOMMU allocated again at the add;
        # no kmemleak report; the VMM's RSS after the removals.
        local c n rss0 rss1 rss3 growth from
        grep -q '^E2E-HOTPLUG-FAIL' "$log" && { grep -m1 '^E2E-HOTPLUG-FAIL' "$log"; return 1; }
        for c in $(seq 1 "$HOTPLUG_CYCLES"); do
            grep -q "^ *E2E-L2-PLUG $c ok" "$log" || { echo "cycle $c: the guest's data check did not pass"; return 1; }
            line=$(grep "^E2E-HOTPLUG $c unplugged" "$log")
            case "$line" in
            *"host objects left [],"*) ;;
            "") echo "cycle $c: no unplug"; return 1 ;;
            *) echo "cycle $c: host objects left after the removal: $line"; return 1 ;;
            esac
            n=$(echo "$line" | sed -n 's/.*vIOMMUs allocated \([0-9]*\),.*/\1/p')
            [ "$n" = "$c" ] || { echo "cycle $c: $n vIOMMU allocations, expected $c (one per add)"; return 1; }
        done
        got=$(sed -n 's/^ *E2E-L2-READ sha256=//p' "$log" | sort -u)
        [ "$got" = "$(pattern known $((KNOWN_KIB * 1024 / 16)) | sha256sum | cut -d' ' -f1)" ] ||
            { echo "the guest read wrong data in some cycle"; return 1; }
        # The host translates the device's DMA, hot-plugged or not: QEMU's
        # own accesses for it (bus-master address space) go to system
        # memory in both cases
        for c in 1 2; do
            got=$(sed -n "s/^E2E-HOTPLUG-AS $c //p" "$log")
            [ "$got" = system ] || {
                echo "the $( [ $c = 1 ] && echo cold || echo hot)-plugged device's bus-master address space is an alias of '$got', expected 'system'"
                return 1; }
        done
        kmemleak_verdict "$log" || return 1
        # The VMM's RSS may grow in the first cycles (caches, the guest's
        # RAM touched); from the third removal on a leak of the plug path
        # shows as growth per cycle, which must stay within noise.  (A
        # cycle moved 2 KiB on average in a clean run, 150 KiB the first.)
        rss0=$(sed -n 's/^E2E-HOTPLUG 1 unplugged.*RSS \([0-9]*\) KiB/\1/p' "$log")
        rss3=$(sed -n 's/^E2E-HOTPLUG 3 unplugged.*RSS \([0-9]*\) KiB/\1/p' "$log")
        rss1=$(sed -n "s/^E2E-HOTPLUG $HOTPLUG_CYCLES unplugged.*RSS \([0-9]*\) KiB/\1/p" "$log")
        if [ -z "$rss0" ] || [ -z "$rss1" ]; then
            echo "the VMM's RSS was not read after the first or the last removal"
            return 1
        fi
        growth=$(( (rss1 - rss0) / (HOTPLUG_CYCLES - 1) ))
        from=first
        if [ "$HOTPLUG_CYCLES" -ge 6 ]; then
            from=third
            [ -n "$rss3" ] || { echo "the VMM's RSS was not read after the third removal"; return 1; }
            growth=$(( (rss1 - rss3) / (HOTPLUG_CYCLES - 3) ))
            [ "$growth" -le "$RSS_BOUND" ] || {
                echo "the VMM's RSS grew by $growth KiB per cycle from the third removal to the last ($rss3 to $rss1 KiB; bound $RSS_BOUND)"
                return 1; }
        fi
        echo "$HOTPLUG_CYCLES unplug/plug cycles, data checked each time, the vIOMMU freed at each removal and allocated at each add; kmemleak: $KMEMLEAK; VMM RSS $rss0 KiB after the first removal, $rss3 after the third, $rss1 after the last: ${growth} KiB per cycle from the $from (bound $RSS_BOUND, from the third)"
        ;;
    reboot-loop)
        local n
        grep -q '^E2E-REBOOT-FAIL' "$log" && { grep -m1 '^E2E-REBOOT-FAIL' "$log"; return 1; }
        for n in $(seq 0 "$REBOOT_CYCLES"); do
            grep -q "^E2E-REBOOT boot $n: data checked" "$log" || { echo "boot $n: no data check"; return 1; }
        done
        got=$(sed -n 's/^ *E2E-L2-READ sha256=//p' "$log" | sort -u)
        [ "$got" = "$(pattern known $((KNOWN_KIB * 1024 / 16)) | sha256sum | cut -d' ' -f1)" ] ||
            { echo "the guest read wrong data at some boot"; return 1; }
        grep -q '^E2E-REBOOT moved the device to root port rp1' "$log" || { echo "the device was not moved"; return 1; }
        # After the move its StreamID is bus 2's: a vDEVICE and a stage 1 for it
        grep -q 'iommufd_backend_alloc_vdev .*virt_id=0x200 .*(0)$' "$log" &&
            grep -q 'smmuv3_accel_install SID 0x200: .*(stage 1)' "$log" ||
            { echo "no vDEVICE and stage-1 STE for the new StreamID 0x200 after the move"; return 1; }
        kmemleak_verdict "$log" || return 1
        # The RSS of the last boot but one: at the last, the guest powers
        # off as soon as it has checked the data, and the VMM may be gone
        # by the time L1 reads its RSS
        local last=$((REBOOT_CYCLES - 1))
        rss0=$(sed -n 's/^E2E-REBOOT boot 1: .*RSS \([0-9][0-9]*\) KiB.*/\1/p' "$log")
        rss1=$(sed -n "s/^E2E-REBOOT boot $last: .*RSS \([0-9][0-9]*\) KiB.*/\1/p" "$log")
        [ -n "$rss0" ] && [ -n "$rss1" ] ||
            { echo "the VMM's RSS was not read at boot 1 or boot $last"; return 1; }
        echo "$((REBOOT_CYCLES + 1)) boots ($((REBOOT_CYCLES / 2)) guest reboots, $(((REBOOT_CYCLES + 1) / 2)) system_resets), data checked at each; the device moved to another bus (StreamID 0x100 to 0x200) across a reset and translated there; kmemleak: $KMEMLEAK; VMM RSS $rss0 KiB at boot 1, $rss1 KiB at boot $last"
        ;;
    fault-injection)
        # What each injected failure must lead to
        local spec want line summary=""
        grep -q '^E2E-FAULT-DONE vmm=running' "$log" || { echo "the fault injection did not finish with the VMM running: $(grep '^E2E-FAULT' "$log" | grep -v ' plug=' | head -n 1)"; return 1; }
        grep -q '^E2E-FAULT-AFTER plug=ok' "$log" || { echo "the device did not work again after the faults"; return 1; }
        for spec in $FAULTS; do
            case "$spec" in
            viommu-alloc:*|hwpt-alloc:[123]|hwpt-attach:1) want="plug=refused guest=- vmm=running left=[]" ;;
            hwpt-alloc:4|vdevice-alloc:*|hwpt-attach:3) want="plug=ok guest=fail vmm=running left=[]" ;;
            *) want="plug=ok guest=ok vmm=running left=[]" ;;
            esac
            line=$(grep "^E2E-FAULT $spec " "$log")
            case "$line" in
            "E2E-FAULT $spec $want"*) ;;
            *) echo "$spec: expected '$want', got '${line:-nothing}'"; return 1 ;;
            esac
            summary="$summary $spec:$(echo "$line" | sed 's/.* plug=\([a-z]*\) guest=\([a-z-]*\).*/\1\/\2/')"
        done
        # The architected answers: C_BAD_STE for a stage 1 the host refused,
        # the broader invalidation when the host refused one
        grep -q 'L2-VMM-LOG: .*the host refused the STE of SID' "$log" &&
            grep -q 'event 0x04 received' "$log" ||
            { echo "no C_BAD_STE for the refused stage 1 in the guest, or no log of it in the VMM"; return 1; }
        grep -q 'L2-VMM-LOG: .*carried out more broadly instead' "$log" ||
            { echo "the refused invalidation was not carried out more broadly"; return 1; }
        echo "$(echo $FAULTS | wc -w) call sites failed once each, QEMU kept running, nothing left in the host after each removal:$summary"
        ;;
    hostile)
        # The guest's verdict on every case, then what the VMM logged about
        # the illegal STEs and commands, and that it outlived them.
        local rc c line done_line want nste ncmd sid hostevt
        rc=$(sed -n 's/^E2E-L2-QEMU-EXIT //p' "$log")
        [ "$rc" = 0 ] || { echo "L2 QEMU exit '$rc', expected 0 after the hostile guest powered off"; return 1; }
        for c in $HOSTILE_CASES; do
            line=$(grep -m1 -E "^ *E2E-HOSTILE (PASS|FAIL|SKIP) $c:" "$log" | sed 's/^ *E2E-HOSTILE //')
            case "$line" in
            "PASS $c:"*) ;;
            "") line=$(grep -m1 '^ *E2E-HOSTILE FAIL setup:' "$log" | sed 's/^ *E2E-HOSTILE //')
                echo "the hostile guest printed no verdict for $c${line:+ ($line)}"; return 1 ;;
            *) echo "hostile guest: $(echo "$line" | cut -c1-300)"; return 1 ;;
            esac
        done
        done_line=$(sed -n 's/^ *E2E-HOSTILE-DONE //p' "$log")
        [ "$done_line" = "$(echo "$HOSTILE_CASES" | wc -w) 0" ] ||
            { echo "hostile guest summary '$done_line', expected $(echo "$HOSTILE_CASES" | wc -w) passed, 0 failed"; return 1; }
        grep -q '^ *E2E-L2-DONE ok' "$log" || { echo "L2 did not finish"; return 1; }
        for want in "${HOSTILE_LOGGED[@]}"; do
            grep -q "^L2-VMM-LOG: .*$want" "$log" ||
                { echo "the L2 VMM did not log '$want' (-d guest_errors)"; return 1; }
        done
        # host-fault-event: the host's fault came through the VMM's vEVENTQ
        # (trace smmuv3_accel_event), for the NVMe's StreamID.
        sid=$(sed -n 's/^ *E2E-HOSTILE INFO .*, StreamID \(0x[0-9a-f]*\)$/\1/p' "$log" | head -n 1)
        hostevt=$(grep -m1 -o "^L2-VMM-LOG: .*smmuv3_accel_event host event 0x[0-9a-f]* for SID ${sid:-none}\$" "$log" |
                  sed 's/.*smmuv3_accel_event //')
        [ -n "$sid" ] && [ -n "$hostevt" ] ||
            { echo "the L2 VMM did not trace 'smmuv3_accel_event host event 0x.. for SID ${sid:-?}': the host's fault did not come through its vEVENTQ"; return 1; }
        nste=$(grep -c '^L2-VMM-LOG: .*illegal STE for SID' "$log")
        ncmd=$(grep -c '^L2-VMM-LOG: .*illegal command .* with accel=on' "$log")
        echo "hostile guest: all $(echo "$HOSTILE_CASES" | wc -w) cases passed (C_BAD_STE for ILLEGAL STEs, CERROR_ILL and recovery for illegal commands, legal STEs quiet, the host's fault for the NVMe's DMA in the guest's event queue); the VMM logged $nste illegal STEs and $ncmd illegal commands, forwarded the $hostevt, and exited 0"
        ;;
    accel-*)
        # The data checks, then what the accelerated SMMU did, from its
        # trace events: which HWPTs the guest's STEs became, and how many
        # guest commands each host invalidation call carried.
        EXPECT=data check "$name" "$d" > "$d/data-result" ||
            { cat "$d/data-result"; return 1; }
        local s1 byp calls cmds
        s1=$(grep -c 'smmuv3_accel_install .*(stage 1)' "$log")
        byp=$(grep -c 'smmuv3_accel_install .*(bypass)' "$log")
        calls=$(grep -c 'smmuv3_accel_invalidate ' "$log")
        cmds=$(sed -n 's/.*smmuv3_accel_invalidate .*: \([0-9]*\) commands in one call.*/\1/p' "$log" |
               awk '{ n += $1 } END { print n + 0 }')
        local stats="stage-1 STE installs $s1, bypass installs $byp, $cmds commands in $calls host calls"
        case "$EXPECT" in
        accel-passthrough)
            [ "$byp" -ge 1 ] && [ "$s1" = 0 ] ||
                { echo "expected the guest's bypass STE only: $stats"; return 1; } ;;
        accel-strict)
            [ "$s1" -ge 1 ] && [ "$calls" -ge 1 ] && [ "$cmds" -gt "$calls" ] ||
                { echo "expected stage-1 STEs and batched invalidations (more commands than host calls): $stats"; return 1; } ;;
        accel-lazy)
            # Linux's lazy mode batches in the guest: one ASID invalidation
            # per flush of its queue.
            [ "$s1" -ge 1 ] && [ "$calls" -ge 1 ] ||
                { echo "expected stage-1 STEs and forwarded invalidations: $stats"; return 1; }
            # "auto" took the host's features.
            grep -q 'smmuv3_accel_features .*: ril=0 ats=0 oas=44 ssidsize=0$' "$log" ||
                { echo "the auto features are not the host's (ril=0 ats=0 oas=44 ssidsize=0): $(grep -m1 -o 'smmuv3_accel_features.*' "$log")"; return 1; }
            stats="$stats; auto features from the host: $(grep -m1 -o 'ril=0 ats=.*' "$log")" ;;
        esac
        echo "$(cat "$d/data-result"); nested: $stats"
        ;;
    data | data-corrupt)
        want_known=$(pattern known $((KNOWN_KIB * 1024 / 16)) | sha256sum | cut -d' ' -f1)
        want_pat=$(pattern "$name" 4096 | sha256sum | cut -d' ' -f1)
        # Every boot of L2 (a rebooting scenario has two) must read the same.
        got=$(sed -n 's/^ *E2E-L2-READ sha256=//p' "$log" | tr -d '\r' | sort -u)
        wrote=$(sed -n 's/^ *E2E-L2-WROTE sha256=\([0-9a-f]*\) .*/\1/p' "$log" | tr -d '\r' | sort -u)
        back=$(dd if="$d/disk.img" bs=1024 skip=$PAT_OFF_KIB count=64 status=none | sha256sum | cut -d' ' -f1)
        [ -n "$got" ] || { echo "L2 printed no read result"; return 1; }
        if [ "$EXPECT" = data-corrupt ]; then
            [ "$got" != "$want_known" ] || { echo "corrupted image read as intact: the read check cannot fail"; return 1; }
            echo "corruption of the image was detected by the L2 read check"
            return 0
        fi
        [ "$got" = "$want_known" ] || { echo "L2 read wrong data from the NVMe (sha256 $got, want $want_known)"; return 1; }
        [ "$wrote" = "$want_pat" ] || { echo "L2 generated a different pattern ($wrote)"; return 1; }
        [ "$back" = "$want_pat" ] || { echo "the disk image does not hold L2's pattern after the run"; return 1; }
        grep -q '^ *E2E-L2-DONE ok' "$log" || { echo "L2 did not finish its checks"; return 1; }
        case "$L2_APPEND" in
        *e2e.reboot=1*)
            grep -q '^ *E2E-L2-REBOOT-OK' "$log" ||
                { echo "L2 did not come back from its reboot"; return 1; }
            echo "L2 read 1 MiB of known data and wrote 64 KiB that L0's disk image holds, before and after a reboot"
            return 0 ;;
        esac
        echo "L2 read 1 MiB of known data and wrote 64 KiB that L0's disk image holds"
        ;;
    esac
}

run_scenario() {
    local name=$1 d=$LOGS/$1 t0 reason
    scenario_def "$name" || { echo "FAIL $name (unknown scenario)"; return 1; }
    if [ "$NEEDS" = accel ] && ! series_has_accel; then
        echo "SKIP $name (arm-smmuv3,accel=on is not in the series yet)"
        return 0
    fi
    rm -rf "$d" && mkdir -p "$d"
    make_disk "$d/disk.img" $([ "$EXPECT" = data-corrupt ] && echo corrupt)
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
    if [ "$L0_LVDISK" = 1 ]; then
        # libvirt's root file system: L1 writes to it, L0 keeps the cached
        # image as it is (snapshot=on)
        cmd+=(-drive if=none,id=lvroot,file="$LVIMG",format=raw,snapshot=on
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
    if [ $verbose = 1 ]; then
        "${cmd[@]}" < /dev/null 2>&1 | tee "$d/console.log" >&2
    else
        "${cmd[@]}" < /dev/null > "$d/console.log" 2>&1
    fi
    [ "${PIPESTATUS[0]}" = 124 ] && touch "$d/timeout"
    tr -d '\r' < "$d/console.log" > "$d/console.tmp" && mv "$d/console.tmp" "$d/console.log"
    reason=$(check "$name" "$d")
    local rc=$? secs=$(($(date +%s) - t0))
    echo "$reason" > "$d/result"
    if [ $rc = 0 ]; then
        echo "PASS $name (${secs}s): $reason"
    else
        echo "FAIL $name (${secs}s): $reason; logs in ${d#"$TOP"/}/"
    fi
    return $rc
}

prepare
fail=0
for s in $scenarios; do
    run_scenario "$s" || fail=1
done
exit $fail

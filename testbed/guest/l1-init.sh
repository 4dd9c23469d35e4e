#!/bin/sh
# /init of L1: a real Linux host on L0's emulated SMMUv3.  It binds the NVMe
# behind that SMMU to vfio-pci and runs what the scenario asks for: the host
# readiness probe, or our QEMU (KVM) as the VMM of an L2 guest.  Everything it
# learns is printed as E2E-* lines that the scenario's verdict checks.
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /tmp
mount -t tmpfs tmp /tmp

. /l2/l1-lib.sh
finish() { sync; echo "E2E-L1-DONE"; poweroff -f; sleep 5; }

scenario=$(param e2e.scenario)
say "kernel $(uname -r); scenario $scenario"
dmesg | grep -iE 'arm-smmu-v3.*(features|option|stage|nest|ias|oas)|kvm \[|cmdqv' | grep -v 'command line' | head -n 12 | sed 's/^/L1: dmesg: /'
# The SMMU's companion CMDQV, when L0 has one and the kernel took it
grep -i cmdqv /proc/interrupts | sed 's/  */ /g; s/^/L1: interrupt: /'

# kmemleak (kmemleak=on, the lifecycle scenarios): kmemleak_report scans
# once the loop is done; no automatic scan (every 10 minutes) in the middle
# of a loop whose steps have time limits.
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
[ -e /sys/kernel/debug/kmemleak ] && echo scan=off 2>/dev/null > /sys/kernel/debug/kmemleak

# Every NVMe controller goes to vfio-pci; the first is the one the probe
# and most scenarios use.
bdfs=
for d in /sys/bus/pci/devices/*; do
    [ "$(cat "$d/class")" = 0x010802 ] && bdfs="$bdfs ${d##*/}"
done
bdfs=${bdfs# }
bdf=${bdfs%% *}
[ -n "$bdf" ] || { say "no NVMe controller found"; echo "E2E-L1-ERROR no-nvme"; finish; }
for b in $bdfs; do
    say "NVMe controller $b, iommu group $(readlink /sys/bus/pci/devices/$b/iommu_group | sed 's|.*/||')"
    # Give the device to vfio-pci.
    sysdev=/sys/bus/pci/devices/$b
    [ -e "$sysdev/driver" ] && echo "$b" > "$sysdev/driver/unbind"
    echo vfio-pci > "$sysdev/driver_override"
    echo "$b" > /sys/bus/pci/drivers_probe
    drv=$(readlink "$sysdev/driver" | sed 's|.*/||')
    cdev=$(ls "$sysdev/vfio-dev" 2>/dev/null | head -n 1)
    say "$b: driver $drv, vfio cdev /dev/vfio/devices/$cdev, /dev/iommu $(test -c /dev/iommu && echo present || echo MISSING), /dev/kvm $(test -c /dev/kvm && echo present || echo MISSING)"
    [ "$drv" = vfio-pci ] && [ -n "$cdev" ] || { echo "E2E-L1-ERROR vfio-bind"; finish; }
done

# The scenario (testbed/scenarios/<scenario>.sh) may have steps of its own,
# l1_steps; any other starts one L2 guest on our QEMU.  /l2/args.d/<scenario>
# holds the scenario's QEMU arguments (written by run.sh), e2e.l2append its
# kernel parameters, with commas for spaces.  The scenario's arguments (a
# vIOMMU) come before the vfio-pci device: QEMU puts a PCI device behind an
# IOMMU only if the IOMMU was created first.
. "/l2/scenarios/$scenario.sh"
if type l1_steps >/dev/null 2>&1; then
    l1_steps
    finish
fi

# A guest that is to reboot (e2e.reboot=1) may; any other reboot (a panic)
# ends the VMM.
noreboot=-no-reboot
param e2e.l2append | grep -q 'e2e.reboot=1' && noreboot=
set -f
# shellcheck disable=SC2046
set -- $(l2_args)
set +f
say "starting L2: qemu-system-aarch64 -M virt -accel kvm $(l2_boot_args) $*"
l2_start $noreboot "$@"
l2_end
finish

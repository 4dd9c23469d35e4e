# shellcheck shell=sh
# libvirt-accel-cmdqv: libvirt-accel with <driver ... cmdqv='on'/>, on a
# host SMMU with a CMDQV (L0's emulated one): libvirt gives the vSMMU
# cmdqv=on, and the guest is accel-cmdqv's: L2's kernel finds its CMDQV
# in the DSDT, the host's VINTF page is mapped into L2, L0's CMDQV runs
# L2's TLB invalidations from L2's queues with none trapped into L2's
# QEMU; virsh destroy leaves nothing behind.

. "${SCENARIOS:-/l2/scenarios}/libvirt-accel.sh"

settings() {
    # (cmdqv:on added to any attributes given for a run)
    E2E_LV_IOMMU=${E2E_LV_IOMMU:-accel:on,ril:off},cmdqv:on
    libvirt_settings
    L0_SMMU="stage=nested,s2fwb=on,x-tegra241-cmdqv=on"
    L0_TRACE=$CMDQV_TRACE
}

verdict() {
    local out
    grep -q '^E2E-LIBVIRT-QEMU arg .*"driver":"arm-smmuv3".*"cmdqv":"on"' "$log" ||
        { echo "libvirt did not give the vSMMU cmdqv=on: $(grep -m1 '^E2E-LIBVIRT-QEMU arg .*arm-smmuv3' "$log")"; return 1; }
    out=$(verdict_libvirt verdict_accel_cmdqv) || { echo "$out"; return 1; }
    echo "libvirt gave the vSMMU cmdqv=on; $out"
}

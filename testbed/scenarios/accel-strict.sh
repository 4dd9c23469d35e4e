# shellcheck shell=sh
# accel-strict: L2 translated by the accelerated vSMMU, strict invalidation
# (iommu.strict=1) and ril=off, so that the guest invalidates page by page,
# several commands per CMD_SYNC: one host call each (batching).  L2
# reboots once and checks the data again.

settings() {
    NEEDS=accel
    L2FW=uefi
    # Traces and guest errors go to a file that L1 prints after L2 ends, so
    # that they do not mix with L2's console lines.
    L2_ARGS="-device arm-smmuv3,primary-bus=pcie.0,accel=on,ril=off -trace smmuv3_accel_* -d guest_errors -D /tmp/l2-qemu.log"
    L2_APPEND="iommu.strict=1 e2e.reboot=1"
}

verdict() { verdict_accel strict; }

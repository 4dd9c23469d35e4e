# shellcheck shell=sh
# accel-passthrough: the guest's SMMU driver in passthrough
# (iommu.passthrough=1): bypass STEs, the host's stage 2 only.

settings() {
    NEEDS=accel
    L2FW=uefi
    L2_ARGS="-device arm-smmuv3,primary-bus=pcie.0,accel=on -trace smmuv3_accel_* -d guest_errors -D /tmp/l2-qemu.log"
    L2_APPEND="iommu.passthrough=1"
}

verdict() { verdict_accel passthrough; }

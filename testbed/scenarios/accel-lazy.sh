# shellcheck shell=sh
# accel-lazy: lazy invalidation (iommu.strict=0); L0's SMMU has no range
# invalidation, and the host-dependent features are "auto": the guest must
# see the host's (RIL off, no ATS, 44-bit OAS, no SubstreamIDs).

settings() {
    NEEDS=accel
    L2FW=uefi
    L0_SMMU="$L0_SMMU,ril=off"
    L2_ARGS="-device arm-smmuv3,primary-bus=pcie.0,accel=on,ril=auto,ats=auto,oas=auto,ssidsize=auto -trace smmuv3_accel_* -d guest_errors -D /tmp/l2-qemu.log"
    L2_APPEND="iommu.strict=0"
}

verdict() { verdict_accel lazy; }

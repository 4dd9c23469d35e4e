# shellcheck shell=sh
# accel-host-lacks-ril: ril=on on a host SMMU without range invalidation:
# QEMU must refuse the device and say how to fix it.

settings() {
    refusal "-device arm-smmuv3,primary-bus=pcie.0,accel=on,ril=on" \
        "lacks range invalidation (IDR3.RIL)"
    L0_SMMU="$L0_SMMU,ril=off"
}


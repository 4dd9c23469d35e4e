# shellcheck shell=sh
# accel-host-lacks-oas48: an explicit oas=48 on a 44-bit host SMMU:
# refused, with the fix.

settings() {
    refusal "-device arm-smmuv3,primary-bus=pcie.0,accel=on,oas=48" \
        "host SMMUv3 output addresses are 44 bits (IDR5.OAS), fewer than the 48 of the vSMMU"
}


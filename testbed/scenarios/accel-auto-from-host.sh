# shellcheck shell=sh
# accel-auto-from-host: L0's SMMU has a 48-bit OAS (a testbed-only patch,
# testbed/l0-patches/), unlike the emulated SMMU's 44: "auto" (the default)
# must give the guest 48 bits.

settings() {
    NEEDS=accel
    L2FW=uefi
    L0_SMMU="$L0_SMMU,oas=48"
    L2_ARGS="-device arm-smmuv3,primary-bus=pcie.0,accel=on -trace smmuv3_accel_features -D /tmp/l2-qemu.log"
}

verdict() {
    verdict_data > "$d/data-result" ||
        { cat "$d/data-result"; return 1; }
    grep -q 'smmuv3_accel_features .*: ril=1 ats=0 oas=48 ssidsize=0$' "$log" ||
        { echo "auto did not take the host's 48-bit OAS: $(grep -m1 -o 'smmuv3_accel_features.*' "$log")"; return 1; }
    grep -q '^ *\[.*arm-smmu-v3 arm-smmu-v3.0.auto: oas 48-bit' "$log" ||
        { echo "the guest's SMMU driver does not report a 48-bit OAS"; return 1; }
    echo "$(cat "$d/data-result"); auto features from the host: $(grep -m1 -o 'ril=1 ats=0 oas=48 ssidsize=0' "$log"); the guest's driver: $(grep -m1 -o 'oas 48-bit' "$log")"
}

# shellcheck shell=sh
# accel-cmdqv-host-lacks: cmdqv=on on a host SMMU without a Tegra241 CMDQV
# (L0's SMMU as in every other scenario): QEMU must refuse the device,
# name it, and say what would work.

settings() {
    refusal "-device arm-smmuv3,primary-bus=pcie.0,accel=on,cmdqv=on" \
        "has no Tegra241 CMDQV that the guest's can use"
}

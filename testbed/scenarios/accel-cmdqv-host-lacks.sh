# shellcheck shell=sh
# accel-cmdqv-host-lacks: cmdqv=on on a host SMMU without a Tegra241 CMDQV
# (L0's default SMMU, without x-tegra241-cmdqv): QEMU must refuse the
# device, naming it.

settings() {
    refusal "-device arm-smmuv3,primary-bus=pcie.0,accel=on,cmdqv=on" \
        "has no Tegra241 CMDQV that the guest's can use"
}

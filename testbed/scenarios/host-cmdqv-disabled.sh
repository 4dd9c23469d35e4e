# shellcheck shell=sh
# host-cmdqv-disabled: as host-cmdqv, with L1 booted with
# arm_smmu_v3.disable_cmdqv=1: the kernel leaves the CMDQV alone and every
# command goes to the SMMU's own command queue.

settings() {
    L0_SMMU="stage=nested,s2fwb=on,x-tegra241-cmdqv=on"
    L0_TRACE=$CMDQV_TRACE
    L1_APPEND="arm_smmu_v3.disable_cmdqv=1"
}

verdict() { verdict_cmdqv off; }

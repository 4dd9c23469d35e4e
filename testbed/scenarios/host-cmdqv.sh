# shellcheck shell=sh
# host-cmdqv: L0's SMMU has an emulated Tegra241 CMDQV (a testbed patch,
# arm-smmuv3,x-tegra241-cmdqv=on): L1's kernel finds it in the device tree
# and runs its own commands on VINTF0's virtual command queues, L2 reads
# and writes the NVMe passed through (no vIOMMU); L0's trace shows which
# queue took every command.

settings() {
    L0_SMMU="stage=nested,s2fwb=on,x-tegra241-cmdqv=on"
    L0_TRACE=$CMDQV_TRACE
}

verdict() { verdict_cmdqv on; }

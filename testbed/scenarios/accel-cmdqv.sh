# shellcheck shell=sh
# accel-cmdqv: L0's SMMU has an emulated Tegra241 CMDQV, so L1's host SMMU
# has one; L2's vSMMU has cmdqv=on: L2's kernel finds its CMDQV in the
# DSDT (NVDA200C) and puts its TLB invalidations on the CMDQV's queues,
# whose page 0 is the host VINTF's, mapped into L2: L0's CMDQV runs them
# from L2's memory without L2's QEMU.  Strict invalidation; L2 reboots
# once and checks the data again.

settings() { cmdqv_settings; }

# cmdqv_settings: the settings of a cmdqv=on run (accel-cmdqv-lazy changes
# the guest's invalidation)
cmdqv_settings() {
    NEEDS=accel
    L2FW=uefi
    L0_SMMU="stage=nested,s2fwb=on,x-tegra241-cmdqv=on"
    L0_TRACE=$CMDQV_TRACE
    L2_ARGS="-device arm-smmuv3,primary-bus=pcie.0,accel=on,cmdqv=on -trace smmuv3_accel_* -trace smmuv3_cmdq_opcode -trace vfio_listener_region_add_ram -trace vfio_listener_region_skip -d guest_errors -D /tmp/l2-qemu.log"
    L2_APPEND="iommu.strict=1 e2e.reboot=1"
}

verdict() { verdict_accel_cmdqv; }

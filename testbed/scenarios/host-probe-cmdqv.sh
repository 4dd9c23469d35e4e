# shellcheck shell=sh
# host-probe-cmdqv: L0's SMMU with its emulated Tegra241 CMDQV: the probe's
# cmdqv steps allocate a VINTF (a vIOMMU of type TEGRA241_CMDQV) in L1, map
# its page 0, allocate a queue, have TLBI_NH_VA + CMD_SYNC consumed without
# a VMM (L0's trace: with the VINTF's VMID, not the one the probe wrote),
# and check the filter that makes a VINTF safe to give a guest: a CFGI_STE
# and an undefined command stop the queue with CERROR_ILL and a vEVENT,
# and the queue goes on after the guest's acknowledgement.

settings() {
    L0_SMMU="stage=nested,s2fwb=on,x-tegra241-cmdqv=on"
    L0_TRACE=$CMDQV_TRACE
}

verdict() {
    local rc step
    rc=$(sed -n 's/^E2E-PROBE-EXIT //p' "$log" | tr -d '\r')
    [ "$rc" = 0 ] || { echo "probe exit $rc: $(grep -m1 '^RESULT' "$log")"; return 1; }
    for step in viommu cmdqv-vintf cmdqv-queue cmdqv-filter; do
        grep -q "^PASS $step:" "$log" ||
            { echo "probe did not pass step $step: $(grep -m1 "^[A-Z]* $step:" "$log" | cut -c1-200)"; return 1; }
    done
    grep -q '^CMDQV: READY for cmdqv=on' "$log" ||
        { echo "probe did not say READY for cmdqv=on"; return 1; }
    # In L0: a guest VINTF (HYP_OWN=0) executed the TLBI_NH_VA with its own
    # VMID, not the one the probe wrote (0xffff), and stopped at exactly
    # the two commands the probe's filter step issues
    local t=$d/l0-trace.log v vmid w1 errs
    v=$(sed -n 's/.*tegra241_vintf_config VINTF\([1-9]\) enabled=1 hyp_own=0 vmid=\([0-9]*\).*/\1 \2/p' "$t" | tail -n 1)
    [ -n "$v" ] || { echo "L0 saw no guest VINTF enabled"; return 1; }
    vmid=${v#* }
    w1=$(sed -n "s/.*tegra241_vcmdq_cmd VINTF${v%% *} .*SMMU_CMD_TLBI_NH_VA word1=\(0x[0-9a-f]*\).*/\1/p" "$t" | head -n 1)
    [ -n "$w1" ] || { echo "L0 saw no TLBI_NH_VA executed on VINTF${v%% *}'s queue"; return 1; }
    [ $((w1 & 0xffff)) = "$vmid" ] && [ $((w1 >> 16)) = 1 ] ||
        { echo "VINTF${v%% *}'s TLBI_NH_VA ran with word 1 $w1, not ASID 1 and the VINTF's VMID $vmid"; return 1; }
    errs=$(grep -c "tegra241_vcmdq_error VINTF${v%% *} .*: error 1 " "$t")
    [ "$errs" = 2 ] && [ "$(grep -c 'tegra241_vcmdq_error' "$t")" = 2 ] ||
        { echo "expected the two CERROR_ILL of the filter step on VINTF${v%% *}, L0 traced: $(grep -o 'tegra241_vcmdq_error.*' "$t" | head -n 4 | tr '\n' ' ')"; return 1; }
    echo "probe: $(grep -m1 '^PASS cmdqv-queue:' "$log" | cut -d: -f2- | cut -c2-); $(grep -m1 '^PASS cmdqv-filter:' "$log" | cut -d: -f2- | cut -c2-); L0: VINTF${v%% *} ran the TLBI_NH_VA with its own VMID $vmid and stopped at the two refused commands"
}

# In L1: the probe, on the first NVMe controller (bound to vfio-pci)
l1_steps() {
    /bin/smmuv3-accel-probe "$bdf"
    echo "E2E-PROBE-EXIT $?"
}

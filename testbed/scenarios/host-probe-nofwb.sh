# shellcheck shell=sh
# host-probe-nofwb: L0's SMMU without S2FWB: Linux refuses a vIOMMU, and
# the probe must say so at its viommu step.

settings() {
    L0_SMMU="stage=nested"
}

verdict() {
    local rc
    rc=$(sed -n 's/^E2E-PROBE-EXIT //p' "$log" | tr -d '\r')
    [ "$rc" = 1 ] || { echo "probe exit '$rc', expected 1 without S2FWB"; return 1; }
    grep -q '^FAIL viommu:.*S2FWB' "$log" ||
        { echo "probe did not name the missing S2FWB at the viommu step"; return 1; }
    echo "probe refused as expected: $(grep -m1 '^FAIL viommu' "$log" | cut -c1-110)"
}

# In L1: the probe, on the first NVMe controller (bound to vfio-pci)
l1_steps() {
    /bin/smmuv3-accel-probe "$bdf"
    echo "E2E-PROBE-EXIT $?"
}

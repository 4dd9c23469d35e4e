# shellcheck shell=sh
# host-probe: is L1 ready for arm-smmuv3,accel=on?  L1 runs the probe
# (tools/smmuv3-accel-probe) on the NVMe bound to vfio-pci; every iommufd
# step the accelerated vSMMU needs must pass; L0's SMMU has no CMDQV, so
# the cmdqv steps must say so and skip.

settings() {
    : # the runner's defaults: L0's SMMU nested, with S2FWB
}

verdict() {
    local rc steps
    rc=$(sed -n 's/^E2E-PROBE-EXIT //p' "$log" | tr -d '\r')
    [ "$rc" = 0 ] || { echo "probe exit $rc: $(grep -m1 '^RESULT' "$log")"; return 1; }
    for steps in iommufd vfio-cdev hw-info ioas nest-parent viommu vdevice \
                 nested-abort nested-bypass attach nested-s1 invalidate veventq; do
        grep -q "^PASS $steps:" "$log" || { echo "probe did not pass step $steps"; return 1; }
    done
    grep -q '^SKIP cmdqv-vintf: the host SMMU has no Tegra241 CMDQV' "$log" ||
        { echo "probe did not say that the host has no CMDQV"; return 1; }
    grep -q '^CMDQV: none usable here' "$log" ||
        { echo "probe's CMDQV result is not 'none usable here'"; return 1; }
    echo "probe: every step passed, $(grep -m1 '^RESULT' "$log" | tr -d '\r')"
}

# In L1: the probe, on the first NVMe controller (bound to vfio-pci)
l1_steps() {
    /bin/smmuv3-accel-probe "$bdf"
    echo "E2E-PROBE-EXIT $?"
}

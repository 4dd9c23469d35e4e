# shellcheck shell=sh
# accel-cmdqv-lazy: accel-cmdqv with lazy invalidation (iommu.strict=0):
# L2's batched invalidations (an ASID's at each flush of its queue) go
# to its CMDQV's queues as the strict ones do, none trapped into L2's
# QEMU; no reboot.

. "${SCENARIOS:-/l2/scenarios}/accel-cmdqv.sh"

settings() {
    cmdqv_settings
    L2_APPEND="iommu.strict=0"
}

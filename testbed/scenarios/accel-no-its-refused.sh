# shellcheck shell=sh
# accel-no-its-refused: without an ITS there is no KVM route for the MSIs,
# and QEMU's own MSI delivery would write to the guest's IOVA.

settings() {
    refusal "-M virt,its=off -device arm-smmuv3,primary-bus=pcie.0,accel=on" \
        "its MSIs need a KVM route to a GICv3 ITS"
}


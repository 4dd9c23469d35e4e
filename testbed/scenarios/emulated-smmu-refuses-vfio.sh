# shellcheck shell=sh
# emulated-smmu-refuses-vfio: the gap the series closes: vfio-pci behind
# QEMU's emulated SMMUv3 (no accel=on) is refused by the VFIO core.

settings() {
    L2_ARGS="-device arm-smmuv3,primary-bus=pcie.0"
    REFUSAL="requires iommu MAP notifier"
}

verdict() { verdict_refusal; }

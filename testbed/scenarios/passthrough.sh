# shellcheck shell=sh
# passthrough: the baseline, no vIOMMU in L2: the NVMe passed through with
# vfio-pci and iommufd, L2 reads known data and writes a pattern that L0's
# disk image must hold.

settings() {
    : # no vIOMMU, device tree boot
}

verdict() { verdict_data; }

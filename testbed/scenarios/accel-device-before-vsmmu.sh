# shellcheck shell=sh
# accel-device-before-vsmmu: a vfio-pci device created before the vSMMU
# would never be attached to it: the guest's IOVAs would reach L1's stage 2
# as addresses of guest memory.  Refused.

settings() {
    refusal "@HOSTDEV@ -device arm-smmuv3,primary-bus=pcie.0,accel=on" \
        "is behind it but not managed by it: it was created before the vSMMU"
}


# shellcheck shell=sh
# accel-devicetree-refused: a guest booted with a device tree has no IORT,
# so no RMR for the host's MSI window: the device's MSIs would be lost.

settings() {
    refusal "-device arm-smmuv3,primary-bus=pcie.0,accel=on" \
        "a guest booted with a device tree is not told of the host's MSI window"
    L2FW=dt
}


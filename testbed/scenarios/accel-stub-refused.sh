# shellcheck shell=sh
# accel-stub-refused: the test double of the host (x-accel-host-stub, for qtests)
# completes the guest's commands itself: a host device behind it would get
# none of the guest's invalidations.  Refused.

settings() {
    refusal "-device arm-smmuv3,primary-bus=pcie.0,accel=on,x-accel-host-stub=on" \
        "x-accel-host-stub is for tests without host devices"
}


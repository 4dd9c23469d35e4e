# shellcheck shell=sh
# passthrough-corrupt-image: the data check can fail: one byte of the known
# data is changed in L0's image, and L2's read check must catch it.

settings() {
    CORRUPT=1
}

verdict() { verdict_data corrupt; }

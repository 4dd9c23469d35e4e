#!/bin/bash
# quick.sh BUILDDIR: the series' quick tests that exist in BUILDDIR:
# the unit test of the accelerated SMMUv3's logic and the arm-smmuv3
# qtest (seconds each).  Run after every patch by check.sh.  Fails if
# neither exists only when QUICK_TESTS_REQUIRED=1.
set -euo pipefail
bld=$1
ran=0
if [ -x "$bld/tests/unit/test-smmuv3-accel" ]; then
    echo "quick: tests/unit/test-smmuv3-accel"
    timeout 120 "$bld/tests/unit/test-smmuv3-accel" | grep -E '^(not ok|# )' || true
    [ "${PIPESTATUS[0]}" = 0 ] || { echo "quick: test-smmuv3-accel failed"; exit 1; }
    ran=$((ran + 1))
fi
if [ -x "$bld/tests/qtest/arm-smmuv3-test" ]; then
    echo "quick: tests/qtest/arm-smmuv3-test"
    QTEST_QEMU_BINARY=$bld/qemu-system-aarch64 \
        timeout 600 "$bld/tests/qtest/arm-smmuv3-test" |
        grep -E '^(ok|not ok|# )' || true
    [ "${PIPESTATUS[0]}" = 0 ] || { echo "quick: arm-smmuv3-test failed"; exit 1; }
    ran=$((ran + 1))
fi
echo "quick: $ran test programs passed"
[ "$ran" -gt 0 ] || [ "${QUICK_TESTS_REQUIRED:-0}" = 0 ]

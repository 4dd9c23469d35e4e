#!/bin/bash
# quick.sh BUILDDIR: the series' quick tests that exist in BUILDDIR:
# the unit test of the accelerated SMMUv3's logic and the arm-smmuv3
# qtest (seconds each).  Run after every patch by check.sh.  Fails if
# neither exists only when QUICK_TESTS_REQUIRED=1.  A test program fails
# the run by its exit status (a crash or a timeout too), whatever it
# printed.
set -uo pipefail
bld=$1
ran=0
# quick_test NAME SECONDS CMD...: run it, show its TAP summary lines
quick_test() {
    local name=$1 secs=$2 out rc
    shift 2
    echo "quick: $name"
    out=$(mktemp)
    timeout "$secs" "$@" > "$out" 2>&1
    rc=$?
    grep -E '^(ok|not ok|# )' "$out"
    if [ "$rc" != 0 ]; then
        grep -vE '^(ok|not ok|# )' "$out" | tail -n 20
        rm -f "$out"
        echo "quick: $name failed (exit $rc$([ "$rc" = 124 ] && echo ", timed out after $secs s"))"
        exit 1
    fi
    rm -f "$out"
    ran=$((ran + 1))
}
if [ -x "$bld/tests/unit/test-smmuv3-accel" ]; then
    quick_test test-smmuv3-accel 120 "$bld/tests/unit/test-smmuv3-accel"
fi
if [ -x "$bld/tests/qtest/arm-smmuv3-test" ]; then
    QTEST_QEMU_BINARY=$bld/qemu-system-aarch64 \
        quick_test arm-smmuv3-test 600 "$bld/tests/qtest/arm-smmuv3-test"
fi
echo "quick: $ran test programs passed"
[ "$ran" -gt 0 ] || [ "${QUICK_TESTS_REQUIRED:-0}" = 0 ]

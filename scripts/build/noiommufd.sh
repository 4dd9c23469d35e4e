#!/bin/bash
# noiommufd.sh SRC BUILDDIR: build SRC the way QEMU is built for a host
# without iommufd (CONFIG_IOMMUFD=n, so smmuv3-accel.c is not built and
# arm-smmuv3 has no "accel" property), and run the aarch64 tests of the
# series that must pass there too: the arm-smmuv3 qtest, which must say
# that it skips its accel=on tests, and the SMMUv3 cases of
# bios-tables-test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"
src=$1 bld=$2
# The devices of the series' builds after every patch, without iommufd
# (scripts/build/noiommufd.mak), without optimization, as they are.
BUILD_DEVICES=$TOP/scripts/build/noiommufd.mak BUILD_OPT=0 BUILD_DEBUG_INFO=0 \
BUILD_TARGETS="tests/qtest/arm-smmuv3-test tests/qtest/bios-tables-test
 pc-bios/edk2-aarch64-code.fd pc-bios/edk2-arm-vars.fd" \
    "$TOP/scripts/build/qemu.sh" "$src" "$bld"
if grep -q '^CONFIG_IOMMUFD=y' "$bld/aarch64-softmmu-config-devices.mak"; then
    echo "noiommufd: the build has CONFIG_IOMMUFD=y" >&2
    exit 1
fi
if grep -q '^CONFIG_ARM_SMMUV3_ACCEL=y' "$bld/aarch64-softmmu-config-devices.mak"; then
    echo "noiommufd: the build has CONFIG_ARM_SMMUV3_ACCEL=y" >&2
    exit 1
fi
props=$("$bld/qemu-system-aarch64" -device arm-smmuv3,help 2>&1)
if echo "$props" | grep -q '^ *accel='; then
    echo "noiommufd: arm-smmuv3 has an accel property without iommufd" >&2
    exit 1
fi
echo "noiommufd: arm-smmuv3 has no accel property, as it must"
out=$(QTEST_QEMU_BINARY=$bld/qemu-system-aarch64 \
      timeout 600 "$bld/tests/qtest/arm-smmuv3-test" 2>&1) || {
    echo "$out" | tail -n 20; echo "noiommufd: arm-smmuv3-test failed"; exit 1; }
echo "$out" | grep -E '^(ok|not ok|# )'
if [ -f "$src/hw/arm/smmuv3-accel.c" ]; then
    echo "$out" | grep -q 'its tests are skipped' ||
        { echo "noiommufd: arm-smmuv3-test did not skip its accel=on tests"; exit 1; }
fi
out=$(cd "$bld" && QTEST_QEMU_BINARY=./qemu-system-aarch64 timeout 900 \
      ./tests/qtest/bios-tables-test -p /aarch64/acpi/virt/smmuv3-legacy \
      -p /aarch64/acpi/virt/smmuv3-dev -p /aarch64/acpi/virt/smmuv3-accel 2>&1) || {
    echo "$out" | tail -n 20; echo "noiommufd: bios-tables-test failed"; exit 1; }
echo "$out" | grep -E '^(ok|not ok|# )'
echo "noiommufd: passed"

#!/bin/bash
# l0-qtest.sh: the qtest of the testbed's own patches to L0's QEMU
# (testbed/l0-patches/: the emulated Tegra241 CMDQV), on the L0 QEMU that
# the e2e scenarios boot (testbed/build/l0-qemu.sh builds both).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"
l0=$("$TOP/testbed/build/l0-qemu.sh" | tail -n 1)
dir=$(dirname "$l0")
out=$(QTEST_QEMU_BINARY=$l0 timeout 300 "$dir/tegra241-cmdqv-test" 2>&1) || {
    echo "$out" | tail -n 20; echo "l0-qtest: tegra241-cmdqv-test failed"; exit 1; }
echo "$out" | grep -E '^(ok|not ok)'
echo "$out" | grep -q '^ok ' || { echo "l0-qtest: no test ran"; exit 1; }

#!/bin/bash
# demo.sh: build what is missing and run the most complete end-to-end
# scenario there is, telling a newcomer what each level is and what was shown.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"

hr() { printf '%.0s-' {1..76}; echo; }
narrate() { cat; echo; }
show() { # FILE PATTERN: the matching console lines, trimmed
    grep -E "$2" "$1" | sed 's/^ *//' | cut -c1-110 | sed 's/^/    | /' | head -n "${3:-6}"
}

hr
narrate <<'EOT'
Accelerated SMMUv3 for QEMU: the end-to-end demo.

Three levels run inside each other on this x86_64 machine, with no Arm
hardware:
  L0  our QEMU (the series applied, TCG) emulates an arm64 server with an
      SMMUv3 that can nest stage 1 on stage 2 (stage=nested, s2fwb=on) and
      an NVMe disk behind it;
  L1  a real Linux host on that server: it hands the NVMe to vfio-pci and
      runs our QEMU again, cross-built for arm64, with KVM;
  L2  a real Linux guest whose nvme driver reads and writes the disk by DMA.
EOT
hr
echo "Building what is missing: each step says what it builds and how long"
echo "it takes cold: on an empty cache, about 25 min on a 2-core machine"
echo "(the kernel, QEMU for L0 and for L1); cached, a minute or two."
echo

mkdir -p "$TOP/logs"
buildlog=$TOP/logs/demo-build.log
# The builds' progress lines as they come; the scenarios' verdicts after.
"$TOP/testbed/run.sh" host-probe accel-strict 2>"$buildlog" | tee "$TOP/logs/demo-e2e.log" |
    grep --line-buffered '^e2e: '
rc=${PIPESTATUS[0]}
out=$(grep -E '^(PASS|FAIL|SKIP) ' "$TOP/logs/demo-e2e.log")
if [ "$rc" != 0 ] || [ -z "$out" ] || grep -qv '^PASS ' <<<"$out"; then
    echo "$out"
    tail -n 15 "$buildlog" | sed 's/^/    | /'
    echo "demo: failed; logs are named above (build log: logs/demo-build.log)"
    exit 1
fi
hr
log=$TOP/logs/e2e/host-probe/console.log
narrate <<'EOT'
1. Is the L1 host ready for arm-smmuv3,accel=on?  L1 runs the project's
probe, tools/smmuv3-accel-probe, on the NVMe bound to vfio-pci. It walks
every iommufd step the accelerated vSMMU needs, on the real Linux SMMUv3
driver:
EOT
show "$log" '^(PASS|FAIL|WARN) ' 20
show "$log" '^RESULT' 1
echo
log=$TOP/logs/e2e/accel-strict/console.log
narrate <<'EOT'
2. A guest with the accelerated vSMMU.  L2 sees an SMMUv3
(-device arm-smmuv3,accel=on) and runs its own stage-1 page tables for the
NVMe; L1's SMMU walks them in hardware on top of the stage 2 that QEMU maps
from guest RAM. QEMU only forwards the guest's STEs and invalidations.
EOT
echo "   L1 host:"
show "$log" '^\[.*arm-smmu-v3.*features|^L1: (NVMe|driver|starting)' 5
echo "   L2 guest:"
show "$log" '^  (L2: (kernel|iommu group|found)|\[.*arm-smmu-v3.*features)' 7
show "$log" 'L2: irq' 2
echo
narrate <<'EOT'
3. The data.  L2 read the disk's first MiB with O_DIRECT (every byte a DMA
write of the device into L2's memory) and wrote a 64 KiB pattern (DMA
reads); after L0 exits, the host checks its own copy of the disk image:
EOT
show "$log" 'E2E-L2-(READ|WROTE)' 2
echo
narrate <<'EOT'
4. What QEMU did for it (its trace, printed by L1 after L2 ended): the
guest's stream table entries became nested HWPTs in L1's kernel, and its
invalidations went down through the iommufd vIOMMU, one call per CMD_SYNC:
EOT
show "$log" 'smmuv3_accel_install .*stage 1' 2
show "$log" 'smmuv3_accel_invalidate .*: ([5-9]|[1-9][0-9]+) commands' 3
echo "$out" | sed 's/^/   /'
hr
echo "Logs: logs/e2e/<scenario>/console.log (all three levels). All scenarios:"
echo "make e2e; every test: make check."

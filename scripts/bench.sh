#!/bin/bash
# bench.sh: make bench.  Prints figures, asserts nothing about them (the
# machine is shared and noisy: compare within one run).
#   1. QEMU's own cost per command of the accel=on command queue against a
#      host stub, next to the emulated SMMUv3's (tests/qtest/arm-smmuv3-bench),
#      in nanoseconds and, with valgrind, in instructions (callgrind), which
#      do not depend on the machine's load;
#   2. the testbed's DMA benchmark: one L0 boot, L2 runs with no vIOMMU,
#      accel strict and lazy, virtio-iommu, and accel with ril=off with and
#      without batching (scripts/e2e.sh bench, scripts/bench-table.sh);
#   3. the longest hold of the vCPU and the main loop for a guest that fills
#      its command queue (scripts/e2e.sh bench-flood): the current L2 QEMU
#      and, in the same L0 boot, the older build E2E_FLOOD_OLD (before the
#      bound on one pass over the queue), when it is in the cache.
# E2E_BENCH_REPS (3) and E2E_BENCH_MIB (16) size part 2.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/config.sh"

"$here/deps.sh" bench || exit 1
qemu=$("$here/series-qemu.sh" | tail -n 1) || { echo "bench: building QEMU failed" >&2; exit 1; }
bld=$(dirname "$qemu")
bench=$bld/tests/qtest/arm-smmuv3-bench
mkdir -p "$TOP/logs/bench"

echo "== 1. QEMU's cost per command (accel=on with a host stub, and emulated)"
QTEST_QEMU_BINARY=$qemu timeout 1200 "$bench" 2>/dev/null | grep '^BENCH' |
    tee "$TOP/logs/bench/cmdq.txt"
if command -v valgrind >/dev/null; then
    echo "   instructions per command (callgrind, the queue consumer only):"
    wrap=$TOP/logs/bench/valgrind-qemu.sh
    cat > "$wrap" <<EOT
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file=$TOP/logs/bench/cg.%p \\
    --toggle-collect=smmu_write_mmio --toggle-collect=smmuv3_cmdq_timer $qemu "\$@"
EOT
    chmod +x "$wrap"
    for s in strict-unmap lazy-flush cfgi-all; do
        for m in emulated accel; do
            rm -f "$TOP"/logs/bench/cg.*
            out=$(BENCH_STREAMS=$s BENCH_MODELS=$m QTEST_QEMU_BINARY=$wrap \
                  timeout 1200 "$bench" 2>/dev/null | grep '^BENCH')
            f=$(ls -S "$TOP"/logs/bench/cg.* | head -n 1)
            ir=$(callgrind_annotate "$f" 2>/dev/null | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
            cmds=$(echo "$out" | sed -n 's/.* cmds=\([0-9]*\) .*/\1/p')
            writes=$(echo "$out" | sed -n 's/.* writes=\([0-9]*\) .*/\1/p')
            echo "   $s $m: $((ir / (cmds + writes * 2))) instructions per command"
            eval "ir_${s//-/_}_$m=$((ir / (cmds + writes * 2)))"
        done
        e=$(eval echo "\$ir_${s//-/_}_emulated") a=$(eval echo "\$ir_${s//-/_}_accel")
        echo "   target, accel within 2 x emulated per command ($s): $a vs $e: $([ "$a" -le $((2 * e)) ] && echo met || echo not met)"
    done
    rm -f "$TOP"/logs/bench/cg.*
fi

echo
echo "== 2. DMA through the testbed's passed-through NVMe (L0 TCG, L1 KVM, L2)"
"$here/e2e.sh" bench | grep -E '^(PASS|FAIL|e2e: )'
[ -f "$TOP/logs/e2e/bench/table" ] && cat "$TOP/logs/e2e/bench/table"

echo
echo "== 3. A guest that fills its command queue: the longest hold"
"$here/e2e.sh" bench-flood | grep -E '^(PASS|FAIL)'
[ -f "$TOP/logs/e2e/bench-flood/table" ] && cat "$TOP/logs/e2e/bench-flood/table"

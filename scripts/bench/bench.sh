#!/bin/bash
# bench.sh: make bench.  Prints figures, asserts nothing about them (the
# machine is shared and noisy: compare within one run).
#   1. QEMU's own cost per command of the accel=on command queue against a
#      host stub, next to the emulated SMMUv3's (tests/qtest/arm-smmuv3-bench),
#      in nanoseconds and, with valgrind, in instructions (callgrind), which
#      do not depend on the machine's load;
#   2. the testbed's DMA benchmark: one L0 boot, L2 runs with no vIOMMU,
#      accel strict and lazy, the same with cmdqv=on (L0's emulated CMDQV),
#      virtio-iommu, and accel with ril=off with and without batching
#      (testbed/run.sh bench, scripts/bench/table.sh);
#   3. the longest hold of the vCPU and the main loop for a guest that fills
#      its command queue (testbed/run.sh bench-flood): the current L2 QEMU
#      and, in the same L0 boot, the older build E2E_FLOOD_OLD (before the
#      bound on one pass over the queue), when it is in the cache.
# E2E_BENCH_REPS (3) and E2E_BENCH_MIB (16) size part 2;
# E2E_BENCH_CONFIGS="none accel-cmdqv-strict ..." runs only these of its
# configurations (testbed/lib.sh's BENCH_CONFIGS; none among them).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"

"$TOP/scripts/setup/deps.sh" bench || exit 1
qemu=$("$TOP/scripts/build/series.sh" | tail -n 1) || { echo "bench: building QEMU failed" >&2; exit 1; }
bld=$(dirname "$qemu")
bench=$bld/tests/qtest/arm-smmuv3-bench
mkdir -p "$TOP/logs/bench"

# BENCH_BEFORE=N: part 1 also runs QEMU built from the series' first N
# patches (N at least the number of the patch that adds the benchmark and
# its host stub, "tests/qtest: Add arm-smmuv3-bench"),
# alternating with the current build in the same run, so that what the
# patches after N save is measured side by side.  Both run the current
# build's tests/qtest/arm-smmuv3-bench (only QEMU is built at patch N).
before=
if [ -n "${BENCH_BEFORE:-}" ]; then
    csrc=$BUILD/check/qemu
    total=$(git -C "$csrc" rev-list --count base..series) ||
        { echo "bench: no series in $csrc" >&2; exit 1; }
    first=$(grep -v '^#' "$PATCHES/series" | grep -n 'Add-arm-smmuv3-bench' | cut -d: -f1)
    case $BENCH_BEFORE in
    '' | 0* | *[!0-9]*) ok= ;;
    *) ok=$([ -n "$first" ] && [ "$BENCH_BEFORE" -ge "$first" ] &&
            [ "$BENCH_BEFORE" -lt "$total" ] && echo y) ;;
    esac
    [ -n "$ok" ] || {
        echo "bench: BENCH_BEFORE=$BENCH_BEFORE: give a patch number from ${first:-?} (the benchmark's) to $((total - 1))" >&2
        exit 1
    }
    c=$(git -C "$csrc" rev-list --reverse base..series | sed -n "${BENCH_BEFORE}p")
    bsrc=$BUILD/bench-before/qemu
    if [ "$(git -C "$bsrc" rev-parse HEAD 2>/dev/null)" != "$c" ]; then
        rm -rf "$bsrc"
        git clone -q --no-checkout "$csrc" "$bsrc" && git -C "$bsrc" checkout -q "$c" ||
            { echo "bench: cannot check out patch $BENCH_BEFORE" >&2; exit 1; }
    fi
    # The firmware blobs that the +ds tarball lacks (git ignores them)
    "$TOP/scripts/build/edk2-blobs.sh" "$bsrc" &&
    BUILD_ONLY_QEMU=1 "$TOP/scripts/build/qemu.sh" "$bsrc" "$BUILD/bench-before/build" >&2 ||
        { echo "bench: building QEMU at patch $BENCH_BEFORE failed" >&2; exit 1; }
    before=$BUILD/bench-before/build/qemu-system-aarch64
fi
builds="after"
[ -n "$before" ] && builds="before after"
qemu_of() { if [ "$1" = before ]; then echo "$before"; else echo "$qemu"; fi; }
reps=${BENCH_MICRO_REPS:-3}
case $reps in '' | 0* | *[!0-9]*)
    echo "bench: BENCH_MICRO_REPS=$reps: give a number of runs, 1 or more" >&2; exit 1 ;;
esac

echo "== 1. QEMU's cost per command (accel=on with a host stub, and emulated)"
[ -n "$before" ] && echo "   before: the series up to patch $BENCH_BEFORE; after: all of it"
: > "$TOP/logs/bench/cmdq.txt"
rm -f "$TOP"/logs/bench/cmdq-*.err
for r in $(seq "$reps"); do
    for b in $builds; do
        QTEST_QEMU_BINARY=$(qemu_of "$b") timeout 1200 "$bench" 2>>"$TOP/logs/bench/cmdq-$b.err" |
            grep '^BENCH' | sed "s/^BENCH /BENCH $b /" >> "$TOP/logs/bench/cmdq.txt"
    done
done
# Median and range of ns per command over the repetitions, per build; every
# build must have given every stream and model each time.
awk -v builds="$builds" -v reps="$reps" '$1 == "BENCH" && $3 !~ /^skipped/ {
    k = $3 " " $4; b = $2; v = ""; c = 0; w = 0
    for (i = 5; i <= NF; i++) {
        split($i, kv, "=")
        if (kv[1] == "ns/cmd") v = kv[2]
        if (kv[1] == "cmds") c = kv[2]
        if (kv[1] == "writes") w = kv[2]
    }
    if (v == "") next
    n[k, b]++; x[k, b, n[k, b]] = v; cmds[k] = c; wr[k] = w
    if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
}
function median(k, b,    m, i, j, t, a) {
    m = n[k, b]
    for (i = 1; i <= m; i++) a[i] = x[k, b, i]
    for (i = 2; i <= m; i++)
        for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    lo = a[1]; hi = a[m]
    return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
END {
    nb = split(builds, border, " ")
    if (nk == 0) { print "   no results (see logs/bench/cmdq-*.err)"; exit 1 }
    for (o = 1; o <= nk; o++)
        for (i = 1; i <= nb; i++)
            if (n[order[o], border[i]] != reps) {
                printf "   %s, %s build: %d results of %d (see logs/bench/cmdq-%s.err)\n", order[o], border[i], n[order[o], border[i]], reps, border[i]
                bad = 1
            }
    if (bad) exit 1
    printf "   %-14s %-9s %8s %6s", "stream", "model", "commands", "writes"
    for (i = 1; i <= nb; i++) printf "  %-24s", border[i] " ns/cmd (range)"
    if (nb == 2) printf "  %s", "after/before"
    printf "\n"
    for (o = 1; o <= nk; o++) {
        k = order[o]; split(k, sm, " ")
        printf "   %-14s %-9s %8d %6d", sm[1], sm[2], cmds[k], wr[k]
        for (i = 1; i <= nb; i++) {
            med[i] = median(k, border[i])
            printf "  %-24s", sprintf("%.0f (%d-%d)", med[i], lo, hi)
        }
        if (nb == 2) printf "  %.2f", (med[1] > 0) ? med[2] / med[1] : 0
        printf "\n"
    }
    printf "   (%d runs of each build%s; median and range; every figure in logs/bench/cmdq.txt)\n", reps, (nb == 2) ? ", alternating" : ""
}' "$TOP/logs/bench/cmdq.txt" || { echo "bench: the micro-benchmark gave incomplete results" >&2; exit 1; }
if command -v valgrind >/dev/null; then
    echo "   instructions per command (callgrind, the queue consumer only; independent of the load):"
    for b in $builds; do
        wrap=$TOP/logs/bench/valgrind-qemu-$b.sh
        cat > "$wrap" <<EOT
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file=$TOP/logs/bench/cg.%p \\
    --toggle-collect=smmu_write_mmio --toggle-collect=smmuv3_cmdq_timer $(qemu_of "$b") "\$@"
EOT
        chmod +x "$wrap"
    done
    for s in strict-unmap lazy-flush cfgi-all; do
        for m in emulated accel; do
            line="   $s $m:"
            for b in $builds; do
                rm -f "$TOP"/logs/bench/cg.*
                out=$(BENCH_STREAMS=$s BENCH_MODELS=$m \
                      QTEST_QEMU_BINARY=$TOP/logs/bench/valgrind-qemu-$b.sh \
                      timeout 1200 "$bench" 2>/dev/null | grep '^BENCH')
                f=$(ls -S "$TOP"/logs/bench/cg.* | head -n 1)
                ir=$(callgrind_annotate "$f" 2>/dev/null | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
                cmds=$(echo "$out" | sed -n 's/.* cmds=\([0-9]*\) .*/\1/p')
                writes=$(echo "$out" | sed -n 's/.* writes=\([0-9]*\) .*/\1/p')
                [ -n "$ir" ] && [ "$((${cmds:-0} + 0))" -gt 0 ] || {
                    echo "bench: callgrind gave no figure for $s $m ($b build)" >&2
                    rm -f "$TOP"/logs/bench/cg.*
                    exit 1
                }
                per=$((ir / (cmds + writes * 2)))
                line="$line $b $per"
                eval "ir_${s//-/_}_${m}_$b=$per"
            done
            echo "$line instructions per command"
        done
        e=$(eval echo "\$ir_${s//-/_}_emulated_after") a=$(eval echo "\$ir_${s//-/_}_accel_after")
        echo "   target, accel within 2 x emulated per command ($s): $a vs $e: $([ "$a" -le $((2 * e)) ] && echo met || echo not met)"
    done
    rm -f "$TOP"/logs/bench/cg.*
fi

echo
echo "== 2. DMA through the testbed's passed-through NVMe (L0 TCG, L1 KVM, L2)"
"$TOP/testbed/run.sh" bench | grep -E '^(PASS|FAIL|e2e: )'
[ -f "$TOP/logs/e2e/bench/table" ] && cat "$TOP/logs/e2e/bench/table"

echo
echo "== 3. A guest that fills its command queue: the longest hold"
"$TOP/testbed/run.sh" bench-flood | grep -E '^(PASS|FAIL)'
[ -f "$TOP/logs/e2e/bench-flood/table" ] && cat "$TOP/logs/e2e/bench-flood/table"

# shellcheck shell=sh
# bench-short: make bench's part 2, short, for make check: one run of 2 MiB
# for four workloads in every configuration: every configuration runs and
# verifies its data, and the accelerated ones call the host.

settings() {
    NEEDS=accel
    L2FW=uefi
    LONG=1
    DISK_MIB=64
    L1_APPEND="e2e.bench_configs=$(echo $BENCH_CONFIGS | tr ' ' ,) e2e.bench_reps=1"
    L2_APPEND="e2e.bench=2 e2e.bench_set=short"
}

verdict() {
    # Every configuration ran, every workload verified: the table
    local c n n0 calls
    grep -q '^E2E-BENCH-DONE' "$log" || { echo "the benchmark did not finish"; return 1; }
    grep -q '^E2E-BENCH-FAIL' "$log" && { grep -m1 '^E2E-BENCH-FAIL' "$log"; return 1; }
    # The same workloads in every configuration, and an accelerated
    # vSMMU that called the host (its counters were read)
    n0=$(grep -c "^E2E-BENCH none " "$log")
    for c in $BENCH_CONFIGS; do
        n=$(grep -c "^E2E-BENCH $c " "$log")
        [ "$n" -ge 4 ] && [ "$n" = "$n0" ] ||
            { echo "configuration $c: $n workload runs, none: $n0"; return 1; }
        case $c in accel*)
            calls=$(grep "^E2E-BENCH $c " "$log" | sed 's/.* host-calls=\([0-9-]*\) .*/\1/' | awk '{ t += $1 } END { print t + 0 }')
            [ "${calls:-0}" -gt 0 ] || { echo "configuration $c: no host call counted"; return 1; } ;;
        esac
    done
    grep '^E2E-BENCH ' "$log" | grep -qvE 'verify=(ok|written) ' &&
        { echo "a workload did not verify: $(grep '^E2E-BENCH ' "$log" | grep -vE 'verify=(ok|written) ' | head -n 1)"; return 1; }
    "$TOP/scripts/bench/table.sh" "$log" > "$d/table" || { echo "no table"; return 1; }
    echo "$(grep -c '^E2E-BENCH ' "$log") workloads in $(echo $BENCH_CONFIGS | wc -w) configurations, all verified; table in ${d#"$TOP"/}/table"
}

# In L1: bench's steps
l1_steps() {
    . /l2/scenarios/bench.sh
    l1_steps
}

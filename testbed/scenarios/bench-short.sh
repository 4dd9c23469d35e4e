# shellcheck shell=sh
# bench-short: make bench's part 2, short, for make check: one run of 2 MiB
# for four workloads in every configuration but the cmdqv=on ones (on a
# host SMMU without a CMDQV): every configuration runs and verifies its
# data, and the accelerated ones call the host.

settings() {
    NEEDS=accel
    L2FW=uefi
    LONG=1
    DISK_MIB=64
    L1_APPEND="e2e.bench_configs=$(echo $BENCH_SHORT_CONFIGS | tr ' ' ,) e2e.bench_reps=1"
    L2_APPEND="e2e.bench=2 e2e.bench_set=short"
}

verdict() { verdict_bench "$BENCH_SHORT_CONFIGS"; }

# In L1: bench's steps
l1_steps() {
    . /l2/scenarios/bench.sh
    l1_steps
}

# shellcheck shell=sh
# bench: make bench, part 2: for each L2 configuration (no vIOMMU,
# accel=on strict and lazy, the same with cmdqv=on, virtio-iommu, ril=off
# with and without batching), E2E_BENCH_REPS runs of tools/dmabench's I/O
# workloads on the NVMe, the data verified, with the accelerated vSMMU's
# counters; not in make check (bench-short is, without the CMDQV rows).
# L0's SMMU has an emulated CMDQV for the cmdqv=on rows; L1's kernel keeps
# its own commands on the SMMU's queue (arm_smmu_v3.bypass_vcmdq=1), as
# on a host without a CMDQV, for the others.

settings() {
    IN_CHECK=no
    NEEDS=accel
    L2FW=uefi
    LONG=8
    DISK_MIB=64
    L0_SMMU="stage=nested,s2fwb=on,x-tegra241-cmdqv=on"
    L1_APPEND="arm_smmu_v3.bypass_vcmdq=1 e2e.bench_configs=$(echo $BENCH_CONFIGS | tr ' ' ,) e2e.bench_reps=${E2E_BENCH_REPS:-3}"
    L2_APPEND="e2e.bench=${E2E_BENCH_MIB:-16}"
}

verdict() { verdict_bench "$BENCH_CONFIGS"; }

# In L1 (guest/l1-init.sh calls it, with guest/l1-lib.sh)
l1_steps() {
    # bench (in L1): make bench.  One L0 boot; for each
    # configuration of e2e.bench_configs, e2e.bench_reps L2 runs one after
    # another on the same NVMe, each running the I/O workloads of
    # tools/dmabench (testbed/l2-init.sh, e2e.bench).  After each workload the
    # accelerated vSMMU's counters (QOM, over QMP) and the VMM's CPU time are
    # read: one line per workload for scripts/bench/table.sh,
    #   E2E-BENCH <config> <rep> <DMABENCH line without its prefix> host-calls=<n> cmds=<n>
    #       syncs=<n> cpu-ticks=<n>
    # The configurations' QEMU arguments and L2 kernel parameters are in
    # /l2/args.d/bench-<config>{,.append}.
counter() {
    # Only the accelerated vSMMU (id smmu0) has the counters
    case $config in accel*) ;; *) echo 0; return ;; esac
    vsmmu_counter "$1"
}

snapshot() {
    snap="$(counter accel-host-calls) $(counter accel-cmds-forwarded) $(counter accel-cmd-syncs) $(l2_cpu)"
}

for config in $(param e2e.bench_configs | tr , ' '); do
    for rep in $(seq 1 "$(param e2e.bench_reps)"); do
        set -f
        # shellcheck disable=SC2046
        set -- $(cat "/l2/args.d/bench-$config") $(hostdev "$bdf" nvme0)
        set +f
        L2_EXTRA_APPEND=$(cat "/l2/args.d/bench-$config.append")
        say "bench $config, run $rep: $*"
        l2_start "$@"
        l2_wait E2E-BENCH-BEGIN 1 240 ||
            { echo "E2E-BENCH-FAIL $config $rep: the guest did not start"; l2_end 30; continue; }
        snapshot
        prev=$snap
        n=1
        while l2_wait '^DMABENCH ' "$n" 600; do
            snapshot
            line=$(grep '^DMABENCH ' "$L2OUT" | sed -n "${n}p")
            case "$prev $snap" in
            *"?"*)
                # A counter QMP could not read: no figure rather than 0
                echo "E2E-BENCH-FAIL $config $rep: a counter could not be read over QMP ($prev / $snap)"
                break ;;
            esac
            set -- $prev
            p_calls=$1 p_cmds=$2 p_syncs=$3 p_cpu=$4
            set -- $snap
            echo "E2E-BENCH $config $rep ${line#DMABENCH } host-calls=$(($1 - p_calls)) cmds=$(($2 - p_cmds)) syncs=$(($3 - p_syncs)) cpu-ticks=$(($4 - p_cpu))"
            prev=$snap
            n=$((n + 1))
            grep -q 'E2E-BENCH-END' "$L2OUT" &&
                [ "$(grep -c '^DMABENCH ' "$L2OUT")" -lt "$n" ] && break
        done
        # Every workload the guest ran has its line, and the guest got to
        # its end: a run that stopped part way is a failure, not a short row
        grep -q 'E2E-BENCH-END' "$L2OUT" && [ "$(grep -c '^DMABENCH ' "$L2OUT")" -lt "$n" ] ||
            echo "E2E-BENCH-FAIL $config $rep: the guest's workloads did not all finish ($((n - 1)) reported)"
        l2_end 120
    done
done
echo "E2E-BENCH-DONE"
}

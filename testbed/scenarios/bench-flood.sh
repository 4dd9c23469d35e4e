# shellcheck shell=sh
# bench-flood: make bench, part 3: tools/smmuv3-hostile-guest --flood fills
# the vSMMU's command queue (2^19 TLBI_NH_ALL and CMD_SYNC, the NVMe
# translating through a stage-1 STE) and writes CMDQ_PROD once: how long
# that write holds the vCPU and the BQL, with the current L2 QEMU and an
# older one ($E2E_FLOOD_OLD) in the same L0 boot; not in make check.

settings() {
    IN_CHECK=no
    NEEDS=accel
    L2FW=uefi
    L2_SECS=${E2E_FLOOD_SECS:-600}
    [ -n "$FLOOD_OLD" ] && L0_EXTRA=$L2_SECS
    L1_APPEND="e2e.flood_new=$(basename "$(dirname "$L2QEMU")") e2e.flood_old=$(basename "$(dirname "${FLOOD_OLD:-none/none}")")"
    L2_ARGS="-m 512M,slots=1,maxmem=1G -object memory-backend-ram,id=spare,size=64M -device pc-dimm,memdev=spare,addr=0x80000000 -device arm-smmuv3,primary-bus=pcie.0,id=smmu0,accel=on"
    L2_APPEND="e2e.hostile=1 e2e.flood=1 e2e.spare_ram=0x80000000:0x4000000 initcall_blacklist=arm_smmu_driver_init"
}

verdict() {
    # The figures of the current L2 QEMU at least: a benchmark, no
    # thresholds; the older build's run is reported, whatever it gave.
    local new
    grep -q '^E2E-FLOOD-DONE' "$log" || { echo "the flood benchmark did not finish"; return 1; }
    new=$(grep -m1 '^E2E-FLOOD-RESULT new ' "$log")
    [ -n "$new" ] || { echo "the flood did not run with the current L2 QEMU: $(grep -m1 '^E2E-FLOOD-RUNFAIL new ' "$log" | cut -c1-300)"; return 1; }
    case "$new" in
    *" verdict=flood:PASS,alive:PASS") ;;
    *) echo "the guest's verdict on the flood with the current L2 QEMU: ${new##* verdict=}: $(grep -m1 -E '^ *E2E-HOSTILE FAIL' "$log" | sed 's/^ *//' | cut -c1-300)"; return 1 ;;
    esac
    flood_table "$log" > "$d/table"
    echo "a full command queue ($(flood_field "$new" entries) commands) with one write of CMDQ_PROD: the write held the vCPU $(flood_ms "$(flood_field "$new" prod_write_us)") with the current L2 QEMU (longest read of CMDQ_CONS while it drained $(flood_ms "$(flood_field "$new" longest_read_us)"))$(grep -m1 '^E2E-FLOOD-RESULT old ' "$log" | while read -r l; do echo ", $(flood_ms "$(flood_field "$l" prod_write_us)") with the old one"; done); table in ${d#"$TOP"/}/table"
}

# In L1 (guest/l1-init.sh calls it, with guest/l1-lib.sh)
l1_steps() {
    # bench-flood (in L1): make bench, part 3.  An L2 guest
    # fills its accelerated vSMMU's command queue (smmuv3-hostile-guest --flood,
    # from e2e.flood=1 in L2's kernel parameters) with TLBI_NH_ALL + CMD_SYNC
    # pairs and writes CMDQ_PROD once: how long does that write hold the vCPU,
    # and the BQL, of the L2 VMM?
    #
    # One L2 run with our QEMU (/bin/qemu-system-aarch64, e2e.flood_new names
    # it), traced with smmuv3_cmdq_pass (one line per pass over the queue:
    # commands, host calls, time); then, if run.sh put one in the initramfs, one
    # with an older build (/bin/qemu-system-aarch64-old, e2e.flood_old names it)
    # in the same L1 boot, without the trace (it may not have the event).  The
    # vSMMU's counters (QOM, over QMP) are read when the guest says it is about
    # to write PROD (it then waits 5 s) and when the queue is drained.  One line
    # per run:
    #   E2E-FLOOD-RESULT <label> <binary> <the guest's E2E-FLOOD fields>
    #       host_calls=<n> cmds_forwarded=<n> passes=<n|-> longest_pass_ns=<n|->
    #       longest_pass_cmds=<n|-> longest_pass_calls=<n|-> first_pass_ns=<n|->
    #       passes_total_ns=<n|->
    #       verdict=<the guest's flood and alive verdicts>
    # or "E2E-FLOOD-RUNFAIL <label> <binary>: <why>"; then E2E-FLOOD-DONE.
# flood_passes FIRST LOG: the smmuv3_cmdq_pass lines ("N commands, M host
# calls in T ns") of the trace from line FIRST on, summed up: "passes
# longest_ns cmds calls first_ns total_ns": the passes that took commands,
# the longest (its commands and host calls), the first (the one in the
# write of CMDQ_PROD), and the time of all of them (BQL held).
flood_passes() {
    grep 'smmuv3_cmdq_pass ' "$2" | tail -n "+$1" |
        sed -n 's/.*smmuv3_cmdq_pass \([0-9]*\) commands, \([0-9]*\) host calls in \([0-9]*\) ns.*/\1 \2 \3/p' |
        awk 'NR == 1 { first = $3 }
             $1 > 0 { n++ }
             { total += $3 }
             $3 > max { max = $3; c = $1; h = $2 }
             END { if (NR) printf "%d %d %d %d %d %.0f\n", n, max, c, h, first, total
                   else print "- - - - - -" }'
}

# A counter's value, or "?" if QMP did not give a number
num() { case "$1" in ''|*[!0-9]*) echo "?" ;; *) echo "$1" ;; esac; }

# flood_run LABEL BINARY [QEMU ARGS...]
flood_run() {
    label=$1
    L2_QEMU=$2
    shift 2
    set -f
    # shellcheck disable=SC2046
    set -- $(l2_args) "$@"
    set +f
    say "bench-flood, $label: $L2_QEMU $*"
    l2_start "$@"
    if ! l2_wait '^E2E-FLOOD-READY' 1 300; then
        echo "E2E-FLOOD-RUNFAIL $label $bin: the guest did not get to the flood: $(grep -m1 -E '^E2E-(HOSTILE FAIL|FLOOD-FAIL)' "$L2OUT" | cut -c1-300)"
        l2_end 60
        return
    fi
    calls0=$(vsmmu_counter accel-host-calls)
    fwd0=$(vsmmu_counter accel-cmds-forwarded)
    # The passes before the flood are not its own
    first=$(( $(grep -c 'smmuv3_cmdq_pass ' /tmp/l2-qemu.log 2>/dev/null) + 1 ))
    if ! l2_wait '^E2E-FLOOD(-FAIL)? ' 1 "$(param e2e.l2_timeout)"; then
        echo "E2E-FLOOD-RUNFAIL $label $bin: no E2E-FLOOD line from the guest (VMM $([ -f /tmp/l2rc ] && echo "exited $(cat /tmp/l2rc)" || echo running))"
        l2_end 30
        return
    fi
    calls1=$(vsmmu_counter accel-host-calls)
    fwd1=$(vsmmu_counter accel-cmds-forwarded)
    fields=$(grep -m1 -E '^E2E-FLOOD(-FAIL)? ' "$L2OUT" | tr -d '\r')
    set -- - - - - - -
    if [ -f /tmp/l2-qemu.log ]; then
        # shellcheck disable=SC2046
        set -- $(flood_passes "$first" /tmp/l2-qemu.log)
    fi
    passes=$1 longest=$2 lcmds=$3 lcalls=$4 firstns=$5 totalns=$6
    l2_wait '^E2E-HOSTILE-DONE' 1 120
    verdict=$(grep -E '^E2E-HOSTILE (PASS|FAIL) (flood|alive):' "$L2OUT" | tr -d '\r' |
              sed 's/^E2E-HOSTILE \([A-Z]*\) \([a-z]*\):.*/\2:\1/' | tr '\n' ',' | sed 's/,$//')
    # The trace is summed up here: l2_end would print all of it
    [ -f /tmp/l2-qemu.log ] && mv /tmp/l2-qemu.log "/tmp/flood-$label.log"
    l2_end 120
    case "$fields" in
    "E2E-FLOOD-FAIL"*)
        echo "E2E-FLOOD-RUNFAIL $label $bin: ${fields#E2E-FLOOD-FAIL } (verdict ${verdict:-none})"
        return ;;
    esac
    c0=$(num "$calls0") c1=$(num "$calls1") f0=$(num "$fwd0") f1=$(num "$fwd1")
    hc="?" fw="?"
    [ "$c0" != "?" ] && [ "$c1" != "?" ] && hc=$((c1 - c0))
    [ "$f0" != "?" ] && [ "$f1" != "?" ] && fw=$((f1 - f0))
    echo "E2E-FLOOD-RESULT $label $bin ${fields#E2E-FLOOD } host_calls=$hc cmds_forwarded=$fw passes=$passes longest_pass_ns=$longest longest_pass_cmds=$lcmds longest_pass_calls=$lcalls first_pass_ns=$firstns passes_total_ns=$totalns verdict=${verdict:-none}"
    if [ -f "/tmp/flood-$label.log" ] && [ "$passes" != - ]; then
        grep 'smmuv3_cmdq_pass ' "/tmp/flood-$label.log" | tail -n "+$first" | head -n 3 |
            sed "s/^/E2E-FLOOD-TRACE $label (first passes): /"
    fi
}

bin=$(param e2e.flood_new)
flood_run new /bin/qemu-system-aarch64 -trace smmuv3_cmdq_pass -D /tmp/l2-qemu.log
if [ -x /bin/qemu-system-aarch64-old ]; then
    bin=$(param e2e.flood_old)
    flood_run old /bin/qemu-system-aarch64-old
fi
echo "E2E-FLOOD-DONE"
}

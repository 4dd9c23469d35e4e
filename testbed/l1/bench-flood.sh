# shellcheck shell=sh
# bench-flood (sourced by L1's /init): make bench, part 3.  An L2 guest
# fills its accelerated vSMMU's command queue (smmuv3-hostile-guest --flood,
# from e2e.flood=1 in L2's kernel parameters) with TLBI_NH_ALL + CMD_SYNC
# pairs and writes CMDQ_PROD once: how long does that write hold the vCPU,
# and the BQL, of the L2 VMM?
#
# One L2 run with our QEMU (/bin/qemu-system-aarch64, e2e.flood_new names
# it), traced with smmuv3_cmdq_pass (one line per pass over the queue:
# commands, host calls, time); then, if e2e.sh put one in the initramfs, one
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

flood_counter() {
    if qmp '{"execute": "qom-get", "arguments": {"path": "/machine/peripheral/smmu0", "property": "'"$1"'"}}' 10; then
        echo "$QMP_REPLY" | sed -n 's/.*"return": \([0-9]*\).*/\1/p'
    else
        echo "?"
    fi
}

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
    calls0=$(flood_counter accel-host-calls)
    fwd0=$(flood_counter accel-cmds-forwarded)
    # The passes before the flood are not its own
    first=$(( $(grep -c 'smmuv3_cmdq_pass ' /tmp/l2-qemu.log 2>/dev/null) + 1 ))
    if ! l2_wait '^E2E-FLOOD(-FAIL)? ' 1 "$(param e2e.l2_timeout)"; then
        echo "E2E-FLOOD-RUNFAIL $label $bin: no E2E-FLOOD line from the guest (VMM $([ -f /tmp/l2rc ] && echo "exited $(cat /tmp/l2rc)" || echo running))"
        l2_end 30
        return
    fi
    calls1=$(flood_counter accel-host-calls)
    fwd1=$(flood_counter accel-cmds-forwarded)
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

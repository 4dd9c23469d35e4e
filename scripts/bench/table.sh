#!/bin/bash
# table.sh LOG: the table of make bench, from the console log of the
# bench scenario (the E2E-BENCH lines of testbed/scenarios/bench.sh): for each
# workload and L2 configuration, the median and spread over the runs of
# MB/s and IOPS, the ratios to no vIOMMU and to virtio-iommu, the
# accelerated vSMMU's host calls and forwarded commands (in all and per
# I/O), and the VMM's CPU time per MiB; then the targets, met or not.
set -euo pipefail
log=${1:?usage: table.sh CONSOLE-LOG}
HZ=${BENCH_HZ:-100}     # the L1 kernel's clock ticks (CONFIG_HZ_100)

grep '^E2E-BENCH ' "$log" | awk -v hz="$HZ" '
function med(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
        if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function spread(list,   n, a, i, lo, hi) {
    n = split(list, a, " "); lo = hi = a[1]
    for (i = 2; i <= n; i++) { if (a[i] + 0 < lo) lo = a[i]; if (a[i] + 0 > hi) hi = a[i] }
    return n > 1 ? sprintf("%.1f-%.1f", lo, hi) : "-"
}
function f(line, key,   m) { return match(line, key "=[^ ]*") ? substr(line, RSTART + length(key) + 1, RLENGTH - length(key) - 1) : "" }
{
    cfg = $2; rw = $4; pat = $5
    w = pat "-" (f($0, "bs") / 1024) "K-qd" f($0, "qd") "-" rw
    if (!(w in seen)) { seen[w] = 1; works[++nw] = w }
    if (!((cfg) in cseen)) { cseen[cfg] = 1; cfgs[++nc] = cfg }
    k = w SUBSEP cfg
    mbs[k] = mbs[k] " " f($0, "MBps"); iops[k] = iops[k] " " f($0, "IOPS")
    ios = f($0, "bytes") / f($0, "bs")
    calls[k] += f($0, "host-calls"); cmds[k] += f($0, "cmds"); syncs[k] += f($0, "syncs")
    nios[k] += ios; bytes[k] += f($0, "bytes"); ticks[k] += f($0, "cpu-ticks")
    if (f($0, "verify") != "ok" && f($0, "verify") != "written") bad++
}
END {
    printf "%-22s %-22s %8s %12s %8s %7s %7s %9s %9s %6s %7s %7s %8s\n", "workload", "L2 config",
           "MB/s", "(spread)", "IOPS", "/none", "/virtio", "calls", "cmds", "c/call", "call/IO", "cmd/IO", "cpu-ms/MiB"
    for (i = 1; i <= nw; i++) {
        w = works[i]
        for (j = 1; j <= nc; j++) {
            c = cfgs[j]; k = w SUBSEP c
            if (!(k in mbs)) continue
            # (a lookup with "in" first: reading a missing entry creates it)
            m = med(mbs[k])
            none = ((w SUBSEP "none") in mbs) ? med(mbs[w SUBSEP "none"]) : 0
            vio = ((w SUBSEP "virtio-iommu") in mbs) ? med(mbs[w SUBSEP "virtio-iommu"]) : 0
            printf "%-22s %-22s %8.1f %12s %8d %7s %7s %9d %9d %6s %7s %7s %8.1f\n", w, c, m,
                   spread(mbs[k]), med(iops[k]),
                   (none > 0 ? sprintf("%.2f", m / none) : "-"),
                   (vio > 0 ? sprintf("%.2f", m / vio) : "-"),
                   calls[k], cmds[k],
                   (calls[k] ? sprintf("%.1f", cmds[k] / calls[k]) : "-"),
                   ((nios[k] && c ~ /^accel/) ? sprintf("%.2f", calls[k] / nios[k]) : "-"),
                   ((nios[k] && c ~ /^accel/) ? sprintf("%.2f", cmds[k] / nios[k]) : "-"),
                   (bytes[k] ? ticks[k] * 1000 / hz / (bytes[k] / 1048576) : 0)
            if (c == "accel-lazy" && none > 0) ratio_lazy[w] = m / none
            if (c == "accel-strict" && vio > 0) ratio_strict[w] = m / vio
            # cmdqv=on: the guest invalidates on its VCMDQs, which the
            # host SMMU (here the emulated CMDQV of L0) reads without the VMM
            if (c == "accel-cmdqv-strict" && none > 0) ratio_cmdqv[w] = m / none
            if (c ~ /^accel-cmdqv/) { cmdqv_rows++; cmdqv_cmds += cmds[k]; if (cmds[k]) cmdqv_fwd = cmdqv_fwd " " w "/" c }
            # accel-ril-off-nobatch makes one host call per command on
            # purpose (x-accel-no-batch): it is the reference of batching,
            # checked to be that.
            if (c ~ /^accel/ && c != "accel-ril-off-nobatch" && calls[k] > syncs[k])
                over_sync = over_sync " " w "/" c
            if (c == "accel-ril-off-nobatch" && calls[k] != cmds[k])
                not_ref = not_ref " " w
            # Batching on against off, on every workload and on those where
            # the guest closes at least 8 commands with one CMD_SYNC (only
            # there can 1/8 be reached: the guest decides how many commands
            # a CMD_SYNC closes, the vSMMU makes one call per CMD_SYNC)
            if (c == "accel-ril-off" && ((w SUBSEP "accel-ril-off-nobatch") in calls)) {
                all_on += calls[k]; all_off += calls[w SUBSEP "accel-ril-off-nobatch"]
                if (syncs[k] && cmds[k] >= 8 * syncs[k]) {
                    on_calls += calls[k]; off_calls += calls[w SUBSEP "accel-ril-off-nobatch"]
                }
            }
        }
    }
    print ""
    print "targets (met / not met):"
    for (i = 1; i <= nw; i++) {
        w = works[i]
        if (w !~ /-128K-/) continue
        if (w in ratio_lazy)
            printf "  accel lazy >= 0.95 x no vIOMMU, %s: %.2f, %s\n", w, ratio_lazy[w], (ratio_lazy[w] >= 0.95 ? "met" : "not met")
        if (w in ratio_strict)
            printf "  accel strict >= 2 x virtio-iommu, %s: %.2f, %s\n", w, ratio_strict[w], (ratio_strict[w] >= 2 ? "met" : "not met")
    }
    for (i = 1; i <= nw; i++) {
        w = works[i]
        if (w !~ /-(4|128)K-/ || !(w in ratio_cmdqv)) continue
        printf "  accel cmdqv=on strict >= 0.9 x no vIOMMU, %s: %.2f, %s\n", w, ratio_cmdqv[w], (ratio_cmdqv[w] >= 0.9 ? "met" : "not met")
    }
    if (cmdqv_rows)
        printf "  cmdqv=on: commands the VMM forwarded to the host during the I/O, target 0: %d, %s\n", cmdqv_cmds, (cmdqv_fwd == "" ? "met" : "not met:" cmdqv_fwd)
    printf "  host calls <= 1 per guest CMD_SYNC, every accel run but the no-batching reference: %s\n", (over_sync == "" ? "met" : "not met:" over_sync)
    printf "  the no-batching reference makes one host call per command: %s\n", (not_ref == "" ? "met" : "not met:" not_ref)
    if (all_off)
        printf "  ril=off, host calls with batching on vs off, every workload: %d vs %d (1/%.1f)\n",
               all_on, all_off, (all_on ? all_off / all_on : 0)
    if (off_calls)
        printf "  ril=off: batching on takes <= 1/8 of the host calls of batching off, workloads with >= 8 commands per CMD_SYNC: %d vs %d (1/%.1f), %s\n",
               on_calls, off_calls, (on_calls ? off_calls / on_calls : 0), (on_calls * 8 <= off_calls ? "met" : "not met")
    else if (all_off)
        print "  ril=off: batching on <= 1/8 of batching off: no workload with >= 8 commands per CMD_SYNC to compare"
    if (cmdqv_rows)
        print "  (cmdqv=on under emulation: the traps it removes, measured against L0'"'"'s emulated CMDQV, not a figure of the hardware)"
    if (bad) printf "  DATA: %d workloads did not verify\n", bad
}'

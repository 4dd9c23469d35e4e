# shellcheck shell=bash
# lib.sh: what the testbed's runner (run.sh) and the scenarios' verdicts
# share on the host (sourced, not run).  A verdict prints its reason and
# returns 0 for PASS; it reads the scenario's console log $log and its
# directory $d, and the scenario's settings.

KNOWN_KIB=1024          # known content at the start of the disk
PAT_OFF_KIB=4096        # where L2 writes its 64 KiB pattern

# The 16-byte-per-line pattern of guest/l2-init.sh, on the host side.
pattern() { # TAG LINES
    awk -v tag="$1" -v n="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%-8.8s%07d\n", tag, i }'
}

# make_disk FILE [corrupt]: the NVMe image: known content, then zeros.
make_disk() {
    rm -f "$1"
    truncate -s "${DISK_MIB}M" "$1"
    pattern known $((KNOWN_KIB * 1024 / 16)) |
        dd of="$1" conv=notrunc status=none
    if [ "${2:-}" = corrupt ]; then
        printf 'X' | dd of="$1" bs=1 seek=$((KNOWN_KIB * 512)) conv=notrunc status=none
    fi
}

known_sha() { pattern known $((KNOWN_KIB * 1024 / 16)) | sha256sum | cut -d' ' -f1; }

# kmemleak_verdict: fail on an unreferenced object of iommufd, VFIO or the
# SMMUv3 driver in L1; $KMEMLEAK says what the scan found.
kmemleak_verdict() {
    KMEMLEAK=$(sed -n 's/^E2E-KMEMLEAK-VERDICT //p' "$log")
    case "$KMEMLEAK" in
    "0 objects"*) return 0 ;;
    "") echo "no kmemleak verdict from L1"; return 1 ;;
    *) echo "kmemleak in L1: $KMEMLEAK: $(grep -m1 '^E2E-KMEMLEAK ' "$log")"; return 1 ;;
    esac
}

# verdict_data [corrupt]: L2 read the known data from the NVMe and wrote its
# pattern, which L0's disk image holds after the run (and, with
# e2e.reboot=1, after a reboot too); with "corrupt", the read check caught
# the corruption of the image.
verdict_data() {
    local want_known want_pat got back wrote
    want_known=$(known_sha)
    want_pat=$(pattern "$name" 4096 | sha256sum | cut -d' ' -f1)
    # Every boot of L2 (a rebooting scenario has two) must read the same.
    got=$(sed -n 's/^ *E2E-L2-READ sha256=//p' "$log" | tr -d '\r' | sort -u)
    wrote=$(sed -n 's/^ *E2E-L2-WROTE sha256=\([0-9a-f]*\) .*/\1/p' "$log" | tr -d '\r' | sort -u)
    back=$(dd if="$d/disk.img" bs=1024 skip=$PAT_OFF_KIB count=64 status=none | sha256sum | cut -d' ' -f1)
    [ -n "$got" ] || { echo "L2 printed no read result"; return 1; }
    if [ "${1:-}" = corrupt ]; then
        [ "$got" != "$want_known" ] || { echo "corrupted image read as intact: the read check cannot fail"; return 1; }
        echo "corruption of the image was detected by the L2 read check"
        return 0
    fi
    [ "$got" = "$want_known" ] || { echo "L2 read wrong data from the NVMe (sha256 $got, want $want_known)"; return 1; }
    [ "$wrote" = "$want_pat" ] || { echo "L2 generated a different pattern ($wrote)"; return 1; }
    [ "$back" = "$want_pat" ] || { echo "the disk image does not hold L2's pattern after the run"; return 1; }
    grep -q '^ *E2E-L2-DONE ok' "$log" || { echo "L2 did not finish its checks"; return 1; }
    case "$L2_APPEND" in
    *e2e.reboot=1*)
        grep -q '^ *E2E-L2-REBOOT-OK' "$log" ||
            { echo "L2 did not come back from its reboot"; return 1; }
        echo "L2 read 1 MiB of known data and wrote 64 KiB that L0's disk image holds, before and after a reboot"
        return 0 ;;
    esac
    echo "L2 read 1 MiB of known data and wrote 64 KiB that L0's disk image holds"
}

# verdict_accel strict|lazy|passthrough: the data checks, then what the
# accelerated SMMU did, from its trace events: which HWPTs the guest's STEs
# became, and how many guest commands each host invalidation call carried.
verdict_accel() {
    local data s1 byp calls cmds stats
    data=$(verdict_data) || { echo "$data"; return 1; }
    s1=$(grep -c 'smmuv3_accel_install .*(stage 1)' "$log")
    byp=$(grep -c 'smmuv3_accel_install .*(bypass)' "$log")
    calls=$(grep -c 'smmuv3_accel_invalidate ' "$log")
    cmds=$(sed -n 's/.*smmuv3_accel_invalidate .*: \([0-9]*\) commands in one call.*/\1/p' "$log" |
           awk '{ n += $1 } END { print n + 0 }')
    stats="stage-1 STE installs $s1, bypass installs $byp, $cmds commands in $calls host calls"
    case "$1" in
    passthrough)
        [ "$byp" -ge 1 ] && [ "$s1" = 0 ] ||
            { echo "expected the guest's bypass STE only: $stats"; return 1; } ;;
    strict)
        [ "$s1" -ge 1 ] && [ "$calls" -ge 1 ] && [ "$cmds" -gt "$calls" ] ||
            { echo "expected stage-1 STEs and batched invalidations (more commands than host calls): $stats"; return 1; } ;;
    lazy)
        # Linux's lazy mode batches in the guest: one ASID invalidation
        # per flush of its queue.
        [ "$s1" -ge 1 ] && [ "$calls" -ge 1 ] ||
            { echo "expected stage-1 STEs and forwarded invalidations: $stats"; return 1; }
        # "auto" took the host's features.
        grep -q 'smmuv3_accel_features .*: ril=0 ats=0 oas=44 ssidsize=0$' "$log" ||
            { echo "the auto features are not the host's (ril=0 ats=0 oas=44 ssidsize=0): $(grep -m1 -o 'smmuv3_accel_features.*' "$log")"; return 1; }
        stats="$stats; auto features from the host: $(grep -m1 -o 'ril=0 ats=.*' "$log")" ;;
    esac
    echo "$data; nested: $stats"
}

# verdict_accel_cmdqv: the data checks; L2's kernel took the CMDQV of its
# vSMMU (cmdqv=on) from the DSDT, with its interrupt; L2's QEMU gave it the
# host's VINTF (smmuv3_accel_cmdqv_attach) and queues (hw_queue); L0's
# CMDQV ran L2's TLB invalidations on a guest VINTF's queues
# (tegra241_vcmdq_cmd VINTF1..), none refused; and while L2's VINTF0 was
# enabled, no TLBI reached L2's QEMU: none on the main queue
# (smmuv3_cmdq_opcode), none run by QEMU on a CMDQV queue
verdict_accel_cmdqv() {
    local data t=$d/l0-trace.log s1 hwq tlbi main qemu_ran badvmid
    data=$(verdict_data) || { echo "$data"; return 1; }
    s1=$(grep -c 'smmuv3_accel_install .*(stage 1)' "$log")
    [ "$s1" -ge 1 ] || { echo "no stage-1 STE of L2 was installed in the host"; return 1; }
    grep -q 'L2: dmesg: .*found companion CMDQV device: NVDA200C' "$log" ||
        { echo "L2's kernel did not find its CMDQV (NVDA200C) in the DSDT"; return 1; }
    grep -q '^ *L2: interrupt: .*tegra241-cmdqv' "$log" ||
        { echo "L2's kernel has no CMDQV interrupt"; return 1; }
    grep -q 'smmuv3_accel_cmdqv_attach' "$log" ||
        { echo "L2's QEMU did not map the host's VINTF into L2"; return 1; }
    hwq=$(grep -c 'smmuv3_accel_cmdqv_hw_queue LVCMDQ[0-9]: host queue [1-9]' "$log")
    [ "$hwq" -ge 2 ] || { echo "L2's QEMU allocated $hwq queues in the host, expected L2's two at least"; return 1; }
    # The page is no DMA target: VFIO leaves it alone.  Its section is the
    # 64 KiB at the CMDQV's base + 0x30000, both skipped (platform bus:
    # 0xc000000-0xdffffff)
    [ "$(awk '
        function hex(h,   i, n) { n = 0; h = tolower(h); sub(/^0x/, "", h)
            for (i = 1; i <= length(h); i++) n = n * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
            return n }
        # (the fields after "region_add": a VMM run with -msg timestamp=on,
        # as libvirt runs it, puts a time before the trace event)
        /vfio_listener_region_skip SKIPPING region_add 0xc/ {
            r = $0; sub(/.*SKIPPING region_add /, "", r); split(r, fl, " ")
            end[hex(fl[1])] = hex(fl[3]) }
        END { for (s in end) if (end[s] - s == 65535 && ((s - 196608) in end)) f = 1
              print f + 0 }' "$log")" = 1 ] ||
        { echo "VFIO did not skip the CMDQV's page"; return 1; }
    ! grep -qE 'region_add \[ram\] 0xc[0-9a-f]{6} ' "$log" ||
        { echo "VFIO mapped the CMDQV's page for DMA: $(grep -m1 -oE 'region_add \[ram\] 0xc[0-9a-f]{6} .*' "$log")"; return 1; }
    [ -s "$t" ] || { echo "L0 wrote no trace ($t)"; return 1; }
    # L2's time with the host's VINTF: up to the first guest VINTF that
    # is disabled after it was enabled (after L2, libvirt-accel-cmdqv's
    # probe refuses commands on a VINTF of its own on purpose)
    awk '/tegra241_vintf_config VINTF[1-9] / {
             v = $0; sub(/.*VINTF/, "", v); sub(/ .*/, "", v)
             if (/enabled=1/) on[v] = 1
             else if (on[v]) { print; exit } }
         { print }' "$t" > "$d/l0-trace-l2.log"
    t=$d/l0-trace-l2.log
    tlbi=$(grep -cE 'tegra241_vcmdq_cmd VINTF[1-9].*SMMU_CMD_TLBI_NH_(VA|ASID)' "$t")
    [ "$tlbi" -ge 1 ] || { echo "L0's CMDQV ran no TLBI_NH_* on a guest VINTF's queue"; return 1; }
    # ... each with the VINTF's VMID (L1's for L2), whatever L2 wrote
    badvmid=$(awk '
        function hex(h,   i, n) { n = 0; h = tolower(h); sub(/^0x/, "", h)
            for (i = 1; i <= length(h); i++) n = n * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
            return n }
        /tegra241_vintf_config VINTF[1-9] enabled=1/ {
            v = $0; sub(/.*VINTF/, "", v); sub(/ .*/, "", v)
            m = $0; sub(/.*vmid=/, "", m); sub(/[^0-9].*/, "", m); vmid[v] = m }
        /tegra241_vcmdq_cmd VINTF[1-9].*SMMU_CMD_TLBI_NH_(VA|ASID)/ {
            v = $0; sub(/.*VINTF/, "", v); sub(/ .*/, "", v)
            w = $0; sub(/.*word1=/, "", w); sub(/[^0-9a-fx].*/, "", w)
            if (!(v in vmid) || vmid[v] == 0 || hex(w) % 65536 != vmid[v]) n++ }
        END { print n + 0 }' "$t")
    [ "$badvmid" = 0 ] ||
        { echo "$badvmid TLBIs of a guest VINTF ran without its VMID"; return 1; }
    ! grep -q 'tegra241_vcmdq_error' "$t" ||
        { echo "a VCMDQ stopped at a command: $(grep -m1 -o 'tegra241_vcmdq_error.*' "$t")"; return 1; }
    # (but L1's lines after libvirt-accel-cmdqv's virsh destroy, where its
    # probe's refusals are reported on purpose; L2's VMM log comes later)
    ! awk '/^E2E-LIBVIRT destroyed/ { after = 1 } !after || /^L2-VMM-LOG:/' "$log" |
        grep -qE 'CMDQ error|unexpected error reported|CMDQV: ' ||
        { echo "a command queue error: $(awk '/^E2E-LIBVIRT destroyed/ { after = 1 } !after || /^L2-VMM-LOG:/' "$log" | grep -m1 -oE '(CMDQ error|unexpected error reported|CMDQV: ).*')"; return 1; }
    main=$(awk '/smmuv3_accel_cmdqv_config .*VINTF0 CONFIG 0x[0-9a-f]*[13579bdf][^0-9a-f]*$/ { on = 1; next }
                /smmuv3_accel_cmdqv_config / { on = 0; next }
                on && /smmuv3_cmdq_opcode .*TLBI_NH/ { n++ }
                END { print n + 0 }' "$log")
    qemu_ran=$(grep -c 'smmuv3_accel_cmdqv_consume VCMDQ[0-9]: [1-9][0-9]* commands' "$log")
    [ "$main" = 0 ] && [ "$qemu_ran" = 0 ] ||
        { echo "TLB invalidations trapped into L2's QEMU with its VINTF0 on: $main on the main queue, $qemu_ran passes of QEMU over a CMDQV queue"; return 1; }
    echo "$data; L2 found its CMDQV in the DSDT; $hwq queue allocations in the host; L0's CMDQV ran $tlbi TLBI_NH_VA/ASID of L2 on the guest VINTF's queues, each with the VINTF's VMID, none refused; 0 TLBIs trapped into L2's QEMU while L2's VINTF0 was on"
}

# verdict_refusal: L2's QEMU refused to start, saying $REFUSAL
verdict_refusal() {
    local rc
    rc=$(sed -n 's/^E2E-L2-QEMU-EXIT //p' "$log" | tr -d '\r')
    [ -n "$rc" ] && [ "$rc" != 0 ] || { echo "L2 QEMU exit '$rc': it did not refuse"; return 1; }
    grep -qF "$REFUSAL" "$log" ||
        { echo "L2 QEMU failed, but not with '$REFUSAL'"; return 1; }
    echo "L2 QEMU refused: $(grep -m1 -F "$REFUSAL" "$log" | sed 's/^ *//' | cut -c1-160)"
}

# The L0 trace events of the scenarios with L0's emulated Tegra241 CMDQV:
# where L0's SMMU took each of L1's commands (the main command queue, or a
# VCMDQ that executed it), the commands a VCMDQ stopped at, and L1's writes
# of the VINTFs' configuration
CMDQV_TRACE="smmuv3_cmdq_opcode tegra241_vcmdq_cmd tegra241_vcmdq_error tegra241_vintf_config"

# verdict_cmdqv on|off: the data checks, then where L1's commands ran,
# from L0's trace ($d/l0-trace.log).  on: L1's kernel took the CMDQV (its
# interrupt), enabled VINTF0 as the hypervisor's, and from then on ran
# every command but CMD_SYNC on VINTF0's VCMDQs (Linux issues a CMD_SYNC
# on the main queue whenever it resets a VCMDQ), STE and CD installs and
# TLB invalidations among them.  off (arm_smmu_v3.disable_cmdqv=1): the
# kernel said so and every command ran on the main queue.
verdict_cmdqv() {
    local data t=$d/l0-trace.log vcmdq main after kinds
    data=$(verdict_data) || { echo "$data"; return 1; }
    [ -s "$t" ] || { echo "L0 wrote no trace ($t)"; return 1; }
    vcmdq=$(grep -c 'tegra241_vcmdq_cmd ' "$t")
    main=$(grep -c 'smmuv3_cmdq_opcode ' "$t")
    case $1 in
    on)
        grep -q '^L1: interrupt: .*tegra241-cmdqv' "$log" ||
            { echo "L1 requested no tegra241-cmdqv interrupt: its kernel did not take the CMDQV"; return 1; }
        grep -q 'tegra241_vintf_config VINTF0 enabled=1 hyp_own=1' "$t" ||
            { echo "L1 did not enable VINTF0 as the hypervisor's"; return 1; }
        # Linux would skip a command that failed and go on: none may
        ! grep -q 'tegra241_vcmdq_error' "$t" ||
            { echo "a VCMDQ stopped at one of L1's commands: $(grep -m1 -o 'tegra241_vcmdq_error.*' "$t")"; return 1; }
        ! grep -qE 'CMDQ error|unexpected error reported' "$log" ||
            { echo "L1's kernel reported a command queue error: $(grep -m1 -E 'CMDQ error|unexpected error reported' "$log")"; return 1; }
        after=$(awk '/tegra241_vintf_config VINTF0 enabled=1/ { on = 1; next }
                     on && /smmuv3_cmdq_opcode / && !/SMMU_CMD_SYNC/ { n++ }
                     END { print n + 0 }' "$t")
        [ "$after" = 0 ] ||
            { echo "$after commands other than CMD_SYNC ran on the main queue after VINTF0 was enabled: $(awk '/tegra241_vintf_config VINTF0 enabled=1/ { on = 1 } on && /smmuv3_cmdq_opcode / && !/SMMU_CMD_SYNC/' "$t" | head -n 3 | tr '\n' ' ')"; return 1; }
        local c
        for c in CFGI_STE TLBI_NH_; do
            grep -q "tegra241_vcmdq_cmd .*SMMU_CMD_$c" "$t" ||
                { echo "no SMMU_CMD_$c on a VCMDQ"; return 1; }
        done
        # per queue, then per command
        kinds=$(sed -n 's/.*tegra241_vcmdq_cmd VINTF0 \(LVCMDQ[0-9]*\).*SMMU_CMD_\([A-Z_]*\).*/\1 \2/p' "$t" |
                awk '{ q[$1]++; c[$2]++ }
                     END { for (k in q) { printf "%s%s %d", s, k, q[k]; s = ", " }
                           s = "; "; for (k in c) { printf "%s%s %d", s, k, c[k]; s = ", " } }')
        echo "$data; L1 drove L0's CMDQV: $vcmdq commands on VINTF0's VCMDQs ($kinds), the main queue $main (CMD_SYNC only once VINTF0 was on)" ;;
    off)
        grep -q 'Detected disable_cmdqv=true' "$log" ||
            { echo "L1's kernel did not report disable_cmdqv"; return 1; }
        ! grep -q '^L1: interrupt: .*cmdqv' "$log" ||
            { echo "L1 requested the CMDQV's interrupt with disable_cmdqv=1"; return 1; }
        [ "$vcmdq" = 0 ] && [ "$main" -gt 0 ] ||
            { echo "with disable_cmdqv=1: $vcmdq commands on VCMDQs, $main on the main queue"; return 1; }
        echo "$data; with arm_smmu_v3.disable_cmdqv=1 L1 left L0's CMDQV alone: $main commands on the main queue, none on a VCMDQ" ;;
    esac
}

# refusal ARGS TEXT: the settings of a scenario in which L2's QEMU (a UEFI
# guest's) must refuse to start, with ARGS, and say TEXT
refusal() {
    NEEDS=accel
    L2FW=uefi
    L2_ARGS=$1
    REFUSAL=$2
    verdict() { verdict_refusal; }
}

# make bench: the L2 configurations compared, in this order, on one device
# (on a host SMMU with a CMDQV, L0's emulated one: cmdqv=off but in the
# accel-cmdqv ones); bench-short: all but the CMDQV ones, on a host SMMU
# without one
BENCH_CONFIGS=${E2E_BENCH_CONFIGS:-"none accel-strict accel-lazy accel-cmdqv-strict
 accel-cmdqv-lazy virtio-iommu accel-ril-off accel-ril-off-nobatch"}
BENCH_SHORT_CONFIGS=$(echo $BENCH_CONFIGS | tr ' ' '\n' | grep -v cmdqv | tr '\n' ' ')
BENCH_SMMU="-device arm-smmuv3,primary-bus=pcie.0,id=smmu0,accel=on"

# bench_config NAME: BENCH_ARGS and BENCH_APPEND of an L2 run of make bench
bench_config() {
    BENCH_APPEND="iommu.strict=1"
    case "$1" in
    none) BENCH_ARGS="" ;;
    accel-strict) BENCH_ARGS="$BENCH_SMMU,cmdqv=off" ;;
    accel-lazy) BENCH_ARGS="$BENCH_SMMU,cmdqv=off"; BENCH_APPEND="iommu.strict=0" ;;
    accel-cmdqv-strict) BENCH_ARGS="$BENCH_SMMU,cmdqv=on" ;;
    accel-cmdqv-lazy) BENCH_ARGS="$BENCH_SMMU,cmdqv=on"; BENCH_APPEND="iommu.strict=0" ;;
    virtio-iommu) BENCH_ARGS="-device virtio-iommu-pci" ;;
    accel-ril-off) BENCH_ARGS="$BENCH_SMMU,ril=off,cmdqv=off" ;;
    # (a test-only switch: one host call per command)
    accel-ril-off-nobatch) BENCH_ARGS="$BENCH_SMMU,ril=off,cmdqv=off,x-accel-no-batch=on" ;;
    esac
}

# verdict_bench CONFIGS: every configuration of CONFIGS ran, every workload
# verified, and an accelerated vSMMU's counters were read (host calls in
# each but the CMDQV ones, whose invalidations need none); the table
verdict_bench() {
    local c n n0 calls
    grep -q '^E2E-BENCH-DONE' "$log" || { echo "the benchmark did not finish"; return 1; }
    grep -q '^E2E-BENCH-FAIL' "$log" && { grep -m1 '^E2E-BENCH-FAIL' "$log"; return 1; }
    n0=$(grep -c "^E2E-BENCH none " "$log")
    for c in $1; do
        n=$(grep -c "^E2E-BENCH $c " "$log")
        [ "$n" -ge 4 ] && [ "$n" = "$n0" ] ||
            { echo "configuration $c: $n workload runs, none: $n0"; return 1; }
        case $c in
        accel-cmdqv*) ;;
        accel*)
            calls=$(grep "^E2E-BENCH $c " "$log" | sed 's/.* host-calls=\([0-9-]*\) .*/\1/' | awk '{ t += $1 } END { print t + 0 }')
            [ "${calls:-0}" -gt 0 ] || { echo "configuration $c: no host call counted"; return 1; } ;;
        esac
    done
    grep '^E2E-BENCH ' "$log" | grep -qvE 'verify=(ok|written) ' &&
        { echo "a workload did not verify: $(grep '^E2E-BENCH ' "$log" | grep -vE 'verify=(ok|written) ' | head -n 1)"; return 1; }
    "$TOP/scripts/bench/table.sh" "$log" > "$d/table" || { echo "no table"; return 1; }
    echo "$(grep -c '^E2E-BENCH ' "$log") workloads in $(echo $1 | wc -w) configurations, all verified; table in ${d#"$TOP"/}/table"
}

# bench-flood: its table
# flood_field LINE KEY: the value of KEY=value in an E2E-FLOOD-RESULT line
flood_field() { echo " $1 " | sed -n "s/.* $2=\([^ ]*\) .*/\1/p"; }
# flood_ms MICROSECONDS: in milliseconds, one decimal ("?" stays)
flood_ms() {
    case "$1" in
    ''|*[!0-9]*) echo "${1:-?}" ;;
    *) awk -v u="$1" 'BEGIN { printf "%.1f ms\n", u / 1000 }' ;;
    esac
}

# flood_table LOG: bench-flood's table, one row per L2 QEMU
flood_table() {
    local l label bin pass all ns
    printf '%-34s %7s %10s %10s %10s %8s %10s %6s %17s %10s\n' "L2 QEMU" \
        entries "PROD write" drain "longest rd" "mean rd" "host calls" passes \
        "longest pass" "all passes"
    grep -E '^E2E-FLOOD-(RESULT|RUNFAIL) ' "$1" | while read -r l; do
        set -- $l
        label=$2 bin=$3
        case "$1" in
        E2E-FLOOD-RUNFAIL)
            printf '%-34s did not run: %s\n' "$label $bin" "${l#*: }" | cut -c1-200
            continue ;;
        esac
        pass=- all=-
        ns=$(flood_field "$l" longest_pass_ns)
        case "$ns" in ''|*[!0-9]*) ;; *)
            pass="$(flood_ms $((ns / 1000))) ($(flood_field "$l" longest_pass_cmds)/$(flood_field "$l" longest_pass_calls))" ;;
        esac
        ns=$(flood_field "$l" passes_total_ns)
        case "$ns" in ''|*[!0-9]*) ;; *) all=$(flood_ms $((ns / 1000))) ;; esac
        printf '%-34s %7s %10s %10s %10s %8s %10s %6s %17s %10s\n' "$label $bin" \
            "$(flood_field "$l" entries)" \
            "$(flood_ms "$(flood_field "$l" prod_write_us)")" \
            "$(flood_ms "$(flood_field "$l" drain_us)")" \
            "$(flood_ms "$(flood_field "$l" longest_read_us)")" \
            "$(flood_ms "$(flood_field "$l" mean_read_us)")" \
            "$(flood_field "$l" host_calls)" "$(flood_field "$l" passes)" \
            "$pass" "$all"
    done
    cat <<'EOT'
PROD write: how long the one store of CMDQ_PROD that published the full queue
  took in the guest: the VMM held the vCPU, and the BQL, for that long;
drain: from that store until CMDQ_CONS reached PROD (polled without pause);
longest rd, mean rd: the longest and the mean single read of CMDQ_CONS while
  polling: a read waits while the main loop holds the BQL (a pass of the
  queue's consumer); after a PROD write that drained it all, one read;
host calls: x-accel-host-calls (QOM) during the flood;
passes, longest pass (commands/host calls): trace event smmuv3_cmdq_pass, of
  a build that has it (one without the bound consumes the whole queue in the
  PROD write: one pass, as long as that write);
all passes: the time of all passes of the flood together (the BQL held to
  consume the queue); of a build without the trace event, unknown.
EOT
}

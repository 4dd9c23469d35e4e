# shellcheck shell=sh
# accel-hostile-guest: the guest programs the vSMMU itself
# (tools/smmuv3-hostile-guest; Linux's SMMU driver never registers): illegal
# STEs and commands get the architected answer, legal ones nothing; the
# host's fault for the NVMe's DMA reaches the guest's event queue; CFGI_STE
# and CFGI_CD drop the context descriptors the host cached; a StreamID
# renumbered to another device moves its vDEVICE; an event record written
# to a root port's MSI-X table does not deadlock the VMM.  UEFI and ACPI, as
# accel=on needs for the device's MSIs: the SMMU's base is in the IORT, and
# the tables that /dev/mem maps go to a memory DIMM that the guest kernel
# (no memory hotplug) does not use.  Two NVMe controllers, each behind its
# own root port (buses 1 and 2).

settings() {
    NEEDS=accel
    L0_NVME=2
    # Two root ports and controllers: L2 enumerates for 25-45 s more
    L2_SECS=$((L2_TIMEOUT + 90))
    L2FW=uefi
    L2_ARGS="-m 512M,slots=1,maxmem=1G -object memory-backend-ram,id=spare,size=64M -device pc-dimm,memdev=spare,addr=0x80000000 -device pcie-root-port,id=rp0,chassis=1,bus=pcie.0 -device pcie-root-port,id=rp1,chassis=2,bus=pcie.0 -device arm-smmuv3,primary-bus=pcie.0,accel=on -trace smmuv3_accel_* -d guest_errors -D /tmp/l2-qemu.log @HOSTDEV@,bus=rp0 @HOSTDEV2@,bus=rp1"
    L2_APPEND="e2e.hostile=1 e2e.spare_ram=0x80000000:0x4000000 initcall_blacklist=arm_smmu_driver_init"
    # The cases of tools/smmuv3-hostile-guest, each of which must print PASS
    HOSTILE_CASES="ste-stage2 ste-nested ste-reserved-config ste-malformed-s1
     ste-s1fmt-ignored ste-abort ste-bypass ste-s1-valid cmd-stage2-tlbi
     cmd-unknown-opcode cmd-el2-tlbi cfgi-all cfgi-ste-range host-fault-event
     cfgi-ste-cd cfgi-cd-renumbered vdevice-renumber eventq-msix alive"
    # What the L2 VMM must have logged (-d guest_errors) about them, a line each
    HOSTILE_LOGGED="illegal STE for SID 0x[0-9a-f]*: Config enables stage 2
    illegal STE for SID 0x[0-9a-f]*: reserved Config value
    illegal STE for SID 0x[0-9a-f]*: S1ContextPtr is beyond the OAS
    illegal command SMMU_CMD_TLBI_S2_IPA with accel=on
    illegal command INVALID with accel=on
    illegal command SMMU_CMD_TLBI_EL2_ALL with accel=on"
}

verdict() {
    # The guest's verdict on every case, then what the VMM logged about
    # the illegal STEs and commands, and that it outlived them.
    local rc c line done_line want nste ncmd sid hostevt
    rc=$(sed -n 's/^E2E-L2-QEMU-EXIT //p' "$log")
    [ "$rc" = 0 ] || { echo "L2 QEMU exit '$rc', expected 0 after the hostile guest powered off"; return 1; }
    for c in $HOSTILE_CASES; do
        line=$(grep -m1 -E "^ *E2E-HOSTILE (PASS|FAIL|SKIP) $c:" "$log" | sed 's/^ *E2E-HOSTILE //')
        case "$line" in
        "PASS $c:"*) ;;
        "") line=$(grep -m1 '^ *E2E-HOSTILE FAIL setup:' "$log" | sed 's/^ *E2E-HOSTILE //')
            echo "the hostile guest printed no verdict for $c${line:+ ($line)}"; return 1 ;;
        *) echo "hostile guest: $(echo "$line" | cut -c1-300)"; return 1 ;;
        esac
    done
    done_line=$(sed -n 's/^ *E2E-HOSTILE-DONE //p' "$log")
    [ "$done_line" = "$(echo "$HOSTILE_CASES" | wc -w) 0" ] ||
        { echo "hostile guest summary '$done_line', expected $(echo "$HOSTILE_CASES" | wc -w) passed, 0 failed"; return 1; }
    grep -q '^ *E2E-L2-DONE ok' "$log" || { echo "L2 did not finish"; return 1; }
    # (read without IFS= drops the lines' indentation)
    echo "$HOSTILE_LOGGED" | while read -r want; do
        grep -q "^L2-VMM-LOG: .*$want" "$log" ||
            { echo "the L2 VMM did not log '$want' (-d guest_errors)"; exit 1; }
    done || return 1
    # host-fault-event: the host's fault came through the VMM's vEVENTQ
    # (trace smmuv3_accel_event), for the NVMe's StreamID.
    sid=$(sed -n 's/^ *E2E-HOSTILE INFO .*, StreamID \(0x[0-9a-f]*\)$/\1/p' "$log" | head -n 1)
    hostevt=$(grep -m1 -o "^L2-VMM-LOG: .*smmuv3_accel_event host event 0x[0-9a-f]* for SID ${sid:-none}\$" "$log" |
              sed 's/.*smmuv3_accel_event //')
    [ -n "$sid" ] && [ -n "$hostevt" ] ||
        { echo "the L2 VMM did not trace 'smmuv3_accel_event host event 0x.. for SID ${sid:-?}': the host's fault did not come through its vEVENTQ"; return 1; }
    nste=$(grep -c '^L2-VMM-LOG: .*illegal STE for SID' "$log")
    ncmd=$(grep -c '^L2-VMM-LOG: .*illegal command .* with accel=on' "$log")
    echo "hostile guest: all $(echo "$HOSTILE_CASES" | wc -w) cases passed (C_BAD_STE for ILLEGAL STEs, CERROR_ILL and recovery for illegal commands, legal STEs quiet, the host's fault for the NVMe's DMA in the guest's event queue); the VMM logged $nste illegal STEs and $ncmd illegal commands, forwarded the $hostevt, and exited 0"
}

# shellcheck shell=sh
# accel-cmdqv-hostile: the guest drives its CMDQV itself
# (tools/smmuv3-hostile-guest --cmdqv; Linux's SMMU driver never
# registers), with the host CMDQV's VINTF mapped into it (L0's emulated
# one): legal commands run; each command a guest's VINTF may not run
# (CFGI_STE, CFGI_ALL, TLBI_NH_ALL, TLBI_S2_IPA, TLBI_NSNH_ALL, CMD_SYNC
# with an interrupt, an unknown opcode) stops the queue with CERROR_ILL,
# refused by the host's CMDQV, and the queue goes on once acknowledged; a
# queue enabled while allocated to no VINTF does not enable; a queue based
# where nothing is makes QEMU run the queues: the other queue goes on, that
# one stops with CERROR_ABT.  The device is unplugged after the cases:
# nothing of the vSMMU is left in the host, and QEMU exits cleanly.

settings() {
    NEEDS=accel
    L2FW=uefi
    L0_SMMU="stage=nested,s2fwb=on,x-tegra241-cmdqv=on"
    L0_TRACE=$CMDQV_TRACE
    L2_ARGS="-m 512M,slots=1,maxmem=1G -object memory-backend-ram,id=spare,size=64M -device pc-dimm,memdev=spare,addr=0x80000000 -device pcie-root-port,id=rp0,chassis=1,bus=pcie.0 -device arm-smmuv3,primary-bus=pcie.0,accel=on,cmdqv=on -trace smmuv3_accel_* -trace iommufd_backend_* -d guest_errors -D /tmp/l2-qemu.log @HOSTDEV@,bus=rp0"
    L2_APPEND="e2e.hostile=1 e2e.hostile_cmdqv=1 e2e.hold=1 e2e.spare_ram=0x80000000:0x4000000 initcall_blacklist=arm_smmu_driver_init"
    HOSTILE_CASES="cmdqv-setup cmdqv-legal cmdqv-cfgi-ste cmdqv-cfgi-all
     cmdqv-tlbi-nh-all cmdqv-tlbi-s2 cmdqv-tlbi-nsnh-all cmdqv-sync-irq
     cmdqv-unknown-opcode cmdqv-enable-unallocated cmdqv-base-not-ram
     cmdqv-alive"
}

verdict() {
    local c line n refused t=$d/l0-trace.log
    for c in $HOSTILE_CASES; do
        line=$(grep -m1 -E "^ *E2E-HOSTILE (PASS|FAIL) $c:" "$log" | sed 's/^ *E2E-HOSTILE //')
        case "$line" in
        "PASS $c:"*) ;;
        "") line=$(grep -m1 '^ *E2E-HOSTILE FAIL ' "$log" | sed 's/^ *E2E-HOSTILE //')
            echo "the hostile guest printed no verdict for $c${line:+ ($line)}"; return 1 ;;
        *) echo "hostile guest: $(echo "$line" | cut -c1-400)"; return 1 ;;
        esac
    done
    n=$(echo $HOSTILE_CASES | wc -w)
    grep -q "^ *E2E-HOSTILE-DONE $n 0" "$log" ||
        { echo "hostile guest summary '$(grep -m1 -o 'E2E-HOSTILE-DONE.*' "$log")', expected $n passed, 0 failed"; return 1; }
    # The refusals were the host CMDQV's (the guest's VINTF page is the
    # host's), for a guest VINTF
    refused=$(grep -cE 'tegra241_vcmdq_error VINTF[1-9]' "$t")
    [ "$refused" -ge 7 ] ||
        { echo "L0's CMDQV refused $refused commands of a guest VINTF, expected the 7 illegal ones at least"; return 1; }
    grep -q "^L2-VMM-LOG: .*is not in the machine's RAM" "$log" &&
        grep -q "^L2-VMM-LOG: .*the host did not take a queue of VINTF0: QEMU runs the guest's queues" "$log" ||
        { echo "the L2 VMM did not log that the host could not have the queue and that QEMU runs the queues"; return 1; }
    line=$(grep -m1 '^E2E-CMDQV-HOSTILE ' "$log")
    case "$line" in
    "E2E-CMDQV-HOSTILE unplugged left=[] exit=0") ;;
    *) echo "after the cases: ${line:-no unplug}"; return 1 ;;
    esac
    echo "hostile guest on its CMDQV: all $n cases passed (the 7 illegal commands refused by the host's CMDQV with CERROR_ILL, $refused refusals in L0's trace, and the queue resumed; a queue based where nothing is made QEMU run the queues, the other went on, that one stopped with CERROR_ABT); after the unplug nothing left in the host, and the VMM exited 0"
}

# In L1 (guest/l1-init.sh calls it, with guest/l1-lib.sh)
l1_steps() {
    # accel-cmdqv-hostile (in L1): the hostile guest's CMDQV cases; then
    # the device is unplugged (the vIOMMU and every queue of the guest's
    # in the host must go) and the VMM quit.
set -f
# shellcheck disable=SC2046
set -- $(l2_args)
set +f
say "starting L2 for the CMDQV's hostile cases: $*"
l2_start "$@"
if l2_wait 'E2E-L2-DONE' 1 "$(param e2e.l2_timeout)"; then
    if qmp '{"execute": "device_del", "arguments": {"id": "nvme0"}}' &&
       qmp_event 'DEVICE_DELETED".*"nvme0' 1 120; then
        state="unplugged left=[$(objects_live)]"
    else
        state="not unplugged: $QMP_REPLY"
    fi
    qmp '{"execute": "quit"}' 10
    l2_end 60
    echo "E2E-CMDQV-HOSTILE $state exit=$(cat /tmp/l2rc 2>/dev/null)"
else
    echo "E2E-CMDQV-HOSTILE the guest did not finish"
    l2_end 10
fi
}

# shellcheck shell=sh
# accel-cmdqv-fault-injection: accel-fault-injection's steps with
# cmdqv=on, on a host SMMU with a CMDQV (L0's emulated one), for the host
# calls of the CMDQV: at a plug, the vIOMMU of type TEGRA241_CMDQV
# refused, then each of the two queues the guest runs refused by the
# host (IOMMU_HW_QUEUE_ALLOC).  Each time the plug goes on with an SMMUv3
# vIOMMU and QEMU runs the guest's queues (a warning says so): the
# guest's data check passes with no CMD_SYNC timeout, nothing is left in
# the host after the removal, and the next plug gives the guest the
# host's queues again.  Then each of the plug's two vEVENTQs refused (the
# SMMU's, the CMDQV's): the plug goes on with the host's queues.

. "${SCENARIOS:-/l2/scenarios}/accel-fault-injection.sh"

settings() {
    LONG=1
    NEEDS=accel
    L2FW=uefi
    L0_SMMU="stage=nested,s2fwb=on,x-tegra241-cmdqv=on"
    # (those that make the queues trap, then the vEVENTQs)
    TRAPS="viommu-alloc:1 hw-queue-alloc:1 hw-queue-alloc:2"
    FAULTS="$TRAPS veventq-alloc:1 veventq-alloc:2"
    L1_APPEND="e2e.faults=$(echo $FAULTS | tr ' ' ,)"
    L2_ARGS="-device pcie-root-port,id=rp0,chassis=1,bus=pcie.0 -device arm-smmuv3,primary-bus=pcie.0,accel=on,cmdqv=on -trace iommufd_backend_* -trace smmuv3_accel_* -trace smmuv3_record_event -trace smmuv3_trigger_irq -d guest_errors -D /tmp/l2-qemu.log @HOSTDEV@,bus=rp0"
    # (the plugs: the cold one, one per fault, the stopped VM's, the last)
    L2_APPEND="iommu.strict=1 e2e.hotplug=$(( $(echo $FAULTS | wc -w) + 3 )) nvme_core.admin_timeout=5 nvme_core.io_timeout=5"
}

verdict() {
    local spec want line traps attach n w
    grep -q '^E2E-FAULT-DONE vmm=running' "$log" || { echo "the fault injection did not finish with the VMM running: $(grep '^E2E-FAULT' "$log" | grep -v ' plug=' | head -n 1)"; return 1; }
    want="plug=ok guest=ok vmm=running left=[]"
    for spec in $FAULTS; do
        line=$(grep "^E2E-FAULT $spec " "$log")
        case "$line" in
        "E2E-FAULT $spec $want"*) ;;
        *) echo "$spec: expected '$want', got '${line:-nothing}'"; return 1 ;;
        esac
    done
    grep -q '^E2E-FAULT-STOPPED .* plug=ok guest=ok .*left=\[\]' "$log" ||
        { echo "the plug into the stopped VM: $(grep -m1 '^E2E-FAULT-STOPPED' "$log")"; return 1; }
    grep -q '^E2E-FAULT-AFTER plug=ok' "$log" || { echo "the device did not work again after the faults"; return 1; }
    # Each refusal of the vIOMMU or a queue: the queues trap, said once;
    # no queue of the guest stopped for it
    n=$(echo $TRAPS | wc -w)
    traps=$(grep -c "the guest's CMDQV queues trap" "$log")
    [ "$traps" = "$n" ] || { echo "$traps warnings that the guest's queues trap, expected $n (one per refusal of the vIOMMU or a queue)"; return 1; }
    # One of the two vEVENTQs refused was the CMDQV's: said once
    w=$(grep -c "will not get the host CMDQV's error interrupts" "$log")
    [ "$w" = 1 ] || { echo "$w warnings that the CMDQV's vEVENTQ was refused, expected 1"; return 1; }
    # QEMU ran the guest's commands while its queues trapped
    w=$(grep -c 'smmuv3_accel_cmdqv_consume VCMDQ[0-9]: [1-9][0-9]* commands' "$log")
    [ "$w" -ge 1 ] || { echo "QEMU ran no command of the guest's queues while they trapped"; return 1; }
    ! grep -q 'CMD_SYNC timeout' "$log" ||
        { echo "the guest's commands stopped: $(grep -m1 -o 'CMD_SYNC timeout.*' "$log")"; return 1; }
    # The host's queues were the guest's at the other plugs: the cold
    # one, the vEVENTQs' two, the stopped VM's, the last
    attach=$(grep -c 'smmuv3_accel_cmdqv_attach' "$log")
    [ "$attach" = 5 ] || { echo "the host's VINTF was mapped into L2 $attach times, expected 5 (the plugs without a refused vIOMMU or queue)"; return 1; }
    echo "$n CMDQV host calls failed once each at a plug: each time the guest's queues trapped into QEMU (warned), the data check passed with no CMD_SYNC timeout, nothing left in the host after the removal; each vEVENTQ refused once, the plug went on with the host's queues; the other plugs gave the guest the host's queues"
}

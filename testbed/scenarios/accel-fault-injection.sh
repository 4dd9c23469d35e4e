# shellcheck shell=sh
# accel-fault-injection: each host call of the accelerated vSMMU fails once
# in turn (the iommufd object's test-only x-fault-inject, set with qom-set):
# the plug is refused or the guest sees the architected error, QEMU keeps
# running, nothing is left in the host after each removal, and the device
# works again afterwards.  A plug into the stopped VM whose STE the host
# refuses writes nothing to the guest (no event, no interrupt) while it is
# stopped; the STE is installed again once it runs, with the event then.

settings() {
    LONG=1
    NEEDS=accel
    L2FW=uefi
    # Every host call fails once, in turn (in a plug, the allocations are
    # VFIO's stage 2, then the abort and bypass proxies, then the stage 1 of
    # the guest's STE; the attaches are to the abort proxy, then what the
    # guest's STEs say: a bypass left from the last unplug, then its stage 1)
    FAULTS="viommu-alloc:1 hwpt-alloc:1 hwpt-alloc:2 hwpt-alloc:3 hwpt-attach:1
     veventq-alloc:1 hwpt-alloc:4 vdevice-alloc:1 hwpt-attach:3 invalidate:1
     invalidate:1:12 invalidate:1:110"
    L1_APPEND="e2e.faults=$(echo $FAULTS | tr ' ' ,)"
    L2_ARGS="-device pcie-root-port,id=rp0,chassis=1,bus=pcie.0 -device arm-smmuv3,primary-bus=pcie.0,accel=on -trace iommufd_backend_* -trace smmuv3_accel_* -trace smmuv3_record_event -trace smmuv3_trigger_irq -d guest_errors -D /tmp/l2-qemu.log @HOSTDEV@,bus=rp0"
    L2_APPEND="e2e.hotplug=$(( $(echo $FAULTS | wc -w) + 3 )) nvme_core.admin_timeout=5 nvme_core.io_timeout=5"
}

verdict() {
    # What each injected failure must lead to
    local spec want line summary=""
    grep -q '^E2E-FAULT-DONE vmm=running' "$log" || { echo "the fault injection did not finish with the VMM running: $(grep '^E2E-FAULT' "$log" | grep -v ' plug=' | head -n 1)"; return 1; }
    grep -q '^E2E-FAULT-AFTER plug=ok' "$log" || { echo "the device did not work again after the faults"; return 1; }
    for spec in $FAULTS; do
        case "$spec" in
        viommu-alloc:*|hwpt-alloc:[123]|hwpt-attach:1) want="plug=refused guest=- vmm=running left=[]" ;;
        hwpt-alloc:4|vdevice-alloc:*|hwpt-attach:3) want="plug=ok guest=fail vmm=running left=[]" ;;
        *) want="plug=ok guest=ok vmm=running left=[]" ;;
        esac
        line=$(grep "^E2E-FAULT $spec " "$log")
        case "$line" in
        "E2E-FAULT $spec $want"*) ;;
        *) echo "$spec: expected '$want', got '${line:-nothing}'"; return 1 ;;
        esac
        summary="$summary $spec:$(echo "$line" | sed 's/.* plug=\([a-z]*\) guest=\([a-z-]*\).*/\1\/\2/')"
    done
    # The plug into the stopped VM: its STE refused (the attach to the
    # bypass the guest left), nothing written to the guest while stopped
    # but the install deferred; once the VM runs, installed again once,
    # refused again (the next attach fails too), and the first event then
    # the C_BAD_STE; the device working once the guest installed its STE
    want="plug=ok guest=ok writes=0 deferred=1 reinstalled=1 event=SMMU_EVT_C_BAD_STE vmm=running left=\[\]"
    line=$(grep '^E2E-FAULT-STOPPED ' "$log")
    echo "$line" | grep -qx "E2E-FAULT-STOPPED hwpt-attach:2 $want" ||
        { echo "the plug into the stopped VM: expected '$want' (writes: event records and interrupts while stopped; event: the first one after the re-install), got '${line:-nothing}'"; return 1; }
    # The architected answers: C_BAD_STE for a stage 1 the host refused,
    # the broader invalidation when the host refused one
    grep -q 'L2-VMM-LOG: .*the host refused the STE of SID' "$log" &&
        grep -q 'event 0x04 received' "$log" ||
        { echo "no C_BAD_STE for the refused stage 1 in the guest, or no log of it in the VMM"; return 1; }
    grep -q 'L2-VMM-LOG: .*carried out more broadly instead' "$log" ||
        { echo "the refused invalidation was not carried out more broadly"; return 1; }
    echo "$(echo $FAULTS | wc -w) call sites failed once each, QEMU kept running, nothing left in the host after each removal:$summary; a plug into the stopped VM with its STE refused wrote nothing to the guest while stopped, and its C_BAD_STE came from the re-install once the VM ran"
}

# In L1 (guest/l1-init.sh calls it, with guest/l1-lib.sh)
l1_steps() {
    # accel-fault-injection (in L1): every host call of the
    # accelerated vSMMU on the plug, STE install, invalidation and event paths
    # fails once in turn, through the iommufd object's test-only x-fault-inject
    # property (set with qom-set in the running VMM).  The NVMe is plugged with
    # each fault set, and unplugged again if it was accepted, in one L2 run
    # whose guest checks the data whenever the device is there (e2e.hotplug).
    # One line per call site:
    #   E2E-FAULT <op:n[:errno]> plug=<ok|refused> guest=<ok|fail|-> \
    #       vmm=<running|gone> left=[<host objects after the unplug>]
    # The verdict compares them with what the architecture and the design say.
set -f
# shellcheck disable=SC2046
set -- $(l2_args)
set +f
say "starting L2 for fault injection: $*"
l2_start "$@"
add='{"execute": "device_add", "arguments": {"driver": "vfio-pci", "id": "nvme0", "host": "'$bdf'", "iommufd": "iommufd0", "bus": "rp0"}}'
plugged=1       # the guest's plug cycles so far (the cold-plugged one)
unplugs=0

inject() {
    qmp '{"execute": "qom-set", "arguments": {"path": "/objects/iommufd0", "property": "x-fault-inject", "value": "'"$1"'"}}'
}

vmm() { [ -f /tmp/l2rc ] && echo gone || echo running; }

# unplug: take the device away, wait until the guest and QEMU let it go
unplug() {
    unplugs=$((unplugs + 1))
    qmp '{"execute": "device_del", "arguments": {"id": "nvme0"}}' &&
        qmp_event 'DEVICE_DELETED".*"nvme0' "$unplugs" 180 &&
        l2_wait "E2E-L2-UNPLUGGED $plugged" 1 60
}

# plug: add the device; $plug is "ok" once the guest has had it, "fail" if
# the guest's check failed, "refused" if QEMU refused it
plug() {
    if ! qmp "$add"; then
        plug=refused
        return
    fi
    plugged=$((plugged + 1))
    plug=fail
    l2_wait "E2E-L2-PLUG $plugged " 1 150 &&
        grep -q "E2E-L2-PLUG $plugged ok" "$L2OUT" && plug=ok
}

l2_wait "E2E-L2-PLUG 1 ok" 1 240 || echo "E2E-FAULT-SETUP the cold-plugged device did not work"
present=1
for spec in $(param e2e.faults | tr , ' '); do
    if [ "$present" = 1 ]; then
        unplug || { echo "E2E-FAULT $spec: could not unplug: $QMP_REPLY"; break; }
        present=0
    fi
    inject "$spec" || { echo "E2E-FAULT $spec: qom-set: $QMP_REPLY"; break; }
    plug
    if [ "$plug" = refused ]; then
        why=$(echo "$QMP_REPLY" | sed 's/.*"desc": "\([^"]*\)".*/\1/' | cut -c1-160)
        echo "E2E-FAULT $spec plug=refused guest=- vmm=$(vmm) left=[$(objects_live)] ($why)"
    else
        # Unplugged again, so that what it left can be seen
        result=$plug
        unplug || { echo "E2E-FAULT $spec: could not unplug: $QMP_REPLY"; break; }
        echo "E2E-FAULT $spec plug=ok guest=$result vmm=$(vmm) left=[$(objects_live)]"
    fi
    inject off
done
# A plug into the stopped VM, whose STE install fails (the attach to the
# bypass that the guest's STE left, the plug's second): the VMM must not
# write an event record or raise an interrupt while the VM is stopped, but
# defer the install (traced); once the VM runs it installs the STE again
# (traced), which fails again (the next attach is made to fail too), and
# the first event after it is the C_BAD_STE; the guest gets the device
# afterwards
stopped_writes() { grep -cE 'smmuv3_(record_event|trigger_irq)' /tmp/l2-qemu.log; }
# the first event recorded after the re-install, if any
event_after_reinstall() {
    sed -n '/smmuv3_accel_reinstall SID/,$p' /tmp/l2-qemu.log |
        grep -m1 'smmuv3_record_event' | sed 's/.*smmuv3_record_event \([A-Z_]*\).*/\1/'
}
if [ "$present" = 1 ]; then
    unplug || echo "E2E-FAULT-STOPPED: could not unplug: $QMP_REPLY"
    present=0
fi
if qmp '{"execute": "stop"}' && inject hwpt-attach:2; then
    n0=$(stopped_writes)
    plugged=$((plugged + 1))
    splug=ok
    qmp "$add" || { splug=refused; plugged=$((plugged - 1)); }
    sleep 1
    n1=$(stopped_writes)
    deferred=$(grep -c 'smmuv3_accel_install_deferred' /tmp/l2-qemu.log)
    inject hwpt-attach:1 || echo "E2E-FAULT-STOPPED: qom-set: $QMP_REPLY"
    qmp '{"execute": "cont"}'
    i=0
    while [ $i -lt 100 ] && [ -z "$(event_after_reinstall)" ]; do
        usleep 100000
        i=$((i + 1))
    done
    reinstalled=$(grep -c 'smmuv3_accel_reinstall SID' /tmp/l2-qemu.log)
    event=$(event_after_reinstall)
    inject off
    result=-
    if [ "$splug" = ok ]; then
        result=fail
        l2_wait "E2E-L2-PLUG $plugged " 1 150 &&
            grep -q "E2E-L2-PLUG $plugged ok" "$L2OUT" && result=ok
        unplug || echo "E2E-FAULT-STOPPED: could not unplug: $QMP_REPLY"
    fi
    echo "E2E-FAULT-STOPPED hwpt-attach:2 plug=$splug guest=$result writes=$((n1 - n0)) deferred=$deferred reinstalled=$reinstalled event=${event:-none} vmm=$(vmm) left=[$(objects_live)]"
else
    echo "E2E-FAULT-STOPPED: stop or qom-set: $QMP_REPLY"
    qmp '{"execute": "cont"}'
fi
# The device works again once nothing fails
plug
echo "E2E-FAULT-AFTER plug=$plug"
echo "E2E-FAULT-DONE vmm=$(vmm)"
qmp '{"execute": "quit"}' 10
l2_end 60
}

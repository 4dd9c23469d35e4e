# shellcheck shell=sh
# accel-fault-injection (sourced by L1's /init): every host call of the
# accelerated vSMMU on the plug, STE install, invalidation and event paths
# fails once in turn, through the iommufd object's test-only x-fault-inject
# property (set with qom-set in the running VMM).  The NVMe is plugged with
# each fault set, and unplugged again if it was accepted, in one L2 run
# whose guest checks the data whenever the device is there (e2e.hotplug).
# One line per call site:
#   E2E-FAULT <op:n[:errno]> plug=<ok|refused> guest=<ok|fail|-> \
#       vmm=<running|gone> left=[<host objects after the unplug>]
# e2e.sh compares them with what the architecture and the design say.

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
# The device works again once nothing fails
plug
echo "E2E-FAULT-AFTER plug=$plug"
echo "E2E-FAULT-DONE vmm=$(vmm)"
qmp '{"execute": "quit"}' 10
l2_end 60

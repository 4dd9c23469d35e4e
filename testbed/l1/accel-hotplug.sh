# shellcheck shell=sh
# accel-hotplug (sourced by L1's /init): the NVMe goes away and comes back
# e2e.cycles times, on a hotpluggable root port behind the accelerated vSMMU
# of a running L2 guest, which checks the data each time it is there.
# Every removal of the (only, so last) host device must free what the vSMMU
# held in the host, and the next add must allocate it again; the VMM must
# not grow (its RSS after each removal).  Each step prints an E2E-HOTPLUG
# line for e2e.sh.

cycles=$(param e2e.cycles)
set -f
# shellcheck disable=SC2046
set -- $(l2_args)
set +f
say "starting L2 for $cycles hotplug cycles: $*"
l2_start "$@"
add='{"execute": "device_add", "arguments": {"driver": "vfio-pci", "id": "nvme0", "host": "'$bdf'", "iommufd": "iommufd0", "bus": "rp0"}}'

# What the bus-master address space of the vfio-pci device is an alias of,
# in the VMM's memory tree (info mtree): "system" for a device the host
# translates, whether it came with the machine or was hot-plugged
bus_master_of() {
    qmp '{"execute": "human-monitor-command", "arguments": {"command-line": "info mtree"}}' ||
        { echo "(info mtree: $QMP_REPLY)"; return; }
    printf '%s\n' "$QMP_REPLY" | awk '{ gsub(/\\r\\n/, "\n"); print }' | awk '
        /^address-space: vfio-pci/ { f = 1; next }
        /^address-space:/ { f = 0 }
        f && / alias bus master @/ { sub(/.* alias bus master @/, ""); print $1; exit }'
}

for c in $(seq 1 "$cycles"); do
    l2_wait "E2E-L2-PLUG $c " 1 240 ||
        { echo "E2E-HOTPLUG-FAIL $c: the guest did not see the device"; break; }
    grep -q "E2E-L2-PLUG $c ok" "$L2OUT" ||
        { echo "E2E-HOTPLUG-FAIL $c: the guest's data check failed"; break; }
    # cold-plugged (1) and hot-plugged (2)
    [ "$c" -le 2 ] && echo "E2E-HOTPLUG-AS $c $(bus_master_of)"
    qmp '{"execute": "device_del", "arguments": {"id": "nvme0"}}' ||
        { echo "E2E-HOTPLUG-FAIL $c: device_del: $QMP_REPLY"; break; }
    qmp_event 'DEVICE_DELETED".*"nvme0' "$c" 120 ||
        { echo "E2E-HOTPLUG-FAIL $c: the guest did not let the device go"; break; }
    # (the guest waits 10 s after the last removal before it powers off)
    rss=$(l2_rss)
    echo "E2E-HOTPLUG $c unplugged: host objects left [$(objects_live)]," \
         "vIOMMUs allocated $(count_trace iommufd_backend_alloc_viommu)," \
         "RSS $rss KiB"
    l2_wait "E2E-L2-UNPLUGGED $c" 1 60
    if [ "$c" -lt "$cycles" ]; then
        qmp "$add" || { echo "E2E-HOTPLUG-FAIL $c: device_add: $QMP_REPLY"; break; }
    fi
done
l2_end 120
kmemleak_report

# shellcheck shell=sh
# accel-hotplug: the NVMe on a hotpluggable root port; L1 unplugs and plugs
# it E2E_HOTPLUG_CYCLES times (10 in make check, 20 in make soak), the guest
# checks the data each time; every removal frees what the vSMMU held in the
# host, the VMM's RSS does not grow, kmemleak finds nothing, and the
# hot-plugged device's bus-master address space is system memory, as the
# cold-plugged one's.

# hotplug_settings CYCLES VSMMU_OPTIONS: the settings of a hotplug run
# (accel-cmdqv-hotplug has its own options and cycles)
hotplug_settings() {
    CYCLES=$1
    # (the bounds grow with the cycles: 10 take about 2.5 minutes)
    LONG=$(( (CYCLES + 9) / 10 ))
    L2LONG=$LONG
    NEEDS=accel
    L2FW=uefi
    L1_APPEND="kmemleak=on e2e.cycles=$CYCLES"
    L2_ARGS="-device pcie-root-port,id=rp0,chassis=1,bus=pcie.0 -device arm-smmuv3,primary-bus=pcie.0,accel=on$2 -trace iommufd_backend_* -trace smmuv3_accel_* -d guest_errors -D /tmp/l2-qemu.log @HOSTDEV@,bus=rp0"
    L2_APPEND="e2e.hotplug=$CYCLES"
}

settings() { hotplug_settings "$HOTPLUG_CYCLES" ""; }

verdict() { verdict_hotplug; }

verdict_hotplug() {
    # Every cycle: the guest's data check, nothing of the vSMMU left in
    # the host after the removal, a vIOMMU allocated again at the add;
    # no kmemleak report; the VMM's RSS after the removals.
    local c n rss0 rss1 rss3 growth from bound
    grep -q '^E2E-HOTPLUG-FAIL' "$log" && { grep -m1 '^E2E-HOTPLUG-FAIL' "$log"; return 1; }
    for c in $(seq 1 "$CYCLES"); do
        grep -q "^ *E2E-L2-PLUG $c ok" "$log" || { echo "cycle $c: the guest's data check did not pass"; return 1; }
        line=$(grep "^E2E-HOTPLUG $c unplugged" "$log")
        case "$line" in
        *"host objects left [],"*) ;;
        "") echo "cycle $c: no unplug"; return 1 ;;
        *) echo "cycle $c: host objects left after the removal: $line"; return 1 ;;
        esac
        n=$(echo "$line" | sed -n 's/.*vIOMMUs allocated \([0-9]*\),.*/\1/p')
        [ "$n" = "$c" ] || { echo "cycle $c: $n vIOMMU allocations, expected $c (one per add)"; return 1; }
    done
    got=$(sed -n 's/^ *E2E-L2-READ sha256=//p' "$log" | sort -u)
    [ "$got" = "$(pattern known $((KNOWN_KIB * 1024 / 16)) | sha256sum | cut -d' ' -f1)" ] ||
        { echo "the guest read wrong data in some cycle"; return 1; }
    # The host translates the device's DMA, hot-plugged or not: QEMU's
    # own accesses for it (bus-master address space) go to system
    # memory in both cases
    for c in 1 2; do
        got=$(sed -n "s/^E2E-HOTPLUG-AS $c //p" "$log")
        [ "$got" = system ] || {
            echo "the $( [ $c = 1 ] && echo cold || echo hot)-plugged device's bus-master address space is an alias of '$got', expected 'system'"
            return 1; }
    done
    kmemleak_verdict "$log" || return 1
    # The VMM's RSS may grow in the first cycles (caches, the guest's
    # RAM touched); from the third removal on a leak of the plug path
    # shows as growth per cycle, which must stay within noise.  (A
    # cycle moved 2 KiB on average in a clean run, 150 KiB the first.)
    rss0=$(sed -n 's/^E2E-HOTPLUG 1 unplugged.*RSS \([0-9]*\) KiB/\1/p' "$log")
    rss3=$(sed -n 's/^E2E-HOTPLUG 3 unplugged.*RSS \([0-9]*\) KiB/\1/p' "$log")
    rss1=$(sed -n "s/^E2E-HOTPLUG $CYCLES unplugged.*RSS \([0-9]*\) KiB/\1/p" "$log")
    if [ -z "$rss0" ] || [ -z "$rss1" ]; then
        echo "the VMM's RSS was not read after the first or the last removal"
        return 1
    fi
    growth=$(( (rss1 - rss0) / (CYCLES - 1) ))
    from=first
    bound="no bound under 6 cycles"
    if [ "$CYCLES" -ge 6 ]; then
        from=third
        bound="bound $RSS_BOUND, from the third"
        [ -n "$rss3" ] || { echo "the VMM's RSS was not read after the third removal"; return 1; }
        growth=$(( (rss1 - rss3) / (CYCLES - 3) ))
        [ "$growth" -le "$RSS_BOUND" ] || {
            echo "the VMM's RSS grew by $growth KiB per cycle from the third removal to the last ($rss3 to $rss1 KiB; bound $RSS_BOUND)"
            return 1; }
    fi
    echo "$CYCLES unplug/plug cycles, data checked each time, the vIOMMU freed at each removal and allocated at each add; kmemleak: $KMEMLEAK; VMM RSS $rss0 KiB after the first removal, $rss3 after the third, $rss1 after the last: ${growth} KiB per cycle from the $from ($bound)"
}

# In L1 (guest/l1-init.sh calls it, with guest/l1-lib.sh)
l1_steps() {
    # accel-hotplug (in L1): the NVMe goes away and comes back
    # e2e.cycles times, on a hotpluggable root port behind the accelerated vSMMU
    # of a running L2 guest, which checks the data each time it is there.
    # Every removal of the (only, so last) host device must free what the vSMMU
    # held in the host, and the next add must allocate it again; the VMM must
    # not grow (its RSS after each removal).  Each step prints an E2E-HOTPLUG
    # line for the verdict.
cycles=$(param e2e.cycles)
set -f
# shellcheck disable=SC2046
set -- $(l2_args)
set +f
say "starting L2 for $cycles hotplug cycles: $*"
l2_start "$@"
add='{"execute": "device_add", "arguments": {"driver": "vfio-pci", "id": "nvme0", "host": "'$bdf'", "iommufd": "iommufd0", "bus": "rp0"}}'

for c in $(seq 1 "$cycles"); do
    l2_wait "E2E-L2-PLUG $c " 1 240 ||
        { echo "E2E-HOTPLUG-FAIL $c: the guest did not see the device"; break; }
    grep -q "E2E-L2-PLUG $c ok" "$L2OUT" ||
        { echo "E2E-HOTPLUG-FAIL $c: the guest's data check failed"; break; }
    # cold-plugged (1) and hot-plugged (2)
    if [ "$c" -le 2 ]; then
        # What the bus-master address space of the vfio-pci device is an
        # alias of in the VMM's memory tree: "system" for a device the
        # host translates, cold- or hot-plugged
        as=
        for try in 1 2 3; do
            if qmp '{"execute": "human-monitor-command", "arguments": {"command-line": "info mtree"}}'; then
                as=$(printf '%s\n' "$QMP_REPLY" | mtree_bus_master vfio-pci)
            else
                as="(info mtree: $QMP_REPLY)"
            fi
            [ -n "$as" ] && break
            sleep 2
        done
        [ -n "$as" ] ||
            echo "E2E-HOTPLUG-AS-REPLY $c $(printf '%s' "$QMP_REPLY" | cut -c1-300)"
        echo "E2E-HOTPLUG-AS $c $as"
    fi
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
}

# shellcheck shell=sh
# accel-reboot-loop (sourced by L1's /init): one L2 run that boots
# e2e.cycles + 1 times, the guest rebooting itself and the host resetting
# it (QMP system_reset) in turn, with the data check at every boot.  Half
# way, the NVMe moves to another root port while the guest waits for its
# reset: after the reset its bus number, so its StreamID, is another, and
# it must still be translated.  Each step prints an E2E-REBOOT line.

cycles=$(param e2e.cycles)
set -f
# shellcheck disable=SC2046
set -- $(l2_args)
set +f
say "starting L2 for $cycles reboots and resets: $*"
l2_start "$@"
move=$((cycles / 2 | 1))        # an odd boot: the host resets it
for n in $(seq 0 "$cycles"); do
    l2_wait "E2E-L2-BOOT $n " 1 240 ||
        { echo "E2E-REBOOT-FAIL $n: the guest did not boot, or saw no disk"; break; }
    echo "E2E-REBOOT boot $n: data checked, RSS $(l2_rss) KiB, host objects [$(objects_live)]"
    [ $((n % 2)) = 1 ] && [ "$n" -lt "$cycles" ] || continue
    l2_wait "E2E-L2-WAIT-RESET $n" 1 60 ||
        { echo "E2E-REBOOT-FAIL $n: the guest did not wait for a reset"; break; }
    if [ "$n" = "$move" ]; then
        qmp '{"execute": "device_del", "arguments": {"id": "nvme0"}}' &&
            qmp_event 'DEVICE_DELETED".*"nvme0' 1 120 &&
            qmp '{"execute": "device_add", "arguments": {"driver": "vfio-pci", "id": "nvme0", "host": "'$bdf'", "iommufd": "iommufd0", "bus": "rp1"}}' ||
            { echo "E2E-REBOOT-FAIL $n: moving the device: $QMP_REPLY"; break; }
        echo "E2E-REBOOT moved the device to root port rp1 before reset $n"
    fi
    qmp '{"execute": "system_reset"}' ||
        { echo "E2E-REBOOT-FAIL $n: system_reset: $QMP_REPLY"; break; }
done
l2_wait "E2E-L2-REBOOTS-DONE" 1 60
l2_end 120
kmemleak_report

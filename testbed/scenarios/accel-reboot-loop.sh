# shellcheck shell=sh
# accel-reboot-loop: one L2 run that boots E2E_REBOOT_CYCLES + 1 times (6
# cycles in make check, 20 in make soak), the guest rebooting itself and the host
# resetting it in turn, the data checked at every boot; half way the device
# moves to another root port (bus), so its StreamID changes, and it must
# still be translated; kmemleak finds nothing.

settings() { reboot_settings "$REBOOT_CYCLES" ""; }

# reboot_settings CYCLES VSMMU_OPTIONS: the settings of a reboot loop
# (accel-cmdqv-reboot-loop has its own options and cycles)
reboot_settings() {
    CYCLES=$1
    # (the bounds grow with the boots: 6 take about 3.5 minutes)
    LONG=$(( (CYCLES + 5) / 6 ))
    L2LONG=$LONG
    NEEDS=accel
    L2FW=uefi
    L1_APPEND="kmemleak=on e2e.cycles=$CYCLES"
    L2_ARGS="-device pcie-root-port,id=rp0,chassis=1,bus=pcie.0 -device pcie-root-port,id=rp1,chassis=2,bus=pcie.0 -device arm-smmuv3,primary-bus=pcie.0,accel=on$2 -trace iommufd_backend_* -trace smmuv3_accel_* -d guest_errors -D /tmp/l2-qemu.log @HOSTDEV@,bus=rp0"
    L2_APPEND="e2e.reboots=$CYCLES"
}

verdict() { verdict_reboot; }

verdict_reboot() {
    local n
    grep -q '^E2E-REBOOT-FAIL' "$log" && { grep -m1 '^E2E-REBOOT-FAIL' "$log"; return 1; }
    for n in $(seq 0 "$CYCLES"); do
        grep -q "^E2E-REBOOT boot $n: data checked" "$log" || { echo "boot $n: no data check"; return 1; }
    done
    got=$(sed -n 's/^ *E2E-L2-READ sha256=//p' "$log" | sort -u)
    [ "$got" = "$(pattern known $((KNOWN_KIB * 1024 / 16)) | sha256sum | cut -d' ' -f1)" ] ||
        { echo "the guest read wrong data at some boot"; return 1; }
    grep -q '^E2E-REBOOT moved the device to root port rp1' "$log" || { echo "the device was not moved"; return 1; }
    # After the move its StreamID is bus 2's: a vDEVICE and a stage 1 for it
    grep -q 'iommufd_backend_alloc_vdev .*virt_id=0x200 .*(0)$' "$log" &&
        grep -q 'smmuv3_accel_install SID 0x200: .*(stage 1)' "$log" ||
        { echo "no vDEVICE and stage-1 STE for the new StreamID 0x200 after the move"; return 1; }
    kmemleak_verdict "$log" || return 1
    # The RSS of the last boot but one: at the last, the guest powers
    # off as soon as it has checked the data, and the VMM may be gone
    # by the time L1 reads its RSS
    local last=$((CYCLES - 1))
    rss0=$(sed -n 's/^E2E-REBOOT boot 1: .*RSS \([0-9][0-9]*\) KiB.*/\1/p' "$log")
    rss1=$(sed -n "s/^E2E-REBOOT boot $last: .*RSS \([0-9][0-9]*\) KiB.*/\1/p" "$log")
    [ -n "$rss0" ] && [ -n "$rss1" ] ||
        { echo "the VMM's RSS was not read at boot 1 or boot $last"; return 1; }
    echo "$((CYCLES + 1)) boots ($((CYCLES / 2)) guest reboots, $(((CYCLES + 1) / 2)) system_resets), data checked at each; the device moved to another bus (StreamID 0x100 to 0x200) across a reset and translated there; kmemleak: $KMEMLEAK; VMM RSS $rss0 KiB at boot 1, $rss1 KiB at boot $last"
}

# In L1 (guest/l1-init.sh calls it, with guest/l1-lib.sh)
l1_steps() {
    # accel-reboot-loop (in L1): one L2 run that boots
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
}

# shellcheck shell=sh
# accel-cmdqv-reboot-loop: accel-reboot-loop with cmdqv=on, on a host SMMU
# with a CMDQV (L0's emulated one), 3 reboots and resets: at each reset
# the guest's queues leave the host (freed from the last down) and come
# back when the guest sets them up again; the device's move to another
# bus takes the host's VINTF away and gives it back.  The data checked at
# every boot, L2's kernel on its CMDQV at every boot, no command stopped,
# kmemleak clean.

. "${SCENARIOS:-/l2/scenarios}/accel-reboot-loop.sh"

settings() {
    reboot_settings 3 ",cmdqv=on"
    L0_SMMU="stage=nested,s2fwb=on,x-tegra241-cmdqv=on"
}

verdict() {
    local out boots found attach hwq
    out=$(verdict_reboot) || { echo "$out"; return 1; }
    boots=$((CYCLES + 1))
    found=$(grep -c 'L2: dmesg: .*found companion CMDQV device: NVDA200C' "$log")
    [ "$found" -ge "$boots" ] ||
        { echo "L2's kernel found its CMDQV at $found of $boots boots"; return 1; }
    # The cold plug and the move's plug
    attach=$(grep -c 'smmuv3_accel_cmdqv_attach' "$log")
    [ "$attach" = 2 ] || { echo "the host's VINTF was mapped into L2 $attach times, expected 2 (the start, the move)"; return 1; }
    hwq=$(grep -c 'smmuv3_accel_cmdqv_hw_queue LVCMDQ[0-9]: host queue [1-9]' "$log")
    [ "$hwq" -ge $((2 * boots)) ] || { echo "$hwq queues allocated in the host in $boots boots, expected L2's two at each"; return 1; }
    ! grep -qE 'CMD_SYNC timeout|CMDQ error|unexpected error reported|CMDQV: ' "$log" ||
        { echo "a command queue error: $(grep -m1 -oE '(CMD_SYNC timeout|CMDQ error|unexpected error reported|CMDQV: ).*' "$log")"; return 1; }
    echo "$out; L2 on its CMDQV at each boot, $hwq queue allocations in the host, the VINTF mapped at the start and after the move"
}

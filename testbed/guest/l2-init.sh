#!/bin/sh
# /init of the L2 guest: a real Linux whose nvme driver does DMA through the
# passed-through NVMe.  It reads the disk's known content, writes a pattern,
# reads it back, and prints what it saw for the host-side checks (the scenarios' verdicts).
# Parameters come from the kernel command line (e2e.*=).
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev

param() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" /proc/cmdline; }
say() { echo "L2: $*"; }
# e2e.hold=1: stay up after the checks, for the host to end the VMM
# (libvirt-accel: virsh destroy)
done_() {
    sync; echo "E2E-L2-DONE $1"
    [ "$(param e2e.hold)" = 1 ] && while :; do sleep 3600; done
    poweroff -f; sleep 5
}

tag=$(param e2e.tag)
known=$(param e2e.known_kib)
off=$(param e2e.pat_off_kib)

say "kernel $(uname -r), booted with $(test -d /sys/firmware/acpi/tables && echo ACPI || echo device-tree)"
for g in /sys/kernel/iommu_groups/*; do
    [ -e "$g/type" ] && say "iommu group ${g##*/}: type $(cat "$g/type") devices $(ls "$g/devices" | tr '\n' ' ')"
done
dmesg | grep -iE 'arm-smmu-v3|iommu|cmdqv' | head -n 40 | sed 's/^/L2: dmesg: /'
grep -i cmdqv /proc/interrupts | sed 's/^ */L2: interrupt: /'

# e2e.hostile=1: no NVMe data checks; the guest drives its vSMMU itself
# through /dev/mem (its own SMMU driver kept away with initcall_blacklist,
# the tables in RAM left out with mem=) and checks how the SMMU answers
# illegal STEs and commands.  With e2e.flood=1 it floods the command queue
# instead (make bench, scenario bench-flood); with e2e.hostile_cmdqv=1 it
# drives the SMMU's CMDQV instead (accel-cmdqv-hostile).
if [ "$(param e2e.hostile)" = 1 ]; then
    spare=$(param e2e.spare_ram)
    mode=
    [ "$(param e2e.flood)" = 1 ] && mode=--flood
    [ "$(param e2e.hostile_cmdqv)" = 1 ] && mode=--cmdqv
    /bin/smmuv3-hostile-guest ${spare:+--spare-ram=$spare} $mode
    rc=$?
    say "smmuv3-hostile-guest exited with $rc"
    if [ $rc = 0 ]; then done_ ok; else done_ fail; fi
fi

# wait_disk SECONDS: the NVMe namespace's block device, once it is there;
# fails at once if the driver gave up on the controller
wait_disk() {
    i=0
    failed=$(dmesg | grep -c 'probe with driver nvme failed')
    while [ $i -lt "$1" ]; do
        [ -b /dev/nvme0n1 ] && { echo /dev/nvme0n1; return 0; }
        [ "$(dmesg | grep -c 'probe with driver nvme failed')" = "$failed" ] || return 1
        sleep 1; i=$((i + 1))
    done
    return 1
}

# data_check DEV: read the known content with O_DIRECT (every byte a DMA
# write of the device into guest memory), write the pattern (the device
# DMA-reads guest memory) and read it back.
data_check() {
    sha=$(dd if=$1 bs=64k count=$((known / 64)) iflag=direct 2>/tmp/dd.err | sha256sum | cut -d' ' -f1)
    echo "E2E-L2-READ sha256=$sha"
    # (a read that fails says why, for the verdict's reader)
    grep -v 'records\|copied' /tmp/dd.err | sed 's/^/L2: dd: /'
    awk -v tag="$tag" 'BEGIN { for (i = 0; i < 4096; i++) printf "%-8.8s%07d\n", tag, i }' > /tmp/pat
    dd if=/tmp/pat of=$1 bs=64k seek=$((off / 64)) oflag=direct conv=fsync 2>/dev/null ||
        { say "pattern write failed"; return 1; }
    back=$(dd if=$1 bs=64k skip=$((off / 64)) count=1 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
    echo "E2E-L2-WROTE sha256=$(sha256sum < /tmp/pat | cut -d' ' -f1) readback=$back"
}

# e2e.hotplug=N: the host (L1) unplugs and plugs the NVMe N times; each time
# it is there, check the data, then wait for it to go.
cycles=$(param e2e.hotplug)
if [ -n "$cycles" ]; then
    for c in $(seq 1 "$cycles"); do
        if dev=$(wait_disk 90) && data_check "$dev"; then
            echo "E2E-L2-PLUG $c ok"
        else
            echo "E2E-L2-PLUG $c fail"
            dmesg | grep -iE 'nvme|smmu' | tail -n 8 | sed 's/^/L2: dmesg: /'
        fi
        i=0
        while ls /sys/bus/pci/drivers/nvme | grep -q '^0000:'; do
            [ $i -ge 600 ] && break
            usleep 200000; i=$((i + 1))
        done
        echo "E2E-L2-UNPLUGGED $c"
    done
    # L1 reads the VMM's RSS after the last removal: do not end before
    sleep 10
    done_ ok
fi

# e2e.bench=MIB: the I/O benchmark (make bench): each workload writes, then
# reads and verifies, MIB MiB of the disk with O_DIRECT (tools/dmabench);
# e2e.bench_set=short: a few workloads only.  A second of quiet after each
# line lets the host (L1) read the VMM's counters for it.
mib=$(param e2e.bench)
if [ -n "$mib" ]; then
    dev=$(wait_disk 60) || { say "no NVMe block device appeared"; done_ fail; }
    if [ "$(param e2e.bench_set)" = short ]; then
        set -- "seq 4096 1" "rand 131072 16"
    else
        set -- "seq 4096 1" "seq 4096 16" "seq 131072 1" "seq 131072 16" \
               "rand 4096 1" "rand 4096 16" "rand 131072 1" "rand 131072 16"
    fi
    sleep 1
    echo "E2E-BENCH-BEGIN"
    sleep 1
    n=0
    for w in "$@"; do
        n=$((n + 1))
        # shellcheck disable=SC2086
        set -- $w
        /bin/dmabench "$dev" write "$1" "$2" "$3" "$mib" "$n"
        sleep 1
        /bin/dmabench "$dev" read "$1" "$2" "$3" "$mib" "$n"
        sleep 1
    done
    echo "E2E-BENCH-END"
    done_ ok
fi

dev=$(wait_disk 30) || { say "no NVMe block device appeared"; dmesg | tail -n 30; done_ fail; }
say "found $dev ($(cat /sys/block/nvme0n1/size) sectors) via $(readlink /sys/block/nvme0n1/device/device/driver)"
grep -E 'nvme' /proc/interrupts | head -n 4 | sed 's/^/L2: irq: /'
data_check "$dev" || done_ fail
grep -E 'nvme' /proc/interrupts | head -n 4 | sed 's/^/L2: irq: /'

# e2e.disks=2: the second controller's disk too
if [ "$(param e2e.disks)" = 2 ]; then
    i=0
    while [ ! -b /dev/nvme1n1 ] && [ $i -lt 30 ]; do sleep 1; i=$((i + 1)); done
    [ -b /dev/nvme1n1 ] || { say "no second NVMe block device appeared"; done_ fail; }
    say "found /dev/nvme1n1 ($(cat /sys/block/nvme1n1/size) sectors)"
    data_check /dev/nvme1n1 || done_ fail
fi

# e2e.reboots=N: boot N+1 times, counting boots on the disk; the odd ones
# end with the guest's own reboot, the even ones with the host's
# system_reset (the guest says so and waits).
reboots=$(param e2e.reboots)
if [ -n "$reboots" ]; then
    # BOOT0008: no leading zeros into $((...)), which would read octal
    n=$(dd if=$dev bs=512 skip=$(((off + 64) * 2)) count=1 iflag=direct 2>/dev/null | head -c 8 | sed -n 's/^BOOT0*\([0-9][0-9]*\)$/\1/p')
    n=$((${n:-0} + 0))
    echo "E2E-L2-BOOT $n ok"
    if [ "$n" -lt "$reboots" ]; then
        printf 'BOOT%04d' $((n + 1)) | dd of=$dev bs=512 seek=$(((off + 64) * 2)) conv=sync,fsync oflag=direct 2>/dev/null
        sync
        if [ $((n % 2)) = 0 ]; then
            reboot -f
        else
            echo "E2E-L2-WAIT-RESET $n"
        fi
        sleep 600
    fi
    echo "E2E-L2-REBOOTS-DONE $n"
    done_ ok
fi
# e2e.reboot=1: reboot once (the VMM resets the vIOMMU, the guest sets it
# up again) and repeat the checks; a mark on the disk tells the boots apart.
if [ "$(param e2e.reboot)" = 1 ]; then
    mark=$(dd if=$dev bs=512 skip=$(((off + 64) * 2)) count=1 iflag=direct 2>/dev/null | head -c 8)
    if [ "$mark" != REBOOTED ]; then
        printf 'REBOOTED' | dd of=$dev bs=512 seek=$(((off + 64) * 2)) conv=sync,fsync oflag=direct 2>/dev/null
        say "rebooting"
        sync
        reboot -f
        sleep 30
    fi
    echo "E2E-L2-REBOOT-OK"
fi
done_ ok

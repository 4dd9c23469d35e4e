# shellcheck shell=sh
# l1-lib.sh: what L1's /init and the scenario scripts (testbed/scenarios/*.sh, their l1_steps) use
# to run L2 guests and talk to their VMM (sourced, not run).
#
#   l2_args           the scenario's L2 QEMU arguments, @HOSTDEV@ expanded
#   l2_start ARGS...  start the L2 VMM in the background, with a QMP monitor
#   qmp JSON          send a QMP command, wait for its answer ($QMP_REPLY)
#   qmp_event NAME N  wait for the Nth QMP event NAME
#   l2_wait RE N      wait for the Nth line of L2's console matching RE
#   l2_end            wait for the L2 VMM to exit, print its exit status
#   l2_rss, l2_cpu    the L2 VMM's resident set (KiB), its CPU time (ticks)
#
# L2's console and the VMM's messages go to L1's console indented by two
# spaces, and to $L2OUT; QMP traffic to $QMPLOG.

L2OUT=/tmp/l2.out
QMPLOG=/tmp/qmp.log
QMP_ID=0

param() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" /proc/cmdline; }
say() { echo "L1: $*"; }

# The vfio-pci devices of the NVMe controllers ($bdfs, set by /init)
hostdev() { echo "-device vfio-pci,host=$1,iommufd=iommufd0,id=$2"; }

# The scenario's L2 arguments: @HOSTDEV@ and @HOSTDEV2@ stand for the
# vfio-pci devices of the first and second NVMe controller; without
# @HOSTDEV@, the first comes last.  The arguments may hold globs for QEMU
# (-trace name_*): expand with set -f.
l2_args() {
    args=$(cat "/l2/args.d/$scenario")
    case "$args" in *@HOSTDEV@*) ;; *) args="$args @HOSTDEV@" ;; esac
    second=$(echo "$bdfs" | cut -d' ' -f2 -s)
    echo "$args" | sed "s|@HOSTDEV@|$(hostdev "$bdf" nvme0)|; s|@HOSTDEV2@|$(hostdev "$second" nvme1)|"
}

# The firmware and kernel options of L2 (e2e.l2fw, or $L2FW_RUN for one
# run: uefi or dt)
l2_boot_args() {
    if [ "${L2FW_RUN:-$(param e2e.l2fw)}" = uefi ]; then
        echo "-bios /l2/QEMU_EFI.fd -kernel /l2/Image -initrd /l2/initrd.gz"
    else
        echo "-kernel /l2/Image -initrd /l2/initrd.gz"
    fi
}

# l2_start ARGS...: the L2 VMM, in the background, for at most e2e.l2_timeout
# seconds; ARGS come after the common ones (machine, memory, firmware,
# iommufd0).  The kernel command line is e2e.l2append, commas for spaces,
# plus $L2_EXTRA_APPEND.  The VMM is $L2_QEMU (default our QEMU,
# /bin/qemu-system-aarch64).
l2_start() {
    rm -f /tmp/qmp.in /tmp/qmp.out /tmp/l2rc /tmp/l2.pid "$QMPLOG"
    : > "$L2OUT"
    : > "$QMPLOG"
    mkfifo /tmp/qmp.in /tmp/qmp.out
    # shellcheck disable=SC2046
    ( timeout "$(param e2e.l2_timeout)" "${L2_QEMU:-/bin/qemu-system-aarch64}" \
          -M virt,gic-version=3 -cpu host -accel kvm -m 512M -smp 1 \
          -nographic -nic none -pidfile /tmp/l2.pid \
          -chardev pipe,id=qmp0,path=/tmp/qmp -mon chardev=qmp0,mode=control \
          $(l2_boot_args) \
          -append "console=ttyAMA0 panic=-1 $(param e2e.l2append | tr , " ") $L2_EXTRA_APPEND" \
          -object iommufd,id=iommufd0 "$@" < /dev/null 2>&1
      echo $? > /tmp/l2rc
    ) | while IFS= read -r line; do
        echo "  $line"
        echo "$line" >> "$L2OUT"
    done &
    L2_JOB=$!
    exec 5<>/tmp/qmp.out 6<>/tmp/qmp.in
    ( while IFS= read -r line; do echo "$line" >> "$QMPLOG"; done ) <&5 &
    QMP_READER=$!
    qmp '{"execute": "qmp_capabilities"}' 20
}

# qmp JSON [TIMEOUT]: send a command, wait for its answer in $QMP_REPLY;
# false if it is an error, or none came in TIMEOUT seconds (default 60).
# The command's id is counted in a file: a qmp in $(...) runs in a subshell,
# and an id counted in a variable there would be used again by the next one
# (whose answer would then be taken from the first).
qmp() {
    QMP_ID=$(( $(cat /tmp/qmp.id 2>/dev/null || echo "$QMP_ID") + 1 ))
    echo "$QMP_ID" > /tmp/qmp.id
    echo "$1" | sed "s/^{/{\"id\": $QMP_ID, /" >&6
    i=0
    while [ $i -lt $((${2:-60} * 10)) ]; do
        QMP_REPLY=$(grep -m1 "\"id\": $QMP_ID[,}]" "$QMPLOG")
        # A reply the VMM is still writing (a long one: info mtree) is not
        # one yet: a whole one ends with } (and the \r of its line)
        case "$QMP_REPLY" in *'}'|*'}'?) ;; *) QMP_REPLY= ;; esac
        if [ -n "$QMP_REPLY" ]; then
            case "$QMP_REPLY" in *'"error"'*) return 1 ;; esac
            return 0
        fi
        if [ -f /tmp/l2rc ]; then
            QMP_REPLY="the VMM exited"
            return 1
        fi
        usleep 100000
        i=$((i + 1))
    done
    QMP_REPLY="no answer in ${2:-60} s"
    return 1
}

# mtree_bus_master NAME: what the bus-master address space of the PCI
# device NAME (its type's name, as QEMU names that address space) is an
# alias of, in the reply to "info mtree" over QMP (on stdin): "system"
# for a device the host translates.  QEMU prints the address spaces in
# an order that differs from run to run (a hash of pointers), so the one
# wanted may come first, right after '{"return": "' on the reply's line;
# address spaces that share a root are listed together before it.
mtree_bus_master() {
    awk '{ sub(/^\{"return": "/, ""); gsub(/\\r\\n/, "\n"); print }' | awk -v as="$1" '
        /^address-space: / { f = (grp && f) || $0 == ("address-space: " as); grp = 1; next }
        { grp = 0 }
        f && / alias bus master @/ { sub(/.* alias bus master @/, ""); print $1; exit }'
}

# vsmmu_counter NAME: a counter of the accelerated vSMMU (id smmu0) over
# QMP: its property x-NAME, or NAME in builds from before the x- prefix
# (bench-flood's older build); "?" when neither answers
vsmmu_counter() {
    for vc_p in "x-$1" "$1"; do
        if qmp '{"execute": "qom-get", "arguments": {"path": "/machine/peripheral/smmu0", "property": "'"$vc_p"'"}}' 10; then
            vc_v=$(echo "$QMP_REPLY" | sed -n 's/.*"return": \([0-9][0-9]*\).*/\1/p')
            [ -n "$vc_v" ] && { echo "$vc_v"; return 0; }
        fi
    done
    echo "?"
}

# count_wait FILE RE N TIMEOUT: wait until FILE has N lines matching RE
count_wait() {
    i=0
    while [ "$(grep -c -E "$2" "$1")" -lt "$3" ]; do
        [ $i -ge $(($4 * 10)) ] && return 1
        [ -f /tmp/l2rc ] && [ "$(grep -c -E "$2" "$1")" -lt "$3" ] && return 1
        usleep 100000
        i=$((i + 1))
    done
}

qmp_event() { count_wait "$QMPLOG" "\"event\": \"$1\"" "${2:-1}" "${3:-60}"; }
l2_wait() { count_wait "$L2OUT" "$1" "${2:-1}" "${3:-120}"; }

# l2_end [TIMEOUT]: wait for the VMM to exit (quit it over QMP if it has not
# in TIMEOUT seconds), print its exit status and its log (-D /tmp/l2-qemu.log)
l2_end() {
    i=0
    while [ ! -f /tmp/l2rc ] && [ $i -lt $((${1:-300} * 10)) ]; do
        usleep 100000
        i=$((i + 1))
    done
    [ -f /tmp/l2rc ] || qmp '{"execute": "quit"}' 10
    wait "$L2_JOB"
    kill "$QMP_READER" 2>/dev/null
    exec 5<&- 6>&-
    echo "E2E-L2-QEMU-EXIT $(cat /tmp/l2rc 2>/dev/null)"
    if [ -f /tmp/l2-qemu.log ]; then
        sed 's/^/L2-VMM-LOG: /' /tmp/l2-qemu.log
        rm -f /tmp/l2-qemu.log
    fi
}

# The L2 VMM's resident set in KiB, and its CPU time (user + system) in
# clock ticks
l2_rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$(cat /tmp/l2.pid)/status"; }
l2_cpu() { awk '{ print $14 + $15 }' "/proc/$(cat /tmp/l2.pid)/stat"; }

# The host objects (iommufd IDs) that the L2 VMM has allocated and not
# freed, from its trace (-trace iommufd_backend_* -D /tmp/l2-qemu.log), as
# "TYPE:ID" words.  IDs are reused once freed: the log is read in order.
objects_live() {
    awk '
    function id(key,   m) { return match($0, key "=[0-9]+") ?
                              substr($0, RSTART + length(key) + 1, RLENGTH - length(key) - 1) : "" }
    /iommufd_backend_alloc_ioas /                  { live[id("ioas")] = "ioas" }
    /iommufd_backend_alloc_hwpt / && / \(0\)$/     { live[id("out_hwpt")] = "hwpt" }
    /iommufd_backend_alloc_viommu / && / \(0\)$/   { live[id("viommu_id")] = "viommu" }
    /iommufd_backend_alloc_vdev / && / \(0\)$/     { live[id("vdev_id")] = "vdevice" }
    /iommufd_backend_alloc_veventq / && / \(0\)$/  { live[id("veventq_id")] = "veventq" }
    /iommufd_backend_alloc_hw_queue / && / \(0\)$/ { live[id("hw_queue_id")] = "hw_queue" }
    /iommufd_backend_free_id / && / \(0\)$/       { delete live[id("id")] }
    END { for (k in live) printf "%s:%s ", live[k], k }' /tmp/l2-qemu.log | sed 's/ $//'
}

# count_trace EVENT: how many times the L2 VMM traced EVENT successfully
count_trace() { grep -c "$1 .*(0)\$" /tmp/l2-qemu.log; }

# kmemleak_report: scan for leaks (kmemleak=on on L1's command line) and
# print every unreferenced object whose allocation went through iommufd,
# VFIO or the SMMUv3 driver, as E2E-KMEMLEAK lines; then the verdict line
# "E2E-KMEMLEAK-VERDICT <n> objects (<all> unreferenced in all)".
kmemleak_report() {
    k=/sys/kernel/debug/kmemleak
    mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
    if [ ! -w $k ]; then
        echo "E2E-KMEMLEAK-VERDICT unavailable (no $k: kmemleak=on?)"
        return
    fi
    # An object must be unreferenced in two scans, some seconds apart
    echo scan > $k; sleep 6; echo scan > $k
    cat $k > /tmp/kmemleak
    awk '
    /^unreferenced object/ { if (obj != "" && hit) n++; obj = $0; hit = 0; all++; next }
    /iommufd|vfio|arm_smmu|smmu/ { if (!hit) print "E2E-KMEMLEAK " obj " " $0; hit = 1 }
    END { if (obj != "" && hit) n++; printf "E2E-KMEMLEAK-VERDICT %d objects (%d unreferenced in all)\n", n, all }
    ' /tmp/kmemleak
}

# shellcheck shell=sh
# libvirt-accel: accel-strict's guest, started by Debian sid's libvirt 12.8
# in L1 from a domain XML with <iommufd enabled='yes'/>, the NVMe as
# <hostdev managed='yes'> on a root port of a pcie-expander-bus and <iommu
# model='smmuv3'> with accel='on' on that bus; libvirt passes /dev/iommu and
# the vfio cdev as descriptors; virsh destroy leaves nothing behind.  L0
# attaches libvirt's root file system (scripts/libvirt/l1-rootfs.sh) as a
# virtio disk.

settings() { libvirt_settings; }

# libvirt_settings: the settings of a libvirt run (libvirt-accel-cmdqv
# adds to them)
libvirt_settings() {
    NEEDS=accel
    L2FW=uefi
    L0_LVDISK=1
    L0_EXTRA=$((4 * LV_TIMEOUT))
    # e2e.lv_iommu: the <driver> attributes (name:value), e2e.lv_hostdev: the
    # hostdev's bus:slot in the guest (02:00: on the expander bus's root port;
    # libvirt takes 00:00 as no address and places the device itself)
    L1_APPEND="e2e.lv_timeout=$LV_TIMEOUT e2e.lv_iommu=${E2E_LV_IOMMU:-accel:on,ril:off} e2e.lv_hostdev=${E2E_LV_HOSTDEV:-02:00}"
    L2_APPEND="iommu.strict=1 e2e.reboot=1 e2e.hold=1"
}

verdict() { verdict_libvirt "verdict_accel strict"; }

# verdict_libvirt GUEST_VERDICT: libvirt's words on any failure; then how
# QEMU got /dev/iommu and the vfio cdev; the checks of the guest (the
# command GUEST_VERDICT: accel-strict's here); what virsh destroy left in
# L1.
verdict_libvirt() {
    local line want after probe
    line=$(grep -m1 '^E2E-LIBVIRT-FAIL ' "$log" | sed 's/^E2E-LIBVIRT-FAIL //')
    [ -z "$line" ] || { echo "libvirt: $line"; return 1; }
    grep -q '^E2E-LIBVIRT started' "$log" || { echo "libvirt: the domain did not start (see console.log)"; return 1; }
    grep -q '^E2E-LIBVIRT-QEMU arg .*"qom-type":"iommufd".*"fd":"[0-9]*"' "$log" ||
        { echo "libvirt did not give QEMU /dev/iommu as a descriptor: $(grep -m1 '^E2E-LIBVIRT-QEMU arg .*iommufd' "$log")"; return 1; }
    grep -q '^E2E-LIBVIRT-QEMU arg .*"driver":"vfio-pci".*"fd":"[0-9]*"' "$log" ||
        { echo "libvirt did not give QEMU the vfio cdev as a descriptor: $(grep -m1 '^E2E-LIBVIRT-QEMU arg .*vfio-pci' "$log")"; return 1; }
    grep -q '^E2E-LIBVIRT-QEMU names a device path' "$log" &&
        { echo "QEMU's command line names a device path: $(grep -m1 '^E2E-LIBVIRT-QEMU names' "$log")"; return 1; }
    grep -q '^E2E-LIBVIRT-QEMU fd [0-9]* /dev/iommu$' "$log" &&
        grep -q '^E2E-LIBVIRT-QEMU fd [0-9]* /dev/vfio/devices/vfio[0-9]*$' "$log" ||
        { echo "the running QEMU does not hold /dev/iommu and a vfio cdev"; return 1; }
    # (the holder search that must come back empty after destroy finds
    # the running QEMU)
    grep -q "^E2E-LIBVIRT-QEMU holders \[.*$(sed -n 's/^E2E-LIBVIRT-QEMU pid //p' "$log"):/dev/iommu" "$log" ||
        { echo "the holders of /dev/iommu do not include the running QEMU: $(grep -m1 '^E2E-LIBVIRT-QEMU holders' "$log")"; return 1; }
    $1 > "$d/accel-result" ||
        { echo "the guest under libvirt: $(cat "$d/accel-result")"; return 1; }
    after=$(sed -n 's/^E2E-LIBVIRT-AFTER //p' "$log")
    case "$after" in
    "domstate=shut off qemu_left=no driver_before=vfio-pci driver=vfio-pci "*" holders=[]") ;;
    "") echo "no state after virsh destroy"; return 1 ;;
    *) echo "after virsh destroy: $after"; return 1 ;;
    esac
    probe=$(sed -n 's/^E2E-LIBVIRT-PROBE //p' "$log")
    case "$probe" in
    "exit 0:"*) ;;
    *) echo "after virsh destroy the probe could not take the device again: ${probe:-no probe}"; return 1 ;;
    esac
    echo "libvirt $(sed -n 's/^E2E-LIBVIRT libvirtd ready in \([0-9]*\) s: .*library: libvirt \([0-9.]*\).*/\2 (ready in \1 s)/p' "$log") started the domain (iommufd and vfio cdev as fds $(sed -n 's|^E2E-LIBVIRT-QEMU fd \([0-9]*\) /dev/.*|\1|p' "$log" | tr '\n' ' ' | sed 's/ $//')); $(cat "$d/accel-result"); virsh destroy left the NVMe on vfio-pci, no holder of /dev/iommu or a vfio cdev, the probe took the device again (${probe%%:*})"
}

# In L1 (guest/l1-init.sh calls it, with guest/l1-lib.sh)
l1_steps() {
    # libvirt-accel (in L1): the L2 guest of accel-strict, but
    # started by libvirt.  Debian sid's libvirt 12.8 (arm64) runs in a chroot of
    # the root file system that L0 attaches as a virtio disk (/dev/vda,
    # scripts/libvirt/l1-rootfs.sh; L0 keeps it pristine with snapshot=on), with
    # the series' QEMU (/bin/qemu-system-aarch64) bound in as its emulator.  The
    # domain has <iommufd enabled='yes'/>: libvirt opens /dev/iommu and the
    # NVMe's vfio cdev itself and hands them to QEMU as file descriptors; the
    # NVMe is a <hostdev managed='yes'> on a root port of a pcie-expander-bus,
    # and the accelerated vSMMU is on that bus.  Then virsh destroy, and L1 must
    # be clean: the NVMe on vfio-pci (the driver it had before the start), no
    # process holding /dev/iommu or a vfio cdev, and a new iommufd user (the
    # probe) can take the device and nest on it again.
    #
    # Prints E2E-LIBVIRT lines for the verdict, and E2E-LIBVIRT-FAIL <step>: <what
    # libvirt said> on the first failure; L2's console indented as for the other
    # scenarios, the VMM's trace as L2-VMM-LOG: lines.
LV=/lv                                  # the chroot
LV_T=$(param e2e.lv_timeout)            # bound of each virsh call (s)
LV_DOM=l2
LV_CONSOLE=/tmp/l2-console.log          # in the chroot
LV_QLOG=/tmp/l2-qemu.log                # the VMM's trace (-D), in the chroot

lv_virsh() { timeout "$LV_T" chroot $LV /usr/bin/virsh -q -c qemu:///system "$@" 2>&1; }
lv_oneline() { tr '\n' ' ' | sed 's/  */ /g; s/^ //; s/ $//'; }
lv_fail() {
    echo "E2E-LIBVIRT-FAIL $1: $(echo "$2" | lv_oneline | cut -c1-600)"
    return 1
}
lv_now() { cut -d. -f1 /proc/uptime; }
# lv_attrs a:x,b:y: the XML attributes a='x' b='y' (the kernel's command
# line takes no quotes)
lv_attrs() { echo "$1" | sed "s/\([a-zA-Z]*\):\([a-zA-Z0-9]*\)/\1='\2'/g" | tr , " "; }

# lv_holders: the processes that hold /dev/iommu or a vfio cdev, as
# "pid:path" words
lv_holders() {
    for f in /proc/[0-9]*/fd/*; do
        t=$(readlink "$f" 2>/dev/null) || continue
        t=${t#"$LV"}    # (a process in the chroot: seen from here under $LV)
        case "$t" in
        /dev/iommu|/dev/vfio/devices/*) p=${f#/proc/}; echo "${p%%/*}:$t" ;;
        esac
    done | sort -u | tr '\n' ' ' | sed 's/ $//'
}

lv_domain_xml() {
    # $1-$4: the NVMe's address in L1; $5, $6: its bus and slot in L2
    # shellcheck disable=SC2046
    set -- $(echo "$bdf" | tr ':.' '  ') $(param e2e.lv_hostdev | tr : ' ')
    cat <<EOT
<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$LV_DOM</name>
  <memory unit='MiB'>512</memory>
  <vcpu>1</vcpu>
  <iommufd enabled='yes'/>
  <os>
    <type arch='aarch64' machine='virt'>hvm</type>
    <loader readonly='yes' type='pflash' stateless='yes'>/usr/share/e2e/QEMU_EFI-pflash.fd</loader>
    <kernel>/l2/Image</kernel>
    <initrd>/l2/initrd.gz</initrd>
    <cmdline>console=ttyAMA0 panic=-1 $(param e2e.l2append | tr , " ")</cmdline>
  </os>
  <features>
    <acpi/>
    <gic version='3'/>
  </features>
  <cpu mode='host-passthrough'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-aarch64</emulator>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-expander-bus'>
      <target busNr='8'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>
    </controller>
    <controller type='pci' index='2' model='pcie-root-port'>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </controller>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
    <serial type='file'>
      <source path='$LV_CONSOLE'/>
      <target port='0'/>
    </serial>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source>
        <address domain='0x$1' bus='0x$2' slot='0x$3' function='0x$4'/>
      </source>
      <address type='pci' domain='0x0000' bus='0x$5' slot='0x$6' function='0x0'/>
    </hostdev>
    <iommu model='smmuv3'>
      <driver pciBus='1' $(lv_attrs "$(param e2e.lv_iommu)")/>
    </iommu>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-trace'/>
    <qemu:arg value='smmuv3_accel_*'/>
    <qemu:arg value='-trace'/>
    <qemu:arg value='iommufd_backend_*'/>
$(lv_cmdqv_traces)
    <qemu:arg value='-D'/>
    <qemu:arg value='$LV_QLOG'/>
  </qemu:commandline>
</domain>
EOT
}

# lv_cmdqv_traces: with cmdqv on, what verdict_accel_cmdqv reads in the
# VMM's trace: the commands it ran on the main queue, and VFIO's view of
# the VINTF page
lv_cmdqv_traces() {
    case ",$(param e2e.lv_iommu)," in
    *,cmdqv:on,*)
        for t in smmuv3_cmdq_opcode vfio_listener_region_add_ram vfio_listener_region_skip; do
            echo "    <qemu:arg value='-trace'/>"
            echo "    <qemu:arg value='$t'/>"
        done ;;
    esac
}

# lv_watch: every 60 s, the user processes of L1 with their state and
# where they wait (what a slow libvirt step is doing, in the console)
lv_watch() {
    while sleep 60; do
        for p in /proc/[0-9]*; do
            c=$( (tr '\0' ' ' < $p/cmdline) 2>/dev/null | cut -c1-150)
            [ -n "$c" ] || continue
            echo "L1: libvirt-watch ${p#/proc/} $(cut -d' ' -f3 $p/stat) $(cat $p/wchan 2>/dev/null) $c"
        done
    done
}

# lv_setup: the chroot, and libvirtd in it
lv_setup() {
    i=0
    while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
    [ -b /dev/vda ] || { lv_fail setup "no /dev/vda: L0 attached no libvirt root file system"; return 1; }
    mkdir -p $LV
    out=$(mount -t ext4 /dev/vda $LV 2>&1) || { lv_fail setup "mount /dev/vda: $out"; return 1; }
    mount -t proc proc $LV/proc
    mount -t sysfs sys $LV/sys
    mount -o bind /dev $LV/dev
    mount -t tmpfs -o mode=755 run $LV/run
    mount -o bind /l2 $LV/l2
    # The series' QEMU, at the path libvirt looks for (and probes) first
    : > $LV/usr/bin/qemu-system-aarch64
    mount -o bind /bin/qemu-system-aarch64 $LV/usr/bin/qemu-system-aarch64
    rm -f $LV$LV_CONSOLE $LV$LV_QLOG
    t=$(lv_now)
    say "libvirt: ldconfig in the chroot"
    chroot $LV /sbin/ldconfig || { lv_fail setup "ldconfig failed in the chroot"; return 1; }
    # libvirtd -d returns once its drivers are up: the QEMU driver has
    # probed the emulator by then
    say "libvirt: starting libvirtd ($(($(lv_now) - t)) s)"
    timeout "$LV_T" chroot $LV /usr/sbin/libvirtd -d > /tmp/libvirtd.out 2>&1 ||
        { lv_fail libvirtd "libvirtd -d failed: $(cat /tmp/libvirtd.out) $(tail -n 5 $LV/var/log/libvirt/libvirtd.log 2>/dev/null)"; return 1; }
    say "libvirt: libvirtd running ($(($(lv_now) - t)) s)"
    # libvirtd answers once it has probed the emulator (its capabilities)
    i=0
    until [ -S $LV/run/libvirt/libvirt-sock ] && ver=$(lv_virsh version) ; do
        p=$(cat $LV/run/libvirtd.pid 2>/dev/null)
        [ -n "$p" ] && [ -d /proc/$p ] ||
            { lv_fail libvirtd "libvirtd exited: $(cat /tmp/libvirtd.out) $(grep -v '^$' $LV/var/log/libvirt/libvirtd.log 2>/dev/null | tail -n 5)"; return 1; }
        [ $i -ge $((LV_T * 2)) ] && { lv_fail libvirtd "not answering after $LV_T s: $ver $(tail -n 5 $LV/var/log/libvirt/libvirtd.log 2>/dev/null)"; return 1; }
        usleep 500000
        i=$((i + 1))
    done
    echo "E2E-LIBVIRT libvirtd ready in $(($(lv_now) - t)) s: $(echo "$ver" | grep -E 'library|hypervisor' | lv_oneline)"
}

# lv_run: define, start, the guest's checks, destroy, and what is left
lv_run() {
    lv_domain_xml > $LV/tmp/l2.xml
    sed 's/^/E2E-LIBVIRT-XML /' $LV/tmp/l2.xml
    out=$(lv_virsh define --validate /tmp/l2.xml) || { lv_fail define "$out"; return 1; }
    drv0=$(readlink /sys/bus/pci/devices/$bdf/driver | sed 's|.*/||')
    t=$(lv_now)
    out=$(lv_virsh start $LV_DOM) || { lv_fail start "$out"; return 1; }
    echo "E2E-LIBVIRT started in $(($(lv_now) - t)) s"
    # L2's console, as the other scenarios show it
    : > "$L2OUT"
    rm -f /tmp/l2rc
    ( tail -n +1 -f $LV$LV_CONSOLE 2>/dev/null | while IFS= read -r line; do
          echo "  $line"
          echo "$line" >> "$L2OUT"
      done ) &
    LV_TAIL=$!
    # How QEMU got /dev/iommu and the vfio cdev: as descriptors, not paths
    pid=$(cat $LV/run/libvirt/qemu/$LV_DOM.pid 2>/dev/null)
    args=$(tr '\0' '\n' < /proc/$pid/cmdline 2>/dev/null)
    echo "E2E-LIBVIRT-QEMU pid ${pid:-none}"
    echo "$args" | grep -E '"qom-type":"iommufd"|"driver":"(vfio-pci|arm-smmuv3|pxb-pcie|pcie-root-port)"' |
        sed 's/^/E2E-LIBVIRT-QEMU arg /'
    for f in /proc/$pid/fd/*; do
        t2=$(readlink "$f")
        t2=${t2#"$LV"}
        case "$t2" in /dev/iommu|/dev/vfio/*) echo "E2E-LIBVIRT-QEMU fd ${f##*/} $t2" ;; esac
    done
    echo "E2E-LIBVIRT-QEMU holders [$(lv_holders)]"
    echo "$args" | grep -qE '/dev/(iommu|vfio)' &&
        echo "E2E-LIBVIRT-QEMU names a device path: $(echo "$args" | grep -E '/dev/(iommu|vfio)' | head -n 1)"
    # The guest's checks (accel-strict's, with a reboot), then it waits
    if ! l2_wait 'E2E-L2-DONE' 1 "$(param e2e.l2_timeout)"; then
        st=$(lv_virsh domstate $LV_DOM)
        lv_fail guest "no E2E-L2-DONE from the guest in $(param e2e.l2_timeout) s; domain $st; $(tail -n 5 $LV/var/log/libvirt/qemu/$LV_DOM.log 2>/dev/null)"
    fi
    st=$(lv_virsh domstate $LV_DOM)
    echo "E2E-LIBVIRT domstate before destroy: $st (the guest's checks took $(($(lv_now) - t)) s from the start)"
    t=$(lv_now)
    out=$(lv_virsh destroy $LV_DOM) || { lv_fail destroy "$out"; return 1; }
    echo "E2E-LIBVIRT destroyed in $(($(lv_now) - t)) s"
    i=0
    while [ -n "$pid" ] && [ -d /proc/$pid ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
    kill $LV_TAIL 2>/dev/null
    # What libvirt left: the domain, its QEMU, the device, the descriptors
    st=$(lv_virsh domstate $LV_DOM)
    drv=$(readlink /sys/bus/pci/devices/$bdf/driver | sed 's|.*/||')
    ovr=$(cat /sys/bus/pci/devices/$bdf/driver_override 2>/dev/null)
    qemu_left=no
    [ -n "$pid" ] && [ -d /proc/$pid ] && qemu_left="yes (pid $pid)"
    echo "E2E-LIBVIRT-AFTER domstate=$st qemu_left=$qemu_left driver_before=$drv0 driver=$drv driver_override=$ovr holders=[$(lv_holders)]"
    # A new iommufd user must get the device and nest on it: nothing of the
    # domain's iommufd objects (IOAS, HWPTs, vIOMMU, vDEVICE) is left bound
    /bin/smmuv3-accel-probe "$bdf" > /tmp/probe.out 2>&1
    rc=$?
    echo "E2E-LIBVIRT-PROBE exit $rc: $(grep -c '^PASS' /tmp/probe.out) steps passed$(grep -m1 '^FAIL' /tmp/probe.out | sed 's/^/, /')"
}

lv_logs() {
    if [ -f $LV$LV_QLOG ]; then
        sed 's/^/L2-VMM-LOG: /' $LV$LV_QLOG
    fi
    sed 's/^/LIBVIRT-QEMU-LOG: /' $LV/var/log/libvirt/qemu/$LV_DOM.log 2>/dev/null | grep -v '^LIBVIRT-QEMU-LOG: [0-9-]* [0-9:.]*+0000: *$'
    tail -n 40 $LV/var/log/libvirt/libvirtd.log 2>/dev/null | sed 's/^/LIBVIRTD-LOG: /'
}

lv_stop() {
    if [ -S $LV/run/libvirt/libvirt-sock ]; then
        lv_virsh destroy $LV_DOM > /dev/null
        lv_virsh undefine $LV_DOM > /dev/null
    fi
    p=$(cat $LV/run/libvirtd.pid 2>/dev/null)
    [ -n "$p" ] && kill "$p" 2>/dev/null && sleep 1
    for m in $LV/usr/bin/qemu-system-aarch64 $LV/l2 $LV/run $LV/dev $LV/sys $LV/proc $LV; do
        umount $m 2>/dev/null || umount -l $m 2>/dev/null
    done
}

# All of it in a child, while /init (PID 1) waits: libvirt's QEMUs
# daemonize, so their parent is PID 1 once they run, and only a PID 1 that
# waits reaps them when they end.  A busybox sh in a command substitution
# ($(virsh ...)) does not; libvirt then sees the zombie of the QEMU it
# killed as alive, and virsh destroy fails ("Failed to terminate process
# ... with SIGKILL: Device or resource busy"), as does its probe.
(
    lv_watch &
    LV_WATCH=$!
    if lv_setup; then
        lv_run
    fi
    kill $LV_WATCH
    lv_logs
    lv_stop
) &
wait $!
}

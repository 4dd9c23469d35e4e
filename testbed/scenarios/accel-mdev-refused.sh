# shellcheck shell=sh
# accel-mdev-refused: a mediated device (the mtty sample driver's) as
# vfio-pci behind an accelerated vSMMU: VFIO never registers a mediated
# device with the vIOMMU, so nothing would attach it to the vSMMU's HWPTs:
# QEMU must refuse it.

settings() {
    refusal "-device arm-smmuv3,primary-bus=pcie.0,accel=on,ril=on,ats=off,oas=44,ssidsize=0" \
        "cannot be behind a vIOMMU that the host IOMMU accelerates"
}


# In L1 (guest/l1-init.sh calls it, with guest/l1-lib.sh)
l1_steps() {
    # accel-mdev-refused (in L1): a mediated device (the mtty
    # sample driver's) as vfio-pci behind an accelerated vSMMU.  VFIO never
    # registers a mediated device with the vIOMMU, so nothing would attach it
    # to the vSMMU's HWPTs: QEMU must refuse it.
uuid=b2ab9b5a-7e4f-4e70-9d2b-6d7f6c2a0c11
types=$(ls -d /sys/class/mdev_bus/*/mdev_supported_types/* 2>/dev/null | head -n 1)
if [ -z "$types" ] || ! echo "$uuid" > "$types/create"; then
    say "cannot create an mtty mediated device (${types:-no mdev parent})"
    echo "E2E-L1-ERROR no-mdev"
    finish
fi
say "mediated device $uuid of type ${types##*/}: $(ls /sys/bus/mdev/devices/)"
set -f
# shellcheck disable=SC2046
set -- $(cat "/l2/args.d/$scenario")
set +f
l2_start "$@" -device vfio-pci,sysfsdev=/sys/bus/mdev/devices/$uuid,iommufd=iommufd0,id=mdev0
l2_end 60
}

# shellcheck shell=sh
# accel-two-vsmmus: L0 has a second SMMU, on a pxb-pcie, with the second
# NVMe behind it (L1 boots with UEFI and ACPI: the device tree describes one
# SMMU only).  L2 has an accelerated vSMMU for each host SMMU, each on its
# own root complex, as the documentation shows, and checks the data on both
# disks.

settings() {
    NEEDS=accel
    L0_NVME=2
    L0_TWO_SMMUS=1
    L2FW=uefi
    L2_ARGS="-device arm-smmuv3,primary-bus=pcie.0,id=smmu0,accel=on -device pxb-pcie,id=pcie.1,bus_nr=8,bus=pcie.0 -device arm-smmuv3,primary-bus=pcie.1,id=smmu1,accel=on -device pcie-root-port,id=rp1,bus=pcie.1,chassis=2 -trace iommufd_backend_alloc_viommu -trace smmuv3_accel_* -d guest_errors -D /tmp/l2-qemu.log @HOSTDEV@,bus=pcie.0 @HOSTDEV2@,bus=rp1"
    L2_APPEND="e2e.disks=2"
}

verdict() {
    # Both disks read and written, one vIOMMU per vSMMU, each on the
    # stage 2 of its own host SMMU
    local nv parents
    verdict_data > "$d/data-result" ||
                { cat "$d/data-result"; return 1; }
    [ "$(dd if="$d/disk1.img" bs=1024 skip=$PAT_OFF_KIB count=64 status=none | sha256sum | cut -d' ' -f1)" = \
      "$(pattern "$name" 4096 | sha256sum | cut -d' ' -f1)" ] ||
        { echo "the second disk does not hold L2's pattern after the run"; return 1; }
    [ "$(grep -c '^ *E2E-L2-READ sha256=' "$log")" = 2 ] ||
        { echo "L2 did not check both disks"; return 1; }
    nv=$(grep -c 'iommufd_backend_alloc_viommu .*(0)$' "$log")
    parents=$(sed -n 's/.*iommufd_backend_alloc_viommu .* hwpt_id=\([0-9]*\) .*(0)$/\1/p' "$log" | sort -u | wc -l)
    [ "$nv" = 2 ] && [ "$parents" = 2 ] ||
        { echo "expected 2 vIOMMUs on 2 nesting parents, got $nv on $parents"; return 1; }
    grep -q 'smmuv3_accel_install SID 0x[0-9a-f]*: .*(stage 1)' "$log" ||
        { echo "no stage-1 STE installed"; return 1; }
    echo "two host SMMUs, two vSMMUs: both disks read 1 MiB of known data and hold L2's pattern; 2 vIOMMUs, one per vSMMU, on 2 nesting parents"
}

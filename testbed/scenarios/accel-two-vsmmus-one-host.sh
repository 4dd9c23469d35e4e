# shellcheck shell=sh
# accel-two-vsmmus-one-host: two NVMe controllers behind L0's one SMMU, one
# behind each of two vSMMUs of L2 (pcie.0 and a pxb-pcie): their vIOMMUs
# would share the host's VMID.  Refused.

settings() {
    refusal "-device pxb-pcie,id=pxb1,bus_nr=0x80,bus=pcie.0 -device pcie-root-port,id=rp1,chassis=1,bus=pxb1 -device arm-smmuv3,primary-bus=pcie.0,id=smmu0,accel=on -device arm-smmuv3,primary-bus=pxb1,id=smmu1,accel=on @HOSTDEV@,bus=pcie.0 @HOSTDEV2@,bus=rp1" \
        "is behind the same host SMMUv3 as the host devices of arm-smmuv3,id=smmu0,accel=on"
    L0_NVME=2
}


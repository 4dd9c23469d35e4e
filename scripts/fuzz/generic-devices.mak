# Added to scripts/build/bisect.mak for make fuzz's generic-fuzz build
# (scripts/fuzz/generic.sh): an NVMe controller, the testbed's device, whose
# DMA goes through the vSMMU.
CONFIG_NVME_PCI=y

#!/usr/bin/env python3
"""generic-seeds.py CONFIG DIR: write the seeds of make fuzz's generic-fuzz
runs (scripts/fuzz/generic.sh) for CONFIG (emulated, accel, accel-fail)
into DIR.

A seed is an input of QEMU's generic-fuzz target (tests/qtest/fuzz/
generic_fuzz.c): operations separated by "FUZZ", each an opcode byte and
its operands as the target's structures lay them out on x86_64.  The
fuzzed memory regions are, in address order, the vSMMU's registers
(0x0c000000, the platform bus), the NVMe's BAR 0 once a seed maps it
(0x10000000) and ECAM (0x3f000000, virt with highmem-ecam=off): a
region's number is its place among those mapped, modulo their count.
What the vSMMU and the NVMe read from guest memory is filled from the DMA
patterns, one pattern per read, in turn.

The seeds do what the hostile guest's cases do (tools/smmuv3-hostile-guest):
set up the queues and the stream table and enable the vSMMU, then give it
one kind of command, legal or not (illegal opcodes, stage-2 and EL2
invalidations, CFGI_ALL and ranges, CMD_SYNC with an interrupt), a PROD
behind CONS; the emulated machine's add the NVMe's DMA through a stage 1
or a bypass STE, and an event queue on the vSMMU's own registers.  (The
accel configurations have no device behind the vSMMU, which refuses all
but host devices with the test double: their seeds reach its command
paths, not STE installs.)
"""
import os
import struct
import sys

OP_READ, OP_WRITE, OP_ADD_DMA_PATTERN, OP_CLEAR_DMA_PATTERNS, OP_CLOCK_STEP = \
    2, 3, 7, 8, 9
SEP = b"FUZZ"
SIZE = {1: 0, 2: 1, 4: 2, 8: 3}

RAM = 0x40000000
STRTAB, CMDQ, EVENTQ = RAM + 0x100000, RAM + 0x200000, RAM + 0x300000
CD, PGD = RAM + 0x400000, RAM + 0x500000
IOVA = RAM + 0x100000      # in RAM, as a bypass STE passes it on
NVME_BAR = 0x10000000
NVME_SID = 0x8              # 00:01.0, the first device on pcie.0


def write(base, off, val, size=4):
    return bytes([OP_WRITE]) + struct.pack("<BBxxIQ", SIZE[size], base, off,
                                           val)


def read(base, off, size=4):
    return bytes([OP_READ]) + struct.pack("<BBxxI", SIZE[size], base, off)


def pattern(data, index=0, stride=0):
    return bytes([OP_ADD_DMA_PATTERN, index, stride]) + data


def cmd(op, w0=0, w1=0):
    return struct.pack("<QQ", op | w0, w1)


SMMU = 0
# SMMUv3 registers
CR0, CR2, GBPA, IRQ_CTRL = 0x20, 0x2c, 0x44, 0x50
GERRORN = 0x64
STRTAB_BASE, STRTAB_BASE_CFG = 0x80, 0x88
CMDQ_BASE, CMDQ_PROD, CMDQ_CONS = 0x90, 0x98, 0x9c
EVENTQ_BASE, EVENTQ_PROD, EVENTQ_CONS = 0xa0, 0x100a8, 0x100ac
SMMUEN, EVENTQEN, CMDQEN = 1, 4, 8


def smmu_setup(eventq=EVENTQ, enable=SMMUEN | EVENTQEN | CMDQEN):
    """Queues of 32 entries, a linear stream table of 256 STEs"""
    return [
        write(SMMU, STRTAB_BASE, STRTAB, 8),
        write(SMMU, STRTAB_BASE_CFG, 8),
        write(SMMU, CMDQ_BASE, CMDQ | 5, 8),
        write(SMMU, EVENTQ_BASE, eventq | 5, 8),
        write(SMMU, IRQ_CTRL, 7),
        write(SMMU, CR0, enable),
    ]


# Commands (SMMUv3 4.1), opcode in bits [7:0]
PREFETCH_CONFIG, CFGI_STE, CFGI_STE_RANGE, CFGI_CD, CFGI_CD_ALL = \
    0x01, 0x03, 0x04, 0x05, 0x06
TLBI_NH_ALL, TLBI_NH_ASID, TLBI_NH_VA, TLBI_EL2_ALL = 0x10, 0x11, 0x12, 0x20
TLBI_S12_VMALL, TLBI_S2_IPA, TLBI_NSNH_ALL = 0x28, 0x2a, 0x30
ATC_INV, CMD_SYNC = 0x40, 0x46
SID = NVME_SID << 32

COMMANDS = {
    "cfgi-ste": cmd(CFGI_STE, SID, 1),
    "cfgi-ste-range": cmd(CFGI_STE_RANGE, SID, 4),
    "cfgi-all": cmd(CFGI_STE_RANGE, 0, 31),
    "cfgi-cd": cmd(CFGI_CD, SID, 1),
    "cfgi-cd-all": cmd(CFGI_CD_ALL, SID),
    "prefetch-config": cmd(PREFETCH_CONFIG, SID),
    "tlbi-nh-all": cmd(TLBI_NH_ALL),
    "tlbi-nh-asid": cmd(TLBI_NH_ASID, 1 << 48),
    "tlbi-nh-va": cmd(TLBI_NH_VA, 1 << 48, IOVA | 1),
    "tlbi-nh-va-range": cmd(TLBI_NH_VA, (1 << 48) | (3 << 12), IOVA | (1 << 8)),
    "tlbi-el2-all": cmd(TLBI_EL2_ALL),
    "tlbi-s12-vmall": cmd(TLBI_S12_VMALL, 1 << 32),
    "tlbi-s2-ipa": cmd(TLBI_S2_IPA, 1 << 32, IOVA),
    "tlbi-nsnh-all": cmd(TLBI_NSNH_ALL),
    "atc-inv": cmd(ATC_INV, SID, 52),
    "sync": cmd(CMD_SYNC),
    "sync-irq": cmd(CMD_SYNC, 1 << 12),
    "sync-sev": cmd(CMD_SYNC, 2 << 12),
    "unknown-opcode": cmd(0x7f),
    "reserved-bits": cmd(TLBI_NH_ASID, 0xff00 | (1 << 48), 0xffff),
}


def ste(config, s1ctxptr=0, s1fmt=0, s1cdmax=0):
    """An STE: Config in bits [3:1] of word 0, S1ContextPtr from bit 6"""
    w0 = 1 | (config << 1) | (s1fmt << 4) | s1ctxptr | (s1cdmax << 59)
    return struct.pack("<8Q", w0, 0, 0, 0, 0, 0, 0, 0)


def cd():
    """A context descriptor: T0SZ 16 (48-bit input), 4 KiB granule, EPD1
    (no TTB1), V, IPS 48 bits, AA64, A, ASID 1"""
    w0 = (16 | (1 << 30) | (1 << 31) | (5 << 32) | (1 << 41) | (1 << 46) |
          (1 << 48))
    return struct.pack("<8Q", w0, PGD, 0, 0xff, 0, 0, 0, 0)


STES = {
    "bypass": ste(0b100),
    "abort": ste(0b000),
    "s1": ste(0b101, CD),
    "s1-s2": ste(0b111, CD),
    "reserved-config": ste(0b010),
    "s1-beyond-oas": ste(0b101, 1 << 47),   # oas=44 in the accel configs
}


def queue_seed(command):
    """The vSMMU set up, its command queue full of @command, PROD at 31"""
    return smmu_setup() + [pattern(command),
                           write(SMMU, CMDQ_PROD, 31),
                           read(SMMU, CMDQ_CONS),
                           write(SMMU, GERRORN, 0xffffffff)]


def nvme_seed(ste_kind, eventq=EVENTQ):
    """The NVMe mapped and enabled, its admin queue's doorbell rung: its
    read of the submission queue goes through the vSMMU, which reads the
    STE, the CD and the page tables from the patterns in turn"""
    # ECAM is region 1 until the NVMe's BAR is mapped below it
    ops = [write(1, 0x8010, NVME_BAR), write(1, 0x8014, 0),
           write(1, 0x8004, 6)]
    ops += smmu_setup(eventq=eventq)
    ops += [pattern(STES[ste_kind]), pattern(cd()),
            pattern(struct.pack("<Q", RAM + 0x600003)),
            pattern(struct.pack("<Q", RAM + 0x700003)),
            pattern(struct.pack("<Q", RAM + 0x800003)),
            pattern(struct.pack("<Q", RAM + 0x900000 | 0x743)),
            pattern(struct.pack("<16I", 0x06, 0, 0, 0, 0, 0, 0, 0,
                                0, 0, 1, 0, 0, 0, 0, 0))]
    # The NVMe (region 1 once mapped): AQA, ASQ, ACQ, CC.EN, SQ0 doorbell
    ops += [write(1, 0x24, 0x000f000f), write(1, 0x28, IOVA, 8),
            write(1, 0x30, IOVA + 0x10000, 8), write(1, 0x14, 0x00460001),
            write(1, 0x1000, 1), read(1, 0x1c), read(SMMU, EVENTQ_PROD)]
    return ops


def seeds(config):
    out = {}
    for name, command in COMMANDS.items():
        out["cmd-" + name] = queue_seed(command)
    # PROD behind CONS, and a PROD that wraps
    out["prod-behind-cons"] = smmu_setup() + [
        pattern(COMMANDS["sync"]), write(SMMU, CMDQ_PROD, 8),
        write(SMMU, CMDQ_PROD, 2), write(SMMU, CMDQ_PROD, (1 << 5) | 1)]
    for name, s in STES.items():
        out["ste-" + name] = smmu_setup() + [
            pattern(COMMANDS["cfgi-ste"]), pattern(s),
            write(SMMU, CMDQ_PROD, 2)]
    # Enabled, disabled, enabled again, with commands in between
    out["enable-toggle"] = smmu_setup() + [
        pattern(COMMANDS["tlbi-nh-va"]), write(SMMU, CMDQ_PROD, 4),
        write(SMMU, CR0, 0), write(SMMU, GBPA, (1 << 31) | (1 << 20)),
        write(SMMU, CR0, SMMUEN | CMDQEN), write(SMMU, CMDQ_PROD, 9)]
    if config == "emulated":
        for kind in ("bypass", "s1", "abort", "reserved-config"):
            out["nvme-" + kind] = nvme_seed(kind)
        # The event queue on the vSMMU's own registers (the hostile guest's
        # eventq-msix puts it on an MSI-X table): the C_BAD_STE of the
        # NVMe's DMA is written there
        out["eventq-on-mmio"] = nvme_seed("reserved-config",
                                          eventq=0x0c000000)
    return out


def main():
    config, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    for name, ops in seeds(config).items():
        data = SEP.join(ops)
        assert all(SEP not in op for op in ops), name
        with open(os.path.join(outdir, "seed-" + name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smmuv3-hostile-guest: a guest that drives its vSMMUv3 directly, badly.
 *
 * Runs as root in an arm64 Linux guest whose own SMMUv3 driver is kept
 * away from the SMMU (initcall_blacklist=arm_smmu_driver_init), and which
 * leaves some RAM out of the kernel's use (mem=): the SMMU's stream table,
 * command queue and event queue live there, reached through /dev/mem.  It
 * then installs ILLEGAL stream table entries and issues illegal commands
 * for the stream of a PCI device (an NVMe controller), and checks that the
 * SMMU answers as the architecture (Arm IHI 0070) says: a C_BAD_STE event
 * record for an ILLEGAL STE, CERROR_ILL with CMDQ_CONS at the command for
 * an illegal command, a command queue that goes on once the error is
 * acknowledged, and legal configurations that raise nothing.  Last, it
 * makes the NVMe controller do DMA through a legal stage 1 that maps
 * nothing, and expects the SMMU's F_TRANSLATION for it in the event queue
 * (with accel=on the fault is the host SMMU's, passed on by the VMM).
 * With a second NVMe controller, each behind its own root port, it then
 * renumbers the buses so that the second gets the StreamID the first
 * translated with, and expects the same fault for the second's DMA (with
 * accel=on the VMM must move the StreamID's vDEVICE to the second device).
 *
 * With --flood it runs none of that: it fills the largest command queue
 * the SMMU allows with TLBI_NH_ALL + CMD_SYNC pairs, the device
 * translating, publishes it with one write of CMDQ_PROD and measures how
 * long that write and the drain took (an E2E-FLOOD line; case "flood").
 *
 * Each case prints one line:
 *   E2E-HOSTILE PASS <case>: <what was seen>
 *   E2E-HOSTILE FAIL <case>: expected <...>, got <...>
 * and the last line is "E2E-HOSTILE-DONE <npass> <nfail>".
 * Lines "E2E-HOSTILE INFO ..." say what the program found.
 *
 * Written from the SMMUv3 architecture; register, STE, command and event
 * layouts checked against Linux 7.2's arm-smmu-v3.h.
 *
 * Exit status: 0 every case passed, 1 a case failed, 2 setup failed.
 *
 * This file: the command line, finding the SMMU (device tree or ACPI
 * IORT), and main(), which sets the SMMU up and runs the cases in order.
 * The others: hostile.h (the layouts, struct ctx and what the files
 * share), util.c (time, output, sysfs, device tree, spare RAM, PCI),
 * smmu.c (queues, STEs, CDs, set-up), nvme.c (NVMe DMA and its faults),
 * cases-smmu.c and cases-device.c (the cases), flood.c (--flood).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostile.h"

/*
 * With ACPI: the base of the first SMMUv3 node (type 4) of the IORT, whose
 * node header is 16 bytes (type, length, revision, identifier, number of
 * ID mappings, reference to them), followed by the SMMU's base address.
 */
static bool iort_find_smmuv3(uint64_t *base, char *found, size_t foundlen)
{
    static const char path[] = "/sys/firmware/acpi/tables/IORT";
    uint8_t t[16384];
    ssize_t n = read_file(path, t, sizeof(t));
    uint32_t nodes, off, i;

    if (n < 48) {
        return false;
    }
    nodes = t[36] | t[37] << 8 | t[38] << 16 | (uint32_t)t[39] << 24;
    off = t[40] | t[41] << 8 | t[42] << 16 | (uint32_t)t[43] << 24;
    for (i = 0; i < nodes && off + 24 <= (uint32_t)n; i++) {
        uint16_t len = t[off + 1] | t[off + 2] << 8;

        if (t[off] == 4) {
            *base = 0;
            for (int b = 7; b >= 0; b--) {
                *base = *base << 8 | t[off + 16 + b];
            }
            snprintf(found, foundlen, "%s node %u", path, i);
            return true;
        }
        if (!len) {
            break;
        }
        off += len;
    }
    return false;
}

/* --spare-ram=BASE:LEN, for a guest without a device tree */
static bool parse_spare_ram(struct ctx *c, const char *arg)
{
    char *end;

    c->mem_pa = strtoull(arg, &end, 0);
    if (*end != ':') {
        return false;
    }
    c->mem_len = strtoull(end + 1, &end, 0);
    return !*end && c->mem_len >= (1ULL << 20);
}

static int setup_failed(const char *why)
{
    report("setup", false, "%s", why);
    printf("E2E-HOSTILE-DONE %d %d\n", npass, nfail);
    return 2;
}

int main(int argc, char **argv)
{
    struct ctx ctx = { 0 }, *c = &ctx;
    uint64_t stes[4][8], ste[8], smmu_size = 0;
    const char *what[4];
    char node[4096], why[512], label[4][160];
    unsigned int n, flood = 0;
    bool cmdqv = false;
    int fd;

    setvbuf(stdout, NULL, _IOLBF, 0);
    while (argc > 1 && !strncmp(argv[1], "--", 2)) {
        if (!strncmp(argv[1], "--spare-ram=", 12)) {
            if (!parse_spare_ram(c, argv[1] + 12)) {
                fprintf(stderr, "%s: --spare-ram=BASE:LEN (1 MiB at least)\n",
                        argv[0]);
                return 2;
            }
        } else if (!strcmp(argv[1], "--cmdqv")) {
            cmdqv = true;
        } else if (!strcmp(argv[1], "--flood")) {
            flood = FLOOD_LOG2_MAX;
        } else if (!strncmp(argv[1], "--flood=", 8)) {
            char *end;

            flood = (unsigned int)strtoul(argv[1] + 8, &end, 0);
            if (*end || flood < 1 || flood > FLOOD_LOG2_MAX) {
                fprintf(stderr, "%s: --flood=LOG2 (1 to %d)\n", argv[0],
                        FLOOD_LOG2_MAX);
                return 2;
            }
        } else {
            break;
        }
        argc--;
        argv++;
    }
    if (argc > 2 || (argc == 2 && argv[1][0] == '-') || (flood && cmdqv)) {
        fprintf(stderr, "usage: %s [--spare-ram=BASE:LEN] [--flood[=LOG2] | "
                "--cmdqv] [PCI-BDF]\n"
                "  (default: RAM the device tree has but the kernel does "
                "not use; the first NVMe controller by name, and the next "
                "one for vdevice-renumber)\n"
                "  --flood: instead of the cases, the flood of a full "
                "command queue (2^LOG2 entries, default the largest the "
                "SMMU allows), then alive\n"
                "  --cmdqv: instead of the cases, those of the SMMU's "
                "Tegra241 CMDQV\n", argv[0]);
        return 2;
    }

    /* The SMMU: from the device tree, or the ACPI IORT */
    if (dt_find("/proc/device-tree", 2, 1, "arm,smmu-v3", &c->regs_pa,
                &smmu_size, node, sizeof(node), 0)) {
        if (smmu_size < SMMU_MMIO_SIZE) {
            return setup_failed("the SMMU's reg is smaller than its two "
                                "64 KiB pages");
        }
    } else if (!iort_find_smmuv3(&c->regs_pa, node, sizeof(node))) {
        return setup_failed("no SMMUv3: no device tree node compatible with "
                            "\"arm,smmu-v3\", no SMMUv3 node in the ACPI "
                            "IORT");
    }
    if ((!c->mem_len && !find_spare_ram(c, why, sizeof(why))) ||
        !find_device(c, argc == 2 ? argv[1] : NULL, why, sizeof(why))) {
        return setup_failed(why);
    }
    info("SMMU %s at 0x%" PRIx64 "; spare RAM 0x%" PRIx64 "-0x%" PRIx64
         "; device %s, StreamID 0x%x", node, c->regs_pa, c->mem_pa,
         c->mem_pa + c->mem_len - 1, c->bdf, c->sid);
    keep_drivers_away(c->bdf);
    if (c->bdf2[0]) {
        info("second NVMe controller %s (StreamID 0x%x), for vdevice-renumber",
             c->bdf2, c->sid2);
        keep_drivers_away(c->bdf2);
    }

    fd = open("/dev/mem", O_RDWR | O_SYNC);
    if (fd < 0) {
        snprintf(why, sizeof(why), "open /dev/mem: %s", strerror(errno));
        return setup_failed(why);
    }
    c->regs = map_phys(fd, c->regs_pa, SMMU_MMIO_SIZE);
    if (!c->regs) {
        snprintf(why, sizeof(why), "mmap of the SMMU registers: %s (is a "
                 "driver holding them? boot with "
                 "initcall_blacklist=arm_smmu_driver_init)", strerror(errno));
        return setup_failed(why);
    }
    /*
     * At most what the tables can need: 4 MiB of STEs and 192 KiB; and for
     * --flood a command queue of up to 8 MiB, aligned to its size
     */
    if (c->mem_len > (8ULL << 20) + (flood ? 32ULL << flood : 0)) {
        c->mem_len = (8ULL << 20) + (flood ? 32ULL << flood : 0);
    }
    c->mem = map_phys(fd, c->mem_pa, c->mem_len);
    if (!c->mem) {
        snprintf(why, sizeof(why), "mmap of the spare RAM: %s", strerror(errno));
        return setup_failed(why);
    }
    /* --cmdqv: the CMDQV's cases instead, on the SMMU as it is */
    if (cmdqv) {
        case_cmdqv(c, fd);
        printf("E2E-HOSTILE-DONE %d %d\n", npass, nfail);
        return nfail ? 1 : 0;
    }
    if (!smmu_setup(c, why, sizeof(why))) {
        return setup_failed(why);
    }

    /* --flood: the flood instead of the cases, then alive */
    if (flood) {
        case_flood(c, "flood", flood);
        goto alive;
    }

    /* 1-3: Config values that enable stage 2, or are reserved */
    ste_s2(c, stes[0], CFG_S2);
    what[0] = "Config=0b110 (stage 2 only)";
    case_illegal_stes(c, "ste-stage2", 1, stes, what);

    ste_s2(c, stes[0], CFG_NESTED);
    what[0] = "Config=0b111 (stage 1 and 2)";
    case_illegal_stes(c, "ste-nested", 1, stes, what);

    for (n = 0; n < 3; n++) {
        memset(stes[n], 0, sizeof(stes[n]));
        stes[n][0] = STE0_V | STE0_CONFIG(n + 1);
        snprintf(label[n], sizeof(label[n]), "Config=0b%u%u%u (reserved)",
                 (n + 1) >> 2 & 1, (n + 1) >> 1 & 1, (n + 1) & 1);
        what[n] = label[n];
    }
    case_illegal_stes(c, "ste-reserved-config", 3, stes, what);

    /*
     * 4: stage 1 with a reserved S1Fmt, or a CD pointer the SMMU cannot
     * address.  S1Fmt only matters when S1CDMax != 0 (it is IGNORED for a
     * single CD), and S1CDMax must not exceed SSIDSIZE: with SSIDSIZE 0
     * the reserved S1Fmt cannot be isolated, the STE is ILLEGAL anyway.
     */
    n = 0;
    ste_s1(stes[n], c->mem_pa + c->cd_off);
    stes[n][0] |= STE0_S1FMT(S1FMT_RESERVED) | STE0_S1CDMAX(1);
    snprintf(label[n], sizeof(label[n]), "S1Fmt=0b11 S1CDMax=1%s",
             c->ssidsize ? "" : " (beyond SSIDSIZE 0 too)");
    what[n] = label[n];
    n++;
    if (c->ssidsize < 31) {
        ste_s1(stes[n], c->mem_pa + c->cd_off);
        stes[n][0] |= STE0_S1CDMAX(c->ssidsize + 1);
        snprintf(label[n], sizeof(label[n]), "S1CDMax=%u > SSIDSIZE %u",
                 c->ssidsize + 1, c->ssidsize);
        what[n] = label[n];
        n++;
    }
    if (c->oas_bits < 52) {
        ste_s1(stes[n], BIT(c->oas_bits));
        snprintf(label[n], sizeof(label[n]), "S1ContextPtr=0x%llx (OAS %u bits)",
                 (unsigned long long)BIT(c->oas_bits), c->oas_bits);
        what[n] = label[n];
        n++;
        ste_s1(stes[n], MASK(51, 6));
        snprintf(label[n], sizeof(label[n]), "S1ContextPtr=0x%llx",
                 (unsigned long long)MASK(51, 6));
        what[n] = label[n];
        n++;
    }
    case_illegal_stes(c, "ste-malformed-s1", n, stes, what);

    /* S1Fmt is IGNORED when S1CDMax is 0: legal */
    ste_s1(ste, c->mem_pa + c->cd_off);
    ste[0] |= STE0_S1FMT(S1FMT_RESERVED);
    case_legal_ste(c, "ste-s1fmt-ignored", ste,
                   "S1Fmt=0b11 with S1CDMax=0 (IGNORED for a single CD)");

    /* 5, 6: legal configurations */
    ste_abort(ste);
    case_legal_ste(c, "ste-abort", ste, "Config=0b000 (abort)");
    ste_bypass(ste);
    case_legal_ste(c, "ste-bypass", ste, "Config=0b100 (bypass)");
    ste_s1(ste, c->mem_pa + c->cd_off);
    snprintf(why, sizeof(why), "Config=0b101 S1Fmt=0 S1CDMax=0 S1ContextPtr=0x%"
             PRIx64 " (one CD, V=0)", c->mem_pa + c->cd_off);
    case_legal_ste(c, "ste-s1-valid", ste, why);

    /* 7-9: commands for features the vSMMU does not have, or none at all */
    case_illegal_cmd(c, "cmd-stage2-tlbi", CMD_TLBI_S2_IPA | CMD0_VMID(1),
                     0x40000000, "CMD_TLBI_S2_IPA (0x2a)");
    case_illegal_cmd(c, "cmd-unknown-opcode", CMD_UNDEFINED, 0,
                     "opcode 0xff");
    case_illegal_cmd(c, "cmd-el2-tlbi", CMD_TLBI_EL2_ALL, 0,
                     "CMD_TLBI_EL2_ALL (0x20)");

    /* 10: the widest configuration invalidations */
    case_cfgi_range(c, "cfgi-all", CMD_CFGI_STE_RANGE, CMD1_RANGE(31),
                    "CMD_CFGI_ALL (0x04, Range=31)");
    snprintf(why, sizeof(why), "CMD_CFGI_STE_RANGE (0x04, SID=0x%x, Range=31)",
             c->sid);
    case_cfgi_range(c, "cfgi-ste-range", CMD_CFGI_STE_RANGE | CMD0_SID(c->sid),
                    CMD1_RANGE(31), why);

    /*
     * 11: the device does DMA through a legal stage 1 that translates
     * nothing; the host's fault must reach the guest's event queue.  Last
     * before "alive", so that its DMA cannot disturb the other cases.
     */
    case_host_fault(c, "host-fault-event");

    /*
     * 12, 13: a CD changed in place, and a CFGI that must drop the copy
     * the SMMU cached: CFGI_STE, and CFGI_CD for a StreamID the guest
     * renumbered.  DMA too, so before "alive".
     */
    case_cfgi_ste_cd(c, "cfgi-ste-cd");
    case_cfgi_cd_renumbered(c, "cfgi-cd-renumbered");

    /*
     * 14: the guest renumbers buses so that a second device gets the
     * StreamID the first translated with; the second must translate with
     * it.  Before "alive", for the same reason.
     */
    case_vdevice_renumber(c, "vdevice-renumber");

    /*
     * 15: an event record written to the MSI-X table of a root port,
     * whose MSI the SMMU translates.  Last: a VMM that deadlocks there
     * stops the guest.
     */
    case_eventq_msix(c, "eventq-msix");

    /* After all that, the vSMMU still works */
alive:
    ste_bypass(ste);
    {
        char got[256];
        uint32_t cr0ack;

        if (!ste_try(c, ste, false, got, sizeof(got))) {
            report("alive", false, "expected CFGI_STE(bypass) + CMD_SYNC to "
                   "complete with no event, got %s", got);
        } else if ((cr0ack = reg_rd(c, SMMU_CR0ACK)) !=
                   (CR0_CMDQEN | CR0_EVENTQEN | CR0_SMMUEN) || cmdq_err_pending(c)) {
            report("alive", false, "commands complete, but CR0ACK=0x%x "
                   "GERROR=0x%x GERRORN=0x%x", cr0ack, reg_rd(c, SMMU_GERROR),
                   reg_rd(c, SMMU_GERRORN));
        } else {
            report("alive", true, "CFGI_STE(bypass) + CMD_SYNC completed "
                   "(CONS=PROD=0x%x; CMDQ_CONS reads 0x%08x), no event, "
                   "CR0ACK=0x%x, no global error pending", c->cq_prod,
                   reg_rd(c, SMMU_CMDQ_CONS), cr0ack);
        }
    }

    printf("E2E-HOSTILE-DONE %d %d\n", npass, nfail);
    return nfail ? 1 : 0;
}

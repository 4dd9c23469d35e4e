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
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if !defined(__aarch64__)
#error "smmuv3-hostile-guest runs in an arm64 guest: build it with an aarch64 compiler (make CC=aarch64-linux-gnu-gcc)"
#endif

#define BIT(n)          (1ULL << (n))
#define MASK(hi, lo)    ((~0ULL >> (63 - (hi))) & ~(BIT(lo) - 1))

/* ---- SMMUv3 registers (page 0, and page 1 at 0x10000) ---- */
#define SMMU_IDR0               0x0
#define SMMU_IDR1               0x4
#define SMMU_IDR3               0xc
#define SMMU_IDR5               0x14
#define SMMU_CR0                0x20
#define SMMU_CR0ACK             0x24
#define SMMU_CR1                0x28
#define SMMU_CR2                0x2c
#define SMMU_IRQ_CTRL           0x50
#define SMMU_IRQ_CTRLACK        0x54
#define SMMU_GERROR             0x60
#define SMMU_GERRORN            0x64
#define SMMU_STRTAB_BASE        0x80
#define SMMU_STRTAB_BASE_CFG    0x88
#define SMMU_CMDQ_BASE          0x90
#define SMMU_CMDQ_PROD          0x98
#define SMMU_CMDQ_CONS          0x9c
#define SMMU_EVENTQ_BASE        0xa0
#define SMMU_EVENTQ_PROD        0x100a8
#define SMMU_EVENTQ_CONS        0x100ac
#define SMMU_MMIO_SIZE          0x20000

#define IDR0_S1P                BIT(1)
#define IDR0_S2P                BIT(0)
#define IDR1_SIDSIZE(r)         ((r) & 0x3f)
#define IDR1_SSIDSIZE(r)        (((r) >> 6) & 0x1f)
#define IDR1_EVENTQS(r)         (((r) >> 16) & 0x1f)
#define IDR1_CMDQS(r)           (((r) >> 21) & 0x1f)
#define IDR5_OAS(r)             ((r) & 0x7)

#define CR0_SMMUEN              BIT(0)
#define CR0_EVENTQEN            BIT(2)
#define CR0_CMDQEN              BIT(3)
#define CR2_RECINVSID           BIT(1)
#define GERROR_CMDQ_ERR         BIT(0)
#define CMDQ_CONS_ERR(r)        (((r) >> 24) & 0x7f)
#define CERROR_NONE             0
#define CERROR_ILL              1
#define Q_OVFLG                 BIT(31)
#define STRTAB_BASE_CFG_LINEAR  (0u << 16)

/* ---- Stream table entry (8 double words) ---- */
#define STE0_V                  BIT(0)
#define STE0_CONFIG(c)          ((uint64_t)(c) << 1)
#define STE0_S1FMT(f)           ((uint64_t)(f) << 4)
#define STE0_S1CTXPTR(a)        ((a) & MASK(51, 6))
#define STE0_S1CDMAX(n)         ((uint64_t)(n) << 59)
#define STE1_S1CIR(c)           ((uint64_t)(c) << 2)
#define STE1_S1COR(c)           ((uint64_t)(c) << 4)
#define STE1_S1CSH(s)           ((uint64_t)(s) << 6)
#define STE1_SHCFG_INCOMING     (1ULL << 44)
#define STE2_S2VMID(v)          ((uint64_t)(v))
#define STE2_VTCR(v)            ((uint64_t)(v) << 32)
#define STE2_S2AA64             BIT(51)
#define STE2_S2R                BIT(58)
#define STE3_S2TTB(a)           ((a) & MASK(51, 4))

/* ---- Context descriptor (8 double words; Linux's CTXDESC_CD_*) ---- */
#define CD0_T0SZ(n)             ((uint64_t)(n))
#define CD0_TG0_4K              (0ULL << 6)
#define CD0_IRGN0(c)            ((uint64_t)(c) << 8)
#define CD0_ORGN0(c)            ((uint64_t)(c) << 10)
#define CD0_SH0(s)              ((uint64_t)(s) << 12)
#define CD0_EPD1                BIT(30)
#define CD0_V                   BIT(31)
#define CD0_IPS(n)              ((uint64_t)(n) << 32)
#define CD0_AA64                BIT(41)
#define CD0_R                   BIT(45)
#define CD0_A                   BIT(46)
#define CD0_ASET                BIT(47)
#define CD0_ASID(a)             ((uint64_t)(a) << 48)
#define CD1_TTB0(a)             ((a) & MASK(51, 4))
/* Linux's io-pgtable MAIR: NC, WB RA/WA, Device-nGnRE, inner NC outer WB */
#define CD3_MAIR_LINUX          0xf404ff44ULL
/* VTCR fields as in STE dword 2 [50:32] */
#define VTCR_T0SZ(n)            (n)
#define VTCR_SL0(n)             ((n) << 6)
#define VTCR_IR0(n)             ((n) << 8)
#define VTCR_OR0(n)             ((n) << 10)
#define VTCR_SH0(n)             ((n) << 12)
#define VTCR_PS(n)              ((n) << 16)

#define CFG_ABORT               0x0     /* 0b000 */
#define CFG_BYPASS              0x4     /* 0b100 */
#define CFG_S1                  0x5     /* 0b101: stage 1 translate */
#define CFG_S2                  0x6     /* 0b110: stage 2 translate */
#define CFG_NESTED              0x7     /* 0b111: both stages */
#define S1FMT_RESERVED          0x3
#define CACHE_NC                0x0
#define CACHE_WBRA              0x1
#define SH_OSH                  0x2
#define SH_ISH                  0x3

/* ---- Commands (2 double words) ---- */
#define CMD_CFGI_STE            0x03
#define CMD_CFGI_STE_RANGE      0x04    /* CMD_CFGI_ALL is Range 31 */
#define CMD_CFGI_CD             0x05
#define CMD_TLBI_NH_ALL         0x10
#define CMD_TLBI_NH_ASID        0x11
#define CMD_TLBI_NSNH_ALL       0x30
#define CMD_TLBI_EL2_ALL        0x20
#define CMD_TLBI_S2_IPA         0x2a
#define CMD_SYNC                0x46
#define CMD_UNDEFINED           0xff    /* no command has this opcode */
#define CMD0_SID(s)             ((uint64_t)(s) << 32)
#define CMD0_VMID(v)            ((uint64_t)(v) << 32)
#define CMD0_ASID(a)            ((uint64_t)(a) << 48)
#define CMD1_LEAF               BIT(0)
#define CMD1_RANGE(r)           ((uint64_t)(r))

/* ---- Event records (4 double words) ---- */
#define EVT_TYPE(dw0)           ((unsigned int)((dw0) & 0xff))
#define EVT_SID(dw0)            ((uint32_t)((dw0) >> 32))
#define EVT_S2(dw1)             (((dw1) >> 39) & 1)
#define EVT_RNW(dw1)            (((dw1) >> 35) & 1)
#define EVT_CLASS(dw1)          ((unsigned int)((dw1) >> 40) & 3)
#define EVT_C_BAD_STE           0x04
#define EVT_C_BAD_CD            0x0a
#define EVT_F_TRANSLATION       0x10
#define EVT_RAW_KEPT            32      /* records whose double words are kept */

/* ---- NVMe 1.4 controller registers (BAR0), for host-fault-event ---- */
#define NVME_CAP_LO             0x00    /* TO in [31:24], 500 ms units */
#define NVME_CAP_HI             0x04    /* DSTRD in CAP [35:32] */
#define NVME_CC                 0x14
#define NVME_CSTS               0x1c
#define NVME_AQA                0x24
#define NVME_ASQ                0x28
#define NVME_ACQ                0x30
#define NVME_SQ0TDBL            0x1000
#define NVME_CC_EN              BIT(0)
#define NVME_CC_IOSQES(n)       ((uint32_t)(n) << 16)
#define NVME_CC_IOCQES(n)       ((uint32_t)(n) << 20)
#define NVME_CSTS_RDY           BIT(0)
#define NVME_CSTS_CFS           BIT(1)
#define PCI_COMMAND_MEMORY      0x2
#define PCI_COMMAND_MASTER      0x4
/* Admin queues at IOVAs the (empty) stage 1 does not map */
#define FAULT_ASQ_IOVA          0x10000000ULL
#define FAULT_ACQ_IOVA          0x10001000ULL
#define FAULT_ASID              1
#define HOST_EVT_WAIT_MS        10000

/* Queue sizes (log2 of entries) and where things go in the spare RAM */
#define CMDQ_LOG2               8       /* 256 x 16 bytes */
#define EVTQ_LOG2               7       /* 128 x 32 bytes */
#define CMD_TIMEOUT_MS          2000
#define EVT_WAIT_MS             300     /* for an event that is due */
#define EVT_QUIET_MS            50      /* for events that must not come */

/*
 * --flood: the largest command queue the SMMU allows (IDR1.CMDQS, at most
 * 2^19 entries, 8 MiB), if the spare RAM holds it, full of TLBI_NH_ALL +
 * CMD_SYNC pairs, published with one write of CMDQ_PROD.
 */
#define FLOOD_LOG2_MAX          19
#define FLOOD_READY_MS          5000    /* quiet before the flood, for the host's counters */
#define FLOOD_DRAIN_MS          480000  /* the longest the guest polls CMDQ_CONS */

struct ctx {
    volatile uint8_t *regs;
    volatile uint8_t *mem;
    uint64_t regs_pa, mem_pa, mem_len, map_len;
    uint32_t idr0, idr1, idr3, idr5;
    unsigned int oas_bits, ssidsize, oas_field;
    char bdf[256];
    uint32_t sid;
    char bdf2[256];     /* a second NVMe controller ("" if none), for vdevice-renumber */
    uint32_t sid2;
    unsigned int st_log2, cq_log2, eq_log2;
    uint64_t st_off, cq_off, eq_off, cd_off, s2tt_off;
    uint64_t fcd_off, s1tt_off;     /* host-fault-event: valid CD, empty table */
    uint64_t t2_off;    /* a stage-1 table that maps the ASQ's page (4 pages) */
    uint64_t fault_ms;  /* host-fault-event: doorbell to the first fault (0: none) */
    uint64_t cq_base;   /* CMDQ_BASE as set up (restored after --flood) */
    uint32_t cq_prod;   /* index and wrap bit, as last written */
    uint32_t eq_cons;   /* index and wrap bit, as last written */
};

static int npass, nfail;

/*
 * The SMMU's registers, and the RAM that /dev/mem maps as Device memory:
 * only aligned single loads and stores of one register each.  Inline
 * assembly keeps the compiler from pairing, merging or splitting them;
 * the hypervisor can only emulate a plain LDR/STR with a base register.
 */
static inline uint32_t rd32(const volatile uint8_t *p)
{
    uint32_t v;

    __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(p) : "memory");
    return v;
}

static inline void wr32(volatile uint8_t *p, uint32_t v)
{
    __asm__ volatile("str %w0, [%1]" : : "rZ"(v), "r"(p) : "memory");
}

static inline uint64_t rd64(const volatile uint8_t *p)
{
    uint64_t v;

    __asm__ volatile("ldr %x0, [%1]" : "=r"(v) : "r"(p) : "memory");
    return v;
}

static inline void wr64(volatile uint8_t *p, uint64_t v)
{
    __asm__ volatile("str %x0, [%1]" : : "rZ"(v), "r"(p) : "memory");
}

/* Order the table and queue stores before the register write that publishes them */
static inline void dsb(void)
{
    __asm__ volatile("dsb sy" : : : "memory");
}

static uint32_t reg_rd(struct ctx *c, unsigned int off)
{
    return rd32(c->regs + off);
}

static void reg_wr(struct ctx *c, unsigned int off, uint32_t v)
{
    wr32(c->regs + off, v);
}

static uint64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t now_ms(void)
{
    return now_us() / 1000;
}

static void pause_us(uint64_t us)
{
    struct timespec ts = { .tv_sec = (time_t)(us / 1000000),
                           .tv_nsec = (long)(us % 1000000) * 1000 };

    nanosleep(&ts, NULL);
}

static void report(const char *name, bool ok, const char *fmt, ...)
{
    va_list ap;

    printf("E2E-HOSTILE %s %s: ", ok ? "PASS" : "FAIL", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
    if (ok) {
        npass++;
    } else {
        nfail++;
    }
}

static void info(const char *fmt, ...)
{
    va_list ap;

    fputs("E2E-HOSTILE INFO ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* Append to a fixed buffer, truncating */
static void cat(char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strlen(buf);
    va_list ap;

    if (used + 1 >= len) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

/* Set a fixed buffer, truncating (a message of a case: truncation is fine) */
static void __attribute__((format(printf, 3, 4)))
setf(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Finding the SMMU, the spare RAM and the device                      */
/* ------------------------------------------------------------------ */

static ssize_t read_file(const char *path, void *buf, size_t len)
{
    int fd = open(path, O_RDONLY);
    ssize_t total = 0;

    if (fd < 0) {
        return -1;
    }
    while ((size_t)total < len) {
        ssize_t n = read(fd, (char *)buf + total, len - total);
        if (n < 0) {
            close(fd);
            return -1;
        }
        if (n == 0) {
            break;
        }
        total += n;
    }
    close(fd);
    return total;
}

static uint64_t be_cells(const uint8_t *p, unsigned int ncells)
{
    uint64_t v = 0;
    unsigned int i;

    for (i = 0; i < ncells; i++) {
        v = v << 32 | (uint64_t)p[4 * i] << 24 | (uint64_t)p[4 * i + 1] << 16 |
            (uint64_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    }
    return v;
}

static unsigned int dt_cells(const char *node, const char *prop, unsigned int dflt)
{
    char path[4096];
    uint8_t b[4];

    snprintf(path, sizeof(path), "%s/%s", node, prop);
    if (read_file(path, b, sizeof(b)) != 4) {
        return dflt;
    }
    return (unsigned int)be_cells(b, 1);
}

static bool dt_compatible(const char *node, const char *compat)
{
    char path[4096], buf[1024];
    ssize_t n, i = 0;

    snprintf(path, sizeof(path), "%s/compatible", node);
    n = read_file(path, buf, sizeof(buf) - 1);
    if (n <= 0) {
        return false;
    }
    buf[n] = '\0';
    while (i < n) {
        if (!strcmp(buf + i, compat)) {
            return true;
        }
        i += (ssize_t)strlen(buf + i) + 1;
    }
    return false;
}

/*
 * Depth-first search for the first node compatible with @compat; its first
 * reg entry, decoded with the cell sizes its parent gives (@ac, @sc).
 */
static bool dt_find(const char *node, unsigned int ac, unsigned int sc,
                    const char *compat, uint64_t *base, uint64_t *size,
                    char *found, size_t foundlen, int depth)
{
    char path[4096];
    unsigned int cac, csc;
    struct dirent *de;
    struct stat st;
    DIR *d;
    bool ok = false;

    if (dt_compatible(node, compat)) {
        uint8_t reg[64];

        snprintf(path, sizeof(path), "%s/reg", node);
        if (ac + sc <= 4 && read_file(path, reg, sizeof(reg)) >= (ssize_t)(4 * (ac + sc))) {
            *base = be_cells(reg, ac);
            *size = be_cells(reg + 4 * ac, sc);
            snprintf(found, foundlen, "%s", node);
            return true;
        }
    }
    if (depth > 8) {
        return false;
    }
    cac = dt_cells(node, "#address-cells", 2);
    csc = dt_cells(node, "#size-cells", 1);
    d = opendir(node);
    if (!d) {
        return false;
    }
    while (!ok && (de = readdir(d))) {
        if (de->d_name[0] == '.') {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", node, de->d_name);
        if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
            continue;
        }
        ok = dt_find(path, cac, csc, compat, base, size, found, foundlen,
                     depth + 1);
    }
    closedir(d);
    return ok;
}

/*
 * The RAM that the device tree describes but the kernel does not use
 * (mem=): above the highest "System RAM" range of /proc/iomem inside a
 * memory node.  Neither the kernel nor any user can be using it, so the
 * SMMU's tables can go there, and /dev/mem maps it (CONFIG_STRICT_DEVMEM
 * only allows what is not System RAM).
 */
static bool find_spare_ram(struct ctx *c, char *why, size_t whylen)
{
    const char *root = "/proc/device-tree";
    unsigned int ac = dt_cells(root, "#address-cells", 2);
    unsigned int sc = dt_cells(root, "#size-cells", 1);
    uint64_t best_base = 0, best_len = 0;
    struct dirent *de;
    DIR *d = opendir(root);

    if (!d) {
        snprintf(why, whylen, "no %s (the guest must boot with a device tree)", root);
        return false;
    }
    while ((de = readdir(d))) {
        char path[4096];
        uint8_t reg[256];
        ssize_t n, off;

        if (strncmp(de->d_name, "memory", 6) != 0) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s/reg", root, de->d_name);
        n = read_file(path, reg, sizeof(reg));
        for (off = 0; n > 0 && off + 4 * (ssize_t)(ac + sc) <= n;
             off += 4 * (ssize_t)(ac + sc)) {
            uint64_t base = be_cells(reg + off, ac);
            uint64_t end = base + be_cells(reg + off + 4 * ac, sc);
            uint64_t top = base;    /* end of System RAM in [base, end) */
            char line[256];
            FILE *f = fopen("/proc/iomem", "r");

            if (!f) {
                break;
            }
            while (fgets(line, sizeof(line), f)) {
                uint64_t s, e;
                int pos = 0;

                /* Top-level entries only: children are indented */
                if (line[0] == ' ' ||
                    sscanf(line, "%" SCNx64 "-%" SCNx64 " : %n", &s, &e, &pos) != 2 ||
                    !pos || strncmp(line + pos, "System RAM", 10) != 0) {
                    continue;
                }
                if (s < end && e + 1 > base && e + 1 > top) {
                    top = e + 1 < end ? e + 1 : end;
                }
            }
            fclose(f);
            /* 4 MiB alignment: enough for any linear stream table */
            top = (top + (4ULL << 20) - 1) & ~((4ULL << 20) - 1);
            if (top < end && end - top > best_len) {
                best_base = top;
                best_len = end - top;
            }
        }
    }
    closedir(d);
    if (best_len < (1ULL << 20)) {
        snprintf(why, whylen, "no RAM outside the kernel's System RAM "
                 "(boot the guest with mem= below its RAM size)");
        return false;
    }
    c->mem_pa = best_base;
    c->mem_len = best_len;
    return true;
}

static bool is_nvme(const char *bdf)
{
    char path[4096], cls[32];
    ssize_t n;

    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/class", bdf);
    n = read_file(path, cls, sizeof(cls) - 1);
    if (n <= 0) {
        return false;
    }
    cls[n] = '\0';
    return !strncmp(cls, "0x010802", 8);
}

/* A PCI device's StreamID is its requester ID */
static bool bdf_sid(const char *bdf, uint32_t *sid)
{
    unsigned int dom, bus, dev, fn;

    if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4 ||
        bus > 0xff || dev > 0x1f || fn > 7) {
        return false;
    }
    *sid = bus << 8 | dev << 3 | fn;
    return true;
}

static int not_hidden(const struct dirent *de)
{
    return de->d_name[0] != '.';
}

/*
 * The first two NVMe controllers (class 0x010802), by name: the first is
 * the device, unless a BDF was given; the other one (c->bdf2) is for
 * vdevice-renumber.
 */
static bool find_device(struct ctx *c, const char *want, char *why, size_t whylen)
{
    const char *dir = "/sys/bus/pci/devices";
    struct dirent **names = NULL;
    int n, i;

    c->bdf[0] = '\0';
    c->bdf2[0] = '\0';
    if (want) {
        snprintf(c->bdf, sizeof(c->bdf), "%s", want);
    }
    n = scandir(dir, &names, not_hidden, alphasort);
    for (i = 0; i < n; i++) {
        const char *name = names[i]->d_name;

        if (!c->bdf2[0] && is_nvme(name)) {
            if (!c->bdf[0]) {
                snprintf(c->bdf, sizeof(c->bdf), "%s", name);
            } else if (strcmp(name, c->bdf) != 0) {
                snprintf(c->bdf2, sizeof(c->bdf2), "%s", name);
            }
        }
        free(names[i]);
    }
    free(names);
    if (!c->bdf[0]) {
        snprintf(why, whylen, "no NVMe controller (class 0x010802) in %s", dir);
        return false;
    }
    if (!bdf_sid(c->bdf, &c->sid)) {
        snprintf(why, whylen, "cannot parse PCI address '%s' (want DDDD:BB:DD.F)", c->bdf);
        return false;
    }
    if (c->bdf2[0] && !bdf_sid(c->bdf2, &c->sid2)) {
        c->bdf2[0] = '\0';
    }
    return true;
}

static bool write_sysfs(const char *path, const char *val)
{
    int fd = open(path, O_WRONLY);
    bool ok;

    if (fd < 0) {
        return false;
    }
    ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
    close(fd);
    return ok;
}

/*
 * No driver may do DMA through the stream while its STE changes under it:
 * keep every driver away (driver_override names no driver) and unbind the
 * one it has, if any.
 */
static void keep_drivers_away(const char *bdf)
{
    char path[4096];
    struct stat st;

    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
    write_sysfs(path, "smmuv3-hostile-guest");
    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
    if (!stat(path, &st)) {
        snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
        info("%s had a driver: %s", bdf,
             write_sysfs(path, bdf) ? "unbound" : "unbind FAILED");
    }
}

static volatile uint8_t *map_phys(int fd, uint64_t pa, uint64_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)pa);

    return p == MAP_FAILED ? NULL : (volatile uint8_t *)p;
}

/* ------------------------------------------------------------------ */
/* Queues                                                              */
/* ------------------------------------------------------------------ */

/* Queue pointers: index in [log2-1:0], wrap bit at [log2] */
static uint32_t q_ptr_mask(unsigned int log2)
{
    return (2u << log2) - 1;
}

static uint32_t q_idx(uint32_t p, unsigned int log2)
{
    return p & ((1u << log2) - 1);
}

static uint32_t q_add(uint32_t p, unsigned int log2, uint32_t n)
{
    return (p + n) & q_ptr_mask(log2);
}

static volatile uint8_t *cmdq_slot(struct ctx *c, uint32_t p)
{
    return c->mem + c->cq_off + 16 * (uint64_t)q_idx(p, c->cq_log2);
}

/* Until the register @off reads @want, for a second at most */
static bool wait_reg(struct ctx *c, unsigned int off, uint32_t want)
{
    uint64_t deadline = now_ms() + 1000;

    while (reg_rd(c, off) != want) {
        if (now_ms() > deadline) {
            return false;
        }
        pause_us(100);
    }
    return true;
}

enum cmdq_state { CMDQ_DONE, CMDQ_ERROR, CMDQ_TIMEOUT };

struct cmdq_result {
    enum cmdq_state state;
    uint32_t cons;      /* CMDQ_CONS index and wrap */
    uint32_t err;       /* CMDQ_CONS.ERR, valid in CMDQ_ERROR */
};

static bool cmdq_err_pending(struct ctx *c)
{
    return (reg_rd(c, SMMU_GERROR) ^ reg_rd(c, SMMU_GERRORN)) & GERROR_CMDQ_ERR;
}

/* Queue @n commands at PROD and publish them (the queue is empty: see cmdq_wait) */
static void cmdq_issue(struct ctx *c, const uint64_t (*cmd)[2], unsigned int n)
{
    unsigned int i;

    for (i = 0; i < n; i++) {
        volatile uint8_t *e = cmdq_slot(c, q_add(c->cq_prod, c->cq_log2, i));

        wr64(e, cmd[i][0]);
        wr64(e + 8, cmd[i][1]);
    }
    c->cq_prod = q_add(c->cq_prod, c->cq_log2, n);
    dsb();
    reg_wr(c, SMMU_CMDQ_PROD, c->cq_prod);
}

/* Until CONS reaches PROD, or a command error, or the timeout */
static void cmdq_wait(struct ctx *c, struct cmdq_result *r)
{
    uint64_t deadline = now_ms() + CMD_TIMEOUT_MS;

    for (;;) {
        bool err = cmdq_err_pending(c);
        uint32_t cons = reg_rd(c, SMMU_CMDQ_CONS);
        r->cons = cons & q_ptr_mask(c->cq_log2);
        r->err = CMDQ_CONS_ERR(cons);
        if (err) {
            r->state = CMDQ_ERROR;
            return;
        }
        if (r->cons == c->cq_prod) {
            r->state = CMDQ_DONE;
            return;
        }
        if (now_ms() > deadline) {
            r->state = CMDQ_TIMEOUT;
            return;
        }
        pause_us(100);
    }
}

/*
 * What Linux does after a command error: replace the failed command (at
 * CONS) with a CMD_SYNC, then acknowledge CMDQ_ERR by making GERRORN's
 * bit equal to GERROR's.  The SMMU then goes on from CONS; PROD is not
 * written again.
 */
static void cmdq_skip_error(struct ctx *c, uint32_t cons)
{
    volatile uint8_t *e = cmdq_slot(c, cons);
    uint32_t gerror, gerrorn;

    wr64(e, CMD_SYNC);
    wr64(e + 8, 0);
    dsb();
    gerror = reg_rd(c, SMMU_GERROR);
    gerrorn = reg_rd(c, SMMU_GERRORN);
    reg_wr(c, SMMU_GERRORN, gerrorn ^ ((gerror ^ gerrorn) & GERROR_CMDQ_ERR));
}

static const char *cerror_name(uint32_t err)
{
    switch (err) {
    case 0: return "CERROR_NONE";
    case 1: return "CERROR_ILL";
    case 2: return "CERROR_ABT";
    case 3: return "CERROR_ATC_INV_SYNC";
    default: return "CERROR_?";
    }
}

static void describe_cmdq(const struct cmdq_result *r, char *buf, size_t len)
{
    switch (r->state) {
    case CMDQ_DONE:
        snprintf(buf, len, "commands completed (CONS=PROD=0x%x)", r->cons);
        break;
    case CMDQ_ERROR:
        snprintf(buf, len, "command error %s (ERR=%u) at CONS=0x%x",
                 cerror_name(r->err), r->err, r->cons);
        break;
    default:
        snprintf(buf, len, "no completion within %d ms (CONS=0x%x)",
                 CMD_TIMEOUT_MS, r->cons);
        break;
    }
}

/* Run commands expecting no error; on an error, skip it so later cases can run */
static bool cmdq_run(struct ctx *c, const uint64_t (*cmd)[2], unsigned int n,
                     char *got, size_t gotlen)
{
    struct cmdq_result r;

    cmdq_issue(c, cmd, n);
    cmdq_wait(c, &r);
    if (r.state == CMDQ_DONE) {
        return true;
    }
    describe_cmdq(&r, got, gotlen);
    if (r.state == CMDQ_ERROR) {
        cmdq_skip_error(c, r.cons);
        cmdq_wait(c, &r);
    }
    return false;
}

struct events {
    unsigned int n, bad_ste, other;
    uint64_t raw[EVT_RAW_KEPT][4];      /* the first records, all 4 double words */
    char text[256];
};

static const char *evt_name(unsigned int type)
{
    switch (type) {
    case EVT_C_BAD_STE: return "C_BAD_STE";
    case EVT_C_BAD_CD: return "C_BAD_CD";
    case EVT_F_TRANSLATION: return "F_TRANSLATION";
    default: return "event";
    }
}

/* Consume every record in the event queue */
static void evtq_drain(struct ctx *c, struct events *ev)
{
    uint32_t prod = reg_rd(c, SMMU_EVENTQ_PROD);
    uint32_t mask = q_ptr_mask(c->eq_log2);

    dsb();
    while ((c->eq_cons & mask) != (prod & mask)) {
        volatile uint8_t *e = c->mem + c->eq_off +
                              32 * (uint64_t)q_idx(c->eq_cons, c->eq_log2);
        uint64_t dw0 = rd64(e);

        if (ev->n < EVT_RAW_KEPT) {
            unsigned int i;

            for (i = 0; i < 4; i++) {
                ev->raw[ev->n][i] = rd64(e + 8 * i);
            }
        }
        ev->n++;
        if (EVT_TYPE(dw0) == EVT_C_BAD_STE && EVT_SID(dw0) == c->sid) {
            ev->bad_ste++;
        } else {
            ev->other++;
        }
        cat(ev->text, sizeof(ev->text), "%s%s(0x%02x) SID 0x%x",
            ev->n > 1 ? ", " : "", evt_name(EVT_TYPE(dw0)),
            EVT_TYPE(dw0), EVT_SID(dw0));
        c->eq_cons = q_add(c->eq_cons, c->eq_log2, 1);
    }
    /* Acknowledge an overflow, if any, with the consumer's OVFLG */
    reg_wr(c, SMMU_EVENTQ_CONS, c->eq_cons | (prod & Q_OVFLG));
}

/*
 * The events since the last call.  When one is due, wait up to
 * EVT_WAIT_MS for it; otherwise give the SMMU EVT_QUIET_MS to show an
 * event that must not come.
 */
static void evtq_collect(struct ctx *c, bool due, struct events *ev)
{
    uint64_t deadline = now_ms() + (due ? EVT_WAIT_MS : EVT_QUIET_MS);

    memset(ev, 0, sizeof(*ev));
    do {
        evtq_drain(c, ev);
        if (due && ev->bad_ste) {
            break;
        }
        pause_us(1000);
    } while (now_ms() < deadline);
    evtq_drain(c, ev);
    if (!ev->n) {
        snprintf(ev->text, sizeof(ev->text), "no event");
    }
}

/* ------------------------------------------------------------------ */
/* Stream table entries                                                */
/* ------------------------------------------------------------------ */

/*
 * Write the STE of StreamID @sid: V=0 first, then the other double words,
 * then double word 0 (the SMMU reads it again only on CFGI_STE).
 */
static void ste_write_at(struct ctx *c, uint32_t sid, const uint64_t ste[8])
{
    volatile uint8_t *e = c->mem + c->st_off + 64 * (uint64_t)sid;
    int i;

    wr64(e, 0);
    dsb();
    for (i = 1; i < 8; i++) {
        wr64(e + 8 * i, ste[i]);
    }
    dsb();
    wr64(e, ste[0]);
    dsb();
}

/* The device's STE */
static void ste_write(struct ctx *c, const uint64_t ste[8])
{
    ste_write_at(c, c->sid, ste);
}

static void ste_abort(uint64_t s[8])
{
    memset(s, 0, 64);
    s[0] = STE0_V | STE0_CONFIG(CFG_ABORT);
}

static void ste_bypass(uint64_t s[8])
{
    memset(s, 0, 64);
    s[0] = STE0_V | STE0_CONFIG(CFG_BYPASS);
    s[1] = STE1_SHCFG_INCOMING;
}

/* Stage 1 with one CD at @ctxptr, as Linux writes it */
static void ste_s1(uint64_t s[8], uint64_t ctxptr)
{
    memset(s, 0, 64);
    s[0] = STE0_V | STE0_CONFIG(CFG_S1) | STE0_S1FMT(0) |
           STE0_S1CTXPTR(ctxptr) | STE0_S1CDMAX(0);
    s[1] = STE1_S1CIR(CACHE_WBRA) | STE1_S1COR(CACHE_WBRA) | STE1_S1CSH(SH_ISH);
}

/* A plausible stage 2: VMID 1, 39-bit IPA, 4 KiB granule, start level 1 */
static void ste_s2(struct ctx *c, uint64_t s[8], unsigned int config)
{
    memset(s, 0, 64);
    s[0] = STE0_V | STE0_CONFIG(config);
    s[2] = STE2_S2VMID(1) |
           STE2_VTCR(VTCR_T0SZ(25) | VTCR_SL0(1) | VTCR_IR0(CACHE_WBRA) |
                     VTCR_OR0(CACHE_WBRA) | VTCR_SH0(SH_ISH) |
                     VTCR_PS(c->oas_field)) |
           STE2_S2AA64 | STE2_S2R;
    s[3] = STE3_S2TTB(c->mem_pa + c->s2tt_off);
    if (config == CFG_NESTED) {
        s[0] |= STE0_S1CTXPTR(c->mem_pa + c->cd_off);
        s[1] = STE1_S1CIR(CACHE_WBRA) | STE1_S1COR(CACHE_WBRA) | STE1_S1CSH(SH_ISH);
    }
}

/*
 * Install @ste with CFGI_STE + CMD_SYNC.  The commands must complete
 * without error; then @want_bad says whether a C_BAD_STE for the stream
 * is due (and no other event), or no event at all.  @got says what
 * happened.
 */
static bool ste_try(struct ctx *c, const uint64_t ste[8], bool want_bad,
                    char *got, size_t gotlen)
{
    const uint64_t cmd[2][2] = {
        { CMD_CFGI_STE | CMD0_SID(c->sid), CMD1_LEAF },
        { CMD_SYNC, 0 },
    };
    struct events ev;

    got[0] = '\0';
    ste_write(c, ste);
    if (!cmdq_run(c, cmd, 2, got, gotlen)) {
        return false;
    }
    evtq_collect(c, want_bad, &ev);
    snprintf(got, gotlen, "%s", ev.text);
    return want_bad ? ev.bad_ste >= 1 && !ev.other : ev.n == 0;
}

/* A case of STEs that are all ILLEGAL */
static void case_illegal_stes(struct ctx *c, const char *name, unsigned int n,
                              uint64_t (*stes)[8], const char *const *what)
{
    char seen[1024] = "", bad[1024] = "", got[256];
    unsigned int i;

    for (i = 0; i < n; i++) {
        if (ste_try(c, stes[i], true, got, sizeof(got))) {
            cat(seen, sizeof(seen), "%s%s: %s", i ? "; " : "", what[i], got);
        } else {
            cat(bad, sizeof(bad), "%s%s: expected C_BAD_STE for SID 0x%x "
                "and no command error, got %s", bad[0] ? "; " : "", what[i],
                c->sid, got);
        }
    }
    if (bad[0]) {
        report(name, false, "%s", bad);
    } else {
        report(name, true, "%s, command queue without error", seen);
    }
}

/* A case of one legal STE: no event, no command error */
static void case_legal_ste(struct ctx *c, const char *name, const uint64_t ste[8],
                           const char *what)
{
    char got[256];

    if (ste_try(c, ste, false, got, sizeof(got))) {
        report(name, true, "%s: no event, command queue without error", what);
    } else {
        report(name, false, "%s: expected no event and no command error, got %s",
               what, got);
    }
}

/*
 * An illegal command, followed by a CFGI_STE of an ILLEGAL STE and a
 * CMD_SYNC.  Expected: CERROR_ILL with CONS at the illegal command, and
 * nothing after it consumed (no C_BAD_STE yet); after the error is
 * skipped (CMD_SYNC in its place, GERRORN acknowledged) the queue goes on:
 * the CFGI_STE reports C_BAD_STE, CONS reaches PROD, no new error.
 */
static void case_illegal_cmd(struct ctx *c, const char *name, uint64_t dw0,
                             uint64_t dw1, const char *what)
{
    const uint64_t cmd[3][2] = {
        { dw0, dw1 },
        { CMD_CFGI_STE | CMD0_SID(c->sid), CMD1_LEAF },
        { CMD_SYNC, 0 },
    };
    uint64_t ste[8];
    struct cmdq_result r;
    struct events ev;
    char got[256];
    uint32_t at = c->cq_prod;

    ste_s2(c, ste, CFG_S2);
    ste_write(c, ste);
    cmdq_issue(c, cmd, 3);
    cmdq_wait(c, &r);
    if (r.state != CMDQ_ERROR || r.err != CERROR_ILL || r.cons != at) {
        describe_cmdq(&r, got, sizeof(got));
        report(name, false, "%s: expected CERROR_ILL at CONS=0x%x, got %s",
               what, at, got);
        if (r.state == CMDQ_ERROR) {
            cmdq_skip_error(c, r.cons);
            cmdq_wait(c, &r);
        }
        return;
    }
    evtq_collect(c, false, &ev);
    if (ev.n) {
        report(name, false, "%s: CERROR_ILL at CONS=0x%x, but the commands "
               "after it ran before the error was acknowledged: %s",
               what, at, ev.text);
        cmdq_skip_error(c, r.cons);
        cmdq_wait(c, &r);
        return;
    }
    cmdq_skip_error(c, r.cons);
    cmdq_wait(c, &r);
    if (r.state != CMDQ_DONE) {
        describe_cmdq(&r, got, sizeof(got));
        report(name, false, "%s: CERROR_ILL at CONS=0x%x; expected the queue "
               "to go on after CMD_SYNC in its place and the GERRORN ack, got %s",
               what, at, got);
        return;
    }
    evtq_collect(c, true, &ev);
    if (!ev.bad_ste || ev.other) {
        report(name, false, "%s: CERROR_ILL at CONS=0x%x, queue resumed, but "
               "expected C_BAD_STE SID 0x%x from the CFGI_STE after it, got %s",
               what, at, c->sid, ev.text);
        return;
    }
    report(name, true, "%s: CERROR_ILL at CONS=0x%x (the command), the "
           "CFGI_STE after it not run until the ack; after CMD_SYNC in its "
           "place and the GERRORN ack the queue went on (CONS=PROD=0x%x, "
           "CFGI_STE -> %s)", what, at, r.cons, ev.text);
}

/* A CFGI over a range that covers the device, whose STE is ILLEGAL */
static void case_cfgi_range(struct ctx *c, const char *name, uint64_t dw0,
                            uint64_t dw1, const char *what)
{
    const uint64_t cmd[2][2] = { { dw0, dw1 }, { CMD_SYNC, 0 } };
    uint64_t ste[8];
    struct events ev;
    char got[256] = "";

    ste_s2(c, ste, CFG_S2);
    ste_write(c, ste);
    if (!cmdq_run(c, cmd, 2, got, sizeof(got))) {
        report(name, false, "%s: expected no command error, got %s", what, got);
        return;
    }
    evtq_collect(c, true, &ev);
    if (!ev.bad_ste || ev.other) {
        report(name, false, "%s: no command error, but expected C_BAD_STE for "
               "SID 0x%x (its STE is ILLEGAL and in the range), got %s",
               what, c->sid, ev.text);
        return;
    }
    report(name, true, "%s: no command error; the STE of SID 0x%x was re-read: %s",
           what, c->sid, ev.text);
}

/* ------------------------------------------------------------------ */
/* A fault of the host: DMA through a valid but empty stage 1          */
/* ------------------------------------------------------------------ */

/*
 * A CD as Linux writes it (arm_smmu_make_s1_cd()): AArch64, 4 KiB granule,
 * 39-bit VA (T0SZ 25, so the walk starts at level 1), TTB1 disabled,
 * Linux's MAIR, R/A/ASET.  The walk is non-cacheable, outer shareable:
 * the CPU writes the table through Device memory, as Linux does for an
 * SMMU that is not coherent.
 */
static void cd_write_valid(struct ctx *c, uint64_t cd_off, uint64_t ttb0)
{
    volatile uint8_t *e = c->mem + cd_off;
    uint64_t cd[8] = { 0 };
    int i;

    cd[0] = CD0_T0SZ(25) | CD0_TG0_4K | CD0_IRGN0(CACHE_NC) |
            CD0_ORGN0(CACHE_NC) | CD0_SH0(SH_OSH) | CD0_EPD1 | CD0_V |
            CD0_IPS(c->oas_field) | CD0_AA64 | CD0_R | CD0_A | CD0_ASET |
            CD0_ASID(FAULT_ASID);
    cd[1] = CD1_TTB0(ttb0);
    cd[3] = CD3_MAIR_LINUX;
    wr64(e, 0);
    dsb();
    for (i = 1; i < 8; i++) {
        wr64(e + 8 * i, cd[i]);
    }
    dsb();
    wr64(e, cd[0]);
    dsb();
}

/* @len bytes at @off of the config space of the PCI device in sysfs directory @dir */
static bool config_io(const char *dir, unsigned int off, uint8_t *buf,
                      size_t len, bool write)
{
    char path[4096];
    bool ok;
    int fd;

    snprintf(path, sizeof(path), "%s/config", dir);
    fd = open(path, write ? O_WRONLY : O_RDONLY);
    if (fd < 0) {
        return false;
    }
    ok = (write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off)) ==
         (ssize_t)len;
    close(fd);
    return ok;
}

/*
 * The PCI command register (2 bytes at offset 4) of the device that the
 * sysfs name @bdf reaches now: Linux addresses config space by the bus
 * number it enumerated, whatever the bridges say today.
 */
static bool pci_command_rd(const char *bdf, uint16_t *v)
{
    char dir[4096];
    uint8_t b[2] = { 0, 0 };
    bool ok;

    snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", bdf);
    ok = config_io(dir, 4, b, 2, false);
    *v = (uint16_t)(b[0] | b[1] << 8);
    return ok;
}

static bool pci_command_wr(const char *bdf, uint16_t v)
{
    uint8_t b[2] = { v & 0xff, v >> 8 };
    char dir[4096];

    snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", bdf);
    return config_io(dir, 4, b, 2, true);
}

static uint32_t nvme_rd(volatile uint8_t *bar, unsigned int off)
{
    return rd32(bar + off);
}

static void nvme_wr(volatile uint8_t *bar, unsigned int off, uint32_t v)
{
    wr32(bar + off, v);
}

/* 64-bit NVMe registers as two 32-bit halves, low first */
static void nvme_wr64(volatile uint8_t *bar, unsigned int off, uint64_t v)
{
    nvme_wr(bar, off, (uint32_t)v);
    nvme_wr(bar, off + 4, (uint32_t)(v >> 32));
}

static bool nvme_wait_rdy(volatile uint8_t *bar, uint32_t want, uint64_t ms)
{
    uint64_t deadline = now_ms() + ms;

    while ((nvme_rd(bar, NVME_CSTS) & NVME_CSTS_RDY) != want) {
        if (now_ms() > deadline) {
            return false;
        }
        pause_us(1000);
    }
    return true;
}

/* What came to the event queue while the device did its DMA */
struct host_faults {
    uint64_t page;              /* the IOVA whose page's fault is expected */
    bool found;
    uint64_t rec[4];            /* the first F_TRANSLATION for the stream */
    unsigned int nfault;        /* F_TRANSLATION for the stream in that page */
    unsigned int others;        /* anything else */
    uint64_t lo, hi;            /* their lowest and highest InputAddr */
    struct events all;          /* every record, as text */
};

/*
 * An access the SMMU splits into several (an emulated one may) raises
 * one F_TRANSLATION per piece: every record for the stream with its
 * InputAddr in the page hf->page is that fault.
 */
static void host_faults_take(struct ctx *c, uint32_t sid,
                             struct host_faults *hf, const char *when)
{
    struct events ev;
    unsigned int i;

    memset(&ev, 0, sizeof(ev));
    evtq_drain(c, &ev);
    if (!ev.n) {
        return;
    }
    for (i = 0; i < ev.n && i < EVT_RAW_KEPT; i++) {
        const uint64_t *r = ev.raw[i];

        if (EVT_TYPE(r[0]) != EVT_F_TRANSLATION || EVT_SID(r[0]) != sid ||
            r[2] >> 12 != hf->page >> 12) {
            hf->others++;
            continue;
        }
        if (!hf->found) {
            memcpy(hf->rec, r, sizeof(hf->rec));
            hf->lo = hf->hi = r[2];
            hf->found = true;
        }
        hf->lo = r[2] < hf->lo ? r[2] : hf->lo;
        hf->hi = r[2] > hf->hi ? r[2] : hf->hi;
        hf->nfault++;
    }
    hf->others += ev.n > EVT_RAW_KEPT ? ev.n - EVT_RAW_KEPT : 0;
    cat(hf->all.text, sizeof(hf->all.text), "%s%s%s", hf->all.n ? ", " : "",
        ev.text, when);
    hf->all.n += ev.n;
}

/* CFGI_STE + CFGI_CD (SSID 0) + TLBI_NH_ASID + CMD_SYNC for @sid */
static bool s1_invalidate(struct ctx *c, uint32_t sid, char *got, size_t gotlen)
{
    const uint64_t cmd[4][2] = {
        { CMD_CFGI_STE | CMD0_SID(sid), CMD1_LEAF },
        { CMD_CFGI_CD | CMD0_SID(sid), CMD1_LEAF },     /* SSID 0 */
        { CMD_TLBI_NH_ASID | CMD0_ASID(FAULT_ASID), 0 },
        { CMD_SYNC, 0 },
    };

    return cmdq_run(c, cmd, 4, got, gotlen);
}

/*
 * The device's STE becomes a legal stage 1 with a valid CD over an empty
 * level-1 table, installed with CFGI_STE + CFGI_CD + TLBI_NH_ASID +
 * CMD_SYNC; it must raise nothing (no transaction uses it yet).  On
 * failure, @msg says what came.
 */
static bool s1_fault_ste(struct ctx *c, char *msg, size_t msglen)
{
    char got[512] = "";
    uint64_t ste[8], off;
    struct events ev;

    for (off = 0; off < 0x1000; off += 8) {
        wr64(c->mem + c->s1tt_off + off, 0);
    }
    cd_write_valid(c, c->fcd_off, c->mem_pa + c->s1tt_off);
    ste_s1(ste, c->mem_pa + c->fcd_off);
    ste_write(c, ste);
    if (!s1_invalidate(c, c->sid, got, sizeof(got))) {
        setf(msg, msglen, "CFGI_STE + CFGI_CD + TLBI_NH_ASID + CMD_SYNC for "
             "the stage-1 STE: expected no command error, got %s", got);
        return false;
    }
    evtq_collect(c, false, &ev);
    if (ev.n) {
        setf(msg, msglen, "the stage-1 STE with a valid CD raised events "
             "before any DMA: %s", ev.text);
        return false;
    }
    return true;
}

/*
 * The NVMe controller does DMA while its STE is the legal stage 1 of
 * s1_fault_ste(), whose walk fails: the guest's own tables translate
 * nothing (or, with the table of s1_map_asq(), nothing but the admin
 * submission queue: the controller reads it, and faults where it writes
 * the completion).  With accel=on the host SMMU walks them and faults; the
 * host kernel reports the event of the guest's stage 1 on the vIOMMU's
 * vEVENTQ, with the guest's StreamID, and the vSMMU must put it in the
 * guest's event queue: F_TRANSLATION (0x10) for the StreamID, InputAddr
 * (double words 2-3) in the page of @iova, and no fault elsewhere.
 *
 * The DMA: with no driver, enable the NVMe controller with its admin
 * submission queue at an IOVA the stage 1 does not map, and ring the
 * admin SQ doorbell: the controller reads the submission queue entry.
 * The controller is left disabled (CC.EN=0) afterwards, and its PCI
 * command register as it was.
 *
 * The controller is the one whose command register the sysfs name
 * @cfg_bdf reaches (NULL: the caller has enabled Memory Space and Bus
 * Master already), whose BAR0 is the resource0 of @bar_bdf (the same
 * name, unless the guest renumbered buses behind Linux's back), and whose
 * StreamID is @sid.  The fault must come within @wait_ms; @first_ms is
 * how long the first one took (0 if none came).  True when the fault came
 * as it must; @msg says what was seen.
 */
static bool nvme_fault_dma(struct ctx *c, const char *cfg_bdf,
                           const char *bar_bdf, uint32_t sid, uint64_t iova,
                           uint64_t wait_ms, uint64_t *first_ms, char *msg,
                           size_t msglen)
{
    char path[4096], late[256] = "";
    volatile uint8_t *bar = NULL;
    uint64_t bar_len = 0, deadline, to_ms, rung;
    uint32_t cap_lo, cap_hi, csts = 0, csts_after;
    uint16_t pcicmd = 0;
    struct host_faults hf;
    struct stat st;
    bool cmd_changed = false, ok = false;
    const uint64_t *rec = hf.rec;
    int fd = -1;

    *first_ms = 0;
    /* 1. The NVMe: Memory Space + Bus Master, BAR0 mapped */
    if (cfg_bdf &&
        (!pci_command_rd(cfg_bdf, &pcicmd) ||
         !pci_command_wr(cfg_bdf, pcicmd | PCI_COMMAND_MEMORY |
                         PCI_COMMAND_MASTER))) {
        setf(msg, msglen, "cannot read or write the PCI command register "
             "of %s through sysfs: %s", cfg_bdf, strerror(errno));
        return false;
    }
    cmd_changed = cfg_bdf != NULL;
    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", bar_bdf);
    fd = open(path, O_RDWR | O_SYNC);
    if (fd >= 0 && !fstat(fd, &st) && st.st_size >= 0x2000) {
        void *p;

        bar_len = (uint64_t)st.st_size;
        p = mmap(NULL, bar_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        bar = p == MAP_FAILED ? NULL : (volatile uint8_t *)p;
    }
    if (!bar) {
        setf(msg, msglen, "cannot map BAR0 of %s (%s, %" PRIu64 " bytes): %s",
             bar_bdf, path, bar_len, strerror(errno));
        goto out;
    }
    cap_lo = nvme_rd(bar, NVME_CAP_LO);
    cap_hi = nvme_rd(bar, NVME_CAP_HI);
    to_ms = 500 * (uint64_t)((cap_lo >> 24) & 0xff);
    to_ms = to_ms < 1000 ? 1000 : to_ms > 10000 ? 10000 : to_ms;
    info("NVMe %s: CAP=0x%08x%08x (TO %" PRIu64 " ms, DSTRD %u), CC=0x%08x "
         "CSTS=0x%08x, PCI command 0x%04x", bar_bdf, cap_hi, cap_lo, to_ms,
         cap_hi & 0xf, nvme_rd(bar, NVME_CC), nvme_rd(bar, NVME_CSTS), pcicmd);

    /* 2. Disable, admin queues at unmapped IOVAs, enable, ring the doorbell */
    nvme_wr(bar, NVME_CC, 0);
    if (!nvme_wait_rdy(bar, 0, to_ms)) {
        setf(msg, msglen, "the NVMe controller did not become ready=0 after "
             "CC.EN=0 (CSTS=0x%08x)", nvme_rd(bar, NVME_CSTS));
        goto out;
    }
    nvme_wr(bar, NVME_AQA, 0x000f000f);         /* 16 entries each */
    nvme_wr64(bar, NVME_ASQ, FAULT_ASQ_IOVA);
    nvme_wr64(bar, NVME_ACQ, FAULT_ACQ_IOVA);
    nvme_wr(bar, NVME_CC, NVME_CC_EN | NVME_CC_IOSQES(6) | NVME_CC_IOCQES(4));
    if (!nvme_wait_rdy(bar, NVME_CSTS_RDY, to_ms)) {
        setf(msg, msglen, "the NVMe controller did not become ready after "
             "CC.EN=1 (CSTS=0x%08x)", nvme_rd(bar, NVME_CSTS));
        goto out;
    }
    dsb();
    nvme_wr(bar, NVME_SQ0TDBL, 1);
    rung = now_ms();

    /*
     * 3. The host's fault, in the guest's event queue; once it is there,
     * what follows within 500 ms.
     */
    memset(&hf, 0, sizeof(hf));
    hf.page = iova;
    deadline = rung + wait_ms;
    do {
        bool had = hf.found;

        pause_us(2000);
        host_faults_take(c, sid, &hf, "");
        if (!had && hf.found) {
            uint64_t t = now_ms();

            deadline = t + 500;
            *first_ms = t > rung ? t - rung : 1;
        }
    } while (now_ms() < deadline);
    csts = nvme_rd(bar, NVME_CSTS);

    /* 4. Controller off again; anything late still counts */
    nvme_wr(bar, NVME_CC, 0);
    if (!nvme_wait_rdy(bar, 0, to_ms)) {
        snprintf(late, sizeof(late), "; the controller did not become ready=0 "
                 "after CC.EN=0 (CSTS=0x%08x)", nvme_rd(bar, NVME_CSTS));
    }
    csts_after = nvme_rd(bar, NVME_CSTS);
    pause_us(EVT_QUIET_MS * 1000);
    host_faults_take(c, sid, &hf, " (after CC.EN=0)");

    if (!hf.found) {
        setf(msg, msglen, "DMA of the NVMe (admin queues at IOVA 0x%llx and "
             "0x%llx): expected F_TRANSLATION (0x%02x) for SID 0x%x with "
             "InputAddr in the page of 0x%" PRIx64 " within %" PRIu64
             " ms, got %s (CSTS=0x%08x, then 0x%08x)%s", FAULT_ASQ_IOVA,
             FAULT_ACQ_IOVA, EVT_F_TRANSLATION, sid, iova, wait_ms,
             hf.all.n ? hf.all.text : "no event", csts, csts_after, late);
    } else if (EVT_S2(rec[1]) || hf.others || late[0]) {
        setf(msg, msglen, "F_TRANSLATION SID 0x%x InputAddr 0x%" PRIx64
             ", but expected S2=0 and no other event: S2=%u, %u other "
             "events, all: %s%s", sid, rec[2], (unsigned int)EVT_S2(rec[1]),
             hf.others, hf.all.text, late);
    } else {
        setf(msg, msglen, "the NVMe's DMA (admin queues at IOVA 0x%llx and "
             "0x%llx) through a valid CD (ASID %u) faulted at 0x%" PRIx64
             "; the host's event came to the guest's event queue: %s "
             "(0x%02x) SID 0x%x "
             "InputAddr 0x%" PRIx64 " RnW=%u S2=%u CLASS=%u, record "
             "0x%016" PRIx64 " 0x%016" PRIx64 " 0x%016" PRIx64 " 0x%016"
             PRIx64 "; %u such records, InputAddr 0x%" PRIx64 "-0x%" PRIx64
             ", no other event; controller CSTS=0x%08x (CFS %s), disabled "
             "again", FAULT_ASQ_IOVA, FAULT_ACQ_IOVA, FAULT_ASID, rec[2],
             evt_name(EVT_TYPE(rec[0])),
             EVT_TYPE(rec[0]), EVT_SID(rec[0]), rec[2],
             (unsigned int)EVT_RNW(rec[1]), (unsigned int)EVT_S2(rec[1]),
             EVT_CLASS(rec[1]), rec[0], rec[1], rec[2], rec[3], hf.nfault,
             hf.lo, hf.hi, csts, csts & NVME_CSTS_CFS ? "set" : "clear");
        ok = true;
    }
out:
    if (bar) {
        nvme_wr(bar, NVME_CC, 0);
        munmap((void *)bar, bar_len);
    }
    if (fd >= 0) {
        close(fd);
    }
    if (cmd_changed) {
        pci_command_wr(cfg_bdf, pcicmd);
    }
    return ok;
}

/*
 * host-fault-event: the device's DMA through a legal stage 1 that maps
 * nothing; the host's fault must reach the guest's event queue.
 */
static void case_host_fault(struct ctx *c, const char *name)
{
    char path[4096], msg[2048] = "";
    char cls[32] = "";
    ssize_t n;

    /* The DMA is NVMe's: any other device is left alone */
    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/class", c->bdf);
    n = read_file(path, cls, sizeof(cls) - 1);
    cls[n > 0 ? n : 0] = '\0';
    cls[strcspn(cls, "\n")] = '\0';
    if (strncmp(cls, "0x010802", 8) != 0) {
        printf("E2E-HOSTILE SKIP %s: %s is not an NVMe controller (class "
               "'%s'): the case makes an NVMe controller do DMA\n", name,
               c->bdf, cls);
        return;
    }
    if (!s1_fault_ste(c, msg, sizeof(msg))) {
        report(name, false, "%s", msg);
        return;
    }
    report(name, nvme_fault_dma(c, c->bdf, c->bdf, c->sid, FAULT_ASQ_IOVA,
                                HOST_EVT_WAIT_MS, &c->fault_ms, msg,
                                sizeof(msg)), "%s", msg);
}

/* ------------------------------------------------------------------ */
/* A StreamID that moves to another device: the guest renumbers buses  */
/* ------------------------------------------------------------------ */

#define PCI_HEADER_TYPE         0x0e
#define PCI_SECONDARY_BUS       0x19
#define PCI_SUBORDINATE_BUS     0x1a

/* The PCI bridge a device is behind, and its bus numbers as found */
struct pci_port {
    char dir[PATH_MAX];         /* its sysfs directory */
    uint8_t sec, sub;
};

static bool port_find(const char *bdf, struct pci_port *p)
{
    char path[4096];
    uint8_t b[3];

    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/..", bdf);
    if (!realpath(path, p->dir) ||
        !config_io(p->dir, PCI_HEADER_TYPE, b, 1, false) || (b[0] & 0x7f) != 1 ||
        !config_io(p->dir, PCI_SECONDARY_BUS, b, 2, false)) {
        return false;
    }
    p->sec = b[0];
    p->sub = b[1];
    return true;
}

/*
 * The bridge's secondary and subordinate bus numbers, one byte each, in
 * the order that keeps secondary <= subordinate; read back.
 */
static bool port_set(const struct pci_port *p, uint8_t sec, uint8_t sub)
{
    uint8_t cur[2], b;

    if (!config_io(p->dir, PCI_SECONDARY_BUS, cur, 2, false)) {
        return false;
    }
    if (sec > cur[1]) {
        b = sub;
        if (!config_io(p->dir, PCI_SUBORDINATE_BUS, &b, 1, true)) {
            return false;
        }
    }
    b = sec;
    if (!config_io(p->dir, PCI_SECONDARY_BUS, &b, 1, true)) {
        return false;
    }
    b = sub;
    if (!config_io(p->dir, PCI_SUBORDINATE_BUS, &b, 1, true) ||
        !config_io(p->dir, PCI_SECONDARY_BUS, cur, 2, false)) {
        return false;
    }
    return cur[0] == sec && cur[1] == sub;
}

/*
 * Two NVMe controllers, A (the device) and B, each behind its own root
 * port.  A translates with a stage 1 for its StreamID (with accel=on the
 * VMM holds an iommufd vDEVICE for that StreamID for A).  Then the guest
 * renumbers the buses, as it may: A's port moves to an unused bus, and B's
 * port takes A's old bus, so B now has A's old StreamID.  A CFGI_STE for
 * it must install the stage 1 for B (the VMM must not keep the StreamID
 * for A's stale vDEVICE), and B's DMA must fault in that stage 1:
 * F_TRANSLATION for the StreamID.  Linux does not notice the renumbering:
 * B's command register is enabled and its BAR0 mapped before it, and
 * afterwards the sysfs name of A reaches B's config space.  Everything is
 * put back, whatever happened.
 */
static void case_vdevice_renumber(struct ctx *c, const char *name)
{
    char path[4096], msg[3072] = "", dma[2048] = "", got[512] = "";
    char before[256] = "", restore[512] = "";
    struct pci_port pa, pb;
    volatile uint8_t *bar = NULL;
    uint64_t ste[8], bar_len = 0, wait_ms, first_ms;
    uint16_t cmd_b = 0;
    uint32_t a_bus = c->sid >> 8, new_a, sid_a_new, sid_b_new;
    bool cmd_changed = false, a_moved = false, b_moved = false, ok = false;
    struct events ev;
    struct stat st;
    int fd = -1;

    if (!c->bdf2[0]) {
        printf("E2E-HOSTILE SKIP %s: one NVMe controller (%s): the case needs "
               "a second one, each behind its own PCIe root port\n", name, c->bdf);
        return;
    }
    if (!is_nvme(c->bdf)) {
        printf("E2E-HOSTILE SKIP %s: %s is not an NVMe controller: the case "
               "needs two\n", name, c->bdf);
        return;
    }
    if (!port_find(c->bdf, &pa) || !port_find(c->bdf2, &pb) ||
        !strcmp(pa.dir, pb.dir) || pa.sec != a_bus || pb.sec != c->sid2 >> 8) {
        printf("E2E-HOSTILE SKIP %s: %s and %s are not each the device of its "
               "own PCI bridge (the case renumbers the bridges' buses)\n", name,
               c->bdf, c->bdf2);
        return;
    }
    new_a = (pa.sub > pb.sub ? pa.sub : pb.sub) + 1;
    sid_a_new = new_a << 8 | (c->sid & 0xff);
    sid_b_new = a_bus << 8 | (c->sid2 & 0xff);
    if (new_a > 0xff || sid_b_new != c->sid) {
        printf("E2E-HOSTILE SKIP %s: with bus 0x%02x for B %s would have "
               "StreamID 0x%x, not A's 0x%x (or no bus is free for A)\n", name,
               a_bus, c->bdf2, sid_b_new, c->sid);
        return;
    }

    /* 1. A translates: the stage-1 STE of host-fault-event, for A's StreamID */
    if (!s1_fault_ste(c, got, sizeof(got))) {
        report(name, false, "before renumbering, for A %s (SID 0x%x): %s",
               c->bdf, c->sid, got);
        return;
    }

    /* 2. B: Memory Space + Bus Master, BAR0 mapped, while its name reaches it */
    if (!pci_command_rd(c->bdf2, &cmd_b) ||
        !pci_command_wr(c->bdf2, cmd_b | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)) {
        setf(msg, sizeof(msg), "cannot read or write the PCI command "
             "register of B %s through sysfs: %s", c->bdf2, strerror(errno));
        goto out;
    }
    cmd_changed = true;
    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", c->bdf2);
    fd = open(path, O_RDWR | O_SYNC);
    if (fd >= 0 && !fstat(fd, &st) && st.st_size >= 0x2000) {
        void *p;

        bar_len = (uint64_t)st.st_size;
        p = mmap(NULL, bar_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        bar = p == MAP_FAILED ? NULL : (volatile uint8_t *)p;
    }
    if (!bar) {
        setf(msg, sizeof(msg), "cannot map BAR0 of B %s (%s, %" PRIu64
             " bytes): %s", c->bdf2, path, bar_len, strerror(errno));
        goto out;
    }

    /* 3. Renumber: A's port to a free bus, then B's port to A's old bus */
    a_moved = true;
    if (!port_set(&pa, new_a, new_a)) {
        setf(msg, sizeof(msg), "cannot set the secondary/subordinate bus "
             "of A's port %s to 0x%02x through sysfs", pa.dir, new_a);
        goto out;
    }
    b_moved = true;
    if (!port_set(&pb, a_bus, a_bus)) {
        setf(msg, sizeof(msg), "cannot set the secondary/subordinate bus "
             "of B's port %s to 0x%02x through sysfs", pb.dir, a_bus);
        goto out;
    }
    info("buses renumbered (for %s): A %s is now on bus 0x%02x (StreamID "
         "0x%x), B %s on bus 0x%02x (StreamID 0x%x); Linux still has their "
         "old numbers", name, c->bdf, new_a, sid_a_new, c->bdf2, a_bus,
         sid_b_new);

    /* 4. The STE of the StreamID, re-read: now it is B's */
    if (!s1_invalidate(c, c->sid, got, sizeof(got))) {
        setf(msg, sizeof(msg), "after renumbering (B %s has SID 0x%x, A "
             "0x%x), CFGI_STE + CFGI_CD + TLBI_NH_ASID + CMD_SYNC for the "
             "stage-1 STE: expected no command error, got %s", c->bdf2,
             c->sid, sid_a_new, got);
        goto out;
    }
    evtq_collect(c, false, &ev);
    if (ev.n) {
        snprintf(before, sizeof(before), "%s", ev.text);
    }

    /*
     * 5. B's DMA through it; A's sysfs name reaches B's config space now.
     * B's fault takes the path A's took in host-fault-event: wait for it
     * as long as that one took, with a margin (the testbed's guest has
     * little time left by now).
     */
    wait_ms = c->fault_ms ? 1000 + 4 * c->fault_ms : HOST_EVT_WAIT_MS;
    wait_ms = wait_ms < HOST_EVT_WAIT_MS ? wait_ms : HOST_EVT_WAIT_MS;
    ok = nvme_fault_dma(c, c->bdf, c->bdf2, c->sid, FAULT_ASQ_IOVA, wait_ms,
                        &first_ms, dma, sizeof(dma));
    if (before[0]) {
        ok = false;
        setf(msg, sizeof(msg), "B %s renumbered to SID 0x%x, which A %s "
             "(now 0x%x) had translated with: CFGI_STE + CFGI_CD + "
             "TLBI_NH_ASID + CMD_SYNC for it raised %s before any DMA, "
             "expected no event (the stage-1 STE installed for B); B's DMA "
             "(%" PRIu64 " ms allowed for its fault): %s", c->bdf2, c->sid,
             c->bdf, sid_a_new, before, wait_ms, dma);
    } else {
        setf(msg, sizeof(msg), "B %s renumbered to SID 0x%x, which A %s "
             "(now 0x%x) had translated with; CFGI_STE + CFGI_CD + "
             "TLBI_NH_ASID + CMD_SYNC for it: no error, no event; B's DMA "
             "(fault after %" PRIu64 " ms, %" PRIu64 " allowed): %s",
             c->bdf2, c->sid, c->bdf, sid_a_new, first_ms, wait_ms, dma);
    }

out:
    /* 6. Put everything back: B off, its command register, the buses, the STE */
    if (bar) {
        nvme_wr(bar, NVME_CC, 0);
        if (!nvme_wait_rdy(bar, 0, 10000)) {
            cat(restore, sizeof(restore), "; B did not become ready=0 after "
                "CC.EN=0 (CSTS=0x%08x)", nvme_rd(bar, NVME_CSTS));
        }
        munmap((void *)bar, bar_len);
    }
    if (fd >= 0) {
        close(fd);
    }
    if (cmd_changed && !pci_command_wr(b_moved ? c->bdf : c->bdf2, cmd_b)) {
        cat(restore, sizeof(restore), "; B's PCI command register not restored");
    }
    if (b_moved && !port_set(&pb, pb.sec, pb.sub)) {
        cat(restore, sizeof(restore), "; B's port not restored to bus 0x%02x-0x%02x",
            pb.sec, pb.sub);
    }
    if (a_moved && !port_set(&pa, pa.sec, pa.sub)) {
        cat(restore, sizeof(restore), "; A's port not restored to bus 0x%02x-0x%02x",
            pa.sec, pa.sub);
    }
    ste_abort(ste);
    if (!ste_try(c, ste, false, got, sizeof(got))) {
        cat(restore, sizeof(restore), "; the abort STE for SID 0x%x: expected "
            "no event and no command error, got %s", c->sid, got);
    }
    if (restore[0]) {
        report(name, false, "%s; restoring:%s", msg, restore + 1);
    } else {
        report(name, ok, "%s; buses, B and the STE restored", msg);
    }
}

/* ------------------------------------------------------------------ */
/* Context descriptors the SMMU cached: which invalidations drop them  */
/* ------------------------------------------------------------------ */

/* Stage-1 descriptors, 4 KiB granule: table; page, AttrIndx 0, EL0 RW, OSH, AF */
#define PTE_TABLE               0x3ULL
#define PTE_PAGE_RW             (0x3ULL | BIT(6) | (2ULL << 8) | BIT(10))

/*
 * At c->t2_off, a stage-1 table for the CD of cd_write_valid() (39-bit VA:
 * levels 1 to 3) that maps one page, the admin submission queue's, to a
 * page of zeros: the controller reads its (empty) command there, and
 * faults where it writes the completion, at FAULT_ACQ_IOVA.  Returns the
 * table's address.
 */
static uint64_t s1_map_asq(struct ctx *c)
{
    uint64_t l1 = c->t2_off, l2 = l1 + 0x1000, l3 = l2 + 0x1000;
    uint64_t page = l3 + 0x1000, off;

    for (off = l1; off < page + 0x1000; off += 8) {
        wr64(c->mem + off, 0);
    }
    dsb();
    wr64(c->mem + l3 + 8 * ((FAULT_ASQ_IOVA >> 12) & 0x1ff),
         (c->mem_pa + page) | PTE_PAGE_RW);
    wr64(c->mem + l2 + 8 * ((FAULT_ASQ_IOVA >> 21) & 0x1ff),
         (c->mem_pa + l3) | PTE_TABLE);
    wr64(c->mem + l1 + 8 * ((FAULT_ASQ_IOVA >> 30) & 0x1ff),
         (c->mem_pa + l2) | PTE_TABLE);
    dsb();
    return c->mem_pa + l1;
}

/* Point the valid CD at @cd_off to another table, in place (TTB0 only) */
static void cd_set_ttb0(struct ctx *c, uint64_t cd_off, uint64_t ttb0)
{
    wr64(c->mem + cd_off + 8, CD1_TTB0(ttb0));
    dsb();
}

/*
 * The NVMe's DMA through the stage-1 STE of s1_fault_ste(), whose CD maps
 * nothing: it faults at the submission queue, and the SMMU has cached the
 * CD by then.  What it saw is in @msg on failure.
 */
static bool cd_cached(struct ctx *c, const char *name, char *msg,
                      size_t msglen)
{
    char got[2048] = "";
    uint64_t ms;

    if (!s1_fault_ste(c, got, sizeof(got)) ||
        !nvme_fault_dma(c, c->bdf, c->bdf, c->sid, FAULT_ASQ_IOVA,
                        HOST_EVT_WAIT_MS, &ms, got, sizeof(got))) {
        setf(msg, msglen, "%s: before the change of the CD: %s", name, got);
        return false;
    }
    return true;
}

/*
 * cfgi-ste-cd: CFGI_STE also invalidates the CDs that the SMMU cached
 * through the StreamID (SMMUv3 4.3.1), even if the STE did not change.
 * The device's DMA faults through a CD over an empty table (the SMMU
 * caches the CD); the guest points the CD, in place, at a table that maps
 * the submission queue, and issues only CFGI_STE + CMD_SYNC.  The next DMA
 * must use the new table: the controller reads its submission queue and
 * faults at its completion queue instead.  (With accel=on the VMM keeps
 * the host's STE, which did not change: it must invalidate the host's
 * cached CDs for it.)
 */
static void case_cfgi_ste_cd(struct ctx *c, const char *name)
{
    const uint64_t cmd[2][2] = {
        { CMD_CFGI_STE | CMD0_SID(c->sid), CMD1_LEAF },
        { CMD_SYNC, 0 },
    };
    char msg[2048] = "", got[256] = "";
    uint64_t ste[8], ms;
    bool ok;

    if (!is_nvme(c->bdf)) {
        printf("E2E-HOSTILE SKIP %s: %s is not an NVMe controller: the case "
               "makes one do DMA\n", name, c->bdf);
        return;
    }
    if (!cd_cached(c, name, msg, sizeof(msg))) {
        report(name, false, "%s", msg);
        return;
    }
    cd_set_ttb0(c, c->fcd_off, s1_map_asq(c));
    if (!cmdq_run(c, cmd, 2, got, sizeof(got))) {
        report(name, false, "CFGI_STE + CMD_SYNC after the CD changed: "
               "expected no command error, got %s", got);
        return;
    }
    ok = nvme_fault_dma(c, c->bdf, c->bdf, c->sid, FAULT_ACQ_IOVA,
                        HOST_EVT_WAIT_MS, &ms, msg, sizeof(msg));
    report(name, ok, "CD of SID 0x%x changed in place to a table that maps "
           "the submission queue, then CFGI_STE + CMD_SYNC only: %s%s",
           c->sid, ok ? "" : "expected the new table in use (a fault at the "
           "completion queue, none at the submission queue), got: ", msg);
    ste_abort(ste);
    ste_try(c, ste, false, got, sizeof(got));
}

/* PCI capability @id in the config space of the sysfs directory @dir */
static unsigned int pci_cap(const char *dir, uint8_t id)
{
    uint8_t b[2];
    unsigned int pos, n;

    if (!config_io(dir, 0x34, b, 1, false)) {
        return 0;
    }
    for (pos = b[0] & 0xfc, n = 0; pos && n < 48; n++) {
        if (!config_io(dir, pos, b, 2, false)) {
            return 0;
        }
        if (b[0] == id) {
            return pos;
        }
        pos = b[1] & 0xfc;
    }
    return 0;
}

/*
 * cfgi-cd-renumbered: the guest renumbers the bus of the device's root
 * port while the device translates, as it may.  The device's StreamID
 * changes; the STE of the new one is the same stage 1, written before
 * (never cached, so it needs no CFGI_STE).  The guest then points the CD
 * at the table that maps the submission queue and issues CFGI_CD for the
 * device's new StreamID, TLBI_NH_ASID and CMD_SYNC.  The device's next DMA
 * must use the new table, and its fault carry the new StreamID.  (With
 * accel=on the host knows the device by the old StreamID until an STE is
 * installed for it again: the VMM must invalidate for the device, and
 * give the host's event the StreamID the guest gave it.)
 */
static void case_cfgi_cd_renumbered(struct ctx *c, const char *name)
{
    char msg[2048] = "", dma[2048] = "", got[256] = "", restore[256] = "";
    struct pci_port pa, pb;
    uint64_t ste[8], ms;
    uint32_t new_bus, new_sid;
    uint16_t pcicmd = 0;
    bool moved = false, ok = false;

    if (!is_nvme(c->bdf) || !port_find(c->bdf, &pa) ||
        pa.sec != c->sid >> 8) {
        printf("E2E-HOSTILE SKIP %s: %s is not an NVMe controller behind "
               "its own PCI bridge (the case renumbers the bridge's bus)\n",
               name, c->bdf);
        return;
    }
    new_bus = pa.sub + 1;
    if (c->bdf2[0] && port_find(c->bdf2, &pb) && pb.sub >= new_bus) {
        new_bus = pb.sub + 1;
    }
    new_sid = new_bus << 8 | (c->sid & 0xff);
    if (new_bus > 0xff || new_sid >> c->st_log2) {
        printf("E2E-HOSTILE SKIP %s: no free bus whose StreamID the stream "
               "table covers\n", name);
        return;
    }

    /* 1. The device translates; the SMMU caches its CD */
    if (!cd_cached(c, name, msg, sizeof(msg))) {
        report(name, false, "%s", msg);
        return;
    }
    /* 2. The same STE for the new StreamID; the device on, then its bus moves */
    ste_s1(ste, c->mem_pa + c->fcd_off);
    ste_write_at(c, new_sid, ste);
    if (!pci_command_rd(c->bdf, &pcicmd) ||
        !pci_command_wr(c->bdf, pcicmd | PCI_COMMAND_MEMORY |
                        PCI_COMMAND_MASTER)) {
        setf(msg, sizeof(msg), "cannot set the PCI command register of %s",
             c->bdf);
        goto out;
    }
    moved = true;
    if (!port_set(&pa, new_bus, new_bus)) {
        setf(msg, sizeof(msg), "cannot move the bus of %s's port to 0x%02x",
             c->bdf, new_bus);
        goto out;
    }

    /* 3. The CD changes; CFGI_CD for the StreamID the device has now */
    cd_set_ttb0(c, c->fcd_off, s1_map_asq(c));
    {
        const uint64_t cmd[3][2] = {
            { CMD_CFGI_CD | CMD0_SID(new_sid), CMD1_LEAF },
            { CMD_TLBI_NH_ASID | CMD0_ASID(FAULT_ASID), 0 },
            { CMD_SYNC, 0 },
        };

        if (!cmdq_run(c, cmd, 3, got, sizeof(got))) {
            setf(msg, sizeof(msg), "CFGI_CD(SID 0x%x) + TLBI_NH_ASID + "
                 "CMD_SYNC: expected no command error, got %s", new_sid, got);
            goto out;
        }
    }

    /* 4. The device's DMA: the new table, the new StreamID */
    ok = nvme_fault_dma(c, NULL, c->bdf, new_sid, FAULT_ACQ_IOVA,
                        HOST_EVT_WAIT_MS, &ms, dma, sizeof(dma));
    setf(msg, sizeof(msg), "%s's port moved from bus 0x%02x to 0x%02x "
         "(StreamID 0x%x to 0x%x, the same stage-1 STE), the CD changed in "
         "place, CFGI_CD for SID 0x%x: %s%s", c->bdf, pa.sec, new_bus, c->sid,
         new_sid, new_sid, ok ? "" : "expected the new table in use (a fault "
         "for the new StreamID at the completion queue), got: ", dma);

out:
    if (moved && !port_set(&pa, pa.sec, pa.sub)) {
        cat(restore, sizeof(restore), "; the port's bus not restored");
    }
    if (moved && !pci_command_wr(c->bdf, pcicmd)) {
        cat(restore, sizeof(restore), "; the command register not restored");
    }
    memset(ste, 0, sizeof(ste));
    ste_write_at(c, new_sid, ste);
    {
        const uint64_t cmd[2][2] = {
            { CMD_CFGI_STE | CMD0_SID(new_sid), CMD1_LEAF },
            { CMD_SYNC, 0 },
        };

        if (!cmdq_run(c, cmd, 2, got, sizeof(got))) {
            cat(restore, sizeof(restore), "; CFGI_STE of SID 0x%x: %s",
                new_sid, got);
        }
    }
    ste_abort(ste);
    if (!ste_try(c, ste, false, got, sizeof(got))) {
        cat(restore, sizeof(restore), "; the abort STE: %s", got);
    }
    report(name, ok && !restore[0], "%s%s", msg, restore);
}

/* ------------------------------------------------------------------ */
/* An event record that lands on MMIO translated by the same SMMU      */
/* ------------------------------------------------------------------ */

#define PCI_CAP_EXP             0x10
#define PCI_CAP_MSIX            0x11
#define PCI_EXP_SLTCTL          0x18
#define PCI_EXP_SLTSTA          0x1a
#define PCI_EXP_SLTCTL_CCIE     BIT(4)
#define PCI_EXP_SLTCTL_HPIE     BIT(5)
#define PCI_EXP_SLTSTA_EVENTS   0x11f   /* ABP PFD MRLSC PDC CC, DLLSC */
#define PCI_MSIX_FLAGS_ENABLE   BIT(15)
#define PCI_MSIX_FLAGS_MASKALL  BIT(14)
#define GERROR_EVENTQ_ABT_ERR   BIT(2)

static bool cfg_rw16(const char *dir, unsigned int off, uint16_t *v, bool write)
{
    uint8_t b[2] = { *v & 0xff, *v >> 8 };

    if (!config_io(dir, off, b, 2, write)) {
        return false;
    }
    *v = (uint16_t)(b[0] | b[1] << 8);
    return true;
}

/* The start of BAR0 of the PCI device in sysfs directory @dir */
static bool bar0_start(const char *dir, uint64_t *pa)
{
    char path[PATH_MAX + 16], buf[128];
    ssize_t n;

    snprintf(path, sizeof(path), "%s/resource", dir);
    n = read_file(path, buf, sizeof(buf) - 1);
    if (n <= 0) {
        return false;
    }
    buf[n] = '\0';
    *pa = strtoull(buf, NULL, 16);
    return *pa != 0;
}

/*
 * eventq-msix: the event queue's base on the MSI-X table of the device's
 * root port (in its BAR0), whose vector 0 is masked with an interrupt
 * pending: a write of Slot Control is a command, whose completion a
 * hot-plug capable port signals.  An ILLEGAL STE and CFGI_STE make the
 * SMMU record C_BAD_STE there; the record's last word, 0, unmasks the
 * vector, and the port sends its MSI, which the SMMU translates: a root
 * port's DMA is the SMMU's.  The SMMU must get through that: the store to
 * CMDQ_PROD returns, the commands complete, the record is in the table.
 * (A VMM that records the event holding the lock its translation takes
 * hangs the guest's vCPU in that store.)  Everything is put back.
 */
static void case_eventq_msix(struct ctx *c, const char *name)
{
    const uint64_t cmd[2][2] = {
        { CMD_CFGI_STE | CMD0_SID(c->sid), CMD1_LEAF },
        { CMD_SYNC, 0 },
    };
    char path[PATH_MAX + 16], msg[1024] = "", got[256] = "", restore[512] = "";
    const uint32_t on = CR0_CMDQEN | CR0_EVENTQEN | CR0_SMMUEN;
    unsigned int exp, msix;
    uint16_t sltctl = 0, v, flags = 0, portcmd = 0;
    uint32_t table = 0, pba = 0, saved[4], word0, evtprod;
    uint64_t bar_pa = 0, bar_len = 0, ste[8], pending;
    volatile uint8_t *bar = NULL, *entry;
    struct pci_port pa;
    struct cmdq_result r;
    struct stat st;
    bool ok = false, changed = false;
    int fd = -1, i;

    if (!port_find(c->bdf, &pa) ||
        !(exp = pci_cap(pa.dir, PCI_CAP_EXP)) ||
        !(msix = pci_cap(pa.dir, PCI_CAP_MSIX))) {
        printf("E2E-HOSTILE SKIP %s: %s is not behind a PCIe port with MSI-X\n",
               name, c->bdf);
        return;
    }
    {
        uint8_t b[8];

        if (!cfg_rw16(pa.dir, msix + 2, &flags, false) ||
            !config_io(pa.dir, msix + 4, b, 8, false)) {
            report(name, false, "cannot read the MSI-X capability of %s",
                   pa.dir);
            return;
        }
        table = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
        pba = b[4] | b[5] << 8 | b[6] << 16 | (uint32_t)b[7] << 24;
    }
    if ((table & 7) || (pba & 7) || !bar0_start(pa.dir, &bar_pa)) {
        printf("E2E-HOSTILE SKIP %s: the MSI-X table of %s is not in an "
               "assigned BAR0\n", name, pa.dir);
        return;
    }
    snprintf(path, sizeof(path), "%s/resource0", pa.dir);
    fd = open(path, O_RDWR | O_SYNC);
    if (fd >= 0 && !fstat(fd, &st) && (uint64_t)st.st_size > pba + 8) {
        void *p;

        bar_len = (uint64_t)st.st_size;
        p = mmap(NULL, bar_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        bar = p == MAP_FAILED ? NULL : (volatile uint8_t *)p;
    }
    if (!bar || !cfg_rw16(pa.dir, 4, &portcmd, false) ||
        !cfg_rw16(pa.dir, exp + PCI_EXP_SLTCTL, &sltctl, false)) {
        setf(msg, sizeof(msg), "cannot map BAR0 of %s (%s) or read its config "
               "space: %s", pa.dir, path, strerror(errno));
        goto out;
    }

    /* 1. MSI-X on, vector 0 masked, with an interrupt pending */
    entry = bar + table;
    for (i = 0; i < 4; i++) {
        saved[i] = rd32(entry + 4 * i);
    }
    changed = true;
    v = portcmd | PCI_COMMAND_MEMORY;       /* the port decodes its BAR */
    cfg_rw16(pa.dir, 4, &v, true);
    wr32(entry + 12, saved[3] | 1);
    v = (flags | PCI_MSIX_FLAGS_ENABLE) & ~PCI_MSIX_FLAGS_MASKALL;
    cfg_rw16(pa.dir, msix + 2, &v, true);
    v = PCI_EXP_SLTSTA_EVENTS;
    cfg_rw16(pa.dir, exp + PCI_EXP_SLTSTA, &v, true);
    v = sltctl | PCI_EXP_SLTCTL_HPIE | PCI_EXP_SLTCTL_CCIE;
    cfg_rw16(pa.dir, exp + PCI_EXP_SLTCTL, &v, true);
    pending = rd64(bar + pba);
    if (!(pending & 1)) {
        setf(msg, sizeof(msg), "could not make vector 0 of %s pending (masked, "
               "Slot Control written with HPIE and CCIE): PBA 0x%" PRIx64,
               pa.dir, pending);
        goto out;
    }

    /* 2. The event queue, one entry, on the MSI-X table */
    reg_wr(c, SMMU_CR0, on & ~CR0_EVENTQEN);
    if (!wait_reg(c, SMMU_CR0ACK, on & ~CR0_EVENTQEN)) {
        setf(msg, sizeof(msg), "CR0ACK did not follow EVENTQEN=0");
        goto out;
    }
    /* LOG2SIZE 0: one 32-byte record, over vectors 0 and 1 */
    wr64(c->regs + SMMU_EVENTQ_BASE, (bar_pa + table) & MASK(51, 5));
    reg_wr(c, SMMU_EVENTQ_PROD, 0);
    reg_wr(c, SMMU_EVENTQ_CONS, 0);
    reg_wr(c, SMMU_CR0, on);
    if (!wait_reg(c, SMMU_CR0ACK, on)) {
        setf(msg, sizeof(msg), "CR0ACK did not follow EVENTQEN=1");
        goto out;
    }

    /* 3. An ILLEGAL STE, CFGI_STE + CMD_SYNC: C_BAD_STE into the table */
    ste_s2(c, ste, CFG_S2);
    ste_write(c, ste);
    info("%s: event queue at 0x%" PRIx64 " (MSI-X table of %s, vector 0 "
         "masked and pending); writing CMDQ_PROD", name, bar_pa + table,
         pa.dir);
    cmdq_issue(c, cmd, 2);
    cmdq_wait(c, &r);
    word0 = rd32(entry);
    evtprod = reg_rd(c, SMMU_EVENTQ_PROD);
    if (r.state != CMDQ_DONE) {
        describe_cmdq(&r, msg, sizeof(msg));
        if (r.state == CMDQ_ERROR) {
            cmdq_skip_error(c, r.cons);
            cmdq_wait(c, &r);
        }
        setf(got, sizeof(got), "%s", msg);
        setf(msg, sizeof(msg), "CFGI_STE + CMD_SYNC for the ILLEGAL STE: "
             "expected completion, got %s", got);
    } else if ((word0 & 0xff) != EVT_C_BAD_STE || (evtprod & 1) != 1) {
        setf(msg, sizeof(msg), "expected C_BAD_STE (0x%02x) in the MSI-X table "
               "and EVENTQ_PROD 1, got word 0x%08x and EVENTQ_PROD 0x%x",
               EVT_C_BAD_STE, word0, evtprod);
    } else {
        setf(msg, sizeof(msg), "the store to CMDQ_PROD returned, the commands "
             "completed; C_BAD_STE written to the MSI-X table of %s (word 0 "
             "0x%08x, EVENTQ_PROD 0x%x), which unmasked its pending vector: "
             "PBA now 0x%" PRIx64, pa.dir, word0, evtprod, rd64(bar + pba));
        ok = true;
    }

out:
    /* 4. Back: the event queue, the port's vector and Slot Control */
    reg_wr(c, SMMU_CR0, on & ~CR0_EVENTQEN);
    if (!wait_reg(c, SMMU_CR0ACK, on & ~CR0_EVENTQEN)) {
        cat(restore, sizeof(restore), "; CR0ACK did not follow EVENTQEN=0");
    }
    wr64(c->regs + SMMU_EVENTQ_BASE,
         ((c->mem_pa + c->eq_off) & MASK(51, 5)) | c->eq_log2);
    reg_wr(c, SMMU_EVENTQ_PROD, c->eq_cons);
    reg_wr(c, SMMU_EVENTQ_CONS, c->eq_cons);
    reg_wr(c, SMMU_GERRORN, reg_rd(c, SMMU_GERRORN) ^
           ((reg_rd(c, SMMU_GERROR) ^ reg_rd(c, SMMU_GERRORN)) &
            GERROR_EVENTQ_ABT_ERR));
    reg_wr(c, SMMU_CR0, on);
    if (!wait_reg(c, SMMU_CR0ACK, on)) {
        cat(restore, sizeof(restore), "; CR0ACK did not follow EVENTQEN=1");
    }
    if (changed) {
        wr32(entry + 12, 1);
        for (i = 0; i < 3; i++) {
            wr32(entry + 4 * i, saved[i]);
        }
        wr32(entry + 12, saved[3]);
        cfg_rw16(pa.dir, exp + PCI_EXP_SLTCTL, &sltctl, true);
        v = PCI_EXP_SLTSTA_EVENTS;
        cfg_rw16(pa.dir, exp + PCI_EXP_SLTSTA, &v, true);
        cfg_rw16(pa.dir, msix + 2, &flags, true);
        cfg_rw16(pa.dir, 4, &portcmd, true);
    }
    if (bar) {
        munmap((void *)bar, bar_len);
    }
    if (fd >= 0) {
        close(fd);
    }
    ste_abort(ste);
    if (!ste_try(c, ste, false, got, sizeof(got))) {
        cat(restore, sizeof(restore), "; the abort STE: %s", got);
    }
    report(name, ok && !restore[0], "%s%s", msg, restore);
}

/* ------------------------------------------------------------------ */
/* Set up                                                              */
/* ------------------------------------------------------------------ */

static const unsigned int oas_bits[8] = { 32, 36, 40, 42, 44, 48, 52, 52 };

static bool smmu_setup(struct ctx *c, char *why, size_t whylen)
{
    const uint64_t init[3][2] = {
        { CMD_CFGI_STE_RANGE, CMD1_RANGE(31) },     /* CMD_CFGI_ALL */
        { CMD_TLBI_NSNH_ALL, 0 },
        { CMD_SYNC, 0 },
    };
    uint64_t off;
    uint32_t gerror;
    char got[256] = "";

    c->idr0 = reg_rd(c, SMMU_IDR0);
    c->idr1 = reg_rd(c, SMMU_IDR1);
    c->idr3 = reg_rd(c, SMMU_IDR3);
    c->idr5 = reg_rd(c, SMMU_IDR5);
    c->oas_field = IDR5_OAS(c->idr5);
    c->oas_bits = oas_bits[c->oas_field];
    c->ssidsize = IDR1_SSIDSIZE(c->idr1);
    info("IDR0=0x%08x IDR1=0x%08x IDR3=0x%08x IDR5=0x%08x: S1P=%d S2P=%d "
         "SIDSIZE=%u SSIDSIZE=%u OAS=%u bits CMDQS=%u EVENTQS=%u",
         c->idr0, c->idr1, c->idr3, c->idr5, !!(c->idr0 & IDR0_S1P),
         !!(c->idr0 & IDR0_S2P), IDR1_SIDSIZE(c->idr1), c->ssidsize,
         c->oas_bits, IDR1_CMDQS(c->idr1), IDR1_EVENTQS(c->idr1));

    /* Room for the StreamIDs of two more buses: the cases renumber buses */
    c->st_log2 = 8;
    while (c->st_log2 < 32 &&
           (((c->sid > c->sid2 ? c->sid : c->sid2) + 0x200) >> c->st_log2)) {
        c->st_log2++;
    }
    if (c->st_log2 > IDR1_SIDSIZE(c->idr1) || c->st_log2 > 16) {
        snprintf(why, whylen, "StreamID 0x%x needs %u bits: SIDSIZE is %u",
                 c->sid, c->st_log2, IDR1_SIDSIZE(c->idr1));
        return false;
    }
    c->cq_log2 = CMDQ_LOG2 < IDR1_CMDQS(c->idr1) ? CMDQ_LOG2 : IDR1_CMDQS(c->idr1);
    c->eq_log2 = EVTQ_LOG2 < IDR1_EVENTQS(c->idr1) ? EVTQ_LOG2 : IDR1_EVENTQS(c->idr1);

    /* Each table and queue aligned to its size (at least 64 KiB apart) */
    c->st_off = 0;
    off = (64ULL << c->st_log2) > 0x10000 ? 64ULL << c->st_log2 : 0x10000;
    c->cq_off = off;
    c->eq_off = off + 0x10000;
    c->cd_off = off + 0x20000;      /* one CD, V=0 */
    c->s2tt_off = off + 0x21000;    /* an empty stage 2 table, for show */
    c->fcd_off = off + 0x22000;     /* a valid CD (host-fault-event) */
    c->s1tt_off = off + 0x23000;    /* its empty level-1 table */
    c->t2_off = off + 0x24000;      /* levels 1-3 and a page (cfgi-*) */
    c->map_len = off + 0x30000;
    if (c->map_len > c->mem_len) {
        snprintf(why, whylen, "spare RAM too small: %" PRIu64 " bytes, need %" PRIu64,
                 c->mem_len, c->map_len);
        return false;
    }

    /* Disable everything, then zero the tables (Device memory: one store each) */
    reg_wr(c, SMMU_CR0, 0);
    if (!wait_reg(c, SMMU_CR0ACK, 0)) {
        snprintf(why, whylen, "CR0ACK did not become 0");
        return false;
    }
    reg_wr(c, SMMU_IRQ_CTRL, 0);
    if (!wait_reg(c, SMMU_IRQ_CTRLACK, 0)) {
        snprintf(why, whylen, "IRQ_CTRLACK did not become 0");
        return false;
    }
    for (off = 0; off < c->map_len; off += 8) {
        wr64(c->mem + off, 0);
    }
    dsb();

    /* Tables and queues non-cacheable: the CPU maps them as Device memory */
    reg_wr(c, SMMU_CR1, 0);
    reg_wr(c, SMMU_CR2, CR2_RECINVSID);
    wr64(c->regs + SMMU_STRTAB_BASE, (c->mem_pa + c->st_off) & MASK(51, 6));
    reg_wr(c, SMMU_STRTAB_BASE_CFG, STRTAB_BASE_CFG_LINEAR | c->st_log2);
    c->cq_base = ((c->mem_pa + c->cq_off) & MASK(51, 5)) | c->cq_log2;
    wr64(c->regs + SMMU_CMDQ_BASE, c->cq_base);
    reg_wr(c, SMMU_CMDQ_PROD, 0);
    reg_wr(c, SMMU_CMDQ_CONS, 0);
    wr64(c->regs + SMMU_EVENTQ_BASE, ((c->mem_pa + c->eq_off) & MASK(51, 5)) | c->eq_log2);
    reg_wr(c, SMMU_EVENTQ_PROD, 0);
    reg_wr(c, SMMU_EVENTQ_CONS, 0);
    c->cq_prod = 0;
    c->eq_cons = 0;

    /* Any stale global error acknowledged */
    gerror = reg_rd(c, SMMU_GERROR);
    reg_wr(c, SMMU_GERRORN, gerror);

    /* Command queue first: invalidate what the SMMU may hold from before */
    reg_wr(c, SMMU_CR0, CR0_CMDQEN);
    if (!wait_reg(c, SMMU_CR0ACK, CR0_CMDQEN)) {
        snprintf(why, whylen, "CR0ACK did not follow CMDQEN");
        return false;
    }
    if (!cmdq_run(c, init, 3, got, sizeof(got))) {
        snprintf(why, whylen, "CFGI_ALL + TLBI_NSNH_ALL + CMD_SYNC: %s", got);
        return false;
    }
    reg_wr(c, SMMU_CR0, CR0_CMDQEN | CR0_EVENTQEN);
    if (!wait_reg(c, SMMU_CR0ACK, CR0_CMDQEN | CR0_EVENTQEN)) {
        snprintf(why, whylen, "CR0ACK did not follow EVENTQEN");
        return false;
    }
    reg_wr(c, SMMU_CR0, CR0_CMDQEN | CR0_EVENTQEN | CR0_SMMUEN);
    if (!wait_reg(c, SMMU_CR0ACK, CR0_CMDQEN | CR0_EVENTQEN | CR0_SMMUEN)) {
        snprintf(why, whylen, "CR0ACK did not follow SMMUEN");
        return false;
    }
    info("SMMU enabled: stream table 0x%" PRIx64 " (linear, 2^%u STEs), "
         "command queue 0x%" PRIx64 " (2^%u), event queue 0x%" PRIx64
         " (2^%u), no interrupts (polled)", c->mem_pa + c->st_off, c->st_log2,
         c->mem_pa + c->cq_off, c->cq_log2, c->mem_pa + c->eq_off, c->eq_log2);
    return true;
}

/* ------------------------------------------------------------------ */
/* --flood: how long one write of CMDQ_PROD holds the vCPU             */
/* ------------------------------------------------------------------ */

/*
 * The command queue at @base (CMDQ_BASE, with its log2 size), empty:
 * CMDQEN off (CR0ACK), any command error acknowledged, the base, PROD =
 * CONS = 0, CMDQEN on again.  Whatever the SMMU had left of the old queue
 * is dropped: a disabled queue is not consumed.
 */
static bool cmdq_rebase(struct ctx *c, uint64_t base)
{
    const uint32_t on = CR0_CMDQEN | CR0_EVENTQEN | CR0_SMMUEN;
    uint32_t gerror;

    reg_wr(c, SMMU_CR0, on & ~CR0_CMDQEN);
    if (!wait_reg(c, SMMU_CR0ACK, on & ~CR0_CMDQEN)) {
        return false;
    }
    gerror = reg_rd(c, SMMU_GERROR);
    reg_wr(c, SMMU_GERRORN, reg_rd(c, SMMU_GERRORN) ^
           ((gerror ^ reg_rd(c, SMMU_GERRORN)) & GERROR_CMDQ_ERR));
    wr64(c->regs + SMMU_CMDQ_BASE, base);
    reg_wr(c, SMMU_CMDQ_PROD, 0);
    reg_wr(c, SMMU_CMDQ_CONS, 0);
    c->cq_prod = 0;
    reg_wr(c, SMMU_CR0, on);
    return wait_reg(c, SMMU_CR0ACK, on);
}

/*
 * The flood: with the device translating (the legal stage-1 STE of
 * host-fault-event, so that the SMMU of a VMM with accel=on has a vIOMMU
 * and a vDEVICE for it, and forwards the invalidations to the host), the
 * largest command queue the SMMU allows and the spare RAM holds, full of
 * TLBI_NH_ALL + CMD_SYNC pairs, published with one write of CMDQ_PROD.
 * Measured with CLOCK_MONOTONIC:
 *   prod_write_us    how long that one store took: a VMM that consumes the
 *                    queue when PROD is written holds the vCPU (and with
 *                    QEMU the BQL) for that long;
 *   drain_us         from the store until CMDQ_CONS reached PROD (polled);
 *   longest_read_us  the longest single read of CMDQ_CONS meanwhile: a VMM
 *                    that consumes the rest elsewhere (a bottom half) makes
 *                    a read wait while it holds the lock the read needs.
 * The queue is polled without a pause, for at most FLOOD_DRAIN_MS.  Then
 * the queue of the set-up is put back (and the device's STE is left as
 * it is: "alive" installs a bypass).
 */
static void case_flood(struct ctx *c, const char *name, unsigned int want_log2)
{
    const uint64_t cq_off = c->cq_off;
    const unsigned int cq_log2 = c->cq_log2;
    uint64_t off = 0, size = 0, t0, t1, deadline, fill_us, prod_us, drain_us = 0;
    uint64_t longest = 0, sum = 0, nreads = 0;
    uint32_t n, i, prod, cons = 0, mask, gerror, gerrorn;
    unsigned int log2;
    char msg[1024] = "", err[64] = "none", sizing[256] = "";
    struct events ev;
    bool done = false, restored;

    /* The queue: IDR1.CMDQS entries (2^want_log2 at most), if they fit */
    log2 = IDR1_CMDQS(c->idr1) < want_log2 ? IDR1_CMDQS(c->idr1) : want_log2;
    for (; log2 > c->cq_log2; log2--) {
        size = 16ULL << log2;
        /* Aligned to its size, after the tables */
        off = ((c->mem_pa + c->map_len + size - 1) & ~(size - 1)) - c->mem_pa;
        if (off + size <= c->mem_len) {
            break;
        }
    }
    size = 16ULL << log2;
    off = ((c->mem_pa + c->map_len + size - 1) & ~(size - 1)) - c->mem_pa;
    if (off + size > c->mem_len || log2 <= c->cq_log2) {
        report(name, false, "the spare RAM (%" PRIu64 " bytes) holds no "
               "command queue larger than the set-up's 2^%u entries",
               c->mem_len, c->cq_log2);
        printf("E2E-FLOOD-FAIL no room for the queue\n");
        return;
    }
    if (log2 < IDR1_CMDQS(c->idr1) || log2 < want_log2) {
        snprintf(sizing, sizeof(sizing), " (IDR1.CMDQS %u, asked for 2^%u; "
                 "the spare RAM, %" PRIu64 " bytes, holds 2^%u aligned to its "
                 "size)", IDR1_CMDQS(c->idr1), want_log2, c->mem_len, log2);
    }
    n = 1u << log2;
    mask = q_ptr_mask(log2);

    /* 1. The device translates: a legal stage 1 (valid CD, empty table) */
    if (!s1_fault_ste(c, msg, sizeof(msg))) {
        report(name, false, "before the flood: %s", msg);
        printf("E2E-FLOOD-FAIL the device's stage-1 STE\n");
        return;
    }

    /* 2. The queue, full: TLBI_NH_ALL at even entries, CMD_SYNC at odd */
    t0 = now_us();
    for (i = 0; i < n; i++) {
        volatile uint8_t *e = c->mem + off + 16 * (uint64_t)i;

        wr64(e, i & 1 ? CMD_SYNC : CMD_TLBI_NH_ALL);
        wr64(e + 8, 0);
    }
    dsb();
    fill_us = now_us() - t0;
    if (!cmdq_rebase(c, ((c->mem_pa + off) & MASK(51, 5)) | log2)) {
        report(name, false, "CR0ACK did not follow CMDQEN off and on, to "
               "move the command queue to 0x%" PRIx64, c->mem_pa + off);
        printf("E2E-FLOOD-FAIL moving the command queue\n");
        return;
    }
    c->cq_off = off;
    c->cq_log2 = log2;
    info("flood: command queue at 0x%" PRIx64 ", 2^%u entries%s, %u x "
         "(TLBI_NH_ALL + CMD_SYNC) written in %" PRIu64 " us; the device's "
         "STE is a legal stage 1", c->mem_pa + off, log2, sizing, n / 2, fill_us);
    /* The host reads its counters now */
    printf("E2E-FLOOD-READY entries=%u\n", n);
    fflush(stdout);
    pause_us(FLOOD_READY_MS * 1000);

    /* 3. One write of PROD: the queue full (index 0, wrap bit set) */
    prod = q_add(0, log2, n);
    dsb();
    t0 = now_us();
    reg_wr(c, SMMU_CMDQ_PROD, prod);
    t1 = now_us();
    prod_us = t1 - t0;
    deadline = t1 + FLOOD_DRAIN_MS * 1000ULL;
    for (;;) {
        uint64_t a = now_us(), b;

        cons = reg_rd(c, SMMU_CMDQ_CONS);
        b = now_us();
        nreads++;
        sum += b - a;
        longest = b - a > longest ? b - a : longest;
        if ((cons & mask) == prod) {
            drain_us = b - t0;
            done = true;
            break;
        }
        if (CMDQ_CONS_ERR(cons) != CERROR_NONE || b > deadline) {
            break;
        }
    }
    gerror = reg_rd(c, SMMU_GERROR);
    gerrorn = reg_rd(c, SMMU_GERRORN);
    if (CMDQ_CONS_ERR(cons) != CERROR_NONE) {
        snprintf(err, sizeof(err), "%s@0x%x", cerror_name(CMDQ_CONS_ERR(cons)),
                 cons & mask);
    }
    if (done) {
        printf("E2E-FLOOD entries=%u prod_write_us=%" PRIu64 " drain_us=%" PRIu64
               " longest_read_us=%" PRIu64 " cons_err=%s gerror=0x%x gerrorn=0x%x"
               " reads=%" PRIu64 " mean_read_us=%" PRIu64 " fill_us=%" PRIu64
               " log2=%u\n", n, prod_us, drain_us, longest, err, gerror, gerrorn,
               nreads, sum / nreads, fill_us, log2);
    } else {
        printf("E2E-FLOOD-FAIL entries=%u prod_write_us=%" PRIu64 " CONS=0x%x "
               "PROD=0x%x after %" PRIu64 " us, longest_read_us=%" PRIu64
               " cons_err=%s gerror=0x%x gerrorn=0x%x\n", n, prod_us, cons,
               prod, now_us() - t0, longest, err, gerror, gerrorn);
    }
    fflush(stdout);

    /* 4. The set-up's queue again; events the flood raised (none due) */
    restored = cmdq_rebase(c, c->cq_base);
    c->cq_off = cq_off;
    c->cq_log2 = cq_log2;
    evtq_collect(c, false, &ev);
    if (!done) {
        report(name, false, "%u commands: expected CMDQ_CONS to reach PROD "
               "0x%x within %d s, got CONS 0x%x (%s)%s", n, prod,
               FLOOD_DRAIN_MS / 1000, cons, err,
               restored ? "" : "; CR0ACK did not follow when the set-up's "
               "queue was put back");
    } else if (CMDQ_CONS_ERR(cons) != CERROR_NONE ||
               ((gerror ^ gerrorn) & GERROR_CMDQ_ERR) || !restored) {
        report(name, false, "%u commands consumed, but expected no command "
               "error: %s, GERROR=0x%x GERRORN=0x%x%s", n, err, gerror, gerrorn,
               restored ? "" : "; CR0ACK did not follow when the set-up's "
               "queue was put back");
    } else {
        report(name, true, "%u commands (%u x TLBI_NH_ALL + CMD_SYNC) in a "
               "full queue of 2^%u%s, one write of CMDQ_PROD: the write took "
               "%" PRIu64 " us, CONS reached PROD after %" PRIu64 " us, "
               "longest read of CMDQ_CONS meanwhile %" PRIu64 " us (%" PRIu64
               " reads); no command error; events: %s; the set-up's queue "
               "put back", n, n / 2, log2, sizing, prod_us, drain_us, longest,
               nreads, ev.text);
    }
}

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
    int fd;

    setvbuf(stdout, NULL, _IOLBF, 0);
    while (argc > 1 && !strncmp(argv[1], "--", 2)) {
        if (!strncmp(argv[1], "--spare-ram=", 12)) {
            if (!parse_spare_ram(c, argv[1] + 12)) {
                fprintf(stderr, "%s: --spare-ram=BASE:LEN (1 MiB at least)\n",
                        argv[0]);
                return 2;
            }
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
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fprintf(stderr, "usage: %s [--spare-ram=BASE:LEN] [--flood[=LOG2]] "
                "[PCI-BDF]\n"
                "  (default: RAM the device tree has but the kernel does "
                "not use; the first NVMe controller by name, and the next "
                "one for vdevice-renumber)\n"
                "  --flood: instead of the cases, the flood of a full "
                "command queue (2^LOG2 entries, default the largest the "
                "SMMU allows), then alive\n", argv[0]);
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

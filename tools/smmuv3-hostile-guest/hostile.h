// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smmuv3-hostile-guest: what its files share.  The SMMUv3 register, stream
 * table entry, context descriptor, command and event layouts, the NVMe
 * registers of the DMA cases, queue sizes and time limits, struct ctx, the
 * single loads and stores for Device memory, and the functions that one
 * file defines and others call, by file.
 */
#ifndef HOSTILE_H
#define HOSTILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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

/* Cases passed and failed, as report() counts them (util.c) */
extern int npass, nfail;

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

enum cmdq_state { CMDQ_DONE, CMDQ_ERROR, CMDQ_TIMEOUT };

struct cmdq_result {
    enum cmdq_state state;
    uint32_t cons;      /* CMDQ_CONS index and wrap */
    uint32_t err;       /* CMDQ_CONS.ERR, valid in CMDQ_ERROR */
};

struct events {
    unsigned int n, bad_ste, other;
    uint64_t raw[EVT_RAW_KEPT][4];      /* the first records, all 4 double words */
    char text[256];
};

/* util.c: time, output, files and sysfs, device tree, spare RAM, PCI */
uint64_t now_us(void);
uint64_t now_ms(void);
void pause_us(uint64_t us);
void report(const char *name, bool ok, const char *fmt, ...);
void info(const char *fmt, ...);
void cat(char *buf, size_t len, const char *fmt, ...);
void __attribute__((format(printf, 3, 4)))
setf(char *buf, size_t len, const char *fmt, ...);
ssize_t read_file(const char *path, void *buf, size_t len);
bool dt_find(const char *node, unsigned int ac, unsigned int sc,
             const char *compat, uint64_t *base, uint64_t *size,
             char *found, size_t foundlen, int depth);
bool find_spare_ram(struct ctx *c, char *why, size_t whylen);
bool is_nvme(const char *bdf);
bool find_device(struct ctx *c, const char *want, char *why, size_t whylen);
void keep_drivers_away(const char *bdf);
volatile uint8_t *map_phys(int fd, uint64_t pa, uint64_t len);
bool config_io(const char *dir, unsigned int off, uint8_t *buf,
               size_t len, bool write);
bool pci_command_rd(const char *bdf, uint16_t *v);
bool pci_command_wr(const char *bdf, uint16_t v);

/* smmu.c: registers, queues, STEs, CDs, set-up */
uint32_t reg_rd(struct ctx *c, unsigned int off);
void reg_wr(struct ctx *c, unsigned int off, uint32_t v);
uint32_t q_ptr_mask(unsigned int log2);
uint32_t q_add(uint32_t p, unsigned int log2, uint32_t n);
bool wait_reg(struct ctx *c, unsigned int off, uint32_t want);
bool cmdq_err_pending(struct ctx *c);
void cmdq_issue(struct ctx *c, const uint64_t (*cmd)[2], unsigned int n);
void cmdq_wait(struct ctx *c, struct cmdq_result *r);
void cmdq_skip_error(struct ctx *c, uint32_t cons);
const char *cerror_name(uint32_t err);
void describe_cmdq(const struct cmdq_result *r, char *buf, size_t len);
bool cmdq_run(struct ctx *c, const uint64_t (*cmd)[2], unsigned int n,
              char *got, size_t gotlen);
const char *evt_name(unsigned int type);
void evtq_drain(struct ctx *c, struct events *ev);
void evtq_collect(struct ctx *c, bool due, struct events *ev);
void ste_write_at(struct ctx *c, uint32_t sid, const uint64_t ste[8]);
void ste_write(struct ctx *c, const uint64_t ste[8]);
void ste_abort(uint64_t s[8]);
void ste_bypass(uint64_t s[8]);
void ste_s1(uint64_t s[8], uint64_t ctxptr);
void ste_s2(struct ctx *c, uint64_t s[8], unsigned int config);
bool ste_try(struct ctx *c, const uint64_t ste[8], bool want_bad,
             char *got, size_t gotlen);
void cd_set_ttb0(struct ctx *c, uint64_t cd_off, uint64_t ttb0);
bool s1_invalidate(struct ctx *c, uint32_t sid, char *got, size_t gotlen);
bool s1_fault_ste(struct ctx *c, char *msg, size_t msglen);
bool smmu_setup(struct ctx *c, char *why, size_t whylen);

/* nvme.c: NVMe DMA and the faults it raises */
uint32_t nvme_rd(volatile uint8_t *bar, unsigned int off);
void nvme_wr(volatile uint8_t *bar, unsigned int off, uint32_t v);
bool nvme_wait_rdy(volatile uint8_t *bar, uint32_t want, uint64_t ms);
bool nvme_fault_dma(struct ctx *c, const char *cfg_bdf,
                    const char *bar_bdf, uint32_t sid, uint64_t iova,
                    uint64_t wait_ms, uint64_t *first_ms, char *msg,
                    size_t msglen);

/* cases-smmu.c: the cases of STEs, commands and CFGI ranges */
void case_illegal_stes(struct ctx *c, const char *name, unsigned int n,
                       uint64_t (*stes)[8], const char *const *what);
void case_legal_ste(struct ctx *c, const char *name, const uint64_t ste[8],
                    const char *what);
void case_illegal_cmd(struct ctx *c, const char *name, uint64_t dw0,
                      uint64_t dw1, const char *what);
void case_cfgi_range(struct ctx *c, const char *name, uint64_t dw0,
                     uint64_t dw1, const char *what);

/* cases-device.c: the cases in which a PCI device acts */
void case_host_fault(struct ctx *c, const char *name);
void case_vdevice_renumber(struct ctx *c, const char *name);
void case_cfgi_ste_cd(struct ctx *c, const char *name);
void case_cfgi_cd_renumbered(struct ctx *c, const char *name);
void case_eventq_msix(struct ctx *c, const char *name);

/* cases-cmdqv.c: --cmdqv, with /dev/mem open as @fd */
void case_cmdqv(struct ctx *c, int fd);

/* flood.c: --flood */
void case_flood(struct ctx *c, const char *name, unsigned int want_log2);

#endif /* HOSTILE_H */

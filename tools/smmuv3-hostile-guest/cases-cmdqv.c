// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smmuv3-hostile-guest --cmdqv: the guest's NVIDIA Tegra241 CMDQV (the
 * companion of its SMMU, ACPI device NVDA200C), driven directly.  The
 * guest owns no VINTF as a hypervisor: its VINTF0 may only run
 * TLBI_NH_ASID, TLBI_NH_VA, ATC_INV and CMD_SYNC without an interrupt;
 * anything else stops the queue with CERROR_ILL in CONS.ERR and toggles
 * the queue's GERROR, until the guest writes GERRORN to match.
 *
 * With accel=on and a host device, the VMM maps the host CMDQV's VINTF
 * page 0 into the guest: the host's SMMU runs the queues (here, L0's
 * emulated CMDQV does), which the host pins, so only queues in the
 * machine's RAM (not a memory DIMM, which can be unplugged): each queue
 * is a page of this program's, locked, found in /proc/self/pagemap.  The
 * cases set up VINTF0 with two queues as Linux does, run legal commands, each illegal one, a queue
 * mapped out and enabled, then give queue 0 a base where nothing is (16
 * TiB) while queue 1 runs: the host cannot have it, and queue 1, which the
 * host would have to free with it, must go on; queue 0 must stop at its
 * first command with CERROR_ABT (nothing answers there).
 *
 * Layout (as Linux 7.2's tegra241-cmdqv.c): the config page (CONFIG,
 * STATUS, CMDQ_ALLOC of each global queue), VINTF0 at 0x1000, then pages
 * of 64 KiB: global queues' page 0 and page 1, VINTF0's page 0 (PROD,
 * CONS, CONFIG, STATUS, GERROR, GERRORN of each of its logical queues,
 * 0x80 apart) and page 1 (BASE).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hostile.h"

#define CV_CONFIG               0x0
#define CV_STATUS               0x8
#define CV_CMDQ_ALLOC(q)        (0x200 + 4 * (q))
#define CV_ALLOC_LVCMDQ(l)      ((uint32_t)(l) << 1)
#define CV_ALLOCATED            BIT(0)
#define CV_VINTF0_CONFIG        0x1000
#define CV_VINTF0_STATUS        0x1004
#define CV_PAGE0(l)             (0x30000 + 0x80 * (l))  /* VINTF0's */
#define CV_PAGE1(l)             (0x40000 + 0x80 * (l))
#define CV_LEN                  0x50000
#define VQ_CONS                 0x0
#define VQ_PROD                 0x4
#define VQ_CONFIG               0x8
#define VQ_STATUS               0xc
#define VQ_GERROR               0x10
#define VQ_GERRORN              0x14
#define VQ_LOG2                 8       /* 256 commands, 4 KiB */
#define CERROR_ABT              2
#define CMD_TLBI_NH_VA          0x12
#define CMD_SYNC_CS_IRQ         (1ULL << 12)
#define CV_WAIT_MS              2000
#define CV_NOWHERE              (1ULL << 44)    /* no RAM, no device */

struct cmdqv {
    volatile uint8_t *regs;
    volatile uint8_t *q[2];     /* the queues: pages of RAM of ours */
    uint64_t q_pa[2];
    uint32_t prod[2];           /* index and wrap, as last written */
};

static uint32_t cv_rd(struct cmdqv *cv, unsigned int off)
{
    return rd32(cv->regs + off);
}

static void cv_wr(struct cmdqv *cv, unsigned int off, uint32_t v)
{
    wr32(cv->regs + off, v);
}

static bool cv_wait(struct cmdqv *cv, unsigned int off, uint32_t mask,
                    uint32_t want)
{
    uint64_t t0 = now_ms();

    while ((cv_rd(cv, off) & mask) != want) {
        if (now_ms() - t0 > CV_WAIT_MS) {
            return false;
        }
        pause_us(100);
    }
    return true;
}

/* BASE of VINTF0's queue @l, as Linux writes it: low half, then high */
static void cv_set_base(struct cmdqv *cv, int l, uint64_t base)
{
    cv_wr(cv, CV_PAGE1(l), (uint32_t)base);
    cv_wr(cv, CV_PAGE1(l) + 4, (uint32_t)(base >> 32));
}

/* Queue @l enabled at index 0 from base @pa; false if it does not enable */
static bool cv_queue_on(struct cmdqv *cv, int l, uint64_t pa)
{
    cv_wr(cv, CV_PAGE0(l) + VQ_CONFIG, 0);
    if (!cv_wait(cv, CV_PAGE0(l) + VQ_STATUS, 1, 0)) {
        return false;
    }
    cv_set_base(cv, l, pa | VQ_LOG2);
    cv_wr(cv, CV_PAGE0(l) + VQ_CONS, 0);
    cv_wr(cv, CV_PAGE0(l) + VQ_PROD, 0);
    cv->prod[l] = 0;
    cv_wr(cv, CV_PAGE0(l) + VQ_CONFIG, 1);
    return cv_wait(cv, CV_PAGE0(l) + VQ_STATUS, 1, 1);
}

static void cv_put(struct cmdqv *cv, int l, uint32_t idx, uint64_t dw0,
                   uint64_t dw1)
{
    volatile uint8_t *e = cv->q[l] + (idx & (BIT(VQ_LOG2) - 1)) * 16;

    wr64(e, dw0);
    wr64(e + 8, dw1);
}

/*
 * Append @n commands to queue @l and publish them; wait until CONS
 * reaches PROD or reports an error.  The CONS read last in @cons.
 */
static bool cv_run(struct cmdqv *cv, int l, const uint64_t (*cmd)[2],
                   unsigned int n, uint32_t *cons)
{
    uint32_t mask = q_ptr_mask(VQ_LOG2);
    uint64_t t0 = now_ms();

    for (unsigned int i = 0; i < n; i++) {
        cv_put(cv, l, cv->prod[l] + i, cmd[i][0], cmd[i][1]);
    }
    dsb();
    cv->prod[l] = q_add(cv->prod[l], VQ_LOG2, n);
    cv_wr(cv, CV_PAGE0(l) + VQ_PROD, cv->prod[l]);
    for (;;) {
        *cons = cv_rd(cv, CV_PAGE0(l) + VQ_CONS);
        if ((*cons & mask) == cv->prod[l] ||
            (cv_rd(cv, CV_PAGE0(l) + VQ_GERROR) ^
             cv_rd(cv, CV_PAGE0(l) + VQ_GERRORN)) & 1) {
            return (*cons & mask) == cv->prod[l];
        }
        if (now_ms() - t0 > CV_WAIT_MS) {
            return false;
        }
        pause_us(100);
    }
}

/* TLBI_NH_VA (ASID 1, VA 0) + CMD_SYNC on queue @l, to completion */
static bool cv_tlbi_sync(struct cmdqv *cv, int l, char *got, size_t gotlen)
{
    const uint64_t cmd[2][2] = {
        { CMD_TLBI_NH_VA | CMD0_ASID(1), CMD1_LEAF },
        { CMD_SYNC, 0 },
    };
    uint32_t cons;
    bool ok = cv_run(cv, l, cmd, 2, &cons);

    snprintf(got, gotlen, "CONS 0x%x, PROD 0x%x, GERROR %u GERRORN %u", cons,
             cv->prod[l], cv_rd(cv, CV_PAGE0(l) + VQ_GERROR) & 1,
             cv_rd(cv, CV_PAGE0(l) + VQ_GERRORN) & 1);
    return ok;
}

/*
 * The queue stopped at a command with an error: that command becomes a
 * CMD_SYNC, GERRORN acknowledges the error, and the queue goes on
 */
static bool cv_resume(struct cmdqv *cv, int l, uint32_t at)
{
    uint32_t mask = q_ptr_mask(VQ_LOG2);

    cv_put(cv, l, at, CMD_SYNC, 0);
    dsb();
    cv_wr(cv, CV_PAGE0(l) + VQ_GERRORN, cv_rd(cv, CV_PAGE0(l) + VQ_GERROR));
    return cv_wait(cv, CV_PAGE0(l) + VQ_CONS, mask, cv->prod[l]);
}

/* One command that a guest's VINTF may not run: CERROR_ILL at it, then on */
static void case_refused(struct cmdqv *cv, const char *name, uint64_t dw0,
                         uint64_t dw1, const char *what)
{
    const uint64_t cmd[1][2] = { { dw0, dw1 } };
    uint32_t at = cv->prod[0], cons, err;
    bool done = cv_run(cv, 0, cmd, 1, &cons);
    bool toggled = (cv_rd(cv, CV_PAGE0(0) + VQ_GERROR) ^
                    cv_rd(cv, CV_PAGE0(0) + VQ_GERRORN)) & 1;

    err = CMDQ_CONS_ERR(cons);
    if (done || !toggled || err != CERROR_ILL ||
        (cons & q_ptr_mask(VQ_LOG2)) != at) {
        report(name, false, "expected %s to stop queue 0 with CERROR_ILL at "
               "0x%x and GERROR toggled, got CONS 0x%x (%s), GERROR %s",
               what, at, cons, done ? "completed" : cerror_name(err),
               toggled ? "toggled" : "not toggled");
        /* Whatever it did, the next case starts from a queue that runs */
        if (toggled) {
            cv_resume(cv, 0, cons & q_ptr_mask(VQ_LOG2));
        }
        return;
    }
    if (!cv_resume(cv, 0, at)) {
        report(name, false, "%s: CERROR_ILL at 0x%x, but after GERRORN the "
               "queue did not go on (CONS 0x%x, PROD 0x%x)", what, at,
               cv_rd(cv, CV_PAGE0(0) + VQ_CONS), cv->prod[0]);
        return;
    }
    report(name, true, "%s: CERROR_ILL at CONS 0x%x, GERROR toggled; the "
           "queue went on once GERRORN matched", what, at);
}

/*
 * A page of RAM of this program's, locked: where it is, zeroed.  (The
 * kernel's compaction would still move a locked page: it is told not to
 * by the caller.)
 */
static bool ram_page(volatile uint8_t **va, uint64_t *pa)
{
    uint8_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    uint64_t ent = 0;
    int fd;

    if (p == MAP_FAILED) {
        return false;
    }
    memset(p, 0, 4096);
    fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd < 0) {
        return false;
    }
    if (pread(fd, &ent, sizeof(ent), (off_t)((uintptr_t)p / 4096) * 8) !=
        sizeof(ent)) {
        close(fd);
        return false;
    }
    close(fd);
    /* Present, with its frame number (bits 54:0; 0 without CAP_SYS_ADMIN) */
    if (!(ent & BIT(63)) || !(ent & MASK(54, 0))) {
        return false;
    }
    *va = p;
    *pa = (ent & MASK(54, 0)) * 4096;
    return true;
}

/* The CMDQV's base: the NVDA200C device's memory in /proc/iomem */
static bool find_cmdqv(uint64_t *pa, char *why, size_t whylen)
{
    FILE *f = fopen("/proc/iomem", "r");
    char line[256];
    unsigned long long start, end;

    if (!f) {
        snprintf(why, whylen, "no /proc/iomem");
        return false;
    }
    while (fgets(line, sizeof(line), f)) {
        if (strstr(line, "NVDA200C") &&
            sscanf(line, " %llx-%llx", &start, &end) == 2 &&
            end - start + 1 >= CV_LEN) {
            fclose(f);
            *pa = start;
            return true;
        }
    }
    fclose(f);
    snprintf(why, whylen, "no NVDA200C region of 0x%x bytes in /proc/iomem: "
             "the guest has no CMDQV (cmdqv=on?)", CV_LEN);
    return false;
}

void case_cmdqv(struct ctx *c, int fd)
{
    struct cmdqv cv_, *cv = &cv_;
    uint64_t pa;
    char why[256], got[2][160];
    uint32_t cons1;
    bool ok, ok1;

    memset(cv, 0, sizeof(*cv));
    if (!find_cmdqv(&pa, why, sizeof(why))) {
        report("cmdqv-setup", false, "%s", why);
        return;
    }
    cv->regs = map_phys(fd, pa, CV_LEN);
    if (!cv->regs) {
        report("cmdqv-setup", false, "mmap of the CMDQV at 0x%" PRIx64 " "
               "failed", pa);
        return;
    }
    /* The queues' pages stay where the CMDQV reads them */
    {
        FILE *f = fopen("/proc/sys/vm/compact_unevictable_allowed", "w");

        if (f) {
            fputs("0\n", f);
            fclose(f);
        }
    }
    for (int l = 0; l < 2; l++) {
        if (!ram_page(&cv->q[l], &cv->q_pa[l])) {
            report("cmdqv-setup", false, "no locked page of RAM with its "
                   "frame number in /proc/self/pagemap for queue %d", l);
            return;
        }
    }
    info("CMDQV (NVDA200C) at 0x%" PRIx64 "; queues at 0x%" PRIx64 " and "
         "0x%" PRIx64, pa, cv->q_pa[0], cv->q_pa[1]);

    /* As Linux sets it up: CMDQV, two queues allocated to VINTF0, VINTF0 */
    cv_wr(cv, CV_CONFIG, 1);
    cv_wr(cv, CV_CMDQ_ALLOC(0), CV_ALLOC_LVCMDQ(0) | CV_ALLOCATED);
    cv_wr(cv, CV_CMDQ_ALLOC(1), CV_ALLOC_LVCMDQ(1) | CV_ALLOCATED);
    cv_wr(cv, CV_VINTF0_CONFIG, 1);
    if (!cv_wait(cv, CV_STATUS, 1, 1) ||
        !cv_wait(cv, CV_VINTF0_STATUS, 1, 1) ||
        !cv_queue_on(cv, 0, cv->q_pa[0]) || !cv_queue_on(cv, 1, cv->q_pa[1])) {
        report("cmdqv-setup", false, "the CMDQV, VINTF0 or a queue did not "
               "enable: STATUS 0x%x, VINTF0 STATUS 0x%x, queues' STATUS 0x%x "
               "0x%x", cv_rd(cv, CV_STATUS), cv_rd(cv, CV_VINTF0_STATUS),
               cv_rd(cv, CV_PAGE0(0) + VQ_STATUS),
               cv_rd(cv, CV_PAGE0(1) + VQ_STATUS));
        return;
    }
    report("cmdqv-setup", true, "the CMDQV, VINTF0 and its queues 0 and 1 "
           "(256 commands each) enabled");

    /* Legal commands on both queues */
    ok = cv_tlbi_sync(cv, 0, got[0], sizeof(got[0]));
    ok = cv_tlbi_sync(cv, 1, got[1], sizeof(got[1])) && ok;
    report("cmdqv-legal", ok, "TLBI_NH_VA + CMD_SYNC on each queue: %s "
           "completed (queue 0: %s; queue 1: %s)", ok ? "both" : "not all",
           got[0], got[1]);

    /* What a guest's VINTF may not run */
    case_refused(cv, "cmdqv-cfgi-ste", CMD_CFGI_STE | CMD0_SID(c->sid), 0,
                 "CMD_CFGI_STE");
    case_refused(cv, "cmdqv-cfgi-all", CMD_CFGI_STE_RANGE, CMD1_RANGE(31),
                 "CMD_CFGI_ALL");
    case_refused(cv, "cmdqv-tlbi-nh-all", CMD_TLBI_NH_ALL, 0,
                 "CMD_TLBI_NH_ALL");
    case_refused(cv, "cmdqv-tlbi-s2", CMD_TLBI_S2_IPA | CMD0_VMID(1),
                 0x40000000, "CMD_TLBI_S2_IPA");
    case_refused(cv, "cmdqv-tlbi-nsnh-all", CMD_TLBI_NSNH_ALL, 0,
                 "CMD_TLBI_NSNH_ALL");
    case_refused(cv, "cmdqv-sync-irq", CMD_SYNC | CMD_SYNC_CS_IRQ, 0,
                 "CMD_SYNC with CS=IRQ");
    case_refused(cv, "cmdqv-unknown-opcode", CMD_UNDEFINED, 0, "opcode 0xff");

    /* Queue 1 mapped out of VINTF0, then enabled: there is no queue there */
    cv_wr(cv, CV_PAGE0(1) + VQ_CONFIG, 0);
    cv_wait(cv, CV_PAGE0(1) + VQ_STATUS, 1, 0);
    cv_wr(cv, CV_CMDQ_ALLOC(1), 0);
    cv_wr(cv, CV_PAGE0(1) + VQ_CONFIG, 1);
    pause_us(50000);
    ok = !(cv_rd(cv, CV_PAGE0(1) + VQ_STATUS) & 1);
    cv_wr(cv, CV_CMDQ_ALLOC(1), CV_ALLOC_LVCMDQ(1) | CV_ALLOCATED);
    ok = ok && cv_queue_on(cv, 1, cv->q_pa[1]) &&
         cv_tlbi_sync(cv, 1, got[1], sizeof(got[1]));
    report("cmdqv-enable-unallocated", ok, "queue 1 enabled while allocated "
           "to no VINTF %s; allocated again, it ran TLBI_NH_VA + CMD_SYNC "
           "(%s)", ok ? "did not enable" : "enabled, or did not come back",
           got[1]);

    /*
     * Queue 0's base becomes an address where nothing is while queue 1
     * runs: queue 1 must go on, queue 0 stop at its first command
     * (CERROR_ABT)
     */
    cv_wr(cv, CV_PAGE0(0) + VQ_CONFIG, 0);
    cv_wait(cv, CV_PAGE0(0) + VQ_STATUS, 1, 0);
    cv_set_base(cv, 0, CV_NOWHERE | VQ_LOG2);
    /* Queue 1 as it was: CONS where it was, enabled */
    cons1 = cv_rd(cv, CV_PAGE0(1) + VQ_CONS);
    ok1 = (cons1 & q_ptr_mask(VQ_LOG2)) == cv->prod[1] &&
          (cv_rd(cv, CV_PAGE0(1) + VQ_STATUS) & 1);
    if (!ok1) {
        snprintf(got[1], sizeof(got[1]), "CONS 0x%x, STATUS 0x%x after the "
                 "base of queue 0 changed, PROD 0x%x before", cons1,
                 cv_rd(cv, CV_PAGE0(1) + VQ_STATUS), cv->prod[1]);
    }
    ok1 = ok1 && cv_tlbi_sync(cv, 1, got[1], sizeof(got[1]));
    cv_wr(cv, CV_PAGE0(0) + VQ_CONS, 0);
    cv_wr(cv, CV_PAGE0(0) + VQ_PROD, 0);
    cv_wr(cv, CV_PAGE0(0) + VQ_CONFIG, 1);
    cv_wait(cv, CV_PAGE0(0) + VQ_STATUS, 1, 1);
    cv->prod[0] = 1;
    cv_wr(cv, CV_PAGE0(0) + VQ_PROD, 1);
    {
        uint64_t t0 = now_ms();
        uint32_t cons;

        while (!((cv_rd(cv, CV_PAGE0(0) + VQ_GERROR) ^
                  cv_rd(cv, CV_PAGE0(0) + VQ_GERRORN)) & 1) &&
               now_ms() - t0 < CV_WAIT_MS) {
            pause_us(100);
        }
        cons = cv_rd(cv, CV_PAGE0(0) + VQ_CONS);
        snprintf(got[0], sizeof(got[0]), "CONS 0x%x (%s), GERROR %u GERRORN "
                 "%u", cons, cerror_name(CMDQ_CONS_ERR(cons)),
                 cv_rd(cv, CV_PAGE0(0) + VQ_GERROR) & 1,
                 cv_rd(cv, CV_PAGE0(0) + VQ_GERRORN) & 1);
        ok = CMDQ_CONS_ERR(cons) == CERROR_ABT &&
             !(cons & q_ptr_mask(VQ_LOG2));
        report("cmdqv-base-not-ram", ok && ok1, "queue 0 based at 0x%llx, "
               "where nothing is: expected queue 1 to go on and queue 0 to "
               "stop at its first command with CERROR_ABT: queue 1 %s (%s); "
               "queue 0 %s (%s)", (unsigned long long)CV_NOWHERE,
               ok1 ? "went on" : "stopped", got[1],
               ok ? "stopped so" : "did not", got[0]);
    }
    /*
     * Queue 0 back in RAM: both run.  Disabled before its error is
     * acknowledged: an enabled queue would go on, at the same command.
     */
    cv_wr(cv, CV_PAGE0(0) + VQ_CONFIG, 0);
    cv_wait(cv, CV_PAGE0(0) + VQ_STATUS, 1, 0);
    cv_wr(cv, CV_PAGE0(0) + VQ_GERRORN, cv_rd(cv, CV_PAGE0(0) + VQ_GERROR));
    ok = cv_queue_on(cv, 0, cv->q_pa[0]) &&
         cv_tlbi_sync(cv, 0, got[0], sizeof(got[0]));
    ok = cv_tlbi_sync(cv, 1, got[1], sizeof(got[1])) && ok;
    report("cmdqv-alive", ok, "queue 0 back in RAM, TLBI_NH_VA + CMD_SYNC on "
           "each queue %s (queue 0: %s; queue 1: %s)",
           ok ? "completed" : "did not complete", got[0], got[1]);
}

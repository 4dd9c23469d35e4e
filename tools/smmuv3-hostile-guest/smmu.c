// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smmuv3-hostile-guest: driving the SMMU.  Register access, the command
 * queue (issue, wait, recover from a command error), the event queue,
 * stream table entries and context descriptors, the legal stage 1 that
 * translates nothing, and the set-up that takes the SMMU over.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hostile.h"

uint32_t reg_rd(struct ctx *c, unsigned int off)
{
    return rd32(c->regs + off);
}

void reg_wr(struct ctx *c, unsigned int off, uint32_t v)
{
    wr32(c->regs + off, v);
}

/* ------------------------------------------------------------------ */
/* Queues                                                              */
/* ------------------------------------------------------------------ */

/* Queue pointers: index in [log2-1:0], wrap bit at [log2] */
uint32_t q_ptr_mask(unsigned int log2)
{
    return (2u << log2) - 1;
}

static uint32_t q_idx(uint32_t p, unsigned int log2)
{
    return p & ((1u << log2) - 1);
}

uint32_t q_add(uint32_t p, unsigned int log2, uint32_t n)
{
    return (p + n) & q_ptr_mask(log2);
}

static volatile uint8_t *cmdq_slot(struct ctx *c, uint32_t p)
{
    return c->mem + c->cq_off + 16 * (uint64_t)q_idx(p, c->cq_log2);
}

/* Until the register @off reads @want, for a second at most */
bool wait_reg(struct ctx *c, unsigned int off, uint32_t want)
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

bool cmdq_err_pending(struct ctx *c)
{
    return (reg_rd(c, SMMU_GERROR) ^ reg_rd(c, SMMU_GERRORN)) & GERROR_CMDQ_ERR;
}

/* Queue @n commands at PROD and publish them (the queue is empty: see cmdq_wait) */
void cmdq_issue(struct ctx *c, const uint64_t (*cmd)[2], unsigned int n)
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
void cmdq_wait(struct ctx *c, struct cmdq_result *r)
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
void cmdq_skip_error(struct ctx *c, uint32_t cons)
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

const char *cerror_name(uint32_t err)
{
    switch (err) {
    case 0: return "CERROR_NONE";
    case 1: return "CERROR_ILL";
    case 2: return "CERROR_ABT";
    case 3: return "CERROR_ATC_INV_SYNC";
    default: return "CERROR_?";
    }
}

void describe_cmdq(const struct cmdq_result *r, char *buf, size_t len)
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
bool cmdq_run(struct ctx *c, const uint64_t (*cmd)[2], unsigned int n,
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

const char *evt_name(unsigned int type)
{
    switch (type) {
    case EVT_C_BAD_STE: return "C_BAD_STE";
    case EVT_C_BAD_CD: return "C_BAD_CD";
    case EVT_F_TRANSLATION: return "F_TRANSLATION";
    default: return "event";
    }
}

/* Consume every record in the event queue */
void evtq_drain(struct ctx *c, struct events *ev)
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
void evtq_collect(struct ctx *c, bool due, struct events *ev)
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
void ste_write_at(struct ctx *c, uint32_t sid, const uint64_t ste[8])
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
void ste_write(struct ctx *c, const uint64_t ste[8])
{
    ste_write_at(c, c->sid, ste);
}

void ste_abort(uint64_t s[8])
{
    memset(s, 0, 64);
    s[0] = STE0_V | STE0_CONFIG(CFG_ABORT);
}

void ste_bypass(uint64_t s[8])
{
    memset(s, 0, 64);
    s[0] = STE0_V | STE0_CONFIG(CFG_BYPASS);
    s[1] = STE1_SHCFG_INCOMING;
}

/* Stage 1 with one CD at @ctxptr, as Linux writes it */
void ste_s1(uint64_t s[8], uint64_t ctxptr)
{
    memset(s, 0, 64);
    s[0] = STE0_V | STE0_CONFIG(CFG_S1) | STE0_S1FMT(0) |
           STE0_S1CTXPTR(ctxptr) | STE0_S1CDMAX(0);
    s[1] = STE1_S1CIR(CACHE_WBRA) | STE1_S1COR(CACHE_WBRA) | STE1_S1CSH(SH_ISH);
}

/* A plausible stage 2: VMID 1, 39-bit IPA, 4 KiB granule, start level 1 */
void ste_s2(struct ctx *c, uint64_t s[8], unsigned int config)
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
bool ste_try(struct ctx *c, const uint64_t ste[8], bool want_bad,
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

/* ------------------------------------------------------------------ */
/* Context descriptors                                                 */
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

/* Point the valid CD at @cd_off to another table, in place (TTB0 only) */
void cd_set_ttb0(struct ctx *c, uint64_t cd_off, uint64_t ttb0)
{
    wr64(c->mem + cd_off + 8, CD1_TTB0(ttb0));
    dsb();
}

/* ------------------------------------------------------------------ */
/* A legal stage 1 that translates nothing                             */
/* ------------------------------------------------------------------ */

/* CFGI_STE + CFGI_CD (SSID 0) + TLBI_NH_ASID + CMD_SYNC for @sid */
bool s1_invalidate(struct ctx *c, uint32_t sid, char *got, size_t gotlen)
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
bool s1_fault_ste(struct ctx *c, char *msg, size_t msglen)
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

/* ------------------------------------------------------------------ */
/* Set up                                                              */
/* ------------------------------------------------------------------ */

static const unsigned int oas_bits[8] = { 32, 36, 40, 42, 44, 48, 52, 52 };

bool smmu_setup(struct ctx *c, char *why, size_t whylen)
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

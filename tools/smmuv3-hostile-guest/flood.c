// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smmuv3-hostile-guest: --flood, which publishes the largest command queue
 * the SMMU allows with one write of CMDQ_PROD and measures how long that
 * write, and the drain, took.
 */
#include <inttypes.h>
#include <stdio.h>

#include "hostile.h"

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
void case_flood(struct ctx *c, const char *name, unsigned int want_log2)
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

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smmuv3-hostile-guest: the cases in which only the guest and the SMMU
 * act (no device does anything): ILLEGAL and legal stream table entries,
 * illegal commands and the recovery from them, and the widest CFGI
 * ranges.
 */
#include "hostile.h"

/* A case of STEs that are all ILLEGAL */
void case_illegal_stes(struct ctx *c, const char *name, unsigned int n,
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
void case_legal_ste(struct ctx *c, const char *name, const uint64_t ste[8],
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
void case_illegal_cmd(struct ctx *c, const char *name, uint64_t dw0,
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
void case_cfgi_range(struct ctx *c, const char *name, uint64_t dw0,
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

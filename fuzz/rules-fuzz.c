/*
 * rules-fuzz.c: a libFuzzer harness for the accelerated SMMUv3's rules
 * (hw/arm/smmuv3-accel-rules.c of the series): the functions that take
 * what a guest wrote (an STE, a command, a batch of commands and the
 * host's answers to it, a vEVENTQ read) and decide without a host.
 *
 * The first byte of an input picks the target; the rest is its data.
 * Beyond what ASan and UBSan catch, each target asserts what the rules
 * promise (abort() on a broken promise, which libFuzzer reports):
 *  0  vSTE: an illegal STE gives C_BAD_STE and the abort vSTE; a legal one
 *     a vSTE with only the fields a vSTE has; the same answer twice.
 *  1  commands: a forwarded command is rebuilt from its own defined
 *     fields only (no bit that the guest did not write), with its opcode,
 *     and rebuilding is idempotent; a StreamID only where one is defined.
 *  2  the batch flush against a host with the kernel's semantics
 *     (arm_vsmmu_cache_invalidate() of Linux 7.2: converted one by one,
 *     issued in blocks of 63 each closed by a sync; a refused command
 *     counts up to itself though its block was never issued; a failed
 *     sync counts up to its block's last command), its failures chosen by
 *     the input: the flush never claims a command done that the host did
 *     not carry out (or a broader one), what stays is a suffix of the
 *     batch in order, positions never go back, the calls are bounded.
 *  3  vEVENTQ records: no more events than whole records, the lost count
 *     never goes down.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qapi/error.h"
#include "hw/arm/smmuv3-accel-rules.h"

#define CHECK(cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "rules-fuzz: %s:%d: broken: %s\n", __FILE__, \
                    __LINE__, #cond); \
            abort(); \
        } \
    } while (0)

typedef struct Input {
    const uint8_t *p;
    size_t left;
} Input;

static uint64_t take(Input *in, unsigned bytes)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < bytes; i++) {
        v |= (uint64_t)(in->left ? (in->left--, *in->p++) : 0) << (8 * i);
    }
    return v;
}

static void take_idr(Input *in, uint32_t idr[6])
{
    for (int i = 0; i < 6; i++) {
        idr[i] = take(in, 4);
    }
}

/* 0: STE -> vSTE */
static void fuzz_vste(Input *in)
{
    const uint64_t m0 = R_VSTE0_V_MASK | R_VSTE0_CONFIG_MASK |
                        R_VSTE0_S1FMT_MASK | R_VSTE0_S1CTXPTR_MASK |
                        R_VSTE0_S1CDMAX_MASK;
    const uint64_t m1 = R_VSTE1_S1DSS_MASK | R_VSTE1_S1CIR_MASK |
                        R_VSTE1_S1COR_MASK | R_VSTE1_S1CSH_MASK |
                        R_VSTE1_S1STALLD_MASK | R_VSTE1_EATS_MASK;
    uint32_t idr[6];
    bool stalls;
    STE ste;
    SMMUv3AccelVSTE v1, v2;
    SMMUv3AccelSTEKind k1, k2;
    SMMUEventType e1, e2;
    const char *reason;

    take_idr(in, idr);
    stalls = take(in, 1) & 1;
    for (int i = 0; i < ARRAY_SIZE(ste.word); i++) {
        ste.word[i] = take(in, 4);
    }
    e1 = smmuv3_accel_ste_to_vste(idr, stalls, &ste, &v1, &k1, &reason);
    e2 = smmuv3_accel_ste_to_vste(idr, stalls, &ste, &v2, &k2, NULL);
    CHECK(e1 == e2 && k1 == k2 && !memcmp(&v1, &v2, sizeof(v1)));
    CHECK(e1 == SMMU_EVT_NONE || e1 == SMMU_EVT_C_BAD_STE);
    if (e1 != SMMU_EVT_NONE) {
        CHECK(reason);
        CHECK(k1 == SMMUV3_ACCEL_STE_ABORT);
        CHECK(!memcmp(&v1, &smmuv3_accel_vste_abort, sizeof(v1)));
        return;
    }
    CHECK(!(v1.word[0] & ~m0) && !(v1.word[1] & ~m1));
    CHECK(v1.word[0] & R_VSTE0_V_MASK);
}

/* 1: the command rules */
static void fuzz_cmd(Input *in)
{
    uint32_t idr[6], sid;
    Cmd cmd, out, again;

    take_idr(in, idr);
    for (int i = 0; i < 4; i++) {
        cmd.word[i] = take(in, 4);
    }
    if (smmuv3_accel_cmd_class(idr, &cmd) != SMMUV3_ACCEL_CMD_FORWARD) {
        return;
    }
    smmuv3_accel_cmd_rebuild(idr, &cmd, &out);
    for (int i = 0; i < 4; i++) {
        CHECK(!(out.word[i] & ~cmd.word[i]));
    }
    CHECK(CMD_TYPE(&out) == CMD_TYPE(&cmd));
    smmuv3_accel_cmd_rebuild(idr, &out, &again);
    CHECK(!memcmp(&out, &again, sizeof(out)));
    if (smmuv3_accel_cmd_sid(&out, &sid)) {
        CHECK(CMD_TYPE(&out) == SMMU_CMD_CFGI_CD ||
              CMD_TYPE(&out) == SMMU_CMD_CFGI_CD_ALL ||
              CMD_TYPE(&out) == SMMU_CMD_ATC_INV);
        CHECK(sid == CMD_SID(&out));
    }
}

/*
 * 2: the flush against a host that behaves as Linux's
 * arm_vsmmu_cache_invalidate(), with the failures the input asks for
 */
#define BLOCK 63                /* CMDQ_BATCH_ENTRIES - 1 */
#define MAX_DONE 4096

typedef struct Host {
    Input *in;
    /*
     * The commands the kernel refuses to convert: decided by their value
     * (an unknown StreamID, say), so the same ones every time
     */
    uint32_t nrefused;
    uint64_t refused[2 * SMMUV3_ACCEL_BATCH_MAX][2];
    uint32_t calls;
    uint32_t ndone;
    uint64_t done[MAX_DONE][2]; /* what reached the SMMU, host order */
} Host;

/* What a failed call returns, by how it failed */
static const int refused_errnos[] = { EIO, EINVAL, EOPNOTSUPP };
static const int early_errnos[] = { ENOMEM, EBUSY, EAGAIN, EINTR, EFAULT };

static void host_done(Host *h, uint64_t (*c)[2], uint32_t num)
{
    for (uint32_t i = 0; i < num && h->ndone < MAX_DONE; i++) {
        memcpy(h->done[h->ndone++], c[i], 16);
    }
}

static bool host_refuses(const Host *h, const uint64_t c[2])
{
    for (uint32_t i = 0; i < h->nrefused; i++) {
        if (!memcmp(h->refused[i], c, 16)) {
            return true;
        }
    }
    return false;
}

static int host_issue(void *opaque, void *cmds, uint32_t *num)
{
    Host *h = opaque;
    uint64_t (*c)[2] = cmds;
    uint32_t n = *num, r, nb;
    uint8_t what = take(h->in, 1);
    uint32_t at = take(h->in, 1);
    uint8_t e = take(h->in, 1);

    h->calls++;
    CHECK(n > 0 && n <= SMMUV3_ACCEL_BATCH_MAX);
    /* The first command the conversion refuses, if any */
    for (r = 0; r < n && !host_refuses(h, c[r]); r++) {
        continue;
    }
    /* The blocks converted whole before it, each issued then synced */
    nb = r == n ? DIV_ROUND_UP(n, BLOCK) : r / BLOCK;
    switch (what % 4) {
    case 2:
        if (nb) {
            /*
             * The sync of block @at timed out: the blocks before it were
             * done, and the count is the failed block's last command
             */
            at = at % nb * BLOCK;
            host_done(h, c, at);
            *num = MIN(at + BLOCK, n) - 1;
            return -ETIMEDOUT;
        }
        /* fall through */
    case 0:
    case 1:
        host_done(h, c, MIN(nb * BLOCK, n));
        if (r == n) {
            return 0;
        }
        /* Its own block was never issued; the count is its index */
        *num = r;
        return -refused_errnos[e % ARRAY_SIZE(refused_errnos)];
    default:
        /*
         * Before any command: no memory (the count untouched), the copy
         * from user space (a count of 0), the ioctl interrupted
         */
        e = early_errnos[e % ARRAY_SIZE(early_errnos)];
        if (e == EFAULT) {
            *num = 0;
        }
        return -e;
    }
}

static bool host_did(const Host *h, const uint64_t c[2])
{
    Cmd cmd, broad;
    uint64_t b[2];

    for (uint32_t i = 0; i < h->ndone; i++) {
        if (!memcmp(h->done[i], c, 16)) {
            return true;
        }
    }
    /* or a broader command in its place */
    cmd.word[0] = le64_to_cpu(c[0]);
    cmd.word[1] = le64_to_cpu(c[0]) >> 32;
    cmd.word[2] = le64_to_cpu(c[1]);
    cmd.word[3] = le64_to_cpu(c[1]) >> 32;
    if (!smmuv3_accel_cmd_broaden(&cmd, &broad)) {
        return false;
    }
    b[0] = cpu_to_le64(broad.word[0] | (uint64_t)broad.word[1] << 32);
    b[1] = cpu_to_le64(broad.word[2] | (uint64_t)broad.word[3] << 32);
    for (uint32_t i = 0; i < h->ndone; i++) {
        if (!memcmp(h->done[i], b, 16)) {
            return true;
        }
    }
    return false;
}

static void fuzz_flush(Input *in)
{
    static const uint32_t ops[] = {
        SMMU_CMD_TLBI_NH_ASID, SMMU_CMD_TLBI_NH_VA, SMMU_CMD_TLBI_NH_VAA,
        SMMU_CMD_TLBI_NH_ALL, SMMU_CMD_CFGI_CD, SMMU_CMD_CFGI_CD_ALL,
        SMMU_CMD_ATC_INV,
    };
    static SMMUv3AccelBatch b, orig;
    SMMUv3AccelFlushResult res;
    SMMUv3AccelFlushStatus st;
    Host h = { .in = in };
    uint32_t n = take(in, 1) % SMMUV3_ACCEL_BATCH_MAX + 1;
    uint32_t cons = take(in, 4), sync_cons, first, i, k;
    bool at_sync = take(in, 1) & 1;
    Cmd cmd, broad;

    smmuv3_accel_batch_init(&b);
    b.failures = take(in, 1) % SMMUV3_ACCEL_HOST_GIVE_UP;
    for (i = 0; i < n; i++) {
        memset(&cmd, 0, sizeof(cmd));
        cmd.word[0] = ops[take(in, 1) % ARRAY_SIZE(ops)] |
                      (take(in, 2) << 12) /* some SSID/ASID bits */;
        cmd.word[1] = take(in, 1);      /* a StreamID or an ASID */
        cmd.word[2] = take(in, 1) & 0x3f;
        CHECK(smmuv3_accel_batch_add(&b, &cmd, cons + i));
        /* Refused by the host?  And the broader command in its place? */
        k = take(in, 1);
        if (k & 1) {
            memcpy(h.refused[h.nrefused++], b.cmd[i], 16);
            if ((k & 2) && smmuv3_accel_cmd_broaden(&cmd, &broad)) {
                h.refused[h.nrefused][0] =
                    cpu_to_le64(broad.word[0] | (uint64_t)broad.word[1] << 32);
                h.refused[h.nrefused][1] =
                    cpu_to_le64(broad.word[2] | (uint64_t)broad.word[3] << 32);
                h.nrefused++;
            }
        }
    }
    sync_cons = cons + n;
    first = b.cons[0];
    orig = b;

    st = smmuv3_accel_batch_flush(&b, at_sync, sync_cons, host_issue, &h,
                                  &res);
    CHECK(st == res.status);
    if (getenv("RULES_FUZZ_DEBUG")) {
        fprintf(stderr, "n=%u calls=%u status=%d err=%d retries=%u broadened=%u\n",
                n, h.calls, st, res.err, res.retries, res.broadened);
    }
    /*
     * Bounded: a refused command costs its failed call, one to issue
     * again the commands before it, and its broader command; transient
     * failures are retried SMMUV3_ACCEL_HOST_RETRIES times in all
     */
    CHECK(h.calls <= 3 * n + 2 * SMMUV3_ACCEL_HOST_RETRIES + 2);
    if (st == SMMUV3_ACCEL_FLUSH_OK) {
        CHECK(b.num == 0);
        for (i = 0; i < orig.num; i++) {
            CHECK(host_did(&h, orig.cmd[i]));
        }
        return;
    }
    /* What stays is the batch's tail, in order */
    CHECK(b.num >= 1 && b.num <= orig.num);
    k = orig.num - b.num;
    CHECK(!memcmp(b.cmd, orig.cmd[k], b.num * sizeof(b.cmd[0])));
    /* Every command before it was carried out */
    for (i = 0; i < k; i++) {
        CHECK(host_did(&h, orig.cmd[i]));
    }
    /* Positions never go back, and are where the queue stops */
    CHECK(res.failed_cons - first <= sync_cons - first);
    if (st == SMMUV3_ACCEL_FLUSH_ATC_TIMEOUT ||
        (st == SMMUV3_ACCEL_FLUSH_GAVE_UP && at_sync &&
         res.failed_cons == sync_cons)) {
        /* An ATC timeout at the CMD_SYNC (the last of them, for GAVE_UP) */
        CHECK(at_sync && res.err == -ETIMEDOUT);
        CHECK(res.failed_cons == sync_cons);
        for (i = 0; i < b.num; i++) {
            CHECK(b.cons[i] == sync_cons);
        }
    } else {
        CHECK(res.failed_cons == orig.cons[k]);
        CHECK(!memcmp(b.cons, &orig.cons[k], b.num * sizeof(b.cons[0])));
    }
}

/* 3: vEVENTQ records */
typedef struct Events {
    uint32_t n;
} Events;

static void count_event(void *opaque, const uint64_t *evt)
{
    ((Events *)opaque)->n++;
}

static void fuzz_vevents(Input *in)
{
    SMMUv3AccelVEventSeq seq = { .any = take(in, 1) & 1,
                                 .next = take(in, 4) };
    Events ev = { 0 };
    size_t len = in->left;
    uint8_t *buf = g_memdup2(in->p, len);   /* exact size: ASan sees overreads */
    uint64_t lost0 = seq.lost;

    smmuv3_accel_vevents_parse(&seq, buf, len, count_event, &ev);
    CHECK(ev.n <= len / (SMMUV3_ACCEL_VEVENT_HDR_SIZE +
                         SMMUV3_ACCEL_VEVENT_SIZE));
    CHECK(seq.lost >= lost0);
    g_free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Input in = { data, size };

    switch (take(&in, 1) % 4) {
    case 0:
        fuzz_vste(&in);
        break;
    case 1:
        fuzz_cmd(&in);
        break;
    case 2:
        fuzz_flush(&in);
        break;
    default:
        fuzz_vevents(&in);
        break;
    }
    return 0;
}

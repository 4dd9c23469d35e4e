// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smmuv3-hostile-guest: an NVMe controller as the source of DMA.  Just
 * enough of NVMe to make a controller that has no driver read its admin
 * submission queue, and the collection of the faults that DMA raises.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostile.h"

/* ------------------------------------------------------------------ */
/* A fault of the host: DMA through a valid but empty stage 1          */
/* ------------------------------------------------------------------ */

uint32_t nvme_rd(volatile uint8_t *bar, unsigned int off)
{
    return rd32(bar + off);
}

void nvme_wr(volatile uint8_t *bar, unsigned int off, uint32_t v)
{
    wr32(bar + off, v);
}

/* 64-bit NVMe registers as two 32-bit halves, low first */
static void nvme_wr64(volatile uint8_t *bar, unsigned int off, uint64_t v)
{
    nvme_wr(bar, off, (uint32_t)v);
    nvme_wr(bar, off + 4, (uint32_t)(v >> 32));
}

bool nvme_wait_rdy(volatile uint8_t *bar, uint32_t want, uint64_t ms)
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
bool nvme_fault_dma(struct ctx *c, const char *cfg_bdf,
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

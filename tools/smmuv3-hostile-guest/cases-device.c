// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smmuv3-hostile-guest: the cases in which a PCI device acts.
 * host-fault-event and vdevice-renumber (NVMe DMA that must fault in the
 * guest's stage 1, the second after the guest renumbered buses),
 * cfgi-ste-cd and cfgi-cd-renumbered (which invalidations drop a CD the
 * SMMU cached), and eventq-msix (an event record written onto the MSI-X
 * table of a root port).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostile.h"

/* ------------------------------------------------------------------ */
/* host-fault-event: DMA through a valid but empty stage 1             */
/* ------------------------------------------------------------------ */

/*
 * host-fault-event: the device's DMA through a legal stage 1 that maps
 * nothing; the host's fault must reach the guest's event queue.
 */
void case_host_fault(struct ctx *c, const char *name)
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
void case_vdevice_renumber(struct ctx *c, const char *name)
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
void case_cfgi_ste_cd(struct ctx *c, const char *name)
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
void case_cfgi_cd_renumbered(struct ctx *c, const char *name)
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
void case_eventq_msix(struct ctx *c, const char *name)
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

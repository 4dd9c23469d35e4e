// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smmuv3-hostile-guest: the plumbing.  Time, the output lines (PASS, FAIL,
 * INFO), files and sysfs, the device tree and the spare RAM it describes,
 * the PCI devices and their config space, and mappings of /dev/mem.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hostile.h"

int npass, nfail;

uint64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t now_ms(void)
{
    return now_us() / 1000;
}

void pause_us(uint64_t us)
{
    struct timespec ts = { .tv_sec = (time_t)(us / 1000000),
                           .tv_nsec = (long)(us % 1000000) * 1000 };

    nanosleep(&ts, NULL);
}

void report(const char *name, bool ok, const char *fmt, ...)
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

void info(const char *fmt, ...)
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
void cat(char *buf, size_t len, const char *fmt, ...)
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
void __attribute__((format(printf, 3, 4)))
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

ssize_t read_file(const char *path, void *buf, size_t len)
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
bool dt_find(const char *node, unsigned int ac, unsigned int sc,
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
bool find_spare_ram(struct ctx *c, char *why, size_t whylen)
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

bool is_nvme(const char *bdf)
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
bool find_device(struct ctx *c, const char *want, char *why, size_t whylen)
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
void keep_drivers_away(const char *bdf)
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

volatile uint8_t *map_phys(int fd, uint64_t pa, uint64_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)pa);

    return p == MAP_FAILED ? NULL : (volatile uint8_t *)p;
}

/* ------------------------------------------------------------------ */
/* PCI config space                                                    */
/* ------------------------------------------------------------------ */

/* @len bytes at @off of the config space of the PCI device in sysfs directory @dir */
bool config_io(const char *dir, unsigned int off, uint8_t *buf,
               size_t len, bool write)
{
    char path[PATH_MAX + 16];
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
bool pci_command_rd(const char *bdf, uint16_t *v)
{
    char dir[4096];
    uint8_t b[2] = { 0, 0 };
    bool ok;

    snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", bdf);
    ok = config_io(dir, 4, b, 2, false);
    *v = (uint16_t)(b[0] | b[1] << 8);
    return ok;
}

bool pci_command_wr(const char *bdf, uint16_t v)
{
    uint8_t b[2] = { v & 0xff, v >> 8 };
    char dir[4096];

    snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", bdf);
    return config_io(dir, 4, b, 2, true);
}

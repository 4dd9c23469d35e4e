// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dmabench: O_DIRECT block I/O with data verification, for the testbed's
 * performance runs (make bench): every byte read or written is a DMA of
 * the device, so its throughput is that of the DMA path (the IOMMU
 * included).
 *
 *   dmabench DEV read|write seq|rand BLOCK_SIZE QUEUE_DEPTH MIB [SEED]
 *
 * QUEUE_DEPTH threads each keep one request in flight (synchronous
 * pread/pwrite), on disjoint blocks of the first MIB MiB of DEV: together
 * QUEUE_DEPTH requests.  Writes fill each block with a pattern derived
 * from its offset and SEED; reads check every block against that pattern,
 * so a read run must follow a write run with the same SEED and sizes.
 * Prints one line:
 *
 *   DMABENCH <rw> <seq|rand> bs=<bytes> qd=<n> bytes=<n> usec=<n>
 *            MBps=<x> IOPS=<n> verify=<ok|FAILED at offset>
 *
 * Exit status 0 if every request completed and verified.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct job {
    int fd;
    bool write, rand;
    size_t bs;
    uint64_t nblocks;       /* blocks of the whole run */
    unsigned int qd, id;
    uint64_t seed;
    int err;                /* errno of a failed request */
    int64_t bad;            /* offset of a block that did not verify, or -1 */
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

/* The content of the block at @off: 8-byte words from its offset */
static void pattern(uint64_t *buf, size_t bs, uint64_t off, uint64_t seed)
{
    for (size_t i = 0; i < bs / 8; i++) {
        buf[i] = mix(seed ^ (off + 8 * i));
    }
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;

        a = b;
        b = t;
    }
    return a;
}

/*
 * Thread @id takes blocks id, id + qd, ...: in order, or in the order of
 * the permutation k -> (a * k + c) mod n, a prime to n
 */
static void *worker(void *arg)
{
    struct job *j = arg;
    uint64_t *buf, *want = NULL;
    uint64_t n = (j->nblocks - j->id + j->qd - 1) / j->qd;
    uint64_t a = n > 1 ? mix(j->seed + j->id) % n : 1, c = j->seed % n;

    while (gcd(a, n) != 1) {
        a++;
    }

    if (posix_memalign((void **)&buf, 4096, j->bs) ||
        (!j->write && posix_memalign((void **)&want, 4096, j->bs))) {
        j->err = ENOMEM;
        return NULL;
    }
    for (uint64_t k = 0; k < n; k++) {
        uint64_t blk = j->id + (j->rand ? (a * k + c) % n : k) * j->qd;
        uint64_t off = blk * j->bs;
        ssize_t r;

        if (j->write) {
            pattern(buf, j->bs, off, j->seed);
            r = pwrite(j->fd, buf, j->bs, off);
        } else {
            r = pread(j->fd, buf, j->bs, off);
        }
        if (r != (ssize_t)j->bs) {
            j->err = r < 0 ? errno : EIO;
            break;
        }
        if (!j->write) {
            pattern(want, j->bs, off, j->seed);
            if (memcmp(buf, want, j->bs) && j->bad < 0) {
                j->bad = off;
            }
        }
    }
    free(buf);
    free(want);
    return NULL;
}

int main(int argc, char **argv)
{
    struct timespec t0, t1;
    pthread_t th[256];
    struct job jobs[256];
    unsigned int qd;
    size_t bs;
    uint64_t mib, seed, bytes, usec;
    int64_t bad = -1;
    int fd, err = 0;
    bool wr, rnd;

    if (argc < 7 || argc > 8) {
        fprintf(stderr, "usage: %s DEV read|write seq|rand BLOCK_SIZE "
                "QUEUE_DEPTH MIB [SEED]\n", argv[0]);
        return 2;
    }
    wr = !strcmp(argv[2], "write");
    rnd = !strcmp(argv[3], "rand");
    bs = strtoul(argv[4], NULL, 0);
    qd = strtoul(argv[5], NULL, 0);
    mib = strtoull(argv[6], NULL, 0);
    seed = argc == 8 ? strtoull(argv[7], NULL, 0) : 1;
    if ((!wr && strcmp(argv[2], "read")) || (!rnd && strcmp(argv[3], "seq")) ||
        bs < 4096 || bs % 4096 || !qd || qd > 256 || !mib ||
        (mib << 20) % bs || (mib << 20) / bs < qd) {
        fprintf(stderr, "%s: bad arguments\n", argv[0]);
        return 2;
    }
    fd = open(argv[1], (wr ? O_WRONLY : O_RDONLY) | O_DIRECT);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (unsigned int i = 0; i < qd; i++) {
        jobs[i] = (struct job) {
            .fd = fd, .write = wr, .rand = rnd, .bs = bs,
            .nblocks = (mib << 20) / bs, .qd = qd, .id = i, .seed = seed,
            .bad = -1,
        };
        if (pthread_create(&th[i], NULL, worker, &jobs[i])) {
            perror("pthread_create");
            return 1;
        }
    }
    for (unsigned int i = 0; i < qd; i++) {
        pthread_join(th[i], NULL);
        err = err ? err : jobs[i].err;
        if (jobs[i].bad >= 0 && (bad < 0 || jobs[i].bad < bad)) {
            bad = jobs[i].bad;
        }
    }
    if (wr && !err && fdatasync(fd)) {
        err = errno;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    close(fd);

    bytes = mib << 20;
    usec = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000 +
           (t1.tv_nsec - t0.tv_nsec) / 1000;
    usec = usec ? usec : 1;
    printf("DMABENCH %s %s bs=%zu qd=%u bytes=%" PRIu64 " usec=%" PRIu64
           " MBps=%.1f IOPS=%" PRIu64 " verify=", argv[2], argv[3], bs, qd,
           bytes, usec, (double)bytes / usec, bytes / bs * 1000000 / usec);
    if (err) {
        printf("FAILED (%s)\n", strerror(err));
    } else if (bad >= 0) {
        printf("FAILED at offset %" PRId64 "\n", bad);
    } else {
        printf("%s\n", wr ? "written" : "ok");
    }
    return err || bad >= 0;
}

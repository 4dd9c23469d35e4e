// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smmuv3-accel-probe: the host's NVIDIA Tegra241 CMDQV, as QEMU's cmdqv=on
 * needs it.
 *
 * With a CMDQV beside the host SMMU, a guest writes its TLB invalidations
 * into a virtual command queue (VCMDQ) that the SMMU consumes directly,
 * through a virtual interface (VINTF) whose page 0 the VMM maps into the
 * guest.  These steps do what the VMM and a guest do with it, on the
 * device's nesting parent: allocate a vIOMMU of type TEGRA241_CMDQV and
 * mmap its VINTF page 0 (cmdqv-vintf); allocate a queue in the IOAS, enable
 * it, write TLBI_NH_VA and CMD_SYNC, move PROD and see the SMMU move CONS
 * (cmdqv-queue); and check the boundary that makes it safe to give a guest
 * (cmdqv-filter): a CFGI_STE and an undefined command on that queue must
 * stop it with CERROR_ILL, toggle its GERROR and bring a vEVENT with the
 * queue in its error map, and the queue must go on once the error is
 * acknowledged, as a guest does it.
 *
 * Written from the Linux 7.2 sources (drivers/iommu/iommufd/viommu.c,
 * drivers/iommu/arm/arm-smmu-v3/tegra241-cmdqv.c) and the uAPI header.
 * Without a CMDQV on the host, the steps SKIP: cmdqv=on needs one, plain
 * accel=on does not.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

/* A VCMDQ's registers in its VINTF's page 0 (logical queue 0) */
#define VCMDQ_CONS		0x00
#define VCMDQ_PROD		0x04
#define VCMDQ_CONFIG		0x08
#define VCMDQ_STATUS		0x0c
#define VCMDQ_GERROR		0x10
#define VCMDQ_GERRORN		0x14
#define CONS_ERR(c)		(((c) >> 24) & 0x7f)
#define CERROR_ILL		1

#define CMD_CFGI_STE		0x03ULL
#define CMD_TLBI_NH_VA		0x12ULL
#define CMD_UNDEFINED		0x7fULL
#define CMD_SYNC		0x46ULL	/* CS=0: no interrupt, no MSI */

/*
 * The queue: 4 KiB (256 commands) at the start of one host page, at a
 * guest address of the probe's
 */
#define QUEUE_BYTES		4096U
#define QUEUE_ENTRIES		(QUEUE_BYTES / 16)
#define INDEX_MASK		(2 * QUEUE_ENTRIES - 1)	/* index and wrap */
/* What a guest writes in TLBI_NH_VA's VMID field: another VM's, say */
#define FOREIGN_VMID		0xffffULL
#define QUEUE_IOVA		0x80000000ULL
#define POLL_MS			1000

#ifdef IOMMU_HW_QUEUE_ALLOC
static struct {
	uint32_t viommu_id;
	uint32_t hw_queue_id;
	uint32_t veventq_id;
	int veventq_fd;
	volatile uint32_t *page0;
	size_t page0_len;
	uint64_t (*queue)[2];
	size_t queue_map;	/* what is mapped: a host page at least */
	bool mapped;
	uint32_t prod;
} cv = { .veventq_fd = -1 };

static void dump_none(const void *arg, const void *data)
{
	(void)arg;
	(void)data;
	if (vout)
		fputs("(see the step's line)", vout);
}

static uint32_t reg(unsigned int off)
{
	return le32toh(cv.page0[off / 4]);
}

/* As Linux's writel(): the queue's entries are visible to the SMMU first */
static void set_reg(unsigned int off, uint32_t val)
{
#ifdef __aarch64__
	__asm__ volatile("dmb oshst" ::: "memory");
#else
	__sync_synchronize();
#endif
	cv.page0[off / 4] = htole32(val);
}

/* The queue stopped on an error, not yet acknowledged */
static bool in_error(void)
{
	return reg(VCMDQ_GERROR) != reg(VCMDQ_GERRORN);
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/*
 * Wait until CONS's index is @idx or the queue is in error (CONS.ERR means
 * something only then): true if it got there; *us: how long it took
 */
static bool wait_cons(uint32_t idx, long long *us)
{
	long long t0 = now_us();

	for (;;) {
		if ((reg(VCMDQ_CONS) & INDEX_MASK) == idx || in_error())
			break;
		if (now_us() - t0 > POLL_MS * 1000LL) {
			*us = now_us() - t0;
			return false;
		}
		usleep(10);
	}
	*us = now_us() - t0;
	return (reg(VCMDQ_CONS) & INDEX_MASK) == idx;
}

/* Queue one command and move PROD past it */
static void issue(uint64_t w0, uint64_t w1)
{
	unsigned int i = cv.prod % QUEUE_ENTRIES;

	cv.queue[i][0] = htole64(w0);
	cv.queue[i][1] = htole64(w1);
	cv.prod = (cv.prod + 1) & INDEX_MASK;
	set_reg(VCMDQ_PROD, cv.prod);
}

void step_cmdqv_vintf(void)
{
	struct iommu_hw_info_tegra241_cmdqv info;
	struct iommu_viommu_tegra241_cmdqv data;
	struct iommu_viommu_alloc a;
	struct iommu_hw_info hi;
	void *p;
	int rc;

	memset(&info, 0, sizeof(info));
	memset(&hi, 0, sizeof(hi));
	hi.size = sizeof(hi);
	hi.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	hi.dev_id = g.dev_id;
	hi.data_len = sizeof(info);
	hi.data_uptr = (uintptr_t)&info;
	hi.in_data_type = IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV;
	rc = xioctl(g.iommufd, IOMMU_GET_HW_INFO, "IOMMU_GET_HW_INFO", &hi,
		    NULL, dump_none);
	if (rc == -EOPNOTSUPP || rc == -EINVAL) {
		report(S_CMDQV_VINTF, ST_SKIP, -rc,
		       "the host SMMU has no Tegra241 CMDQV, or the kernel does not drive it (CONFIG_TEGRA241_CMDQV, arm_smmu_v3.disable_cmdqv) (IOMMU_GET_HW_INFO of type TEGRA241_CMDQV: %s): cmdqv=on cannot work here, accel=on does not need it",
		       errno_name(-rc));
		return;
	}
	if (rc) {
		report(S_CMDQV_VINTF, ST_FAIL, -rc,
		       "IOMMU_GET_HW_INFO(TEGRA241_CMDQV) failed: %s (%s): %s",
		       errno_name(-rc), strerror(-rc), generic_meaning(-rc));
		return;
	}

	memset(&data, 0, sizeof(data));
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV;
	a.dev_id = g.dev_id;
	a.hwpt_id = g.parent_id;
	a.data_len = sizeof(data);
	a.data_uptr = (uintptr_t)&data;
	rc = xioctl(g.iommufd, IOMMU_VIOMMU_ALLOC, "IOMMU_VIOMMU_ALLOC", &a,
		    NULL, dump_none);
	if (rc) {
		report(S_CMDQV_VINTF, ST_FAIL, -rc,
		       "IOMMU_VIOMMU_ALLOC(TEGRA241_CMDQV) failed: %s (%s): %s",
		       errno_name(-rc), strerror(-rc),
		       -rc == ENOSPC ? "every VINTF of the CMDQV is taken" :
		       generic_meaning(-rc));
		return;
	}
	cv.viommu_id = a.out_viommu_id;
	p = mmap(NULL, data.out_vintf_mmap_length, PROT_READ | PROT_WRITE,
		 MAP_SHARED, g.iommufd, (off_t)data.out_vintf_mmap_offset);
	if (p == MAP_FAILED) {
		rc = errno;
		report(S_CMDQV_VINTF, ST_FAIL, rc,
		       "mmap of the VINTF's page 0 (offset %#llx, %llu bytes) failed: %s (%s)",
		       (unsigned long long)data.out_vintf_mmap_offset,
		       (unsigned long long)data.out_vintf_mmap_length,
		       errno_name(rc), strerror(rc));
		return;
	}
	cv.page0 = p;
	cv.page0_len = data.out_vintf_mmap_length;
	report(S_CMDQV_VINTF, ST_PASS, 0,
	       "CMDQV version %u, %u VCMDQs and %u StreamID mappings a VINTF; vIOMMU id %u (type TEGRA241_CMDQV), its VINTF's page 0 mapped (%zu bytes)",
	       info.version, 1U << info.log2vcmdqs, 1U << info.log2vsids,
	       cv.viommu_id, cv.page0_len);
}

void step_cmdqv_queue(void)
{
	struct iommu_hw_queue_alloc q;
	struct iommu_ioas_map m;
	long long us;
	long page = sysconf(_SC_PAGESIZE);
	void *p;
	int rc;

	/* IOAS_MAP takes whole host pages (64 KiB ones on some hosts) */
	cv.queue_map = page > (long)QUEUE_BYTES ? (size_t)page : QUEUE_BYTES;
	p = mmap(NULL, cv.queue_map, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED) {
		rc = errno;
		report(S_CMDQV_QUEUE, ST_FAIL, rc, "no memory for a queue: %s",
		       strerror(rc));
		return;
	}
	cv.queue = p;
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
		  IOMMU_IOAS_MAP_WRITEABLE;
	m.ioas_id = g.ioas_id;
	m.user_va = (uintptr_t)p;
	m.length = cv.queue_map;
	m.iova = QUEUE_IOVA;
	rc = xioctl(g.iommufd, IOMMU_IOAS_MAP, "IOMMU_IOAS_MAP", &m, NULL,
		    dump_none);
	if (rc) {
		report(S_CMDQV_QUEUE, ST_FAIL, -rc,
		       "IOMMU_IOAS_MAP of the queue at IOVA %#llx failed: %s (%s)",
		       QUEUE_IOVA, errno_name(-rc), strerror(-rc));
		return;
	}
	cv.mapped = true;

	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.viommu_id = cv.viommu_id;
	q.type = IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV;
	q.index = 0;
	q.nesting_parent_iova = QUEUE_IOVA;
	q.length = QUEUE_BYTES;
	rc = xioctl(g.iommufd, IOMMU_HW_QUEUE_ALLOC, "IOMMU_HW_QUEUE_ALLOC", &q,
		    NULL, dump_none);
	if (rc) {
		report(S_CMDQV_QUEUE, ST_FAIL, -rc,
		       "IOMMU_HW_QUEUE_ALLOC(TEGRA241_CMDQV, index 0, %u bytes at IOVA %#llx) failed: %s (%s): %s",
		       QUEUE_BYTES, QUEUE_IOVA, errno_name(-rc), strerror(-rc),
		       -rc == EFAULT ? "the queue's memory is not physically contiguous" :
		       generic_meaning(-rc));
		return;
	}
	cv.hw_queue_id = q.out_hw_queue_id;

	/* What the guest does: enable the queue, then issue */
	set_reg(VCMDQ_CONFIG, 1);
	for (int i = 0; i < 1000 && !(reg(VCMDQ_STATUS) & 1); i++)
		usleep(100);
	if (!(reg(VCMDQ_STATUS) & 1)) {
		report(S_CMDQV_QUEUE, ST_FAIL, 0,
		       "the VCMDQ did not come up after CONFIG.EN (STATUS %#x)",
		       reg(VCMDQ_STATUS));
		return;
	}
	cv.prod = reg(VCMDQ_PROD) & INDEX_MASK;
	/* ASID 1, and a VMID that is not the VINTF's: the host forces its own */
	issue(CMD_TLBI_NH_VA | 1ULL << 48 | FOREIGN_VMID << 32, 0);
	issue(CMD_SYNC, 0);
	if (!wait_cons(cv.prod, &us)) {
		report(S_CMDQV_QUEUE, ST_FAIL, 0,
		       "the host SMMU did not consume TLBI_NH_VA + CMD_SYNC within %d ms: CONS %#x, PROD %#x, GERROR %#x, GERRORN %#x",
		       POLL_MS, reg(VCMDQ_CONS), cv.prod, reg(VCMDQ_GERROR),
		       reg(VCMDQ_GERRORN));
		return;
	}
	report(S_CMDQV_QUEUE, ST_PASS, 0,
	       "HW queue id %u (%u bytes at IOVA %#llx) enabled; TLBI_NH_VA (naming VMID 0xffff) + CMD_SYNC written to it, consumed by the host SMMU in %lld us with no VMM in between",
	       cv.hw_queue_id, QUEUE_BYTES, QUEUE_IOVA, us);
}

/*
 * Issue @w0 (a command a guest must not issue): the queue must stop at it
 * with CERROR_ILL and the host must send a vEVENT with logical queue 0 in
 * its error map; then acknowledge as a guest does (the command becomes a
 * CMD_SYNC, GERRORN = GERROR) and see the queue go on.  0, or a reason in
 * @why.
 */
static int refused(const char *what, uint64_t w0, char *why, size_t len)
{
	struct {
		struct iommufd_vevent_header h;
		struct iommu_vevent_tegra241_cmdqv e;
	} ev;
	uint32_t at = cv.prod, cons, gerror;
	struct pollfd pfd = { .fd = cv.veventq_fd, .events = POLLIN };
	long long us;
	ssize_t n;

	issue(w0, 0);
	if (wait_cons(cv.prod, &us) && !in_error()) {
		snprintf(why, len, "the host SMMU executed a %s from a guest's queue (CONS %#x): its HYP_OWN=0 filter is missing, a guest could reach what it does not own",
			 what, reg(VCMDQ_CONS));
		return -1;
	}
	cons = reg(VCMDQ_CONS);
	gerror = reg(VCMDQ_GERROR);
	if (!in_error() || CONS_ERR(cons) != CERROR_ILL ||
	    (cons & INDEX_MASK) != at) {
		snprintf(why, len, "%s: expected CERROR_ILL at CONS %#x and GERROR toggled, got CONS %#x, GERROR %#x, GERRORN %#x",
			 what, at, cons, gerror, reg(VCMDQ_GERRORN));
		return -1;
	}
	if (poll(&pfd, 1, POLL_MS) != 1) {
		snprintf(why, len, "%s: CERROR_ILL, but no vEVENT within %d ms",
			 what, POLL_MS);
		return -1;
	}
	n = read(cv.veventq_fd, &ev, sizeof(ev));
	if (n != (ssize_t)sizeof(ev) || !(le64toh(ev.e.lvcmdq_err_map[0]) & 1)) {
		snprintf(why, len, "%s: CERROR_ILL, but the vEVENT (%zd bytes) does not name logical queue 0",
			 what, n);
		return -1;
	}
	cv.queue[at % QUEUE_ENTRIES][0] = htole64(CMD_SYNC);
	set_reg(VCMDQ_GERRORN, gerror);
	if (!wait_cons(cv.prod, &us)) {
		snprintf(why, len, "%s: the queue did not go on after GERRORN (CONS %#x)",
			 what, reg(VCMDQ_CONS));
		return -1;
	}
	return 0;
}

void step_cmdqv_filter(void)
{
	struct iommu_veventq_alloc a;
	char why[512];
	int rc;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.viommu_id = cv.viommu_id;
	a.type = IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV;
	a.veventq_depth = 8;
	rc = xioctl(g.iommufd, IOMMU_VEVENTQ_ALLOC, "IOMMU_VEVENTQ_ALLOC", &a,
		    NULL, dump_none);
	if (rc) {
		report(S_CMDQV_FILTER, ST_FAIL, -rc,
		       "IOMMU_VEVENTQ_ALLOC(TEGRA241_CMDQV) failed: %s (%s): %s",
		       errno_name(-rc), strerror(-rc), generic_meaning(-rc));
		return;
	}
	cv.veventq_id = a.out_veventq_id;
	cv.veventq_fd = (int)a.out_veventq_fd;
	if (refused("CFGI_STE", CMD_CFGI_STE, why, sizeof(why)) ||
	    refused("undefined command 0x7f", CMD_UNDEFINED, why, sizeof(why))) {
		report(S_CMDQV_FILTER, ST_FAIL, 0, "%s", why);
		return;
	}
	report(S_CMDQV_FILTER, ST_PASS, 0,
	       "a CFGI_STE and an undefined command each stopped the queue with CERROR_ILL and a vEVENT naming it; after the guest's GERRORN it went on");
}

unsigned int cmdqv_cleanup(unsigned int *objs)
{
	unsigned int warn = 0;

	*objs += !!cv.viommu_id + !!cv.hw_queue_id + !!cv.veventq_id;
	if (cv.page0 && cv.hw_queue_id)
		set_reg(VCMDQ_CONFIG, 0);
	if (cv.veventq_fd >= 0)
		close(cv.veventq_fd);
	cv.veventq_fd = -1;
	warn += !!destroy(&cv.veventq_id, "Tegra241 vEVENTQ");
	warn += !!destroy(&cv.hw_queue_id, "Tegra241 HW queue");
	if (cv.page0)
		munmap((void *)cv.page0, cv.page0_len);
	cv.page0 = NULL;
	warn += !!destroy(&cv.viommu_id, "Tegra241 vIOMMU");
	if (cv.mapped) {
		struct iommu_ioas_unmap u = {
			.size = sizeof(u), .ioas_id = g.ioas_id,
			.iova = QUEUE_IOVA, .length = cv.queue_map,
		};

		warn += !!xioctl(g.iommufd, IOMMU_IOAS_UNMAP, "IOMMU_IOAS_UNMAP",
				 &u, NULL, dump_none);
		cv.mapped = false;
	}
	if (cv.queue)
		munmap(cv.queue, cv.queue_map);
	cv.queue = NULL;
	return warn;
}
#else	/* uAPI headers without HW queues (Linux < 6.17) */
static void built_without(enum step_id id)
{
	report(id, ST_SKIP, 0,
	       "built with uAPI headers older than Linux 6.17 (no IOMMU_HW_QUEUE_ALLOC): rebuild with UAPI_INCLUDE=/path/to/qemu/linux-headers");
}
void step_cmdqv_vintf(void) { built_without(S_CMDQV_VINTF); }
void step_cmdqv_queue(void) { built_without(S_CMDQV_QUEUE); }
void step_cmdqv_filter(void) { built_without(S_CMDQV_FILTER); }
unsigned int cmdqv_cleanup(unsigned int *objs) { (void)objs; return 0; }
#endif

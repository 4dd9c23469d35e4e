// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smmuv3-accel-probe: can this host back QEMU's "arm-smmuv3,accel=on"?
 *
 * Walks, on one vfio-pci device, every iommufd step that the accelerated
 * SMMUv3 of QEMU performs: bind the VFIO device cdev to an iommufd, read the
 * host SMMUv3 ID registers, allocate an IOAS, a nesting-parent (stage-2)
 * HWPT, a vIOMMU, a vDEVICE, nested HWPTs (abort, bypass, stage-1), attach
 * and replace them, forward invalidations and open a vEVENTQ. Each step
 * prints PASS, FAIL, WARN or SKIP and a precise reason; everything allocated
 * is destroyed again before exit.
 *
 * Written from the Linux uAPI headers (linux/iommufd.h, linux/vfio.h) and the
 * Linux 7.2 sources of drivers/iommu/iommufd, arm-smmu-v3-iommufd.c and
 * tegra241-cmdqv.c.
 *
 * With a Tegra241 CMDQV on the host, the steps in cmdqv.c check it as QEMU's
 * cmdqv=on uses it (a VINTF, a queue a guest fills, the filter of what a
 * guest may issue); they have their own result line.
 *
 * Exit status: 0 ready, 1 not ready, 2 usage error, 3 ready for accel=on
 * but the host's CMDQV failed a check.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#if defined(__has_include) && !defined(__CPPCHECK__)
#if !__has_include(<linux/iommufd.h>)
#error "<linux/iommufd.h> not found: build with UAPI_INCLUDE=<dir>, e.g. make UAPI_INCLUDE=/path/to/qemu/linux-headers"
#endif
#endif
#include "probe.h"

#if !defined(IOMMU_VIOMMU_ALLOC) || !defined(IOMMU_VDEVICE_ALLOC) || \
	!defined(IOMMU_VEVENTQ_ALLOC) || !defined(VFIO_DEVICE_BIND_IOMMUFD) || \
	!defined(VFIO_DEVICE_ATTACH_IOMMUFD_PT)
#error "uAPI headers too old (need Linux >= 6.15: vIOMMU, vDEVICE, vEVENTQ); build with UAPI_INCLUDE=/path/to/qemu/linux-headers"
#endif

/*
 * IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED (1 << 3) is missing from the headers of
 * Linux 6.17 and older (QEMU 10.2's sync) but reported by current kernels. Where it exists it is an enumerator, not a
 * macro, so #ifndef cannot see it: use a private name with the kernel's value.
 */
#define PROBE_HW_CAP_PCI_ATS_NOT_SUPPORTED (1ULL << 3)

/* ABI offsets of what we fill in: the same on every architecture. */
_Static_assert(offsetof(struct iommu_hw_info, data_uptr) == 16, "iommu_hw_info");
_Static_assert(offsetof(struct iommu_hw_info, out_data_type) == 24, "iommu_hw_info");
_Static_assert(offsetof(struct iommu_hw_info, out_capabilities) == 32, "iommu_hw_info");
_Static_assert(sizeof(struct iommu_hw_info_arm_smmuv3) >= 40, "iommu_hw_info_arm_smmuv3");
_Static_assert(offsetof(struct iommu_hwpt_alloc, data_uptr) == 32, "iommu_hwpt_alloc");
_Static_assert(offsetof(struct iommu_viommu_alloc, out_viommu_id) == 20, "iommu_viommu_alloc");
_Static_assert(offsetof(struct iommu_vdevice_alloc, virt_id) == 16, "iommu_vdevice_alloc");
_Static_assert(offsetof(struct iommu_hwpt_invalidate, entry_num) == 24, "iommu_hwpt_invalidate");
_Static_assert(sizeof(struct iommu_viommu_arm_smmuv3_invalidate) == 16, "SMMUv3 command");
_Static_assert(sizeof(struct iommu_hwpt_arm_smmuv3) == 16, "vSTE");
_Static_assert(offsetof(struct iommu_veventq_alloc, out_veventq_fd) == 24, "iommu_veventq_alloc");
_Static_assert(offsetof(struct vfio_device_bind_iommufd, out_devid) == 12, "vfio bind");
_Static_assert(offsetof(struct vfio_device_attach_iommufd_pt, pt_id) == 8, "vfio attach");

/* SMMUv3 architecture: STE, command and ID register encodings. */
#define STE0_V			(1ULL << 0)
#define STE0_CFG(c)		((uint64_t)(c) << 1)	/* bits [3:1] */
#define STE_CFG_ABORT		0x0ULL
#define STE_CFG_BYPASS		0x4ULL
#define STE_CFG_S1_TRANS	0x5ULL
#define STE0_S1FMT_LINEAR	(0ULL << 4)		/* bits [5:4] */
#define STE0_S1CTXPTR_MASK	0x000fffffffffffc0ULL	/* bits [51:6] */
#define STE0_S1CDMAX(n)		((uint64_t)(n) << 59)	/* bits [63:59] */
#define STE1_S1DSS_TERMINATE	0x0ULL			/* bits [1:0] */
#define STE1_S1CIR(x)		((uint64_t)(x) << 2)
#define STE1_S1COR(x)		((uint64_t)(x) << 4)
#define STE1_S1CSH(x)		((uint64_t)(x) << 6)
#define STE_CACHE_WBRA		1ULL
#define STE_SH_ISH		3ULL

#define CMD_CFGI_CD		0x05ULL
#define CMD_TLBI_NH_ASID	0x11ULL
#define CMD_SYNC		0x46ULL
#define CMD_TLBI_ASID(a)	((uint64_t)(a) << 48)	/* word 0 [63:48] */
#define CMD_CFGI_SSID(s)	((uint64_t)(s) << 12)	/* word 0 [31:12] */
#define CMD_CFGI_SID(s)		((uint64_t)(s) << 32)	/* word 0 [63:32] */
#define CMD_CFGI_LEAF		(1ULL << 0)		/* word 1 [0] */

#define IDR0_S2P		(1U << 0)
#define IDR0_S1P		(1U << 1)
#define IDR3_FWB		(1U << 8)

#define DEFAULT_VSID		0x8ULL
#define DEFAULT_S1_CTX		0x40000000ULL
#define VEVENTQ_DEPTH		64

/* ---------------------------------------------------------------------- */
/* Options and output                                                       */

bool opt_verbose;
static bool opt_json;
static uint64_t opt_vsid = DEFAULT_VSID;
static uint64_t opt_s1_ctx = DEFAULT_S1_CTX;
FILE *vout;	/* -v dumps: stdout in text mode, stderr with --json */

static const char *const status_name[] = {
	[ST_NONE] = "NONE", [ST_PASS] = "PASS", [ST_WARN] = "WARN",
	[ST_FAIL] = "FAIL", [ST_SKIP] = "SKIP",
};

#define B(s) (1U << (s))
static const struct {
	const char *name;
	unsigned int deps;	/* steps that must have passed (or warned) */
} step_def[S_NR] = {
	[S_IOMMUFD]		= { "iommufd", 0 },
	[S_VFIO_CDEV]		= { "vfio-cdev", B(S_IOMMUFD) },
	[S_HW_INFO]		= { "hw-info", B(S_VFIO_CDEV) },
	[S_IOAS]		= { "ioas", B(S_HW_INFO) },
	[S_NEST_PARENT]		= { "nest-parent", B(S_IOAS) },
	[S_VIOMMU]		= { "viommu", B(S_NEST_PARENT) },
	[S_VDEVICE]		= { "vdevice", B(S_VIOMMU) },
	[S_NESTED_ABORT]	= { "nested-abort", B(S_VIOMMU) },
	[S_NESTED_BYPASS]	= { "nested-bypass", B(S_VIOMMU) },
	[S_ATTACH]		= { "attach", B(S_NESTED_ABORT) | B(S_NESTED_BYPASS) },
	[S_NESTED_S1]		= { "nested-s1", B(S_VDEVICE) | B(S_ATTACH) },
	[S_INVALIDATE]		= { "invalidate", B(S_VDEVICE) },
	[S_INVALIDATE_REJECT]	= { "invalidate-reject", B(S_VIOMMU) },
	[S_VEVENTQ]		= { "veventq", B(S_VIOMMU) },
	[S_CMDQV_VINTF]		= { "cmdqv-vintf", B(S_NEST_PARENT) },
	[S_CMDQV_QUEUE]		= { "cmdqv-queue", B(S_CMDQV_VINTF) },
	[S_CMDQV_FILTER]	= { "cmdqv-filter", B(S_CMDQV_QUEUE) },
};

static enum status step_status[S_NR];
/* The first failed step: of accel=on, and of the CMDQV (cmdqv=on) */
static int first_fail = -1, cmdqv_fail = -1;
static char first_fail_reason[1024], cmdqv_fail_reason[1024];

/* Optional extras consumed by the next report(): hint lines, JSON members. */
static char hint_buf[2048];
static char json_extra[8192];
static bool hint_text_only;	/* hint_buf is a decode for text mode only */

static const struct {
	int err;
	const char *name;
} errno_names[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EINTR, "EINTR" },
	{ EIO, "EIO" }, { ENXIO, "ENXIO" }, { E2BIG, "E2BIG" },
	{ EBADF, "EBADF" }, { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
	{ EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },
	{ EEXIST, "EEXIST" }, { ENODEV, "ENODEV" }, { ENOTDIR, "ENOTDIR" },
	{ EINVAL, "EINVAL" }, { ENFILE, "ENFILE" }, { EMFILE, "EMFILE" },
	{ ENOTTY, "ENOTTY" }, { ENOSPC, "ENOSPC" }, { ERANGE, "ERANGE" },
	{ ENOSYS, "ENOSYS" }, { EOVERFLOW, "EOVERFLOW" },
	{ EOPNOTSUPP, "EOPNOTSUPP" }, { ETIMEDOUT, "ETIMEDOUT" },
	{ EMSGSIZE, "EMSGSIZE" }, { ENOLINK, "ENOLINK" },
};

const char *errno_name(int err)
{
	static char buf[32];
	size_t i;

	for (i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (errno_names[i].err == err)
			return errno_names[i].name;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Append to a fixed buffer, silently truncating. */
static void bprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void bprintf(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

/* One result line. err: errno of the failure (0: none). */
static void emit(const char *step, enum status st, int err, const char *detail)
{
	if (opt_json) {
		fputs("{\"step\":", stdout);
		json_str(stdout, step);
		printf(",\"status\":\"%s\"", status_name[st]);
		if (err)
			printf(",\"errno\":\"%s\"", errno_name(err));
		fputs(",\"detail\":", stdout);
		json_str(stdout, detail);
		if (hint_buf[0] && !hint_text_only) {
			fputs(",\"hint\":", stdout);
			json_str(stdout, hint_buf);
		}
		if (json_extra[0])
			printf(",%s", json_extra);
		fputs("}\n", stdout);
	} else {
		printf("%s %s: %s\n", status_name[st], step, detail);
		if (hint_buf[0]) {
			const char *p = hint_buf;

			while (*p) {
				const char *nl = strchr(p, '\n');
				int n = nl ? (int)(nl - p) : (int)strlen(p);

				printf("    %.*s\n", n, p);
				p += n + (nl ? 1 : 0);
			}
		}
	}
	hint_buf[0] = '\0';
	hint_text_only = false;
	json_extra[0] = '\0';
	fflush(stdout);
}

void report(enum step_id id, enum status st, int err,
	    const char *fmt, ...)
{
	char detail[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);

	if (st > step_status[id] || step_status[id] == ST_NONE)
		step_status[id] = st;
	if (st == ST_FAIL && id >= S_CMDQV_VINTF && cmdqv_fail < 0) {
		cmdqv_fail = (int)id;
		snprintf(cmdqv_fail_reason, sizeof(cmdqv_fail_reason), "%s",
			 detail);
	} else if (st == ST_FAIL && id < S_CMDQV_VINTF && first_fail < 0) {
		first_fail = (int)id;
		snprintf(first_fail_reason, sizeof(first_fail_reason), "%s",
			 detail);
	}
	emit(step_def[id].name, st, err, detail);
}

static void hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void hint(const char *fmt, ...)
{
	size_t len = strlen(hint_buf);
	va_list ap;

	if (len && len + 2 < sizeof(hint_buf)) {
		hint_buf[len++] = '\n';
		hint_buf[len] = '\0';
	}
	if (len + 1 >= sizeof(hint_buf))
		return;
	va_start(ap, fmt);
	vsnprintf(hint_buf + len, sizeof(hint_buf) - len, fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------------- */
/* ioctl wrapper with -v struct dumps                                       */


static void vf(const char *name, unsigned long long v)
{
	fprintf(vout, " %s=%#llx", name, v);
}
#define VF(p, f) vf(#f, (unsigned long long)(p)->f)

static void dump_destroy(const void *arg, const void *data)
{
	const struct iommu_destroy *a = arg;

	(void)data;
	VF(a, size); VF(a, id);
}

static void dump_bind(const void *arg, const void *data)
{
	const struct vfio_device_bind_iommufd *a = arg;

	(void)data;
	VF(a, argsz); VF(a, flags); VF(a, iommufd); VF(a, out_devid);
#ifdef VFIO_DEVICE_BIND_FLAG_TOKEN
	VF(a, token_uuid_ptr);
#endif
}

static void dump_attach(const void *arg, const void *data)
{
	const struct vfio_device_attach_iommufd_pt *a = arg;

	(void)data;
	VF(a, argsz); VF(a, flags); VF(a, pt_id);
#ifdef VFIO_DEVICE_ATTACH_PASID
	VF(a, pasid);
#endif
}

static void dump_detach(const void *arg, const void *data)
{
	const struct vfio_device_detach_iommufd_pt *a = arg;

	(void)data;
	VF(a, argsz); VF(a, flags);
}

static void dump_hw_info(const void *arg, const void *data)
{
	const struct iommu_hw_info *a = arg;

	(void)data;
	VF(a, size); VF(a, flags); VF(a, dev_id); VF(a, data_len);
	VF(a, data_uptr); VF(a, out_data_type); VF(a, out_max_pasid_log2);
	VF(a, out_capabilities);
}

static void dump_ioas_alloc(const void *arg, const void *data)
{
	const struct iommu_ioas_alloc *a = arg;

	(void)data;
	VF(a, size); VF(a, flags); VF(a, out_ioas_id);
}

static void dump_hwpt_alloc(const void *arg, const void *data)
{
	const struct iommu_hwpt_alloc *a = arg;

	VF(a, size); VF(a, flags); VF(a, dev_id); VF(a, pt_id);
	VF(a, out_hwpt_id); VF(a, data_type); VF(a, data_len);
	VF(a, data_uptr); VF(a, fault_id);
	if (a->data_type == IOMMU_HWPT_DATA_ARM_SMMUV3 && data &&
	    a->data_len >= sizeof(struct iommu_hwpt_arm_smmuv3)) {
		const struct iommu_hwpt_arm_smmuv3 *d = data;

		fprintf(vout, " ste={%#llx, %#llx}",
			(unsigned long long)le64toh(d->ste[0]),
			(unsigned long long)le64toh(d->ste[1]));
	}
}

static void dump_viommu_alloc(const void *arg, const void *data)
{
	const struct iommu_viommu_alloc *a = arg;

	(void)data;
	VF(a, size); VF(a, flags); VF(a, type); VF(a, dev_id); VF(a, hwpt_id);
	VF(a, out_viommu_id); VF(a, data_len); VF(a, data_uptr);
}

static void dump_vdevice_alloc(const void *arg, const void *data)
{
	const struct iommu_vdevice_alloc *a = arg;

	(void)data;
	VF(a, size); VF(a, viommu_id); VF(a, dev_id); VF(a, out_vdevice_id);
	VF(a, virt_id);
}

static void dump_invalidate(const void *arg, const void *data)
{
	const struct iommu_hwpt_invalidate *a = arg;
	const struct iommu_viommu_arm_smmuv3_invalidate *c = data;
	uint32_t i;

	VF(a, size); VF(a, hwpt_id); VF(a, data_uptr); VF(a, data_type);
	VF(a, entry_len); VF(a, entry_num);
	if (a->data_type != IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 || !c ||
	    a->entry_len != sizeof(*c))
		return;
	fputs(" cmds={", vout);
	for (i = 0; i < a->entry_num && i < 8; i++)
		fprintf(vout, "%s{%#llx, %#llx}", i ? ", " : "",
			(unsigned long long)le64toh(c[i].cmd[0]),
			(unsigned long long)le64toh(c[i].cmd[1]));
	fputs("}", vout);
}

static void dump_veventq_alloc(const void *arg, const void *data)
{
	const struct iommu_veventq_alloc *a = arg;

	(void)data;
	VF(a, size); VF(a, flags); VF(a, viommu_id); VF(a, type);
	VF(a, veventq_depth); VF(a, out_veventq_id); VF(a, out_veventq_fd);
}

/*
 * ioctl() returning 0 or -errno; with -v, dumps the struct (and the payload
 * its data_uptr points to) before and after the call.
 */
int xioctl(int fd, unsigned long req, const char *name, void *arg,
	   const void *data, dump_fn dump)
{
	int rc, err;

	if (opt_verbose) {
		fprintf(vout, "    ioctl(%d, %s) in: ", fd, name);
		dump(arg, data);
		fputc('\n', vout);
	}
	rc = ioctl(fd, req, arg);
	err = rc < 0 ? errno : 0;
	if (opt_verbose) {
		fprintf(vout, "    ioctl(%d, %s) = %d%s%s out: ", fd, name, rc,
			err ? " " : "", err ? errno_name(err) : "");
		dump(arg, data);
		fputc('\n', vout);
		fflush(vout);
	}
	return -err;
}

/* ---------------------------------------------------------------------- */
/* Probe state                                                              */

struct probe_state g = {
	.group = -1, .iommufd = -1, .devfd = -1, .veventq_fd = -1,
};

static const char *hw_info_type_name(uint32_t type)
{
	switch (type) {
	case 0: return "NONE";
	case 1: return "INTEL_VTD";
	case 2: return "ARM_SMMUV3";
	case 3: return "TEGRA241_CMDQV";
	case 4: return "AMD";
	default: return "unknown";
	}
}

/* Generic iommufd errno meanings (linux/iommufd.h, "General ioctl format"). */
const char *generic_meaning(int err)
{
	switch (err) {
	case ENOTTY:
		return "the running kernel does not know this ioctl (too old, or the feature is not built in)";
	case E2BIG:
		return "the kernel does not understand a non-zero field at the end of the struct (headers newer than the kernel)";
	case EOPNOTSUPP:
		return "the kernel understood the struct but does not support a value in it";
	case EINVAL:
		return "a field is not correct for this object";
	case ENOENT:
		return "an object ID does not exist";
	case ENOMEM:
		return "out of memory";
	case EOVERFLOW:
		return "arithmetic overflow";
	case EFAULT:
		return "bad user pointer";
	case EBUSY:
		return "the object is in use";
	default:
		return "unexpected error";
	}
}

/* ---------------------------------------------------------------------- */
/* Small sysfs helpers                                                      */

static bool path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* basename of a symlink target, or "" */
static void link_basename(const char *link, char *out, size_t outlen)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(link, buf, sizeof(buf) - 1);
	const char *b;

	out[0] = '\0';
	if (n <= 0)
		return;
	buf[n] = '\0';
	b = strrchr(buf, '/');
	b = b ? b + 1 : buf;
	if (strlen(b) < outlen)	/* a name that does not fit is no match */
		memcpy(out, b, strlen(b) + 1);
}

/* Parse hex digits up to sep ('\0' for the end); *s moves past sep. */
static bool hex_part(const char **s, char sep, unsigned long max,
		     unsigned long *out)
{
	const char *p = *s;
	char *end;

	if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
	      (*p >= 'A' && *p <= 'F')))
		return false;
	errno = 0;
	*out = strtoul(p, &end, 16);
	if (errno || *end != sep || *out > max)
		return false;
	*s = sep ? end + 1 : end;
	return true;
}

/* Accept DDDD:BB:DD.F or BB:DD.F (hex); normalise to DDDD:BB:DD.F. */
static bool parse_bdf(const char *s, char *out, size_t outlen)
{
	unsigned long dom = 0, bus, dev, fn;

	if (strchr(s, ':') != strrchr(s, ':') && !hex_part(&s, ':', 0xffff, &dom))
		return false;
	if (!hex_part(&s, ':', 0xff, &bus) || !hex_part(&s, '.', 0x1f, &dev) ||
	    !hex_part(&s, '\0', 7, &fn))
		return false;
	snprintf(out, outlen, "%04lx:%02lx:%02lx.%lx", dom, bus, dev, fn);
	return true;
}

/* "<prefix><decimal>" -> number, or -1 */
static long suffix_number(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	char *end;
	long v;

	if (strncmp(s, prefix, n) != 0 || s[n] < '0' || s[n] > '9')
		return -1;
	errno = 0;
	v = strtol(s + n, &end, 10);
	if (errno || *end || v > INT_MAX)
		return -1;
	return v;
}

/* ---------------------------------------------------------------------- */
/* Steps                                                                    */

static void step_iommufd(void)
{
	struct utsname u;
	const char *why = "(kernel needs CONFIG_IOMMUFD)";
	static const char *const sfx[] = { "", ".xz", ".zst", ".gz" };
	int err;

	g.iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (g.iommufd >= 0) {
		report(S_IOMMUFD, ST_PASS, 0, "/dev/iommu opened (fd %d)",
		       g.iommufd);
		return;
	}
	err = errno;
	if (err == ENOENT) {
		if (path_exists("/sys/module/iommufd")) {
			why = "(iommufd is loaded but the node is missing: mount devtmpfs on /dev)";
		} else if (uname(&u) == 0) {
			for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
				char mod[PATH_MAX];

				snprintf(mod, sizeof(mod),
					 "/lib/modules/%s/kernel/drivers/iommu/iommufd/iommufd.ko%s",
					 u.release, sfx[i]);
				if (path_exists(mod)) {
					why = "(iommufd is built as a module: modprobe iommufd)";
					break;
				}
			}
		}
	} else if (err == EACCES || err == EPERM) {
		why = "(permission denied: run as root)";
	} else if (err == ENXIO || err == ENODEV) {
		why = "(the node exists but no driver backs it: modprobe iommufd)";
	} else {
		why = "";
	}
	report(S_IOMMUFD, ST_FAIL, err, "%s opening /dev/iommu: %s %s",
	       errno_name(err), strerror(err), why);
}

static void bind_hint(const char *bdf, const char *driver)
{
	if (!path_exists("/sys/bus/pci/drivers/vfio-pci"))
		hint("modprobe vfio-pci    # no vfio-pci driver is registered (CONFIG_VFIO_PCI)");
	hint("echo vfio-pci > /sys/bus/pci/devices/%s/driver_override", bdf);
	if (driver[0])
		hint("echo %s > /sys/bus/pci/devices/%s/driver/unbind    # now bound to %s",
		     bdf, bdf, driver);
	hint("echo %s > /sys/bus/pci/drivers_probe", bdf);
}

/* Find /dev/vfio/devices/vfioN from the device's sysfs vfio-dev directory. */
static bool find_cdev(const char *bdf, char *out, size_t outlen)
{
	char dir[PATH_MAX];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(dir);
	if (!d)
		return false;
	while ((de = readdir(d))) {
		long n = suffix_number(de->d_name, "vfio");

		if (n >= 0) {
			snprintf(out, outlen, "/dev/vfio/devices/vfio%ld", n);
			found = true;
			break;
		}
	}
	closedir(d);
	return found;
}

/* From /dev/vfio/devices/vfioN, find the PCI BDF through /sys/dev/char. */
static int cdev_to_bdf(const char *path, char *bdf, size_t len)
{
	char link[PATH_MAX];
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISCHR(st.st_mode))
		return -ENOTTY;
	snprintf(link, sizeof(link), "/sys/dev/char/%u:%u/device",
		 major(st.st_rdev), minor(st.st_rdev));
	link_basename(link, bdf, len);
	if (!bdf[0])
		return -ENODEV;
	return 0;
}

static const char *bind_meaning(int err)
{
	switch (err) {
	case EBUSY:
		return "the device's VFIO group is already open through the legacy /dev/vfio/<group> interface (another VFIO user, e.g. a QEMU without iommufd), or another device of its IOMMU group is owned by a kernel driver";
	case EPERM:
		return "the platform cannot isolate this device's MSIs (no GICv3 ITS / interrupt remapping); iommufd refuses unless loaded with allow_unsafe_interrupts=1 (insecure)";
	case EINVAL:
		return "the IOMMU does not report cache coherency for this device (iommufd requires IOMMU_CAP_CACHE_COHERENCY: SMMU IDR0.COHACC plus dma-coherent / IORT CCA), or the fd is already bound";
	case ENODEV:
		return "the device is not behind an IOMMU or is being removed";
	case ENOTTY:
		return "the kernel has no VFIO_DEVICE_BIND_IOMMUFD (CONFIG_VFIO_DEVICE_CDEV, Linux >= 6.6)";
	default:
		return generic_meaning(err);
	}
}

static void step_vfio_cdev(const char *arg)
{
	struct vfio_device_bind_iommufd bind;
	char path[PATH_MAX], grp[32];
	int rc;

	if (arg[0] == '/') {
		rc = cdev_to_bdf(arg, g.bdf, sizeof(g.bdf));
		if (rc == -ENOENT) {
			report(S_VFIO_CDEV, ST_FAIL, ENOENT,
			       "%s: No such file or directory (the device cdev is created by vfio-pci with CONFIG_VFIO_DEVICE_CDEV; is devtmpfs mounted?)",
			       arg);
			return;
		}
		if (rc < 0) {
			report(S_VFIO_CDEV, ST_FAIL, -rc,
			       "%s is not a VFIO device cdev (expected /dev/vfio/devices/vfioN)",
			       arg);
			return;
		}
		snprintf(g.cdev, sizeof(g.cdev), "%s", arg);
	}

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", g.bdf);
	if (!path_exists(path)) {
		report(S_VFIO_CDEV, ST_FAIL, ENOENT,
		       "no PCI device %s (%s does not exist; list devices with lspci -D)",
		       g.bdf, path);
		return;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", g.bdf);
	link_basename(path, g.driver, sizeof(g.driver));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 g.bdf);
	link_basename(path, grp, sizeof(grp));
	if (grp[0])
		g.group = (int)suffix_number(grp, "");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu", g.bdf);
	link_basename(path, g.iommu, sizeof(g.iommu));

	if (!g.cdev[0] && !find_cdev(g.bdf, g.cdev, sizeof(g.cdev))) {
		if (!g.driver[0] || strstr(g.driver, "vfio") == NULL) {
			bind_hint(g.bdf, g.driver);
			report(S_VFIO_CDEV, ST_FAIL, ENODEV,
			       "%s is %s%s, not vfio-pci: bind it to vfio-pci first",
			       g.bdf, g.driver[0] ? "bound to " : "not bound to any driver",
			       g.driver);
		} else {
			report(S_VFIO_CDEV, ST_FAIL, ENODEV,
			       "%s is bound to %s but has no /sys/bus/pci/devices/%s/vfio-dev/vfioN: kernel needs CONFIG_VFIO_DEVICE_CDEV (only the legacy group interface is available)",
			       g.bdf, g.driver, g.bdf);
		}
		return;
	}
	if (g.group < 0) {
		report(S_VFIO_CDEV, ST_FAIL, ENODEV,
		       "%s has no IOMMU group: it is not behind an IOMMU (SMMU not probed, or no iommu-map/IORT mapping for it)",
		       g.bdf);
		return;
	}

	g.devfd = open(g.cdev, O_RDWR | O_CLOEXEC);
	if (g.devfd < 0) {
		int err = errno;

		report(S_VFIO_CDEV, ST_FAIL, err, "%s opening %s: %s%s",
		       errno_name(err), g.cdev, strerror(err),
		       err == ENOENT ? " (sysfs has the vfio-dev entry but the node is missing: mount devtmpfs on /dev)" :
		       err == EACCES || err == EPERM ? " (run as root)" : "");
		return;
	}

	memset(&bind, 0, sizeof(bind));
	bind.argsz = sizeof(bind);
	bind.flags = 0;
	bind.iommufd = g.iommufd;
	rc = xioctl(g.devfd, VFIO_DEVICE_BIND_IOMMUFD, "VFIO_DEVICE_BIND_IOMMUFD",
		    &bind, NULL, dump_bind);
	if (rc) {
		report(S_VFIO_CDEV, ST_FAIL, -rc,
		       "VFIO_DEVICE_BIND_IOMMUFD on %s failed: %s (%s): %s",
		       g.cdev, errno_name(-rc), strerror(-rc), bind_meaning(-rc));
		return;
	}
	g.dev_id = bind.out_devid;
	report(S_VFIO_CDEV, ST_PASS, 0,
	       "%s (driver %s, IOMMU group %d%s%s) -> %s bound to iommufd, dev_id %u",
	       g.bdf, g.driver[0] ? g.driver : "?", g.group,
	       g.iommu[0] ? ", IOMMU " : "", g.iommu, g.cdev, g.dev_id);
}

/* ID register fields that matter for nesting (SMMUv3 spec 6.3.1-6.3.6). */
struct idr_field {
	const char *name;
	const char *const *vals;	/* optional value names */
	int reg;			/* 0..5: IDRn */
	int lo, width;
	int nvals;
};

static const char *const ttf_vals[] = { "none", "AArch32", "AArch64", "AArch32+AArch64" };
static const char *const httu_vals[] = { "none", "A", "A+D", "A+D+HAFT" };
static const char *const ttendian_vals[] = { "mixed", "reserved", "LE", "BE" };
static const char *const stall_vals[] = { "stall+terminate", "terminate-only", "stall-forced", "reserved" };
static const char *const stlevel_vals[] = { "linear", "2-level", "reserved", "reserved" };
static const char *const term_vals[] = { "abort-RAZ/WI", "abort-or-fault" };
static const char *const bbml_vals[] = { "none", "BBML1", "BBML2", "reserved" };
static const char *const oas_vals[] = { "32-bit", "36-bit", "40-bit", "42-bit", "44-bit", "48-bit", "52-bit", "56-bit" };
static const char *const vax_vals[] = { "48-bit", "52-bit", "reserved", "reserved" };

#define F(r, n, l, w)		{ n, NULL, r, l, w, 0 }
#define FE(r, n, l, w, v)	{ n, v, r, l, w, (int)(sizeof(v) / sizeof((v)[0])) }
static const struct idr_field idr_fields[] = {
	F(0, "S2P", 0, 1),
	F(0, "S1P", 1, 1),
	FE(0, "TTF", 2, 2, ttf_vals),
	F(0, "COHACC", 4, 1),
	F(0, "BTM", 5, 1),
	FE(0, "HTTU", 6, 2, httu_vals),
	F(0, "HYP", 9, 1),
	F(0, "ATS", 10, 1),
	F(0, "ASID16", 12, 1),
	F(0, "MSI", 13, 1),
	F(0, "SEV", 14, 1),
	F(0, "PRI", 16, 1),
	F(0, "VMID16", 18, 1),
	F(0, "CD2L", 19, 1),
	FE(0, "TTENDIAN", 21, 2, ttendian_vals),
	FE(0, "STALL_MODEL", 24, 2, stall_vals),
	FE(0, "TERM_MODEL", 26, 1, term_vals),
	FE(0, "ST_LEVEL", 27, 2, stlevel_vals),
	F(1, "SIDSIZE", 0, 6),
	F(1, "SSIDSIZE", 6, 5),
	F(1, "PRIQS", 11, 5),
	F(1, "EVENTQS", 16, 5),
	F(1, "CMDQS", 21, 5),
	F(3, "FWB", 8, 1),
	F(3, "RIL", 10, 1),
	FE(3, "BBML", 11, 2, bbml_vals),
	FE(5, "OAS", 0, 3, oas_vals),
	F(5, "GRAN4K", 4, 1),
	F(5, "GRAN16K", 5, 1),
	F(5, "GRAN64K", 6, 1),
	FE(5, "VAX", 10, 2, vax_vals),
	F(5, "STALL_MAX", 16, 16),
};

static uint32_t field(uint32_t reg, int lo, int width)
{
	return (reg >> lo) & (width >= 32 ? 0xffffffffU : ((1U << width) - 1));
}

static const char *iidr_product(uint32_t impl, uint32_t prod)
{
	if (impl != 0x43b)
		return NULL;
	switch (prod) {
	case 0x483: return "MMU-600";
	case 0x487: return "MMU-700";
	case 0x48a: return "MMU-L1";
	case 0x498: return "MMU-S3";
	default: return NULL;
	}
}

/* Mirror of arm_smmu_device_iidr_probe() (Linux 7.2): errata that clear nesting. */
static const char *iidr_nesting_erratum(uint32_t iidr)
{
	uint32_t impl = field(iidr, 0, 12), rev = field(iidr, 12, 4);
	uint32_t var = field(iidr, 16, 4), prod = field(iidr, 20, 12);

	if (impl != 0x43b)
		return NULL;
	static char buf[160];

	if (prod == 0x483 && var < 2)
		snprintf(buf, sizeof(buf),
			 "Arm MMU-600 r%up%u: Linux disables nesting below r2 (erratum 1209401)",
			 var, rev);
	else if (prod == 0x487 && (var < 1 || rev < 1))
		snprintf(buf, sizeof(buf),
			 "Arm MMU-700 r%up%u: Linux disables nesting when variant or revision is 0 (errata 2268618, 2812531)",
			 var, rev);
	else
		return NULL;
	return buf;
}

static void print_hw_info(const struct iommu_hw_info *hi)
{
	const struct iommu_hw_info_arm_smmuv3 *in = &g.info;
	uint32_t iidr = in->iidr, aidr = in->aidr;
	const char *prod = iidr_product(field(iidr, 0, 12), field(iidr, 20, 12));
	char line[1024];
	size_t i;
	int r;

	/* JSON: raw registers plus every decoded field */
	bprintf(json_extra, sizeof(json_extra),
		"\"hw_info\":{\"out_data_type\":%u,\"data_len\":%u,\"idr\":[",
		hi->out_data_type, hi->data_len);
	for (r = 0; r < 6; r++)
		bprintf(json_extra, sizeof(json_extra), "%s\"0x%08x\"",
			r ? "," : "", in->idr[r]);
	bprintf(json_extra, sizeof(json_extra),
		"],\"iidr\":\"0x%08x\",\"aidr\":\"0x%08x\",\"out_capabilities\":\"%#llx\",\"out_max_pasid_log2\":%u,\"fields\":{",
		iidr, aidr, (unsigned long long)hi->out_capabilities,
		hi->out_max_pasid_log2);
	for (i = 0; i < sizeof(idr_fields) / sizeof(idr_fields[0]); i++) {
		const struct idr_field *f = &idr_fields[i];

		bprintf(json_extra, sizeof(json_extra), "%s\"IDR%d.%s\":%u",
			i ? "," : "", f->reg, f->name,
			field(in->idr[f->reg], f->lo, f->width));
	}
	bprintf(json_extra, sizeof(json_extra),
		",\"IIDR.Implementer\":%u,\"IIDR.Revision\":%u,\"IIDR.Variant\":%u,\"IIDR.ProductID\":%u,\"AIDR.ArchMajorRev\":%u,\"AIDR.ArchMinorRev\":%u",
		field(iidr, 0, 12), field(iidr, 12, 4), field(iidr, 16, 4),
		field(iidr, 20, 12), field(aidr, 4, 4), field(aidr, 0, 4));
	bprintf(json_extra, sizeof(json_extra),
		",\"CAP.DIRTY_TRACKING\":%d,\"CAP.PCI_PASID_EXEC\":%d,\"CAP.PCI_PASID_PRIV\":%d,\"CAP.PCI_ATS_NOT_SUPPORTED\":%d}}",
		!!(hi->out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING),
		!!(hi->out_capabilities & IOMMU_HW_CAP_PCI_PASID_EXEC),
		!!(hi->out_capabilities & IOMMU_HW_CAP_PCI_PASID_PRIV),
		!!(hi->out_capabilities & PROBE_HW_CAP_PCI_ATS_NOT_SUPPORTED));

	/* Text: one line per register (JSON has hw_info instead) */
	hint_text_only = true;
	for (r = 0; r < 6; r++) {
		line[0] = '\0';
		bprintf(line, sizeof(line), "IDR%d 0x%08x%s", r, in->idr[r],
			r == 2 || r == 4 ? "" : ":");
		for (i = 0; i < sizeof(idr_fields) / sizeof(idr_fields[0]); i++) {
			const struct idr_field *f = &idr_fields[i];
			uint32_t v;

			if (f->reg != r)
				continue;
			v = field(in->idr[r], f->lo, f->width);
			if (f->vals && (int)v < f->nvals)
				bprintf(line, sizeof(line), " %s=%s", f->name,
					f->vals[v]);
			else
				bprintf(line, sizeof(line), " %s=%u", f->name, v);
		}
		hint("%s", line);
	}
	hint("IIDR 0x%08x: Implementer=%#x%s ProductID=%#x%s%s%s Variant=%u Revision=%u (r%up%u)",
	     iidr, field(iidr, 0, 12), field(iidr, 0, 12) == 0x43b ? " (Arm)" : "",
	     field(iidr, 20, 12), prod ? " (" : "", prod ? prod : "",
	     prod ? ")" : "", field(iidr, 16, 4), field(iidr, 12, 4),
	     field(iidr, 16, 4), field(iidr, 12, 4));
	if (field(aidr, 4, 4) == 0)
		hint("AIDR 0x%08x: SMMUv3.%u", aidr, field(aidr, 0, 4));
	else
		hint("AIDR 0x%08x: ArchMajorRev=%u ArchMinorRev=%u", aidr,
		     field(aidr, 4, 4), field(aidr, 0, 4));
	hint("capabilities %#llx: DIRTY_TRACKING=%d PCI_ATS_NOT_SUPPORTED=%d PCI_PASID_EXEC=%d PCI_PASID_PRIV=%d; max_pasid_log2=%u",
	     (unsigned long long)hi->out_capabilities,
	     !!(hi->out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING),
	     !!(hi->out_capabilities & PROBE_HW_CAP_PCI_ATS_NOT_SUPPORTED),
	     !!(hi->out_capabilities & IOMMU_HW_CAP_PCI_PASID_EXEC),
	     !!(hi->out_capabilities & IOMMU_HW_CAP_PCI_PASID_PRIV),
	     hi->out_max_pasid_log2);
}

static void step_hw_info(void)
{
	struct iommu_hw_info hi;
	const struct iommu_hw_info_arm_smmuv3 *in = &g.info;
	bool s1p, s2p, fwb;
	int rc;

	memset(&hi, 0, sizeof(hi));
	memset(&g.info, 0, sizeof(g.info));
	hi.size = sizeof(hi);
	hi.flags = 0;	/* no IOMMU_HW_INFO_FLAG_INPUT_TYPE: default type */
	hi.dev_id = g.dev_id;
	hi.data_len = sizeof(g.info);
	hi.data_uptr = (uintptr_t)&g.info;
	rc = xioctl(g.iommufd, IOMMU_GET_HW_INFO, "IOMMU_GET_HW_INFO", &hi, NULL,
		    dump_hw_info);
	if (rc) {
		report(S_HW_INFO, ST_FAIL, -rc,
		       "IOMMU_GET_HW_INFO failed: %s (%s): %s",
		       errno_name(-rc), strerror(-rc),
		       -rc == ENOTTY ? "kernel iommufd without IOMMU_GET_HW_INFO (Linux >= 6.6)" :
		       generic_meaning(-rc));
		return;
	}
	if (hi.out_data_type != IOMMU_HW_INFO_TYPE_ARM_SMMUV3) {
		report(S_HW_INFO, ST_FAIL, 0,
		       "IOMMU_GET_HW_INFO type is %u (%s), not ARM_SMMUV3 (2): %s",
		       hi.out_data_type, hw_info_type_name(hi.out_data_type),
		       hi.out_data_type == IOMMU_HW_INFO_TYPE_NONE ?
		       "the IOMMU driver reports no hw info: an SMMUv3 kernel needs CONFIG_ARM_SMMU_V3_IOMMUFD" :
		       "the device is not behind an Arm SMMUv3");
		return;
	}
	g.have_hw_info = true;
	s1p = in->idr[0] & IDR0_S1P;
	s2p = in->idr[0] & IDR0_S2P;
	fwb = in->idr[3] & IDR3_FWB;
	g.erratum = iidr_nesting_erratum(in->iidr);

	print_hw_info(&hi);
	if (!s1p || !s2p) {
		report(S_HW_INFO, ST_FAIL, 0,
		       "host SMMU lacks %s%s%s: nested translation needs both stages (for QEMU's emulated SMMUv3: stage=nested)",
		       !s1p ? "IDR0.S1P (stage 1)" : "",
		       !s1p && !s2p ? " and " : "",
		       !s2p ? "IDR0.S2P (stage 2)" : "");
		return;
	}
	report(S_HW_INFO, ST_PASS, 0,
	       "type ARM_SMMUV3, data_len %u, S1P=1 S2P=1 FWB=%d%s, OAS %s, SIDSIZE %u, SSIDSIZE %u",
	       hi.data_len, fwb,
	       fwb ? "" : " (vIOMMU will need a CANWBS device)",
	       oas_vals[field(in->idr[5], 0, 3)], field(in->idr[1], 0, 6),
	       field(in->idr[1], 6, 5));
	if (g.erratum)
		report(S_HW_INFO, ST_WARN, 0, "IIDR %#x: %s; nest-parent will fail",
		       in->iidr, g.erratum);
}

int destroy(uint32_t *id, const char *what)
{
	struct iommu_destroy d;
	int rc;

	if (!*id)
		return 0;
	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.id = *id;
	rc = xioctl(g.iommufd, IOMMU_DESTROY, "IOMMU_DESTROY", &d, NULL, dump_destroy);
	if (rc) {
		char detail[256];

		snprintf(detail, sizeof(detail),
			 "IOMMU_DESTROY of %s (id %u) failed: %s (%s)", what,
			 *id, errno_name(-rc), strerror(-rc));
		emit("cleanup", ST_WARN, -rc, detail);
		return rc;
	}
	*id = 0;
	return 0;
}

static void step_ioas(void)
{
	struct iommu_ioas_alloc a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = 0;
	rc = xioctl(g.iommufd, IOMMU_IOAS_ALLOC, "IOMMU_IOAS_ALLOC", &a, NULL,
		    dump_ioas_alloc);
	if (rc) {
		report(S_IOAS, ST_FAIL, -rc, "IOMMU_IOAS_ALLOC failed: %s (%s): %s",
		       errno_name(-rc), strerror(-rc), generic_meaning(-rc));
		return;
	}
	g.ioas_id = a.out_ioas_id;
	report(S_IOAS, ST_PASS, 0, "IOAS id %u", g.ioas_id);
}

static int hwpt_alloc(uint32_t flags, uint32_t pt_id, uint32_t data_type,
		      const void *data, uint32_t data_len, uint32_t *out)
{
	struct iommu_hwpt_alloc a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = flags;
	a.dev_id = g.dev_id;
	a.pt_id = pt_id;
	a.data_type = data_type;
	a.data_len = data_len;
	a.data_uptr = (uintptr_t)data;
	a.fault_id = 0;
	rc = xioctl(g.iommufd, IOMMU_HWPT_ALLOC, "IOMMU_HWPT_ALLOC", &a, data,
		    dump_hwpt_alloc);
	if (!rc)
		*out = a.out_hwpt_id;
	return rc;
}

static void step_nest_parent(void)
{
	int rc = hwpt_alloc(IOMMU_HWPT_ALLOC_NEST_PARENT, g.ioas_id,
			    IOMMU_HWPT_DATA_NONE, NULL, 0, &g.parent_id);
	const char *why;
	char buf[512];

	if (!rc) {
		report(S_NEST_PARENT, ST_PASS, 0,
		       "stage-2 nesting parent HWPT id %u on IOAS %u",
		       g.parent_id, g.ioas_id);
		return;
	}
	switch (-rc) {
	case EOPNOTSUPP:
		if (g.erratum) {
			snprintf(buf, sizeof(buf),
				 "the SMMU driver turned nesting off: %s", g.erratum);
			why = buf;
		} else {
			why = "the SMMU driver does not offer nesting (ARM_SMMU_FEAT_NESTING needs IDR0.S1P and IDR0.S2P; some IIDR errata clear it; or the IOMMU driver lacks domain_alloc_paging_flags)";
		}
		break;
	case EINVAL:
		why = "IOAS id or device id not accepted";
		break;
	default:
		why = generic_meaning(-rc);
	}
	report(S_NEST_PARENT, ST_FAIL, -rc,
	       "IOMMU_HWPT_ALLOC(NEST_PARENT) failed: %s (%s): %s",
	       errno_name(-rc), strerror(-rc), why);
}

static void step_viommu(void)
{
	struct iommu_viommu_alloc a;
	const char *why;
	int rc;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = 0;
	a.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
	a.dev_id = g.dev_id;
	a.hwpt_id = g.parent_id;
	a.data_len = 0;
	a.data_uptr = 0;
	rc = xioctl(g.iommufd, IOMMU_VIOMMU_ALLOC, "IOMMU_VIOMMU_ALLOC", &a, NULL,
		    dump_viommu_alloc);
	if (!rc) {
		g.viommu_id = a.out_viommu_id;
		report(S_VIOMMU, ST_PASS, 0,
		       "vIOMMU id %u (type ARM_SMMUV3) on nest parent %u%s",
		       g.viommu_id, g.parent_id,
		       g.have_hw_info && !(g.info.idr[3] & IDR3_FWB) ?
		       " (IDR3.FWB=0: the device is CANWBS)" : "");
		return;
	}
	switch (-rc) {
	case EOPNOTSUPP:
		if (g.have_hw_info && !(g.info.idr[3] & IDR3_FWB))
			why = "host SMMU does not advertise S2FWB (IDR3.FWB=0) and the device is not CANWBS (ACPI IORT root complex memory access flag CANWBS; never set with device tree). Linux refuses a vIOMMU without one of them. With QEMU's emulated SMMUv3 as the host, enable its S2FWB option";
		else
			why = "IDR3.FWB=1, so this is not the S2FWB/CANWBS rule: the kernel lacks ARM_SMMU_V3_IOMMUFD vIOMMU support, or nesting/FORCE_SYNC errata apply";
		break;
	case ENOTTY:
		why = "kernel iommufd without IOMMU_VIOMMU_ALLOC (Linux >= 6.13)";
		break;
	case EINVAL:
		why = "the HWPT is not a nesting parent, or it belongs to another SMMU instance";
		break;
	default:
		why = generic_meaning(-rc);
	}
	report(S_VIOMMU, ST_FAIL, -rc,
	       "IOMMU_VIOMMU_ALLOC(ARM_SMMUV3) failed: %s (%s): %s",
	       errno_name(-rc), strerror(-rc), why);
}

static void step_vdevice(void)
{
	struct iommu_vdevice_alloc a;
	const char *why;
	int rc;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.viommu_id = g.viommu_id;
	a.dev_id = g.dev_id;
	a.virt_id = opt_vsid;
	rc = xioctl(g.iommufd, IOMMU_VDEVICE_ALLOC, "IOMMU_VDEVICE_ALLOC", &a, NULL,
		    dump_vdevice_alloc);
	if (!rc) {
		g.vdev_id = a.out_vdevice_id;
		report(S_VDEVICE, ST_PASS, 0, "vDEVICE id %u, vSID %#llx -> %s",
		       g.vdev_id, (unsigned long long)opt_vsid, g.bdf);
		return;
	}
	switch (-rc) {
	case EEXIST:
		why = "the vSID is already taken on this vIOMMU, or the device already has a vDEVICE";
		break;
	case EOPNOTSUPP:
		why = "the device has more than one stream ID (Linux maps a vSID to exactly one SID)";
		break;
	case EINVAL:
		why = "the vIOMMU and the device are behind different SMMU instances, or the vSID is out of range";
		break;
	case ENOTTY:
		why = "kernel iommufd without IOMMU_VDEVICE_ALLOC (Linux >= 6.13)";
		break;
	default:
		why = generic_meaning(-rc);
	}
	report(S_VDEVICE, ST_FAIL, -rc,
	       "IOMMU_VDEVICE_ALLOC(vSID %#llx) failed: %s (%s): %s",
	       (unsigned long long)opt_vsid, errno_name(-rc), strerror(-rc), why);
}

static const char *nested_meaning(int err)
{
	switch (err) {
	case EIO:
		return "the vSTE was refused as illegal (allowed: word 0 V, Config abort/bypass/S1, S1Fmt, S1ContextPtr, S1CDMax; word 1 S1DSS, S1CIR, S1COR, S1CSH, S1STALLD, EATS 0 or 1)";
	case EOPNOTSUPP:
		return "the vIOMMU cannot allocate nested domains (flags or driver support)";
	case EINVAL:
		return "data_type/data_len not accepted, or the device is behind another SMMU than the vIOMMU";
	default:
		return generic_meaning(err);
	}
}

static int nested_alloc(uint64_t ste0, uint64_t ste1, uint32_t *out)
{
	struct iommu_hwpt_arm_smmuv3 vste;

	memset(&vste, 0, sizeof(vste));
	vste.ste[0] = htole64(ste0);
	vste.ste[1] = htole64(ste1);
	return hwpt_alloc(0, g.viommu_id, IOMMU_HWPT_DATA_ARM_SMMUV3, &vste,
			  sizeof(vste), out);
}

static void step_nested(enum step_id id, uint64_t cfg, const char *what,
			uint32_t *out)
{
	uint64_t ste0 = STE0_V | STE0_CFG(cfg);
	int rc = nested_alloc(ste0, 0, out);

	if (rc) {
		report(id, ST_FAIL, -rc,
		       "IOMMU_HWPT_ALLOC(ARM_SMMUV3 vSTE %s, ste[0]=%#llx) failed: %s (%s): %s",
		       what, (unsigned long long)ste0, errno_name(-rc),
		       strerror(-rc), nested_meaning(-rc));
		return;
	}
	report(id, ST_PASS, 0, "nested HWPT id %u (vSTE %s, ste[0]=%#llx) on vIOMMU %u",
	       *out, what, (unsigned long long)ste0, g.viommu_id);
}

static int attach(uint32_t pt_id, uint32_t *out_pt)
{
	struct vfio_device_attach_iommufd_pt a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.argsz = sizeof(a);
	a.flags = 0;
	a.pt_id = pt_id;
	rc = xioctl(g.devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT,
		    "VFIO_DEVICE_ATTACH_IOMMUFD_PT", &a, NULL, dump_attach);
	if (!rc) {
		g.attached = true;
		if (out_pt)
			*out_pt = a.pt_id;
	}
	return rc;
}

static const char *attach_meaning(int err)
{
	switch (err) {
	case EINVAL:
		return "the nested HWPT belongs to another SMMU instance than the device";
	case EBUSY:
		return "the device has PASIDs (SSIDs) attached, or it is being reset";
	case ENOENT:
		return "a translating vSTE needs a vDEVICE for the device on that vIOMMU";
	case ENOTTY:
		return "kernel without VFIO_DEVICE_ATTACH_IOMMUFD_PT (CONFIG_VFIO_DEVICE_CDEV)";
	default:
		return generic_meaning(err);
	}
}

static void step_attach(void)
{
	uint32_t got1 = 0, got2 = 0;
	int rc;

	rc = attach(g.abort_id, &got1);
	if (rc) {
		report(S_ATTACH, ST_FAIL, -rc,
		       "VFIO_DEVICE_ATTACH_IOMMUFD_PT to abort HWPT %u failed: %s (%s): %s",
		       g.abort_id, errno_name(-rc), strerror(-rc),
		       attach_meaning(-rc));
		return;
	}
	rc = attach(g.bypass_id, &got2);
	if (rc) {
		report(S_ATTACH, ST_FAIL, -rc,
		       "replacing abort HWPT %u by bypass HWPT %u failed: %s (%s): %s",
		       g.abort_id, g.bypass_id, errno_name(-rc), strerror(-rc),
		       attach_meaning(-rc));
		return;
	}
	report(S_ATTACH, ST_PASS, 0,
	       "attached to abort HWPT %u (pt_id out %u), replaced by bypass HWPT %u (pt_id out %u)",
	       g.abort_id, got1, g.bypass_id, got2);
}

static void step_nested_s1(void)
{
	uint64_t ste0 = STE0_V | STE0_CFG(STE_CFG_S1_TRANS) | STE0_S1FMT_LINEAR |
			(opt_s1_ctx & STE0_S1CTXPTR_MASK) | STE0_S1CDMAX(0);
	uint64_t ste1 = STE1_S1DSS_TERMINATE | STE1_S1CIR(STE_CACHE_WBRA) |
			STE1_S1COR(STE_CACHE_WBRA) | STE1_S1CSH(STE_SH_ISH);
	int rc, rc2;

	rc = nested_alloc(ste0, ste1, &g.s1_id);
	if (rc) {
		report(S_NESTED_S1, ST_FAIL, -rc,
		       "IOMMU_HWPT_ALLOC(ARM_SMMUV3 vSTE S1 translate, ste={%#llx, %#llx}) failed: %s (%s): %s",
		       (unsigned long long)ste0, (unsigned long long)ste1,
		       errno_name(-rc), strerror(-rc), nested_meaning(-rc));
		return;
	}
	rc = attach(g.s1_id, NULL);
	/* back to bypass whatever happened, so nothing points at the S1 HWPT */
	rc2 = attach(g.bypass_id, NULL);
	if (rc) {
		report(S_NESTED_S1, ST_FAIL, -rc,
		       "S1 nested HWPT %u allocated, but attaching to it failed: %s (%s): %s",
		       g.s1_id, errno_name(-rc), strerror(-rc), attach_meaning(-rc));
		return;
	}
	if (rc2) {
		report(S_NESTED_S1, ST_FAIL, -rc2,
		       "attached to S1 HWPT %u, but re-attaching bypass HWPT %u failed: %s (%s): %s",
		       g.s1_id, g.bypass_id, errno_name(-rc2), strerror(-rc2),
		       attach_meaning(-rc2));
		return;
	}
	report(S_NESTED_S1, ST_PASS, 0,
	       "nested HWPT id %u (vSTE S1 translate, CD table at IPA %#llx, ste={%#llx, %#llx}), attached, then bypass re-attached",
	       g.s1_id, (unsigned long long)(opt_s1_ctx & STE0_S1CTXPTR_MASK),
	       (unsigned long long)ste0, (unsigned long long)ste1);
}

static int invalidate(struct iommu_viommu_arm_smmuv3_invalidate *cmds,
		      uint32_t n, uint32_t *done)
{
	struct iommu_hwpt_invalidate a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.hwpt_id = g.viommu_id;
	a.data_uptr = (uintptr_t)cmds;
	a.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3;
	a.entry_len = sizeof(*cmds);
	a.entry_num = n;
	rc = xioctl(g.iommufd, IOMMU_HWPT_INVALIDATE, "IOMMU_HWPT_INVALIDATE",
		    &a, cmds, dump_invalidate);
	*done = a.entry_num;
	return rc;
}

static void set_cmd(struct iommu_viommu_arm_smmuv3_invalidate *c, uint64_t w0,
		    uint64_t w1)
{
	c->cmd[0] = htole64(w0);
	c->cmd[1] = htole64(w1);
}

static void step_invalidate(void)
{
	struct iommu_viommu_arm_smmuv3_invalidate cmds[2];
	uint32_t done = 0;
	int rc;

	memset(cmds, 0, sizeof(cmds));
	set_cmd(&cmds[0], CMD_TLBI_NH_ASID | CMD_TLBI_ASID(1), 0);
	set_cmd(&cmds[1], CMD_CFGI_CD | CMD_CFGI_SSID(0) | CMD_CFGI_SID(opt_vsid),
		CMD_CFGI_LEAF);
	rc = invalidate(cmds, 2, &done);
	if (rc) {
		const char *why;

		switch (-rc) {
		case EIO:
			why = "a command was refused (unsupported opcode, or CFGI_CD with a vSID that has no vDEVICE); entry_num is the index of the refused command";
			break;
		case EINVAL:
			why = "data_type, entry_len or entry_num not accepted";
			break;
		case EOPNOTSUPP:
			why = "the vIOMMU has no cache invalidation support";
			break;
		case ETIMEDOUT:
			why = "the host SMMU command queue did not complete the CMD_SYNC";
			break;
		default:
			why = generic_meaning(-rc);
		}
		report(S_INVALIDATE, ST_FAIL, -rc,
		       "IOMMU_HWPT_INVALIDATE(vIOMMU %u, [TLBI_NH_ASID, CFGI_CD]) failed after %u of 2 commands: %s (%s): %s",
		       g.viommu_id, done, errno_name(-rc), strerror(-rc), why);
		return;
	}
	if (done != 2) {
		report(S_INVALIDATE, ST_FAIL, 0,
		       "IOMMU_HWPT_INVALIDATE succeeded but entry_num came back %u, expected 2",
		       done);
		return;
	}
	report(S_INVALIDATE, ST_PASS, 0,
	       "vIOMMU %u took TLBI_NH_ASID(ASID 1) and CFGI_CD(vSID %#llx, SSID 0, Leaf), entry_num 2",
	       g.viommu_id, (unsigned long long)opt_vsid);
}

static void step_invalidate_reject(void)
{
	struct iommu_viommu_arm_smmuv3_invalidate cmds[2];
	uint32_t done = 0;
	int rc;

	/* A legal command followed by CMD_SYNC, which the kernel must refuse. */
	memset(cmds, 0, sizeof(cmds));
	set_cmd(&cmds[0], CMD_TLBI_NH_ASID | CMD_TLBI_ASID(1), 0);
	set_cmd(&cmds[1], CMD_SYNC, 0);
	rc = invalidate(cmds, 2, &done);
	if (!rc) {
		report(S_INVALIDATE_REJECT, ST_WARN, 0,
		       "[TLBI_NH_ASID, CMD_SYNC] was accepted (entry_num %u): the kernel should refuse CMD_SYNC with EIO",
		       done);
		return;
	}
	report(S_INVALIDATE_REJECT, ST_PASS, -rc,
	       "[TLBI_NH_ASID, CMD_SYNC] refused with %s (%s), entry_num %u%s",
	       errno_name(-rc), strerror(-rc), done,
	       done == 1 ? " = index of CMD_SYNC (commands before it count as handled)" :
	       " (expected 1: index of CMD_SYNC)");
}

static void step_veventq(void)
{
	struct iommu_veventq_alloc a;
	struct pollfd pfd;
	int rc, pending;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = 0;
	a.viommu_id = g.viommu_id;
	a.type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3;
	a.veventq_depth = VEVENTQ_DEPTH;
	rc = xioctl(g.iommufd, IOMMU_VEVENTQ_ALLOC, "IOMMU_VEVENTQ_ALLOC", &a, NULL,
		    dump_veventq_alloc);
	if (rc == -ENOTTY || rc == -EOPNOTSUPP) {
		report(S_VEVENTQ, ST_WARN, -rc,
		       "IOMMU_VEVENTQ_ALLOC(ARM_SMMUV3) not supported: %s (%s): the kernel has no vEVENTQ (Linux >= 6.15); accel works, but host faults will not reach the guest's event queue",
		       errno_name(-rc), strerror(-rc));
		return;
	}
	if (rc) {
		report(S_VEVENTQ, ST_FAIL, -rc,
		       "IOMMU_VEVENTQ_ALLOC(ARM_SMMUV3, depth %u) failed: %s (%s): %s",
		       VEVENTQ_DEPTH, errno_name(-rc), strerror(-rc),
		       -rc == EEXIST ? "this vIOMMU already has an ARM_SMMUV3 vEVENTQ" :
		       generic_meaning(-rc));
		return;
	}
	g.veventq_id = a.out_veventq_id;
	g.veventq_fd = (int)a.out_veventq_fd;
	pfd.fd = g.veventq_fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	pending = poll(&pfd, 1, 0);
	report(S_VEVENTQ, ST_PASS, 0,
	       "vEVENTQ id %u, fd %d, depth %u%s", g.veventq_id, g.veventq_fd,
	       VEVENTQ_DEPTH,
	       pending > 0 && (pfd.revents & POLLIN) ? ", events already pending" :
	       ", no events pending");
}

static void cleanup(void)
{
	struct vfio_device_detach_iommufd_pt d;
	uint32_t *const ids[] = {
		&g.veventq_id, &g.s1_id, &g.bypass_id, &g.abort_id, &g.vdev_id,
		&g.viommu_id, &g.parent_id, &g.ioas_id,
	};
	unsigned int warn = 0, objs = 0, i;
	bool detached = false;
	char detail[160];

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		objs += *ids[i] != 0;

	if (g.iommufd < 0)
		return;
	warn += cmdqv_cleanup(&objs);
	/* The vEVENTQ fd holds a reference: close it before destroying. */
	if (g.veventq_fd >= 0) {
		close(g.veventq_fd);
		g.veventq_fd = -1;
	}
	warn += !!destroy(&g.veventq_id, "vEVENTQ");
	/* An attached HWPT is busy: detach the device first. */
	if (g.attached) {
		int rc;

		memset(&d, 0, sizeof(d));
		d.argsz = sizeof(d);
		d.flags = 0;
		rc = xioctl(g.devfd, VFIO_DEVICE_DETACH_IOMMUFD_PT,
			    "VFIO_DEVICE_DETACH_IOMMUFD_PT", &d, NULL, dump_detach);
		if (rc) {
			snprintf(detail, sizeof(detail),
				 "VFIO_DEVICE_DETACH_IOMMUFD_PT failed: %s (%s)",
				 errno_name(-rc), strerror(-rc));
			emit("cleanup", ST_WARN, -rc, detail);
			warn++;
		} else {
			g.attached = false;
			detached = true;
		}
	}
	warn += !!destroy(&g.s1_id, "S1 nested HWPT");
	warn += !!destroy(&g.bypass_id, "bypass nested HWPT");
	warn += !!destroy(&g.abort_id, "abort nested HWPT");
	warn += !!destroy(&g.vdev_id, "vDEVICE");
	warn += !!destroy(&g.viommu_id, "vIOMMU");
	warn += !!destroy(&g.parent_id, "nest-parent HWPT");
	warn += !!destroy(&g.ioas_id, "IOAS");
	if (g.devfd >= 0)
		close(g.devfd);	/* unbinds the device from iommufd */
	g.devfd = -1;
	close(g.iommufd);
	g.iommufd = -1;
	if (!warn) {
		snprintf(detail, sizeof(detail),
			 "%sdestroyed %u object%s in reverse order, closed all fds",
			 detached ? "detached the device, " : "",
			 objs, objs == 1 ? "" : "s");
		emit("cleanup", ST_PASS, 0, detail);
	}
}

/* ---------------------------------------------------------------------- */

/*
 * The CMDQV's own result line, before the probe's: cmdqv=on needs the
 * accel=on steps and the cmdqv ones
 */
static void cmdqv_result(void)
{
	const char *state = "READY";

	if (cmdqv_fail >= 0)
		state = "NOT READY";
	else if (step_status[S_CMDQV_VINTF] == ST_SKIP ||
		 step_status[S_CMDQV_FILTER] != ST_PASS)
		state = "NONE";
	if (opt_json) {
		printf("{\"cmdqv\":\"%s\"", state);
		if (cmdqv_fail >= 0) {
			fputs(",\"step\":", stdout);
			json_str(stdout, step_def[cmdqv_fail].name);
			fputs(",\"reason\":", stdout);
			json_str(stdout, cmdqv_fail_reason);
		}
		fputs("}\n", stdout);
	} else if (cmdqv_fail >= 0) {
		printf("CMDQV: NOT READY for cmdqv=on: %s: %s\n",
		       step_def[cmdqv_fail].name, cmdqv_fail_reason);
	} else if (!strcmp(state, "NONE")) {
		puts("CMDQV: none usable here: cmdqv=on cannot work, cmdqv=auto means off");
	} else {
		puts("CMDQV: READY for cmdqv=on");
	}
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [-v] [--json] [--vsid N] [--s1-ctx IPA] <PCI BDF | /dev/vfio/devices/vfioN>\n"
		"\n"
		"Check that the host can back QEMU's -device arm-smmuv3,accel=on for one\n"
		"vfio-pci device: iommufd, VFIO cdev bind, SMMUv3 hw info, IOAS, nesting\n"
		"parent, vIOMMU, vDEVICE, nested HWPTs, attach, invalidation, vEVENTQ.\n"
		"\n"
		"  -v, --verbose   print every ioctl struct before and after the call\n"
		"  -j, --json      one JSON object per line instead of text\n"
		"      --vsid N    virtual stream ID for the vDEVICE (default %#llx)\n"
		"      --s1-ctx A  IPA put in the S1 vSTE's S1ContextPtr (default %#llx;\n"
		"                  64-byte aligned, below 2^52; never dereferenced here)\n"
		"  -h, --help      this text\n"
		"\n"
		"With a Tegra241 CMDQV on the host, the cmdqv steps check it for cmdqv=on.\n"
		"\n"
		"Exit status: 0 ready, 1 not ready, 2 usage error, 3 ready for accel=on\n"
		"but the host's CMDQV failed a check (do not use cmdqv=on).\n",
		prog, (unsigned long long)DEFAULT_VSID,
		(unsigned long long)DEFAULT_S1_CTX);
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!s[0] || s[0] == '-')
		return false;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

typedef void (*step_fn)(void);

static void run(enum step_id id, step_fn fn)
{
	unsigned int d;

	for (d = 0; d < S_NR; d++) {
		if (!(step_def[id].deps & B(d)))
			continue;
		if (step_status[d] != ST_PASS && step_status[d] != ST_WARN) {
			report(id, ST_SKIP, 0, "not run: %s did not pass",
			       step_def[d].name);
			return;
		}
	}
	fn();
}

static const char *dev_arg;
static void run_vfio_cdev(void) { step_vfio_cdev(dev_arg); }
static void run_nested_abort(void)
{
	step_nested(S_NESTED_ABORT, STE_CFG_ABORT, "abort", &g.abort_id);
}
static void run_nested_bypass(void)
{
	step_nested(S_NESTED_BYPASS, STE_CFG_BYPASS, "bypass", &g.bypass_id);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "vsid", required_argument, NULL, 'S' },
		{ "s1-ctx", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = argv[0] ? argv[0] : "smmuv3-accel-probe";
	int c;

	while ((c = getopt_long(argc, argv, "vjh", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			opt_verbose = true;
			break;
		case 'j':
			opt_json = true;
			break;
		case 'S':
			if (!parse_u64(optarg, &opt_vsid) || opt_vsid > 0xffffffffULL) {
				fprintf(stderr, "%s: --vsid wants a number 0..0xffffffff, got '%s'\n",
					prog, optarg);
				return 2;
			}
			break;
		case 'C':
			if (!parse_u64(optarg, &opt_s1_ctx) || (opt_s1_ctx & 0x3f) ||
			    (opt_s1_ctx & ~STE0_S1CTXPTR_MASK)) {
				fprintf(stderr, "%s: --s1-ctx wants a 64-byte aligned IPA below 2^52, got '%s'\n",
					prog, optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout, prog);
			return 0;
		default:
			usage(stderr, prog);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: %s\n", prog,
			optind >= argc ? "missing device argument" : "too many arguments");
		usage(stderr, prog);
		return 2;
	}
	dev_arg = argv[optind];
	if (dev_arg[0] != '/' && !parse_bdf(dev_arg, g.bdf, sizeof(g.bdf))) {
		fprintf(stderr, "%s: '%s' is neither a PCI address (e.g. 0000:00:01.0) nor a /dev/vfio/devices/vfioN path\n",
			prog, dev_arg);
		return 2;
	}
	vout = opt_json ? stderr : stdout;
	setvbuf(stdout, NULL, _IOLBF, 0);

	run(S_IOMMUFD, step_iommufd);
	run(S_VFIO_CDEV, run_vfio_cdev);
	run(S_HW_INFO, step_hw_info);
	run(S_IOAS, step_ioas);
	run(S_NEST_PARENT, step_nest_parent);
	run(S_VIOMMU, step_viommu);
	run(S_VDEVICE, step_vdevice);
	run(S_NESTED_ABORT, run_nested_abort);
	run(S_NESTED_BYPASS, run_nested_bypass);
	run(S_ATTACH, step_attach);
	run(S_NESTED_S1, step_nested_s1);
	run(S_INVALIDATE, step_invalidate);
	run(S_INVALIDATE_REJECT, step_invalidate_reject);
	run(S_VEVENTQ, step_veventq);
	run(S_CMDQV_VINTF, step_cmdqv_vintf);
	run(S_CMDQV_QUEUE, step_cmdqv_queue);
	run(S_CMDQV_FILTER, step_cmdqv_filter);
	cleanup();

	cmdqv_result();
	if (first_fail < 0) {
		if (opt_json)
			puts("{\"result\":\"READY\",\"detail\":\"arm-smmuv3,accel=on\"}");
		else
			puts("RESULT: READY for arm-smmuv3,accel=on");
		return cmdqv_fail < 0 ? 0 : 3;
	}
	if (opt_json) {
		fputs("{\"result\":\"NOT READY\",\"step\":", stdout);
		json_str(stdout, step_def[first_fail].name);
		fputs(",\"reason\":", stdout);
		json_str(stdout, first_fail_reason);
		fputs("}\n", stdout);
	} else {
		printf("RESULT: NOT READY: %s: %s\n", step_def[first_fail].name,
		       first_fail_reason);
	}
	return 1;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smmuv3-accel-probe: what its steps share (smmuv3-accel-probe.c, the
 * steps of the accelerated SMMUv3; cmdqv.c, those of the Tegra241 CMDQV)
 */
#ifndef SMMUV3_ACCEL_PROBE_H
#define SMMUV3_ACCEL_PROBE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

enum status { ST_NONE, ST_PASS, ST_WARN, ST_FAIL, ST_SKIP };

enum step_id {
	S_IOMMUFD, S_VFIO_CDEV, S_HW_INFO, S_IOAS, S_NEST_PARENT, S_VIOMMU,
	S_VDEVICE, S_NESTED_ABORT, S_NESTED_BYPASS, S_ATTACH, S_NESTED_S1,
	S_INVALIDATE, S_INVALIDATE_REJECT, S_VEVENTQ,
	S_CMDQV_VINTF, S_CMDQV_QUEUE, S_CMDQV_FILTER, S_NR
};

/* What the steps have allocated, for the steps after them and cleanup */
struct probe_state {
	char bdf[64];
	char cdev[PATH_MAX];
	char driver[64];
	char iommu[128];
	int group;
	int iommufd;
	int devfd;
	uint32_t dev_id;
	uint32_t ioas_id;
	uint32_t parent_id;
	uint32_t viommu_id;
	uint32_t vdev_id;
	uint32_t abort_id;
	uint32_t bypass_id;
	uint32_t s1_id;
	uint32_t veventq_id;
	int veventq_fd;
	bool attached;
	bool have_hw_info;
	struct iommu_hw_info_arm_smmuv3 info;
	const char *erratum;	/* IIDR erratum that turns nesting off */
};
extern struct probe_state g;
extern bool opt_verbose;
extern FILE *vout;

/* arg: the ioctl struct; data: what its data_uptr points to, or NULL */
typedef void (*dump_fn)(const void *arg, const void *data);

/* ioctl() with -v dumps; 0 or -errno */
int xioctl(int fd, unsigned long req, const char *name, void *arg,
	   const void *data, dump_fn dump);
/* A step's verdict, one line (the first FAIL is the probe's result) */
void report(enum step_id id, enum status st, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
const char *errno_name(int err);
/* What an iommufd errno means when nothing more precise is known */
const char *generic_meaning(int err);
/* IOMMU_DESTROY of *id (0: nothing), then *id = 0; 0 or -errno */
int destroy(uint32_t *id, const char *what);

/* cmdqv.c: the host's Tegra241 CMDQV, as cmdqv=on needs it */
void step_cmdqv_vintf(void);
void step_cmdqv_queue(void);
void step_cmdqv_filter(void);
/* Undo what they did; the number of warnings, *objs += objects freed */
unsigned int cmdqv_cleanup(unsigned int *objs);

#endif

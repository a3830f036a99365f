/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The checks behind `dmacopy info`: each names a requirement of some engine, says whether this
 * machine meets it, and if not, how to fix it. Where a check and a row of dmacopy_probe() describe
 * the same problem, both give the fix of include/dmacopy/remedies.h.
 */
#ifndef DMACOPY_DOCTOR_H
#define DMACOPY_DOCTOR_H

#include <stddef.h>

#include "sysinfo.h"

enum check_state {
	CHECK_OK,      /* requirement met */
	CHECK_MISSING, /* not present on this machine */
	CHECK_WARNING, /* present but not usable as it is */
};

struct check {
	const char *name;
	enum check_state state;
	char detail[512];
	char remedy[512]; /* "" when state is CHECK_OK or nothing can be done */
};

#define DOCTOR_MAX_CHECKS 12

/* What a DSA user WQ is, for the DSA check and the inventory. */
#define DSA_USER_WQ_NOTE                                                                           \
	"for user-space clients with SVA (PASID), such as DPDK or DTO; not used by dmacopy's "     \
	"kernel engine"

/* Evaluate every check against info; returns how many were written to checks[]. */
size_t doctor_run(const struct sysinfo *info, struct check *checks, size_t max);

/* "ok", "missing", "warning". */
const char *check_state_name(enum check_state state);

#endif /* DMACOPY_DOCTOR_H */

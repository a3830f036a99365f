// SPDX-License-Identifier: BSD-3-Clause
/*
 * libdmacopy core: the version, the per-thread last error and the texts of error codes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"

#define XSTR(x)       #x
#define STR(x)        XSTR(x)

const char *dmacopy_version(void)
{
	return STR(DMACOPY_VERSION_MAJOR) "." STR(DMACOPY_VERSION_MINOR) "." STR(
		DMACOPY_VERSION_PATCH);
}

/* ---- last error, per thread ------------------------------------------------------------------ */

/* Room for an engine's reason and its remedy (a dmacopy_probe() row's detail and remedy). */
static __thread char last_error[512];

int lib_error(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return err;
}

void lib_error_clear(void)
{
	last_error[0] = '\0';
}

const char *dmacopy_last_error(void)
{
	return last_error;
}

const char *dmacopy_strerror(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return "success";
	case EINVAL:
		return "invalid argument (NULL pointer, overlapping source and destination, unknown flag, "
		       "non-zero reserved field or malformed engine spec; dmacopy_last_error() says which)";
	case EOVERFLOW:
		return "address range wraps around the end of the address space";
	case E2BIG:
		return "operation larger than the engine's maximum transfer (see dmacopy_engine_caps)";
	case ENOSPC:
		return "queue full: submit, then reap completions with dmacopy_poll or dmacopy_wait";
	case EBADF:
		return "handle is closed or not a dmacopy handle";
	case ENODEV:
		return "engine not present on this machine (run 'dmacopy info' to see why and how to "
		       "enable it)";
	case ENOTSUP:
		return "operation not supported by this engine";
	case EACCES:
	case EPERM:
		return "permission denied (run 'dmacopy info' for the device permissions needed)";
	case EFAULT:
		return "memory not registered with this engine (use dmacopy_region_register)";
	case EBUSY:
		return "resource busy: operations still in flight, or the device is used by another "
		       "process";
	case ENXIO:
		return "device not set up for this engine (wrong driver, no IOMMU or VFIO missing; "
		       "run 'dmacopy info' to see what is missing)";
	case ERANGE:
		return "address outside what the device or IOMMU can reach";
	case EMFILE:
		return "too many devices open in this process";
	case EEXIST:
		return "region overlaps an existing registration";
	case ENOENT:
		return "no such engine, channel or device";
	case ENOMEM:
		return "out of memory";
	case ETIMEDOUT:
		return "timed out";
	case EIO:
		return "the DMA engine reported an error for this operation";
	case ECANCELED:
		return "operation aborted after an earlier failure on the channel";
	case EAGAIN:
		return "resource temporarily unavailable; try again";
	default:
		return "unknown error";
	}
}

const char *dmacopy_op_error_str(unsigned int error)
{
	static const char *const names[] = {
		[DMACOPY_OP_OK] = "ok",
		[DMACOPY_OP_READ_FAULT] = "read fault",
		[DMACOPY_OP_WRITE_FAULT] = "write fault",
		[DMACOPY_OP_ABORTED] = "aborted",
		[DMACOPY_OP_TIMEOUT] = "timeout",
		[DMACOPY_OP_CHANNEL_ERROR] = "channel error",
		[DMACOPY_OP_DEVICE_GONE] = "device gone",
	};

	if (error < ARRAY_SIZE(names) && names[error])
		return names[error];
	return "unknown";
}

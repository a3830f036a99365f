// SPDX-License-Identifier: BSD-3-Clause
/*
 * Reading sysfs attributes and links under a replaceable root (see sysinfo.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysinfo.h"

static void root_from_env(char *dst, size_t len, const char *var, const char *dflt)
{
	const char *v = getenv(var);

	snprintf(dst, len, "%s", v && v[0] ? v : dflt);
}

void sysroot_init(struct sysroot *root)
{
	root_from_env(root->sys, sizeof(root->sys), "DMACOPY_SYSFS_ROOT", "/sys");
	root_from_env(root->dev, sizeof(root->dev), "DMACOPY_DEV_ROOT", "/dev");
}

const char *sys_path(const struct sysroot *root, char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", root->sys, rel);
	return buf;
}

const char *dev_path(const struct sysroot *root, char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", root->dev, rel);
	return buf;
}

int sysfs_read_str(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		ret = ferror(f) ? -EIO : -ENODATA;
	fclose(f);
	if (ret) {
		buf[0] = '\0';
		return ret;
	}
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int sysfs_read_u64(const char *path, uint64_t *value)
{
	char buf[64], *end;
	unsigned long long v;
	int ret = sysfs_read_str(path, buf, sizeof(buf));

	if (ret)
		return ret;
	errno = 0;
	v = strtoull(buf, &end, 0);
	if (end == buf || errno)
		return -EINVAL;
	*value = v;
	return 0;
}

int sysfs_link_name(const char *path, char *buf, size_t len)
{
	char target[PATH_MAX];
	const char *base;
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	if (n < 0) {
		buf[0] = '\0';
		return -errno;
	}
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(buf, len, "%s", base ? base + 1 : target);
	return 0;
}

bool path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

char *strfmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return buf;
}

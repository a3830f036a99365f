// SPDX-License-Identifier: BSD-3-Clause
/* Small readers for sysfs attributes used by the engines' probes. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

int read_sysfs_str(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	if (!len)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

long long read_sysfs_ll(const char *path, int base)
{
	char buf[64], *end;
	long long v;

	if (read_sysfs_str(path, buf, sizeof(buf)))
		return -1;
	errno = 0;
	v = strtoll(buf, &end, base);
	if (errno || end == buf)
		return -1;
	return v;
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * Mapping ranges of regular files and device-dax nodes (see mapfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "mapfile.h"

static int fail(int err, char *why, size_t len, const char *what)
{
	snprintf(why, len, "%s: %s", what, strerror(-err));
	return err;
}

static int classify(struct mapfile *f, const struct stat *st, const struct sysroot *root, char *why,
                    size_t why_len)
{
	struct dax_device_info dax;
	char size[32];

	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->rdev = st->st_rdev;
	if (S_ISREG(st->st_mode)) {
		long page = sysconf(_SC_PAGESIZE);

		f->kind = MAPFILE_REGULAR;
		f->size = (uint64_t)st->st_size;
		f->align = page > 0 ? (uint64_t)page : 4096;
		return 0;
	}
	if (S_ISDIR(st->st_mode)) {
		snprintf(why, why_len, "is a directory; give a regular file or a /dev/daxX.Y node");
		return -EISDIR;
	}
	if (!S_ISCHR(st->st_mode) || dax_lookup_devt(root, st->st_rdev, &dax)) {
		snprintf(why, why_len,
		         "is not a regular file or a device-dax node (/dev/daxX.Y); "
		         "dmacopy copy maps only those");
		return -ENODEV;
	}
	if (!dax.align || dax.align & (dax.align - 1)) {
		snprintf(why, why_len,
		         "cannot read a valid alignment for device-dax %s from sysfs "
		         "(/sys/bus/dax/devices/%s/align)",
		         dax.name, dax.name);
		return -EINVAL;
	}
	if (!dax.size || dax.size % dax.align) {
		snprintf(why, why_len,
		         "device-dax %s reports size %s, not a multiple of its "
		         "alignment",
		         dax.name, format_bytes(dax.size, size, sizeof(size)));
		return -EINVAL;
	}
	f->kind = MAPFILE_DEVDAX;
	f->size = dax.size;
	f->align = dax.align;
	snprintf(f->dax_name, sizeof(f->dax_name), "%s", dax.name);
	return 0;
}

int mapfile_open(struct mapfile *f, const char *path, bool writable, bool create,
                 const struct sysroot *root, char *why, size_t why_len)
{
	int flags = (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC;
	struct stat st;
	int ret;

	memset(f, 0, sizeof(*f));
	f->path = path;
	f->fd = open(path, flags | (create ? O_CREAT : 0), 0666);
	if (f->fd < 0)
		return fail(-errno, why, why_len,
		            writable ? "cannot open for writing" : "cannot open for reading");
	if (fstat(f->fd, &st)) {
		ret = fail(-errno, why, why_len, "cannot stat");
		goto err;
	}
	ret = classify(f, &st, root, why, why_len);
	if (ret)
		goto err;
	return 0;
err:
	close(f->fd);
	f->fd = -1;
	return ret;
}

bool mapfile_same(const struct mapfile *a, const struct mapfile *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == MAPFILE_DEVDAX)
		return a->rdev == b->rdev;
	return a->dev == b->dev && a->ino == b->ino;
}

int mapfile_extend(struct mapfile *f, uint64_t size, char *why, size_t why_len)
{
	char end[32], cap[32];

	if (size <= f->size)
		return 0;
	if (f->kind != MAPFILE_REGULAR) {
		snprintf(why, why_len, "range ends at %s, beyond the device's capacity of %s",
		         format_size(size, end, sizeof(end)),
		         format_size(f->size, cap, sizeof(cap)));
		return -ENOSPC;
	}
	if (size > (uint64_t)INT64_MAX || ftruncate(f->fd, (off_t)size)) {
		int err = size > (uint64_t)INT64_MAX ? -EFBIG : -errno;

		snprintf(why, why_len, "cannot extend to %llu bytes: %s", (unsigned long long)size,
		         strerror(-err));
		return err;
	}
	f->size = size;
	return 0;
}

/*
 * MAP_POPULATE maps shared pages read-only, so the first store to each page would still fault
 * (and, for files, go through page_mkwrite). Fault them in writable up front.
 */
static void prefault_write(const struct mapfile_window *w)
{
	long page = sysconf(_SC_PAGESIZE);

#ifdef MADV_POPULATE_WRITE
	if (!madvise(w->base, w->len, MADV_POPULATE_WRITE))
		return;
#endif
	/* Older kernels: store each byte back to itself, which changes nothing. */
	for (size_t off = 0; off<w->len; off += page> 0 ? (size_t)page : 4096) {
		volatile uint8_t *b = (volatile uint8_t *)w->base + off;

		*b = *b;
	}
}

int mapfile_map(const struct mapfile *f, uint64_t offset, uint64_t len, bool writable,
                struct mapfile_window *w, char *why, size_t why_len)
{
	uint64_t start = offset - offset % f->align;
	uint64_t end = offset + len;
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	void *p;

	memset(w, 0, sizeof(*w));
	if (!len || end < offset || end > f->size) {
		snprintf(why, why_len, "range [%llu, +%llu) is outside the %llu bytes available",
		         (unsigned long long)offset, (unsigned long long)len,
		         (unsigned long long)f->size);
		return -EINVAL;
	}
	if (end % f->align)
		end += f->align - end % f->align;
	if (f->kind == MAPFILE_DEVDAX && end > f->size) {
		snprintf(why, why_len, "aligned window ends beyond the device");
		return -EINVAL;
	}
	/* MAP_POPULATE: fault everything in now, so that the timed copy moves data only. */
	p = mmap(NULL, end - start, prot, MAP_SHARED | MAP_POPULATE, f->fd, (off_t)start);
	if (p == MAP_FAILED) {
		int err = -errno;

		snprintf(why, why_len, "cannot map [%llu, %llu) (window aligned to %llu): %s",
		         (unsigned long long)start, (unsigned long long)end,
		         (unsigned long long)f->align, strerror(-err));
		return err;
	}
	w->base = p;
	w->len = end - start;
	w->data = (uint8_t *)p + (offset - start);
	if (writable)
		prefault_write(w);
	return 0;
}

void mapfile_unmap(struct mapfile_window *w)
{
	if (w->base)
		munmap(w->base, w->len);
	memset(w, 0, sizeof(*w));
}

void mapfile_close(struct mapfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

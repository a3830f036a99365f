/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Map a byte range of a regular file or a device-dax node (/dev/daxX.Y) into memory.
 *
 * Device-dax only accepts mappings whose offset and length are multiples of the device's
 * alignment (4 KiB, 2 MiB or 1 GiB, read from sysfs), so a range is mapped through an aligned
 * window around it. Mappings are MAP_SHARED: writes reach the file or the device memory.
 */
#ifndef DMACOPY_MAPFILE_H
#define DMACOPY_MAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sysinfo.h"

enum mapfile_kind {
	MAPFILE_REGULAR,
	MAPFILE_DEVDAX,
};

struct mapfile {
	const char *path;
	int fd;
	enum mapfile_kind kind;
	uint64_t size;  /* file length, or device-dax capacity */
	uint64_t align; /* mapping granularity: the page size, or the device-dax alignment */
	dev_t dev;      /* identity, to recognise the same file under two names */
	ino_t ino;
	dev_t rdev;
	char dax_name[32];
};

/* A mapped window [offset - lead, offset + len + tail) with data pointing at offset. */
struct mapfile_window {
	void *base;
	size_t len;
	uint8_t *data;
};

/*
 * Open path for reading, or for writing (creating a regular file when create is set). On failure
 * returns -errno and writes the reason, without the path, to why.
 */
int mapfile_open(struct mapfile *f, const char *path, bool writable, bool create,
                 const struct sysroot *root, char *why, size_t why_len);

/* Whether two open files are the same file or device. */
bool mapfile_same(const struct mapfile *a, const struct mapfile *b);

/* Grow a regular file to at least size bytes (device-dax cannot grow: -ENOSPC). */
int mapfile_extend(struct mapfile *f, uint64_t size, char *why, size_t why_len);

/* Map [offset, offset + len) (len > 0, inside f->size) read-only or read-write. */
int mapfile_map(const struct mapfile *f, uint64_t offset, uint64_t len, bool writable,
                struct mapfile_window *w, char *why, size_t why_len);

void mapfile_unmap(struct mapfile_window *w);
void mapfile_close(struct mapfile *f);

#endif /* DMACOPY_MAPFILE_H */

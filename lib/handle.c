// SPDX-License-Identifier: BSD-3-Clause
/*
 * libdmacopy core: the lifetime of handles (engines, queues, regions), parked when retired so
 * that a call on a closed handle fails with -EBADF instead of touching freed memory.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthread.h>
#include <stddef.h>
#include "core.h"

/* ---- handle lifetime ------------------------------------------------------------------------
 * Retired handles are parked, not freed, and reused for the next object of the same kind: a call on
 * a closed handle then finds MAGIC_DEAD and fails with -EBADF instead of touching freed memory.
 * Every handle struct starts with its 32-bit magic followed by a pointer-sized field, which the
 * parking link overlays.
 */

struct parked {
	uint32_t magic;
	struct parked *next;
};

/*
 * What parking relies on, for each handle struct: its magic where struct parked has it (a retired
 * handle reads MAGIC_DEAD) and room for the link; and a region's busy past the link, so that its
 * incarnation survives parking (obj_alloc()).
 */
#define PARKABLE(type)                                                                   \
	_Static_assert(offsetof(type, magic) == offsetof(struct parked, magic) &&        \
		       sizeof(((type *)0)->magic) == sizeof(uint32_t) &&                \
		       sizeof(type) >= sizeof(struct parked),                           \
		       #type " cannot be parked")
PARKABLE(struct dmacopy_engine);
PARKABLE(struct dmacopy_queue);
PARKABLE(struct dmacopy_region);
/* A closed engine's inline_limit stays 0 (the inline dmacopy_memcpy() reads it): the link is apart. */
_Static_assert(offsetof(struct dmacopy_engine, park_link) == offsetof(struct parked, next),
	       "the parking link would overwrite a closed engine's inline_limit");
_Static_assert(offsetof(struct dmacopy_region, busy) >= sizeof(struct parked),
	       "the parking link would overwrite a parked region's incarnation");

static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static struct parked *parked_lists[PARK_KINDS];

void *obj_alloc(unsigned int kind, size_t size)
{
	struct parked *p;

	pthread_mutex_lock(&park_lock);
	p = parked_lists[kind];
	if (p)
		parked_lists[kind] = p->next;
	pthread_mutex_unlock(&park_lock);
	if (p && kind == PARK_REGION) {
		/*
		 * busy keeps its incarnation across reuse: a queue holding a stale pointer
		 * compares it before taking a reference (queue_region_get()).
		 */
		size_t at = offsetof(struct dmacopy_region, busy), n = sizeof(uint64_t);

		memset(p, 0, at);
		memset((char *)p + at + n, 0, size - at - n);
		return p;
	}
	if (p) {
		memset(p, 0, size);
		return p;
	}
	return calloc(1, size);
}

void obj_retire(unsigned int kind, void *obj)
{
	struct parked *p = obj;

	p->magic = MAGIC_DEAD;
	pthread_mutex_lock(&park_lock);
	p->next = parked_lists[kind];
	parked_lists[kind] = p;
	pthread_mutex_unlock(&park_lock);
}

__attribute__((destructor)) static void park_release(void)
{
	for (unsigned int k = 0; k < PARK_KINDS; k++) {
		while (parked_lists[k]) {
			struct parked *p = parked_lists[k];

			parked_lists[k] = p->next;
			free(p);
		}
	}
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * SPDK-compatible DMA memory: spdk_mem_register()/unregister(), spdk_vtophys() and the
 * spdk_*malloc() family, over the process-wide IOMMU mappings of the VFIO layer (vfio_dma_map()).
 *
 * One table, sorted by address, lists every range this layer mapped: user registrations and
 * allocations. It gives the extent of each translation (so that an operation crossing two
 * registrations is split where the IOVAs stop being contiguous) and enforces SPDK's rules on
 * overlaps; the IOVAs themselves come from vfio_dma_translate().
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "spdk_priv.h"
#include "vfio.h"

#define SZ_2M      (2ull << 20)
#define MASK_2M    (SZ_2M - 1)
#define USER_LIMIT (1ull << 48) /* SPDK's map covers 256 TiB of user addresses */

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#define MAP_HUGE_2M (21 << MAP_HUGE_SHIFT)

enum region_kind {
	REGION_USER,  /* spdk_mem_register() */
	REGION_ALLOC, /* spdk_*malloc(): this layer owns the memory */
};

struct region {
	uintptr_t start;
	size_t len;
	uint64_t iova; /* of start, as vfio_dma_map() gave it */
	enum region_kind kind;
	bool hugetlb;
	size_t req_size; /* REGION_ALLOC: the size asked for (spdk_realloc copies that much) */
};

static pthread_rwlock_t mem_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct region *regions;
static size_t nr_regions, cap_regions;

/* Index of the first region ending after addr (nr_regions if none). Caller holds mem_lock. */
static size_t region_search(uintptr_t addr)
{
	size_t lo = 0, hi = nr_regions;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (regions[mid].start + regions[mid].len <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The region holding addr, or NULL. Caller holds mem_lock. */
static struct region *spdk_region_find(uintptr_t addr)
{
	size_t i = region_search(addr);

	if (i < nr_regions && regions[i].start <= addr)
		return &regions[i];
	return NULL;
}

/* Whether any region overlaps [start, start + len). Caller holds mem_lock. */
static bool region_overlaps(uintptr_t start, size_t len)
{
	size_t i = region_search(start);

	return i < nr_regions && regions[i].start < start + len;
}

/* Insert r (which overlaps nothing). Caller holds mem_lock for writing. */
static int region_insert(const struct region *r)
{
	size_t i;

	if (nr_regions == cap_regions) {
		size_t cap = cap_regions ? cap_regions * 2 : 64;
		struct region *n = realloc(regions, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		regions = n;
		cap_regions = cap;
	}
	i = region_search(r->start);
	memmove(&regions[i + 1], &regions[i], (nr_regions - i) * sizeof(*regions));
	regions[i] = *r;
	nr_regions++;
	return 0;
}

/* Caller holds mem_lock for writing. */
static void region_remove(struct region *r)
{
	size_t i = (size_t)(r - regions);

	memmove(&regions[i], &regions[i + 1], (nr_regions - i - 1) * sizeof(*regions));
	nr_regions--;
}

int dcspdk_mem_translate(const void *vaddr, uint64_t want, uint64_t *iova, uint64_t *avail)
{
	uintptr_t a = (uintptr_t)vaddr;
	uint64_t span = want ? want : 1;
	struct region *r;
	int rc;

	pthread_rwlock_rdlock(&mem_lock);
	r = spdk_region_find(a);
	if (r && r->start + r->len - a < span)
		span = r->start + r->len - a;
	rc = vfio_dma_translate(vaddr, span, iova, &span);
	pthread_rwlock_unlock(&mem_lock);
	if (rc)
		return -EFAULT;
	*avail = want ? span : 0;
	return 0;
}

uint64_t spdk_vtophys(const void *buf, uint64_t *size)
{
	uint64_t iova, avail;

	if (dcspdk_mem_translate(buf, size ? *size : 0, &iova, &avail))
		return SPDK_VTOPHYS_ERROR;
	if (size)
		*size = avail;
	return iova;
}

int spdk_mem_register(void *vaddr, size_t len)
{
	uintptr_t a = (uintptr_t)vaddr;
	struct region r = {.start = a, .len = len, .kind = REGION_USER};
	uint64_t iova;
	int rc;

	if (a >= USER_LIMIT || (a & MASK_2M) || (len & MASK_2M) || len > USER_LIMIT - a)
		return dcspdk_error(-EINVAL,
		                    "spdk_mem_register(%p, %zu): address and length must "
		                    "be multiples of 2 MiB within user space",
		                    vaddr, len);
	if (!len)
		return 0;

	pthread_rwlock_wrlock(&mem_lock);
	if (region_overlaps(a, len)) {
		rc = dcspdk_error(-EBUSY,
		                  "spdk_mem_register(%p, %zu): part of the range is "
		                  "already registered or allocated",
		                  vaddr, len);
		goto out;
	}
	rc = vfio_dma_map(vaddr, len, &iova);
	if (rc) {
		char why[200];

		snprintf(why, sizeof(why), "%s", dmacopy_last_error());
		if (rc == -EEXIST)
			rc = -EBUSY; /* mapped by another user of libdmacopy in this process */
		rc = dcspdk_error(rc, "spdk_mem_register(%p, %zu) failed: %s", vaddr, len, why);
		goto out;
	}
	r.iova = iova;
	rc = region_insert(&r);
	if (rc) {
		vfio_dma_unmap(vaddr, len, iova);
		rc = dcspdk_error(rc, "spdk_mem_register: out of memory");
	}
out:
	pthread_rwlock_unlock(&mem_lock);
	return rc;
}

int spdk_mem_unregister(void *vaddr, size_t len)
{
	uintptr_t a = (uintptr_t)vaddr, end = a + len, p;
	struct region *r;
	size_t i;
	int rc = 0;

	if (a >= USER_LIMIT || (a & MASK_2M) || (len & MASK_2M) || len > USER_LIMIT - a)
		return dcspdk_error(-EINVAL,
		                    "spdk_mem_unregister(%p, %zu): address and length "
		                    "must be multiples of 2 MiB within user space",
		                    vaddr, len);

	pthread_rwlock_wrlock(&mem_lock);
	/* The range must start and end on registration boundaries... */
	r = spdk_region_find(a);
	if (r && r->start != a) {
		rc = dcspdk_error(-ERANGE,
		                  "spdk_mem_unregister(%p, %zu): starts inside the "
		                  "registration at %p",
		                  vaddr, len, (void *)r->start);
		goto out;
	}
	/* ...be covered by registrations without gaps... */
	for (p = a; p < end; p = r->start + r->len) {
		r = spdk_region_find(p);
		if (!r) {
			rc = dcspdk_error(-EINVAL,
			                  "spdk_mem_unregister(%p, %zu): %p is not "
			                  "registered",
			                  vaddr, len, (void *)p);
			goto out;
		}
		if (r->kind != REGION_USER) {
			rc = dcspdk_error(-EINVAL,
			                  "spdk_mem_unregister(%p, %zu): %p was allocated "
			                  "by spdk_*malloc(); free it instead",
			                  vaddr, len, (void *)p);
			goto out;
		}
	}
	/* ...and not cut the last one. */
	if (len && r->start + r->len > end) {
		rc = dcspdk_error(-ERANGE,
		                  "spdk_mem_unregister(%p, %zu): ends inside the "
		                  "registration %p-%p",
		                  vaddr, len, (void *)r->start, (void *)(r->start + r->len));
		goto out;
	}
	i = region_search(a);
	while (i < nr_regions && regions[i].start < end) {
		r = &regions[i];
		rc = vfio_dma_unmap((void *)r->start, r->len, r->iova);
		if (rc) {
			rc = dcspdk_error(rc, "spdk_mem_unregister: unmapping %p-%p failed: %s",
			                  (void *)r->start, (void *)(r->start + r->len),
			                  dmacopy_last_error());
			goto out;
		}
		region_remove(r);
	}
out:
	pthread_rwlock_unlock(&mem_lock);
	return rc;
}

/* ---- allocation ------------------------------------------------------------------------------ */

/* Map len bytes (a multiple of 2 MiB) aligned to align (a power of two >= 2 MiB). */
static void *map_aligned(size_t len, size_t align, bool *hugetlb)
{
	size_t extra = align > SZ_2M ? align : 0;
	uintptr_t base, start;
	void *p;

	*hugetlb = true;
	p = mmap(NULL, len + extra, PROT_READ | PROT_WRITE,
	         MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2M, -1, 0);
	if (p == MAP_FAILED) {
		*hugetlb = false;
		extra = align;
		p = mmap(NULL, len + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		         0);
		if (p == MAP_FAILED)
			return NULL;
	}
	base = (uintptr_t)p;
	start = (base + align - 1) & ~(uintptr_t)(align - 1);
	if (start > base)
		munmap(p, start - base);
	if (base + len + extra > start + len)
		munmap((void *)(start + len), base + len + extra - (start + len));
	p = (void *)start;
	/* The IOMMU maps these pages: a child process must not get copy-on-write versions. */
	madvise(p, len, MADV_DONTFORK);
	if (!*hugetlb)
		madvise(p, len, MADV_HUGEPAGE);
	return p;
}

static void *dma_alloc(size_t size, size_t align, uint64_t *phys_addr)
{
	struct region r = {.kind = REGION_ALLOC, .req_size = size};
	uint64_t iova;
	void *p;
	int rc;

	if (!size || (align & (align - 1)) || size > USER_LIMIT) {
		lib_error(-EINVAL, "spdk malloc: size %zu must be > 0 and align %zu a power of two",
		          size, align);
		errno = EINVAL;
		return NULL;
	}
	if (align < SZ_2M)
		align = SZ_2M;
	r.len = (size + MASK_2M) & ~(size_t)MASK_2M;
	p = map_aligned(r.len, align, &r.hugetlb);
	if (!p) {
		dcspdk_error(-ENOMEM, "spdk malloc: cannot map %zu bytes", r.len);
		errno = ENOMEM;
		return NULL;
	}
	r.start = (uintptr_t)p;

	pthread_rwlock_wrlock(&mem_lock);
	rc = vfio_dma_map(p, r.len, &iova);
	if (rc) {
		pthread_rwlock_unlock(&mem_lock);
		dcspdk_error(rc, "spdk malloc: mapping %zu bytes for DMA failed: %s", r.len,
		             dmacopy_last_error());
		munmap(p, r.len);
		errno = -rc;
		return NULL;
	}
	r.iova = iova;
	rc = region_insert(&r);
	pthread_rwlock_unlock(&mem_lock);
	if (rc) {
		vfio_dma_unmap(p, r.len, iova);
		munmap(p, r.len);
		errno = ENOMEM;
		return NULL;
	}
	if (phys_addr) {
		uint64_t avail;

		/* The device address (physical without an IOMMU), as spdk_vtophys() says. */
		if (vfio_dma_translate(p, r.len, &iova, &avail))
			iova = r.iova;
		*phys_addr = iova;
	}
	return p;
}

static void dma_release(void *buf, bool dma_api)
{
	struct region r, *found;
	int rc;

	if (!buf)
		return;
	pthread_rwlock_wrlock(&mem_lock);
	found = spdk_region_find((uintptr_t)buf);
	if (!found || found->kind != REGION_ALLOC || found->start != (uintptr_t)buf) {
		pthread_rwlock_unlock(&mem_lock);
		dcspdk_error(-EINVAL, "%s(%p): not a buffer from %s",
		             dma_api ? "spdk_dma_free" : "spdk_free", buf,
		             dma_api ? "spdk_dma_*malloc()" : "spdk_*malloc()");
		return;
	}
	r = *found;
	region_remove(found);
	rc = vfio_dma_unmap(buf, r.len, r.iova);
	pthread_rwlock_unlock(&mem_lock);
	if (rc)
		dcspdk_error(rc, "freeing %p: unmapping it for DMA failed: %s", buf,
		             dmacopy_last_error());
	munmap(buf, r.len);
}

static void *dma_realloc(void *buf, size_t size, size_t align, uint64_t *phys_addr, bool dma_api)
{
	struct region *r;
	size_t old;
	void *n;

	if (!buf)
		return dma_alloc(size, align, phys_addr);
	if (!size) {
		dma_release(buf, dma_api);
		return NULL;
	}
	pthread_rwlock_rdlock(&mem_lock);
	r = spdk_region_find((uintptr_t)buf);
	old = r && r->kind == REGION_ALLOC && r->start == (uintptr_t)buf ? r->req_size : 0;
	pthread_rwlock_unlock(&mem_lock);
	if (!old) {
		dcspdk_error(-EINVAL, "realloc(%p): not a buffer from this library", buf);
		return NULL;
	}
	n = dma_alloc(size, align, phys_addr);
	if (!n)
		return NULL;
	memcpy(n, buf, old < size ? old : size);
	dma_release(buf, dma_api);
	return n;
}

void *spdk_malloc(size_t size, size_t align, uint64_t *phys_addr, int socket_id, uint32_t flags)
{
	(void)socket_id;
	if (!flags) {
		lib_error(-EINVAL, "spdk_malloc: flags must not be 0");
		return NULL;
	}
	return dma_alloc(size, align, phys_addr);
}

void *spdk_zmalloc(size_t size, size_t align, uint64_t *phys_addr, int socket_id, uint32_t flags)
{
	/* Fresh anonymous and hugetlb mappings are zero-filled. */
	return spdk_malloc(size, align, phys_addr, socket_id, flags);
}

void *spdk_realloc(void *buf, size_t size, size_t align)
{
	return dma_realloc(buf, size, align, NULL, false);
}

void spdk_free(void *buf)
{
	dma_release(buf, false);
}

void *spdk_dma_malloc_socket(size_t size, size_t align, uint64_t *phys_addr, int socket_id)
{
	(void)socket_id;
	return dma_alloc(size, align, phys_addr);
}

void *spdk_dma_malloc(size_t size, size_t align, uint64_t *phys_addr)
{
	return spdk_dma_malloc_socket(size, align, phys_addr, SPDK_ENV_SOCKET_ID_ANY);
}

void *spdk_dma_zmalloc_socket(size_t size, size_t align, uint64_t *phys_addr, int socket_id)
{
	return spdk_dma_malloc_socket(size, align, phys_addr, socket_id);
}

void *spdk_dma_zmalloc(size_t size, size_t align, uint64_t *phys_addr)
{
	return spdk_dma_malloc_socket(size, align, phys_addr, SPDK_ENV_SOCKET_ID_ANY);
}

void *spdk_dma_realloc(void *buf, size_t size, size_t align, uint64_t *phys_addr)
{
	return dma_realloc(buf, size, align, phys_addr, true);
}

void spdk_dma_free(void *buf)
{
	dma_release(buf, true);
}

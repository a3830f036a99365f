/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the guest programs of the user-space I/OAT engine (tests/vm/progs/ioatuser_*.c,
 * public libdmacopy API only): failure reporting, a reproducible PRNG, DMA buffers over anonymous,
 * hugetlb and device-dax memory, and a verified random workload ("ops"): copies and fills with
 * random sizes, alignments and batch sizes, every destination surrounded by guard bytes and checked
 * byte for byte after its completion.
 */
#ifndef IOATUSER_H
#define IOATUSER_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <dmacopy.h>

#define DAX_PATH "/dev/dax0.0"
#define MiB      (1024u * 1024u)
#define GUARD    64 /* guard bytes on each side of every destination */

static const char *test_name = "ioatuser";

#include "progs_util.h"

static inline uint64_t seed_from(const char *arg)
{
	uint64_t seed = arg ? strtoull(arg, NULL, 0) : 0;

	if (!seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^
		       (uint64_t)getpid() << 40;
	}
	return seed | 1;
}

/* ---- engines ------------------------------------------------------------------------------------
 */

static inline struct dmacopy_engine *engine_open(const char *spec)
{
	struct dmacopy_engine *e;
	int ret = dmacopy_engine_open(&e, spec, NULL);

	if (ret)
		die("dmacopy_engine_open(\"%s\"): %d %s: %s", spec, ret, dmacopy_strerror(ret),
		    dmacopy_last_error());
	return e;
}

static inline struct dmacopy_caps engine_caps(struct dmacopy_engine *e)
{
	struct dmacopy_caps caps;
	int ret = dmacopy_engine_caps(e, &caps);

	if (ret)
		die("dmacopy_engine_caps(%s): %d %s", dmacopy_engine_name(e), ret,
		    dmacopy_last_error());
	return caps;
}

/* ---- memory -------------------------------------------------------------------------------------
 */

enum mem_kind { MEM_ANON, MEM_HUGE, MEM_DAX, MEM_KINDS };

static const char *const mem_kind_name[MEM_KINDS] = {"anon", "huge", "dax"};

struct dbuf {
	enum mem_kind kind;
	unsigned char *p;
	size_t len;
	struct dmacopy_region *reg;
};

/* Parse "anon,huge,dax" into a bit mask of enum mem_kind. */
static inline unsigned int mem_kinds_parse(const char *arg)
{
	unsigned int mask = 0;
	char buf[64], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int k;

		for (k = 0; k < MEM_KINDS; k++)
			if (!strcmp(tok, mem_kind_name[k]))
				break;
		if (k == MEM_KINDS)
			die("unknown memory kind '%s' (anon, huge, dax)", tok);
		mask |= 1u << k;
	}
	if (!mask)
		die("no memory kind in '%s'", arg);
	return mask;
}

/*
 * Map len bytes of a kind (dax: at byte offset dax_off of /dev/dax0.0; len and dax_off multiples of
 * 2 MiB) and touch every page.
 */
static inline void dbuf_map(struct dbuf *b, enum mem_kind kind, size_t len, uint64_t dax_off)
{
	void *p;

	b->kind = kind;
	b->len = len;
	b->reg = NULL;
	if (kind == MEM_DAX) {
		int fd = open(DAX_PATH, O_RDWR | O_CLOEXEC);

		if (fd < 0)
			die("open %s: %s", DAX_PATH, strerror(errno));
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)dax_off);
		close(fd);
	} else {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		         MAP_PRIVATE | MAP_ANONYMOUS | (kind == MEM_HUGE ? MAP_HUGETLB : 0), -1, 0);
	}
	if (p == MAP_FAILED)
		die("mmap %zu bytes of %s memory%s: %s", len, mem_kind_name[kind],
		    kind == MEM_HUGE ? " (set /proc/sys/vm/nr_hugepages)" : "", strerror(errno));
	memset(p, 0, len);
	b->p = p;
}

/* Whether the mapping holding p has VmFlag flag (two letters) in /proc/self/smaps. */
static inline bool vma_has_flag(const void *p, const char *flag)
{
	char line[512];
	unsigned long lo, hi, a = (unsigned long)p;
	bool in = false, found = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		die("cannot read /proc/self/smaps");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = a >= lo && a < hi;
		else if (in && !strncmp(line, "VmFlags:", 8)) {
			char want[8];

			snprintf(want, sizeof(want), " %s", flag);
			found = strstr(line + 8, want) != NULL;
			break;
		}
	}
	fclose(f);
	return found;
}

/* The physical-address layout (no IOMMU) keeps registered memory out of fork() children. */
static inline bool phys_layout_expected(void)
{
	const char *v = getenv("DMACOPY_IOAT_PHYS_IOVA");

	return v && !strcmp(v, "1");
}

static inline void dbuf_register(struct dmacopy_engine *e, struct dbuf *b)
{
	int ret = dmacopy_region_register(e, b->p, b->len, &b->reg);

	if (ret)
		die("dmacopy_region_register(%s, %s memory, %zu bytes): %d %s: %s",
		    dmacopy_engine_name(e), mem_kind_name[b->kind], b->len, ret,
		    dmacopy_strerror(ret), dmacopy_last_error());
	if (phys_layout_expected() && !vma_has_flag(b->p, "dc"))
		die("%s memory registered with physical addresses is not MADV_DONTFORK",
		    mem_kind_name[b->kind]);
}

static inline void dbuf_release(struct dbuf *b)
{
	int ret;

	if (b->reg) {
		ret = dmacopy_region_unregister(b->reg);
		if (ret)
			die("dmacopy_region_unregister(%s memory): %d %s", mem_kind_name[b->kind],
			    ret, dmacopy_last_error());
		b->reg = NULL;
		/*
		 * Unregistering undoes MADV_DONTFORK, where the kernel lets it: 7.x kernels refuse
		 * MADV_DOFORK on hugetlb mappings (EINVAL), and the flag then stays, as it would
		 * for any program.
		 */
		if (phys_layout_expected() && vma_has_flag(b->p, "dc") &&
		    !(b->kind == MEM_HUGE && madvise(b->p, b->len, MADV_DOFORK) && errno == EINVAL))
			die("%s memory still MADV_DONTFORK after unregistering",
			    mem_kind_name[b->kind]);
	}
	munmap(b->p, b->len);
	b->p = NULL;
}

/* ---- verification
 * --------------------------------------------------------------------------------- */

/* Offset of the first byte of [p, p + len) that is not c, or len. */
static inline size_t first_not(const unsigned char *p, size_t len, unsigned char c)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != c)
			return i;
	return len;
}

/* Offset of the first byte of dst that is not the fill pattern, or len. */
static inline size_t fill_mismatch(const unsigned char *dst, size_t len, uint64_t pattern)
{
	unsigned char ref[4096];
	size_t off, n, i;

	for (i = 0; i < sizeof(ref); i++)
		ref[i] = (unsigned char)(pattern >> (8 * (i % 8)));
	for (off = 0; off < len; off += n) {
		n = len - off < sizeof(ref) ? len - off : sizeof(ref);
		if (memcmp(dst + off, ref, n)) {
			for (i = 0; i < n; i++)
				if (dst[off + i] != ref[i])
					return off + i;
		}
	}
	return len;
}

/* Offset of the first byte where a and b differ, or len. */
static inline size_t copy_mismatch(const unsigned char *a, const unsigned char *b, size_t len)
{
	size_t i;

	if (!memcmp(a, b, len))
		return len;
	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			break;
	return i;
}

/* ---- the verified random workload
 * ------------------------------------------------------------------ */

struct op {
	unsigned char *dst;
	const unsigned char *src; /* NULL: a fill */
	uint64_t pattern;
	size_t len;
	unsigned char poison; /* the guards' byte, and the destination's before the operation */
	bool done;
	int32_t status;
	uint16_t error;
	uint64_t first_desc; /* 1-based index of its first data descriptor on the channel */
	uint32_t descs;      /* data descriptors it takes */
};

struct ops_cfg {
	uint64_t count; /* operations */
	size_t min_len, max_len;
	unsigned int min_batch, max_batch;
	unsigned int fill_pct; /* percentage of fills */
	unsigned int depth;    /* queue depth */
	bool single_desc;      /* keep every operation within one descriptor (len <= hw_max) */
	bool allow_errors;     /* failed operations are recorded, not fatal (fault injection) */
	unsigned int corrupt;  /* checking the checker: 1 flips a data byte, 2 a guard byte */
	/* called for every finished batch (fault injection checks); may be NULL */
	void (*batch_done)(void *arg, struct op *ops, unsigned int n);
	void *arg;
};

struct ops_stats {
	uint64_t ops, copies, fills, bytes, descs, batches, max_batch, enospc, failed;
	uint64_t ok_after_last_failure;
	uint64_t min_len, max_len;
	double seconds;
};

/* Memory a workload uses: sources (random data, never written) and destination arenas. */
struct ops_mem {
	struct dbuf src[MEM_KINDS], dst[MEM_KINDS];
	unsigned int kinds; /* mask of enum mem_kind */
};

static inline void ops_mem_setup(struct ops_mem *m, struct dmacopy_engine *e, unsigned int kinds,
                                 size_t src_len, size_t dst_len, uint64_t dax_off, uint64_t *rs)
{
	int k;

	memset(m, 0, sizeof(*m));
	m->kinds = kinds;
	for (k = 0; k < MEM_KINDS; k++) {
		if (!(kinds & (1u << k)))
			continue;
		dbuf_map(&m->src[k], (enum mem_kind)k, src_len, dax_off);
		dbuf_map(&m->dst[k], (enum mem_kind)k, dst_len, dax_off + src_len);
		if (k == MEM_DAX)
			dax_off += src_len + dst_len;
		rnd_fill(rs, m->src[k].p, src_len);
		dbuf_register(e, &m->src[k]);
		dbuf_register(e, &m->dst[k]);
	}
}

static inline void ops_mem_release(struct ops_mem *m)
{
	int k;

	for (k = 0; k < MEM_KINDS; k++) {
		if (m->kinds & (1u << k)) {
			dbuf_release(&m->src[k]);
			dbuf_release(&m->dst[k]);
		}
	}
}

/*
 * Places in [p, p + len) where the next 4 KiB page is not physically after the previous one
 * (from /proc/self/pagemap; needs root); -1 if the physical addresses cannot be read.
 */
static inline long phys_breaks(const void *p, size_t len)
{
	uintptr_t va = (uintptr_t)p & ~(uintptr_t)4095;
	size_t pages = (len + ((uintptr_t)p & 4095) + 4095) / 4096;
	uint64_t prev = 0;
	long breaks = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return -1;
	for (size_t i = 0; i < pages; i++) {
		uint64_t pfn;

		if (pagemap_pfn(fd, va + i * 4096, &pfn)) {
			close(fd);
			return -1;
		}
		if (i && pfn != prev + 1)
			breaks++;
		prev = pfn;
	}
	close(fd);
	return breaks;
}

static inline enum mem_kind pick_kind(uint64_t *rs, unsigned int kinds)
{
	for (;;) {
		unsigned int k = (unsigned int)rnd_below(rs, MEM_KINDS);

		if (kinds & (1u << k))
			return (enum mem_kind)k;
	}
}

/* Check one finished operation: guards intact, data right if it succeeded. */
static inline void op_verify(const char *who, uint64_t idx, const struct op *o)
{
	size_t at;

	at = first_not(o->dst - GUARD, GUARD, o->poison);
	if (at != GUARD)
		die("%s: op %" PRIu64
		    " (%s of %zu bytes at %p): guard byte %zu before the destination "
		    "changed to %#x",
		    who, idx, o->src ? "copy" : "fill", o->len, (void *)o->dst, GUARD - at,
		    o->dst[-(long)(GUARD - at)]);
	at = first_not(o->dst + o->len, GUARD, o->poison);
	if (at != GUARD)
		die("%s: op %" PRIu64
		    " (%s of %zu bytes at %p): guard byte %zu after the destination "
		    "changed to %#x",
		    who, idx, o->src ? "copy" : "fill", o->len, (void *)o->dst, at,
		    o->dst[o->len + at]);
	if (o->status)
		return;
	at = o->src ? copy_mismatch(o->dst, o->src, o->len)
	            : fill_mismatch(o->dst, o->len, o->pattern);
	if (at != o->len)
		die("%s: op %" PRIu64 " (%s of %zu bytes, %p <- %p): byte %zu is %#x, expected %#x",
		    who, idx, o->src ? "copy" : "fill", o->len, (void *)o->dst,
		    (const void *)o->src, at, o->dst[at],
		    o->src ? o->src[at]
		           : (unsigned int)(unsigned char)(o->pattern >> (8 * (at % 8))));
}

/*
 * Reap at least min completions into ops[] (matched by user_data = base + index); fatal on a stray,
 * duplicate or (unless allowed) failed completion. Returns the number reaped.
 */
static inline unsigned int ops_reap(const char *who, struct dmacopy_queue *q, struct op *ops,
                                    uint64_t base, unsigned int n, unsigned int min,
                                    struct dmacopy_completion *c, unsigned int cmax,
                                    bool allow_errors)
{
	int got, i;

	got = dmacopy_wait(q, c, min, cmax, 60000);
	if (got < 0)
		die("%s: dmacopy_wait: %d %s: %s", who, got, dmacopy_strerror(got),
		    dmacopy_last_error());
	if ((unsigned int)got < min)
		die("%s: dmacopy_wait: %d of %u completions after 60 s (%u in flight)", who, got,
		    min, dmacopy_queue_inflight(q));
	for (i = 0; i < got; i++) {
		uint64_t idx = c[i].user_data - base;
		struct op *o;

		if (c[i].user_data < base || idx >= n)
			die("%s: stray completion user_data %#" PRIx64, who, c[i].user_data);
		o = &ops[idx];
		if (o->done)
			die("%s: op %" PRIu64 " completed twice", who, idx);
		o->done = true;
		o->status = c[i].status;
		o->error = c[i].error;
		if (o->status && !allow_errors)
			die("%s: op %" PRIu64
			    " (%s of %zu bytes) failed: status %d (%s), error %u (%s)",
			    who, idx, o->src ? "copy" : "fill", o->len, o->status,
			    dmacopy_strerror(o->status), o->error, dmacopy_op_error_str(o->error));
	}
	return (unsigned int)got;
}

/*
 * Run cfg->count random operations on queue q over memory m, in batches, verifying each. desc_base
 * counts the data descriptors the channel has executed so far (updated), for fault injection.
 */
static inline void ops_run(const char *who, struct dmacopy_engine *e, struct dmacopy_queue *q,
                           struct ops_mem *m, const struct ops_cfg *cfg, uint64_t *rs,
                           uint64_t *desc_base, struct ops_stats *st)
{
	struct dmacopy_caps caps = engine_caps(e);
	unsigned int maxb = cfg->max_batch, i;
	struct op *ops = calloc(maxb, sizeof(*ops));
	struct dmacopy_completion *c = calloc(maxb, sizeof(*c));
	uint64_t done_ops = 0, base = 0;
	size_t maxlen = cfg->max_len;
	double t0 = now_sec();
	bool failed_seen = false;

	if (!ops || !c)
		die("out of memory");
	if (cfg->single_desc && maxlen > caps.hw_max_transfer)
		maxlen = caps.hw_max_transfer;
	memset(st, 0, sizeof(*st));
	st->min_len = UINT64_MAX;
	while (done_ops < cfg->count) {
		unsigned int want, n = 0, reaped = 0, k;
		size_t used[MEM_KINDS] = {0};
		size_t batch_max = maxlen;
		int ret;

		/* Batch size log-uniform in [min_batch, max_batch]; the first batches take the
		 * ends. */
		if (st->batches == 0)
			want = cfg->max_batch;
		else if (st->batches == 1)
			want = cfg->min_batch;
		else
			want = (unsigned int)rnd_log(rs, cfg->min_batch, cfg->max_batch);
		if (want > cfg->count - done_ops)
			want = (unsigned int)(cfg->count - done_ops);
		/*
		 * Big batches of small operations and small batches of big ones both occur; the
		 * first batch is a full one of small operations, the second one of the largest.
		 */
		if (st->batches == 0 && batch_max > 4096)
			batch_max = 4096;
		else if (st->batches > 1 && rnd_below(rs, 2))
			batch_max =
			        (size_t)rnd_log(rs, cfg->min_len > 1 ? cfg->min_len : 1, maxlen);
		if (batch_max < cfg->min_len)
			batch_max = cfg->min_len;

		base = (done_ops + 1) << 20;
		for (n = 0; n < want; n++) {
			struct op *o = &ops[n];
			enum mem_kind dk = pick_kind(rs, m->kinds), sk = pick_kind(rs, m->kinds);
			size_t len, room, off, mis;
			uint64_t first;

			len = (size_t)rnd_log(rs, cfg->min_len, batch_max);
			/* the ends of the range, now and then, and in the second batch */
			if (rnd_below(rs, 64) == 0)
				len = rnd_below(rs, 2) ? cfg->min_len : batch_max;
			if (st->batches == 1 && n == 0)
				len = batch_max;
			mis = (size_t)rnd_below(rs, 64);
			room = m->dst[dk].len - used[dk];
			if (GUARD + mis + len + GUARD > room)
				break; /* the arena is full: the batch ends here */
			off = used[dk] + GUARD + mis;
			used[dk] = off + len + GUARD;
			memset(o, 0, sizeof(*o));
			o->dst = m->dst[dk].p + off;
			o->len = len;
			if (caps.flags & DMACOPY_CAP_FILL && rnd_below(rs, 100) < cfg->fill_pct) {
				o->src = NULL;
				o->pattern = rnd_next(rs);
				first = o->pattern & 0xff;
			} else {
				o->src = m->src[sk].p + rnd_below(rs, m->src[sk].len - len + 1);
				first = o->src[0];
			}
			o->poison = (unsigned char)(first ^ (0x80 | rnd_below(rs, 0x80)));
			memset(o->dst - GUARD, o->poison, GUARD + len + GUARD);
			o->descs = len ? (uint32_t)((len + caps.hw_max_transfer - 1) /
			                            caps.hw_max_transfer)
			               : 1;
			o->first_desc = *desc_base + 1;
			*desc_base += o->descs;
		}
		if (n == 0)
			die("%s: no room for an operation (arena too small for %zu bytes)", who,
			    batch_max);

		/* Enqueue; a full queue or ring (-ENOSPC) is drained and the operation retried. */
		for (k = 0; k < n; k++) {
			struct op *o = &ops[k];

			for (;;) {
				if (o->src)
					ret = dmacopy_enqueue_copy(q, o->dst, o->src, o->len,
					                           base + k, 0);
				else
					ret = dmacopy_enqueue_fill(q, o->dst, o->pattern, o->len,
					                           base + k, 0);
				if (ret != -ENOSPC)
					break;
				st->enospc++;
				if (dmacopy_queue_pending(q)) {
					ret = dmacopy_submit(q);
					if (ret < 0)
						die("%s: dmacopy_submit: %d %s", who, ret,
						    dmacopy_last_error());
				}
				if (!dmacopy_queue_inflight(q))
					die("%s: -ENOSPC with nothing in flight (op %u of %u, "
					    "depth %u)",
					    who, k, n, cfg->depth);
				reaped += ops_reap(who, q, ops, base, n, 1, c, maxb,
				                   cfg->allow_errors);
			}
			if (ret)
				die("%s: enqueue op %u (%s of %zu bytes): %d %s: %s", who, k,
				    o->src ? "copy" : "fill", o->len, ret, dmacopy_strerror(ret),
				    dmacopy_last_error());
		}
		ret = dmacopy_submit(q);
		if (ret < 0)
			die("%s: dmacopy_submit: %d %s: %s", who, ret, dmacopy_strerror(ret),
			    dmacopy_last_error());
		while (reaped < n)
			reaped += ops_reap(who, q, ops, base, n, 1, c, maxb, cfg->allow_errors);
		if (dmacopy_queue_inflight(q) || dmacopy_queue_pending(q))
			die("%s: %u in flight, %u pending after every operation completed", who,
			    dmacopy_queue_inflight(q), dmacopy_queue_pending(q));

		if (cfg->corrupt && st->batches == 0) {
			struct op *o = &ops[n / 2];

			if (cfg->corrupt == 1)
				o->dst[o->len / 2] ^= 0x10;
			else
				o->dst[o->len + GUARD / 2] ^= 0x10;
		}
		for (k = 0; k < n; k++) {
			struct op *o = &ops[k];

			if (!o->done)
				die("%s: op %u never completed", who, k);
			op_verify(who, done_ops + k, o);
			st->bytes += o->len;
			st->descs += o->descs;
			if (o->src)
				st->copies++;
			else
				st->fills++;
			if (o->len < st->min_len)
				st->min_len = o->len;
			if (o->len > st->max_len)
				st->max_len = o->len;
			if (o->status) {
				st->failed++;
				st->ok_after_last_failure = 0;
				failed_seen = true;
			} else if (failed_seen) {
				st->ok_after_last_failure++;
			}
		}
		if (cfg->batch_done)
			cfg->batch_done(cfg->arg, ops, n);
		st->ops += n;
		st->batches++;
		if (n > st->max_batch)
			st->max_batch = n;
		done_ops += n;
	}
	st->seconds = now_sec() - t0;
	(void)i;
	free(ops);
	free(c);
}

static inline struct dmacopy_queue *queue_create(struct dmacopy_engine *e, unsigned int depth)
{
	struct dmacopy_queue_opts qo = {.depth = depth};
	struct dmacopy_queue *q;
	int ret = dmacopy_queue_create(e, &qo, &q);

	if (ret)
		die("dmacopy_queue_create(%s, depth %u): %d %s: %s", dmacopy_engine_name(e), depth,
		    ret, dmacopy_strerror(ret), dmacopy_last_error());
	return q;
}

#endif /* IOATUSER_H */

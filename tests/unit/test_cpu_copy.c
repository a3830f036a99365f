// SPDX-License-Identifier: BSD-3-Clause
/*
 * The CPU engine's copy core (lib/cpu_copy*.c): every kernel variant this CPU can run, every size
 * 0..4097 at every source/destination alignment 0..63, random large sizes, the non-temporal and
 * `rep movsb` paths, fills with patterns at odd lengths, and the worker pool (1..8 threads, and
 * several threads sharing one pool).
 *
 * Destination bytes outside the copy are guard bytes that no source byte equals, so any over- or
 * under-copy shows; under AddressSanitizer the bytes around source and destination are also
 * poisoned, so a kernel reading or writing one byte too far fails at that access.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cpu_copy.h"
#include "cpu_copy_impl.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define GUARD     0xA5
#define MARGIN    128 /* guard bytes kept on each side of every destination */
#define MAX_SMALL 4097

/* ---- helpers ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible across runs (the seed is fixed) */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void *xalloc(size_t n)
{
	void *p = NULL;

	assert_int_equal(posix_memalign(&p, 4096, n), 0);
	return p;
}

/* Source bytes: random, never equal to the guard byte. */
static void fill_source(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char b = (unsigned char)rnd();

		p[i] = b == GUARD ? 0x5A : b;
	}
}

static unsigned char guard_ref[MARGIN];

/* Index of the first byte of p[0..n) that is not v, or SIZE_MAX. */
static size_t first_not(const unsigned char *p, size_t n, unsigned char v)
{
	/* the common case with one (sanitizer-friendly) memcmp */
	if (v == GUARD && n <= MARGIN && !memcmp(p, guard_ref, n))
		return SIZE_MAX;
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return i;
	return SIZE_MAX;
}

/* dst region [d, d + n) must equal src, and MARGIN bytes on each side must still be guard. */
static void check_copy(const char *what, const unsigned char *d, const unsigned char *s, size_t n,
                       size_t da, size_t sa)
{
	size_t bad;

	if (n && memcmp(d, s, n)) {
		for (bad = 0; d[bad] == s[bad]; bad++)
			;
		fail_msg("%s: len %zu dst align %zu src align %zu: byte %zu is 0x%02x, want 0x%02x "
		         "(under-copy or wrong data)",
		         what, n, da, sa, bad, d[bad], s[bad]);
	}
	bad = first_not(d - MARGIN, MARGIN, GUARD);
	if (bad != SIZE_MAX)
		fail_msg("%s: len %zu dst align %zu src align %zu: wrote %zu bytes before dst",
		         what, n, da, sa, MARGIN - bad);
	bad = first_not(d + n, MARGIN, GUARD);
	if (bad != SIZE_MAX)
		fail_msg("%s: len %zu dst align %zu src align %zu: wrote byte dst[len + %zu]", what,
		         n, da, sa, bad);
}

static unsigned char pattern_byte(uint64_t pattern, size_t i)
{
	return (unsigned char)(pattern >> (8 * (i % 8)));
}

static void check_fill(const char *what, const unsigned char *d, uint64_t pattern, size_t n,
                       size_t da)
{
	size_t bad;

	for (size_t i = 0; i < n; i++)
		if (d[i] != pattern_byte(pattern, i))
			fail_msg("%s: pattern 0x%016llx len %zu dst align %zu: byte %zu is 0x%02x, "
			         "want 0x%02x",
			         what, (unsigned long long)pattern, n, da, i, d[i],
			         pattern_byte(pattern, i));
	bad = first_not(d - MARGIN, MARGIN, GUARD);
	if (bad != SIZE_MAX)
		fail_msg("%s: len %zu dst align %zu: wrote %zu bytes before dst", what, n, da,
		         MARGIN - bad);
	bad = first_not(d + n, MARGIN, GUARD);
	if (bad != SIZE_MAX)
		fail_msg("%s: len %zu dst align %zu: wrote byte dst[len + %zu]", what, n, da, bad);
}

/*
 * One guarded buffer: [MARGIN guard][area][MARGIN guard]; an operation uses [p, p + n) inside the
 * area, and under ASan everything else is poisoned while it runs.
 */
struct gbuf {
	unsigned char *base;
	size_t total;
	unsigned char *area; /* base + MARGIN */
	size_t area_len;
};

static void gbuf_init(struct gbuf *g, size_t area_len)
{
	g->total = area_len + 2 * MARGIN;
	g->base = xalloc(g->total);
	g->area = g->base + MARGIN;
	g->area_len = area_len;
	memset(g->base, GUARD, g->total);
}

static void gbuf_free(struct gbuf *g)
{
	UNPOISON(g->base, g->total);
	free(g->base);
}

/* Leave only [p, p + n) addressable. */
static void gbuf_expose(struct gbuf *g, const unsigned char *p, size_t n)
{
	POISON(g->base, (size_t)(p - g->base));
	POISON(p + n, g->total - (size_t)(p - g->base) - n);
	(void)n;
}

static void gbuf_restore(struct gbuf *g)
{
	UNPOISON(g->base, g->total);
}

/* ---- kernel variants ---- */

struct variant {
	const char *isa;
	size_t nt; /* cpu_copy_tune() values: 0 = default */
	size_t rep;
};

static struct cpu_tune saved_tune;
static const char *saved_isa;

static int variant_setup(void **state)
{
	const struct variant *v = *state;
	int ret;

	saved_tune = cpu_tune;
	saved_isa = cpu_copy_kernels()->name;
	ret = cpu_copy_select(v->isa);
	if (ret == -ENOTSUP) {
		print_message("[ SKIP     ] %s kernels: not supported by this CPU\n", v->isa);
		return 0;
	}
	assert_int_equal(ret, 0);
	cpu_copy_tune(v->nt, v->rep);
	return 0;
}

static int variant_teardown(void **state)
{
	(void)state;
	cpu_tune = saved_tune;
	assert_int_equal(cpu_copy_select(saved_isa), 0);
	return 0;
}

static int variant_usable(void **state)
{
	const struct variant *v = *state;

	if (strcmp(cpu_copy_kernels()->name, v->isa)) {
		skip();
		return 0;
	}
	return 1;
}

/* ---- copies ---- */

typedef void copy_fn(void *dst, const void *src, size_t n);

/*
 * One checked copy of n bytes from src.area + sa to dst.area + da with copy: only the two ranges
 * exposed (the rest poisoned under ASan), every byte and the guards around checked, the
 * destination put back to guard bytes.
 */
static void try_copy(copy_fn *copy, const char *what, struct gbuf *src, struct gbuf *dst,
		     size_t da, size_t sa, size_t n)
{
	unsigned char *d = dst->area + da;
	const unsigned char *s = src->area + sa;

	gbuf_expose(src, s, n);
	gbuf_expose(dst, d, n);
	copy(d, s, n);
	gbuf_restore(dst);
	gbuf_restore(src);
	check_copy(what, d, s, n, da, sa);
	memset(d, GUARD, n);
}

/* cpu_copy_inline() is inline: this is it behind a call, for try_copy(). */
static void copy_inline(void *dst, const void *src, size_t n)
{
	cpu_copy_inline(dst, src, n);
}

/* Every size 0..4097 at every destination alignment 0..63 and every source alignment 0..63. */
static void test_copy_all_sizes_alignments(void **state)
{
	struct gbuf src, dst;
	const struct variant *v = *state;
	char what[64];

	if (!variant_usable(state))
		return;
	snprintf(what, sizeof(what), "cpu_copy[%s]", v->isa);
	gbuf_init(&src, MAX_SMALL + 64);
	gbuf_init(&dst, MAX_SMALL + 64);
	fill_source(src.area, src.area_len);

	for (size_t n = 0; n <= MAX_SMALL; n++) {
		for (size_t da = 0; da < 64; da++)
			for (size_t sa = 0; sa < 64; sa++)
				try_copy(cpu_copy, what, &src, &dst, da, sa, n);
	}
	gbuf_free(&src);
	gbuf_free(&dst);
}

/*
 * cpu_copy_inline(), which dmacopy_memcpy() and the CPU engine's queues use below the parallel
 * threshold: every size across its straight-line tier (to CPU_SMALL_COPY_MAX) and the C
 * library's, then past it, at 16 destination and 16 source alignments.
 */
static void test_copy_inline_sizes(void **state)
{
	const size_t max = CPU_LIBC_COPY_MAX + 64;
	struct gbuf src, dst;

	(void)state;
	gbuf_init(&src, max + 64);
	gbuf_init(&dst, max + 64);
	fill_source(src.area, src.area_len);
	for (size_t n = 0; n <= max; n += n < 512 ? 1 : 61) {
		for (size_t da = 0; da < 64; da += 4)
			for (size_t sa = 0; sa < 64; sa += 4)
				try_copy(copy_inline, "cpu_copy_inline", &src, &dst, da + sa % 8, sa, n);
	}
	gbuf_free(&src);
	gbuf_free(&dst);
}

/* Random sizes from 4 KiB to 3 MiB and two around the non-temporal threshold, at every (small
 * sizes) or every eighth (large sizes) destination alignment. */
static void test_copy_large_random(void **state)
{
	const struct variant *v = *state;
	const size_t max = 40u << 20;
	struct gbuf src, dst;
	char what[64];

	if (!variant_usable(state))
		return;
	snprintf(what, sizeof(what), "cpu_copy[%s] large", v->isa);
	gbuf_init(&src, max + 64);
	gbuf_init(&dst, max + 64);
	fill_source(src.area, src.area_len);

	for (int i = 0; i < 26; i++) {
		size_t n;
		unsigned int step;

		size_t nt = cpu_tune.nt_threshold;

		if (i < 24)
			n = 4098 + rnd() % (i < 16 ? (256u << 10) : (3u << 20));
		else if (nt < max - 4096) /* just below and above the non-temporal threshold */
			n = i == 24 ? nt - 1 - rnd() % 4096 : nt + rnd() % (max - nt);
		else
			n = (17u << 20) + rnd() % (max - (17u << 20));
		/* all 64 destination alignments for the smaller ones, 8 for the largest */
		step = n > (1u << 20) ? 8 : 1;
		for (size_t da = rnd() % step; da < 64; da += step)
			try_copy(cpu_copy, what, &src, &dst, da, rnd() % 64, n);
	}
	gbuf_free(&src);
	gbuf_free(&dst);
}

/* copy_nt (what the pool uses for chunks of large copies) at all sizes up to 4097 and a few more.
 */
static void test_copy_nt_kernel(void **state)
{
	const struct variant *v = *state;
	const struct cpu_kernels *k;
	struct gbuf src, dst;
	char what[64];

	if (!variant_usable(state))
		return;
	k = cpu_copy_kernels();
	snprintf(what, sizeof(what), "copy_nt[%s]", v->isa);
	gbuf_init(&src, (1u << 20) + 64);
	gbuf_init(&dst, (1u << 20) + 64);
	fill_source(src.area, src.area_len);
	for (size_t n = 0; n <= (1u << 20); n = n < MAX_SMALL ? n + 1 : n * 3 + 7)
		try_copy(k->copy_nt, what, &src, &dst, (n * 7) % 64, (n * 13 + 5) % 64, n);
	gbuf_free(&src);
	gbuf_free(&dst);
}

/* ---- fills ---- */

static const uint64_t patterns[] = {
        0x0123456789abcdefull, /* every byte different: catches a wrongly rotated pattern */
        0x0000000000000000ull,
        0xc3c3c3c3c3c3c3c3ull, /* a byte pattern (memset; the rep stosb path) */
        0xffffffffffffff00ull,
};

static void test_fill_all_sizes(void **state)
{
	const struct variant *v = *state;
	struct gbuf dst;
	char what[64];

	if (!variant_usable(state))
		return;
	snprintf(what, sizeof(what), "cpu_fill[%s]", v->isa);
	gbuf_init(&dst, MAX_SMALL + 64);
	for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++) {
		for (size_t n = 0; n <= MAX_SMALL; n++) {
			for (size_t da = 0; da < 64; da += (p ? 7 : 1)) {
				unsigned char *d = dst.area + da;

				gbuf_expose(&dst, d, n);
				cpu_fill(d, patterns[p], n);
				gbuf_restore(&dst);
				check_fill(what, d, patterns[p], n, da);
				memset(d, GUARD, n);
			}
		}
	}
	gbuf_free(&dst);
}

static void test_fill_large(void **state)
{
	const struct variant *v = *state;
	const struct cpu_kernels *k;
	const size_t max = 24u << 20;
	struct gbuf dst;
	char what[64];

	if (!variant_usable(state))
		return;
	k = cpu_copy_kernels();
	gbuf_init(&dst, max + 64);
	for (int i = 0; i < 24; i++) {
		size_t n = i < 20 ? 4098 + rnd() % (1u << 20) : (17u << 20) + rnd() % (7u << 20);
		size_t da = rnd() % 64;
		uint64_t pat = i & 1 ? rnd() : (rnd() & 0xff) * 0x0101010101010101ull;
		unsigned char *d = dst.area + da;

		snprintf(what, sizeof(what), "cpu_fill[%s] large", v->isa);
		gbuf_expose(&dst, d, n);
		cpu_fill(d, pat, n);
		gbuf_restore(&dst);
		check_fill(what, d, pat, n, da);
		memset(d, GUARD, n);

		snprintf(what, sizeof(what), "fill_nt[%s]", v->isa);
		n = i < 12 ? rnd() % 2000 : n;
		gbuf_expose(&dst, d, n);
		k->fill_nt(d, pat, n);
		gbuf_restore(&dst);
		check_fill(what, d, pat, n, da);
		memset(d, GUARD, n);
	}
	gbuf_free(&dst);
}

/* ---- pool ---- */

static const size_t pool_sizes[] = {
        0, 1, 4095, 32768, 32769, 65536 + 13, 200000, (1u << 20) + 4097, (5u << 20) + 63,
};

static void pool_copy_check(struct cpu_pool *pool, struct gbuf *src, struct gbuf *dst, size_t n,
                            size_t da, size_t sa, const char *what)
{
	unsigned char *d = dst->area + da;
	const unsigned char *s = src->area + sa;

	gbuf_expose(src, s, n);
	gbuf_expose(dst, d, n);
	cpu_pool_copy(pool, d, s, n);
	gbuf_restore(dst);
	gbuf_restore(src);
	check_copy(what, d, s, n, da, sa);
	memset(d, GUARD, n);
}

/* Pools of 1..8 threads, with non-temporal stores forced on and off, copies and fills. */
static void test_pool_threads(void **state)
{
	const size_t max = (5u << 20) + 64 + 64;
	struct gbuf src, dst;
	struct cpu_tune keep = cpu_tune;

	(void)state;
	gbuf_init(&src, max);
	gbuf_init(&dst, max);
	fill_source(src.area, src.area_len);
	for (unsigned int threads = 1; threads <= 8; threads++) {
		struct cpu_pool *pool = NULL;

		assert_int_equal(cpu_pool_create(threads, &pool), 0);
		assert_non_null(pool);
		cpu_pool_set_adaptive(pool, 0); /* every job through the workers */
		assert_int_equal(cpu_pool_threads(pool), threads);
		for (int nt = 0; nt < 2; nt++) {
			char what[64];

			cpu_copy_tune(nt ? 4096 : SIZE_MAX, 0);
			snprintf(what, sizeof(what), "cpu_pool_copy[%u threads%s]", threads,
			         nt ? ", nt" : "");
			for (size_t i = 0; i < sizeof(pool_sizes) / sizeof(pool_sizes[0]); i++)
				for (size_t da = 0; da < 64; da += 9)
					pool_copy_check(pool, &src, &dst, pool_sizes[i], da,
					                (da * 5 + i) % 64, what);
			snprintf(what, sizeof(what), "cpu_pool_fill[%u threads%s]", threads,
			         nt ? ", nt" : "");
			for (size_t i = 0; i < sizeof(pool_sizes) / sizeof(pool_sizes[0]); i++) {
				size_t n = pool_sizes[i], da = (i * 11) % 64;
				uint64_t pat = patterns[i % 4];
				unsigned char *d = dst.area + da;

				gbuf_expose(&dst, d, n);
				cpu_pool_fill(pool, d, pat, n);
				gbuf_restore(&dst);
				check_fill(what, d, pat, n, da);
				memset(d, GUARD, n);
			}
		}
		cpu_tune = keep;
		cpu_pool_destroy(pool);
	}
	gbuf_free(&src);
	gbuf_free(&dst);
}

/* Many back-to-back jobs of a few chunks each: the job hand-off between caller and workers. */
static void test_pool_many_jobs(void **state)
{
	struct gbuf src, dst;
	struct cpu_pool *pool;
	unsigned char *s, *d;
	const size_t n = 4 * 16384 + 100;

	(void)state;
	gbuf_init(&src, n);
	gbuf_init(&dst, n);
	s = src.area;
	d = dst.area;
	fill_source(s, n);
	assert_int_equal(cpu_pool_create(3, &pool), 0);
	cpu_pool_set_adaptive(pool, 0);
	for (int i = 0; i < 3000; i++) {
		size_t len = n - (size_t)(i % 97);

		fill_source(s + (i * 31) % 4096, 8); /* a changing source */
		cpu_pool_copy(pool, d, s, len);
		if (memcmp(d, s, len))
			fail_msg("pool job %d (len %zu): data mismatch", i, len);
		if (first_not(d + len, MARGIN, GUARD) != SIZE_MAX)
			fail_msg("pool job %d (len %zu): wrote past the end", i, len);
		memset(d, GUARD, len);
	}
	cpu_pool_destroy(pool);
	gbuf_free(&src);
	gbuf_free(&dst);
}

struct sharer {
	struct cpu_pool *pool;
	unsigned int id;
	int failures;
	char msg[160];
};

/* One of several threads using the same pool at once, each with its own buffers. */
static void *pool_sharer(void *arg)
{
	struct sharer *sh = arg;
	const size_t max = (2u << 20) + 4096;
	unsigned char *s = malloc(max), *d = malloc(max + 64);
	uint64_t x = 0x1234567ull * (sh->id + 1);

	if (!s || !d) {
		sh->failures++;
		snprintf(sh->msg, sizeof(sh->msg), "out of memory");
		goto out;
	}
	for (size_t i = 0; i < max; i++) {
		s[i] = (unsigned char)(i * 7 + sh->id);
		if (s[i] == GUARD)
			s[i] = 0;
	}
	for (int it = 0; it < 60 && !sh->failures; it++) {
		size_t n, off;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		n = (x >> 20) % max;
		off = (x >> 8) % 64;
		if (n + off > max)
			n = max - off;
		memset(d, GUARD, max + 64);
		if (it % 3 == 2) {
			cpu_pool_fill(sh->pool, d + off, 0x1122334455667788ull + sh->id, n);
			for (size_t i = 0; i < n; i++)
				if (d[off + i] != pattern_byte(0x1122334455667788ull + sh->id, i)) {
					sh->failures++;
					snprintf(sh->msg, sizeof(sh->msg),
					         "thread %u fill %zu bytes: byte %zu wrong", sh->id,
					         n, i);
					break;
				}
		} else {
			cpu_pool_copy(sh->pool, d + off, s, n);
			if (memcmp(d + off, s, n)) {
				sh->failures++;
				snprintf(sh->msg, sizeof(sh->msg),
				         "thread %u copy %zu bytes: mismatch", sh->id, n);
			}
		}
		if (first_not(d, off, GUARD) != SIZE_MAX ||
		    first_not(d + off + n, max + 64 - off - n, GUARD) != SIZE_MAX) {
			sh->failures++;
			snprintf(sh->msg, sizeof(sh->msg),
			         "thread %u: %zu bytes at %zu: wrote outside", sh->id, n, off);
		}
	}
out:
	free(s);
	free(d);
	return NULL;
}

static void test_pool_shared_by_threads(void **state)
{
	struct cpu_pool *pool;
	pthread_t t[4];
	struct sharer sh[4];
	struct cpu_tune keep = cpu_tune;

	(void)state;
	for (int pass = 0; pass < 2; pass++) {
		/* pass 0: every job through the workers; pass 1: non-temporal stores for every pool
		 * job, and the pool's back-off from slow workers on (its default) */
		cpu_copy_tune(pass ? 4096 : SIZE_MAX, 0);
		assert_int_equal(cpu_pool_create(2, &pool), 0);
		cpu_pool_set_adaptive(pool, pass);
		for (unsigned int i = 0; i < 4; i++) {
			sh[i] = (struct sharer){.pool = pool, .id = i};
			assert_int_equal(pthread_create(&t[i], NULL, pool_sharer, &sh[i]), 0);
		}
		for (unsigned int i = 0; i < 4; i++) {
			pthread_join(t[i], NULL);
			if (sh[i].failures)
				fail_msg("%s", sh[i].msg);
		}
		cpu_pool_destroy(pool);
	}
	cpu_tune = keep;
}

/* ---- API ---- */

static void test_pool_api(void **state)
{
	struct cpu_pool *pool = NULL;
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	(void)state;
	assert_int_equal(cpu_pool_create(0, &pool), 0);
	assert_true(cpu_pool_threads(pool) >= 1);
	assert_true(cpu_pool_threads(pool) <= (unsigned int)online);
	cpu_pool_destroy(pool);
	cpu_pool_destroy(NULL);
	assert_int_equal(cpu_pool_create(1, NULL), -EINVAL);
	assert_int_equal(cpu_pool_create(100000, &pool), -EINVAL);
	assert_null(pool);
	assert_int_equal(cpu_pool_threads(NULL), 1);
	assert_true(cpu_pool_default_threshold() >= 64 * 1024);
}

static void test_features_api(void **state)
{
	const char *f, *isa;

	(void)state;
	cpu_copy_init();
	isa = cpu_copy_kernels()->name;
	cpu_copy_init(); /* idempotent */
	f = cpu_copy_features();
	assert_non_null(f);
	assert_non_null(strstr(f, cpu_copy_kernels()->name));
	print_message("[ INFO     ] cpu_copy: %s\n", f);
	assert_int_equal(cpu_copy_select("no-such-isa"), -EINVAL);
	assert_int_equal(cpu_copy_select(NULL), -EINVAL);
	assert_int_equal(cpu_copy_select("generic"), 0);
	assert_string_equal(cpu_copy_kernels()->name, "generic");
#if defined(__x86_64__)
	assert_int_equal(cpu_copy_select("sse2"), 0);
	assert_string_equal(cpu_copy_kernels()->name, "sse2");
#endif
	assert_int_equal(cpu_copy_select(isa), 0);
	if (cpu_copy_nt_threshold())
		assert_true(cpu_copy_nt_threshold() >= 1u << 20);
}

/* ---- main ---- */

#define VTEST(f, v)                                                                                \
	{                                                                                          \
		.name = #f "[" #v "]", .test_func = f, .setup_func = variant_setup,                \
		.teardown_func = variant_teardown, .initial_state = (void *)&(v)                   \
	}
/* Default thresholds: everything. */
#define ISA_TESTS(v)                                                                               \
	VTEST(test_copy_all_sizes_alignments, v), VTEST(test_fill_all_sizes, v), LARGE_TESTS(v)
/* A large-size path forced: the sizes that reach it. */
#define LARGE_TESTS(v)                                                                             \
	VTEST(test_copy_large_random, v), VTEST(test_copy_nt_kernel, v), VTEST(test_fill_large, v)

/* Default thresholds, then each large-copy path forced from 4 KiB up: loop, rep movsb, stream. */
static const struct variant v_generic = {"generic", 0, 0};
#if defined(__x86_64__)
static const struct variant v_sse2 = {"sse2", 0, 0};
static const struct variant v_avx2 = {"avx2", 0, 0};
static const struct variant v_avx512 = {"avx512", 0, 0};
static const struct variant v_avx2_loop = {"avx2", SIZE_MAX, SIZE_MAX};
static const struct variant v_avx512_loop = {"avx512", SIZE_MAX, SIZE_MAX};
static const struct variant v_sse2_loop = {"sse2", SIZE_MAX, SIZE_MAX};
static const struct variant v_sse2_nt = {"sse2", 4096, SIZE_MAX};
static const struct variant v_avx2_nt = {"avx2", 4096, SIZE_MAX};
static const struct variant v_avx512_nt = {"avx512", 4096, SIZE_MAX};
static const struct variant v_avx512_rep = {"avx512", SIZE_MAX, 4096};
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_features_api),
		cmocka_unit_test(test_pool_api),
		cmocka_unit_test(test_copy_inline_sizes),
#if defined(__x86_64__)
		/* the portable copy is memcpy itself: its fill is ours */
		VTEST(test_fill_all_sizes, v_generic),
		LARGE_TESTS(v_generic),
#else
		ISA_TESTS(v_generic),
#endif
#if defined(__x86_64__)
		ISA_TESTS(v_sse2),
		ISA_TESTS(v_avx2),
		ISA_TESTS(v_avx512),
		LARGE_TESTS(v_sse2_loop),
		LARGE_TESTS(v_avx2_loop),
		LARGE_TESTS(v_avx512_loop),
		LARGE_TESTS(v_sse2_nt),
		LARGE_TESTS(v_avx2_nt),
		LARGE_TESTS(v_avx512_nt),
		LARGE_TESTS(v_avx512_rep),
#endif
		cmocka_unit_test(test_pool_threads),
		cmocka_unit_test(test_pool_many_jobs),
		cmocka_unit_test(test_pool_shared_by_threads),
	};

	memset(guard_ref, GUARD, sizeof(guard_ref));
	/* e.g. TEST_FILTER='test_pool*' to run a subset while working on one part */
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests_name("cpu_copy", tests, NULL, NULL);
}

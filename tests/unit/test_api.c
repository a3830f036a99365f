// SPDX-License-Identifier: BSD-3-Clause
/*
 * The public API's contract, exercised on the CPU engine: argument checks, handle lifetime, queue
 * accounting, completions, registration, engine selection, and use from several threads.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dmacopy.h"

static struct dmacopy_engine *open_cpu(const char *spec)
{
	struct dmacopy_engine *e = NULL;

	assert_int_equal(dmacopy_engine_open(&e, spec, NULL), 0);
	assert_non_null(e);
	return e;
}

static void fill_random(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

static void test_open_specs(void **state)
{
	struct dmacopy_engine *e = (struct dmacopy_engine *)&e;
	struct dmacopy_engine_opts opts = { 0 };
	struct dmacopy_caps caps;
	int ret;

	(void)state;
	assert_int_equal(dmacopy_engine_open(NULL, "cpu", NULL), -EINVAL);
	assert_int_equal(dmacopy_engine_open(&e, "bogus", NULL), -EINVAL);
	assert_null(e);
	assert_non_null(strstr(dmacopy_last_error(), "unknown engine 'bogus'"));
	assert_int_equal(dmacopy_engine_open(&e, "cpu:", NULL), -EINVAL);
	assert_int_equal(dmacopy_engine_open(&e, "cpu:abc", NULL), -EINVAL);
	assert_int_equal(dmacopy_engine_open(&e, "cpu:0", NULL), -EINVAL);
	assert_int_equal(dmacopy_engine_open(&e, "ioat:0000:ff:1f.7", NULL), -ENODEV);
	assert_int_equal(dmacopy_engine_open(&e, "ioat:zzz", NULL), -EINVAL);
	assert_int_equal(dmacopy_engine_open(&e, "ioat:0000:00:04", NULL), -EINVAL);
	assert_int_equal(dmacopy_engine_open(&e, "ioat:00:20.0", NULL), -EINVAL);
	/* lists of functions: malformed ones are refused before anything is opened */
	assert_int_equal(dmacopy_engine_open(&e, "ioat:0000:ff:1f.7+0000:ff:1f.6", NULL), -ENODEV);
	assert_int_equal(dmacopy_engine_open(&e, "ioat:00:04.0+", NULL), -EINVAL);
	assert_non_null(strstr(dmacopy_last_error(), "joined by '+'"));
	assert_int_equal(dmacopy_engine_open(&e, "ioat:+00:04.0", NULL), -EINVAL);
	assert_int_equal(dmacopy_engine_open(&e, "ioat:00:04.0++00:04.1", NULL), -EINVAL);
	assert_int_equal(dmacopy_engine_open(&e, "ioat:00:04.0+zz", NULL), -EINVAL);
	assert_non_null(strstr(dmacopy_last_error(), "'zz' is not a PCI address"));
	{
		char many[5 + 17 * 8] = "ioat:";

		for (int i = 0; i < 17; i++)
			snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s00:%02x.0",
				 i ? "+" : "", i);
		assert_int_equal(dmacopy_engine_open(&e, many, NULL), -E2BIG);
	}
	ret = dmacopy_engine_open(&e, "ioat:all", NULL);
	assert_true(ret == -ENODEV || ret == -ENXIO || ret == -EACCES);
	assert_int_equal(dmacopy_engine_open(&e, "dsa:00:06.0+", NULL), -EINVAL);
	/* no such function anywhere; -ENOTSUP first on a CPU without MOVDIR64B */
	ret = dmacopy_engine_open(&e, "dsa:0000:ff:1f.7", NULL);
	assert_true(ret == -ENODEV || ret == -ENOTSUP);
	assert_int_equal(dmacopy_engine_open(&e, "dsa:zzz", NULL), -EINVAL);
	assert_int_equal(dmacopy_engine_open(&e, "dsa:0000:00:04", NULL), -EINVAL);
	assert_int_equal(dmacopy_engine_open(&e, "dsa:", NULL), -EINVAL);
	opts.reserved[3] = 1;
	assert_int_equal(dmacopy_engine_open(&e, "cpu", &opts), -EINVAL);
	opts.reserved[3] = 0;
	opts.cpu_threads = 5000;
	assert_int_equal(dmacopy_engine_open(&e, "cpu", &opts), -EINVAL);

	e = open_cpu("cpu:2");
	assert_string_equal(dmacopy_engine_kind(e), "cpu");
	assert_string_equal(dmacopy_engine_name(e), "cpu:2");
	assert_int_equal(dmacopy_engine_caps(e, &caps), 0);
	assert_int_equal(caps.channels, 2);
	assert_true(caps.flags & DMACOPY_CAP_COPY);
	assert_true(caps.flags & DMACOPY_CAP_FILL);
	assert_false(caps.flags & DMACOPY_CAP_NEEDS_REGISTER);
	assert_false(caps.flags & DMACOPY_CAP_HARDWARE);
	assert_int_equal(caps.align, 1);
	assert_int_equal(dmacopy_engine_caps(e, NULL), -EINVAL);
	assert_int_equal(dmacopy_engine_close(e), 0);
}

/* On a machine without DMA hardware, auto chooses cpu and says why the others were not usable. */
static void test_open_auto(void **state)
{
	struct dmacopy_engine *e;
	const char *sel;

	(void)state;
	unsetenv("DMACOPY_ENGINE");
	e = open_cpu("auto");
	assert_string_equal(dmacopy_engine_kind(e), "cpu");
	sel = dmacopy_engine_selection(e);
	assert_non_null(strstr(sel, "auto: chose cpu"));
	assert_non_null(strstr(sel, "kernel: unavailable"));
	assert_non_null(strstr(sel, "ioat: unavailable"));
	dmacopy_engine_close(e);

	setenv("DMACOPY_ENGINE", "cpu:1", 1);
	e = open_cpu(NULL);
	assert_string_equal(dmacopy_engine_name(e), "cpu:1");
	dmacopy_engine_close(e);
	unsetenv("DMACOPY_ENGINE");
}

/*
 * dmacopy_memcpy() two ways: as dmacopy.h inlines it into the caller (its own checks, the copy
 * done in place up to DMACOPY_INLINE_COPY_MAX bytes), and as the library's function, taken by
 * address (what DMACOPY_NO_INLINE and other languages call). Both must give the same answers.
 */
typedef int memcpy_fn(struct dmacopy_engine *e, void *dst, const void *src, size_t len);

static int memcpy_inline(struct dmacopy_engine *e, void *dst, const void *src, size_t len)
{
	return dmacopy_memcpy(e, dst, src, len);
}

/* volatile: read at each call, so that no call through it can be turned into an inlined one */
static memcpy_fn *const volatile memcpy_ways[] = { memcpy_inline, dmacopy_memcpy };

static void test_closed_handles(void **state)
{
	struct dmacopy_engine *e = open_cpu("cpu");
	struct dmacopy_queue *q;
	struct dmacopy_region *r;
	char a[16], b[16];

	(void)state;
	assert_int_equal(dmacopy_queue_create(e, NULL, &q), 0);
	assert_int_equal(dmacopy_region_register(e, a, sizeof(a), &r), 0);
	assert_int_equal(dmacopy_queue_destroy(q), 0);
	assert_int_equal(dmacopy_queue_destroy(q), -EBADF);
	assert_int_equal(dmacopy_enqueue_copy(q, a, b, 1, 0, 0), -EBADF);
	assert_int_equal(dmacopy_submit(q), -EBADF);
	assert_int_equal(dmacopy_region_unregister(r), 0);
	assert_int_equal(dmacopy_region_unregister(r), -EBADF);
	assert_int_equal(dmacopy_engine_close(e), 0);
	assert_int_equal(dmacopy_engine_close(e), -EBADF);
	assert_int_equal(dmacopy_memcpy(e, a, b, 1), -EBADF);
	assert_int_equal(memcpy_ways[1](e, a, b, 1), -EBADF);
	assert_int_equal(dmacopy_queue_create(e, NULL, &q), -EBADF);
	assert_string_equal(dmacopy_engine_kind(e), "invalid");
	assert_int_equal(dmacopy_engine_close(NULL), 0);
	assert_int_equal(dmacopy_queue_destroy(NULL), 0);
	assert_int_equal(dmacopy_region_unregister(NULL), 0);
	assert_int_equal(dmacopy_memcpy(NULL, a, b, 1), -EINVAL);
	assert_int_equal(memcpy_ways[1](NULL, a, b, 1), -EINVAL);

	/* Closing an engine with live queues and regions releases them. */
	e = open_cpu("cpu");
	assert_int_equal(dmacopy_queue_create(e, NULL, &q), 0);
	assert_int_equal(dmacopy_enqueue_copy(q, a, b, sizeof(a), 1, 0), 0);
	assert_int_equal(dmacopy_region_register(e, a, sizeof(a), &r), 0);
	assert_int_equal(dmacopy_engine_close(e), 0);
}

static void test_memcpy_errors(void **state)
{
	struct dmacopy_engine *e = open_cpu("cpu");
	uint8_t buf[256];

	(void)state;
	for (size_t w = 0; w < 2; w++) {
		memcpy_fn *const mc = memcpy_ways[w];

		assert_int_equal(mc(e, NULL, buf, 1), -EINVAL);
		assert_int_equal(mc(e, buf, NULL, 1), -EINVAL);
		assert_int_equal(mc(NULL, buf, buf + 128, 1), -EINVAL);
		assert_int_equal(mc(e, buf + 10, buf, 11), -EINVAL);
		assert_non_null(strstr(dmacopy_last_error(), "overlap"));
		assert_int_equal(mc(e, buf, buf + 10, 11), -EINVAL);
		assert_int_equal(mc(e, buf, buf, 1), -EINVAL);
		assert_int_equal(mc(e, buf, buf + 10, 10), 0); /* adjacent is fine */
		assert_int_equal(mc(e, buf + 10, buf, 10), 0);
		assert_int_equal(mc(e, buf, buf, 0), 0); /* empty never overlaps */
		assert_int_equal(mc(e, NULL, NULL, 0), -EINVAL); /* NULL even when empty */
		assert_int_equal(mc(e, (void *)(UINTPTR_MAX - 8), buf, 16), -EOVERFLOW);
		assert_int_equal(mc(e, buf, (void *)(UINTPTR_MAX - 8), 16), -EOVERFLOW);
		assert_int_equal(mc(e, buf, buf + 128, SIZE_MAX), -EOVERFLOW);
		/* every distance around each length: overlap iff |dst - src| < len */
		for (size_t n = 1; n <= 80; n++) {
			for (size_t k = 0; k <= n + 1; k++) {
				int want = k < n ? -EINVAL : 0;

				assert_int_equal(mc(e, buf + 50 + k, buf + 50, n), want);
				assert_int_equal(mc(e, buf + 50, buf + 50 + k, n), want);
			}
		}
	}
	assert_int_equal(dmacopy_fill(e, NULL, 0, 1), -EINVAL);
	assert_int_equal(dmacopy_fill(e, (void *)(UINTPTR_MAX - 8), 0, 16), -EOVERFLOW);
	assert_int_equal(dmacopy_fill(e, buf, 0, 0), 0);
	dmacopy_engine_close(e);
}

/*
 * Every size 0..4097 at several alignments, with guard bytes on both sides of the destination,
 * both ways (the inline one changes method at 64 and DMACOPY_INLINE_COPY_MAX bytes).
 */
static void test_memcpy_sizes(void **state)
{
	enum { MAX = 4097, GUARD = 64 };
	struct dmacopy_engine *e = open_cpu("cpu");
	uint8_t *src = malloc(MAX + 128), *dst = malloc(MAX + 128 + 2 * GUARD);
	static const size_t aligns[][2] = { { 0, 0 }, { 1, 0 }, { 0, 3 }, { 7, 33 }, { 63, 1 } };

	(void)state;
	fill_random(src, MAX + 128, 42);
	for (size_t w = 0; w < 2; w++) {
		for (size_t a = 0; a < sizeof(aligns) / sizeof(aligns[0]); a++) {
			for (size_t n = 0; n <= MAX; n++) {
				uint8_t *d = dst + GUARD + aligns[a][1];
				const uint8_t *s = src + aligns[a][0];

				memset(dst, 0xa5, MAX + 128 + 2 * GUARD);
				assert_int_equal(memcpy_ways[w](e, d, s, n), 0);
				assert_memory_equal(d, s, n);
				for (size_t i = 0; i < GUARD + aligns[a][1]; i++)
					assert_int_equal(dst[i], 0xa5);
				for (size_t i = 0; i < GUARD; i++)
					assert_int_equal(d[n + i], 0xa5);
			}
		}
	}
	free(src);
	free(dst);
	dmacopy_engine_close(e);
}

static void test_fill_patterns(void **state)
{
	struct dmacopy_engine *e = open_cpu("cpu");
	uint8_t buf[600];
	const uint64_t pat = 0x0807060504030201ull;

	(void)state;
	for (size_t off = 0; off < 9; off++) {
		for (size_t n = 0; n < 300; n += 7) {
			memset(buf, 0xee, sizeof(buf));
			assert_int_equal(dmacopy_fill(e, buf + off, pat, n), 0);
			for (size_t i = 0; i < n; i++)
				assert_int_equal(buf[off + i], (uint8_t)(i % 8 + 1));
			for (size_t i = 0; i < off; i++)
				assert_int_equal(buf[i], 0xee);
			assert_int_equal(buf[off + n], 0xee);
		}
	}
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(dmacopy_memset(e, buf, 0x5a, 100), 0);
	for (size_t i = 0; i < 100; i++)
		assert_int_equal(buf[i], 0x5a);
	assert_int_equal(buf[100], 0xee);
	dmacopy_engine_close(e);
}

static void test_queue_full_and_order(void **state)
{
	struct dmacopy_engine *e = open_cpu("cpu");
	struct dmacopy_queue_opts qo = { .depth = 5 }; /* rounds up to 8 */
	struct dmacopy_completion c[16];
	struct dmacopy_queue *q;
	uint8_t src[8][64], dst[8][64];
	unsigned int i;

	(void)state;
	qo.reserved[0] = 1;
	assert_int_equal(dmacopy_queue_create(e, &qo, &q), -EINVAL);
	qo.reserved[0] = 0;
	/* any spin time is valid (the CPU engine does not poll) */
	qo.spin_us = 200;
	assert_int_equal(dmacopy_queue_create(e, &qo, &q), 0);
	assert_int_equal(dmacopy_queue_destroy(q), 0);
	qo.spin_us = 0;
	qo.depth = 1u << 20;
	assert_int_equal(dmacopy_queue_create(e, &qo, &q), -EINVAL);
	qo.depth = 5;
	assert_int_equal(dmacopy_queue_create(e, &qo, NULL), -EINVAL);
	assert_int_equal(dmacopy_queue_create(e, &qo, &q), 0);

	for (i = 0; i < 8; i++) {
		memset(src[i], (int)i + 1, sizeof(src[i]));
		assert_int_equal(dmacopy_enqueue_copy(q, dst[i], src[i], 64, 100 + i,
						      i == 3 ? DMACOPY_OP_FENCE : 0),
				 0);
	}
	assert_int_equal(dmacopy_enqueue_copy(q, dst[0], src[0], 64, 0, 0), -ENOSPC);
	assert_int_equal(dmacopy_queue_pending(q), 8);
	assert_int_equal(dmacopy_submit(q), 8);
	assert_int_equal(dmacopy_submit(q), 0);
	assert_int_equal(dmacopy_queue_pending(q), 0);
	assert_int_equal(dmacopy_queue_inflight(q), 8);
	/* Completed but unreaped operations still hold their slots. */
	assert_int_equal(dmacopy_enqueue_copy(q, dst[0], src[0], 64, 0, 0), -ENOSPC);
	assert_int_equal(dmacopy_poll(q, c, 3), 3);
	assert_int_equal(dmacopy_wait(q, c + 3, 5, 16, 1000), 5);
	for (i = 0; i < 8; i++) {
		assert_int_equal(c[i].user_data, 100 + i);
		assert_int_equal(c[i].status, 0);
		assert_int_equal(c[i].error, DMACOPY_OP_OK);
		assert_memory_equal(dst[i], src[i], 64);
	}
	assert_int_equal(dmacopy_queue_inflight(q), 0);
	assert_int_equal(dmacopy_poll(q, c, 16), 0);

	/* Misuse of the queue calls. */
	assert_int_equal(dmacopy_enqueue_copy(q, dst[0], src[0], 64, 0, 0x80), -EINVAL);
	assert_int_equal(dmacopy_enqueue_copy(q, dst[0], dst[0] + 1, 8, 0, 0), -EINVAL);
	assert_int_equal(dmacopy_enqueue_fill(q, NULL, 0, 8, 0, 0), -EINVAL);
	assert_int_equal(dmacopy_poll(q, NULL, 4), -EINVAL);
	assert_int_equal(dmacopy_wait(q, c, 1, 16, 0), -EINVAL); /* nothing to wait for */
	assert_int_equal(dmacopy_wait(q, c, 4, 2, 0), -EINVAL);
	assert_int_equal(dmacopy_wait(q, c, 0, 16, -5), -EINVAL);
	assert_int_equal(dmacopy_wait(q, c, 0, 16, 0), 0);

	/* Fills and zero-length operations complete with status 0. */
	assert_int_equal(dmacopy_enqueue_fill(q, dst[1], 0x1111111111111111ull, 64, 7, 0), 0);
	assert_int_equal(dmacopy_enqueue_copy(q, dst[2], src[2], 0, 8, 0), 0);
	assert_int_equal(dmacopy_submit(q), 2);
	assert_int_equal(dmacopy_wait(q, c, 2, 2, -1), 2);
	assert_int_equal(c[0].user_data, 7);
	assert_int_equal(c[1].user_data, 8);
	assert_int_equal(dst[1][63], 0x11);

	/* Unsubmitted operations are dropped by destroy. */
	assert_int_equal(dmacopy_enqueue_copy(q, dst[0], src[0], 64, 0, 0), 0);
	assert_int_equal(dmacopy_queue_destroy(q), 0);
	dmacopy_engine_close(e);
}

static void test_regions(void **state)
{
	struct dmacopy_engine *e = open_cpu("cpu");
	struct dmacopy_region *r1, *r2;
	static uint8_t buf[8192];

	(void)state;
	assert_int_equal(dmacopy_region_register(e, NULL, 10, &r1), -EINVAL);
	assert_int_equal(dmacopy_region_register(e, buf, 0, &r1), -EINVAL);
	assert_int_equal(dmacopy_region_register(e, buf, 10, NULL), -EINVAL);
	assert_int_equal(dmacopy_region_register(e, (void *)(UINTPTR_MAX - 4), 10, &r1),
			 -EOVERFLOW);
	assert_int_equal(dmacopy_region_register(e, buf, 4096, &r1), 0);
	assert_int_equal(dmacopy_region_register(e, buf + 4095, 10, &r2), -EEXIST);
	assert_int_equal(dmacopy_region_register(e, buf + 4096, 4096, &r2), 0);
	/* The CPU engine needs no registration: unregistered memory works too. */
	assert_int_equal(dmacopy_memcpy(e, buf, buf + 6000, 100), 0);
	assert_int_equal(dmacopy_region_unregister(r1), 0);
	assert_int_equal(dmacopy_region_unregister(r2), 0);
	dmacopy_engine_close(e);
}

static void test_strerror_and_probe(void **state)
{
	static const int codes[] = { EINVAL, EOVERFLOW, E2BIG,  ENOSPC, EBADF,	   ENODEV,
				     ENOTSUP, EACCES,	 EFAULT, EBUSY,	 EEXIST,   ENOENT,
				     ENOMEM, ETIMEDOUT, EIO,	 ECANCELED, EAGAIN };
	struct dmacopy_engine_status rows[32];
	int n, cpu_rows = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_string_not_equal(dmacopy_strerror(-codes[i]), "unknown error");
		assert_string_equal(dmacopy_strerror(-codes[i]), dmacopy_strerror(codes[i]));
	}
	assert_string_equal(dmacopy_strerror(-12345), "unknown error");
	assert_string_equal(dmacopy_op_error_str(DMACOPY_OP_READ_FAULT), "read fault");
	assert_string_equal(dmacopy_op_error_str(999), "unknown");
	assert_non_null(dmacopy_version());

	assert_int_equal(dmacopy_probe(NULL, 4), -EINVAL);
	n = dmacopy_probe(NULL, 0);
	assert_true(n >= 3);
	assert_int_equal(dmacopy_probe(rows, 32), n);
	for (int i = 0; i < n && i < 32; i++) {
		if (!strcmp(rows[i].kind, "cpu")) {
			cpu_rows++;
			assert_true(rows[i].available);
		} else {
			/* No DMA hardware here: every other row explains itself. */
			assert_false(rows[i].available);
			assert_true(rows[i].error < 0);
			assert_true(strlen(rows[i].detail) > 10);
		}
	}
	assert_int_equal(cpu_rows, 1);
	/* A short array still reports how many rows exist. */
	assert_int_equal(dmacopy_probe(rows, 1), n);
}

/* The kind a spec names: "kernel" of "kernel[:CHANNEL]", "ioat" of "ioat[:PCI_ADDR]". */
static size_t spec_kind_len(const char *spec)
{
	return strcspn(spec, "[:, ");
}

/*
 * dmacopy_engine_specs() is written from the engines' table: auto first, then one spec per kind
 * in auto's order; every kind dmacopy_probe() reports is in it, and messages quote it.
 */
static void test_engine_specs(void **state)
{
	const char *specs = dmacopy_engine_specs(), *p;
	struct dmacopy_engine_status rows[32];
	struct dmacopy_engine *e = NULL;
	char order[128] = "(order: ", *sel;
	int n;

	(void)state;
	assert_ptr_equal(specs, dmacopy_engine_specs());
	assert_int_equal(strncmp(specs, "auto, ", 6), 0);
	for (p = specs + 6; *p;) {
		size_t len = spec_kind_len(p);

		assert_true(len > 0);
		snprintf(order + strlen(order), sizeof(order) - strlen(order), "%s%.*s",
			 p == specs + 6 ? "" : ", ", (int)len, p);
		p += strcspn(p, ",");
		if (*p) {
			assert_int_equal(p[1], ' ');
			p += 2;
		}
	}
	strcat(order, ")");

	n = dmacopy_probe(rows, 32);
	assert_true(n > 0 && n <= 32);
	for (int i = 0; i < n; i++) {
		char kind[sizeof(rows[i].kind) + 2];

		snprintf(kind, sizeof(kind), ", %.15s", rows[i].kind);
		p = strstr(specs, kind);
		assert_non_null(p);
		assert_int_equal(spec_kind_len(p + 2), strlen(rows[i].kind));
	}

	unsetenv("DMACOPY_ENGINE");
	assert_int_equal(dmacopy_engine_open(&e, "auto", NULL), 0);
	sel = strdup(dmacopy_engine_selection(e));
	assert_non_null(sel);
	assert_non_null(strstr(sel, order));
	free(sel);
	dmacopy_engine_close(e);

	assert_int_equal(dmacopy_engine_open(&e, "bogus", NULL), -EINVAL);
	assert_non_null(strstr(dmacopy_last_error(), specs));
}

struct thread_arg {
	struct dmacopy_engine *e;
	uint32_t seed;
	int failures;
};

/* One queue per thread on a shared engine, plus synchronous copies large enough for the pool. */
static void *worker(void *p)
{
	struct thread_arg *a = p;
	struct dmacopy_completion c[32];
	struct dmacopy_queue *q;
	size_t big = 3u << 20;
	uint8_t *src = malloc(big), *dst = malloc(big);

	if (!src || !dst || dmacopy_queue_create(a->e, NULL, &q)) {
		a->failures++;
		free(src);
		free(dst);
		return NULL;
	}
	fill_random(src, big, a->seed);
	for (int round = 0; round < 50; round++) {
		memset(dst, 0, big);
		for (unsigned int i = 0; i < 32; i++) {
			if (dmacopy_enqueue_copy(q, dst + i * 1000, src + i * 1000, 1000, i, 0))
				a->failures++;
		}
		if (dmacopy_submit(q) != 32 || dmacopy_wait(q, c, 32, 32, 5000) != 32)
			a->failures++;
		if (memcmp(dst, src, 32 * 1000))
			a->failures++;
		if (round % 10 == 0) {
			if (dmacopy_memcpy(a->e, dst, src, big) || memcmp(dst, src, big))
				a->failures++;
		}
	}
	dmacopy_queue_destroy(q);
	free(src);
	free(dst);
	return NULL;
}

static void test_threads(void **state)
{
	struct dmacopy_engine *e = open_cpu("cpu");
	struct thread_arg args[4];
	pthread_t t[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){ .e = e, .seed = (uint32_t)i + 1 };
		assert_int_equal(pthread_create(&t[i], NULL, worker, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(args[i].failures, 0);
	}
	dmacopy_engine_close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_specs),	   cmocka_unit_test(test_open_auto),
		cmocka_unit_test(test_closed_handles),	   cmocka_unit_test(test_memcpy_errors),
		cmocka_unit_test(test_memcpy_sizes),	   cmocka_unit_test(test_fill_patterns),
		cmocka_unit_test(test_queue_full_and_order), cmocka_unit_test(test_regions),
		cmocka_unit_test(test_strerror_and_probe), cmocka_unit_test(test_engine_specs),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

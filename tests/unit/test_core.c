// SPDX-License-Identifier: BSD-3-Clause
/*
 * The core's queue and region paths on the host, through a test-only engine (fake_engine.h)
 * that needs registration, completes out of order and fails chosen operations: registration
 * required (-EFAULT), read-only regions (-EACCES, checked once in the core), out-of-order completions matched by user_data, fences,
 * per-operation failures with their detail, -EBUSY on unregistering a region in flight, drain
 * at queue destruction, and optional engine ops left NULL (-ENOTSUP). And emitting queues
 * (dmacopy_queue.emit, fake.emit): the DSA descriptors the core writes at enqueue, the copies it
 * must stage instead, its errors (those of the general path), and their references on regions.
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

#include "core.h"
#include "dmacopy.h"
#include "fake_engine.h"
#include "lock.h"

#define BUF 65536
/* the largest copy the fake engine's emitting queues emit */
#define EMIT_MAX 4096u

/* A copy a test enqueued, to check its completion and its data (emitting queues' tests). */
struct logged {
	struct dmacopy_queue *q;
	uint8_t *dst;
	const uint8_t *src;
	size_t len;
	uint64_t user_data;
	bool done;
};

/*
 * The copies go through enqueue(): the library's dmacopy_enqueue_copy(), or with inline set
 * (setup_emit_inline()) the inline one of dmacopy.h, compiled as a program has it
 * (inline_enqueue.c). The program is linked with --wrap=dmacopy_enqueue_copy: lib_calls counts
 * the calls into the library, the inline code's included; inline_done the copies the inline
 * code did alone.
 */
int inline_enqueue_copy(struct dmacopy_queue *q, void *dst, const void *src, size_t len,
			uint64_t user_data, unsigned int flags);
int __real_dmacopy_enqueue_copy(struct dmacopy_queue *q, void *dst, const void *src, size_t len,
				uint64_t user_data, unsigned int flags);
int __wrap_dmacopy_enqueue_copy(struct dmacopy_queue *q, void *dst, const void *src, size_t len,
				uint64_t user_data, unsigned int flags);

static bool use_inline;
static unsigned long lib_calls, inline_done;

int __wrap_dmacopy_enqueue_copy(struct dmacopy_queue *q, void *dst, const void *src, size_t len,
				uint64_t user_data, unsigned int flags)
{
	lib_calls++;
	return __real_dmacopy_enqueue_copy(q, dst, src, len, user_data, flags);
}

static int enqueue(struct dmacopy_queue *q, void *dst, const void *src, size_t len,
		   uint64_t user_data, unsigned int flags)
{
	unsigned long calls = lib_calls;
	int ret;

	if (!use_inline)
		return dmacopy_enqueue_copy(q, dst, src, len, user_data, flags);
	ret = inline_enqueue_copy(q, dst, src, len, user_data, flags);
	if (lib_calls == calls)
		inline_done++;
	return ret;
}

struct env {
	struct dmacopy_engine *e;
	struct dmacopy_queue *q;
	struct dmacopy_region *r;
	uint8_t *buf;
	struct logged log[160];
	unsigned int nlog;
};

static int setup_env(void **state, bool emit)
{
	struct env *t = calloc(1, sizeof(*t));
	struct dmacopy_queue_opts qo = { .depth = 64 };

	const bool run_refs = fake.run_refs;

	memset(&fake, 0, sizeof(fake));
	fake.run_refs = run_refs;
	fake.emit = emit;
	fake.emit_max = EMIT_MAX;
	lib_test_engine_kind(&fake_engine_ops);
	assert_non_null(t);
	assert_int_equal(dmacopy_engine_open(&t->e, "fake", NULL), 0);
	t->buf = aligned_alloc(4096, BUF);
	assert_non_null(t->buf);
	for (size_t i = 0; i < BUF; i++)
		t->buf[i] = (uint8_t)(i * 13 + 7);
	assert_int_equal(dmacopy_region_register(t->e, t->buf, BUF, &t->r), 0);
	assert_int_equal(dmacopy_queue_create(t->e, &qo, &t->q), 0);
	*state = t;
	return 0;
}

static int setup(void **state)
{
	return setup_env(state, false);
}

/* The same with fake.run_refs: the queue keeps region references per region run. */
static int setup_runs(void **state)
{
	memset(&fake, 0, sizeof(fake));
	fake.run_refs = true;
	return setup_env(state, false);
}

/* The same with fake.emit: the queue emits DSA descriptors, the region is flat. */
static int setup_emit(void **state)
{
	return setup_env(state, true);
}

/* setup_emit(), the copies through dmacopy.h's inline dmacopy_enqueue_copy() */
static int setup_emit_inline(void **state)
{
	use_inline = true;
	inline_done = 0;
	return setup_env(state, true);
}

static int teardown(void **state)
{
	struct env *t = *state;

	assert_int_equal(dmacopy_queue_destroy(t->q), 0);
	assert_int_equal(dmacopy_region_unregister(t->r), 0);
	assert_int_equal(fake.registered, 0);
	assert_int_equal(dmacopy_engine_close(t->e), 0);
	lib_test_engine_kind(NULL);
	free(t->buf);
	free(t);
	use_inline = false;
	return 0;
}

/* Wait for n completions into c (sorted by nothing: the engine completes out of order). */
static void wait_n(struct dmacopy_queue *q, struct dmacopy_completion *c, unsigned int n)
{
	unsigned int got = 0;

	while (got < n) {
		int r = dmacopy_wait(q, c + got, 1, n - got, 1000);

		assert_true(r > 0);
		got += (unsigned int)r;
	}
}

static void test_needs_registration(void **state)
{
	struct env *t = *state;
	uint8_t other[256] = { 0 };

	assert_int_equal(enqueue(t->q, t->buf, other, sizeof(other), 1, 0), -EFAULT);
	assert_int_equal(enqueue(t->q, other, t->buf, sizeof(other), 1, 0), -EFAULT);
	/* straddling the end of the region */
	assert_int_equal(enqueue(t->q, t->buf + BUF - 8, t->buf, 16, 1, 0), -EFAULT);
	assert_int_equal(dmacopy_memcpy(t->e, other, t->buf, sizeof(other)), -EFAULT);
	assert_int_equal(dmacopy_queue_pending(t->q), 0);
	assert_int_equal(fake.submitted, 0);
}

static void test_out_of_order(void **state)
{
	struct env *t = *state;
	struct dmacopy_completion c[8];
	unsigned int seen = 0;

	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(enqueue(t->q, t->buf + 32768 + i * 1024,
		                                      t->buf + i * 1024, 1024, 100 + i, 0),
		                 0);
	assert_int_equal(dmacopy_submit(t->q), 8);
	assert_int_equal(dmacopy_queue_inflight(t->q), 8);
	wait_n(t->q, c, 8);
	/* newest first: the engine's order, which the caller matches by user_data */
	assert_int_equal(c[0].user_data, 107);
	for (unsigned int i = 0; i < 8; i++) {
		assert_int_equal(c[i].status, 0);
		assert_int_equal(c[i].error, DMACOPY_OP_OK);
		assert_true(c[i].user_data >= 100 && c[i].user_data < 108);
		seen |= 1u << (c[i].user_data - 100);
	}
	assert_int_equal(seen, 0xff);
	assert_memory_equal(t->buf + 32768, t->buf, 8192);
	assert_int_equal(dmacopy_queue_inflight(t->q), 0);
}

static void test_fence(void **state)
{
	struct env *t = *state;
	struct dmacopy_completion c[3];

	memset(t->buf + 16384, 0, 8192);
	/* b reads what a writes: only correct if a ran first */
	assert_int_equal(enqueue(t->q, t->buf + 16384, t->buf, 4096, 1, 0), 0);
	assert_int_equal(enqueue(t->q, t->buf + 20480, t->buf + 16384, 4096, 2,
	                                      DMACOPY_OP_FENCE),
	                 0);
	assert_int_equal(dmacopy_enqueue_fill(t->q, t->buf + 24576, 0x0123456789abcdefull, 64, 3, 0),
	                 0);
	assert_int_equal(dmacopy_submit(t->q), 3);
	wait_n(t->q, c, 3);
	assert_int_equal(c[0].user_data, 1); /* alone before the fence */
	assert_memory_equal(t->buf + 20480, t->buf, 4096);
	assert_int_equal(t->buf[24576], 0xef);
	assert_int_equal(t->buf[24576 + 63], 0x01);
}

static void test_op_failure(void **state)
{
	struct env *t = *state;
	struct dmacopy_completion c[4];

	fake.fail_user_data = 12;
	fake.fail_status = -EIO;
	fake.fail_error = DMACOPY_OP_WRITE_FAULT;
	memset(t->buf + 40960, 0xee, 4096);
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(enqueue(t->q, t->buf + 40960 + i * 1024,
		                                      t->buf + i * 1024, 1024, 10 + i, 0),
		                 0);
	assert_int_equal(dmacopy_submit(t->q), 4);
	wait_n(t->q, c, 4);
	for (unsigned int i = 0; i < 4; i++) {
		if (c[i].user_data == 12) {
			assert_int_equal(c[i].status, -EIO);
			assert_int_equal(c[i].error, DMACOPY_OP_WRITE_FAULT);
		} else {
			assert_int_equal(c[i].status, 0);
		}
	}
	/* the failed one wrote nothing, the others everything */
	assert_memory_equal(t->buf + 40960, t->buf, 2048);
	for (unsigned int i = 0; i < 1024; i++)
		assert_int_equal(t->buf[40960 + 2048 + i], 0xee);
	assert_memory_equal(t->buf + 40960 + 3072, t->buf + 3072, 1024);
}

/*
 * dmacopy_reap(): successes reaped without records, in the ring's order, up to the first failure,
 * which stays (-EIO while it is next) for dmacopy_poll(); then the rest. The fake engine completes
 * newest first: 25, 24, 23, then 22 (fails), 21, 20.
 */
static void test_reap(void **state)
{
	struct env *t = *state;
	struct dmacopy_completion c;

	fake.fail_user_data = 22;
	fake.fail_status = -EIO;
	fake.fail_error = DMACOPY_OP_READ_FAULT;
	memset(t->buf + 40960, 0xee, 6 * 512);
	for (unsigned int i = 0; i < 6; i++)
		assert_int_equal(enqueue(t->q, t->buf + 40960 + i * 512,
		                                      t->buf + i * 512, 512, 20 + i, 0),
		                 0);
	assert_int_equal(dmacopy_reap(t->q, 1, 4, 0), -EINVAL); /* nothing submitted */
	assert_int_equal(dmacopy_submit(t->q), 6);
	assert_int_equal(dmacopy_reap(t->q, 5, 4, 0), -EINVAL);
	assert_int_equal(dmacopy_reap(t->q, 7, 8, 0), -EINVAL);
	assert_int_equal(dmacopy_reap(t->q, 0, 4, -2), -EINVAL);
	assert_int_equal(dmacopy_reap(NULL, 0, 4, 0), -EINVAL);
	assert_int_equal(dmacopy_reap(t->q, 0, 0, 0), 0);
	/* below min: the next one failed */
	assert_int_equal(dmacopy_reap(t->q, 6, 16, 1000), 3);
	assert_int_equal(dmacopy_queue_inflight(t->q), 3);
	for (unsigned int i = 0; i < 2; i++) {
		assert_int_equal(dmacopy_reap(t->q, 0, 16, 0), -EIO);
		assert_non_null(strstr(dmacopy_last_error(), "dmacopy_poll()"));
	}
	assert_int_equal(dmacopy_poll(t->q, &c, 1), 1);
	assert_int_equal(c.user_data, 22);
	assert_int_equal(c.status, -EIO);
	assert_int_equal(c.error, DMACOPY_OP_READ_FAULT);
	assert_int_equal(dmacopy_reap(t->q, 2, 2, 1000), 2);
	assert_int_equal(dmacopy_queue_inflight(t->q), 0);
	assert_int_equal(dmacopy_reap(t->q, 0, 16, 0), 0);
	for (unsigned int i = 0; i < 6; i++) {
		if (i == 2)
			for (unsigned int j = 0; j < 512; j++)
				assert_int_equal(t->buf[40960 + i * 512 + j], 0xee);
		else
			assert_memory_equal(t->buf + 40960 + i * 512, t->buf + i * 512, 512);
	}
}

static void test_unregister_busy(void **state)
{
	struct env *t = *state;
	struct dmacopy_completion c;
	struct dmacopy_region *r2;
	uint8_t *b2 = aligned_alloc(4096, 8192);

	assert_non_null(b2);
	assert_int_equal(dmacopy_region_register(t->e, b2, 8192, &r2), 0);
	assert_int_equal(enqueue(t->q, b2, t->buf, 4096, 5, 0), 0);
	/* enqueued, not submitted: already in use */
	assert_int_equal(dmacopy_region_unregister(r2), -EBUSY);
	assert_int_equal(dmacopy_submit(t->q), 1);
	assert_int_equal(dmacopy_region_unregister(r2), -EBUSY);
	wait_n(t->q, &c, 1);
	assert_int_equal(c.status, 0);
	assert_memory_equal(b2, t->buf, 4096);
	assert_int_equal(dmacopy_region_unregister(r2), 0);
	/* the handle is gone: using it is an error, not a crash */
	assert_int_equal(dmacopy_region_unregister(r2), -EBADF);
	assert_int_equal(enqueue(t->q, b2, t->buf, 64, 6, 0), -EFAULT);
	free(b2);
}

/* Each region's references: what a run_refs queue's operations [from, to) of plan hold. */
struct run_plan {
	int dst, src; /* region indices; src -1 for a fill */
};

/*
 * The references queue q holds on region r beyond its operations': taken ahead on the regions it
 * has cached (with the fast path's budget) or parked while idle (dmacopy_queue.park).
 */
static uint32_t held_on(const struct dmacopy_queue *q, const struct dmacopy_region *r)
{
	uint32_t n = 0;

	for (unsigned int w = 0; w < 2; w++) {
		if (q->last_region[w] == r)
			n += q->last[w].credit + q->emit_budget;
		if ((q->park & PARK_STATE) == PARK_PARKED && q->parked_region[w] == r)
			n += q->parked[w];
	}
	return n;
}

static void check_run_refs(const struct dmacopy_queue *q, struct dmacopy_region *const reg[3],
			   const struct run_plan *plan, const bool *retired, unsigned int n)
{
	for (int k = 0; k < 3; k++) {
		uint32_t want = held_on(q, reg[k]);

		for (unsigned int i = 0; i < n; i++)
			want += !retired[i] * ((plan[i].dst == k) + (plan[i].src == k));
		assert_int_equal(REGION_REFS(__atomic_load_n(&reg[k]->busy, __ATOMIC_RELAXED)), want);
	}
}

/*
 * Region references kept per region run (dmacopy_queue.run_refs): copies and fills over three
 * regions in runs of several lengths, retired a few at a time (out of order within each call),
 * so that a retirement ends inside a run as well as across runs. After each step each region
 * holds one reference per side of every operation not retired, and emitted copies find their
 * regions. Then a queue destroyed with operations never submitted in several runs, after
 * submitted ones, leaves no reference: every region unregisters.
 */
static void test_region_runs(void **state)
{
	struct env *t = *state;
	struct dmacopy_queue_opts qo = { .depth = 16 };
	struct dmacopy_region *reg[3] = { t->r };
	struct dmacopy_completion c[64];
	struct dmacopy_queue *q2;
	struct run_plan plan[48];
	bool retired[48] = { false };
	uint8_t *b[3] = { t->buf };
	unsigned int done = 0, i;

	assert_true(t->q->run_refs);
	for (int k = 1; k < 3; k++) {
		b[k] = aligned_alloc(4096, 16384);
		assert_non_null(b[k]);
		memset(b[k], k, 16384);
		assert_int_equal(dmacopy_region_register(t->e, b[k], 16384, &reg[k]), 0);
	}
	/* runs of 4, 3, 1, 5, ... operations; every 9th a fill; dst in [0, 8K), src in [8K, 16K) */
	for (i = 0; i < 48; i++) {
		struct run_plan *p = &plan[i];
		uint8_t *dst;

		p->dst = (int)(i / 4 % 3);
		p->src = i % 9 == 8 ? -1 : (int)((i / 3 + i / 7) % 3);
		dst = b[p->dst] + (i % 8) * 1024;
		if (p->src < 0)
			assert_int_equal(dmacopy_enqueue_fill(t->q, dst, i, 512, i, 0), 0);
		else
			assert_int_equal(enqueue(t->q, dst, b[p->src] + 8192 + i * 64,
							      64 + i, i, 0), 0);
	}
	assert_int_equal(dmacopy_submit(t->q), 48);
	check_run_refs(t->q, reg, plan, retired, 48);
	assert_int_equal(dmacopy_region_unregister(reg[1]), -EBUSY);
	fake.max_per_progress = 5;
	while (done < 48) {
		int n = dmacopy_poll(t->q, c, 64);

		assert_true(n >= 0 && n <= 5);
		for (int k = 0; k < n; k++) {
			assert_int_equal(c[k].status, 0);
			assert_true(c[k].user_data < 48 && !retired[c[k].user_data]);
			retired[c[k].user_data] = true;
		}
		done += (unsigned int)n;
		check_run_refs(t->q, reg, plan, retired, 48);
	}

	/* destroyed with 6 submitted, then 10 never submitted in ten runs */
	fake.max_per_progress = 0;
	assert_int_equal(dmacopy_queue_create(t->e, &qo, &q2), 0);
	for (i = 0; i < 6; i++)
		assert_int_equal(enqueue(q2, b[0] + i * 64, b[1] + 8192, 64, i, 0), 0);
	assert_int_equal(dmacopy_submit(q2), 6);
	for (i = 0; i < 9; i++)
		assert_int_equal(enqueue(q2, b[1 + i / 5] + i * 64, b[i % 2 * 2] + 8192,
						      32, 6 + i, 0), 0);
	assert_int_equal(dmacopy_enqueue_fill(q2, b[2] + 4096, 0, 64, 15, 0), 0);
	assert_int_equal(dmacopy_queue_pending(q2), 10);
	assert_int_equal(dmacopy_queue_destroy(q2), 0);
	/* what is left is what the idle t->q parked */
	assert_int_equal(t->q->park & PARK_STATE, PARK_PARKED);
	for (int k = 0; k < 3; k++)
		assert_int_equal(REGION_REFS(reg[k]->busy), held_on(t->q, reg[k]));
	for (int k = 1; k < 3; k++) {
		assert_int_equal(dmacopy_region_unregister(reg[k]), 0);
		free(b[k]);
	}
}

static void test_readonly_region(void **state)
{
	struct env *t = *state;
	struct dmacopy_completion c;
	struct dmacopy_region *r2;
	uint8_t *ro = aligned_alloc(4096, 8192);

	assert_non_null(ro);
	memset(ro, 0x42, 8192);
	fake.register_readonly = true;
	assert_int_equal(dmacopy_region_register(t->e, ro, 8192, &r2), 0);
	fake.register_readonly = false;
	/* refused by the core, for queues and synchronous calls alike, with the engine's reason */
	assert_int_equal(enqueue(t->q, ro, t->buf, 64, 1, 0), -EACCES);
	assert_non_null(strstr(dmacopy_last_error(), "read-only (the fake engine was told so)"));
	assert_int_equal(dmacopy_enqueue_fill(t->q, ro + 64, 0, 64, 2, 0), -EACCES);
	assert_int_equal(dmacopy_memcpy(t->e, ro, t->buf, 64), -EACCES);
	assert_int_equal(dmacopy_queue_pending(t->q), 0);
	/* a source it may be; and the refusals left no reference behind */
	assert_int_equal(enqueue(t->q, t->buf + 60000, ro, 64, 3, 0), 0);
	assert_int_equal(dmacopy_submit(t->q), 1);
	wait_n(t->q, &c, 1);
	assert_int_equal(c.status, 0);
	assert_int_equal(t->buf[60000], 0x42);
	assert_int_equal(dmacopy_memcpy(t->e, t->buf + 61000, ro, 64), 0);
	assert_int_equal(dmacopy_region_unregister(r2), 0);
	free(ro);
}

static void test_destroy_drains(void **state)
{
	struct env *t = *state;
	struct dmacopy_queue_opts qo = { .depth = 16 };
	struct dmacopy_queue *q2;

	fake.max_per_progress = 1; /* one completion per engine call: the drain must loop */
	assert_int_equal(dmacopy_queue_create(t->e, &qo, &q2), 0);
	for (unsigned int i = 0; i < 6; i++)
		assert_int_equal(enqueue(q2, t->buf + 49152 + i * 512, t->buf + i * 512,
		                                      512, i, 0),
		                 0);
	assert_int_equal(dmacopy_submit(q2), 6);
	/* the region is in use until the queue is gone */
	assert_int_equal(dmacopy_region_unregister(t->r), -EBUSY);
	assert_int_equal(dmacopy_queue_destroy(q2), 0);
	assert_int_equal(fake.completed, 6);
	assert_true(fake.progress_calls >= 6);
	assert_memory_equal(t->buf + 49152, t->buf, 3072);
}

static void test_null_ops(void **state)
{
	struct env *t = *state;

	/* the fake engine has no synchronous fill (a NULL op): the core says so */
	assert_int_equal(dmacopy_fill(t->e, t->buf, 0, 64), -ENOTSUP);
	assert_non_null(strstr(dmacopy_last_error(), "no synchronous fill"));
	/* "auto" never picks a test kind */
	{
		struct dmacopy_engine *e2;

		assert_int_equal(dmacopy_engine_open(&e2, "auto", NULL), 0);
		assert_string_not_equal(dmacopy_engine_kind(e2), "fake");
		assert_int_equal(dmacopy_engine_close(e2), 0);
	}
}

/* ---- emitting queues (fake.emit) ------------------------------------------------------------ */

static const struct dsa_desc *slot_desc(const struct dmacopy_queue *q, uint32_t n)
{
	return (const struct dsa_desc *)q->emit_ring + (n & q->mask);
}

static void log_copy(struct env *t, struct dmacopy_queue *q, void *dst, const void *src,
		     size_t len, uint64_t user_data)
{
	assert_true(t->nlog < ARRAY_SIZE(t->log));
	t->log[t->nlog++] = (struct logged){ .q = q, .dst = dst, .src = src, .len = len,
					     .user_data = user_data };
}

/*
 * The references queue q holds ahead on side which: that side's credit and what is left of the
 * fast path's budget (emit_grant()), which was taken from both sides' credit.
 */
static uint32_t credit_of(const struct dmacopy_queue *q, unsigned int which)
{
	return q->last[which].credit + q->emit_budget;
}

/* What q holds parked on side which (dmacopy_queue.park), 0 unless it is parked. */
static uint32_t parked_of(const struct dmacopy_queue *q, unsigned int which)
{
	return (q->park & PARK_STATE) == PARK_PARKED ? q->parked[which] : 0;
}

/* The references on region r: its in-flight count (REGION_REFS). */
static uint64_t refs_of(const struct dmacopy_region *r)
{
	return REGION_REFS(__atomic_load_n(&r->busy, __ATOMIC_RELAXED));
}

/*
 * Enqueue a copy that emitting queue q must emit: its descriptor in the slot's entry of the ring,
 * with the device addresses of dst in rd and src in rs and nothing else changed, and its
 * user_data, flags and regions in ops, as OP_EMITTED.
 */
static void copy_emitted(struct env *t, struct dmacopy_queue *q, void *dst, const void *src,
			 size_t len, uint64_t user_data, unsigned int flags,
			 const struct dmacopy_region *rd, const struct dmacopy_region *rs)
{
	const uint32_t tail = q->sq_tail, mark = q->emit_mark;
	const struct queue_op *op = &q->ops[tail & q->mask];
	const struct dsa_desc *d = slot_desc(q, tail);
	struct dmacopy_region *r[2];
	struct dsa_desc want;

	assert_int_equal(enqueue(q, dst, src, len, user_data, flags), 0);
	assert_int_equal(q->sq_tail, tail + 1);
	assert_int_equal(q->emit_mark, mark);
	assert_int_equal(op->kind, OP_EMITTED);
	assert_int_equal(op->user_data, user_data);
	assert_int_equal(op->flags, flags);
	/* its regions are those of the newest region run, which it is part of */
	queue_op_regions(q, tail, r);
	assert_ptr_equal(r[0], rd);
	assert_ptr_equal(r[1], rs);
	assert_int_equal(d->flags_op, DSA_FLAG_CRAV | (uint32_t)DSA_OP_MEMMOVE << 24);
	assert_int_equal(d->dst, (uintptr_t)dst + rd->dev_delta);
	assert_int_equal(d->src, (uintptr_t)src + rs->dev_delta);
	assert_int_equal(d->xfer_size, len);
	memset(&want, 0, sizeof(want));
	want.flags_op = DSA_FLAG_CRAV | (uint32_t)DSA_OP_MEMMOVE << 24;
	want.src = (uintptr_t)src + rs->dev_delta;
	want.dst = (uintptr_t)dst + rd->dev_delta;
	want.xfer_size = (uint32_t)len;
	assert_memory_equal(d, &want, sizeof(want));
	log_copy(t, q, dst, src, len, user_data);
}

/*
 * Enqueue a copy that emitting queue q must stage (OP_COPY, the checked path) with regions rd and
 * rs, leaving the descriptor of its slot as it was.
 */
static void copy_staged(struct env *t, struct dmacopy_queue *q, void *dst, const void *src,
			size_t len, uint64_t user_data, unsigned int flags,
			const struct dmacopy_region *rd, const struct dmacopy_region *rs)
{
	const uint32_t tail = q->sq_tail;
	const struct queue_op *op = &q->ops[tail & q->mask];
	const struct dsa_desc before = *slot_desc(q, tail);

	assert_int_equal(enqueue(q, dst, src, len, user_data, flags), 0);
	assert_int_equal(q->sq_tail, tail + 1);
	assert_int_equal(q->emit_mark, tail + 1);
	assert_int_equal(op->kind, OP_COPY);
	assert_ptr_equal(op->dst, dst);
	assert_ptr_equal(op->src, src);
	assert_int_equal(op->len, len);
	assert_int_equal(op->user_data, user_data);
	assert_int_equal(op->flags, flags);
	assert_ptr_equal(op->dst_region, rd);
	assert_ptr_equal(op->src_region, rs);
	assert_memory_equal(slot_desc(q, tail), &before, sizeof(before));
	log_copy(t, q, dst, src, len, user_data);
}

/*
 * A copy q must refuse with err and a message containing msg, enqueuing nothing (and, on an
 * emitting queue, writing no descriptor). The message is left in buf.
 */
static void copy_refused(struct dmacopy_queue *q, void *dst, const void *src, size_t len,
			 unsigned int flags, int err, const char *msg, char *buf, size_t size)
{
	const uint32_t tail = q->sq_tail;
	struct dsa_desc before;

	if (q->emit_ring)
		before = *slot_desc(q, tail);
	assert_int_equal(enqueue(q, dst, src, len, 999, flags), err);
	snprintf(buf, size, "%s", dmacopy_last_error());
	assert_non_null(strstr(buf, msg));
	assert_int_equal(q->sq_tail, tail);
	if (q->emit_ring)
		assert_memory_equal(slot_desc(q, tail), &before, sizeof(before));
}

/*
 * Submit what q holds, reap everything in flight and check each completion against the log:
 * success, each logged copy of q completed once and its data at its destination.
 */
static void finish(struct env *t, struct dmacopy_queue *q)
{
	struct dmacopy_completion c[DMACOPY_MAX_DEPTH / 256];
	unsigned int n;

	assert_true(dmacopy_submit(q) >= 0);
	n = dmacopy_queue_inflight(q);
	assert_true(n <= ARRAY_SIZE(c));
	wait_n(q, c, n);
	for (unsigned int i = 0; i < n; i++) {
		struct logged *l = NULL;

		for (unsigned int k = 0; k < t->nlog; k++) {
			if (t->log[k].q == q && t->log[k].user_data == c[i].user_data)
				l = &t->log[k];
		}
		assert_non_null(l);
		assert_false(l->done);
		assert_int_equal(c[i].status, 0);
		assert_int_equal(c[i].error, DMACOPY_OP_OK);
		assert_memory_equal(l->dst, l->src, l->len);
		l->done = true;
	}
	for (unsigned int k = 0; k < t->nlog; k++) {
		if (t->log[k].q == q)
			assert_true(t->log[k].done);
	}
}

/* A second registered buffer of len bytes, filled with a pattern of its own. */
static uint8_t *buf2(struct env *t, size_t len, struct dmacopy_region **r)
{
	uint8_t *b = aligned_alloc(4096, len);

	assert_non_null(b);
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(dmacopy_region_register(t->e, b, len, r), 0);
	return b;
}

static void test_emit_copies(void **state)
{
	struct env *t = *state;
	struct dmacopy_region *r2;
	uint8_t *b2 = buf2(t, 16384, &r2);
	uint8_t *d = t->buf + 32768, *s = t->buf;

	assert_int_equal(t->q->emit, EMIT_DSA);
	assert_true(t->r->dev_flat && r2->dev_flat);
	assert_true(t->r->dev_delta && r2->dev_delta && t->r->dev_delta != r2->dev_delta);
	memset(t->buf + 32768, 0, 32768);
	memset(b2 + 8192, 0, 8192);
	/* the first copy looks the regions up (the checked path), the next ones are emitted */
	copy_staged(t, t->q, d, s, 64, 1, 0, t->r, t->r);
	copy_emitted(t, t->q, d + 64, s + 64, 64, 2, 0, t->r, t->r);
	copy_emitted(t, t->q, d + 128, s + 1000, 1, 3, 0, t->r, t->r);
	/* a fenced copy is staged: the engine starts a unit with it (emit_mark tells it) */
	copy_staged(t, t->q, d + 256, s + 2000, 1000, 4, DMACOPY_OP_FENCE, t->r, t->r);
	copy_emitted(t, t->q, d + 1280, s + 3, EMIT_MAX, 5, 0, t->r, t->r);
	/* between two regions, each side at its own device address, both ways */
	copy_staged(t, t->q, b2 + 8192, s + 5000, 512, 6, 0, r2, t->r);
	copy_emitted(t, t->q, b2 + 8704, s + 6000, 777, 7, 0, r2, t->r);
	copy_staged(t, t->q, d + 8192, b2, 512, 8, 0, t->r, r2);
	copy_emitted(t, t->q, d + 8704, b2 + 100, 3000, 9, 0, t->r, r2);
	copy_staged(t, t->q, d + 12288, b2 + 4000, 4000, 10, DMACOPY_OP_FENCE, t->r, r2);
	assert_int_equal(dmacopy_queue_pending(t->q), 10);
	assert_int_equal(dmacopy_submit(t->q), 10);
	assert_int_equal(dmacopy_queue_inflight(t->q), 10);
	finish(t, t->q);
	assert_int_equal(fake.completed, 10);
	assert_int_equal(dmacopy_region_unregister(r2), 0);
	free(b2);
}

static void test_emit_fallbacks(void **state)
{
	struct env *t = *state;
	struct dmacopy_region *rn;
	uint8_t *nf, *d = t->buf + 32768, *s = t->buf;
	uint32_t before, before1;

	fake.register_not_flat = true;
	nf = buf2(t, 16384, &rn);
	fake.register_not_flat = false;
	assert_false(rn->dev_flat);
	memset(t->buf + 32768, 0, 32768);
	memset(nf, 0, 8192);
	/* the first copy of a queue: no region cached, no reference taken ahead */
	copy_staged(t, t->q, d, s, 64, 1, 0, t->r, t->r);
	copy_emitted(t, t->q, d + 64, s + 64, 64, 2, 0, t->r, t->r);
	/* longer than emit_max */
	copy_staged(t, t->q, d + 128, s + 128, EMIT_MAX + 1, 3, 0, t->r, t->r);
	copy_emitted(t, t->q, d + 8192, s + 8192, EMIT_MAX, 4, 0, t->r, t->r);
	/* empty: valid, with no regions */
	copy_staged(t, t->q, d + 12288, s, 0, 5, 0, NULL, NULL);
	copy_emitted(t, t->q, d + 12288, s + 5, 1, 6, 0, t->r, t->r);
	/* a region that is not flat for the device, as destination or source, even once cached */
	copy_staged(t, t->q, nf, s, 256, 7, 0, rn, t->r);
	copy_staged(t, t->q, nf + 256, s + 256, 256, 8, 0, rn, t->r);
	copy_staged(t, t->q, d + 12800, nf + 8192, 256, 9, 0, t->r, rn);
	copy_staged(t, t->q, d + 13056, nf + 8448, 256, 10, 0, t->r, rn);
	copy_staged(t, t->q, d + 13312, s, 256, 11, 0, t->r, t->r);
	copy_emitted(t, t->q, d + 13568, s, 256, 12, 0, t->r, t->r);
	/*
	 * Submission keeps the references taken ahead on the regions of the newest run, which the
	 * submitted copies use until they retire: the next copy is emitted on them.
	 */
	before = credit_of(t->q, 0);
	before1 = credit_of(t->q, 1);
	assert_true(before > 0 && before1 > 0);
	assert_int_equal(dmacopy_submit(t->q), 12);
	assert_int_equal(credit_of(t->q, 0), before);
	assert_int_equal(credit_of(t->q, 1), before1);
	assert_ptr_equal(t->q->last_region[0], t->r);
	copy_emitted(t, t->q, d + 14000, s + 14000, 300, 13, 0, t->r, t->r);
	assert_int_equal(credit_of(t->q, 0), before - 1);
	assert_int_equal(credit_of(t->q, 1), before1 - 1);
	copy_emitted(t, t->q, d + 14300, s + 14300, 300, 14, 0, t->r, t->r);
	/*
	 * Idle, the queue parks what it holds (its retired copies' references added): the region
	 * holds exactly those. The next copy takes them back (one compare-and-swap for both
	 * sides) and is emitted.
	 */
	finish(t, t->q);
	assert_int_equal(fake.completed, 14);
	assert_int_equal(credit_of(t->q, 0), 0);
	assert_true(parked_of(t->q, 0) > 0);
	assert_int_equal(refs_of(t->r), parked_of(t->q, 0) + parked_of(t->q, 1));
	before = parked_of(t->q, 0);
	copy_emitted(t, t->q, d + 15200, s + 15200, 300, 100, 0, t->r, t->r);
	assert_int_equal(t->q->park & PARK_STATE, PARK_OWNED);
	assert_int_equal(credit_of(t->q, 0), before - 1);
	finish(t, t->q);
	assert_int_equal(fake.completed, 15);
	/*
	 * An unregistration (of any region) since the lookup: the references cannot be taken again
	 * on the cached regions, the next copy looks them up on the checked path.
	 */
	assert_int_equal(dmacopy_region_unregister(rn), 0);
	/* it also revoked what the idle queue had parked, on any region */
	assert_int_equal(t->q->park & PARK_STATE, PARK_REVOKED);
	assert_int_equal(refs_of(t->r), 0);
	assert_int_equal(credit_of(t->q, 0), 0);
	copy_staged(t, t->q, d + 14600, s + 14600, 300, 15, 0, t->r, t->r);
	assert_int_equal(t->q->park & PARK_STATE, PARK_OWNED);
	copy_emitted(t, t->q, d + 14900, s + 14900, 300, 16, 0, t->r, t->r);
	finish(t, t->q);
	assert_int_equal(fake.completed, 17);
	free(nf);
}

/*
 * No reference left ahead on one side only: the destination's or the source's region (each side
 * takes REGION_CREDIT ahead at its lookup, one per emitted copy). That side takes them again
 * and the copy is emitted; the other side's are untouched.
 */
static void test_emit_credits(void **state)
{
	struct env *t = *state;
	struct dmacopy_queue_opts qo = { .depth = 128 };
	struct dmacopy_queue *q;
	struct dmacopy_region *r2;
	uint8_t *b2 = buf2(t, 8192, &r2);
	uint8_t *d = t->buf + 32768;
	uint64_t ud = 1;
	uint32_t left;

	memset(t->buf + 32768, 0, 32768);
	assert_int_equal(dmacopy_queue_create(t->e, &qo, &q), 0);
	copy_staged(t, q, d, t->buf, 128, ud++, 0, t->r, t->r);
	/* a new source region: its side looks up, the destination's uses one taken ahead */
	copy_staged(t, q, d + 128, b2, 128, ud++, 0, t->r, r2);
	assert_true(credit_of(q, 0) < credit_of(q, 1));
	while (credit_of(q, 0)) {
		copy_emitted(t, q, d + ud * 128, b2 + ud % 32 * 128, 128, ud, 0, t->r, r2);
		ud++;
	}
	assert_true(credit_of(q, 1) > 0);
	left = credit_of(q, 1);
	copy_emitted(t, q, d + ud * 128, b2, 128, ud, 0, t->r, r2);
	assert_int_equal(credit_of(q, 0), REGION_CREDIT - 1);
	assert_int_equal(credit_of(q, 1), left - 1);
	ud++;
	while (credit_of(q, 1)) {
		copy_emitted(t, q, d + ud * 128, b2 + ud % 32 * 128, 128, ud, 0, t->r, r2);
		ud++;
	}
	assert_true(credit_of(q, 0) > 0);
	left = credit_of(q, 0);
	copy_emitted(t, q, d + ud * 128, b2, 128, ud, 0, t->r, r2);
	assert_int_equal(credit_of(q, 0), left - 1);
	assert_int_equal(credit_of(q, 1), REGION_CREDIT - 1);
	ud++;
	copy_emitted(t, q, d + ud * 128, b2 + 128, 128, ud, 0, t->r, r2);
	assert_true(ud * 128 + 128 <= 32768);
	finish(t, q);
	assert_int_equal(dmacopy_queue_destroy(q), 0);
	assert_int_equal(dmacopy_region_unregister(r2), 0);
	free(b2);
}

/*
 * An emitting queue (the caller's) and one of the general path (q2) refuse the same copy with
 * the same error and message, after a copy that leaves the emitting queue ready to emit.
 */
static void refused_both(struct env *t, struct dmacopy_queue *q2, void *dst, const void *src,
			 size_t len, unsigned int flags, int err, const char *msg)
{
	const uint32_t n = t->q->sq_tail; /* each copy enqueued here has a slot and 64 bytes */
	char m1[512], m2[512];

	/* on the cached regions with references ahead: emitted (after a lookup, if needed) */
	assert_true(n + 2 < t->q->depth);
	assert_int_equal(enqueue(t->q, t->buf + 32768 + n * 64, t->buf + n * 64, 64,
					      1000 + n, 0),
			 0);
	log_copy(t, t->q, t->buf + 32768 + n * 64, t->buf + n * 64, 64, 1000 + n);
	if (t->q->ops[n & t->q->mask].kind != OP_EMITTED)
		copy_emitted(t, t->q, t->buf + 32768 + (n + 1) * 64, t->buf + (n + 1) * 64, 64,
			     1001 + n, 0, t->r, t->r);
	copy_refused(t->q, dst, src, len, flags, err, msg, m1, sizeof(m1));
	copy_refused(q2, dst, src, len, flags, err, msg, m2, sizeof(m2));
	assert_string_equal(m1, m2);
}

static void test_emit_errors(void **state)
{
	struct env *t = *state;
	struct dmacopy_queue_opts qo = { .depth = 64 };
	struct dmacopy_queue *q2;
	struct dmacopy_region *ro;
	uint8_t other[256] = { 0 };
	uint8_t *rob, *b = t->buf;

	memset(t->buf + 32768, 0, 32768);
	fake.emit = false;
	assert_int_equal(dmacopy_queue_create(t->e, &qo, &q2), 0);
	fake.emit = true;
	assert_int_equal(q2->emit, EMIT_NONE);
	fake.register_readonly = true;
	rob = buf2(t, 8192, &ro);
	fake.register_readonly = false;
	assert_true(ro->dev_flat);

	refused_both(t, q2, b + 100, b + 50, 100, 0, -EINVAL, "overlap");
	refused_both(t, q2, b + 50, b + 100, 100, 0, -EINVAL, "overlap");
	refused_both(t, q2, b + 40000, b, 64, 1u << 31, -EINVAL, "unknown operation flags");
	refused_both(t, q2, b + 40000, b, 64, DMACOPY_OP_FENCE << 1, -EINVAL,
		     "unknown operation flags");
	refused_both(t, q2, other, b, sizeof(other), 0, -EFAULT, "destination [");
	refused_both(t, q2, b + 40000, other, sizeof(other), 0, -EFAULT, "source [");
	/* running past the end of the region, on either side */
	refused_both(t, q2, b + BUF - 8, b, 16, 0, -EFAULT, "destination [");
	refused_both(t, q2, b + 40000, b + BUF - 8, 16, 0, -EFAULT, "source [");
	refused_both(t, q2, b + 40000, b + BUF - EMIT_MAX + 1, EMIT_MAX, 0, -EFAULT, "source [");
	refused_both(t, q2, rob, b, 64, 0, -EACCES, "read-only (the fake engine was told so)");
	refused_both(t, q2, NULL, b, 64, 0, -EINVAL, "destination is NULL");
	refused_both(t, q2, (void *)(UINTPTR_MAX - 8), b, 16, 0, -EOVERFLOW, "wraps around");
	/* a source it may be */
	copy_staged(t, t->q, b + 48000, rob, 64, 1, 0, t->r, ro);
	finish(t, t->q);
	assert_int_equal(dmacopy_queue_pending(q2), 0);
	assert_int_equal(dmacopy_queue_destroy(q2), 0);
	/* the refusals left no reference behind */
	assert_int_equal(dmacopy_region_unregister(ro), 0);
	free(rob);
}

static void test_emit_queue_full(void **state)
{
	struct env *t = *state;
	struct dmacopy_queue_opts qo = { .depth = 4 };
	struct dmacopy_queue *q;
	uint8_t *d = t->buf + 32768, *s = t->buf;
	char m[512];

	memset(t->buf + 32768, 0, 32768);
	assert_int_equal(dmacopy_queue_create(t->e, &qo, &q), 0);
	copy_staged(t, q, d, s, 64, 1, 0, t->r, t->r);
	copy_emitted(t, q, d + 64, s + 64, 64, 2, 0, t->r, t->r);
	copy_emitted(t, q, d + 128, s + 128, 64, 3, 0, t->r, t->r);
	copy_emitted(t, q, d + 192, s + 192, 64, 4, 0, t->r, t->r);
	/* full: nothing written over the slot of the oldest, the staged copy 1 */
	copy_refused(q, d + 256, s + 256, 64, 0, -ENOSPC, "queue of depth 4 is full", m,
		     sizeof(m));
	assert_int_equal(q->ops[0].kind, OP_COPY);
	assert_int_equal(q->ops[0].user_data, 1);
	assert_int_equal(dmacopy_submit(q), 4);
	/* in flight is no room either */
	copy_refused(q, d + 256, s + 256, 64, 0, -ENOSPC, "is full", m, sizeof(m));
	finish(t, q);
	/* the slots again, descriptor 1 rewritten (the references ahead taken again) */
	copy_emitted(t, q, d + 256, s + 256, 64, 5, 0, t->r, t->r);
	copy_emitted(t, q, d + 320, s + 1000, 100, 6, 0, t->r, t->r);
	finish(t, q);
	assert_int_equal(dmacopy_queue_destroy(q), 0);
}

/*
 * The fast path's budget (emit_grant()) is room and references taken ahead: another path that
 * takes a slot in between (a fenced copy, staged) gives the rest back first, so the queue still
 * refuses the copy that would not fit and the references add up.
 */
static void test_emit_budget(void **state)
{
	struct env *t = *state;
	struct dmacopy_queue_opts qo = { .depth = 4 };
	struct dmacopy_queue *q;
	uint8_t *d = t->buf + 32768, *s = t->buf;
	uint32_t before;
	char m[512];

	memset(t->buf + 32768, 0, 32768);
	assert_int_equal(dmacopy_queue_create(t->e, &qo, &q), 0);
	copy_staged(t, q, d, s, 64, 1, 0, t->r, t->r);
	copy_emitted(t, q, d + 64, s + 64, 64, 2, 0, t->r, t->r);
	/* the room left (2) granted, no more */
	assert_int_equal(q->emit_budget, 2);
	before = credit_of(q, 0);
	copy_staged(t, q, d + 128, s + 128, 64, 3, DMACOPY_OP_FENCE, t->r, t->r);
	assert_int_equal(q->emit_budget, 0);
	assert_int_equal(credit_of(q, 0), before - 1);
	assert_int_equal(credit_of(q, 1), before - 1);
	copy_emitted(t, q, d + 192, s + 192, 64, 4, 0, t->r, t->r);
	assert_int_equal(q->emit_budget, 0);
	copy_refused(q, d + 256, s + 256, 64, 0, -ENOSPC, "queue of depth 4 is full", m,
		     sizeof(m));
	finish(t, q);
	/* a copy overlapping itself inside one region while a budget is granted */
	copy_emitted(t, q, d + 256, s + 256, 64, 5, 0, t->r, t->r);
	assert_true(q->emit_budget > 0);
	assert_false(q->emit_disjoint);
	copy_refused(q, d + 300, d + 280, 64, 0, -EINVAL, "overlap", m, sizeof(m));
	copy_emitted(t, q, d + 400, d + 320, 64, 6, 0, t->r, t->r);
	finish(t, q);
	assert_int_equal(dmacopy_queue_destroy(q), 0);
}

/* An 8-byte copy on t->r and r2 that leaves t->q with an enqueue budget on them. */
static void regrant(struct env *t, uint8_t *dst, const uint8_t *src, uint64_t user_data,
		    const struct dmacopy_region *r2)
{
	copy_emitted(t, t->q, dst, src, 8, user_data, 0, t->r, r2);
	assert_true(t->q->emit_budget > 0);
}

/*
 * The inline dmacopy_enqueue_copy() of dmacopy.h (setup_emit_inline()): it writes the copies the
 * library's fast path would, exactly as the library writes them (copy_emitted() checks the
 * descriptor and the operation), and calls the library for every other one.
 */
static void test_emit_inline(void **state)
{
	struct env *t = *state;
	struct dmacopy_region *r2;
	uint8_t *b2 = buf2(t, 16384, &r2);
	uint8_t *d = t->buf + 32768, *s = t->buf;
	struct dmacopy_queue *q2;
	unsigned long done;
	char m[512];

	assert_true(use_inline);
	memset(t->buf + 32768, 0, 32768);
	/* the first copy looks the regions up, the second is granted a budget: the library's */
	copy_staged(t, t->q, d, b2, 64, 1, 0, t->r, r2);
	copy_emitted(t, t->q, d + 64, b2 + 64, 64, 2, 0, t->r, r2);
	assert_int_equal(inline_done, 0);
	assert_true(t->q->emit_budget >= 30);
	/* then each copy on the two regions, of 1 byte to the largest, is the inline code's alone */
	for (unsigned int i = 0; i < 30; i++)
		copy_emitted(t, t->q, d + 128 + i * 640, b2 + 200 + i * 300, 1 + i * 20, 3 + i, 0,
			     t->r, r2);
	assert_int_equal(inline_done, 30);
	copy_emitted(t, t->q, d + 19456, b2 + 8192, EMIT_MAX, 33, 0, t->r, r2);
	assert_int_equal(inline_done, 31);
	/*
	 * With a budget granted (regrant(): the library takes it back when it refuses or stages
	 * a copy), what the inline code must leave to the library: unknown flags, a copy past
	 * either region, one past the largest, a handle that is not a live queue's (its magic
	 * changed), a copy on another region, a fenced one. None is the inline code's.
	 */
	done = inline_done;
	regrant(t, d + 28400, b2 + 9000, 41, r2);
	copy_refused(t->q, d + 23600, b2 + 300, 64, 8, -EINVAL, "flags", m, sizeof(m));
	regrant(t, d + 28416, b2 + 9016, 42, r2);
	copy_refused(t->q, t->buf + BUF - 8, b2, 64, 0, -EFAULT, "", m, sizeof(m));
	regrant(t, d + 28432, b2 + 9032, 43, r2);
	copy_refused(t->q, d + 23600, b2 + 16384 - 8, 64, 0, -EFAULT, "", m, sizeof(m));
	regrant(t, d + 28448, b2 + 9048, 44, r2);
	{
		const uint32_t magic = t->q->magic, tail = t->q->sq_tail;

		t->q->magic = MAGIC_DEAD;
		assert_int_equal(enqueue(t->q, d + 23600, b2 + 300, 64, 99, 0), -EBADF);
		t->q->magic = magic;
		assert_int_equal(t->q->sq_tail, tail);
	}
	regrant(t, d + 28464, b2 + 9064, 45, r2);
	copy_staged(t, t->q, d + 23700, b2, EMIT_MAX + 1, 35, 0, t->r, r2);
	regrant(t, d + 28480, b2 + 9080, 46, r2);
	copy_staged(t, t->q, d + 27900, s + 100, 64, 34, 0, t->r, t->r);
	copy_emitted(t, t->q, d + 27970, s + 400, 16, 36, 0, t->r, t->r);
	assert_true(t->q->emit_budget > 0);
	copy_staged(t, t->q, d + 27990, s + 500, 8, 40, DMACOPY_OP_FENCE, t->r, t->r);
	/* only the regrant() copies that found the budget still there were the inline code's */
	assert_true(inline_done - done <= 6);
	/* both sides in one region (not disjoint): apart, inline; overlapping, refused */
	copy_emitted(t, t->q, d + 28000, s + 200, 64, 37, 0, t->r, t->r);
	done = inline_done;
	copy_emitted(t, t->q, d + 28100, d + 28200, 64, 38, 0, t->r, t->r);
	assert_int_equal(inline_done, done + 1);
	copy_refused(t->q, d + 28300, d + 28330, 64, 0, -EINVAL, "overlap", m, sizeof(m));
	assert_int_equal(inline_done, done + 1);
	finish(t, t->q);
	/* a NULL queue and a destroyed one go to the library, which refuses them */
	assert_int_equal(enqueue(NULL, d, s, 64, 1, 0), -EINVAL);
	assert_int_equal(dmacopy_queue_create(t->e, NULL, &q2), 0);
	assert_int_equal(dmacopy_queue_destroy(q2), 0);
	assert_int_equal(enqueue(q2, d, s, 64, 1, 0), -EBADF);
	assert_int_equal(inline_done, done + 1);
	assert_int_equal(dmacopy_region_unregister(r2), 0);
	free(b2);
}

static void test_emit_unregister_busy(void **state)
{
	struct env *t = *state;
	struct dmacopy_completion c;
	struct dmacopy_region *r2;
	uint8_t *b2 = buf2(t, 8192, &r2);

	memset(b2, 0, 8192);
	fake.max_per_progress = 1; /* the oldest first, one per engine call */
	copy_staged(t, t->q, b2, t->buf, 1024, 1, 0, r2, t->r);
	copy_emitted(t, t->q, b2 + 4096, t->buf + 4096, 2048, 2, 0, r2, t->r);
	/* enqueued, not submitted: in use */
	assert_int_equal(dmacopy_region_unregister(r2), -EBUSY);
	assert_int_equal(dmacopy_submit(t->q), 2);
	wait_n(t->q, &c, 1);
	assert_int_equal(c.user_data, 1);
	assert_int_equal(c.status, 0);
	/*
	 * The emitted copy holds one reference on each region now, and the queue what it kept
	 * ahead on them (with the first copy's, retired into it)
	 */
	assert_int_equal(refs_of(r2), 1 + credit_of(t->q, 0));
	assert_int_equal(refs_of(t->r), 1 + credit_of(t->q, 1));
	assert_int_equal(dmacopy_region_unregister(r2), -EBUSY);
	assert_non_null(strstr(dmacopy_last_error(), "in flight"));
	/* a failed unregistration takes nothing from a queue that is not idle */
	assert_int_equal(refs_of(r2), 1 + credit_of(t->q, 0));
	wait_n(t->q, &c, 1);
	assert_int_equal(c.user_data, 2);
	assert_int_equal(c.status, 0);
	assert_memory_equal(b2 + 4096, t->buf + 4096, 2048);
	/* idle: all of it parked, which an unregistration revokes (on both regions) */
	assert_int_equal(refs_of(r2), parked_of(t->q, 0));
	assert_int_equal(refs_of(t->r), parked_of(t->q, 1));
	assert_true(parked_of(t->q, 0) > 0);
	assert_int_equal(dmacopy_region_unregister(r2), 0);
	assert_int_equal(refs_of(t->r), 0);
	free(b2);
}

/*
 * Parked credit (dmacopy_queue.park) against unregistrations in another thread: a thread runs
 * batches of 32 copies between two regions of its own (each batch ends with the queue idle, so
 * it parks what it holds and takes it back at the next batch's first copy), while this one
 * registers and unregisters a third region (each unregistration revokes what is parked) and
 * tries to unregister the worker's source region (-EBUSY, or it succeeds while the queue is
 * idle and its next copy is refused with -EFAULT). Every copy must succeed or be refused so,
 * and at the end no reference is left: none lost, none given back twice.
 */
struct park_race {
	struct dmacopy_engine *e;
	uint8_t *src, *dst;
	struct dmacopy_region *rs, *rd;
	unsigned int rounds, refused, failures;
	bool stop;
};

static void *park_worker(void *arg)
{
	struct park_race *pr = arg;
	struct dmacopy_queue_opts qo = { .depth = 64 };
	struct dmacopy_completion c[32];
	struct dmacopy_queue *q;

	if (dmacopy_queue_create(pr->e, &qo, &q)) {
		pr->failures++;
		return NULL;
	}
	for (unsigned int round = 0; round < pr->rounds; round++) {
		unsigned int n = 0;

		for (unsigned int i = 0; i < 32; i++) {
			int ret = enqueue(q, pr->dst + i * 128, pr->src + i * 128, 128,
						       i, 0);

			if (ret == -EFAULT) {
				pr->refused++;
				break;
			}
			if (ret)
				pr->failures++;
			else
				n++;
		}
		if (n && (dmacopy_submit(q) != (int)n || dmacopy_wait(q, c, n, n, 5000) != (int)n))
			pr->failures++;
		for (unsigned int i = 0; i < n; i++)
			pr->failures += c[i].status != 0;
	}
	if (dmacopy_queue_destroy(q))
		pr->failures++;
	__atomic_store_n(&pr->stop, true, __ATOMIC_RELEASE);
	return NULL;
}

static void test_emit_park_race(void **state)
{
	struct env *t = *state;
	struct park_race pr = { .e = t->e, .rounds = 3000 };
	uint8_t *b3 = aligned_alloc(4096, 8192);
	unsigned int revokes = 0, unregistered = 0;
	pthread_t th;

	pr.src = aligned_alloc(4096, 8192);
	pr.dst = aligned_alloc(4096, 8192);
	assert_true(pr.src && pr.dst && b3);
	memset(pr.src, 7, 8192);
	assert_int_equal(dmacopy_region_register(t->e, pr.src, 8192, &pr.rs), 0);
	assert_int_equal(dmacopy_region_register(t->e, pr.dst, 8192, &pr.rd), 0);
	assert_int_equal(pthread_create(&th, NULL, park_worker, &pr), 0);
	while (!__atomic_load_n(&pr.stop, __ATOMIC_ACQUIRE)) {
		struct dmacopy_region *r3;

		assert_int_equal(dmacopy_region_register(t->e, b3, 8192, &r3), 0);
		assert_int_equal(dmacopy_region_unregister(r3), 0);
		revokes++;
		if (revokes % 64 == 0 && pr.rs) {
			int ret = dmacopy_region_unregister(pr.rs);

			assert_true(ret == 0 || ret == -EBUSY);
			if (!ret) {
				/* the worker's copies are refused from now on: register it anew */
				unregistered++;
				assert_int_equal(dmacopy_region_register(t->e, pr.src, 8192, &pr.rs),
						 0);
			}
		}
	}
	pthread_join(th, NULL);
	assert_int_equal(pr.failures, 0);
	assert_int_equal(REGION_REFS(__atomic_load_n(&pr.rs->busy, __ATOMIC_RELAXED)), 0);
	assert_int_equal(REGION_REFS(__atomic_load_n(&pr.rd->busy, __ATOMIC_RELAXED)), 0);
	assert_int_equal(dmacopy_region_unregister(pr.rs), 0);
	assert_int_equal(dmacopy_region_unregister(pr.rd), 0);
	print_message("park race: %u rounds, %u revoking unregistrations, source region "
		      "unregistered %u times, %u copies refused\n", pr.rounds, revokes, unregistered,
		      pr.refused);
	free(pr.src);
	free(pr.dst);
	free(b3);
}

/* copy k of a dmacopy_enqueue_copies() test: its own destination, a source inside t->buf */
static struct dmacopy_copy a_copy(struct env *t, unsigned int k, uint64_t user_data)
{
	return (struct dmacopy_copy){ .dst = t->buf + 32768 + k * 160, .src = t->buf + k * 97,
				      .len = 100 + k % 50, .user_data = user_data };
}

/*
 * dmacopy_enqueue_copies(): n copies enqueued as n calls of dmacopy_enqueue_copy() would (on an
 * emitting queue: written as descriptors where the fast path takes them, staged where it does
 * not), stopping at the first refused one: its index returned, or its errno when it is the first.
 */
static void test_copies(void **state)
{
	struct env *t = *state;
	struct dmacopy_queue *q = t->q;
	const bool emit = q->emit == EMIT_DSA;
	struct dmacopy_copy c[40];
	uint8_t *unreg = malloc(4096);
	unsigned int k = 0, i;

	assert_non_null(unreg);
	memset(t->buf + 32768, 0, 32768);
	assert_int_equal(dmacopy_enqueue_copies(q, NULL, 0), 0);
	assert_int_equal(dmacopy_enqueue_copies(q, NULL, 1), -EINVAL);
	assert_non_null(strstr(dmacopy_last_error(), "copies is NULL"));
	assert_int_equal(dmacopy_enqueue_copies(NULL, c, 1), -EINVAL);
	/* 40 copies, one fenced: all enqueued, in order */
	for (i = 0; i < 40; i++) {
		c[i] = a_copy(t, k + i, 1000 + i);
		c[i].flags = i == 20 ? DMACOPY_OP_FENCE : 0;
	}
	assert_int_equal(dmacopy_enqueue_copies(q, c, 40), 40);
	assert_int_equal(dmacopy_queue_pending(q), 40);
	for (i = 0; i < 40; i++) {
		const struct queue_op *op = &q->ops[i & q->mask];

		log_copy(t, q, c[i].dst, c[i].src, c[i].len, c[i].user_data);
		assert_int_equal(op->user_data, 1000 + i);
		assert_int_equal(op->flags, c[i].flags);
		/* the first looks the region up and the fenced one is staged; the others emitted */
		assert_int_equal(op->kind, emit && i && i != 20 ? OP_EMITTED : OP_COPY);
		if (op->kind == OP_COPY) {
			assert_ptr_equal(op->dst_region, t->r);
			assert_ptr_equal(op->src_region, t->r);
		}
		if (q->run_refs) {
			struct dmacopy_region *r[2];

			queue_op_regions(q, i, r);
			assert_ptr_equal(r[0], t->r);
			assert_ptr_equal(r[1], t->r);
		}
	}
	k += 40;
	finish(t, q);
	/* refused first with no reference held ahead: none stays taken for it */
	assert_int_equal(credit_of(q, 0), 0);
	c[0] = a_copy(t, k, 1999);
	c[0].flags = 4;
	assert_int_equal(dmacopy_enqueue_copies(q, c, 1), -EINVAL);
	assert_int_equal(credit_of(q, 0), 0);
	assert_int_equal(credit_of(q, 1), 0);
	/* a refused copy in the middle: the ones before it are enqueued, its index returned */
	for (i = 0; i < 10; i++)
		c[i] = a_copy(t, k + i, 2000 + i);
	c[5].src = (uint8_t *)c[5].dst + 1;
	assert_int_equal(dmacopy_enqueue_copies(q, c, 10), 5);
	assert_non_null(strstr(dmacopy_last_error(), "overlap"));
	assert_int_equal(dmacopy_queue_pending(q), 5);
	for (i = 0; i < 5; i++)
		log_copy(t, q, c[i].dst, c[i].src, c[i].len, c[i].user_data);
	/* refused first: its errno, nothing enqueued */
	assert_int_equal(dmacopy_enqueue_copies(q, &c[5], 5), -EINVAL);
	c[5] = a_copy(t, k + 5, 2005);
	c[5].reserved = 1;
	assert_int_equal(dmacopy_enqueue_copies(q, &c[5], 5), -EINVAL);
	assert_non_null(strstr(dmacopy_last_error(), "reserved of copy 0 is not zero"));
	c[5].reserved = 0;
	c[5].dst = unreg;
	assert_int_equal(dmacopy_enqueue_copies(q, &c[5], 5), -EFAULT);
	c[5].flags = 4;
	assert_int_equal(dmacopy_enqueue_copies(q, &c[5], 5), -EINVAL);
	assert_int_equal(dmacopy_queue_pending(q), 5);
	k += 5;
	/* a queue of depth 64 with 5 in it: 40, then 19 of 40 */
	for (i = 0; i < 40; i++)
		c[i] = a_copy(t, k + i, 3000 + i);
	assert_int_equal(dmacopy_enqueue_copies(q, c, 40), 40);
	for (i = 0; i < 40; i++)
		log_copy(t, q, c[i].dst, c[i].src, c[i].len, c[i].user_data);
	k += 40;
	for (i = 0; i < 40; i++)
		c[i] = a_copy(t, k + i, 4000 + i);
	assert_int_equal(dmacopy_enqueue_copies(q, c, 40), 19);
	assert_non_null(strstr(dmacopy_last_error(), "is full"));
	for (i = 0; i < 19; i++)
		log_copy(t, q, c[i].dst, c[i].src, c[i].len, c[i].user_data);
	assert_int_equal(dmacopy_queue_pending(q), 64);
	assert_int_equal(dmacopy_enqueue_copies(q, &c[19], 1), -ENOSPC);
	finish(t, q);
	assert_int_equal(fake.completed, 40 + 5 + 40 + 19);
	free(unreg);
}

/* dmacopy_poll() with no room for completions still lets the engine make progress (a kick). */
static void test_poll_kick(void **state)
{
	struct env *t = *state;
	unsigned long calls;

	assert_int_equal(enqueue(t->q, t->buf + 40000, t->buf, 64, 1, 0), 0);
	log_copy(t, t->q, t->buf + 40000, t->buf, 64, 1);
	assert_int_equal(dmacopy_submit(t->q), 1);
	calls = fake.progress_calls;
	assert_int_equal(dmacopy_poll(t->q, NULL, 0), 0);
	assert_true(fake.progress_calls > calls);
	finish(t, t->q);
}

/* lib_lock() under contention: every increment made under it is kept, and it ends free. */
#define LOCK_THREADS 4
#define LOCK_ROUNDS  200000

struct lock_test {
	struct lib_lock lock;
	unsigned long count; /* changed only under lock */
	unsigned int inside; /* threads inside at once: never more than one */
	unsigned int most;
};

static void *lock_worker(void *arg)
{
	struct lock_test *lt = arg;

	for (unsigned int i = 0; i < LOCK_ROUNDS; i++) {
		unsigned int in;

		lib_lock(&lt->lock);
		in = __atomic_add_fetch(&lt->inside, 1, __ATOMIC_RELAXED);
		if (in > lt->most)
			lt->most = in;
		lt->count++;
		__atomic_sub_fetch(&lt->inside, 1, __ATOMIC_RELAXED);
		lib_unlock(&lt->lock);
	}
	return NULL;
}

static void test_lock(void **state)
{
	struct lock_test lt = { 0 };
	pthread_t th[LOCK_THREADS];
	(void)state;

	for (int i = 0; i < LOCK_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, lock_worker, &lt), 0);
	for (int i = 0; i < LOCK_THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(lt.count, (unsigned long)LOCK_THREADS * LOCK_ROUNDS);
	assert_int_equal(lt.most, 1);
	assert_int_equal(lt.lock.word, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_lock),
	        cmocka_unit_test_setup_teardown(test_needs_registration, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_out_of_order, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_fence, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_op_failure, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_reap, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_reap, setup_emit, teardown),
	        cmocka_unit_test_setup_teardown(test_unregister_busy, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_region_runs, setup_runs, teardown),
	        cmocka_unit_test_setup_teardown(test_region_runs, setup_emit, teardown),
	        cmocka_unit_test_setup_teardown(test_out_of_order, setup_runs, teardown),
	        cmocka_unit_test_setup_teardown(test_op_failure, setup_runs, teardown),
	        cmocka_unit_test_setup_teardown(test_unregister_busy, setup_runs, teardown),
	        cmocka_unit_test_setup_teardown(test_readonly_region, setup_runs, teardown),
	        cmocka_unit_test_setup_teardown(test_destroy_drains, setup_runs, teardown),
	        cmocka_unit_test_setup_teardown(test_copies, setup_runs, teardown),
	        cmocka_unit_test_setup_teardown(test_readonly_region, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_destroy_drains, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_null_ops, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_emit_copies, setup_emit, teardown),
	        cmocka_unit_test_setup_teardown(test_emit_fallbacks, setup_emit, teardown),
	        cmocka_unit_test_setup_teardown(test_emit_credits, setup_emit, teardown),
	        cmocka_unit_test_setup_teardown(test_emit_errors, setup_emit, teardown),
	        cmocka_unit_test_setup_teardown(test_emit_queue_full, setup_emit, teardown),
	        cmocka_unit_test_setup_teardown(test_emit_budget, setup_emit, teardown),
	        cmocka_unit_test_setup_teardown(test_emit_unregister_busy, setup_emit, teardown),
	        cmocka_unit_test_setup_teardown(test_emit_park_race, setup_emit, teardown),
	        cmocka_unit_test_setup_teardown(test_emit_inline, setup_emit_inline, teardown),
	        cmocka_unit_test_setup_teardown(test_emit_copies, setup_emit_inline, teardown),
	        cmocka_unit_test_setup_teardown(test_emit_fallbacks, setup_emit_inline, teardown),
	        cmocka_unit_test_setup_teardown(test_emit_credits, setup_emit_inline, teardown),
	        cmocka_unit_test_setup_teardown(test_emit_errors, setup_emit_inline, teardown),
	        cmocka_unit_test_setup_teardown(test_emit_queue_full, setup_emit_inline, teardown),
	        cmocka_unit_test_setup_teardown(test_emit_budget, setup_emit_inline, teardown),
	        cmocka_unit_test_setup_teardown(test_emit_unregister_busy, setup_emit_inline,
						teardown),
	        cmocka_unit_test_setup_teardown(test_copies, setup_emit_inline, teardown),
	        cmocka_unit_test_setup_teardown(test_reap, setup_emit_inline, teardown),
	        cmocka_unit_test_setup_teardown(test_copies, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_copies, setup_emit, teardown),
	        cmocka_unit_test_setup_teardown(test_poll_kick, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_poll_kick, setup_emit, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * The core's queue and region paths on the host, through a test-only engine (fake_engine.h)
 * that needs registration, completes out of order and fails chosen operations: registration
 * required (-EFAULT), read-only regions (-EACCES, checked once in the core), out-of-order completions matched by user_data, fences,
 * per-operation failures with their detail, -EBUSY on unregistering a region in flight, drain
 * at queue destruction, and optional engine ops left NULL (-ENOTSUP).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dmacopy.h"
#include "fake_engine.h"

#define BUF 65536

struct env {
	struct dmacopy_engine *e;
	struct dmacopy_queue *q;
	struct dmacopy_region *r;
	uint8_t *buf;
};

static int setup(void **state)
{
	struct env *t = calloc(1, sizeof(*t));
	struct dmacopy_queue_opts qo = { .depth = 64 };

	memset(&fake, 0, sizeof(fake));
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

	assert_int_equal(dmacopy_enqueue_copy(t->q, t->buf, other, sizeof(other), 1, 0), -EFAULT);
	assert_int_equal(dmacopy_enqueue_copy(t->q, other, t->buf, sizeof(other), 1, 0), -EFAULT);
	/* straddling the end of the region */
	assert_int_equal(dmacopy_enqueue_copy(t->q, t->buf + BUF - 8, t->buf, 16, 1, 0), -EFAULT);
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
		assert_int_equal(dmacopy_enqueue_copy(t->q, t->buf + 32768 + i * 1024,
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
	assert_int_equal(dmacopy_enqueue_copy(t->q, t->buf + 16384, t->buf, 4096, 1, 0), 0);
	assert_int_equal(dmacopy_enqueue_copy(t->q, t->buf + 20480, t->buf + 16384, 4096, 2,
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
		assert_int_equal(dmacopy_enqueue_copy(t->q, t->buf + 40960 + i * 1024,
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

static void test_unregister_busy(void **state)
{
	struct env *t = *state;
	struct dmacopy_completion c;
	struct dmacopy_region *r2;
	uint8_t *b2 = aligned_alloc(4096, 8192);

	assert_non_null(b2);
	assert_int_equal(dmacopy_region_register(t->e, b2, 8192, &r2), 0);
	assert_int_equal(dmacopy_enqueue_copy(t->q, b2, t->buf, 4096, 5, 0), 0);
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
	assert_int_equal(dmacopy_enqueue_copy(t->q, b2, t->buf, 64, 6, 0), -EFAULT);
	free(b2);
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
	assert_int_equal(dmacopy_enqueue_copy(t->q, ro, t->buf, 64, 1, 0), -EACCES);
	assert_non_null(strstr(dmacopy_last_error(), "read-only (the fake engine was told so)"));
	assert_int_equal(dmacopy_enqueue_fill(t->q, ro + 64, 0, 64, 2, 0), -EACCES);
	assert_int_equal(dmacopy_memcpy(t->e, ro, t->buf, 64), -EACCES);
	assert_int_equal(dmacopy_queue_pending(t->q), 0);
	/* a source it may be; and the refusals left no reference behind */
	assert_int_equal(dmacopy_enqueue_copy(t->q, t->buf + 60000, ro, 64, 3, 0), 0);
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
		assert_int_equal(dmacopy_enqueue_copy(q2, t->buf + 49152 + i * 512, t->buf + i * 512,
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_needs_registration, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_out_of_order, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_fence, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_op_failure, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_unregister_busy, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_readonly_region, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_destroy_drains, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_null_ops, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

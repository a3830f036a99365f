// SPDX-License-Identifier: BSD-3-Clause
/*
 * libdmacopy core: the engines' table, opening an engine by spec ("auto" included), its
 * queries and dmacopy_probe().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"

/*
 * In "auto" preference order: the user-space polled engines first (no system call per copy; a
 * function is theirs only when its owner bound it to vfio-pci), DSA before I/OAT (the newer and
 * faster engine), then the kernel engine, then the CPU.
 */
static const struct engine_ops *const engine_kinds[] = {
	&engine_dsa_ops,
	&engine_ioat_ops,
	&engine_kernel_ops,
	&engine_cpu_ops,
};

/* ---- engines -------------------------------------------------------------------------------- */

/* An engine kind the unit tests add (tests/unit/fake_engine.h); the library never sets it. */
static const struct engine_ops *test_kind;

void lib_test_engine_kind(const struct engine_ops *ops)
{
	test_kind = ops;
}

/*
 * What engine_kinds[] says to people, written once: the specs dmacopy_engine_open() takes
 * ("auto, dsa[:PCI_ADDR], ...") and the kinds in auto's order ("dsa, ioat, kernel, cpu").
 */
static pthread_once_t kind_lists_once = PTHREAD_ONCE_INIT;
static char spec_list[256], auto_order[64];

static void kind_lists_init(void)
{
	size_t s = (size_t)snprintf(spec_list, sizeof(spec_list), "auto"), o = 0;

	for (size_t i = 0; i < ARRAY_SIZE(engine_kinds); i++) {
		if (s < sizeof(spec_list))
			s += (size_t)snprintf(spec_list + s, sizeof(spec_list) - s, ", %s",
					      engine_kinds[i]->syntax);
		if (o < sizeof(auto_order))
			o += (size_t)snprintf(auto_order + o, sizeof(auto_order) - o, "%s%s",
					      i ? ", " : "", engine_kinds[i]->kind);
	}
}

const char *dmacopy_engine_specs(void)
{
	pthread_once(&kind_lists_once, kind_lists_init);
	return spec_list;
}

static const char *engine_auto_order(void)
{
	pthread_once(&kind_lists_once, kind_lists_init);
	return auto_order;
}

static const struct engine_ops *kind_lookup(const char *kind, size_t len)
{
	if (test_kind && strlen(test_kind->kind) == len && !memcmp(test_kind->kind, kind, len))
		return test_kind;
	for (size_t i = 0; i < ARRAY_SIZE(engine_kinds); i++) {
		if (strlen(engine_kinds[i]->kind) == len && !memcmp(engine_kinds[i]->kind, kind, len))
			return engine_kinds[i];
	}
	return NULL;
}

static int engine_try(struct dmacopy_engine *e, const struct engine_ops *ops, const char *arg,
		      const struct dmacopy_engine_opts *opts)
{
	int ret;

	e->ops = ops;
	memset(&e->caps, 0, sizeof(e->caps));
	snprintf(e->name, sizeof(e->name), "%s%s%s", ops->kind, arg ? ":" : "", arg ? arg : "");
	ret = ops->open(e, arg, opts);
	if (ret)
		return ret;
	ops->caps(e, &e->caps);
	e->caps.flags |= ops->cap_flags;
	e->inline_max = ops->inline_limit ? ops->inline_limit(e) : 0;
	e->inline_limit = e->inline_max < DMACOPY_INLINE_COPY_MAX + 1 ? e->inline_max
								  : DMACOPY_INLINE_COPY_MAX + 1;
	return 0;
}

static int engine_open_auto(struct dmacopy_engine *e, const struct dmacopy_engine_opts *opts)
{
	char reasons[DMACOPY_SELECTION_LEN] = "";
	size_t used = 0;

	for (size_t i = 0; i < ARRAY_SIZE(engine_kinds); i++) {
		const struct engine_ops *ops = engine_kinds[i];
		int ret;

		lib_error_clear();
		ret = engine_try(e, ops, NULL, opts);
		if (!ret) {
			snprintf(e->selection, sizeof(e->selection),
				 "auto: chose %.100s (order: %s)\n%.1850s", e->name,
				 engine_auto_order(), reasons);
			return 0;
		}
		if (used < sizeof(reasons))
			used += (size_t)snprintf(reasons + used, sizeof(reasons) - used,
						 "  %s: unavailable: %s%s%s\n", ops->kind,
						 dmacopy_strerror(ret),
						 dmacopy_last_error()[0] ? ": " : "",
						 dmacopy_last_error());
	}
	return lib_error(-ENODEV, "no engine could be opened:\n%s", reasons);
}

int dmacopy_engine_open(struct dmacopy_engine **engine, const char *spec,
			const struct dmacopy_engine_opts *opts)
{
	static const struct dmacopy_engine_opts no_opts;
	struct dmacopy_engine *e;
	const char *colon;
	int ret;

	if (!engine)
		return lib_error(-EINVAL, "engine pointer is NULL");
	*engine = NULL;
	if (!opts)
		opts = &no_opts;
	for (size_t i = 0; i < ARRAY_SIZE(opts->reserved); i++) {
		if (opts->reserved[i])
			return lib_error(-EINVAL, "dmacopy_engine_opts.reserved[%zu] is not zero", i);
	}
	if (!spec || !strcmp(spec, "auto")) {
		const char *env = getenv("DMACOPY_ENGINE");

		spec = env && *env ? env : "auto";
	}
	if (strlen(spec) >= sizeof(e->name))
		return lib_error(-EINVAL, "engine spec is longer than %zu characters", sizeof(e->name) - 1);

	e = obj_alloc(PARK_ENGINE, sizeof(*e));
	if (!e)
		return lib_error(-ENOMEM, "cannot allocate the engine");
	pthread_mutex_init(&e->lock, NULL);

	if (!strcmp(spec, "auto")) {
		ret = engine_open_auto(e, opts);
	} else {
		const struct engine_ops *ops;
		size_t klen;

		colon = strchr(spec, ':');
		klen = colon ? (size_t)(colon - spec) : strlen(spec);
		ops = kind_lookup(spec, klen);
		if (!ops) {
			ret = lib_error(-EINVAL, "unknown engine '%.*s' in spec '%s'; use one of: %s",
					(int)klen, spec, spec, dmacopy_engine_specs());
		} else if (colon && !colon[1]) {
			ret = lib_error(-EINVAL, "engine spec '%s' ends with ':'; name a channel or device, "
					    "or drop the ':'", spec);
		} else {
			lib_error_clear();
			ret = engine_try(e, ops, colon ? colon + 1 : NULL, opts);
			if (!ret)
				snprintf(e->selection, sizeof(e->selection), "%s: requested\n",
					 e->name);
		}
	}
	if (ret) {
		pthread_mutex_destroy(&e->lock);
		obj_retire(PARK_ENGINE, e);
		return ret;
	}
	e->magic = MAGIC_ENGINE;
	*engine = e;
	return 0;
}

int dmacopy_engine_close(struct dmacopy_engine *e)
{
	int ret;

	if (!e)
		return 0;
	ret = engine_check(e);
	if (ret)
		return ret;
	while (e->queues)
		dmacopy_queue_destroy(e->queues);
	while (e->regions) {
		struct dmacopy_region *r = e->regions;

		/* every queue is gone, nothing is in flight */
		r->busy = r->busy & ~(uint64_t)UINT32_MAX;
		dmacopy_region_unregister(r);
	}
	e->inline_limit = 0; /* the inline dmacopy_memcpy() calls the library, which says -EBADF */
	e->ops->close(e);
	e->magic = MAGIC_DEAD;
	pthread_mutex_destroy(&e->lock);
	obj_retire(PARK_ENGINE, e);
	return 0;
}

const char *dmacopy_engine_kind(const struct dmacopy_engine *e)
{
	return engine_check(e) ? "invalid" : e->ops->kind;
}

const char *dmacopy_engine_name(const struct dmacopy_engine *e)
{
	return engine_check(e) ? "invalid" : e->name;
}

const char *dmacopy_engine_selection(const struct dmacopy_engine *e)
{
	return engine_check(e) ? "invalid engine handle\n" : e->selection;
}

int dmacopy_engine_caps(const struct dmacopy_engine *e, struct dmacopy_caps *caps)
{
	int ret = engine_check(e);

	if (ret)
		return ret;
	if (!caps)
		return lib_error(-EINVAL, "caps is NULL");
	*caps = e->caps;
	return 0;
}

void status_row(struct dmacopy_engine_status *rows, unsigned int max, unsigned int *n,
		const char *kind, const char *spec, int error, const char *detail, const char *remedy)
{
	if (*n < max) {
		struct dmacopy_engine_status *r = &rows[*n];

		memset(r, 0, sizeof(*r));
		snprintf(r->kind, sizeof(r->kind), "%s", kind);
		snprintf(r->spec, sizeof(r->spec), "%s", spec);
		r->available = error == 0;
		r->error = error;
		snprintf(r->detail, sizeof(r->detail), "%s", detail ? detail : "");
		snprintf(r->remedy, sizeof(r->remedy), "%s", remedy ? remedy : "");
	}
	(*n)++;
}

int dmacopy_probe(struct dmacopy_engine_status *rows, unsigned int max)
{
	unsigned int n = 0;

	if (!rows && max)
		return lib_error(-EINVAL, "rows is NULL but max is %u", max);
	for (size_t i = 0; i < ARRAY_SIZE(engine_kinds); i++)
		engine_kinds[i]->probe(engine_kinds[i], rows, max, &n);
	return (int)n;
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * Random verified copies and fills through one or more engines, one thread per engine (-T: more
 * threads per engine, each with a queue of its own on the shared engine):
 *
 *   ioatuser_copy [-n OPS] [-w OPS] [-W DESCS] [-m KINDS] [-D MIB] [-s SEED] [-q DEPTH] [-y N]
 *                 [-C N] [-T THREADS] SPEC...
 *
 *   -n OPS    random operations in all (default 10000), shared evenly by the engines: copies and
 *             fills (25%) of 1 B to 4 MiB (log-uniform), random source and destination offsets,
 *             in batches of 1 to 1024 operations, on registered anonymous, hugetlb and
 *             device-dax memory (source and destination kinds mixed)
 *   -w OPS    then per engine OPS small operations (8-512 B, batches up to 1024) so the
 *             descriptor ring wraps around many times (default 0)
 *   -W DESCS  fail unless every engine executed at least DESCS descriptors
 *   -m KINDS  memory kinds, e.g. anon,huge,dax (default all three)
 *   -D MIB    device-dax offset of the first engine's buffers in MiB (default 0); each engine
 *             uses 48 MiB of /dev/dax0.0 from there
 *   -q DEPTH  queue depth (default 1024)
 *   -y N      synchronous helper calls per engine: dmacopy_memcpy, dmacopy_fill and
 *             dmacopy_memset, N of each (default 20)
 *   -C N      check the checker: after the first batch flip a destination byte (N = 1) or a
 *             guard byte (N = 2); the run must then fail
 *   -T N      N threads per engine (default 1), each with its own queue, memory and share of the
 *             operations, all at once on the one engine; -W then counts per thread
 *
 * Every destination has 64 guard bytes on each side, set with its own byte value before the
 * operation (the destination too, so an operation that never ran is seen), and is checked byte for
 * byte after its completion; completions are matched by user_data; any failure exits 1. Prints one
 * line per engine and a total with the descriptors executed.
 */
#include <pthread.h>

#include "ioatuser.h"

#define SRC_LEN (6 * MiB)
#define DST_LEN (18 * MiB)

struct worker {
	const char *spec;
	struct dmacopy_engine *e;
	unsigned int kinds;
	uint64_t dax_off;
	uint64_t seed;
	uint64_t ops, wrap_ops;
	unsigned int depth, sync_calls, corrupt;
	struct ops_stats st, wst;
	uint64_t descs, sync_ok, sync_descs;
	pthread_t thread;
	char name[80];
};

static void sync_helpers(struct worker *w, struct ops_mem *m, uint64_t *rs)
{
	uint32_t hw_max = engine_caps(w->e).hw_max_transfer;
	unsigned int i, kind;
	int ret;

	for (i = 0; i < 3 * w->sync_calls; i++) {
		enum mem_kind dk = pick_kind(rs, m->kinds), sk = pick_kind(rs, m->kinds);
		struct op o = {0};
		size_t len = (size_t)rnd_log(rs, 1, MiB);
		size_t off = GUARD + (size_t)rnd_below(rs, m->dst[dk].len - len - 2 * GUARD);
		unsigned char first;

		kind = i % 3;
		o.dst = m->dst[dk].p + off;
		o.len = len;
		if (kind == 0) {
			o.src = m->src[sk].p + rnd_below(rs, m->src[sk].len - len + 1);
			first = o.src[0];
		} else if (kind == 1) {
			o.pattern = rnd_next(rs);
			first = (unsigned char)o.pattern;
		} else {
			o.pattern = 0x0101010101010101ull * (rnd_next(rs) & 0xff);
			first = (unsigned char)o.pattern;
		}
		o.poison = (unsigned char)(first ^ 0xa5);
		memset(o.dst - GUARD, o.poison, GUARD + len + GUARD);
		if (kind == 0)
			ret = dmacopy_memcpy(w->e, o.dst, o.src, len);
		else if (kind == 1)
			ret = dmacopy_fill(w->e, o.dst, o.pattern, len);
		else
			ret = dmacopy_memset(w->e, o.dst, (int)(o.pattern & 0xff), len);
		if (ret)
			die("%s: %s of %zu bytes: %d %s: %s", w->name,
			    kind == 0   ? "dmacopy_memcpy"
			    : kind == 1 ? "dmacopy_fill"
			                : "dmacopy_memset",
			    len, ret, dmacopy_strerror(ret), dmacopy_last_error());
		o.done = true;
		op_verify(w->name, i, &o);
		w->sync_ok++;
		w->sync_descs += (len + hw_max - 1) / hw_max;
	}
	/* length 0 is valid and moves nothing */
	ret = dmacopy_memcpy(w->e, m->dst[MEM_ANON].p, m->src[MEM_ANON].p, 0);
	if (m->kinds & (1u << MEM_ANON) && ret)
		die("%s: dmacopy_memcpy of 0 bytes: %d %s", w->name, ret, dmacopy_last_error());
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t rs = w->seed, desc_count = 0;
	struct ops_mem m;
	struct dmacopy_queue *q;
	struct ops_cfg cfg = {
	        .count = w->ops,
	        .min_len = 1,
	        .max_len = 4 * MiB,
	        .min_batch = 1,
	        .max_batch = 1024,
	        .fill_pct = 25,
	        .depth = w->depth,
	        .corrupt = w->corrupt,
	};

	ops_mem_setup(&m, w->e, w->kinds, SRC_LEN, DST_LEN, w->dax_off, &rs);
	if (getenv("DMACOPY_IOAT_PHYS_IOVA") && (w->kinds & (1u << MEM_HUGE)))
		note("%s: hugetlb buffers: %ld + %ld physical discontinuities", w->name,
		     phys_breaks(m.src[MEM_HUGE].p, m.src[MEM_HUGE].len),
		     phys_breaks(m.dst[MEM_HUGE].p, m.dst[MEM_HUGE].len));
	q = queue_create(w->e, w->depth);
	if (w->ops)
		ops_run(w->name, w->e, q, &m, &cfg, &rs, &desc_count, &w->st);
	if (w->wrap_ops) {
		cfg.count = w->wrap_ops;
		cfg.min_len = 8;
		cfg.max_len = 512;
		cfg.min_batch = 64;
		ops_run(w->name, w->e, q, &m, &cfg, &rs, &desc_count, &w->wst);
	}
	if (dmacopy_queue_destroy(q))
		die("%s: dmacopy_queue_destroy: %s", w->name, dmacopy_last_error());
	sync_helpers(w, &m, &rs);
	ops_mem_release(&m);
	w->descs = desc_count + w->sync_descs;
	return NULL;
}

int main(int argc, char **argv)
{
	uint64_t total = 10000, wrap = 0, min_descs = 0, dax_mib = 0, descs = 0, ops = 0, seed;
	const char *seed_arg = NULL;
	unsigned int kinds = (1u << MEM_KINDS) - 1, depth = 1024, sync_calls = 20, corrupt = 0;
	struct worker *w;
	int opt, n, i, threads = 1;
	double t0;

	test_name = "ioatuser_copy";
	while ((opt = getopt(argc, argv, "n:w:W:m:D:s:q:y:C:T:")) != -1) {
		switch (opt) {
		case 'n':
			total = strtoull(optarg, NULL, 0);
			break;
		case 'w':
			wrap = strtoull(optarg, NULL, 0);
			break;
		case 'W':
			min_descs = strtoull(optarg, NULL, 0);
			break;
		case 'm':
			kinds = mem_kinds_parse(optarg);
			break;
		case 'D':
			dax_mib = strtoull(optarg, NULL, 0);
			break;
		case 's':
			seed_arg = optarg;
			break;
		case 'q':
			depth = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'y':
			sync_calls = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'C':
			corrupt = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'T':
			threads = (int)strtoul(optarg, NULL, 0);
			break;
		default:
			die("usage: ioatuser_copy [-n OPS] [-w OPS] [-W DESCS] [-m KINDS] [-D MIB] "
			    "[-s SEED] [-q DEPTH] [-y N] [-C N] [-T THREADS] SPEC...");
		}
	}
	n = argc - optind;
	if (n < 1)
		die("no engine spec given");
	if (threads < 1 || threads > 16)
		die("-T takes 1 to 16 threads per engine");
	seed = seed_from(seed_arg);
	note("seed %#" PRIx64 ", %d engine(s), %d thread(s) each, %" PRIu64 " random operations, %" PRIu64
	     " small operations per thread, memory:%s%s%s",
	     seed, n, threads, total, wrap, kinds & 1 ? " anon" : "", kinds & 2 ? " huge" : "",
	     kinds & 4 ? " dax" : "");
	n *= threads; /* workers: threads consecutive ones per engine */
	w = calloc((size_t)n, sizeof(*w));
	if (!w)
		die("out of memory");
	for (i = 0; i < n; i++) {
		struct dmacopy_caps caps;

		w[i].spec = argv[optind + i / threads];
		if (i % threads) {
			w[i].e = w[i - 1].e;
			snprintf(w[i].name, sizeof(w[i].name), "%s#%d", dmacopy_engine_name(w[i].e),
				 i % threads);
		} else {
			w[i].e = engine_open(w[i].spec);
			snprintf(w[i].name, sizeof(w[i].name), "%s%s", dmacopy_engine_name(w[i].e),
				 threads > 1 ? "#0" : "");
		}
		caps = engine_caps(w[i].e);
		if (strcmp(dmacopy_engine_kind(w[i].e), "ioat") && !strncmp(w[i].spec, "ioat", 4))
			die("%s opened a '%s' engine", w[i].spec, dmacopy_engine_kind(w[i].e));
		if (caps.max_queue_depth < depth)
			die("%s: queue depth %u exceeds the engine's maximum %u", w[i].name, depth,
			    caps.max_queue_depth);
		if (!(i % threads))
			note("%s: kind %s, caps %#x, %u channel(s), descriptor <= %u bytes, operation "
			     "<= %" PRIu64 " bytes, queue depth <= %u",
			     dmacopy_engine_name(w[i].e), dmacopy_engine_kind(w[i].e), caps.flags,
			     caps.channels, caps.hw_max_transfer, caps.max_transfer,
			     caps.max_queue_depth);
		w[i].kinds = kinds;
		w[i].dax_off = (dax_mib + 48 * (uint64_t)i) * MiB;
		w[i].seed = seed + 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
		w[i].ops = total / (uint64_t)n + ((uint64_t)i < total % (uint64_t)n);
		w[i].wrap_ops = wrap;
		w[i].depth = depth;
		w[i].sync_calls = sync_calls;
		w[i].corrupt = corrupt;
	}
	t0 = now_sec();
	for (i = 0; i < n; i++)
		if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]))
			die("pthread_create");
	for (i = 0; i < n; i++)
		pthread_join(w[i].thread, NULL);
	for (i = 0; i < n; i++) {
		struct ops_stats *s = &w[i].st;

		note("%s: %" PRIu64 " random ops (%" PRIu64 " copies, %" PRIu64 " fills, %" PRIu64
		     "..%" PRIu64 " B, %.1f MiB) in %" PRIu64 " batches (largest %" PRIu64
		     ", %" PRIu64 " -ENOSPC retries) in %.2f s; %" PRIu64 " small ops in %" PRIu64
		     " batches in "
		     "%.2f s; %" PRIu64 " sync calls; %" PRIu64 " descriptors",
		     w[i].name, s->ops, s->copies, s->fills, s->ops ? s->min_len : 0, s->max_len,
		     (double)s->bytes / MiB, s->batches, s->max_batch, s->enospc + w[i].wst.enospc,
		     s->seconds, w[i].wst.ops, w[i].wst.batches, w[i].wst.seconds, w[i].sync_ok,
		     w[i].descs);
		if (w[i].descs < min_descs)
			die("%s executed %" PRIu64 " descriptors, fewer than %" PRIu64, w[i].name,
			    w[i].descs, min_descs);
		descs += w[i].descs;
		ops += s->ops + w[i].wst.ops + w[i].sync_ok;
		if (!(i % threads) && dmacopy_engine_close(w[i].e))
			die("dmacopy_engine_close(%s): %s", w[i].name, dmacopy_last_error());
	}
	note("total: %" PRIu64 " operations verified, %" PRIu64 " descriptors, %d engine(s), "
	     "%.2f s",
	     ops, descs, n / threads, now_sec() - t0);
	free(w);
	return 0;
}

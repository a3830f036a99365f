// SPDX-License-Identifier: BSD-3-Clause
/*
 * dmacopy bench: sweep engines, sizes, queue depths, batch sizes and thread counts; report
 * throughput, latency percentiles, CPU cost per operation and where each engine beats memcpy.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "sysinfo.h"

static void bench_usage(void)
{
	printf("Usage: dmacopy bench [OPTIONS]\n"
	       "\n"
	       "Measure copy engines against glibc memcpy over a range of sizes. For each engine and "
	       "size:\n"
	       "GB/s, Mops/s, latency percentiles, CPU time per operation, and the crossover size from\n"
	       "which the engine beats memcpy.\n"
	       "\n"
	       "Options (LIST = comma-separated values; every combination is measured):\n"
	       "  -e, --engine LIST      engines: %s, and memcpy\n"
	       "                         (glibc memcpy in the same loop: the baseline); default "
	       "auto,memcpy\n"
	       "  -s, --sizes LIST       bytes per copy, K/M/G suffixes; default 64,4K,64K,1M,64M\n"
	       "  -m, --mode MODE        sync: one dmacopy_memcpy() at a time (default);\n"
	       "                         async: batches through a queue (default with --qd or --batch)\n"
	       "      --qd LIST          async: operations in flight per thread (default 32)\n"
	       "      --batch LIST       async: operations per submit (default 8)\n"
	       "  -t, --threads LIST     submitting threads, each with its own buffers and queue (default "
	       "1)\n"
	       "  -d, --duration SECS    run each point this long (default 1; e.g. 0.5, 200ms)\n"
	       "  -n, --iterations N     run each point for N operations per thread (with --duration:\n"
	       "                         whichever comes first)\n"
	       "      --cold             keep buffers out of cache for small sizes too\n"
	       "      --json             JSON output\n"
	       "      --csv              CSV output\n"
	       "      --plot FILE.png    also draw GB/s and operations/s against size, one line per\n"
	       "                         engine, memcpy as the baseline, the crossover marked (needs\n"
	       "                         python3 and gnuplot: Debian package gnuplot-nox)\n"
	       "  -q, --quiet            no progress line on stderr\n"
	       "  -h, --help             show this help\n"
	       "\n"
	       "Examples: dmacopy bench --engine cpu,memcpy --sizes 64,4K,64K,1M,64M --json\n"
	       "          dmacopy bench --engine cpu,memcpy --plot bench.png\n",
	       dmacopy_engine_specs());
}

enum bench_format { FORMAT_TABLE, FORMAT_JSON, FORMAT_CSV };

struct uint_list {
	unsigned int *v;
	size_t n;
};

struct bench_args {
	char **engines;
	size_t n_engines;
	uint64_t *sizes;
	size_t n_sizes;
	struct uint_list qd, batch, threads;
	int mode; /* enum bench_mode, or -1 until decided */
	double duration;
	uint64_t iterations;
	bool cold, quiet;
	enum bench_format format;
	const char *plot; /* --plot FILE.png, or NULL */
};

/* ---- arguments ----------------------------------------------------------------------------------
 */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int parse_sizes(const char *text, struct bench_args *a)
{
	char **items;
	size_t n, out = 0;
	int ret = split_list(text, &items, &n);

	if (ret)
		return cli_usage_error(
		        "bench",
		        "--sizes '%s' is not a list of sizes; use sizes separated by "
		        "commas, e.g. 64,4K,64K,1M,64M",
		        text);
	free(a->sizes);
	a->sizes = calloc(n, sizeof(*a->sizes));
	if (!a->sizes) {
		free(items);
		return cli_error("bench", "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		ret = parse_size(items[i], &a->sizes[i]);
		if (ret || !a->sizes[i]) {
			ret = cli_usage_error("bench",
			                      "size '%s' in --sizes is not a size; use a number of "
			                      "bytes (at least 1) with an optional K, M, G suffix "
			                      "(e.g. 64K)",
			                      items[i]);
			free(items);
			return ret;
		}
	}
	free(items);
	/* Increasing and unique: the crossover is read from the smallest size upwards. */
	qsort(a->sizes, n, sizeof(*a->sizes), cmp_u64);
	for (size_t i = 0; i < n; i++)
		if (!out || a->sizes[i] != a->sizes[out - 1])
			a->sizes[out++] = a->sizes[i];
	a->n_sizes = out;
	return CLI_EXIT_OK;
}

static int parse_uint_list(const char *opt, const char *text, unsigned int max,
                           struct uint_list *list)
{
	char **items;
	size_t n;
	uint64_t v;

	if (split_list(text, &items, &n))
		return cli_usage_error("bench", "%s '%s' is not a list of numbers; use e.g. 1,8,32",
		                       opt, text);
	free(list->v);
	list->v = calloc(n, sizeof(*list->v));
	list->n = n;
	for (size_t i = 0; list->v && i < n; i++) {
		if (parse_uint(items[i], 1, max, &v)) {
			int ret = cli_usage_error("bench",
			                          "%s value '%s' is not valid; use a number from 1 "
			                          "to %u",
			                          opt, items[i], max);

			free(items);
			return ret;
		}
		list->v[i] = (unsigned int)v;
	}
	free(items);
	return list->v ? CLI_EXIT_OK : cli_error("bench", "out of memory");
}

static int set_default_list(struct uint_list *list, unsigned int value)
{
	if (list->n)
		return CLI_EXIT_OK;
	list->v = malloc(sizeof(*list->v));
	if (!list->v)
		return cli_error("bench", "out of memory");
	list->v[0] = value;
	list->n = 1;
	return CLI_EXIT_OK;
}

static int finish_args(struct bench_args *a)
{
	int ret;

	if (!a->n_engines && split_list("auto,memcpy", &a->engines, &a->n_engines))
		return cli_error("bench", "out of memory");
	if (!a->n_sizes && (ret = parse_sizes("64,4K,64K,1M,64M", a)))
		return ret;
	if (a->mode < 0)
		a->mode = a->qd.n || a->batch.n ? BENCH_ASYNC : BENCH_SYNC;
	if (a->mode == BENCH_SYNC && (a->qd.n || a->batch.n))
		return cli_usage_error("bench", "--qd and --batch apply to --mode async; drop them "
		                                "or use --mode async");
	if (!a->iterations && a->duration <= 0)
		a->duration = 1.0;
	ret = set_default_list(&a->qd, a->mode == BENCH_ASYNC ? 32 : 1);
	if (!ret)
		ret = set_default_list(&a->batch, a->mode == BENCH_ASYNC ? 8 : 1);
	if (!ret)
		ret = set_default_list(&a->threads, 1);
	return ret;
}

static int parse_args(int argc, char **argv, struct bench_args *a)
{
	enum { OPT_QD = 256, OPT_BATCH, OPT_COLD, OPT_JSON, OPT_CSV, OPT_PLOT };
	static const struct option options[] = {
	        {"engine", required_argument, NULL, 'e'},
	        {"sizes", required_argument, NULL, 's'},
	        {"mode", required_argument, NULL, 'm'},
	        {"qd", required_argument, NULL, OPT_QD},
	        {"batch", required_argument, NULL, OPT_BATCH},
	        {"threads", required_argument, NULL, 't'},
	        {"duration", required_argument, NULL, 'd'},
	        {"iterations", required_argument, NULL, 'n'},
	        {"cold", no_argument, NULL, OPT_COLD},
	        {"json", no_argument, NULL, OPT_JSON},
	        {"csv", no_argument, NULL, OPT_CSV},
	        {"plot", required_argument, NULL, OPT_PLOT},
	        {"quiet", no_argument, NULL, 'q'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int opt, ret = 0;

	a->mode = -1;
	while (!ret && (opt = getopt_long(argc, argv, ":e:s:m:t:d:n:qh", options, NULL)) != -1) {
		switch (opt) {
		case 'e':
			free(a->engines);
			a->engines = NULL;
			if (split_list(optarg, &a->engines, &a->n_engines))
				ret = cli_usage_error("bench",
				                      "--engine '%s' is not a list of engines; use "
				                      "e.g. cpu,memcpy",
				                      optarg);
			break;
		case 's':
			ret = parse_sizes(optarg, a);
			break;
		case 'm':
			if (!strcmp(optarg, "sync"))
				a->mode = BENCH_SYNC;
			else if (!strcmp(optarg, "async"))
				a->mode = BENCH_ASYNC;
			else
				ret = cli_usage_error("bench",
				                      "--mode '%s' is not a mode; use sync or "
				                      "async",
				                      optarg);
			break;
		case OPT_QD:
			ret = parse_uint_list("--qd", optarg, 65536, &a->qd);
			break;
		case OPT_BATCH:
			ret = parse_uint_list("--batch", optarg, 65536, &a->batch);
			break;
		case 't':
			ret = parse_uint_list("--threads", optarg, 1024, &a->threads);
			break;
		case 'd':
			if (parse_seconds(optarg, &a->duration))
				ret = cli_usage_error(
				        "bench",
				        "--duration '%s' is not a duration; use seconds "
				        "(e.g. 2 or 0.5) or milliseconds (e.g. 200ms)",
				        optarg);
			break;
		case 'n':
			if (parse_uint(optarg, 1, UINT64_MAX, &a->iterations))
				ret = cli_usage_error(
				        "bench",
				        "--iterations '%s' is not a count; use a number "
				        "of at least 1",
				        optarg);
			break;
		case OPT_COLD:
			a->cold = true;
			break;
		case OPT_JSON:
		case OPT_CSV:
			if (a->format != FORMAT_TABLE)
				ret = cli_usage_error("bench",
				                      "--json and --csv exclude each other; "
				                      "choose one");
			a->format = opt == OPT_JSON ? FORMAT_JSON : FORMAT_CSV;
			break;
		case OPT_PLOT:
			if (!*optarg || !strcmp(optarg, "-"))
				ret = cli_usage_error("bench",
				                      "--plot needs a file name for the PNG, "
				                      "e.g. --plot bench.png");
			a->plot = optarg;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'h':
			bench_usage();
			return CLI_HELP_SHOWN;
		default:
			return cli_option_error("bench", opt, argv);
		}
	}
	if (ret)
		return ret;
	if (optind < argc)
		return cli_usage_error("bench",
		                       "unexpected argument '%s'; bench takes only options",
		                       argv[optind]);
	return finish_args(a);
}

static void free_args(struct bench_args *a)
{
	free(a->engines);
	free(a->sizes);
	free(a->qd.v);
	free(a->batch.v);
	free(a->threads.v);
}

/* ---- engines
 * -------------------------------------------------------------------------------------- */

static int open_targets(const struct bench_args *a, struct bench_target *t)
{
	char size[32];
	int ret;

	for (size_t i = 0; i < a->n_engines; i++) {
		t[i].label = a->engines[i];
		if (!strcmp(a->engines[i], "memcpy")) {
			snprintf(t[i].name, sizeof(t[i].name), "memcpy");
			continue;
		}
		ret = cli_engine_open("bench", a->engines[i], &t[i].engine);
		if (ret)
			return ret;
		snprintf(t[i].name, sizeof(t[i].name), "%s", dmacopy_engine_name(t[i].engine));
		ret = dmacopy_engine_caps(t[i].engine, &t[i].caps);
		if (ret)
			return cli_error("bench", "engine %s: cannot read its capabilities: %s",
			                 t[i].name, dmacopy_strerror(ret));
		for (size_t s = 0; s < a->n_sizes; s++) {
			if (a->sizes[s] > t[i].caps.max_transfer)
				return cli_usage_error("bench",
				                       "size %s exceeds engine %s's largest "
				                       "transfer (%llu bytes); use smaller --sizes",
				                       format_size(a->sizes[s], size, sizeof(size)),
				                       t[i].name,
				                       (unsigned long long)t[i].caps.max_transfer);
			if (t[i].caps.align > 1 && a->sizes[s] % t[i].caps.align)
				return cli_usage_error(
				        "bench",
				        "engine %s needs sizes that are multiples of "
				        "%u bytes; %s is not",
				        t[i].name, t[i].caps.align,
				        format_size(a->sizes[s], size, sizeof(size)));
		}
		for (size_t q = 0; a->mode == BENCH_ASYNC && q < a->qd.n; q++)
			if (t[i].caps.max_queue_depth && a->qd.v[q] > t[i].caps.max_queue_depth)
				return cli_usage_error("bench",
				                       "--qd %u exceeds engine %s's largest queue "
				                       "depth (%u)",
				                       a->qd.v[q], t[i].name,
				                       t[i].caps.max_queue_depth);
	}
	return CLI_EXIT_OK;
}

static void close_targets(struct bench_target *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!t[i].stuck)
			dmacopy_engine_close(t[i].engine);
}

/* ---- the sweep
 * ------------------------------------------------------------------------------------ */

struct sweep {
	const struct bench_args *a;
	struct bench_target *targets;
	struct bench_result *results;
	size_t n_results, planned;
	double clock_ns;
	uint64_t llc;
	bool progress;
};

/* Call fn(s, case) for every valid combination; count only when fn is NULL. */
static int for_each_case(struct sweep *s, int (*fn)(struct sweep *, const struct bench_case *))
{
	const struct bench_args *a = s->a;
	size_t count = 0;

	for (size_t e = 0; e < a->n_engines; e++) {
		bool is_memcpy = !s->targets[e].engine;

		for (size_t t = 0; t < a->threads.n; t++) {
			/* memcpy has no queue: one queue depth is enough for it. */
			for (size_t q = 0; q < (is_memcpy ? 1 : a->qd.n); q++) {
				for (size_t b = 0; b < a->batch.n; b++) {
					if (a->batch.v[b] > a->qd.v[q] && !is_memcpy)
						continue;
					for (size_t z = 0; z < a->n_sizes; z++) {
						struct bench_case c = {
						        .target = &s->targets[e],
						        .mode = (enum bench_mode)a->mode,
						        .size = a->sizes[z],
						        .threads = a->threads.v[t],
						        .qd = a->qd.v[q],
						        .batch = a->batch.v[b],
						        .iterations = a->iterations,
						        .duration = a->duration,
						        .cold = a->cold,
						        .llc = s->llc,
						        .clock_ns = s->clock_ns,
						};
						int ret = fn ? fn(s, &c) : 0;

						if (ret)
							return ret;
						count++;
					}
				}
			}
		}
	}
	if (!fn)
		s->planned = count;
	return 0;
}

static int run_one(struct sweep *s, const struct bench_case *c)
{
	char err[512], size[32];
	int ret;

	if (s->progress) {
		fprintf(stderr, "\r\033[K[%zu/%zu] %s, size %s, %u thread%s", s->n_results + 1,
		        s->planned, c->target->name, format_size(c->size, size, sizeof(size)),
		        c->threads, c->threads == 1 ? "" : "s");
		if (c->mode == BENCH_ASYNC)
			fprintf(stderr, ", qd %u, batch %u", c->qd, c->batch);
		if (c->duration > 0)
			fprintf(stderr, " (about %.0f s left)",
			        (double)(s->planned - s->n_results) * c->duration);
		fflush(stderr);
	}
	ret = bench_run_case(c, &s->results[s->n_results], err, sizeof(err));
	if (ret == BENCH_STUCK)
		s->targets[c->target - s->targets].stuck = true;
	if (ret) {
		if (s->progress)
			fprintf(stderr, "\r\033[K");
		return cli_error("bench", "engine %s, size %s: %s", c->target->name,
		                 format_size(c->size, size, sizeof(size)), err);
	}
	s->n_results++;
	return 0;
}

static int run_sweep(const struct bench_args *a, struct bench_target *targets)
{
	struct sysroot root;
	struct sweep s = {.a = a, .targets = targets};
	char features[256], model[128];
	int ret;

	sysroot_init(&root);
	s.llc = sysinfo_llc_bytes(&root);
	if (!s.llc)
		s.llc = 32ull << 20; /* unknown: assume a large server cache */
	s.clock_ns = bench_clock_cost();
	s.progress = !a->quiet && isatty(STDERR_FILENO);
	for_each_case(&s, NULL);
	if (!s.planned)
		return cli_usage_error("bench", "no valid combination: every --batch exceeds every "
		                                "--qd; use a batch no larger than the queue depth");
	s.results = calloc(s.planned, sizeof(*s.results));
	if (!s.results)
		return cli_error("bench", "out of memory");
	ret = for_each_case(&s, run_one);
	if (s.progress)
		fprintf(stderr, "\r\033[K");
	if (!ret) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		struct bench_report r = {
		        .results = s.results,
		        .n_results = s.n_results,
		        .mode = (enum bench_mode)a->mode,
		        .sizes = a->sizes,
		        .n_sizes = a->n_sizes,
		        .clock_ns = s.clock_ns,
		        .llc = s.llc,
		        .cpu_features = features,
		        .cpu_model = model,
		        .online_cpus = cpus > 0 ? (unsigned int)cpus : 1,
		};

		sysinfo_cpu_features(features, sizeof(features));
		sysinfo_cpu_model(model, sizeof(model));
		if (a->format == FORMAT_JSON)
			bench_print_json(stdout, &r);
		else if (a->format == FORMAT_CSV)
			bench_print_csv(stdout, &r);
		else
			bench_print_table(stdout, &r);
		if (a->plot)
			ret = bench_plot(&r, a->plot);
	}
	free(s.results);
	return ret;
}

int cmd_bench(int argc, char **argv)
{
	struct bench_args args = {0};
	struct bench_target *targets = NULL;
	int ret;

	ret = parse_args(argc, argv, &args);
	if (ret == CLI_HELP_SHOWN) {
		ret = CLI_EXIT_OK; /* --help */
		goto out;
	}
	if (!ret && args.plot)
		ret = bench_plot_check(args.plot);
	if (ret)
		goto out;
	targets = calloc(args.n_engines, sizeof(*targets));
	if (!targets) {
		ret = cli_error("bench", "out of memory");
		goto out;
	}
	ret = open_targets(&args, targets);
	if (!ret)
		ret = run_sweep(&args, targets);
	close_targets(targets, args.n_engines);
out:
	free(targets);
	free_args(&args);
	return ret;
}

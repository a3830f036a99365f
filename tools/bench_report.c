// SPDX-License-Identifier: BSD-3-Clause
/*
 * dmacopy bench reports: a table for people, JSON and CSV for scripts, and the crossover size
 * from which each engine beats glibc memcpy.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "cli.h"
#include "json.h"

/* ---- crossover ----------------------------------------------------------------------------------
 */

enum crossover_kind {
	CROSSOVER_NO_BASELINE, /* memcpy was not measured in the same configuration */
	CROSSOVER_NEVER,       /* memcpy is at least as fast at the largest size */
	CROSSOVER_AT,          /* faster than memcpy from `size` up to the largest size tested */
};

struct crossover {
	enum crossover_kind kind;
	uint64_t size;
};

static bool is_memcpy(const struct bench_result *r)
{
	return !r->c.target->engine;
}

/* Results of one engine and configuration are contiguous, sizes in increasing order. */
static bool same_group(const struct bench_result *a, const struct bench_result *b)
{
	return a->c.target == b->c.target && a->c.threads == b->c.threads && a->c.qd == b->c.qd &&
	       a->c.batch == b->c.batch;
}

static size_t group_len(const struct bench_report *r, size_t start)
{
	size_t n = 1;

	while (start + n < r->n_results && same_group(&r->results[start], &r->results[start + n]))
		n++;
	return n;
}

/* memcpy's result for the same threads, batch and size (queue depth does not apply to it). */
static const struct bench_result *baseline(const struct bench_report *r,
                                           const struct bench_result *x)
{
	for (size_t i = 0; i < r->n_results; i++) {
		const struct bench_result *b = &r->results[i];

		if (is_memcpy(b) && b->c.threads == x->c.threads && b->c.batch == x->c.batch &&
		    b->c.size == x->c.size)
			return b;
	}
	return NULL;
}

static struct crossover find_crossover(const struct bench_report *r, size_t start, size_t n)
{
	struct crossover x = {.kind = CROSSOVER_NEVER};

	/* Walk down from the largest size while the engine stays ahead. */
	for (size_t i = n; i-- > 0;) {
		const struct bench_result *e = &r->results[start + i];
		const struct bench_result *b = baseline(r, e);

		if (!b)
			return (struct crossover){.kind = CROSSOVER_NO_BASELINE};
		if (e->gbps <= b->gbps)
			break;
		x.kind = CROSSOVER_AT;
		x.size = e->c.size;
	}
	return x;
}

static const char *crossover_text(const struct bench_report *r, struct crossover x, char *buf,
                                  size_t len)
{
	char lo[32], hi[32], at[32];

	format_size(r->sizes[0], lo, sizeof(lo));
	format_size(r->sizes[r->n_sizes - 1], hi, sizeof(hi));
	switch (x.kind) {
	case CROSSOVER_NO_BASELINE:
		snprintf(buf, len, "no memcpy baseline (add memcpy to --engine)");
		break;
	case CROSSOVER_NEVER:
		snprintf(buf, len, "never in this range (%s..%s)", lo, hi);
		break;
	case CROSSOVER_AT:
		if (x.size == r->sizes[0])
			snprintf(buf, len, "faster at every size tested (%s..%s)", lo, hi);
		else
			snprintf(buf, len, "faster from %s up (tested %s..%s)",
			         format_size(x.size, at, sizeof(at)), lo, hi);
		break;
	}
	return buf;
}

static const char *engine_label(const struct bench_result *r, char *buf, size_t len)
{
	const struct bench_target *t = r->c.target;

	if (strcmp(t->label, t->name))
		snprintf(buf, len, "%s (%s)", t->label, t->name);
	else
		snprintf(buf, len, "%s", t->label);
	return buf;
}

/* Millions of operations per second with three significant digits or more. */
static const char *format_mops(double mops, char *buf, size_t len)
{
	if (mops >= 100)
		snprintf(buf, len, "%.1f", mops);
	else if (mops >= 0.1)
		snprintf(buf, len, "%.3f", mops);
	else
		snprintf(buf, len, "%.3g", mops);
	return buf;
}

static const char *mode_name(enum bench_mode mode)
{
	return mode == BENCH_ASYNC ? "async" : "sync";
}

/* ---- table
 * --------------------------------------------------------------------------------------- */

void bench_print_table(FILE *out, const struct bench_report *r)
{
	bool async = r->mode == BENCH_ASYNC;
	char label[96], size[32], p50[16], p99[16], p999[16], tcpu[16], pcpu[16], text[160];
	char mops[32];

	fprintf(out, "%-22s %3s %4s %5s %6s %8s %8s %8s %8s %8s %9s %9s  %s\n", "engine", "thr",
	        "qd", "batch", "size", "GB/s", "Mops/s", "p50", "p99", "p99.9", "cpu/op", "cpu/op",
	        "buffers");
	fprintf(out, "%-22s %3s %4s %5s %6s %8s %8s %8s %8s %8s %9s %9s\n", "", "", "", "", "", "",
	        "", "", "", "", "thread", "process");
	for (size_t i = 0; i < r->n_results; i++) {
		const struct bench_result *x = &r->results[i];
		char qd[16] = "-", batch[16] = "-";

		if (async && !is_memcpy(x))
			snprintf(qd, sizeof(qd), "%u", x->c.qd);
		if (async)
			snprintf(batch, sizeof(batch), "%u", x->c.batch);
		fprintf(out, "%-22s %3u %4s %5s %6s %8.2f %8s %8s %8s %8s %9s %9s  %s\n",
		        engine_label(x, label, sizeof(label)), x->c.threads, qd, batch,
		        format_size(x->c.size, size, sizeof(size)), x->gbps,
		        format_mops(x->mops, mops, sizeof(mops)),
		        format_ns((double)x->lat_p50, p50, sizeof(p50)),
		        format_ns((double)x->lat_p99, p99, sizeof(p99)),
		        format_ns((double)x->lat_p999, p999, sizeof(p999)),
		        format_ns(x->thread_cpu_ns, tcpu, sizeof(tcpu)),
		        format_ns(x->process_cpu_ns, pcpu, sizeof(pcpu)),
		        x->in_cache ? "cache" : "memory");
	}
	fprintf(out,
	        "\nGB/s = 10^9 bytes/s. Latency per %s, clock cost (%.0f ns) subtracted. "
	        "cpu/op: CPU time per operation of\nthe submitting threads and of the whole "
	        "process (engine worker threads included). buffers: data in cache, or\n"
	        "rotated through more than twice the last-level cache (%s) per side.\n",
	        async ? "batch (submit to last completion)" : "operation", r->clock_ns,
	        format_bytes(r->llc, size, sizeof(size)));

	fprintf(out, "\nCrossover (smallest size from which the engine beats memcpy):\n");
	for (size_t i = 0; i < r->n_results;) {
		size_t n = group_len(r, i);
		const struct bench_result *x = &r->results[i];

		if (!is_memcpy(x)) {
			fprintf(out, "  %-22s", engine_label(x, label, sizeof(label)));
			if (async)
				fprintf(out, " qd %u batch %u", x->c.qd, x->c.batch);
			fprintf(out, " threads %u: %s\n", x->c.threads,
			        crossover_text(r, find_crossover(r, i, n), text, sizeof(text)));
		}
		i += n;
	}
}

/* ---- JSON
 * ------------------------------------------------------------------------------------------ */

void bench_print_json(FILE *out, const struct bench_report *r)
{
	char text[160];
	struct json j;

	json_init(&j, out);
	json_object_begin(&j, NULL);
	json_string(&j, "version", dmacopy_version());
	json_string(&j, "mode", mode_name(r->mode));
	json_object_begin(&j, "machine");
	json_string(&j, "cpu_model", r->cpu_model);
	json_uint(&j, "online_cpus", r->online_cpus);
	json_uint(&j, "llc_bytes", r->llc);
	json_string(&j, "cpu_features", r->cpu_features);
	json_double(&j, "clock_cost_ns", r->clock_ns);
	json_object_end(&j);

	json_array_begin(&j, "results");
	for (size_t i = 0; i < r->n_results; i++) {
		const struct bench_result *x = &r->results[i];

		json_object_begin(&j, NULL);
		json_string(&j, "engine", x->c.target->label);
		json_string(&j, "engine_name", x->c.target->name);
		json_string(&j, "mode", mode_name(x->c.mode));
		json_uint(&j, "threads", x->c.threads);
		json_uint(&j, "qd", x->c.qd);
		json_uint(&j, "batch", x->c.batch);
		json_uint(&j, "size", x->c.size);
		json_bool(&j, "in_cache", x->in_cache);
		json_uint(&j, "footprint_bytes", x->footprint);
		json_uint(&j, "ops", x->ops);
		json_double(&j, "seconds", x->seconds);
		json_double(&j, "gbps", x->gbps);
		json_double(&j, "mops", x->mops);
		json_object_begin(&j, "latency_ns");
		json_string(&j, "per", x->c.mode == BENCH_ASYNC ? "batch" : "op");
		json_uint(&j, "p50", x->lat_p50);
		json_uint(&j, "p99", x->lat_p99);
		json_uint(&j, "p99_9", x->lat_p999);
		json_uint(&j, "samples", x->lat_samples);
		json_object_end(&j);
		json_object_begin(&j, "cpu_ns_per_op");
		json_double(&j, "thread", x->thread_cpu_ns);
		json_double(&j, "process", x->process_cpu_ns);
		json_object_end(&j);
		json_object_end(&j);
	}
	json_array_end(&j);

	json_array_begin(&j, "crossover");
	for (size_t i = 0; i < r->n_results;) {
		size_t n = group_len(r, i);
		const struct bench_result *x = &r->results[i];
		struct crossover c;

		i += n;
		if (is_memcpy(x))
			continue;
		c = find_crossover(r, i - n, n);
		json_object_begin(&j, NULL);
		json_string(&j, "engine", x->c.target->label);
		json_string(&j, "engine_name", x->c.target->name);
		json_uint(&j, "threads", x->c.threads);
		json_uint(&j, "qd", x->c.qd);
		json_uint(&j, "batch", x->c.batch);
		if (c.kind == CROSSOVER_AT)
			json_uint(&j, "size", c.size);
		else
			json_null(&j, "size");
		json_string(&j, "summary", crossover_text(r, c, text, sizeof(text)));
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
}

/* ---- CSV
 * ------------------------------------------------------------------------------------------- */

static void csv_field(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

void bench_print_csv(FILE *out, const struct bench_report *r)
{
	fprintf(out, "engine,engine_name,mode,threads,qd,batch,size,in_cache,ops,seconds,gbps,mops,"
	             "lat_per,lat_p50_ns,lat_p99_ns,lat_p99_9_ns,lat_samples,thread_cpu_ns_per_op,"
	             "process_cpu_ns_per_op\n");
	for (size_t i = 0; i < r->n_results; i++) {
		const struct bench_result *x = &r->results[i];

		csv_field(out, x->c.target->label);
		fputc(',', out);
		csv_field(out, x->c.target->name);
		fprintf(out,
		        ",%s,%u,%u,%u,%llu,%d,%llu,%.6f,%.4f,%.4f,%s,%llu,%llu,%llu,%llu,%.1f,%."
		        "1f\n",
		        mode_name(x->c.mode), x->c.threads, x->c.qd, x->c.batch,
		        (unsigned long long)x->c.size, x->in_cache, (unsigned long long)x->ops,
		        x->seconds, x->gbps, x->mops, x->c.mode == BENCH_ASYNC ? "batch" : "op",
		        (unsigned long long)x->lat_p50, (unsigned long long)x->lat_p99,
		        (unsigned long long)x->lat_p999, (unsigned long long)x->lat_samples,
		        x->thread_cpu_ns, x->process_cpu_ns);
	}
}

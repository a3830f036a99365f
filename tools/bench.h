/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dmacopy bench: one measurement point (bench_run_case) and the reports over all of them.
 */
#ifndef DMACOPY_BENCH_H
#define DMACOPY_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dmacopy.h"

enum bench_mode {
	BENCH_SYNC,  /* one synchronous copy at a time per thread: dmacopy_memcpy() */
	BENCH_ASYNC, /* batches of `batch` copies submitted at once, up to `qd` in flight */
};

/* An engine under test: a libdmacopy engine, or glibc memcpy() in the same loop (engine NULL). */
struct bench_target {
	const char *label; /* as given to --engine */
	char name[64];     /* what it is: "cpu", "kernel:dma0chan0", "memcpy" */
	struct dmacopy_engine *engine;
	struct dmacopy_caps caps;
	bool stuck; /* an operation never completed: do not close the engine */
};

/* One measurement point. */
struct bench_case {
	const struct bench_target *target;
	enum bench_mode mode;
	uint64_t size;
	unsigned int threads, qd, batch;
	uint64_t iterations; /* operations per thread; 0: run for duration */
	double duration;     /* seconds; 0: run for iterations */
	bool cold;           /* keep buffers out of cache even for small sizes */
	uint64_t llc;        /* last-level cache size that decides buffer placement */
	double clock_ns;     /* cost of reading the clock, subtracted from latencies */
};

struct bench_result {
	struct bench_case c;
	bool in_cache;      /* the buffers fit in half the LLC and stay there */
	uint64_t footprint; /* buffer bytes per thread (source + destination) */
	uint64_t ops;       /* operations completed, all threads */
	double seconds;     /* wall time from the common start to the last thread's end */
	double gbps;        /* 1e9 bytes per second */
	double mops;        /* 1e6 operations per second */
	uint64_t lat_p50, lat_p99, lat_p999; /* ns per operation (sync) or per batch (async) */
	uint64_t lat_samples;
	double thread_cpu_ns;  /* CPU time of the submitting threads per operation */
	double process_cpu_ns; /* CPU time of the whole process per operation */
};

/* Cost of one clock read in ns (for latency correction and sampling decisions). */
double bench_clock_cost(void);

/* bench_run_case(): operations never completed; the engine must not be closed (it would wait). */
#define BENCH_STUCK (-2)

/*
 * Run one point; on failure returns -1 (or BENCH_STUCK) with a message (thread, call, reason) in
 * err.
 */
int bench_run_case(const struct bench_case *c, struct bench_result *r, char *err, size_t len);

/* ---- reports
 * -------------------------------------------------------------------------------------- */

struct bench_report {
	const struct bench_result *results;
	size_t n_results;
	enum bench_mode mode;
	const uint64_t *sizes;
	size_t n_sizes;
	double clock_ns;
	uint64_t llc;
	const char *cpu_features;
	const char *cpu_model;
	unsigned int online_cpus;
};

void bench_print_table(FILE *out, const struct bench_report *r);
void bench_print_json(FILE *out, const struct bench_report *r);
void bench_print_csv(FILE *out, const struct bench_report *r);

/*
 * --plot (bench_plot.c): check that a plot can be written to png (plot script, python3, gnuplot,
 * folder), then draw the report there. Both print what is wrong and return an enum cli_exit.
 */
int bench_plot_check(const char *png);
int bench_plot(const struct bench_report *r, const char *png);

#endif /* DMACOPY_BENCH_H */

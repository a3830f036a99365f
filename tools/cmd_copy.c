// SPDX-License-Identifier: BSD-3-Clause
/*
 * dmacopy copy SRC[@OFF] DST[@OFF] LEN: copy a range between regular files or device-dax nodes
 * through shared mappings, with any engine.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dmacopy.h"
#include "cli.h"
#include "mapfile.h"

static void copy_usage(void)
{
	printf("Usage: dmacopy copy [OPTIONS] SRC[@OFFSET] DST[@OFFSET] LENGTH\n"
	       "\n"
	       "Copy LENGTH bytes from SRC at OFFSET to DST at OFFSET. SRC and DST are regular files or\n"
	       "device-dax nodes (/dev/daxX.Y); both are mapped with mmap(MAP_SHARED) and the engine\n"
	       "copies between the mappings. A regular DST is created or extended as needed. SRC and DST\n"
	       "may be the same file or device if the two ranges do not overlap.\n"
	       "\n"
	       "Sizes and offsets take an optional K, M, G or T suffix (powers of 1024), e.g. 32M.\n"
	       "A path that contains '@' needs an explicit offset: 'name@x@0'.\n"
	       "\n"
	       "Options:\n"
	       "  -e, --engine SPEC  one of %s (default auto)\n"
	       "      --verify       compare DST with SRC after the copy; exit 1 on any difference\n"
	       "      --chunk SIZE   copies larger than SIZE go through a queue in SIZE pieces\n"
	       "                     (default 64M)\n"
	       "      --qd N         pieces in flight for such copies (default 4)\n"
	       "      --repeat N     copy N times (1-1000, default 1) and report the first copy apart\n"
	       "                     from the best and median of the others: the first pays one-time\n"
	       "                     costs (device mappings, first touch of the memory)\n"
	       "  -q, --quiet        print nothing on success\n"
	       "  -h, --help         show this help\n"
	       "\n"
	       "Example: dmacopy copy --verify /dev/dax0.0@0 /dev/dax0.0@32M 32M\n",
	       dmacopy_engine_specs());
}

/* Longest wait for one completion of a queued copy before giving up. */
#define WAIT_TIMEOUT_MS 30000

struct copy_args {
	const char *engine;
	const char *src_path, *dst_path;
	uint64_t src_off, dst_off, len;
	uint64_t chunk;
	unsigned int qd;
	unsigned int repeat;
	bool verify, quiet;
};

struct copy_job {
	const struct copy_args *args;
	struct dmacopy_engine *engine;
	struct mapfile src, dst;
	struct mapfile_window src_win, dst_win;
	struct dmacopy_region *src_reg, *dst_reg;
	bool stuck; /* an operation never completed: leave the engine and the mappings alone */
};

/* ---- arguments ------------------------------------------------------------------------------- */

static int size_error(const char *what, const char *text, int err)
{
	if (err == -ERANGE)
		return cli_usage_error("copy", "%s '%s' is too large", what, text);
	return cli_usage_error("copy",
	                       "%s '%s' is not a size; use a number with an optional K, M, G "
	                       "suffix (e.g. 32M)",
	                       what, text);
}

/* Split "PATH[@OFFSET]" at its last '@'; the path is written to *path (a copy). */
static int parse_location(const char *what, const char *text, char **path, uint64_t *offset)
{
	const char *at = strrchr(text, '@');
	int err;

	*offset = 0;
	*path = strndup(text, at ? (size_t)(at - text) : strlen(text));
	if (!*path)
		return cli_error("copy", "out of memory");
	if (!(*path)[0])
		return cli_usage_error("copy", "%s '%s' has no path; use PATH or PATH@OFFSET", what,
		                       text);
	if (!at)
		return CLI_EXIT_OK;
	err = parse_size(at + 1, offset);
	if (err == -ERANGE)
		return cli_usage_error("copy", "%s offset '%s' is too large", what, at + 1);
	if (err)
		return cli_usage_error("copy",
		                       "%s offset '%s' in '%s' is not a size; use PATH@OFFSET with "
		                       "a number and an optional K, M, G suffix (e.g. %s@32M); a "
		                       "path that contains '@' needs an explicit offset ('%s@0')",
		                       what, at + 1, text, *path, text);
	return CLI_EXIT_OK;
}

static int parse_args(int argc, char **argv, struct copy_args *a, char **src, char **dst)
{
	enum { OPT_VERIFY = 256, OPT_CHUNK, OPT_QD, OPT_REPEAT };
	static const struct option options[] = {
	        {"engine", required_argument, NULL, 'e'},
	        {"verify", no_argument, NULL, OPT_VERIFY},
	        {"chunk", required_argument, NULL, OPT_CHUNK},
	        {"qd", required_argument, NULL, OPT_QD},
	        {"repeat", required_argument, NULL, OPT_REPEAT},
	        {"quiet", no_argument, NULL, 'q'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	uint64_t v;
	int opt, ret;

	*a = (struct copy_args){.engine = "auto", .chunk = 64ull << 20, .qd = 4, .repeat = 1};
	while ((opt = getopt_long(argc, argv, ":e:qh", options, NULL)) != -1) {
		switch (opt) {
		case 'e':
			a->engine = optarg;
			break;
		case OPT_VERIFY:
			a->verify = true;
			break;
		case OPT_CHUNK:
			ret = parse_size(optarg, &a->chunk);
			if (ret)
				return size_error("--chunk", optarg, ret);
			if (!a->chunk)
				return cli_usage_error("copy", "--chunk must be at least 1 byte");
			break;
		case OPT_QD:
			if (parse_uint(optarg, 1, 65536, &v))
				return cli_usage_error(
				        "copy",
				        "--qd '%s' is not a queue depth; use a number "
				        "from 1 to 65536",
				        optarg);
			a->qd = (unsigned int)v;
			break;
		case OPT_REPEAT:
			if (parse_uint(optarg, 1, 1000, &v))
				return cli_usage_error("copy",
				                       "--repeat '%s' is not a count; use a number "
				                       "from 1 to 1000",
				                       optarg);
			a->repeat = (unsigned int)v;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'h':
			copy_usage();
			return CLI_HELP_SHOWN;
		default:
			return cli_option_error("copy", opt, argv);
		}
	}
	if (argc - optind != 3)
		return cli_usage_error(
		        "copy", "expected SRC[@OFFSET] DST[@OFFSET] LENGTH, got %d argument%s",
		        argc - optind, argc - optind == 1 ? "" : "s");
	ret = parse_location("source", argv[optind], src, &a->src_off);
	if (!ret)
		ret = parse_location("destination", argv[optind + 1], dst, &a->dst_off);
	if (ret)
		return ret;
	ret = parse_size(argv[optind + 2], &a->len);
	if (ret)
		return size_error("length", argv[optind + 2], ret);
	if (a->src_off + a->len < a->src_off || a->dst_off + a->len < a->dst_off)
		return cli_usage_error("copy", "offset plus length overflows 64 bits");
	a->src_path = *src;
	a->dst_path = *dst;
	return CLI_EXIT_OK;
}

/* ---- setup -------------------------------------------------------------------------------------
 */

static int open_files(struct copy_job *j, const struct sysroot *root)
{
	const struct copy_args *a = j->args;
	char why[512], s1[32], s2[32], s3[32], s4[32];
	int ret;

	ret = mapfile_open(&j->src, a->src_path, false, false, root, why, sizeof(why));
	if (ret)
		return cli_error("copy", "%s: %s", a->src_path, why);
	if (a->src_off + a->len > j->src.size)
		return cli_error("copy",
		                 "%s: source range [%s, %s) ends beyond the end of the %s (%llu "
		                 "bytes); use a smaller offset or length",
		                 a->src_path, format_size(a->src_off, s1, sizeof(s1)),
		                 format_size(a->src_off + a->len, s2, sizeof(s2)),
		                 j->src.kind == MAPFILE_DEVDAX ? "device" : "file",
		                 (unsigned long long)j->src.size);

	/* Create DST only if it does not exist: an existing one may be SRC itself. */
	ret = mapfile_open(&j->dst, a->dst_path, true, false, root, why, sizeof(why));
	if (ret == -ENOENT)
		ret = mapfile_open(&j->dst, a->dst_path, true, true, root, why, sizeof(why));
	if (ret)
		return cli_error("copy", "%s: %s", a->dst_path, why);

	if (a->len && mapfile_same(&j->src, &j->dst) && a->src_off < a->dst_off + a->len &&
	    a->dst_off < a->src_off + a->len)
		return cli_usage_error(
		        "copy",
		        "source range [%s, %s) and destination range [%s, %s) of %s overlap; DMA "
		        "engines do not move overlapping ranges: choose ranges that do not overlap",
		        format_size(a->src_off, s1, sizeof(s1)),
		        format_size(a->src_off + a->len, s2, sizeof(s2)),
		        format_size(a->dst_off, s3, sizeof(s3)),
		        format_size(a->dst_off + a->len, s4, sizeof(s4)), a->dst_path);

	ret = mapfile_extend(&j->dst, a->dst_off + a->len, why, sizeof(why));
	if (ret)
		return cli_error("copy", "%s: destination %s", a->dst_path, why);
	return CLI_EXIT_OK;
}

static int register_window(struct copy_job *j, const char *path, uint64_t off,
                           struct mapfile_window *w, struct dmacopy_region **reg)
{
	char detail[512], at[32];
	int ret = dmacopy_region_register(j->engine, w->base, w->len, reg);

	if (!ret)
		return CLI_EXIT_OK;
	return cli_error(
	        "copy", "%s@%s: cannot register the mapping (%zu bytes) with engine %s: %s%s", path,
	        format_size(off, at, sizeof(at)), w->len, dmacopy_engine_name(j->engine),
	        dmacopy_strerror(ret), cli_lib_detail(detail, sizeof(detail)));
}

static int map_files(struct copy_job *j)
{
	const struct copy_args *a = j->args;
	char why[512];
	int ret;

	ret = mapfile_map(&j->src, a->src_off, a->len, false, &j->src_win, why, sizeof(why));
	if (ret)
		return cli_error("copy", "%s: %s", a->src_path, why);
	ret = mapfile_map(&j->dst, a->dst_off, a->len, true, &j->dst_win, why, sizeof(why));
	if (ret)
		return cli_error("copy", "%s: %s", a->dst_path, why);
	ret = register_window(j, a->src_path, a->src_off, &j->src_win, &j->src_reg);
	if (!ret)
		ret = register_window(j, a->dst_path, a->dst_off, &j->dst_win, &j->dst_reg);
	return ret;
}

static int check_alignment(struct copy_job *j)
{
	const struct copy_args *a = j->args;
	struct dmacopy_caps caps;
	uintptr_t mis;

	if (dmacopy_engine_caps(j->engine, &caps) || caps.align <= 1)
		return CLI_EXIT_OK;
	mis = ((uintptr_t)j->src_win.data | (uintptr_t)j->dst_win.data | a->len) % caps.align;
	if (!mis)
		return CLI_EXIT_OK;
	return cli_usage_error("copy",
	                       "engine %s needs offsets and length aligned to %u bytes; choose "
	                       "aligned values or another engine",
	                       dmacopy_engine_name(j->engine), caps.align);
}

/* ---- copying -----------------------------------------------------------------------------------
 */

struct copy_failure {
	uint64_t offset; /* from the start of the range */
	uint64_t len;
	int status;
	unsigned int error; /* enum dmacopy_op_error */
	char detail[512];
};

static void record_failure(struct copy_failure *f, uint64_t offset, uint64_t len, int status,
                           unsigned int error)
{
	if (f->status && f->offset <= offset)
		return; /* report the lowest failed offset */
	f->offset = offset;
	f->len = len;
	f->status = status;
	f->error = error;
	cli_lib_detail(f->detail, sizeof(f->detail));
}

/* Large copies: chunk-sized operations with up to qd in flight. */
static void copy_queued(struct copy_job *j, uint64_t chunk, struct copy_failure *fail)
{
	const struct copy_args *a = j->args;
	struct dmacopy_queue_opts qopts = {.depth = a->qd};
	struct dmacopy_completion done[64];
	struct dmacopy_queue *q;
	uint64_t next = 0;
	int ret;

	ret = dmacopy_queue_create(j->engine, &qopts, &q);
	if (ret) {
		record_failure(fail, 0, a->len, ret, 0);
		return;
	}
	for (;;) {
		unsigned int added = 0;

		while (next < a->len && !fail->status &&
		       dmacopy_queue_pending(q) + dmacopy_queue_inflight(q) < a->qd) {
			uint64_t n = a->len - next < chunk ? a->len - next : chunk;

			ret = dmacopy_enqueue_copy(q, j->dst_win.data + next,
			                           j->src_win.data + next, n, next, 0);
			if (ret == -ENOSPC)
				break;
			if (ret) {
				record_failure(fail, next, n, ret, 0);
				break;
			}
			next += n;
			added++;
		}
		if (added) {
			ret = dmacopy_submit(q);
			if (ret < 0)
				record_failure(fail, next, 0, ret, 0);
		}
		if (!dmacopy_queue_inflight(q))
			break;
		ret = dmacopy_wait(q, done, 1, ARRAY_SIZE(done), WAIT_TIMEOUT_MS);
		if (ret <= 0) {
			record_failure(fail, next, 0, ret ? ret : -ETIMEDOUT, 0);
			if (!ret) {
				/* Destroying the queue would wait for the engine forever. */
				j->stuck = true;
				return;
			}
			break;
		}
		for (int i = 0; i < ret; i++) {
			uint64_t off = done[i].user_data;
			uint64_t n = a->len - off < chunk ? a->len - off : chunk;

			if (done[i].status)
				record_failure(fail, off, n, done[i].status, done[i].error);
		}
	}
	ret = dmacopy_queue_destroy(q);
	if (ret)
		record_failure(fail, a->len, 0, ret, 0);
}

static void copy_data(struct copy_job *j, struct copy_failure *fail)
{
	const struct copy_args *a = j->args;
	struct dmacopy_caps caps;
	uint64_t chunk = a->chunk;
	int ret;

	if (!dmacopy_engine_caps(j->engine, &caps) && caps.max_transfer &&
	    caps.max_transfer < chunk)
		chunk = caps.max_transfer;
	if (a->len > chunk) {
		copy_queued(j, chunk, fail);
		return;
	}
	ret = dmacopy_memcpy(j->engine, j->dst_win.data, j->src_win.data, a->len);
	if (ret)
		record_failure(fail, 0, a->len, ret, 0);
}

static int report_failure(const struct copy_job *j, const struct copy_failure *f)
{
	const struct copy_args *a = j->args;
	char s[32], d[32], n[32], op[64] = "";

	if (f->error)
		snprintf(op, sizeof(op), " (%s)", dmacopy_op_error_str(f->error));
	return cli_error("copy", "copy %s@%s -> %s@%s (%s bytes) failed: %s%s%s (engine %s)",
	                 a->src_path, format_size(a->src_off + f->offset, s, sizeof(s)),
	                 a->dst_path, format_size(a->dst_off + f->offset, d, sizeof(d)),
	                 format_size(f->len, n, sizeof(n)), dmacopy_strerror(f->status), op,
	                 f->detail, dmacopy_engine_name(j->engine));
}

static int verify_data(const struct copy_job *j)
{
	const struct copy_args *a = j->args;
	const uint8_t *s = j->src_win.data, *d = j->dst_win.data;
	uint64_t first = UINT64_MAX, differ = 0;

	if (!memcmp(s, d, a->len))
		return CLI_EXIT_OK;
	for (uint64_t i = 0; i < a->len; i++) {
		if (s[i] == d[i])
			continue;
		if (first == UINT64_MAX)
			first = i;
		differ++;
	}
	return cli_error("copy",
	                 "verify failed: %llu of %llu bytes differ; first at %s offset %llu / %s "
	                 "offset %llu: expected 0x%02x, found 0x%02x",
	                 (unsigned long long)differ, (unsigned long long)a->len, a->src_path,
	                 (unsigned long long)(a->src_off + first), a->dst_path,
	                 (unsigned long long)(a->dst_off + first), s[first], d[first]);
}

/* A mapped file that shrinks under us, or failing device memory, raises SIGBUS. */
static void on_sigbus(int sig)
{
	static const char msg[] = "dmacopy copy: SIGBUS while accessing a mapping: a file was "
	                          "truncated during the copy, or the device memory failed\n";
	ssize_t ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);

	(void)ignored;
	(void)sig;
	_exit(CLI_EXIT_FAILURE);
}

static void job_cleanup(struct copy_job *j)
{
	if (j->stuck)
		return; /* the process exits: the kernel releases everything */
	dmacopy_region_unregister(j->dst_reg);
	dmacopy_region_unregister(j->src_reg);
	mapfile_unmap(&j->dst_win);
	mapfile_unmap(&j->src_win);
	mapfile_close(&j->dst);
	mapfile_close(&j->src);
	dmacopy_engine_close(j->engine);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double gbps(uint64_t bytes, uint64_t ns)
{
	return (double)bytes / (double)(ns ? ns : 1);
}

/* The times of a repeated copy: the first apart, then the best and the median of the others. */
static void print_repeats(const struct copy_args *a, const char *engine, uint64_t *ns)
{
	unsigned int n = a->repeat - 1;

	printf(" %u times (engine %s):\n", a->repeat, engine);
	printf("  first copy %.3f ms: %.2f GB/s (pays the one-time costs: device mappings, first "
	       "touch of the memory)\n",
	       (double)ns[0] / 1e6, gbps(a->len, ns[0]));
	qsort(ns + 1, n, sizeof(*ns), cmp_u64);
	printf("  the next %u: best %.3f ms: %.2f GB/s, median %.3f ms: %.2f GB/s\n", n,
	       (double)ns[1] / 1e6, gbps(a->len, ns[1]), (double)ns[1 + n / 2] / 1e6,
	       gbps(a->len, ns[1 + n / 2]));
}

static int run_copy(struct copy_job *j)
{
	const struct copy_args *a = j->args;
	struct copy_failure fail = {0};
	uint64_t t_start = now_ns(), t_copy, t_done, t_verified, *ns;
	char size[32], s[32], d[32];
	struct sysroot root;
	int ret;

	ret = cli_engine_open("copy", a->engine, &j->engine);
	if (ret)
		return ret;
	sysroot_init(&root);
	ret = open_files(j, &root);
	if (ret)
		return ret;
	if (!a->len) {
		if (!a->quiet)
			printf("nothing to copy (length 0)\n");
		return CLI_EXIT_OK;
	}
	ret = map_files(j);
	if (!ret)
		ret = check_alignment(j);
	if (ret)
		return ret;
	ns = calloc(a->repeat, sizeof(*ns));
	if (!ns)
		return cli_error("copy", "out of memory");

	t_copy = now_ns();
	t_done = t_copy;
	for (unsigned int r = 0; r < a->repeat; r++) {
		uint64_t t0 = t_done;

		copy_data(j, &fail);
		t_done = now_ns();
		ns[r] = t_done - t0;
		if (fail.status) {
			free(ns);
			return report_failure(j, &fail);
		}
	}
	if (a->verify) {
		ret = verify_data(j);
		if (ret) {
			free(ns);
			return ret;
		}
	}
	t_verified = now_ns();
	if (!a->quiet) {
		printf("copied %s (%llu bytes) from %s@%s to %s@%s", format_bytes(a->len, size, sizeof(size)),
		       (unsigned long long)a->len, a->src_path, format_size(a->src_off, s, sizeof(s)),
		       a->dst_path, format_size(a->dst_off, d, sizeof(d)));
		if (a->repeat == 1)
			printf(" in %.3f ms: %.2f GB/s (engine %s)\n", (double)ns[0] / 1e6,
			       gbps(a->len, ns[0]), dmacopy_engine_name(j->engine));
		else
			print_repeats(a, dmacopy_engine_name(j->engine), ns);
		printf("setup (open, map, register) %.3f ms", (double)(t_copy - t_start) / 1e6);
		if (a->verify)
			printf("; verified %llu bytes identical in %.3f ms", (unsigned long long)a->len,
			       (double)(t_verified - t_done) / 1e6);
		printf("\n");
	}
	free(ns);
	return CLI_EXIT_OK;
}

int cmd_copy(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_sigbus};
	struct copy_args args;
	struct copy_job job = {.args = &args, .src.fd = -1, .dst.fd = -1};
	char *src = NULL, *dst = NULL;
	int ret;

	ret = parse_args(argc, argv, &args, &src, &dst);
	if (ret == CLI_HELP_SHOWN) {
		ret = CLI_EXIT_OK; /* --help */
	} else if (!ret) {
		sigaction(SIGBUS, &sa, NULL);
		ret = run_copy(&job);
		job_cleanup(&job);
	}
	free(src);
	free(dst);
	return ret;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared pieces of the dmacopy command-line tool: the command table, error reporting with the
 * tool's exit-code convention, option parsing helpers and clocks.
 *
 * Exit codes: 0 success, 1 the operation failed (I/O, engine or verification failure), 2 the
 * command line is wrong (the message says what is wrong and how to fix it).
 */
#ifndef DMACOPY_CLI_H
#define DMACOPY_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct dmacopy_engine;

enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1,
	CLI_EXIT_USAGE = 2,
	CLI_HELP_SHOWN = -1, /* from option parsing: --help was printed, exit with CLI_EXIT_OK */
};

/* One sub-command: argv[0] is the command's name, options follow. Returns an enum cli_exit. */
struct cli_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

int cmd_info(int argc, char **argv);
int cmd_copy(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_verify(int argc, char **argv);

#define CLI_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/*
 * "dmacopy CMD: message" plus a pointer to CMD --help on stderr; returns CLI_EXIT_USAGE.
 * The message should say what is wrong and how to fix it.
 */
CLI_PRINTF(2, 3) int cli_usage_error(const char *cmd, const char *fmt, ...);

/* "dmacopy CMD: message" on stderr; returns CLI_EXIT_FAILURE. */
CLI_PRINTF(2, 3) int cli_error(const char *cmd, const char *fmt, ...);

/* "dmacopy CMD: warning: message" on stderr. */
CLI_PRINTF(2, 3) void cli_warn(const char *cmd, const char *fmt, ...);

/*
 * Report getopt_long()'s '?' or ':' result for argv (opterr must be 0 and the option string must
 * start with ':'); returns CLI_EXIT_USAGE.
 */
int cli_option_error(const char *cmd, int ret, char **argv);

/* Reset getopt_long() before a command parses its own argv. */
void cli_getopt_reset(void);

/*
 * The library's detail for the last failure in this thread, formatted as ": detail" (or "" when
 * the library has nothing to add to dmacopy_strerror()).
 */
const char *cli_lib_detail(char *buf, size_t len);

/*
 * Open an engine; on failure print why (the library's reason and the remedy dmacopy_probe()
 * gives for that engine) and return CLI_EXIT_USAGE for a malformed spec or CLI_EXIT_FAILURE.
 */
int cli_engine_open(const char *cmd, const char *spec, struct dmacopy_engine **engine);

/* ---- parsing ------------------------------------------------------------------------------- */

/*
 * A size: decimal (or 0x hexadecimal) digits with an optional K, M, G or T suffix (powers of
 * 1024, optionally followed by "iB" or "B"). Returns 0, -EINVAL (not a size) or -ERANGE.
 */
int parse_size(const char *text, uint64_t *value);

/* An unsigned decimal integer in [min, max]. Returns 0, -EINVAL or -ERANGE. */
int parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *value);

/* Seconds as a decimal number with an optional "s" or "ms" suffix, > 0. Returns 0 or -EINVAL. */
int parse_seconds(const char *text, double *seconds);

/*
 * Split a comma-separated list into a NULL-terminated array of strings (one allocation; free the
 * array with free()). Empty items are an error (-EINVAL); -ENOMEM on allocation failure.
 */
int split_list(const char *text, char ***items, size_t *count);

/* "64", "4K", "1M", "1536" (exact binary multiples get a suffix); returns buf. */
const char *format_size(uint64_t bytes, char *buf, size_t len);

/* "32 MiB", "1.50 GiB", "100 bytes": human reading of a byte count; returns buf. */
const char *format_bytes(uint64_t bytes, char *buf, size_t len);

/* "850ns", "12.3us", "4.56ms", "1.20s"; returns buf. */
const char *format_ns(double ns, char *buf, size_t len);

/* ---- clocks --------------------------------------------------------------------------------- */

static inline uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Wall-clock time for intervals. */
static inline uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* CPU time consumed by the calling thread. */
static inline uint64_t thread_cpu_ns(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

/* CPU time consumed by every thread of the process (library worker threads included). */
static inline uint64_t process_cpu_ns(void)
{
	return clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* DMACOPY_CLI_H */

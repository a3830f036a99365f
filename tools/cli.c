// SPDX-License-Identifier: BSD-3-Clause
/*
 * Error reporting and engine opening shared by every dmacopy command.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmacopy.h"
#include "cli.h"

static void vreport(const char *cmd, const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "dmacopy %s: %s", cmd, prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(cmd, "", fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'dmacopy %s --help' for more information.\n", cmd);
	return CLI_EXIT_USAGE;
}

int cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(cmd, "", fmt, ap);
	va_end(ap);
	return CLI_EXIT_FAILURE;
}

void cli_warn(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(cmd, "warning: ", fmt, ap);
	va_end(ap);
}

int cli_option_error(const char *cmd, int ret, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	bool is_long = !strncmp(arg, "--", 2);

	if (ret == ':')
		return cli_usage_error(cmd, "option '%s' needs a value", arg);
	if (!is_long && optopt && isprint(optopt))
		return cli_usage_error(cmd, "unknown option '-%c'", optopt);
	return cli_usage_error(cmd, "unknown or ambiguous option '%s'", arg);
}

void cli_getopt_reset(void)
{
	optind = 0; /* glibc: 0 re-initialises getopt's internal state */
	opterr = 0;
}

const char *cli_lib_detail(char *buf, size_t len)
{
	const char *detail = dmacopy_last_error();

	if (!detail || !detail[0])
		buf[0] = '\0';
	else
		snprintf(buf, len, ": %s", detail);
	return buf;
}

/* What dmacopy_probe() says about the engine named by spec (the exact instance, else its kind). */
static void print_probe_remedy(const char *spec, const char *detail)
{
	struct dmacopy_engine_status rows[32];
	size_t kind_len = strcspn(spec, ":");
	int n = dmacopy_probe(rows, ARRAY_SIZE(rows));
	bool exact = false;

	if (n > (int)ARRAY_SIZE(rows))
		n = ARRAY_SIZE(rows);
	for (int i = 0; i < n; i++)
		exact |= !strcmp(rows[i].spec, spec);
	for (int i = 0; i < n; i++) {
		const struct dmacopy_engine_status *r = &rows[i];
		bool match =
		        exact ? !strcmp(r->spec, spec)
		              : strlen(r->kind) == kind_len && !strncmp(r->kind, spec, kind_len);

		if (!match || r->available)
			continue;
		if (r->detail[0] && !strstr(detail, r->detail))
			fprintf(stderr, "  %s: %s\n", r->spec, r->detail);
		if (r->remedy[0] && !strstr(detail, r->remedy))
			fprintf(stderr, "  to enable it: %s\n", r->remedy);
	}
}

int cli_engine_open(const char *cmd, const char *spec, struct dmacopy_engine **engine)
{
	const char *env = getenv("DMACOPY_ENGINE"), *specs = dmacopy_engine_specs();
	char detail[512], what[160];
	int ret;

	ret = dmacopy_engine_open(engine, spec, NULL);
	if (!ret)
		return CLI_EXIT_OK;
	cli_lib_detail(detail, sizeof(detail));
	if ((!spec || !strcmp(spec, "auto")) && env && env[0])
		snprintf(what, sizeof(what), "'%s' (from DMACOPY_ENGINE)", env);
	else
		snprintf(what, sizeof(what), "'%s'", spec ? spec : "auto");
	if (ret == -EINVAL)
		return cli_usage_error(cmd, "engine %s is not a valid engine spec%s%s%s", what,
		                       detail, strstr(detail, specs) ? "" : "; use one of: ",
		                       strstr(detail, specs) ? "" : specs);
	cli_error(cmd, "cannot open engine %s: %s%s", what, dmacopy_strerror(ret), detail);
	print_probe_remedy(spec ? spec : "auto", detail);
	if (!strstr(dmacopy_strerror(ret), "dmacopy info"))
		fprintf(stderr, "Run 'dmacopy info' to see every engine and what it needs.\n");
	return CLI_EXIT_FAILURE;
}

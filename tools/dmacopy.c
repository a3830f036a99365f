// SPDX-License-Identifier: BSD-3-Clause
/*
 * dmacopy: copy memory with DMA engines (or the fast CPU engine) from the command line.
 *
 * This file only dispatches: each command lives in cmd_<name>.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dmacopy.h"
#include "cli.h"

static const struct cli_command commands[] = {
        {"info", "show engines, DMA hardware and what is missing to use it", cmd_info},
        {"copy", "copy a range between files or device-dax nodes", cmd_copy},
        {"bench", "measure engines against memcpy over a range of sizes", cmd_bench},
        {"verify", "check an engine's copies and fills with guard bytes and patterns", cmd_verify},
};

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: dmacopy [--version] [--help] COMMAND [OPTIONS] [ARGS]\n"
	        "\n"
	        "Copy memory with DMA engines (I/OAT, any Linux dmaengine memcpy channel) or with\n"
	        "dmacopy's fast CPU engine.\n"
	        "\n"
	        "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
	        "\n"
	        "Run 'dmacopy COMMAND --help' for a command's options, 'man dmacopy' for more.\n"
	        "Engines: %s (see 'dmacopy info').\n",
	        dmacopy_engine_specs());
}

/* The commands' names for messages: "info, copy, bench, verify". */
static const char *command_names(void)
{
	static char names[128];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(commands) && n < sizeof(names); i++)
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", i ? ", " : "",
		                      commands[i].name);
	return names;
}

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct cli_command *cmd;
	int i, ret;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			printf("dmacopy %d.%d.%d (libdmacopy %s)\n", DMACOPY_VERSION_MAJOR,
			       DMACOPY_VERSION_MINOR, DMACOPY_VERSION_PATCH, dmacopy_version());
			return CLI_EXIT_OK;
		}
		fprintf(stderr,
		        "dmacopy: unknown option '%s'; options go after the command, e.g. "
		        "'dmacopy copy --verify ...'\n"
		        "Try 'dmacopy --help' for the list of commands.\n",
		        argv[i]);
		return CLI_EXIT_USAGE;
	}
	if (i == argc) {
		fprintf(stderr,
		        "dmacopy: no command given; use one of %s\n"
		        "Try 'dmacopy --help' for more information.\n",
		        command_names());
		return CLI_EXIT_USAGE;
	}
	cmd = find_command(argv[i]);
	if (!cmd) {
		fprintf(stderr,
		        "dmacopy: '%s' is not a command; use one of %s\n"
		        "Try 'dmacopy --help' for more information.\n",
		        argv[i], command_names());
		return CLI_EXIT_USAGE;
	}
	cli_getopt_reset();
	ret = cmd->run(argc - i, argv + i);

	/* A full disk or a closed pipe must not look like success. */
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "dmacopy %s: cannot write the output: %s\n", cmd->name,
		        strerror(errno));
		if (ret == CLI_EXIT_OK)
			ret = CLI_EXIT_FAILURE;
	}
	return ret;
}

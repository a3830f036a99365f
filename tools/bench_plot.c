// SPDX-License-Identifier: BSD-3-Clause
/*
 * dmacopy bench --plot: the report goes to a temporary JSON file and the plot script draws it
 * with gnuplot. The script is bench/plot in the source tree (next to build/bin/dmacopy) or
 * LIBEXECDIR/dmacopy/bench-plot beside an installed dmacopy (BINDIR/../libexec), or the file
 * DMACOPY_BENCH_PLOT names.
 */
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"

extern char **environ;

/* The plot script's path in buf; on failure an error has been printed. */
static int find_script(char *buf, size_t len)
{
	static const char *const rel[] = {"../../bench/plot", "../libexec/dmacopy/bench-plot"};
	const char *env = getenv("DMACOPY_BENCH_PLOT");
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (env && *env) {
		if (access(env, R_OK))
			return cli_error(
			        "bench",
			        "--plot: DMACOPY_BENCH_PLOT names %s, which cannot be read: %s",
			        env, strerror(errno));
		snprintf(buf, len, "%s", env);
		return CLI_EXIT_OK;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return cli_error("bench", "--plot: cannot find this program's folder: %s",
		                 strerror(errno));
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(buf, len, "%s/%s", exe, rel[i]);
		if (!access(buf, R_OK))
			return CLI_EXIT_OK;
	}
	return cli_error("bench",
	                 "--plot: no plot script at %s/%s or %s/%s; install dmacopy with make "
	                 "install, or set DMACOPY_BENCH_PLOT to bench/plot of dmacopy's source",
	                 exe, rel[0], exe, rel[1]);
}

/* python3 SCRIPT ARG1 ARG2; the script prints its own errors. */
static int run_script(const char *arg1, const char *arg2)
{
	char script[PATH_MAX + 64];
	char *argv[] = {"python3", script, (char *)arg1, (char *)arg2, NULL};
	int ret, status;
	pid_t pid;

	ret = find_script(script, sizeof(script));
	if (ret)
		return ret;
	fflush(stdout);
	fflush(stderr);
	ret = posix_spawnp(&pid, "python3", NULL, NULL, argv, environ);
	if (ret == ENOENT)
		return cli_error("bench", "--plot: python3 is not installed; install python3 "
		                          "(apt-get install python3)");
	if (ret)
		return cli_error("bench", "--plot: cannot run python3 %s: %s", script,
		                 strerror(ret));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return cli_error("bench", "--plot: waiting for %s: %s", script,
			                 strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return CLI_EXIT_OK;
	if (WIFSIGNALED(status))
		return cli_error("bench", "--plot: %s was killed by signal %d", script,
		                 WTERMSIG(status));
	return CLI_EXIT_FAILURE; /* the script said why */
}

int bench_plot_check(const char *png)
{
	if (run_script("--check", png))
		return cli_error("bench",
		                 "--plot %s: no plot can be made (see above); nothing was "
		                 "measured",
		                 png);
	return CLI_EXIT_OK;
}

int bench_plot(const struct bench_report *r, const char *png)
{
	const char *dir = getenv("TMPDIR");
	char json[PATH_MAX];
	FILE *f;
	int fd, ret;

	snprintf(json, sizeof(json), "%s/dmacopy-bench-XXXXXX.json", dir && *dir ? dir : "/tmp");
	fd = mkstemps(json, 5);
	if (fd < 0)
		return cli_error("bench", "--plot: cannot create a temporary file %s: %s", json,
		                 strerror(errno));
	f = fdopen(fd, "w");
	if (!f) {
		ret = cli_error("bench", "--plot: %s: %s", json, strerror(errno));
		close(fd);
		unlink(json);
		return ret;
	}
	bench_print_json(f, r);
	ret = ferror(f);
	if (fclose(f) || ret) {
		ret = cli_error("bench", "--plot: cannot write %s: %s", json, strerror(errno));
		unlink(json);
		return ret;
	}
	ret = run_script(json, png);
	unlink(json);
	if (ret)
		return cli_error("bench", "--plot %s: no plot written (see above)", png);
	return CLI_EXIT_OK;
}

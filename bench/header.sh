# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the benchmark scripts: the header every result file starts with.
# bench_header COMMAND: the command that made the figures, when, the load, the machine, and the
# commit of the tree it ran in (with local changes when the code the figures measure differs).
bench_header() {
	echo "# command: $1"
	echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)  cpus: $(nproc)"
	echo "# commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet HEAD \
		-- lib include kmod qemu tests/vm/progs bench 2>/dev/null || echo ' (with local changes)')"
}

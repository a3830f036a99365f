# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the benchmark scripts: the header every result file starts with.
# bench_header COMMAND: the command that made the figures, when, the load, and the machine.
bench_header() {
	echo "# command: $1"
	echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)  cpus: $(nproc)"
}

// SPDX-License-Identifier: BSD-3-Clause
/*
 * CPU facts that matter for copying: last-level cache size and instruction-set features, and the
 * model name that reports show.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "sysinfo.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

uint64_t sysinfo_llc_bytes(const struct sysroot *root)
{
	uint64_t best_size = 0, level, best_level = 0;
	char rel[96], path[PATH_MAX], text[64];
	long sc;

	for (unsigned int i = 0; i < 16; i++) {
		uint64_t size;

		snprintf(rel, sizeof(rel), "devices/system/cpu/cpu0/cache/index%u/level", i);
		if (sysfs_read_u64(sys_path(root, path, sizeof(path), rel), &level))
			continue;
		snprintf(rel, sizeof(rel), "devices/system/cpu/cpu0/cache/index%u/type", i);
		if (!sysfs_read_str(sys_path(root, path, sizeof(path), rel), text, sizeof(text)) &&
		    !strcmp(text, "Instruction"))
			continue;
		snprintf(rel, sizeof(rel), "devices/system/cpu/cpu0/cache/index%u/size", i);
		if (sysfs_read_str(sys_path(root, path, sizeof(path), rel), text, sizeof(text)) ||
		    parse_size(text, &size))
			continue;
		if (level > best_level || (level == best_level && size > best_size)) {
			best_level = level;
			best_size = size;
		}
	}
	if (best_size)
		return best_size;
#ifdef _SC_LEVEL3_CACHE_SIZE
	sc = sysconf(_SC_LEVEL3_CACHE_SIZE);
	if (sc > 0)
		return (uint64_t)sc;
	sc = sysconf(_SC_LEVEL2_CACHE_SIZE);
	if (sc > 0)
		return (uint64_t)sc;
#else
	(void)sc;
#endif
	return 0;
}

static void append(char *buf, size_t len, const char *word)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s%s", used ? " " : "", word);
}

void sysinfo_cpu_features(char *buf, size_t len)
{
	buf[0] = '\0';
#if defined(__x86_64__) || defined(__i386__)
	unsigned int a, b, c, d;

	__builtin_cpu_init();
	if (__builtin_cpu_supports("sse2"))
		append(buf, len, "sse2");
	if (__builtin_cpu_supports("avx"))
		append(buf, len, "avx");
	if (__builtin_cpu_supports("avx2"))
		append(buf, len, "avx2");
	if (__builtin_cpu_supports("avx512f"))
		append(buf, len, "avx512f");
	if (__builtin_cpu_supports("avx512bw"))
		append(buf, len, "avx512bw");
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		/* CPUID leaf 7: string-move speed-ups, cache write-back, and the instructions
		 * that submit work to DSA portals. */
		if (b & (1u << 9))
			append(buf, len, "erms");
		if (d & (1u << 4))
			append(buf, len, "fsrm");
		if (b & (1u << 23))
			append(buf, len, "clflushopt");
		if (b & (1u << 24))
			append(buf, len, "clwb");
		if (c & (1u << 27))
			append(buf, len, "movdiri");
		if (c & (1u << 28))
			append(buf, len, "movdir64b");
		if (c & (1u << 29))
			append(buf, len, "enqcmd");
	}
#endif
	if (!buf[0])
		snprintf(buf, len, "none detected");
}

void sysinfo_cpu_model(char *buf, size_t len)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	buf[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ':');

		if (!v || strncmp(line, "model name", 10))
			continue;
		v += 1 + strspn(v + 1, " \t");
		v[strcspn(v, "\n")] = '\0';
		snprintf(buf, len, "%s", v);
		break;
	}
	if (f)
		fclose(f);
	if (!buf[0])
		snprintf(buf, len, "unknown");
}

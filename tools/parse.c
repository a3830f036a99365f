// SPDX-License-Identifier: BSD-3-Clause
/*
 * Parsing and formatting of sizes, counts, durations and lists for the dmacopy command line.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

static unsigned int suffix_shift(char c)
{
	switch (toupper((unsigned char)c)) {
	case 'K':
		return 10;
	case 'M':
		return 20;
	case 'G':
		return 30;
	case 'T':
		return 40;
	default:
		return 0;
	}
}

int parse_size(const char *text, uint64_t *value)
{
	const char *p = text;
	unsigned long long n;
	unsigned int shift;
	int base = 10;
	char *end;

	if (!text)
		return -EINVAL;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		if (!isxdigit((unsigned char)*p))
			return -EINVAL;
	} else if (!isdigit((unsigned char)*p)) {
		return -EINVAL; /* also rejects signs and blanks, which strtoull would accept */
	}
	errno = 0;
	n = strtoull(p, &end, base);
	if (errno == ERANGE)
		return -ERANGE;
	shift = suffix_shift(*end);
	if (shift)
		end++;
	if (shift && !strcasecmp(end, "iB"))
		end += 2;
	else if (!strcasecmp(end, "B"))
		end += 1;
	if (*end)
		return -EINVAL;
	if (shift && n > (UINT64_MAX >> shift))
		return -ERANGE;
	*value = (uint64_t)n << shift;
	return 0;
}

int parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *value)
{
	unsigned long long n;
	char *end;

	if (!text || !isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	n = strtoull(text, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || n < min || n > max)
		return -ERANGE;
	*value = n;
	return 0;
}

int parse_seconds(const char *text, double *seconds)
{
	double v, scale = 1.0;
	char *end;

	if (!text || !(isdigit((unsigned char)text[0]) || text[0] == '.'))
		return -EINVAL;
	v = strtod(text, &end);
	if (!strcmp(end, "ms"))
		scale = 1e-3;
	else if (strcmp(end, "s") && *end)
		return -EINVAL;
	v *= scale;
	if (!isfinite(v) || v <= 0)
		return -EINVAL;
	*seconds = v;
	return 0;
}

int split_list(const char *text, char ***items, size_t *count)
{
	size_t n = 1, len = strlen(text);
	char **list, *copy, *p;

	for (const char *c = text; *c; c++)
		n += *c == ',';
	list = malloc((n + 1) * sizeof(*list) + len + 1);
	if (!list)
		return -ENOMEM;
	copy = (char *)(list + n + 1);
	memcpy(copy, text, len + 1);
	p = copy;
	for (size_t i = 0; i < n; i++) {
		list[i] = p;
		p += strcspn(p, ",");
		if (*p)
			*p++ = '\0';
		if (!list[i][0]) {
			free(list);
			return -EINVAL;
		}
	}
	list[n] = NULL;
	*items = list;
	*count = n;
	return 0;
}

const char *format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "TGMK";

	for (unsigned int i = 0; i < 4; i++) {
		unsigned int shift = 40 - 10 * i;

		if (bytes && !(bytes & ((1ull << shift) - 1))) {
			snprintf(buf, len, "%llu%c", (unsigned long long)(bytes >> shift),
			         units[i]);
			return buf;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)bytes);
	return buf;
}

const char *format_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu byte%s", (unsigned long long)bytes, bytes == 1 ? "" : "s");
		return buf;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (v == floor(v))
		snprintf(buf, len, "%.0f %s", v, units[u]);
	else
		snprintf(buf, len, "%.2f %s", v, units[u]);
	return buf;
}

const char *format_ns(double ns, char *buf, size_t len)
{
	if (ns < 1e3)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.3gus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.3gms", ns / 1e6);
	else
		snprintf(buf, len, "%.3gs", ns / 1e9);
	return buf;
}

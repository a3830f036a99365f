// SPDX-License-Identifier: BSD-3-Clause
/*
 * Streaming JSON writer (see json.h).
 */
#include <math.h>

#include "json.h"

void json_init(struct json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->has_items[0] = false;
}

void json_finish(struct json *j)
{
	fputc('\n', j->out);
}

static void write_escaped(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

/* Separator, newline and indentation before an item, then its key. */
static void item_start(struct json *j, const char *key)
{
	if (j->depth) {
		if (j->has_items[j->depth])
			fputc(',', j->out);
		fprintf(j->out, "\n%*s", 2 * (int)j->depth, "");
	}
	j->has_items[j->depth] = true;
	if (key) {
		write_escaped(j->out, key);
		fputs(": ", j->out);
	}
}

static void open_level(struct json *j, const char *key, char bracket)
{
	item_start(j, key);
	fputc(bracket, j->out);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->has_items[j->depth] = false;
}

static void close_level(struct json *j, char bracket)
{
	bool had_items = j->has_items[j->depth];

	if (j->depth)
		j->depth--;
	if (had_items)
		fprintf(j->out, "\n%*s", 2 * (int)j->depth, "");
	fputc(bracket, j->out);
}

void json_object_begin(struct json *j, const char *key)
{
	open_level(j, key, '{');
}

void json_object_end(struct json *j)
{
	close_level(j, '}');
}

void json_array_begin(struct json *j, const char *key)
{
	open_level(j, key, '[');
}

void json_array_end(struct json *j)
{
	close_level(j, ']');
}

void json_string(struct json *j, const char *key, const char *value)
{
	item_start(j, key);
	if (value)
		write_escaped(j->out, value);
	else
		fputs("null", j->out);
}

void json_uint(struct json *j, const char *key, uint64_t value)
{
	item_start(j, key);
	fprintf(j->out, "%llu", (unsigned long long)value);
}

void json_int(struct json *j, const char *key, int64_t value)
{
	item_start(j, key);
	fprintf(j->out, "%lld", (long long)value);
}

void json_double(struct json *j, const char *key, double value)
{
	item_start(j, key);
	if (isfinite(value))
		fprintf(j->out, "%.6g", value);
	else
		fputs("null", j->out);
}

void json_bool(struct json *j, const char *key, bool value)
{
	item_start(j, key);
	fputs(value ? "true" : "false", j->out);
}

void json_null(struct json *j, const char *key)
{
	item_start(j, key);
	fputs("null", j->out);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A small streaming JSON writer for the tool's --json output (pretty-printed, two-space indent).
 *
 * Inside an object every value takes a key; inside an array and at the top level, key is NULL.
 */
#ifndef DMACOPY_JSON_H
#define DMACOPY_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *out;
	unsigned int depth;
	bool has_items[JSON_MAX_DEPTH]; /* something was written at this nesting level */
};

void json_init(struct json *j, FILE *out);
/* Ends the document with a newline. */
void json_finish(struct json *j);

void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);

/* value NULL writes null. */
void json_string(struct json *j, const char *key, const char *value);
void json_uint(struct json *j, const char *key, uint64_t value);
void json_int(struct json *j, const char *key, int64_t value);
/* Non-finite values are written as null. */
void json_double(struct json *j, const char *key, double value);
void json_bool(struct json *j, const char *key, bool value);
void json_null(struct json *j, const char *key);

#endif /* DMACOPY_JSON_H */

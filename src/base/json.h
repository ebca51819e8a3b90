/* json: a small streaming JSON writer for the --json output of every command. Commas and
 * nesting are tracked here so commands only say what they print. Non-finite numbers are
 * written as null (DESIGN §8: a field not computed is null). */
#ifndef CS_JSON_H
#define CS_JSON_H

#include <stdio.h>

#define JSON_MAX_DEPTH 32

typedef struct json_writer {
    FILE *f;
    int depth;
    int count[JSON_MAX_DEPTH]; /* items written at each depth, for commas */
    int after_key;
} json_writer;

void json_begin(json_writer *w, FILE *f);
void json_object_begin(json_writer *w);
void json_object_end(json_writer *w);
void json_array_begin(json_writer *w);
void json_array_end(json_writer *w);
void json_key(json_writer *w, const char *key);
void json_string(json_writer *w, const char *s);
void json_number(json_writer *w, double v);
void json_int(json_writer *w, long long v);
void json_bool(json_writer *w, int v);
void json_null(json_writer *w);
/* Finish: newline after the top-level value. */
void json_end(json_writer *w);

/* Key/value shorthands. */
void json_kv_string(json_writer *w, const char *key, const char *s);
void json_kv_number(json_writer *w, const char *key, double v);
void json_kv_int(json_writer *w, const char *key, long long v);
void json_kv_bool(json_writer *w, const char *key, int v);

#endif

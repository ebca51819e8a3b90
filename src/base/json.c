#include "base/json.h"

#include <math.h>

static void json_sep(json_writer *w) {
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->count[w->depth]++ > 0) fputc(',', w->f);
}

void json_begin(json_writer *w, FILE *f) {
    w->f = f;
    w->depth = 0;
    w->count[0] = 0;
    w->after_key = 0;
}

static void json_open(json_writer *w, char c) {
    json_sep(w);
    fputc(c, w->f);
    if (w->depth < JSON_MAX_DEPTH - 1) w->depth++;
    w->count[w->depth] = 0;
}

static void json_close(json_writer *w, char c) {
    fputc(c, w->f);
    if (w->depth > 0) w->depth--;
}

void json_object_begin(json_writer *w) {
    json_open(w, '{');
}

void json_object_end(json_writer *w) {
    json_close(w, '}');
}

void json_array_begin(json_writer *w) {
    json_open(w, '[');
}

void json_array_end(json_writer *w) {
    json_close(w, ']');
}

static void json_quoted(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void json_key(json_writer *w, const char *key) {
    json_sep(w);
    json_quoted(w->f, key);
    fputc(':', w->f);
    w->after_key = 1;
}

void json_string(json_writer *w, const char *s) {
    json_sep(w);
    if (s)
        json_quoted(w->f, s);
    else
        fputs("null", w->f);
}

void json_number(json_writer *w, double v) {
    json_sep(w);
    if (isfinite(v))
        fprintf(w->f, "%.10g", v);
    else
        fputs("null", w->f);
}

void json_int(json_writer *w, long long v) {
    json_sep(w);
    fprintf(w->f, "%lld", v);
}

void json_bool(json_writer *w, int v) {
    json_sep(w);
    fputs(v ? "true" : "false", w->f);
}

void json_null(json_writer *w) {
    json_sep(w);
    fputs("null", w->f);
}

void json_end(json_writer *w) {
    fputc('\n', w->f);
    fflush(w->f);
}

void json_kv_string(json_writer *w, const char *key, const char *s) {
    json_key(w, key);
    json_string(w, s);
}

void json_kv_number(json_writer *w, const char *key, double v) {
    json_key(w, key);
    json_number(w, v);
}

void json_kv_int(json_writer *w, const char *key, long long v) {
    json_key(w, key);
    json_int(w, v);
}

void json_kv_bool(json_writer *w, const char *key, int v) {
    json_key(w, key);
    json_bool(w, v);
}

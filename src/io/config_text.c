/* Reading config files and expanding @include relative to the including file.
 *
 * libconfig 1.5 (Debian 12) resolves @include against one global directory, so cimsweep
 * expands includes itself into one text and keeps a line map: every line of the expanded
 * text knows its file and line, and every error is reported against the original file. */
#include "io/config_text.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CFG_MAX_BYTES (4L << 20)
#define CFG_MAX_DEPTH 8

static int text_append(cfg_text *t, const char *s, size_t n, int file, int line, cs_error *err) {
    if (t->len + n + 2 > t->cap) {
        size_t cap = (t->cap ? t->cap * 2 : 4096) + n + 2;
        char *p = cs_realloc(t->buf, cap, 1, err);
        if (!p) return CS_ERR_RUNTIME;
        t->buf = p;
        t->cap = cap;
    }
    if (t->n_lines + 1 >= t->lines_cap) {
        int cap = t->lines_cap ? t->lines_cap * 2 : 256;
        int *f = cs_realloc(t->line_file, (size_t)cap, sizeof *f, err);
        if (!f) return CS_ERR_RUNTIME;
        t->line_file = f;
        int *l = cs_realloc(t->line_no, (size_t)cap, sizeof *l, err);
        if (!l) return CS_ERR_RUNTIME;
        t->line_no = l;
        size_t *o = cs_realloc(t->line_off, (size_t)cap, sizeof *o, err);
        if (!o) return CS_ERR_RUNTIME;
        t->line_off = o;
        t->lines_cap = cap;
    }
    t->line_off[t->n_lines] = t->len;
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len++] = '\n';
    t->buf[t->len] = '\0';
    t->line_file[t->n_lines] = file;
    t->line_no[t->n_lines] = line;
    t->n_lines++;
    return CS_OK;
}

/* Read a whole regular text file. */
static int read_text_file(const char *path, const char *where, char **out, size_t *n,
                          cs_error *err) {
    struct stat st;
    if (stat(path, &st) != 0)
        return cs_fail(err, CS_ERR_INPUT, "%s%s: cannot open: %s", where, path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return cs_fail(err, CS_ERR_INPUT, "%s%s: is a directory, expected a config file", where,
                       path);
    if (!S_ISREG(st.st_mode))
        return cs_fail(err, CS_ERR_INPUT, "%s%s: not a regular file", where, path);
    if (st.st_size > CFG_MAX_BYTES)
        return cs_fail(err, CS_ERR_INPUT, "%s%s: %lld bytes, larger than the %ld allowed", where,
                       path, (long long)st.st_size, CFG_MAX_BYTES);
    FILE *f = fopen(path, "rb");
    if (!f)
        return cs_fail(err, CS_ERR_INPUT, "%s%s: cannot open: %s", where, path, strerror(errno));
    char *buf = cs_alloc((size_t)st.st_size + 1, 1, err);
    if (!buf) {
        fclose(f);
        return CS_ERR_RUNTIME;
    }
    size_t got = fread(buf, 1, (size_t)st.st_size, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || got != (size_t)st.st_size) {
        free(buf);
        return cs_fail(err, CS_ERR_INPUT, "%s%s: read error", where, path);
    }
    buf[got] = '\0';
    for (size_t i = 0; i < got; i++) {
        unsigned char ch = (unsigned char)buf[i];
        if (ch == 0 || (ch < 32 && ch != '\n' && ch != '\r' && ch != '\t')) {
            int line = 1;
            for (size_t j = 0; j < i; j++) line += buf[j] == '\n';
            free(buf);
            return cs_fail(err, CS_ERR_INPUT,
                           "%s:%d: not a text file (control byte 0x%02x at offset %zu), "
                           "expected libconfig settings",
                           path, line, ch, i);
        }
    }
    *out = buf;
    *n = got;
    return CS_OK;
}

/* If line is `@include "name"` (optionally followed by a comment), copy name and return 1;
 * return -1 for a malformed @include, 0 for any other line. */
static int parse_include(const char *line, size_t n, char *name, size_t name_cap) {
    size_t i = 0;
    while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
    if (n - i < 8 || strncmp(line + i, "@include", 8) != 0) return 0;
    i += 8;
    while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
    if (i >= n || line[i] != '"') return -1;
    size_t start = ++i;
    while (i < n && line[i] != '"') i++;
    if (i >= n || i - start == 0 || i - start >= name_cap) return -1;
    memcpy(name, line + start, i - start);
    name[i - start] = '\0';
    i++;
    while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
    if (i < n && line[i] != '#' && !(line[i] == '/' && i + 1 < n && line[i + 1] == '/')) return -1;
    return 1;
}

static int expand_file(cfg_text *t, const char *path, const char *where, int depth,
                       char stack[][CS_PATH_MAX], cs_error *err);

/* Start a new document at the next line (empty documents are skipped when parsing). */
static int new_segment(cfg_text *t, cs_error *err) {
    if (t->n_segments > 0 && t->seg_start[t->n_segments - 1] == t->n_lines) return CS_OK;
    if (t->n_segments >= CFG_MAX_SEGMENTS)
        return cs_fail(err, CS_ERR_INPUT, "more than %d @include pieces", CFG_MAX_SEGMENTS);
    t->seg_start[t->n_segments++] = t->n_lines;
    return CS_OK;
}

/* Follow the bracket depth through a line, outside strings and comments. */
static void track_depth(cfg_text *t, const char *s, size_t n) {
    int in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i], d = i + 1 < n ? s[i + 1] : '\0';
        if (t->in_comment) {
            if (c == '*' && d == '/') t->in_comment = 0, i++;
        } else if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '#' || (c == '/' && d == '/')) {
            return;
        } else if (c == '/' && d == '*') {
            t->in_comment = 1, i++;
        } else if (c == '{' || c == '(' || c == '[') {
            t->depth++;
        } else if (c == '}' || c == ')' || c == ']') {
            t->depth--;
        }
    }
}

static int expand_include(cfg_text *t, const char *from, int from_line, const char *name, int depth,
                          char stack[][CS_PATH_MAX], cs_error *err) {
    char resolved[CS_PATH_MAX * 2], dir[CS_PATH_MAX], where[CS_PATH_MAX + 64];
    if (name[0] == '/') {
        snprintf(resolved, sizeof resolved, "%s", name);
    } else {
        snprintf(dir, sizeof dir, "%s", from);
        snprintf(resolved, sizeof resolved, "%s/%s", dirname(dir), name);
    }
    snprintf(where, sizeof where, "%s:%d: @include \"%s\": ", from, from_line, name);
    if (depth >= CFG_MAX_DEPTH)
        return cs_fail(err, CS_ERR_INPUT, "%sincludes nested deeper than %d", where, CFG_MAX_DEPTH);
    char real[CS_PATH_MAX];
    if (!realpath(resolved, real))
        return cs_fail(err, CS_ERR_INPUT, "%scannot open %s: %s", where, resolved, strerror(errno));
    for (int d = 0; d < depth; d++)
        if (strcmp(stack[d], real) == 0)
            return cs_fail(err, CS_ERR_INPUT, "%sinclude cycle: %s is already being read", where,
                           resolved);
    return expand_file(t, resolved, where, depth, stack, err);
}

static int expand_file(cfg_text *t, const char *path, const char *where, int depth,
                       char stack[][CS_PATH_MAX], cs_error *err) {
    if (t->n_files >= CFG_MAX_FILES)
        return cs_fail(err, CS_ERR_INPUT, "%s%s: more than %d config files included", where, path,
                       CFG_MAX_FILES);
    char *buf = NULL;
    size_t n = 0;
    int rc = read_text_file(path, where, &buf, &n, err);
    if (rc) return rc;
    int file = t->n_files++;
    snprintf(t->files[file], CS_PATH_MAX, "%s", path);
    if (!realpath(path, stack[depth])) snprintf(stack[depth], CS_PATH_MAX, "%s", path);
    int line = 0;
    for (size_t i = 0; i <= n && rc == CS_OK;) {
        size_t e = i;
        while (e < n && buf[e] != '\n') e++;
        if (e == n && i == n) break;
        line++;
        char name[CS_PATH_MAX];
        int inc = parse_include(buf + i, e - i, name, sizeof name);
        if (inc < 0)
            rc = cs_fail(err, CS_ERR_INPUT,
                         "%s:%d: malformed @include, expected @include \"relative/path.cfg\"", path,
                         line);
        else if (inc > 0 && (t->depth != 0 || t->in_comment))
            rc = cs_fail(err, CS_ERR_INPUT,
                         "%s:%d: @include inside a group or comment; put includes between "
                         "top-level settings",
                         path, line);
        else if (inc > 0) {
            int outer_depth = t->depth, outer_comment = t->in_comment;
            rc = new_segment(t, err);
            if (rc == CS_OK) rc = expand_include(t, path, line, name, depth + 1, stack, err);
            if (rc == CS_OK) rc = new_segment(t, err);
            t->depth = outer_depth, t->in_comment = outer_comment;
        } else {
            track_depth(t, buf + i, e - i);
            rc = text_append(t, buf + i, e - i, file, line, err);
        }
        i = e + 1;
    }
    free(buf);
    return rc;
}

int cfg_text_read(cfg_text *t, const char *path, cs_error *err) {
    memset(t, 0, sizeof *t);
    new_segment(t, err);
    char(*stack)[CS_PATH_MAX] = cs_alloc(CFG_MAX_DEPTH + 1, CS_PATH_MAX, err);
    if (!stack) return CS_ERR_RUNTIME;
    int rc = expand_file(t, path, "", 0, stack, err);
    free(stack);
    if (rc) return rc;
    int blank = 1;
    for (size_t i = 0; i < t->len && blank; i++)
        if (t->buf[i] != ' ' && t->buf[i] != '\n' && t->buf[i] != '\t' && t->buf[i] != '\r')
            blank = 0;
    if (blank)
        return cs_fail(err, CS_ERR_INPUT, "%s:1: empty config, expected libconfig settings", path);
    return CS_OK;
}

int cfg_text_from_string(cfg_text *t, const char *text, const char *name, cs_error *err) {
    memset(t, 0, sizeof *t);
    new_segment(t, err);
    t->n_files = 1;
    snprintf(t->files[0], CS_PATH_MAX, "%s", name);
    int line = 0;
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        line++;
        if (text_append(t, p, n, 0, line, err)) return CS_ERR_RUNTIME;
        p += n + (e ? 1 : 0);
    }
    if (line == 0 && text_append(t, "", 0, 0, 1, err)) return CS_ERR_RUNTIME;
    return CS_OK;
}

void cfg_text_where(const cfg_text *t, int line, char *buf, size_t n) {
    if (line >= 1 && line <= t->n_lines)
        snprintf(buf, n, "%s:%d", t->files[t->line_file[line - 1]], t->line_no[line - 1]);
    else
        snprintf(buf, n, "%s:%d", t->n_files ? t->files[0] : "?", line > 0 ? line : 1);
}

char *cfg_text_segment(const cfg_text *t, int k, int *first_line) {
    int a = t->seg_start[k], b = k + 1 < t->n_segments ? t->seg_start[k + 1] : t->n_lines;
    size_t from = a < t->n_lines ? t->line_off[a] : t->len;
    size_t to = b < t->n_lines ? t->line_off[b] : t->len;
    char *s = malloc(to - from + 1);
    if (!s) return NULL;
    memcpy(s, t->buf + from, to - from);
    s[to - from] = '\0';
    *first_line = a;
    return s;
}

void cfg_text_free(cfg_text *t) {
    free(t->buf);
    free(t->line_file);
    free(t->line_no);
    free(t->line_off);
    memset(t, 0, sizeof *t);
}

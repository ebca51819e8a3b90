/* Loading, overriding and validating the configuration against the key table
 * (config_schema.c). */
#include "io/config.h"

#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "io/config_schema.h"
#include "io/config_text.h"

/* Where the values being applied come from. */
typedef struct cfg_source {
    const cfg_text *text; /* file text with its line map, or NULL */
    const char *set_arg;  /* the --set argument, or NULL */
    int first_line;       /* the segment's first line in the expanded text (0-based) */
    int *grids;           /* sweep.cr (1) / sweep.tau (2) given in this segment */
} cfg_source;

/* ---------- small helpers ---------- */

static void *key_ptr(cs_config *c, const cfg_key *k) {
    return (char *)c + k->off;
}

static const void *key_cptr(const cs_config *c, const cfg_key *k) {
    return (const char *)c + k->off;
}

static int key_index(const char *path) {
    for (int i = 0; i < CFG_N_KEYS; i++)
        if (strcmp(CFG_KEYS[i].path, path) == 0) return i;
    return -1;
}

/* Is path a group that contains keys ("sweep", "sweep.dynamic")? */
static int is_group_path(const char *path) {
    size_t n = strlen(path);
    for (int i = 0; i < CFG_N_KEYS; i++)
        if (strncmp(CFG_KEYS[i].path, path, n) == 0 && CFG_KEYS[i].path[n] == '.') return 1;
    return 0;
}

int config_edit_distance(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    if (na > 64 || nb > 64) return 99;
    int d[65][65];
    for (size_t i = 0; i <= na; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= nb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            int sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
    return d[na][nb];
}

static const char *last_component(const char *path) {
    const char *dot = strrchr(path, '.');
    return dot ? dot + 1 : path;
}

/* "did you mean" for an unknown path: a key with the same last component elsewhere (the
 * key is right, the section wrong), else the closest sibling key or group. */
static void suggest(const char *path, char *out, size_t n) {
    out[0] = '\0';
    const char *leaf = last_component(path);
    for (int i = 0; i < CFG_N_KEYS; i++)
        if (strcmp(last_component(CFG_KEYS[i].path), leaf) == 0) {
            snprintf(out, n, "%s", CFG_KEYS[i].path);
            return;
        }
    size_t parent_len = (size_t)(leaf - path);
    int best = 99;
    char cand[CS_NAME_MAX];
    for (int i = 0; i < CFG_N_KEYS; i++) {
        const char *kp = CFG_KEYS[i].path;
        if (strncmp(kp, path, parent_len) != 0) continue;
        /* the sibling name: next component after the parent */
        const char *s = kp + parent_len;
        const char *e = strchr(s, '.');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len >= sizeof cand) continue;
        memcpy(cand, s, len);
        cand[len] = '\0';
        int d = config_edit_distance(leaf, cand);
        if (d < best) {
            best = d;
            snprintf(out, n, "%.*s%s", (int)parent_len, path, cand);
        }
    }
    int limit = (int)strlen(leaf) / 3;
    if (limit < 2) limit = 2;
    if (best > limit) out[0] = '\0';
}

static void where_of(const cfg_source *src, const config_setting_t *s, char *buf, size_t n) {
    if (src->set_arg)
        snprintf(buf, n, "--set %s", src->set_arg);
    else
        cfg_text_where(src->text, s ? src->first_line + (int)config_setting_source_line(s) : 0, buf,
                       n);
}

static void record_origin(cs_config *c, int ki, const cfg_source *src, const config_setting_t *s) {
    cs_config_origin *o = &c->origin;
    if (src->set_arg) {
        o->file[ki] = -2;
        snprintf(o->set_arg[ki], sizeof o->set_arg[ki], "%s", src->set_arg);
        return;
    }
    int line = src->first_line + (int)config_setting_source_line(s);
    const cfg_text *t = src->text;
    if (line < 1 || line > t->n_lines) {
        o->file[ki] = -1;
        return;
    }
    const char *file = t->files[t->line_file[line - 1]];
    int fi = -1;
    for (int i = 0; i < o->n_files; i++)
        if (strcmp(o->files[i], file) == 0) fi = i;
    if (fi < 0 && o->n_files < CFG_MAX_FILES) {
        fi = o->n_files++;
        snprintf(o->files[fi], CS_PATH_MAX, "%s", file);
    }
    o->file[ki] = (short)fi;
    o->line[ki] = t->line_no[line - 1];
}

static const char *type_name(int t) {
    switch (t) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return "an integer";
    case CONFIG_TYPE_FLOAT:
        return "a float";
    case CONFIG_TYPE_STRING:
        return "a string";
    case CONFIG_TYPE_BOOL:
        return "a boolean";
    case CONFIG_TYPE_ARRAY:
        return "an array";
    case CONFIG_TYPE_LIST:
        return "a list";
    case CONFIG_TYPE_GROUP:
        return "a group";
    default:
        return "a value";
    }
}

/* Describe what a key expects, for messages. */
static void expectation(const cfg_key *k, char *buf, size_t n) {
    char names[512] = "";
    if (k->names && k->kind != K_BOOL)
        for (int i = 0; k->names[i]; i++) {
            size_t l = strlen(names);
            snprintf(names + l, sizeof names - l, "%s\"%s\"", i ? ", " : "", k->names[i]);
        }
    switch (k->kind) {
    case K_INT:
        snprintf(buf, n, "an integer in [%.15g, %.15g]", k->lo, k->hi);
        break;
    case K_FLOAT:
        snprintf(buf, n, "a number in [%.15g, %.15g]", k->lo, k->hi);
        break;
    case K_BOOL:
        snprintf(buf, n, "true or false");
        break;
    case K_STRING:
        snprintf(buf, n, "a string");
        break;
    case K_ENUM:
        snprintf(buf, n, "one of %s", names);
        break;
    case K_ENUM_LIST:
        snprintf(buf, n, "a list of distinct names from %s", names);
        break;
    case K_FLOAT_LIST:
        snprintf(buf, n, "a list of numbers in [%g, %g]", k->lo, k->hi);
        break;
    case K_STRING_LIST:
        snprintf(buf, n, "a list of strings");
        break;
    case K_GRID:
        snprintf(buf, n, "{ from = x; to = y; steps = n; } or a list of numbers in [%g, %g]", k->lo,
                 k->hi);
        break;
    case K_XGROUPS:
        snprintf(buf, n, "a list of groups { bits = b; adc_levels = L; cols_per_adc = k; }");
        break;
    }
}

static int bad_value(const cfg_source *src, const config_setting_t *s, const cfg_key *k,
                     const char *got, cs_error *err) {
    char w[CS_PATH_MAX + 64], exp[768];
    where_of(src, s, w, sizeof w);
    expectation(k, exp, sizeof exp);
    return cs_fail(err, CS_ERR_INPUT, "%s: %s: expected %s, got %s", w, k->path, exp, got);
}

/* Read a number setting; is_int tells whether it was written as an integer. */
static int get_number(const config_setting_t *s, double *v, int *is_int) {
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
        *v = config_setting_get_int(s), *is_int = 1;
        return 1;
    case CONFIG_TYPE_INT64:
        *v = (double)config_setting_get_int64(s), *is_int = 1;
        return 1;
    case CONFIG_TYPE_FLOAT:
        *v = config_setting_get_float(s), *is_int = 0;
        return 1;
    default:
        return 0;
    }
}

static int number_in_range(const cfg_key *k, double v) {
    return isfinite(v) && v >= k->lo && v <= k->hi;
}

static void describe_setting(const config_setting_t *s, char *buf, size_t n) {
    double v;
    int is_int;
    if (get_number(s, &v, &is_int))
        snprintf(buf, n, "%.17g", v);
    else if (config_setting_type(s) == CONFIG_TYPE_STRING)
        snprintf(buf, n, "\"%.200s\"", config_setting_get_string(s));
    else if (config_setting_type(s) == CONFIG_TYPE_BOOL)
        snprintf(buf, n, "%s", config_setting_get_bool(s) ? "true" : "false");
    else
        snprintf(buf, n, "%s", type_name(config_setting_type(s)));
}

/* ---------- applying one setting ---------- */

/* libconfig 1.5 silently wraps integers beyond 32 bits (4294967297 reads as 1), so an
 * integer is re-read from its source line: the token after `name =` or `name :`. Returns 1
 * and the value (as a double, exact enough for range checks) when the token is found. */
static int raw_integer(const cfg_source *src, const config_setting_t *s, double *v, char *tok,
                       size_t tok_n) {
    const char *name = config_setting_name(s);
    int line = src->first_line + (int)config_setting_source_line(s);
    const cfg_text *t = src->text;
    if (!name || !t || line < 1 || line > t->n_lines) return 0;
    const char *p = t->buf;
    for (int i = 1; i < line && p; i++) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    if (!p) return 0;
    size_t nl = strlen(name);
    for (const char *q = p; *q && *q != '\n'; q++) {
        if (strncmp(q, name, nl) != 0 || (q > p && (isalnum((unsigned char)q[-1]) || q[-1] == '_')))
            continue;
        const char *r = q + nl;
        while (*r == ' ' || *r == '\t') r++;
        if (*r != '=' && *r != ':') continue;
        r++;
        while (*r == ' ' || *r == '\t') r++;
        size_t n = strspn(r, "+-0123456789abcdefABCDEFxXL");
        if (n == 0 || n >= tok_n) return 0;
        memcpy(tok, r, n);
        tok[n] = '\0';
        if (tok[n - 1] == 'L') tok[n - 1] = '\0';
        char *end;
        errno = 0;
        long long ll = strtoll(tok, &end, 0);
        if (*end != '\0') return 0;
        *v = errno == ERANGE ? (ll < 0 ? -HUGE_VAL : HUGE_VAL) : (double)ll;
        return 1;
    }
    return 0;
}

static int apply_number(cs_config *c, const cfg_key *k, const config_setting_t *s,
                        const cfg_source *src, cs_error *err) {
    double v;
    int is_int;
    char got[256];
    describe_setting(s, got, sizeof got);
    if (get_number(s, &v, &is_int) && is_int) {
        char tok[128];
        if (raw_integer(src, s, &v, tok, sizeof tok))
            snprintf(got, sizeof got, "%s%s", tok, isfinite(v) ? "" : " (too large)");
    }
    if (!get_number(s, &(double){0}, &is_int) || (k->kind == K_INT && !is_int) ||
        !number_in_range(k, v))
        return bad_value(src, s, k, got, err);
    if (k->kind == K_INT)
        *(long *)key_ptr(c, k) = (long)v;
    else
        *(double *)key_ptr(c, k) = v;
    return CS_OK;
}

static int apply_scalar(cs_config *c, const cfg_key *k, const config_setting_t *s,
                        const cfg_source *src, cs_error *err) {
    char got[256];
    describe_setting(s, got, sizeof got);
    int t = config_setting_type(s);
    if (k->kind == K_BOOL) {
        if (t != CONFIG_TYPE_BOOL) return bad_value(src, s, k, got, err);
        *(int *)key_ptr(c, k) = config_setting_get_bool(s);
        return CS_OK;
    }
    if (t != CONFIG_TYPE_STRING) return bad_value(src, s, k, got, err);
    const char *str = config_setting_get_string(s);
    if (k->kind == K_STRING) {
        if (strlen(str) >= CS_PATH_MAX) return bad_value(src, s, k, "a string too long", err);
        snprintf((char *)key_ptr(c, k), CS_PATH_MAX, "%s", str);
        return CS_OK;
    }
    int idx = cs_name_index(k->names, str);
    if (idx < 0) return bad_value(src, s, k, got, err);
    *(int *)key_ptr(c, k) = idx;
    return CS_OK;
}

static int is_sequence(const config_setting_t *s) {
    int t = config_setting_type(s);
    return t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST;
}

static int apply_list(cs_config *c, const cfg_key *k, const config_setting_t *s,
                      const cfg_source *src, cs_error *err) {
    if (!is_sequence(s)) {
        char got[256];
        describe_setting(s, got, sizeof got);
        return bad_value(src, s, k, got, err);
    }
    int n = config_setting_length(s);
    if (n > CS_LIST_MAX) return bad_value(src, s, k, "more than 64 elements", err);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        char got[300];
        describe_setting(e, got, sizeof got);
        double v;
        int is_int;
        if (k->kind == K_FLOAT_LIST) {
            if (!get_number(e, &v, &is_int) || !number_in_range(k, v))
                return bad_value(src, s, k, got, err);
            cs_real_list *l = key_ptr(c, k);
            l->v[i] = v;
            continue;
        }
        if (config_setting_type(e) != CONFIG_TYPE_STRING) return bad_value(src, s, k, got, err);
        const char *str = config_setting_get_string(e);
        if (k->kind == K_STRING_LIST) {
            if (strlen(str) >= CS_NAME_MAX) return bad_value(src, s, k, "a name too long", err);
            snprintf(((cs_name_list *)key_ptr(c, k))->v[i], CS_NAME_MAX, "%s", str);
            continue;
        }
        int idx = cs_name_index(k->names, str);
        cs_int_list *l = key_ptr(c, k);
        for (int j = 0; j < i && idx >= 0; j++)
            if (l->v[j] == idx) return bad_value(src, s, k, "a repeated name", err);
        if (idx < 0) return bad_value(src, s, k, got, err);
        l->v[i] = idx;
    }
    if (k->kind == K_FLOAT_LIST) ((cs_real_list *)key_ptr(c, k))->n = n;
    if (k->kind == K_STRING_LIST) ((cs_name_list *)key_ptr(c, k))->n = n;
    if (k->kind == K_ENUM_LIST) ((cs_int_list *)key_ptr(c, k))->n = n;
    return CS_OK;
}

/* Look up a member of a group by name, checking that only known members are present. */
static int group_members(const config_setting_t *s, const char *const *allowed,
                         const cfg_source *src, const char *path, cs_error *err) {
    int n = config_setting_length(s);
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(s, (unsigned)i);
        const char *name = config_setting_name(m);
        if (cs_name_index(allowed, name) < 0) {
            char w[CS_PATH_MAX + 64], list[256] = "";
            for (int j = 0; allowed[j]; j++) {
                size_t l = strlen(list);
                snprintf(list + l, sizeof list - l, "%s%s", j ? ", " : "", allowed[j]);
            }
            where_of(src, m, w, sizeof w);
            return cs_fail(err, CS_ERR_INPUT, "%s: %s.%s: unknown key, expected one of %s", w, path,
                           name, list);
        }
    }
    return CS_OK;
}

static int apply_grid(cs_config *c, const cfg_key *k, const config_setting_t *s,
                      const cfg_source *src, cs_error *err) {
    sweep_grid g;
    memset(&g, 0, sizeof g);
    char got[256];
    describe_setting(s, got, sizeof got);
    if (config_setting_type(s) == CONFIG_TYPE_GROUP) {
        static const char *const members[] = {"from", "to", "steps", NULL};
        int rc = group_members(s, members, src, k->path, err);
        if (rc) return rc;
        const config_setting_t *f = config_setting_get_member(s, "from");
        const config_setting_t *t = config_setting_get_member(s, "to");
        const config_setting_t *st = config_setting_get_member(s, "steps");
        double from, to, steps;
        int fi, ti, si;
        if (!f || !t || !st) return bad_value(src, s, k, "a group missing from, to or steps", err);
        char tok[128];
        if (get_number(st, &steps, &si) && si) raw_integer(src, st, &steps, tok, sizeof tok);
        if (!get_number(f, &from, &fi) || !get_number(t, &to, &ti) ||
            !get_number(st, &(double){0}, &si) || !si || !number_in_range(k, from) ||
            !number_in_range(k, to) || steps < 1 || steps > SWEEP_GRID_MAX || from > to)
            return bad_value(src, s, k, "a range with bad from/to/steps", err);
        g.kind = GRID_RANGE;
        g.from = from;
        g.to = to;
        g.steps = (long)steps;
        g.n = (int)g.steps;
        for (int i = 0; i < g.n; i++)
            g.v[i] = g.n == 1 ? from : from + (to - from) * (double)i / (double)(g.n - 1);
    } else if (is_sequence(s)) {
        int n = config_setting_length(s);
        if (n > SWEEP_GRID_MAX) return bad_value(src, s, k, "more than 1024 values", err);
        g.kind = n ? GRID_LIST : GRID_NONE;
        g.n = n;
        for (int i = 0; i < n; i++) {
            double v;
            int is_int;
            const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
            describe_setting(e, got, sizeof got);
            if (!get_number(e, &v, &is_int) || !number_in_range(k, v))
                return bad_value(src, s, k, got, err);
            g.v[i] = v;
        }
    } else {
        return bad_value(src, s, k, got, err);
    }
    *(sweep_grid *)key_ptr(c, k) = g;
    return CS_OK;
}

static int apply_groups(cs_config *c, const cfg_key *k, const config_setting_t *s,
                        const cfg_source *src, cs_error *err) {
    static const char *const members[] = {"bits", "adc_levels", "cols_per_adc", NULL};
    char got[256];
    describe_setting(s, got, sizeof got);
    if (!is_sequence(s)) return bad_value(src, s, k, got, err);
    int n = config_setting_length(s);
    if (n < 1 || n > XBAR_MAX_GROUPS) return bad_value(src, s, k, "0 or more than 8 groups", err);
    xbar_params *x = &c->xbar;
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if (config_setting_type(e) != CONFIG_TYPE_GROUP)
            return bad_value(src, e, k, "an element that is not a group", err);
        int rc = group_members(e, members, src, k->path, err);
        if (rc) return rc;
        long vals[3];
        static const double lo[3] = {1, 2, 1}, hi[3] = {16, 1 << 20, 1024};
        for (int m = 0; m < 3; m++) {
            const config_setting_t *ms = config_setting_get_member(e, members[m]);
            double v;
            int is_int;
            char w[CS_PATH_MAX + 64];
            where_of(src, ms ? ms : e, w, sizeof w);
            if (!ms)
                return cs_fail(err, CS_ERR_INPUT, "%s: %s[%d]: missing %s", w, k->path, i,
                               members[m]);
            char tok[128];
            if (get_number(ms, &v, &is_int) && is_int) raw_integer(src, ms, &v, tok, sizeof tok);
            if (!get_number(ms, &(double){0}, &is_int) || !is_int || !(v >= lo[m] && v <= hi[m]))
                return cs_fail(err, CS_ERR_INPUT,
                               "%s: %s[%d].%s: expected an integer in [%.0f, %.0f]", w, k->path, i,
                               members[m], lo[m], hi[m]);
            vals[m] = (long)v;
        }
        for (int j = 0; j < i; j++)
            if (x->groups[j].bits == vals[0])
                return bad_value(src, e, k, "two groups with the same bits", err);
        x->groups[i] = (xbar_group){vals[0], vals[1], vals[2]};
    }
    x->n_groups = n;
    return CS_OK;
}

/* A sweep is a grid in CR or in tau: one document may give one of them; a later document
 * (or --set) giving one replaces the other. */
static int grid_given(cs_config *c, int ki, const config_setting_t *s, const cfg_source *src,
                      cs_error *err) {
    int is_cr = strcmp(CFG_KEYS[ki].path, "sweep.cr") == 0, bit = is_cr ? 1 : 2;
    if (((sweep_grid *)key_ptr(c, &CFG_KEYS[ki]))->kind == GRID_NONE) return CS_OK; /* [] */
    if (src->grids && (*src->grids & (3 - bit))) {
        char w[CS_PATH_MAX + 64];
        where_of(src, s, w, sizeof w);
        return cs_fail(err, CS_ERR_INPUT,
                       "%s: %s: sweep.%s is given too; a sweep is a grid in CR or in tau, not "
                       "both (set the other to [])",
                       w, CFG_KEYS[ki].path, is_cr ? "tau" : "cr");
    }
    if (src->grids) *src->grids |= bit;
    sweep_grid *other = is_cr ? &c->sweep.tau : &c->sweep.cr;
    other->kind = GRID_NONE;
    other->n = 0;
    c->origin.file[key_index(is_cr ? "sweep.tau" : "sweep.cr")] = -1;
    return CS_OK;
}

static int apply_key(cs_config *c, int ki, const config_setting_t *s, const cfg_source *src,
                     cs_error *err) {
    const cfg_key *k = &CFG_KEYS[ki];
    int rc;
    switch (k->kind) {
    case K_INT:
    case K_FLOAT:
        rc = apply_number(c, k, s, src, err);
        break;
    case K_BOOL:
    case K_STRING:
    case K_ENUM:
        rc = apply_scalar(c, k, s, src, err);
        break;
    case K_ENUM_LIST:
    case K_FLOAT_LIST:
    case K_STRING_LIST:
        rc = apply_list(c, k, s, src, err);
        break;
    case K_GRID:
        rc = apply_grid(c, k, s, src, err);
        break;
    default:
        rc = apply_groups(c, k, s, src, err);
        break;
    }
    if (rc == CS_OK) record_origin(c, ki, src, s);
    if (rc == CS_OK && k->kind == K_GRID) rc = grid_given(c, ki, s, src, err);
    return rc;
}

/* Walk a group of the parsed tree, applying known keys and rejecting unknown ones. */
static int apply_group(cs_config *c, const config_setting_t *g, const char *prefix,
                       const cfg_source *src, cs_error *err) {
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        char path[CS_NAME_MAX * 2];
        snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "", config_setting_name(s));
        int ki = key_index(path);
        int rc;
        if (ki >= 0) {
            rc = apply_key(c, ki, s, src, err);
        } else if (is_group_path(path)) {
            if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
                char w[CS_PATH_MAX + 64], got[256];
                where_of(src, s, w, sizeof w);
                describe_setting(s, got, sizeof got);
                return cs_fail(err, CS_ERR_INPUT, "%s: %s: expected a group { ... }, got %s", w,
                               path, got);
            }
            rc = apply_group(c, s, path, src, err);
        } else {
            char w[CS_PATH_MAX + 64], sug[CS_NAME_MAX * 2];
            where_of(src, s, w, sizeof w);
            suggest(path, sug, sizeof sug);
            if (sug[0])
                return cs_fail(err, CS_ERR_INPUT, "%s: unknown key %s (did you mean %s?)", w, path,
                               sug);
            return cs_fail(err, CS_ERR_INPUT, "%s: unknown key %s", w, path);
        }
        if (rc) return rc;
    }
    return CS_OK;
}

/* ---------- defaults ---------- */

static void parse_default_list(cs_config *c, const cfg_key *k) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", k->def_s ? k->def_s : "");
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && n < CS_LIST_MAX;
         tok = strtok_r(NULL, ",", &save), n++) {
        if (k->kind == K_FLOAT_LIST) ((cs_real_list *)key_ptr(c, k))->v[n] = atof(tok);
        if (k->kind == K_STRING_LIST)
            snprintf(((cs_name_list *)key_ptr(c, k))->v[n], CS_NAME_MAX, "%s", tok);
        if (k->kind == K_ENUM_LIST)
            ((cs_int_list *)key_ptr(c, k))->v[n] = cs_name_index(k->names, tok);
    }
    if (k->kind == K_FLOAT_LIST) ((cs_real_list *)key_ptr(c, k))->n = n;
    if (k->kind == K_STRING_LIST) ((cs_name_list *)key_ptr(c, k))->n = n;
    if (k->kind == K_ENUM_LIST) ((cs_int_list *)key_ptr(c, k))->n = n;
}

static void default_grid(cs_config *c, const cfg_key *k) {
    sweep_grid *g = key_ptr(c, k);
    memset(g, 0, sizeof *g);
    double from, to;
    long steps;
    if (k->def_s && sscanf(k->def_s, "%lf,%lf,%ld", &from, &to, &steps) == 3) {
        g->kind = GRID_RANGE;
        g->from = from;
        g->to = to;
        g->steps = steps;
        g->n = (int)steps;
        for (int i = 0; i < g->n; i++)
            g->v[i] = g->n == 1 ? from : from + (to - from) * (double)i / (double)(g->n - 1);
    }
}

static void default_groups(cs_config *c, const cfg_key *k) {
    xbar_params *x = &c->xbar;
    x->n_groups = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", k->def_s);
    for (char *save = NULL, *tok = strtok_r(buf, ";", &save); tok && x->n_groups < XBAR_MAX_GROUPS;
         tok = strtok_r(NULL, ";", &save)) {
        xbar_group *g = &x->groups[x->n_groups++];
        sscanf(tok, "%ld,%ld,%ld", &g->bits, &g->adc_levels, &g->cols_per_adc);
    }
}

void config_defaults(cs_config *c) {
    memset(c, 0, sizeof *c);
    for (int i = 0; i < CFG_N_KEYS; i++) {
        const cfg_key *k = &CFG_KEYS[i];
        c->origin.file[i] = -1;
        switch (k->kind) {
        case K_INT:
            *(long *)key_ptr(c, k) = (long)k->def;
            break;
        case K_FLOAT:
            *(double *)key_ptr(c, k) = k->def;
            break;
        case K_BOOL:
        case K_ENUM:
            *(int *)key_ptr(c, k) = (int)k->def;
            break;
        case K_STRING:
            snprintf((char *)key_ptr(c, k), CS_PATH_MAX, "%s", k->def_s);
            break;
        case K_GRID:
            default_grid(c, k);
            break;
        case K_XGROUPS:
            default_groups(c, k);
            break;
        default:
            parse_default_list(c, k);
            break;
        }
    }
}

/* ---------- loading ---------- */

/* Parse one document of the text and apply it. */
static int apply_segment(cs_config *c, const cfg_text *t, int k, const char *set_arg,
                         cs_error *err) {
    int first, grids = 0;
    char *doc = cfg_text_segment(t, k, &first);
    if (!doc) return cs_fail(err, CS_ERR_RUNTIME, "out of memory");
    config_t lc;
    config_init(&lc);
    int rc = CS_OK;
    if (config_read_string(&lc, doc) != CONFIG_TRUE) {
        char w[CS_PATH_MAX + 64];
        if (set_arg) {
            rc = cs_fail(err, CS_ERR_INPUT,
                         "--set %s: cannot read the value (strings in quotes, lists as [a, b], "
                         "groups as { k = v; })",
                         set_arg);
        } else {
            cfg_text_where(t, first + config_error_line(&lc), w, sizeof w);
            rc = cs_fail(err, CS_ERR_INPUT, "%s: syntax error: %s", w, config_error_text(&lc));
        }
    } else {
        cfg_source src = {t, set_arg, first, &grids};
        rc = apply_group(c, config_root_setting(&lc), "", &src, err);
    }
    config_destroy(&lc);
    free(doc);
    return rc;
}

/* Every document in order: later settings override earlier ones. */
static int apply_text(cs_config *c, const cfg_text *t, const char *set_arg, cs_error *err) {
    int rc = CS_OK;
    for (int k = 0; k < t->n_segments && rc == CS_OK; k++)
        rc = apply_segment(c, t, k, set_arg, err);
    return rc;
}

static int load_cfg_text(cfg_text *t, const char *name, cs_config *c, cs_error *err) {
    config_defaults(c);
    snprintf(c->origin.main_file, CS_PATH_MAX, "%s", name);
    int rc = apply_text(c, t, NULL, err);
    if (rc == CS_OK) rc = config_validate(c, err);
    cfg_text_free(t);
    return rc;
}

int config_load(const char *path, cs_config *c, cs_error *err) {
    cfg_text t;
    int rc = cfg_text_read(&t, path, err);
    if (rc) {
        cfg_text_free(&t);
        config_defaults(c);
        return rc;
    }
    return load_cfg_text(&t, path, c, err);
}

int config_load_text(const char *text, const char *name, cs_config *c, cs_error *err) {
    cfg_text t;
    int rc = cfg_text_from_string(&t, text, name, err);
    if (rc) {
        cfg_text_free(&t);
        return rc;
    }
    return load_cfg_text(&t, name, c, err);
}

/* Quote a bare word for string keys, so `--set sensitivity.method=magnitude` works. */
static void set_value_text(const cfg_key *k, const char *value, char *out, size_t n) {
    int bare = value[0] != '"' && (k->kind == K_STRING || k->kind == K_ENUM);
    if (!bare) {
        snprintf(out, n, "%s", value);
        return;
    }
    size_t j = 0;
    out[j++] = '"';
    for (const char *p = value; *p && j + 3 < n; p++) {
        if (*p == '"' || *p == '\\') out[j++] = '\\';
        out[j++] = *p;
    }
    out[j++] = '"';
    out[j] = '\0';
}

int config_set(cs_config *c, const char *assignment, cs_error *err) {
    const char *eq = strchr(assignment, '=');
    char key[CS_NAME_MAX * 2];
    if (!eq || eq == assignment || (size_t)(eq - assignment) >= sizeof key)
        return cs_fail(err, CS_ERR_INPUT, "--set %s: expected KEY=VALUE", assignment);
    memcpy(key, assignment, (size_t)(eq - assignment));
    key[eq - assignment] = '\0';
    int ki = key_index(key);
    if (ki < 0) {
        char sug[CS_NAME_MAX * 2];
        suggest(key, sug, sizeof sug);
        if (sug[0])
            return cs_fail(err, CS_ERR_INPUT, "--set %s: unknown key %s (did you mean %s?)",
                           assignment, key, sug);
        return cs_fail(err, CS_ERR_INPUT, "--set %s: unknown key %s", assignment, key);
    }
    /* nest "a.b.c=V" into "a = { b = { c = V; }; };" and parse it with libconfig */
    size_t cap = strlen(assignment) * 2 + 512;
    char *text = cs_alloc(cap, 1, err), *val = cs_alloc(cap, 1, err);
    if (!text || !val) {
        free(text);
        free(val);
        return CS_ERR_RUNTIME;
    }
    set_value_text(&CFG_KEYS[ki], eq + 1, val, cap);
    size_t len = 0;
    int depth = 0;
    char parts[CS_NAME_MAX * 2];
    snprintf(parts, sizeof parts, "%s", key);
    char *save = NULL, *tok = strtok_r(parts, ".", &save);
    while (tok) {
        char *next = strtok_r(NULL, ".", &save);
        if (next) {
            len += (size_t)snprintf(text + len, cap - len, "%s = { ", tok);
            depth++;
        } else {
            len += (size_t)snprintf(text + len, cap - len, "%s = %s;", tok, val);
        }
        tok = next;
    }
    for (int d = 0; d < depth; d++) len += (size_t)snprintf(text + len, cap - len, " };");
    cfg_text t;
    int rc = cfg_text_from_string(&t, text, "--set", err);
    free(text);
    free(val);
    if (rc == CS_OK) rc = apply_text(c, &t, assignment, err);
    cfg_text_free(&t);
    return rc;
}

int config_key_is_set(const cs_config *c, const char *key) {
    int ki = key_index(key);
    return ki >= 0 && c->origin.file[ki] != -1;
}

void config_where(const cs_config *c, const char *key, char *buf, int n) {
    int ki = key_index(key);
    if (ki < 0 || c->origin.file[ki] == -1)
        snprintf(buf, (size_t)n, "%s", c->origin.main_file[0] ? c->origin.main_file : "(defaults)");
    else if (c->origin.file[ki] == -2)
        snprintf(buf, (size_t)n, "--set %s", c->origin.set_arg[ki]);
    else
        snprintf(buf, (size_t)n, "%s:%d", c->origin.files[c->origin.file[ki]], c->origin.line[ki]);
}

/* ---------- canonical form ---------- */

static int by_path(const void *a, const void *b) {
    return strcmp(CFG_KEYS[*(const int *)a].path, CFG_KEYS[*(const int *)b].path);
}

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int failed;
} sbuf;

static void sb_printf(sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#include <stdarg.h>
static void sb_printf(sbuf *s, const char *fmt, ...) {
    if (s->failed) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(s->p + s->len, s->cap - s->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            s->failed = 1;
            return;
        }
        if ((size_t)n < s->cap - s->len) {
            s->len += (size_t)n;
            return;
        }
        size_t cap = s->cap * 2 + (size_t)n + 64;
        char *q = realloc(s->p, cap);
        if (!q) {
            s->failed = 1;
            return;
        }
        s->p = q;
        s->cap = cap;
    }
}

/* Shortest %g form that reads back to the same double, always with a '.' or exponent so
 * libconfig reads it as a float. */
static void fmt_double(double v, char *buf, size_t n) {
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    if (!strpbrk(buf, ".eEn")) {
        size_t l = strlen(buf);
        snprintf(buf + l, n - l, ".0");
    }
}

static void sb_string(sbuf *s, const char *str) {
    sb_printf(s, "\"");
    for (const char *p = str; *p; p++) {
        if (*p == '"' || *p == '\\')
            sb_printf(s, "\\%c", *p);
        else if (*p == '\n')
            sb_printf(s, "\\n");
        else if (*p == '\t')
            sb_printf(s, "\\t");
        else
            sb_printf(s, "%c", *p);
    }
    sb_printf(s, "\"");
}

static void print_grid(sbuf *s, const sweep_grid *g) {
    char a[64], b[64];
    if (g->kind == GRID_RANGE) {
        fmt_double(g->from, a, sizeof a);
        fmt_double(g->to, b, sizeof b);
        sb_printf(s, "{ from = %s; steps = %ld; to = %s; }", a, g->steps, b);
        return;
    }
    sb_printf(s, "[");
    for (int i = 0; i < g->n; i++) {
        fmt_double(g->v[i], a, sizeof a);
        sb_printf(s, "%s%s", i ? ", " : "", a);
    }
    sb_printf(s, "]");
}

static void print_value(sbuf *s, const cs_config *c, const cfg_key *k, int indent) {
    const void *p = key_cptr(c, k);
    char num[64];
    switch (k->kind) {
    case K_INT:
        sb_printf(s, "%ld", *(const long *)p);
        break;
    case K_FLOAT:
        fmt_double(*(const double *)p, num, sizeof num);
        sb_printf(s, "%s", num);
        break;
    case K_BOOL:
        sb_printf(s, "%s", *(const int *)p ? "true" : "false");
        break;
    case K_STRING:
        sb_string(s, (const char *)p);
        break;
    case K_ENUM:
        sb_string(s, k->names[*(const int *)p]);
        break;
    case K_ENUM_LIST: {
        const cs_int_list *l = p;
        sb_printf(s, "[");
        for (int i = 0; i < l->n; i++) {
            sb_printf(s, "%s", i ? ", " : "");
            sb_string(s, k->names[l->v[i]]);
        }
        sb_printf(s, "]");
        break;
    }
    case K_FLOAT_LIST: {
        const cs_real_list *l = p;
        sb_printf(s, "[");
        for (int i = 0; i < l->n; i++) {
            fmt_double(l->v[i], num, sizeof num);
            sb_printf(s, "%s%s", i ? ", " : "", num);
        }
        sb_printf(s, "]");
        break;
    }
    case K_STRING_LIST: {
        const cs_name_list *l = p;
        sb_printf(s, "[");
        for (int i = 0; i < l->n; i++) {
            sb_printf(s, "%s", i ? ", " : "");
            sb_string(s, l->v[i]);
        }
        sb_printf(s, "]");
        break;
    }
    case K_GRID:
        print_grid(s, p);
        break;
    case K_XGROUPS: {
        const xbar_params *x = &c->xbar;
        sb_printf(s, "(");
        for (int i = 0; i < x->n_groups; i++)
            sb_printf(s, "%s\n%*s{ adc_levels = %ld; bits = %ld; cols_per_adc = %ld; }",
                      i ? "," : "", indent + 2, "", x->groups[i].adc_levels, x->groups[i].bits,
                      x->groups[i].cols_per_adc);
        sb_printf(s, " )");
        break;
    }
    }
}

/* Number of leading path components two dotted paths share. */
static int common_groups(const char *a, const char *b) {
    int n = 0;
    for (;;) {
        const char *da = strchr(a, '.'), *db = strchr(b, '.');
        if (!da || !db || da - a != db - b || strncmp(a, b, (size_t)(da - a)) != 0) return n;
        n++;
        a = da + 1;
        b = db + 1;
    }
}

static int path_depth(const char *p) {
    int n = 0;
    for (; *p; p++) n += *p == '.';
    return n;
}

char *config_canonical(const cs_config *c, int with_output, cs_error *err) {
    int order[CFG_MAX_KEYS], n = 0;
    for (int i = 0; i < CFG_N_KEYS; i++)
        if (with_output || strncmp(CFG_KEYS[i].path, "output.", 7) != 0) order[n++] = i;
    qsort(order, (size_t)n, sizeof order[0], by_path);
    sbuf s = {malloc(4096), 0, 4096, 0};
    if (!s.p) {
        cs_fail(err, CS_ERR_RUNTIME, "out of memory");
        return NULL;
    }
    s.p[0] = '\0';
    sb_printf(&s, "# cimsweep canonical configuration\n");
    const char *prev = "";
    for (int i = 0; i < n; i++) {
        const char *path = CFG_KEYS[order[i]].path;
        int keep = common_groups(prev, path), open = path_depth(prev);
        for (int d = open; d > keep; d--) sb_printf(&s, "%*s};\n", 2 * (d - 1), "");
        /* open the groups of path beyond the shared ones */
        const char *q = path;
        for (int d = 0; d < path_depth(path); d++) {
            const char *dot = strchr(q, '.');
            if (d >= keep) sb_printf(&s, "%*s%.*s = {\n", 2 * d, "", (int)(dot - q), q);
            q = dot + 1;
        }
        sb_printf(&s, "%*s%s = ", 2 * path_depth(path), "", q);
        print_value(&s, c, &CFG_KEYS[order[i]], 2 * path_depth(path));
        sb_printf(&s, ";\n");
        prev = path;
    }
    for (int d = path_depth(prev); d > 0; d--) sb_printf(&s, "%*s};\n", 2 * (d - 1), "");
    if (s.failed) {
        free(s.p);
        cs_fail(err, CS_ERR_RUNTIME, "out of memory");
        return NULL;
    }
    return s.p;
}

int config_hash(const cs_config *c, char hex[65], cs_error *err) {
    /* where the model file lies does not change results: its contents are hashed apart */
    cs_config *tmp = malloc(sizeof *tmp);
    if (!tmp) return cs_fail(err, CS_ERR_RUNTIME, "out of memory");
    *tmp = *c;
    if (tmp->model.file[0]) snprintf(tmp->model.file, sizeof tmp->model.file, "(file)");
    char *text = config_canonical(tmp, 0, err);
    free(tmp);
    if (!text) return CS_ERR_RUNTIME;
    sha256_hex(text, strlen(text), hex);
    free(text);
    return CS_OK;
}

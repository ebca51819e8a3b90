/* cimsweep merge: join the shard results of one run id (job arrays) into one file, checking
 * that every candidate is present exactly once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "cli/cli.h"
#include "io/results_file.h"

/* Add the rows of shard s into out, refusing duplicates. */
static int take_rows(results *out, const results *s, const char *path, cs_error *err) {
    long nb = (s->n_strips + 7) / 8;
    uint8_t *bits = cs_alloc((size_t)s->n_strips + 1, 1, err);
    if (!bits) return CS_ERR_RUNTIME;
    int rc = CS_OK;
    for (long i = 0; i < s->n_rows && rc == CS_OK; i++) {
        const sweep_row *w = &s->rows[i];
        if (results_find(out, w->index) >= 0) {
            rc = cs_fail(err, CS_ERR_INPUT, "%s: candidate %lld is also in another shard", path,
                         (long long)w->index);
            break;
        }
        const uint8_t *a = s->assign + i * nb;
        for (long b = 0; b < s->n_strips; b++)
            bits[b] = (a[b / 8] >> (b % 8) & 1) ? (uint8_t)w->high : (uint8_t)w->low;
        rc = results_add(out, w, s->layers + i * s->n_layers, bits, w->high, err);
    }
    free(bits);
    return rc;
}

/* Every fixed candidate present, every dynamic search finished (its chosen row present). */
static int check_complete(const results *r, cs_error *err) {
    for (long i = 0; i < r->fixed; i++)
        if (results_find(r, i) < 0)
            return cs_fail(err, CS_ERR_INPUT, "candidate %ld is missing from every shard", i);
    for (long k = 0; k < r->searches; k++) {
        int chosen = 0;
        for (long i = 0; i < r->n_rows; i++)
            chosen |= r->rows[i].chosen && (r->rows[i].index - r->fixed) / r->max_steps == k;
        if (!chosen)
            return cs_fail(err, CS_ERR_INPUT, "dynamic search %ld did not finish in any shard", k);
    }
    return CS_OK;
}

static int merge(const cli_opts *o, results *out, cs_error *err) {
    const char *dst = o->positional[0];
    if (access(dst, F_OK) == 0)
        return cs_fail(err, CS_ERR_INPUT, "%s exists; merge writes a new file", dst);
    int rc = CS_OK;
    for (int i = 1; i < o->n_positional && rc == CS_OK; i++) {
        results s;
        if ((rc = results_read(o->positional[i], &s, err))) break;
        if (i == 1) {
            *out = s; /* the first shard is the base: config, sensitivity, tables */
            out->shard_k = out->shard_n = 0;
            continue;
        }
        if (strcmp(s.run_id, out->run_id) != 0)
            rc = cs_fail(err, CS_ERR_INPUT, "%s: run id %.12s differs from %s's %.12s",
                         o->positional[i], s.run_id, o->positional[1], out->run_id);
        if (rc == CS_OK) rc = take_rows(out, &s, o->positional[i], err);
        results_free(&s);
    }
    if (rc == CS_OK) rc = check_complete(out, err);
    if (rc == CS_OK) rc = results_write(dst, out, err);
    return rc;
}

int cmd_merge(int argc, char **argv) {
    cli_opts o;
    int rc = cli_parse("merge", argc, argv, OPT_JSON, &o);
    if (rc) return rc;
    if (o.help) return cli_help("merge");
    if (o.n_positional < 2) return cli_usage_error("merge", "expected OUT.h5 SHARD.h5...");
    results out;
    memset(&out, 0, sizeof out);
    cs_error err;
    cs_error_clear(&err);
    rc = merge(&o, &out, &err);
    if (rc == CS_OK && o.json) {
        json_writer w;
        json_begin(&w, stdout);
        json_object_begin(&w);
        json_kv_string(&w, "output", o.positional[0]);
        json_kv_string(&w, "run_id", out.run_id);
        json_kv_int(&w, "shards", o.n_positional - 1);
        json_kv_int(&w, "candidates", out.n_rows);
        json_object_end(&w);
        json_end(&w);
    } else if (rc == CS_OK) {
        printf("merged %d shards into %s: %ld candidates of run %.12s\n", o.n_positional - 1,
               o.positional[0], out.n_rows, out.run_id);
    }
    results_free(&out);
    return rc == CS_OK ? 0 : cli_error("merge", &err);
}

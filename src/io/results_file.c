/* Results files: in-memory rows, atomic HDF5 writes, validated reads. */
#include "io/results_file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/h5util.h"
#include "sweep/schedule.h"

/* ---- compound types ---- */

enum { F_I32, F_I64, F_F64 };

typedef struct field {
    const char *name;
    size_t off;
    int type;
} field;

static const field ROW_FIELDS[] = {
    {"index", offsetof(sweep_row, index), F_I64},
    {"kind", offsetof(sweep_row, kind), F_I32},
    {"method", offsetof(sweep_row, method), F_I32},
    {"align", offsetof(sweep_row, align), F_I32},
    {"bits_high", offsetof(sweep_row, high), F_I32},
    {"bits_low", offsetof(sweep_row, low), F_I32},
    {"step", offsetof(sweep_row, step), F_I32},
    {"chosen", offsetof(sweep_row, chosen), F_I32},
    {"aligned", offsetof(sweep_row, aligned), F_I32},
    {"status", offsetof(sweep_row, status), F_I32},
    {"rank", offsetof(sweep_row, rank), F_I32},
    {"tau", offsetof(sweep_row, tau), F_F64},
    {"cr_target", offsetof(sweep_row, cr_target), F_F64},
    {"cr_actual", offsetof(sweep_row, cr_actual), F_F64},
    {"size_ratio", offsetof(sweep_row, size_ratio), F_F64},
    {"top1", offsetof(sweep_row, top1), F_F64},
    {"top5", offsetof(sweep_row, top5), F_F64},
    {"loss", offsetof(sweep_row, loss), F_F64},
    {"hw_top1", offsetof(sweep_row, hw_top1), F_F64},
    {"fim_distance", offsetof(sweep_row, fim_distance), F_F64},
    {"energy_j", offsetof(sweep_row, energy_j), F_F64},
    {"energy_adc_j", offsetof(sweep_row, energy_adc_j), F_F64},
    {"energy_accum_j", offsetof(sweep_row, energy_accum_j), F_F64},
    {"energy_other_j", offsetof(sweep_row, energy_other_j), F_F64},
    {"latency_s", offsetof(sweep_row, latency_s), F_F64},
    {"util_high", offsetof(sweep_row, util_high), F_F64},
    {"util_low", offsetof(sweep_row, util_low), F_F64},
    {"util_all", offsetof(sweep_row, util_all), F_F64},
    {"util_before_align", offsetof(sweep_row, util_before_align), F_F64},
    {"xbars_high", offsetof(sweep_row, xbars_high), F_I64},
    {"xbars_low", offsetof(sweep_row, xbars_low), F_I64},
    {"wall_s", offsetof(sweep_row, wall_s), F_F64},
};

static const field LAYER_FIELDS[] = {
    {"index", offsetof(sweep_layer_row, index), F_I64},
    {"layer", offsetof(sweep_layer_row, layer), F_I32},
    {"strips", offsetof(sweep_layer_row, strips), F_I64},
    {"low_strips", offsetof(sweep_layer_row, low_strips), F_I64},
    {"xbars_high", offsetof(sweep_layer_row, xbars_high), F_I64},
    {"xbars_low", offsetof(sweep_layer_row, xbars_low), F_I64},
    {"cr", offsetof(sweep_layer_row, cr), F_F64},
    {"util", offsetof(sweep_layer_row, util), F_F64},
    {"energy_j", offsetof(sweep_layer_row, energy_j), F_F64},
    {"latency_s", offsetof(sweep_layer_row, latency_s), F_F64},
};

static hid_t compound(const field *f, int n, size_t size) {
    hid_t t = H5Tcreate(H5T_COMPOUND, size);
    for (int i = 0; i < n; i++) {
        hid_t mt = f[i].type == F_I32   ? H5T_NATIVE_INT32
                   : f[i].type == F_I64 ? H5T_NATIVE_INT64
                                        : H5T_NATIVE_DOUBLE;
        H5Tinsert(t, f[i].name, f[i].off, mt);
    }
    return t;
}

static int write_table(hid_t f, const char *name, const field *fields, int nf, size_t size,
                       const void *data, long n) {
    hsize_t dims = (hsize_t)n;
    hid_t t = compound(fields, nf, size), sp = H5Screate_simple(1, &dims, NULL), lcpl = h5_lcpl();
    hid_t d = H5Dcreate2(f, name, t, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    int bad = d < 0 || (n > 0 && H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0);
    if (d >= 0) H5Dclose(d);
    H5Pclose(lcpl);
    H5Sclose(sp);
    H5Tclose(t);
    return bad ? CS_ERR_RUNTIME : CS_OK;
}

static int read_table(hid_t f, const char *path, const char *name, const field *fields, int nf,
                      size_t size, void *data, long n, cs_error *err) {
    long have = h5_count(f, name);
    if (have != n)
        return cs_fail(err, CS_ERR_INPUT, "%s: %s has %ld rows, expected %ld (truncated?)", path,
                       name, have, n);
    if (n == 0) return CS_OK;
    hid_t t = compound(fields, nf, size), d = H5Dopen2(f, name, H5P_DEFAULT);
    int bad = d < 0 || H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0;
    if (d >= 0) H5Dclose(d);
    H5Tclose(t);
    return bad ? cs_fail(err, CS_ERR_INPUT, "%s: cannot read %s", path, name) : CS_OK;
}

/* ---- in memory ---- */

int results_init(results *r, int n_layers, long n_strips, cs_error *err) {
    memset(r, 0, sizeof *r);
    r->n_layers = n_layers;
    r->n_strips = n_strips;
    r->cap = 16;
    r->rows = cs_alloc((size_t)r->cap, sizeof *r->rows, err);
    r->layers = cs_alloc((size_t)(r->cap * n_layers), sizeof *r->layers, err);
    r->assign = cs_alloc((size_t)(r->cap * ((n_strips + 7) / 8)), 1, err);
    return r->rows && r->layers && r->assign ? CS_OK : CS_ERR_RUNTIME;
}

void results_free(results *r) {
    free(r->config_text);
    sens_result_free(&r->sens);
    for (int m = 0; m < 4; m++) free(r->omega[m]);
    free(r->rows);
    free(r->layers);
    free(r->assign);
    free(r->front_energy);
    free(r->front_latency);
    memset(r, 0, sizeof *r);
}

long results_find(const results *r, long index) {
    for (long i = 0; i < r->n_rows; i++)
        if (r->rows[i].index == index) return i;
    return -1;
}

int results_add(results *r, const sweep_row *row, const sweep_layer_row *layers,
                const uint8_t *bits, int high, cs_error *err) {
    long at = results_find(r, row->index), nb = (r->n_strips + 7) / 8;
    if (at < 0) {
        if (r->n_rows == r->cap) {
            long cap = r->cap * 2;
            sweep_row *rows = cs_realloc(r->rows, (size_t)cap, sizeof *rows, err);
            if (!rows) return CS_ERR_RUNTIME;
            r->rows = rows;
            sweep_layer_row *ls =
                cs_realloc(r->layers, (size_t)(cap * r->n_layers), sizeof *ls, err);
            if (!ls) return CS_ERR_RUNTIME;
            r->layers = ls;
            uint8_t *as = cs_realloc(r->assign, (size_t)(cap * nb), 1, err);
            if (!as) return CS_ERR_RUNTIME;
            r->assign = as;
            r->cap = cap;
        }
        at = r->n_rows++;
    }
    r->rows[at] = *row;
    memcpy(r->layers + at * r->n_layers, layers, sizeof *layers * (size_t)r->n_layers);
    uint8_t *a = r->assign + at * nb;
    memset(a, 0, (size_t)nb);
    for (long s = 0; s < r->n_strips; s++)
        if (bits[s] == high) a[s / 8] |= (uint8_t)(1u << (s % 8));
    return CS_OK;
}

long results_total(const results *r) {
    sweep_plan p = {NULL, r->fixed, NULL, r->searches, NULL,
                    NULL, NULL,     NULL, r->shard_k,  r->shard_n};
    long total = 0;
    for (long i = 0; i < r->fixed; i++) total += sweep_in_shard(&p, i, r->max_steps);
    for (long k = 0; k < r->searches; k++) {
        if (!sweep_in_shard(&p, r->fixed + k, r->max_steps)) continue;
        long steps = r->max_steps;
        for (long i = 0; i < r->n_rows; i++) {
            const sweep_row *w = &r->rows[i];
            if (w->kind == CAND_DYNAMIC && w->chosen && (w->index - r->fixed) / r->max_steps == k) {
                steps = 0;
                for (long j = 0; j < r->n_rows; j++)
                    if (r->rows[j].kind == CAND_DYNAMIC &&
                        (r->rows[j].index - r->fixed) / r->max_steps == k)
                        steps++;
            }
        }
        total += steps;
    }
    return total;
}

int results_pareto(results *r, cs_error *err) {
    free(r->front_energy);
    free(r->front_latency);
    r->front_energy = cs_alloc((size_t)r->n_rows + 1, sizeof(long), err);
    r->front_latency = cs_alloc((size_t)r->n_rows + 1, sizeof(long), err);
    if (!r->front_energy || !r->front_latency) return CS_ERR_RUNTIME;
    r->n_front_energy = sweep_pareto(r->rows, r->n_rows, 0, r->front_energy);
    r->n_front_latency = sweep_pareto(r->rows, r->n_rows, 1, r->front_latency);
    sweep_reference(r->rows, r->n_rows, 0, &r->ref_top1, &r->ref_energy);
    sweep_reference(r->rows, r->n_rows, 1, &r->ref_top1, &r->ref_latency);
    r->hv_energy = sweep_hypervolume(r->rows, r->front_energy, r->n_front_energy, 0, r->ref_top1,
                                     r->ref_energy);
    r->hv_latency = sweep_hypervolume(r->rows, r->front_latency, r->n_front_latency, 1, r->ref_top1,
                                      r->ref_latency);
    return CS_OK;
}

/* ---- writing ---- */

static int by_index(const void *a, const void *b, void *rows) {
    const sweep_row *r = rows;
    long x = *(const long *)a, y = *(const long *)b;
    return (r[x].index > r[y].index) - (r[x].index < r[y].index);
}

/* Row positions sorted by candidate index (insertion sort: rows arrive almost in order). */
static void sorted_order(const results *r, long *order) {
    for (long i = 0; i < r->n_rows; i++) {
        long j = i;
        order[i] = i;
        while (j > 0 && by_index(&order[j - 1], &order[j], r->rows) > 0) {
            long t = order[j - 1];
            order[j - 1] = order[j];
            order[j] = t;
            j--;
        }
    }
}

static int write_attrs(hid_t f, const results *r) {
    int rc = h5_attr_write_str(f, "format", RESULTS_FORMAT);
    rc |= h5_attr_write_long(f, "format_version", RESULTS_FORMAT_VERSION);
    rc |= h5_attr_write_str(f, "run_id", r->run_id);
    rc |= h5_attr_write_str(f, "config_hash", r->config_hash);
    rc |= h5_attr_write_str(f, "model_sha256", r->model_sha);
    rc |= h5_attr_write_str(f, "model_file", r->model_file);
    rc |= h5_attr_write_long(f, "fixed_candidates", r->fixed);
    rc |= h5_attr_write_long(f, "dynamic_searches", r->searches);
    rc |= h5_attr_write_long(f, "dynamic_max_steps", r->max_steps);
    rc |= h5_attr_write_long(f, "shard", r->shard_k);
    rc |= h5_attr_write_long(f, "shards", r->shard_n);
    rc |= h5_attr_write_long(f, "candidates_total", results_total(r));
    rc |= h5_attr_write_long(f, "candidates_done", r->n_rows);
    return rc;
}

static int write_rows(hid_t f, const results *r, cs_error *err) {
    long n = r->n_rows, nb = (r->n_strips + 7) / 8;
    long *order = cs_alloc((size_t)n + 1, sizeof *order, err);
    sweep_row *rows = cs_alloc((size_t)n + 1, sizeof *rows, err);
    sweep_layer_row *ls = cs_alloc((size_t)(n * r->n_layers) + 1, sizeof *ls, err);
    uint8_t *as = cs_alloc((size_t)(n * nb) + 1, 1, err);
    int rc = order && rows && ls && as ? CS_OK : CS_ERR_RUNTIME;
    if (rc == CS_OK) {
        sorted_order(r, order);
        for (long i = 0; i < n; i++) {
            rows[i] = r->rows[order[i]];
            memcpy(ls + i * r->n_layers, r->layers + order[i] * r->n_layers,
                   sizeof *ls * (size_t)r->n_layers);
            memcpy(as + i * nb, r->assign + order[i] * nb, (size_t)nb);
        }
        rc = write_table(f, "sweep/candidates", ROW_FIELDS,
                         (int)(sizeof ROW_FIELDS / sizeof *ROW_FIELDS), sizeof(sweep_row), rows, n);
        rc |= write_table(f, "sweep/per_layer", LAYER_FIELDS,
                          (int)(sizeof LAYER_FIELDS / sizeof *LAYER_FIELDS),
                          sizeof(sweep_layer_row), ls, n * r->n_layers);
        hsize_t dims[2] = {(hsize_t)n, (hsize_t)nb};
        rc |= h5_write_u8(f, "sweep/assignment", 2, dims, as);
        hid_t d = H5Dopen2(f, "sweep/candidates", H5P_DEFAULT);
        if (d >= 0) {
            rc |= h5_attr_write_str(d, "kind_names", "cr,tau,dynamic,hap");
            rc |= h5_attr_write_str(d, "method_names", "hutchinson,activation,magnitude,random");
            rc |= h5_attr_write_str(d, "align_names", "none,down,nearest");
            H5Dclose(d);
        }
    }
    free(order), free(rows), free(ls), free(as);
    return rc;
}

static int write_pareto(hid_t f, const results *r) {
    int64_t *idx = calloc((size_t)(r->n_front_energy + r->n_front_latency + 1), sizeof *idx);
    if (!idx) return CS_ERR_RUNTIME;
    hsize_t ne = (hsize_t)r->n_front_energy, nl = (hsize_t)r->n_front_latency;
    for (long i = 0; i < r->n_front_energy; i++) idx[i] = r->rows[r->front_energy[i]].index;
    int rc = h5_write_i64(f, "pareto/index", 1, &ne, idx);
    for (long i = 0; i < r->n_front_latency; i++) idx[i] = r->rows[r->front_latency[i]].index;
    rc |= h5_write_i64(f, "pareto/latency_index", 1, &nl, idx);
    free(idx);
    hid_t g = H5Gopen2(f, "pareto", H5P_DEFAULT);
    if (g < 0) return CS_ERR_RUNTIME;
    rc |= h5_attr_write_double(g, "hypervolume_energy", r->hv_energy);
    rc |= h5_attr_write_double(g, "hypervolume_latency", r->hv_latency);
    rc |= h5_attr_write_double(g, "reference_top1", r->ref_top1);
    rc |= h5_attr_write_double(g, "reference_energy_j", r->ref_energy);
    rc |= h5_attr_write_double(g, "reference_latency_s", r->ref_latency);
    H5Gclose(g);
    return rc;
}

int results_write(const char *path, results *r, cs_error *err) {
    char tmp[CS_PATH_MAX + 32];
    h5_temp_name(path, tmp, sizeof tmp);
    int rc = results_pareto(r, err);
    hid_t f;
    if (rc == CS_OK) rc = h5_create(tmp, &f, err);
    if (rc) return rc;
    rc = write_attrs(f, r);
    if (rc == CS_OK && r->config_text) rc = h5_write_text(f, "config", r->config_text);
    if (rc == CS_OK) rc = sens_write_groups(f, &r->sens, &r->sens_org, err);
    hsize_t ns = (hsize_t)r->n_strips;
    for (int m = 0; m < 4 && rc == CS_OK; m++)
        if (r->omega[m]) {
            char name[64];
            snprintf(name, sizeof name, "sensitivity/omega_%s", SENS_METHOD_NAMES[m]);
            rc = h5_write_f64(f, name, 1, &ns, r->omega[m]);
        }
    if (rc == CS_OK) rc = write_rows(f, r, err);
    if (rc == CS_OK) rc = write_pareto(f, r);
    if (H5Fclose(f) < 0) rc = CS_ERR_RUNTIME;
    if (rc) {
        unlink(tmp);
        return cs_fail(err, CS_ERR_RUNTIME, "%s: cannot write the results file", path);
    }
    return h5_commit_file(tmp, path, err);
}

/* ---- reading ---- */

static int read_attrs(hid_t f, const char *path, results *r, cs_error *err) {
    char fmt[64] = "";
    long ver = 0, shard = 0, shards = 0;
    if (h5_attr_read_str(f, "format", fmt, sizeof fmt, path, err) ||
        strcmp(fmt, RESULTS_FORMAT) != 0)
        return cs_fail(err, CS_ERR_INPUT, "%s: not a cimsweep results file", path);
    if (h5_attr_read_long(f, "format_version", &ver, path, err) || ver != RESULTS_FORMAT_VERSION)
        return cs_fail(err, CS_ERR_INPUT, "%s: results format version %ld, expected %d", path, ver,
                       RESULTS_FORMAT_VERSION);
    int rc = h5_attr_read_str(f, "run_id", r->run_id, sizeof r->run_id, path, err);
    if (!rc)
        rc = h5_attr_read_str(f, "config_hash", r->config_hash, sizeof r->config_hash, path, err);
    if (!rc) rc = h5_attr_read_str(f, "model_sha256", r->model_sha, sizeof r->model_sha, path, err);
    if (!rc) rc = h5_attr_read_str(f, "model_file", r->model_file, sizeof r->model_file, path, err);
    if (!rc) rc = h5_attr_read_long(f, "fixed_candidates", &r->fixed, path, err);
    if (!rc) rc = h5_attr_read_long(f, "dynamic_searches", &r->searches, path, err);
    if (!rc) rc = h5_attr_read_long(f, "dynamic_max_steps", &r->max_steps, path, err);
    if (!rc) rc = h5_attr_read_long(f, "shard", &shard, path, err);
    if (!rc) rc = h5_attr_read_long(f, "shards", &shards, path, err);
    r->shard_k = (int)shard;
    r->shard_n = (int)shards;
    if (!rc && (r->fixed < 0 || r->searches < 0 || r->max_steps < 1))
        rc = cs_fail(err, CS_ERR_INPUT, "%s: implausible candidate counts", path);
    return rc;
}

int results_read(const char *path, results *r, cs_error *err) {
    memset(r, 0, sizeof *r);
    hid_t f;
    int rc = h5_open_read(path, &f, err);
    if (rc) return rc;
    results tmp;
    memset(&tmp, 0, sizeof tmp);
    rc = read_attrs(f, path, &tmp, err);
    sens_result sens;
    sens_origin org;
    memset(&sens, 0, sizeof sens);
    if (rc == CS_OK) rc = sens_read_groups(f, path, &sens, &org, err);
    if (rc == CS_OK) rc = results_init(r, sens.strips.n_layers, sens.strips.n_strips, err);
    if (rc == CS_OK) {
        memcpy(r->run_id, tmp.run_id, sizeof r->run_id);
        memcpy(r->config_hash, tmp.config_hash, sizeof r->config_hash);
        memcpy(r->model_sha, tmp.model_sha, sizeof r->model_sha);
        memcpy(r->model_file, tmp.model_file, sizeof r->model_file);
        r->fixed = tmp.fixed, r->searches = tmp.searches, r->max_steps = tmp.max_steps;
        r->shard_k = tmp.shard_k, r->shard_n = tmp.shard_n;
        r->sens = sens;
        r->sens_org = org;
        memset(&sens, 0, sizeof sens);
        rc = h5_read_text(f, "config", &r->config_text, path, err);
    }
    long n = rc == CS_OK ? h5_count(f, "sweep/candidates") : -1;
    if (rc == CS_OK && n < 0)
        rc = cs_fail(err, CS_ERR_INPUT, "%s: /sweep/candidates is missing", path);
    long nb = (r->n_strips + 7) / 8;
    if (rc == CS_OK && n > r->cap) {
        r->cap = n;
        free(r->rows), free(r->layers), free(r->assign);
        r->rows = cs_alloc((size_t)n, sizeof *r->rows, err);
        r->layers = cs_alloc((size_t)(n * r->n_layers), sizeof *r->layers, err);
        r->assign = cs_alloc((size_t)(n * nb), 1, err);
        if (!r->rows || !r->layers || !r->assign) rc = CS_ERR_RUNTIME;
    }
    if (rc == CS_OK)
        rc = read_table(f, path, "sweep/candidates", ROW_FIELDS,
                        (int)(sizeof ROW_FIELDS / sizeof *ROW_FIELDS), sizeof(sweep_row), r->rows,
                        n, err);
    if (rc == CS_OK)
        rc = read_table(f, path, "sweep/per_layer", LAYER_FIELDS,
                        (int)(sizeof LAYER_FIELDS / sizeof *LAYER_FIELDS), sizeof(sweep_layer_row),
                        r->layers, n * r->n_layers, err);
    if (rc == CS_OK)
        rc = h5_read(f, "sweep/assignment", H5T_NATIVE_UINT8, r->assign, n * nb, path, err);
    for (int m = 0; m < 4 && rc == CS_OK; m++) {
        char name[64];
        snprintf(name, sizeof name, "sensitivity/omega_%s", SENS_METHOD_NAMES[m]);
        if (h5_count(f, name) < 0) continue;
        r->omega[m] = cs_alloc((size_t)r->n_strips, sizeof(double), err);
        rc = r->omega[m] ? h5_read(f, name, H5T_NATIVE_DOUBLE, r->omega[m], r->n_strips, path, err)
                         : CS_ERR_RUNTIME;
    }
    if (rc == CS_OK) r->n_rows = n;
    for (long i = 0; rc == CS_OK && i < n; i++)
        if (r->rows[i].index < 0 || r->rows[i].index >= r->fixed + r->searches * r->max_steps)
            rc = cs_fail(err, CS_ERR_INPUT, "%s: candidate index %lld out of range", path,
                         (long long)r->rows[i].index);
    H5Fclose(f);
    sens_result_free(&sens);
    if (rc) results_free(r);
    return rc;
}

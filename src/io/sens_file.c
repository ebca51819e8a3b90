/* Sensitivity results in HDF5. */
#include "io/sens_file.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/hash.h"
#include "io/h5util.h"

/* One row of /model/layers. */
typedef struct layer_row {
    char name[64];
    int64_t qidx, C, M, K, stride, H, W, Ho, Wo, strips, strip_offset;
} layer_row;

/* The int64 columns of /model/layers after the name. */
static const struct {
    const char *name;
    size_t off;
} LAYER_COLUMNS[] = {
    {"qidx", offsetof(layer_row, qidx)},
    {"C", offsetof(layer_row, C)},
    {"M", offsetof(layer_row, M)},
    {"K", offsetof(layer_row, K)},
    {"stride", offsetof(layer_row, stride)},
    {"H", offsetof(layer_row, H)},
    {"W", offsetof(layer_row, W)},
    {"Ho", offsetof(layer_row, Ho)},
    {"Wo", offsetof(layer_row, Wo)},
    {"strips", offsetof(layer_row, strips)},
    {"strip_offset", offsetof(layer_row, strip_offset)},
};

static hid_t layer_type(void) {
    hid_t s = H5Tcopy(H5T_C_S1);
    H5Tset_size(s, 64);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(layer_row));
    H5Tinsert(t, "name", HOFFSET(layer_row, name), s);
    for (size_t i = 0; i < sizeof LAYER_COLUMNS / sizeof LAYER_COLUMNS[0]; i++)
        H5Tinsert(t, LAYER_COLUMNS[i].name, LAYER_COLUMNS[i].off, H5T_NATIVE_INT64);
    H5Tclose(s);
    return t;
}

void sens_cache_key(const char *model_sha, const sens_opts *o, const data_opts *d, char key[65]) {
    char buf[4096];
    snprintf(buf, sizeof buf,
             "alg %d|model %s|method %d|partition %d|calib %ld|batch %ld|min %ld|max %ld|"
             "tol %.17g|seed %ld|data %d|%s|%ld|%ld %ld %ld %ld %ld",
             SENS_ALGORITHM_VERSION, model_sha, o->method, o->partition, o->calib_samples, o->batch,
             o->min_probes, o->max_probes, o->tol, o->seed, d->kind, d->path, d->seed,
             d->synthetic.channels, d->synthetic.size, d->synthetic.classes, d->synthetic.train,
             d->synthetic.test);
    sha256_hex(buf, strlen(buf), key);
}

static int write_layers(hid_t f, const sens_strips *st) {
    layer_row *rows = calloc((size_t)st->n_layers + 1, sizeof *rows);
    if (!rows) return CS_ERR_RUNTIME;
    for (int q = 0; q < st->n_layers; q++) {
        const sens_layer *l = &st->layers[q];
        snprintf(rows[q].name, sizeof rows[q].name, "%s", l->name);
        rows[q] = (layer_row){"",   q,    l->C,  l->M,  l->K,      l->stride,
                              l->H, l->W, l->Ho, l->Wo, l->strips, l->strip_off};
        snprintf(rows[q].name, sizeof rows[q].name, "%s", l->name);
    }
    hsize_t n = (hsize_t)st->n_layers;
    hid_t t = layer_type(), sp = H5Screate_simple(1, &n, NULL), lcpl = h5_lcpl();
    hid_t d = H5Dcreate2(f, "model/layers", t, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    int rc = d < 0 || H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) < 0;
    if (d >= 0) H5Dclose(d);
    H5Pclose(lcpl);
    H5Sclose(sp);
    H5Tclose(t);
    free(rows);
    return rc ? CS_ERR_RUNTIME : CS_OK;
}

static int read_layers(hid_t f, const char *path, sens_strips *st, cs_error *err) {
    long n = h5_count(f, "model/layers");
    if (n < 1) return cs_fail(err, CS_ERR_INPUT, "%s: /model/layers is missing", path);
    layer_row *rows = calloc((size_t)n, sizeof *rows);
    st->layers = calloc((size_t)n, sizeof *st->layers);
    if (!rows || !st->layers) {
        free(rows);
        return cs_fail(err, CS_ERR_RUNTIME, "out of memory");
    }
    hid_t t = layer_type(), d = H5Dopen2(f, "model/layers", H5P_DEFAULT);
    int bad = d < 0 || H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) < 0;
    if (d >= 0) H5Dclose(d);
    H5Tclose(t);
    long off = 0;
    for (long q = 0; q < n && !bad; q++) {
        sens_layer *l = &st->layers[q];
        layer_row *r = &rows[q];
        snprintf(l->name, sizeof l->name, "%s", r->name);
        *l = (sens_layer){"",         (int)r->qidx,   (int)r->C, (int)r->M,
                          (int)r->K,  (int)r->stride, (int)r->H, (int)r->W,
                          (int)r->Ho, (int)r->Wo,     r->strips, r->strip_offset,
                          0};
        snprintf(l->name, sizeof l->name, "%s", r->name);
        if (r->strips != r->M * r->K * r->K || r->strip_offset != off || r->C < 1) bad = 1;
        off += r->strips;
    }
    free(rows);
    st->n_layers = (int)n;
    st->n_strips = off;
    if (bad) return cs_fail(err, CS_ERR_INPUT, "%s: /model/layers is inconsistent", path);
    return CS_OK;
}

int sens_write_groups(hid_t f, const sens_result *r, const sens_origin *org, cs_error *err) {
    const sens_strips *st = &r->strips;
    int rc = write_layers(f, st);
    hsize_t ns = (hsize_t)st->n_strips, nl = (hsize_t)st->n_layers;
    hsize_t hist[2] = {nl, (hsize_t)r->max_probes};
    int64_t *probes = calloc(nl + 1, sizeof *probes);
    if (!probes) return cs_fail(err, CS_ERR_RUNTIME, "out of memory");
    for (hsize_t q = 0; q < nl; q++) probes[q] = r->probes[q];
    rc |= h5_write_f64(f, "sensitivity/trace", 1, &ns, r->trace);
    rc |= h5_write_f64(f, "sensitivity/stderr", 1, &ns, r->stderr_);
    rc |= h5_write_f64(f, "sensitivity/omega", 1, &ns, r->omega);
    rc |= h5_write_i64(f, "sensitivity/probes", 1, &nl, probes);
    rc |= h5_write_f64(f, "sensitivity/layer_trace", 1, &nl, r->layer_trace);
    rc |= h5_write_f64(f, "sensitivity/history", 2, hist, r->history);
    free(probes);
    hid_t g = H5Gopen2(f, "sensitivity", H5P_DEFAULT);
    if (g < 0) return cs_fail(err, CS_ERR_RUNTIME, "cannot write /sensitivity");
    const sens_opts *o = &org->opts;
    rc |= h5_attr_write_str(g, "method", SENS_METHOD_NAMES[r->method]);
    rc |= h5_attr_write_str(g, "partition", SENS_PARTITION_NAMES[r->partition]);
    rc |= h5_attr_write_double(g, "tol", o->tol);
    rc |= h5_attr_write_long(g, "seed", o->seed);
    rc |= h5_attr_write_long(g, "calib_samples", o->calib_samples);
    rc |= h5_attr_write_long(g, "batch", o->batch);
    rc |= h5_attr_write_long(g, "min_probes", o->min_probes);
    rc |= h5_attr_write_long(g, "max_probes", o->max_probes);
    rc |= h5_attr_write_double(g, "seconds", r->seconds);
    rc |= h5_attr_write_str(g, "model_sha256", org->model_sha);
    rc |= h5_attr_write_str(g, "cache_key", org->key);
    H5Gclose(g);
    return rc ? cs_fail(err, CS_ERR_RUNTIME, "cannot write the sensitivity groups") : CS_OK;
}

static int read_attrs(hid_t g, const char *path, sens_result *r, sens_origin *org, cs_error *err) {
    char method[32], part[32];
    sens_opts *o = &org->opts;
    int rc = h5_attr_read_str(g, "method", method, sizeof method, path, err);
    if (!rc) rc = h5_attr_read_str(g, "partition", part, sizeof part, path, err);
    if (!rc) rc = h5_attr_read_double(g, "tol", &o->tol, path, err);
    if (!rc) rc = h5_attr_read_long(g, "seed", &o->seed, path, err);
    if (!rc) rc = h5_attr_read_long(g, "calib_samples", &o->calib_samples, path, err);
    if (!rc) rc = h5_attr_read_long(g, "batch", &o->batch, path, err);
    if (!rc) rc = h5_attr_read_long(g, "min_probes", &o->min_probes, path, err);
    if (!rc) rc = h5_attr_read_long(g, "max_probes", &o->max_probes, path, err);
    if (!rc) rc = h5_attr_read_double(g, "seconds", &r->seconds, path, err);
    if (!rc)
        rc = h5_attr_read_str(g, "model_sha256", org->model_sha, sizeof org->model_sha, path, err);
    if (!rc) rc = h5_attr_read_str(g, "cache_key", org->key, sizeof org->key, path, err);
    if (rc) return rc;
    r->method = o->method = cs_name_index(SENS_METHOD_NAMES, method);
    r->partition = o->partition = cs_name_index(SENS_PARTITION_NAMES, part);
    if (r->method < 0 || r->partition < 0 || o->max_probes < 1 || o->max_probes > 1000000)
        return cs_fail(err, CS_ERR_INPUT, "%s: /sensitivity attributes are not valid", path);
    return CS_OK;
}

int sens_read_groups(hid_t f, const char *path, sens_result *r, sens_origin *org, cs_error *err) {
    memset(org, 0, sizeof *org);
    sens_strips st;
    memset(&st, 0, sizeof st);
    int rc = read_layers(f, path, &st, err);
    if (rc) {
        sens_strips_free(&st);
        return rc;
    }
    hid_t g = H5Gopen2(f, "sensitivity", H5P_DEFAULT);
    if (g < 0) {
        sens_strips_free(&st);
        return cs_fail(err, CS_ERR_INPUT, "%s: /sensitivity is missing", path);
    }
    sens_result tmp;
    memset(&tmp, 0, sizeof tmp);
    rc = read_attrs(g, path, &tmp, org, err);
    H5Gclose(g);
    if (rc == CS_OK) rc = sens_result_alloc(r, &st, org->opts.max_probes, err);
    sens_strips_free(&st);
    if (rc) return rc;
    r->method = tmp.method;
    r->partition = tmp.partition;
    r->seconds = tmp.seconds;
    long ns = r->strips.n_strips, nl = r->strips.n_layers;
    int64_t *probes = calloc((size_t)nl, sizeof *probes);
    if (!probes) return cs_fail(err, CS_ERR_RUNTIME, "out of memory");
    rc = h5_read(f, "sensitivity/trace", H5T_NATIVE_DOUBLE, r->trace, ns, path, err);
    if (!rc) rc = h5_read(f, "sensitivity/stderr", H5T_NATIVE_DOUBLE, r->stderr_, ns, path, err);
    if (!rc) rc = h5_read(f, "sensitivity/omega", H5T_NATIVE_DOUBLE, r->omega, ns, path, err);
    if (!rc) rc = h5_read(f, "sensitivity/probes", H5T_NATIVE_INT64, probes, nl, path, err);
    if (!rc)
        rc =
            h5_read(f, "sensitivity/layer_trace", H5T_NATIVE_DOUBLE, r->layer_trace, nl, path, err);
    if (!rc)
        rc = h5_read(f, "sensitivity/history", H5T_NATIVE_DOUBLE, r->history, nl * r->max_probes,
                     path, err);
    for (long q = 0; q < nl; q++) r->probes[q] = probes[q];
    free(probes);
    return rc;
}

int sens_file_write(const char *path, const sens_result *r, const sens_origin *org, cs_error *err) {
    char tmp[CS_PATH_MAX + 32];
    h5_temp_name(path, tmp, sizeof tmp);
    hid_t f;
    int rc = h5_create(tmp, &f, err);
    if (rc) return rc;
    rc = h5_attr_write_str(f, "format", SENS_FORMAT);
    rc |= h5_attr_write_long(f, "format_version", SENS_FORMAT_VERSION);
    if (rc == CS_OK) rc = sens_write_groups(f, r, org, err);
    if (H5Fclose(f) < 0) rc = CS_ERR_RUNTIME;
    if (rc) {
        unlink(tmp);
        return cs_fail(err, CS_ERR_RUNTIME, "%s: cannot write the sensitivity file", path);
    }
    return h5_commit_file(tmp, path, err);
}

int sens_file_read(const char *path, sens_result *r, sens_origin *org, cs_error *err) {
    hid_t f;
    int rc = h5_open_read(path, &f, err);
    if (rc) return rc;
    char fmt[64] = "";
    long ver = 0;
    if (h5_attr_read_str(f, "format", fmt, sizeof fmt, path, err) || strcmp(fmt, SENS_FORMAT) != 0)
        rc = cs_fail(err, CS_ERR_INPUT, "%s: not a cimsweep sensitivity file", path);
    else if (h5_attr_read_long(f, "format_version", &ver, path, err) || ver != SENS_FORMAT_VERSION)
        rc = cs_fail(err, CS_ERR_INPUT, "%s: sensitivity format version %ld, expected %d", path,
                     ver, SENS_FORMAT_VERSION);
    if (rc == CS_OK) rc = sens_read_groups(f, path, r, org, err);
    H5Fclose(f);
    if (rc) sens_result_free(r);
    return rc;
}

int sens_check_match(const char *path, const sens_result *r, const sens_origin *org,
                     const nn_net *net, const char *model_sha, cs_error *err) {
    if (strcmp(org->model_sha, model_sha) != 0)
        return cs_fail(err, CS_ERR_INPUT,
                       "%s: computed for another model (model hash %.12s, this model %.12s)", path,
                       org->model_sha, model_sha);
    const sens_strips *st = &r->strips;
    if (st->n_layers != net->n_q)
        return cs_fail(err, CS_ERR_INPUT, "%s: %d layers, this model has %d", path, st->n_layers,
                       net->n_q);
    for (int q = 0; q < st->n_layers; q++) {
        const nn_layer *l = &net->layers[net->qlayer[q]];
        const sens_layer *s = &st->layers[q];
        if (strcmp(s->name, l->name) != 0 || s->C != l->C || s->M != l->M || s->K != l->K)
            return cs_fail(err, CS_ERR_INPUT, "%s: layer %d is %s (%dx%dx%d), this model has %s",
                           path, q, s->name, s->M, s->C, s->K, l->name);
    }
    return CS_OK;
}

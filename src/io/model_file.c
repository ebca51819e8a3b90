/* HDF5 model files. */
#include "io/model_file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/h5util.h"

static int write_attrs(hid_t f, const nn_net *net, const model_meta *m) {
    int rc = h5_attr_write_str(f, "format", MODEL_FORMAT);
    rc |= h5_attr_write_long(f, "format_version", MODEL_FORMAT_VERSION);
    rc |= h5_attr_write_str(f, "arch", NN_ARCH_NAMES[net->arch]);
    rc |= h5_attr_write_double(f, "width", net->width);
    rc |= h5_attr_write_long(f, "in_channels", net->in_c);
    rc |= h5_attr_write_long(f, "in_height", net->in_h);
    rc |= h5_attr_write_long(f, "in_width", net->in_w);
    rc |= h5_attr_write_long(f, "classes", net->classes);
    rc |= h5_attr_write_str(f, "dataset", m->dataset);
    rc |= h5_attr_write_long(f, "epochs", m->epochs);
    rc |= h5_attr_write_double(f, "test_top1", m->test_top1);
    rc |= h5_attr_write_double(f, "train_seconds", m->train_seconds);
    rc |= h5_attr_write_str(f, "producer", m->producer);
    return rc;
}

static int write_model(const char *path, const nn_net *net, const model_meta *meta,
                       const train_state *st, cs_error *err) {
    char tmp[CS_PATH_MAX + 32];
    h5_temp_name(path, tmp, sizeof tmp);
    hid_t f;
    int rc = h5_create(tmp, &f, err);
    if (rc) return rc;
    rc = write_attrs(f, net, meta);
    if (st && rc == CS_OK) {
        hsize_t n = (hsize_t)net->p_total;
        rc = h5_write_f32(f, "train/velocity", 1, &n, st->velocity);
        rc |= h5_attr_write_long(f, "epochs_done", st->epochs_done);
        rc |= h5_attr_write_double(f, "train_seconds_so_far", st->seconds);
        rc |= h5_attr_write_str(f, "config_hash", st->config_hash);
    }
    for (int i = 0; i < net->n_params && rc == CS_OK; i++) {
        const nn_param *p = &net->params[i];
        hsize_t dims[4];
        for (int d = 0; d < p->ndim; d++) dims[d] = (hsize_t)p->shape[d];
        char name[CS_NAME_MAX + 16];
        snprintf(name, sizeof name, "params/%s", p->name);
        rc = h5_write_f32(f, name, p->ndim, dims, p->data);
    }
    if (H5Fclose(f) < 0) rc = CS_ERR_RUNTIME;
    if (rc) {
        unlink(tmp);
        return cs_fail(err, CS_ERR_RUNTIME, "%s: cannot write the model file", tmp);
    }
    return h5_commit_file(tmp, path, err);
}

int model_write(const char *path, const nn_net *net, const model_meta *meta, cs_error *err) {
    return write_model(path, net, meta, NULL, err);
}

int checkpoint_write(const char *path, const nn_net *net, const model_meta *meta,
                     const train_state *st, cs_error *err) {
    return write_model(path, net, meta, st, err);
}

int checkpoint_read(const char *path, nn_net *net, train_state *st, cs_error *err) {
    nn_net tmp;
    model_meta meta;
    int rc = model_read(path, &tmp, &meta, err);
    if (rc) return rc;
    if (tmp.arch != net->arch || tmp.p_total != net->p_total) {
        nn_free(&tmp);
        return cs_fail(err, CS_ERR_INPUT, "%s: checkpoint of a %s, the config builds a %s", path,
                       NN_ARCH_NAMES[tmp.arch], NN_ARCH_NAMES[net->arch]);
    }
    nn_copy_params(net, &tmp);
    nn_free(&tmp);
    hid_t f;
    if ((rc = h5_open_read(path, &f, err))) return rc;
    rc = h5_read(f, "train/velocity", H5T_NATIVE_FLOAT, st->velocity, net->p_total, path, err);
    if (rc == CS_OK) rc = h5_attr_read_long(f, "epochs_done", &st->epochs_done, path, err);
    if (rc == CS_OK) rc = h5_attr_read_double(f, "train_seconds_so_far", &st->seconds, path, err);
    if (rc == CS_OK)
        rc = h5_attr_read_str(f, "config_hash", st->config_hash, sizeof st->config_hash, path, err);
    H5Fclose(f);
    return rc;
}

typedef struct extra_ctx {
    nn_net *net;
    char bad[CS_NAME_MAX];
} extra_ctx;

/* Visit /params members: any name the network does not have (other than PyTorch's
 * num_batches_tracked counters) means the file belongs to another architecture. */
static herr_t check_extra(hid_t g, const char *name, const H5L_info_t *info, void *data) {
    (void)g, (void)info;
    extra_ctx *x = data;
    size_t n = strlen(name), k = strlen(".num_batches_tracked");
    if (n > k && strcmp(name + n - k, ".num_batches_tracked") == 0) return 0;
    if (!nn_find_param(x->net, name)) {
        snprintf(x->bad, sizeof x->bad, "%s", name);
        return 1;
    }
    return 0;
}

static int read_arch(hid_t f, const char *path, nn_net *net, model_meta *m, cs_error *err) {
    char fmt[64], arch[64];
    long ver, c, h, w, classes;
    double width;
    int rc = h5_attr_read_str(f, "format", fmt, sizeof fmt, path, err);
    if (rc == CS_OK && strcmp(fmt, MODEL_FORMAT) != 0)
        return cs_fail(err, CS_ERR_INPUT, "%s: format is '%s', expected a %s file", path, fmt,
                       MODEL_FORMAT);
    if (rc) return cs_fail(err, CS_ERR_INPUT, "%s: not a cimsweep model file (no 'format')", path);
    if ((rc = h5_attr_read_long(f, "format_version", &ver, path, err))) return rc;
    if (ver != MODEL_FORMAT_VERSION)
        return cs_fail(err, CS_ERR_INPUT, "%s: model format version %ld, expected %d", path, ver,
                       MODEL_FORMAT_VERSION);
    if ((rc = h5_attr_read_str(f, "arch", arch, sizeof arch, path, err)) ||
        (rc = h5_attr_read_double(f, "width", &width, path, err)) ||
        (rc = h5_attr_read_long(f, "in_channels", &c, path, err)) ||
        (rc = h5_attr_read_long(f, "in_height", &h, path, err)) ||
        (rc = h5_attr_read_long(f, "in_width", &w, path, err)) ||
        (rc = h5_attr_read_long(f, "classes", &classes, path, err)))
        return rc;
    int a = cs_name_index(NN_ARCH_NAMES, arch);
    if (a < 0) return cs_fail(err, CS_ERR_INPUT, "%s: unknown architecture '%s'", path, arch);
    if (c < 1 || c > 64 || h < 4 || h > 4096 || w < 4 || w > 4096 || classes < 2 || classes > 256 ||
        !(width > 0 && width <= 64))
        return cs_fail(err, CS_ERR_INPUT, "%s: implausible architecture attributes", path);
    memset(m, 0, sizeof *m);
    m->test_top1 = NAN;
    h5_attr_read_str(f, "dataset", m->dataset, sizeof m->dataset, path, err);
    h5_attr_read_long(f, "epochs", &m->epochs, path, err);
    h5_attr_read_double(f, "test_top1", &m->test_top1, path, err);
    h5_attr_read_double(f, "train_seconds", &m->train_seconds, path, err);
    h5_attr_read_str(f, "producer", m->producer, sizeof m->producer, path, err);
    cs_error_clear(err);
    rc = nn_build(net, a, width, (int)c, (int)h, (int)w, (int)classes, err);
    return rc ? cs_wrap(err, "%s: ", path) : CS_OK;
}

int model_read(const char *path, nn_net *net, model_meta *meta, cs_error *err) {
    hid_t f;
    int rc = h5_open_read(path, &f, err);
    if (rc) return rc;
    memset(net, 0, sizeof *net);
    rc = read_arch(f, path, net, meta, err);
    for (int i = 0; i < net->n_params && rc == CS_OK; i++) {
        nn_param *p = &net->params[i];
        char name[CS_NAME_MAX + 16];
        snprintf(name, sizeof name, "params/%s", p->name);
        rc = h5_read(f, name, H5T_NATIVE_FLOAT, p->data, p->size, path, err);
        for (long j = 0; j < p->size && rc == CS_OK; j++)
            if (!isfinite(p->data[j]))
                rc = cs_fail(err, CS_ERR_INPUT, "%s: parameter %s holds a non-finite value", path,
                             p->name);
    }
    if (rc == CS_OK) {
        extra_ctx x = {net, ""};
        hid_t g = H5Gopen2(f, "params", H5P_DEFAULT);
        if (g >= 0) {
            H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, check_extra, &x);
            H5Gclose(g);
        }
        if (x.bad[0])
            rc =
                cs_fail(err, CS_ERR_INPUT, "%s: parameter '%s' does not belong to a %s of width %g",
                        path, x.bad, NN_ARCH_NAMES[net->arch], net->width);
    }
    H5Fclose(f);
    if (rc) nn_free(net);
    return rc;
}

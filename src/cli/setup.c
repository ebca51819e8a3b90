/* Loading the data and model of a config. */
#include "cli/setup.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int setup_data(const cs_config *cfg, int split, data_set *d, cs_error *err) {
    return data_load(&cfg->data, split, d, err);
}

int setup_fresh_model(const cs_config *cfg, const data_set *d, nn_net *net, model_meta *meta,
                      cs_error *err) {
    int rc = nn_build(net, cfg->model.arch, cfg->model.width, d->c, d->h, d->w, d->classes, err);
    if (rc) return rc;
    nn_init_weights(net, (uint64_t)cfg->train.seed);
    memset(meta, 0, sizeof *meta);
    snprintf(meta->dataset, sizeof meta->dataset, "%s", DATA_KIND_NAMES[d->kind]);
    meta->test_top1 = NAN;
    snprintf(meta->producer, sizeof meta->producer, "fresh %s (seed %ld)",
             NN_ARCH_NAMES[cfg->model.arch], cfg->train.seed);
    return CS_OK;
}

int setup_model(const cs_config *cfg, const data_set *d, nn_net *net, model_meta *meta,
                cs_error *err) {
    if (!cfg->model.file[0]) return setup_fresh_model(cfg, d, net, meta, err);
    int rc = model_read(cfg->model.file, net, meta, err);
    if (rc) return rc;
    if (net->in_c != d->c || net->in_h != d->h || net->in_w != d->w || net->classes != d->classes) {
        cs_fail(err, CS_ERR_INPUT,
                "%s: the model takes %dx%dx%d images and %d classes, but data.kind = \"%s\" has "
                "%dx%dx%d images and %d classes",
                cfg->model.file, net->in_c, net->in_h, net->in_w, net->classes,
                DATA_KIND_NAMES[d->kind], d->c, d->h, d->w, d->classes);
        nn_free(net);
        return CS_ERR_INPUT;
    }
    return CS_OK;
}

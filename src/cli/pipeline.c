/* Shared set-up of `sweep` and `eval`. */
#include "cli/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"

int pipeline_model(pipeline *p, const cs_config *cfg, cs_comm *comm, cs_error *err) {
    memset(p, 0, sizeof *p);
    p->cfg = cfg;
    p->comm = comm;
    nn_set_threads(1);
    int rc = setup_data(cfg, DATA_TRAIN, &p->train, err);
    if (rc == CS_OK) rc = setup_data(cfg, DATA_TEST, &p->test, err);
    if (rc == CS_OK) rc = setup_model(cfg, &p->train, &p->net, &p->meta, err);
    if (rc == CS_OK) rc = stage_model_hash(cfg, &p->net, p->sha, err);
    return rc;
}

/* Sensitivities of the requested methods, on a network planned for the R-operator. */
static int sensitivities(pipeline *p, const pipeline_opts *o, cs_error *err) {
    const cs_config *c = p->cfg;
    unsigned plan = NN_PLAN_R | (c->sensitivity.partition == SENS_PART_MODEL ? NN_PLAN_GRAD : 0);
    nn_net snet;
    int rc = nn_build(&snet, p->net.arch, p->net.width, p->net.in_c, p->net.in_h, p->net.in_w,
                      p->net.classes, err);
    if (rc) return rc;
    nn_copy_params(&snet, &p->net);
    rc = nn_plan(&snet, (int)c->sensitivity.batch, plan, err);
    for (int m = 0; m < 4 && rc == CS_OK; m++) {
        if (!o->need[m]) continue;
        int cached;
        rc = stage_sensitivity(c, m, &snet, &p->train, p->comm, p->sha, o->sens_path, o->no_cache,
                               o->quiet, &p->sens[m], &p->org[m], &cached, err);
        p->have[m] = rc == CS_OK;
        if (rc == CS_OK) {
            p->env.omega[m] = p->sens[m].omega;
            p->env.trace[m] = p->sens[m].trace;
            p->env.strips = &p->sens[m].strips;
        }
    }
    nn_free(&snet);
    return rc;
}

/* Evaluation images (data.eval_samples of the test set) and activation calibration images
 * (quant.act_calib_samples of the training set), both chosen by data.seed. */
static int image_sets(pipeline *p, cs_error *err) {
    const cs_config *c = p->cfg;
    p->test_idx = cs_alloc((size_t)p->test.n, sizeof(long), err);
    p->calib_idx = cs_alloc((size_t)p->train.n, sizeof(long), err);
    if (!p->test_idx || !p->calib_idx) return CS_ERR_RUNTIME;
    int rc = data_subset(&p->test, c->data.eval_samples, (uint64_t)c->data.seed, RNG_SUBSET,
                         p->test_idx, &p->n_test, err);
    if (rc == CS_OK)
        rc = data_subset(&p->train, c->quant.act_calib_samples, (uint64_t)c->data.seed, RNG_CALIB,
                         p->calib_idx, &p->n_calib, err);
    return rc;
}

int pipeline_prepare(pipeline *p, const pipeline_opts *o, cs_error *err) {
    const cs_config *c = p->cfg;
    sweep_env *e = &p->env;
    int rc = sensitivities(p, o, err);
    if (rc == CS_OK && !e->strips)
        rc = cs_fail(err, CS_ERR_RUNTIME, "no sensitivity method requested");
    if (rc == CS_OK) rc = image_sets(p, err);
    int batch = 128 > c->fim.batch ? 128 : (int)c->fim.batch;
    long pix = (long)p->train.c * p->train.h * p->train.w;
    if (rc == CS_OK) {
        e->x = cs_alloc((size_t)(batch * pix), sizeof(float), err);
        e->y = cs_alloc((size_t)batch, 1, err);
        e->excl = cs_alloc((size_t)e->strips->n_strips + 1, 1, err);
        if (!e->x || !e->y || !e->excl) rc = CS_ERR_RUNTIME;
    }
    if (rc == CS_OK)
        rc = nn_build(&p->work, p->net.arch, p->net.width, p->net.in_c, p->net.in_h, p->net.in_w,
                      p->net.classes, err);
    if (rc == CS_OK) rc = nn_plan(&p->work, batch, NN_PLAN_GRAD, err);
    if (rc == CS_OK) rc = nn_plan(&p->net, (int)c->fim.batch, NN_PLAN_GRAD, err);
    if (rc == CS_OK) rc = xbar_layers_from_net(&p->net, &e->xl, &e->n_xl, err);
    if (rc == CS_OK) rc = quant_excluded(&p->net, &c->quant, e->excl, err);
    if (rc) return rc;
    e->so = &c->sweep;
    e->qo = &c->quant;
    e->hw = &c->xbar;
    e->fo = &c->fim;
    e->net = &p->net;
    e->work = &p->work;
    e->train = &p->train;
    e->test = &p->test;
    e->test_idx = p->test_idx;
    e->n_test = p->n_test;
    e->n_functional = p->n_test < 512 ? p->n_test : 512;
    e->calib_idx = p->calib_idx;
    e->n_calib = p->n_calib;
    e->comm = p->comm;
    e->comm_self = comm_serial();
    e->quiet = o->quiet;
    e->skip_fim = !o->fisher;
    if (!o->fisher) return CS_OK;
    if (!o->quiet && p->comm->rank == 0)
        fprintf(stderr, "[sweep] Fisher information of the float model (%ld samples, %s)\n",
                c->fim.samples, FIM_KIND_NAMES[c->fim.kind]);
    return fim_compute(&p->net, &p->train, &c->fim, p->comm, &e->fim_ref, err);
}

void pipeline_take_sens(pipeline *p, int method, sens_result *out) {
    *out = p->sens[method];
    memset(&p->sens[method], 0, sizeof p->sens[method]);
}

void pipeline_close(pipeline *p) {
    for (int m = 0; m < 4; m++) sens_result_free(&p->sens[m]);
    data_free(&p->train);
    data_free(&p->test);
    nn_free(&p->net);
    nn_free(&p->work);
    fim_free(&p->env.fim_ref);
    free(p->env.xl);
    free(p->env.x);
    free(p->env.y);
    free(p->env.excl);
    free(p->test_idx);
    free(p->calib_idx);
    memset(p, 0, sizeof *p);
}

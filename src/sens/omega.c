/* Sensitivity scores (E3) for the four methods, and the calibration set. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "sens/sens_internal.h"

int sens_result_alloc(sens_result *r, sens_strips *st, long max_probes, cs_error *err) {
    memset(r, 0, sizeof *r);
    r->strips = *st;
    memset(st, 0, sizeof *st);
    long ns = r->strips.n_strips, nl = r->strips.n_layers;
    r->max_probes = max_probes;
    r->trace = cs_alloc((size_t)ns, sizeof(double), err);
    r->stderr_ = cs_alloc((size_t)ns, sizeof(double), err);
    r->omega = cs_alloc((size_t)ns, sizeof(double), err);
    r->probes = cs_alloc((size_t)nl, sizeof(long), err);
    r->layer_trace = cs_alloc((size_t)nl, sizeof(double), err);
    r->history = cs_alloc((size_t)(nl * (max_probes > 0 ? max_probes : 1)), sizeof(double), err);
    if (!r->trace || !r->stderr_ || !r->omega || !r->probes || !r->layer_trace || !r->history)
        return CS_ERR_RUNTIME;
    for (long i = 0; i < nl * max_probes; i++) r->history[i] = NAN;
    return CS_OK;
}

void sens_result_free(sens_result *r) {
    sens_strips_free(&r->strips);
    free(r->trace);
    free(r->stderr_);
    free(r->omega);
    free(r->probes);
    free(r->layer_trace);
    free(r->history);
    memset(r, 0, sizeof *r);
}

void sens_omega(const nn_net *net, sens_result *r) {
    const sens_strips *st = &r->strips;
    sens_strip_norms(net, st, r->omega);
    for (int q = 0; q < st->n_layers; q++) {
        const sens_layer *sl = &st->layers[q];
        for (long s = 0; s < sl->strips; s++) {
            long i = sl->strip_off + s;
            /* E3: Omega_s = Tr(H_s) / n_s * ||w_s||^2 */
            r->omega[i] = r->trace[i] / (double)sl->C * r->omega[i];
        }
    }
}

int sens_calibration_set(const data_set *train, const sens_opts *o, long **idx, long *n,
                         cs_error *err) {
    if (o->calib_samples > train->n)
        return cs_fail(err, CS_ERR_INPUT,
                       "sensitivity.calib_samples = %ld exceeds the %ld images of the %s "
                       "training set",
                       o->calib_samples, train->n, DATA_KIND_NAMES[train->kind]);
    *idx = cs_alloc((size_t)train->n, sizeof(long), err);
    if (!*idx) return CS_ERR_RUNTIME;
    return data_subset(train, o->calib_samples, (uint64_t)o->seed, RNG_CALIB, *idx, n, err);
}

/* Hutchinson traces with the workspaces of a run. */
static int hutchinson(nn_net *net, const data_set *train, const long *idx, long n,
                      const sens_opts *o, cs_comm *comm, int quiet, sens_result *r, cs_error *err) {
    int model = o->partition == SENS_PART_MODEL;
    long wmax = 0;
    for (int q = 0; q < net->n_q; q++)
        if (net->layers[net->qlayer[q]].wsize > wmax) wmax = net->layers[net->qlayer[q]].wsize;
    long vlen = model ? net->q_total : wmax;
    hutch_ctx h;
    memset(&h, 0, sizeof h);
    h.net = net;
    h.train = train;
    h.idx = idx;
    h.n_cal = n;
    h.opts = o;
    h.strips = &r->strips;
    h.comm = comm;
    h.quiet = quiet;
    h.block = o->min_probes; /* the earliest a layer can stop is after min_probes + 1 */
    long pix = (long)train->c * train->h * train->w;
    h.x = cs_alloc((size_t)(o->batch * pix), sizeof(float), err);
    h.y = cs_alloc((size_t)o->batch, 1, err);
    h.v = cs_alloc((size_t)vlen, sizeof(float), err);
    h.hv = cs_alloc((size_t)vlen, sizeof(float), err);
    h.prod = cs_alloc((size_t)wmax, sizeof(float), err);
    h.ssum = cs_alloc((size_t)wmax, sizeof(double), err);
    int rc = h.x && h.y && h.v && h.hv && h.prod && h.ssum ? CS_OK : CS_ERR_RUNTIME;
    if (rc == CS_OK) rc = hutch_traces(&h, r, err);
    free(h.x);
    free(h.y);
    free(h.v);
    free(h.hv);
    free(h.prod);
    free(h.ssum);
    return rc;
}

int sens_compute(nn_net *net, const data_set *train, const sens_opts *o, cs_comm *comm, int quiet,
                 sens_result *out, cs_error *err) {
    sens_strips st;
    int rc = sens_strip_table(net, &st, err);
    if (rc == CS_OK) rc = sens_result_alloc(out, &st, o->max_probes, err);
    if (rc) {
        sens_strips_free(&st);
        return rc;
    }
    out->method = o->method;
    out->partition = o->partition;
    double t0 = cs_now();
    long *idx = NULL, n = 0;
    if (o->method == SENS_HUTCHINSON || o->method == SENS_ACTIVATION)
        rc = sens_calibration_set(train, o, &idx, &n, err);
    if (rc == CS_OK && o->batch > net->batch_cap)
        rc = cs_fail(err, CS_ERR_RUNTIME, "network planned for %d images, sensitivity.batch = %ld",
                     net->batch_cap, o->batch);
    const sens_strips *s = &out->strips;
    if (rc == CS_OK && o->method == SENS_HUTCHINSON)
        rc = hutchinson(net, train, idx, n, o, comm, quiet, out, err);
    if (rc == CS_OK && o->method == SENS_ACTIVATION)
        rc = act_traces(net, train, idx, n, o->batch, out, err);
    if (rc == CS_OK && o->method == SENS_MAGNITUDE)
        for (int q = 0; q < s->n_layers; q++) /* Tr(H_s) / n_s = 1: Omega = ||w_s||^2 */
            for (long i = 0; i < s->layers[q].strips; i++)
                out->trace[s->layers[q].strip_off + i] = s->layers[q].C;
    free(idx);
    if (rc) return rc;
    sens_omega(net, out);
    if (o->method == SENS_RANDOM)
        for (long i = 0; i < s->n_strips; i++) {
            rng_stream r;
            rng_init(&r, (uint64_t)o->seed, RNG_RANDOM_OMEGA, (uint64_t)i);
            out->trace[i] = NAN;
            out->omega[i] = rng_uniform(&r);
        }
    out->seconds = cs_now() - t0;
    return CS_OK;
}

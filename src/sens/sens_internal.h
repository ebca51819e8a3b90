/* sens_internal: what the files of sens/ share (not part of the public API). */
#ifndef CS_SENS_INTERNAL_H
#define CS_SENS_INTERNAL_H

#include "sens/sens.h"

/* Everything a Hutchinson run works with. */
typedef struct hutch_ctx {
    nn_net *net;
    const data_set *train;
    const long *idx; /* calibration images */
    long n_cal;
    const sens_opts *opts;
    const sens_strips *strips;
    cs_comm *comm;
    int quiet;
    long block; /* probes per layer and round */
    /* workspaces */
    float *x;      /* a calibration batch, NCHW */
    uint8_t *y;    /* its labels */
    float *v, *hv; /* probe and H v (layer-sized, or q_total for the model partition) */
    float *prod;   /* v * Hv of one layer */
    double *ssum;  /* per-strip sums of one layer */
} hutch_ctx;

/* Rademacher probe t of qlayer q (its wsize entries). */
void hutch_probe(const nn_net *net, int q, long t, uint64_t seed, float *v);

/* Hutchinson traces and standard errors into r (E2). */
int hutch_traces(hutch_ctx *h, sens_result *r, cs_error *err);

/* Activation traces (E4): one forward pass over the calibration set. */
int act_traces(nn_net *net, const data_set *train, const long *idx, long n, long batch,
               sens_result *r, cs_error *err);

#endif

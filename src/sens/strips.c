/* Strips (E1): for a conv weight W[M][C][K][K], strip s = (m, p = kh*K + kw) is the vector
 * W[m][:][kh][kw] of length C; a linear layer W[M][F] is a 1x1 conv. Global order: layers in
 * network order, then m, then p. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sens/sens.h"

int sens_strip_table(const nn_net *net, sens_strips *out, cs_error *err) {
    memset(out, 0, sizeof *out);
    out->layers = cs_alloc((size_t)net->n_q, sizeof *out->layers, err);
    if (!out->layers) return CS_ERR_RUNTIME;
    out->n_layers = net->n_q;
    long off = 0;
    for (int q = 0; q < net->n_q; q++) {
        const nn_layer *l = &net->layers[net->qlayer[q]];
        sens_layer *s = &out->layers[q];
        snprintf(s->name, sizeof s->name, "%s", l->name);
        s->qidx = q;
        s->C = l->C;
        s->M = l->M;
        s->K = l->K;
        s->stride = l->stride;
        s->H = l->H;
        s->W = l->W;
        s->Ho = l->Ho;
        s->Wo = l->Wo;
        s->strips = (long)l->M * l->K * l->K;
        s->strip_off = off;
        s->w_off = net->qoff[q];
        off += s->strips;
    }
    out->n_strips = off;
    return CS_OK;
}

void sens_strips_free(sens_strips *s) {
    free(s->layers);
    memset(s, 0, sizeof *s);
}

void sens_strip_sums(const sens_layer *l, const float *vec, double *out) {
    int kk = l->K * l->K;
    for (int m = 0; m < l->M; m++)
        for (int p = 0; p < kk; p++) {
            double s = 0;
            const float *v = vec + (long)m * l->C * kk + p;
            for (int c = 0; c < l->C; c++) s += v[(long)c * kk];
            out[(long)m * kk + p] = s;
        }
}

void sens_strip_norms(const nn_net *net, const sens_strips *st, double *out) {
    for (int q = 0; q < st->n_layers; q++) {
        const sens_layer *l = &st->layers[q];
        const float *w = net->layers[net->qlayer[q]].w;
        int kk = l->K * l->K;
        for (int m = 0; m < l->M; m++)
            for (int p = 0; p < kk; p++) {
                double s = 0;
                for (int c = 0; c < l->C; c++) {
                    double v = w[((long)m * l->C + c) * kk + p];
                    s += v * v;
                }
                out[l->strip_off + (long)m * kk + p] = s;
            }
    }
}

/* Activation traces (E4, the layer-wise Hessian of the seed paper): Tr(H_s) is the energy of
 * the input slice that strip s multiplies, (1/N) sum_n sum_j ||x_{n,j,s}||^2 over output
 * positions j. It depends on the kernel position p only, not on the filter. */
#include <stdlib.h>
#include <string.h>

#include "sens/sens_internal.h"

/* Add, for every kernel position p of layer l, the input energy seen by p over the batch. */
static void layer_energy(const nn_net *net, const nn_layer *l, double *energy) {
    const float *x = net->x[l->in];
    int n = net->n;
    if (l->kind == NN_LINEAR) {
        for (long i = 0; i < (long)l->C * n; i++) energy[0] += (double)x[i] * x[i];
        return;
    }
    long hw = (long)l->H * l->W;
    for (int kh = 0; kh < l->K; kh++)
        for (int kw = 0; kw < l->K; kw++) {
            double e = 0;
            for (long cn = 0; cn < (long)l->C * n; cn++) {
                const float *img = x + cn * hw;
                for (int ho = 0; ho < l->Ho; ho++) {
                    int hi = ho * l->stride - l->pad + kh;
                    if (hi < 0 || hi >= l->H) continue;
                    for (int wo = 0; wo < l->Wo; wo++) {
                        int wi = wo * l->stride - l->pad + kw;
                        if (wi < 0 || wi >= l->W) continue;
                        double v = img[(long)hi * l->W + wi];
                        e += v * v;
                    }
                }
            }
            energy[kh * l->K + kw] += e;
        }
}

int act_traces(nn_net *net, const data_set *train, const long *idx, long n, long batch,
               sens_result *r, cs_error *err) {
    const sens_strips *st = &r->strips;
    long pix = (long)train->c * train->h * train->w;
    float *x = cs_alloc((size_t)(batch * pix), sizeof(float), err);
    double *energy = cs_alloc((size_t)st->n_layers * 9 + 1, sizeof(double), err);
    if (!x || !energy) {
        free(x);
        free(energy);
        return CS_ERR_RUNTIME;
    }
    for (long b0 = 0; b0 < n; b0 += batch) {
        int nb = (int)(n - b0 < batch ? n - b0 : batch);
        data_batch(train, idx + b0, nb, x, 0, 0, 0);
        nn_forward(net, x, nb);
        for (int q = 0; q < st->n_layers; q++)
            layer_energy(net, &net->layers[net->qlayer[q]], energy + (long)q * 9);
    }
    for (int q = 0; q < st->n_layers; q++) {
        const sens_layer *sl = &st->layers[q];
        int kk = sl->K * sl->K;
        double total = 0;
        for (int m = 0; m < sl->M; m++)
            for (int p = 0; p < kk; p++) {
                double t = energy[(long)q * 9 + p] / (double)n;
                r->trace[sl->strip_off + (long)m * kk + p] = t;
                total += t;
            }
        r->layer_trace[q] = total;
    }
    free(x);
    free(energy);
    return CS_OK;
}

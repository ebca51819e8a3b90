/* Strip assignment (E5): High (high_bits) when omega >= tau, Low otherwise; by a target
 * compression ratio through the sorted omegas; excluded layers stay High. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quant/quant.h"

int quant_excluded(const nn_net *net, const quant_opts *o, uint8_t *excl, cs_error *err) {
    long off = 0;
    for (int q = 0; q < net->n_q; q++) {
        const nn_layer *l = &net->layers[net->qlayer[q]];
        long strips = (long)l->M * l->K * l->K;
        int ex = 0;
        for (int i = 0; i < o->exclude.n; i++) ex |= strcmp(o->exclude.v[i], l->name) == 0;
        memset(excl + off, ex, (size_t)strips);
        off += strips;
    }
    for (int i = 0; i < o->exclude.n; i++) {
        int found = 0;
        for (int q = 0; q < net->n_q; q++)
            found |= strcmp(o->exclude.v[i], net->layers[net->qlayer[q]].name) == 0;
        if (!found)
            return cs_fail(err, CS_ERR_INPUT,
                           "quant.exclude: the model has no conv or linear layer \"%s\" (names "
                           "are state-dict prefixes, e.g. \"%s\")",
                           o->exclude.v[i], net->layers[net->qlayer[0]].name);
    }
    return CS_OK;
}

void quant_assign_tau(const double *omega, const uint8_t *excl, long n, double tau, int high,
                      int low, uint8_t *bits) {
    for (long s = 0; s < n; s++) bits[s] = (uint8_t)(excl[s] || omega[s] >= tau ? high : low);
}

typedef struct ranked {
    double omega;
    long s;
} ranked;

static int by_omega(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->omega != y->omega) return x->omega < y->omega ? -1 : 1;
    return (x->s > y->s) - (x->s < y->s);
}

int quant_assign_cr(const double *omega, const uint8_t *excl, long n, double cr, int high, int low,
                    uint8_t *bits, double *tau_out) {
    ranked *r = malloc(sizeof *r * (size_t)(n > 0 ? n : 1));
    if (!r) return CS_ERR_RUNTIME;
    long m = 0;
    for (long s = 0; s < n; s++) {
        bits[s] = (uint8_t)high;
        if (!excl[s]) r[m++] = (ranked){isnan(omega[s]) ? -INFINITY : omega[s], s};
    }
    qsort(r, (size_t)m, sizeof *r, by_omega);
    long want = lround(cr * (double)n);
    if (want > m) want = m;
    for (long i = 0; i < want; i++) bits[r[i].s] = (uint8_t)low;
    *tau_out = want < m ? r[want].omega : INFINITY;
    free(r);
    return CS_OK;
}

double quant_cr(const uint8_t *bits, long n, int low) {
    long k = 0;
    for (long s = 0; s < n; s++) k += bits[s] == low;
    return n ? (double)k / (double)n : 0;
}

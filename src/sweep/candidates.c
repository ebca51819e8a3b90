/* The candidates of a sweep and their strip assignments (E5, E9, E10). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/align.h"
#include "sweep/sweep.h"

/* Bit pair k of the sweep ("H/L" strings, or quant's pair when the list is empty). */
static void bit_pair(const sweep_opts *so, const quant_opts *qo, int k, int *high, int *low) {
    long h = qo->high_bits, l = qo->low_bits;
    if (so->bits.n > 0) sscanf(so->bits.v[k], "%ld/%ld", &h, &l);
    *high = (int)h;
    *low = (int)l;
}

long sweep_fixed_candidates(const sweep_opts *so, const quant_opts *qo, sweep_cand *cands) {
    int pairs = so->bits.n > 0 ? so->bits.n : 1;
    const sweep_grid *g = so->cr.kind != GRID_NONE ? &so->cr : &so->tau;
    int kind = so->cr.kind != GRID_NONE ? CAND_CR : CAND_TAU;
    long n = 0;
    for (int m = 0; m < so->methods.n; m++)
        for (int b = 0; b < pairs; b++)
            for (int a = 0; a < so->align.n; a++)
                for (int i = 0; i < g->n; i++, n++)
                    if (cands) {
                        cands[n] =
                            (sweep_cand){kind, so->methods.v[m], so->align.v[a], 0, 0, g->v[i]};
                        bit_pair(so, qo, b, &cands[n].high, &cands[n].low);
                    }
    for (int b = 0; b < pairs; b++)
        for (int i = 0; i < so->hap_ratios.n; i++, n++)
            if (cands) {
                cands[n] =
                    (sweep_cand){CAND_HAP, SENS_HUTCHINSON, ALIGN_NONE, 0, 0, so->hap_ratios.v[i]};
                bit_pair(so, qo, b, &cands[n].high, &cands[n].low);
            }
    return n;
}

long sweep_dynamic_searches(const sweep_opts *so, const quant_opts *qo, sweep_cand *searches) {
    if (!so->dynamic_enable) return 0;
    int pairs = so->bits.n > 0 ? so->bits.n : 1;
    long n = 0;
    for (int m = 0; m < so->methods.n; m++)
        for (int b = 0; b < pairs; b++)
            for (int a = 0; a < so->align.n; a++, n++)
                if (searches) {
                    searches[n] =
                        (sweep_cand){CAND_DYNAMIC, so->methods.v[m], so->align.v[a], 0, 0, NAN};
                    bit_pair(so, qo, b, &searches[n].high, &searches[n].low);
                }
    return n;
}

int sweep_hap_assign(const sweep_env *e, double ratio, int high, uint8_t *bits, cs_error *err) {
    const double *trace = e->trace[SENS_HUTCHINSON];
    if (!trace) return cs_fail(err, CS_ERR_RUNTIME, "HAP needs the Hutchinson traces of the model");
    const sens_strips *st = e->strips;
    long n_filters = 0;
    for (int q = 0; q < st->n_layers; q++) n_filters += st->layers[q].M;
    double *score = cs_alloc((size_t)n_filters, sizeof *score, err);
    double *norms = cs_alloc((size_t)st->n_strips, sizeof *norms, err);
    long *filter_strip = cs_alloc((size_t)n_filters, sizeof *filter_strip, err);
    uint8_t *prunable = cs_alloc((size_t)n_filters, 1, err);
    if (!score || !norms || !filter_strip || !prunable) {
        free(score), free(norms), free(filter_strip), free(prunable);
        return CS_ERR_RUNTIME;
    }
    sens_strip_norms(e->net, st, norms);
    long f = 0;
    for (int q = 0; q < st->n_layers; q++) {
        const sens_layer *l = &st->layers[q];
        int kk = l->K * l->K;
        int conv = e->net->layers[e->net->qlayer[q]].kind == NN_CONV;
        for (int m = 0; m < l->M; m++, f++) {
            double tr = 0, w2 = 0;
            long s0 = l->strip_off + (long)m * kk;
            for (int p = 0; p < kk; p++) tr += trace[s0 + p], w2 += norms[s0 + p];
            /* E10: Tr(H_m) / n_m * ||w_m||^2 over the filter's strips */
            score[f] = tr / ((double)l->C * kk) * w2;
            filter_strip[f] = s0;
            /* the classifier's outputs and excluded layers are never pruned */
            prunable[f] = (uint8_t)(conv && !e->excl[s0]);
        }
    }
    /* prune the lowest-score prunable filters: `ratio` of all prunable filters */
    long n_prunable = 0;
    for (long i = 0; i < n_filters; i++) n_prunable += prunable[i];
    long want = lround(ratio * (double)n_prunable);
    for (long s = 0; s < st->n_strips; s++) bits[s] = (uint8_t)high;
    for (long k = 0; k < want; k++) {
        long best = -1;
        for (long i = 0; i < n_filters; i++)
            if (prunable[i] && (best < 0 || score[i] < score[best])) best = i;
        prunable[best] = 0;
        long s0 = filter_strip[best];
        int q = 0;
        while (q + 1 < st->n_layers && st->layers[q + 1].strip_off <= s0) q++;
        memset(bits + s0, 0, (size_t)(st->layers[q].K * st->layers[q].K));
    }
    free(score), free(norms), free(filter_strip), free(prunable);
    return CS_OK;
}

int sweep_assign(const sweep_env *e, const sweep_cand *c, uint8_t *bits, double *tau,
                 cs_error *err) {
    const double *omega = e->omega[c->method];
    if (c->kind == CAND_HAP) {
        *tau = NAN;
        return sweep_hap_assign(e, c->target, c->high, bits, err);
    }
    if (!omega)
        return cs_fail(err, CS_ERR_RUNTIME, "no %s sensitivity was computed",
                       SENS_METHOD_NAMES[c->method]);
    long n = e->strips->n_strips;
    if (c->kind == CAND_TAU) {
        *tau = c->target;
        quant_assign_tau(omega, e->excl, n, c->target, c->high, c->low, bits);
    } else {
        if (quant_assign_cr(omega, e->excl, n, c->target, c->high, c->low, bits, tau))
            return cs_fail(err, CS_ERR_RUNTIME, "out of memory assigning strips");
    }
    return CS_OK;
}

int sweep_align_assignment(const sweep_env *e, const double *omega, int mode, int high, int low,
                           uint8_t *bits, int *changed, cs_error *err) {
    *changed = 0;
    if (mode == ALIGN_NONE) return CS_OK;
    const sens_strips *st = e->strips;
    uint8_t *before = cs_alloc((size_t)st->n_strips, 1, err);
    if (!before) return CS_ERR_RUNTIME;
    memcpy(before, bits, (size_t)st->n_strips);
    int rc = CS_OK;
    for (int q = 0; q < st->n_layers && rc == CS_OK; q++) {
        const sens_layer *l = &st->layers[q];
        if (e->excl[l->strip_off]) continue;
        /* E9 on the packed mapping's alignment units (one per kernel position when a
         * crossbar holds a single input slice, else the layer) */
        rc = sweep_align_mapped(e->hw, &e->xl[q], omega + l->strip_off, bits + l->strip_off, high,
                                low, mode, err);
    }
    *changed = memcmp(before, bits, (size_t)st->n_strips) != 0;
    free(before);
    return rc;
}

/* The mixed-precision network: quantized weights per (filter, precision group) or per strip,
 * and calibrated input quantization of every conv / linear layer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quant/quant.h"

void quant_net_free(quant_net *qn) {
    for (int q = 0; qn->layers && q < qn->n_q; q++) {
        quant_layer *l = &qn->layers[q];
        free(l->codes);
        free(l->bits);
        free(l->scale_h);
        free(l->scale_l);
        free(l->scale_s);
    }
    free(qn->layers);
    free(qn->acts);
    free(qn->work.codes);
    free(qn->work.fcol);
    free(qn->work.col);
    free(qn->work.acc_h);
    free(qn->work.acc_l);
    memset(qn, 0, sizeof *qn);
}

/* Values of filter m's strips at precision `want`. */
static long gather(const nn_layer *l, const float *w, const uint8_t *bits, int m, int want,
                   float *out) {
    int kk = l->K * l->K;
    long n = 0;
    for (int p = 0; p < kk; p++) {
        if (bits[(long)m * kk + p] != want) continue;
        for (int c = 0; c < l->C; c++) out[n++] = w[((long)m * l->C + c) * kk + p];
    }
    return n;
}

/* Scales of filter m for the filter granularity (E13: one scale per filter and group). */
static void filter_scales(const nn_layer *l, const float *w, const uint8_t *bits, int m,
                          const quant_opts *o, float *tmp_h, float *tmp_l, float *sh, float *sl) {
    int bh = (int)o->high_bits, bl = (int)o->low_bits;
    long nh = gather(l, w, bits, m, bh, tmp_h), nl = gather(l, w, bits, m, bl, tmp_l);
    if (o->tie_scales) {
        *sh = quant_choose_tied_scale(tmp_h, nh, tmp_l, nl, bh, bl, o->clip);
        *sl = *sh * (float)(1 << (bh - bl));
    } else {
        *sh = quant_choose_scale(tmp_h, nh, bh, o->clip);
        *sl = quant_choose_scale(tmp_l, nl, bl, o->clip);
    }
}

static int quantize_layer(const nn_layer *l, const float *w, const uint8_t *bits,
                          const quant_opts *o, float *dst, quant_layer *ql, cs_error *err) {
    int kk = l->K * l->K;
    long strips = (long)l->M * kk;
    ql->codes = cs_alloc((size_t)l->wsize, sizeof(int32_t), err);
    ql->bits = cs_alloc((size_t)strips, 1, err);
    ql->scale_h = cs_alloc((size_t)l->M, sizeof(float), err);
    ql->scale_l = cs_alloc((size_t)l->M, sizeof(float), err);
    ql->scale_s = cs_alloc((size_t)strips, sizeof(float), err);
    float *tmp_h = cs_alloc((size_t)l->C * kk, sizeof(float), err);
    float *tmp_l = cs_alloc((size_t)l->C * kk, sizeof(float), err);
    int rc = ql->codes && ql->bits && ql->scale_h && ql->scale_l && ql->scale_s && tmp_h && tmp_l
                 ? CS_OK
                 : CS_ERR_RUNTIME;
    if (rc == CS_OK) memcpy(ql->bits, bits, (size_t)strips);
    for (int m = 0; rc == CS_OK && m < l->M; m++) {
        if (o->granularity == QUANT_GRAN_FILTER)
            filter_scales(l, w, bits, m, o, tmp_h, tmp_l, &ql->scale_h[m], &ql->scale_l[m]);
        for (int p = 0; p < kk; p++) {
            long s = (long)m * kk + p;
            int b = bits[s];
            if (o->granularity == QUANT_GRAN_STRIP) {
                for (int c = 0; c < l->C; c++) tmp_h[c] = w[((long)m * l->C + c) * kk + p];
                ql->scale_s[s] = quant_choose_scale(tmp_h, l->C, b, o->clip);
            } else {
                ql->scale_s[s] = b == o->high_bits ? ql->scale_h[m] : ql->scale_l[m];
            }
            float sc = ql->scale_s[s];
            for (int c = 0; c < l->C; c++) {
                long i = ((long)m * l->C + c) * kk + p;
                ql->codes[i] = quant_code(w[i], sc, b);
                dst[i] = (float)ql->codes[i] * sc;
            }
        }
    }
    free(tmp_h);
    free(tmp_l);
    return rc;
}

/* HAP (E10) prunes a filter by giving all its strips 0 bits. Zero weights alone leave the
 * following BN adding beta - gamma mean / sd to the channel, so the channel is removed there
 * too (gamma = beta = 0) and, for a biased layer, its bias. */
static void remove_pruned_channels(nn_net *dst, int q, const uint8_t *bits) {
    nn_layer *l = &dst->layers[dst->qlayer[q]];
    int kk = l->K * l->K;
    nn_layer *bn = NULL;
    for (int i = 0; i < dst->n_layers && !bn; i++)
        if (dst->layers[i].kind == NN_BN && dst->layers[i].in == l->out) bn = &dst->layers[i];
    for (int m = 0; m < l->M; m++) {
        int pruned = 1;
        for (int p = 0; p < kk && pruned; p++) pruned = bits[(long)m * kk + p] == 0;
        if (!pruned) continue;
        if (l->b) l->b[m] = 0;
        if (bn) bn->gamma[m] = 0, bn->beta[m] = 0;
    }
}

int quant_build(const nn_net *src, const uint8_t *bits, const quant_opts *o, nn_net *dst,
                quant_net *qn, cs_error *err) {
    memset(qn, 0, sizeof *qn);
    if (dst->p_total != src->p_total || dst->n_q != src->n_q)
        return cs_fail(err, CS_ERR_RUNTIME, "quant_build: networks differ");
    nn_copy_params(dst, src);
    /* float activations until quant_calibrate_acts: nothing of a previous candidate's
     * calibration may reach this one (e.g. through BN recalibration) */
    for (int q = 0; q < dst->n_q; q++) nn_set_act_quant(dst, q, 0, 0, 0);
    qn->n_q = src->n_q;
    qn->high = (int)o->high_bits;
    qn->low = (int)o->low_bits;
    qn->granularity = o->granularity;
    qn->tie_scales = o->tie_scales;
    qn->layers = cs_alloc((size_t)src->n_q, sizeof *qn->layers, err);
    qn->acts = cs_alloc((size_t)src->n_q, sizeof *qn->acts, err);
    if (!qn->layers || !qn->acts) return CS_ERR_RUNTIME;
    long off = 0;
    for (int q = 0; q < src->n_q; q++) {
        const nn_layer *l = &src->layers[src->qlayer[q]];
        int rc = quantize_layer(l, l->w, bits + off, o, dst->layers[dst->qlayer[q]].w,
                                &qn->layers[q], err);
        if (rc) {
            quant_net_free(qn);
            return rc;
        }
        remove_pruned_channels(dst, q, bits + off);
        off += (long)l->M * l->K * l->K;
    }
    return CS_OK;
}

/* Running statistics of one layer input over the calibration images. */
typedef struct act_stat {
    double max_abs, min;
    long *hist; /* |x| histogram over [0, max_abs] (percentile calibration) */
} act_stat;

#define ACT_HIST_BINS 4096

static void scan_inputs(const nn_net *net, act_stat *st, int pass) {
    for (int q = 0; q < net->n_q; q++) {
        const nn_layer *l = &net->layers[net->qlayer[q]];
        const nn_tensor *t = &net->tensors[l->in];
        long n = (long)t->C * t->H * t->W * net->n;
        const float *x = net->x[l->in];
        act_stat *a = &st[q];
        for (long i = 0; i < n; i++) {
            double v = x[i], av = fabs(v);
            if (pass == 0) {
                a->max_abs = av > a->max_abs ? av : a->max_abs;
                a->min = v < a->min ? v : a->min;
            } else if (a->max_abs > 0) {
                long b = (long)(av / a->max_abs * (ACT_HIST_BINS - 1));
                a->hist[b < ACT_HIST_BINS ? b : ACT_HIST_BINS - 1]++;
            }
        }
    }
}

static int calib_pass(nn_net *net, const nn_source *src, long n, act_stat *st, int pass, float *x,
                      uint8_t *y, cs_error *err) {
    for (long s = 0; s < n; s += net->batch_cap) {
        int nb = (int)(n - s < net->batch_cap ? n - s : net->batch_cap);
        int rc = src->fetch(src->ctx, s, nb, x, y, err);
        if (rc) return rc;
        nn_forward(net, x, nb);
        scan_inputs(net, st, pass);
    }
    return CS_OK;
}

/* The calibrated range of one input: its max, or the percentile of |x|. */
static double act_range(const act_stat *a, const quant_opts *o) {
    if (o->act_calib == QUANT_ACT_MAX || a->max_abs == 0) return a->max_abs;
    long total = 0, acc = 0;
    for (int b = 0; b < ACT_HIST_BINS; b++) total += a->hist[b];
    double want = o->act_percentile / 100.0 * (double)total;
    for (int b = 0; b < ACT_HIST_BINS; b++) {
        acc += a->hist[b];
        if ((double)acc >= want) return a->max_abs * (double)(b + 1) / ACT_HIST_BINS;
    }
    return a->max_abs;
}

int quant_calibrate_acts(nn_net *net, const nn_source *src, const quant_opts *o, quant_net *qn,
                         float *x, uint8_t *y, cs_error *err) {
    for (int q = 0; q < net->n_q; q++) nn_set_act_quant(net, q, 0, 0, 0);
    if (o->act_bits == 0) return CS_OK;
    act_stat *st = cs_alloc((size_t)net->n_q, sizeof *st, err);
    if (!st) return CS_ERR_RUNTIME;
    long n = src->n < o->act_calib_samples ? src->n : o->act_calib_samples;
    nn_qforward_fn keep = net->qforward;
    net->qforward = NULL; /* calibrate on the float kernels */
    int rc = calib_pass(net, src, n, st, 0, x, y, err);
    if (rc == CS_OK && o->act_calib == QUANT_ACT_PERCENTILE) {
        for (int q = 0; q < net->n_q && rc == CS_OK; q++)
            if (!(st[q].hist = cs_alloc(ACT_HIST_BINS, sizeof(long), err))) rc = CS_ERR_RUNTIME;
        if (rc == CS_OK) rc = calib_pass(net, src, n, st, 1, x, y, err);
    }
    net->qforward = keep;
    for (int q = 0; q < net->n_q && rc == CS_OK; q++) {
        int is_signed = st[q].min < 0, b = (int)o->act_bits;
        double r = act_range(&st[q], o);
        double levels = is_signed ? (double)((1 << (b - 1)) - 1) : (double)((1 << b) - 1);
        float scale = r > 0 ? (float)(r / levels) : 1.0f;
        qn->acts[q] = (nn_act_quant){scale, b, is_signed};
        nn_set_act_quant(net, q, scale, b, is_signed);
    }
    for (int q = 0; q < net->n_q; q++) free(st[q].hist);
    free(st);
    return rc;
}

/* The integer precision-coordinated computation (E13):
 *   y_m = s_x (s_H(m) sum_{High strips} q_w q_x + s_L(m) sum_{Low strips} q_w q_x)
 * with both sums in int32, the Low accumulator aligned to the High scale - an exact shift by
 * b_H - b_L when the scales are tied (s_L = s_H 2^(b_H - b_L)), a fixed-point multiplier
 * otherwise - and one dequantisation. Filter granularity only: per-strip scales have no
 * common High scale to align to. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quant/quant.h"

#define FRAC_BITS 16 /* fractional bits of the aligned accumulator */

int64_t quant_align(int32_t acc_h, int32_t acc_l, float s_h, float s_l, int bh, int bl,
                    int use_shift) {
    int64_t h = (int64_t)acc_h * ((int64_t)1 << FRAC_BITS);
    if (use_shift) return h + (int64_t)acc_l * ((int64_t)1 << (FRAC_BITS + bh - bl));
    if (acc_l == 0 || s_h == 0) return h;
    /* r = s_L / s_H = m0 * 2^(e - 31), m0 in [2^30, 2^31): a 31-bit fixed-point multiplier */
    int e;
    double frac = frexp((double)s_l / (double)s_h, &e); /* r = frac * 2^e, frac in [0.5, 1) */
    int64_t m0 = llround(frac * 2147483648.0);
    if (m0 == ((int64_t)1 << 31)) m0 >>= 1, e++;
    int shift = 31 - e - FRAC_BITS; /* (acc_l * m0) >> shift has FRAC_BITS fractional bits */
    __int128 p = (__int128)acc_l * m0;
    int64_t aligned;
    if (shift > 0)
        aligned = (int64_t)((p + ((__int128)1 << (shift - 1))) >> shift);
    else
        aligned = (int64_t)(p * ((__int128)1 << -shift));
    return h + aligned;
}

/* Input codes of a layer input that lies on the activation grid. */
static void input_codes(const nn_act_quant *aq, const float *in, float *codes, long n) {
    float inv = 1.0f / aq->scale;
    for (long i = 0; i < n; i++) codes[i] = roundf(in[i] * inv);
}

/* acc_h / acc_l (M x cols) = sums over High / Low strips of weight codes x input codes;
 * col holds the (im2col'd) input codes, rows (c, kh, kw), `cols` columns. */
static void accumulate(const nn_layer *l, const quant_layer *ql, int high, const int16_t *col,
                       long cols, int32_t *acc_h, int32_t *acc_l) {
    int kk = l->K * l->K;
    long ckk = (long)l->C * kk;
    memset(acc_h, 0, sizeof(int32_t) * (size_t)(l->M * cols));
    memset(acc_l, 0, sizeof(int32_t) * (size_t)(l->M * cols));
    for (int m = 0; m < l->M; m++)
        for (long r = 0; r < ckk; r++) {
            int32_t w = ql->codes[(long)m * ckk + r];
            if (w == 0) continue;
            int p = (int)(r % kk);
            int32_t *acc = ql->bits[(long)m * kk + p] == high ? acc_h + m * cols : acc_l + m * cols;
            const int16_t *x = col + r * cols;
            for (long j = 0; j < cols; j++) acc[j] += w * (int32_t)x[j];
        }
}

/* The integer input matrix of images [n0, n1): im2col for convs, the features for linear. */
static void input_matrix(const nn_net *net, const nn_layer *l, const float *codes, int n0, int n1,
                         float *fcol, int16_t *col, long *cols) {
    if (l->kind == NN_LINEAR) {
        *cols = n1 - n0;
        for (long c = 0; c < l->C; c++)
            for (int i = n0; i < n1; i++) col[c * *cols + i - n0] = (int16_t)codes[c * net->n + i];
        return;
    }
    *cols = (long)(n1 - n0) * l->Ho * l->Wo;
    nn_conv_im2col(l, codes, net->n, n0, n1, fcol);
    long total = (long)l->C * l->K * l->K * *cols;
    for (long i = 0; i < total; i++) col[i] = (int16_t)fcol[i];
}

int quant_layer_accumulators(const nn_net *net, const nn_layer *l, const quant_layer *ql,
                             const nn_act_quant *aq, const float *in, int32_t *acc_h,
                             int32_t *acc_l, cs_error *err) {
    long n_in = (long)l->C * l->H * l->W * net->n;
    long cols = (long)net->n * l->Ho * l->Wo, rows = (long)l->C * l->K * l->K;
    float *codes = cs_alloc((size_t)n_in, sizeof(float), err);
    float *fcol = cs_alloc((size_t)(rows * cols), sizeof(float), err);
    int16_t *col = cs_alloc((size_t)(rows * cols), sizeof(int16_t), err);
    int rc = codes && fcol && col ? CS_OK : CS_ERR_RUNTIME;
    if (rc == CS_OK) {
        int high = 0;
        for (long s = 0; s < (long)l->M * l->K * l->K; s++)
            high = ql->bits[s] > high ? ql->bits[s] : high;
        input_codes(aq, in, codes, n_in);
        input_matrix(net, l, codes, 0, net->n, fcol, col, &cols);
        accumulate(l, ql, high, col, cols, acc_h, acc_l);
    }
    free(codes);
    free(fcol);
    free(col);
    return rc;
}

/* Images per chunk: keeps the int16 input matrix near 8 MB. */
static int chunk_images(const nn_layer *l, int n) {
    long per = (long)l->C * l->K * l->K * l->Ho * l->Wo;
    long c = (4L << 20) / (per > 0 ? per : 1);
    return c < 1 ? 1 : c > n ? n : (int)c;
}

/* Dequantise one filter's aligned accumulators into the layer output. A filter without
 * High strips has no High scale: its Low sum is the whole result, in units of s_L. */
static void dequantize(const quant_net *qn, const quant_layer *ql, const nn_act_quant *aq, int m,
                       const int32_t *ah, const int32_t *al, long cols, const float *bias,
                       float *y) {
    int only_low = ql->scale_h[m] == 0;
    double base = only_low ? ql->scale_l[m] : ql->scale_h[m];
    double deq = (double)aq->scale * base / (double)(1 << FRAC_BITS);
    for (long j = 0; j < cols; j++) {
        int64_t a = only_low ? (int64_t)al[j] * (1 << FRAC_BITS)
                             : quant_align(ah[j], al[j], ql->scale_h[m], ql->scale_l[m], qn->high,
                                           qn->low, qn->tie_scales);
        y[j] = (float)(deq * (double)a) + (bias ? bias[m] : 0.0f);
    }
}

static void integer_forward(void *ctx, nn_net *net, nn_layer *l, const float *in) {
    quant_net *qn = ctx;
    quant_work *w = &qn->work;
    const quant_layer *ql = &qn->layers[l->qidx];
    const nn_act_quant *aq = &qn->acts[l->qidx];
    int n = net->n, chunk = chunk_images(l, n);
    long hw = (long)l->Ho * l->Wo;
    input_codes(aq, in, w->codes, (long)l->C * l->H * l->W * n);
    for (int n0 = 0; n0 < n; n0 += chunk) {
        int n1 = n0 + chunk < n ? n0 + chunk : n;
        long cols;
        input_matrix(net, l, w->codes, n0, n1, w->fcol, w->col, &cols);
        accumulate(l, ql, qn->high, w->col, cols, w->acc_h, w->acc_l);
        for (int m = 0; m < l->M; m++)
            dequantize(qn, ql, aq, m, w->acc_h + m * cols, w->acc_l + m * cols, cols,
                       l->kind == NN_LINEAR ? l->b : NULL,
                       net->x[l->out] + (long)m * n * hw + (long)n0 * hw);
    }
}

int quant_use_integer_path(nn_net *net, quant_net *qn, cs_error *err) {
    if (qn->granularity != QUANT_GRAN_FILTER)
        return cs_fail(err, CS_ERR_INPUT,
                       "the integer path needs quant.granularity = \"filter\" (one High and one "
                       "Low scale per filter, E13)");
    for (int q = 0; q < qn->n_q; q++)
        if (qn->acts[q].scale <= 0)
            return cs_fail(err, CS_ERR_INPUT, "the integer path needs quant.act_bits > 0");
    quant_work *w = &qn->work;
    long codes = 1, col = 1, acc = 1;
    for (int q = 0; q < net->n_q; q++) {
        const nn_layer *l = &net->layers[net->qlayer[q]];
        long cap = (long)chunk_images(l, net->batch_cap) * l->Ho * l->Wo;
        long in = (long)l->C * l->H * l->W * net->batch_cap, rows = (long)l->C * l->K * l->K;
        codes = in > codes ? in : codes;
        col = rows * cap > col ? rows * cap : col;
        acc = (long)l->M * cap > acc ? (long)l->M * cap : acc;
    }
    w->codes = cs_alloc((size_t)codes, sizeof(float), err);
    w->fcol = cs_alloc((size_t)col, sizeof(float), err);
    w->col = cs_alloc((size_t)col, sizeof(int16_t), err);
    w->acc_h = cs_alloc((size_t)acc, sizeof(int32_t), err);
    w->acc_l = cs_alloc((size_t)acc, sizeof(int32_t), err);
    if (!w->codes || !w->fcol || !w->col || !w->acc_h || !w->acc_l) return CS_ERR_RUNTIME;
    nn_set_qforward(net, integer_forward, qn);
    return CS_OK;
}

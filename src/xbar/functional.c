/* Hardware-aware forward passes through the functional crossbar model. */
#include "xbar/functional.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Images per chunk of the input matrix (about 4 M entries). */
static int chunk_images(const nn_layer *l, int n) {
    long per = (long)l->C * l->K * l->K * l->Ho * l->Wo;
    long c = (4L << 20) / (per > 0 ? per : 1);
    return c < 1 ? 1 : c > n ? n : (int)c;
}

/* Rows in the crossbar's position-major order (row p*C + c) from im2col order (c*K*K + p). */
static long position_major(const nn_layer *l, long r) {
    int kk = l->K * l->K;
    return (r % kk) * l->C + r / kk;
}

/* Weight codes of one precision group, position-major, zero for the other group's strips. */
static void group_weights(const nn_layer *l, const quant_layer *ql, int bits, int32_t *w) {
    int kk = l->K * l->K;
    long rows = (long)l->C * kk;
    for (int m = 0; m < l->M; m++)
        for (long r = 0; r < rows; r++)
            w[m * rows + position_major(l, r)] =
                ql->bits[(long)m * kk + r % kk] == bits ? ql->codes[(long)m * rows + r] : 0;
}

static void functional_forward(void *vctx, nn_net *net, nn_layer *l, const float *in) {
    xbar_functional_ctx *f = vctx;
    quant_net *qn = f->qn;
    const quant_layer *ql = &qn->layers[l->qidx];
    const nn_act_quant *aq = &qn->acts[l->qidx];
    int n = net->n, chunk = chunk_images(l, n);
    long hw = (long)l->Ho * l->Wo, rows = (long)l->C * l->K * l->K;
    long n_in = (long)l->C * l->H * l->W * n;
    for (long i = 0; i < n_in; i++) f->codes[i] = roundf(in[i] / aq->scale);
    for (int n0 = 0; n0 < n && f->status == CS_OK; n0 += chunk) {
        int n1 = n0 + chunk < n ? n0 + chunk : n;
        long cols = l->kind == NN_LINEAR ? n1 - n0 : (long)(n1 - n0) * hw;
        if (l->kind == NN_LINEAR) {
            for (long c = 0; c < l->C; c++)
                for (int i = n0; i < n1; i++)
                    f->x[c * cols + i - n0] = (int32_t)f->codes[c * n + i];
        } else {
            nn_conv_im2col(l, f->codes, n, n0, n1, f->fcol);
            for (long r = 0; r < rows; r++)
                for (long j = 0; j < cols; j++)
                    f->x[position_major(l, r) * cols + j] = (int32_t)f->fcol[r * cols + j];
        }
        int64_t *acc[2] = {f->acc_h, f->acc_l};
        int bits[2] = {qn->high, qn->low};
        for (int g = 0; g < 2 && f->status == CS_OK; g++) {
            group_weights(l, ql, bits[g], f->w);
            f->status = xbar_functional_mvm(f->hw, bits[g], f->w, l->M, (int)rows, f->x, (int)cols,
                                            aq->is_signed, 0, acc[g], &f->err);
        }
        for (int m = 0; m < l->M && f->status == CS_OK; m++) {
            float *y = net->x[l->out] + (long)m * n * (l->kind == NN_LINEAR ? 1 : hw) +
                       (long)n0 * (l->kind == NN_LINEAR ? 1 : hw);
            int only_low = ql->scale_h[m] == 0;
            for (long j = 0; j < cols; j++) {
                double h = (double)f->acc_h[m * cols + j], lo = (double)f->acc_l[m * cols + j];
                /* E13: the Low sum in units of the High scale, one dequantisation */
                double v = only_low ? lo * ql->scale_l[m]
                                    : (h + lo * ql->scale_l[m] / ql->scale_h[m]) * ql->scale_h[m];
                y[j] = (float)(v * aq->scale) + (l->kind == NN_LINEAR ? l->b[m] : 0.0f);
            }
        }
    }
}

int xbar_functional_use(nn_net *net, quant_net *qn, const xbar_params *hw, xbar_functional_ctx *f,
                        cs_error *err) {
    memset(f, 0, sizeof *f);
    f->qn = qn;
    f->hw = hw;
    if (qn->granularity != QUANT_GRAN_FILTER)
        return cs_fail(err, CS_ERR_INPUT,
                       "the functional simulation needs quant.granularity = "
                       "\"filter\"");
    if (xbar_group_of(hw, qn->high) < 0 || xbar_group_of(hw, qn->low) < 0)
        return cs_fail(err, CS_ERR_INPUT, "xbar.groups lacks %d- or %d-bit weights", qn->high,
                       qn->low);
    long wmax = 1, xmax = 1, amax = 1, inmax = 1;
    for (int q = 0; q < net->n_q; q++) {
        if (qn->acts[q].scale <= 0)
            return cs_fail(err, CS_ERR_INPUT, "the functional simulation needs quant.act_bits > 0");
        const nn_layer *l = &net->layers[net->qlayer[q]];
        long rows = (long)l->C * l->K * l->K;
        long cols = (long)chunk_images(l, net->batch_cap) * l->Ho * l->Wo;
        wmax = l->wsize > wmax ? l->wsize : wmax;
        xmax = rows * cols > xmax ? rows * cols : xmax;
        amax = (long)l->M * cols > amax ? (long)l->M * cols : amax;
        long in = (long)l->C * l->H * l->W * net->batch_cap;
        inmax = in > inmax ? in : inmax;
    }
    f->w = cs_alloc((size_t)wmax, sizeof(int32_t), err);
    f->x = cs_alloc((size_t)xmax, sizeof(int32_t), err);
    f->fcol = cs_alloc((size_t)xmax, sizeof(float), err);
    f->acc_h = cs_alloc((size_t)amax, sizeof(int64_t), err);
    f->acc_l = cs_alloc((size_t)amax, sizeof(int64_t), err);
    f->codes = cs_alloc((size_t)inmax, sizeof(float), err);
    if (!f->w || !f->x || !f->fcol || !f->acc_h || !f->acc_l || !f->codes) {
        xbar_functional_free(f);
        return CS_ERR_RUNTIME;
    }
    nn_set_qforward(net, functional_forward, f);
    return CS_OK;
}

void xbar_functional_free(xbar_functional_ctx *f) {
    free(f->w);
    free(f->x);
    free(f->fcol);
    free(f->acc_h);
    free(f->acc_l);
    free(f->codes);
    f->w = f->x = NULL;
    f->acc_h = f->acc_l = NULL;
    f->fcol = f->codes = NULL;
}

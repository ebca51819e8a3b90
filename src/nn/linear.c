/* Fully connected layer with bias on [F x N] inputs (a pooled CNHW tensor):
 *   y = W x + b,  gW = gy x^T,  gb = sum_n gy,  gx = W^T gy
 *   Ry = W Rx + V x,  R{gW} = Rgy x^T + gy Rx^T,  Rgx = W^T Rgy + V^T gy   (Pearlmutter) */
#include <cblas.h>
#include <string.h>

#include "nn/nn_internal.h"

/* y (+)= A x for A (M x F), x (F x N). */
static void linear_apply(const nn_net *net, const nn_layer *l, const float *A, const float *x,
                         float *y, float beta) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, l->M, net->n, l->C, 1.0f, A, l->C, x,
                net->n, beta, y, net->n);
}

/* G (+)= dy x^T. */
static void linear_wgrad(const nn_net *net, const nn_layer *l, const float *dy, const float *x,
                         float *G, float beta) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, l->M, l->C, net->n, 1.0f, dy, net->n, x,
                net->n, beta, G, l->C);
}

/* dx (+)= A^T dy. */
static void linear_dgrad(const nn_net *net, const nn_layer *l, const float *A, const float *dy,
                         float *dx, unsigned char *set) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, l->C, net->n, l->M, 1.0f, A, l->C, dy,
                net->n, *set ? 1.0f : 0.0f, dx, net->n);
    *set = 1;
}

void linear_forward(nn_net *net, nn_layer *l) {
    float *y = net->x[l->out];
    linear_apply(net, l, l->w, net->x[l->in], y, 0.0f);
    for (int m = 0; m < l->M; m++)
        for (int i = 0; i < net->n; i++) y[(long)m * net->n + i] += l->b[m];
}

void linear_backward(nn_net *net, nn_layer *l, nn_pass *ps) {
    const float *gy = net->g[l->out];
    if (ps->want_wgrad) {
        linear_wgrad(net, l, gy, net->x[l->in], l->gw, 0.0f);
        for (int m = 0; m < l->M; m++) {
            float s = 0.0f;
            for (int i = 0; i < net->n; i++) s += gy[(long)m * net->n + i];
            l->gb[m] = s;
        }
    }
    if (ps->need_input_grad) linear_dgrad(net, l, l->w, gy, net->g[l->in], &ps->g_set[l->in]);
}

void linear_rforward(nn_net *net, nn_layer *l, nn_pass *ps) {
    const float *v = pass_v(net, ps, l);
    int has_rx = ps->rx_set[l->in];
    if (!v && !has_rx) return;
    float *ry = net->rx[l->out];
    if (has_rx) linear_apply(net, l, l->w, net->rx[l->in], ry, 0.0f);
    if (v) linear_apply(net, l, v, net->x[l->in], ry, has_rx ? 1.0f : 0.0f);
    ps->rx_set[l->out] = 1;
}

void linear_rbackward(nn_net *net, nn_layer *l, nn_pass *ps) {
    const float *v = pass_v(net, ps, l);
    int has_rg = ps->rg_set[l->out], has_g = ps->use_g && ps->g_set[l->out];
    float *hv = pass_hv(net, ps, l);
    if (hv) {
        float beta = 0.0f;
        if (has_rg) {
            linear_wgrad(net, l, net->rg[l->out], net->x[l->in], hv, 0.0f);
            beta = 1.0f;
        }
        if (has_g && ps->rx_set[l->in]) {
            linear_wgrad(net, l, net->g[l->out], net->rx[l->in], hv, beta);
            beta = 1.0f;
        }
        if (beta == 0.0f) memset(hv, 0, sizeof(float) * (size_t)l->wsize);
    }
    if (!ps->need_input_grad) return;
    if (has_rg) linear_dgrad(net, l, l->w, net->rg[l->out], net->rg[l->in], &ps->rg_set[l->in]);
    if (v && has_g) linear_dgrad(net, l, v, net->g[l->out], net->rg[l->in], &ps->rg_set[l->in]);
}

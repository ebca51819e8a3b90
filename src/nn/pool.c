/* Global average pool: y[c][n] = mean of x[c][n][:][:]. Linear, so R-ops mirror it. */
#include "nn/nn_internal.h"

static void gap_apply(const nn_net *net, const nn_layer *l, const float *x, float *y) {
    long hw = (long)l->H * l->W, rows = (long)l->C * net->n;
    float inv = 1.0f / (float)hw;
    for (long r = 0; r < rows; r++) {
        const float *p = x + r * hw;
        float s = 0.0f;
        for (long i = 0; i < hw; i++) s += p[i];
        y[r] = s * inv;
    }
}

static void gap_transpose(const nn_net *net, const nn_layer *l, const float *dy, float *dx,
                          unsigned char *set) {
    long hw = (long)l->H * l->W, rows = (long)l->C * net->n;
    float inv = 1.0f / (float)hw;
    for (long r = 0; r < rows; r++) {
        float v = dy[r] * inv;
        float *p = dx + r * hw;
        if (*set)
            for (long i = 0; i < hw; i++) p[i] += v;
        else
            for (long i = 0; i < hw; i++) p[i] = v;
    }
    *set = 1;
}

void gap_forward(nn_net *net, nn_layer *l) {
    gap_apply(net, l, net->x[l->in], net->x[l->out]);
}

void gap_backward(nn_net *net, nn_layer *l, nn_pass *ps) {
    if (ps->need_input_grad)
        gap_transpose(net, l, net->g[l->out], net->g[l->in], &ps->g_set[l->in]);
}

void gap_rforward(nn_net *net, nn_layer *l, nn_pass *ps) {
    if (!ps->rx_set[l->in]) return;
    gap_apply(net, l, net->rx[l->in], net->rx[l->out]);
    ps->rx_set[l->out] = 1;
}

void gap_rbackward(nn_net *net, nn_layer *l, nn_pass *ps) {
    if (!ps->rg_set[l->out] || !ps->need_input_grad) return;
    gap_transpose(net, l, net->rg[l->out], net->rg[l->in], &ps->rg_set[l->in]);
}

/* Parameter-free "option A" shortcut of CIFAR ResNets (He et al. 2016): subsample by the
 * stride and zero-pad the channels, (M - C) / 2 on each side. It is linear, so its
 * R-operator pair is itself applied to tangents. */
#include <string.h>

#include "nn/nn_internal.h"

/* y = S x for one buffer pair. */
static void shortcut_apply(const nn_net *net, const nn_layer *l, const float *x, float *y) {
    int n = net->n, pad = (l->M - l->C) / 2;
    long hwo = (long)l->Ho * l->Wo, hwi = (long)l->H * l->W;
    memset(y, 0, sizeof(float) * (size_t)(hwo * n * l->M));
    for (int c = 0; c < l->C; c++)
        for (int i = 0; i < n; i++) {
            const float *src = x + ((long)c * n + i) * hwi;
            float *dst = y + ((long)(c + pad) * n + i) * hwo;
            for (int ho = 0; ho < l->Ho; ho++)
                for (int wo = 0; wo < l->Wo; wo++)
                    dst[ho * l->Wo + wo] = src[(long)ho * l->stride * l->W + wo * l->stride];
        }
}

/* dx (+)= S^T dy. */
static void shortcut_transpose(const nn_net *net, const nn_layer *l, const float *dy, float *dx,
                               unsigned char *set) {
    int n = net->n, pad = (l->M - l->C) / 2;
    long hwo = (long)l->Ho * l->Wo, hwi = (long)l->H * l->W;
    if (!*set) memset(dx, 0, sizeof(float) * (size_t)(hwi * n * l->C));
    for (int c = 0; c < l->C; c++)
        for (int i = 0; i < n; i++) {
            const float *src = dy + ((long)(c + pad) * n + i) * hwo;
            float *dst = dx + ((long)c * n + i) * hwi;
            for (int ho = 0; ho < l->Ho; ho++)
                for (int wo = 0; wo < l->Wo; wo++)
                    dst[(long)ho * l->stride * l->W + wo * l->stride] += src[ho * l->Wo + wo];
        }
    *set = 1;
}

void shortcut_forward(nn_net *net, nn_layer *l) {
    shortcut_apply(net, l, net->x[l->in], net->x[l->out]);
}

void shortcut_backward(nn_net *net, nn_layer *l, nn_pass *ps) {
    if (ps->need_input_grad)
        shortcut_transpose(net, l, net->g[l->out], net->g[l->in], &ps->g_set[l->in]);
}

void shortcut_rforward(nn_net *net, nn_layer *l, nn_pass *ps) {
    if (!ps->rx_set[l->in]) return;
    shortcut_apply(net, l, net->rx[l->in], net->rx[l->out]);
    ps->rx_set[l->out] = 1;
}

void shortcut_rbackward(nn_net *net, nn_layer *l, nn_pass *ps) {
    if (!ps->rg_set[l->out] || !ps->need_input_grad) return;
    shortcut_transpose(net, l, net->rg[l->out], net->rg[l->in], &ps->rg_set[l->in]);
}

/* Standalone ReLU. Its R-operator pair uses the mask of the forward pass: the second
 * derivative of max(0, x) is zero almost everywhere. */
#include "nn/nn_internal.h"

void relu_mask(const float *y, const float *in, float *out, long n) {
    for (long i = 0; i < n; i++) out[i] = y[i] > 0.0f ? in[i] : 0.0f;
}

void grad_put(float *dst, const float *src, long n, unsigned char *set_flag) {
    if (*set_flag)
        for (long i = 0; i < n; i++) dst[i] += src[i];
    else
        for (long i = 0; i < n; i++) dst[i] = src[i];
    *set_flag = 1;
}

/* dst (+)= mask(y) * src with the store/add rule of grad_put. */
static void relu_put(const float *y, const float *src, float *dst, long n, unsigned char *set) {
    if (*set)
        for (long i = 0; i < n; i++) dst[i] += y[i] > 0.0f ? src[i] : 0.0f;
    else
        relu_mask(y, src, dst, n);
    *set = 1;
}

void relu_forward(nn_net *net, nn_layer *l) {
    long n = net_numel(net, l->out, net->n);
    const float *x = net->x[l->in];
    float *y = net->x[l->out];
    for (long i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void relu_backward(nn_net *net, nn_layer *l, nn_pass *ps) {
    if (!ps->need_input_grad) return;
    relu_put(net->x[l->out], net->g[l->out], net->g[l->in], net_numel(net, l->out, net->n),
             &ps->g_set[l->in]);
}

void relu_rforward(nn_net *net, nn_layer *l, nn_pass *ps) {
    if (!ps->rx_set[l->in]) return;
    relu_mask(net->x[l->out], net->rx[l->in], net->rx[l->out], net_numel(net, l->out, net->n));
    ps->rx_set[l->out] = 1;
}

void relu_rbackward(nn_net *net, nn_layer *l, nn_pass *ps) {
    if (!ps->rg_set[l->out] || !ps->need_input_grad) return;
    relu_put(net->x[l->out], net->rg[l->out], net->rg[l->in], net_numel(net, l->out, net->n),
             &ps->rg_set[l->in]);
}

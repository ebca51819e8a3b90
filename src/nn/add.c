/* Residual add with an optional fused ReLU: y = relu(a + b). */
#include <string.h>

#include "nn/nn_internal.h"

void add_forward(nn_net *net, nn_layer *l) {
    long n = net_numel(net, l->out, net->n);
    const float *a = net->x[l->in], *b = net->x[l->in2];
    float *y = net->x[l->out];
    if (l->relu)
        for (long i = 0; i < n; i++) {
            float t = a[i] + b[i];
            y[i] = t > 0.0f ? t : 0.0f;
        }
    else
        for (long i = 0; i < n; i++) y[i] = a[i] + b[i];
}

/* Send dy (masked by the ReLU) to both inputs of the add. */
static void add_back(nn_net *net, nn_layer *l, float **grad, unsigned char *set) {
    long n = net_numel(net, l->out, net->n);
    const float *y = net->x[l->out], *dy = grad[l->out];
    int inputs[2] = {l->in, l->in2};
    if (l->relu && !set[l->in] && !set[l->in2]) {
        /* the usual case: both inputs get the same masked gradient first - mask once */
        relu_mask(y, dy, grad[l->in], n);
        memcpy(grad[l->in2], grad[l->in], sizeof(float) * (size_t)n);
        set[l->in] = set[l->in2] = 1;
        return;
    }
    for (int k = 0; k < 2; k++) {
        float *d = grad[inputs[k]];
        unsigned char *s = &set[inputs[k]];
        if (!l->relu)
            grad_put(d, dy, n, s);
        else if (*s)
            for (long i = 0; i < n; i++) d[i] += y[i] > 0.0f ? dy[i] : 0.0f;
        else {
            relu_mask(y, dy, d, n);
            *s = 1;
        }
    }
}

void add_backward(nn_net *net, nn_layer *l, nn_pass *ps) {
    add_back(net, l, net->g, ps->g_set);
}

void add_rforward(nn_net *net, nn_layer *l, nn_pass *ps) {
    int ha = ps->rx_set[l->in], hb = ps->rx_set[l->in2];
    if (!ha && !hb) return;
    long n = net_numel(net, l->out, net->n);
    const float *y = net->x[l->out];
    float *ry = net->rx[l->out];
    const float *a = net->rx[ha ? l->in : l->in2], *b = net->rx[l->in2];
    for (long i = 0; i < n; i++) {
        float t = ha && hb ? a[i] + b[i] : a[i];
        ry[i] = !l->relu || y[i] > 0.0f ? t : 0.0f;
    }
    ps->rx_set[l->out] = 1;
}

void add_rbackward(nn_net *net, nn_layer *l, nn_pass *ps) {
    if (!ps->rg_set[l->out]) return;
    add_back(net, l, net->rg, ps->rg_set);
}

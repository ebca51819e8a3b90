/* Batch normalisation over CNHW (each channel contiguous), with an optional fused ReLU.
 *
 * Eval mode (running statistics) is an affine map per channel, y = a x + b with
 * a = gamma / sqrt(var + eps), b = beta - mean a; its R-operator pair is the same map on
 * tangents (BN parameters are not in the Hessian: only conv and linear weights are, E2).
 * Train mode uses batch statistics (biased variance for normalising, unbiased for the
 * running update, momentum 0.1 as PyTorch). */
#include <math.h>
#include <string.h>

#include "nn/nn_internal.h"

#define BN_MOMENTUM 0.1

static void bn_affine(const nn_layer *l, int c, float *a, float *b) {
    float inv = 1.0f / sqrtf(l->var[c] + l->eps);
    *a = l->gamma[c] * inv;
    *b = l->beta[c] - l->mean[c] * *a;
}

static void bn_forward_eval(nn_net *net, nn_layer *l) {
    long m = (long)net->n * l->H * l->W;
    for (int c = 0; c < l->C; c++) {
        float a, b;
        bn_affine(l, c, &a, &b);
        const float *x = net->x[l->in] + c * m;
        float *y = net->x[l->out] + c * m;
        if (l->relu)
            for (long i = 0; i < m; i++) {
                float t = a * x[i] + b;
                y[i] = t > 0.0f ? t : 0.0f;
            }
        else
            for (long i = 0; i < m; i++) y[i] = a * x[i] + b;
    }
}

static void bn_forward_train(nn_net *net, nn_layer *l) {
    long m = (long)net->n * l->H * l->W;
    for (int c = 0; c < l->C; c++) {
        const float *x = net->x[l->in] + c * m;
        float *y = net->x[l->out] + c * m;
        double s = 0, ss = 0;
        for (long i = 0; i < m; i++) s += x[i];
        double mean = s / (double)m;
        for (long i = 0; i < m; i++) ss += (x[i] - mean) * (x[i] - mean);
        double var = ss / (double)m;
        float inv = (float)(1.0 / sqrt(var + l->eps));
        l->bmean[c] = (float)mean;
        l->binvstd[c] = inv;
        float a = l->gamma[c] * inv, b = l->beta[c] - (float)mean * a;
        for (long i = 0; i < m; i++) {
            float t = a * x[i] + b;
            y[i] = l->relu && t < 0.0f ? 0.0f : t;
        }
        double unbiased = m > 1 ? ss / (double)(m - 1) : var;
        l->mean[c] = (float)((1 - BN_MOMENTUM) * l->mean[c] + BN_MOMENTUM * mean);
        l->var[c] = (float)((1 - BN_MOMENTUM) * l->var[c] + BN_MOMENTUM * unbiased);
    }
}

void bn_forward(nn_net *net, nn_layer *l) {
    if (net->train_mode)
        bn_forward_train(net, l);
    else
        bn_forward_eval(net, l);
}

/* dx (+)= a * mask * dy per channel; `set` as in grad_put. */
static void bn_affine_back(nn_net *net, nn_layer *l, const float *dy, float *dx,
                           unsigned char *set) {
    long m = (long)net->n * l->H * l->W;
    const float *y = net->x[l->out];
    for (int c = 0; c < l->C; c++) {
        float a, b;
        bn_affine(l, c, &a, &b);
        const float *d = dy + c * m, *yc = y + c * m;
        float *o = dx + c * m;
        if (*set)
            for (long i = 0; i < m; i++) o[i] += (!l->relu || yc[i] > 0.0f) ? a * d[i] : 0.0f;
        else
            for (long i = 0; i < m; i++) o[i] = (!l->relu || yc[i] > 0.0f) ? a * d[i] : 0.0f;
    }
    *set = 1;
}

static void bn_backward_train(nn_net *net, nn_layer *l, nn_pass *ps) {
    long m = (long)net->n * l->H * l->W;
    for (int c = 0; c < l->C; c++) {
        const float *x = net->x[l->in] + c * m, *y = net->x[l->out] + c * m;
        const float *gy = net->g[l->out] + c * m;
        float mean = l->bmean[c], inv = l->binvstd[c];
        double sg = 0, sgx = 0;
        for (long i = 0; i < m; i++) {
            float d = (!l->relu || y[i] > 0.0f) ? gy[i] : 0.0f;
            sg += d;
            sgx += d * (x[i] - mean) * inv;
        }
        if (ps->want_wgrad) {
            l->ggamma[c] = (float)sgx;
            l->gbeta[c] = (float)sg;
        }
        if (!ps->need_input_grad) continue;
        float k = l->gamma[c] * inv / (float)m;
        float *gx = net->g[l->in] + c * m;
        int add = ps->g_set[l->in];
        for (long i = 0; i < m; i++) {
            float d = (!l->relu || y[i] > 0.0f) ? gy[i] : 0.0f;
            float xh = (x[i] - mean) * inv;
            float v = k * ((float)m * d - (float)sg - xh * (float)sgx);
            gx[i] = add ? gx[i] + v : v;
        }
    }
    if (ps->need_input_grad) ps->g_set[l->in] = 1;
}

void bn_backward(nn_net *net, nn_layer *l, nn_pass *ps) {
    if (net->train_mode) {
        bn_backward_train(net, l, ps);
        return;
    }
    if (ps->want_wgrad) {
        /* gradients of gamma and beta at running statistics */
        long m = (long)net->n * l->H * l->W;
        for (int c = 0; c < l->C; c++) {
            const float *x = net->x[l->in] + c * m, *y = net->x[l->out] + c * m;
            const float *gy = net->g[l->out] + c * m;
            float inv = 1.0f / sqrtf(l->var[c] + l->eps);
            double sg = 0, sgx = 0;
            for (long i = 0; i < m; i++) {
                float d = (!l->relu || y[i] > 0.0f) ? gy[i] : 0.0f;
                sg += d;
                sgx += d * (x[i] - l->mean[c]) * inv;
            }
            l->ggamma[c] = (float)sgx;
            l->gbeta[c] = (float)sg;
        }
    }
    if (ps->need_input_grad)
        bn_affine_back(net, l, net->g[l->out], net->g[l->in], &ps->g_set[l->in]);
}

void bn_rforward(nn_net *net, nn_layer *l, nn_pass *ps) {
    if (!ps->rx_set[l->in]) return;
    long m = (long)net->n * l->H * l->W;
    const float *y = net->x[l->out];
    for (int c = 0; c < l->C; c++) {
        float a, b;
        bn_affine(l, c, &a, &b);
        const float *rx = net->rx[l->in] + c * m, *yc = y + c * m;
        float *ry = net->rx[l->out] + c * m;
        for (long i = 0; i < m; i++) ry[i] = (!l->relu || yc[i] > 0.0f) ? a * rx[i] : 0.0f;
    }
    ps->rx_set[l->out] = 1;
}

void bn_rbackward(nn_net *net, nn_layer *l, nn_pass *ps) {
    if (!ps->rg_set[l->out] || !ps->need_input_grad) return;
    bn_affine_back(net, l, net->rg[l->out], net->rg[l->in], &ps->rg_set[l->in]);
}

/* Whole-network passes: forward, loss, backward, R-forward, R-loss, R-backward, and the
 * Hessian-vector products built from them (E2). */
#include <math.h>
#include <string.h>

#include "nn/nn_internal.h"

const nn_layer_ops NN_LAYER_OPS[] = {
    [NN_CONV] = {conv_forward, conv_backward, conv_rforward, conv_rbackward},
    [NN_BN] = {bn_forward, bn_backward, bn_rforward, bn_rbackward},
    [NN_RELU] = {relu_forward, relu_backward, relu_rforward, relu_rbackward},
    [NN_ADD] = {add_forward, add_backward, add_rforward, add_rbackward},
    [NN_SHORTCUT_A] = {shortcut_forward, shortcut_backward, shortcut_rforward, shortcut_rbackward},
    [NN_GAP] = {gap_forward, gap_backward, gap_rforward, gap_rbackward},
    [NN_LINEAR] = {linear_forward, linear_backward, linear_rforward, linear_rbackward},
};

const float *pass_v(const nn_net *net, const nn_pass *ps, const nn_layer *l) {
    if (!ps->v || l->qidx < ps->q_first || l->qidx > ps->q_last) return NULL;
    return ps->v + (net->qoff[l->qidx] - net->qoff[ps->q_first]);
}

float *pass_hv(const nn_net *net, const nn_pass *ps, const nn_layer *l) {
    if (!ps->hv || l->qidx < ps->q_first || l->qidx > ps->q_last) return NULL;
    return ps->hv + (net->qoff[l->qidx] - net->qoff[ps->q_first]);
}

static nn_pass pass_of(nn_net *net) {
    nn_pass ps;
    memset(&ps, 0, sizeof ps);
    ps.g_set = net->flags;
    ps.rx_set = net->flags + net->n_tensors;
    ps.rg_set = net->flags + 2 * net->n_tensors;
    return ps;
}

/* A conv / linear layer with its input quantized and / or a replacement kernel: the
 * quantized input goes to a scratch buffer, so other readers of the tensor (the residual
 * path) still see the float values. */
static void qlayer_forward(nn_net *net, nn_layer *l) {
    float *in = net->x[l->in];
    if (l->aq.scale > 0) {
        nn_quantize_values(&l->aq, in, net->aq_buf, net_numel(net, l->in, net->n));
        in = net->aq_buf;
    }
    if (net->qforward) {
        net->qforward(net->qforward_ctx, net, l, in);
        return;
    }
    float *keep = net->x[l->in];
    net->x[l->in] = in;
    if (l->kind == NN_CONV)
        conv_forward(net, l);
    else
        linear_forward(net, l);
    net->x[l->in] = keep;
}

void nn_forward(nn_net *net, const float *x0, int n) {
    net->n = n;
    long hw = (long)net->in_h * net->in_w;
    float *x = net->x[0];
    for (int i = 0; i < n; i++)
        for (int c = 0; c < net->in_c; c++)
            memcpy(x + ((long)c * n + i) * hw, x0 + ((long)i * net->in_c + c) * hw,
                   sizeof(float) * (size_t)hw);
    for (int li = 0; li < net->n_layers; li++) {
        nn_layer *l = &net->layers[li];
        if ((l->kind == NN_CONV || l->kind == NN_LINEAR) && (l->aq.scale > 0 || net->qforward)) {
            qlayer_forward(net, l);
            continue;
        }
        NN_LAYER_OPS[l->kind].forward(net, l);
    }
}

static const float *logits_of(const nn_net *net) {
    return net->x[net->n_tensors - 1];
}

/* Softmax into net->prob and the summed cross-entropy. */
static double softmax_ce(nn_net *net, const uint8_t *labels) {
    int n = net->n, K = net->classes;
    const float *z = logits_of(net);
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        float mx = z[i];
        for (int k = 1; k < K; k++) mx = z[(long)k * n + i] > mx ? z[(long)k * n + i] : mx;
        double s = 0.0;
        for (int k = 0; k < K; k++) s += exp((double)(z[(long)k * n + i] - mx));
        double lse = log(s) + mx;
        for (int k = 0; k < K; k++)
            net->prob[(long)k * n + i] = (float)exp((double)z[(long)k * n + i] - lse);
        total += lse - z[(long)labels[i] * n + i];
    }
    return total;
}

double nn_loss_value(nn_net *net, const uint8_t *labels) {
    return softmax_ce(net, labels);
}

double nn_loss(nn_net *net, const uint8_t *labels, float scale) {
    int n = net->n, K = net->classes;
    double total = softmax_ce(net, labels);
    if (net->g) {
        float *g = net->g[net->n_tensors - 1];
        for (int k = 0; k < K; k++)
            for (int i = 0; i < n; i++)
                g[(long)k * n + i] = scale * (net->prob[(long)k * n + i] - (labels[i] == k));
        memset(net->flags, 0, (size_t)net->n_tensors);
        net->flags[net->n_tensors - 1] = 1;
    }
    return total;
}

void nn_backward(nn_net *net, int want_weight_grads) {
    nn_pass ps = pass_of(net);
    ps.want_wgrad = want_weight_grads;
    for (int li = net->n_layers - 1; li >= 0; li--) {
        nn_layer *l = &net->layers[li];
        if (!ps.g_set[l->out]) continue;
        ps.need_input_grad = l->in != 0;
        NN_LAYER_OPS[l->kind].backward(net, l, &ps);
    }
}

void nn_rforward(nn_net *net, const float *v, int q_first, int q_last) {
    nn_pass ps = pass_of(net);
    ps.v = v;
    ps.q_first = q_first;
    ps.q_last = q_last;
    memset(ps.rx_set, 0, (size_t)net->n_tensors);
    for (int li = net->qlayer[q_first]; li < net->n_layers; li++) {
        nn_layer *l = &net->layers[li];
        NN_LAYER_OPS[l->kind].rforward(net, l, &ps);
    }
}

void nn_rloss(nn_net *net, float scale) {
    int n = net->n, K = net->classes, last = net->n_tensors - 1;
    unsigned char *rx_set = net->flags + net->n_tensors, *rg_set = rx_set + net->n_tensors;
    memset(rg_set, 0, (size_t)net->n_tensors);
    if (!rx_set[last]) return;
    const float *rz = net->rx[last], *p = net->prob;
    float *rg = net->rg[last];
    /* R{scale (p - y)} = scale (diag(p) - p p^T) Rz, per sample */
    for (int i = 0; i < n; i++) {
        float dot = 0.0f;
        for (int k = 0; k < K; k++) dot += p[(long)k * n + i] * rz[(long)k * n + i];
        for (int k = 0; k < K; k++)
            rg[(long)k * n + i] = scale * p[(long)k * n + i] * (rz[(long)k * n + i] - dot);
    }
    rg_set[last] = 1;
}

void nn_rbackward(nn_net *net, const float *v, int q_first, int q_last, int use_g, float *hv) {
    nn_pass ps = pass_of(net);
    ps.v = v;
    ps.q_first = q_first;
    ps.q_last = q_last;
    ps.hv = hv;
    ps.use_g = use_g && net->g;
    int stop = net->qlayer[q_first];
    for (int li = net->n_layers - 1; li >= stop; li--) {
        nn_layer *l = &net->layers[li];
        ps.need_input_grad = li > stop && l->in != 0;
        NN_LAYER_OPS[l->kind].rbackward(net, l, &ps);
    }
}

double nn_hvp(nn_net *net, const float *x0, const uint8_t *labels, int n, float scale,
              const float *v, float *hv) {
    nn_forward(net, x0, n);
    double loss = nn_loss(net, labels, scale);
    nn_backward(net, 0);
    nn_rforward(net, v, 0, net->n_q - 1);
    nn_rloss(net, scale);
    nn_rbackward(net, v, 0, net->n_q - 1, 1, hv);
    return loss;
}

void nn_hvp_layer(nn_net *net, int q, const float *v_q, float scale, float *hv_q) {
    nn_rforward(net, v_q, q, q);
    nn_rloss(net, scale);
    nn_rbackward(net, v_q, q, q, 0, hv_q);
}

void nn_logits(const nn_net *net, int i, float *out) {
    const float *z = logits_of(net);
    for (int k = 0; k < net->classes; k++) out[k] = z[(long)k * net->n + i];
}

void nn_count_hits(const nn_net *net, const uint8_t *labels, int n, long *top1, long *top5) {
    const float *z = logits_of(net);
    for (int i = 0; i < n; i++) {
        float zy = z[(long)labels[i] * n + i];
        int above = 0; /* classes ranked strictly before the label (ties favour lower index) */
        for (int k = 0; k < net->classes; k++) {
            float zk = z[(long)k * n + i];
            above += zk > zy || (zk == zy && k < labels[i]);
        }
        *top1 += above == 0;
        *top5 += above < 5;
    }
}

void nn_sample_grad(nn_net *net, int i, float *grad) {
    for (int q = 0; q < net->n_q; q++) {
        const nn_layer *l = &net->layers[net->qlayer[q]];
        float *G = grad + net->qoff[q];
        if (!net->flags[l->out]) { /* no gradient reached this layer */
            memset(G, 0, sizeof(float) * (size_t)l->wsize);
        } else if (l->kind == NN_CONV) {
            conv_wgrad_images(net, l, i, i + 1, G);
        } else {
            /* linear: outer product of the sample's output gradient and input */
            const float *gy = net->g[l->out], *x = net->x[l->in];
            for (int m = 0; m < l->M; m++) {
                float a = gy[(long)m * net->n + i];
                for (int c = 0; c < l->C; c++) G[(long)m * l->C + c] = a * x[(long)c * net->n + i];
            }
        }
    }
}

/* Network description: tensors, layers, parameters, and the memory plan. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <unistd.h>

#include "base/rng.h"
#include "nn/nn_internal.h"

#define NET_MAX_LAYERS 1024

int net_begin(nn_net *net, int arch, double width, int in_c, int in_h, int in_w, int classes,
              cs_error *err) {
    memset(net, 0, sizeof *net);
    net->arch = arch;
    net->width = width;
    net->in_c = in_c;
    net->in_h = in_h;
    net->in_w = in_w;
    net->classes = classes;
    net->layers = cs_alloc(NET_MAX_LAYERS, sizeof *net->layers, err);
    net->tensors = cs_alloc(NET_MAX_LAYERS + 1, sizeof *net->tensors, err);
    if (!net->layers || !net->tensors) return CS_ERR_RUNTIME;
    net->tensors[0] = (nn_tensor){in_c, in_h, in_w, -1};
    net->n_tensors = 1;
    return CS_OK;
}

long net_numel(const nn_net *net, int t, int n) {
    const nn_tensor *x = &net->tensors[t];
    return (long)x->C * x->H * x->W * n;
}

/* Append a layer whose output has shape (C, H, W); returns the output tensor. */
static int net_push(nn_net *net, nn_layer *l, int C, int H, int W, cs_error *err) {
    if (net->n_layers >= NET_MAX_LAYERS) {
        cs_fail(err, CS_ERR_RUNTIME, "network has more than %d layers", NET_MAX_LAYERS);
        return -1;
    }
    int t = net->n_tensors++;
    net->tensors[t] = (nn_tensor){C, H, W, net->n_layers};
    l->out = t;
    l->Ho = H;
    l->Wo = W;
    l->qidx = -1;
    net->layers[net->n_layers++] = *l;
    return t;
}

static nn_layer layer_on(const nn_net *net, nn_kind kind, const char *name, int in) {
    nn_layer l;
    memset(&l, 0, sizeof l);
    l.kind = kind;
    snprintf(l.name, sizeof l.name, "%s", name ? name : "");
    l.in = in;
    l.in2 = -1;
    l.C = net->tensors[in].C;
    l.H = net->tensors[in].H;
    l.W = net->tensors[in].W;
    return l;
}

int net_conv(nn_net *net, const char *name, int in, int M, int K, int stride, int pad,
             cs_error *err) {
    nn_layer l = layer_on(net, NN_CONV, name, in);
    l.M = M;
    l.K = K;
    l.stride = stride;
    l.pad = pad;
    l.wsize = (long)M * l.C * K * K;
    int Ho = (l.H + 2 * pad - K) / stride + 1, Wo = (l.W + 2 * pad - K) / stride + 1;
    return net_push(net, &l, M, Ho, Wo, err);
}

int net_bn(nn_net *net, const char *name, int in, int relu, cs_error *err) {
    nn_layer l = layer_on(net, NN_BN, name, in);
    l.M = l.C;
    l.relu = relu;
    l.eps = 1e-5f;
    return net_push(net, &l, l.C, l.H, l.W, err);
}

int net_relu(nn_net *net, int in, cs_error *err) {
    nn_layer l = layer_on(net, NN_RELU, "", in);
    l.M = l.C;
    return net_push(net, &l, l.C, l.H, l.W, err);
}

int net_add(nn_net *net, int a, int b, int relu, cs_error *err) {
    nn_layer l = layer_on(net, NN_ADD, "", a);
    l.in2 = b;
    l.M = l.C;
    l.relu = relu;
    return net_push(net, &l, l.C, l.H, l.W, err);
}

int net_shortcut_a(nn_net *net, int in, int M, int stride, cs_error *err) {
    nn_layer l = layer_on(net, NN_SHORTCUT_A, "", in);
    l.M = M;
    l.stride = stride;
    l.K = 1;
    return net_push(net, &l, M, (l.H - 1) / stride + 1, (l.W - 1) / stride + 1, err);
}

int net_gap(nn_net *net, int in, cs_error *err) {
    nn_layer l = layer_on(net, NN_GAP, "", in);
    l.M = l.C;
    return net_push(net, &l, l.C, 1, 1, err);
}

int net_linear(nn_net *net, const char *name, int in, int M, cs_error *err) {
    nn_layer l = layer_on(net, NN_LINEAR, name, in);
    if (l.H != 1 || l.W != 1) {
        cs_fail(err, CS_ERR_RUNTIME, "%s: a linear layer needs a pooled input", name);
        return -1;
    }
    l.M = M;
    l.K = 1;
    l.stride = 1;
    l.wsize = (long)M * l.C;
    return net_push(net, &l, M, 1, 1, err);
}

/* Parameter table entries of one layer, in state-dict order. */
static int layer_param_count(const nn_layer *l) {
    switch (l->kind) {
    case NN_CONV:
        return 1;
    case NN_BN:
        return 4;
    case NN_LINEAR:
        return 2;
    default:
        return 0;
    }
}

static void add_param(nn_net *net, int li, const char *suffix, int ndim, const int *shape,
                      int trainable, long *off) {
    nn_param *p = &net->params[net->n_params++];
    snprintf(p->name, sizeof p->name, "%s.%s", net->layers[li].name, suffix);
    p->ndim = ndim;
    p->size = 1;
    for (int d = 0; d < ndim; d++) {
        p->shape[d] = shape[d];
        p->size *= shape[d];
    }
    p->layer = li;
    p->trainable = trainable;
    p->data = net->pblock + *off;
    p->grad = trainable ? net->gblock + *off : NULL;
    *off += p->size;
}

static void bind_layer_params(nn_net *net, int li, long *off) {
    nn_layer *l = &net->layers[li];
    int first = net->n_params;
    if (l->kind == NN_CONV) {
        int shape[4] = {l->M, l->C, l->K, l->K};
        add_param(net, li, "weight", 4, shape, 1, off);
        l->w = net->params[first].data;
        l->gw = net->params[first].grad;
    } else if (l->kind == NN_LINEAR) {
        int shape[2] = {l->M, l->C}, bshape[1] = {l->M};
        add_param(net, li, "weight", 2, shape, 1, off);
        add_param(net, li, "bias", 1, bshape, 1, off);
        l->w = net->params[first].data;
        l->gw = net->params[first].grad;
        l->b = net->params[first + 1].data;
        l->gb = net->params[first + 1].grad;
    } else if (l->kind == NN_BN) {
        int shape[1] = {l->C};
        add_param(net, li, "weight", 1, shape, 1, off);
        add_param(net, li, "bias", 1, shape, 1, off);
        add_param(net, li, "running_mean", 1, shape, 0, off);
        add_param(net, li, "running_var", 1, shape, 0, off);
        l->gamma = net->params[first].data;
        l->ggamma = net->params[first].grad;
        l->beta = net->params[first + 1].data;
        l->gbeta = net->params[first + 1].grad;
        l->mean = net->params[first + 2].data;
        l->var = net->params[first + 3].data;
    }
}

static long layer_param_floats(const nn_layer *l) {
    switch (l->kind) {
    case NN_CONV:
        return l->wsize;
    case NN_LINEAR:
        return l->wsize + l->M;
    case NN_BN:
        return 4L * l->C;
    default:
        return 0;
    }
}

int net_finish(nn_net *net, cs_error *err) {
    int np = 0;
    long total = 0;
    for (int i = 0; i < net->n_layers; i++) {
        np += layer_param_count(&net->layers[i]);
        total += layer_param_floats(&net->layers[i]);
        if (net->layers[i].kind == NN_CONV || net->layers[i].kind == NN_LINEAR) net->n_q++;
    }
    net->p_total = total;
    net->params = cs_alloc((size_t)np, sizeof *net->params, err);
    net->pblock = cs_alloc_aligned((size_t)total, sizeof(float), err);
    net->gblock = cs_alloc_aligned((size_t)total, sizeof(float), err);
    net->qlayer = cs_alloc((size_t)net->n_q, sizeof *net->qlayer, err);
    net->qoff = cs_alloc((size_t)net->n_q + 1, sizeof *net->qoff, err);
    net->bn_stats = NULL;
    if (!net->params || !net->pblock || !net->gblock || !net->qlayer || !net->qoff)
        return CS_ERR_RUNTIME;
    long off = 0;
    int q = 0;
    for (int i = 0; i < net->n_layers; i++) {
        nn_layer *l = &net->layers[i];
        bind_layer_params(net, i, &off);
        if (l->kind == NN_CONV || l->kind == NN_LINEAR) {
            l->qidx = q;
            net->qlayer[q] = i;
            net->qoff[q + 1] = net->qoff[q] + l->wsize;
            q++;
        }
    }
    net->q_total = net->qoff[net->n_q];
    return CS_OK;
}

nn_param *nn_find_param(nn_net *net, const char *name) {
    for (int i = 0; i < net->n_params; i++)
        if (strcmp(net->params[i].name, name) == 0) return &net->params[i];
    return NULL;
}

long nn_count_trainable(const nn_net *net) {
    long n = 0;
    for (int i = 0; i < net->n_params; i++)
        if (net->params[i].trainable) n += net->params[i].size;
    return n;
}

void nn_copy_params(nn_net *dst, const nn_net *src) {
    memcpy(dst->pblock, src->pblock, (size_t)src->p_total * sizeof(float));
}

void nn_init_weights(nn_net *net, uint64_t seed) {
    for (int i = 0; i < net->n_params; i++) {
        nn_param *p = &net->params[i];
        const nn_layer *l = &net->layers[p->layer];
        const char *suffix = strrchr(p->name, '.') + 1;
        rng_stream r;
        rng_init(&r, seed, RNG_INIT, (uint64_t)i);
        if (l->kind == NN_CONV) {
            /* Kaiming normal, fan_out, ReLU gain (torchvision ResNet) */
            double sd = sqrt(2.0 / ((double)l->M * l->K * l->K));
            for (long j = 0; j < p->size; j++) p->data[j] = (float)(sd * rng_normal(&r));
        } else if (l->kind == NN_LINEAR) {
            /* PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias */
            double b = 1.0 / sqrt((double)l->C);
            for (long j = 0; j < p->size; j++)
                p->data[j] = (float)(b * (2.0 * rng_uniform(&r) - 1.0));
        } else {
            float v = strcmp(suffix, "weight") == 0 || strcmp(suffix, "running_var") == 0;
            for (long j = 0; j < p->size; j++) p->data[j] = v;
        }
    }
}

/* ---- memory plan ---- */

static void free_plan(nn_net *net) {
    for (int t = 0; net->x && t < net->n_tensors; t++) {
        free(net->x[t]);
        if (net->g) free(net->g[t]);
        if (net->rx) free(net->rx[t]);
        if (net->rg) free(net->rg[t]);
    }
    free(net->x);
    free(net->g);
    free(net->rx);
    free(net->rg);
    free(net->col);
    free(net->col2);
    free(net->grid);
    free(net->grid2);
    free(net->wpack);
    free(net->prob);
    free(net->bn_stats);
    free(net->flags);
    free(net->aq_buf);
    net->x = net->g = net->rx = net->rg = NULL;
    net->col = net->col2 = net->prob = net->bn_stats = net->grid = net->grid2 = net->wpack = NULL;
    net->flags = NULL;
    net->aq_buf = NULL;
    net->batch_cap = 0;
}

long nn_col_chunk(const nn_layer *l, int n) {
    /* images per im2col chunk: about NN_COL_TARGET floats of columns, at least one image */
    long per_image = (long)l->C * l->K * l->K * l->Ho * l->Wo;
    long chunk = NN_COL_TARGET / (per_image > 0 ? per_image : 1);
    if (chunk < 1) chunk = 1;
    if (chunk > n) chunk = n;
    return chunk;
}

static float **alloc_buffers(nn_net *net, int cap, cs_error *err) {
    float **b = cs_alloc((size_t)net->n_tensors, sizeof *b, err);
    if (!b) return NULL;
    for (int t = 0; t < net->n_tensors; t++) {
        b[t] = cs_alloc_aligned((size_t)net_numel(net, t, cap), sizeof(float), err);
        if (!b[t]) {
            for (int u = 0; u < t; u++) free(b[u]);
            free(b);
            return NULL;
        }
    }
    return b;
}

int nn_plan(nn_net *net, int batch_cap, unsigned what, cs_error *err) {
    free_plan(net);
    if (batch_cap < 1) return cs_fail(err, CS_ERR_INPUT, "batch size must be at least 1");
    long col = 1, grid = 1, wpack = 1;
    int bn_c = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const nn_layer *l = &net->layers[i];
        if (l->kind == NN_CONV) {
            long need = nn_col_chunk(l, batch_cap) * l->C * l->K * l->K * l->Ho * l->Wo;
            if (need > col) col = need;
            if (l->wsize > wpack) wpack = l->wsize;
        }
        if (l->kind == NN_CONV && conv3x3_usable(l, 0)) {
            /* every channel count a grid holds: the input (C), dy (M), and the two stacked
             * inputs of the R-passes; each is chunked on its own */
            int cin[4] = {l->C, l->M, 2 * l->C, 2 * l->M};
            for (int k = 0; k < 4; k++) {
                long g = conv3x3_grid_floats(cin[k], conv3x3_chunk(cin[k], batch_cap, l->H, l->W),
                                             l->H, l->W);
                if (g > grid) grid = g;
            }
        }
        if (l->kind == NN_BN) bn_c += l->C;
    }
    net->col_cap = col;
    net->x = alloc_buffers(net, batch_cap, err);
    if (!net->x) goto fail;
    if ((what & NN_PLAN_GRAD) && !(net->g = alloc_buffers(net, batch_cap, err))) goto fail;
    if ((what & NN_PLAN_R) && !(net->rx = alloc_buffers(net, batch_cap, err))) goto fail;
    if ((what & NN_PLAN_R) && !(net->rg = alloc_buffers(net, batch_cap, err))) goto fail;
    net->col = cs_alloc_aligned((size_t)col, sizeof(float), err);
    net->col2 = cs_alloc_aligned((size_t)col, sizeof(float), err);
    net->grid = cs_alloc_aligned((size_t)grid, sizeof(float), err);
    net->grid2 = cs_alloc_aligned((size_t)grid, sizeof(float), err);
    net->wpack = cs_alloc_aligned((size_t)(2 * wpack), sizeof(float), err);
    net->prob = cs_alloc((size_t)net->classes * batch_cap, sizeof(float), err);
    net->bn_stats = cs_alloc((size_t)(2 * bn_c + 1), sizeof(float), err);
    net->flags = cs_alloc((size_t)(3 * net->n_tensors), 1, err);
    long in_max = 1;
    for (int i = 0; i < net->n_layers; i++)
        if (net->layers[i].kind == NN_CONV || net->layers[i].kind == NN_LINEAR)
            if (net_numel(net, net->layers[i].in, batch_cap) > in_max)
                in_max = net_numel(net, net->layers[i].in, batch_cap);
    net->aq_buf = cs_alloc_aligned((size_t)in_max, sizeof(float), err);
    if (!net->col || !net->col2 || !net->prob || !net->bn_stats || !net->flags || !net->grid ||
        !net->grid2 || !net->wpack || !net->aq_buf)
        goto fail;
    float *s = net->bn_stats;
    for (int i = 0; i < net->n_layers; i++) {
        nn_layer *l = &net->layers[i];
        if (l->kind != NN_BN) continue;
        l->bmean = s;
        l->binvstd = s + l->C;
        s += 2 * l->C;
    }
    net->batch_cap = batch_cap;
    net->plan = what;
    return CS_OK;
fail:
    free_plan(net);
    return CS_ERR_RUNTIME;
}

void nn_free(nn_net *net) {
    if (!net) return;
    free_plan(net);
    free(net->layers);
    free(net->tensors);
    free(net->params);
    free(net->pblock);
    free(net->gblock);
    free(net->qlayer);
    free(net->qoff);
    memset(net, 0, sizeof *net);
}

void nn_set_threads(int threads) {
    if (threads <= 0) threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    openblas_set_num_threads(threads < 1 ? 1 : threads);
}

double nn_forward_flops(const nn_net *net) {
    double f = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const nn_layer *l = &net->layers[i];
        if (l->kind == NN_CONV) f += 2.0 * l->wsize * l->Ho * l->Wo;
        if (l->kind == NN_LINEAR) f += 2.0 * l->wsize;
    }
    return f;
}

void nn_set_act_quant(nn_net *net, int q, float scale, int bits, int is_signed) {
    nn_layer *l = &net->layers[net->qlayer[q]];
    l->aq.scale = scale;
    l->aq.bits = bits;
    l->aq.is_signed = is_signed;
}

void nn_set_qforward(nn_net *net, nn_qforward_fn fn, void *ctx) {
    net->qforward = fn;
    net->qforward_ctx = ctx;
}

void nn_quantize_values(const nn_act_quant *aq, const float *in, float *out, long n) {
    float lo = aq->is_signed ? -(float)((1 << (aq->bits - 1)) - 1) : 0.0f;
    float hi = aq->is_signed ? (float)((1 << (aq->bits - 1)) - 1) : (float)((1 << aq->bits) - 1);
    float inv = 1.0f / aq->scale;
    for (long i = 0; i < n; i++) {
        float q = roundf(in[i] * inv);
        q = q < lo ? lo : q > hi ? hi : q;
        out[i] = q * aq->scale;
    }
}

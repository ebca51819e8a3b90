/* Every layer kind: forward against a naive double-precision reference, and backward,
 * R-forward and R-backward against central finite differences of that reference, in double.
 *
 * For a layer y = f(x; W) and fixed random gy, Rx, V, Rgy, d (and dW):
 *   backward      <gx, d> + <gW, dW>  =  d/de <gy, f(x + e d; W + e dW)>
 *   R-forward     Ry                  =  d/de f(x + e Rx; W + e V)
 *   R-backward    <Rgx, d> + <RgW, dW> = d/de [ d/dh <gy + e Rgy, f(x + e Rx + h d; W + e V + h
 * dW)> ] (the last is the mixed second derivative, by a four-point difference). Both sides are
 * compared with normalised error <= 1e-4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "nn/nn_internal.h"

#define TOL 1e-4

/* ---- naive double references of each layer, on CNHW tensors ---- */

typedef struct ref_ctx {
    const nn_layer *l;
    int n;
    const double *x2; /* second input of an add */
    int train;        /* batch norm with batch statistics */
} ref_ctx;

static void ref_conv(const ref_ctx *r, const double *x, const double *w, double *y) {
    const nn_layer *l = r->l;
    int n = r->n;
    for (int m = 0; m < l->M; m++)
        for (int i = 0; i < n; i++)
            for (int ho = 0; ho < l->Ho; ho++)
                for (int wo = 0; wo < l->Wo; wo++) {
                    double s = 0;
                    for (int c = 0; c < l->C; c++)
                        for (int kh = 0; kh < l->K; kh++)
                            for (int kw = 0; kw < l->K; kw++) {
                                int hi = ho * l->stride - l->pad + kh,
                                    wi = wo * l->stride - l->pad + kw;
                                if (hi < 0 || hi >= l->H || wi < 0 || wi >= l->W) continue;
                                s += w[((m * l->C + c) * l->K + kh) * l->K + kw] *
                                     x[(((long)c * n + i) * l->H + hi) * l->W + wi];
                            }
                    y[(((long)m * n + i) * l->Ho + ho) * l->Wo + wo] = s;
                }
}

static void ref_linear(const ref_ctx *r, const double *x, const double *w, double *y) {
    const nn_layer *l = r->l;
    for (int m = 0; m < l->M; m++)
        for (int i = 0; i < r->n; i++) {
            double s = l->b[m];
            for (int c = 0; c < l->C; c++) s += w[m * l->C + c] * x[(long)c * r->n + i];
            y[(long)m * r->n + i] = s;
        }
}

static void ref_bn(const ref_ctx *r, const double *x, const double *w, double *y) {
    const nn_layer *l = r->l;
    long m = (long)r->n * l->H * l->W;
    (void)w;
    for (int c = 0; c < l->C; c++) {
        double mean = l->mean[c], var = l->var[c];
        if (r->train) {
            double s = 0, ss = 0;
            for (long i = 0; i < m; i++) s += x[c * m + i];
            mean = s / m;
            for (long i = 0; i < m; i++) ss += (x[c * m + i] - mean) * (x[c * m + i] - mean);
            var = ss / m;
        }
        double inv = 1.0 / sqrt(var + l->eps);
        for (long i = 0; i < m; i++) {
            double v = (x[c * m + i] - mean) * inv * l->gamma[c] + l->beta[c];
            y[c * m + i] = l->relu && v < 0 ? 0 : v;
        }
    }
}

static void ref_relu(const ref_ctx *r, const double *x, const double *w, double *y) {
    (void)w;
    long n = (long)r->l->C * r->n * r->l->H * r->l->W;
    for (long i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0;
}

static void ref_add(const ref_ctx *r, const double *x, const double *w, double *y) {
    (void)w;
    long n = (long)r->l->C * r->n * r->l->H * r->l->W;
    for (long i = 0; i < n; i++) {
        double v = x[i] + r->x2[i];
        y[i] = r->l->relu && v < 0 ? 0 : v;
    }
}

static void ref_shortcut(const ref_ctx *r, const double *x, const double *w, double *y) {
    const nn_layer *l = r->l;
    int pad = (l->M - l->C) / 2;
    (void)w;
    memset(y, 0, sizeof(double) * (size_t)((long)l->M * r->n * l->Ho * l->Wo));
    for (int c = 0; c < l->C; c++)
        for (int i = 0; i < r->n; i++)
            for (int ho = 0; ho < l->Ho; ho++)
                for (int wo = 0; wo < l->Wo; wo++)
                    y[(((long)(c + pad) * r->n + i) * l->Ho + ho) * l->Wo + wo] =
                        x[(((long)c * r->n + i) * l->H + ho * l->stride) * l->W + wo * l->stride];
}

static void ref_gap(const ref_ctx *r, const double *x, const double *w, double *y) {
    (void)w;
    long hw = (long)r->l->H * r->l->W;
    for (long k = 0; k < (long)r->l->C * r->n; k++) {
        double s = 0;
        for (long i = 0; i < hw; i++) s += x[k * hw + i];
        y[k] = s / hw;
    }
}

typedef void (*ref_fn)(const ref_ctx *, const double *, const double *, double *);

/* ---- one layer as a network ---- */

typedef struct case_ {
    nn_net net;
    nn_layer *l;
    ref_fn ref;
    int has_w; /* conv / linear: weights take part in the checks */
    long nx, ny, nw;
} case_;

static void randn(float *v, long n, uint64_t seed, double sd) {
    rng_stream r;
    rng_init(&r, seed, RNG_TEST, 0);
    for (long i = 0; i < n; i++) v[i] = (float)(sd * rng_normal(&r));
}

static void to_double(const float *f, double *d, long n) {
    for (long i = 0; i < n; i++) d[i] = f[i];
}

/* Build the one-layer network of `kind` over an input of C x H x W, batch n. */
static void build(case_ *t, const char *kind, int C, int H, int W, int n) {
    cs_error err;
    memset(t, 0, sizeof *t);
    nn_net *net = &t->net;
    assert_int_equal(net_begin(net, NN_TINY, 1.0, C, H, W, 10, &err), CS_OK);
    int out = -1, has_w = 0;
    ref_fn ref = NULL;
    if (!strncmp(kind, "conv", 4)) {
        int K, s, p, M;
        sscanf(kind, "conv%d/%d/%d/%d", &K, &s, &p, &M);
        out = net_conv(net, "conv", 0, M, K, s, p, &err), ref = ref_conv, has_w = 1;
    } else if (!strcmp(kind, "linear")) {
        out = net_linear(net, "fc", 0, 7, &err), ref = ref_linear, has_w = 1;
    } else if (!strncmp(kind, "bn", 2)) {
        out = net_bn(net, "bn", 0, strstr(kind, "relu") != NULL, &err), ref = ref_bn;
    } else if (!strcmp(kind, "relu")) {
        out = net_relu(net, 0, &err), ref = ref_relu;
    } else if (!strncmp(kind, "add", 3)) {
        int t1 = net_relu(net, 0, &err); /* only a second input tensor; filled by hand */
        out = net_add(net, 0, t1, strstr(kind, "relu") != NULL, &err), ref = ref_add;
    } else if (!strcmp(kind, "shortcut")) {
        out = net_shortcut_a(net, 0, 2 * C, 2, &err), ref = ref_shortcut;
    } else {
        out = net_gap(net, 0, &err), ref = ref_gap;
    }
    assert_true(out > 0);
    assert_int_equal(net_finish(net, &err), CS_OK);
    assert_int_equal(nn_plan(net, n, NN_PLAN_GRAD | NN_PLAN_R, &err), CS_OK);
    net->n = n;
    t->l = &net->layers[net->n_layers - 1];
    t->ref = ref;
    t->has_w = has_w;
    t->nx = net_numel(net, t->l->in, n);
    t->ny = net_numel(net, t->l->out, n);
    t->nw = has_w ? t->l->wsize : 0;
    randn(net->pblock, net->p_total, 5, 0.3);
    if (t->l->kind == NN_BN) /* positive variances and scales */
        for (int c = 0; c < t->l->C; c++) {
            t->l->var[c] = 0.5f + fabsf(t->l->var[c]);
            t->l->gamma[c] = 0.5f + fabsf(t->l->gamma[c]);
        }
}

static double nerr(const double *a, const double *b, long n) {
    double num = 0, den = 0;
    for (long i = 0; i < n; i++) num += (a[i] - b[i]) * (a[i] - b[i]), den += b[i] * b[i];
    return sqrt(num / (den > 0 ? den : 1e-300));
}

static double dot(const double *a, const double *b, long n) {
    double s = 0;
    for (long i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* <g, f(x + e dx; w + e dw)> by the reference */
static double probe(const case_ *t, const ref_ctx *r, const double *x, const double *dx, double ex,
                    const double *w, const double *dw, double ew, const double *g, double *tmp_x,
                    double *tmp_w, double *tmp_y) {
    for (long i = 0; i < t->nx; i++) tmp_x[i] = x[i] + ex * dx[i];
    for (long i = 0; i < t->nw; i++) tmp_w[i] = w[i] + ew * dw[i];
    t->ref(r, tmp_x, tmp_w, tmp_y);
    return dot(g, tmp_y, t->ny);
}

static void run_case(const char *kind, int C, int H, int W, int n, int train) {
    case_ t;
    build(&t, kind, C, H, W, n);
    nn_net *net = &t.net;
    nn_layer *l = t.l;
    net->train_mode = train;
    long nx = t.nx, ny = t.ny, nw = t.nw;
    double *x = calloc((size_t)nx, 8), *x2 = calloc((size_t)nx, 8), *w = calloc((size_t)nw + 1, 8);
    double *gy = calloc((size_t)ny, 8), *rx = calloc((size_t)nx, 8), *v = calloc((size_t)nw + 1, 8);
    double *rgy = calloc((size_t)ny, 8), *d = calloc((size_t)nx, 8),
           *dw = calloc((size_t)nw + 1, 8);
    double *y = calloc((size_t)ny, 8), *tx = calloc((size_t)nx, 8), *tw = calloc((size_t)nw + 1, 8);
    double *ty = calloc((size_t)ny, 8), *fd = calloc((size_t)ny, 8),
           *buf = calloc((size_t)(nx + ny + nw + 1), 8);
    float *fv = calloc((size_t)nw + 1, sizeof(float)), *fhv = calloc((size_t)nw + 1, sizeof(float));
    randn(net->x[0], nx, 11, 1.0);
    to_double(net->x[0], x, nx);
    if (l->kind == NN_ADD) {
        randn(net->x[l->in2], nx, 12, 1.0);
        to_double(net->x[l->in2], x2, nx);
    }
    if (nw) to_double(l->w, w, nw);
    ref_ctx r = {l, n, x2, train};
    /* forward */
    nn_layer *first = &net->layers[0];
    (void)first;
    NN_LAYER_OPS[l->kind].forward(net, l);
    t.ref(&r, x, w, y);
    to_double(net->x[l->out], buf, ny);
    double e_fwd = nerr(buf, y, ny);
    /* random directions */
    float *f =
        malloc(sizeof(float) * (size_t)(nx > ny ? nx : ny) + sizeof(float) * (size_t)(nw + 1));
    randn(f, ny, 21, 1.0), to_double(f, gy, ny);
    randn(f, ny, 22, 1.0), to_double(f, rgy, ny);
    randn(f, nx, 23, 1.0), to_double(f, rx, nx);
    randn(f, nx, 24, 1.0), to_double(f, d, nx);
    randn(f, nw, 25, 1.0), to_double(f, v, nw);
    randn(f, nw, 26, 1.0), to_double(f, dw, nw);
    /* backward: <gx, d> + <gW, dW> */
    nn_pass ps;
    memset(&ps, 0, sizeof ps);
    ps.g_set = net->flags, ps.rx_set = net->flags + net->n_tensors,
    ps.rg_set = net->flags + 2 * net->n_tensors;
    memset(net->flags, 0, (size_t)(3 * net->n_tensors));
    for (long i = 0; i < ny; i++) net->g[l->out][i] = (float)gy[i];
    ps.g_set[l->out] = 1;
    ps.want_wgrad = 1, ps.need_input_grad = 1;
    NN_LAYER_OPS[l->kind].backward(net, l, &ps);
    double got = 0;
    for (long i = 0; i < nx; i++) got += net->g[l->in][i] * d[i];
    for (long i = 0; i < nw; i++) got += l->gw[i] * dw[i];
    const double e = 1e-5;
    double want = (probe(&t, &r, x, d, e, w, dw, e, gy, tx, tw, ty) -
                   probe(&t, &r, x, d, -e, w, dw, -e, gy, tx, tw, ty)) /
                  (2 * e);
    double e_bwd = fabs(got - want) / (fabs(want) + 1e-12);
    double e_rf = 0, e_rb = 0;
    if (!train) {
        /* R-forward: Ry = d/de f(x + e Rx; W + e V) */
        for (long i = 0; i < nx; i++) net->rx[l->in][i] = (float)rx[i];
        ps.rx_set[l->in] = 1;
        if (l->kind == NN_ADD) { /* the second input's tangent is zero */
        }
        for (long i = 0; i < nw; i++) fv[i] = (float)v[i];
        ps.v = t.has_w ? fv : NULL;
        ps.q_first = ps.q_last = t.has_w ? l->qidx : -1;
        NN_LAYER_OPS[l->kind].rforward(net, l, &ps);
        for (long i = 0; i < nx; i++) tx[i] = x[i] + e * rx[i];
        for (long i = 0; i < nw; i++) tw[i] = w[i] + e * v[i];
        t.ref(&r, tx, tw, fd);
        for (long i = 0; i < nx; i++) tx[i] = x[i] - e * rx[i];
        for (long i = 0; i < nw; i++) tw[i] = w[i] - e * v[i];
        t.ref(&r, tx, tw, ty);
        for (long i = 0; i < ny; i++) fd[i] = (fd[i] - ty[i]) / (2 * e);
        to_double(net->rx[l->out], buf, ny);
        e_rf = nerr(buf, fd, ny);
        /* R-backward: <Rgx, d> + <RgW, dW> = mixed second derivative */
        for (long i = 0; i < ny; i++) net->rg[l->out][i] = (float)rgy[i];
        memset(ps.rg_set, 0, (size_t)net->n_tensors);
        ps.rg_set[l->out] = 1;
        ps.use_g = 1;
        ps.hv = t.has_w ? fhv : NULL;
        NN_LAYER_OPS[l->kind].rbackward(net, l, &ps);
        got = 0;
        for (long i = 0; i < nx; i++) got += net->rg[l->in][i] * d[i];
        for (long i = 0; i < nw; i++) got += fhv[i] * dw[i];
        /* F(e, h) = <gy + e Rgy, f(x + e Rx + h d; W + e V + h dW)> */
        const double h = 1e-4, k = 1e-4;
        double F[4], *g2 = calloc((size_t)ny, 8), *xx = calloc((size_t)nx, 8),
                     *ww = calloc((size_t)nw + 1, 8);
        int si[4][2] = {{1, 1}, {1, -1}, {-1, 1}, {-1, -1}};
        for (int c = 0; c < 4; c++) {
            double ee = si[c][0] * k, hh = si[c][1] * h;
            for (long i = 0; i < ny; i++) g2[i] = gy[i] + ee * rgy[i];
            for (long i = 0; i < nx; i++) xx[i] = x[i] + ee * rx[i] + hh * d[i];
            for (long i = 0; i < nw; i++) ww[i] = w[i] + ee * v[i] + hh * dw[i];
            t.ref(&r, xx, ww, ty);
            F[c] = dot(g2, ty, ny);
        }
        want = (F[0] - F[1] - F[2] + F[3]) / (4 * h * k);
        e_rb = fabs(got - want) / (fabs(want) + 1e-9);
        free(g2), free(xx), free(ww);
    }
    printf("%-14s %s: forward %.1e  backward %.1e  R-forward %.1e  R-backward %.1e\n", kind,
           train ? "train" : "eval ", e_fwd, e_bwd, e_rf, e_rb);
    assert_true(e_fwd <= TOL);
    assert_true(e_bwd <= TOL);
    assert_true(e_rf <= TOL);
    assert_true(e_rb <= TOL);
    free(x), free(x2), free(w), free(gy), free(rx), free(v), free(rgy), free(d), free(dw), free(y);
    free(tx), free(tw), free(ty), free(fd), free(buf), free(fv), free(fhv), free(f);
    nn_free(net);
}

static void test_conv_direct_3x3(void **s) {
    (void)s;
    run_case("conv3/1/1/8", 4, 7, 9, 3, 0); /* the direct kernel (channels in fours) */
}

static void test_conv_im2col(void **s) {
    (void)s;
    run_case("conv3/1/1/5", 3, 6, 6, 2, 0); /* 3 input channels: im2col + GEMM */
    run_case("conv3/2/1/6", 4, 7, 8, 2, 0); /* stride 2 */
    run_case("conv1/1/0/6", 5, 5, 5, 2, 0); /* pointwise: x is its own im2col */
    run_case("conv1/2/0/8", 4, 6, 6, 3, 0); /* strided 1x1 (downsample) */
}

static void test_batchnorm(void **s) {
    (void)s;
    run_case("bn", 3, 4, 5, 4, 0);
    run_case("bn+relu", 3, 4, 5, 4, 0);
    run_case("bn", 3, 4, 5, 4, 1); /* batch statistics */
    run_case("bn+relu", 3, 4, 5, 4, 1);
}

static void test_elementwise(void **s) {
    (void)s;
    run_case("relu", 3, 4, 4, 2, 0);
    run_case("add", 3, 4, 4, 2, 0);
    run_case("add+relu", 3, 4, 4, 2, 0);
    run_case("shortcut", 4, 6, 6, 2, 0);
    run_case("gap", 5, 4, 3, 3, 0);
}

static void test_linear(void **s) {
    (void)s;
    run_case("linear", 6, 1, 1, 5, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_direct_3x3), cmocka_unit_test(test_conv_im2col),
        cmocka_unit_test(test_batchnorm),       cmocka_unit_test(test_elementwise),
        cmocka_unit_test(test_linear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

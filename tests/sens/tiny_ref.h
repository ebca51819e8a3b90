/* An independent double-precision implementation of the "tiny" network (conv 3x3 s1 p1,
 * ReLU, conv 3x3 s2 p1, ReLU, global average pool, linear with bias) with naive loops and a
 * hand-written backward pass. Tests use it as the reference for gradients, Hessians (by
 * central differences of these gradients) and per-sample Fisher information. */
#ifndef CS_TINY_REF_H
#define CS_TINY_REF_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct tiny_ref {
    int cin, c, h, w, classes, h2, w2;
    long n1, n2, nf, nb, total; /* weights of conv1, conv2, fc weight, fc bias */
} tiny_ref;

static tiny_ref tiny_ref_shape(int cin, int c, int h, int w, int classes) {
    tiny_ref t = {cin, c, h, w, classes, (h - 1) / 2 + 1, (w - 1) / 2 + 1, 0, 0, 0, 0, 0};
    t.n1 = (long)c * cin * 9;
    t.n2 = (long)c * c * 9;
    t.nf = (long)classes * c;
    t.nb = classes;
    t.total = t.n1 + t.n2 + t.nf + t.nb;
    return t;
}

/* y[m][ho][wo] = sum W[m][ci][kh][kw] x[ci][ho*s-1+kh][wo*s-1+kw] */
static void ref_conv(const double *x, int ci, int h, int w, const double *W, int m, int s,
                     double *y, int ho_n, int wo_n) {
    for (int o = 0; o < m; o++)
        for (int ho = 0; ho < ho_n; ho++)
            for (int wo = 0; wo < wo_n; wo++) {
                double acc = 0;
                for (int c = 0; c < ci; c++)
                    for (int kh = 0; kh < 3; kh++)
                        for (int kw = 0; kw < 3; kw++) {
                            int hi = ho * s - 1 + kh, wi = wo * s - 1 + kw;
                            if (hi < 0 || hi >= h || wi < 0 || wi >= w) continue;
                            acc += W[((o * ci + c) * 3 + kh) * 3 + kw] * x[(c * h + hi) * w + wi];
                        }
                y[(o * ho_n + ho) * wo_n + wo] = acc;
            }
}

/* Loss -log p(label | x) of one sample and, when grad != NULL, its gradient w.r.t. all
 * parameters (packed conv1, conv2, fc.weight, fc.bias). Returns the loss. */
static double tiny_ref_loss(const tiny_ref *t, const double *p, const double *x, int label,
                            double *grad) {
    const double *W1 = p, *W2 = p + t->n1, *F = p + t->n1 + t->n2, *B = F + t->nf;
    long a1n = (long)t->c * t->h * t->w, a2n = (long)t->c * t->h2 * t->w2;
    double *a1 = calloc((size_t)a1n, sizeof(double)), *a2 = calloc((size_t)a2n, sizeof(double));
    double *pool = calloc((size_t)t->c, sizeof(double)),
           *z = calloc((size_t)t->classes, sizeof(double));
    ref_conv(x, t->cin, t->h, t->w, W1, t->c, 1, a1, t->h, t->w);
    for (long i = 0; i < a1n; i++) a1[i] = a1[i] > 0 ? a1[i] : 0;
    ref_conv(a1, t->c, t->h, t->w, W2, t->c, 2, a2, t->h2, t->w2);
    for (long i = 0; i < a2n; i++) a2[i] = a2[i] > 0 ? a2[i] : 0;
    int hw2 = t->h2 * t->w2;
    for (int c = 0; c < t->c; c++) {
        for (int i = 0; i < hw2; i++) pool[c] += a2[c * hw2 + i];
        pool[c] /= hw2;
    }
    double mx = -1e300, se = 0;
    for (int k = 0; k < t->classes; k++) {
        z[k] = B[k];
        for (int c = 0; c < t->c; c++) z[k] += F[k * t->c + c] * pool[c];
        mx = z[k] > mx ? z[k] : mx;
    }
    for (int k = 0; k < t->classes; k++) se += exp(z[k] - mx);
    double loss = log(se) + mx - z[label];
    if (grad) {
        memset(grad, 0, sizeof(double) * (size_t)t->total);
        double *gW1 = grad, *gW2 = grad + t->n1, *gF = gW2 + t->n2, *gB = gF + t->nf;
        double *gpool = calloc((size_t)t->c, sizeof(double));
        double *ga2 = calloc((size_t)a2n, sizeof(double)),
               *ga1 = calloc((size_t)a1n, sizeof(double));
        for (int k = 0; k < t->classes; k++) {
            double dz = exp(z[k] - mx) / se - (k == label);
            gB[k] = dz;
            for (int c = 0; c < t->c; c++) {
                gF[k * t->c + c] = dz * pool[c];
                gpool[c] += dz * F[k * t->c + c];
            }
        }
        for (int c = 0; c < t->c; c++)
            for (int i = 0; i < hw2; i++)
                ga2[c * hw2 + i] = a2[c * hw2 + i] > 0 ? gpool[c] / hw2 : 0;
        for (int o = 0; o < t->c; o++) /* conv2 (stride 2): weight and input gradients */
            for (int ho = 0; ho < t->h2; ho++)
                for (int wo = 0; wo < t->w2; wo++) {
                    double g = ga2[(o * t->h2 + ho) * t->w2 + wo];
                    for (int c = 0; c < t->c; c++)
                        for (int kh = 0; kh < 3; kh++)
                            for (int kw = 0; kw < 3; kw++) {
                                int hi = ho * 2 - 1 + kh, wi = wo * 2 - 1 + kw;
                                if (hi < 0 || hi >= t->h || wi < 0 || wi >= t->w) continue;
                                long wi_ = ((o * t->c + c) * 3 + kh) * 3 + kw,
                                     xi = (c * t->h + hi) * t->w + wi;
                                gW2[wi_] += g * a1[xi];
                                ga1[xi] += g * W2[wi_];
                            }
                }
        for (long i = 0; i < a1n; i++) ga1[i] = a1[i] > 0 ? ga1[i] : 0;
        for (int o = 0; o < t->c; o++) /* conv1: weight gradient */
            for (int ho = 0; ho < t->h; ho++)
                for (int wo = 0; wo < t->w; wo++) {
                    double g = ga1[(o * t->h + ho) * t->w + wo];
                    for (int c = 0; c < t->cin; c++)
                        for (int kh = 0; kh < 3; kh++)
                            for (int kw = 0; kw < 3; kw++) {
                                int hi = ho - 1 + kh, wi = wo - 1 + kw;
                                if (hi < 0 || hi >= t->h || wi < 0 || wi >= t->w) continue;
                                gW1[((o * t->cin + c) * 3 + kh) * 3 + kw] +=
                                    g * x[(c * t->h + hi) * t->w + wi];
                            }
                }
        free(gpool);
        free(ga2);
        free(ga1);
    }
    free(a1);
    free(a2);
    free(pool);
    free(z);
    return loss;
}

#endif

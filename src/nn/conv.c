/* Convolution (no bias) in CNHW layout as im2col + OpenBLAS sgemm, in image chunks.
 *
 *   forward      y  = W . col(x)
 *   backward     gW = gy . col(x)^T,      gx = col2im(W^T . gy)
 *   R-forward    Ry = W . col(Rx) + V . col(x)                         (Pearlmutter 1994)
 *   R-backward   R{gW} = Rgy . col(x)^T + gy . col(Rx)^T   (= H v for this layer's weights)
 *                Rgx = col2im(W^T . Rgy + V^T . gy)
 * A 1x1 stride-1 unpadded conv uses x itself as col. Terms whose buffers are zero in this
 * pass (no tangent yet, no direction on this layer) are skipped. */
#include <cblas.h>
#include <string.h>

#include "nn/nn_internal.h"

static int conv_is_pointwise(const nn_layer *l) {
    return l->K == 1 && l->stride == 1 && l->pad == 0;
}

void im2col_cnhw(const float *x, int C, int N, int H, int W, int K, int stride, int pad, int Ho,
                 int Wo, int n0, int n1, float *col) {
    long cols = (long)(n1 - n0) * Ho * Wo;
    for (int c = 0; c < C; c++)
        for (int kh = 0; kh < K; kh++)
            for (int kw = 0; kw < K; kw++) {
                float *row = col + (((long)c * K + kh) * K + kw) * cols;
                /* output columns wo whose input column wi = wo*stride - pad + kw is inside */
                int wlo = 0, whi = Wo;
                while (wlo < Wo && wlo * stride - pad + kw < 0) wlo++;
                while (whi > wlo && (whi - 1) * stride - pad + kw >= W) whi--;
                for (int n = n0; n < n1; n++) {
                    const float *img = x + ((long)c * N + n) * H * W;
                    for (int ho = 0; ho < Ho; ho++, row += Wo) {
                        int hi = ho * stride - pad + kh;
                        if (hi < 0 || hi >= H) {
                            memset(row, 0, sizeof(float) * (size_t)Wo);
                            continue;
                        }
                        const float *src = img + (long)hi * W - pad + kw;
                        for (int wo = 0; wo < wlo; wo++) row[wo] = 0.0f;
                        if (stride == 1 && whi - wlo < 16) /* short rows: a call costs more */
                            for (int wo = wlo; wo < whi; wo++) row[wo] = src[wo];
                        else if (stride == 1)
                            memcpy(row + wlo, src + wlo, sizeof(float) * (size_t)(whi - wlo));
                        else
                            for (int wo = wlo; wo < whi; wo++) row[wo] = src[wo * stride];
                        for (int wo = whi; wo < Wo; wo++) row[wo] = 0.0f;
                    }
                }
            }
}

void col2im_cnhw_add(const float *col, int C, int N, int H, int W, int K, int stride, int pad,
                     int Ho, int Wo, int n0, int n1, float *x) {
    long cols = (long)(n1 - n0) * Ho * Wo;
    for (int c = 0; c < C; c++)
        for (int kh = 0; kh < K; kh++)
            for (int kw = 0; kw < K; kw++) {
                const float *row = col + (((long)c * K + kh) * K + kw) * cols;
                int wlo = 0, whi = Wo;
                while (wlo < Wo && wlo * stride - pad + kw < 0) wlo++;
                while (whi > wlo && (whi - 1) * stride - pad + kw >= W) whi--;
                for (int n = n0; n < n1; n++) {
                    float *img = x + ((long)c * N + n) * H * W;
                    for (int ho = 0; ho < Ho; ho++, row += Wo) {
                        int hi = ho * stride - pad + kh;
                        if (hi < 0 || hi >= H) continue;
                        float *dst = img + (long)hi * W - pad + kw;
                        if (stride == 1)
                            for (int wo = wlo; wo < whi; wo++) dst[wo] += row[wo];
                        else
                            for (int wo = wlo; wo < whi; wo++) dst[wo * stride] += row[wo];
                    }
                }
            }
}

/* col of tensor `src` for images [n0, n1) of layer l: a view when pointwise, else im2col
 * into ws. Returns the matrix and its leading dimension. */
static const float *conv_col(const nn_net *net, const nn_layer *l, const float *src, int n0, int n1,
                             float *ws, long *ld) {
    long hw = (long)l->Ho * l->Wo;
    if (conv_is_pointwise(l)) {
        *ld = (long)net->n * hw;
        return src + (long)n0 * hw;
    }
    im2col_cnhw(src, l->C, net->n, l->H, l->W, l->K, l->stride, l->pad, l->Ho, l->Wo, n0, n1, ws);
    *ld = (long)(n1 - n0) * hw;
    return ws;
}

/* out (+)= direct 3x3 convolution of the nsrc inputs src[k] (Cin channels each, stacked)
 * with weights packed for them (Mout outputs). */
static void conv3x3_apply(nn_net *net, const nn_layer *l, const float *const *src, int nsrc,
                          int Cin, int Mout, float *out, int add) {
    int n = net->n, chunk = conv3x3_chunk(nsrc * Cin, n, l->H, l->W);
    long gimg = (long)(l->H + 2) * (l->W + 2);
    for (int n0 = 0; n0 < n; n0 += chunk) {
        int n1 = n0 + chunk < n ? n0 + chunk : n;
        for (int k = 0; k < nsrc; k++)
            conv3x3_to_grid(src[k], Cin, n, l->H, l->W, n0, n1,
                            net->grid + (long)k * Cin * (n1 - n0) * gimg);
        conv3x3_run(net->grid, nsrc * Cin, n0, n1, n, l->H, l->W, net->wpack, Mout, out, add);
    }
}

/* out[:, chunk] (+)= A . col(src) over all chunks; A is M x CKK. */
static void conv_apply(nn_net *net, const nn_layer *l, const float *A, const float *src, float *out,
                       float beta) {
    if (conv3x3_usable(l, 0)) {
        const float *w[1] = {A};
        conv3x3_pack_weights(w, 1, l->M, l->C, 0, net->wpack);
        conv3x3_apply(net, l, &src, 1, l->C, l->M, out, beta != 0.0f);
        return;
    }
    int n = net->n, ckk = l->C * l->K * l->K;
    long hw = (long)l->Ho * l->Wo, ldy = (long)n * hw;
    long chunk = conv_is_pointwise(l) ? n : nn_col_chunk(l, n);
    for (int n0 = 0; n0 < n; n0 += (int)chunk) {
        int n1 = n0 + (int)chunk < n ? n0 + (int)chunk : n;
        long ldc;
        const float *col = conv_col(net, l, src, n0, n1, net->col, &ldc);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, l->M, (int)((n1 - n0) * hw), ckk,
                    1.0f, A, ckk, col, (int)ldc, beta, out + (long)n0 * hw, (int)ldy);
    }
}

/* G (+)= dy . col(src)^T over all chunks: the weight-gradient form, M x CKK. */
static void conv_wgrad(nn_net *net, const nn_layer *l, const float *dy, const float *src, float *G,
                       float beta) {
    if (conv3x3_usable(l, 0)) {
        int n = net->n, c = l->C > l->M ? l->C : l->M;
        int chunk = conv3x3_chunk(c, n, l->H, l->W);
        for (int n0 = 0; n0 < n; n0 += chunk) {
            int n1 = n0 + chunk < n ? n0 + chunk : n;
            conv3x3_to_grid(src, l->C, n, l->H, l->W, n0, n1, net->grid);
            conv3x3_dy_to_grid(dy, l->M, n, l->H, l->W, n0, n1, net->grid2);
            conv3x3_wgrad(net->grid2, net->grid, l->C, l->M, n1 - n0, l->H, l->W, G,
                          n0 > 0 || beta != 0.0f);
        }
        return;
    }
    int n = net->n, ckk = l->C * l->K * l->K;
    long hw = (long)l->Ho * l->Wo, ldy = (long)n * hw;
    long chunk = conv_is_pointwise(l) ? n : nn_col_chunk(l, n);
    for (int n0 = 0; n0 < n; n0 += (int)chunk) {
        int n1 = n0 + (int)chunk < n ? n0 + (int)chunk : n;
        long ldc;
        const float *col = conv_col(net, l, src, n0, n1, net->col, &ldc);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, l->M, ckk, (int)((n1 - n0) * hw), 1.0f,
                    dy + (long)n0 * hw, (int)ldy, col, (int)ldc, beta, G, ckk);
        beta = 1.0f;
    }
}

/* dx (+)= col2im(A^T . dy + A2^T . dy2) for A, A2 (M x CKK; A2 may be NULL); *set says
 * whether dx holds data already. */
static void conv_dgrad(nn_net *net, const nn_layer *l, const float *A, const float *dy, float *dx,
                       unsigned char *set, const float *A2, const float *dy2) {
    int n = net->n, ckk = l->C * l->K * l->K;
    long hw = (long)l->Ho * l->Wo, ldy = (long)n * hw;
    if (conv3x3_usable(l, 1)) {
        /* stride 1: gx = conv(bordered dy, W transposed and flipped) */
        /* with a second term, one conv over the stacked (dy, dy2) */
        const float *w[2] = {A, A2}, *in[2] = {dy, dy2};
        conv3x3_pack_weights(w, A2 ? 2 : 1, l->M, l->C, 1, net->wpack);
        conv3x3_apply(net, l, in, A2 ? 2 : 1, l->M, l->C, dx, *set);
        *set = 1;
        return;
    }
    if (conv_is_pointwise(l)) {
        float beta = *set ? 1.0f : 0.0f;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ckk, (int)ldy, l->M, 1.0f, A, ckk, dy,
                    (int)ldy, beta, dx, (int)ldy);
        if (A2)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ckk, (int)ldy, l->M, 1.0f, A2, ckk,
                        dy2, (int)ldy, 1.0f, dx, (int)ldy);
        *set = 1;
        return;
    }
    if (!*set) memset(dx, 0, sizeof(float) * (size_t)((long)l->C * n * l->H * l->W));
    long chunk = nn_col_chunk(l, n);
    for (int n0 = 0; n0 < n; n0 += (int)chunk) {
        int n1 = n0 + (int)chunk < n ? n0 + (int)chunk : n;
        int cols = (int)((n1 - n0) * hw);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ckk, cols, l->M, 1.0f, A, ckk,
                    dy + (long)n0 * hw, (int)ldy, 0.0f, net->col, cols);
        if (A2)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ckk, cols, l->M, 1.0f, A2, ckk,
                        dy2 + (long)n0 * hw, (int)ldy, 1.0f, net->col, cols);
        col2im_cnhw_add(net->col, l->C, n, l->H, l->W, l->K, l->stride, l->pad, l->Ho, l->Wo, n0,
                        n1, dx);
    }
    *set = 1;
}

void conv_wgrad_images(nn_net *net, const nn_layer *l, int n0, int n1, float *G) {
    const float *dy = net->g[l->out], *src = net->x[l->in];
    int n = net->n, ckk = l->C * l->K * l->K;
    long hw = (long)l->Ho * l->Wo, ldy = (long)n * hw;
    if (conv3x3_usable(l, 0)) {
        conv3x3_to_grid(src, l->C, n, l->H, l->W, n0, n1, net->grid);
        conv3x3_dy_to_grid(dy, l->M, n, l->H, l->W, n0, n1, net->grid2);
        conv3x3_wgrad(net->grid2, net->grid, l->C, l->M, n1 - n0, l->H, l->W, G, 0);
        return;
    }
    long ldc;
    const float *col = conv_col(net, l, src, n0, n1, net->col, &ldc);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, l->M, ckk, (int)((n1 - n0) * hw), 1.0f,
                dy + (long)n0 * hw, (int)ldy, col, (int)ldc, 0.0f, G, ckk);
}

void conv_forward(nn_net *net, nn_layer *l) {
    conv_apply(net, l, l->w, net->x[l->in], net->x[l->out], 0.0f);
}

void conv_backward(nn_net *net, nn_layer *l, nn_pass *ps) {
    const float *gy = net->g[l->out];
    if (ps->want_wgrad) conv_wgrad(net, l, gy, net->x[l->in], l->gw, 0.0f);
    if (ps->need_input_grad)
        conv_dgrad(net, l, l->w, gy, net->g[l->in], &ps->g_set[l->in], NULL, NULL);
}

void conv_rforward(nn_net *net, nn_layer *l, nn_pass *ps) {
    const float *v = pass_v(net, ps, l);
    int has_rx = ps->rx_set[l->in];
    if (!v && !has_rx) return; /* tangent stays zero */
    float *ry = net->rx[l->out];
    if (has_rx && v && conv3x3_usable(l, 0)) {
        /* W . Rx + V . x as one conv over the stacked (Rx, x) */
        const float *w[2] = {l->w, v}, *in[2] = {net->rx[l->in], net->x[l->in]};
        conv3x3_pack_weights(w, 2, l->M, l->C, 0, net->wpack);
        conv3x3_apply(net, l, in, 2, l->C, l->M, ry, 0);
    } else {
        if (has_rx) conv_apply(net, l, l->w, net->rx[l->in], ry, 0.0f);
        if (v) conv_apply(net, l, v, net->x[l->in], ry, has_rx ? 1.0f : 0.0f);
    }
    ps->rx_set[l->out] = 1;
}

void conv_rbackward(nn_net *net, nn_layer *l, nn_pass *ps) {
    const float *v = pass_v(net, ps, l);
    int has_rg = ps->rg_set[l->out];
    int has_g = ps->use_g && ps->g_set[l->out];
    float *hv = pass_hv(net, ps, l);
    if (hv) {
        float beta = 0.0f;
        if (has_rg) {
            conv_wgrad(net, l, net->rg[l->out], net->x[l->in], hv, 0.0f);
            beta = 1.0f;
        }
        if (has_g && ps->rx_set[l->in]) {
            conv_wgrad(net, l, net->g[l->out], net->rx[l->in], hv, beta);
            beta = 1.0f;
        }
        if (beta == 0.0f) memset(hv, 0, sizeof(float) * (size_t)l->wsize);
    }
    if (!ps->need_input_grad) return;
    const float *A2 = v && has_g ? v : NULL;
    if (has_rg)
        conv_dgrad(net, l, l->w, net->rg[l->out], net->rg[l->in], &ps->rg_set[l->in], A2,
                   net->g ? net->g[l->out] : NULL);
    else if (A2)
        conv_dgrad(net, l, A2, net->g[l->out], net->rg[l->in], &ps->rg_set[l->in], NULL, NULL);
}

void nn_conv_im2col(const nn_layer *l, const float *x, int N, int n0, int n1, float *col) {
    im2col_cnhw(x, l->C, N, l->H, l->W, l->K, l->stride, l->pad, l->Ho, l->Wo, n0, n1, col);
}

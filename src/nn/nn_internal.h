/* nn_internal: what the layer files share inside nn/ (not part of the public API). */
#ifndef CS_NN_INTERNAL_H
#define CS_NN_INTERNAL_H

#include "nn/nn.h"

/* ---- building (net.c) ---- */

/* Start an empty network description. */
int net_begin(nn_net *net, int arch, double width, int in_c, int in_h, int in_w, int classes,
              cs_error *err);

/* Append a layer reading tensor `in` (and in2 for NN_ADD); creates its output tensor and
 * returns that tensor's index, or -1 on allocation failure. */
int net_conv(nn_net *net, const char *name, int in, int M, int K, int stride, int pad,
             cs_error *err);
int net_bn(nn_net *net, const char *name, int in, int relu, cs_error *err);
int net_relu(nn_net *net, int in, cs_error *err);
int net_add(nn_net *net, int a, int b, int relu, cs_error *err);
int net_shortcut_a(nn_net *net, int in, int M, int stride, cs_error *err);
int net_gap(nn_net *net, int in, cs_error *err);
int net_linear(nn_net *net, const char *name, int in, int M, cs_error *err);

/* Allocate parameters, create the parameter table and the qlayer index. */
int net_finish(nn_net *net, cs_error *err);

/* Elements of tensor t for n images. */
long net_numel(const nn_net *net, int t, int n);

/* ---- per-layer kernels: forward, backward, R-forward, R-backward (one file per kind) ----
 * Pass state shared by the kernels: validity of tangent / gradient buffers (a buffer that was
 * never written is an exact zero and is skipped), and whether a gradient buffer has been
 * written yet in this pass (first writer stores, later writers add). */
typedef struct nn_pass {
    unsigned char *g_set;  /* per tensor: g written in this backward pass */
    unsigned char *rx_set; /* per tensor: rx non-zero (written) in this R-forward pass */
    unsigned char *rg_set; /* per tensor: rg written in this R-backward pass */
    int want_wgrad;        /* backward: compute weight gradients */
    const float *v;        /* R passes: direction on qlayers q_first..q_last, packed */
    int q_first, q_last;   /* support of v (and of the H v block computed) */
    float *hv;             /* R-backward output, packed like v */
    int use_g;             /* R-backward may use the gradients of nn_backward */
    int need_input_grad;   /* propagate gradients into the tensor below this layer */
} nn_pass;

/* Direction of qlayer l->qidx inside v, or NULL when v is zero there. */
const float *pass_v(const nn_net *net, const nn_pass *ps, const nn_layer *l);

/* Where H v of layer l goes, or NULL when l is outside the support. */
float *pass_hv(const nn_net *net, const nn_pass *ps, const nn_layer *l);

void conv_forward(nn_net *net, nn_layer *l);
/* G = weight gradient of images [n0, n1) only (from g and x of the current batch). */
void conv_wgrad_images(nn_net *net, const nn_layer *l, int n0, int n1, float *G);
void conv_backward(nn_net *net, nn_layer *l, nn_pass *ps);
void conv_rforward(nn_net *net, nn_layer *l, nn_pass *ps);
void conv_rbackward(nn_net *net, nn_layer *l, nn_pass *ps);

void bn_forward(nn_net *net, nn_layer *l);
void bn_backward(nn_net *net, nn_layer *l, nn_pass *ps);
void bn_rforward(nn_net *net, nn_layer *l, nn_pass *ps);
void bn_rbackward(nn_net *net, nn_layer *l, nn_pass *ps);

void relu_forward(nn_net *net, nn_layer *l);
void relu_backward(nn_net *net, nn_layer *l, nn_pass *ps);
void relu_rforward(nn_net *net, nn_layer *l, nn_pass *ps);
void relu_rbackward(nn_net *net, nn_layer *l, nn_pass *ps);

void add_forward(nn_net *net, nn_layer *l);
void add_backward(nn_net *net, nn_layer *l, nn_pass *ps);
void add_rforward(nn_net *net, nn_layer *l, nn_pass *ps);
void add_rbackward(nn_net *net, nn_layer *l, nn_pass *ps);

void shortcut_forward(nn_net *net, nn_layer *l);
void shortcut_backward(nn_net *net, nn_layer *l, nn_pass *ps);
void shortcut_rforward(nn_net *net, nn_layer *l, nn_pass *ps);
void shortcut_rbackward(nn_net *net, nn_layer *l, nn_pass *ps);

void gap_forward(nn_net *net, nn_layer *l);
void gap_backward(nn_net *net, nn_layer *l, nn_pass *ps);
void gap_rforward(nn_net *net, nn_layer *l, nn_pass *ps);
void gap_rbackward(nn_net *net, nn_layer *l, nn_pass *ps);

void linear_forward(nn_net *net, nn_layer *l);
void linear_backward(nn_net *net, nn_layer *l, nn_pass *ps);
void linear_rforward(nn_net *net, nn_layer *l, nn_pass *ps);
void linear_rbackward(nn_net *net, nn_layer *l, nn_pass *ps);

/* The four passes of every layer kind, indexed by nn_kind (a read-only table). */
typedef struct nn_layer_ops {
    void (*forward)(nn_net *net, nn_layer *l);
    void (*backward)(nn_net *net, nn_layer *l, nn_pass *ps);
    void (*rforward)(nn_net *net, nn_layer *l, nn_pass *ps);
    void (*rbackward)(nn_net *net, nn_layer *l, nn_pass *ps);
} nn_layer_ops;

extern const nn_layer_ops NN_LAYER_OPS[];

/* Accumulate src into a gradient buffer: store when it has not been written in this pass,
 * add otherwise; marks it written. */
void grad_put(float *dst, const float *src, long n, unsigned char *set_flag);

/* Mask m (y > 0) applied: out[i] = y[i] > 0 ? in[i] : 0. */
void relu_mask(const float *y, const float *in, float *out, long n);

/* ---- im2col in CNHW (conv.c) ---- */
void im2col_cnhw(const float *x, int C, int N, int H, int W, int K, int stride, int pad, int Ho,
                 int Wo, int n0, int n1, float *col);
void col2im_cnhw_add(const float *col, int C, int N, int H, int W, int K, int stride, int pad,
                     int Ho, int Wo, int n0, int n1, float *x);

/* ---- direct 3x3 stride-1 convolution (conv3x3.c) ---- */

/* Can layer l use the direct kernel (3x3, stride 1, pad 1, up to 32 channels, AVX2+FMA) for
 * its forward and weight-gradient passes (data_grad 0), or for its data gradient (1, which
 * also needs the input channels in fours)? */
int conv3x3_usable(const nn_layer *l, int data_grad);
/* Floats of a zero-bordered grid of C channels x N images. */
long conv3x3_grid_floats(int C, int N, int H, int W);
/* Images per grid chunk for C channels. */
int conv3x3_chunk(int C, int N, int H, int W);
/* Copy images [n0, n1) of x (C x N x H x W) into a zero-bordered grid. */
void conv3x3_to_grid(const float *x, int C, int N, int H, int W, int n0, int n1, float *grid);
/* Pack nsrc weight tensors W[M][C][3][3] for the kernel as one conv over nsrc stacked inputs;
 * transpose = 1 packs the data-gradient kernel W'[c][m][2-kh][2-kw] (C outputs from M
 * inputs). packed holds nsrc*M*C*9 floats. */
void conv3x3_pack_weights(const float *const *w, int nsrc, int M, int C, int transpose,
                          float *packed);
/* Copy images [n0, n1) of dy (M x N x H x W) onto an output grid: rows of W + 2 with zero
 * border columns, H rows per image. */
void conv3x3_dy_to_grid(const float *dy, int M, int N, int H, int W, int n0, int n1, float *g);
/* G (+)= weight gradient M x C x 9 of one chunk of nc images from the dy grid and x grid. */
void conv3x3_wgrad(const float *gyg, const float *xg, int C, int M, int nc, int H, int W, float *G,
                   int add);
/* y[:, n0:n1] (+)= conv of the grid chunk with packed weights (Cin inputs, Mout outputs). */
void conv3x3_run(const float *grid, int Cin, int n0, int n1, int N, int H, int W, const float *wp,
                 int Mout, float *y, int add);

#endif

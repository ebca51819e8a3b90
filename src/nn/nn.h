/* nn: networks as a list of layers over planned tensors; forward, backward, and the
 * Pearlmutter R-operator for exact Hessian-vector products (DESIGN §2).
 *
 * Internal activation layout is CNHW: channel-major, then image, then row, column. A conv
 * over a whole batch is then a single GEMM, W[M x C*K*K] . col[C*K*K x N*Ho*Wo], and batch
 * norm touches contiguous memory per channel. Parameters keep the PyTorch layout
 * W[M][C][K][K] and PyTorch state-dict names, so a checkpoint maps one to one.
 *
 * Memory is planned once per (network, batch capacity) by nn_plan(); the passes below
 * never allocate. Quantizable layers (conv and linear, "qlayers") are numbered in network
 * order; v / Hv vectors cover them in that order, weights only (E2). */
#ifndef CS_NN_H
#define CS_NN_H

#include <stdint.h>

#include "base/base.h"

/* ---- architectures and options ---- */

enum { NN_RESNET20, NN_RESNET32, NN_RESNET56, NN_RESNET18, NN_RESNET34, NN_RESNET50, NN_TINY };
extern const char *const NN_ARCH_NAMES[]; /* "resnet20", ..., "tiny"; NULL-terminated */

enum { NN_SCHED_COSINE, NN_SCHED_STEP };
extern const char *const NN_SCHED_NAMES[];

enum { NN_INIT_SCRATCH, NN_INIT_FILE };
extern const char *const NN_INIT_NAMES[];

typedef struct nn_train_opts {
    long epochs, batch;
    double lr, momentum, weight_decay;
    int schedule;    /* NN_SCHED_* */
    long step_every; /* epochs between lr drops (step schedule) */
    double step_gamma;
    int augment; /* random crop (pad 2 on 28x28, 4 on 32x32); flip for RGB data */
    long seed;
    int init;     /* NN_INIT_*: fresh weights or continue from model.file */
    long threads; /* BLAS threads for training; 0 = all cores */
} nn_train_opts;

/* ---- layers ---- */

typedef enum {
    NN_CONV,       /* no bias */
    NN_BN,         /* batch norm, optional fused ReLU after it */
    NN_RELU,       /* standalone ReLU */
    NN_ADD,        /* residual add, optional fused ReLU */
    NN_SHORTCUT_A, /* parameter-free shortcut: subsample by stride, zero-pad channels */
    NN_GAP,        /* global average pool */
    NN_LINEAR      /* with bias */
} nn_kind;

/* Input quantization of a conv / linear layer (fake quantization in the forward pass). */
typedef struct nn_act_quant {
    float scale; /* step; 0 = off */
    int bits, is_signed;
} nn_act_quant;

struct nn_net;
struct nn_layer;
/* A replacement forward kernel for conv / linear layers (quant/ uses it for the integer
 * precision-coordinated path): compute net->x[l->out] from `in` (the layer input, already
 * input-quantized when act quantization is on). */
typedef void (*nn_qforward_fn)(void *ctx, struct nn_net *net, struct nn_layer *l, const float *in);

typedef struct nn_layer {
    nn_kind kind;
    char name[CS_NAME_MAX]; /* state-dict prefix, e.g. "layer1.0.conv1" */
    int in, in2, out;       /* tensor indices (in2 only for NN_ADD) */
    int C, M, K, stride, pad;
    int H, W, Ho, Wo; /* input and output spatial size */
    int relu;         /* fused ReLU (BN, ADD) */
    int qidx;         /* index among conv/linear layers, -1 otherwise */
    float eps;        /* BN */
    /* parameters (views into the net's parameter block) and their gradients */
    float *w, *b;
    float *gamma, *beta, *mean, *var;
    float *gw, *gb, *ggamma, *gbeta;
    /* BN train mode: batch statistics of the last forward */
    float *bmean, *binvstd;
    long wsize;      /* number of weights (conv: M*C*K*K, linear: M*C) */
    nn_act_quant aq; /* input quantization (forward only) */
} nn_layer;

typedef struct nn_tensor {
    int C, H, W;  /* per image */
    int producer; /* layer index, -1 for the input */
} nn_tensor;

typedef struct nn_param {
    char name[CS_NAME_MAX]; /* full state-dict name, e.g. "layer1.0.bn1.running_var" */
    float *data, *grad;     /* grad NULL for running statistics */
    int ndim, shape[4];
    long size;
    int layer;
    int trainable; /* 1: updated by SGD; 0: running statistics */
} nn_param;

typedef struct nn_net {
    int arch;
    double width;
    int in_c, in_h, in_w, classes;
    int n_layers, n_tensors, n_params, n_q;
    nn_layer *layers;
    nn_tensor *tensors;
    nn_param *params;
    int *qlayer;            /* qidx -> layer index */
    long *qoff;             /* qidx -> offset of its weights in a v / Hv vector */
    long q_total;           /* total quantizable weights */
    float *pblock, *gblock; /* parameter and gradient storage */
    long p_total;
    /* plan (nn_plan) */
    int batch_cap;
    unsigned plan;               /* NN_PLAN_* buffers present */
    float **x, **g, **rx, **rg;  /* per tensor, capacity batch_cap */
    float *col, *col2;           /* im2col workspaces */
    long col_cap;                /* floats in each workspace */
    float *grid, *grid2, *wpack; /* direct 3x3 conv: bordered grids, packed weights */
    float *prob;                 /* softmax of the logits, classes x batch */
    float *bn_stats;             /* batch statistics of BN layers (train mode) */
    unsigned char *flags;        /* per-tensor pass flags */
    float *aq_buf;               /* quantized layer input (when aq is on) */
    int n;                       /* images in the current batch */
    int train_mode;              /* BN uses batch statistics */
    nn_qforward_fn qforward;     /* replacement conv / linear kernel, or NULL */
    void *qforward_ctx;
} nn_net;

/* Buffers a plan holds besides the forward activations. */
enum { NN_PLAN_FWD = 0, NN_PLAN_GRAD = 1, NN_PLAN_R = 2 };

/* im2col chunks hold about this many floats (1 MB, the L2 cache of one core): large enough for
 * efficient GEMMs, small enough to stay out of the way of the activations. */
#define NN_COL_TARGET (1L << 18)

/* ---- building ---- */

/* Build an architecture for (in_c, in_h, in_w) inputs and `classes` outputs. width scales
 * every channel count (at least 1 channel). Weights are zero until nn_init_weights or a
 * model file fills them. */
int nn_build(nn_net *net, int arch, double width, int in_c, int in_h, int in_w, int classes,
             cs_error *err);

/* Kaiming-normal conv weights (fan_out, as torchvision), PyTorch-default linear init,
 * BN gamma 1, beta 0, running mean 0, var 1; seeded and independent of rank. */
void nn_init_weights(nn_net *net, uint64_t seed);

/* Plan memory for batches of up to batch_cap images: forward activations always, gradients
 * (NN_PLAN_GRAD) and R-operator tangents (NN_PLAN_R) on request. May be called again. */
int nn_plan(nn_net *net, int batch_cap, unsigned what, cs_error *err);

/* Images per im2col chunk of a conv layer for a batch of n. */
long nn_col_chunk(const nn_layer *l, int n);

void nn_free(nn_net *net);

/* Threads of the BLAS library (1 per MPI rank; 0 = all cores). */
void nn_set_threads(int threads);

/* FLOPs of one image's forward pass: 2 x multiply-adds of conv and linear layers. */
double nn_forward_flops(const nn_net *net);

/* Quantize the input of qlayer q in forward passes: x -> clamp(round(x / scale)) * scale
 * with `bits` bits, signed or unsigned. scale 0 switches it off. */
void nn_set_act_quant(nn_net *net, int q, float scale, int bits, int is_signed);

/* Replace the conv / linear forward kernel (NULL restores the float kernels). */
void nn_set_qforward(nn_net *net, nn_qforward_fn fn, void *ctx);

/* im2col of images [n0, n1) of a CNHW tensor x (N images) for conv layer l: rows
 * (c, kh, kw), columns (image, ho, wo); col holds C*K*K * (n1-n0)*Ho*Wo floats. */
void nn_conv_im2col(const nn_layer *l, const float *x, int N, int n0, int n1, float *col);

/* Quantize n values to the grid of an nn_act_quant (round half away from zero). */
void nn_quantize_values(const nn_act_quant *aq, const float *in, float *out, long n);

/* Find a parameter by state-dict name, or NULL. */
nn_param *nn_find_param(nn_net *net, const char *name);

/* Number of trainable parameters (weights, biases, BN affine). */
long nn_count_trainable(const nn_net *net);

/* Copy all parameter values (and running statistics) from src to dst (same architecture). */
void nn_copy_params(nn_net *dst, const nn_net *src);

/* ---- passes (all on the planned buffers; x0 is the batch in NCHW, n <= batch_cap) ---- */

/* Forward pass from an NCHW batch. Logits end in the last tensor. */
void nn_forward(nn_net *net, const float *x0_nchw, int n);

/* Mean (scale = 1/n) or any scaled softmax cross-entropy: returns the sum over the batch of
 * per-sample losses, stores softmax in net->prob and scale * (p - onehot) as the logit
 * gradient. labels[i] in [0, classes). */
double nn_loss(nn_net *net, const uint8_t *labels, float scale);

/* Summed loss of the current batch without touching gradient buffers (evaluation). */
double nn_loss_value(nn_net *net, const uint8_t *labels);

/* Backward pass from the logit gradient left by nn_loss. Weight gradients are written
 * (not accumulated) into net->gblock when want_weight_grads. */
void nn_backward(nn_net *net, int want_weight_grads);

/* R-forward (Pearlmutter 1994): tangents of every tensor for a direction v on the weights
 * of qlayers q_first..q_last (v packed in that order; zero elsewhere). Layers before q_first
 * are skipped: their tangents are zero. Needs an NN_PLAN_R plan and a forward pass. */
void nn_rforward(nn_net *net, const float *v, int q_first, int q_last);

/* R of the logit gradient: scale * (diag(p) - p p^T) R{z} per sample. */
void nn_rloss(nn_net *net, float scale);

/* R-backward from the loss down to qlayer q_first: hv (packed like v) receives the block of
 * H v on qlayers q_first..q_last. use_g: the gradients of nn_backward are valid (needed
 * whenever v covers more than the single layer q_first). */
void nn_rbackward(nn_net *net, const float *v, int q_first, int q_last, int use_g, float *hv);

/* Exact Hessian-vector product of `scale * sum of per-sample losses` over one batch with
 * respect to all quantizable weights (v, hv of length q_total): forward, backward, R-forward,
 * R-backward. Returns the summed loss. */
double nn_hvp(nn_net *net, const float *x0, const uint8_t *labels, int n, float scale,
              const float *v, float *hv);

/* The diagonal block H_qq v_q for a direction on qlayer q only, reusing the forward pass and
 * nn_loss already done on this batch. No backward pass is needed: with v zero below q, the
 * tangent entering q is zero, and no gradient term appears in the R-backward above q. */
void nn_hvp_layer(nn_net *net, int q, const float *v_q, float scale, float *hv_q);

/* Weight gradient (all qlayers, q_total floats) of sample i of the current batch alone,
 * after nn_loss and nn_backward(net, 0): eval-mode batch norm keeps samples independent, so
 * this is the gradient of sample i's scaled loss. Used for per-sample Fisher information. */
void nn_sample_grad(nn_net *net, int i, float *grad);

/* Logits of image i of the current batch into out[classes]. */
void nn_logits(const nn_net *net, int i, float *out);

/* ---- data sources, evaluation and training (train.c) ---- */

/* Where batches come from, so nn does not depend on data/: fetch copies images
 * [start, start + count) of the source's current order as NCHW floats and their labels. */
typedef struct nn_source {
    void *ctx;
    long n;
    int (*fetch)(void *ctx, long start, int count, float *x, uint8_t *y, cs_error *err);
} nn_source;

typedef struct nn_eval_result {
    long samples, top1, top5;
    double loss_sum;
} nn_eval_result;

/* Top-1 / top-5 / summed loss of the net (eval-mode BN) over a source, in batches of the
 * planned capacity. x and y are caller buffers of batch_cap images. */
int nn_evaluate(nn_net *net, const nn_source *src, float *x, uint8_t *y, nn_eval_result *res,
                cs_error *err);

/* BN recalibration: run the source through the net with batch statistics and set every BN
 * layer's running mean and variance to their averages over it (weights untouched). For
 * networks whose weights changed after training, e.g. pruned filters (E10). */
int nn_recalibrate_bn(nn_net *net, const nn_source *src, float *x, uint8_t *y, cs_error *err);

/* Count top-1 and top-5 hits of the current batch's logits against labels. */
void nn_count_hits(const nn_net *net, const uint8_t *labels, int n, long *top1, long *top5);

/* SGD with momentum and weight decay (decay on conv/linear weights and on BN affine
 * parameters alike, as torch.optim.SGD does). velocity has p_total floats. */
void nn_sgd_step(nn_net *net, float *velocity, double lr, double momentum, double weight_decay);

/* Learning rate of epoch e (0-based) at fraction f of it under the schedule. */
double nn_lr_at(const nn_train_opts *o, long epoch, double frac);

#endif

/* quant: weight and activation quantizers, strip assignment (E5), the mixed-precision
 * network and the integer precision-coordinated computation (E13).
 *
 * Strips follow E1: strip s of a layer is (filter m, kernel position p), elements
 * W[m][c][p] for all c; bits are given per strip in the global strip order. */
#ifndef CS_QUANT_H
#define CS_QUANT_H

#include <stdint.h>

#include "base/base.h"
#include "nn/nn.h"

enum { QUANT_GRAN_FILTER, QUANT_GRAN_STRIP };
extern const char *const QUANT_GRAN_NAMES[];
enum { QUANT_CLIP_MSE, QUANT_CLIP_MAX };
extern const char *const QUANT_CLIP_NAMES[];
enum { QUANT_ACT_MAX, QUANT_ACT_PERCENTILE };
extern const char *const QUANT_ACT_CALIB_NAMES[];

typedef struct quant_opts {
    long high_bits, low_bits;
    int granularity, clip;
    long act_bits; /* 0 = activations stay float */
    int act_calib;
    double act_percentile;
    long act_calib_samples;
    int tie_scales;
    cs_name_list exclude; /* layers kept at high precision, out of the clustering */
} quant_opts;

/* ---- scalar quantizer: symmetric, signed, uniform ---- */

/* Largest code of a b-bit symmetric quantizer: 2^(b-1) - 1. */
int quant_qmax(int bits);

/* q = clamp(round(w / scale), -qmax, qmax). */
int32_t quant_code(float w, float scale, int bits);

/* Squared error of quantizing the n values with this scale. */
double quant_sq_error(const float *w, long n, float scale, int bits);

/* Scale for n values: max |w| / qmax (clip max), or the clipping ratio in (0, 1] of max |w|
 * that minimises the squared error (clip mse; the ratio 1 is among the candidates, so mse is
 * never worse than max). 0 for an all-zero set. */
float quant_choose_scale(const float *w, long n, int bits, int clip);

/* Tied scales (E13): the pair s_H and s_L = s_H 2^(b_H - b_L) minimising the summed squared
 * error of both groups (mse: clipping ratios 0.2..1 of either group's grid) or clipping
 * nothing (max). hi / lo are the two groups' values. Returns s_H. */
float quant_choose_tied_scale(const float *hi, long nh, const float *lo, long nl, int bh, int bl,
                              int clip);

/* ---- assignment (E5) ---- */

/* Strips excluded from clustering (kept at high precision): the layers named in
 * o->exclude. An unknown name is CS_ERR_INPUT naming it. excl has n_strips entries. */
int quant_excluded(const nn_net *net, const quant_opts *o, uint8_t *excl, cs_error *err);

/* E5: bits[s] = high if omega[s] >= tau, else low; excluded strips are high. */
void quant_assign_tau(const double *omega, const uint8_t *excl, long n, double tau, int high,
                      int low, uint8_t *bits);

/* The assignment with compression ratio closest to cr (share of all strips at low
 * precision): the lowest-omega clustered strips go low, ties broken by strip index. *tau
 * gets the threshold it corresponds to (the smallest omega left high; +inf if none). */
int quant_assign_cr(const double *omega, const uint8_t *excl, long n, double cr, int high, int low,
                    uint8_t *bits, double *tau);

/* Share of strips at `low` bits. */
double quant_cr(const uint8_t *bits, long n, int low);

/* ---- the quantized network ---- */

/* Integer weights and scales of one qlayer (E13): codes per weight, the precision of each
 * strip, and per filter the scale of each group (granularity filter) or per strip. */
typedef struct quant_layer {
    int32_t *codes; /* wsize weight codes */
    uint8_t *bits;  /* per strip */
    float *scale_h; /* per filter: High scale (filter granularity) */
    float *scale_l; /* per filter: Low scale */
    float *scale_s; /* per strip: scale (strip granularity) */
} quant_layer;

/* Workspace of the integer path, sized once for the largest layer. */
typedef struct quant_work {
    float *codes, *fcol;
    int16_t *col;
    int32_t *acc_h, *acc_l;
} quant_work;

typedef struct quant_net {
    int n_q, high, low, granularity, tie_scales;
    quant_layer *layers;
    nn_act_quant *acts; /* per qlayer input quantization (scale 0 = off) */
    quant_work work;
} quant_net;

/* Quantize the conv / linear weights of src under per-strip bits into dst (an identically
 * built network: fake-quantized weights w = code * scale; other parameters copied) and keep
 * the integer form in qn. */
int quant_build(const nn_net *src, const uint8_t *bits, const quant_opts *o, nn_net *dst,
                quant_net *qn, cs_error *err);

void quant_net_free(quant_net *qn);

/* Calibrate the input quantization of every qlayer on a source of images (max |x| or a
 * percentile of |x|; unsigned when the input is never negative, i.e. after a ReLU) and
 * switch it on in net. Off (and nothing done) when o->act_bits == 0. */
int quant_calibrate_acts(nn_net *net, const nn_source *src, const quant_opts *o, quant_net *qn,
                         float *x, uint8_t *y, cs_error *err);

/* Use the integer precision-coordinated path (E13) for the forward passes of net (built by
 * quant_build; acts calibrated; filter granularity). Off again with
 * nn_set_qforward(net, NULL, NULL). */
int quant_use_integer_path(nn_net *net, quant_net *qn, cs_error *err);

/* Integer accumulators of one conv layer on the current batch (for tests): acc_h / acc_l get
 * M x (N*Ho*Wo) int32 sums over High / Low strips of codes x input codes. in is the layer
 * input (float, on the activation grid). */
int quant_layer_accumulators(const nn_net *net, const nn_layer *l, const quant_layer *ql,
                             const nn_act_quant *aq, const float *in, int32_t *acc_h,
                             int32_t *acc_l, cs_error *err);

/* Align the Low accumulator to the High scale (E13): shift when the scales are tied
 * (s_L = s_H 2^(b_H - b_L)), else a fixed-point multiplier. Returns acc_h + aligned acc_l in
 * units of s_H, as a 64-bit fixed-point value with 16 fractional bits. */
int64_t quant_align(int32_t acc_h, int32_t acc_l, float s_h, float s_l, int bh, int bl,
                    int use_shift);

#endif

/* quant: weight and activation quantizers, strip assignment (E5), mixed-precision network
 * and the integer precision-coordinated computation (E13). */
#ifndef CS_QUANT_H
#define CS_QUANT_H

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
    cs_name_list exclude; /* layer names kept at high precision... see quant_exclude */
} quant_opts;

#endif

/* Symmetric signed uniform quantizers and the choice of their scale (clip max / mse). */
#include <math.h>

#include "quant/quant.h"

#define CLIP_STEPS 100 /* clipping ratios tried by `mse`: k / CLIP_STEPS, k = 20..100 */

int quant_qmax(int bits) {
    return (1 << (bits - 1)) - 1;
}

int32_t quant_code(float w, float scale, int bits) {
    if (scale <= 0) return 0;
    int qm = quant_qmax(bits);
    float q = roundf(w / scale);
    return (int32_t)(q < -qm ? -qm : q > qm ? qm : q);
}

double quant_sq_error(const float *w, long n, float scale, int bits) {
    double e = 0;
    for (long i = 0; i < n; i++) {
        double d = w[i] - (double)quant_code(w[i], scale, bits) * scale;
        e += d * d;
    }
    return e;
}

static float max_abs(const float *w, long n) {
    float m = 0;
    for (long i = 0; i < n; i++) m = fabsf(w[i]) > m ? fabsf(w[i]) : m;
    return m;
}

float quant_choose_scale(const float *w, long n, int bits, int clip) {
    float mx = max_abs(w, n);
    if (mx == 0) return 0;
    float best = mx / (float)quant_qmax(bits);
    if (clip == QUANT_CLIP_MAX) return best;
    double best_err = quant_sq_error(w, n, best, bits);
    for (int k = CLIP_STEPS / 5; k < CLIP_STEPS; k++) {
        float s = mx * (float)k / CLIP_STEPS / (float)quant_qmax(bits);
        double e = quant_sq_error(w, n, s, bits);
        if (e < best_err) best_err = e, best = s;
    }
    return best;
}

float quant_choose_tied_scale(const float *hi, long nh, const float *lo, long nl, int bh, int bl,
                              int clip) {
    float ratio = (float)(1 << (bh - bl));
    /* the smallest s_H that clips neither group: s_H qmax_H >= max|hi| and
     * s_H ratio qmax_L >= max|lo| */
    float full_h = max_abs(hi, nh) / (float)quant_qmax(bh);
    float full_l = max_abs(lo, nl) / (float)quant_qmax(bl) / ratio;
    float best = full_h > full_l ? full_h : full_l;
    if (best == 0 || clip == QUANT_CLIP_MAX) return best;
    /* mse: clipping ratios of either group's full range, so a filter with few High strips
     * can still give its Low strips their own best range */
    double best_err = quant_sq_error(hi, nh, best, bh) + quant_sq_error(lo, nl, best * ratio, bl);
    float base[2] = {full_h, full_l};
    for (int g = 0; g < 2; g++)
        for (int k = CLIP_STEPS / 5; k <= CLIP_STEPS; k++) {
            float s = base[g] * (float)k / CLIP_STEPS;
            if (s <= 0) continue;
            double e = quant_sq_error(hi, nh, s, bh) + quant_sq_error(lo, nl, s * ratio, bl);
            if (e < best_err) best_err = e, best = s;
        }
    return best;
}

/* Functional crossbar MVM: exact with an ideal ADC, and the clip / range ADC policies against
 * a slow reference written from the documented transfer functions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "io/config.h"
#include "xbar/xbar.h"

static xbar_params hw_with(long rows, long cell_bits, long input_bits, long levels, int policy) {
    cs_config cfg;
    config_defaults(&cfg);
    xbar_params hw = cfg.xbar;
    hw.rows = rows;
    hw.cols = 128;
    hw.cell_bits = cell_bits;
    hw.input_bits = input_bits;
    hw.adc_policy = policy;
    hw.n_groups = 2;
    hw.groups[0] = (xbar_group){8, levels, 4};
    hw.groups[1] = (xbar_group){4, levels, 2};
    return hw;
}

typedef struct problem {
    int M, rows, cols, x_signed;
    long bits;
    int32_t *w, *x;
    int64_t *out, *ref;
} problem;

static void draw(problem *p, rng_stream *r, long bits, long b_in, int x_signed, int max_rows) {
    p->M = 1 + (int)rng_below(r, 9);
    p->rows = 1 + (int)rng_below(r, (uint64_t)max_rows);
    p->cols = 1 + (int)rng_below(r, 7);
    p->bits = bits;
    p->x_signed = x_signed;
    p->w = malloc(sizeof *p->w * (size_t)(p->M * p->rows));
    p->x = malloc(sizeof *p->x * (size_t)(p->rows * p->cols));
    p->out = malloc(sizeof *p->out * (size_t)(p->M * p->cols));
    p->ref = malloc(sizeof *p->ref * (size_t)(p->M * p->cols));
    assert_true(p->w && p->x && p->out && p->ref);
    long wspan = 1L << bits, xspan = 1L << b_in;
    for (long i = 0; i < (long)p->M * p->rows; i++)
        p->w[i] = (int32_t)((long)rng_below(r, (uint64_t)wspan) - wspan / 2);
    for (long i = 0; i < (long)p->rows * p->cols; i++)
        p->x[i] = (int32_t)((long)rng_below(r, (uint64_t)xspan) - (x_signed ? xspan / 2 : 0));
}

static void release(problem *p) {
    free(p->w);
    free(p->x);
    free(p->out);
    free(p->ref);
}

static void exact(const problem *p, int64_t *y) {
    for (int m = 0; m < p->M; m++)
        for (int j = 0; j < p->cols; j++) {
            int64_t s = 0;
            for (int r = 0; r < p->rows; r++)
                s += (int64_t)p->w[m * p->rows + r] * p->x[r * p->cols + j];
            y[m * p->cols + j] = s;
        }
}

/* Digit k (base 2^c) of the offset weight, and bit i of the b_in-bit two's complement input,
 * by arithmetic instead of shifts and masks. */
static long digit(long u, long c, long k) {
    long base = 1L << c;
    for (long i = 0; i < k; i++) u /= base;
    return u % base;
}

static long input_bit(long x, long b_in, long i) {
    long v = x < 0 ? x + (1L << b_in) : x;
    for (long k = 0; k < i; k++) v /= 2;
    return v % 2;
}

/* The crossbar computation written out from the documentation; *bound (may be NULL) gets the
 * largest |result - exact| the ADC rounding can cause (range policy). */
static void reference(const xbar_params *hw, const problem *p, long levels, int policy, int64_t *y,
                      int64_t *bound) {
    const long c = hw->cell_bits, b_in = hw->input_bits, R = hw->rows;
    const long S = (p->bits + c - 1) / c, off = 1L << (p->bits - 1);
    int64_t *ps = malloc(sizeof *ps * (size_t)(p->M * p->cols));
    assert_non_null(ps);
    memset(y, 0, sizeof *y * (size_t)(p->M * p->cols));
    if (bound) *bound = 0;
    for (long r0 = 0; r0 < p->rows; r0 += R)
        for (long t = 0; t < S; t++)
            for (long i = 0; i < b_in; i++) {
                int64_t lo = INT64_MAX, hi = INT64_MIN;
                for (int m = 0; m < p->M; m++)
                    for (int j = 0; j < p->cols; j++) {
                        int64_t s = 0;
                        for (long r = r0; r < r0 + R && r < p->rows; r++)
                            s += digit(p->w[m * p->rows + r] + off, c, t) *
                                 input_bit(p->x[r * p->cols + j], b_in, i);
                        ps[m * p->cols + j] = s;
                        if (s < lo) lo = s;
                        if (s > hi) hi = s;
                    }
                int64_t weight = 1;
                for (long k = 0; k < i + c * t; k++) weight *= 2;
                if (p->x_signed && i == b_in - 1) weight = -weight;
                int64_t step = 1;
                if (policy == XBAR_POLICY_RANGE && hi > lo) {
                    step = (hi - lo) / (levels - 1);
                    if (step * (levels - 1) < hi - lo) step++;
                }
                if (bound) *bound += (weight < 0 ? -weight : weight) * (step / 2);
                for (long k = 0; k < (long)p->M * p->cols; k++) {
                    int64_t q = ps[k];
                    if (policy == XBAR_POLICY_CLIP) {
                        if (q > levels - 1) q = levels - 1;
                    } else if (hi > lo) {
                        /* nearest level lo + n*step, ties up */
                        int64_t n = (q - lo) / step, rem = (q - lo) - n * step;
                        if (2 * rem >= step) n++;
                        q = lo + n * step;
                    }
                    y[k] += weight * q;
                }
            }
    for (int j = 0; j < p->cols; j++) {
        int64_t sx = 0;
        for (int r = 0; r < p->rows; r++) sx += p->x[r * p->cols + j];
        for (int m = 0; m < p->M; m++) y[m * p->cols + j] -= off * sx;
    }
    free(ps);
}

static void assert_same(const int64_t *a, const int64_t *b, long n) {
    for (long i = 0; i < n; i++)
        if (a[i] != b[i])
            fail_msg("element %ld: %lld != %lld", i, (long long)a[i], (long long)b[i]);
}

/* Ideal ADC (and an ADC with enough levels) reproduces the exact integer product, for signed
 * and unsigned inputs, 8- and 4-bit weights, 1- and 2-bit cells, several row chunks. */
static void test_ideal_exact(void **state) {
    (void)state;
    rng_stream r;
    rng_init(&r, 1, RNG_TEST, 10);
    for (int trial = 0; trial < 200; trial++) {
        long R = trial % 2 ? 16 : 128, c = 1 + trial % 3 % 2, b_in = trial % 4 < 2 ? 8 : 4;
        long bits = trial % 5 < 3 ? 8 : 4;
        int x_signed = trial % 7 < 3;
        long enough = R * ((1L << c) - 1) + 1; /* the largest partial sum is R * (2^c - 1) */
        problem p;
        draw(&p, &r, bits, b_in, x_signed, 300);
        int64_t *want = malloc(sizeof *want * (size_t)(p.M * p.cols));
        assert_non_null(want);
        exact(&p, want);
        cs_error err;
        xbar_params hw = hw_with(R, c, b_in, 4, XBAR_POLICY_CLIP);
        assert_int_equal(
            xbar_functional_mvm(&hw, bits, p.w, p.M, p.rows, p.x, p.cols, x_signed, 1, p.out, &err),
            CS_OK);
        assert_same(p.out, want, (long)p.M * p.cols);
        for (int policy = 0; policy < 2; policy++) {
            hw = hw_with(R, c, b_in, enough, policy);
            assert_int_equal(xbar_functional_mvm(&hw, bits, p.w, p.M, p.rows, p.x, p.cols, x_signed,
                                                 0, p.out, &err),
                             CS_OK);
            assert_same(p.out, want, (long)p.M * p.cols);
        }
        free(want);
        release(&p);
    }
}

/* A coarse ADC: both policies equal the reference; clip never exceeds the exact result for
 * unsigned inputs (it only cuts partial sums) and differs on most problems; range stays within
 * its rounding bound. */
static void test_coarse_policies(void **state) {
    (void)state;
    rng_stream r;
    rng_init(&r, 2, RNG_TEST, 11);
    int clip_diff = 0, range_diff = 0, trials = 120;
    for (int trial = 0; trial < trials; trial++) {
        long R = trial % 2 ? 32 : 128, levels = trial % 3 ? 16 : 5;
        int x_signed = trial % 4 == 3;
        problem p;
        draw(&p, &r, 8, 8, x_signed, 260);
        int64_t *want = malloc(sizeof *want * (size_t)(p.M * p.cols));
        assert_non_null(want);
        exact(&p, want);
        long n = (long)p.M * p.cols;
        cs_error err;
        xbar_params hw = hw_with(R, 2, 8, levels, XBAR_POLICY_CLIP);
        assert_int_equal(
            xbar_functional_mvm(&hw, 8, p.w, p.M, p.rows, p.x, p.cols, x_signed, 0, p.out, &err),
            CS_OK);
        reference(&hw, &p, levels, XBAR_POLICY_CLIP, p.ref, NULL);
        assert_same(p.out, p.ref, n);
        int d = 0;
        for (long k = 0; k < n; k++) {
            if (!x_signed) assert_true(p.out[k] <= want[k]);
            d |= p.out[k] != want[k];
        }
        clip_diff += d;

        hw = hw_with(R, 2, 8, levels, XBAR_POLICY_RANGE);
        int64_t bound;
        assert_int_equal(
            xbar_functional_mvm(&hw, 8, p.w, p.M, p.rows, p.x, p.cols, x_signed, 0, p.out, &err),
            CS_OK);
        reference(&hw, &p, levels, XBAR_POLICY_RANGE, p.ref, &bound);
        assert_same(p.out, p.ref, n);
        d = 0;
        for (long k = 0; k < n; k++) {
            int64_t e = p.out[k] - want[k];
            assert_true((e < 0 ? -e : e) <= bound);
            d |= e != 0;
        }
        range_diff += d;
        free(want);
        release(&p);
    }
    assert_true(clip_diff > trials * 3 / 4);
    assert_true(range_diff > trials / 2);
}

static void test_quantize(void **state) {
    (void)state;
    assert_int_equal(xbar_adc_quantize(-3, 4, XBAR_POLICY_CLIP, 0, 0), 0);
    assert_int_equal(xbar_adc_quantize(2, 4, XBAR_POLICY_CLIP, 0, 0), 2);
    assert_int_equal(xbar_adc_quantize(9, 4, XBAR_POLICY_CLIP, 0, 0), 3);
    /* range [0, 10] with 4 levels: step ceil(10/3) = 4, levels 0 4 8 12 */
    assert_int_equal(xbar_adc_quantize(5, 4, XBAR_POLICY_RANGE, 0, 10), 4);
    assert_int_equal(xbar_adc_quantize(6, 4, XBAR_POLICY_RANGE, 0, 10), 8); /* tie: up */
    assert_int_equal(xbar_adc_quantize(10, 4, XBAR_POLICY_RANGE, 0, 10), 12);
    assert_int_equal(xbar_adc_quantize(7, 4, XBAR_POLICY_RANGE, 7, 7), 7);
    /* enough levels: identity */
    for (int v = 3; v <= 20; v++)
        assert_int_equal(xbar_adc_quantize(v, 18, XBAR_POLICY_RANGE, 3, 20), v);
}

static void test_bad_arguments(void **state) {
    (void)state;
    xbar_params hw = hw_with(8, 2, 8, 16, XBAR_POLICY_CLIP);
    int32_t w[2] = {127, -128}, x[2] = {255, 0};
    int64_t out[1];
    cs_error err;
    assert_int_equal(xbar_functional_mvm(&hw, 8, w, 1, 2, x, 1, 0, 0, out, &err), CS_OK);
    assert_true(out[0] == 127 * 255);
    w[0] = 128;
    assert_int_equal(xbar_functional_mvm(&hw, 8, w, 1, 2, x, 1, 0, 0, out, &err), CS_ERR_INPUT);
    w[0] = 0;
    x[0] = 256;
    assert_int_equal(xbar_functional_mvm(&hw, 8, w, 1, 2, x, 1, 0, 0, out, &err), CS_ERR_INPUT);
    x[0] = 128; /* beyond the signed 8-bit range */
    assert_int_equal(xbar_functional_mvm(&hw, 8, w, 1, 2, x, 1, 1, 0, out, &err), CS_ERR_INPUT);
    x[0] = 1;
    assert_int_equal(xbar_functional_mvm(&hw, 6, w, 1, 2, x, 1, 0, 0, out, &err), CS_ERR_INPUT);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ideal_exact),
        cmocka_unit_test(test_coarse_policies),
        cmocka_unit_test(test_quantize),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

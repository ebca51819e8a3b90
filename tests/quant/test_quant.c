/* Quantizers, assignment (E5) and the integer precision-coordinated path (E13) against
 * naive references. */
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
#include "data/data.h"
#include "quant/quant.h"

static void random_values(float *w, long n, uint64_t seed, double sd) {
    rng_stream r;
    rng_init(&r, seed, RNG_TEST, 0);
    for (long i = 0; i < n; i++) w[i] = (float)(sd * rng_normal(&r));
}

static void test_quantizer_properties(void **state) {
    (void)state;
    float w[500], deq[500];
    for (int bits = 2; bits <= 8; bits++)
        for (int clip = 0; clip < 2; clip++) {
            random_values(w, 500, (uint64_t)(bits * 10 + clip), 0.3);
            float s = quant_choose_scale(w, 500, bits, clip);
            assert_true(s > 0);
            float range = s * (float)quant_qmax(bits);
            for (int i = 0; i < 500; i++) {
                int32_t q = quant_code(w[i], s, bits);
                assert_true(q >= -quant_qmax(bits) && q <= quant_qmax(bits));
                deq[i] = (float)q * s;
                /* error at most half a step inside the clipping range */
                if (fabsf(w[i]) <= range)
                    assert_true(fabsf(w[i] - deq[i]) <= 0.5f * s * (1 + 1e-5f));
            }
            /* idempotent: quantizing quantized values changes nothing */
            for (int i = 0; i < 500; i++)
                assert_int_equal(quant_code(deq[i], s, bits), quant_code(w[i], s, bits));
        }
    /* mse clipping is never worse than max clipping in squared error */
    for (int t = 0; t < 50; t++) {
        int bits = 2 + t % 7;
        random_values(w, 200, (uint64_t)(1000 + t), t % 2 ? 1.0 : 0.05);
        w[t % 200] = 5.0f; /* an outlier makes clipping worthwhile */
        float smax = quant_choose_scale(w, 200, bits, QUANT_CLIP_MAX);
        float smse = quant_choose_scale(w, 200, bits, QUANT_CLIP_MSE);
        assert_true(quant_sq_error(w, 200, smse, bits) <= quant_sq_error(w, 200, smax, bits));
    }
    float zero[4] = {0, 0, 0, 0};
    assert_true(quant_choose_scale(zero, 4, 4, QUANT_CLIP_MSE) == 0);
}

/* Tied scales (E13): `max` clips neither group; `mse` is no worse than `max` and close to a
 * dense scan over s_H (the naive reference). Groups of very different ranges are the case
 * the search over both grids exists for. */
static void test_tied_scale_against_scan(void **state) {
    (void)state;
    float hi[96], lo[256];
    for (int t = 0; t < 12; t++) {
        long nh = t % 3 == 0 ? 0 : 8 + 7 * t, nl = 256;
        random_values(hi, 96, (uint64_t)(2000 + t), t % 2 ? 0.5 : 0.02);
        random_values(lo, nl, (uint64_t)(3000 + t), 0.05);
        float smax = quant_choose_tied_scale(hi, nh, lo, nl, 8, 4, QUANT_CLIP_MAX);
        for (long i = 0; i < nh; i++) assert_true(fabsf(hi[i]) <= smax * 127 * (1 + 1e-6f));
        for (long i = 0; i < nl; i++) assert_true(fabsf(lo[i]) <= smax * 16 * 7 * (1 + 1e-6f));
        float smse = quant_choose_tied_scale(hi, nh, lo, nl, 8, 4, QUANT_CLIP_MSE);
        double e_mse = quant_sq_error(hi, nh, smse, 8) + quant_sq_error(lo, nl, smse * 16, 4);
        double e_max = quant_sq_error(hi, nh, smax, 8) + quant_sq_error(lo, nl, smax * 16, 4);
        assert_true(e_mse <= e_max);
        double e_scan = e_max;
        for (int k = 1; k <= 20000; k++) {
            float s = smax * (float)k / 20000;
            double e = quant_sq_error(hi, nh, s, 8) + quant_sq_error(lo, nl, s * 16, 4);
            e_scan = e < e_scan ? e : e_scan;
        }
        assert_true(e_mse <= 1.05 * e_scan);
    }
}

static void test_assign_by_cr_and_tau(void **state) {
    (void)state;
    enum { N = 1000 };
    double omega[N];
    uint8_t excl[N], bits[N], bits2[N];
    rng_stream r;
    rng_init(&r, 3, RNG_TEST, 0);
    for (int i = 0; i < N; i++) {
        omega[i] = rng_uniform(&r);
        excl[i] = i < 50; /* the first layer excluded */
    }
    omega[700] = omega[701] = 0.25; /* a tie */
    double crs[] = {0.0, 0.1, 0.5, 0.7, 0.9, 0.95, 1.0};
    for (int k = 0; k < 7; k++) {
        double tau;
        assert_int_equal(quant_assign_cr(omega, excl, N, crs[k], 8, 4, bits, &tau), CS_OK);
        long want = lround(crs[k] * N) > N - 50 ? N - 50 : lround(crs[k] * N);
        assert_true(fabs(quant_cr(bits, N, 4) - (double)want / N) < 1e-12);
        for (int i = 0; i < 50; i++) assert_int_equal(bits[i], 8);
        /* every Low strip has omega <= every clustered High strip */
        double max_low = -1, min_high = 2;
        for (int i = 50; i < N; i++) {
            if (bits[i] == 4)
                max_low = omega[i] > max_low ? omega[i] : max_low;
            else
                min_high = omega[i] < min_high ? omega[i] : min_high;
        }
        assert_true(max_low <= min_high);
        if (isfinite(tau)) assert_true(tau == min_high);
        /* the threshold form gives the same split when there is no tie at tau */
        quant_assign_tau(omega, excl, N, tau, 8, 4, bits2);
        if (tau != 0.25) assert_memory_equal(bits, bits2, N);
    }
}

static void test_tied_shift_equals_multiplier(void **state) {
    (void)state;
    rng_stream r;
    rng_init(&r, 4, RNG_TEST, 0);
    for (int t = 0; t < 10000; t++) {
        int bh = 5 + t % 4, bl = 2 + t % 3;
        float sh = (float)(rng_uniform(&r) * 0.01 + 1e-5), sl = sh * (float)(1 << (bh - bl));
        int32_t ah = (int32_t)rng_below(&r, 2000000) - 1000000,
                al = (int32_t)rng_below(&r, 200000) - 100000;
        assert_true(quant_align(ah, al, sh, sl, bh, bl, 1) ==
                    quant_align(ah, al, sh, sl, bh, bl, 0));
        /* and the shift is exact */
        assert_true(quant_align(ah, al, sh, sl, bh, bl, 1) ==
                    ((int64_t)ah + (int64_t)al * (1 << (bh - bl))) * 65536);
    }
    /* untied: the multiplier is accurate to the fixed-point resolution */
    for (int t = 0; t < 1000; t++) {
        float sh = (float)(rng_uniform(&r) + 0.01), sl = (float)(rng_uniform(&r) * 20 + 0.01);
        int32_t ah = (int32_t)rng_below(&r, 2000) - 1000,
                al = (int32_t)rng_below(&r, 20000) - 10000;
        double want = ah + (double)al * sl / sh;
        double got = (double)quant_align(ah, al, sh, sl, 8, 4, 0) / 65536.0;
        assert_true(fabs(got - want) <= 1e-4 + 1e-6 * fabs(want));
    }
}

/* Naive integer accumulators of a conv layer from weight and input codes. */
static void naive_acc(const nn_layer *l, const quant_layer *ql, int high, const float *codes, int N,
                      int64_t *ah, int64_t *al) {
    int kk = l->K * l->K;
    long cols = (long)N * l->Ho * l->Wo;
    for (int m = 0; m < l->M; m++)
        for (int n = 0; n < N; n++)
            for (int ho = 0; ho < l->Ho; ho++)
                for (int wo = 0; wo < l->Wo; wo++) {
                    int64_t h = 0, lo = 0;
                    for (int c = 0; c < l->C; c++)
                        for (int kh = 0; kh < l->K; kh++)
                            for (int kw = 0; kw < l->K; kw++) {
                                int hi = ho * l->stride - l->pad + kh,
                                    wi = wo * l->stride - l->pad + kw;
                                if (hi < 0 || hi >= l->H || wi < 0 || wi >= l->W) continue;
                                int p = kh * l->K + kw;
                                int64_t v =
                                    (int64_t)ql->codes[((long)m * l->C + c) * kk + p] *
                                    (int64_t)codes[(((long)c * N + n) * l->H + hi) * l->W + wi];
                                if (ql->bits[(long)m * kk + p] == high)
                                    h += v;
                                else
                                    lo += v;
                            }
                    long j = ((long)n * l->Ho + ho) * l->Wo + wo;
                    ah[m * cols + j] = h;
                    al[m * cols + j] = lo;
                }
}

static void test_integer_path_equals_fake_quant(void **state) {
    (void)state;
    cs_error err;
    data_opts dopt = {DATA_SYNTHETIC, "", 0, 0, 3, {3, 12, 10, 128, 64}};
    data_set d;
    assert_int_equal(data_load(&dopt, DATA_TRAIN, &d, &err), CS_OK);
    for (int tie = 0; tie < 2; tie++) {
        nn_net net, qnet;
        assert_int_equal(nn_build(&net, NN_RESNET20, 0.5, 3, 12, 12, 10, &err), CS_OK);
        assert_int_equal(nn_build(&qnet, NN_RESNET20, 0.5, 3, 12, 12, 10, &err), CS_OK);
        assert_int_equal(nn_plan(&qnet, 32, NN_PLAN_FWD, &err), CS_OK);
        nn_init_weights(&net, 9);
        long n_strips = 0;
        for (int q = 0; q < net.n_q; q++) {
            const nn_layer *l = &net.layers[net.qlayer[q]];
            n_strips += (long)l->M * l->K * l->K;
        }
        uint8_t *bits = malloc((size_t)n_strips);
        rng_stream r;
        rng_init(&r, 10 + (uint64_t)tie, RNG_TEST, 0);
        for (long s = 0; s < n_strips; s++) bits[s] = rng_uniform(&r) < 0.6 ? 4 : 8;
        quant_opts o = {8,   4,  QUANT_GRAN_FILTER, QUANT_CLIP_MSE, 8, QUANT_ACT_MAX, 99.9, 64,
                        tie, {0}};
        quant_net qn;
        assert_int_equal(quant_build(&net, bits, &o, &qnet, &qn, &err), CS_OK);
        float *x = malloc(sizeof(float) * 32 * 3 * 144);
        uint8_t y[32];
        long idx[32];
        for (int i = 0; i < 32; i++) idx[i] = i;
        data_feed feed = {&d, idx, 32, 0, 0, 0};
        nn_source src = data_source(&feed);
        assert_int_equal(quant_calibrate_acts(&qnet, &src, &o, &qn, x, y, &err), CS_OK);
        data_batch(&d, idx, 32, x, 0, 0, 0);
        /* fake-quant forward: keep every layer's quantized input and output */
        nn_forward(&qnet, x, 32);
        long nlog = 10L * 32;
        float *fake = malloc(sizeof(float) * (size_t)nlog);
        memcpy(fake, qnet.x[qnet.n_tensors - 1], sizeof(float) * (size_t)nlog);
        /* the first layer's output (both paths see the same input there) */
        const nn_layer *l0 = &qnet.layers[qnet.qlayer[0]];
        long n0 = (long)l0->M * 32 * l0->Ho * l0->Wo;
        float *fake0 = malloc(sizeof(float) * (size_t)n0);
        memcpy(fake0, qnet.x[l0->out], sizeof(float) * (size_t)n0);
        /* accumulators of a middle conv layer, integer path vs naive */
        const nn_layer *l = &qnet.layers[qnet.qlayer[5]];
        long n_in = (long)l->C * l->H * l->W * 32, cols = 32L * l->Ho * l->Wo;
        float *qin = malloc(sizeof(float) * (size_t)n_in),
              *codes = malloc(sizeof(float) * (size_t)n_in);
        nn_quantize_values(&qn.acts[5], qnet.x[l->in], qin, n_in);
        for (long i = 0; i < n_in; i++) codes[i] = roundf(qin[i] / qn.acts[5].scale);
        int32_t *ah = malloc(sizeof(int32_t) * (size_t)(l->M * cols)),
                *al = malloc(sizeof(int32_t) * (size_t)(l->M * cols));
        int64_t *nh = malloc(sizeof(int64_t) * (size_t)(l->M * cols)),
                *nl = malloc(sizeof(int64_t) * (size_t)(l->M * cols));
        assert_int_equal(
            quant_layer_accumulators(&qnet, l, &qn.layers[5], &qn.acts[5], qin, ah, al, &err),
            CS_OK);
        naive_acc(l, &qn.layers[5], 8, codes, 32, nh, nl);
        for (long i = 0; i < l->M * cols; i++) {
            assert_true(ah[i] == nh[i]);
            assert_true(al[i] == nl[i]);
        }
        /* the integer path: on the same input a layer's output equals the fake-quantized
         * float conv to float rounding; later layers requantize their inputs, where a
         * rounding difference can move a value by one step, so the network is compared by
         * its predictions */
        assert_int_equal(quant_use_integer_path(&qnet, &qn, &err), CS_OK);
        nn_forward(&qnet, x, 32);
        double e0 = 0, n0sq = 0;
        for (long i = 0; i < n0; i++) {
            e0 += (qnet.x[l0->out][i] - fake0[i]) * (qnet.x[l0->out][i] - fake0[i]);
            n0sq += fake0[i] * fake0[i];
        }
        double worst = sqrt(e0 / n0sq);
        const float *intl = qnet.x[qnet.n_tensors - 1];
        double num = 0, den = 0;
        for (long i = 0; i < nlog; i++) {
            num += (intl[i] - fake[i]) * (intl[i] - fake[i]);
            den += fake[i] * fake[i];
        }
        printf("tie_scales %d: first layer normalised difference %.2e, logits %.2e\n", tie, worst,
               sqrt(num / den));
        assert_true(worst < 1e-5);
        free(fake0);
        for (int i = 0; i < 32; i++) {
            int a = 0, b = 0;
            for (int k = 1; k < 10; k++) {
                if (fake[k * 32 + i] > fake[a * 32 + i]) a = k;
                if (intl[k * 32 + i] > intl[b * 32 + i]) b = k;
            }
            assert_int_equal(a, b);
        }
        free(qin), free(codes), free(ah), free(al), free(nh), free(nl), free(fake), free(x),
            free(bits);
        quant_net_free(&qn);
        nn_free(&net);
        nn_free(&qnet);
    }
    data_free(&d);
}

/* A pruned filter (all strips at 0 bits, the HAP baseline E10) removes its channel: the
 * following BN's output is exactly 0 there, and other channels are untouched. */
static void test_pruned_filter_removes_channel(void **state) {
    (void)state;
    cs_error err;
    nn_net net, qnet;
    assert_int_equal(nn_build(&net, NN_RESNET20, 0.5, 1, 8, 8, 10, &err), CS_OK);
    assert_int_equal(nn_build(&qnet, NN_RESNET20, 0.5, 1, 8, 8, 10, &err), CS_OK);
    assert_int_equal(nn_plan(&qnet, 4, NN_PLAN_FWD, &err), CS_OK);
    nn_init_weights(&net, 5);
    const nn_layer *c1 = &net.layers[net.qlayer[0]];
    int ib = -1;
    for (int i = 0; i < net.n_layers && ib < 0; i++)
        if (net.layers[i].kind == NN_BN && net.layers[i].in == c1->out) ib = i;
    assert_true(ib >= 0);
    for (int m = 0; m < c1->M; m++) net.layers[ib].beta[m] = 0.5f; /* so 0 is not a given */
    long n_strips = 0;
    for (int q = 0; q < net.n_q; q++)
        n_strips += (long)net.layers[net.qlayer[q]].M * net.layers[net.qlayer[q]].K *
                    net.layers[net.qlayer[q]].K;
    uint8_t *bits = malloc((size_t)n_strips);
    memset(bits, 8, (size_t)n_strips);
    int kk = c1->K * c1->K, pruned = 1;
    memset(bits + pruned * kk, 0, (size_t)kk);
    quant_opts o = {8, 4, QUANT_GRAN_FILTER, QUANT_CLIP_MAX, 0, QUANT_ACT_MAX, 99.9, 64, 1, {0}};
    quant_net qn;
    assert_int_equal(quant_build(&net, bits, &o, &qnet, &qn, &err), CS_OK);
    float x[4 * 64];
    random_values(x, 4 * 64, 77, 1.0);
    nn_forward(&qnet, x, 4);
    const nn_layer *bn = &qnet.layers[ib];
    long plane = 4L * c1->Ho * c1->Wo; /* CNHW: one channel is n * H * W values */
    const float *y = qnet.x[bn->out];
    double other = 0;
    for (long i = 0; i < plane; i++) {
        assert_true(y[pruned * plane + i] == 0.0f);
        other += fabs(y[0 * plane + i]);
    }
    assert_true(other > 0);
    free(bits);
    quant_net_free(&qn);
    nn_free(&net);
    nn_free(&qnet);
}

static void test_exclude_unknown_layer_is_input_error(void **state) {
    (void)state;
    cs_error err;
    nn_net net;
    assert_int_equal(nn_build(&net, NN_TINY, 1.0, 1, 8, 8, 10, &err), CS_OK);
    quant_opts o = {8, 4, QUANT_GRAN_FILTER, QUANT_CLIP_MSE, 8, QUANT_ACT_MAX, 99.9, 64, 1, {0}};
    o.exclude.n = 1;
    snprintf(o.exclude.v[0], CS_NAME_MAX, "conv9");
    uint8_t excl[200];
    assert_int_equal(quant_excluded(&net, &o, excl, &err), CS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "\"conv9\""));
    snprintf(o.exclude.v[0], CS_NAME_MAX, "conv2");
    assert_int_equal(quant_excluded(&net, &o, excl, &err), CS_OK);
    assert_int_equal(excl[0], 0);
    assert_int_equal(excl[36], 1); /* conv2's strips follow conv1's 4 x 9 */
    nn_free(&net);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantizer_properties),
        cmocka_unit_test(test_tied_scale_against_scan),
        cmocka_unit_test(test_assign_by_cr_and_tau),
        cmocka_unit_test(test_tied_shift_equals_multiplier),
        cmocka_unit_test(test_integer_path_equals_fake_quant),
        cmocka_unit_test(test_pruned_filter_removes_channel),
        cmocka_unit_test(test_exclude_unknown_layer_is_input_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

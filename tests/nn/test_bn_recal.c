/* BN recalibration (nn_recalibrate_bn): the first BN layer's running mean and variance become
 * the per-channel mean and unbiased variance of its input, averaged over the batches and
 * weighted by their images; the reference is a naive double loop over the stem conv's output
 * (which does not depend on any BN). Eval mode is restored and the weights are untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "nn/nn.h"

enum { IMAGES = 10, BATCH = 4, SIZE = 8 };

typedef struct images {
    float x[IMAGES * SIZE * SIZE];
} images;

static int fetch(void *ctx, long start, int count, float *x, uint8_t *y, cs_error *err) {
    (void)err;
    const images *im = ctx;
    memcpy(x, im->x + start * SIZE * SIZE, (size_t)count * SIZE * SIZE * sizeof *x);
    memset(y, 0, (size_t)count);
    return CS_OK;
}

/* Per-channel sum of the mean and of the unbiased variance of tensor t (CNHW) over n images,
 * each weighted by n. */
static void batch_stats(const float *t, int C, long plane, int n, double *mean, double *var) {
    for (int c = 0; c < C; c++) {
        double s = 0, ss = 0;
        for (long i = 0; i < plane; i++) s += t[c * plane + i];
        double mu = s / (double)plane;
        for (long i = 0; i < plane; i++) ss += (t[c * plane + i] - mu) * (t[c * plane + i] - mu);
        mean[c] += n * mu;
        var[c] += n * ss / (double)(plane - 1);
    }
}

static void test_first_bn_matches_naive_stats(void **state) {
    (void)state;
    cs_error err;
    nn_net net;
    assert_int_equal(nn_build(&net, NN_RESNET20, 0.5, 1, SIZE, SIZE, 10, &err), CS_OK);
    assert_int_equal(nn_plan(&net, BATCH, NN_PLAN_FWD, &err), CS_OK);
    nn_init_weights(&net, 9);
    images im;
    rng_stream r;
    rng_init(&r, 4, RNG_TEST, 0);
    for (long i = 0; i < IMAGES * SIZE * SIZE; i++) im.x[i] = (float)(1.5 + rng_normal(&r));
    int ib = -1;
    for (int i = 0; i < net.n_layers && ib < 0; i++)
        if (net.layers[i].kind == NN_BN) ib = i;
    assert_true(ib >= 0);
    nn_layer *bn = &net.layers[ib];
    int C = bn->C;
    double *mean = calloc((size_t)C, sizeof *mean), *var = calloc((size_t)C, sizeof *var);
    float x[BATCH * SIZE * SIZE], w0 = net.layers[net.qlayer[0]].w[3];
    uint8_t y[BATCH];
    /* reference: eval-mode forwards expose the stem conv's output, BN's input */
    for (long s = 0; s < IMAGES; s += BATCH) {
        int n = IMAGES - s < BATCH ? (int)(IMAGES - s) : BATCH;
        fetch(&im, s, n, x, y, &err);
        nn_forward(&net, x, n);
        batch_stats(net.x[bn->in], C, (long)n * bn->H * bn->W, n, mean, var);
    }
    images *ctx = &im;
    nn_source src = {ctx, IMAGES, fetch};
    assert_int_equal(nn_recalibrate_bn(&net, &src, x, y, &err), CS_OK);
    for (int c = 0; c < C; c++) {
        double m = mean[c] / IMAGES, v = var[c] / IMAGES;
        assert_true(fabs(bn->mean[c] - m) <= 1e-5 * (1 + fabs(m)));
        assert_true(fabs(bn->var[c] - v) <= 1e-4 * v);
    }
    assert_int_equal(net.train_mode, 0);
    assert_true(net.layers[net.qlayer[0]].w[3] == w0);
    free(mean), free(var);
    nn_free(&net);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_first_bn_matches_naive_stats)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

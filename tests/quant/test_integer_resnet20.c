/* The integer precision-coordinated path (E13) predicts exactly what the fake-quantized
 * float path predicts: the shipped ResNet-20 on 512 Fashion-MNIST test images, CR 0.7, with
 * tied scales (shift alignment) and with free scales (fixed-point multiplier). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "data/data.h"
#include "io/model_file.h"
#include "quant/quant.h"
#include "sens/sens.h"

#define N_IMAGES 512

static void predictions(nn_net *net, const data_set *d, const long *idx, float *x, int *pred) {
    for (int s = 0; s < N_IMAGES; s += net->batch_cap) {
        int n = N_IMAGES - s < net->batch_cap ? N_IMAGES - s : net->batch_cap;
        data_batch(d, idx + s, n, x, 0, 0, 0);
        nn_forward(net, x, n);
        for (int i = 0; i < n; i++) {
            float z[10];
            nn_logits(net, i, z);
            int best = 0;
            for (int k = 1; k < 10; k++) best = z[k] > z[best] ? k : best;
            pred[s + i] = best;
        }
    }
}

static void test_integer_equals_fake_quant(void **state) {
    (void)state;
    cs_error err;
    char path[2048];
    snprintf(path, sizeof path, "%s/data/models/resnet20-fmnist.h5", CS_SOURCE_DIR);
    nn_net net, qnet;
    model_meta meta;
    assert_int_equal(model_read(path, &net, &meta, &err), CS_OK);
    assert_int_equal(model_read(path, &qnet, &meta, &err), CS_OK);
    assert_int_equal(nn_plan(&qnet, 128, NN_PLAN_FWD, &err), CS_OK);
    data_opts o = {DATA_FASHION_MNIST, "/usr/share/datasets/fashion-mnist", 0, 0, 1,
                   {1, 8, 10, 1, 1}};
    data_set test;
    if (data_load(&o, DATA_TEST, &test, &err) != CS_OK) fail_msg("%s", err.msg);
    long idx[N_IMAGES], n;
    assert_int_equal(data_subset(&test, N_IMAGES, 1, RNG_SUBSET, idx, &n, &err), CS_OK);
    /* CR 0.7 by weight magnitude: the arithmetic, not the choice of strips, is under test */
    sens_strips st;
    assert_int_equal(sens_strip_table(&net, &st, &err), CS_OK);
    double *omega = malloc(sizeof(double) * (size_t)st.n_strips);
    uint8_t *bits = malloc((size_t)st.n_strips), *excl = calloc((size_t)st.n_strips, 1);
    sens_strip_norms(&net, &st, omega);
    double tau;
    assert_int_equal(quant_assign_cr(omega, excl, st.n_strips, 0.7, 8, 4, bits, &tau), CS_OK);
    float *x = malloc(sizeof(float) * 128 * 784);
    uint8_t y[128];
    int fake[N_IMAGES], integer[N_IMAGES];
    for (int tie = 1; tie >= 0; tie--) {
        quant_opts qo = {8,   4,  QUANT_GRAN_FILTER, QUANT_CLIP_MSE, 8, QUANT_ACT_MAX, 99.99, 512,
                         tie, {0}};
        quant_net qn;
        assert_int_equal(quant_build(&net, bits, &qo, &qnet, &qn, &err), CS_OK);
        data_feed feed = {&test, idx, N_IMAGES, 0, 0, 0};
        nn_source src = data_source(&feed);
        assert_int_equal(quant_calibrate_acts(&qnet, &src, &qo, &qn, x, y, &err), CS_OK);
        predictions(&qnet, &test, idx, x, fake);
        assert_int_equal(quant_use_integer_path(&qnet, &qn, &err), CS_OK);
        predictions(&qnet, &test, idx, x, integer);
        nn_set_qforward(&qnet, NULL, NULL);
        int same = 0, correct = 0;
        for (int i = 0; i < N_IMAGES; i++) {
            same += fake[i] == integer[i];
            correct += fake[i] == test.labels[idx[i]];
        }
        printf("tie_scales %d: %d/%d identical predictions (fake-quant top-1 %.1f %%)\n", tie, same,
               N_IMAGES, 100.0 * correct / N_IMAGES);
        assert_int_equal(same, N_IMAGES);
        quant_net_free(&qn);
    }
    free(omega), free(bits), free(excl), free(x);
    sens_strips_free(&st);
    data_free(&test);
    nn_free(&net);
    nn_free(&qnet);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_integer_equals_fake_quant)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Whole networks through both convolution paths - the direct 3x3 kernels and im2col +
 * OpenBLAS (CIMSWEEP_CONV3=off) - give the same logits, loss, weight gradients and
 * Hessian-vector products (normalised error <= 1e-5). The shapes exercise every case of the
 * direct kernels: input channels not in fours (forward only), the fused R-passes, several
 * image chunks, and grids of different channel counts; under the sanitizer build this also
 * checks the workspace sizes. */
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
#include "nn/nn.h"

typedef struct outputs {
    float *logits, *grads, *hv;
    double loss;
} outputs;

static void run(int arch, double width, int c, int size, int n, int direct, outputs *o) {
    cs_error err;
    nn_net net;
    if (direct)
        unsetenv("CIMSWEEP_CONV3");
    else
        setenv("CIMSWEEP_CONV3", "off", 1);
    assert_int_equal(nn_build(&net, arch, width, c, size, size, 10, &err), CS_OK);
    assert_int_equal(nn_plan(&net, n, NN_PLAN_GRAD | NN_PLAN_R, &err), CS_OK);
    nn_init_weights(&net, 3);
    long in = (long)n * c * size * size;
    float *x = malloc(sizeof(float) * (size_t)in), *v = malloc(sizeof(float) * (size_t)net.q_total);
    uint8_t *y = malloc((size_t)n);
    rng_stream r;
    rng_init(&r, 4, RNG_TEST, 0);
    for (long i = 0; i < in; i++) x[i] = (float)rng_normal(&r);
    for (long i = 0; i < net.q_total; i++) v[i] = (float)rng_normal(&r);
    for (int i = 0; i < n; i++) y[i] = (uint8_t)rng_below(&r, 10);
    o->logits = malloc(sizeof(float) * (size_t)n * 10);
    o->grads = malloc(sizeof(float) * (size_t)net.p_total);
    o->hv = malloc(sizeof(float) * (size_t)net.q_total);
    nn_forward(&net, x, n);
    o->loss = nn_loss(&net, y, 1.0f / n);
    for (int i = 0; i < n; i++) nn_logits(&net, i, o->logits + i * 10);
    nn_backward(&net, 1);
    memcpy(o->grads, net.gblock, sizeof(float) * (size_t)net.p_total);
    nn_hvp(&net, x, y, n, 1.0f / n, v, o->hv);
    nn_free(&net);
    free(x), free(v), free(y);
    unsetenv("CIMSWEEP_CONV3");
}

static double nerr(const float *a, const float *b, long n) {
    double num = 0, den = 0;
    for (long i = 0; i < n; i++)
        num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]), den += (double)b[i] * b[i];
    return sqrt(num / den);
}

static void compare(int arch, double width, int c, int size, int n) {
    outputs a, b;
    run(arch, width, c, size, n, 1, &a);
    run(arch, width, c, size, n, 0, &b);
    cs_error err;
    nn_net shape;
    assert_int_equal(nn_build(&shape, arch, width, c, size, size, 10, &err), CS_OK);
    double el = nerr(a.logits, b.logits, (long)n * 10), eg = nerr(a.grads, b.grads, shape.p_total);
    double eh = nerr(a.hv, b.hv, shape.q_total);
    printf("%s width %g %dx%dx%d batch %d: logits %.1e, gradients %.1e, H v %.1e\n",
           NN_ARCH_NAMES[arch], width, c, size, size, n, el, eg, eh);
    assert_true(el < 1e-5 && eg < 1e-5 && eh < 1e-5);
    assert_true(fabs(a.loss - b.loss) <= 1e-5 * fabs(b.loss));
    nn_free(&shape);
    free(a.logits), free(a.grads), free(a.hv), free(b.logits), free(b.grads), free(b.hv);
}

static void test_direct_equals_im2col(void **state) {
    (void)state;
    compare(NN_RESNET20, 1.0, 3, 32, 6);  /* 3 input channels: direct forward, im2col data grad */
    compare(NN_RESNET20, 1.0, 1, 28, 40); /* several grid chunks per layer */
    compare(NN_RESNET20, 0.5, 3, 12, 3);
    compare(NN_TINY, 2.0, 4, 10, 5);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_direct_equals_im2col)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Hutchinson per-strip traces (E2) against the exact per-strip Hessian traces of a tiny
 * network, and layer- versus model-partition variance. The exact traces are sums of Hessian
 * diagonals from central differences of exact double-precision gradients (tiny_ref.h), an
 * implementation independent of the engine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>

#include "base/rng.h"
#include "sens/sens.h"
#include "tiny_ref.h"

typedef struct fixture {
    nn_net net;
    data_set train;
    tiny_ref ref;
    long *idx, n_cal;
    double *exact; /* per strip */
} fixture;

static const sens_opts BASE = {SENS_HUTCHINSON, SENS_PART_LAYER, 64, 64, 2000, 2000, 1e-12, 5};

/* The mean loss gradient over the calibration set, in double. */
static void mean_grad(const fixture *f, const double *p, const double *xs, double *g) {
    double *gi = malloc(sizeof(double) * (size_t)f->ref.total);
    memset(g, 0, sizeof(double) * (size_t)f->ref.total);
    long pix = (long)f->train.c * f->train.h * f->train.w;
    for (long n = 0; n < f->n_cal; n++) {
        tiny_ref_loss(&f->ref, p, xs + n * pix, f->train.labels[f->idx[n]], gi);
        for (long j = 0; j < f->ref.total; j++) g[j] += gi[j] / (double)f->n_cal;
    }
    free(gi);
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    cs_error err;
    data_opts o = {DATA_SYNTHETIC, "", 0, 0, 3, {1, 8, 10, 256, 64}};
    assert_int_equal(data_load(&o, DATA_TRAIN, &f->train, &err), CS_OK);
    assert_int_equal(nn_build(&f->net, NN_TINY, 1.0, 1, 8, 8, 10, &err), CS_OK);
    assert_int_equal(nn_plan(&f->net, 64, NN_PLAN_GRAD | NN_PLAN_R, &err), CS_OK);
    nn_init_weights(&f->net, 11);
    f->ref = tiny_ref_shape(1, 4, 8, 8, 10);
    assert_int_equal(f->ref.total, f->net.p_total);
    assert_int_equal(sens_calibration_set(&f->train, &BASE, &f->idx, &f->n_cal, &err), CS_OK);
    /* calibration images as doubles, parameters as doubles (same packing as the engine) */
    long pix = 64, P = f->ref.total;
    float *xf = malloc(sizeof(float) * (size_t)(f->n_cal * pix));
    double *xs = malloc(sizeof(double) * (size_t)(f->n_cal * pix));
    data_batch(&f->train, f->idx, (int)f->n_cal, xf, 0, 0, 0);
    for (long i = 0; i < f->n_cal * pix; i++) xs[i] = xf[i];
    double *p = malloc(sizeof(double) * (size_t)P), *gp = malloc(sizeof(double) * (size_t)P);
    double *gm = malloc(sizeof(double) * (size_t)P), *hdiag = malloc(sizeof(double) * (size_t)P);
    for (long j = 0; j < P; j++) p[j] = f->net.pblock[j];
    const double eps = 1e-6;
    for (long j = 0; j < f->net.q_total; j++) { /* H_jj by central differences of gradients */
        double keep = p[j];
        p[j] = keep + eps;
        mean_grad(f, p, xs, gp);
        p[j] = keep - eps;
        mean_grad(f, p, xs, gm);
        p[j] = keep;
        hdiag[j] = (gp[j] - gm[j]) / (2 * eps);
    }
    sens_strips st;
    assert_int_equal(sens_strip_table(&f->net, &st, &err), CS_OK);
    f->exact = calloc((size_t)st.n_strips, sizeof(double));
    for (int q = 0; q < st.n_layers; q++) {
        float *hq = malloc(sizeof(float) * (size_t)(st.layers[q].strips * st.layers[q].C));
        for (long i = 0; i < st.layers[q].strips * st.layers[q].C; i++)
            hq[i] = (float)hdiag[st.layers[q].w_off + i];
        sens_strip_sums(&st.layers[q], hq, f->exact + st.layers[q].strip_off);
        free(hq);
    }
    sens_strips_free(&st);
    free(xf), free(xs), free(p), free(gp), free(gm), free(hdiag);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    nn_free(&f->net);
    data_free(&f->train);
    free(f->idx);
    free(f->exact);
    free(f);
    return 0;
}

static void test_exact_traces_within_three_standard_errors(void **state) {
    fixture *f = *state;
    cs_comm comm = comm_serial();
    sens_result r;
    cs_error err;
    assert_int_equal(sens_compute(&f->net, &f->train, &BASE, &comm, 1, &r, &err), CS_OK);
    long within3 = 0, within5 = 0, n = r.strips.n_strips;
    double worst = 0;
    for (long s = 0; s < n; s++) {
        double z = fabs(r.trace[s] - f->exact[s]) / (r.stderr_[s] > 0 ? r.stderr_[s] : 1e-300);
        within3 += z <= 3;
        within5 += z <= 5;
        worst = z > worst ? z : worst;
    }
    for (int q = 0; q < r.strips.n_layers; q++) assert_int_equal(r.probes[q], 2000);
    printf("strips within 3 standard errors: %ld/%ld, within 5: %ld, worst %.2f sigma\n", within3,
           n, within5, worst);
    /* at 3 sigma a correct estimator misses about 0.3 % of strips: allow a few, none beyond 5 */
    assert_true(within3 >= n - (n + 19) / 20);
    assert_int_equal(within5, n);
    sens_result_free(&r);
}

static void test_layer_partition_has_lower_variance(void **state) {
    fixture *f = *state;
    cs_comm comm = comm_serial();
    sens_opts lo = BASE, mo = BASE;
    lo.min_probes = lo.max_probes = mo.min_probes = mo.max_probes = 300;
    mo.partition = SENS_PART_MODEL;
    sens_result a, b;
    cs_error err;
    assert_int_equal(sens_compute(&f->net, &f->train, &lo, &comm, 1, &a, &err), CS_OK);
    assert_int_equal(sens_compute(&f->net, &f->train, &mo, &comm, 1, &b, &err), CS_OK);
    double va = 0, vb = 0;
    for (long s = 0; s < a.strips.n_strips; s++) {
        va += a.stderr_[s] * a.stderr_[s];
        vb += b.stderr_[s] * b.stderr_[s];
    }
    printf("mean variance of the estimate: layer %.4g, model %.4g\n", va / a.strips.n_strips,
           vb / b.strips.n_strips);
    assert_true(va < vb);
    sens_result_free(&a);
    sens_result_free(&b);
}

static void test_stopping_rule(void **state) {
    fixture *f = *state;
    cs_comm comm = comm_serial();
    sens_opts o = BASE;
    o.min_probes = 3;
    o.max_probes = 500;
    o.tol = 0.05;
    sens_result r;
    cs_error err;
    assert_int_equal(sens_compute(&f->net, &f->train, &o, &comm, 1, &r, &err), CS_OK);
    for (int q = 0; q < r.strips.n_layers; q++) {
        long T = r.probes[q];
        const double *h = r.history + (long)q * r.max_probes;
        assert_true(T >= o.min_probes + 1 && T <= o.max_probes);
        if (T < o.max_probes) {
            /* the last min_probes steps met the tolerance, and the run stopped right there */
            for (long t = T - o.min_probes; t < T; t++)
                assert_true(fabs(h[t] - h[t - 1]) / (fabs(h[t - 1]) + 1e-6) < o.tol);
        }
        assert_true(isnan(h[T]) || T == o.max_probes);
    }
    sens_result_free(&r);
}

static void test_calibration_larger_than_data_is_an_input_error(void **state) {
    fixture *f = *state;
    sens_opts o = BASE;
    o.calib_samples = 100000;
    long *idx = NULL, n = 0;
    cs_error err;
    assert_int_equal(sens_calibration_set(&f->train, &o, &idx, &n, &err), CS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "exceeds the 256 images"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_traces_within_three_standard_errors),
        cmocka_unit_test(test_layer_partition_has_lower_variance),
        cmocka_unit_test(test_stopping_rule),
        cmocka_unit_test(test_calibration_larger_than_data_is_an_input_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

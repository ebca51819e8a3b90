/* Fisher information (E6) and distances (E7) on the tiny network: per-sample gradients
 * against the double-precision reference, and the diag / gram distances against Fisher
 * matrices formed explicitly from those gradients. */
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
    nn_net a, b; /* original and perturbed ("quantized") */
    data_set train;
} fixture;

static const fim_opts GRAM = {FIM_GRAM, FIM_LABELS_TRUE, 48, 0, 16, 2};

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    cs_error err;
    data_opts o = {DATA_SYNTHETIC, "", 0, 0, 3, {1, 8, 10, 256, 64}};
    assert_int_equal(data_load(&o, DATA_TRAIN, &f->train, &err), CS_OK);
    nn_net *nets[2] = {&f->a, &f->b};
    for (int k = 0; k < 2; k++) {
        assert_int_equal(nn_build(nets[k], NN_TINY, 1.0, 1, 8, 8, 10, &err), CS_OK);
        assert_int_equal(nn_plan(nets[k], 16, NN_PLAN_GRAD, &err), CS_OK);
        nn_init_weights(nets[k], 11);
    }
    rng_stream r;
    rng_init(&r, 5, RNG_TEST, 0);
    for (long j = 0; j < f->b.q_total; j++) f->b.pblock[j] *= (float)(1 + 0.05 * rng_normal(&r));
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    nn_free(&f->a);
    nn_free(&f->b);
    data_free(&f->train);
    free(f);
    return 0;
}

/* Explicit F = (1/N) sum_n g_n g_n^T from an N x P gradient matrix (double, P x P). */
static double *explicit_fisher(const fim_state *s) {
    long P = s->dim, N = s->n;
    double *F = calloc((size_t)(P * P), sizeof(double));
    for (long n = 0; n < N; n++) {
        const float *g = s->grads + n * P;
        for (long i = 0; i < P; i++)
            for (long j = 0; j < P; j++) F[i * P + j] += (double)g[i] * g[j] / (double)N;
    }
    return F;
}

static void test_per_sample_gradients_match_reference(void **state) {
    fixture *f = *state;
    cs_comm comm = comm_serial();
    fim_state s;
    cs_error err;
    assert_int_equal(fim_compute(&f->a, &f->train, &GRAM, &comm, &s, &err), CS_OK);
    tiny_ref t = tiny_ref_shape(1, 4, 8, 8, 10);
    double *p = malloc(sizeof(double) * (size_t)t.total),
           *g = malloc(sizeof(double) * (size_t)t.total);
    for (long j = 0; j < t.total; j++) p[j] = f->a.pblock[j];
    /* the samples fim_compute used: the same seeded subset */
    long *idx = malloc(sizeof(long) * (size_t)f->train.n), n = 0;
    assert_int_equal(
        data_subset(&f->train, GRAM.samples, (uint64_t)GRAM.seed, RNG_FISHER, idx, &n, &err),
        CS_OK);
    float x[64];
    double xd[64], worst = 0;
    for (long i = 0; i < n; i++) {
        data_batch(&f->train, idx + i, 1, x, 0, 0, 0);
        for (int k = 0; k < 64; k++) xd[k] = x[k];
        tiny_ref_loss(&t, p, xd, f->train.labels[idx[i]], g);
        double num = 0, den = 0;
        for (long j = 0; j < s.dim; j++) {
            double d = s.grads[i * s.dim + j] - g[j];
            num += d * d;
            den += g[j] * g[j];
        }
        double e = sqrt(num / den);
        worst = e > worst ? e : worst;
    }
    printf("per-sample gradients: worst normalised error %.2e over %ld samples\n", worst, n);
    assert_true(worst < 1e-4);
    free(p), free(g), free(idx);
    fim_free(&s);
}

static void test_gram_and_diag_distances_equal_explicit_matrices(void **state) {
    fixture *f = *state;
    cs_comm comm = comm_serial();
    fim_state ga, gb, da, db;
    cs_error err;
    fim_opts diag = GRAM;
    diag.kind = FIM_DIAG;
    assert_int_equal(fim_compute(&f->a, &f->train, &GRAM, &comm, &ga, &err), CS_OK);
    assert_int_equal(fim_compute(&f->b, &f->train, &GRAM, &comm, &gb, &err), CS_OK);
    assert_int_equal(fim_compute(&f->a, &f->train, &diag, &comm, &da, &err), CS_OK);
    assert_int_equal(fim_compute(&f->b, &f->train, &diag, &comm, &db, &err), CS_OK);
    long P = ga.dim;
    double *Fa = explicit_fisher(&ga), *Fb = explicit_fisher(&gb);
    double num = 0, den = 0, dnum = 0, dden = 0;
    for (long i = 0; i < P; i++)
        for (long j = 0; j < P; j++) {
            double d = Fa[i * P + j] - Fb[i * P + j];
            num += d * d;
            den += Fa[i * P + j] * Fa[i * P + j];
            if (i == j) {
                dnum += d * d;
                dden += Fa[i * P + j] * Fa[i * P + j];
            }
        }
    double want = sqrt(num / den), want_diag = sqrt(dnum / dden);
    double got = fim_distance(&ga, &gb), got_diag = fim_distance(&da, &db);
    printf("gram: %.12g vs explicit %.12g; diag: %.12g vs explicit %.12g\n", got, want, got_diag,
           want_diag);
    assert_true(fabs(got - want) <= 1e-6 * want);
    assert_true(fabs(got_diag - want_diag) <= 1e-6 * want_diag);
    assert_true(want > 1e-3);                   /* the perturbation is visible */
    assert_true(fim_distance(&ga, &ga) < 1e-6); /* a model is at distance 0 from itself */
    free(Fa), free(Fb);
    fim_free(&ga), fim_free(&gb), fim_free(&da), fim_free(&db);
}

static void test_sketch_approximates_exact_distance(void **state) {
    fixture *f = *state;
    cs_comm comm = comm_serial();
    fim_opts sk = GRAM;
    sk.sketch_dim = 4096;
    fim_state ea, eb, sa, sb;
    cs_error err;
    assert_int_equal(fim_compute(&f->a, &f->train, &GRAM, &comm, &ea, &err), CS_OK);
    assert_int_equal(fim_compute(&f->b, &f->train, &GRAM, &comm, &eb, &err), CS_OK);
    assert_int_equal(fim_compute(&f->a, &f->train, &sk, &comm, &sa, &err), CS_OK);
    assert_int_equal(fim_compute(&f->b, &f->train, &sk, &comm, &sb, &err), CS_OK);
    assert_int_equal(sa.dim, 4096);
    double exact = fim_distance(&ea, &eb), sketched = fim_distance(&sa, &sb);
    printf("sketched distance %.6g vs exact %.6g\n", sketched, exact);
    /* bound of fisher.c: relative error about sqrt(2/k) per inner product */
    assert_true(fabs(sketched - exact) <= 3 * sqrt(2.0 / 4096) * exact + 1e-12);
    fim_free(&ea), fim_free(&eb), fim_free(&sa), fim_free(&sb);
}

static void test_too_many_samples_is_an_input_error(void **state) {
    fixture *f = *state;
    cs_comm comm = comm_serial();
    fim_opts o = GRAM;
    o.samples = 100000;
    fim_state s;
    cs_error err;
    assert_int_equal(fim_compute(&f->a, &f->train, &o, &comm, &s, &err), CS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "fim.samples"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_per_sample_gradients_match_reference),
        cmocka_unit_test(test_gram_and_diag_distances_equal_explicit_matrices),
        cmocka_unit_test(test_sketch_approximates_exact_distance),
        cmocka_unit_test(test_too_many_samples_is_an_input_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

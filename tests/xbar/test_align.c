/* Alignment E9 (src/sweep/align.c): hand cases, a brute-force reference on random
 * assignments, per-position units of the packed mapping, and argument errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "io/config.h"
#include "sweep/align.h"

static void test_hand_cases(void **state) {
    (void)state;
    cs_error err;
    /* 10 strips, 7 High (8) and 3 Low (4); capacity 4: 7 = 4 + 3 */
    const double omega[10] = {0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.8, 0.6, 0.4, 0.05};
    const uint8_t start[10] = {8, 8, 8, 8, 8, 4, 8, 4, 8, 4};
    uint8_t b[10];
    /* down: demote the 3 lowest-Omega High strips: 1 (0.1), 3 (0.3), 8 (0.4) */
    memcpy(b, start, 10);
    assert_int_equal(sweep_align_layer(omega, b, 10, 8, 4, 4, ALIGN_DOWN, &err), CS_OK);
    const uint8_t down[10] = {8, 4, 8, 4, 8, 4, 8, 4, 4, 4};
    assert_memory_equal(b, down, 10);
    /* nearest: 7 -> 8 needs 1 promotion (< 3 demotions): the highest-Omega Low strip, 7 (0.6) */
    memcpy(b, start, 10);
    assert_int_equal(sweep_align_layer(omega, b, 10, 8, 4, 4, ALIGN_NEAREST, &err), CS_OK);
    const uint8_t near[10] = {8, 8, 8, 8, 8, 4, 8, 8, 8, 4};
    assert_memory_equal(b, near, 10);
    /* none: untouched */
    memcpy(b, start, 10);
    assert_int_equal(sweep_align_layer(omega, b, 10, 8, 4, 4, ALIGN_NONE, &err), CS_OK);
    assert_memory_equal(b, start, 10);
    /* nearest with a tie (6 High, capacity 4: 2 down or 2 up) goes down: 1 and 3 */
    memcpy(b, start, 10);
    b[8] = 4;
    assert_int_equal(sweep_align_layer(omega, b, 10, 8, 4, 4, ALIGN_NEAREST, &err), CS_OK);
    const uint8_t tie[10] = {8, 4, 8, 4, 8, 4, 8, 4, 4, 4};
    assert_memory_equal(b, tie, 10);
    /* nearest cannot promote more Low strips than exist: 7 High, 1 Low, capacity 9 -> down */
    uint8_t few[8] = {8, 8, 8, 8, 8, 8, 8, 4};
    assert_int_equal(sweep_align_layer(omega, few, 8, 8, 4, 9, ALIGN_NEAREST, &err), CS_OK);
    for (int i = 0; i < 8; i++) assert_int_equal(few[i], 4);
    /* equal Omega: the lower index goes first; strips of other widths are left alone */
    const double flat[6] = {1, 1, 1, 1, 1, 1};
    uint8_t f[6] = {8, 0, 8, 8, 6, 8};
    assert_int_equal(sweep_align_layer(flat, f, 6, 8, 4, 3, ALIGN_DOWN, &err), CS_OK);
    const uint8_t fw[6] = {4, 0, 8, 8, 6, 8};
    assert_memory_equal(f, fw, 6);
    uint8_t g[6] = {4, 4, 8, 0, 4, 8};
    assert_int_equal(sweep_align_layer(flat, g, 6, 8, 4, 3, ALIGN_NEAREST, &err), CS_OK);
    const uint8_t gw[6] = {8, 4, 8, 0, 4, 8};
    assert_memory_equal(g, gw, 6);
}

/* Reference: repeatedly pick the extreme strip by a linear scan. */
static void reference(const double *omega, uint8_t *b, long n, long cap, int mode) {
    long nh = 0, nl = 0;
    for (long i = 0; i < n; i++) nh += b[i] == 8, nl += b[i] == 4;
    long rem = nh % cap;
    if (rem == 0 || mode == ALIGN_NONE) return;
    int up = mode == ALIGN_NEAREST && cap - rem < rem && cap - rem <= nl;
    long k = up ? cap - rem : rem;
    for (long t = 0; t < k; t++) {
        long best = -1;
        for (long i = 0; i < n; i++) {
            if (b[i] != (up ? 4 : 8)) continue;
            if (best < 0 || (up ? omega[i] > omega[best] : omega[i] < omega[best])) best = i;
        }
        b[best] = up ? 8 : 4;
    }
}

static void test_random_reference(void **state) {
    (void)state;
    rng_stream r;
    rng_init(&r, 4, RNG_TEST, 20);
    for (int trial = 0; trial < 500; trial++) {
        long n = 1 + (long)rng_below(&r, 300), cap = 1 + (long)rng_below(&r, 40);
        int mode = (int)rng_below(&r, 3);
        double *omega = malloc(sizeof *omega * (size_t)n);
        uint8_t *a = malloc((size_t)n), *b = malloc((size_t)n);
        assert_true(omega && a && b);
        double dens = rng_uniform(&r);
        for (long i = 0; i < n; i++) {
            omega[i] = floor(rng_uniform(&r) * 50) / 50; /* ties happen */
            a[i] = rng_uniform(&r) < dens ? 8 : rng_uniform(&r) < 0.95 ? 4 : 0;
        }
        memcpy(b, a, (size_t)n);
        cs_error err;
        assert_int_equal(sweep_align_layer(omega, a, n, 8, 4, cap, mode, &err), CS_OK);
        reference(omega, b, n, cap, mode);
        assert_memory_equal(a, b, (size_t)n);
        long nh = 0;
        for (long i = 0; i < n; i++) nh += a[i] == 8;
        if (mode != ALIGN_NONE) assert_int_equal(nh % cap, 0);
        free(omega);
        free(a);
        free(b);
    }
}

/* A 3x3 layer with C = 256 on 128x128 crossbars: each kernel position is a unit of Q_b = 32
 * (8-bit). After sweep_align_mapped every position's High count is a multiple of 32 and every
 * 8-bit crossbar of the packed mapping is full; aligning the layer count alone does not do
 * that. */
static void test_mapped_units(void **state) {
    (void)state;
    cs_config cfg;
    config_defaults(&cfg);
    const xbar_params *hw = &cfg.xbar;
    xbar_layer l;
    memset(&l, 0, sizeof l);
    l.C = 256, l.M = 256, l.K = 3, l.stride = 1, l.H = l.W = l.Ho = l.Wo = 8;
    assert_int_equal(xbar_align_units(hw, &l), 9);
    assert_int_equal(xbar_capacity(hw, &l, 8), 32);
    long n = 256 * 9;
    double *omega = malloc(sizeof *omega * (size_t)n);
    uint8_t *a = malloc((size_t)n), *b = malloc((size_t)n);
    assert_true(omega && a && b);
    rng_stream r;
    rng_init(&r, 9, RNG_TEST, 21);
    for (long s = 0; s < n; s++) omega[s] = rng_uniform(&r), a[s] = omega[s] >= 0.8 ? 8 : 4;
    memcpy(b, a, (size_t)n);
    cs_error err;
    assert_int_equal(sweep_align_mapped(hw, &l, omega, a, 8, 4, ALIGN_DOWN, &err), CS_OK);
    assert_int_equal(sweep_align_layer(omega, b, n, 8, 4, 32, ALIGN_DOWN, &err), CS_OK);
    for (int p = 0; p < 9; p++) {
        long c = 0;
        for (int m = 0; m < 256; m++) c += a[m * 9 + p] == 8;
        assert_int_equal(c % 32, 0);
    }
    xbar_layer_stats sa, sb;
    assert_int_equal(xbar_map_layer(hw, &l, a, XBAR_MAP_PACKED, &sa, &err), CS_OK);
    assert_int_equal(xbar_map_layer(hw, &l, b, XBAR_MAP_PACKED, &sb, &err), CS_OK);
    assert_int_equal(sa.g[0].used_cells, sa.g[0].alloc_cells);
    assert_true(sb.g[0].used_cells < sb.g[0].alloc_cells);
    /* a layer of short strips (C = 64 < R) is one unit, aligned like sweep_align_layer */
    l.C = 64;
    assert_int_equal(xbar_align_units(hw, &l), 1);
    for (long s = 0; s < n; s++) a[s] = b[s] = omega[s] >= 0.8 ? 8 : 4;
    assert_int_equal(sweep_align_mapped(hw, &l, omega, a, 8, 4, ALIGN_DOWN, &err), CS_OK);
    assert_int_equal(
        sweep_align_layer(omega, b, n, 8, 4, xbar_capacity(hw, &l, 8), ALIGN_DOWN, &err), CS_OK);
    assert_memory_equal(a, b, (size_t)n);
    free(omega);
    free(a);
    free(b);
}

static void test_errors(void **state) {
    (void)state;
    double omega[3] = {0.1, NAN, 0.3};
    uint8_t b[3] = {8, 8, 4};
    cs_error err;
    assert_int_equal(sweep_align_layer(omega, b, 3, 8, 4, 0, ALIGN_DOWN, &err), CS_ERR_INPUT);
    assert_int_equal(sweep_align_layer(omega, b, 3, 8, 8, 2, ALIGN_DOWN, &err), CS_ERR_INPUT);
    assert_int_equal(sweep_align_layer(omega, b, 3, 8, 4, 2, 7, &err), CS_ERR_INPUT);
    assert_int_equal(sweep_align_layer(omega, b, 3, 8, 4, 3, ALIGN_DOWN, &err), CS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "strip 1"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_cases),
        cmocka_unit_test(test_random_reference),
        cmocka_unit_test(test_mapped_units),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

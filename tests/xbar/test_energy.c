/* Energy and latency (E12): the ADC models against the figures of notes/neurosim.md, a hand
 * count of one layer, the VGG-8 conversion count NeuroSim reports, position conventions, and
 * energy falling as more strips go to low precision. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "io/config.h"
#include "nn/nn.h"
#include "xbar/xbar.h"

static xbar_params load_hw(const char *name) {
    static cs_config cfg;
    char path[CS_PATH_MAX];
    snprintf(path, sizeof path, "%s/configs/xbar/%s", CS_SOURCE_DIR, name);
    cs_error err;
    if (config_load(path, &cfg, &err) != CS_OK) fail_msg("%s", err.msg);
    return cfg.xbar;
}

static void near(double got, double want, double rel) {
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("got %.9g, expected %.9g (rel. tolerance %g)", got, want, rel);
}

/* notes/neurosim.md: comparator energy per conversion at 32 nm, MLSA 46 / 787 fJ and SAR
 * 67 / 161 fJ at 16 / 256 levels, so ~17x and ~2.4x. */
static void test_adc_models(void **state) {
    (void)state;
    xbar_params hw = load_hw("rram32-128.cfg");
    hw.adc_model = XBAR_ADC_MLSA;
    near(xbar_adc_energy_j(&hw, 16), 46e-15, 0.01);
    near(xbar_adc_energy_j(&hw, 256), 787e-15, 0.01);
    near(xbar_adc_energy_j(&hw, 256) / xbar_adc_energy_j(&hw, 16), 17.0, 1e-9);
    near(xbar_adc_time_s(&hw, 256), 5.268e-9, 1e-12);
    hw.adc_model = XBAR_ADC_SAR;
    near(xbar_adc_energy_j(&hw, 16), 67e-15, 0.01);
    near(xbar_adc_energy_j(&hw, 256), 161e-15, 0.01);
    near(xbar_adc_energy_j(&hw, 256) / xbar_adc_energy_j(&hw, 16), 2.4, 0.01);
    near(xbar_adc_time_s(&hw, 256), 9e-9, 1e-12); /* log2 L + 1 bit cycles of 1 ns */
    /* column term: 128 cells at R_on = 6 kOhm all conducting at 0.5 V would draw ~1.4 mW
     * (notes/neurosim.md); per cell at activity 1 and G_on only: 0.072 / 6000 W = 12 uW */
    hw.input_activity = 1.0;
    hw.r_off_ohm = hw.r_on_ohm = 6000.0;
    near(xbar_cell_read_energy_j(&hw) * 128 / 1e-9, 1.536e-3, 1e-9);
}

/* The packed hand case of test_map.c (3x3, C = 4, M = 3, 8x8 crossbars) with the seed's
 * constants, every term recomputed from the hand counts. */
static void test_hand_energy(void **state) {
    (void)state;
    xbar_params hw = load_hw("rram32-128.cfg");
    hw.rows = hw.cols = 8;
    xbar_layer l;
    memset(&l, 0, sizeof l);
    l.C = 4, l.M = 3, l.K = 3, l.stride = 1, l.H = l.W = l.Ho = l.Wo = 6;
    uint8_t bits[27];
    memset(bits, 4, sizeof bits);
    bits[0] = bits[1] = bits[4] = bits[10] = bits[26] = 8;
    xbar_layer_stats st;
    cs_error err;
    assert_int_equal(xbar_map_layer(&hw, &l, bits, XBAR_MAP_PACKED, &st, &err), CS_OK);
    /* hand counts (test_map.c): 8-bit 2 crossbars, 80 cells, 16 columns, 16 rows, 4 weight
     * columns; 4-bit 5 crossbars, 176 cells, 26 columns, 36 rows, 13 weight columns. All three
     * filters have strips in both groups: 3 alignments in the 4-bit group. */
    const double V = 36, reads = V * 8, fj = 1e-15;
    const double e_cell = 0.072 * 0.5 * 0.5 * (1 / 6000.0 + 1 / 900000.0) * 1e-9;
    struct {
        double cols, cells, rows, wcols, aligned, L, S, bits, cpa;
    } g[2] = {{16, 80, 16, 4, 0, 256, 4, 8, 4}, {26, 176, 36, 13, 3, 16, 2, 4, 2}};
    double total = 0, lat = 0;
    for (int i = 0; i < 2; i++) {
        double conv = reads * g[i].cols;
        double adc_bits = log2(g[i].L);
        double e_adc = conv * 3.0875e-6 * (g[i].L - 1) * 1e-9 + reads * g[i].cells * e_cell;
        double w_sa = adc_bits + 8, w_ps = adc_bits + 8 + g[i].bits;
        double e_acc = (conv * w_sa * 1.82 + V * g[i].wcols * g[i].S * w_ps * 1.82 +
                        V * g[i].aligned * w_ps * 1.82) *
                       fj;
        double moved = reads * g[i].rows + V * g[i].wcols * w_ps;
        double e_oth = (reads * g[i].rows * 12.4 + conv * 12.1 + moved * (7.39 + 42.9)) * fj;
        double t = reads * (g[i].cpa * 5.268e-9 + 10e-9);
        assert_int_equal(st.g[i].aligned, (long)g[i].aligned);
        near(st.g[i].conversions, conv, 1e-12);
        near(st.g[i].energy_adc_j, e_adc, 1e-9);
        near(st.g[i].energy_accum_j, e_acc, 1e-9);
        near(st.g[i].energy_other_j, e_oth, 1e-9);
        near(st.g[i].latency_s, t, 1e-12);
        total += e_adc + e_acc + e_oth;
        if (t > lat) lat = t;
    }
    near(st.energy_j, total, 1e-9);
    near(st.latency_s, lat, 1e-12); /* groups in parallel */
    /* layers in sequence */
    xbar_layer_stats two[2] = {st, st};
    xbar_totals t;
    xbar_network_totals(&hw, two, 2, &t);
    near(t.latency_s, 2 * lat, 1e-12);
    near(t.energy_j, 2 * total, 1e-9);
    near(t.energy_adc_j + t.energy_accum_j + t.energy_other_j, t.energy_j, 1e-12);
}

static void test_positions(void **state) {
    (void)state;
    xbar_params hw = load_hw("rram32-128.cfg");
    xbar_layer l;
    memset(&l, 0, sizeof l);
    l.C = 16, l.M = 32, l.K = 3, l.stride = 2, l.H = l.W = 32, l.Ho = l.Wo = 16;
    hw.positions = XBAR_POS_PADDED;
    near(xbar_positions(&hw, &l), 256, 0);
    hw.positions = XBAR_POS_NEUROSIM;
    near(xbar_positions(&hw, &l), 15 * 15, 0); /* (32 - 3 + 1) / 2 = 15 */
    l.stride = 1, l.Ho = l.Wo = 32;
    near(xbar_positions(&hw, &l), 900, 0);
    l.K = 1, l.H = l.W = l.Ho = l.Wo = 1;
    near(xbar_positions(&hw, &l), 1, 0);
}

/* VGG-8 as NeuroSim maps it at 8-bit weights, 2-bit cells, 128x128: a layer with C*K^2 >= 128
 * gets one processing element per kernel position, so its conversions per input bit are
 * K^2 * ceil(C/128) * 4M; layer 1 (27 rows) is one row block, 4M columns. Counted here from
 * the layer list, independently of the mapper. */
static void test_vgg8_conversions(void **state) {
    (void)state;
    xbar_params hw = load_hw("neurosim-v14-vgg8.cfg");
    xbar_layer *ls;
    int n;
    cs_error err;
    char path[CS_PATH_MAX];
    snprintf(path, sizeof path, "%s/tests/xbar/vgg8.csv", CS_SOURCE_DIR);
    assert_int_equal(xbar_read_network_csv(path, &ls, &n, &err), CS_OK);
    assert_int_equal(n, 8);
    for (int wb = 8; wb >= 4; wb -= 4) {
        double want = 0, got = 0;
        for (int i = 0; i < n; i++) {
            const xbar_layer *l = &ls[i];
            double V = (double)((l->H - l->K + 1) / l->stride) * ((l->W - l->K + 1) / l->stride);
            double blocks = l->C * l->K * l->K < 128 ? 1 : l->K * l->K * ((l->C + 127) / 128);
            want += V * 8 * blocks * (wb / 2) * l->M;
            long ns = (long)l->M * l->K * l->K;
            uint8_t *bits = malloc((size_t)ns);
            memset(bits, wb, (size_t)ns);
            xbar_layer_stats st;
            assert_int_equal(xbar_map_layer(&hw, l, bits, -1, &st, &err), CS_OK);
            got += st.g[xbar_group_of(&hw, wb)].conversions;
            free(bits);
        }
        near(got, want, 0);
    }
    free(ls);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Strips at or above the CR quantile of Omega are High (8-bit), the rest Low (4-bit). */
static void assign(const double *omega, uint8_t *bits, long n, double cr) {
    double *sorted = malloc((size_t)n * sizeof *sorted);
    assert_non_null(sorted);
    memcpy(sorted, omega, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_double);
    long k = (long)floor(cr * (double)n + 0.5); /* number of Low strips */
    double tau = k >= n ? INFINITY : sorted[k];
    for (long i = 0; i < n; i++) bits[i] = omega[i] >= tau ? 8 : 4;
    free(sorted);
}

/* Energy per image of ResNet-20 (CIFAR shapes) must fall as CR rises under the packed mapping
 * at both crossbar sizes. Origin is not monotone where its crossbars stack kernel positions
 * (C < R): a column stays active, and converts, while any of its stacked strips is in the
 * group, so moving the first strips to Low adds Low conversions without removing High ones;
 * for origin only the ends are compared. */
static void test_energy_falls_with_cr(void **state) {
    (void)state;
    nn_net net;
    cs_error err;
    assert_int_equal(nn_build(&net, NN_RESNET20, 1.0, 3, 32, 32, 10, &err), CS_OK);
    xbar_layer *ls;
    int n;
    assert_int_equal(xbar_layers_from_net(&net, &ls, &n, &err), CS_OK);
    long total = 0;
    for (int i = 0; i < n; i++) total += (long)ls[i].M * ls[i].K * ls[i].K;
    double *omega = malloc((size_t)total * sizeof *omega);
    uint8_t *bits = malloc((size_t)total);
    xbar_layer_stats *st = malloc((size_t)n * sizeof *st);
    assert_true(omega && bits && st);
    rng_stream r;
    rng_init(&r, 3, RNG_TEST, 7);
    for (long s = 0; s < total; s++) omega[s] = rng_uniform(&r);
    const char *cfgs[2] = {"rram32-128.cfg", "rram32-32.cfg"};
    for (int c = 0; c < 2; c++)
        for (int mapping = 0; mapping < 2; mapping++) {
            xbar_params hw = load_hw(cfgs[c]);
            double prev = INFINITY, first = 0, last = 0;
            for (int step = 0; step <= 10; step++) {
                assign(omega, bits, total, step / 10.0);
                long off = 0;
                for (int i = 0; i < n; i++) {
                    assert_int_equal(xbar_map_layer(&hw, &ls[i], bits + off, mapping, &st[i], &err),
                                     CS_OK);
                    off += (long)ls[i].M * ls[i].K * ls[i].K;
                }
                xbar_totals t;
                xbar_network_totals(&hw, st, n, &t);
                if (mapping == XBAR_MAP_PACKED && !(t.energy_j < prev))
                    fail_msg("%s %s: energy %.6g J at CR %.1f not below %.6g J", cfgs[c],
                             XBAR_MAP_NAMES[mapping], t.energy_j, step / 10.0, prev);
                if (step == 0) first = t.energy_j;
                last = prev = t.energy_j;
            }
            assert_true(last < 0.6 * first); /* all-4-bit is far cheaper than all-8-bit */
        }
    free(omega);
    free(bits);
    free(st);
    free(ls);
    nn_free(&net);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adc_models),
        cmocka_unit_test(test_hand_energy),
        cmocka_unit_test(test_positions),
        cmocka_unit_test(test_vgg8_conversions),
        cmocka_unit_test(test_energy_falls_with_cr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

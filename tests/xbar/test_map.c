/* Mappings (origin, packed), utilization (E11) and the cell-level validator: hand-counted
 * layers, random properties, and mappings that break each rule. */
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
#include "xbar/xbar.h"

/* 8x8 crossbars of 2-bit cells, 8-bit inputs; 8-bit weights: S = 4 columns, Q_b = 2 weight
 * columns; 4-bit weights: S = 2, Q_b = 4. Group 0 = 8 bit, group 1 = 4 bit. */
static xbar_params small_hw(long rows, long cols) {
    cs_config cfg;
    config_defaults(&cfg);
    xbar_params hw = cfg.xbar;
    hw.rows = rows;
    hw.cols = cols;
    hw.cell_bits = 2;
    hw.input_bits = 8;
    hw.n_groups = 2;
    hw.groups[0] = (xbar_group){8, 256, 4};
    hw.groups[1] = (xbar_group){4, 16, 2};
    return hw;
}

static xbar_layer make_layer(int C, int M, int K, int H) {
    xbar_layer l;
    memset(&l, 0, sizeof l);
    snprintf(l.name, sizeof l.name, "test");
    l.C = C, l.M = M, l.K = K, l.stride = 1, l.H = l.W = H, l.Ho = l.Wo = H;
    return l;
}

/* The hand case: 3x3 conv, C = 4, M = 3 on 6x6 maps (V = 36 with padding), strips s = m*9 + p.
 * High (8-bit): filter 0 at p = 0, 1, 4; filter 1 at p = 1; filter 2 at p = 8. The other 22
 * strips are 4-bit. */
static void hand_bits(uint8_t bits[27]) {
    memset(bits, 4, 27);
    bits[0 * 9 + 0] = bits[0 * 9 + 1] = bits[0 * 9 + 4] = 8;
    bits[1 * 9 + 1] = 8;
    bits[2 * 9 + 8] = 8;
}

typedef struct expect {
    long crossbars, used_cells, active_cols, used_rows, weight_cols;
} expect;

static void check_group(const xbar_group_stats *st, const expect *e, long strips) {
    assert_int_equal(st->strips, strips);
    assert_int_equal(st->crossbars, e->crossbars);
    assert_int_equal(st->used_cells, e->used_cells);
    assert_int_equal(st->active_cols, e->active_cols);
    assert_int_equal(st->used_rows, e->used_rows);
    assert_int_equal(st->weight_cols, e->weight_cols);
    assert_int_equal(st->alloc_cells, e->crossbars * 64);
    /* conversions = V * b_in * active physical columns = 36 * 8 * cols */
    assert_true(st->conversions == 36.0 * 8 * (double)e->active_cols);
}

/* Crossbar reads (positions x input bits per crossbar) and sensing cycles: the latency of
 * each group is 288 reads x (cols_per_adc cycles + one array pulse). */
static void check_cycles(const xbar_params *hw, const xbar_layer_stats *st, long crossbars,
                         double crossbar_reads) {
    assert_int_equal(st->g[0].crossbars + st->g[1].crossbars, crossbars);
    double reads = 0;
    for (int g = 0; g < 2; g++) {
        assert_true(st->g[g].positions * (double)hw->input_bits == 288.0);
        reads += st->g[g].positions * (double)hw->input_bits * (double)st->g[g].crossbars;
    }
    assert_true(reads == crossbar_reads);
    double t8 = 288 * (4 * hw->t_cycle_ns + hw->t_array_ns) * 1e-9;
    double t4 = 288 * (2 * hw->t_cycle_ns + hw->t_array_ns) * 1e-9;
    assert_true(fabs(st->g[0].latency_s - t8) <= 1e-12 * t8);
    assert_true(fabs(st->g[1].latency_s - t4) <= 1e-12 * t4);
    assert_true(st->latency_s == st->g[0].latency_s);
}

/* Validate the cell map of one group and compare its counts with the stats. */
static void check_cells(const xbar_params *hw, const xbar_layer *l, const uint8_t *bits,
                        int mapping, int g, const xbar_group_stats *st) {
    xbar_cellmap map;
    cs_error err;
    cs_error_clear(&err);
    assert_int_equal(xbar_map_cells(hw, l, bits, mapping, g, &map, &err), CS_OK);
    xbar_cell_counts c;
    int rc = xbar_validate_cells(hw, l, bits, &map, &c, &err);
    if (rc) fail_msg("%s", err.msg);
    assert_int_equal(c.crossbars, st->crossbars);
    assert_int_equal(c.used_cells, st->used_cells);
    assert_int_equal(c.active_cols, st->active_cols);
    assert_int_equal(c.used_rows, st->used_rows);
    xbar_cellmap_free(&map);
}

static void test_hand_origin(void **state) {
    (void)state;
    xbar_params hw = small_hw(8, 8);
    xbar_layer l = make_layer(4, 3, 3, 6);
    uint8_t bits[27];
    hand_bits(bits);
    xbar_layer_stats st;
    cs_error err;
    assert_int_equal(xbar_map_layer(&hw, &l, bits, XBAR_MAP_ORIGIN, &st, &err), CS_OK);
    /* Unrolled rows p*4 + c in chunks of 8: {p0,p1} {p2,p3} {p4,p5} {p6,p7} {p8 (4 rows)}.
     * 8-bit, filter blocks of Q_b = 2: {0,1} {2}.
     *  chunk {p0,p1} x {0,1}: (0,p0) (0,p1) (1,p1) -> 3 blocks x 4 rows x 4 slices = 48 cells,
     *    filters 0 and 1 active = 8 columns, slots p0 and p1 used = 8 rows
     *  chunk {p4,p5} x {0,1}: (0,p4) -> 16 cells, 4 columns, 4 rows
     *  chunk {p8} x {2}: (2,p8) -> 16 cells, 4 columns, 4 rows
     *  all other tiles hold no 8-bit strip and are not allocated.
     * -> 3 crossbars, 80 cells (= 5 strips x 4 channels x 4 slices), 16 columns, 16 rows. */
    check_group(&st.g[0], &(expect){3, 80, 16, 16, 4}, 5);
    /* 4-bit, one filter block {0,1,2} (Q_b = 4):
     *  {p0,p1}: (1,p0) (2,p0) (2,p1) -> 24 cells; filters 1, 2 -> 4 columns; 8 rows
     *  {p2,p3}: all 6 -> 48 cells; 6 columns; 8 rows
     *  {p4,p5}: (1,p4) (2,p4) (0,p5) (1,p5) (2,p5) -> 40 cells; 6 columns; 8 rows
     *  {p6,p7}: all 6 -> 48 cells; 6 columns; 8 rows
     *  {p8}: (0,p8) (1,p8) -> 16 cells; 4 columns; 4 rows
     * -> 5 crossbars, 176 cells (= 22 x 4 x 2), 26 columns, 36 rows, 13 weight columns. */
    check_group(&st.g[1], &(expect){5, 176, 26, 36, 13}, 22);
    /* reads: 36 positions x 8 input bits = 288 per crossbar -> 288 x 8 = 2304 crossbar reads;
     * each read takes cols_per_adc sensing cycles: 4 (8-bit), 2 (4-bit) -> 1152 and 576
     * cycles per group, the groups in parallel */
    check_cycles(&hw, &st, 8, 2304);
    xbar_totals t;
    xbar_network_totals(&hw, &st, 1, &t);
    assert_true(t.utilization == 256.0 / 512.0);
    assert_true(t.conversions == 36.0 * 8 * (16 + 26));
    check_cells(&hw, &l, bits, XBAR_MAP_ORIGIN, 0, &st.g[0]);
    check_cells(&hw, &l, bits, XBAR_MAP_ORIGIN, 1, &st.g[1]);
}

static void test_hand_packed(void **state) {
    (void)state;
    xbar_params hw = small_hw(8, 8);
    xbar_layer l = make_layer(4, 3, 3, 6);
    uint8_t bits[27];
    hand_bits(bits);
    xbar_layer_stats st;
    cs_error err;
    assert_int_equal(xbar_map_layer(&hw, &l, bits, XBAR_MAP_PACKED, &st, &err), CS_OK);
    /* C = 4 < R = 8: row slots of 4 rows, 2 per crossbar.
     * 8-bit strips by position: p0 {0}, p1 {0,1}, p4 {0}, p8 {2}. Slot pairs score the
     * strips their best 2 filters cover: {p0,p1} 3 (f0 twice, f1 once) is the first best ->
     * crossbar 1 = slots p0, p1 x filters 0, 1: 3 blocks = 48 cells, 8 columns, 8 rows.
     * Left p4 {0}, p8 {2}: one slot pair, filters 0, 2 -> crossbar 2: 2 blocks = 32 cells,
     * 8 columns, 8 rows. -> 2 crossbars (origin: 3). */
    check_group(&st.g[0], &(expect){2, 80, 16, 16, 4}, 5);
    /* 4-bit strips per position: p0 2, p1 1, p2 3, p3 3, p4 2, p5 3, p6 3, p7 3, p8 2; every
     * filter fits in Q_b = 4, so a pair covers its strip count. Pairs, first best each time:
     * {p2,p3} 6 -> 48 cells; {p5,p6} 6 -> 48; {p0,p7} 5 -> 40; {p4,p8} 4 -> 32 (3 filters);
     * {p1} alone: filter 2 -> 8 cells, 2 columns, 4 rows.
     * -> 5 crossbars, 176 cells, 3+3+3+3+1 = 13 weight columns = 26 columns, 36 rows: the
     * same as origin, which packed keeps (a tie goes to packed). */
    check_group(&st.g[1], &(expect){5, 176, 26, 36, 13}, 22);
    /* 288 reads per crossbar -> 288 x 7 = 2016 crossbar reads; cycles as origin */
    check_cycles(&hw, &st, 7, 2016);
    xbar_totals t;
    xbar_network_totals(&hw, &st, 1, &t);
    assert_true(t.utilization == 256.0 / 448.0);
    check_cells(&hw, &l, bits, XBAR_MAP_PACKED, 0, &st.g[0]);
    check_cells(&hw, &l, bits, XBAR_MAP_PACKED, 1, &st.g[1]);

    /* the first 8-bit crossbar cell by cell: rows 0-3 multiply (p0, c), rows 4-7 (p1, c);
     * columns 0-3 are filter 0's slices, 4-7 filter 1's; (f1, p0) is 4-bit, so empty */
    xbar_cellmap map;
    assert_int_equal(xbar_map_cells(&hw, &l, bits, XBAR_MAP_PACKED, 0, &map, &err), CS_OK);
    assert_int_equal(map.n_xbars, 2);
    for (int r = 0; r < 8; r++)
        for (int q = 0; q < 8; q++) {
            const xbar_cell *c = &map.cells[r * 8 + q];
            int f = q / 4, p = r / 4;
            if (f == 1 && p == 0) {
                assert_true(c->m < 0);
                continue;
            }
            assert_int_equal(c->m, f);
            assert_int_equal(c->p, p);
            assert_int_equal(c->c, r % 4);
            assert_int_equal(c->slice, q % 4);
        }
    xbar_cellmap_free(&map);
}

/* 1x1 conv, C = R = 8, M = 5: 8-bit filters 0 and 2, 4-bit filters 1, 3, 4.
 * origin: 8-bit blocks {0,1} {2,3} {4} -> 2 crossbars; 4-bit blocks {0..3} {4} -> 2.
 * packed: 8-bit {0,2} -> 1 crossbar; 4-bit {1,3,4} -> 1 crossbar. */
static void test_hand_full_slices(void **state) {
    (void)state;
    xbar_params hw = small_hw(8, 8);
    xbar_layer l = make_layer(8, 5, 1, 4);
    uint8_t bits[5] = {8, 4, 8, 4, 4};
    xbar_layer_stats o, p;
    cs_error err;
    assert_int_equal(xbar_map_layer(&hw, &l, bits, XBAR_MAP_ORIGIN, &o, &err), CS_OK);
    assert_int_equal(xbar_map_layer(&hw, &l, bits, XBAR_MAP_PACKED, &p, &err), CS_OK);
    assert_int_equal(o.g[0].crossbars, 2);
    assert_int_equal(o.g[1].crossbars, 2);
    assert_int_equal(p.g[0].crossbars, 1);
    assert_int_equal(p.g[1].crossbars, 1);
    /* used cells: 8-bit 2 x 8 x 4 = 64 (one full crossbar), 4-bit 3 x 8 x 2 = 48 */
    assert_int_equal(p.g[0].used_cells, 64);
    assert_int_equal(p.g[1].used_cells, 48);
    assert_int_equal(o.g[0].used_cells, 64);
    /* same columns either way: conversions equal */
    assert_true(o.g[0].conversions == p.g[0].conversions);
    assert_true(o.g[1].conversions == p.g[1].conversions);
    assert_true(p.g[0].conversions == 16.0 * 8 * 8);
    for (int g = 0; g < 2; g++) {
        check_cells(&hw, &l, bits, XBAR_MAP_ORIGIN, g, &o.g[g]);
        check_cells(&hw, &l, bits, XBAR_MAP_PACKED, g, &p.g[g]);
    }
    /* capacity: strips R or longer -> min(Q_b, M); shorter -> min(Q_b, M) * min(R/C, K^2):
     * a column holds one filter, so a layer of M filters fills at most M columns */
    assert_int_equal(xbar_capacity(&hw, &l, 8), 2);
    assert_int_equal(xbar_capacity(&hw, &l, 4), 4);
    xbar_layer l3 = make_layer(4, 3, 3, 6);
    assert_int_equal(xbar_capacity(&hw, &l3, 8), 4);
    assert_int_equal(xbar_capacity(&hw, &l3, 4), 6); /* 3 filters x 2 slots, not 4 x 2 */
    xbar_layer l1 = make_layer(2, 3, 1, 6);
    assert_int_equal(xbar_capacity(&hw, &l1, 4), 3); /* one position: one slot; 3 filters */
}

/* Random layers, geometries and assignments: packed never allocates more crossbars than
 * origin (so its utilization is at least origin's), every layout passes the cell-level
 * validator, and the counts the energy model uses equal those recomputed from the cells. */
static void test_random_properties(void **state) {
    (void)state;
    rng_stream r;
    rng_init(&r, 11, RNG_TEST, 1);
    long better = 0;
    for (int trial = 0; trial < 400; trial++) {
        long R = 2 + (long)rng_below(&r, 15), Q = 8 + (long)rng_below(&r, 13);
        xbar_params hw = small_hw(R, Q);
        hw.cell_bits = 1 + (long)rng_below(&r, 2);
        xbar_layer l = make_layer(1 + (int)rng_below(&r, (uint64_t)(3 * R)),
                                  1 + (int)rng_below(&r, 24), 1 + (int)rng_below(&r, 3), 5);
        long n = (long)l.M * l.K * l.K;
        uint8_t *bits = malloc((size_t)n);
        assert_non_null(bits);
        double dens = rng_uniform(&r);
        for (long s = 0; s < n; s++) {
            double u = rng_uniform(&r);
            bits[s] = u < 0.05 ? 0 : u < dens ? 8 : 4;
        }
        xbar_layer_stats o, p;
        cs_error err;
        assert_int_equal(xbar_map_layer(&hw, &l, bits, XBAR_MAP_ORIGIN, &o, &err), CS_OK);
        assert_int_equal(xbar_map_layer(&hw, &l, bits, XBAR_MAP_PACKED, &p, &err), CS_OK);
        for (int g = 0; g < 2; g++) {
            assert_true(p.g[g].crossbars <= o.g[g].crossbars);
            better += p.g[g].crossbars < o.g[g].crossbars;
            long S = xbar_slices(&hw, hw.groups[g].bits);
            assert_int_equal(p.g[g].used_cells, p.g[g].strips * l.C * S);
            assert_int_equal(o.g[g].used_cells, p.g[g].used_cells);
            check_cells(&hw, &l, bits, XBAR_MAP_ORIGIN, g, &o.g[g]);
            check_cells(&hw, &l, bits, XBAR_MAP_PACKED, g, &p.g[g]);
        }
        xbar_totals to, tp;
        xbar_network_totals(&hw, &o, 1, &to);
        xbar_network_totals(&hw, &p, 1, &tp);
        assert_true(tp.utilization >= to.utilization);
        free(bits);
    }
    assert_true(better > 100); /* packing does make a difference */
}

/* The same property on realistic layer shapes (ResNet-like channel counts) at 128 and 32. */
static void test_random_resnet_shapes(void **state) {
    (void)state;
    static const int shapes[][3] = {{3, 64, 3},    {64, 64, 3},   {64, 256, 1},  {256, 64, 1},
                                    {128, 128, 3}, {256, 256, 3}, {512, 512, 3}, {2048, 10, 1},
                                    {16, 16, 3},   {32, 32, 3},   {96, 48, 3},   {200, 30, 3}};
    rng_stream r;
    rng_init(&r, 5, RNG_TEST, 2);
    for (int geo = 0; geo < 2; geo++) {
        xbar_params hw = small_hw(geo ? 32 : 128, geo ? 32 : 128);
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
            for (int rep = 0; rep < 4; rep++) {
                xbar_layer l = make_layer(shapes[i][0], shapes[i][1], shapes[i][2], 8);
                long n = (long)l.M * l.K * l.K;
                uint8_t *bits = malloc((size_t)n);
                assert_non_null(bits);
                double dens = 0.1 + 0.25 * rep;
                for (long s = 0; s < n; s++) bits[s] = rng_uniform(&r) < dens ? 8 : 4;
                xbar_layer_stats o, p;
                cs_error err;
                assert_int_equal(xbar_map_layer(&hw, &l, bits, XBAR_MAP_ORIGIN, &o, &err), CS_OK);
                assert_int_equal(xbar_map_layer(&hw, &l, bits, XBAR_MAP_PACKED, &p, &err), CS_OK);
                for (int g = 0; g < 2; g++) assert_true(p.g[g].crossbars <= o.g[g].crossbars);
                if (shapes[i][0] <= 128)
                    for (int g = 0; g < 2; g++)
                        check_cells(&hw, &l, bits, XBAR_MAP_PACKED, g, &p.g[g]);
                free(bits);
            }
    }
}

/* Build maps by hand that break one rule each; the validator must name the rule. */
static void test_validator_rejects(void **state) {
    (void)state;
    xbar_params hw = small_hw(8, 8);
    hw.n_groups = 1;
    hw.groups[0] = (xbar_group){2, 4, 1}; /* 2-bit weights: one cell each */
    xbar_layer l = make_layer(2, 2, 1, 4);
    uint8_t bits[2] = {2, 2};
    cs_error err;
    xbar_cellmap map;
    xbar_cell_counts c;

    /* a valid map: filter 0 in column 0, filter 1 in column 1, rows 0-1 = channels 0-1 */
    assert_int_equal(xbar_cellmap_init(&map, &hw, 0, 1, &err), CS_OK);
    for (int m = 0; m < 2; m++)
        for (int ch = 0; ch < 2; ch++) map.cells[ch * 8 + m] = (xbar_cell){m, ch, 0, 0};
    assert_int_equal(xbar_validate_cells(&hw, &l, bits, &map, &c, &err), CS_OK);
    assert_int_equal(c.crossbars, 1);
    assert_int_equal(c.used_cells, 4);
    assert_int_equal(c.active_cols, 2);
    assert_int_equal(c.used_rows, 2);

    /* rule 1: filter 1's channels swapped, so rows 0 and 1 each see two inputs */
    map.cells[0 * 8 + 1] = (xbar_cell){1, 1, 0, 0};
    map.cells[1 * 8 + 1] = (xbar_cell){1, 0, 0, 0};
    assert_int_equal(xbar_validate_cells(&hw, &l, bits, &map, &c, &err), CS_ERR_RUNTIME);
    assert_non_null(strstr(err.msg, "rule 1"));

    /* rule 2: both filters stacked in column 0 (rows 0-1 filter 0, rows 2-3 filter 1, each
     * row with its own input): one ADC sample would sum two filters */
    xbar_cellmap_free(&map);
    assert_int_equal(xbar_cellmap_init(&map, &hw, 0, 1, &err), CS_OK);
    for (int m = 0; m < 2; m++)
        for (int ch = 0; ch < 2; ch++) map.cells[(m * 2 + ch) * 8 + 0] = (xbar_cell){m, ch, 0, 0};
    assert_int_equal(xbar_validate_cells(&hw, &l, bits, &map, &c, &err), CS_ERR_RUNTIME);
    assert_non_null(strstr(err.msg, "rule 2"));

    /* coverage: one weight missing, then one stored twice, then an empty crossbar */
    xbar_cellmap_free(&map);
    assert_int_equal(xbar_cellmap_init(&map, &hw, 0, 1, &err), CS_OK);
    for (int m = 0; m < 2; m++)
        for (int ch = 0; ch < 2; ch++) map.cells[ch * 8 + m] = (xbar_cell){m, ch, 0, 0};
    map.cells[1 * 8 + 1].m = -1;
    assert_int_equal(xbar_validate_cells(&hw, &l, bits, &map, &c, &err), CS_ERR_RUNTIME);
    assert_non_null(strstr(err.msg, "not stored"));
    map.cells[1 * 8 + 1] = (xbar_cell){1, 1, 0, 0};
    assert_int_equal(xbar_validate_cells(&hw, &l, bits, &map, &c, &err), CS_OK);
    assert_int_equal(xbar_cellmap_add(&map, &err), 1);
    assert_int_equal(xbar_validate_cells(&hw, &l, bits, &map, &c, &err), CS_ERR_RUNTIME);
    assert_non_null(strstr(err.msg, "holds no weight"));
    map.cells[64 + 0] = (xbar_cell){0, 0, 0, 0}; /* crossbar 1 repeats W[0][0] */
    assert_int_equal(xbar_validate_cells(&hw, &l, bits, &map, &c, &err), CS_ERR_RUNTIME);
    assert_non_null(strstr(err.msg, "twice"));
    /* a weight of the other precision stored in this group's crossbar */
    map.n_xbars = 1;
    bits[1] = 4;
    assert_int_equal(xbar_validate_cells(&hw, &l, bits, &map, &c, &err), CS_ERR_RUNTIME);
    assert_non_null(strstr(err.msg, "not in the 2-bit group"));
    xbar_cellmap_free(&map);
}

/* Mutations of a real packed layout: swapping two used cells of different filters within a
 * row breaks rule 2; moving a cell to another row of its column breaks rule 1. */
static void test_validator_mutations(void **state) {
    (void)state;
    xbar_params hw = small_hw(8, 8);
    xbar_layer l = make_layer(4, 3, 3, 6);
    uint8_t bits[27];
    hand_bits(bits);
    cs_error err;
    xbar_cellmap map;
    assert_int_equal(xbar_map_cells(&hw, &l, bits, XBAR_MAP_PACKED, 1, &map, &err), CS_OK);
    /* crossbar 0 of the 4-bit group: slots p2, p3 x filters 0, 1, 2 (columns 0-5) */
    xbar_cell *row0 = &map.cells[0];
    assert_true(row0[0].m == 0 && row0[2].m == 1);
    xbar_cell t = row0[0];
    row0[0] = row0[2];
    row0[2] = t;
    assert_int_equal(xbar_validate_cells(&hw, &l, bits, &map, NULL, &err), CS_ERR_RUNTIME);
    assert_non_null(strstr(err.msg, "rule 2"));
    row0[2] = row0[0];
    row0[0] = t;
    assert_int_equal(xbar_validate_cells(&hw, &l, bits, &map, NULL, &err), CS_OK);
    /* move (row 0, column 0) into an empty column of row 1: row 1 now has cells multiplying
     * (p2, c1) and (p2, c0) */
    assert_true(map.cells[1 * 8 + 6].m < 0);
    map.cells[1 * 8 + 6] = row0[0];
    row0[0].m = -1;
    assert_int_equal(xbar_validate_cells(&hw, &l, bits, &map, NULL, &err), CS_ERR_RUNTIME);
    assert_non_null(strstr(err.msg, "rule 1"));
    xbar_cellmap_free(&map);
}

static void test_bad_inputs(void **state) {
    (void)state;
    xbar_params hw = small_hw(8, 8);
    xbar_layer l = make_layer(4, 3, 3, 6);
    uint8_t bits[27];
    hand_bits(bits);
    bits[5] = 6; /* no 6-bit group */
    xbar_layer_stats st;
    cs_error err;
    assert_int_equal(xbar_map_layer(&hw, &l, bits, -1, &st, &err), CS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "6-bit"));
    bits[5] = 0; /* not mapped: fine */
    assert_int_equal(xbar_map_layer(&hw, &l, bits, -1, &st, &err), CS_OK);
    assert_int_equal(st.g[0].strips + st.g[1].strips, 26);
    l.C = 0;
    assert_int_equal(xbar_map_layer(&hw, &l, bits, -1, &st, &err), CS_ERR_INPUT);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_origin),          cmocka_unit_test(test_hand_packed),
        cmocka_unit_test(test_hand_full_slices),     cmocka_unit_test(test_random_properties),
        cmocka_unit_test(test_random_resnet_shapes), cmocka_unit_test(test_validator_rejects),
        cmocka_unit_test(test_validator_mutations),  cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* xbar: crossbar mapping (origin / packed), utilization (E11), energy and latency (E12),
 * functional ADC simulation (DESIGN §5). The derivation of the model and of every constant is
 * in src/xbar/README.md.
 *
 * A layer is described by its shape only (xbar_layer); which strips are at which precision
 * comes as one bit width per strip, strip s = m * K*K + p (filter m, kernel position
 * p = kh*K + kw), the order of E1. A linear layer is a 1x1 conv on a 1x1 map. bits[s] = 0
 * marks a strip that is not mapped at all (a pruned filter of the HAP baseline, E10). */
#ifndef CS_XBAR_H
#define CS_XBAR_H

#include <stdint.h>

#include "base/base.h"

enum { XBAR_ADC_MLSA, XBAR_ADC_SAR };
extern const char *const XBAR_ADC_NAMES[];
enum { XBAR_MAP_PACKED, XBAR_MAP_ORIGIN };
extern const char *const XBAR_MAP_NAMES[];
enum { XBAR_POLICY_CLIP, XBAR_POLICY_RANGE };
extern const char *const XBAR_POLICY_NAMES[];
enum { XBAR_POS_PADDED, XBAR_POS_NEUROSIM };
extern const char *const XBAR_POS_NAMES[];

#define XBAR_MAX_GROUPS 8

/* Hardware of one weight precision: its ADC. */
typedef struct xbar_group {
    long bits, adc_levels, cols_per_adc;
} xbar_group;

/* Crossbar hardware (configs/xbar/ holds the values and their sources). */
typedef struct xbar_params {
    long rows, cols, cell_bits, input_bits, tech_nm;
    int adc_model, mapping, adc_policy, positions;
    int n_groups;
    xbar_group groups[XBAR_MAX_GROUPS];
    /* device: cell resistances, read voltage */
    double r_on_ohm, r_off_ohm, v_read;
    /* timing: MLSA sensing window (energy), clock cycle of one conversion (MLSA latency),
     * SAR bit cycle, word-line pulse per input bit */
    double t_sense_ns, t_cycle_ns, t_sar_bit_ns, t_array_ns;
    /* ADC power: MLSA per level, SAR per bit and offset, column term c / R_col */
    double mlsa_uw_per_level, sar_uw_per_bit, sar_uw_offset, col_coeff_w_ohm;
    double input_activity; /* share of input bits that are 1 */
    /* digital periphery, per bit or per event */
    double e_shift_add_fj_per_bit, e_adder_fj_per_bit, e_align_fj_per_bit;
    double e_buffer_fj_per_bit, e_interconnect_fj_per_bit, e_decoder_fj_per_row, e_mux_fj_per_col;
} xbar_params;

/* Shape of one conv / linear layer. */
typedef struct xbar_layer {
    char name[CS_NAME_MAX];
    int C, M, K, stride;
    int H, W;   /* input map */
    int Ho, Wo; /* output map (padded convention: what the network computes) */
} xbar_layer;

/* Per layer and precision group: what the mapping allocates and what a pass costs. */
typedef struct xbar_group_stats {
    long strips;        /* strips of the layer in this group */
    long crossbars;     /* allocated crossbars */
    long used_cells;    /* physical cells holding weight slices */
    long alloc_cells;   /* crossbars * rows * cols */
    long active_cols;   /* physical columns holding at least one cell, summed */
    long capacity;      /* strips a fully used crossbar of this layer holds (E9) */
    long used_rows;     /* rows holding at least one cell, summed over crossbars */
    long weight_cols;   /* weight columns (groups of S_b physical columns) in use */
    long filters;       /* filters with at least one strip in this group */
    long aligned;       /* of those, filters that also have strips of more bits */
    double positions;   /* output positions V per image */
    double conversions; /* ADC conversions per image */
    double energy_adc_j, energy_accum_j, energy_other_j; /* per image */
    double latency_s;                                    /* per image, this group alone */
} xbar_group_stats;

typedef struct xbar_layer_stats {
    xbar_group_stats g[XBAR_MAX_GROUPS]; /* indexed like params->groups */
    double energy_j, latency_s;          /* groups in parallel: latency is their max */
} xbar_layer_stats;

typedef struct xbar_totals {
    double energy_j, energy_adc_j, energy_accum_j, energy_other_j, latency_s;
    double utilization;                 /* used / allocated cells, all groups (E11) */
    double util_group[XBAR_MAX_GROUPS]; /* per group (0 where nothing is allocated) */
    long crossbars_group[XBAR_MAX_GROUPS];
    long crossbars, used_cells, alloc_cells;
    double conversions;
} xbar_totals;

/* ---- geometry ---- */

/* Index of the group for `bits` weights, or -1. */
int xbar_group_of(const xbar_params *hw, long bits);

/* Columns per weight S_b = ceil(bits / cell_bits) and weight columns per crossbar
 * Q_b = floor(cols / S_b). */
long xbar_slices(const xbar_params *hw, long bits);
long xbar_weight_cols(const xbar_params *hw, long bits);

/* Strips a fully used crossbar of this layer holds at this precision (alignment unit, E9):
 * min(Q_b, M) * min(floor(R/C), K*K) when strips are shorter than R (a crossbar stacks several row
 * slots), Q_b when they are R or longer (Q_b strips of one input slice fill its ceil(C/R)
 * crossbars). */
long xbar_capacity(const xbar_params *hw, const xbar_layer *l, long bits);

/* Alignment units of the packed mapping: when strips are R or longer, every crossbar holds
 * one input slice, so strips of different kernel positions never share one and each
 * position p (strips s with s % (K*K) == p) is its own unit of xbar_capacity strips;
 * otherwise the whole layer is one unit. Returns the number of units (1 or K*K). */
int xbar_align_units(const xbar_params *hw, const xbar_layer *l);

/* Output positions V per image: Ho*Wo ("padded") or NeuroSim's ((H-K+1)/S)^2 ("neurosim"),
 * at least 1. */
double xbar_positions(const xbar_params *hw, const xbar_layer *l);

/* ---- mapping, utilization and cost ---- */

/* Map one layer under hw->mapping (or `mapping` when >= 0) and estimate its energy and
 * latency per image. bits[s] is the weight precision of strip s (M*K*K entries). */
int xbar_map_layer(const xbar_params *hw, const xbar_layer *l, const uint8_t *bits, int mapping,
                   xbar_layer_stats *out, cs_error *err);

/* Sum per-layer stats into network totals (layers in sequence, groups in parallel). */
void xbar_network_totals(const xbar_params *hw, const xbar_layer_stats *layers, int n,
                         xbar_totals *out);

/* Energy (J) and latency (s) per image of one group (E12): fills conversions, energy_* and
 * latency_s of st from its counts (positions, crossbars, used_cells, active_cols, used_rows,
 * weight_cols, aligned). README.md derives every term. */
void xbar_group_cost(const xbar_params *hw, int group, xbar_group_stats *st);

/* Energy of one conversion of an L-level ADC (comparators only, J), its time (s), and the
 * column-current energy per used cell per read that NeuroSim books under ADC (J). */
double xbar_adc_energy_j(const xbar_params *hw, long levels);
double xbar_adc_time_s(const xbar_params *hw, long levels);
double xbar_cell_read_energy_j(const xbar_params *hw);

/* ---- explicit cell-level mapping and its validator ---- */

/* One physical cell: slice `slice` (0 = least significant) of weight W[m][c][p], or empty
 * (m < 0). The input element the cell multiplies is (p, c). */
typedef struct xbar_cell {
    int32_t m, c;
    int16_t p, slice;
} xbar_cell;

/* The crossbars of one layer and group, cell by cell: cells[(x * rows + r) * cols + q]. */
typedef struct xbar_cellmap {
    int group;
    long rows, cols, n_xbars, cap;
    xbar_cell *cells;
} xbar_cellmap;

/* Counts recomputed from a cell map. */
typedef struct xbar_cell_counts {
    long crossbars, used_cells, active_cols, used_rows;
} xbar_cell_counts;

/* An empty map of n_xbars crossbars for group (may grow: xbar_cellmap_add). */
int xbar_cellmap_init(xbar_cellmap *map, const xbar_params *hw, int group, long n_xbars,
                      cs_error *err);
/* Append one empty crossbar; returns its index or -1. */
long xbar_cellmap_add(xbar_cellmap *map, cs_error *err);
void xbar_cellmap_free(xbar_cellmap *map);

/* The mapping xbar_map_layer uses, cell by cell, for one group. */
int xbar_map_cells(const xbar_params *hw, const xbar_layer *l, const uint8_t *bits, int mapping,
                   int group, xbar_cellmap *map, cs_error *err);

/* Check a cell map cell by cell: rule 1 (all used cells of a row multiply the same input
 * element), rule 2 (all used cells of a physical column belong to one filter and one bit
 * slice, since they are summed into one ADC sample), and coverage (every slice of every
 * weight of the group's strips stored exactly once, nothing else stored, no allocated
 * crossbar empty). Fails with CS_ERR_RUNTIME and a message naming the crossbar, row or
 * column and the rule. counts (may be NULL) gets what the map allocates. */
int xbar_validate_cells(const xbar_params *hw, const xbar_layer *l, const uint8_t *bits,
                        const xbar_cellmap *map, xbar_cell_counts *counts, cs_error *err);

/* ---- functional simulation ---- */

/* out[m][j] = sum_r w[m][r] * x[r][j] computed the way the crossbar does it: weights signed
 * `bits`-bit, stored offset by 2^(bits-1) in S_b slices of cell_bits; inputs b_in-bit
 * (input_bits), unsigned or two's complement (x_signed), applied bit-serially; rows in
 * consecutive chunks of hw->rows (origin's tiling of a position-major unrolled vector, and
 * packed's input slices when C is a multiple of rows); every column partial sum of a (chunk, slice,
 * input bit) goes through the ADC of the group for `bits` (adc_levels levels, policy
 * hw->adc_policy) unless ideal; then shift-add and the digital offset correction. w is M x rows, x
 * is rows x cols, out is M x cols. With ideal != 0 (or enough levels) out is the exact integer
 * product. */
int xbar_functional_mvm(const xbar_params *hw, long bits, const int32_t *w, int M, int rows,
                        const int32_t *x, int cols, int x_signed, int ideal, int64_t *out,
                        cs_error *err);

/* The ADC transfer of one partial sum under a policy: clip to [0, L-1], or `range`: L levels
 * lo + k*step, step = ceil((hi - lo) / (L - 1)), nearest level (ties up). */
int64_t xbar_adc_quantize(int64_t v, long levels, int policy, int64_t lo, int64_t hi);

/* ---- networks ---- */

/* A NeuroSim NetWork.csv: lines "IFM_H,IFM_W,C,Kh,Kw,M,pool,stride" (square kernels; output
 * map with same padding). *layers is malloc'd. Errors name file:line and what was expected. */
int xbar_read_network_csv(const char *path, xbar_layer **layers, int *n, cs_error *err);

/* The conv and linear layers of a built network, in network (strip) order. */
struct nn_net;
int xbar_layers_from_net(const struct nn_net *net, xbar_layer **layers, int *n, cs_error *err);

#endif

/* Energy and latency per image (E12) from the counts of a mapping. The derivation of every
 * term, and of the constants in configs/xbar/, is in README.md next to this file. */
#include <math.h>
#include <string.h>

#include "xbar/xbar.h"

#define FJ 1e-15

double xbar_positions(const xbar_params *hw, const xbar_layer *l) {
    double v;
    if (hw->positions == XBAR_POS_NEUROSIM) {
        /* NeuroSim: ((H - K + 1) / S)^2 on the input map, padding ignored */
        long a = (l->H - l->K + 1) / l->stride, b = (l->W - l->K + 1) / l->stride;
        v = (double)(a > 1 ? a : 1) * (double)(b > 1 ? b : 1);
    } else {
        v = (double)l->Ho * (double)l->Wo;
    }
    return v >= 1 ? v : 1;
}

/* Comparator energy of one conversion. MLSA: L-1 comparators of a*(L-1) uW together, on
 * for the sensing window. SAR: a*log2(L) + b uW for log2(L) + 1 bit cycles. */
double xbar_adc_energy_j(const xbar_params *hw, long levels) {
    double L = (double)(levels > 2 ? levels : 2);
    if (hw->adc_model == XBAR_ADC_SAR) {
        double nb = log2(L);
        return (hw->sar_uw_per_bit * nb + hw->sar_uw_offset) * 1e-6 * (nb + 1) * hw->t_sar_bit_ns *
               1e-9;
    }
    return hw->mlsa_uw_per_level * (L - 1) * 1e-6 * hw->t_sense_ns * 1e-9;
}

double xbar_adc_time_s(const xbar_params *hw, long levels) {
    if (hw->adc_model == XBAR_ADC_SAR) {
        double nb = ceil(log2((double)(levels > 2 ? levels : 2)));
        return (nb + 1) * hw->t_sar_bit_ns * 1e-9;
    }
    return hw->t_cycle_ns * 1e-9;
}

/* Column term c / R_col (NeuroSim's c * exp(-2.3 log10 R_col) = c * R_col^-0.999, R_col scaled
 * by 0.5 V / V_read) is additive over conducting cells: c * G. A used cell conducts when its
 * input bit is 1 (input_activity) with the mean conductance of evenly spaced levels. */
double xbar_cell_read_energy_j(const xbar_params *hw) {
    double g_mean = 0.5 * (1.0 / hw->r_on_ohm + 1.0 / hw->r_off_ohm);
    return hw->col_coeff_w_ohm * hw->input_activity * g_mean * (hw->v_read / 0.5) * hw->t_sense_ns *
           1e-9;
}

static long ceil_log2(long v) {
    long b = 0;
    while ((1L << b) < v) b++;
    return b;
}

void xbar_group_cost(const xbar_params *hw, int group, xbar_group_stats *st) {
    const xbar_group *gr = &hw->groups[group];
    st->conversions = 0;
    st->energy_adc_j = st->energy_accum_j = st->energy_other_j = st->latency_s = 0;
    if (st->crossbars == 0) return;
    const double V = st->positions, b_in = (double)hw->input_bits;
    const double reads = V * b_in; /* per crossbar: one read per input bit and position */
    const double S = (double)xbar_slices(hw, gr->bits);
    const double adc_bits = (double)ceil_log2(gr->adc_levels);
    /* shift-add register of one column (input bits), and a weight column's partial sum */
    const double w_sa = adc_bits + b_in, w_ps = adc_bits + b_in + (double)gr->bits;
    st->conversions = reads * (double)st->active_cols;

    /* ADC: comparators per conversion + column current per conducting used cell */
    st->energy_adc_j = st->conversions * xbar_adc_energy_j(hw, gr->adc_levels) +
                       reads * (double)st->used_cells * xbar_cell_read_energy_j(hw);

    /* accumulation: shift-add of each conversion into its column register; per position and
     * weight column S adds into the filter's adder tree (S-1 slice merges + 1); alignment of
     * this group's result to the format of a higher group of the same filter */
    st->energy_accum_j = (st->conversions * w_sa * hw->e_shift_add_fj_per_bit +
                          V * (double)st->weight_cols * S * w_ps * hw->e_adder_fj_per_bit +
                          V * (double)st->aligned * w_ps * hw->e_align_fj_per_bit) *
                         FJ;

    /* other: row drivers per used row per read, column mux per conversion, and the bits moved
     * through buffers and interconnect: inputs to every used row, partial sums out */
    const double row_reads = reads * (double)st->used_rows;
    const double bits_moved = row_reads + V * (double)st->weight_cols * w_ps;
    st->energy_other_j =
        (row_reads * hw->e_decoder_fj_per_row + st->conversions * hw->e_mux_fj_per_col +
         bits_moved * (hw->e_buffer_fj_per_bit + hw->e_interconnect_fj_per_bit)) *
        FJ;

    /* every crossbar of the group reads in parallel; each input bit costs cols_per_adc
     * conversions per ADC plus the word-line pulse */
    st->latency_s = reads * ((double)gr->cols_per_adc * xbar_adc_time_s(hw, gr->adc_levels) +
                             hw->t_array_ns * 1e-9);
}

void xbar_network_totals(const xbar_params *hw, const xbar_layer_stats *layers, int n,
                         xbar_totals *out) {
    memset(out, 0, sizeof *out);
    long used_g[XBAR_MAX_GROUPS] = {0}, alloc_g[XBAR_MAX_GROUPS] = {0};
    for (int i = 0; i < n; i++) {
        const xbar_layer_stats *ls = &layers[i];
        for (int g = 0; g < hw->n_groups; g++) {
            const xbar_group_stats *st = &ls->g[g];
            out->energy_adc_j += st->energy_adc_j;
            out->energy_accum_j += st->energy_accum_j;
            out->energy_other_j += st->energy_other_j;
            out->conversions += st->conversions;
            out->crossbars_group[g] += st->crossbars;
            used_g[g] += st->used_cells;
            alloc_g[g] += st->alloc_cells;
        }
        out->latency_s += ls->latency_s;
    }
    out->energy_j = out->energy_adc_j + out->energy_accum_j + out->energy_other_j;
    for (int g = 0; g < hw->n_groups; g++) {
        out->util_group[g] = alloc_g[g] ? (double)used_g[g] / (double)alloc_g[g] : 0;
        out->crossbars += out->crossbars_group[g];
        out->used_cells += used_g[g];
        out->alloc_cells += alloc_g[g];
    }
    out->utilization = out->alloc_cells ? (double)out->used_cells / (double)out->alloc_cells : 0;
}

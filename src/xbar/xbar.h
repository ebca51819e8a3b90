/* xbar: crossbar mapping (origin / packed), utilization (E11), energy and latency (E12),
 * functional ADC simulation. */
#ifndef CS_XBAR_H
#define CS_XBAR_H

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

typedef struct xbar_group {
    long bits, adc_levels, cols_per_adc;
} xbar_group;

typedef struct xbar_params {
    long rows, cols, cell_bits, input_bits, tech_nm;
    int adc_model, mapping, adc_policy, positions;
    int n_groups;
    xbar_group groups[XBAR_MAX_GROUPS];
    /* device and circuit constants: see configs/xbar/ for their sources */
    double r_on_ohm, r_off_ohm, v_read, t_sense_ns, t_array_ns;
    double mlsa_uw_per_level, sar_uw_per_bit, sar_uw_offset;
    double input_activity;
    double e_shift_add_fj_per_bit, e_adder_fj_per_bit, e_align_fj_per_bit;
    double e_buffer_fj_per_bit, e_interconnect_fj_per_bit, e_decoder_fj_per_row,
        e_mux_fj_per_col;
} xbar_params;

#endif

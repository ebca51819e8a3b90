/* align: crossbar alignment of the strip assignment (E9, DESIGN §4).
 *
 * After thresholding, a layer's High strips rarely fill whole crossbars. `down` (the seed's
 * rule) demotes the lowest-Omega High strips until their number is a multiple of the
 * crossbar capacity; `nearest` instead promotes the highest-Omega Low strips when that
 * reaches a multiple with fewer changes (ties: down; promotion only when enough Low strips
 * exist). Equal Omega is broken by strip index: the lower index is demoted or promoted
 * first. Strips of other widths (excluded layers, bits 0) are left alone. */
#ifndef CS_ALIGN_H
#define CS_ALIGN_H

#include <stdint.h>

#include "base/base.h"
#include "sweep/sweep.h"
#include "xbar/xbar.h"

/* E9 on one layer: bits[s] in {high_bits, low_bits, other}, omega[s] the strip's
 * sensitivity; mode ALIGN_NONE, ALIGN_DOWN or ALIGN_NEAREST. */
int sweep_align_layer(const double *omega, uint8_t *bits, long n_strips, long high_bits,
                      long low_bits, long capacity, int mode, cs_error *err);

/* E9 on the alignment units of the packed mapping (xbar_align_units): when strips are R or
 * longer, every crossbar holds one input slice, so each kernel position's strips are aligned
 * on their own to xbar_capacity; otherwise the whole layer is one unit. Fills the High
 * crossbars that sweep_align_layer's layer-wide count cannot. */
int sweep_align_mapped(const xbar_params *hw, const xbar_layer *l, const double *omega,
                       uint8_t *bits, long high_bits, long low_bits, int mode, cs_error *err);

#endif

/* Functional simulation of the crossbar MVM (DESIGN §5): input bit-planes x weight slices x
 * row chunks, every column partial sum through an L-level ADC, then shift-add.
 *
 * Signed weights use offset encoding: u = w + 2^(b-1) in [0, 2^b) is what the cells store
 * (S_b slices of cell_bits, slice t = bits t*c .. t*c+c-1 of u), so every cell conductance and
 * every partial sum is non-negative; the offset term 2^(b-1) * sum_r x_r is removed digitally
 * (the periphery knows its inputs), which is exact. Signed inputs are two's complement applied
 * bit-serially, the MSB plane weighted -2^(b_in-1); unsigned inputs weight every plane
 * +2^i. */
#include <stdlib.h>
#include <string.h>

#include "xbar/xbar.h"

int64_t xbar_adc_quantize(int64_t v, long levels, int policy, int64_t lo, int64_t hi) {
    if (levels < 2) levels = 2;
    if (policy == XBAR_POLICY_RANGE) {
        if (hi <= lo) return lo;
        int64_t step = (hi - lo + levels - 2) / (levels - 1);
        if (step < 1) step = 1;
        int64_t d = v - lo;
        int64_t k = d <= 0 ? 0 : (2 * d + step) / (2 * step);
        if (k > levels - 1) k = levels - 1;
        return lo + k * step;
    }
    if (v < 0) return 0;
    return v > levels - 1 ? levels - 1 : v;
}

static int check_ranges(const int32_t *w, long nw, long bits, const int32_t *x, long nx, long b_in,
                        int x_signed, cs_error *err) {
    const int64_t wlo = -((int64_t)1 << (bits - 1)), whi = ((int64_t)1 << (bits - 1)) - 1;
    for (long i = 0; i < nw; i++)
        if (w[i] < wlo || w[i] > whi)
            return cs_fail(err, CS_ERR_INPUT,
                           "xbar_functional_mvm: weight %ld = %d outside the "
                           "signed %ld-bit range [%lld, %lld]",
                           i, w[i], bits, (long long)wlo, (long long)whi);
    const int64_t xlo = x_signed ? -((int64_t)1 << (b_in - 1)) : 0;
    const int64_t xhi = x_signed ? ((int64_t)1 << (b_in - 1)) - 1 : ((int64_t)1 << b_in) - 1;
    for (long i = 0; i < nx; i++)
        if (x[i] < xlo || x[i] > xhi)
            return cs_fail(err, CS_ERR_INPUT,
                           "xbar_functional_mvm: input %ld = %d outside the "
                           "%s %ld-bit range [%lld, %lld]",
                           i, x[i], x_signed ? "signed" : "unsigned", b_in, (long long)xlo,
                           (long long)xhi);
    return CS_OK;
}

int xbar_functional_mvm(const xbar_params *hw, long bits, const int32_t *w, int M, int rows,
                        const int32_t *x, int cols, int x_signed, int ideal, int64_t *out,
                        cs_error *err) {
    const long c = hw->cell_bits, b_in = hw->input_bits, R = hw->rows;
    if (M < 1 || rows < 1 || cols < 1)
        return cs_fail(err, CS_ERR_INPUT, "xbar_functional_mvm: expected positive sizes");
    if (bits < 1 || bits > 30 || b_in < 1 || b_in > 30 || c < 1 || c > 8 || R < 1)
        return cs_fail(err, CS_ERR_INPUT, "xbar_functional_mvm: unsupported bit widths");
    int g = xbar_group_of(hw, bits);
    if (g < 0 && !ideal)
        return cs_fail(err, CS_ERR_INPUT,
                       "xbar_functional_mvm: xbar.groups has no group for %ld-bit weights", bits);
    const long L = g >= 0 ? hw->groups[g].adc_levels : 2;
    int rc = check_ranges(w, (long)M * rows, bits, x, (long)rows * cols, b_in, x_signed, err);
    if (rc) return rc;
    const long S = xbar_slices(hw, bits);
    const int64_t offset = (int64_t)1 << (bits - 1);
    const uint32_t cmask = (1u << c) - 1;
    uint8_t *us = cs_alloc((size_t)(S * M * rows), 1, err);       /* [t][m][r] */
    uint8_t *xb = cs_alloc((size_t)(b_in * rows * cols), 1, err); /* [i][r][j] */
    int32_t *ps = cs_alloc((size_t)M * cols, sizeof *ps, err);
    if (!us || !xb || !ps) {
        free(us);
        free(xb);
        free(ps);
        return CS_ERR_RUNTIME;
    }
    for (long m = 0; m < M; m++)
        for (long r = 0; r < rows; r++) {
            uint32_t u = (uint32_t)((int64_t)w[m * rows + r] + offset);
            for (long t = 0; t < S; t++)
                us[(t * M + m) * rows + r] = (uint8_t)(u >> (c * t) & cmask);
        }
    for (long r = 0; r < rows; r++)
        for (long j = 0; j < cols; j++) {
            uint32_t v = (uint32_t)x[r * cols + j];
            for (long i = 0; i < b_in; i++) xb[(i * rows + r) * cols + j] = (uint8_t)(v >> i & 1);
        }
    memset(out, 0, (size_t)M * cols * sizeof *out);
    for (long r0 = 0; r0 < rows; r0 += R) {
        long r1 = r0 + R < rows ? r0 + R : rows;
        for (long t = 0; t < S; t++)
            for (long i = 0; i < b_in; i++) {
                /* the column partial sums of this (chunk, slice, input bit) read */
                memset(ps, 0, (size_t)M * cols * sizeof *ps);
                for (long m = 0; m < M; m++) {
                    int32_t *pm = ps + m * cols;
                    for (long r = r0; r < r1; r++) {
                        int32_t a = us[(t * M + m) * rows + r];
                        if (!a) continue;
                        const uint8_t *xr = xb + (i * rows + r) * cols;
                        for (long j = 0; j < cols; j++) pm[j] += a * xr[j];
                    }
                }
                int64_t lo = ps[0], hi = ps[0];
                for (long k = 1; k < (long)M * cols; k++) {
                    if (ps[k] < lo) lo = ps[k];
                    if (ps[k] > hi) hi = ps[k];
                }
                int64_t weight = ((int64_t)1 << i) << (c * t);
                if (x_signed && i == b_in - 1) weight = -weight;
                for (long k = 0; k < (long)M * cols; k++) {
                    int64_t q = ideal ? ps[k] : xbar_adc_quantize(ps[k], L, hw->adc_policy, lo, hi);
                    out[k] += weight * q;
                }
            }
    }
    /* offset correction: subtract 2^(b-1) * sum_r x[r][j] from every output */
    for (long j = 0; j < cols; j++) {
        int64_t sx = 0;
        for (long r = 0; r < rows; r++) sx += x[r * cols + j];
        for (long m = 0; m < M; m++) out[m * cols + j] -= offset * sx;
    }
    free(us);
    free(xb);
    free(ps);
    return CS_OK;
}

/* Alignment E9: demote (or promote) strips so that each unit's High strips fill whole
 * crossbars. */
#include "sweep/align.h"

#include <math.h>
#include <stdlib.h>

typedef struct ranked {
    double omega;
    long s;
} ranked;

/* Lowest Omega first; equal Omega: lower strip index first. */
static int by_omega_up(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->omega != y->omega) return x->omega < y->omega ? -1 : 1;
    return (x->s > y->s) - (x->s < y->s);
}

/* Highest Omega first; equal Omega: lower strip index first. */
static int by_omega_down(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->omega != y->omega) return x->omega > y->omega ? -1 : 1;
    return (x->s > y->s) - (x->s < y->s);
}

/* One unit: strips idx[0..n) (or 0..n when idx is NULL); work holds n entries. */
static int align_unit(const double *omega, uint8_t *bits, const long *idx, long n, long high_bits,
                      long low_bits, long capacity, int mode, ranked *work, cs_error *err) {
    long nh = 0, nl = 0;
    for (long i = 0; i < n; i++) {
        long s = idx ? idx[i] : i;
        if (bits[s] != high_bits && bits[s] != low_bits) continue;
        if (!isfinite(omega[s]))
            return cs_fail(err, CS_ERR_INPUT, "align: strip %ld: sensitivity is not finite", s);
        if (bits[s] == high_bits)
            nh++;
        else
            nl++;
    }
    long rem = nh % capacity;
    if (rem == 0) return CS_OK;
    long up = capacity - rem;
    int promote = mode == ALIGN_NEAREST && up < rem && up <= nl;
    long k = 0;
    for (long i = 0; i < n; i++) {
        long s = idx ? idx[i] : i;
        if (bits[s] == (promote ? low_bits : high_bits)) work[k++] = (ranked){omega[s], s};
    }
    qsort(work, (size_t)k, sizeof *work, promote ? by_omega_down : by_omega_up);
    long change = promote ? up : rem;
    for (long i = 0; i < change; i++) bits[work[i].s] = (uint8_t)(promote ? high_bits : low_bits);
    return CS_OK;
}

static int check_args(long high_bits, long low_bits, long capacity, int mode, cs_error *err) {
    if (mode != ALIGN_NONE && mode != ALIGN_DOWN && mode != ALIGN_NEAREST)
        return cs_fail(err, CS_ERR_INPUT, "align: unknown mode %d", mode);
    if (high_bits < 1 || high_bits > 255 || low_bits < 1 || low_bits > 255 || high_bits == low_bits)
        return cs_fail(err, CS_ERR_INPUT,
                       "align: expected two different widths in [1, 255], "
                       "got %ld and %ld",
                       high_bits, low_bits);
    if (capacity < 1)
        return cs_fail(err, CS_ERR_INPUT, "align: expected a capacity >= 1, got %ld", capacity);
    return CS_OK;
}

int sweep_align_layer(const double *omega, uint8_t *bits, long n_strips, long high_bits,
                      long low_bits, long capacity, int mode, cs_error *err) {
    int rc = check_args(high_bits, low_bits, capacity, mode, err);
    if (rc || mode == ALIGN_NONE || n_strips <= 0) return rc;
    ranked *work = cs_alloc((size_t)n_strips, sizeof *work, err);
    if (!work) return CS_ERR_RUNTIME;
    rc = align_unit(omega, bits, NULL, n_strips, high_bits, low_bits, capacity, mode, work, err);
    free(work);
    return rc;
}

int sweep_align_mapped(const xbar_params *hw, const xbar_layer *l, const double *omega,
                       uint8_t *bits, long high_bits, long low_bits, int mode, cs_error *err) {
    long capacity = xbar_capacity(hw, l, high_bits);
    int rc = check_args(high_bits, low_bits, capacity, mode, err);
    if (rc || mode == ALIGN_NONE) return rc;
    const long K2 = (long)l->K * l->K, n = (long)l->M * K2;
    if (xbar_align_units(hw, l) == 1)
        return sweep_align_layer(omega, bits, n, high_bits, low_bits, capacity, mode, err);
    ranked *work = cs_alloc((size_t)l->M, sizeof *work, err);
    long *idx = cs_alloc((size_t)l->M, sizeof *idx, err);
    rc = work && idx ? CS_OK : CS_ERR_RUNTIME;
    for (long p = 0; rc == CS_OK && p < K2; p++) {
        for (long m = 0; m < l->M; m++) idx[m] = m * K2 + p;
        rc = align_unit(omega, bits, idx, l->M, high_bits, low_bits, capacity, mode, work, err);
    }
    free(work);
    free(idx);
    return rc;
}

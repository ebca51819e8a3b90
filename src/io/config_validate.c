/* Checks that involve more than one key; each message names where the offending key was
 * set (file:line, --set argument, or default). */
#include "io/config.h"

#include <stdio.h>
#include <string.h>

/* Report against key, or against alt when key kept its default and alt was set, so the
 * message points at the line the user wrote. */
static int fail_at2(const cs_config *c, const char *key, const char *alt, cs_error *err,
                    const char *what) {
    char w[CS_PATH_MAX + 128];
    const char *blame = key;
    if (!config_key_is_set(c, key) && alt && config_key_is_set(c, alt)) blame = alt;
    config_where(c, blame, w, sizeof w);
    if (blame != key)
        return cs_fail(err, CS_ERR_INPUT, "%s: %s: %s (%s is left at its default)", w, blame, what,
                       key);
    return cs_fail(err, CS_ERR_INPUT, "%s: %s: %s", w, key, what);
}

static int fail_at(const cs_config *c, const char *key, cs_error *err, const char *what) {
    return fail_at2(c, key, NULL, err, what);
}

static int has_group(const xbar_params *x, long bits) {
    for (int i = 0; i < x->n_groups; i++)
        if (x->groups[i].bits == bits) return 1;
    return 0;
}

/* Parse "H/L" with 2 <= L < H <= 8. */
static int parse_pair(const char *s, long *hi, long *lo) {
    char tail;
    if (sscanf(s, "%ld/%ld%c", hi, lo, &tail) != 2) return 0;
    return *lo >= 2 && *hi <= 8 && *lo < *hi;
}

static int check_bits(const cs_config *c, cs_error *err) {
    char msg[256];
    if (c->quant.low_bits >= c->quant.high_bits) {
        snprintf(msg, sizeof msg, "quant.low_bits = %ld must be below quant.high_bits = %ld",
                 c->quant.low_bits, c->quant.high_bits);
        return fail_at2(c, "quant.low_bits", "quant.high_bits", err, msg);
    }
    if (c->quant.act_bits == 1)
        return fail_at(c, "quant.act_bits", err, "expected 0 (off) or 2..8, got 1");
    const xbar_params *x = &c->xbar;
    long need[2] = {c->quant.high_bits, c->quant.low_bits};
    const char *key[2] = {"quant.high_bits", "quant.low_bits"};
    for (int i = 0; i < 2; i++)
        if (!has_group(x, need[i])) {
            snprintf(msg, sizeof msg, "xbar.groups has no entry for %ld-bit weights", need[i]);
            return fail_at2(c, key[i], "xbar.groups", err, msg);
        }
    for (int i = 0; i < c->sweep.bits.n; i++) {
        long hi, lo;
        if (!parse_pair(c->sweep.bits.v[i], &hi, &lo)) {
            snprintf(msg, sizeof msg, "expected pairs \"H/L\" with 2 <= L < H <= 8, got \"%s\"",
                     c->sweep.bits.v[i]);
            return fail_at(c, "sweep.bits", err, msg);
        }
        if (!has_group(x, hi) || !has_group(x, lo)) {
            snprintf(msg, sizeof msg, "xbar.groups has no entry for the pair \"%s\"",
                     c->sweep.bits.v[i]);
            return fail_at(c, "sweep.bits", err, msg);
        }
    }
    return CS_OK;
}

static int check_xbar(const cs_config *c, cs_error *err) {
    const xbar_params *x = &c->xbar;
    char msg[256];
    for (int i = 0; i < x->n_groups; i++) {
        const xbar_group *g = &x->groups[i];
        long slices = (g->bits + x->cell_bits - 1) / x->cell_bits;
        if (slices > x->cols) {
            snprintf(msg, sizeof msg, "%ld-bit weights need %ld columns, more than xbar.cols = %ld",
                     g->bits, slices, x->cols);
            return fail_at(c, "xbar.groups", err, msg);
        }
        if (g->cols_per_adc > x->cols) {
            snprintf(msg, sizeof msg, "cols_per_adc = %ld exceeds xbar.cols = %ld", g->cols_per_adc,
                     x->cols);
            return fail_at(c, "xbar.groups", err, msg);
        }
    }
    if (x->r_off_ohm <= x->r_on_ohm)
        return fail_at(c, "xbar.r_off_ohm", err, "expected R_off > R_on");
    return CS_OK;
}

int config_validate(cs_config *c, cs_error *err) {
    char msg[256];
    if (c->sensitivity.min_probes > c->sensitivity.max_probes) {
        snprintf(msg, sizeof msg,
                 "sensitivity.min_probes = %ld exceeds sensitivity.max_probes = %ld",
                 c->sensitivity.min_probes, c->sensitivity.max_probes);
        return fail_at2(c, "sensitivity.min_probes", "sensitivity.max_probes", err, msg);
    }
    int rc = check_bits(c, err);
    if (rc == CS_OK) rc = check_xbar(c, err);
    if (rc == CS_OK && c->sweep.cr.kind != GRID_NONE && c->sweep.tau.kind != GRID_NONE)
        rc = fail_at(c, "sweep.tau", err, "a sweep is a grid in CR or in tau, not both");
    return rc;
}

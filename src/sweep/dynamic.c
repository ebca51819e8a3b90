/* The FIM-guided dynamic threshold search (E8, seed §4.2).
 *
 * The search runs on the compression ratio, which orders the thresholds tau one to one:
 * start at maximum compression (CR 1, all Low); if the Fisher distance d exceeds epsilon,
 * bracket the answer between CR 0 and CR 1 and take finite-difference (regula falsi) steps
 * on d(CR) - epsilon. d is a step function of tau, so a step that lands too close to an end
 * of the bracket, or a second step in a row that moves the same end, is replaced by
 * bisection. The search stops when the bracket is narrower than one strip's share, or after
 * max_steps evaluations; it chooses the most compressed point with d <= epsilon. A CR whose
 * aligned assignment was evaluated already reuses that distance and adds no row. */
#include <math.h>
#include <stdlib.h>

#include "sweep/sweep.h"

typedef struct probe_point {
    double cr, d;
    int step;
} probe_point;

/* The aligned assignments already evaluated, by a hash of their bits: alignment maps a range
 * of CRs onto one assignment, and the search must not pay twice for it. */
typedef struct visited {
    uint64_t hash[64];
    double d[64];
    int n;
} visited;

static uint64_t bits_hash(const uint8_t *bits, long n) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (long i = 0; i < n; i++) h = (h ^ bits[i]) * 1099511628211ULL;
    return h;
}

/* The search's candidate at this CR: its aligned assignment into bits. */
static int assignment_at(sweep_env *e, const sweep_cand *c, uint8_t *bits, cs_error *err) {
    double tau;
    int changed, rc = sweep_assign(e, c, bits, &tau, err);
    if (rc == CS_OK && c->align != ALIGN_NONE)
        rc = sweep_align_assignment(e, e->omega[c->method], c->align, c->high, c->low, bits,
                                    &changed, err);
    return rc;
}

/* Distance of the point at this CR: from the results (resume), from an earlier step with the
 * same assignment (*fresh = 0, no row), or evaluated as step `step` (a row). */
static int visit(sweep_env *e, const sweep_cand *search, int step, double cr, sweep_point_fn point,
                 sweep_lookup_fn lookup, void *ctx, visited *seen, double *d, int *fresh,
                 cs_error *err) {
    const sens_strips *st = e->strips;
    uint8_t *bits = cs_alloc((size_t)st->n_strips, 1, err);
    sweep_layer_row *layers = cs_alloc((size_t)st->n_layers, sizeof *layers, err);
    if (!bits || !layers) {
        free(bits), free(layers);
        return CS_ERR_RUNTIME;
    }
    sweep_cand c = *search;
    c.target = cr;
    int rc = assignment_at(e, &c, bits, err);
    uint64_t h = rc == CS_OK ? bits_hash(bits, st->n_strips) : 0;
    *fresh = 0;
    for (int i = 0; rc == CS_OK && i < seen->n && !*fresh; i++)
        if (seen->hash[i] == h) {
            *d = seen->d[i];
            free(bits), free(layers);
            return CS_OK;
        }
    *fresh = 1;
    if (rc == CS_OK && !(lookup && lookup(ctx, search, step, cr, d))) {
        sweep_row row;
        rc = sweep_candidate(e, &c, -1, step, &row, layers, bits, err);
        if (rc == CS_OK) {
            *d = row.fim_distance;
            rc = point(ctx, &row, layers, bits, err);
        }
    }
    if (rc == CS_OK && seen->n < 64) seen->hash[seen->n] = h, seen->d[seen->n++] = *d;
    free(bits), free(layers);
    return rc;
}

int sweep_dynamic(sweep_env *e, const sweep_cand *search, sweep_point_fn point,
                  sweep_lookup_fn lookup, void *ctx, int *chosen_step, cs_error *err) {
    double eps = e->so->dynamic_epsilon, resolution = 1.0 / (double)e->strips->n_strips;
    int max_steps = (int)e->so->dynamic_max_steps, step = 0, fresh;
    visited seen = {.n = 0};
    probe_point hi = {1.0, 0, 0}, lo = {0.0, 0, 1};
    int rc = visit(e, search, step++, 1.0, point, lookup, ctx, &seen, &hi.d, &fresh, err);
    *chosen_step = 0;
    if (rc || hi.d <= eps || step >= max_steps) return rc; /* all Low is close enough */
    rc = visit(e, search, step, 0.0, point, lookup, ctx, &seen, &lo.d, &fresh, err);
    lo.step = fresh ? step++ : hi.step;
    *chosen_step = lo.step;
    if (rc || lo.d > eps) return rc; /* nothing is close enough: the least compressed */
    int prev_side = 0, repeats = 0;  /* which end moved last (+1 lo, -1 hi), and how often */
    while (step < max_steps && hi.cr - lo.cr > resolution) {
        double width = hi.cr - lo.cr, cr = NAN;
        if (hi.d > lo.d) cr = lo.cr + (eps - lo.d) * width / (hi.d - lo.d);
        /* bisection when the secant leaves the bracket's inner 90 %, or when the same end
         * moved twice in a row (regula falsi would crawl) */
        if (!(cr > lo.cr + width / 20 && cr < hi.cr - width / 20) || repeats >= 1)
            cr = lo.cr + width / 2;
        probe_point p = {cr, 0, step};
        rc = visit(e, search, step, cr, point, lookup, ctx, &seen, &p.d, &fresh, err);
        if (rc) return rc;
        int side = p.d <= eps ? 1 : -1;
        /* a repeated assignment keeps the step of the end it equals */
        if (fresh)
            step++;
        else
            p.step = side > 0 ? lo.step : hi.step;
        repeats = side == prev_side ? repeats + 1 : 0;
        prev_side = side;
        if (side > 0)
            lo = p;
        else
            hi = p;
    }
    *chosen_step = lo.step;
    return CS_OK;
}

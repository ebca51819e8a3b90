/* The FIM-guided dynamic threshold search (E8, seed §4.2).
 *
 * The search runs on the compression ratio, which orders the thresholds tau one to one:
 * start at maximum compression (CR 1, all Low); if the Fisher distance d exceeds epsilon,
 * bracket the answer between CR 0 and CR 1 and take finite-difference (regula falsi) steps
 * on d(CR) - epsilon. d is a step function of tau, so a step that lands too close to an end
 * of the bracket, or a second step in a row that moves the same end, is replaced by
 * bisection. The search stops when the bracket is narrower than one strip's share, or after
 * max_steps evaluations; it chooses the most compressed point with d <= epsilon. */
#include <math.h>
#include <stdlib.h>

#include "sweep/sweep.h"

typedef struct probe_point {
    double cr, d;
    int step;
} probe_point;

/* Evaluate (or look up) the point `step` at this CR and return its distance. */
static int visit(sweep_env *e, const sweep_cand *search, int step, double cr, sweep_point_fn point,
                 sweep_lookup_fn lookup, void *ctx, double *d, cs_error *err) {
    if (lookup && lookup(ctx, search, step, cr, d)) return CS_OK;
    const sens_strips *st = e->strips;
    uint8_t *bits = cs_alloc((size_t)st->n_strips, 1, err);
    sweep_layer_row *layers = cs_alloc((size_t)st->n_layers, sizeof *layers, err);
    if (!bits || !layers) {
        free(bits), free(layers);
        return CS_ERR_RUNTIME;
    }
    sweep_cand c = *search;
    c.target = cr;
    sweep_row row;
    int rc = sweep_candidate(e, &c, -1, step, &row, layers, bits, err);
    if (rc == CS_OK) {
        *d = row.fim_distance;
        rc = point(ctx, &row, layers, bits, err);
    }
    free(bits), free(layers);
    return rc;
}

int sweep_dynamic(sweep_env *e, const sweep_cand *search, sweep_point_fn point,
                  sweep_lookup_fn lookup, void *ctx, int *chosen_step, cs_error *err) {
    double eps = e->so->dynamic_epsilon, resolution = 1.0 / (double)e->strips->n_strips;
    int max_steps = (int)e->so->dynamic_max_steps, step = 0;
    probe_point hi = {1.0, 0, 0}, lo = {0.0, 0, 1};
    int rc = visit(e, search, step++, 1.0, point, lookup, ctx, &hi.d, err);
    *chosen_step = 0;
    if (rc || hi.d <= eps || step >= max_steps) return rc; /* all Low is close enough */
    rc = visit(e, search, step++, 0.0, point, lookup, ctx, &lo.d, err);
    *chosen_step = 1;
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
        if ((rc = visit(e, search, step++, cr, point, lookup, ctx, &p.d, err))) return rc;
        int side = p.d <= eps ? 1 : -1;
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

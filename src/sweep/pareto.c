/* Pareto fronts of top-1 (maximised) against energy or latency (minimised), and their
 * hypervolume. */
#include <math.h>
#include <stdlib.h>

#include "sweep/sweep.h"

static double cost_of(const sweep_row *r, int by_latency) {
    return by_latency ? r->latency_s : r->energy_j;
}

static int usable(const sweep_row *r, int by_latency) {
    return r->status == 1 && isfinite(r->top1) && isfinite(cost_of(r, by_latency));
}

typedef struct point {
    double cost, top1;
    long i;       /* position in rows */
    int64_t cand; /* candidate index: ties go to the lowest, whatever the row order */
} point;

static int by_cost_then_top1(const void *a, const void *b) {
    const point *x = a, *y = b;
    if (x->cost != y->cost) return x->cost < y->cost ? -1 : 1;
    if (x->top1 != y->top1) return x->top1 > y->top1 ? -1 : 1;
    return (x->cand > y->cand) - (x->cand < y->cand);
}

long sweep_pareto(const sweep_row *rows, long n, int by_latency, long *front) {
    point *p = malloc(sizeof *p * (size_t)(n > 0 ? n : 1));
    if (!p) return 0;
    long m = 0;
    for (long i = 0; i < n; i++)
        if (usable(&rows[i], by_latency))
            p[m++] = (point){cost_of(&rows[i], by_latency), rows[i].top1, i, rows[i].index};
    qsort(p, (size_t)m, sizeof *p, by_cost_then_top1);
    /* sweep in increasing cost: a point is on the front when its top-1 beats every cheaper
     * (or equally cheap) point; equal points keep the lowest candidate index */
    long nf = 0;
    double best = -INFINITY;
    for (long k = 0; k < m; k++)
        if (p[k].top1 > best) {
            front[nf++] = p[k].i;
            best = p[k].top1;
        }
    free(p);
    return nf;
}

double sweep_hypervolume(const sweep_row *rows, const long *front, long nf, int by_latency,
                         double ref_top1, double ref_cost) {
    /* front sorted by cost with rising top-1: the dominated region is a staircase */
    double area = 0;
    for (long k = 0; k < nf; k++) {
        const sweep_row *r = &rows[front[k]];
        double c = cost_of(r, by_latency),
               next = k + 1 < nf ? cost_of(&rows[front[k + 1]], by_latency) : ref_cost;
        if (c >= ref_cost || r->top1 <= ref_top1) continue;
        if (next > ref_cost) next = ref_cost;
        area += (next - c) * (r->top1 - ref_top1);
    }
    return area;
}

void sweep_reference(const sweep_row *rows, long n, int by_latency, double *ref_top1,
                     double *ref_cost) {
    double lo = INFINITY, hi = 0;
    for (long i = 0; i < n; i++)
        if (usable(&rows[i], by_latency)) {
            lo = rows[i].top1 < lo ? rows[i].top1 : lo;
            hi = cost_of(&rows[i], by_latency) > hi ? cost_of(&rows[i], by_latency) : hi;
        }
    *ref_top1 = isfinite(lo) ? lo : 0;
    *ref_cost = 1.1 * hi;
}

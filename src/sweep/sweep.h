/* sweep: candidate generation (grids, FIM-guided dynamic threshold E8, HAP baseline E10),
 * alignment (E9), MPI scheduling, Pareto fronts. */
#ifndef CS_SWEEP_H
#define CS_SWEEP_H

#include "base/base.h"

#define SWEEP_GRID_MAX 1024

enum { GRID_NONE, GRID_RANGE, GRID_LIST };

/* A grid of CR or tau values: a range {from, to, steps} or an explicit list. */
typedef struct sweep_grid {
    int kind;
    double from, to;
    long steps;
    int n;
    double v[SWEEP_GRID_MAX];
} sweep_grid;

enum { ALIGN_NONE, ALIGN_DOWN, ALIGN_NEAREST };
extern const char *const ALIGN_NAMES[];

typedef struct sweep_opts {
    sweep_grid cr, tau;
    cs_int_list methods; /* SENS_* */
    cs_int_list align;   /* ALIGN_* */
    cs_name_list bits;   /* "H/L" pairs; empty = quant.high_bits/low_bits */
    int dynamic_enable;
    double dynamic_epsilon;
    long dynamic_max_steps;
    cs_real_list hap_ratios;
    int functional;
} sweep_opts;

#endif

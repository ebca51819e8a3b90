/* sweep: candidate generation (grids, FIM-guided dynamic threshold E8, HAP baseline E10),
 * alignment (E9), candidate evaluation (accuracy, Fisher distance, crossbar cost), MPI
 * scheduling and Pareto fronts. */
#ifndef CS_SWEEP_H
#define CS_SWEEP_H

#include <stdint.h>

#include "base/base.h"
#include "base/comm.h"
#include "data/data.h"
#include "nn/nn.h"
#include "quant/quant.h"
#include "sens/sens.h"
#include "xbar/xbar.h"

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
    int hap_recalibrate_bn; /* HAP: BN running statistics re-estimated after pruning */
    int functional;
} sweep_opts;

/* ---- candidates ---- */

enum { CAND_CR, CAND_TAU, CAND_DYNAMIC, CAND_HAP };
extern const char *const CAND_KIND_NAMES[]; /* "cr", "tau", "dynamic", "hap" */

/* What to evaluate. Grid and HAP candidates are known in advance; a dynamic search is one
 * work unit whose trajectory becomes candidates as it runs. */
typedef struct sweep_cand {
    int kind, method, align, high, low;
    double target; /* CR, tau, or HAP prune ratio; unused for a dynamic search */
} sweep_cand;

/* One row of /sweep/candidates (DESIGN §7). Percentages 0-100; NaN = not computed. */
typedef struct sweep_row {
    int64_t index; /* candidate index (fixed order; dynamic rows follow the fixed ones) */
    int32_t kind, method, align, high, low;
    int32_t step;    /* dynamic: step of the trajectory; else -1 */
    int32_t chosen;  /* dynamic: the point the search chose */
    int32_t aligned; /* the assignment was changed by alignment */
    int32_t status;  /* 1 = done */
    int32_t rank;    /* MPI rank that computed it (not part of the result) */
    double tau, cr_target, cr_actual, size_ratio;
    double top1, top5, loss, hw_top1, fim_distance;
    double energy_j, energy_adc_j, energy_accum_j, energy_other_j, latency_s;
    double util_high, util_low, util_all, util_before_align;
    int64_t xbars_high, xbars_low;
    double wall_s; /* not part of the result */
} sweep_row;

/* One row of /sweep/per_layer. */
typedef struct sweep_layer_row {
    int64_t index;
    int32_t layer;
    int64_t strips, low_strips, xbars_high, xbars_low;
    double cr, util, energy_j, latency_s;
} sweep_layer_row;

/* Everything candidate evaluation needs, prepared once per rank. */
typedef struct sweep_env {
    const sweep_opts *so;
    const quant_opts *qo;
    const xbar_params *hw;
    const fim_opts *fo;
    nn_net *net;  /* the float model */
    nn_net *work; /* same architecture: takes each candidate's weights */
    const data_set *train, *test;
    const long *test_idx; /* evaluation images */
    long n_test;
    long n_functional;     /* images for the hardware-aware accuracy (a prefix) */
    const long *calib_idx; /* activation calibration images (training set) */
    long n_calib;
    const sens_strips *strips;
    const double *omega[4]; /* per method (SENS_*): per-strip sensitivity, NULL if absent */
    const double *trace[4];
    uint8_t *excl;  /* strips kept at high precision */
    xbar_layer *xl; /* layer shapes for the crossbar model */
    int n_xl;
    fim_state fim_ref; /* Fisher information of the float model */
    float *x;          /* a batch of images */
    uint8_t *y;
    cs_comm *comm;
    cs_comm comm_self; /* one rank: a candidate is evaluated by one rank alone */
    int quiet;
    void (*tick)(void *ctx); /* called between batches (rank 0 drains results) */
    void *tick_ctx;
    volatile int *stop; /* set (by a signal handler) to stop after the current unit */
    int skip_fim;       /* no Fisher distance (eval) */
    int integer_path;   /* accuracy through the integer path (E13) instead of fake-quant */
} sweep_env;

/* The fixed candidates of a sweep: methods x bit pairs x align modes x (CR or tau grid),
 * then HAP ratios per bit pair; the dynamic searches (methods x pairs x align) are counted
 * apart. Returns the count; cands may be NULL to count only. */
long sweep_fixed_candidates(const sweep_opts *so, const quant_opts *qo, sweep_cand *cands);
long sweep_dynamic_searches(const sweep_opts *so, const quant_opts *qo, sweep_cand *searches);

/* The assignment of a candidate: bits per strip (before alignment), and its tau. */
int sweep_assign(const sweep_env *e, const sweep_cand *c, uint8_t *bits, double *tau,
                 cs_error *err);

/* E9: align every layer's High strips to crossbar capacity (mode ALIGN_DOWN / NEAREST).
 * Returns whether anything changed in *changed. */
int sweep_align_assignment(const sweep_env *e, const double *omega, int mode, int high, int low,
                           uint8_t *bits, int *changed, cs_error *err);

/* Evaluate one assignment: quantized model, accuracy on the evaluation set, Fisher distance,
 * crossbar mapping, energy, latency. Fills the result columns of row (index, kind, method,
 * align, high, low, tau, cr_target are the caller's) and n_layers per-layer rows. */
int sweep_evaluate(sweep_env *e, const uint8_t *bits, sweep_row *row, sweep_layer_row *layers,
                   cs_error *err);

/* The whole pipeline of one candidate: assignment, utilization before alignment, alignment
 * (E9), evaluation. Fills row (with index and step) and the per-layer rows; bits receives
 * the final assignment (n_strips entries). */
int sweep_candidate(sweep_env *e, const sweep_cand *c, long index, int step, sweep_row *row,
                    sweep_layer_row *layers, uint8_t *bits, cs_error *err);

/* HAP baseline (E10) assignment: filters ranked by Tr(H_m)/n_m ||w_m||^2, the lowest
 * `ratio` of them pruned (bits 0), the rest at `high` bits. */
int sweep_hap_assign(const sweep_env *e, double ratio, int high, uint8_t *bits, cs_error *err);

/* ---- the dynamic threshold search (E8) ---- */

/* One evaluated point of a search, handed to the caller as it is produced. */
typedef int (*sweep_point_fn)(void *ctx, const sweep_row *row, const sweep_layer_row *layers,
                              const uint8_t *bits, cs_error *err);

/* A finished point the search may reuse instead of recomputing (resume): returns 1 and
 * fills *d when step `step` with this CR was done before. */
typedef int (*sweep_lookup_fn)(void *ctx, const sweep_cand *search, int step, double cr, double *d);

/* Run the search: starting at maximum compression, regula falsi on d(CR) - epsilon (the
 * finite-difference slope of d), bisection when a step leaves the bracket or stalls (d is a
 * step function of tau); at most max_steps evaluations. Every point goes to `point`; the
 * chosen one (most compressed with d <= epsilon) is reported again with chosen = 1 in
 * *chosen_step. */
int sweep_dynamic(sweep_env *e, const sweep_cand *search, sweep_point_fn point,
                  sweep_lookup_fn lookup, void *ctx, int *chosen_step, cs_error *err);

/* ---- Pareto fronts ---- */

/* Positions (into rows) of the front maximising top-1 and minimising cost (energy or
 * latency), sorted by cost; rows not done or with NaN values are ignored; of exact
 * duplicates the lowest candidate index stays. Returns the front size. */
long sweep_pareto(const sweep_row *rows, long n, int by_latency, long *front);

/* Hypervolume (area) dominated by the front relative to the reference point
 * (ref_top1 below every front top-1, ref_cost above every front cost). */
double sweep_hypervolume(const sweep_row *rows, const long *front, long nf, int by_latency,
                         double ref_top1, double ref_cost);

/* The stated reference point of a set: the lowest top-1 and 1.1 x the highest cost. */
void sweep_reference(const sweep_row *rows, long n, int by_latency, double *ref_top1,
                     double *ref_cost);

#endif

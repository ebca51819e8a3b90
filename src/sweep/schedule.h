/* schedule: running a sweep's candidates over MPI ranks.
 *
 * Static assignment: the work units (fixed candidates, and each dynamic search as one unit)
 * are dealt to ranks by estimated cost with comm_balance, a deterministic rule. Every row
 * depends only on its candidate, never on the rank that computes it, so the results are the
 * same for any number of ranks; a static rule also keeps every rank busy (no coordinator
 * rank idles on 2 cores). Finished rows go to rank 0 as messages; rank 0 takes them in
 * between its own batches and hands every row to the sink, which writes the results file. */
#ifndef CS_SCHEDULE_H
#define CS_SCHEDULE_H

#include "sweep/sweep.h"

/* Where rows end up (rank 0 only). */
typedef struct sweep_sink {
    void *ctx;
    int (*row)(void *ctx, const sweep_row *row, const sweep_layer_row *layers, const uint8_t *bits,
               cs_error *err);
    /* dynamic search `search` chose its step `step` */
    int (*chosen)(void *ctx, long search, int step, cs_error *err);
} sweep_sink;

/* The work of one run. done flags must be identical on every rank (from the resumed file). */
typedef struct sweep_plan {
    const sweep_cand *fixed;
    long n_fixed;
    const sweep_cand *searches;
    long n_searches;
    const uint8_t *fixed_done;  /* per fixed candidate */
    const uint8_t *search_done; /* per search: chosen point known */
    sweep_lookup_fn lookup;     /* finished dynamic points (resume), or NULL; called with the
                                 * point's candidate index in place of its step */
    void *lookup_ctx;
    int shard_k, shard_n; /* shard_n 0: everything */
} sweep_plan;

/* Candidate index of step `step` of dynamic search k. */
long sweep_dynamic_index(const sweep_plan *p, long k, int step, long max_steps);

/* Which units a shard owns (shard_n virtual ranks dealt by cost): 1 when unit u (fixed
 * candidates first, then searches) belongs to shard k. */
int sweep_in_shard(const sweep_plan *p, long u, long max_steps);

/* Run every unit of the plan that is not done and belongs to the shard. */
int sweep_run(sweep_env *e, const sweep_plan *p, sweep_sink *sink, cs_error *err);

#endif

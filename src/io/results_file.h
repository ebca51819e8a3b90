/* results_file: the results of a sweep (DESIGN §7), kept in memory by rank 0 and written
 * atomically (temporary file, fsync, rename) after every finished candidate, so a killed job
 * leaves the previous complete file and never a half-written one.
 *
 * Layout: attributes format = "cimsweep-results", format_version, run_id, config_hash,
 * model_sha256, model_file, fixed / searches / max_steps (the candidate index space: fixed
 * candidates 0..fixed-1, then dynamic search k step s at fixed + k * max_steps + s), shard;
 * /config (canonical config text), /model/layers, /sensitivity (and omega_<method> for
 * further methods), /sweep/candidates (compound, sorted by index), /sweep/per_layer,
 * /sweep/assignment (one bit per strip and candidate: 1 = High), /pareto. */
#ifndef CS_RESULTS_FILE_H
#define CS_RESULTS_FILE_H

#include "io/sens_file.h"
#include "sweep/sweep.h"

#define RESULTS_FORMAT         "cimsweep-results"
#define RESULTS_FORMAT_VERSION 1

typedef struct results {
    char run_id[65], config_hash[65], model_sha[65];
    char model_file[CS_PATH_MAX];
    char *config_text;
    long fixed, searches, max_steps;
    int shard_k, shard_n; /* shard_n = 0: the whole sweep */
    int n_layers;
    long n_strips;
    sens_result sens; /* the primary method's sensitivity (strip table included) */
    sens_origin sens_org;
    double *omega[4];        /* every method's omega (SENS_*), NULL if not computed */
    sweep_row *rows;         /* done rows, in the order they finished */
    sweep_layer_row *layers; /* n_layers per row */
    uint8_t *assign;         /* per row: (n_strips + 7) / 8 bytes */
    long n_rows, cap;
    /* Pareto fronts (filled by results_pareto) */
    long *front_energy, *front_latency;
    long n_front_energy, n_front_latency;
    double hv_energy, hv_latency, ref_top1, ref_energy, ref_latency;
} results;

/* Start an empty results set for n_layers / n_strips (the sensitivity is set by the caller). */
int results_init(results *r, int n_layers, long n_strips, cs_error *err);
void results_free(results *r);

/* Position of the row with this candidate index, or -1. */
long results_find(const results *r, long index);

/* Add (or replace) a finished row with its per-layer rows and assignment bits. */
int results_add(results *r, const sweep_row *row, const sweep_layer_row *layers,
                const uint8_t *bits, int high, cs_error *err);

/* Recompute the Pareto fronts and hypervolumes of the done rows. */
int results_pareto(results *r, cs_error *err);

/* Total candidates (of the shard, for a shard file): fixed ones plus, per dynamic search,
 * its steps when finished (its chosen row exists) else max_steps. */
long results_total(const results *r);

/* Write atomically; rows sorted by candidate index. */
int results_write(const char *path, results *r, cs_error *err);

/* Read a results file; anything that is not a complete cimsweep results file (another
 * format, truncation, inconsistent tables) is CS_ERR_INPUT naming the path. */
int results_read(const char *path, results *r, cs_error *err);

#endif

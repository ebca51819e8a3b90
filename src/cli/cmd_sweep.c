/* cimsweep sweep: the main job. Sensitivity once (cached), the float model's Fisher
 * information once, then every candidate over the MPI ranks; rank 0 rewrites the results file
 * atomically after every finished candidate. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/hash.h"
#include "base/rng.h"
#include "cli/cli.h"
#include "cli/report.h"
#include "cli/pipeline.h"
#include "sweep/mpi_comm.h"
#include "sweep/schedule.h"

/* The one writable global: set by SIGTERM / SIGINT so the sweep stops after the candidate in
 * flight, leaving a complete results file for --resume (Slurm requeue). */
static volatile int g_stop;

static void on_signal(int sig) {
    (void)sig;
    g_stop = 1;
}

typedef struct sweep_job {
    cs_config *cfg;
    const cli_opts *o;
    cs_comm comm;
    pipeline p;
    sweep_cand *fixed, *searches;
    long n_fixed, n_searches;
    uint8_t *fixed_done, *search_done;
    results res; /* rank 0: everything written so far; other ranks: what was resumed */
    int resumed;
    char out[CS_PATH_MAX], hash[65], run_id[65];
    double t0;
    long done_at_start;
} sweep_job;

/* ---- set-up ---- */

static int parse_shard(const char *s, int *k, int *n, cs_error *err) {
    char tail;
    if (!s) {
        *k = *n = 0;
        return CS_OK;
    }
    if (sscanf(s, "%d/%d%c", k, n, &tail) != 2 || *n < 1 || *k < 0 || *k >= *n)
        return cs_fail(err, CS_ERR_INPUT, "--shard %s: expected K/N with 0 <= K < N", s);
    return CS_OK;
}

static int make_candidates(sweep_job *j, cs_error *err) {
    const cs_config *c = j->cfg;
    j->n_fixed = sweep_fixed_candidates(&c->sweep, &c->quant, NULL);
    j->n_searches = sweep_dynamic_searches(&c->sweep, &c->quant, NULL);
    if (j->n_fixed + j->n_searches == 0) {
        char w[CS_PATH_MAX + 64];
        config_where(c, "sweep.cr", w, sizeof w);
        return cs_fail(err, CS_ERR_INPUT,
                       "%s: the sweep defines no candidates (empty CR / tau grid, "
                       "sweep.dynamic.enable = false, no sweep.hap.ratios)",
                       w);
    }
    j->fixed = cs_alloc((size_t)j->n_fixed + 1, sizeof *j->fixed, err);
    j->searches = cs_alloc((size_t)j->n_searches + 1, sizeof *j->searches, err);
    j->fixed_done = cs_alloc((size_t)j->n_fixed + 1, 1, err);
    j->search_done = cs_alloc((size_t)j->n_searches + 1, 1, err);
    if (!j->fixed || !j->searches || !j->fixed_done || !j->search_done) return CS_ERR_RUNTIME;
    sweep_fixed_candidates(&c->sweep, &c->quant, j->fixed);
    sweep_dynamic_searches(&c->sweep, &c->quant, j->searches);
    return CS_OK;
}

/* The run id: the canonical config (without output) and the model file. */
static int make_run_id(sweep_job *j, cs_error *err) {
    if (config_hash(j->cfg, j->hash, err)) return CS_ERR_RUNTIME;
    char buf[160];
    snprintf(buf, sizeof buf, "%s|%s", j->hash, j->p.sha);
    sha256_hex(buf, strlen(buf), j->run_id);
    return CS_OK;
}

/* An existing output file: refuse without --resume; with it, it must be a complete results
 * file of this run id. Never overwritten otherwise. Every rank reads it (read-only). */
static int open_existing(sweep_job *j, int shard_k, int shard_n, cs_error *err) {
    if (access(j->out, F_OK) != 0) {
        if (j->o->resume && j->comm.rank == 0 && !j->o->quiet)
            fprintf(stderr, "[sweep] %s does not exist yet: starting a new sweep\n", j->out);
        return CS_OK;
    }
    if (!j->o->resume)
        return cs_fail(err, CS_ERR_INPUT,
                       "%s exists; continue it with --resume, or write elsewhere with -o", j->out);
    int rc = results_read(j->out, &j->res, err);
    if (rc) return cs_wrap(err, "cannot resume: ");
    if (strcmp(j->res.config_hash, j->hash) == 0 && strcmp(j->res.model_sha, j->p.sha) != 0)
        return cs_fail(err, CS_ERR_INPUT,
                       "%s: written for another model (sha256 %.12s, %s is %.12s); use another -o",
                       j->out, j->res.model_sha, j->cfg->model.file, j->p.sha);
    if (strcmp(j->res.run_id, j->run_id) != 0)
        return cs_fail(err, CS_ERR_INPUT,
                       "%s: written by another run (run id %.12s, this config and model give "
                       "%.12s): the config or the model changed; use another -o",
                       j->out, j->res.run_id, j->run_id);
    if (j->res.shard_k != shard_k || j->res.shard_n != shard_n)
        return cs_fail(err, CS_ERR_INPUT, "%s: shard %d/%d, this run is shard %d/%d", j->out,
                       j->res.shard_k, j->res.shard_n, shard_k, shard_n);
    j->resumed = 1;
    return CS_OK;
}

/* The pipeline: every sweep method's sensitivity (Hutchinson too when HAP runs), the float
 * model's Fisher information. */
static int prepare(sweep_job *j, cs_error *err) {
    const cs_config *c = j->cfg;
    pipeline_opts po = {{0, 0, 0, 0}, 1, j->o->sens, j->o->no_cache, j->o->quiet};
    for (int i = 0; i < c->sweep.methods.n; i++) po.need[c->sweep.methods.v[i]] = 1;
    if (c->sweep.hap_ratios.n > 0) po.need[SENS_HUTCHINSON] = 1;
    int rc = pipeline_prepare(&j->p, &po, err);
    j->p.env.stop = &g_stop;
    return rc;
}

/* ---- rank 0: rows into the results file ---- */

static void progress(sweep_job *j, const sweep_row *row) {
    if (j->o->quiet) return;
    const results *r = &j->res;
    long total = results_total(r), done = r->n_rows, new_done = done - j->done_at_start;
    double el = cs_now() - j->t0, rate = new_done > 0 ? new_done / el : 0;
    char eta[32] = "?", name[96];
    if (rate > 0) cs_format_duration((double)(total - done) / rate, eta, sizeof eta);
    report_candidate_name(row, name, sizeof name);
    /* best so far: the cheapest candidate within half a point of the best top-1 */
    double best_top1 = -1, best_e = INFINITY;
    long best = -1;
    for (long i = 0; i < r->n_rows; i++)
        best_top1 = r->rows[i].top1 > best_top1 ? r->rows[i].top1 : best_top1;
    for (long i = 0; i < r->n_rows; i++)
        if (r->rows[i].top1 >= best_top1 - 0.5 && r->rows[i].energy_j < best_e)
            best_e = r->rows[i].energy_j, best = i;
    fprintf(stderr,
            "[sweep] %ld/%ld %s: top-1 %.2f%% energy %.4g uJ d %.3g | %.3f cand/s, ETA %s | "
            "best: #%lld %.2f%% %.4g uJ\n",
            done, total, name, row->top1, row->energy_j * 1e6, row->fim_distance, rate, eta,
            best >= 0 ? (long long)r->rows[best].index : -1LL, best >= 0 ? r->rows[best].top1 : NAN,
            best_e * 1e6);
}

static int sink_row(void *ctx, const sweep_row *row, const sweep_layer_row *layers,
                    const uint8_t *bits, cs_error *err) {
    sweep_job *j = ctx;
    int rc = results_add(&j->res, row, layers, bits, row->high, err);
    if (rc == CS_OK) rc = results_write(j->out, &j->res, err);
    if (rc == CS_OK) progress(j, row);
    return rc;
}

static int sink_chosen(void *ctx, long search, int step, cs_error *err) {
    sweep_job *j = ctx;
    long at = results_find(&j->res,
                           sweep_dynamic_index(&(sweep_plan){0, j->n_fixed, 0, 0, 0, 0, 0, 0, 0, 0},
                                               search, step, j->cfg->sweep.dynamic_max_steps));
    if (at < 0) return CS_OK;
    j->res.rows[at].chosen = 1;
    if (!j->o->quiet)
        fprintf(stderr,
                "[sweep] dynamic search %ld chose step %d: CR %.3f, d = %.4g (epsilon %g)\n",
                search, step, j->res.rows[at].cr_actual, j->res.rows[at].fim_distance,
                j->cfg->sweep.dynamic_epsilon);
    return results_write(j->out, &j->res, err);
}

/* Resume: a dynamic point already in the file gives its distance back. */
static int lookup_point(void *ctx, const sweep_cand *c, int index, double cr, double *d) {
    sweep_job *j = ctx;
    (void)c;
    long at = results_find(&j->res, index);
    if (at < 0 || j->res.rows[at].cr_target != cr) return 0;
    *d = j->res.rows[at].fim_distance;
    return 1;
}

/* The results container of a new run (rank 0), or the resumed one topped up. */
static int init_results(sweep_job *j, int shard_k, int shard_n, cs_error *err) {
    results *r = &j->res;
    pipeline *p = &j->p;
    int primary = p->have[SENS_HUTCHINSON] ? SENS_HUTCHINSON : j->cfg->sweep.methods.v[0];
    if (!j->resumed) {
        int rc = results_init(r, p->sens[primary].strips.n_layers, p->sens[primary].strips.n_strips,
                              err);
        if (rc) return rc;
        snprintf(r->run_id, sizeof r->run_id, "%s", j->run_id);
        snprintf(r->config_hash, sizeof r->config_hash, "%s", j->hash);
        snprintf(r->model_sha, sizeof r->model_sha, "%s", p->sha);
        snprintf(r->model_file, sizeof r->model_file, "%s", j->cfg->model.file);
        r->config_text = config_canonical(j->cfg, 1, err);
        if (!r->config_text) return CS_ERR_RUNTIME;
        r->fixed = j->n_fixed;
        r->searches = j->n_searches;
        r->max_steps = j->cfg->sweep.dynamic_max_steps;
        r->shard_k = shard_k;
        r->shard_n = shard_n;
        for (int m = 0; m < 4; m++)
            if (p->have[m]) {
                r->omega[m] = cs_alloc((size_t)r->n_strips, sizeof(double), err);
                if (!r->omega[m]) return CS_ERR_RUNTIME;
                memcpy(r->omega[m], p->sens[m].omega, sizeof(double) * (size_t)r->n_strips);
            }
        /* the primary sensitivity moves into the results (the environment points at it) */
        sens_result_free(&r->sens);
        pipeline_take_sens(p, primary, &r->sens);
        r->sens_org = p->org[primary];
        p->env.omega[primary] = r->sens.omega;
        p->env.trace[primary] = r->sens.trace;
        p->env.strips = &r->sens.strips;
    }
    for (long i = 0; i < r->n_rows; i++) {
        const sweep_row *w = &r->rows[i];
        if (w->index < j->n_fixed)
            j->fixed_done[w->index] = 1;
        else if (w->chosen)
            j->search_done[(w->index - j->n_fixed) / r->max_steps] = 1;
    }
    j->done_at_start = r->n_rows;
    return CS_OK;
}

static int run_sweep(sweep_job *j, cs_error *err) {
    const cs_config *c = j->cfg;
    int shard_k, shard_n;
    snprintf(j->out, sizeof j->out, "%s", j->o->output ? j->o->output : c->output.file);
    int rc = parse_shard(j->o->shard, &shard_k, &shard_n, err);
    if (rc == CS_OK) rc = make_candidates(j, err);
    if (rc == CS_OK) rc = pipeline_model(&j->p, c, &j->comm, err);
    if (rc == CS_OK) rc = make_run_id(j, err);
    if (rc == CS_OK) rc = open_existing(j, shard_k, shard_n, err);
    if (rc == CS_OK && j->comm.rank == 0) rc = stage_mkdirs_parent(j->out, err);
    if ((rc = comm_agree(&j->comm, rc, err))) return rc;
    rc = prepare(j, err);
    if (rc == CS_OK) rc = init_results(j, shard_k, shard_n, err);
    if ((rc = comm_agree(&j->comm, rc, err))) return rc;
    if (!j->o->quiet && j->comm.rank == 0)
        fprintf(stderr,
                "[sweep] %ld candidates + %ld dynamic searches on %d rank(s); %ld done "
                "already; results in %s\n",
                j->n_fixed, j->n_searches, j->comm.size, j->res.n_rows, j->out);
    sweep_plan plan = {j->fixed,       j->n_fixed,   j->searches, j->n_searches, j->fixed_done,
                       j->search_done, lookup_point, j,           shard_k,       shard_n};
    sweep_sink sink = {j, sink_row, sink_chosen};
    j->t0 = cs_now();
    if (j->comm.rank == 0 && !j->resumed) rc = results_write(j->out, &j->res, err);
    if ((rc = comm_agree(&j->comm, rc, err))) return rc;
    rc = sweep_run(&j->p.env, &plan, &sink, err);
    if (rc == CS_OK && j->comm.rank == 0) rc = results_write(j->out, &j->res, err);
    if (rc == CS_OK && j->comm.rank == 0 && !j->o->quiet)
        fprintf(stderr, "[sweep] candidate phase: %.1f s on %d rank(s) for %ld candidates\n",
                cs_now() - j->t0, j->comm.size, j->res.n_rows - j->done_at_start);
    if ((rc = comm_agree(&j->comm, rc, err)) || j->comm.rank != 0) return rc;
    if (g_stop) {
        fprintf(stderr,
                "[sweep] stopped by a signal after %ld of %ld candidates; continue with "
                "--resume\n",
                j->res.n_rows, results_total(&j->res));
        return CS_OK;
    }
    if (j->o->json)
        report_pareto_json(stdout, &j->res);
    else
        report_pareto(stdout, &j->res, REPORT_MARKDOWN);
    return CS_OK;
}

static void job_free(sweep_job *j) {
    pipeline_close(&j->p);
    results_free(&j->res);
    free(j->fixed);
    free(j->searches);
    free(j->fixed_done);
    free(j->search_done);
}

static int sweep_job_run(void *job, cs_config *cfg, cs_comm *comm, const cli_opts *o,
                         cs_error *err) {
    sweep_job *j = job;
    j->cfg = cfg;
    j->comm = *comm;
    j->o = o;
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    return run_sweep(j, err);
}

static void sweep_free(void *job) {
    job_free(job);
}

int cmd_sweep(int argc, char **argv) {
    static const cli_job job = {sizeof(sweep_job), sweep_job_run, sweep_free};
    return cli_run_job("sweep", argc, argv,
                       OPT_CONFIG | OPT_OUTPUT | OPT_SET | OPT_JSON | OPT_RESUME | OPT_SHARD |
                           OPT_NO_CACHE | OPT_QUIET | OPT_SENS,
                       &job);
}

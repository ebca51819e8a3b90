/* cimsweep sens: per-strip sensitivities over MPI, cached, optionally written to -o. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cli/cli.h"
#include "cli/stage.h"
#include "sweep/mpi_comm.h"

typedef struct sens_run {
    cs_config *cfg;
    cs_comm comm;
    data_set train;
    nn_net net;
    model_meta meta;
    sens_result res;
    sens_origin org;
    char sha[65];
    int cached;
} sens_run;

static void print_table(const sens_run *s) {
    const sens_result *r = &s->res;
    const sens_strips *st = &r->strips;
    printf("%-28s %5s %5s %2s %7s %7s %12s %12s\n", "layer", "C", "M", "K", "strips", "probes",
           "trace", "mean omega");
    for (int q = 0; q < st->n_layers; q++) {
        const sens_layer *l = &st->layers[q];
        double om = 0;
        for (long i = 0; i < l->strips; i++) om += r->omega[l->strip_off + i];
        printf("%-28s %5d %5d %2d %7ld %7ld %12.5g %12.5g\n", l->name, l->C, l->M, l->K, l->strips,
               r->probes[q], r->layer_trace[q], om / (double)l->strips);
    }
    printf("%s, partition %s: %ld strips in %d layers, %.1f s%s\n", SENS_METHOD_NAMES[r->method],
           SENS_PARTITION_NAMES[r->partition], st->n_strips, st->n_layers, r->seconds,
           s->cached == 1 ? " (cached)" : "");
}

static void print_json(const sens_run *s) {
    const sens_result *r = &s->res;
    json_writer w;
    json_begin(&w, stdout);
    json_object_begin(&w);
    json_kv_string(&w, "model", s->cfg->model.file);
    json_kv_string(&w, "model_sha256", s->sha);
    json_kv_string(&w, "method", SENS_METHOD_NAMES[r->method]);
    json_kv_string(&w, "partition", SENS_PARTITION_NAMES[r->partition]);
    json_kv_int(&w, "strips", r->strips.n_strips);
    json_kv_number(&w, "seconds", r->seconds);
    json_kv_bool(&w, "cached", s->cached == 1);
    json_key(&w, "layers");
    json_array_begin(&w);
    for (int q = 0; q < r->strips.n_layers; q++) {
        const sens_layer *l = &r->strips.layers[q];
        json_object_begin(&w);
        json_kv_string(&w, "name", l->name);
        json_kv_int(&w, "strips", l->strips);
        json_kv_int(&w, "probes", r->probes[q]);
        json_kv_number(&w, "trace", r->layer_trace[q]);
        json_object_end(&w);
    }
    json_array_end(&w);
    json_object_end(&w);
    json_end(&w);
}

static int run_sens(sens_run *s, const cli_opts *o, cs_error *err) {
    const cs_config *cfg = s->cfg;
    nn_set_threads(1);
    int rc = setup_data(cfg, DATA_TRAIN, &s->train, err);
    if (rc == CS_OK) rc = setup_model(cfg, &s->train, &s->net, &s->meta, err);
    unsigned plan = NN_PLAN_R | (cfg->sensitivity.partition == SENS_PART_MODEL ? NN_PLAN_GRAD : 0);
    if (rc == CS_OK) rc = nn_plan(&s->net, (int)cfg->sensitivity.batch, plan, err);
    if (rc == CS_OK) rc = stage_model_hash(cfg, &s->net, s->sha, err);
    if ((rc = comm_agree(&s->comm, rc, err))) return rc;
    rc = stage_sensitivity(cfg, cfg->sensitivity.method, &s->net, &s->train, &s->comm, s->sha,
                           o->sens, o->no_cache, o->quiet, &s->res, &s->org, &s->cached, err);
    if (rc) return rc;
    if (s->comm.rank == 0 && o->output) rc = sens_file_write(o->output, &s->res, &s->org, err);
    if ((rc = comm_agree(&s->comm, rc, err)) || s->comm.rank != 0) return rc;
    if (o->json)
        print_json(s);
    else
        print_table(s);
    return CS_OK;
}

static int sens_job(void *job, cs_config *cfg, cs_comm *comm, const cli_opts *o, cs_error *err) {
    sens_run *s = job;
    s->cfg = cfg;
    s->comm = *comm;
    return run_sens(s, o, err);
}

static void sens_free(void *job) {
    sens_run *s = job;
    sens_result_free(&s->res);
    nn_free(&s->net);
    data_free(&s->train);
}

int cmd_sens(int argc, char **argv) {
    static const cli_job job = {sizeof(sens_run), sens_job, sens_free};
    return cli_run_job(
        "sens", argc, argv,
        OPT_CONFIG | OPT_OUTPUT | OPT_SET | OPT_JSON | OPT_NO_CACHE | OPT_QUIET | OPT_SENS, &job);
}

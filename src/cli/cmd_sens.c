/* cimsweep sens: per-strip sensitivities over MPI, cached, optionally written to -o. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cli/cli.h"
#include "cli/report.h"
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
        report_sens_json(stdout, &s->res, s->cfg->model.file, s->sha, s->cached == 1);
    else
        report_sens_table(stdout, &s->res, s->cached == 1 ? " (cached)" : "");
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

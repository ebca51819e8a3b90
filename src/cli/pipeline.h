/* pipeline: what `sweep` and `eval` both set up - data sets, the model and its hash, the
 * sensitivities of the methods they need (cached), evaluation and calibration images, the
 * crossbar layers and the candidate evaluation environment. */
#ifndef CS_CLI_PIPELINE_H
#define CS_CLI_PIPELINE_H

#include "cli/stage.h"
#include "sweep/sweep.h"

typedef struct pipeline {
    const cs_config *cfg;
    cs_comm *comm;
    data_set train, test;
    nn_net net, work;
    model_meta meta;
    char sha[65];
    sens_result sens[4];
    sens_origin org[4];
    int have[4];
    long *test_idx, n_test, *calib_idx, n_calib;
    sweep_env env;
} pipeline;

/* What to prepare. */
typedef struct pipeline_opts {
    int need[4]; /* sensitivity methods (SENS_*) */
    int fisher;  /* the float model's Fisher information (sweeps) */
    const char *sens_path;
    int no_cache, quiet;
} pipeline_opts;

/* Load data and model, hash the model (pipeline_model), then the rest (pipeline_prepare). */
int pipeline_model(pipeline *p, const cs_config *cfg, cs_comm *comm, cs_error *err);
int pipeline_prepare(pipeline *p, const pipeline_opts *o, cs_error *err);

/* Take a method's sensitivity result out of the pipeline (the caller frees it). */
void pipeline_take_sens(pipeline *p, int method, sens_result *out);

void pipeline_close(pipeline *p);

#endif

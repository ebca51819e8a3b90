/* stage: the pipeline stages several commands share (sensitivity with its cache). */
#ifndef CS_CLI_STAGE_H
#define CS_CLI_STAGE_H

#include "base/comm.h"
#include "cli/setup.h"
#include "io/sens_file.h"
#include "sens/sens.h"

/* Hash identifying the model: SHA-256 of model.file, or of the parameters of a fresh model. */
int stage_model_hash(const cs_config *cfg, const nn_net *net, char hex[65], cs_error *err);

/* Sensitivity of method `method` for the config's model: from `sens_path` when given (it
 * must match model and settings), else from the cache under output.cache_dir unless
 * no_cache, else computed over the ranks (rank 0 writes the cache entry). *cached tells
 * where it came from (0 computed, 1 cache, 2 file). */
int stage_sensitivity(const cs_config *cfg, int method, nn_net *net, const data_set *train,
                      cs_comm *comm, const char *model_sha, const char *sens_path, int no_cache,
                      int quiet, sens_result *out, sens_origin *org, int *cached, cs_error *err);

/* mkdir -p */
int stage_mkdirs(const char *dir, cs_error *err);

/* mkdir -p of the directory holding a file. */
int stage_mkdirs_parent(const char *file, cs_error *err);

#endif

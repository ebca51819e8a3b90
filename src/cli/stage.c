/* The sensitivity stage with its cache. */
#include "cli/stage.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/hash.h"

int stage_model_hash(const cs_config *cfg, const nn_net *net, char hex[65], cs_error *err) {
    if (cfg->model.file[0]) return sha256_file_hex(cfg->model.file, hex, err);
    sha256_hex(net->pblock, sizeof(float) * (size_t)net->p_total, hex);
    return CS_OK;
}

int stage_mkdirs(const char *dir, cs_error *err) {
    char buf[CS_PATH_MAX];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1;; p++) {
        char c = *p;
        if (c == '/' || c == '\0') {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return cs_fail(err, CS_ERR_RUNTIME, "%s: cannot create directory: %s", buf,
                               strerror(errno));
            *p = c;
        }
        if (c == '\0') break;
    }
    return CS_OK;
}

int stage_mkdirs_parent(const char *file, cs_error *err) {
    char dir[CS_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", file);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) return CS_OK;
    *slash = '\0';
    return stage_mkdirs(dir, err);
}

/* The settings a stored result must have been computed with. */
static int check_settings(const char *path, const sens_origin *org, const char *key,
                          cs_error *err) {
    if (strcmp(org->key, key) == 0) return CS_OK;
    return cs_fail(err, CS_ERR_INPUT,
                   "%s: computed with other sensitivity or data settings (method %s, partition "
                   "%s, %ld calibration images, seed %ld); recompute it with this config",
                   path, SENS_METHOD_NAMES[org->opts.method],
                   SENS_PARTITION_NAMES[org->opts.partition], org->opts.calib_samples,
                   org->opts.seed);
}

static int read_stored(const char *path, const nn_net *net, const char *model_sha, const char *key,
                       sens_result *out, sens_origin *org, cs_error *err) {
    int rc = sens_file_read(path, out, org, err);
    if (rc == CS_OK) rc = sens_check_match(path, out, org, net, model_sha, err);
    if (rc == CS_OK) rc = check_settings(path, org, key, err);
    if (rc) sens_result_free(out);
    return rc;
}

int stage_sensitivity(const cs_config *cfg, int method, nn_net *net, const data_set *train,
                      cs_comm *comm, const char *model_sha, const char *sens_path, int no_cache,
                      int quiet, sens_result *out, sens_origin *org, int *cached, cs_error *err) {
    sens_opts o = cfg->sensitivity;
    o.method = method;
    char key[65], cache[CS_PATH_MAX + 96];
    sens_cache_key(model_sha, &o, &cfg->data, key);
    if (sens_path) {
        *cached = 2;
        return read_stored(sens_path, net, model_sha, key, out, org, err);
    }
    snprintf(cache, sizeof cache, "%s/sens-%s.h5", cfg->output.cache_dir, key);
    if (!no_cache && access(cache, R_OK) == 0) {
        cs_error tmp;
        if (read_stored(cache, net, model_sha, key, out, org, &tmp) == CS_OK) {
            *cached = 1;
            if (!quiet && comm->rank == 0)
                fprintf(stderr, "[sens] %s: reusing %s\n", SENS_METHOD_NAMES[method], cache);
            return CS_OK;
        }
        if (!quiet && comm->rank == 0)
            fprintf(stderr, "[sens] ignoring unusable cache entry (%s)\n", tmp.msg);
    }
    *cached = 0;
    memset(org, 0, sizeof *org);
    snprintf(org->model_sha, sizeof org->model_sha, "%s", model_sha);
    snprintf(org->key, sizeof org->key, "%s", key);
    org->opts = o;
    int rc = sens_compute(net, train, &o, comm, quiet, out, err);
    if ((rc = comm_agree(comm, rc, err))) return rc;
    if (comm->rank == 0) {
        rc = stage_mkdirs(cfg->output.cache_dir, err);
        if (rc == CS_OK) rc = sens_file_write(cache, out, org, err);
    }
    return comm_agree(comm, rc, err);
}

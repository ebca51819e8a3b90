/* sens_file: sensitivity results in HDF5 (DESIGN §7): /model/layers (compound table of the
 * strip layout) and /sensitivity/{trace, stderr, omega, probes, layer_trace, history} with
 * attributes (method, partition, tol, seed, calibration size, model hash). The same groups
 * are part of a results file. Files are written atomically. */
#ifndef CS_SENS_FILE_H
#define CS_SENS_FILE_H

#include <hdf5.h>

#include "sens/sens.h"

#define SENS_FORMAT         "cimsweep-sens"
#define SENS_FORMAT_VERSION 1
/* Bumped whenever the computation changes, so old cache entries are not reused. */
#define SENS_ALGORITHM_VERSION 1

/* What a sensitivity result was computed from. */
typedef struct sens_origin {
    char model_sha[65]; /* SHA-256 of the model file */
    char key[65];       /* cache key: model hash + sensitivity and data settings */
    sens_opts opts;
} sens_origin;

/* The cache key of (model file hash, sensitivity settings, data set). */
void sens_cache_key(const char *model_sha, const sens_opts *o, const data_opts *d, char key[65]);

/* Write /model/layers and /sensitivity into an open file. */
int sens_write_groups(hid_t f, const sens_result *r, const sens_origin *org, cs_error *err);

/* Read them back (strip table included) from an open file named path. */
int sens_read_groups(hid_t f, const char *path, sens_result *r, sens_origin *org, cs_error *err);

/* A stand-alone sensitivity file (cache entries, `sens -o`). */
int sens_file_write(const char *path, const sens_result *r, const sens_origin *org, cs_error *err);
int sens_file_read(const char *path, sens_result *r, sens_origin *org, cs_error *err);

/* Check that a result read from path belongs to this network (same strip layout) and model
 * file; CS_ERR_INPUT with a clear message otherwise. */
int sens_check_match(const char *path, const sens_result *r, const sens_origin *org,
                     const nn_net *net, const char *model_sha, cs_error *err);

#endif

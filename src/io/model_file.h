/* model_file: HDF5 model files (DESIGN §2): /params/<state-dict name> float32 datasets in
 * PyTorch shapes, attributes for the architecture (format "cimsweep-model"). */
#ifndef CS_MODEL_FILE_H
#define CS_MODEL_FILE_H

#include "base/base.h"
#include "nn/nn.h"

#define MODEL_FORMAT         "cimsweep-model"
#define MODEL_FORMAT_VERSION 1

typedef struct model_meta {
    char dataset[64]; /* data set the model was trained for ("fashion-mnist", ...) */
    long epochs;      /* epochs trained (0 = unknown / random) */
    double test_top1; /* test accuracy in percent when written by train, else NaN */
    double train_seconds;
    char producer[256]; /* e.g. "cimsweep train 0.1.0 (g1234)" or "torch_export.py" */
} model_meta;

/* Write net and meta to path atomically (temporary file, then rename). */
int model_write(const char *path, const nn_net *net, const model_meta *meta, cs_error *err);

/* Build the network described by the file and load its parameters. Errors name the file
 * and the missing / mis-shaped parameter. */
int model_read(const char *path, nn_net *net, model_meta *meta, cs_error *err);

/* Training checkpoint: the model plus the SGD velocity, epochs done and the hash of the
 * training config, written atomically after every epoch. */
typedef struct train_state {
    float *velocity; /* net->p_total floats */
    long epochs_done;
    double seconds; /* training wall time so far */
    char config_hash[65];
} train_state;

int checkpoint_write(const char *path, const nn_net *net, const model_meta *meta,
                     const train_state *st, cs_error *err);

/* Read a checkpoint into an already built net of the same architecture. */
int checkpoint_read(const char *path, nn_net *net, train_state *st, cs_error *err);

#endif

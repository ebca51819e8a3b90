/* data: image classification sets (Fashion-MNIST / MNIST IDX .gz, CIFAR-10 binary batches,
 * a seeded synthetic set), normalisation, deterministic subsets and augmented batches.
 *
 * Images are kept as bytes (channel-major per image) and turned into normalised floats only
 * when a batch is assembled, so CIFAR-10's training set costs 150 MB, not 600 MB. */
#ifndef CS_DATA_H
#define CS_DATA_H

#include <stdint.h>

#include "base/base.h"
#include "nn/nn.h"

enum { DATA_FASHION_MNIST, DATA_MNIST, DATA_CIFAR10, DATA_SYNTHETIC };
extern const char *const DATA_KIND_NAMES[]; /* "fashion-mnist", "mnist", "cifar10", "synthetic" */

enum { DATA_TRAIN, DATA_TEST };

typedef struct data_synth_opts {
    long channels, size, classes, train, test;
} data_synth_opts;

typedef struct data_opts {
    int kind;
    char path[CS_PATH_MAX];
    long eval_samples;  /* 0 = the whole test set */
    long train_samples; /* 0 = the whole training set */
    long seed;
    data_synth_opts synthetic;
} data_opts;

typedef struct data_set {
    int kind;
    long n;
    int c, h, w, classes;
    uint8_t *pixels; /* n x c x h x w */
    uint8_t *labels; /* n */
    float mean[3], std[3];
    char source[CS_PATH_MAX]; /* file or description, for messages */
} data_set;

/* Load a split. Errors name the file and what was wrong (bad magic, count mismatch,
 * truncation, wrong image size). */
int data_load(const data_opts *o, int split, data_set *out, cs_error *err);

void data_free(data_set *d);

/* Deterministic subset of `count` distinct indices of d chosen by (seed, purpose); count = 0
 * or >= n gives all indices in order. The subset is sorted. idx must hold count entries. */
int data_subset(const data_set *d, long count, uint64_t seed, uint32_t purpose, long *idx,
                long *n_out, cs_error *err);

/* Assemble images idx[0..n) as normalised floats, NCHW, into out (n*c*h*w floats).
 * With augment, image idx[i] gets the crop/flip drawn from (seed, epoch, idx[i]). */
void data_batch(const data_set *d, const long *idx, int n, float *out, int augment, uint64_t seed,
                long epoch);

/* Labels of idx[0..n) into out. */
void data_labels(const data_set *d, const long *idx, int n, uint8_t *out);

/* A data set (or a subset of it, in a given order) as a batch source for nn/. */
typedef struct data_feed {
    const data_set *d;
    const long *idx; /* images in order; NULL = 0..n-1 */
    long n;
    int augment;
    uint64_t seed;
    long epoch;
} data_feed;

/* The feed as an nn_source (the feed must outlive the source). */
nn_source data_source(data_feed *f);

/* A data set as the description printed by `info` ("fashion-mnist test, 10000 images ..."). */
void data_describe(const data_set *d, char *buf, int n);

#endif

/* Reading data sets: IDX (MNIST / Fashion-MNIST, gzip or plain), CIFAR-10 binary batches,
 * and the seeded synthetic set. Every failure names the file and what was wrong. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "base/rng.h"
#include "data/data.h"

#define IDX_IMAGES_MAGIC 0x00000803u
#define IDX_LABELS_MAGIC 0x00000801u
#define CIFAR_RECORD     3073L
#define CIFAR_PER_FILE   10000L

/* Read exactly n bytes from a gzip (or plain) stream; CS_ERR_INPUT on truncation. */
static int gz_read_exact(gzFile g, void *buf, size_t n, const char *path, const char *what,
                         cs_error *err) {
    size_t got = 0;
    while (got < n) {
        unsigned chunk = n - got > (1u << 30) ? (1u << 30) : (unsigned)(n - got);
        int r = gzread(g, (char *)buf + got, chunk);
        if (r < 0) {
            int e;
            const char *m = gzerror(g, &e);
            return cs_fail(err, CS_ERR_INPUT, "%s: corrupt gzip data while reading %s: %s", path,
                           what, m);
        }
        if (r == 0)
            return cs_fail(err, CS_ERR_INPUT, "%s: truncated: %s needs %zu bytes, found %zu", path,
                           what, n, got);
        got += (size_t)r;
    }
    return CS_OK;
}

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static gzFile open_gz(const char *path, cs_error *err) {
    struct stat st;
    if (stat(path, &st) != 0) {
        cs_fail(err, CS_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        cs_fail(err, CS_ERR_INPUT, "%s: not a regular file", path);
        return NULL;
    }
    gzFile g = gzopen(path, "rb");
    if (!g) cs_fail(err, CS_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    return g;
}

/* After the payload the stream must end: trailing data means a wrong file. */
static int gz_expect_end(gzFile g, const char *path, cs_error *err) {
    char extra;
    int r = gzread(g, &extra, 1);
    if (r < 0) return cs_fail(err, CS_ERR_INPUT, "%s: corrupt gzip data at the end", path);
    if (r > 0) return cs_fail(err, CS_ERR_INPUT, "%s: more data than the header announces", path);
    return CS_OK;
}

static int idx_images(const char *path, data_set *d, cs_error *err) {
    gzFile g = open_gz(path, err);
    if (!g) return CS_ERR_INPUT;
    unsigned char h[16];
    int rc = gz_read_exact(g, h, 16, path, "the IDX header", err);
    if (rc == CS_OK && be32(h) != IDX_IMAGES_MAGIC)
        rc = cs_fail(err, CS_ERR_INPUT, "%s: bad magic 0x%08x, expected 0x%08x (IDX images)", path,
                     be32(h), IDX_IMAGES_MAGIC);
    uint32_t n = be32(h + 4), rows = be32(h + 8), cols = be32(h + 12);
    if (rc == CS_OK && (rows != 28 || cols != 28))
        rc = cs_fail(err, CS_ERR_INPUT, "%s: images are %ux%u, expected 28x28", path, rows, cols);
    if (rc == CS_OK && (n == 0 || n > 10000000))
        rc = cs_fail(err, CS_ERR_INPUT, "%s: implausible image count %u", path, n);
    if (rc == CS_OK) {
        d->n = n;
        d->c = 1;
        d->h = (int)rows;
        d->w = (int)cols;
        d->pixels = cs_alloc((size_t)n * rows * cols, 1, err);
        rc = d->pixels
                 ? gz_read_exact(g, d->pixels, (size_t)n * rows * cols, path, "the images", err)
                 : CS_ERR_RUNTIME;
    }
    if (rc == CS_OK) rc = gz_expect_end(g, path, err);
    gzclose(g);
    return rc;
}

static int idx_labels(const char *path, data_set *d, cs_error *err) {
    gzFile g = open_gz(path, err);
    if (!g) return CS_ERR_INPUT;
    unsigned char h[8];
    int rc = gz_read_exact(g, h, 8, path, "the IDX header", err);
    if (rc == CS_OK && be32(h) != IDX_LABELS_MAGIC)
        rc = cs_fail(err, CS_ERR_INPUT, "%s: bad magic 0x%08x, expected 0x%08x (IDX labels)", path,
                     be32(h), IDX_LABELS_MAGIC);
    if (rc == CS_OK && be32(h + 4) != (uint32_t)d->n)
        rc = cs_fail(err, CS_ERR_INPUT, "%s: %u labels, but the image file holds %ld images", path,
                     be32(h + 4), d->n);
    if (rc == CS_OK) {
        d->labels = cs_alloc((size_t)d->n, 1, err);
        rc = d->labels ? gz_read_exact(g, d->labels, (size_t)d->n, path, "the labels", err)
                       : CS_ERR_RUNTIME;
    }
    if (rc == CS_OK) rc = gz_expect_end(g, path, err);
    for (long i = 0; rc == CS_OK && i < d->n; i++)
        if (d->labels[i] > 9)
            rc = cs_fail(err, CS_ERR_INPUT, "%s: label %d of image %ld is not in 0..9", path,
                         d->labels[i], i);
    gzclose(g);
    return rc;
}

/* Find "<dir>/<stem>" with or without ".gz". */
static void idx_path(const char *dir, const char *stem, char *out, size_t n) {
    struct stat st;
    snprintf(out, n, "%s/%s.gz", dir, stem);
    if (stat(out, &st) == 0) return;
    snprintf(out, n, "%s/%s", dir, stem);
    if (stat(out, &st) == 0) return;
    snprintf(out, n, "%s/%s.gz", dir, stem);
}

static int load_idx(const data_opts *o, int split, data_set *d, cs_error *err) {
    const char *pre = split == DATA_TRAIN ? "train" : "t10k";
    char img[CS_PATH_MAX + 64], lab[CS_PATH_MAX + 64], stem[64];
    snprintf(stem, sizeof stem, "%s-images-idx3-ubyte", pre);
    idx_path(o->path, stem, img, sizeof img);
    snprintf(stem, sizeof stem, "%s-labels-idx1-ubyte", pre);
    idx_path(o->path, stem, lab, sizeof lab);
    int rc = idx_images(img, d, err);
    if (rc == CS_OK) rc = idx_labels(lab, d, err);
    d->classes = 10;
    snprintf(d->source, sizeof d->source, "%s", img);
    return rc;
}

static int load_cifar_file(const char *path, data_set *d, long at, cs_error *err) {
    struct stat st;
    if (stat(path, &st) != 0)
        return cs_fail(err, CS_ERR_INPUT, "%s: cannot open: %s (CIFAR-10 binary version)", path,
                       strerror(errno));
    if (st.st_size != CIFAR_RECORD * CIFAR_PER_FILE)
        return cs_fail(err, CS_ERR_INPUT,
                       "%s: %lld bytes, expected %ld (10000 records of 1 label + 3072 pixels)",
                       path, (long long)st.st_size, CIFAR_RECORD * CIFAR_PER_FILE);
    FILE *f = fopen(path, "rb");
    if (!f) return cs_fail(err, CS_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    unsigned char rec[CIFAR_RECORD];
    int rc = CS_OK;
    for (long i = 0; i < CIFAR_PER_FILE && rc == CS_OK; i++) {
        if (fread(rec, 1, CIFAR_RECORD, f) != (size_t)CIFAR_RECORD)
            rc = cs_fail(err, CS_ERR_INPUT, "%s: truncated at record %ld", path, i);
        else if (rec[0] > 9)
            rc = cs_fail(err, CS_ERR_INPUT, "%s: record %ld has label %d, expected 0..9", path, i,
                         rec[0]);
        else {
            d->labels[at + i] = rec[0];
            memcpy(d->pixels + (at + i) * 3072, rec + 1, 3072);
        }
    }
    fclose(f);
    return rc;
}

static int load_cifar(const data_opts *o, int split, data_set *d, cs_error *err) {
    int files = split == DATA_TRAIN ? 5 : 1;
    d->n = files * CIFAR_PER_FILE;
    d->c = 3;
    d->h = d->w = 32;
    d->classes = 10;
    d->pixels = cs_alloc((size_t)d->n * 3072, 1, err);
    d->labels = cs_alloc((size_t)d->n, 1, err);
    if (!d->pixels || !d->labels) return CS_ERR_RUNTIME;
    char path[CS_PATH_MAX + 64];
    for (int k = 0; k < files; k++) {
        if (split == DATA_TRAIN)
            snprintf(path, sizeof path, "%s/data_batch_%d.bin", o->path, k + 1);
        else
            snprintf(path, sizeof path, "%s/test_batch.bin", o->path);
        int rc = load_cifar_file(path, d, k * CIFAR_PER_FILE, err);
        if (rc) return rc;
        if (k == 0) snprintf(d->source, sizeof d->source, "%s", path);
    }
    return CS_OK;
}

/* Synthetic set: each class has a smooth random prototype; images are the prototype plus
 * noise, so small networks learn it quickly. Train and test draw disjoint noise. */
static int load_synthetic(const data_opts *o, int split, data_set *d, cs_error *err) {
    const data_synth_opts *s = &o->synthetic;
    d->n = split == DATA_TRAIN ? s->train : s->test;
    d->c = (int)s->channels;
    d->h = d->w = (int)s->size;
    d->classes = (int)s->classes;
    long pix = (long)d->c * d->h * d->w;
    d->pixels = cs_alloc((size_t)(d->n * pix), 1, err);
    d->labels = cs_alloc((size_t)d->n, 1, err);
    float *proto = cs_alloc((size_t)(d->classes * pix), sizeof(float), err);
    if (!d->pixels || !d->labels || !proto) {
        free(proto);
        return CS_ERR_RUNTIME;
    }
    for (int k = 0; k < d->classes; k++) {
        rng_stream r;
        rng_init(&r, (uint64_t)o->seed, RNG_SYNTH, (uint64_t)k);
        double fx = 1 + rng_below(&r, 3), fy = 1 + rng_below(&r, 3), ph = rng_uniform(&r) * 6.28;
        for (long p = 0; p < pix; p++) {
            long x = p % d->w, y = (p / d->w) % d->h;
            proto[k * pix + p] =
                (float)(sin(fx * x * 0.7 + ph) * cos(fy * y * 0.7 - ph) + 0.5 * rng_normal(&r));
        }
    }
    for (long i = 0; i < d->n; i++) {
        rng_stream r;
        rng_init(&r, (uint64_t)o->seed, RNG_SYNTH,
                 (1ull << 40) * (uint64_t)(split + 1) + (uint64_t)i);
        int k = (int)rng_below(&r, (uint64_t)d->classes);
        d->labels[i] = (uint8_t)k;
        for (long p = 0; p < pix; p++) {
            double v = 128 + 50 * proto[k * pix + p] + 40 * rng_normal(&r);
            d->pixels[i * pix + p] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
    free(proto);
    snprintf(d->source, sizeof d->source, "synthetic(seed %ld)", o->seed);
    return CS_OK;
}

static void set_normalisation(data_set *d) {
    static const float fm[2] = {0.2860f, 0.3530f}, mn[2] = {0.1307f, 0.3081f};
    static const float cm[3] = {0.4914f, 0.4822f, 0.4465f}, cs[3] = {0.2470f, 0.2435f, 0.2616f};
    for (int c = 0; c < 3; c++) {
        switch (d->kind) {
        case DATA_FASHION_MNIST:
            d->mean[c] = fm[0], d->std[c] = fm[1];
            break;
        case DATA_MNIST:
            d->mean[c] = mn[0], d->std[c] = mn[1];
            break;
        case DATA_CIFAR10:
            d->mean[c] = cm[c], d->std[c] = cs[c];
            break;
        default:
            d->mean[c] = 0.5f, d->std[c] = 0.25f;
            break;
        }
    }
}

int data_load(const data_opts *o, int split, data_set *out, cs_error *err) {
    memset(out, 0, sizeof *out);
    out->kind = o->kind;
    int rc;
    switch (o->kind) {
    case DATA_FASHION_MNIST:
    case DATA_MNIST:
        rc = load_idx(o, split, out, err);
        break;
    case DATA_CIFAR10:
        rc = load_cifar(o, split, out, err);
        break;
    default:
        rc = load_synthetic(o, split, out, err);
        break;
    }
    if (rc) {
        data_free(out);
        return rc;
    }
    set_normalisation(out);
    return CS_OK;
}

void data_free(data_set *d) {
    free(d->pixels);
    free(d->labels);
    d->pixels = d->labels = NULL;
    d->n = 0;
}

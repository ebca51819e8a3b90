/* Fisher information (E6) of the quantizable weights and the distance between two models
 * (E7).
 *
 * Samples: fim.samples training images chosen by fim.seed, in fixed blocks of fim.batch.
 * A block is one batch on whichever rank owns it, so its per-sample gradients do not depend
 * on the number of ranks; block results are combined in block order.
 *
 * `diag` keeps F's diagonal, (1/N) sum_n g_n^2. `gram` keeps the per-sample gradients and
 * their Gram matrix, and gets ||F - F'||_F without forming F (E7):
 *   ||F - F'||^2 = (1/N^2) sum_ij [(g_i.g_j)^2 - 2 (g_i.g'_j)^2 + (g'_i.g'_j)^2].
 * When N x P floats do not fit, fim.sketch_dim = k > 0 replaces each gradient by a count
 * sketch: parameter b goes to bucket h(b) with sign s(b), both from the seeded stream
 * (seed, sketch, b). Sketched inner products are unbiased, E[g^.h^] = g.h, with variance at
 * most 2 ||g||^2 ||h||^2 / k: the relative error of each Gram entry is about sqrt(2/k)
 * (k = 4096: ~2 %), and the distance inherits it. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "sens/sens.h"

typedef struct fim_run {
    nn_net *net;
    const data_set *d;
    const fim_opts *o;
    const long *idx; /* the N samples */
    long n;
    int32_t *bucket; /* sketch: bucket | sign bit, per parameter; NULL = exact */
    long dim;
    float *x, *g;
    uint8_t *y;
} fim_run;

/* Labels of log p(y|x): the true ones, or drawn from the model's own softmax with a uniform
 * from (seed, fisher, sample) - the same draw for every model, so comparisons are paired. */
static void block_labels(fim_run *f, long b0, int n) {
    data_labels(f->d, f->idx + b0, n, f->y);
    if (f->o->labels == FIM_LABELS_TRUE) return;
    for (int i = 0; i < n; i++) {
        rng_stream r;
        rng_init(&r, (uint64_t)f->o->seed, RNG_FISHER, (1ull << 40) + (uint64_t)f->idx[b0 + i]);
        double u = rng_uniform(&r), acc = 0;
        int k = 0;
        for (; k < f->net->classes - 1; k++) {
            acc += f->net->prob[(long)k * n + i];
            if (u < acc) break;
        }
        f->y[i] = (uint8_t)k;
    }
}

/* One block: forward, per-sample gradients; diag sums into out (q_total doubles), or the
 * (sketched) gradients into out rows (n x dim floats). */
static void run_block(fim_run *f, long b0, int n, void *out) {
    nn_net *net = f->net;
    data_batch(f->d, f->idx + b0, n, f->x, 0, 0, 0);
    nn_forward(net, f->x, n);
    nn_loss_value(net, f->y); /* softmax for sampled labels */
    block_labels(f, b0, n);
    nn_loss(net, f->y, 1.0f);
    nn_backward(net, 0);
    for (int i = 0; i < n; i++) {
        nn_sample_grad(net, i, f->g);
        if (f->o->kind == FIM_DIAG) {
            double *diag = out;
            for (long j = 0; j < net->q_total; j++) diag[j] += (double)f->g[j] * f->g[j];
        } else if (!f->bucket) {
            memcpy((float *)out + (long)i * f->dim, f->g, sizeof(float) * (size_t)f->dim);
        } else {
            float *row = (float *)out + (long)i * f->dim;
            memset(row, 0, sizeof(float) * (size_t)f->dim);
            for (long j = 0; j < net->q_total; j++) {
                int32_t h = f->bucket[j];
                row[h & 0x7fffffff] += h < 0 ? -f->g[j] : f->g[j];
            }
        }
    }
}

static int make_sketch(fim_run *f, cs_error *err) {
    f->bucket = cs_alloc((size_t)f->net->q_total, sizeof(int32_t), err);
    if (!f->bucket) return CS_ERR_RUNTIME;
    for (long j = 0; j < f->net->q_total; j++) {
        rng_stream r;
        rng_init(&r, (uint64_t)f->o->seed, RNG_SKETCH, (uint64_t)j);
        uint32_t h = (uint32_t)rng_below(&r, (uint64_t)f->dim);
        f->bucket[j] = (int32_t)(h | (rng_u32(&r) & 0x80000000u));
    }
    return CS_OK;
}

/* Gram matrix in double, out[i][j] = a_i . b_j, by chunks of columns converted to double
 * (E7 subtracts nearly equal sums of squares; float inner products would not do). */
static int gram_of(const float *a, const float *b, long n, long dim, double *out, cs_error *err) {
    const long chunk = 2048;
    double *ad = cs_alloc((size_t)(n * chunk), sizeof(double), err);
    double *bd = cs_alloc((size_t)(n * chunk), sizeof(double), err);
    if (!ad || !bd) {
        free(ad);
        free(bd);
        return CS_ERR_RUNTIME;
    }
    for (long k0 = 0; k0 < dim; k0 += chunk) {
        long kc = dim - k0 < chunk ? dim - k0 : chunk;
        for (long i = 0; i < n; i++)
            for (long k = 0; k < kc; k++) {
                ad[i * kc + k] = a[i * dim + k0 + k];
                bd[i * kc + k] = b[i * dim + k0 + k];
            }
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)n, (int)kc, 1.0, ad,
                    (int)kc, bd, (int)kc, k0 ? 1.0 : 0.0, out, (int)n);
    }
    free(ad);
    free(bd);
    return CS_OK;
}

static int fim_blocks(fim_run *f, cs_comm *comm, fim_state *out, cs_error *err) {
    long nb = (f->n + f->o->batch - 1) / f->o->batch;
    int diag = f->o->kind == FIM_DIAG;
    int *owner = cs_alloc((size_t)nb, sizeof *owner, err);
    void **bufs = cs_alloc((size_t)nb, sizeof *bufs, err);
    size_t *bytes = cs_alloc((size_t)nb, sizeof *bytes, err);
    int rc = owner && bufs && bytes ? comm_balance(comm, nb, NULL, owner, err) : CS_ERR_RUNTIME;
    for (long b = 0; b < nb && rc == CS_OK; b++) {
        long b0 = b * f->o->batch, n = f->n - b0 < f->o->batch ? f->n - b0 : f->o->batch;
        bytes[b] =
            diag ? sizeof(double) * (size_t)f->net->q_total : sizeof(float) * (size_t)(n * f->dim);
        bufs[b] = cs_alloc(bytes[b], 1, err);
        if (!bufs[b])
            rc = CS_ERR_RUNTIME;
        else if (owner[b] == comm->rank)
            run_block(f, b0, (int)n, bufs[b]);
    }
    rc = comm_agree(comm, rc, err);
    if (rc == CS_OK) rc = comm_share_units(comm, nb, owner, bufs, bytes, err);
    for (long b = 0; b < nb && rc == CS_OK; b++) {
        if (diag) {
            const double *p = bufs[b];
            for (long j = 0; j < f->net->q_total; j++) out->diag[j] += p[j];
        } else {
            memcpy(out->grads + b * f->o->batch * f->dim, bufs[b], bytes[b]);
        }
    }
    for (long b = 0; bufs && b < nb; b++) free(bufs[b]);
    free(owner);
    free(bufs);
    free(bytes);
    return rc;
}

int fim_compute(nn_net *net, const data_set *d, const fim_opts *o, cs_comm *comm, fim_state *out,
                cs_error *err) {
    memset(out, 0, sizeof *out);
    if (o->samples > d->n)
        return cs_fail(err, CS_ERR_INPUT,
                       "fim.samples = %ld exceeds the %ld images of the %s "
                       "training set",
                       o->samples, d->n, DATA_KIND_NAMES[d->kind]);
    if (o->batch > net->batch_cap)
        return cs_fail(err, CS_ERR_RUNTIME, "network planned for %d images, fim.batch = %ld",
                       net->batch_cap, o->batch);
    fim_run f = {net, d, o, NULL, 0, NULL, 0, NULL, NULL, NULL};
    long *idx = cs_alloc((size_t)d->n, sizeof *idx, err);
    int rc = idx ? data_subset(d, o->samples, (uint64_t)o->seed, RNG_FISHER, idx, &f.n, err)
                 : CS_ERR_RUNTIME;
    f.idx = idx;
    f.dim = o->sketch_dim > 0 && o->kind == FIM_GRAM ? o->sketch_dim : net->q_total;
    out->kind = o->kind;
    out->n = f.n;
    out->dim = f.dim;
    long pix = (long)d->c * d->h * d->w;
    f.x = cs_alloc((size_t)(o->batch * pix), sizeof(float), err);
    f.y = cs_alloc((size_t)o->batch, 1, err);
    f.g = cs_alloc((size_t)net->q_total, sizeof(float), err);
    if (o->kind == FIM_DIAG)
        out->diag = cs_alloc((size_t)net->q_total, sizeof(double), err);
    else
        out->grads = cs_alloc((size_t)(f.n * f.dim), sizeof(float), err);
    if (rc == CS_OK && (!f.x || !f.y || !f.g || !(out->diag || out->grads))) rc = CS_ERR_RUNTIME;
    if (rc == CS_OK && o->kind == FIM_GRAM && o->sketch_dim > 0) rc = make_sketch(&f, err);
    if (rc == CS_OK) rc = fim_blocks(&f, comm, out, err);
    if (rc == CS_OK && o->kind == FIM_DIAG) {
        for (long j = 0; j < net->q_total; j++) {
            out->diag[j] /= (double)f.n;
            out->norm2 += out->diag[j] * out->diag[j];
        }
    } else if (rc == CS_OK) {
        out->gram = cs_alloc((size_t)(f.n * f.n), sizeof(double), err);
        rc = out->gram ? gram_of(out->grads, out->grads, f.n, f.dim, out->gram, err)
                       : CS_ERR_RUNTIME;
        for (long i = 0; rc == CS_OK && i < f.n * f.n; i++)
            out->norm2 += out->gram[i] * out->gram[i];
        out->norm2 /= (double)f.n * (double)f.n;
    }
    free(idx);
    free(f.bucket);
    free(f.x);
    free(f.y);
    free(f.g);
    if (rc) fim_free(out);
    return rc;
}

double fim_distance(const fim_state *a, const fim_state *b) {
    if (a->norm2 <= 0) return NAN;
    double s = 0;
    if (a->kind == FIM_DIAG) {
        for (long j = 0; j < a->dim; j++) {
            double d = a->diag[j] - b->diag[j];
            s += d * d;
        }
        return sqrt(s / a->norm2);
    }
    long n = a->n;
    double *cross = malloc(sizeof(double) * (size_t)(n * n));
    if (!cross || gram_of(a->grads, b->grads, n, a->dim, cross, NULL) != CS_OK) {
        free(cross);
        return NAN;
    }
    for (long i = 0; i < n * n; i++)
        s += a->gram[i] * a->gram[i] - 2 * cross[i] * cross[i] + b->gram[i] * b->gram[i];
    free(cross);
    s /= (double)n * (double)n;
    return sqrt(s > 0 ? s / a->norm2 : 0);
}

void fim_free(fim_state *f) {
    free(f->diag);
    free(f->grads);
    free(f->gram);
    memset(f, 0, sizeof *f);
}

/* cimsweep train: SGD with momentum and weight decay, cosine or step schedule, augmentation,
 * a checkpoint after every epoch and --resume. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "base/rng.h"
#include "cli/cli.h"
#include "cli/setup.h"
#include "cli/stage.h"
#include "cs_version.h"
#include "sweep/mpi_comm.h"

typedef struct trainer {
    const cs_config *cfg;
    data_set train, test;
    nn_net net;
    model_meta meta;
    train_state st;
    long *order, n_train;
    float *x;
    uint8_t *y;
    char out[CS_PATH_MAX], ckpt[CS_PATH_MAX + 8];
    int quiet;
    cs_comm comm; /* data-parallel ranks: each takes a slice of every batch */
} trainer;

/* Ranks keep their own BN running statistics; the model gets their average. */
static int average_running_stats(trainer *t, cs_error *err) {
    if (t->comm.size == 1) return CS_OK;
    for (int i = 0; i < t->net.n_params; i++) {
        nn_param *p = &t->net.params[i];
        if (p->trainable) continue;
        double *tmp = cs_alloc((size_t)p->size, sizeof *tmp, err);
        if (!tmp) return CS_ERR_RUNTIME;
        for (long j = 0; j < p->size; j++) tmp[j] = p->data[j];
        int rc = t->comm.allreduce_sum(&t->comm, tmp, p->size, err);
        for (long j = 0; j < p->size && rc == CS_OK; j++)
            p->data[j] = (float)(tmp[j] / t->comm.size);
        free(tmp);
        if (rc) return rc;
    }
    return CS_OK;
}

static void trainer_free(trainer *t) {
    data_free(&t->train);
    data_free(&t->test);
    nn_free(&t->net);
    free(t->st.velocity);
    free(t->order);
    free(t->x);
    free(t->y);
}

static int trainer_init(trainer *t, const cli_opts *o, cs_error *err) {
    const cs_config *cfg = t->cfg;
    const char *out = o->output ? o->output : cfg->model.file;
    if (!out[0])
        return cs_fail(err, CS_ERR_INPUT, "no output file: give -o MODEL.h5 or set model.file");
    snprintf(t->out, sizeof t->out, "%s", out);
    snprintf(t->ckpt, sizeof t->ckpt, "%s.ckpt", out);
    if (t->comm.rank == 0 && stage_mkdirs_parent(out, err) != CS_OK) return CS_ERR_RUNTIME;
    int rc = setup_data(cfg, DATA_TRAIN, &t->train, err);
    if (rc == CS_OK) rc = setup_data(cfg, DATA_TEST, &t->test, err);
    if (rc) return rc;
    if (cfg->train.init == NN_INIT_FILE)
        rc = setup_model(cfg, &t->train, &t->net, &t->meta, err);
    else
        rc = setup_fresh_model(cfg, &t->train, &t->net, &t->meta, err);
    if (rc == CS_OK) rc = nn_plan(&t->net, (int)cfg->train.batch, NN_PLAN_GRAD, err);
    if (rc) return rc;
    long pix = (long)t->train.c * t->train.h * t->train.w;
    t->st.velocity = cs_alloc_aligned((size_t)t->net.p_total, sizeof(float), err);
    t->order = cs_alloc((size_t)t->train.n, sizeof(long), err);
    t->x = cs_alloc((size_t)(cfg->train.batch * pix), sizeof(float), err);
    t->y = cs_alloc((size_t)cfg->train.batch, 1, err);
    if (!t->st.velocity || !t->order || !t->x || !t->y) return CS_ERR_RUNTIME;
    rc = data_subset(&t->train, cfg->data.train_samples, (uint64_t)cfg->data.seed, RNG_SUBSET,
                     t->order, &t->n_train, err);
    if (rc) return rc;
    if (config_hash(cfg, t->st.config_hash, err)) return CS_ERR_RUNTIME;
    return CS_OK;
}

static int trainer_resume(trainer *t, cs_error *err) {
    if (access(t->ckpt, F_OK) != 0)
        return cs_fail(err, CS_ERR_INPUT, "%s: no checkpoint to resume from", t->ckpt);
    char want[65];
    memcpy(want, t->st.config_hash, sizeof want);
    int rc = checkpoint_read(t->ckpt, &t->net, &t->st, err);
    if (rc) return rc;
    if (strcmp(want, t->st.config_hash) != 0)
        return cs_fail(err, CS_ERR_INPUT,
                       "%s: written for another configuration (hash %.12s, this config %.12s); "
                       "start without --resume or restore the config",
                       t->ckpt, t->st.config_hash, want);
    if (t->st.epochs_done >= t->cfg->train.epochs)
        return cs_fail(err, CS_ERR_INPUT, "%s: all %ld epochs are done already", t->ckpt,
                       t->st.epochs_done);
    return CS_OK;
}

/* This rank's slice [*lo, *hi) of a batch of n images. */
static void rank_slice(const cs_comm *c, int n, int *lo, int *hi) {
    *lo = (int)((long)n * c->rank / c->size);
    *hi = (int)((long)n * (c->rank + 1) / c->size);
}

/* One epoch of SGD over the shuffled training subset. Every rank computes the gradient of
 * its slice of the batch (scaled by the whole batch size) and the gradients are summed, so
 * all ranks take the same step. Batch-norm statistics are per slice, as in PyTorch's DDP
 * without SyncBatchNorm. */
static int train_epoch(trainer *t, long epoch, double *loss_out, double *acc_out, cs_error *err) {
    const nn_train_opts *o = &t->cfg->train;
    long *perm = cs_alloc((size_t)t->n_train, sizeof *perm, err);
    if (!perm) return CS_ERR_RUNTIME;
    memcpy(perm, t->order, sizeof(long) * (size_t)t->n_train);
    rng_stream r;
    rng_init(&r, (uint64_t)o->seed, RNG_SHUFFLE, (uint64_t)epoch);
    rng_shuffle(&r, perm, t->n_train);
    long batches = (t->n_train + o->batch - 1) / o->batch, top1 = 0, top5 = 0;
    double sums[3] = {0, 0, 0}; /* loss, images, top-1 of this rank */
    cs_progress pr;
    char what[64];
    snprintf(what, sizeof what, "train epoch %ld/%ld", epoch + 1, o->epochs);
    cs_progress_start(&pr, what, batches, t->quiet || t->comm.rank != 0);
    t->net.train_mode = 1;
    int rc = CS_OK;
    for (long b = 0; b < batches && rc == CS_OK; b++) {
        int n = (int)(t->n_train - b * o->batch < o->batch ? t->n_train - b * o->batch : o->batch);
        int lo, hi;
        rank_slice(&t->comm, n, &lo, &hi);
        const long *idx = perm + b * o->batch + lo;
        memset(t->net.gblock, 0, sizeof(float) * (size_t)t->net.p_total);
        if (hi > lo) {
            data_batch(&t->train, idx, hi - lo, t->x, o->augment, (uint64_t)o->seed, epoch);
            data_labels(&t->train, idx, hi - lo, t->y);
            nn_forward(&t->net, t->x, hi - lo);
            sums[0] += nn_loss(&t->net, t->y, 1.0f / (float)n);
            nn_count_hits(&t->net, t->y, hi - lo, &top1, &top5);
            nn_backward(&t->net, 1);
            sums[1] += hi - lo;
        }
        rc = t->comm.allreduce_sum_f(&t->comm, t->net.gblock, t->net.p_total, err);
        double lr = nn_lr_at(o, epoch, (double)b / (double)batches);
        nn_sgd_step(&t->net, t->st.velocity, lr, o->momentum, o->weight_decay);
        if (!isfinite(sums[0]))
            rc = cs_fail(err, CS_ERR_RUNTIME,
                         "training diverged in epoch %ld (loss is not finite); lower train.lr",
                         epoch + 1);
        char detail[160];
        snprintf(detail, sizeof detail, "loss %.4f  acc %.2f%%  lr %.4g",
                 sums[0] / (sums[1] > 0 ? sums[1] : 1), 100.0 * top1 / (sums[1] > 0 ? sums[1] : 1),
                 lr);
        cs_progress_update(&pr, b + 1, detail, 0);
    }
    t->net.train_mode = 0;
    free(perm);
    sums[2] = (double)top1;
    if (rc == CS_OK) rc = t->comm.allreduce_sum(&t->comm, sums, 3, err);
    if (rc == CS_OK) rc = average_running_stats(t, err);
    *loss_out = sums[0] / sums[1];
    *acc_out = 100.0 * sums[2] / sums[1];
    return rc;
}

/* Test accuracy, the test set split over the ranks. */
static int test_accuracy(trainer *t, nn_eval_result *res, cs_error *err) {
    long lo = t->test.n * t->comm.rank / t->comm.size;
    long hi = t->test.n * (t->comm.rank + 1) / t->comm.size;
    long *idx = cs_alloc((size_t)(hi - lo + 1), sizeof *idx, err);
    if (!idx) return CS_ERR_RUNTIME;
    for (long i = lo; i < hi; i++) idx[i - lo] = i;
    data_feed feed = {&t->test, idx, hi - lo, 0, 0, 0};
    nn_source src = data_source(&feed);
    int rc = nn_evaluate(&t->net, &src, t->x, t->y, res, err);
    free(idx);
    double v[4] = {(double)res->samples, (double)res->top1, (double)res->top5, res->loss_sum};
    if (rc == CS_OK) rc = t->comm.allreduce_sum(&t->comm, v, 4, err);
    res->samples = (long)v[0];
    res->top1 = (long)v[1];
    res->top5 = (long)v[2];
    res->loss_sum = v[3];
    return rc;
}

static void print_json(const trainer *t, const nn_eval_result *res) {
    json_writer w;
    json_begin(&w, stdout);
    json_object_begin(&w);
    json_kv_string(&w, "model", t->out);
    json_kv_string(&w, "arch", NN_ARCH_NAMES[t->net.arch]);
    json_kv_string(&w, "dataset", DATA_KIND_NAMES[t->test.kind]);
    json_kv_int(&w, "epochs", t->st.epochs_done);
    json_kv_int(&w, "samples", res->samples);
    json_kv_number(&w, "top1", 100.0 * res->top1 / res->samples);
    json_kv_number(&w, "top5", 100.0 * res->top5 / res->samples);
    json_kv_number(&w, "loss", res->loss_sum / res->samples);
    json_kv_number(&w, "train_seconds", t->st.seconds);
    json_object_end(&w);
    json_end(&w);
}

static int run_training(trainer *t, const cli_opts *o, cs_error *err) {
    const nn_train_opts *to = &t->cfg->train;
    nn_set_threads(t->comm.size > 1 ? 1 : (int)to->threads);
    int rc = trainer_init(t, o, err);
    if (rc == CS_OK && o->resume) rc = trainer_resume(t, err);
    if ((rc = comm_agree(&t->comm, rc, err))) return rc;
    int talk = !t->quiet && t->comm.rank == 0;
    if (talk)
        fprintf(stderr, "[train] %s (%ld parameters) on %ld %s images, %ld epochs from %ld\n",
                NN_ARCH_NAMES[t->net.arch], nn_count_trainable(&t->net), t->n_train,
                DATA_KIND_NAMES[t->train.kind], to->epochs, t->st.epochs_done);
    nn_eval_result res = {0, 0, 0, 0};
    for (long e = t->st.epochs_done; e < to->epochs; e++) {
        double t0 = cs_now(), loss = 0, acc = 0;
        rc = train_epoch(t, e, &loss, &acc, err);
        if (rc == CS_OK) rc = test_accuracy(t, &res, err);
        if ((rc = comm_agree(&t->comm, rc, err))) return rc;
        t->st.seconds += cs_now() - t0;
        t->st.epochs_done = e + 1;
        t->meta.epochs = e + 1;
        t->meta.test_top1 = 100.0 * res.top1 / res.samples;
        t->meta.train_seconds = t->st.seconds;
        snprintf(t->meta.dataset, sizeof t->meta.dataset, "%s", DATA_KIND_NAMES[t->train.kind]);
        snprintf(t->meta.producer, sizeof t->meta.producer, "cimsweep train %s (%s)", CS_VERSION,
                 CS_GIT_DESCRIBE);
        if (t->comm.rank == 0) rc = checkpoint_write(t->ckpt, &t->net, &t->meta, &t->st, err);
        if ((rc = comm_agree(&t->comm, rc, err))) return rc;
        if (talk)
            fprintf(stderr,
                    "[train] epoch %ld/%ld: train loss %.4f acc %.2f%% | test top-1 %.2f%% "
                    "loss %.4f | %.0f s\n",
                    e + 1, to->epochs, loss, acc, t->meta.test_top1, res.loss_sum / res.samples,
                    cs_now() - t0);
    }
    if (res.samples == 0 && (rc = test_accuracy(t, &res, err))) return rc;
    if (t->comm.rank == 0) rc = model_write(t->out, &t->net, &t->meta, err);
    if ((rc = comm_agree(&t->comm, rc, err)) || t->comm.rank != 0) return rc;
    if (o->json)
        print_json(t, &res);
    else
        printf("wrote %s: %s, %ld epochs, test top-1 %.2f%%, %.0f s of training\n", t->out,
               NN_ARCH_NAMES[t->net.arch], t->st.epochs_done, 100.0 * res.top1 / res.samples,
               t->st.seconds);
    return CS_OK;
}

static int train_job(void *job, cs_config *cfg, cs_comm *comm, const cli_opts *o, cs_error *err) {
    trainer *t = job;
    t->cfg = cfg;
    t->comm = *comm;
    t->quiet = o->quiet;
    return run_training(t, o, err);
}

static void train_free(void *job) {
    trainer_free(job);
}

int cmd_train(int argc, char **argv) {
    static const cli_job job = {sizeof(trainer), train_job, train_free};
    return cli_run_job("train", argc, argv,
                       OPT_CONFIG | OPT_OUTPUT | OPT_SET | OPT_JSON | OPT_RESUME | OPT_QUIET, &job);
}

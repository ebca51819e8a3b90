/* Hutchinson per-strip Hessian traces (E2).
 *
 * Probe t of layer l is a Rademacher vector drawn from the stream (seed, probe, l << 32 | t),
 * so it is the same whichever rank draws it; in the `model` partition the probe over all
 * layers is the concatenation of the layers' probes t. z_{t,s} = sum over strip s of
 * v_i (H v)_i, with H v accumulated over the mini-batches of D_h in a fixed order.
 *
 * Work runs in rounds. Each round asks every unconverged layer for its next block of probes;
 * the (layer, probe) units are dealt to ranks by cost, each rank runs the forward pass of a
 * calibration batch once and then the R-operator passes of all its units on it, and the
 * per-unit z vectors are gathered on every rank. The stopping rule of DESIGN §3 is then
 * applied probe by probe; probes beyond the stopping point are discarded, so the result does
 * not depend on the block size or the number of ranks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "sens/sens_internal.h"

/* Running state of one layer's estimate. */
typedef struct layer_run {
    long done;   /* probes accepted */
    long streak; /* consecutive probes meeting the tolerance */
    int finished;
    double *z;   /* max_probes x strips */
    double zsum; /* sum of accepted layer totals */
} layer_run;

/* A unit of work: probe t of layer l (l = -1: a whole-model probe). */
typedef struct unit {
    int layer;
    long probe;
} unit;

void hutch_probe(const nn_net *net, int q, long t, uint64_t seed, float *v) {
    rng_stream r;
    rng_init(&r, seed, RNG_PROBE, ((uint64_t)q << 32) | (uint64_t)t);
    rng_rademacher(&r, v, net->layers[net->qlayer[q]].wsize);
}

/* FLOPs of one image through layers from qlayer q on: the cost of a probe of layer q. */
static double probe_cost(const nn_net *net, int q) {
    double f = 0;
    for (int i = net->qlayer[q]; i < net->n_layers; i++) {
        const nn_layer *l = &net->layers[i];
        if (l->kind == NN_CONV || l->kind == NN_LINEAR) f += (double)l->wsize * l->Ho * l->Wo;
    }
    return f;
}

/* Accept one probe's z vector into a layer's run; returns 1 when the layer stops. */
static int accept_probe(layer_run *lr, const sens_layer *sl, const double *z, const sens_opts *o,
                        double *history) {
    memcpy(lr->z + lr->done * sl->strips, z, sizeof(double) * (size_t)sl->strips);
    double total = 0;
    for (long s = 0; s < sl->strips; s++) total += z[s];
    double prev = lr->done ? lr->zsum / (double)lr->done : 0;
    lr->zsum += total;
    lr->done++;
    double mean = lr->zsum / (double)lr->done;
    history[lr->done - 1] = mean;
    if (lr->done >= 2) {
        double rel = fabs(mean - prev) / (fabs(prev) + 1e-6);
        lr->streak = rel < o->tol ? lr->streak + 1 : 0;
    }
    if (lr->streak >= o->min_probes || lr->done >= o->max_probes) lr->finished = 1;
    return lr->finished;
}

/* Per-strip mean and standard error over the accepted probes. */
static void finish_layer(const layer_run *lr, const sens_layer *sl, sens_result *r) {
    for (long s = 0; s < sl->strips; s++) {
        double sum = 0, sq = 0;
        for (long t = 0; t < lr->done; t++) sum += lr->z[t * sl->strips + s];
        double mean = sum / (double)lr->done;
        for (long t = 0; t < lr->done; t++) {
            double d = lr->z[t * sl->strips + s] - mean;
            sq += d * d;
        }
        r->trace[sl->strip_off + s] = mean;
        r->stderr_[sl->strip_off + s] =
            lr->done > 1 ? sqrt(sq / (double)(lr->done - 1) / (double)lr->done) : 0.0;
    }
    r->probes[sl->qidx] = lr->done;
    r->layer_trace[sl->qidx] = lr->zsum / (double)lr->done;
}

/* Compute the z vectors of this rank's units over the calibration set. */
static int run_units(hutch_ctx *h, const unit *units, long n_units, const int *owner, double **zbuf,
                     cs_error *err) {
    nn_net *net = h->net;
    const sens_strips *st = h->strips;
    int model = h->opts->partition == SENS_PART_MODEL;
    float scale = 1.0f / (float)h->n_cal;
    for (long b0 = 0; b0 < h->n_cal; b0 += h->opts->batch) {
        int n = (int)(h->n_cal - b0 < h->opts->batch ? h->n_cal - b0 : h->opts->batch);
        data_batch(h->train, h->idx + b0, n, h->x, 0, 0, 0);
        data_labels(h->train, h->idx + b0, n, h->y);
        int forwarded = 0;
        for (long u = 0; u < n_units; u++) {
            if (owner[u] != h->comm->rank) continue;
            if (!forwarded) {
                nn_forward(net, h->x, n);
                nn_loss(net, h->y, scale);
                if (model) nn_backward(net, 0);
                forwarded = 1;
            }
            if (model) {
                for (int q = 0; q < net->n_q; q++)
                    hutch_probe(net, q, units[u].probe, (uint64_t)h->opts->seed,
                                h->v + net->qoff[q]);
                nn_rforward(net, h->v, 0, net->n_q - 1);
                nn_rloss(net, scale);
                nn_rbackward(net, h->v, 0, net->n_q - 1, 1, h->hv);
            } else {
                int q = units[u].layer;
                hutch_probe(net, q, units[u].probe, (uint64_t)h->opts->seed, h->v);
                nn_hvp_layer(net, q, h->v, scale, h->hv);
            }
            /* z_s += sum over the strip of v_i (Hv)_i for this batch */
            int q0 = model ? 0 : units[u].layer, q1 = model ? net->n_q - 1 : units[u].layer;
            for (int q = q0; q <= q1; q++) {
                const sens_layer *sl = &st->layers[q];
                long off = model ? net->qoff[q] : 0, wsize = (long)sl->strips * sl->C;
                for (long i = 0; i < wsize; i++) h->prod[i] = h->v[off + i] * h->hv[off + i];
                sens_strip_sums(sl, h->prod, h->ssum);
                double *z = zbuf[u] + (model ? sl->strip_off : 0);
                for (long s = 0; s < sl->strips; s++) z[s] += h->ssum[s];
            }
        }
    }
    (void)err;
    return CS_OK;
}

static void report_round(const hutch_ctx *h, layer_run *runs, int round, double t0) {
    if (h->quiet || h->comm->rank != 0) return;
    int done = 0, slow = -1;
    for (int q = 0; q < h->strips->n_layers; q++) {
        if (runs[q].finished)
            done++;
        else if (slow < 0 || runs[q].done < runs[slow].done)
            slow = q;
    }
    long max_left = 0;
    for (int q = 0; q < h->strips->n_layers; q++)
        if (!runs[q].finished && h->opts->max_probes - runs[q].done > max_left)
            max_left = h->opts->max_probes - runs[q].done;
    double el = cs_now() - t0;
    char eta[32], elapsed[32];
    cs_format_duration(el, elapsed, sizeof elapsed);
    cs_format_duration(el / round * (double)((max_left + h->block - 1) / h->block), eta,
                       sizeof eta);
    if (slow >= 0)
        fprintf(stderr,
                "[sens] round %d: %d/%d layers converged; %s at %ld probes, trace %.4g; "
                "elapsed %s, ETA <= %s\n",
                round, done, h->strips->n_layers, h->strips->layers[slow].name, runs[slow].done,
                runs[slow].zsum / (double)runs[slow].done, elapsed, eta);
    else
        fprintf(stderr, "[sens] round %d: all %d layers converged; elapsed %s\n", round,
                h->strips->n_layers, elapsed);
}

/* The units of the next round: the next `block` probes of every unfinished layer (or of
 * the model, for the model partition). */
static long next_units(const hutch_ctx *h, const layer_run *runs, unit *units, double *cost) {
    long n = 0;
    int nq = h->strips->n_layers;
    if (h->opts->partition == SENS_PART_MODEL) {
        long lo = h->opts->max_probes, hi = 0;
        for (int q = 0; q < nq; q++)
            if (!runs[q].finished) {
                lo = runs[q].done < lo ? runs[q].done : lo;
                hi = h->opts->max_probes;
            }
        for (long t = lo; t < hi && t < lo + h->block; t++, n++) {
            units[n] = (unit){-1, t};
            cost[n] = 1.0;
        }
        return n;
    }
    for (int q = 0; q < nq; q++)
        for (long t = runs[q].done;
             !runs[q].finished && t < runs[q].done + h->block && t < h->opts->max_probes;
             t++, n++) {
            units[n] = (unit){q, t};
            cost[n] = probe_cost(h->net, q);
        }
    return n;
}

/* Feed the gathered units to the layers in probe order. */
static void accept_units(const hutch_ctx *h, layer_run *runs, const unit *units, long n_units,
                         double **zbuf, sens_result *r) {
    const sens_strips *st = h->strips;
    for (long u = 0; u < n_units; u++)
        for (int q = 0; q < st->n_layers; q++) {
            const sens_layer *sl = &st->layers[q];
            int mine = units[u].layer == q || units[u].layer < 0;
            if (!mine || runs[q].finished || units[u].probe != runs[q].done) continue;
            const double *z = zbuf[u] + (units[u].layer < 0 ? sl->strip_off : 0);
            accept_probe(&runs[q], sl, z, h->opts, r->history + (long)q * r->max_probes);
        }
}

int hutch_traces(hutch_ctx *h, sens_result *r, cs_error *err) {
    const sens_strips *st = h->strips;
    int nq = st->n_layers, model = h->opts->partition == SENS_PART_MODEL;
    long max_units = model ? h->block : (long)nq * h->block;
    layer_run *runs = cs_alloc((size_t)nq, sizeof *runs, err);
    unit *units = cs_alloc((size_t)max_units, sizeof *units, err);
    double *cost = cs_alloc((size_t)max_units, sizeof *cost, err);
    int *owner = cs_alloc((size_t)max_units, sizeof *owner, err);
    double **zbuf = cs_alloc((size_t)max_units, sizeof *zbuf, err);
    size_t *bytes = cs_alloc((size_t)max_units, sizeof *bytes, err);
    int rc = runs && units && cost && owner && zbuf && bytes ? CS_OK : CS_ERR_RUNTIME;
    for (int q = 0; q < nq && rc == CS_OK; q++) {
        runs[q].z =
            cs_alloc((size_t)(h->opts->max_probes * st->layers[q].strips), sizeof(double), err);
        if (!runs[q].z) rc = CS_ERR_RUNTIME;
    }
    double t0 = cs_now();
    for (int round = 1; rc == CS_OK; round++) {
        long n_units = next_units(h, runs, units, cost);
        if (n_units == 0) break;
        rc = comm_balance(h->comm, n_units, cost, owner, err);
        for (long u = 0; u < n_units && rc == CS_OK; u++) {
            long len = units[u].layer < 0 ? st->n_strips : st->layers[units[u].layer].strips;
            bytes[u] = sizeof(double) * (size_t)len;
            zbuf[u] = cs_alloc((size_t)len, sizeof(double), err);
            if (!zbuf[u]) rc = CS_ERR_RUNTIME;
        }
        if (rc == CS_OK) rc = run_units(h, units, n_units, owner, zbuf, err);
        rc = comm_agree(h->comm, rc, err);
        if (rc == CS_OK) rc = comm_share_units(h->comm, n_units, owner, (void **)zbuf, bytes, err);
        if (rc == CS_OK) accept_units(h, runs, units, n_units, zbuf, r);
        for (long u = 0; u < n_units; u++) {
            free(zbuf[u]);
            zbuf[u] = NULL;
        }
        if (rc == CS_OK) report_round(h, runs, round, t0);
    }
    for (int q = 0; q < nq && rc == CS_OK; q++) finish_layer(&runs[q], &st->layers[q], r);
    for (int q = 0; runs && q < nq; q++) free(runs[q].z);
    free(runs);
    free(units);
    free(cost);
    free(owner);
    free(zbuf);
    free(bytes);
    return rc;
}

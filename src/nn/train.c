/* Evaluation over a data source, SGD with momentum and weight decay, and the learning-rate
 * schedules of `cimsweep train`. */
#include <stdlib.h>
#include <math.h>

#include "nn/nn_internal.h"

int nn_evaluate(nn_net *net, const nn_source *src, float *x, uint8_t *y, nn_eval_result *res,
                cs_error *err) {
    res->samples = res->top1 = res->top5 = 0;
    res->loss_sum = 0.0;
    int train_mode = net->train_mode;
    net->train_mode = 0;
    for (long s = 0; s < src->n; s += net->batch_cap) {
        int n = (int)(src->n - s < net->batch_cap ? src->n - s : net->batch_cap);
        int rc = src->fetch(src->ctx, s, n, x, y, err);
        if (rc) {
            net->train_mode = train_mode;
            return rc;
        }
        nn_forward(net, x, n);
        res->loss_sum += nn_loss_value(net, y);
        nn_count_hits(net, y, n, &res->top1, &res->top5);
        res->samples += n;
    }
    net->train_mode = train_mode;
    return CS_OK;
}

void nn_sgd_step(nn_net *net, float *velocity, double lr, double momentum, double weight_decay) {
    /* torch.optim.SGD: d = g + wd w; v = mu v + d; w -= lr v */
    for (int i = 0; i < net->n_params; i++) {
        nn_param *p = &net->params[i];
        if (!p->trainable) continue;
        float *vel = velocity + (p->data - net->pblock);
        float wd = (float)weight_decay, mu = (float)momentum, a = (float)lr;
        for (long j = 0; j < p->size; j++) {
            float d = p->grad[j] + wd * p->data[j];
            vel[j] = mu * vel[j] + d;
            p->data[j] -= a * vel[j];
        }
    }
}

double nn_lr_at(const nn_train_opts *o, long epoch, double frac) {
    if (o->schedule == NN_SCHED_STEP)
        return o->lr * pow(o->step_gamma, (double)(epoch / o->step_every));
    double t = ((double)epoch + frac) / (double)o->epochs;
    return 0.5 * o->lr * (1.0 + cos(3.14159265358979323846 * t));
}

/* Running statistics as exact averages over the source: per batch, the batch mean and the
 * unbiased batch variance (what train mode computes), weighted by the batch's images. */
int nn_recalibrate_bn(nn_net *net, const nn_source *src, float *x, uint8_t *y, cs_error *err) {
    long bn_c = 0;
    for (int i = 0; i < net->n_layers; i++)
        if (net->layers[i].kind == NN_BN) bn_c += net->layers[i].C;
    double *acc = cs_alloc((size_t)(2 * bn_c + 1), sizeof *acc, err);
    if (!acc) return CS_ERR_RUNTIME;
    int train_mode = net->train_mode, rc = CS_OK;
    net->train_mode = 1;
    long seen = 0;
    for (long s = 0; s < src->n && rc == CS_OK; s += net->batch_cap) {
        int n = (int)(src->n - s < net->batch_cap ? src->n - s : net->batch_cap);
        rc = src->fetch(src->ctx, s, n, x, y, err);
        if (rc) break;
        nn_forward(net, x, n);
        double *a = acc;
        for (int i = 0; i < net->n_layers; i++) {
            const nn_layer *l = &net->layers[i];
            if (l->kind != NN_BN) continue;
            long m = (long)n * l->H * l->W;
            for (int c = 0; c < l->C; c++) {
                double inv = l->binvstd[c], var = 1.0 / (inv * inv) - l->eps;
                a[c] += (double)n * l->bmean[c];
                a[l->C + c] += (double)n * (m > 1 ? var * (double)m / (double)(m - 1) : var);
            }
            a += 2 * l->C;
        }
        seen += n;
    }
    net->train_mode = train_mode;
    if (rc == CS_OK && seen > 0) {
        const double *a = acc;
        for (int i = 0; i < net->n_layers; i++) {
            nn_layer *l = &net->layers[i];
            if (l->kind != NN_BN) continue;
            for (int c = 0; c < l->C; c++) {
                l->mean[c] = (float)(a[c] / (double)seen);
                l->var[c] = (float)(a[l->C + c] / (double)seen);
            }
            a += 2 * l->C;
        }
    }
    free(acc);
    return rc;
}

/* Evaluation over a data source, SGD with momentum and weight decay, and the learning-rate
 * schedules of `cimsweep train`. */
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

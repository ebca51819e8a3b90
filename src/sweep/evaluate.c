/* Evaluating one assignment: the quantized model's accuracy, its Fisher distance to the
 * float model (E6, E7), and its crossbar mapping, utilization, energy and latency (E11, E12). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/sweep.h"
#include "xbar/functional.h"

/* Top-1 / top-5 / loss of e->work on the first n_eval evaluation images; calls the tick
 * between batches. */
static void accuracy(sweep_env *e, long n_eval, sweep_row *row) {
    nn_net *net = e->work;
    long top1 = 0, top5 = 0;
    double loss = 0;
    for (long s = 0; s < n_eval; s += net->batch_cap) {
        int n = (int)(n_eval - s < net->batch_cap ? n_eval - s : net->batch_cap);
        data_batch(e->test, e->test_idx + s, n, e->x, 0, 0, 0);
        data_labels(e->test, e->test_idx + s, n, e->y);
        nn_forward(net, e->x, n);
        loss += nn_loss_value(net, e->y);
        nn_count_hits(net, e->y, n, &top1, &top5);
        if (e->tick) e->tick(e->tick_ctx);
    }
    row->top1 = 100.0 * (double)top1 / (double)n_eval;
    row->top5 = 100.0 * (double)top5 / (double)n_eval;
    row->loss = loss / (double)n_eval;
}

/* Fisher distance of the quantized weights (activations float: the gradients of a rounding
 * step are zero almost everywhere, so input quantization is left out of F). */
static int fisher_distance(sweep_env *e, const quant_net *qn, sweep_row *row, cs_error *err) {
    nn_net *net = e->work;
    for (int q = 0; q < net->n_q; q++) nn_set_act_quant(net, q, 0, 0, 0);
    fim_state f;
    int rc = fim_compute(net, e->train, e->fo, &e->comm_self, &f, err);
    for (int q = 0; q < net->n_q; q++)
        nn_set_act_quant(net, q, qn->acts[q].scale, qn->acts[q].bits, qn->acts[q].is_signed);
    if (rc) return rc;
    row->fim_distance = fim_distance(&e->fim_ref, &f);
    fim_free(&f);
    return CS_OK;
}

/* Crossbar mapping and cost of the assignment, per layer and in total. */
static int crossbars(sweep_env *e, const uint8_t *bits, sweep_row *row, sweep_layer_row *layers,
                     cs_error *err) {
    const sens_strips *st = e->strips;
    xbar_layer_stats *ls = cs_alloc((size_t)st->n_layers, sizeof *ls, err);
    if (!ls) return CS_ERR_RUNTIME;
    int gh = xbar_group_of(e->hw, row->high), gl = xbar_group_of(e->hw, row->low);
    int rc = CS_OK;
    for (int q = 0; q < st->n_layers && rc == CS_OK; q++) {
        const sens_layer *l = &st->layers[q];
        rc = xbar_map_layer(e->hw, &e->xl[q], bits + l->strip_off, -1, &ls[q], err);
        sweep_layer_row *lr = &layers[q];
        memset(lr, 0, sizeof *lr);
        lr->index = row->index;
        lr->layer = q;
        lr->strips = l->strips;
        for (long s = 0; s < l->strips; s++) lr->low_strips += bits[l->strip_off + s] == row->low;
        lr->cr = (double)lr->low_strips / (double)l->strips;
        lr->xbars_high = gh >= 0 ? ls[q].g[gh].crossbars : 0;
        lr->xbars_low = gl >= 0 ? ls[q].g[gl].crossbars : 0;
        long used = 0, alloc = 0;
        for (int g = 0; g < e->hw->n_groups; g++)
            used += ls[q].g[g].used_cells, alloc += ls[q].g[g].alloc_cells;
        lr->util = alloc ? 100.0 * (double)used / (double)alloc : NAN;
        lr->energy_j = ls[q].energy_j;
        lr->latency_s = ls[q].latency_s;
    }
    if (rc == CS_OK) {
        xbar_totals t;
        xbar_network_totals(e->hw, ls, st->n_layers, &t);
        row->energy_j = t.energy_j;
        row->energy_adc_j = t.energy_adc_j;
        row->energy_accum_j = t.energy_accum_j;
        row->energy_other_j = t.energy_other_j;
        row->latency_s = t.latency_s;
        row->util_all = 100.0 * t.utilization;
        row->util_high = gh >= 0 && t.crossbars_group[gh] ? 100.0 * t.util_group[gh] : NAN;
        row->util_low = gl >= 0 && t.crossbars_group[gl] ? 100.0 * t.util_group[gl] : NAN;
        row->xbars_high = gh >= 0 ? t.crossbars_group[gh] : 0;
        row->xbars_low = gl >= 0 ? t.crossbars_group[gl] : 0;
    }
    free(ls);
    return rc;
}

int sweep_evaluate(sweep_env *e, const uint8_t *bits, sweep_row *row, sweep_layer_row *layers,
                   cs_error *err) {
    double t0 = cs_now();
    const sens_strips *st = e->strips;
    quant_opts qo = *e->qo;
    qo.high_bits = row->high;
    qo.low_bits = row->low;
    quant_net qn;
    int rc = quant_build(e->net, bits, &qo, e->work, &qn, err);
    if (rc) return rc;
    data_feed feed = {e->train, e->calib_idx, e->n_calib, 0, 0, 0};
    nn_source src = data_source(&feed);
    if (row->kind == CAND_HAP && e->so->hap_recalibrate_bn)
        rc = nn_recalibrate_bn(e->work, &src, e->x, e->y, err);
    if (rc == CS_OK) rc = quant_calibrate_acts(e->work, &src, &qo, &qn, e->x, e->y, err);
    if (rc == CS_OK && e->integer_path) rc = quant_use_integer_path(e->work, &qn, err);
    if (rc == CS_OK) {
        accuracy(e, e->n_test, row);
        nn_set_qforward(e->work, NULL, NULL);
        row->hw_top1 = NAN;
        if (e->so->functional) {
            xbar_functional_ctx fx;
            rc = xbar_functional_use(e->work, &qn, e->hw, &fx, err);
            if (rc == CS_OK) {
                sweep_row hw = *row;
                accuracy(e, e->n_functional, &hw);
                row->hw_top1 = hw.top1;
                rc = fx.status;
                if (rc) cs_fail(err, rc, "%s", fx.err.msg);
            }
            nn_set_qforward(e->work, NULL, NULL);
            xbar_functional_free(&fx);
        }
    }
    row->fim_distance = NAN;
    if (rc == CS_OK && !e->skip_fim) rc = fisher_distance(e, &qn, row, err);
    quant_net_free(&qn);
    if (rc == CS_OK) rc = crossbars(e, bits, row, layers, err);
    if (rc) return rc;
    long low = 0, bitsum = 0, total = 0;
    for (int q = 0; q < st->n_layers; q++)
        for (long s = 0; s < st->layers[q].strips; s++) {
            int b = bits[st->layers[q].strip_off + s];
            low += b == row->low;
            bitsum += (long)b * st->layers[q].C;
            total += st->layers[q].C;
        }
    row->cr_actual = (double)low / (double)st->n_strips;
    row->size_ratio = (double)bitsum / ((double)row->high * (double)total);
    row->status = 1;
    row->wall_s = cs_now() - t0;
    return CS_OK;
}

/* Utilization (%) of an assignment, all groups, without evaluating anything else. */
static int utilization(const sweep_env *e, const uint8_t *bits, double *util, cs_error *err) {
    const sens_strips *st = e->strips;
    long used = 0, alloc = 0;
    for (int q = 0; q < st->n_layers; q++) {
        xbar_layer_stats ls;
        int rc = xbar_map_layer(e->hw, &e->xl[q], bits + st->layers[q].strip_off, -1, &ls, err);
        if (rc) return rc;
        for (int g = 0; g < e->hw->n_groups; g++)
            used += ls.g[g].used_cells, alloc += ls.g[g].alloc_cells;
    }
    *util = alloc ? 100.0 * (double)used / (double)alloc : NAN;
    return CS_OK;
}

int sweep_candidate(sweep_env *e, const sweep_cand *c, long index, int step, sweep_row *row,
                    sweep_layer_row *layers, uint8_t *bits, cs_error *err) {
    memset(row, 0, sizeof *row);
    row->index = index;
    row->kind = c->kind;
    row->method = c->method;
    row->align = c->align;
    row->high = c->high;
    row->low = c->low;
    row->step = step;
    row->rank = e->comm->rank;
    /* the CR aimed at; for HAP rows, the prune ratio */
    row->cr_target = c->kind == CAND_TAU ? NAN : c->target;
    int rc = sweep_assign(e, c, bits, &row->tau, err);
    if (rc == CS_OK) rc = utilization(e, bits, &row->util_before_align, err);
    if (rc == CS_OK && c->align != ALIGN_NONE) {
        int changed;
        rc = sweep_align_assignment(e, e->omega[c->method], c->align, c->high, c->low, bits,
                                    &changed, err);
        row->aligned = changed;
    }
    if (rc == CS_OK) rc = sweep_evaluate(e, bits, row, layers, err);
    return rc;
}

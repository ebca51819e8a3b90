/* cimsweep eval: one candidate - the float model, or the mixed-precision model at a target
 * compression ratio - on the evaluation set, with its crossbar cost. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cli/cli.h"
#include "cli/pipeline.h"
#include "sweep/mpi_comm.h"

typedef struct eval_job {
    cs_config *cfg;
    const cli_opts *o;
    cs_comm comm;
    pipeline p;
    sweep_row row;
    sweep_layer_row *layers;
    uint8_t *bits;
    int quantized;
    int method;
} eval_job;

static int parse_args(eval_job *j, cs_error *err) {
    const cli_opts *o = j->o;
    j->method = j->cfg->sensitivity.method;
    if (o->method && (j->method = cs_name_index(SENS_METHOD_NAMES, o->method)) < 0)
        return cs_fail(err, CS_ERR_INPUT,
                       "--method %s: expected hutchinson, activation, magnitude or random",
                       o->method);
    if (!o->cr) {
        if (o->method || o->functional || j->o->integer)
            return cs_fail(err, CS_ERR_INPUT, "--method, --functional and --integer need --cr X");
        return CS_OK;
    }
    char *end;
    double cr = strtod(o->cr, &end);
    if (*end || !(cr >= 0 && cr <= 1))
        return cs_fail(err, CS_ERR_INPUT, "--cr %s: expected a number in [0, 1]", o->cr);
    j->quantized = 1;
    j->row.cr_target = cr;
    return CS_OK;
}

/* The float model: accuracy only. */
static void eval_float(eval_job *j) {
    pipeline *p = &j->p;
    nn_net *net = &p->net;
    memset(&j->row, 0, sizeof j->row);
    long top1 = 0, top5 = 0;
    double loss = 0;
    for (long s = 0; s < p->n_test; s += net->batch_cap) {
        int n = (int)(p->n_test - s < net->batch_cap ? p->n_test - s : net->batch_cap);
        data_batch(&p->test, p->test_idx + s, n, p->env.x, 0, 0, 0);
        data_labels(&p->test, p->test_idx + s, n, p->env.y);
        nn_forward(net, p->env.x, n);
        loss += nn_loss_value(net, p->env.y);
        nn_count_hits(net, p->env.y, n, &top1, &top5);
    }
    sweep_row *r = &j->row;
    r->top1 = 100.0 * (double)top1 / (double)p->n_test;
    r->top5 = 100.0 * (double)top5 / (double)p->n_test;
    r->loss = loss / (double)p->n_test;
    r->cr_actual = r->energy_j = r->energy_adc_j = r->energy_accum_j = r->energy_other_j = NAN;
    r->latency_s = r->util_all = r->hw_top1 = NAN;
}

static int eval_quantized(eval_job *j, cs_error *err) {
    pipeline *p = &j->p;
    const cs_config *c = j->cfg;
    j->bits = cs_alloc((size_t)p->env.strips->n_strips, 1, err);
    j->layers = cs_alloc((size_t)p->env.strips->n_layers, sizeof *j->layers, err);
    if (!j->bits || !j->layers) return CS_ERR_RUNTIME;
    sweep_opts so = c->sweep;
    so.functional = j->o->functional;
    p->env.so = &so;
    p->env.integer_path = j->o->integer;
    sweep_cand cand = {
        CAND_CR,         j->method, ALIGN_NONE, (int)c->quant.high_bits, (int)c->quant.low_bits,
        j->row.cr_target};
    int rc = sweep_candidate(&p->env, &cand, 0, -1, &j->row, j->layers, j->bits, err);
    p->env.so = &c->sweep;
    return rc;
}

static void print_json(const eval_job *j) {
    const sweep_row *r = &j->row;
    json_writer w;
    json_begin(&w, stdout);
    json_object_begin(&w);
    json_kv_string(&w, "model", j->cfg->model.file);
    json_kv_string(&w, "dataset", DATA_KIND_NAMES[j->p.test.kind]);
    json_kv_int(&w, "samples", j->p.n_test);
    json_kv_number(&w, "top1", r->top1);
    json_kv_number(&w, "top5", r->top5);
    json_kv_number(&w, "loss", r->loss);
    json_kv_number(&w, "cr", j->quantized ? r->cr_actual : NAN);
    json_kv_number(&w, "energy_j", r->energy_j);
    json_kv_number(&w, "energy_adc_j", r->energy_adc_j);
    json_kv_number(&w, "energy_accum_j", r->energy_accum_j);
    json_kv_number(&w, "energy_other_j", r->energy_other_j);
    json_kv_number(&w, "latency_s", r->latency_s);
    json_kv_number(&w, "utilization", r->util_all);
    json_kv_number(&w, "hw_top1", r->hw_top1);
    if (j->quantized) {
        json_kv_string(&w, "method", SENS_METHOD_NAMES[j->method]);
        json_kv_number(&w, "cr_target", r->cr_target);
        json_kv_int(&w, "bits_high", r->high);
        json_kv_int(&w, "bits_low", r->low);
        json_key(&w, "layers");
        json_array_begin(&w);
        for (int q = 0; q < j->p.env.strips->n_layers; q++) {
            json_object_begin(&w);
            json_kv_string(&w, "name", j->p.env.strips->layers[q].name);
            json_kv_int(&w, "strips", j->layers[q].strips);
            json_kv_int(&w, "low_strips", j->layers[q].low_strips);
            json_kv_number(&w, "cr", j->layers[q].cr);
            json_object_end(&w);
        }
        json_array_end(&w);
    }
    json_object_end(&w);
    json_end(&w);
}

static void print_table(const eval_job *j) {
    const sweep_row *r = &j->row;
    const cs_config *c = j->cfg;
    printf("model    %s (%s, %ld parameters)\n", c->model.file[0] ? c->model.file : "(fresh)",
           NN_ARCH_NAMES[j->p.net.arch], nn_count_trainable(&j->p.net));
    printf("data     %s test set, %ld images\n", DATA_KIND_NAMES[j->p.test.kind], j->p.n_test);
    if (!j->quantized) {
        printf("float    top-1 %.2f %%  top-5 %.2f %%  loss %.4f\n", r->top1, r->top5, r->loss);
        return;
    }
    printf("method   %s, %ld/%ld bits, CR target %.3f reached %.3f%s\n",
           SENS_METHOD_NAMES[j->method], c->quant.high_bits, c->quant.low_bits, r->cr_target,
           r->cr_actual, j->o->integer ? ", integer path (E13)" : "");
    printf("accuracy top-1 %.2f %%  top-5 %.2f %%  loss %.4f", r->top1, r->top5, r->loss);
    if (isfinite(r->hw_top1))
        printf("  hardware-aware top-1 %.2f %% (%ld images)", r->hw_top1, j->p.env.n_functional);
    printf(
        "\nenergy   %.4g uJ per image (ADC %.4g, accumulation %.4g, other %.4g); latency %.4g us; "
        "utilization %.1f %%\n\n",
        r->energy_j * 1e6, r->energy_adc_j * 1e6, r->energy_accum_j * 1e6, r->energy_other_j * 1e6,
        r->latency_s * 1e6, r->util_all);
    printf("%-28s %7s %7s %6s %5s %10s\n", "layer", "strips", "low", "CR", "bits", "xbars H/L");
    for (int q = 0; q < j->p.env.strips->n_layers; q++) {
        const sweep_layer_row *l = &j->layers[q];
        const char *bits = l->low_strips == 0 ? "8" : l->low_strips == l->strips ? "4" : "8/4";
        printf("%-28s %7lld %7lld %6.3f %5s %5lld/%-4lld\n", j->p.env.strips->layers[q].name,
               (long long)l->strips, (long long)l->low_strips, l->cr, bits,
               (long long)l->xbars_high, (long long)l->xbars_low);
    }
}

static int run_eval(eval_job *j, cs_error *err) {
    int rc = parse_args(j, err);
    if (rc == CS_OK) rc = pipeline_model(&j->p, j->cfg, &j->comm, err);
    pipeline_opts po = {{0, 0, 0, 0}, 0, j->o->sens, j->o->no_cache, j->o->quiet};
    po.need[j->quantized ? j->method : SENS_MAGNITUDE] = 1; /* magnitude is free */
    if (rc == CS_OK) rc = pipeline_prepare(&j->p, &po, err);
    if ((rc = comm_agree(&j->comm, rc, err))) return rc;
    if (j->comm.rank != 0) return CS_OK;
    if (j->quantized) {
        rc = eval_quantized(j, err);
    } else {
        if ((rc = nn_plan(&j->p.net, 128, NN_PLAN_FWD, err))) return rc;
        eval_float(j);
    }
    if (rc) return rc;
    if (j->o->json)
        print_json(j);
    else
        print_table(j);
    return CS_OK;
}

static int eval_job_run(void *job, cs_config *cfg, cs_comm *comm, const cli_opts *o,
                        cs_error *err) {
    eval_job *j = job;
    j->cfg = cfg;
    j->comm = *comm;
    j->o = o;
    return run_eval(j, err);
}

static void eval_free(void *job) {
    eval_job *j = job;
    pipeline_close(&j->p);
    free(j->bits);
    free(j->layers);
}

int cmd_eval(int argc, char **argv) {
    static const cli_job job = {sizeof(eval_job), eval_job_run, eval_free};
    return cli_run_job("eval", argc, argv,
                       OPT_CONFIG | OPT_SET | OPT_JSON | OPT_CR | OPT_METHOD | OPT_FUNCTIONAL |
                           OPT_NO_CACHE | OPT_QUIET | OPT_SENS | OPT_INTEGER,
                       &job);
}

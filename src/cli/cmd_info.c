/* cimsweep info: a config in canonical form, or what a model / results file holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cli/cli.h"
#include "io/h5util.h"
#include "io/model_file.h"
#include "io/results_file.h"
#include "io/sens_file.h"
#include "cli/report.h"
#include "sens/sens.h"

static int info_config(const cli_opts *o) {
    cs_config *cfg = cs_alloc(1, sizeof *cfg, NULL);
    if (!cfg) return 1;
    int rc = cli_load_config("info", o, cfg);
    if (rc) {
        free(cfg);
        return rc;
    }
    cs_error err;
    cs_error_clear(&err);
    char hash[65];
    char *text = config_canonical(cfg, 1, &err);
    if (!text || config_hash(cfg, hash, &err)) {
        free(text);
        free(cfg);
        return cli_error("info", &err);
    }
    if (o->json) {
        json_writer w;
        json_begin(&w, stdout);
        json_object_begin(&w);
        json_kv_string(&w, "config_hash", hash);
        json_kv_string(&w, "config", text);
        json_object_end(&w);
        json_end(&w);
    } else {
        printf("%s# config hash: %s\n", text, hash);
    }
    free(text);
    free(cfg);
    return 0;
}

static void model_summary(const char *path, const nn_net *net, const model_meta *m, int json) {
    sens_strips st;
    cs_error err;
    long strips = sens_strip_table(net, &st, &err) == CS_OK ? st.n_strips : -1;
    if (json) {
        json_writer w;
        json_begin(&w, stdout);
        json_object_begin(&w);
        json_kv_string(&w, "file", path);
        json_kv_string(&w, "kind", "model");
        json_kv_string(&w, "arch", NN_ARCH_NAMES[net->arch]);
        json_kv_number(&w, "width", net->width);
        json_kv_int(&w, "params", nn_count_trainable(net));
        json_kv_int(&w, "layers", net->n_q);
        json_kv_int(&w, "strips", strips);
        json_kv_string(&w, "dataset", m->dataset);
        json_kv_int(&w, "epochs", m->epochs);
        json_kv_number(&w, "test_top1", m->test_top1);
        json_key(&w, "qlayers");
        json_array_begin(&w);
        for (int q = 0; q < st.n_layers; q++) {
            const sens_layer *l = &st.layers[q];
            json_object_begin(&w);
            json_kv_string(&w, "name", l->name);
            json_kv_int(&w, "C", l->C), json_kv_int(&w, "M", l->M), json_kv_int(&w, "K", l->K);
            json_kv_int(&w, "strips", l->strips);
            json_object_end(&w);
        }
        json_array_end(&w);
        json_object_end(&w);
        json_end(&w);
    } else {
        printf("%s: cimsweep model, %s (width %g), %dx%dx%d inputs, %d classes\n", path,
               NN_ARCH_NAMES[net->arch], net->width, net->in_c, net->in_h, net->in_w, net->classes);
        printf("trained on %s, %ld epochs, test top-1 %.2f %%; %s\n", m->dataset, m->epochs,
               m->test_top1, m->producer);
        printf("%ld parameters, %d conv/linear layers, %ld strips\n\n", nn_count_trainable(net),
               net->n_q, strips);
        printf("%-32s %-22s %10s\n", "parameter", "shape", "size");
        for (int i = 0; i < net->n_params; i++) {
            const nn_param *p = &net->params[i];
            char shape[64] = "";
            for (int d = 0; d < p->ndim; d++) {
                size_t l = strlen(shape);
                snprintf(shape + l, sizeof shape - l, "%s%d", d ? "x" : "", p->shape[d]);
            }
            printf("%-32s %-22s %10ld\n", p->name, shape, p->size);
        }
        printf("\n%-28s %5s %5s %2s %6s %7s\n", "layer", "C", "M", "K", "stride", "strips");
        for (int q = 0; q < st.n_layers; q++) {
            const sens_layer *l = &st.layers[q];
            printf("%-28s %5d %5d %2d %6d %7ld\n", l->name, l->C, l->M, l->K, l->stride, l->strips);
        }
    }
    sens_strips_free(&st);
}

static void results_summary(const char *path, results *r, int json) {
    cs_error err;
    results_pareto(r, &err);
    long total = results_total(r);
    if (json) {
        json_writer w;
        json_begin(&w, stdout);
        json_object_begin(&w);
        json_kv_string(&w, "file", path);
        json_kv_string(&w, "kind", "results");
        json_kv_string(&w, "run_id", r->run_id);
        json_kv_string(&w, "config_hash", r->config_hash);
        json_kv_string(&w, "model", r->model_file);
        json_kv_string(&w, "model_sha256", r->model_sha);
        json_kv_int(&w, "candidates_total", total);
        json_kv_int(&w, "candidates_done", r->n_rows);
        json_kv_int(&w, "front_size", r->n_front_energy);
        json_kv_int(&w, "strips", r->n_strips);
        json_object_end(&w);
        json_end(&w);
        return;
    }
    printf("%s: cimsweep results, run id %.16s\n", path, r->run_id);
    printf("config hash %.16s; model %s (sha256 %.16s)\n", r->config_hash, r->model_file,
           r->model_sha);
    printf("candidates: %ld of %ld done (%ld fixed, %ld dynamic searches of at most %ld steps)%s\n",
           r->n_rows, total, r->fixed, r->searches, r->max_steps,
           r->shard_n ? " in this shard" : "");
    printf("sensitivity: %s, %ld strips in %d layers\n", SENS_METHOD_NAMES[r->sens.method],
           r->n_strips, r->n_layers);
    printf("Pareto front (top-1 vs energy): %ld points, hypervolume %.4g %%*uJ\n",
           r->n_front_energy, r->hv_energy * 1e6);
}

static int info_file(const char *path, int json) {
    cs_error err;
    cs_error_clear(&err);
    hid_t f;
    if (h5_open_read(path, &f, &err) != CS_OK) return cli_error("info", &err);
    char fmt[64] = "";
    h5_attr_read_str(f, "format", fmt, sizeof fmt, path, &err);
    H5Fclose(f);
    if (strcmp(fmt, MODEL_FORMAT) == 0) {
        nn_net net;
        model_meta m;
        if (model_read(path, &net, &m, &err) != CS_OK) return cli_error("info", &err);
        model_summary(path, &net, &m, json);
        nn_free(&net);
        return 0;
    }
    if (strcmp(fmt, RESULTS_FORMAT) == 0) {
        results r;
        if (results_read(path, &r, &err) != CS_OK) return cli_error("info", &err);
        results_summary(path, &r, json);
        results_free(&r);
        return 0;
    }
    if (strcmp(fmt, SENS_FORMAT) == 0) {
        sens_result r;
        sens_origin org;
        if (sens_file_read(path, &r, &org, &err) != CS_OK) return cli_error("info", &err);
        if (json) {
            report_sens_json(stdout, &r, path, org.model_sha, 0);
        } else {
            printf("%s: cimsweep sensitivity of the model with sha256 %.16s, %ld calibration "
                   "images\n",
                   path, org.model_sha, org.opts.calib_samples);
            report_sens_table(stdout, &r, "");
        }
        sens_result_free(&r);
        return 0;
    }
    cs_fail(&err, CS_ERR_INPUT,
            "%s: not a cimsweep model, results or sensitivity file (format '%s')", path, fmt);
    return cli_error("info", &err);
}

int cmd_info(int argc, char **argv) {
    cli_opts o;
    int rc = cli_parse("info", argc, argv, OPT_CONFIG | OPT_SET | OPT_JSON | OPT_QUIET, &o);
    if (rc) return rc;
    if (o.help) return cli_help("info");
    if (o.config) {
        if (o.n_positional)
            return cli_usage_error("info", "give either -c CFG or a file, not both");
        return info_config(&o);
    }
    if (o.n_positional != 1) return cli_usage_error("info", "expected one FILE.h5 or -c CFG");
    return info_file(o.positional[0], o.json);
}

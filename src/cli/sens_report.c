/* Printing a sensitivity result: `cimsweep sens` and `cimsweep info SENS.h5`. */
#include "base/json.h"
#include "cli/report.h"

void report_sens_table(FILE *f, const sens_result *r, const char *note) {
    const sens_strips *st = &r->strips;
    fprintf(f, "%-28s %5s %5s %2s %7s %7s %12s %12s\n", "layer", "C", "M", "K", "strips", "probes",
            "trace", "mean omega");
    for (int q = 0; q < st->n_layers; q++) {
        const sens_layer *l = &st->layers[q];
        double om = 0;
        for (long i = 0; i < l->strips; i++) om += r->omega[l->strip_off + i];
        fprintf(f, "%-28s %5d %5d %2d %7ld %7ld %12.5g %12.5g\n", l->name, l->C, l->M, l->K,
                l->strips, r->probes[q], r->layer_trace[q], om / (double)l->strips);
    }
    fprintf(f, "%s, partition %s: %ld strips in %d layers, %.1f s%s\n",
            SENS_METHOD_NAMES[r->method], SENS_PARTITION_NAMES[r->partition], st->n_strips,
            st->n_layers, r->seconds, note);
}

void report_sens_json(FILE *f, const sens_result *r, const char *model, const char *sha,
                      int cached) {
    json_writer w;
    json_begin(&w, f);
    json_object_begin(&w);
    json_kv_string(&w, "model", model);
    json_kv_string(&w, "model_sha256", sha);
    json_kv_string(&w, "method", SENS_METHOD_NAMES[r->method]);
    json_kv_string(&w, "partition", SENS_PARTITION_NAMES[r->partition]);
    json_kv_int(&w, "strips", r->strips.n_strips);
    json_kv_number(&w, "seconds", r->seconds);
    json_kv_bool(&w, "cached", cached);
    json_key(&w, "layers");
    json_array_begin(&w);
    for (int q = 0; q < r->strips.n_layers; q++) {
        const sens_layer *l = &r->strips.layers[q];
        json_object_begin(&w);
        json_kv_string(&w, "name", l->name);
        json_kv_int(&w, "strips", l->strips);
        json_kv_int(&w, "probes", r->probes[q]);
        json_kv_number(&w, "trace", r->layer_trace[q]);
        json_object_end(&w);
    }
    json_array_end(&w);
    json_object_end(&w);
    json_end(&w);
}

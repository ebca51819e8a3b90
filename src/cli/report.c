/* Pareto fronts of a results file in several formats. */
#include "cli/report.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "base/json.h"

void report_candidate_name(const sweep_row *row, char *buf, size_t n) {
    const char *method = SENS_METHOD_NAMES[row->method];
    switch (row->kind) {
    case CAND_CR:
        snprintf(buf, n, "cr %.3g %s %s %d/%d", row->cr_target, method, ALIGN_NAMES[row->align],
                 row->high, row->low);
        break;
    case CAND_TAU:
        snprintf(buf, n, "tau %.4g %s %s %d/%d", row->tau, method, ALIGN_NAMES[row->align],
                 row->high, row->low);
        break;
    case CAND_DYNAMIC:
        snprintf(buf, n, "dynamic %s step %d%s", method, row->step, row->chosen ? " (chosen)" : "");
        break;
    default:
        snprintf(buf, n, "hap prune %.3g, %d-bit", row->cr_target, row->high);
        break;
    }
}

static void front_rows(FILE *f, const results *r, const long *front, long nf, int format) {
    const char *sep = format == REPORT_MARKDOWN ? " | " : format == REPORT_LATEX ? " & " : "  ";
    const char *lead = format == REPORT_MARKDOWN ? "| " : "";
    const char *tail = format == REPORT_MARKDOWN ? " |" : format == REPORT_LATEX ? " \\\\" : "";
    fprintf(f, "%s%5s%s%-36s%s%6s%s%7s%s%11s%s%11s%s%6s%s\n", lead, "index", sep, "candidate", sep,
            "CR", sep, "top-1 %", sep, "energy uJ", sep, "latency us", sep, "util%", tail);
    if (format == REPORT_MARKDOWN) fprintf(f, "|---:|---|---:|---:|---:|---:|---:|\n");
    if (format == REPORT_LATEX) fprintf(f, "\\hline\n");
    for (long k = 0; k < nf; k++) {
        const sweep_row *w = &r->rows[front[k]];
        char name[96];
        report_candidate_name(w, name, sizeof name);
        fprintf(f, "%s%5lld%s%-36s%s%6.3f%s%7.2f%s%11.4f%s%11.2f%s%6.1f%s\n", lead,
                (long long)w->index, sep, name, sep, w->cr_actual, sep, w->top1, sep,
                w->energy_j * 1e6, sep, w->latency_s * 1e6, sep, w->util_all, tail);
    }
}

void report_pareto(FILE *f, const results *r, int format) {
    if (format == REPORT_LATEX) fprintf(f, "\\begin{tabular}{rlrrrrr}\n");
    fprintf(f,
            "%sPareto front: top-1 vs energy per image (%ld of %ld candidates; hypervolume "
            "%.4g %%*uJ against top-1 %.2f %%, %.4g uJ)\n",
            format == REPORT_LATEX      ? "% "
            : format == REPORT_MARKDOWN ? "**"
                                        : "",
            r->n_front_energy, r->n_rows, r->hv_energy * 1e6, r->ref_top1, r->ref_energy * 1e6);
    front_rows(f, r, r->front_energy, r->n_front_energy, format);
    if (format == REPORT_LATEX) fprintf(f, "\\end{tabular}\n\n\\begin{tabular}{rlrrrrr}\n");
    fprintf(f,
            "\n%sPareto front: top-1 vs latency per image (%ld points; hypervolume %.4g %%*us "
            "against top-1 %.2f %%, %.4g us)\n",
            format == REPORT_LATEX      ? "% "
            : format == REPORT_MARKDOWN ? "**"
                                        : "",
            r->n_front_latency, r->hv_latency * 1e6, r->ref_top1, r->ref_latency * 1e6);
    front_rows(f, r, r->front_latency, r->n_front_latency, format);
    if (format == REPORT_LATEX) fprintf(f, "\\end{tabular}\n");
}

int report_pareto_csv(const char *path, const results *r, cs_error *err) {
    FILE *f = fopen(path, "w");
    if (!f) return cs_fail(err, CS_ERR_INPUT, "%s: cannot write: %s", path, strerror(errno));
    fprintf(f, "front,index,kind,method,align,bits_high,bits_low,cr,top1,energy_j,latency_s,"
               "utilization\n");
    for (int which = 0; which < 2; which++) {
        const long *front = which ? r->front_latency : r->front_energy;
        long nf = which ? r->n_front_latency : r->n_front_energy;
        for (long k = 0; k < nf; k++) {
            const sweep_row *w = &r->rows[front[k]];
            fprintf(f, "%s,%lld,%s,%s,%s,%d,%d,%.6g,%.4f,%.6e,%.6e,%.3f\n",
                    which ? "latency" : "energy", (long long)w->index, CAND_KIND_NAMES[w->kind],
                    SENS_METHOD_NAMES[w->method], ALIGN_NAMES[w->align], w->high, w->low,
                    w->cr_actual, w->top1, w->energy_j, w->latency_s, w->util_all);
        }
    }
    if (fclose(f) != 0) return cs_fail(err, CS_ERR_RUNTIME, "%s: write error", path);
    return CS_OK;
}

static void json_front(json_writer *w, const results *r, const long *front, long nf) {
    json_array_begin(w);
    for (long k = 0; k < nf; k++) {
        const sweep_row *p = &r->rows[front[k]];
        json_object_begin(w);
        json_kv_int(w, "index", p->index);
        json_kv_string(w, "kind", CAND_KIND_NAMES[p->kind]);
        json_kv_string(w, "method", SENS_METHOD_NAMES[p->method]);
        json_kv_number(w, "cr", p->cr_actual);
        json_kv_number(w, "top1", p->top1);
        json_kv_number(w, "energy_j", p->energy_j);
        json_kv_number(w, "latency_s", p->latency_s);
        json_object_end(w);
    }
    json_array_end(w);
}

void report_pareto_json(FILE *f, const results *r) {
    json_writer w;
    json_begin(&w, f);
    json_object_begin(&w);
    json_kv_string(&w, "run_id", r->run_id);
    json_key(&w, "front");
    json_front(&w, r, r->front_energy, r->n_front_energy);
    json_kv_number(&w, "hypervolume", r->hv_energy);
    json_key(&w, "reference");
    json_object_begin(&w);
    json_kv_number(&w, "top1", r->ref_top1);
    json_kv_number(&w, "energy_j", r->ref_energy);
    json_object_end(&w);
    json_key(&w, "front_latency");
    json_front(&w, r, r->front_latency, r->n_front_latency);
    json_kv_number(&w, "hypervolume_latency", r->hv_latency);
    json_key(&w, "reference_latency");
    json_object_begin(&w);
    json_kv_number(&w, "top1", r->ref_top1);
    json_kv_number(&w, "latency_s", r->ref_latency);
    json_object_end(&w);
    json_object_end(&w);
    json_end(&w);
}

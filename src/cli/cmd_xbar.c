/* cimsweep xbar: uniform-precision crossbar estimate of a network given as a NeuroSim layer
 * list (NetWork.csv), so the two simulators can be put side by side (DESIGN §8). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cli/cli.h"

static int load_config(const cli_opts *o, cs_config *cfg) {
    if (o->config) return cli_load_config("xbar", o, cfg);
    cs_error err;
    cs_error_clear(&err);
    config_defaults(cfg);
    for (int i = 0; i < o->n_sets; i++)
        if (config_set(cfg, o->sets[i], &err) != CS_OK) return cli_error("xbar", &err);
    if (o->n_sets && config_validate(cfg, &err) != CS_OK) return cli_error("xbar", &err);
    return 0;
}

/* --bits B, or quant.high_bits; it must have a crossbar group. */
static int weight_bits(const cli_opts *o, const cs_config *cfg, long *bits) {
    *bits = cfg->quant.high_bits;
    if (o->bits) {
        char *end;
        errno = 0;
        long b = strtol(o->bits, &end, 10);
        if (errno || *end || end == o->bits || b < 1 || b > 255)
            return cli_usage_error("xbar", "--bits: expected an integer in [1, 255], got '%s'",
                                   o->bits);
        *bits = b;
    }
    if (xbar_group_of(&cfg->xbar, *bits) < 0) {
        char have[256] = "";
        for (int g = 0; g < cfg->xbar.n_groups; g++) {
            size_t n = strlen(have);
            snprintf(have + n, sizeof have - n, "%s%ld", g ? ", " : "", cfg->xbar.groups[g].bits);
        }
        fprintf(stderr,
                "cimsweep xbar: xbar.groups has no group for %ld-bit weights (it has %s bits); "
                "add one to the configuration\n",
                *bits, have);
        return 2;
    }
    return 0;
}

static void print_table(const char *path, const cs_config *cfg, long bits, const xbar_layer *ls,
                        const xbar_layer_stats *st, int n, const xbar_totals *t, int g) {
    const xbar_params *hw = &cfg->xbar;
    printf("network %s: %d layers, %ld-bit weights, %ld-bit inputs\n", path, n, bits,
           hw->input_bits);
    printf("crossbars %ldx%ld, %ld-bit cells, %ld-level %s ADC per %ld columns, mapping %s, "
           "positions %s\n\n",
           hw->rows, hw->cols, hw->cell_bits, hw->groups[g].adc_levels,
           XBAR_ADC_NAMES[hw->adc_model], hw->groups[g].cols_per_adc, XBAR_MAP_NAMES[hw->mapping],
           XBAR_POS_NAMES[hw->positions]);
    printf("%-6s %9s %6s %2s %6s %2s %8s %7s %6s %10s %10s %10s %10s %10s\n", "layer", "IFM", "C",
           "K", "M", "S", "V", "xbars", "util%", "conv (M)", "ADC (nJ)", "accum (nJ)", "other (nJ)",
           "lat (us)");
    for (int i = 0; i < n; i++) {
        const xbar_layer *l = &ls[i];
        const xbar_group_stats *s = &st[i].g[g];
        char ifm[32];
        snprintf(ifm, sizeof ifm, "%dx%d", l->H, l->W);
        printf("%-6s %9s %6d %2d %6d %2d %8.0f %7ld %6.2f %10.3f %10.3f %10.3f %10.3f %10.3f\n",
               l->name, ifm, l->C, l->K, l->M, l->stride, s->positions, s->crossbars,
               s->alloc_cells ? 100.0 * (double)s->used_cells / (double)s->alloc_cells : 0.0,
               s->conversions * 1e-6, s->energy_adc_j * 1e9, s->energy_accum_j * 1e9,
               s->energy_other_j * 1e9, st[i].latency_s * 1e6);
    }
    printf("\nenergy per image:  %.4g uJ (ADC %.4g, accumulation %.4g, other %.4g)\n",
           t->energy_j * 1e6, t->energy_adc_j * 1e6, t->energy_accum_j * 1e6,
           t->energy_other_j * 1e6);
    printf("latency per image: %.4g us (layers in sequence)\n", t->latency_s * 1e6);
    printf("utilization:       %.2f %% of %ld crossbars; %.4g M conversions\n",
           100.0 * t->utilization, t->crossbars, t->conversions * 1e-6);
}

static void print_json(const char *path, const cs_config *cfg, long bits, const xbar_layer *ls,
                       const xbar_layer_stats *st, int n, const xbar_totals *t, int g) {
    const xbar_params *hw = &cfg->xbar;
    json_writer w;
    json_begin(&w, stdout);
    json_object_begin(&w);
    json_kv_string(&w, "network", path);
    json_kv_int(&w, "bits", bits);
    json_kv_int(&w, "input_bits", hw->input_bits);
    json_kv_int(&w, "rows", hw->rows);
    json_kv_int(&w, "cols", hw->cols);
    json_kv_int(&w, "cell_bits", hw->cell_bits);
    json_kv_int(&w, "adc_levels", hw->groups[g].adc_levels);
    json_kv_int(&w, "cols_per_adc", hw->groups[g].cols_per_adc);
    json_kv_string(&w, "adc_model", XBAR_ADC_NAMES[hw->adc_model]);
    json_kv_string(&w, "mapping", XBAR_MAP_NAMES[hw->mapping]);
    json_kv_string(&w, "positions", XBAR_POS_NAMES[hw->positions]);
    json_kv_number(&w, "energy_j", t->energy_j);
    json_kv_number(&w, "energy_adc_j", t->energy_adc_j);
    json_kv_number(&w, "energy_accum_j", t->energy_accum_j);
    json_kv_number(&w, "energy_other_j", t->energy_other_j);
    json_kv_number(&w, "latency_s", t->latency_s);
    json_kv_number(&w, "utilization", 100.0 * t->utilization);
    json_kv_int(&w, "crossbars", t->crossbars);
    json_kv_number(&w, "conversions", t->conversions);
    json_key(&w, "layers");
    json_array_begin(&w);
    for (int i = 0; i < n; i++) {
        const xbar_layer *l = &ls[i];
        const xbar_group_stats *s = &st[i].g[g];
        json_object_begin(&w);
        json_kv_string(&w, "name", l->name);
        json_kv_int(&w, "ifm_h", l->H);
        json_kv_int(&w, "ifm_w", l->W);
        json_kv_int(&w, "c", l->C);
        json_kv_int(&w, "k", l->K);
        json_kv_int(&w, "m", l->M);
        json_kv_int(&w, "stride", l->stride);
        json_kv_number(&w, "positions", s->positions);
        json_kv_int(&w, "crossbars", s->crossbars);
        json_kv_number(&w, "utilization",
                       s->alloc_cells ? 100.0 * (double)s->used_cells / (double)s->alloc_cells
                                      : 0.0);
        json_kv_number(&w, "conversions", s->conversions);
        json_kv_number(&w, "energy_j", st[i].energy_j);
        json_kv_number(&w, "energy_adc_j", s->energy_adc_j);
        json_kv_number(&w, "energy_accum_j", s->energy_accum_j);
        json_kv_number(&w, "energy_other_j", s->energy_other_j);
        json_kv_number(&w, "latency_s", st[i].latency_s);
        json_object_end(&w);
    }
    json_array_end(&w);
    json_object_end(&w);
    json_end(&w);
}

/* Map every layer with all strips at `bits`. */
static int estimate(const cs_config *cfg, long bits, const xbar_layer *ls, int n,
                    xbar_layer_stats *st, cs_error *err) {
    for (int i = 0; i < n; i++) {
        long ns = (long)ls[i].M * ls[i].K * ls[i].K;
        uint8_t *b = cs_alloc((size_t)ns, 1, err);
        if (!b) return CS_ERR_RUNTIME;
        memset(b, (int)bits, (size_t)ns);
        int rc = xbar_map_layer(&cfg->xbar, &ls[i], b, -1, &st[i], err);
        free(b);
        if (rc) return rc;
    }
    return CS_OK;
}

int cmd_xbar(int argc, char **argv) {
    cli_opts o;
    int rc = cli_parse("xbar", argc, argv,
                       OPT_NETWORK | OPT_CONFIG | OPT_SET | OPT_JSON | OPT_QUIET, &o);
    if (rc) return rc;
    if (o.help) return cli_help("xbar");
    if (!o.network) return cli_usage_error("xbar", "missing --network NetWork.csv");
    if (o.n_positional) return cli_usage_error("xbar", "unexpected argument '%s'", o.positional[0]);
    cs_config *cfg = cs_alloc(1, sizeof *cfg, NULL);
    if (!cfg) return 1;
    long bits = 0;
    rc = load_config(&o, cfg);
    if (rc == 0) rc = weight_bits(&o, cfg, &bits);
    if (rc) {
        free(cfg);
        return rc;
    }
    cs_error err;
    cs_error_clear(&err);
    xbar_layer *ls = NULL;
    xbar_layer_stats *st = NULL;
    int n = 0;
    int status = xbar_read_network_csv(o.network, &ls, &n, &err);
    if (status == CS_OK) {
        st = cs_alloc((size_t)n, sizeof *st, &err);
        status = st ? estimate(cfg, bits, ls, n, st, &err) : CS_ERR_RUNTIME;
    }
    if (status == CS_OK) {
        xbar_totals t;
        xbar_network_totals(&cfg->xbar, st, n, &t);
        int g = xbar_group_of(&cfg->xbar, bits);
        if (o.json)
            print_json(o.network, cfg, bits, ls, st, n, &t, g);
        else
            print_table(o.network, cfg, bits, ls, st, n, &t, g);
        rc = 0;
    } else {
        rc = cli_error("xbar", &err);
    }
    free(ls);
    free(st);
    free(cfg);
    return rc;
}

/* The crossbar figures of issue 6's closing note, as markdown tables:
 *  1. VGG-8 (CIFAR, NeuroSim's example network) at 8/8 and 4/8 bit next to DNN+NeuroSim V1.4
 *     (notes/neurosim.md), configured like that run (configs/xbar/neurosim-v14-vgg8.cfg);
 *  2. ResNet-18 (CIFAR shapes), same hardware, cimsweep only;
 *  3. the seed's Table 4 analog: ResNet-50 (CIFAR shapes), CR 0.8 with Omega from the seeded
 *     `random` draw, 128x128 and 32x32 (configs/xbar/rram32-*.cfg): utilization of origin,
 *     packed and packed + aligned.
 *
 * usage: bench_xbar_report [REPO_ROOT] [SEED]     (run from the repository root by default) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "io/config.h"
#include "nn/nn.h"
#include "sweep/align.h"
#include "xbar/xbar.h"

typedef struct net_shapes {
    xbar_layer *l;
    int n;
    long strips;
} net_shapes;

static int die(const cs_error *err) {
    fprintf(stderr, "bench_xbar_report: %s\n", err->msg);
    return 1;
}

static long layer_strips(const xbar_layer *l) {
    return (long)l->M * l->K * l->K;
}

/* Map every layer (bits consecutive per layer) and total. */
static int run(const xbar_params *hw, const net_shapes *net, const uint8_t *bits, int mapping,
               xbar_totals *t, cs_error *err) {
    xbar_layer_stats *st = cs_alloc((size_t)net->n, sizeof *st, err);
    if (!st) return CS_ERR_RUNTIME;
    long off = 0;
    for (int i = 0; i < net->n; i++) {
        int rc = xbar_map_layer(hw, &net->l[i], bits + off, mapping, &st[i], err);
        if (rc) {
            free(st);
            return rc;
        }
        off += layer_strips(&net->l[i]);
    }
    xbar_network_totals(hw, st, net->n, t);
    free(st);
    return CS_OK;
}

static int uniform(const xbar_params *hw, const net_shapes *net, int bits, xbar_totals *t,
                   cs_error *err) {
    uint8_t *b = cs_alloc((size_t)net->strips, 1, err);
    if (!b) return CS_ERR_RUNTIME;
    memset(b, bits, (size_t)net->strips);
    int rc = run(hw, net, b, -1, t, err);
    free(b);
    return rc;
}

static int from_net(int arch, net_shapes *s, cs_error *err) {
    nn_net net;
    int rc = nn_build(&net, arch, 1.0, 3, 32, 32, 10, err);
    if (rc) return rc;
    rc = xbar_layers_from_net(&net, &s->l, &s->n, err);
    nn_free(&net);
    s->strips = 0;
    for (int i = 0; rc == CS_OK && i < s->n; i++) s->strips += layer_strips(&s->l[i]);
    return rc;
}

static int load(const char *root, const char *name, cs_config *cfg, cs_error *err) {
    char path[CS_PATH_MAX];
    snprintf(path, sizeof path, "%s/configs/xbar/%s", root, name);
    return config_load(path, cfg, err);
}

static void row(const char *what, const xbar_totals *t) {
    printf("| %s | %.2f | %.2f | %.2f | %.2f | %.1f | %.2f |\n", what, t->energy_j * 1e6,
           t->energy_adc_j * 1e6, t->energy_accum_j * 1e6, t->energy_other_j * 1e6,
           t->latency_s * 1e6, 100 * t->utilization);
}

/* ---- 1 and 2: uniform precision ---- */

static int vgg8_table(const char *root, cs_error *err) {
    static const struct {
        int bits;
        double e, adc, acc, oth, lat;
    } ns[2] = {{8, 26.75, 11.38, 3.25, 12.12, 1071.5}, {4, 15.43, 5.67, 1.70, 8.06, 1029.0}};
    cs_config *cfg = cs_alloc(1, sizeof *cfg, err);
    if (!cfg) return CS_ERR_RUNTIME;
    net_shapes net = {0};
    char path[CS_PATH_MAX];
    snprintf(path, sizeof path, "%s/tests/xbar/vgg8.csv", root);
    int rc = load(root, "neurosim-v14-vgg8.cfg", cfg, err);
    if (rc == CS_OK) rc = xbar_read_network_csv(path, &net.l, &net.n, err);
    for (int i = 0; rc == CS_OK && i < net.n; i++) net.strips += layer_strips(&net.l[i]);
    printf("## VGG-8 (CIFAR) vs DNN+NeuroSim V1.4, 8-bit inputs, per image\n\n");
    printf("configs/xbar/neurosim-v14-vgg8.cfg, positions = ((H-K+1)/S)^2 as NeuroSim counts.\n\n");
    printf(
        "| weights | | energy (uJ) | ADC (uJ) | accumulation (uJ) | other (uJ) | latency (us) |\n");
    printf("|---|---|---|---|---|---|---|\n");
    for (int k = 0; rc == CS_OK && k < 2; k++) {
        xbar_totals t;
        rc = uniform(&cfg->xbar, &net, ns[k].bits, &t, err);
        if (rc) break;
        double c[5] = {t.energy_j * 1e6, t.energy_adc_j * 1e6, t.energy_accum_j * 1e6,
                       t.energy_other_j * 1e6, t.latency_s * 1e6};
        double r[5] = {ns[k].e, ns[k].adc, ns[k].acc, ns[k].oth, ns[k].lat};
        printf("| %d bit | cimsweep | %.2f | %.2f | %.2f | %.2f | %.1f |\n", ns[k].bits, c[0], c[1],
               c[2], c[3], c[4]);
        printf("| | NeuroSim V1.4 | %.2f | %.2f | %.2f | %.2f | %.1f |\n", r[0], r[1], r[2], r[3],
               r[4]);
        printf("| | ratio | %.2f | %.2f | %.2f | %.2f | %.2f |\n", c[0] / r[0], c[1] / r[1],
               c[2] / r[2], c[3] / r[3], c[4] / r[4]);
    }
    if (rc == CS_OK) {
        /* NeuroSim fed the padded input sizes (34x34 for 32x32) counts Ho*Wo positions */
        cfg->xbar.positions = XBAR_POS_PADDED;
        xbar_totals t;
        rc = uniform(&cfg->xbar, &net, 8, &t, err);
        if (rc == CS_OK)
            printf("\nPadded positions (Ho*Wo), 8/8: cimsweep %.2f uJ, NeuroSim V1.4 fed padded "
                   "sizes 35.9 uJ (ratio %.2f).\n\n",
                   t.energy_j * 1e6, t.energy_j * 1e6 / 35.9);
    }
    free(net.l);
    free(cfg);
    return rc;
}

static int resnet18_table(const char *root, cs_error *err) {
    cs_config *cfg = cs_alloc(1, sizeof *cfg, err);
    if (!cfg) return CS_ERR_RUNTIME;
    net_shapes net = {0};
    int rc = load(root, "neurosim-v14-vgg8.cfg", cfg, err);
    if (rc == CS_OK) rc = from_net(NN_RESNET18, &net, err);
    printf("## ResNet-18 (CIFAR shapes), hardware of neurosim-v14-vgg8.cfg, 8-bit inputs\n\n");
    printf("| weights, positions | energy (uJ) | ADC (uJ) | accumulation (uJ) | other (uJ) | "
           "latency (us) | utilization (%%) |\n");
    printf("|---|---|---|---|---|---|---|\n");
    for (int pos = 1; rc == CS_OK && pos >= 0; pos--)
        for (int b = 8; rc == CS_OK && b >= 4; b -= 4) {
            cfg->xbar.positions = pos;
            xbar_totals t;
            rc = uniform(&cfg->xbar, &net, b, &t, err);
            char what[64];
            snprintf(what, sizeof what, "%d bit, %s", b, XBAR_POS_NAMES[pos]);
            if (rc == CS_OK) row(what, &t);
        }
    printf("\n");
    free(net.l);
    free(cfg);
    return rc;
}

/* ---- 3: Table 4 analog ---- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* E5 at a global threshold: the round(cr * N) lowest-Omega strips are Low. */
static int threshold(const double *omega, long n, double cr, long hb, long lb, uint8_t *bits,
                     cs_error *err) {
    double *s = cs_alloc((size_t)n, sizeof *s, err);
    if (!s) return CS_ERR_RUNTIME;
    memcpy(s, omega, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    long k = (long)floor(cr * (double)n + 0.5);
    double tau = k >= n ? INFINITY : s[k];
    for (long i = 0; i < n; i++) bits[i] = (uint8_t)(omega[i] >= tau ? hb : lb);
    free(s);
    return CS_OK;
}

enum { AL_NONE, AL_LAYER, AL_UNITS_DOWN, AL_UNITS_NEAREST };

static int align_all(const xbar_params *hw, const net_shapes *net, const double *omega,
                     uint8_t *bits, int how, cs_error *err) {
    long off = 0;
    for (int i = 0; i < net->n; i++) {
        const xbar_layer *l = &net->l[i];
        int rc = CS_OK;
        if (how == AL_LAYER)
            rc = sweep_align_layer(omega + off, bits + off, layer_strips(l), 8, 4,
                                   xbar_capacity(hw, l, 8), ALIGN_DOWN, err);
        else if (how != AL_NONE)
            rc = sweep_align_mapped(hw, l, omega + off, bits + off, 8, 4,
                                    how == AL_UNITS_DOWN ? ALIGN_DOWN : ALIGN_NEAREST, err);
        if (rc) return rc;
        off += layer_strips(l);
    }
    return CS_OK;
}

static int table4(const char *root, long seed, cs_error *err) {
    net_shapes net = {0};
    int rc = from_net(NN_RESNET50, &net, err);
    if (rc) return rc;
    double *omega = cs_alloc((size_t)net.strips, sizeof *omega, err);
    uint8_t *base = cs_alloc((size_t)net.strips, 1, err);
    uint8_t *bits = cs_alloc((size_t)net.strips, 1, err);
    cs_config *cfg = cs_alloc(1, sizeof *cfg, err);
    if (!omega || !base || !bits || !cfg) rc = CS_ERR_RUNTIME;
    for (long s = 0; rc == CS_OK && s < net.strips; s++) {
        rng_stream r;
        rng_init(&r, (uint64_t)seed, RNG_RANDOM_OMEGA, (uint64_t)s);
        omega[s] = rng_uniform(&r);
    }
    if (rc == CS_OK) rc = threshold(omega, net.strips, 0.8, 8, 4, base, err);
    printf("## Table 4 analog: ResNet-50 (CIFAR shapes), %d layers, %ld strips, CR 0.8, "
           "random Omega (seed %ld), 8/4 bit\n\n",
           net.n, net.strips, seed);
    printf("| crossbar | mapping | CR after | utilization (%%) | High util (%%) | Low util (%%) "
           "| crossbars | energy (uJ) | latency (us) |\n");
    printf("|---|---|---|---|---|---|---|---|---|\n");
    static const char *const cfgs[2] = {"rram32-128.cfg", "rram32-32.cfg"};
    static const struct {
        const char *name;
        int mapping, align;
    } rows[5] = {
        {"origin", XBAR_MAP_ORIGIN, AL_NONE},
        {"packed", XBAR_MAP_PACKED, AL_NONE},
        {"packed + aligned (down, layer count, E9 as in the seed)", XBAR_MAP_PACKED, AL_LAYER},
        {"packed + aligned (down, per input-slice unit)", XBAR_MAP_PACKED, AL_UNITS_DOWN},
        {"packed + aligned (nearest, per input-slice unit)", XBAR_MAP_PACKED, AL_UNITS_NEAREST}};
    for (int c = 0; rc == CS_OK && c < 2; c++) {
        rc = load(root, cfgs[c], cfg, err);
        for (int k = 0; rc == CS_OK && k < 5; k++) {
            memcpy(bits, base, (size_t)net.strips);
            rc = align_all(&cfg->xbar, &net, omega, bits, rows[k].align, err);
            xbar_totals t;
            if (rc == CS_OK) rc = run(&cfg->xbar, &net, bits, rows[k].mapping, &t, err);
            if (rc) break;
            long low = 0;
            for (long s = 0; s < net.strips; s++) low += bits[s] == 4;
            printf("| %ldx%ld | %s | %.4f | %.2f | %.2f | %.2f | %ld | %.2f | %.1f |\n",
                   cfg->xbar.rows, cfg->xbar.cols, rows[k].name, (double)low / (double)net.strips,
                   100 * t.utilization, 100 * t.util_group[0], 100 * t.util_group[1], t.crossbars,
                   t.energy_j * 1e6, t.latency_s * 1e6);
        }
    }
    printf("\n");
    free(omega);
    free(base);
    free(bits);
    free(cfg);
    free(net.l);
    return rc;
}

int main(int argc, char **argv) {
    const char *root = argc > 1 ? argv[1] : ".";
    long seed = argc > 2 ? atol(argv[2]) : 1;
    cs_error err;
    cs_error_clear(&err);
    if (vgg8_table(root, &err) || resnet18_table(root, &err) || table4(root, seed, &err))
        return die(&err);
    return 0;
}

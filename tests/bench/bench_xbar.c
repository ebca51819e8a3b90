/* Speed of the crossbar model: map + energy of one full ResNet-50 (CIFAR shapes) assignment
 * (CR 0.8, random Omega, aligned per input slice), one thread. Target: <= 5 ms. Prints one
 * JSON object.
 *
 * usage: bench_xbar [CONFIG] [SECONDS] [MAPPING: packed | origin] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "io/config.h"
#include "nn/nn.h"
#include "sweep/align.h"
#include "xbar/xbar.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int fail(const cs_error *err) {
    fprintf(stderr, "bench_xbar: %s\n", err->msg);
    return 1;
}

int main(int argc, char **argv) {
    cs_error err;
    cs_error_clear(&err);
    static cs_config cfg;
    config_defaults(&cfg);
    if (argc > 1 && strcmp(argv[1], "-") != 0 && config_load(argv[1], &cfg, &err))
        return fail(&err);
    double seconds = argc > 2 ? atof(argv[2]) : 2.0;
    int mapping = argc > 3 ? cs_name_index(XBAR_MAP_NAMES, argv[3]) : XBAR_MAP_PACKED;
    if (mapping < 0) {
        fprintf(stderr, "usage: bench_xbar [CONFIG] [SECONDS] [packed|origin]\n");
        return 2;
    }
    const xbar_params *hw = &cfg.xbar;
    nn_net net;
    xbar_layer *ls;
    int n;
    if (nn_build(&net, NN_RESNET50, 1.0, 3, 32, 32, 10, &err) ||
        xbar_layers_from_net(&net, &ls, &n, &err))
        return fail(&err);
    nn_free(&net);
    long total = 0;
    for (int i = 0; i < n; i++) total += (long)ls[i].M * ls[i].K * ls[i].K;
    double *omega = malloc(sizeof *omega * (size_t)total),
           *sorted = malloc(sizeof *sorted * (size_t)total);
    uint8_t *bits = malloc((size_t)total);
    xbar_layer_stats *st = malloc(sizeof *st * (size_t)n);
    if (!omega || !sorted || !bits || !st) return 1;
    for (long s = 0; s < total; s++) {
        rng_stream r;
        rng_init(&r, 1, RNG_RANDOM_OMEGA, (uint64_t)s);
        omega[s] = sorted[s] = rng_uniform(&r);
    }
    qsort(sorted, (size_t)total, sizeof *sorted, cmp_double);
    double tau = sorted[(long)(0.8 * (double)total + 0.5)];
    for (long s = 0; s < total; s++) bits[s] = omega[s] >= tau ? 8 : 4;
    long off = 0;
    for (int i = 0; i < n; i++) {
        if (sweep_align_mapped(hw, &ls[i], omega + off, bits + off, 8, 4, ALIGN_DOWN, &err))
            return fail(&err);
        off += (long)ls[i].M * ls[i].K * ls[i].K;
    }

    long max_reps = 100000, k = 0;
    double *times = malloc(sizeof *times * (size_t)max_reps);
    if (!times) return 1;
    xbar_totals t;
    double t_start = cs_now();
    while (k < max_reps && (k < 20 || cs_now() - t_start < seconds)) {
        double t0 = cs_now();
        off = 0;
        for (int i = 0; i < n; i++) {
            if (xbar_map_layer(hw, &ls[i], bits + off, mapping, &st[i], &err)) return fail(&err);
            off += (long)ls[i].M * ls[i].K * ls[i].K;
        }
        xbar_network_totals(hw, st, n, &t);
        times[k++] = cs_now() - t0;
    }
    qsort(times, (size_t)k, sizeof *times, cmp_double);
    printf("{\"bench\": \"xbar_map_energy\", \"arch\": \"resnet50-cifar\", \"mapping\": \"%s\", "
           "\"rows\": %ld, \"cols\": %ld, \"layers\": %d, \"strips\": %ld, \"reps\": %ld, "
           "\"median_ms\": %.4f, \"min_ms\": %.4f, \"p90_ms\": %.4f, \"utilization\": %.4f, "
           "\"energy_j\": %.6g}\n",
           XBAR_MAP_NAMES[mapping], hw->rows, hw->cols, n, total, k, 1e3 * times[k / 2],
           1e3 * times[0], 1e3 * times[(long)(0.9 * (double)(k - 1))], 100 * t.utilization,
           t.energy_j);
    free(times);
    free(omega);
    free(sorted);
    free(bits);
    free(st);
    free(ls);
    return 0;
}

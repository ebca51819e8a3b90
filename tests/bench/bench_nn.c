/* Throughput of cimsweep's forward, forward+backward and exact HVP on one batch, one
 * thread. Prints one JSON object per line; tests/bench/bench_nn.py puts it next to PyTorch.
 *
 * usage: bench_nn ARCH WIDTH IN_C SIZE BATCH SECONDS [PASS: 0 fwd, 1 fwd+bwd, 2 hvp] */
#include <stdio.h>
#include <stdlib.h>

#include "base/rng.h"
#include "nn/nn.h"

typedef enum { B_FWD, B_FWDBWD, B_HVP } bench_mode;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Repeat one pass for about `seconds`; times[] gets each repetition (sorted). */
static long run(nn_net *net, bench_mode m, const float *x, const uint8_t *y, int n, const float *v,
                float *hv, double seconds, double *times, long max_reps) {
    double t_start = cs_now();
    long k = 0;
    while (k < max_reps && (k < 3 || cs_now() - t_start < seconds)) {
        double t0 = cs_now();
        if (m == B_FWD) {
            nn_forward(net, x, n);
        } else if (m == B_FWDBWD) {
            nn_forward(net, x, n);
            nn_loss(net, y, 1.0f / n);
            nn_backward(net, 1);
        } else {
            nn_hvp(net, x, y, n, 1.0f / n, v, hv);
        }
        times[k++] = cs_now() - t0;
    }
    qsort(times, (size_t)k, sizeof *times, cmp_double);
    return k;
}

int main(int argc, char **argv) {
    if (argc != 7 && argc != 8) {
        fprintf(stderr, "usage: bench_nn ARCH WIDTH IN_C SIZE BATCH SECONDS [PASS]\n");
        return 2;
    }
    cs_error err;
    int arch = cs_name_index(NN_ARCH_NAMES, argv[1]);
    int in_c = atoi(argv[3]), size = atoi(argv[4]), n = atoi(argv[5]);
    double seconds = atof(argv[6]);
    nn_net net;
    if (arch < 0 || nn_build(&net, arch, atof(argv[2]), in_c, size, size, 10, &err) ||
        nn_plan(&net, n, NN_PLAN_GRAD | NN_PLAN_R, &err)) {
        fprintf(stderr, "bench_nn: %s\n", err.msg);
        return 1;
    }
    nn_set_threads(1);
    nn_init_weights(&net, 1);
    long in = (long)n * in_c * size * size;
    float *x = malloc(sizeof(float) * (size_t)in), *v = malloc(sizeof(float) * (size_t)net.q_total);
    float *hv = malloc(sizeof(float) * (size_t)net.q_total);
    uint8_t *y = malloc((size_t)n);
    rng_stream r;
    rng_init(&r, 1, RNG_TEST, 0);
    for (long i = 0; i < in; i++) x[i] = (float)rng_normal(&r);
    for (long i = 0; i < net.q_total; i++) v[i] = (float)rng_normal(&r);
    for (int i = 0; i < n; i++) y[i] = (uint8_t)rng_below(&r, 10);
    double flops = nn_forward_flops(&net) * n;
    const char *names[3] = {"forward", "forward+backward", "hvp"};
    int only = argc == 8 ? atoi(argv[7]) : -1;
    double times[4096];
    for (int m = 0; m < 3; m++) {
        if (only >= 0 && m != only) continue;
        long reps = run(&net, (bench_mode)m, x, y, n, v, hv, seconds, times, 4096);
        double best = times[0], med = times[reps / 2], mult = m == 0 ? 1 : m == 1 ? 3 : 8;
        printf("{\"arch\": \"%s\", \"in\": \"%dx%dx%d\", \"batch\": %d, \"pass\": \"%s\", "
               "\"reps\": %ld, \"images_per_s\": %.2f, \"images_per_s_best\": %.2f, "
               "\"gflops_best\": %.2f}\n",
               argv[1], in_c, size, size, n, names[m], reps, n / med, n / best,
               flops * mult / best / 1e9);
        fflush(stdout);
    }
    nn_free(&net);
    free(x), free(v), free(hv), free(y);
    return 0;
}

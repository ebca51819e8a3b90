/* Reference fixture for tests/ref/check_nn.py: builds a network with random weights and
 * random BN statistics, runs cimsweep's forward, loss, backward and Hessian-vector products
 * on a random batch, and writes the model file and every result for PyTorch to recompute.
 *
 * usage: nn_dump ARCH WIDTH IN_C SIZE CLASSES BATCH SEED OUT_PREFIX */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "io/h5util.h"
#include "io/model_file.h"
#include "nn/nn.h"

/* Random BN affine parameters and running statistics near the batch statistics (times a
 * random factor), so activations stay of order one through deep networks: with arbitrary
 * statistics they grow to ~1e2, and float32 / float64 then disagree on the sign of ReLU
 * inputs near zero, which says nothing about the code. */
static void randomize_bn(nn_net *net, uint64_t seed, const float *x, int n) {
    for (int i = 0; i < net->n_params; i++) {
        nn_param *p = &net->params[i];
        if (net->layers[p->layer].kind != NN_BN) continue;
        rng_stream r;
        rng_init(&r, seed, RNG_TEST, 1000 + (uint64_t)i);
        const char *s = strrchr(p->name, '.') + 1;
        for (long j = 0; j < p->size; j++) {
            double u = rng_uniform(&r);
            if (strcmp(s, "weight") == 0) p->data[j] = (float)(0.5 + u);
            if (strcmp(s, "bias") == 0) p->data[j] = (float)(0.2 * (u - 0.5));
        }
    }
    net->train_mode = 1;
    for (int it = 0; it < 60; it++) nn_forward(net, x, n); /* running stats -> batch stats */
    net->train_mode = 0;
    for (int i = 0; i < net->n_params; i++) {
        nn_param *p = &net->params[i];
        if (net->layers[p->layer].kind != NN_BN) continue;
        rng_stream r;
        rng_init(&r, seed, RNG_TEST, 2000 + (uint64_t)i);
        const char *s = strrchr(p->name, '.') + 1;
        for (long j = 0; j < p->size; j++) {
            double u = rng_uniform(&r);
            if (strcmp(s, "running_mean") == 0) p->data[j] += (float)(0.2 * (u - 0.5));
            if (strcmp(s, "running_var") == 0) p->data[j] *= (float)(0.8 + 0.4 * u);
        }
    }
}

int main(int argc, char **argv) {
    if (argc != 9) {
        fprintf(stderr, "usage: nn_dump ARCH WIDTH IN_C SIZE CLASSES BATCH SEED OUT_PREFIX\n");
        return 2;
    }
    cs_error err;
    cs_error_clear(&err);
    int arch = cs_name_index(NN_ARCH_NAMES, argv[1]);
    double width = atof(argv[2]);
    int in_c = atoi(argv[3]), size = atoi(argv[4]), classes = atoi(argv[5]), n = atoi(argv[6]);
    uint64_t seed = (uint64_t)atol(argv[7]);
    nn_net net;
    if (arch < 0 || nn_build(&net, arch, width, in_c, size, size, classes, &err) ||
        nn_plan(&net, n, NN_PLAN_GRAD | NN_PLAN_R, &err)) {
        fprintf(stderr, "nn_dump: %s\n", err.msg);
        return 1;
    }
    nn_init_weights(&net, seed);
    long in_size = (long)n * in_c * size * size;
    float *x = malloc(sizeof(float) * (size_t)in_size);
    float *v = malloc(sizeof(float) * (size_t)net.q_total);
    float *hv = malloc(sizeof(float) * (size_t)net.q_total);
    float *hvl = malloc(sizeof(float) * (size_t)net.q_total);
    float *logits = malloc(sizeof(float) * (size_t)n * classes);
    uint8_t *y = malloc((size_t)n);
    rng_stream r;
    rng_init(&r, seed, RNG_TEST, 1);
    for (long i = 0; i < in_size; i++) x[i] = (float)rng_normal(&r);
    for (int i = 0; i < n; i++) y[i] = (uint8_t)rng_below(&r, (uint64_t)classes);
    for (long i = 0; i < net.q_total; i++) v[i] = (float)rng_normal(&r);
    randomize_bn(&net, seed, x, n);

    /* forward, mean loss, gradients */
    float scale = 1.0f / (float)n;
    nn_forward(&net, x, n);
    double loss = nn_loss(&net, y, scale) / n;
    for (int i = 0; i < n; i++) nn_logits(&net, i, logits + (long)i * classes);
    nn_backward(&net, 1);

    char path[1024];
    snprintf(path, sizeof path, "%s.model.h5", argv[8]);
    model_meta meta = {"random", 0, NAN, 0, "nn_dump"};
    if (model_write(path, &net, &meta, &err)) {
        fprintf(stderr, "nn_dump: %s\n", err.msg);
        return 1;
    }
    snprintf(path, sizeof path, "%s.h5", argv[8]);
    hid_t f;
    if (h5_create(path, &f, &err)) return 1;
    hsize_t dx[4] = {(hsize_t)n, (hsize_t)in_c, (hsize_t)size, (hsize_t)size};
    hsize_t dl[2] = {(hsize_t)n, (hsize_t)classes}, dn = (hsize_t)n, dq = (hsize_t)net.q_total;
    h5_write_f32(f, "x", 4, dx, x);
    h5_write_u8(f, "labels", 1, &dn, y);
    h5_write_f32(f, "logits", 2, dl, logits);
    h5_attr_write_double(f, "loss", loss);
    h5_write_f32(f, "v", 1, &dq, v);
    for (int i = 0; i < net.n_params; i++) {
        nn_param *p = &net.params[i];
        if (!p->trainable) continue;
        hsize_t d = (hsize_t)p->size;
        snprintf(path, sizeof path, "grad/%s", p->name);
        h5_write_f32(f, path, 1, &d, p->grad);
    }

    /* full HVP of the mean loss, then each layer's diagonal block from the cached forward */
    nn_hvp(&net, x, y, n, scale, v, hv);
    nn_forward(&net, x, n);
    nn_loss(&net, y, scale);
    for (int q = 0; q < net.n_q; q++)
        nn_hvp_layer(&net, q, v + net.qoff[q], scale, hvl + net.qoff[q]);
    h5_write_f32(f, "hv", 1, &dq, hv);
    h5_write_f32(f, "hv_layer", 1, &dq, hvl);
    H5Fclose(f);
    nn_free(&net);
    free(x), free(v), free(hv), free(hvl), free(logits), free(y);
    return 0;
}

/* Test helper: the logits of a cimsweep model file on the NCHW batch "x" of an HDF5 file.
 * usage: model_logits MODEL.h5 INPUT.h5 OUT.h5   (OUT gets "logits", n x classes) */
#include <stdio.h>
#include <stdlib.h>

#include "io/h5util.h"
#include "io/model_file.h"

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: model_logits MODEL.h5 INPUT.h5 OUT.h5\n");
        return 2;
    }
    cs_error err;
    nn_net net;
    model_meta meta;
    if (model_read(argv[1], &net, &meta, &err)) {
        fprintf(stderr, "model_logits: %s\n", err.msg);
        return 2;
    }
    hid_t f;
    if (h5_open_read(argv[2], &f, &err)) return 2;
    long n = h5_count(f, "x") / ((long)net.in_c * net.in_h * net.in_w);
    float *x = malloc(sizeof(float) * (size_t)(n * net.in_c * net.in_h * net.in_w));
    float *z = malloc(sizeof(float) * (size_t)(n * net.classes));
    if (!x || !z ||
        h5_read(f, "x", H5T_NATIVE_FLOAT, x, n * net.in_c * net.in_h * net.in_w, argv[2], &err) ||
        nn_plan(&net, (int)n, NN_PLAN_FWD, &err)) {
        fprintf(stderr, "model_logits: %s\n", err.msg);
        return 1;
    }
    H5Fclose(f);
    nn_forward(&net, x, (int)n);
    for (int i = 0; i < n; i++) nn_logits(&net, i, z + (long)i * net.classes);
    if (h5_create(argv[3], &f, &err)) return 1;
    hsize_t dims[2] = {(hsize_t)n, (hsize_t)net.classes};
    h5_write_f32(f, "logits", 2, dims, z);
    H5Fclose(f);
    nn_free(&net);
    free(x);
    free(z);
    return 0;
}

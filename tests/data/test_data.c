/* Data sets: IDX and CIFAR-10 readers on files made here (good and broken ones), subsets,
 * normalisation and augmentation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "base/rng.h"
#include "data/data.h"

static char dir[1024];

static void put_be32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16),
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

/* Write an IDX pair prefix-{images,labels} (gzip) with n images of rows x cols. */
static void write_idx(const char *sub, const char *prefix, uint32_t magic, uint32_t n,
                      uint32_t rows, uint32_t cols, long payload_images, uint32_t n_labels,
                      int bad_label) {
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/%s-images-idx3-ubyte.gz", dir, sub, prefix);
    gzFile g = gzopen(path, "wb");
    unsigned char h[16];
    put_be32(h, magic), put_be32(h + 4, n), put_be32(h + 8, rows), put_be32(h + 12, cols);
    gzwrite(g, h, 16);
    for (long i = 0; i < payload_images * rows * cols; i++) {
        unsigned char v = (unsigned char)(i * 7);
        gzwrite(g, &v, 1);
    }
    gzclose(g);
    snprintf(path, sizeof path, "%s/%s/%s-labels-idx1-ubyte.gz", dir, sub, prefix);
    g = gzopen(path, "wb");
    put_be32(h, 0x801), put_be32(h + 4, n_labels);
    gzwrite(g, h, 8);
    for (uint32_t i = 0; i < n_labels; i++) {
        unsigned char v = (unsigned char)(bad_label && i == 3 ? 12 : i % 10);
        gzwrite(g, &v, 1);
    }
    gzclose(g);
}

static int load(const char *sub, data_set *d, cs_error *err) {
    data_opts o;
    memset(&o, 0, sizeof o);
    o.kind = DATA_FASHION_MNIST;
    snprintf(o.path, sizeof o.path, "%s/%s", dir, sub);
    return data_load(&o, DATA_TEST, d, err);
}

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "%s/test_data", CS_TEST_TMP);
    mkdir(dir, 0755);
    return 0;
}

static void test_idx_good_and_bad(void **state) {
    (void)state;
    data_set d;
    cs_error err;
    write_idx("good", "t10k", 0x803, 20, 28, 28, 20, 20, 0);
    assert_int_equal(load("good", &d, &err), CS_OK);
    assert_int_equal(d.n, 20);
    assert_int_equal(d.c, 1);
    assert_int_equal(d.pixels[5], (unsigned char)(5 * 7));
    assert_int_equal(d.labels[13], 3);
    data_free(&d);
    write_idx("magic", "t10k", 0x804, 20, 28, 28, 20, 20, 0);
    assert_int_equal(load("magic", &d, &err), CS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "bad magic 0x00000804, expected 0x00000803"));
    assert_non_null(strstr(err.msg, "magic/t10k-images-idx3-ubyte.gz"));
    write_idx("short", "t10k", 0x803, 20, 28, 28, 15, 20, 0);
    assert_int_equal(load("short", &d, &err), CS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "truncated"));
    write_idx("count", "t10k", 0x803, 20, 28, 28, 20, 19, 0);
    assert_int_equal(load("count", &d, &err), CS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "19 labels, but the image file holds 20 images"));
    write_idx("size", "t10k", 0x803, 20, 32, 32, 20, 20, 0);
    assert_int_equal(load("size", &d, &err), CS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "images are 32x32, expected 28x28"));
    write_idx("label", "t10k", 0x803, 20, 28, 28, 20, 20, 1);
    assert_int_equal(load("label", &d, &err), CS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "label 12 of image 3"));
    assert_int_equal(load("nowhere", &d, &err), CS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "cannot open"));
}

static void test_cifar_size_check(void **state) {
    (void)state;
    char path[2048];
    snprintf(path, sizeof path, "%s/cifar", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/cifar/test_batch.bin", dir);
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 3073 * 10; i++) fputc(i % 10, f);
    fclose(f);
    data_opts o;
    memset(&o, 0, sizeof o);
    o.kind = DATA_CIFAR10;
    snprintf(o.path, sizeof o.path, "%s/cifar", dir);
    data_set d;
    cs_error err;
    assert_int_equal(data_load(&o, DATA_TEST, &d, &err), CS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "30730 bytes, expected 30730000"));
}

static void test_subsets_batches_and_augmentation(void **state) {
    (void)state;
    data_opts o = {DATA_SYNTHETIC, "", 0, 0, 3, {3, 8, 10, 200, 50}};
    data_set d;
    cs_error err;
    assert_int_equal(data_load(&o, DATA_TRAIN, &d, &err), CS_OK);
    long a[200], b[200], n1, n2;
    assert_int_equal(data_subset(&d, 50, 9, RNG_SUBSET, a, &n1, &err), CS_OK);
    assert_int_equal(data_subset(&d, 50, 9, RNG_SUBSET, b, &n2, &err), CS_OK);
    assert_int_equal(n1, 50);
    assert_memory_equal(a, b, sizeof(long) * 50);
    for (int i = 1; i < 50; i++) assert_true(a[i] > a[i - 1]); /* sorted, distinct */
    /* normalisation: pixel / 255 minus mean over std, channel by channel */
    float x[3 * 64];
    long idx = 7;
    data_batch(&d, &idx, 1, x, 0, 0, 0);
    for (int c = 0; c < 3; c++)
        for (int p = 0; p < 64; p++) {
            float want = (d.pixels[7 * 192 + c * 64 + p] / 255.0f - d.mean[c]) / d.std[c];
            assert_true(fabsf(x[c * 64 + p] - want) < 1e-5f);
        }
    /* augmentation: a shifted (and maybe flipped) copy, the same for the same epoch */
    float y1[3 * 64], y2[3 * 64];
    data_batch(&d, &idx, 1, y1, 1, 4, 2);
    data_batch(&d, &idx, 1, y2, 1, 4, 2);
    assert_memory_equal(y1, y2, sizeof y1);
    int found = 0; /* some interior pixel of the crop equals an original pixel */
    for (int p = 0; p < 64 && !found; p++)
        for (int q = 0; q < 64; q++) found |= fabsf(y1[p] - x[q]) < 1e-6f && fabsf(x[q]) > 0.1f;
    assert_true(found);
    data_free(&d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idx_good_and_bad),
        cmocka_unit_test(test_cifar_size_check),
        cmocka_unit_test(test_subsets_batches_and_augmentation),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

/* Deterministic subsets and normalised, optionally augmented batches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "data/data.h"

static int cmp_long(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

int data_subset(const data_set *d, long count, uint64_t seed, uint32_t purpose, long *idx,
                long *n_out, cs_error *err) {
    if (count <= 0 || count >= d->n) {
        for (long i = 0; i < d->n; i++) idx[i] = i;
        *n_out = d->n;
        return CS_OK;
    }
    long *perm = cs_alloc((size_t)d->n, sizeof *perm, err);
    if (!perm) return CS_ERR_RUNTIME;
    for (long i = 0; i < d->n; i++) perm[i] = i;
    /* the first `count` steps of a Fisher-Yates shuffle: a uniform random subset */
    rng_stream r;
    rng_init(&r, seed, purpose, 0);
    for (long i = 0; i < count; i++) {
        long j = i + (long)rng_below(&r, (uint64_t)(d->n - i));
        long t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    memcpy(idx, perm, sizeof(long) * (size_t)count);
    free(perm);
    qsort(idx, (size_t)count, sizeof *idx, cmp_long);
    *n_out = count;
    return CS_OK;
}

/* Crop padding: 2 pixels on 28x28 images, 4 on 32x32 (1/8 of the side, at least 1). */
static int crop_pad(const data_set *d) {
    int p = d->h / 8;
    return p < 1 ? 1 : p;
}

void data_batch(const data_set *d, const long *idx, int n, float *out, int augment, uint64_t seed,
                long epoch) {
    long hw = (long)d->h * d->w, pix = d->c * hw;
    int pad = crop_pad(d);
    for (int i = 0; i < n; i++) {
        const uint8_t *src = d->pixels + idx[i] * pix;
        float *dst = out + (long)i * pix;
        int dy = 0, dx = 0, flip = 0;
        if (augment) {
            rng_stream r;
            rng_init(&r, seed, RNG_AUGMENT, ((uint64_t)epoch << 32) ^ (uint64_t)idx[i]);
            dy = (int)rng_below(&r, (uint64_t)(2 * pad + 1)) - pad;
            dx = (int)rng_below(&r, (uint64_t)(2 * pad + 1)) - pad;
            flip = d->c == 3 && (rng_u32(&r) & 1u);
        }
        for (int c = 0; c < d->c; c++) {
            float scale = 1.0f / (255.0f * d->std[c]), zero = -d->mean[c] / d->std[c];
            for (int y = 0; y < d->h; y++)
                for (int x = 0; x < d->w; x++) {
                    /* padded pixels are black before normalisation, as torchvision pads */
                    int sy = y + dy, sx = (flip ? d->w - 1 - x : x) + dx;
                    float v = zero;
                    if (sy >= 0 && sy < d->h && sx >= 0 && sx < d->w)
                        v = src[c * hw + (long)sy * d->w + sx] * scale + zero;
                    dst[c * hw + (long)y * d->w + x] = v;
                }
        }
    }
}

void data_labels(const data_set *d, const long *idx, int n, uint8_t *out) {
    for (int i = 0; i < n; i++) out[i] = d->labels[idx[i]];
}

void data_describe(const data_set *d, char *buf, int n) {
    snprintf(buf, (size_t)n, "%s: %ld images %dx%dx%d, %d classes (%s)", DATA_KIND_NAMES[d->kind],
             d->n, d->c, d->h, d->w, d->classes, d->source);
}

/* Data sets as batch sources for the network engine. */
#include "data/data.h"

static int feed_fetch(void *ctx, long start, int count, float *x, uint8_t *y, cs_error *err) {
    data_feed *f = ctx;
    long idx[1024];
    (void)err;
    for (int done = 0; done < count;) {
        int k = count - done < 1024 ? count - done : 1024;
        for (int i = 0; i < k; i++) idx[i] = f->idx ? f->idx[start + done + i] : start + done + i;
        long pix = (long)f->d->c * f->d->h * f->d->w;
        data_batch(f->d, idx, k, x + (long)done * pix, f->augment, f->seed, f->epoch);
        data_labels(f->d, idx, k, y + done);
        done += k;
    }
    return CS_OK;
}

nn_source data_source(data_feed *f) {
    nn_source s = {f, f->n, feed_fetch};
    return s;
}

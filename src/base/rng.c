#include "base/rng.h"

#include <math.h>

/* Philox4x32 constants (Random123). */
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static void philox_round(uint32_t c[4], const uint32_t k[2]) {
    uint64_t p0 = (uint64_t)PHILOX_M0 * c[0];
    uint64_t p1 = (uint64_t)PHILOX_M1 * c[2];
    uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
    uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
    uint32_t n0 = hi1 ^ c[1] ^ k[0];
    uint32_t n2 = hi0 ^ c[3] ^ k[1];
    c[0] = n0;
    c[1] = lo1;
    c[2] = n2;
    c[3] = lo0;
}

static void philox4x32_10(const uint32_t in[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t c[4] = {in[0], in[1], in[2], in[3]};
    uint32_t k[2] = {key[0], key[1]};
    for (int i = 0; i < 10; i++) {
        philox_round(c, k);
        k[0] += PHILOX_W0;
        k[1] += PHILOX_W1;
    }
    for (int i = 0; i < 4; i++) out[i] = c[i];
}

void rng_init(rng_stream *r, uint64_t seed, uint32_t purpose, uint64_t index) {
    r->key[0] = (uint32_t)seed;
    r->key[1] = (uint32_t)(seed >> 32);
    r->ctr[0] = 0; /* block counter within the stream */
    r->ctr[1] = (uint32_t)index;
    r->ctr[2] = (uint32_t)(index >> 32);
    r->ctr[3] = purpose;
    r->used = 4;
}

uint32_t rng_u32(rng_stream *r) {
    if (r->used == 4) {
        philox4x32_10(r->ctr, r->key, r->buf);
        r->ctr[0]++;
        r->used = 0;
    }
    return r->buf[r->used++];
}

double rng_uniform(rng_stream *r) {
    uint64_t a = rng_u32(r) >> 5, b = rng_u32(r) >> 6; /* 27 + 26 bits */
    return ((double)a * 67108864.0 + (double)b) * (1.0 / 9007199254740992.0);
}

uint64_t rng_below(rng_stream *r, uint64_t n) {
    if (n <= 1) return 0;
    if (n <= UINT32_MAX) {
        uint32_t lim = (uint32_t)(UINT32_MAX - (UINT32_MAX % n + 1) % n);
        uint32_t x;
        do x = rng_u32(r);
        while (x > lim);
        return x % n;
    }
    uint64_t lim = UINT64_MAX - (UINT64_MAX % n + 1) % n, x;
    do x = ((uint64_t)rng_u32(r) << 32) | rng_u32(r);
    while (x > lim);
    return x % n;
}

double rng_normal(rng_stream *r) {
    double u1 = rng_uniform(r), u2 = rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void rng_rademacher(rng_stream *r, float *v, long n) {
    long i = 0;
    while (i < n) {
        uint32_t bits = rng_u32(r);
        for (int b = 0; b < 32 && i < n; b++, i++) v[i] = (bits >> b & 1u) ? 1.0f : -1.0f;
    }
}

void rng_shuffle(rng_stream *r, long *perm, long n) {
    for (long i = n - 1; i > 0; i--) {
        long j = (long)rng_below(r, (uint64_t)i + 1);
        long t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

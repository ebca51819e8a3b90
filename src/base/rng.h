/* rng: counter-based random streams (Philox4x32-10, Salmon et al. SC'11 "Random123").
 *
 * A stream is keyed by (seed, purpose, index), so the numbers a work unit draws do not depend
 * on which MPI rank draws them or in what order units run (DESIGN §7 determinism). */
#ifndef CS_RNG_H
#define CS_RNG_H

#include <stdint.h>

/* Purposes: one per use of randomness, so streams never overlap. */
enum {
    RNG_PROBE = 1,        /* Hutchinson Rademacher probes: index = layer << 32 | probe */
    RNG_CALIB = 2,        /* choice of the calibration set D_h */
    RNG_RANDOM_OMEGA = 3, /* the `random` sensitivity control */
    RNG_INIT = 4,         /* weight initialisation: index = parameter number */
    RNG_SHUFFLE = 5,      /* training order: index = epoch */
    RNG_AUGMENT = 6,      /* crop/flip: index = epoch << 32 | sample */
    RNG_FISHER = 7,       /* Fisher sample choice and sampled labels */
    RNG_SKETCH = 8,       /* random projection of gradients */
    RNG_SUBSET = 9,       /* evaluation subsets */
    RNG_SYNTH = 10,       /* synthetic data set */
    RNG_TEST = 99         /* tests */
};

typedef struct rng_stream {
    uint32_t key[2];
    uint32_t ctr[4];
    uint32_t buf[4];
    int used; /* words of buf consumed */
} rng_stream;

/* Start the stream for (seed, purpose, index). */
void rng_init(rng_stream *r, uint64_t seed, uint32_t purpose, uint64_t index);

/* Next 32 random bits. */
uint32_t rng_u32(rng_stream *r);

/* Uniform double in [0, 1) with 53 random bits. */
double rng_uniform(rng_stream *r);

/* Uniform integer in [0, n), without modulo bias. n > 0. */
uint64_t rng_below(rng_stream *r, uint64_t n);

/* Standard normal (Box-Muller on two uniforms). */
double rng_normal(rng_stream *r);

/* Fill v with n Rademacher values (+1/-1) as floats. */
void rng_rademacher(rng_stream *r, float *v, long n);

/* Fisher-Yates shuffle of perm[0..n) (perm must hold some permutation already). */
void rng_shuffle(rng_stream *r, long *perm, long n);

#endif

/* Direct 3x3 stride-1 pad-1 convolution in CNHW layout, without im2col.
 *
 * im2col writes nine copies of the input and OpenBLAS then packs them again; for the thin
 * layers of CIFAR ResNets (16-64 channels) that costs about as much as the arithmetic. Here
 * the input is copied once into a zero-bordered grid, each image of (H+2) x (W+2). An output
 * at (h, w) sits at grid position q = h (W+2) + w, and its nine taps read the grid at
 * q + kh (W+2) + kw: contiguous in q. The kernel vectorises over q (3 x 8 positions; the two
 * border columns of each row are computed and dropped) and blocks 4 output channels, so every
 * input vector load feeds 4 FMAs and every weight broadcast 3.
 *
 * The same kernel computes the data gradient of a stride-1 conv: gx is the convolution of
 * the zero-bordered gy with the kernel transposed (in <-> out) and flipped. The weight
 * gradient gW[m][c][tap] = sum over images and q of gy(q) x(q + offset of tap) is a reduction
 * over the same grid, with gy laid out on the grid too (zero in the border columns).
 * AVX2 + FMA only, chosen at run time; other CPUs use the im2col path in conv.c. */
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CONV3_HAVE_KERNEL 1
#else
#define CONV3_HAVE_KERNEL 0
#endif

#define C3_MAX_TILE 24 /* grid positions per tile */
#define C3_MAX_CH   32 /* wider layers: im2col + OpenBLAS wins (its kernel is closer to peak) */

/* A register-tile variant: mb output channels x tile grid positions (AVX2's 16 registers
 * hold 4 x 24 accumulators: each input load feeds 4 FMAs, each weight broadcast 3). A wider
 * variant (AVX-512) would slot in here; the machines this was measured on mask AVX-512. */
typedef struct c3_variant {
    int mb, tile;
    void (*kernel)(const float *grid, long cstride, int Cin, int gw, const float *wp, float *acc);
} c3_variant;

long conv3x3_grid_floats(int C, int N, int H, int W) {
    /* the last tile of the last image may read up to a tile plus two rows past its end */
    return (long)C * N * (H + 2) * (W + 2) + C3_MAX_TILE + 2L * (W + 2) + 16;
}

int conv3x3_chunk(int C, int N, int H, int W) {
    /* images per grid chunk: the grid of a chunk stays about the size of the L2 cache */
    long per_image = (long)C * (H + 2) * (W + 2);
    long n = NN_COL_TARGET / (per_image > 0 ? per_image : 1);
    return n < 1 ? 1 : n > N ? N : (int)n;
}

static const c3_variant *c3_pick(void);

int conv3x3_usable(const nn_layer *l, int data_grad) {
    if (l->kind != NN_CONV || l->K != 3 || l->stride != 1 || l->pad != 1) return 0;
    if (l->C > C3_MAX_CH || l->M > C3_MAX_CH) return 0;
    const c3_variant *v = c3_pick();
    /* outputs come in blocks of mb channels: M for forward and weight gradients, C for the
     * data gradient (whose outputs are the input channels) */
    return v && l->M % v->mb == 0 && (!data_grad || l->C % v->mb == 0);
}

void conv3x3_to_grid(const float *x, int C, int N, int H, int W, int n0, int n1, float *grid) {
    long gw = W + 2, gimg = (long)(H + 2) * gw;
    int nc = n1 - n0;
    for (long ci = 0; ci < (long)C * nc; ci++) {
        long c = ci / nc, n = n0 + ci % nc;
        const float *src = x + (c * N + n) * H * W;
        float *g = grid + ci * gimg;
        memset(g, 0, sizeof(float) * (size_t)gw);
        for (int h = 0; h < H; h++) {
            float *row = g + (h + 1) * gw;
            row[0] = 0.0f;
            memcpy(row + 1, src + (long)h * W, sizeof(float) * (size_t)W);
            row[W + 1] = 0.0f;
        }
        memset(g + (H + 1) * gw, 0, sizeof(float) * (size_t)gw);
    }
    long tail = conv3x3_grid_floats(C, nc, H, W) - (long)C * nc * gimg;
    memset(grid + (long)C * nc * gimg, 0, sizeof(float) * (size_t)tail);
}

void conv3x3_pack_weights(const float *const *w, int nsrc, int M, int C, int transpose,
                          float *packed) {
    /* packed[(m_block * Cin_all + ci) * 9 + tap][mb]: the mb weights one broadcast group
     * needs; input channel ci = source * Ci + c, so two sources act as one conv over the
     * stacked inputs */
    int Mo = transpose ? C : M, Ci = transpose ? M : C, mb = c3_pick()->mb;
    long ci_all = (long)nsrc * Ci;
    for (int k = 0; k < nsrc; k++)
        for (int m = 0; m < Mo; m++)
            for (int c = 0; c < Ci; c++)
                for (int t = 0; t < 9; t++) {
                    const float *wk = w[k];
                    float v = transpose ? wk[((long)c * C + m) * 9 + (8 - t)]
                                        : wk[((long)m * C + c) * 9 + t];
                    long blk = m / mb, ci = (long)k * Ci + c;
                    packed[((blk * ci_all + ci) * 9 + t) * mb + m % mb] = v;
                }
}

#if CONV3_HAVE_KERNEL
/* Store the valid positions of one tile (C3_MB channels x nq grid positions from q0),
 * row segment by row segment: the two border columns of each grid row are dropped. */
static void tile_store(const float *acc, int mbn, int tile, int q0, int nq, int W, float *y0,
                       long ystride, int add) {
    int gw = W + 2, h = q0 / gw, w = q0 - h * gw;
    for (int i = 0; i < nq;) {
        int run = W - w; /* valid outputs left in this grid row */
        if (run > nq - i) run = nq - i;
        if (run > 0) {
            long o = (long)h * W + w;
            for (int mb = 0; mb < mbn; mb++) {
                const float *a = acc + mb * tile + i;
                float *dst = y0 + mb * ystride + o;
                if (add)
                    for (int k = 0; k < run; k++) dst[k] += a[k];
                else
                    for (int k = 0; k < run; k++) dst[k] = a[k];
            }
            i += run;
            w += run;
        }
        int skip = gw - w; /* border columns, then the next row starts */
        i += skip;
        w = 0;
        h++;
    }
}

__attribute__((target("avx2,fma"))) static void
tile_kernel_avx2(const float *grid, long cstride, int Cin, int gw, const float *wp, float *acc) {
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
    __m256 a20 = a00, a21 = a00, a22 = a00, a30 = a00, a31 = a00, a32 = a00;
    for (int c = 0; c < Cin; c++) {
        const float *g = grid + c * cstride;
        for (int kh = 0; kh < 3; kh++)
            for (int kw = 0; kw < 3; kw++, wp += 4) {
                const float *p = g + kh * gw + kw;
                __m256 x0 = _mm256_loadu_ps(p), x1 = _mm256_loadu_ps(p + 8);
                __m256 x2 = _mm256_loadu_ps(p + 16);
                __m256 w0 = _mm256_broadcast_ss(wp), w1 = _mm256_broadcast_ss(wp + 1);
                a00 = _mm256_fmadd_ps(w0, x0, a00);
                a01 = _mm256_fmadd_ps(w0, x1, a01);
                a02 = _mm256_fmadd_ps(w0, x2, a02);
                a10 = _mm256_fmadd_ps(w1, x0, a10);
                a11 = _mm256_fmadd_ps(w1, x1, a11);
                a12 = _mm256_fmadd_ps(w1, x2, a12);
                __m256 w2 = _mm256_broadcast_ss(wp + 2), w3 = _mm256_broadcast_ss(wp + 3);
                a20 = _mm256_fmadd_ps(w2, x0, a20);
                a21 = _mm256_fmadd_ps(w2, x1, a21);
                a22 = _mm256_fmadd_ps(w2, x2, a22);
                a30 = _mm256_fmadd_ps(w3, x0, a30);
                a31 = _mm256_fmadd_ps(w3, x1, a31);
                a32 = _mm256_fmadd_ps(w3, x2, a32);
            }
    }
    _mm256_storeu_ps(acc + 0, a00), _mm256_storeu_ps(acc + 8, a01), _mm256_storeu_ps(acc + 16, a02);
    _mm256_storeu_ps(acc + 24, a10), _mm256_storeu_ps(acc + 32, a11),
        _mm256_storeu_ps(acc + 40, a12);
    _mm256_storeu_ps(acc + 48, a20), _mm256_storeu_ps(acc + 56, a21),
        _mm256_storeu_ps(acc + 64, a22);
    _mm256_storeu_ps(acc + 72, a30), _mm256_storeu_ps(acc + 80, a31),
        _mm256_storeu_ps(acc + 88, a32);
}
#endif

void conv3x3_dy_to_grid(const float *dy, int M, int N, int H, int W, int n0, int n1, float *g) {
    int gw = W + 2, nc = n1 - n0;
    for (long mi = 0; mi < (long)M * nc; mi++) {
        long m = mi / nc, n = n0 + mi % nc;
        const float *src = dy + (m * N + n) * H * W;
        float *row = g + mi * H * gw;
        for (int h = 0; h < H; h++, row += gw) {
            memcpy(row, src + (long)h * W, sizeof(float) * (size_t)W);
            row[W] = row[W + 1] = 0.0f;
        }
    }
}

#if CONV3_HAVE_KERNEL
__attribute__((target("avx2,fma"))) static float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

/* out[mb][cb] = sum over the chunk of gy row (m0+mb) times x row (c0+cb) shifted by off,
 * for 4 x 3 rows (CB3) or 4 x 1 rows. Rows hold nq positions per image, nc images. The
 * accumulators are named registers: an indexed array would live on the stack. */
__attribute__((target("avx2,fma"))) static void wgrad_tile3(const float *gyg, long gs,
                                                            const float *xg, long xs, long gimg,
                                                            int nq, int nc, int off,
                                                            float out[4][3]) {
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
    __m256 a20 = a00, a21 = a00, a22 = a00, a30 = a00, a31 = a00, a32 = a00;
    int qv = nq / 8 * 8;
    for (int n = 0; n < nc; n++) {
        const float *gy = gyg + (long)n * nq, *x = xg + n * gimg + off;
        for (int q = 0; q < qv; q += 8) {
            __m256 x0 = _mm256_loadu_ps(x + q), x1 = _mm256_loadu_ps(x + xs + q);
            __m256 x2 = _mm256_loadu_ps(x + 2 * xs + q);
            __m256 g = _mm256_loadu_ps(gy + q);
            a00 = _mm256_fmadd_ps(g, x0, a00);
            a01 = _mm256_fmadd_ps(g, x1, a01);
            a02 = _mm256_fmadd_ps(g, x2, a02);
            g = _mm256_loadu_ps(gy + gs + q);
            a10 = _mm256_fmadd_ps(g, x0, a10);
            a11 = _mm256_fmadd_ps(g, x1, a11);
            a12 = _mm256_fmadd_ps(g, x2, a12);
            g = _mm256_loadu_ps(gy + 2 * gs + q);
            a20 = _mm256_fmadd_ps(g, x0, a20);
            a21 = _mm256_fmadd_ps(g, x1, a21);
            a22 = _mm256_fmadd_ps(g, x2, a22);
            g = _mm256_loadu_ps(gy + 3 * gs + q);
            a30 = _mm256_fmadd_ps(g, x0, a30);
            a31 = _mm256_fmadd_ps(g, x1, a31);
            a32 = _mm256_fmadd_ps(g, x2, a32);
        }
    }
    out[0][0] = hsum8(a00), out[0][1] = hsum8(a01), out[0][2] = hsum8(a02);
    out[1][0] = hsum8(a10), out[1][1] = hsum8(a11), out[1][2] = hsum8(a12);
    out[2][0] = hsum8(a20), out[2][1] = hsum8(a21), out[2][2] = hsum8(a22);
    out[3][0] = hsum8(a30), out[3][1] = hsum8(a31), out[3][2] = hsum8(a32);
    for (int n = 0; n < nc; n++) /* positions past the last multiple of 8 */
        for (int q = qv; q < nq; q++)
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 3; j++)
                    out[i][j] += gyg[i * gs + (long)n * nq + q] * xg[j * xs + n * gimg + off + q];
}

__attribute__((target("avx2,fma"))) static void wgrad_tile1(const float *gyg, long gs,
                                                            const float *xg, long gimg, int nq,
                                                            int nc, int off, float out[4][3]) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int qv = nq / 8 * 8;
    for (int n = 0; n < nc; n++) {
        const float *gy = gyg + (long)n * nq, *x = xg + n * gimg + off;
        for (int q = 0; q < qv; q += 8) {
            __m256 x0 = _mm256_loadu_ps(x + q);
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(gy + q), x0, a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(gy + gs + q), x0, a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(gy + 2 * gs + q), x0, a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(gy + 3 * gs + q), x0, a3);
        }
    }
    out[0][0] = hsum8(a0), out[1][0] = hsum8(a1), out[2][0] = hsum8(a2), out[3][0] = hsum8(a3);
    for (int n = 0; n < nc; n++)
        for (int q = qv; q < nq; q++)
            for (int i = 0; i < 4; i++)
                out[i][0] += gyg[i * gs + (long)n * nq + q] * xg[n * gimg + off + q];
}
#endif

void conv3x3_wgrad(const float *gyg, const float *xg, int C, int M, int nc, int H, int W, float *G,
                   int add) {
#if CONV3_HAVE_KERNEL
    int gw = W + 2, nq = H * gw;
    long gimg = (long)(H + 2) * gw, x_cstride = (long)nc * gimg, gy_mstride = (long)nc * nq;
    for (int tap = 0; tap < 9; tap++) {
        int off = (tap / 3) * gw + tap % 3;
        for (int m0 = 0; m0 < M; m0 += 4)
            for (int c0 = 0; c0 < C; c0 += C - c0 < 3 ? 1 : 3) {
                int cb_n = C - c0 < 3 ? 1 : 3;
                float out[4][3];
                if (cb_n == 3)
                    wgrad_tile3(gyg + m0 * gy_mstride, gy_mstride, xg + c0 * x_cstride, x_cstride,
                                gimg, nq, nc, off, out);
                else
                    wgrad_tile1(gyg + m0 * gy_mstride, gy_mstride, xg + c0 * x_cstride, gimg, nq,
                                nc, off, out);
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < cb_n; j++) {
                        float *dst = G + ((long)(m0 + i) * C + c0 + j) * 9 + tap;
                        *dst = add ? *dst + out[i][j] : out[i][j];
                    }
            }
    }
#else
    (void)gyg, (void)xg, (void)C, (void)M, (void)nc, (void)H, (void)W, (void)G, (void)add;
#endif
}

void conv3x3_run(const float *grid, int Cin, int n0, int n1, int N, int H, int W, const float *wp,
                 int Mout, float *y, int add) {
#if CONV3_HAVE_KERNEL
    const c3_variant *v = c3_pick();
    int gw = W + 2, mb = v->mb, tile = v->tile;
    long gimg = (long)(H + 2) * gw, hw = (long)H * W, cstride = (long)(n1 - n0) * gimg;
    int nq_img = H * gw; /* grid positions holding outputs (two per row are dropped) */
    float acc[4 * C3_MAX_TILE] __attribute__((aligned(64)));
    for (int n = n0; n < n1; n++)
        for (int q0 = 0; q0 < nq_img; q0 += tile) {
            int nq = nq_img - q0 < tile ? nq_img - q0 : tile;
            const float *g = grid + (n - n0) * gimg + q0;
            for (int m0 = 0; m0 < Mout; m0 += mb) {
                v->kernel(g, cstride, Cin, gw, wp + (long)(m0 / mb) * Cin * 9 * mb, acc);
                tile_store(acc, mb, tile, q0, nq, W, y + ((long)m0 * N + n) * hw, (long)N * hw,
                           add);
            }
        }
#else
    (void)grid, (void)Cin, (void)n0, (void)n1, (void)N, (void)H, (void)W, (void)wp, (void)Mout;
    (void)y, (void)add;
#endif
}

#if CONV3_HAVE_KERNEL
static const c3_variant C3_AVX2 = {4, 24, tile_kernel_avx2};
#endif

/* The variant this CPU runs, or NULL. CIMSWEEP_CONV3=off switches the direct kernels off
 * (for benchmarks and for comparing the two paths). */
static const c3_variant *c3_pick(void) {
#if CONV3_HAVE_KERNEL
    const char *env = getenv("CIMSWEEP_CONV3");
    if (env && strcmp(env, "off") == 0) return NULL;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &C3_AVX2;
#endif
    return NULL;
}

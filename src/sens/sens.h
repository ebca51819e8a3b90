/* sens: strips (E1), Hutchinson per-strip Hessian traces (E2), activation traces (E4),
 * sensitivity scores (E3) and Fisher-information distances (E6, E7).
 *
 * Work is spread over the ranks of a cs_comm in units whose results do not depend on which
 * rank computes them (Hutchinson (layer, probe) pairs; fixed blocks of Fisher samples), and
 * every reduction runs in a fixed order, so results are bit-identical for any rank count. */
#ifndef CS_SENS_H
#define CS_SENS_H

#include "base/base.h"
#include "base/comm.h"
#include "data/data.h"
#include "nn/nn.h"

enum { SENS_HUTCHINSON, SENS_ACTIVATION, SENS_MAGNITUDE, SENS_RANDOM };
extern const char *const SENS_METHOD_NAMES[];

enum { SENS_PART_LAYER, SENS_PART_MODEL };
extern const char *const SENS_PARTITION_NAMES[];

typedef struct sens_opts {
    int method, partition;
    long calib_samples, batch, min_probes, max_probes;
    double tol;
    long seed;
} sens_opts;

enum { FIM_DIAG, FIM_GRAM };
extern const char *const FIM_KIND_NAMES[];
enum { FIM_LABELS_TRUE, FIM_LABELS_SAMPLED };
extern const char *const FIM_LABEL_NAMES[];

typedef struct fim_opts {
    int kind, labels;
    long samples, sketch_dim, batch, seed;
} fim_opts;

/* ---- strips (E1) ---- */

/* One quantizable layer: shape and where its strips sit in the global order. */
typedef struct sens_layer {
    char name[CS_NAME_MAX]; /* state-dict prefix, e.g. "layer1.0.conv1" */
    int qidx, C, M, K, stride, H, W, Ho, Wo;
    long strips;    /* M * K * K */
    long strip_off; /* first strip in the global order */
    long w_off;     /* offset of the layer's weights in a q_total vector */
} sens_layer;

typedef struct sens_strips {
    int n_layers;
    sens_layer *layers;
    long n_strips;
} sens_strips;

/* The strip table of a network: layers in network order, then filter m, then position p. */
int sens_strip_table(const nn_net *net, sens_strips *out, cs_error *err);
void sens_strips_free(sens_strips *s);

/* Sum, per strip of layer l, the entries of a layer-shaped vector (M x C x K x K):
 * out[m*K*K + p] = sum_c vec[(m*C + c)*K*K + p]. */
void sens_strip_sums(const sens_layer *l, const float *vec, double *out);

/* Squared norms ||w_s||^2 of every strip of the network. */
void sens_strip_norms(const nn_net *net, const sens_strips *st, double *out);

/* ---- sensitivity ---- */

typedef struct sens_result {
    sens_strips strips;
    int method, partition;
    double *trace;       /* per strip: Tr(H_s) estimate (E2 / E4); n_s for magnitude; NaN random */
    double *stderr_;     /* per strip: standard error of the Hutchinson estimate (else 0) */
    double *omega;       /* per strip: sensitivity (E3) */
    long *probes;        /* per layer: probes used (Hutchinson) */
    double *layer_trace; /* per layer: sum of its strip traces */
    double *history;     /* per layer x max_probes: running mean of the layer trace, NaN after */
    long max_probes;
    double seconds;
} sens_result;

/* Calibration set D_h: `calib_samples` training images chosen by sensitivity.seed. */
int sens_calibration_set(const data_set *train, const sens_opts *o, long **idx, long *n,
                         cs_error *err);

/* Compute the sensitivity of every strip with method o->method (E2-E4) on the calibration
 * set. net must be planned for at least o->batch images with NN_PLAN_R (and NN_PLAN_GRAD
 * for the model partition). Progress on stderr from rank 0 unless quiet. */
int sens_compute(nn_net *net, const data_set *train, const sens_opts *o, cs_comm *comm, int quiet,
                 sens_result *out, cs_error *err);

/* Allocate the per-strip / per-layer arrays of a result for a strip table (taken over). */
int sens_result_alloc(sens_result *r, sens_strips *st, long max_probes, cs_error *err);
void sens_result_free(sens_result *r);

/* Omega (E3) from traces: Tr(H_s) / n_s * ||w_s||^2. */
void sens_omega(const nn_net *net, sens_result *r);

/* ---- Fisher information (E6, E7) ---- */

/* What the Fisher distance needs of one model: the diagonal of F, or the per-sample
 * gradients (exact, or sketched to sketch_dim by a seeded sign hash) and their Gram matrix. */
typedef struct fim_state {
    int kind;
    long n, dim;  /* samples; gradient dimension (q_total or sketch_dim) */
    double *diag; /* kind diag: q_total entries of F's diagonal */
    float *grads; /* kind gram: n x dim per-sample gradients */
    double *gram; /* kind gram: n x n, g_i . g_j */
    double norm2; /* ||F||_F^2 (of the diagonal for diag) */
} fim_state;

/* Fisher samples: fim.samples images of the test set... chosen by fim.seed (see fisher.c). */
int fim_compute(nn_net *net, const data_set *d, const fim_opts *o, cs_comm *comm, fim_state *out,
                cs_error *err);

/* d = ||F - F'||_F / ||F||_F between the original (a) and a quantized model (b). */
double fim_distance(const fim_state *a, const fim_state *b);

void fim_free(fim_state *f);

#endif

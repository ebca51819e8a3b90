/* sens: strips (E1), Hutchinson per-strip Hessian traces (E2), activation traces (E4),
 * sensitivity scores (E3) and Fisher-information distances (E6, E7). */
#ifndef CS_SENS_H
#define CS_SENS_H

#include "base/base.h"
#include "base/comm.h"
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

#endif

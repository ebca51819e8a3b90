/* Names of quant's configuration enums, in the order of their enum values. */
#include "quant/quant.h"

#include <stddef.h>

const char *const QUANT_GRAN_NAMES[] = {"filter", "strip", NULL};
const char *const QUANT_CLIP_NAMES[] = {"mse", "max", NULL};
const char *const QUANT_ACT_CALIB_NAMES[] = {"max", "percentile", NULL};

/* Names of sweep's enums, in the order of their values. */
#include "sweep/sweep.h"

#include <stddef.h>

const char *const ALIGN_NAMES[] = {"none", "down", "nearest", NULL};
const char *const CAND_KIND_NAMES[] = {"cr", "tau", "dynamic", "hap", NULL};

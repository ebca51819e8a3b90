/* Names of sweep's configuration enums, in the order of their enum values. */
#include "sweep/sweep.h"

#include <stddef.h>

const char *const ALIGN_NAMES[] = {"none", "down", "nearest", NULL};

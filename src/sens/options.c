/* Names of sens's configuration enums, in the order of their enum values. */
#include "sens/sens.h"

#include <stddef.h>

const char *const SENS_METHOD_NAMES[] = {"hutchinson", "activation", "magnitude", "random", NULL};
const char *const SENS_PARTITION_NAMES[] = {"layer", "model", NULL};
const char *const FIM_KIND_NAMES[] = {"diag", "gram", NULL};
const char *const FIM_LABEL_NAMES[] = {"true", "sampled", NULL};

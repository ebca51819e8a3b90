/* Names of data's configuration enums, in the order of their enum values. */
#include "data/data.h"

#include <stddef.h>

const char *const DATA_KIND_NAMES[] = {"fashion-mnist", "mnist", "cifar10", "synthetic", NULL};

/* Names of nn's configuration enums, in the order of their enum values. */
#include "nn/nn.h"

#include <stddef.h>

const char *const NN_ARCH_NAMES[] = {"resnet20", "resnet32", "resnet56", "resnet18",
                                     "resnet34", "resnet50", "tiny",     NULL};
const char *const NN_SCHED_NAMES[] = {"cosine", "step", NULL};
const char *const NN_INIT_NAMES[] = {"scratch", "file", NULL};

/* Names of xbar's configuration enums, in the order of their enum values. */
#include "xbar/xbar.h"

#include <stddef.h>

const char *const XBAR_ADC_NAMES[] = {"mlsa", "sar", NULL};
const char *const XBAR_MAP_NAMES[] = {"packed", "origin", NULL};
const char *const XBAR_POLICY_NAMES[] = {"clip", "range", NULL};
const char *const XBAR_POS_NAMES[] = {"padded", "neurosim", NULL};

/* config_schema: the table of every configuration key (private to io/config.c). */
#ifndef CS_CONFIG_SCHEMA_H
#define CS_CONFIG_SCHEMA_H

#include <stddef.h>

#include "io/config.h"

typedef enum {
    K_INT,
    K_FLOAT,
    K_BOOL,
    K_STRING,      /* char[CS_PATH_MAX] */
    K_ENUM,        /* int index into names */
    K_ENUM_LIST,   /* cs_int_list of indices into names */
    K_FLOAT_LIST,  /* cs_real_list */
    K_STRING_LIST, /* cs_name_list */
    K_GRID,        /* sweep_grid: {from; to; steps} or a list of numbers */
    K_XGROUPS      /* xbar groups: list of {bits; adc_levels; cols_per_adc} */
} cfg_kind;

typedef struct cfg_key {
    const char *path; /* "sensitivity.max_probes" */
    cfg_kind kind;
    size_t off;               /* offset in cs_config */
    double lo, hi;            /* inclusive range of numbers (and of list elements) */
    const char *const *names; /* K_ENUM, K_ENUM_LIST */
    double def;               /* default of K_INT, K_FLOAT, K_BOOL, K_ENUM (index) */
    const char *def_s;        /* default of K_STRING; comma-separated for lists */
    const char *doc;          /* one line for `info --keys` and messages */
} cfg_key;

extern const cfg_key CFG_KEYS[];
extern const int CFG_N_KEYS;

#endif

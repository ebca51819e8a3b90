/* config: the one validated configuration struct (DESIGN §9), loaded from libconfig files
 * with @include relative to the including file, overridden by --set KEY=VALUE, printed in a
 * canonical form (every key, defaults filled, sorted) and hashed for run ids.
 *
 * Nothing else in cimsweep reads libconfig. Every error names file:line (or the --set
 * argument), the key, and the expected type or range. */
#ifndef CS_CONFIG_H
#define CS_CONFIG_H

#include "base/base.h"
#include "data/data.h"
#include "nn/nn.h"
#include "quant/quant.h"
#include "sens/sens.h"
#include "sweep/sweep.h"
#include "xbar/xbar.h"

#define CFG_MAX_KEYS  160
#define CFG_MAX_FILES 16

typedef struct cs_model_opts {
    char file[CS_PATH_MAX]; /* "" = a fresh model of arch/width */
    int arch;               /* NN_* */
    double width;
} cs_model_opts;

typedef struct cs_output_opts {
    char file[CS_PATH_MAX];
    char cache_dir[CS_PATH_MAX];
} cs_output_opts;

/* Where each key's value came from, for errors found after loading. */
typedef struct cs_config_origin {
    char main_file[CS_PATH_MAX]; /* the file given to config_load */
    char files[CFG_MAX_FILES][CS_PATH_MAX];
    int n_files;
    short file[CFG_MAX_KEYS]; /* -1: default, -2: --set */
    int line[CFG_MAX_KEYS];
    char set_arg[CFG_MAX_KEYS][96]; /* the --set argument, when file == -2 */
} cs_config_origin;

typedef struct cs_config {
    cs_model_opts model;
    data_opts data;
    nn_train_opts train;
    sens_opts sensitivity;
    quant_opts quant;
    fim_opts fim;
    sweep_opts sweep;
    xbar_params xbar;
    cs_output_opts output;
    cs_config_origin origin;
} cs_config;

/* Fill every key with its default. */
void config_defaults(cs_config *c);

/* Defaults, then the file (with its includes), then cross-key validation. */
int config_load(const char *path, cs_config *c, cs_error *err);

/* Load from text (e.g. the /config stored in a results file); name is used in messages. */
int config_load_text(const char *text, const char *name, cs_config *c, cs_error *err);

/* Apply one "KEY=VALUE" override, its value validated like the file's. Cross-key checks
 * (config_validate) come after all overrides, so their order does not matter. */
int config_set(cs_config *c, const char *assignment, cs_error *err);

/* Cross-key checks (min <= max probes, bit widths, crossbar groups for every precision...). */
int config_validate(cs_config *c, cs_error *err);

/* Canonical text: every key, defaults filled, groups and keys sorted, libconfig syntax
 * (loadable again). with_output = 0 leaves out the output section, which does not change
 * results. Returns malloc'd text or NULL. */
char *config_canonical(const cs_config *c, int with_output, cs_error *err);

/* SHA-256 of the canonical text without the output section and with model.file reduced to
 * whether it is set (the run id hashes the model file's contents apart). */
int config_hash(const cs_config *c, char hex[65], cs_error *err);

/* Was key given by a file or --set (not left at its default)? */
int config_key_is_set(const cs_config *c, const char *key);

/* "file:line" (or "--set ARG"; the main file for a default) of a key, for messages. */
void config_where(const cs_config *c, const char *key, char *buf, int n);

/* Levenshtein edit distance, used for "did you mean" suggestions (exposed for tests). */
int config_edit_distance(const char *a, const char *b);

#endif

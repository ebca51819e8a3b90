/* config_text: config files read into one text with @include expanded and a line map
 * (private to io/). */
#ifndef CS_CONFIG_TEXT_H
#define CS_CONFIG_TEXT_H

#include <stddef.h>

#include "io/config.h"

typedef struct cfg_text {
    char *buf;
    size_t len, cap;
    int *line_file, *line_no; /* per expanded line: file index and line in that file */
    int n_lines, lines_cap;
    char files[CFG_MAX_FILES][CS_PATH_MAX];
    int n_files;
} cfg_text;

/* Read path and everything it @includes (relative to the including file; cycles, missing
 * files, directories, binary files and empty configs are errors with file:line). */
int cfg_text_read(cfg_text *t, const char *path, cs_error *err);

/* Wrap text already in memory (no includes) under a display name. */
int cfg_text_from_string(cfg_text *t, const char *text, const char *name, cs_error *err);

/* "file:line" of a line of the expanded text. */
void cfg_text_where(const cfg_text *t, int line, char *buf, size_t n);

void cfg_text_free(cfg_text *t);

#endif

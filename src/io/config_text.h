/* config_text: config files read into one text with @include expanded and a line map
 * (private to io/). */
#ifndef CS_CONFIG_TEXT_H
#define CS_CONFIG_TEXT_H

#include <stddef.h>

#include "io/config.h"

#define CFG_MAX_SEGMENTS 64

/* The expanded text is a sequence of documents (segments): an @include ends the current one,
 * the included file's documents follow, then the rest of the including file. Each segment is
 * parsed on its own and applied in order, so later settings override earlier ones. */
typedef struct cfg_text {
    char *buf;
    size_t len, cap;
    int *line_file, *line_no; /* per expanded line: file index and line in that file */
    size_t *line_off;         /* per expanded line: byte offset in buf */
    int n_lines, lines_cap;
    char files[CFG_MAX_FILES][CS_PATH_MAX];
    int n_files;
    int seg_start[CFG_MAX_SEGMENTS + 1]; /* first expanded line (0-based) of each segment */
    int n_segments;
    int depth;      /* bracket depth of the file being read (for @include placement) */
    int in_comment; /* inside a block comment */
} cfg_text;

/* Read path and everything it @includes (relative to the including file; cycles, missing
 * files, directories, binary files and empty configs are errors with file:line). */
int cfg_text_read(cfg_text *t, const char *path, cs_error *err);

/* Wrap text already in memory (no includes) under a display name. */
int cfg_text_from_string(cfg_text *t, const char *text, const char *name, cs_error *err);

/* Segment k as a NUL-terminated copy (malloc'd), and its first expanded line (0-based). */
char *cfg_text_segment(const cfg_text *t, int k, int *first_line);

/* "file:line" of a line of the expanded text (1-based). */
void cfg_text_where(const cfg_text *t, int line, char *buf, size_t n);

void cfg_text_free(cfg_text *t);

#endif

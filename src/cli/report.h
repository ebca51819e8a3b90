/* report: printing a results file's Pareto fronts as text, Markdown, LaTeX, CSV or JSON. */
#ifndef CS_CLI_REPORT_H
#define CS_CLI_REPORT_H

#include <stdio.h>

#include "io/results_file.h"
#include "sens/sens.h"

enum { REPORT_TEXT, REPORT_MARKDOWN, REPORT_LATEX };

/* The accuracy/energy front (and the accuracy/latency front below it). */
void report_pareto(FILE *f, const results *r, int format);

/* The energy front as CSV (one row per front point, with a header). */
int report_pareto_csv(const char *path, const results *r, cs_error *err);

/* One JSON object: front, hypervolume, reference (DESIGN §8), plus the latency front. */
void report_pareto_json(FILE *f, const results *r);

/* A short name of a candidate: "cr 0.70 hutchinson down 8/4", "hap 0.50", "dynamic #3". */
void report_candidate_name(const sweep_row *row, char *buf, size_t n);

/* Per-layer table of a sensitivity result (probes, layer trace, mean omega) and a summary
 * line ending with note. */
void report_sens_table(FILE *f, const sens_result *r, const char *note);

/* The same as one JSON object, with the model file and its SHA-256. */
void report_sens_json(FILE *f, const sens_result *r, const char *model, const char *sha,
                      int cached);

#endif

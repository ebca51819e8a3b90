/* cimsweep pareto: the accuracy/energy and accuracy/latency fronts of a results file,
 * printed and stored under /pareto in the file. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/report.h"

int cmd_pareto(int argc, char **argv) {
    cli_opts o;
    int rc = cli_parse("pareto", argc, argv, OPT_TABLES | OPT_JSON, &o);
    if (rc) return rc;
    if (o.help) return cli_help("pareto");
    if (o.n_positional != 1) return cli_usage_error("pareto", "expected one RESULTS.h5");
    if (o.json + o.markdown + o.latex > 1)
        return cli_usage_error("pareto", "choose one of --json, --markdown, --latex");
    results r;
    cs_error err;
    cs_error_clear(&err);
    const char *path = o.positional[0];
    if (results_read(path, &r, &err) != CS_OK) return cli_error("pareto", &err);
    rc = results_pareto(&r, &err);
    /* the fronts go back into the file (atomically, so a failure leaves it as it was) */
    if (rc == CS_OK) rc = results_write(path, &r, &err);
    if (rc == CS_OK && o.csv) rc = report_pareto_csv(o.csv, &r, &err);
    if (rc == CS_OK) {
        if (o.json)
            report_pareto_json(stdout, &r);
        else
            report_pareto(stdout, &r,
                          o.markdown ? REPORT_MARKDOWN
                          : o.latex  ? REPORT_LATEX
                                     : REPORT_TEXT);
    }
    results_free(&r);
    return rc == CS_OK ? 0 : cli_error("pareto", &err);
}

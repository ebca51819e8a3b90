/* cimsweep pareto (not built yet). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_pareto(int argc, char **argv)
{
    cli_opts o;
    int rc = cli_parse("pareto", argc, argv, ~0u, &o);
    if (rc) return rc;
    if (o.help) return cli_help("pareto");
    fprintf(stderr, "cimsweep pareto: not built yet\n");
    return 2;
}

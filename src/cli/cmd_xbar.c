/* cimsweep xbar (not built yet). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_xbar(int argc, char **argv)
{
    cli_opts o;
    int rc = cli_parse("xbar", argc, argv, ~0u, &o);
    if (rc) return rc;
    if (o.help) return cli_help("xbar");
    fprintf(stderr, "cimsweep xbar: not built yet\n");
    return 2;
}

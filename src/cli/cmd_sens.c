/* cimsweep sens (not built yet). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_sens(int argc, char **argv)
{
    cli_opts o;
    int rc = cli_parse("sens", argc, argv, ~0u, &o);
    if (rc) return rc;
    if (o.help) return cli_help("sens");
    fprintf(stderr, "cimsweep sens: not built yet\n");
    return 2;
}

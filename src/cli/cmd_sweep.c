/* cimsweep sweep (not built yet). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_sweep(int argc, char **argv)
{
    cli_opts o;
    int rc = cli_parse("sweep", argc, argv, ~0u, &o);
    if (rc) return rc;
    if (o.help) return cli_help("sweep");
    fprintf(stderr, "cimsweep sweep: not built yet\n");
    return 2;
}

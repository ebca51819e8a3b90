/* cimsweep merge (not built yet). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_merge(int argc, char **argv)
{
    cli_opts o;
    int rc = cli_parse("merge", argc, argv, ~0u, &o);
    if (rc) return rc;
    if (o.help) return cli_help("merge");
    fprintf(stderr, "cimsweep merge: not built yet\n");
    return 2;
}

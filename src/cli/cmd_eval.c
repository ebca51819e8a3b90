/* cimsweep eval (not built yet). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_eval(int argc, char **argv)
{
    cli_opts o;
    int rc = cli_parse("eval", argc, argv, ~0u, &o);
    if (rc) return rc;
    if (o.help) return cli_help("eval");
    fprintf(stderr, "cimsweep eval: not built yet\n");
    return 2;
}

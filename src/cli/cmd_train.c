/* cimsweep train (not built yet). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_train(int argc, char **argv)
{
    cli_opts o;
    int rc = cli_parse("train", argc, argv, ~0u, &o);
    if (rc) return rc;
    if (o.help) return cli_help("train");
    fprintf(stderr, "cimsweep train: not built yet\n");
    return 2;
}

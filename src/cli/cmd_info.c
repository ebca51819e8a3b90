/* cimsweep info: a config in canonical form, or what a model / results file holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cli/cli.h"

static int info_config(const cli_opts *o)
{
    cs_config *cfg = cs_alloc(1, sizeof *cfg, NULL);
    if (!cfg) return 1;
    int rc = cli_load_config("info", o, cfg);
    if (rc) {
        free(cfg);
        return rc;
    }
    cs_error err;
    cs_error_clear(&err);
    char hash[65];
    char *text = config_canonical(cfg, 1, &err);
    if (!text || config_hash(cfg, hash, &err)) {
        free(text);
        free(cfg);
        return cli_error("info", &err);
    }
    if (o->json) {
        json_writer w;
        json_begin(&w, stdout);
        json_object_begin(&w);
        json_kv_string(&w, "config_hash", hash);
        json_kv_string(&w, "config", text);
        json_object_end(&w);
        json_end(&w);
    } else {
        printf("%s# config hash: %s\n", text, hash);
    }
    free(text);
    free(cfg);
    return 0;
}

int cmd_info(int argc, char **argv)
{
    cli_opts o;
    int rc = cli_parse("info", argc, argv, OPT_CONFIG | OPT_SET | OPT_JSON | OPT_QUIET, &o);
    if (rc) return rc;
    if (o.help) return cli_help("info");
    if (o.config) {
        if (o.n_positional) return cli_usage_error("info", "give either -c CFG or a file, not both");
        return info_config(&o);
    }
    if (o.n_positional != 1) return cli_usage_error("info", "expected one FILE.h5 or -c CFG");
    return cli_usage_error("info", "model and results files: not built yet");
}

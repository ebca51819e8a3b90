/* Option parsing, error printing and config loading shared by the commands. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "sweep/mpi_comm.h"

int cli_exit_code(int status) {
    return status == CS_OK ? 0 : status == CS_ERR_INPUT ? 2 : 1;
}

int cli_error(const char *cmd, const cs_error *err) {
    fprintf(stderr, "cimsweep %s: %s\n", cmd, err->msg[0] ? err->msg : "failed");
    return cli_exit_code(err->code == CS_OK ? CS_ERR_RUNTIME : err->code);
}

int cli_error_rank(const char *cmd, int rank, const cs_error *err) {
    if (rank == 0 || strncmp(err->msg, "another rank failed", 19) != 0) return cli_error(cmd, err);
    return cli_exit_code(err->code == CS_OK ? CS_ERR_RUNTIME : err->code);
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "cimsweep %s: %s (see cimsweep %s --help)\n", cmd, msg, cmd);
    return 2;
}

int cli_help(const char *cmd) {
    for (int i = 0; i < CLI_N_COMMANDS; i++)
        if (strcmp(CLI_COMMANDS[i].name, cmd) == 0) fputs(CLI_COMMANDS[i].usage, stdout);
    return 0;
}

enum {
    L_SET = 1000,
    L_JSON,
    L_RESUME,
    L_NO_CACHE,
    L_CR,
    L_METHOD,
    L_FUNCTIONAL,
    L_CSV,
    L_MARKDOWN,
    L_LATEX,
    L_NETWORK,
    L_BITS,
    L_SHARD,
    L_SENS,
    L_INTEGER
};

static const struct option LONG_OPTS[] = {{"config", required_argument, NULL, 'c'},
                                          {"output", required_argument, NULL, 'o'},
                                          {"help", no_argument, NULL, 'h'},
                                          {"quiet", no_argument, NULL, 'q'},
                                          {"set", required_argument, NULL, L_SET},
                                          {"json", no_argument, NULL, L_JSON},
                                          {"resume", no_argument, NULL, L_RESUME},
                                          {"no-cache", no_argument, NULL, L_NO_CACHE},
                                          {"cr", required_argument, NULL, L_CR},
                                          {"method", required_argument, NULL, L_METHOD},
                                          {"functional", no_argument, NULL, L_FUNCTIONAL},
                                          {"csv", required_argument, NULL, L_CSV},
                                          {"markdown", no_argument, NULL, L_MARKDOWN},
                                          {"latex", no_argument, NULL, L_LATEX},
                                          {"network", required_argument, NULL, L_NETWORK},
                                          {"bits", required_argument, NULL, L_BITS},
                                          {"shard", required_argument, NULL, L_SHARD},
                                          {"sens", required_argument, NULL, L_SENS},
                                          {"integer", no_argument, NULL, L_INTEGER},
                                          {NULL, 0, NULL, 0}};

static unsigned option_mask(int c) {
    switch (c) {
    case 'c':
        return OPT_CONFIG;
    case 'o':
        return OPT_OUTPUT;
    case 'q':
        return OPT_QUIET;
    case L_SET:
        return OPT_SET;
    case L_JSON:
        return OPT_JSON;
    case L_RESUME:
        return OPT_RESUME;
    case L_NO_CACHE:
        return OPT_NO_CACHE;
    case L_CR:
        return OPT_CR;
    case L_METHOD:
        return OPT_METHOD;
    case L_FUNCTIONAL:
        return OPT_FUNCTIONAL;
    case L_CSV:
    case L_MARKDOWN:
    case L_LATEX:
        return OPT_TABLES;
    case L_NETWORK:
    case L_BITS:
        return OPT_NETWORK;
    case L_SHARD:
        return OPT_SHARD;
    case L_SENS:
        return OPT_SENS;
    case L_INTEGER:
        return OPT_INTEGER;
    default:
        return 0;
    }
}

static void store_option(int c, cli_opts *o) {
    switch (c) {
    case 'c':
        o->config = optarg;
        break;
    case 'o':
        o->output = optarg;
        break;
    case 'q':
        o->quiet = 1;
        break;
    case L_SET:
        o->sets[o->n_sets++] = optarg;
        break;
    case L_JSON:
        o->json = 1;
        break;
    case L_RESUME:
        o->resume = 1;
        break;
    case L_NO_CACHE:
        o->no_cache = 1;
        break;
    case L_CR:
        o->cr = optarg;
        break;
    case L_METHOD:
        o->method = optarg;
        break;
    case L_FUNCTIONAL:
        o->functional = 1;
        break;
    case L_CSV:
        o->csv = optarg;
        break;
    case L_MARKDOWN:
        o->markdown = 1;
        break;
    case L_LATEX:
        o->latex = 1;
        break;
    case L_NETWORK:
        o->network = optarg;
        break;
    case L_BITS:
        o->bits = optarg;
        break;
    case L_SHARD:
        o->shard = optarg;
        break;
    case L_SENS:
        o->sens = optarg;
        break;
    case L_INTEGER:
        o->integer = 1;
        break;
    default:
        break;
    }
}

int cli_parse(const char *cmd, int argc, char **argv, unsigned allowed, cli_opts *o) {
    memset(o, 0, sizeof *o);
    opterr = 0;
    optind = 0; /* full re-initialisation of GNU getopt */
    int c;
    while ((c = getopt_long(argc, argv, ":c:o:hq", LONG_OPTS, NULL)) != -1) {
        if (c == 'h') {
            o->help = 1;
            continue;
        }
        if (c == '?') return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        if (c == ':') return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        if (!(option_mask(c) & allowed))
            return cli_usage_error(cmd, "option '%s' is not accepted by this command",
                                   argv[optind - 1]);
        if (c == L_SET && o->n_sets >= CLI_MAX_SETS)
            return cli_usage_error(cmd, "more than %d --set options", CLI_MAX_SETS);
        store_option(c, o);
    }
    for (int i = optind; i < argc; i++) {
        if (o->n_positional >= 64) return cli_usage_error(cmd, "too many arguments");
        o->positional[o->n_positional++] = argv[i];
    }
    return 0;
}

int cli_load_config_rank(const char *cmd, const cli_opts *o, cs_config *cfg, int rank) {
    cs_error err;
    cs_error_clear(&err);
    if (!o->config) return rank == 0 ? cli_usage_error(cmd, "missing -c CFG") : 2;
    int rc = config_load(o->config, cfg, &err);
    for (int i = 0; rc == CS_OK && i < o->n_sets; i++) rc = config_set(cfg, o->sets[i], &err);
    if (rc == CS_OK && o->n_sets) rc = config_validate(cfg, &err);
    if (rc == CS_OK) return 0;
    return rank == 0 ? cli_error(cmd, &err) : cli_exit_code(rc);
}

int cli_load_config(const char *cmd, const cli_opts *o, cs_config *cfg) {
    return cli_load_config_rank(cmd, o, cfg, 0);
}

int cli_run_job(const char *cmd, int argc, char **argv, unsigned allowed, const cli_job *job) {
    cli_opts o;
    int rc = cli_parse(cmd, argc, argv, allowed, &o);
    if (rc) return rc;
    if (o.help) return cli_help(cmd);
    if (o.n_positional) return cli_usage_error(cmd, "unexpected argument '%s'", o.positional[0]);
    cs_error err;
    cs_error_clear(&err);
    void *state = cs_alloc(1, job->size, &err);
    cs_config *cfg = cs_alloc(1, sizeof *cfg, &err);
    cs_comm comm;
    if (!state || !cfg || mpi_comm_start(&argc, &argv, &comm, &err) != CS_OK) {
        free(state);
        free(cfg);
        return cli_error(cmd, &err);
    }
    rc = cli_load_config_rank(cmd, &o, cfg, comm.rank);
    if (rc == 0 && job->run(state, cfg, &comm, &o, &err) != CS_OK)
        rc = cli_error_rank(cmd, comm.rank, &err);
    job->free(state);
    free(state);
    free(cfg);
    mpi_comm_stop();
    return rc;
}

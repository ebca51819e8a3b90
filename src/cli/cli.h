/* cli: the cimsweep subcommands (DESIGN §8). Each command parses its own options, turns
 * library status codes into exit codes (0 ok, 1 runtime failure, 2 bad usage or input) and
 * prints errors as one line on stderr. */
#ifndef CS_CLI_H
#define CS_CLI_H

#include "base/base.h"
#include "base/comm.h"
#include "io/config.h"

#define CLI_MAX_SETS 64

/* Options a command may accept (bit mask for cli_parse). */
enum {
    OPT_CONFIG = 1 << 0,     /* -c CFG */
    OPT_OUTPUT = 1 << 1,     /* -o FILE */
    OPT_SET = 1 << 2,        /* --set KEY=VALUE */
    OPT_JSON = 1 << 3,       /* --json */
    OPT_RESUME = 1 << 4,     /* --resume */
    OPT_NO_CACHE = 1 << 5,   /* --no-cache */
    OPT_CR = 1 << 6,         /* --cr X */
    OPT_METHOD = 1 << 7,     /* --method M */
    OPT_FUNCTIONAL = 1 << 8, /* --functional */
    OPT_TABLES = 1 << 9,     /* --csv F, --markdown, --latex */
    OPT_NETWORK = 1 << 10,   /* --network CSV, --bits B */
    OPT_SHARD = 1 << 11,     /* --shard K/N */
    OPT_QUIET = 1 << 12,     /* -q: no progress lines */
    OPT_SENS = 1 << 13,      /* --sens SENS.h5 */
    OPT_INTEGER = 1 << 14    /* --integer */
};

/* Parsed command line of one command. */
typedef struct cli_opts {
    const char *config, *output;
    const char *sets[CLI_MAX_SETS];
    int n_sets;
    int json, help, resume, no_cache, quiet, functional, markdown, latex, integer;
    const char *cr, *method, *csv, *network, *bits, *shard, *sens;
    const char *positional[64];
    int n_positional;
} cli_opts;

/* Parse argv (argv[0] is the command name) accepting the options in `allowed`.
 * Returns 0, or the exit code 2 after printing a one-line reason. */
int cli_parse(const char *cmd, int argc, char **argv, unsigned allowed, cli_opts *o);

typedef struct cli_command {
    const char *name;
    const char *summary;
    const char *usage; /* full --help text */
    int (*run)(int argc, char **argv);
} cli_command;

extern const cli_command CLI_COMMANDS[];
extern const int CLI_N_COMMANDS;

/* Print a one-line error "cimsweep CMD: message" and return the exit code for status. */
int cli_error(const char *cmd, const cs_error *err);

/* cli_error for MPI runs: rank 0 prints, and any rank prints an error of its own (not the
 * "another rank failed" of an agreement), so each message appears once. */
int cli_error_rank(const char *cmd, int rank, const cs_error *err);

/* Exit code of a status code. */
int cli_exit_code(int status);

/* Print a usage error "cimsweep CMD: message (see cimsweep CMD --help)" and return 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Load -c with every --set applied. cfg must be allocated by the caller. */
int cli_load_config(const char *cmd, const cli_opts *o, cs_config *cfg);

/* The same for MPI runs: every rank loads, only rank 0 prints an error. */
int cli_load_config_rank(const char *cmd, const cli_opts *o, cs_config *cfg, int rank);

/* A command that loads a config and may run on several MPI ranks: cli_run_job parses the
 * options, handles --help, starts MPI, loads the config on every rank (errors printed once),
 * allocates the job (zeroed, `size` bytes), runs it, prints its error once, frees it and
 * stops MPI. Returns the exit code. */
typedef struct cli_job {
    size_t size;
    int (*run)(void *job, cs_config *cfg, cs_comm *comm, const cli_opts *o, cs_error *err);
    void (*free)(void *job);
} cli_job;

int cli_run_job(const char *cmd, int argc, char **argv, unsigned allowed, const cli_job *job);

/* Show the command's --help text. */
int cli_help(const char *cmd);

/* The commands. */
int cmd_train(int argc, char **argv);
int cmd_sens(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_pareto(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_xbar(int argc, char **argv);

#endif

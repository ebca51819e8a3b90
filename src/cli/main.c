/* cimsweep: mixed-precision weight mappings of CNNs for ReRAM compute-in-memory crossbars. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cs_version.h"

static void print_help(void) {
    printf("cimsweep %s: energy-efficient mixed-precision (8/4-bit) weight mappings of CNNs\n"
           "for ReRAM compute-in-memory crossbars.\n\n"
           "usage: cimsweep --version | --help | <command> --help\n"
           "       cimsweep <command> [options]\n\ncommands:\n",
           CS_VERSION);
    for (int i = 0; i < CLI_N_COMMANDS; i++)
        printf("  %-8s %s\n", CLI_COMMANDS[i].name, CLI_COMMANDS[i].summary);
    printf("\nCommon options: -c CFG (libconfig file), --set KEY=VALUE (repeatable), --json.\n"
           "Exit status: 0 success, 1 runtime failure, 2 bad usage, config or input.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        print_help();
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_help();
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("cimsweep %s (%s)\n", CS_VERSION, CS_GIT_DESCRIBE);
        return 0;
    }
    for (int i = 0; i < CLI_N_COMMANDS; i++)
        if (strcmp(argv[1], CLI_COMMANDS[i].name) == 0)
            return CLI_COMMANDS[i].run(argc - 1, argv + 1);
    if (argv[1][0] == '-')
        fprintf(stderr, "cimsweep: unknown option '%s' (see cimsweep --help)\n", argv[1]);
    else
        fprintf(stderr, "cimsweep: unknown command '%s' (see cimsweep --help)\n", argv[1]);
    return 2;
}

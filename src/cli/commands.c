/* The command table and each command's --help text. */
#include <stdio.h>

#include "cli/cli.h"

#define COMMON_OPTS                                                                                \
    "  --set KEY=VALUE   override one config key after loading (repeatable)\n"                     \
    "  -q, --quiet       no progress lines on stderr\n"                                            \
    "  -h, --help        this text\n"

static const char USAGE_TRAIN[] =
    "usage: cimsweep train -c CFG [-o MODEL.h5] [--resume] [--set KEY=VALUE]... [--json]\n\n"
    "Train (or, with train.init = \"file\", fine-tune) the model of the config with SGD and\n"
    "write it as an HDF5 model file: -o, else model.file. A checkpoint MODEL.h5.ckpt is\n"
    "written after every epoch; --resume continues from it.\n\n"
    "  -c CFG            configuration file\n"
    "  -o MODEL.h5       output model file\n"
    "  --resume          continue from the checkpoint\n"
    "  --json            print the final result as one JSON object\n" COMMON_OPTS;

static const char USAGE_SENS[] =
    "usage: [mpirun -np P] cimsweep sens -c CFG [-o SENS.h5] [--no-cache] [--set KEY=VALUE]...\n\n"
    "Compute per-strip sensitivities (Hutchinson Hessian traces, activation traces, magnitude\n"
    "or random controls) of model.file on the calibration set, distributed over MPI ranks.\n"
    "Results are bit-identical for any number of ranks and cached under output.cache_dir.\n\n"
    "  -c CFG            configuration file\n"
    "  -o SENS.h5        also write the sensitivity file here\n"
    "  --no-cache        recompute even if the cache holds this result\n"
    "  --json            print a per-layer summary as one JSON object\n" COMMON_OPTS;

static const char USAGE_SWEEP[] =
    "usage: [mpirun -np P] cimsweep sweep -c CFG [-o RESULTS.h5] [--resume] [--shard K/N]\n\n"
    "The main job: every candidate of the sweep (CR or tau grid x methods x alignments x bit\n"
    "pairs, the FIM-guided dynamic search, the HAP baseline) is quantized, evaluated and\n"
    "mapped onto crossbars; rows go to RESULTS.h5 (default output.file), rewritten atomically\n"
    "after every candidate.\n\n"
    "  -c CFG            configuration file\n"
    "  -o RESULTS.h5     results file\n"
    "  --resume          continue a results file of the same run id\n"
    "  --shard K/N       run only shard K (0-based) of N of the candidates (job arrays)\n"
    "  --no-cache        recompute the sensitivity even if cached\n"
    "  --json            print the Pareto front as one JSON object at the end\n" COMMON_OPTS;

static const char USAGE_EVAL[] =
    "usage: cimsweep eval -c CFG [--cr X] [--method M] [--integer] [--functional] [--json]\n\n"
    "Evaluate one candidate on the test set (data.eval_samples images, 0 = all): without --cr\n"
    "the float model; with --cr X the mixed-precision model at compression ratio X (share of\n"
    "strips at quant.low_bits; no alignment), with its crossbar energy and latency.\n\n"
    "  -c CFG            configuration file\n"
    "  --cr X            target compression ratio in [0, 1]\n"
    "  --method M        hutchinson | activation | magnitude | random (default\n"
    "                    sensitivity.method)\n"
    "  --integer         run the integer precision-coordinated path (E13) instead of\n"
    "                    fake quantization\n"
    "  --functional      also run the crossbar ADC simulation (hardware-aware accuracy, on\n"
    "                    the first 512 evaluation images)\n"
    "  --sens SENS.h5    use this sensitivity file (same model and settings)\n"
    "  --no-cache        recompute the sensitivity even if cached\n"
    "  --json            print one JSON object\n" COMMON_OPTS;

static const char USAGE_PARETO[] =
    "usage: cimsweep pareto RESULTS.h5 [--csv F] [--markdown] [--latex] [--json]\n\n"
    "Extract the accuracy/energy and accuracy/latency Pareto fronts of a results file, with\n"
    "their hypervolumes, print them, and store them under /pareto in the file.\n\n"
    "  --csv F           also write the front as CSV\n"
    "  --markdown        print a Markdown table\n"
    "  --latex           print a LaTeX table\n"
    "  --json            print one JSON object\n"
    "  -h, --help        this text\n";

static const char USAGE_INFO[] =
    "usage: cimsweep info FILE.h5 [--json]\n"
    "       cimsweep info -c CFG [--set KEY=VALUE]... [--json]\n\n"
    "Show what a model, results or sensitivity file holds (a sensitivity file: per-layer\n"
    "probes and traces), or print a configuration in canonical form\n"
    "(every key, defaults filled, sorted) with its hash.\n\n"
    "  -c CFG            configuration file\n"
    "  --json            print one JSON object\n" COMMON_OPTS;

static const char USAGE_MERGE[] =
    "usage: cimsweep merge OUT.h5 SHARD.h5...\n\n"
    "Join the shard results of one run id (slurm/array.sbatch) into one results file; every\n"
    "candidate must be present exactly once.\n\n"
    "  --json            print a summary as one JSON object\n"
    "  -h, --help        this text\n";

static const char USAGE_XBAR[] =
    "usage: cimsweep xbar --network NetWork.csv [--bits B] [-c CFG] [--json]\n\n"
    "Uniform-precision crossbar estimate of a network given as a NeuroSim layer list\n"
    "(IFM height, IFM width, C, Kh, Kw, M, pool, stride per line).\n\n"
    "  --network F       NeuroSim NetWork.csv\n"
    "  --bits B          weight bits (default quant.high_bits)\n"
    "  -c CFG            configuration for the crossbar (default: built-in defaults)\n"
    "  --json            print one JSON object\n" COMMON_OPTS;

const cli_command CLI_COMMANDS[] = {
    {"train", "train or fine-tune a model (SGD), write HDF5", USAGE_TRAIN, cmd_train},
    {"sens", "sensitivity only (MPI)", USAGE_SENS, cmd_sens},
    {"sweep", "the main job: sweep candidates (MPI)", USAGE_SWEEP, cmd_sweep},
    {"eval", "one candidate, printed as a table", USAGE_EVAL, cmd_eval},
    {"pareto", "Pareto front of a results file", USAGE_PARETO, cmd_pareto},
    {"info", "what a model, results or sens file holds; a config", USAGE_INFO, cmd_info},
    {"merge", "join shard results of one run id", USAGE_MERGE, cmd_merge},
    {"xbar", "uniform-precision estimate of a NeuroSim layer list", USAGE_XBAR, cmd_xbar},
};

const int CLI_N_COMMANDS = (int)(sizeof CLI_COMMANDS / sizeof CLI_COMMANDS[0]);

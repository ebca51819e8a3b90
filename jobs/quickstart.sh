#!/bin/bash
# The main job on a fresh Debian 12 machine: installs the Debian packages it needs,
# configures and builds, runs the quickstart sweep on 2 MPI ranks and prints the Pareto
# front. Running it again continues (or just reprints) the same sweep: --resume.
# Extra arguments go to `cimsweep sweep` (e.g. --set data.eval_samples=2000).
set -eo pipefail
. "$(dirname "$0")/deps.sh"
cs_need $CS_PKGS_BUILD $CS_PKGS_RUN
cs_build
cd "$CS_TOP"
mpirun -np "${CS_RANKS:-2}" build/cimsweep sweep -c jobs/quickstart.cfg --resume "$@"

#!/bin/bash
# The test suite: installs what it needs (Debian packages), configures, builds and runs every
# test through ctest (labels unit, mpi, ref, slurm; benchmarks are left out: ctest -L bench).
set -eo pipefail
. "$(dirname "$0")/../jobs/deps.sh"
cs_need $CS_PKGS_BUILD $CS_PKGS_RUN $CS_PKGS_TEST
cs_build
cd "$CS_BUILD"
ctest --output-on-failure -LE bench -j"${CS_TEST_JOBS:-2}" "$@"

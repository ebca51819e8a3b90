# shellcheck shell=bash
# Debian packages cimsweep needs, and the configure + build step. Sourced by
# jobs/quickstart.sh (the main job) and tests/run.sh (the test suite).
#
# cs_need PACKAGE...  installs the missing ones with apt-get when run as root; otherwise it
#                     prints the exact `sudo apt-get install` line and exits 1.
# cs_build [CMAKE ARGS...] configures and builds into $CS_BUILD (default build/).

CS_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CS_BUILD=${CS_BUILD:-$CS_TOP/build}
CS_PKGS_BUILD="cmake gcc make pkg-config git libopenmpi-dev openmpi-bin libhdf5-openmpi-dev libconfig-dev libopenblas-dev zlib1g-dev"
CS_PKGS_RUN="dataset-fashion-mnist"
CS_PKGS_TEST="libcmocka-dev python3 python3-torch python3-h5py python3-numpy python3-matplotlib python3-pytest munge slurmctld slurmd slurm-client"

cs_need() {
    local missing="" p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "cimsweep needs these Debian packages; install them with:" >&2
        echo "  sudo apt-get install -y --no-install-recommends$missing" >&2
        exit 1
    fi
    echo "[setup] installing:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing >/dev/null ||
        { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null; } ||
        { echo "[setup] apt-get install failed" >&2; exit 1; }
}

cs_build() {
    echo "[setup] building in $CS_BUILD" >&2
    cmake -S "$CS_TOP" -B "$CS_BUILD" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null &&
        cmake --build "$CS_BUILD" -j"$(nproc)" >/dev/null ||
        { echo "[setup] build failed; run: cmake --build $CS_BUILD" >&2; exit 1; }
}

# Open MPI refuses to run as root unless told, and more ranks than cores need oversubscribe.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
# one BLAS thread per MPI rank
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}

#!/bin/bash
# analysis/ (pareto_plot.py, report.py): runs the small sweep (a ResNet-20 of width 1/4,
# trained for a few seconds on the synthetic set) on 128x128 and 32x32 crossbars, each with the
# packed and the origin mapping, then pytest (Debian's) checks that every number in the
# report's tables equals the HDF5 file's, that the images exist and are not blank, and that
# bad input files give exit status 2 with a clear message.
set -euo pipefail
: "${CIMSWEEP:?}" "${CS_SOURCE_DIR:?}" "${CS_TEST_TMP:?}" "${CS_PYTHON:?}" "${MPIEXEC:?}"
tmp=$CS_TEST_TMP/analysis
rm -rf "$tmp" && mkdir -p "$tmp"
cat >"$tmp/small.cfg" <<CFG
model = { file = "$tmp/model.h5"; arch = "resnet20"; width = 0.25; };
train = { epochs = 20; batch = 64; lr = 0.1; threads = 1; };
data = { kind = "synthetic"; synthetic = { size = 12; train = 512; test = 256; }; };
sensitivity = { calib_samples = 64; batch = 32; min_probes = 3; max_probes = 12; tol = 1e-2; };
fim = { samples = 64; batch = 32; };
quant = { act_calib_samples = 64; };
sweep = {
  cr = { from = 0.0; to = 1.0; steps = 6; };
  methods = ["hutchinson", "activation"];
  align = ["none", "down"];
  dynamic = { max_steps = 6; epsilon = 0.2; };
  hap = { ratios = [0.3, 0.6]; };
};
output = { file = "$tmp/out.h5"; cache_dir = "$tmp/cache"; };
CFG
"$CIMSWEEP" train -c "$tmp/small.cfg" -q >/dev/null
sweep() {   # output, then --set options
    local out=$1
    shift
    "$MPIEXEC" -np 2 --oversubscribe "$CIMSWEEP" sweep -c "$tmp/small.cfg" -q -o "$tmp/$out" "$@" >/dev/null
}
sweep packed128.h5
sweep packed32.h5 --set xbar.rows=32 --set xbar.cols=32
sweep origin128.h5 --set 'xbar.mapping="origin"'
sweep origin32.h5 --set 'xbar.mapping="origin"' --set xbar.rows=32 --set xbar.cols=32
echo "sweeps done: $(ls "$tmp"/*.h5 | tr '\n' ' ')"
cd "$tmp"
CS_ANALYSIS_DATA=$tmp PYTHONDONTWRITEBYTECODE=1 \
    "$CS_PYTHON" -m pytest -q -p no:cacheprovider --basetemp="$tmp/pytest" "$CS_SOURCE_DIR/tests/analysis/test_report.py"

#!/bin/bash
# `cimsweep sens` gives bit-identical results for 1, 2 and 3 MPI ranks (layer and model
# partitions, Hutchinson), with a fresh ResNet-20 (width 1/4) on the synthetic set.
set -eu
: "${CIMSWEEP:?}" "${CS_TEST_TMP:?}" "${MPIEXEC:?}" "${CS_PYTHON:?}"
tmp=$CS_TEST_TMP/sens_ranks
rm -rf "$tmp" && mkdir -p "$tmp"
cat >"$tmp/sens.cfg" <<CFG
model = { file = ""; arch = "resnet20"; width = 0.25; };
data = { kind = "synthetic"; synthetic = { size = 12; train = 256; }; };
sensitivity = { calib_samples = 96; batch = 32; min_probes = 4; max_probes = 24; tol = 1e-2; };
output = { cache_dir = "$tmp/cache"; };
CFG
for part in layer model; do
    for p in 1 2 3; do
        "$MPIEXEC" -np $p --oversubscribe "$CIMSWEEP" sens -c "$tmp/sens.cfg" -q --no-cache \
            --set sensitivity.partition=$part -o "$tmp/$part-$p.h5" >"$tmp/$part-$p.txt"
    done
    for p in 2 3; do
        "$CS_PYTHON" - "$tmp/$part-1.h5" "$tmp/$part-$p.h5" <<'PY'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
for name in ("trace", "stderr", "omega", "probes", "layer_trace", "history"):
    x, y = a["sensitivity"][name][()], b["sensitivity"][name][()]
    if x.shape != y.shape or x.tobytes() != y.tobytes():
        sys.exit("%s differs between %s and %s" % (name, sys.argv[1], sys.argv[2]))
if a["model/layers"][()].tobytes() != b["model/layers"][()].tobytes():
    sys.exit("/model/layers differs")
print("identical:", sys.argv[2])
PY
    done
done

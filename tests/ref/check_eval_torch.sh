#!/bin/bash
# The shipped model's test accuracy computed by PyTorch from the exported weights equals
# `cimsweep eval` to 0.05 points (the whole Fashion-MNIST test set, float model).
set -eu
: "${CIMSWEEP:?}" "${CS_PYTHON:?}" "${CS_SOURCE_DIR:?}" "${CS_TEST_TMP:?}"
cd "$CS_SOURCE_DIR"
ours=$("$CIMSWEEP" eval -c jobs/quickstart.cfg --json -q --no-cache | "$CS_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["top1"])')
PYTHONPATH=analysis "$CS_PYTHON" - "$ours" <<'PY'
import gzip, sys
import numpy as np, torch
from cimsweep_models import load_cimsweep
model, _ = load_cimsweep("data/models/resnet20-fmnist.h5", torch.float32)
d = "/usr/share/datasets/fashion-mnist/"
x = np.frombuffer(gzip.open(d + "t10k-images-idx3-ubyte.gz").read(), np.uint8, offset=16)
y = np.frombuffer(gzip.open(d + "t10k-labels-idx1-ubyte.gz").read(), np.uint8, offset=8)
x = (torch.tensor(x.reshape(-1, 1, 28, 28), dtype=torch.float32) / 255 - 0.2860) / 0.3530
torch.set_num_threads(2)
with torch.no_grad():
    pred = torch.cat([model(x[i:i + 500]).argmax(1) for i in range(0, len(x), 500)])
theirs = 100.0 * (pred.numpy() == y).mean()
ours = float(sys.argv[1])
print("top-1: cimsweep %.2f %%, PyTorch %.2f %% (difference %.3f pt)" % (ours, theirs, abs(ours - theirs)))
sys.exit(0 if abs(ours - theirs) <= 0.05 else 1)
PY

#!/bin/bash
# Benchmark (label bench): wall time of `cimsweep sens` for the shipped ResNet-20 on
# Fashion-MNIST (N_h = 512, at most 100 probes, layer partition) on 1 and 2 ranks, their
# ratio, and the cost of one probe against one PyTorch Hessian-vector product (double
# backward) over the same 512 images, measured in the same run. Extra arguments go to `sens`
# (e.g. --set sensitivity.max_probes=20 for a shorter run).
set -eu
: "${CIMSWEEP:?}" "${CS_SOURCE_DIR:?}" "${CS_TEST_TMP:?}" "${MPIEXEC:?}" "${CS_PYTHON:?}"
cd "$CS_SOURCE_DIR"
tmp=$CS_TEST_TMP/bench_sens
rm -rf "$tmp" && mkdir -p "$tmp"
args=(-c jobs/quickstart.cfg --no-cache --json --set sensitivity.calib_samples=512
      --set sensitivity.max_probes=100 --set sensitivity.min_probes=10 --set sensitivity.tol=1e-3
      --set "output.cache_dir=\"$tmp/cache\"" "$@")
declare -A wall
for p in 1 2; do
    start=$(date +%s.%N)
    "$MPIEXEC" -np $p "$CIMSWEEP" sens "${args[@]}" >"$tmp/sens$p.json" 2>/dev/null
    wall[$p]=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
done
probes=$("$CS_PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(l["probes"] for l in d["layers"]))' "$tmp/sens1.json")
torch_hvp=$(PYTHONPATH=analysis "$CS_PYTHON" - <<'PY'
import time, torch
from cimsweep_models import load_cimsweep, quantizable
torch.set_num_threads(1)
model, _ = load_cimsweep("data/models/resnet20-fmnist.h5", torch.float32)
x, y = torch.randn(512, 1, 28, 28), torch.randint(0, 10, (512,))
params = [p for _, p in quantizable(model)]
v = [torch.randn_like(p) for p in params]
def hvp():
    for i in range(0, 512, 128):
        loss = torch.nn.functional.cross_entropy(model(x[i:i + 128]), y[i:i + 128])
        g = torch.autograd.grad(loss, params, create_graph=True)
        torch.autograd.grad(sum((a * b).sum() for a, b in zip(g, v)), params)
hvp()
t = time.perf_counter(); hvp(); hvp(); print((time.perf_counter() - t) / 2)
PY
)
echo "| ranks | wall s | speed-up |"
echo "|---:|---:|---:|"
echo "| 1 | ${wall[1]} | 1.00 |"
echo "| 2 | ${wall[2]} | $(awk -v a="${wall[1]}" -v b="${wall[2]}" 'BEGIN { printf "%.2f", a / b }') |"
echo
echo "probes (all layers): $probes; one probe costs $(awk -v a="${wall[1]}" -v b="$probes" 'BEGIN { printf "%.3f", a / b }') s on one rank;"
echo "one PyTorch HVP over the same 512 images (1 thread): $torch_hvp s"
echo "probe / PyTorch HVP: $(awk -v a="${wall[1]}" -v b="$probes" -v c="$torch_hvp" 'BEGIN { printf "%.3f", a / b / c }')"

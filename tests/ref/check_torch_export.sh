#!/bin/bash
# analysis/torch_export.py: a random PyTorch ResNet (state dict in a .pt file, wrapped and
# with DataParallel's "module." prefix) becomes a cimsweep model file whose logits equal
# PyTorch's (normalised error <= 1e-5); state dicts that do not fit the architecture are
# refused with exit 2.
set -eu
: "${CS_PYTHON:?}" "${CS_SOURCE_DIR:?}" "${CS_TEST_TMP:?}" "${CS_BUILD_DIR:?}"
tmp=$CS_TEST_TMP/torch_export
rm -rf "$tmp" && mkdir -p "$tmp"
export PYTHONPATH=$CS_SOURCE_DIR/analysis
exporter=$CS_SOURCE_DIR/analysis/torch_export.py
for spec in "resnet20 1.0 1 28" "resnet18 0.125 3 32" "resnet50 0.125 3 32"; do
    read -r arch width c size <<<"$spec"
    "$CS_PYTHON" - "$tmp" "$arch" "$width" "$c" "$size" <<'PY'
import sys, torch, h5py
from cimsweep_models import ResNet
tmp, arch, width, c, size = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.manual_seed(3)
m = ResNet(arch, width, c, 10)
for mod in m.modules():  # non-trivial BN statistics
    if isinstance(mod, torch.nn.BatchNorm2d):
        mod.running_mean.uniform_(-0.1, 0.1); mod.running_var.uniform_(0.5, 1.5)
        mod.weight.data.uniform_(0.5, 1.5); mod.bias.data.uniform_(-0.1, 0.1)
m.eval()
state = {"module." + k: v for k, v in m.state_dict().items()}
torch.save({"state_dict": state, "epoch": 7}, "%s/%s.pt" % (tmp, arch))
x = torch.randn(6, c, size, size)
with torch.no_grad():
    z = m(x)
with h5py.File("%s/%s-in.h5" % (tmp, arch), "w") as f:
    f["x"] = x.numpy()
    f["logits"] = z.numpy()
PY
    "$CS_PYTHON" "$exporter" "$tmp/$arch.pt" "$tmp/$arch.h5" --arch "$arch" --width "$width" \
        --in-channels "$c" --height "$size" --width-px "$size" --dataset test
    "$CS_BUILD_DIR/tests/model_logits" "$tmp/$arch.h5" "$tmp/$arch-in.h5" "$tmp/$arch-out.h5"
    "$CS_PYTHON" - "$tmp/$arch-in.h5" "$tmp/$arch-out.h5" <<'PY'
import sys, h5py, numpy as np
a = h5py.File(sys.argv[1], "r")["logits"][()]; b = h5py.File(sys.argv[2], "r")["logits"][()]
e = np.linalg.norm(a - b) / np.linalg.norm(a)
print("logits normalised error %.2e" % e)
sys.exit(0 if e <= 1e-5 else 1)
PY
done
# refusals: a wrong architecture, a missing parameter
set +e
"$CS_PYTHON" "$exporter" "$tmp/resnet20.pt" "$tmp/bad.h5" --arch resnet32 --in-channels 1 2>"$tmp/err"
rc=$?
grep -q "is missing from the state dict" "$tmp/err" && [ $rc -eq 2 ] || { echo "FAIL: wrong arch accepted (exit $rc)"; cat "$tmp/err"; exit 1; }
"$CS_PYTHON" "$exporter" "$tmp/resnet18.pt" "$tmp/bad.h5" --arch resnet18 --width 0.25 2>"$tmp/err"
rc=$?
grep -q "has shape" "$tmp/err" && [ $rc -eq 2 ] || { echo "FAIL: wrong width accepted (exit $rc)"; cat "$tmp/err"; exit 1; }
[ ! -e "$tmp/bad.h5" ] || { echo "FAIL: a refused export left a file"; exit 1; }
echo "refusals ok"

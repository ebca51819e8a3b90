#!/usr/bin/python3
"""Turn a PyTorch ResNet state dict (.pt) into a cimsweep model file (HDF5).

usage: /usr/bin/python3 analysis/torch_export.py MODEL.pt OUT.h5 --arch resnet18
           [--width 1.0] [--in-channels 3] [--classes 10] [--height 32] [--width-px 32]
           [--dataset cifar10]

The state dict must use cimsweep's names (those of analysis/cimsweep_models.py, which are
torchvision's for ResNet-18/34/50 and He et al.'s CIFAR ResNets with 'fc' for 20/32/56).
A checkpoint that wraps the state dict ({'state_dict': ...} or {'model': ...}) or prefixes
names with 'module.' (DataParallel) is unwrapped. Exits 2 with the offending name when the
state dict does not match the architecture.
"""
import argparse
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cimsweep_models import ARCHS, ResNet  # noqa: E402


def unwrap(obj):
    if isinstance(obj, dict):
        for key in ("state_dict", "model", "net"):
            if key in obj and isinstance(obj[key], dict):
                obj = obj[key]
                break
    if hasattr(obj, "state_dict"):
        obj = obj.state_dict()
    return {(k[7:] if k.startswith("module.") else k): v for k, v in obj.items()}


def export(state, out, arch, width, in_c, classes, height, width_px, dataset):
    model = ResNet(arch, width, in_c, classes)
    want = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    got = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    for name in want:
        if name not in got:
            raise ValueError("parameter %s is missing from the state dict" % name)
        if tuple(got[name].shape) != tuple(want[name].shape):
            raise ValueError("parameter %s has shape %s, %s %g expects %s" % (
                name, tuple(got[name].shape), arch, width, tuple(want[name].shape)))
    extra = sorted(set(got) - set(want))
    if extra:
        raise ValueError("parameter %s does not belong to %s of width %g" % (extra[0], arch, width))
    tmp = out + ".tmp"
    with h5py.File(tmp, "w") as f:
        attrs = {"format": "cimsweep-model", "arch": arch, "dataset": dataset,
                 "producer": "analysis/torch_export.py"}
        for k, v in attrs.items():
            f.attrs.create(k, np.bytes_(v))
        f.attrs["format_version"] = np.int64(1)
        f.attrs["width"] = np.float64(width)
        f.attrs["in_channels"] = np.int64(in_c)
        f.attrs["in_height"] = np.int64(height)
        f.attrs["in_width"] = np.int64(width_px)
        f.attrs["classes"] = np.int64(classes)
        f.attrs["epochs"] = np.int64(0)
        f.attrs["test_top1"] = np.float64("nan")
        f.attrs["train_seconds"] = np.float64(0)
        for name in want:
            f.create_dataset("params/" + name,
                             data=got[name].detach().cpu().to(torch.float32).numpy())
    os.replace(tmp, out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("out")
    ap.add_argument("--arch", required=True, choices=ARCHS)
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--in-channels", type=int, default=3)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--height", type=int, default=32)
    ap.add_argument("--width-px", type=int, default=32)
    ap.add_argument("--dataset", default="cifar10")
    a = ap.parse_args()
    try:
        state = unwrap(torch.load(a.checkpoint, map_location="cpu"))
        export(state, a.out, a.arch, a.width, a.in_channels, a.classes, a.height, a.width_px,
               a.dataset)
    except (ValueError, OSError, RuntimeError) as e:
        print("torch_export.py: %s: %s" % (a.checkpoint, e), file=sys.stderr)
        sys.exit(2)
    print("wrote %s (%s, width %g)" % (a.out, a.arch, a.width))


if __name__ == "__main__":
    main()

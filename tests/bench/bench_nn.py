#!/usr/bin/python3
"""Engine throughput, cimsweep versus PyTorch (Debian's python3-torch), one thread, same run.

usage: bench_nn.py BENCH_NN_PROGRAM [SECONDS]

For ResNet-20 on 1x28x28 and 3x32x32 (batch 128) and ResNet-18 on 3x32x32 (batch 32):
images/s of forward, forward+backward and the exact Hessian-vector product (cimsweep: the
R-operator; PyTorch: double backward), their ratio, cimsweep's GFLOP/s, and the peak memory
(max RSS) of a process doing only the ResNet-18 HVP. Rows are interleaved (cimsweep, then
PyTorch, per network) so both see the same machine state; medians of repeated passes.
"""
import json
import os
import resource
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "analysis"))
from cimsweep_models import ResNet, quantizable  # noqa: E402

ROWS = [("resnet20", 1.0, 1, 28, 128), ("resnet20", 1.0, 3, 32, 128), ("resnet18", 1.0, 3, 32, 32)]
PASSES = ("forward", "forward+backward", "hvp")


def torch_rates(arch, width, c, size, batch, seconds):
    torch.manual_seed(0)
    model = ResNet(arch, width, c, 10).eval()
    x = torch.randn(batch, c, size, size)
    y = torch.randint(0, 10, (batch,))
    params = [p for _, p in quantizable(model)]
    v = [torch.randn_like(p) for p in params]

    def forward():
        with torch.no_grad():
            model(x)

    def fwdbwd():
        model.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()

    def hvp():
        loss = torch.nn.functional.cross_entropy(model(x), y)
        g = torch.autograd.grad(loss, params, create_graph=True)
        torch.autograd.grad(sum((a * b).sum() for a, b in zip(g, v)), params)

    out = {}
    for name, fn in zip(PASSES, (forward, fwdbwd, hvp)):
        fn()
        times, t0 = [], time.perf_counter()
        while len(times) < 3 or time.perf_counter() - t0 < seconds:
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        times.sort()
        out[name] = batch / times[len(times) // 2]
    return out


def cimsweep_rates(prog, arch, width, c, size, batch, seconds, only=None):
    cmd = [prog, arch, str(width), str(c), str(size), str(batch), str(seconds)]
    if only is not None:
        cmd.append(str(only))
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    rows = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    return {r["pass"]: r for r in rows}


def peak_rss_mb(cmd):
    """Max RSS of a child process, in MB (/usr/bin/time -v)."""
    res = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    for line in res.stderr.splitlines():
        if "Maximum resident set size" in line:
            return int(line.split()[-1]) / 1024.0
    return float("nan")


def main():
    prog = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    torch.set_num_threads(1)
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    print("| model | input | batch | pass | cimsweep img/s | PyTorch img/s | ratio | cimsweep GFLOP/s |")
    print("|---|---|---:|---|---:|---:|---:|---:|")
    worst = {p: 9.9 for p in PASSES}
    for arch, width, c, size, batch in ROWS:
        ours = cimsweep_rates(prog, arch, width, c, size, batch, seconds)
        ref = torch_rates(arch, width, c, size, batch, seconds)
        for p in PASSES:
            r = ours[p]["images_per_s"] / ref[p]
            worst[p] = min(worst[p], r)
            print("| %s | %dx%dx%d | %d | %s | %.1f | %.1f | %.2f | %.1f |" % (
                arch, c, size, size, batch, p, ours[p]["images_per_s"], ref[p], r,
                ours[p]["gflops_best"]))
        sys.stdout.flush()
    here = os.path.abspath(__file__)
    ours_mb = peak_rss_mb([prog, "resnet18", "1", "3", "32", "32", "2", "2"])
    torch_mb = peak_rss_mb([sys.executable, here, "--torch-hvp-only"])
    print("\nResNet-18 HVP (batch 32) peak memory: cimsweep %.0f MB, PyTorch %.0f MB (ratio %.2f)"
          % (ours_mb, torch_mb, ours_mb / torch_mb))
    print("worst ratio per pass: " + ", ".join("%s %.2f" % (p, worst[p]) for p in PASSES))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--torch-hvp-only":
        torch.set_num_threads(1)
        torch_rates("resnet18", 1.0, 3, 32, 32, 2.0)
    else:
        main()

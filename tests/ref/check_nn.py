#!/usr/bin/python3
"""Compare cimsweep's forward, loss, gradients and Hessian-vector products with PyTorch.

usage: check_nn.py PREFIX   (reads PREFIX.model.h5 and PREFIX.h5 written by nn_dump)

PyTorch recomputes everything in float64 from the same weights and batch: logits, mean
cross-entropy, every parameter gradient, H v by double backward over all conv/linear
weights, and the diagonal blocks H_qq v_q of six layers (first, last, four between). Each must agree with normalised error
||a - b|| / ||b|| <= 1e-4. Exit 1 on any mismatch.
"""
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "analysis"))
from cimsweep_models import load_cimsweep, quantizable  # noqa: E402

TOL = 1e-4


def nerr(a, b):
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30)


def main(prefix):
    model, _ = load_cimsweep(prefix + ".model.h5")
    with h5py.File(prefix + ".h5", "r") as f:
        x = torch.tensor(f["x"][()], dtype=torch.float64)
        y = torch.tensor(f["labels"][()].astype(np.int64))
        v = f["v"][()]
        res = {k: f[k][()] for k in ("logits", "hv", "hv_layer")}
        loss_c = float(f.attrs["loss"])
        grads = {k: f["grad"][k][()] for k in f["grad"]}
    failures = []

    def check(what, mine, ref):
        e = nerr(mine, ref)
        status = "ok" if e <= TOL else "FAIL"
        print("%-40s normalised error %.2e  %s" % (what, e, status))
        if e > TOL:
            failures.append(what)

    logits = model(x)
    loss = torch.nn.functional.cross_entropy(logits, y)
    check("logits", res["logits"], logits.detach().numpy())
    check("loss", [loss_c], [loss.item()])
    params = dict(model.named_parameters())
    g = torch.autograd.grad(loss, list(params.values()), create_graph=True)
    gd = dict(zip(params.keys(), g))
    for name in params:
        check("grad " + name, grads[name], gd[name].detach().numpy())

    q = quantizable(model)
    sizes = [p.numel() for _, p in q]
    offs = np.concatenate([[0], np.cumsum(sizes)])
    vt = [torch.tensor(v[offs[i]:offs[i + 1]], dtype=torch.float64).reshape(p.shape)
          for i, (_, p) in enumerate(q)]
    gq = [gd[name] for name, _ in q]
    dot = sum((a * b).sum() for a, b in zip(gq, vt))
    hv = torch.autograd.grad(dot, [p for _, p in q], retain_graph=True)
    check("H v (all weights)", res["hv"], np.concatenate([h.detach().numpy().ravel() for h in hv]))
    # each diagonal block costs a double backward through the whole network: check the first
    # and the last layer and four spread between them (the code path is the same for all)
    picks = sorted(set([0, len(q) - 1] + [round(k * (len(q) - 1) / 5) for k in range(1, 5)]))
    for i in picks:
        name, p = q[i]
        blk = torch.autograd.grad((gq[i] * vt[i]).sum(), p, retain_graph=True)[0]
        check("H_qq v_q " + name, res["hv_layer"][offs[i]:offs[i + 1]], blk.detach().numpy())
    if failures:
        print("%d mismatches" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

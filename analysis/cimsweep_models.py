"""PyTorch definitions of cimsweep's architectures, with the same state-dict names.

Used by torch_export.py (bring a PyTorch checkpoint into cimsweep) and by the reference
tests in tests/ref/ (compare cimsweep's forward, gradients and Hessian-vector products
with PyTorch's). Runs with Debian's python3-torch: /usr/bin/python3.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

ARCHS = ("resnet20", "resnet32", "resnet56", "resnet18", "resnet34", "resnet50", "tiny")


def channels(width, base):
    return max(1, int(math.floor(base * width + 0.5)))


class ShortcutA(nn.Module):
    """Parameter-free shortcut: subsample by stride, zero-pad channels (He et al. 2016)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride, self.lo, self.hi = stride, (cout - cin) // 2, cout - cin - (cout - cin) // 2

    def forward(self, x):
        x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, self.lo, self.hi))


class BasicBlock(nn.Module):
    def __init__(self, cin, planes, stride, option_a):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = None
        self.downsample = None
        if stride != 1 or cin != planes:
            if option_a:
                self.shortcut = ShortcutA(cin, planes, stride)
            else:
                self.downsample = nn.Sequential(
                    nn.Conv2d(cin, planes, 1, stride, 0, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        if self.downsample is not None:
            x = self.downsample(x)
        elif self.shortcut is not None:
            x = self.shortcut(x)
        return F.relu(y + x)


class Bottleneck(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        out = 4 * planes
        self.conv1 = nn.Conv2d(cin, planes, 1, 1, 0, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out, 1, 1, 0, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.downsample = None
        if stride != 1 or cin != out:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, out, 1, stride, 0, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        if self.downsample is not None:
            x = self.downsample(x)
        return F.relu(y + x)


class ResNet(nn.Module):
    def __init__(self, arch, width=1.0, in_c=3, classes=10):
        super().__init__()
        self.arch = arch
        if arch == "tiny":
            c = channels(width, 4)
            self.conv1 = nn.Conv2d(in_c, c, 3, 1, 1, bias=False)
            self.conv2 = nn.Conv2d(c, c, 3, 2, 1, bias=False)
            self.fc = nn.Linear(c, classes)
            return
        cifar = arch in ("resnet20", "resnet32", "resnet56")
        stem = channels(width, 16 if cifar else 64)
        self.conv1 = nn.Conv2d(in_c, stem, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        cin = stem
        if cifar:
            n = {"resnet20": 3, "resnet32": 5, "resnet56": 9}[arch]
            stages = [(channels(width, 16 << s), n) for s in range(3)]
        else:
            blocks = [2, 2, 2, 2] if arch == "resnet18" else [3, 4, 6, 3]
            stages = [(channels(width, 64 << s), blocks[s]) for s in range(4)]
        for s, (planes, n) in enumerate(stages):
            layer = []
            for b in range(n):
                stride = 2 if s > 0 and b == 0 else 1
                if arch == "resnet50":
                    layer.append(Bottleneck(cin, planes, stride))
                    cin = 4 * planes
                else:
                    layer.append(BasicBlock(cin, planes, stride, cifar))
                    cin = planes
            setattr(self, "layer%d" % (s + 1), nn.Sequential(*layer))
        self.n_stages = len(stages)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        if self.arch == "tiny":
            x = F.relu(self.conv2(F.relu(self.conv1(x))))
        else:
            x = F.relu(self.bn1(self.conv1(x)))
            for s in range(self.n_stages):
                x = getattr(self, "layer%d" % (s + 1))(x)
        x = x.mean(dim=(2, 3))
        return self.fc(x)


def quantizable(model):
    """Conv and linear weights in cimsweep's network order (its 'qlayers')."""
    return [(name, p) for name, p in model.named_parameters()
            if name.endswith("weight") and p.dim() in (2, 4)]


def load_cimsweep(path, dtype=torch.float64):
    """Build the PyTorch model of a cimsweep model file and load its parameters."""
    import h5py
    with h5py.File(path, "r") as f:
        a = f.attrs
        arch = a["arch"].decode() if isinstance(a["arch"], bytes) else str(a["arch"])
        model = ResNet(arch, float(a["width"]), int(a["in_channels"]), int(a["classes"]))
        state = model.state_dict()
        for name in state:
            if name.endswith("num_batches_tracked"):
                continue
            state[name] = torch.tensor(f["params"][name][()]).reshape(state[name].shape)
        model.load_state_dict(state)
        meta = {k: a[k] for k in a}
    return model.to(dtype).eval(), meta

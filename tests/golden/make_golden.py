#!/usr/bin/python3
"""Writes the golden tensors the C++ tests compare fgq with, using Debian's python3-torch.

    /usr/bin/python3 tests/golden/make_golden.py            # rewrites tests/golden/*.safetensors
    /usr/bin/python3 tests/golden/make_golden.py --check-fgq FILE
        loads a state dict written by fgq (tests write build/tests/fgq_resnet20_export.safetensors)
        into torch's resnet20 with strict names and shapes, and checks torch's logits on the stored
        input equal the logits fgq stored beside it.

resnet20 (random init) stores everything: parameters, input, logits, loss, every gradient and every
parameter and buffer after one SGD step. resnet18, resnet50 and alexnet are too large to commit, so
their weights come from a formula of tensor name and index that tests/GoldenWeights.cpp repeats;
resnet18 stores, per parameter, the gradient's sum, sum of squares and 64 sampled elements, and the
same samples after the SGD step.
"""
import argparse
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import safetensors_io  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SGD = dict(lr=0.1, momentum=0.9, weight_decay=5e-4)
SAMPLES = 64


# ---- resnet20, CIFAR-style, with torchvision's names --------------------------------------------
class BasicBlock(nn.Module):
    def __init__(self, inp, out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(out, out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out)
        self.downsample = None
        if stride != 1 or inp != out:
            self.downsample = nn.Sequential(nn.Conv2d(inp, out, 1, stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (self.downsample(x) if self.downsample is not None else x))


class ResNet20(nn.Module):
    def __init__(self, in_channels=1, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        inp, stages = 16, []
        for i, width in enumerate([16, 32, 64]):
            blocks = []
            for b in range(3):
                blocks.append(BasicBlock(inp, width, 2 if (b == 0 and i > 0) else 1))
                inp = width
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


# ---- the deterministic weight formula (repeated in tests/GoldenWeights.cpp) ----------------------
def fnv1a(name):
    h = 2166136261
    for b in name.encode():
        h = ((h ^ b) * 16777619) % 2**32
    return h


def formula_tensor(name, shape):
    n = int(np.prod(shape)) if len(shape) else 1
    i = np.arange(1, n + 1, dtype=np.uint64)
    u = ((i * np.uint64(2654435761) + np.uint64(fnv1a(name))) % np.uint64(2**32)).astype(np.float64) / 2.0**32
    if name.endswith("num_batches_tracked"):
        return np.zeros(shape, dtype=np.int64)
    if name.endswith("running_var") or (name.endswith(".weight") and len(shape) == 1):
        v = 0.5 + u
    elif name.endswith("running_mean") or name.endswith(".bias"):
        v = 0.2 * (2.0 * u - 1.0)
    else:
        fan_in = n // shape[0]
        v = (2.0 * u - 1.0) * math.sqrt(3.0 / fan_in)
    return v.astype(np.float32).reshape(shape)


def fill_with_formula(model):
    with torch.no_grad():
        for name, t in model.state_dict().items():
            t.copy_(torch.from_numpy(formula_tensor(name, tuple(t.shape))))


def sample_indices(n):
    return (np.arange(SAMPLES, dtype=np.uint64) * np.uint64(2654435761) % np.uint64(n)).astype(np.int64)


# ---- golden writers -------------------------------------------------------------------------------
def train_step(model, x, y):
    model.train()
    opt = torch.optim.SGD(model.parameters(), **SGD)
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, y)
    opt.zero_grad()
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
    opt.step()
    return logits.detach(), loss.detach(), grads


def write_resnet20():
    torch.manual_seed(0)
    model = ResNet20()
    g = torch.Generator().manual_seed(1)
    x = torch.randn(8, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (8,), generator=g)
    out = {"input": x.numpy(), "targets": y.numpy()}
    out.update({"init." + n: t.numpy().copy() for n, t in model.state_dict().items()})
    logits, loss, grads = train_step(model, x, y)
    out["logits"], out["loss"] = logits.numpy(), loss.reshape(1).numpy()
    out.update({"grad." + n: t.numpy() for n, t in grads.items()})
    out.update({"step." + n: t.numpy() for n, t in model.state_dict().items()})
    safetensors_io.save(os.path.join(HERE, "resnet20_step.safetensors"), out, {"writer": "torch " + torch.__version__})


def write_resnet18():
    model = torchvision.models.resnet18(num_classes=10)
    fill_with_formula(model)
    g = torch.Generator().manual_seed(2)
    x = torch.randn(4, 3, 64, 64, generator=g)
    y = torch.randint(0, 10, (4,), generator=g)
    logits, loss, grads = train_step(model, x, y)
    out = {"input": x.numpy(), "targets": y.numpy(), "logits": logits.numpy(), "loss": loss.reshape(1).numpy()}
    for n, t in grads.items():
        flat = t.double().flatten()
        idx = sample_indices(flat.numel())
        out["grad_sum." + n] = np.array([flat.sum().item(), (flat * flat).sum().item()])
        out["grad_sample." + n] = flat.numpy()[idx].astype(np.float32)
    for n, t in model.state_dict().items():
        if n.endswith("num_batches_tracked"):
            continue
        flat = t.flatten().numpy()
        out["step_sample." + n] = flat[sample_indices(flat.size)]
    safetensors_io.save(os.path.join(HERE, "resnet18_step.safetensors"), out)


def write_forward(name, model, x):
    fill_with_formula(model)
    model.eval()
    with torch.no_grad():
        logits = model(x)
    safetensors_io.save(os.path.join(HERE, name + "_forward.safetensors"), {"input": x.numpy(), "logits": logits.numpy()})


def write_state_dict_shapes():
    import json
    shapes = {}
    for name in ["resnet18", "resnet34", "resnet50", "resnet101", "alexnet"]:
        model = getattr(torchvision.models, name)()
        shapes[name] = {k: list(v.shape) for k, v in model.state_dict().items()}
    with open(os.path.join(HERE, "torchvision_state_dicts.json"), "w") as f:
        json.dump(shapes, f, indent=0, sort_keys=True)


def write_optimizers():
    """Three steps of each optimizer on one tensor with given gradients, and the lr schedules."""
    g = torch.Generator().manual_seed(4)
    p0 = torch.randn(6, generator=g)
    grads = [torch.randn(6, generator=g) for _ in range(3)]
    out = {"p0": p0.numpy(), "grads": torch.stack(grads).numpy()}
    configs = {
        "sgd_nesterov": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
        "sgd_dampening": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.5),
        "adam": lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01),
        "adamw": lambda ps: torch.optim.AdamW(ps, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    }
    for name, make in configs.items():
        p = p0.clone().requires_grad_(True)
        opt = make([p])
        steps = []
        for grad in grads:
            p.grad = grad.clone()
            opt.step()
            steps.append(p.detach().clone())
        out[name] = torch.stack(steps).numpy()
    safetensors_io.save(os.path.join(HERE, "optimizers.safetensors"), out)


def check_fgq(path):
    tensors = safetensors_io.load(path)
    x, fgq_logits = tensors.pop("__input"), tensors.pop("__logits")
    model = ResNet20()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()}, strict=True)
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(x)).numpy()
    rel = np.abs(logits - fgq_logits).max() / np.abs(logits).max()
    print(f"{path}: loaded into torch resnet20 (strict); max relative logit difference {rel:.2e}")
    return 0 if rel < 1e-4 else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check-fgq", metavar="FILE")
    args = parser.parse_args()
    torch.set_num_threads(2)
    if args.check_fgq:
        return check_fgq(args.check_fgq)
    write_state_dict_shapes()
    write_optimizers()
    write_resnet20()
    write_resnet18()
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(3))
    write_forward("resnet50", torchvision.models.resnet50(), x)
    write_forward("alexnet", torchvision.models.alexnet(), x)
    return 0


if __name__ == "__main__":
    sys.exit(main())

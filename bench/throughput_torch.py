#!/usr/bin/python3
"""PyTorch's throughput on the shapes and modes bench/throughput measures (the baseline it prints).

Modes: train (cross-entropy, SGD), inference (eval, no_grad), finetune (FGQ N=64 with 8-bit activations
distilled from the FP32 teacher: the same work as fgq's step, written in PyTorch — ternary weights
re-solved exactly every step with a straight-through gradient, fake-quantized activations, L1 to the
teacher's logits, Adam). Run as ../shared/machine-notes.md says: 2 threads, channels_last, glibc malloc
tuned so page faults do not swing the numbers; in inference the faster of channels_last and contiguous. Prints one line: `torch MODEL MODE images_per_second`.
"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden"))
from make_golden import ResNet20  # noqa: E402


def ternarize(w, n):
    """methods.md 1.3: groups of n input channels at one (k, r, s); alpha and support from argmax S_k^2/k."""
    x = w.movedim(1, -1)
    c = x.shape[-1]
    x = F.pad(x, (0, (-c) % n))
    groups = x.reshape(-1, n)
    magnitudes = groups.abs().sort(dim=1, descending=True).values
    sums = magnitudes.cumsum(1)
    k = (sums * sums / torch.arange(1, n + 1, dtype=w.dtype)).argmax(1, keepdim=True)
    alpha = sums.gather(1, k) / (k + 1)
    threshold = magnitudes.gather(1, k)
    t = torch.where(groups.abs() >= threshold, groups.sign(), torch.zeros_like(groups))
    return (alpha * t).reshape(x.shape)[..., :c].movedim(-1, 1)


def int8_per_channel(w):
    scale = w.abs().flatten(1).amax(1).clamp_min(1e-12) / 127
    shape = (-1,) + (1,) * (w.dim() - 1)
    return torch.round(w / scale.view(shape)).clamp(-127, 127) * scale.view(shape)


class FakeQuantLayer(nn.Module):
    """A conv or inner product with quantized weights (straight-through) and an 8-bit input quantizer."""

    def __init__(self, layer, ternary):
        super().__init__()
        self.layer, self.ternary, self.scale, self.low = layer, ternary, None, 0

    def forward(self, x):
        if self.scale is None:  # calibration: the first batch's range
            self.low = -128 if x.min() < 0 else 0
            self.scale = x.abs().max().item() / (127 if self.low else 255)
        high = 127 if self.low else 255
        x = x.clamp(self.low * self.scale, high * self.scale)
        x = x + (torch.round(x / self.scale) * self.scale - x).detach()
        w = self.layer.weight
        q = ternarize(w.detach(), 64) if self.ternary else int8_per_channel(w.detach())
        w = w + (q - w).detach()
        if isinstance(self.layer, nn.Linear):
            return F.linear(x, w, self.layer.bias)
        l = self.layer
        return F.conv2d(x, w, l.bias, l.stride, l.padding, l.dilation, l.groups)


def install_fgq(model):
    layers = [(name, m) for name, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    kept = {layers[0][0], layers[-1][0]}  # the first conv and the last inner product stay int8
    for name, m in layers:
        parent = model.get_submodule(name.rpartition(".")[0]) if "." in name else model
        setattr(parent, name.rpartition(".")[2], FakeQuantLayer(m, name not in kept))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("mode", choices=["train", "inference", "finetune"])
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--channels", type=int, required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--classes", type=int, required=True)
    p.add_argument("--steps", type=int, default=10)
    a = p.parse_args()
    torch.set_num_threads(2)

    def build():
        torch.manual_seed(0)
        m = ResNet20(a.channels, a.classes) if a.model == "resnet20" else getattr(torchvision.models, a.model)(num_classes=a.classes)
        return m.to(memory_format=torch.channels_last)

    model = build()
    x = torch.randn(a.batch, a.channels, a.size, a.size).to(memory_format=torch.channels_last)
    if a.mode == "inference":
        model.eval()

        def step():
            with torch.no_grad():
                model(x)
    elif a.mode == "train":
        model.train()
        y = torch.randint(0, a.classes, (a.batch,))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

        def step():
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
    else:
        teacher = build().eval()
        install_fgq(model)
        with torch.no_grad():
            model.eval()(x)  # calibrates the activation scales
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)

        def step():
            opt.zero_grad()
            with torch.no_grad():
                target = teacher(x)
            (model(x) - target).abs().mean().backward()
            opt.step()

    def median_seconds(steps):
        times = []
        for i in range(steps + 2):
            start = time.perf_counter()
            step()
            if i >= 2:
                times.append(time.perf_counter() - start)
        return statistics.median(times)

    # PyTorch gets its faster layout: channels_last wins for the ResNets here, contiguous for AlexNet.
    if a.mode == "inference":
        probe = median_seconds(3)
        model.to(memory_format=torch.contiguous_format)
        x = x.contiguous()
        if median_seconds(3) > probe:
            model.to(memory_format=torch.channels_last)
            x = x.to(memory_format=torch.channels_last)
    print(f"torch {a.model} {a.mode} {a.batch / median_seconds(a.steps):.2f}")


if __name__ == "__main__":
    main()

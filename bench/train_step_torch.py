#!/usr/bin/python3
"""PyTorch's training-step throughput on the shapes bench/train_step measures (the baseline it prints).

Run as ../shared/machine-notes.md says: 2 threads, channels_last, glibc malloc tuned so page faults do
not swing the numbers. Prints one line: `torch MODEL images_per_second`.
"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden"))
from make_golden import ResNet20  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--channels", type=int, required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--classes", type=int, required=True)
    p.add_argument("--steps", type=int, default=10)
    a = p.parse_args()
    torch.set_num_threads(2)
    if a.model == "resnet20":
        model = ResNet20(a.channels, a.classes)
    else:
        model = getattr(torchvision.models, a.model)(num_classes=a.classes)
    model = model.to(memory_format=torch.channels_last).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(a.batch, a.channels, a.size, a.size).to(memory_format=torch.channels_last)
    y = torch.randint(0, a.classes, (a.batch,))
    times = []
    for step in range(a.steps + 2):
        start = time.perf_counter()
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        if step >= 2:
            times.append(time.perf_counter() - start)
    print(f"torch {a.model} {a.batch / statistics.median(times):.2f}")


if __name__ == "__main__":
    main()

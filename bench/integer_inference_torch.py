#!/usr/bin/python3
"""PyTorch's inference peers for bench/integer_inference: torchvision's ResNet-50 in FP32 and its own
int8 version (torchvision.models.quantization, quantized engine `onednn`, fused, calibrated on random
inputs, channels_last), both at random init: speed does not depend on the weights' values.

Run as ../shared/machine-notes.md says: 2 threads, glibc malloc tuned (bench/integer_inference sets the
environment). Prints one line per mode and batch: `torch resnet50 fp32|int8 BATCH images_per_second`,
the median of --repeats timed runs after warm-up.
"""
import argparse
import statistics
import time

import torch
import torchvision
from torch.ao.quantization import convert, get_default_qconfig, prepare


def int8_resnet50(calibration):
    torch.backends.quantized.engine = "onednn"
    model = torchvision.models.quantization.resnet50(weights=None, quantize=False).eval()
    model.fuse_model()
    model.qconfig = get_default_qconfig("onednn")
    prepare(model, inplace=True)
    with torch.no_grad():
        model(calibration)
    convert(model, inplace=True)
    return model


def images_per_second(model, batch, repeats):
    x = torch.randn(batch, 3, 224, 224).to(memory_format=torch.channels_last)
    with torch.no_grad():
        for _ in range(2):
            model(x)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - start)
    return batch / statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--repeats", type=int, default=5)
    a = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    fp32 = torchvision.models.resnet50(weights=None).eval().to(memory_format=torch.channels_last)
    int8 = int8_resnet50(torch.randn(16, 3, 224, 224).to(memory_format=torch.channels_last))
    for batch in a.batches:
        for mode, model in (("fp32", fp32), ("int8", int8)):
            print(f"torch resnet50 {mode} {batch} {images_per_second(model, batch, a.repeats):.2f}", flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Writes the ONNX file the import test reads, with Debian's python3-torch: a small CNN made of every
operator fgq's importer takes as torch.onnx.export writes them (conv + batch norm + ReLU, max pooling, a
torchvision BasicBlock with its downsample, average pooling after a Pad, global pooling, flatten,
dropout, a linear layer, initializers shared through Identity), in evaluation, batch norm kept as a node (training-preserving export, no constant folding), and
torch's logits on a fixed input beside it.

    /usr/bin/python3 tests/golden/make_onnx_golden.py     # rewrites tests/golden/onnx_small.{onnx,safetensors}
"""
import os
import sys

import torch
import torch.nn as nn
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import safetensors_io  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        downsample = nn.Sequential(nn.Conv2d(8, 16, 1, 2, bias=False), nn.BatchNorm2d(16))
        self.layer1 = nn.Sequential(torchvision.models.resnet.BasicBlock(8, 16, 2, downsample))
        self.pool = nn.AvgPool2d(3, 1, 1)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.avgpool(self.pool(self.layer1(x)))
        return self.fc(self.dropout(torch.flatten(x, 1)))


def main():
    torch.manual_seed(0)
    model = Small()
    # Statistics and an affine part of their own, as trained ones have; the last two keep torch's
    # initialization, equal tensors that the exporter stores once and hands on through Identity nodes.
    for m in list(model.modules())[:-9]:
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    model.eval()
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        logits = model(images)
    torch.onnx.export(model, images, os.path.join(HERE, "onnx_small.onnx"), input_names=["images"], output_names=["logits"],
                      dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13,
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    safetensors_io.save(os.path.join(HERE, "onnx_small.safetensors"), {"images": images.numpy(), "logits": logits.numpy()})


if __name__ == "__main__":
    main()

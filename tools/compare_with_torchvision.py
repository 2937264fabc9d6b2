#!/usr/bin/python3
"""Checks fgq's model against torchvision's on the same weights and images, and measures how fgq's image
pipeline (decode, resize of the shorter side to 256, center crop 224, ImageNet normalization) differs
from torchvision's (PIL decode, antialiased Resize(256), CenterCrop(224)).

    /usr/bin/python3 tools/compare_with_torchvision.py resnet50 --images DIR [--onnx] [--fgq-eval build/apps/fgq-eval]
        [--preprocessing torchvision|opencv]

DIR holds class subfolders of images (as fgq's image_folder), any number of them: they become the first
of the model's 1,000 classes (a synsets file lists them). The model gets torchvision's random
initialization (seeded), handed to fgq as a state dict (tools/torchvision_to_safetensors.py's code path)
or, with --onnx, as torch.onnx.export writes it (training-preserving, no constant folding: batch norm
stays a node) for fgq's ONNX import (model.arch "onnx"). Prints:
  same input:   max relative logit difference, fgq vs torchvision on fgq's preprocessed images (target 1e-4)
  pipelines:    max |input difference| between the two preprocessings (fgq's data.preprocessing, by
                default "torchvision"), and what it does to the logits
Exits non-zero when the same-input difference is over 1e-4, or, with fgq's torchvision preprocessing,
when an input differs by more than 1/255 of a pixel.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torchvision
import torchvision.transforms as T
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def image_files(root):
    files = []
    for c in sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d))):
        files += [os.path.join(root, c, f) for f in sorted(os.listdir(os.path.join(root, c)))
                  if f.lower().endswith((".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".webp"))]
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", choices=["resnet18", "resnet34", "resnet50", "resnet101", "alexnet"])
    parser.add_argument("--images", required=True)
    parser.add_argument("--fgq-eval", default="build/apps/fgq-eval")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--onnx", action="store_true", help="hand fgq the model as an ONNX export")
    parser.add_argument("--preprocessing", choices=["torchvision", "opencv"], default="torchvision", help="fgq's data.preprocessing")
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    model = getattr(torchvision.models, args.model)().eval()
    files = image_files(args.images)
    if not files:
        sys.exit(f"compare_with_torchvision: {args.images}: no images in class subfolders")

    with tempfile.TemporaryDirectory() as work:
        if args.onnx:
            weights = os.path.join(work, "model.onnx")
            torch.onnx.export(model, torch.zeros(1, 3, 224, 224), weights, input_names=["images"], output_names=["logits"],
                              dynamic_axes={"images": {0: "batch"}}, opset_version=13,
                              training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
        else:
            weights = os.path.join(work, "weights.safetensors")
            safetensors_io.save(weights, {k: v.numpy() for k, v in model.state_dict().items()})
        classes = sorted(d for d in os.listdir(args.images) if os.path.isdir(os.path.join(args.images, d)))
        synsets = os.path.join(work, "synsets.txt")
        with open(synsets, "w") as f:
            f.writelines(f"{c}\n" for c in classes + [f"unused_{i}" for i in range(1000 - len(classes))])
        model_config = {"arch": "onnx", "weights": weights} if args.onnx else {"arch": args.model}
        config = {"name": "compare", "model": {**model_config, "num_classes": 1000, "input_size": 224},
                  "data": {"dataset": "image_folder", "train_root": args.images, "eval_root": args.images, "synsets": synsets,
                           "normalize": {"mean": MEAN, "std": STD}, "preprocessing": args.preprocessing,
                           "eval_transforms": {"resize": 256, "center_crop": 224}},
                  "train": {"epochs": 0, "eval_batch_size": 8}}
        with open(os.path.join(work, "config.json"), "w") as f:
            json.dump(config, f)
        outputs = os.path.join(work, "outputs.safetensors")
        subprocess.run([args.fgq_eval, weights, "--config", os.path.join(work, "config.json"), "--save-outputs", outputs],
                       check=True, stdout=subprocess.DEVNULL)
        fgq = safetensors_io.load(outputs)

    with torch.no_grad():
        same = model(torch.from_numpy(fgq["inputs"])).numpy()
        rel = np.abs(same - fgq["logits"]).max() / np.abs(same).max()
        print(f"{args.model}{' (ONNX import)' if args.onnx else ''}, {len(files)} images, same input: "
              f"max relative logit difference {rel:.2e}")
        pipeline = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(MEAN, STD)])
        theirs = torch.stack([pipeline(Image.open(f).convert("RGB")) for f in files]).numpy()
        diff = np.abs(theirs - fgq["inputs"])
        pixels = (diff * np.array(STD, dtype=np.float32).reshape(1, 3, 1, 1) * 255).max()
        logits = model(torch.from_numpy(theirs)).numpy()
        agree = (logits.argmax(1) == fgq["logits"].argmax(1)).mean() * 100
        lrel = np.abs(logits - fgq["logits"]).max() / np.abs(logits).max()
        print(f"pipelines ({args.preprocessing} in fgq): input max |diff| {diff.max():.3g}, mean |diff| {diff.mean():.3g} "
              f"(normalized units), {pixels:.3g}/255 of a pixel; logits max relative diff {lrel:.2e}; top-1 agreement {agree:.1f}%")
    exact_pipeline = args.preprocessing == "opencv" or pixels <= 1.0
    return 0 if rel < 1e-4 and exact_pipeline else 1


if __name__ == "__main__":
    sys.exit(main())

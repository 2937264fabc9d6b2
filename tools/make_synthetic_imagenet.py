#!/usr/bin/python3
"""Writes a small folder laid out as ImageNet is distributed, with generated JPEGs, to run the ImageNet
configs end to end without ImageNet:

    DIR/synsets.txt            1000 made-up synsets, one per line (the class order of a 1000-class model)
    DIR/train/SYNSET/*.JPEG    --classes class folders of --train-per-class images
    DIR/val/*.JPEG             --val images, flat, with
    DIR/val_ground_truth.txt   one synset per validation image, in sorted file-name order
    DIR/unlabeled/*.JPEG       --unlabeled images without labels (calibration and distillation)

    /usr/bin/python3 tools/make_synthetic_imagenet.py DIR [--classes 4] [--train-per-class 12] [--val 24]

Images are smooth random colour fields with a few shapes, 300-500 pixels a side, so that resizing,
cropping and JPEG decoding do real work. Needs numpy and PIL (python3-numpy, python3-pil).
"""
import argparse
import os

import numpy as np
from PIL import Image, ImageDraw


def image(rng):
    height, width = rng.integers(300, 501, size=2)
    field = Image.fromarray(rng.integers(0, 256, size=(6, 6, 3), dtype=np.uint8)).resize((int(width), int(height)), Image.BICUBIC)
    draw = ImageDraw.Draw(field)
    for _ in range(3):
        x0, y0 = rng.integers(0, width // 2), rng.integers(0, height // 2)
        box = [int(x0), int(y0), int(x0 + rng.integers(40, width // 2)), int(y0 + rng.integers(40, height // 2))]
        draw.ellipse(box, fill=tuple(int(v) for v in rng.integers(0, 256, size=3)))
    return field


def write(path, rng):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    image(rng).save(path, quality=90)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir")
    p.add_argument("--classes", type=int, default=4)
    p.add_argument("--train-per-class", type=int, default=12)
    p.add_argument("--val", type=int, default=24)
    p.add_argument("--unlabeled", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    if not 1 <= a.classes <= 1000:
        p.error("--classes must be in 1..1000")
    rng = np.random.default_rng(a.seed)
    synsets = [f"n{90000000 + i:08d}" for i in range(1000)]
    os.makedirs(a.dir, exist_ok=True)
    with open(os.path.join(a.dir, "synsets.txt"), "w") as f:
        f.writelines(f"{s} synthetic class {i}\n" for i, s in enumerate(synsets))
    # Spread the used classes over the 1000 so the labels are not just 0..classes-1.
    used = [synsets[i * (1000 // a.classes)] for i in range(a.classes)]
    for s in used:
        for i in range(a.train_per_class):
            write(os.path.join(a.dir, "train", s, f"{s}_{i}.JPEG"), rng)
    labels = []
    for i in range(a.val):
        write(os.path.join(a.dir, "val", f"ILSVRC2012_val_{i + 1:08d}.JPEG"), rng)
        labels.append(used[i % a.classes])
    with open(os.path.join(a.dir, "val_ground_truth.txt"), "w") as f:
        f.writelines(s + "\n" for s in labels)
    for i in range(a.unlabeled):
        write(os.path.join(a.dir, "unlabeled", f"{i:05d}.JPEG"), rng)
    print(f"{a.dir}: {a.classes} classes x {a.train_per_class} training images, {a.val} validation images "
          f"with ground truth, {a.unlabeled} unlabeled")


if __name__ == "__main__":
    main()

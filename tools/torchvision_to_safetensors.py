#!/usr/bin/python3
"""Converts a torchvision model's weights into a safetensors state dict that fgq loads (model.weights).

    /usr/bin/python3 tools/torchvision_to_safetensors.py resnet50 --weights resnet50.pth -o resnet50.safetensors
    /usr/bin/python3 tools/torchvision_to_safetensors.py resnet50 --cached -o resnet50.safetensors
    /usr/bin/python3 tools/torchvision_to_safetensors.py resnet50 --random-init --seed 0 -o resnet50_random.safetensors

--weights reads a .pth file holding a state dict (or a dict with a "state_dict" / "model" entry; a
"module." prefix from DataParallel is removed). --cached takes torchvision's own pretrained file from the
torch hub cache (TORCH_HOME) when it is there; nothing is downloaded. --random-init writes torchvision's
initialization (for tests; --bn-images DIR sets its batch-norm statistics from images). The weights are loaded into torchvision's model first, strictly, so a file for
another architecture or class count is refused here, naming the tensors that do not fit.
Needs numpy and torch (Debian: python3-torch, python3-torchvision).
"""
import argparse
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

MODELS = ["resnet18", "resnet34", "resnet50", "resnet101", "alexnet"]
WEIGHTS = {"resnet18": "ResNet18_Weights", "resnet34": "ResNet34_Weights", "resnet50": "ResNet50_Weights",
           "resnet101": "ResNet101_Weights", "alexnet": "AlexNet_Weights"}


def fail(message):
    print(f"torchvision_to_safetensors: {message}", file=sys.stderr)
    sys.exit(1)


def read_pth(path):
    if not os.path.exists(path):
        fail(f"{path}: file not found")
    try:
        data = torch.load(path, map_location="cpu")
    except Exception as e:  # a truncated or foreign file
        fail(f"{path}: not a PyTorch checkpoint ({' '.join(str(e).split())})")
    for key in ("state_dict", "model"):
        if isinstance(data, dict) and isinstance(data.get(key), dict):
            data = data[key]
    if not isinstance(data, dict):
        fail(f"{path}: holds no state dict")
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in data.items()}


def cached_state_dict(name):
    weights = getattr(torchvision.models, WEIGHTS[name]).DEFAULT
    filename = os.path.basename(weights.url)
    path = os.path.join(torch.hub.get_dir(), "checkpoints", filename)
    if not os.path.exists(path):
        fail(f"{path}: torchvision's {name} weights are not in the cache (TORCH_HOME); pass --weights FILE")
    return torch.load(path, map_location="cpu")


def check_fits(state, model, args):
    """One line naming the first misfit and counting the rest: a file for another architecture misses or
    adds hundreds of tensors."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    reshaped = [k for k in expected if k in state and tuple(state[k].shape) != tuple(expected[k].shape)]
    if not (missing or unexpected or reshaped):
        return
    first = (f"missing tensor '{missing[0]}'" if missing else
             f"unexpected tensor '{unexpected[0]}'" if unexpected else
             f"tensor '{reshaped[0]}' has shape {list(state[reshaped[0]].shape)}, expected {list(expected[reshaped[0]].shape)}")
    fail(f"{args.weights or 'the cached weights'}: does not fit torchvision's {args.model} with {args.num_classes} classes: "
         f"{len(missing)} of its {len(expected)} tensors missing, {len(unexpected)} unexpected, "
         f"{len(reshaped)} of another shape; first: {first}")


def estimate_batch_norm(model, folder):
    """Cumulative batch statistics over the images, as fgq's batch-norm re-estimation computes them."""
    from PIL import Image
    preprocess = torchvision.transforms.Compose([
        torchvision.transforms.Resize(256), torchvision.transforms.CenterCrop(224), torchvision.transforms.ToTensor(),
        torchvision.transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder)
                   if f.lower().endswith((".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".webp")))
    if not files:
        fail(f"{folder}: no images")
    batch = torch.stack([preprocess(Image.open(f).convert("RGB")) for f in files])
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    model.train()
    with torch.no_grad():
        for chunk in batch.split(16):
            model(chunk)
    model.eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", choices=MODELS)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--weights", metavar="PTH")
    source.add_argument("--cached", action="store_true")
    source.add_argument("--random-init", action="store_true")
    parser.add_argument("--bn-images", metavar="DIR",
                        help="with --random-init: set the batch-norm statistics from these images (resize 256, center "
                             "crop 224), so that the random model behaves like a trained one: activations of sensible "
                             "scale and outputs that differ from image to image")
    parser.add_argument("--num-classes", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    model = getattr(torchvision.models, args.model)(num_classes=args.num_classes)
    if args.bn_images and not args.random_init:
        fail("--bn-images is for --random-init weights; trained weights have their statistics")
    if args.bn_images:
        estimate_batch_norm(model, args.bn_images)
    if not args.random_init:
        state = read_pth(args.weights) if args.weights else cached_state_dict(args.model)
        check_fits(state, model, args)
        model.load_state_dict(state, strict=True)
    tensors = {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}
    safetensors_io.save(args.output, tensors, {"format": "pt", "source": f"torchvision {args.model}"})
    print(f"{args.output}: {len(tensors)} tensors of torchvision {args.model}")


if __name__ == "__main__":
    main()

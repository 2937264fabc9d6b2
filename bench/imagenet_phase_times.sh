#!/bin/bash
# Time per phase of the Table 1 conversions (configs/resnet50_n4.json, resnet101_n4.json, alexnet_n4.json)
# at ImageNet's settings, on generated JPEGs of ImageNet's typical size: 256 calibration images (the
# default), BN re-estimation, and the final evaluation of 500 validation images by the converted model and
# its FP32 teacher. docs/reproducing-the-paper.md extrapolates the full runs from these numbers.
#   bench/imagenet_phase_times.sh [WORK_DIR]   (default /tmp/fgq_imagenet_phase_times)
# Needs build/ (scripts/build.sh) and Debian's python3-torch and python3-torchvision.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/synthetic_imagenet.sh
prepare_synthetic_imagenet "${1:-/tmp/fgq_imagenet_phase_times}" --classes 4 --train-per-class 64 --val 500 --unlabeled 64
for model in resnet50 resnet101 alexnet; do
  random_weights $model
  build/apps/fgq-train configs/${model}_n4.json --set "model.weights=$work/$model.safetensors" "${data_paths[@]}" \
    --set "output.dir=$work/$model" 2> "$work/$model.log"
  summarize "$work/$model/summary.json" $model
done

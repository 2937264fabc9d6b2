#!/bin/bash
# The ImageNet path end to end, without ImageNet: torchvision's ResNet-50 at random init converted to
# safetensors, a generated folder laid out as ImageNet is distributed (class folders for training, a
# flat validation folder with a ground-truth file, a synset list, unlabeled images), then
#   1. fgq-train configs/resnet50_n64.json: conversion with BN re-estimation, distillation fine-tuning,
#      evaluation, summary.json (time per phase, peak memory);
#   2. calibration and distillation from 1, 8 and 100 unlabeled images with the default calibration
#      recipe (below 256 images: the few-image recipe of docs/calibration.md; its synthesis and
#      batch-norm distillation at smoke-test budgets here: 4 inputs, 2 synthesis steps, 4 distillation
#      steps, where the defaults, 32 / 200 / 200, would take an estimated half hour a run for ResNet-50
#      on 2 cores);
#   3. fgq-report configs/sweep_resnet50.json on two group sizes and the fine-tuned run.
#   bench/imagenet_end_to_end.sh [WORK_DIR]   (default /tmp/fgq_imagenet_end_to_end)
# Needs build/ (scripts/build.sh) and Debian's python3-torch and python3-torchvision.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/synthetic_imagenet.sh
prepare_synthetic_imagenet "${1:-/tmp/fgq_imagenet_end_to_end}" --classes 4 --train-per-class 12 --val 24 --unlabeled 100
random_weights resnet50
paths=(--set "model.weights=$work/resnet50.safetensors" "${data_paths[@]}")

echo "== 1. fgq-train configs/resnet50_n64.json (finetune: 4 steps of 32)"
build/apps/fgq-train configs/resnet50_n64.json "${paths[@]}" --set finetune.steps=4 --set "output.dir=$work/resnet50_n64"
build/apps/fgq-eval "$work/resnet50_n64/quantized.safetensors" --json > "$work/eval.json"

echo "== 2. calibration and distillation from unlabeled images"
for images in 1 8 100; do
  build/apps/fgq-train configs/resnet50_n64.json "${paths[@]}" --set "quantization.calibration.folder=$data/unlabeled" \
    --set "quantization.calibration.images=$images" --set "finetune.folder=$data/unlabeled" --set "finetune.images=$images" \
    --set quantization.calibration.synthetic_images=4 --set quantization.calibration.synthesis_steps=2 \
    --set quantization.distillation.steps=4 --set quantization.distillation.batch_size=8 --set quantization.distillation.holdout_views=8 \
    --set finetune.steps=2 --set finetune.batch_size=16 --set "output.dir=$work/unlabeled_$images" 2> "$work/unlabeled_$images.log"
done

echo "== 3. fgq-report configs/sweep_resnet50.json (N=4 and 64 at 8 bits, and the fine-tuned run)"
runs=()
for p in "${paths[@]}"; do [[ $p == --set ]] && runs+=(--set-runs) || runs+=("$p"); done
build/apps/fgq-report configs/sweep_resnet50.json "${runs[@]}" --set 'group_sizes=[4, 64]' --set 'activation_bits=[8]' \
  --set 'without_bn_reestimation=[]' --set "output.dir=$work/report" \
  --set 'finetuned=[{"label": "N=64 fine-tuned", "config": "resnet50_n64.json", "set": ["finetune.steps=4"]}]'

echo "== summary"
summarize "$work/resnet50_n64/summary.json" "resnet50_n64"
for images in 1 8 100; do summarize "$work/unlabeled_$images/summary.json" "unlabeled $images"; done
echo "report: $work/report/report.md"

#!/usr/bin/env bash
# The main job on the Fashion-MNIST default: set up and build, train the FP32 ResNet-20 teacher (or
# continue an interrupted run), convert it with FGQ (N=4, 8-bit activations), then write the report
# (reports/fmnist_resnet20/): every group size and activation width, N=64 fine-tuned by distillation,
# VBD at four gammas, and Top-1 against the number of unlabeled images. About 1 h 30 on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh

teacher=runs/fmnist_resnet20_fp32
if [ -f "$teacher/summary.json" ]; then
  echo "run: teacher already trained ($teacher/summary.json)"
elif [ -f "$teacher/checkpoint.safetensors" ]; then
  build/apps/fgq-train configs/fmnist_resnet20_fp32.json --resume
else
  build/apps/fgq-train configs/fmnist_resnet20_fp32.json
fi
build/apps/fgq-train configs/fmnist_resnet20_fgq.json --overwrite
build/apps/fgq-report configs/sweep_fmnist_resnet20.json

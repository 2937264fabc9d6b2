#!/usr/bin/env bash
# fgq's ONNX exports run in onnxruntime (onnxruntime-node from the npm registry), graph optimizations
# off and at their default, against fgq on the first IMAGES Fashion-MNIST test images (default 2000;
# the README's numbers: 10000). Fails on the first export further from fgq than its tolerance
# (docs/onnx.md says why each is what it is). Needs build/ (scripts/build.sh).
#   tests/onnx/check_exports.sh [IMAGES]
set -euo pipefail
cd "$(dirname "$0")/../.."
images=${1:-2000}
source scripts/onnxruntime.sh
work=build/onnx_exports
mkdir -p "$work"
models=tests/models

# NAME MODEL_FILE EXPORT_FLAGS ENGINE TOLERANCES... (a plain state dict takes the teacher's config; the
# compressed files carry theirs). The committed files record a teacher under runs/ that a checkout may
# hold retrained, or not at all: they are measured alone (--no-teacher).
check() {
  local name=$1 model=$2 flags=$3 engine=$4 config=()
  shift 4
  [ "$name" = fp32 ] && config=(--config configs/fmnist_resnet20_fp32.json)
  build/apps/fgq-export "$model" -o "$work/$name.onnx" $flags "${config[@]}" >/dev/null
  build/apps/fgq-eval "$model" "${config[@]}" --no-teacher --engine "$engine" --set data.limit_eval="$images" \
    --save-outputs "$work/$name.outputs.safetensors" >/dev/null
  for level in disabled all; do
    node tests/onnx/run_onnx.mjs "$work/$name.onnx" "$work/$name.outputs.safetensors" "$level" "$@"
  done
}

check fp32 "$models/fmnist_resnet20_fp32.safetensors" "" fp32 --max-rel 1e-5 --min-agreement 100
for n in 4 64; do
  check "fgq_n${n}_exact" "$models/fmnist_resnet20_n${n}_a8.safetensors" "" fp32 --max-rel 0.05 --min-agreement 99.5
  # ResNet-20 has 9 convs whose output goes straight to the next one's QuantizeLinear (the others feed an addition).
  check "fgq_n${n}_folded" "$models/fmnist_resnet20_n${n}_a8.safetensors" --folded integer-folded --max-rel 0.05 --min-agreement 99.5 --max-top1-diff 0.1 \
    --min-fused 9
done
check vbd "$models/fmnist_resnet20_vbd.safetensors" "" fp32 --max-rel 1e-3 --min-agreement 100

# Import: the FP32 export as a teacher (model.arch "onnx"), converted as the committed N=4 model was,
# gives that model's Top-1; the converted file records the graph and loads from it.
build/apps/fgq-train configs/fmnist_resnet20_fgq.json --overwrite --set model.arch=onnx --set model.weights="$work/fp32.onnx" \
  --set output.dir="$work/converted_from_onnx" --set data.limit_eval="$images" > "$work/convert.log" 2>&1 || { cat "$work/convert.log"; exit 1; }
top1() { build/apps/fgq-eval "$1" --no-teacher --json --set data.limit_eval="$images" 2>/dev/null | sed -n 's/^  "top1": \(.*\),$/\1/p'; }
from_onnx=$(top1 "$work/converted_from_onnx/quantized.safetensors") committed=$(top1 "$models/fmnist_resnet20_n4_a8.safetensors")
echo "converted from the ONNX teacher: Top-1 $from_onnx; the committed N=4 model: $committed"
[ -n "$from_onnx" ] && [ "$from_onnx" = "$committed" ] || { echo "check_exports: the conversion from ONNX differs"; exit 1; }
echo "check_exports: every export within its tolerance of fgq on $images images, and the ONNX teacher converts alike"

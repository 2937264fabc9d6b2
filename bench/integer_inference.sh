#!/bin/bash
# The integer engine against its peers on ResNet-50 at 224x224, 8-bit activations, in one run:
# images/s of fgq's exact and folded engines for N = 4, 16, 64 beside fgq FP32 (bench/integer_inference),
# then PyTorch FP32 and PyTorch's own int8 ResNet-50 (bench/integer_inference_torch.py: quantized engine
# onednn, channels_last), then onnxruntime on fgq's FP32 and folded exports of the same models
# (bench/integer_inference_onnx.mjs), one after the other (never two at once: 2 cores), at batch 1 and 16; median
# of REPEATS runs each; per-layer GOP/s of both engines at batch 16, the machine's int8 ceiling and the peak of vpdpbusd alone.
# The whole comparison is run ROUNDS times and the table takes each engine's median over the rounds: on
# this VM the speed of a process swings by up to 1.5x from one process to the next (PyTorch int8 at
# batch 16 measured 155 and 101 img/s a minute apart), so one round's ratios are not to be trusted.
#   bench/integer_inference.sh [REPEATS] [ROUNDS]   (defaults 5 and 3; writes bench_runs/integer_inference/)
# Needs build/ (scripts/build.sh), Debian's python3-torch and python3-torchvision, and onnxruntime-node
# (installed on first use by scripts/onnxruntime.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-5}
rounds=${2:-3}
out=bench_runs/integer_inference
mkdir -p "$out/onnx"
source scripts/onnxruntime.sh
# glibc's malloc tuned so that page faults do not swing the numbers (../shared/machine-notes.md), for both.
export GLIBC_TUNABLES=glibc.malloc.trim_threshold=4294967295:glibc.malloc.top_pad=1073741824:glibc.malloc.mmap_threshold=4294967295
: > "$out/rounds.txt"
for round in $(seq "$rounds"); do
  echo "round $round of $rounds"
  layers=$([ "$round" = "$rounds" ] && echo --layers || true)
  onnx=$([ "$round" = 1 ] && echo "--onnx $out/onnx" || true)
  build/bench/integer_inference --repeats "$repeats" $layers $onnx | tee "$out/fgq.txt" | grep -v '^layer'
  /usr/bin/python3 bench/integer_inference_torch.py --repeats "$repeats" | tee "$out/torch.txt"
  node bench/integer_inference_onnx.mjs "$out/onnx" --repeats "$repeats" | tee "$out/onnxruntime.txt"
  cat "$out/fgq.txt" "$out/torch.txt" "$out/onnxruntime.txt" >> "$out/rounds.txt"
done

echo
echo "| batch | engine | images/s | x fgq FP32 | x PyTorch int8 |"
echo "|---|---|---|---|---|"
awk '
  function median(list,    v, m, i, j, t) {
    m = split(list, v, " ")
    for (i = 2; i <= m; i++) for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
    return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
  }
  $2 == "resnet50" { key = $1 " " $3; runs[key, $4] = runs[key, $4] " " $5; if (!(key in seen)) { seen[key] = 1; order[n++] = key } batches[$4] = 1 }
  END {
    for (kb in runs) speed[kb] = median(runs[kb])
    for (b in batches)
      for (i = 0; i < n; i++) {
        k = order[i]
        if (!((k, b) in speed)) continue
        printf "| %s | %s | %.1f | %.2f | %.2f |\n", b, k, speed[k, b], speed[k, b] / speed["fgq fp32", b], speed[k, b] / speed["torch int8", b]
      }
  }' "$out/rounds.txt" | sort -t'|' -k2,2n | tee "$out/table.md"

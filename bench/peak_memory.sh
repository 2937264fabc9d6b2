#!/usr/bin/env bash
# Peak resident memory of ResNet-50 distillation fine-tuning (configs/resnet50_n64.json's step: batch 32,
# 224x224, FGQ N=64 with 8-bit activations against the FP32 teacher, Adam), fgq and PyTorch 1.13 each in a
# fresh process on the same shapes, as /usr/bin/time's maximum resident set size, and their ratio.
#   bench/peak_memory.sh [STEPS]     (about 2 minutes with the default 3 timed steps; needs build/ and `time`)
set -euo pipefail
cd "$(dirname "$0")/.."
steps="${1:-3}"
[ -x /usr/bin/time ] || { echo "peak_memory: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
[ -x build/bench/throughput ] || { echo "peak_memory: build first (scripts/build.sh)" >&2; exit 2; }
/usr/bin/python3 -c 'import torch, torchvision' 2> /dev/null ||
  { echo "peak_memory: needs Debian's PyTorch (apt-get install python3-torch python3-torchvision)" >&2; exit 2; }

# The command's maximum resident set size in KiB; fails with the command.
peak_kib() {
  local out status=0
  out=$(mktemp)
  /usr/bin/time -f "%M" -o "$out" "$@" > /dev/null || status=$?
  [ "$status" = 0 ] && tail -1 "$out"
  rm -f "$out"
  return "$status"
}

fgq=$(peak_kib build/bench/throughput --only resnet50/finetune --no-torch --steps "$steps")
torch=$(GLIBC_TUNABLES=glibc.malloc.trim_threshold=4294967295:glibc.malloc.top_pad=1073741824:glibc.malloc.mmap_threshold=4294967295 \
  peak_kib /usr/bin/python3 bench/throughput_torch.py resnet50 finetune --batch 32 --channels 3 --size 224 --classes 1000 --steps "$steps")
awk -v f="$fgq" -v t="$torch" 'BEGIN {
  printf "resnet50 finetune 32x3x224x224 peak memory: fgq %.2f GiB, PyTorch %.2f GiB, ratio %.2fx\n", f / 1048576, t / 1048576, f / t }'

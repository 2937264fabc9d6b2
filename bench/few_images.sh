#!/usr/bin/env bash
# FGQ from few unlabeled images: Top-1 for K = 0, 1, 2, 4, 8, 32, 256 calibration images (three seeded
# draws for each K > 0), N = 4 and 64 at 8-bit activations (and 4-bit for K = 1, 8, 256), for plain
# batch-norm re-estimation (one view per image, methods.md 1.6) beside the correction of the FP32
# statistics with augmented views (docs/calibration.md). Every run is kept under OUT and skipped when its
# summary exists, so the script resumes where it stopped. Prints a table: mean, min and max over draws.
#   bench/few_images.sh [TEACHER_MODEL [OUT]]   (defaults: runs/fmnist_resnet20_fp32/model.safetensors,
#                                                bench_runs/few_images/<teacher dir name>)
set -euo pipefail
cd "$(dirname "$0")/.."
teacher="${1:-runs/fmnist_resnet20_fp32/model.safetensors}"
out="${2:-bench_runs/few_images/$(basename "$(dirname "$teacher")")}"
[ -f "$teacher" ] || { echo "few_images: $teacher: teacher not found (train it: build/apps/fgq-train configs/fmnist_resnet20_fp32.json)" >&2; exit 2; }
mkdir -p "$out"

run() {  # method n bits k draw
  local method=$1 n=$2 bits=$3 k=$4 draw=$5 dir="$out/$1_n$2_a$3_k$4_d$5"
  [ -f "$dir/summary.json" ] && return
  local sets=(--set model.weights="$teacher" --set output.dir="$dir" --set quantization.weights.group_size="$n"
              --set quantization.activations.bits="$bits" --set quantization.calibration.images="$k"
              --set quantization.calibration.seed="$draw")
  if [ "$method" = plain ]; then
    sets+=(--set quantization.bn_statistics=reestimate --set quantization.calibration.views=1)
  else
    sets+=(--set quantization.bn_statistics=correct --set 'quantization.calibration.views="auto"')
  fi
  echo "few_images: $dir" >&2
  build/apps/fgq-train configs/fmnist_resnet20_fgq.json "${sets[@]}" --overwrite > "$dir.log" 2>&1 ||
    { echo "few_images: $dir failed; see $dir.log" >&2; exit 1; }
}

for n in 4 64; do
  for method in correct plain; do
    for k in 1 8 256 2 4 32; do
      for draw in 0 1 2; do
        run "$method" "$n" 8 "$k" "$draw"
        case $k in 1 | 8 | 256) run "$method" "$n" 4 "$k" "$draw" ;; esac
      done
    done
  done
  run correct "$n" 8 0 0
done

/usr/bin/python3 - "$out" <<'PY'
import glob, json, os, re, statistics, sys
rows = {}
for path in glob.glob(os.path.join(sys.argv[1], "*", "summary.json")):
    m = re.match(r"(\w+)_n(\d+)_a(\d+)_k(\d+)_d(\d+)", os.path.basename(os.path.dirname(path)))
    method, n, bits, k, draw = m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4)), int(m.group(5))
    rows.setdefault((n, bits, k, method), []).append(json.load(open(path))["final_top1"])
print("| N | act. bits | K | method | draws | Top-1 mean | min | max |")
print("|---|---|---|---|---|---|---|---|")
for (n, bits, k, method), v in sorted(rows.items()):
    print(f"| {n} | {bits} | {k} | {method} | {len(v)} | {statistics.mean(v):.2f} | {min(v):.2f} | {max(v):.2f} |")
PY

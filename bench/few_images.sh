#!/usr/bin/env bash
# FGQ from few unlabeled images: Top-1 for K = 0, 1, 2, 4, 8, 32, 256 calibration images (three seeded
# draws for each K > 0), N = 4 and 64 at 8-bit activations (and 4-bit for K = 1, 8, 256), for
#   default  the config's default (calibration.recipe "auto": the few-image recipe below 256 images,
#            plain re-estimation from 256; docs/calibration.md),
#   plain    plain batch-norm re-estimation, one view per image (methods.md 1.6),
#   correct  the FP32 statistics corrected, automatic views, nothing synthesized, no distillation.
# Then VBD (configs/fmnist_resnet20_vbd.json) from K = 1 and 8 images in total, three seeded draws each,
# for each of VBD_BUDGETS (a vbd.max_average_bits, or none), VBD_SYNTHETIC (a vbd.synthetic_images, or
# default: the config's) and VBD_FINAL (a vbd.steps.final, or default: the config's).
# Every run is kept under OUT and skipped when its summary exists, so the script resumes where it
# stopped. Prints a table: mean, min and max over draws.
#   bench/few_images.sh [TEACHER_MODEL [OUT]]   (defaults: runs/fmnist_resnet20_fp32/model.safetensors,
#                                                bench_runs/few_images/<teacher dir name>)
# Environment: METHODS (default "default plain"), IMAGES (default "1 8 256 2 4 32"; 0 always runs once
# per N with the default; set and empty: no FGQ runs), DRAWS (default 3), VBD_IMAGES (default "1 8"; empty: no VBD), VBD_BUDGETS
# (default "none 4.3": without a budget and with 4.3 bits), VBD_SYNTHETIC (default "default"), VBD_FINAL
# (default "default").
set -euo pipefail
cd "$(dirname "$0")/.."
teacher="${1:-runs/fmnist_resnet20_fp32/model.safetensors}"
out="${2:-bench_runs/few_images/$(basename "$(dirname "$teacher")")}"
methods=(${METHODS:-default plain})
images=(${IMAGES-1 8 256 2 4 32})
draws=${DRAWS:-3}
vbd_images=(${VBD_IMAGES-1 8})
vbd_budgets=(${VBD_BUDGETS:-none 4.3})
vbd_synthetic=(${VBD_SYNTHETIC:-default})
vbd_final=(${VBD_FINAL:-default})
[ -f "$teacher" ] || { echo "few_images: $teacher: teacher not found (train it: build/apps/fgq-train configs/fmnist_resnet20_fp32.json)" >&2; exit 2; }
mkdir -p "$out"

run() {  # method n bits k draw
  local method=$1 n=$2 bits=$3 k=$4 draw=$5 dir="$out/$1_n$2_a$3_k$4_d$5"
  [ -f "$dir/summary.json" ] && return
  local sets=(--set model.weights="$teacher" --set output.dir="$dir" --set quantization.weights.group_size="$n"
              --set quantization.activations.bits="$bits" --set quantization.calibration.images="$k"
              --set quantization.calibration.seed="$draw")
  case $method in
    default) ;;
    plain) sets+=(--set quantization.calibration.recipe=plain) ;;
    correct) sets+=(--set quantization.calibration.recipe=few_images --set quantization.calibration.mix_synthetic=false
                    --set quantization.distillation.steps=0) ;;
    *) echo "few_images: unknown method '$method' (default, plain, correct)" >&2; exit 2 ;;
  esac
  echo "few_images: $dir" >&2
  build/apps/fgq-train configs/fmnist_resnet20_fgq.json "${sets[@]}" --overwrite > "$dir.log" 2>&1 ||
    { echo "few_images: $dir failed; see $dir.log" >&2; exit 1; }
}

run_vbd() {  # synthetic budget final k draw
  local dir="$out/vbd" sets=()
  [ "$1" = default ] || { dir+="_s$1"; sets+=(--set vbd.synthetic_images="$1"); }
  [ "$2" = none ] || { dir+="_b$2"; sets+=(--set vbd.max_average_bits="$2"); }
  [ "$3" = default ] || { dir+="_f$3"; sets+=(--set vbd.steps.final="$3"); }
  dir+="_k$4_d$5"
  [ -f "$dir/summary.json" ] && return
  echo "few_images: $dir" >&2
  build/apps/fgq-train configs/fmnist_resnet20_vbd.json --set model.weights="$teacher" --set output.dir="$dir" \
    --set vbd.images="$4" --set vbd.seed="$5" "${sets[@]}" --overwrite > "$dir.log" 2>&1 ||
    { echo "few_images: $dir failed; see $dir.log" >&2; exit 1; }
}

for synthetic in "${vbd_synthetic[@]}"; do
  for budget in "${vbd_budgets[@]}"; do
    for final in "${vbd_final[@]}"; do
      for k in "${vbd_images[@]}"; do
        for ((draw = 0; draw < draws; ++draw)); do run_vbd "$synthetic" "$budget" "$final" "$k" "$draw"; done
      done
    done
  done
done

fgq_groups=(4 64)
[ ${#images[@]} -eq 0 ] && fgq_groups=()  # IMAGES empty: VBD alone
for n in "${fgq_groups[@]}"; do
  run default "$n" 8 0 0
  for k in "${images[@]}"; do
    for method in "${methods[@]}"; do
      # From 256 images the default is plain re-estimation: one set of runs serves both.
      [ "$method" = plain ] && [ "$k" -ge 256 ] && [[ " ${methods[*]} " == *" default "* ]] && continue
      for ((draw = 0; draw < draws; ++draw)); do
        run "$method" "$n" 8 "$k" "$draw"
        case $k in 1 | 8 | 256) run "$method" "$n" 4 "$k" "$draw" ;; esac
      done
    done
  done
done

/usr/bin/python3 - "$out" <<'PY'
import glob, json, os, re, statistics, sys
rows, vbd = {}, {}
for path in glob.glob(os.path.join(sys.argv[1], "*", "summary.json")):
    name, summary = os.path.basename(os.path.dirname(path)), json.load(open(path))
    m = re.match(r"vbd_(?:s(\d+)_)?(?:b([\d.]+)_)?(?:f(\d+)_)?k(\d+)_d(\d+)$", name)
    if m:
        vbd.setdefault((m.group(1) or "default", m.group(2) or "none", m.group(3) or "default", int(m.group(4))), []).append(
            (summary["final_top1"], summary["drop"], summary["bits"]["average_bits"]))
        continue
    m = re.match(r"(\w+)_n(\d+)_a(\d+)_k(\d+)_d(\d+)$", name)
    if not m:
        print(f"few_images: {name} is not a run this script names; left out of the tables", file=sys.stderr)
        continue
    method, n, bits, k = m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4))
    rows.setdefault((n, bits, k, method), []).append(summary["final_top1"])
print("| N | act. bits | K | method | draws | Top-1 mean | min | max |")
print("|---|---|---|---|---|---|---|---|")
for (n, bits, k, method), v in sorted(rows.items()):
    print(f"| {n} | {bits} | {k} | {method} | {len(v)} | {statistics.mean(v):.2f} | {min(v):.2f} | {max(v):.2f} |")
if vbd:
    print("\n| VBD, synthesized inputs | bit budget | last stage's steps | K | draws | Top-1 mean (min-max) | drop mean | average bits mean (min-max) |")
    print("|---|---|---|---|---|---|---|---|")
    for (synthetic, budget, final, k), v in sorted(vbd.items()):
        top, drop, b = zip(*v)
        print(f"| {synthetic} | {budget} | {final} | {k} | {len(v)} | {statistics.mean(top):.2f} ({min(top):.2f}-{max(top):.2f}) | {statistics.mean(drop):.2f} | "
              f"{statistics.mean(b):.2f} ({min(b):.2f}-{max(b):.2f}) |")
PY

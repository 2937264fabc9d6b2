#!/usr/bin/env bash
# Data-parallel scaling on this machine: images/s of `mpirun -np 1` and `mpirun -np 2`, one thread per
# process, at the same batch per rank, and the gradient allreduce of the 2-rank runs: its time per
# step and the share of it hidden behind backward (1 - exposed wait / allreduce time, summary.json's
# "allreduce"). Images/s is the training loop's steady rate (steps after the first, from summary.json).
#   resnet20  configs/fmnist_resnet20_fp32.json from random init, 128 images per rank, 40 steps
#   resnet50  configs/resnet50_n64.json, distillation fine-tuning of the N=64 model (the teacher is
#             replicated on every rank), 16 images per rank, 12 steps, on generated ImageNet-shaped
#             data with torchvision's random-init weights (bench/synthetic_imagenet.sh)
# Each configuration runs REPEATS times (default 3); the table gives the medians, and the median of each
# 2-process run's ratio to the 1-process run just before it.
#   bench/scaling.sh [REPEATS [WORK_DIR]]   (default 3, /tmp/fgq_scaling)
# Needs build/ (scripts/build.sh), Open MPI (scripts/setup.sh installs it) and, for resnet50, Debian's
# python3-torch and python3-torchvision. Never beside another benchmark: it uses both cores.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
source bench/synthetic_imagenet.sh
prepare_synthetic_imagenet "${2:-/tmp/fgq_scaling}" --classes 4 --train-per-class 100 --val 8 --unlabeled 16
random_weights resnet50
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# run PROCESSES OUT CONFIG --set...: fgq-train on PROCESSES ranks of one thread each, each bound to a
# core (one rank too: one core for its compute and its data loader, as each rank of two has; unbound,
# one process's loader would run on the idle second core).
run() {
  local processes=$1 out=$2 config=$3
  shift 3
  mpirun -np "$processes" --bind-to core --mca btl self,vader -x OMP_NUM_THREADS=1 build/apps/fgq-train "configs/$config" --set "output.dir=$out" --overwrite "$@" > "$out.log" 2>&1 ||
    { echo "scaling: $out failed; see $out.log" >&2; exit 1; }
}

resnet20() {  # processes out
  local batch=$((128 * $1))
  run "$1" "$2" fmnist_resnet20_fp32.json --set train.batch_size=$batch --set data.limit_train=$((40 * batch)) \
    --set train.epochs=1 --set data.limit_eval=256 --set schedule.warmup_epochs=0
}

resnet50() {  # processes out
  run "$1" "$2" resnet50_n64.json --set "model.weights=$work/resnet50.safetensors" "${data_paths[@]}" \
    --set "quantization.calibration.folder=$data/unlabeled" --set quantization.calibration.images=16 \
    --set quantization.calibration.recipe=plain --set finetune.batch_size=$((16 * $1)) --set finetune.steps=12 \
    --set train.eval_batch_size=8
}

# One and two processes alternate, so that both medians see the same hours of this VM's varying speed.
for ((r = 0; r < repeats; ++r)); do
  for model in resnet20 resnet50; do
    for processes in 1 2; do
      echo "scaling: $model, $processes process(es), run $((r + 1)) of $repeats" >&2
      "$model" "$processes" "$work/${model}_p${processes}_r$r"
    done
  done
done

/usr/bin/python3 - "$work" "$repeats" <<'PY'
import json, statistics, sys
work, repeats = sys.argv[1], int(sys.argv[2])
def runs(model, p):
    return [json.load(open(f"{work}/{model}_p{p}_r{r}/summary.json")) for r in range(repeats)]
print("| model | batch per rank | 1 process img/s | 2 processes img/s | speed-up | paired speed-up | allreduce ms/step | hidden share |")
print("|---|---|---|---|---|---|---|---|")
for model, batch in (("resnet20", 128), ("resnet50", 16)):
    one_runs, two_runs = runs(model, 1), runs(model, 2)
    one = statistics.median(s["steady_images_per_second"] for s in one_runs)
    two = statistics.median(s["steady_images_per_second"] for s in two_runs)
    # each 2-process run against the 1-process run just before it: the VM's speed drifts between runs
    paired = statistics.median(b["steady_images_per_second"] / a["steady_images_per_second"] for a, b in zip(one_runs, two_runs))
    per_step = statistics.median(1000 * s["allreduce"]["seconds"] / s["steps"] for s in two_runs)
    hidden = statistics.median(s["allreduce"]["hidden_share"] for s in two_runs)
    print(f"| {model} | {batch} | {one:.2f} | {two:.2f} | {two / one:.2f}x | {paired:.2f}x | {per_step:.1f} | {100 * hidden:.0f}% |")
PY

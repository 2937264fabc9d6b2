# Sourced by the ImageNet benches (bash): generated data laid out as ImageNet is distributed, random-init
# torchvision weights, and a one-line account of a run's summary.json.

# prepare_synthetic_imagenet WORK_DIR [tools/make_synthetic_imagenet.py options]: a fresh WORK_DIR with
# the data in WORK_DIR/data; sets $work, $data and $data_paths (the --set options that point a config at it).
prepare_synthetic_imagenet() {
  work=$1
  shift
  rm -rf "$work"
  mkdir -p "$work"
  data=$work/data
  /usr/bin/python3 tools/make_synthetic_imagenet.py "$data" "$@"
  data_paths=(--set "data.train_root=$data/train" --set "data.eval_root=$data/val"
              --set "data.eval_ground_truth=$data/val_ground_truth.txt" --set "data.synsets=$data/synsets.txt")
}

# random_weights MODEL: $work/MODEL.safetensors. Batch-norm statistics from the unlabeled images make the
# random teacher's outputs vary from image to image, as a trained model's do.
random_weights() {
  /usr/bin/python3 tools/torchvision_to_safetensors.py "$1" --random-init --bn-images "$data/unlabeled" -o "$work/$1.safetensors"
}

# summarize SUMMARY_JSON LABEL: the phases, memory and agreement of a run on one line.
summarize() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
p, images = s["phase_seconds"], s["calibration_images"]
tuning = (f"fine-tuning {s['steps']} steps {p['training']:.1f} s (steady {s['steady_images_per_second']:.2f} img/s), "
          if s["steps"] else "")
recipe = s.get("calibration_mode", "images")
d = s.get("bn_distillation")
if d:
    recipe += f", {d['steps']} batch-norm distillation steps (held-out L1 {d['holdout_l1_before']:.4f} -> {d['holdout_l1_after']:.4f})"
print(f"{sys.argv[2]}: conversion from {images} images ({recipe}) {p['conversion']:.1f} s ({p['conversion'] / max(images, 1):.3f} s an image), "
      f"{tuning}final evaluation by both models {p['final_evaluation']:.1f} s, whole run {s['wall_seconds']:.1f} s, "
      f"peak memory {s['peak_memory_bytes'] / 2**30:.2f} GiB; top-1 {s['final_top1']:.2f}% (FP32 {s['teacher_top1']:.2f}%), "
      f"agreement {s['agreement']:.2f}%, logit L1 {s['logit_l1']:.4f}")
PY
}

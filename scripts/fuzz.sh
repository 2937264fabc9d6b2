#!/usr/bin/env bash
# Builds the libFuzzer harnesses of fuzz/ with clang-14 (AddressSanitizer + UndefinedBehaviorSanitizer,
# fgq's libraries instrumented; oneDNN, OpenCV and the system libraries are not) into build-fuzz/, then
# runs each for SECONDS (default 30) from its seed corpus tests/fuzz/corpus/NAME/. New inputs go to
# bench_runs/fuzz/NAME/corpus, a crash or leak to bench_runs/fuzz/NAME/ (the run then fails); the last
# lines of each are libFuzzer's coverage count and the edges of its reader's files it reached.
#   scripts/fuzz.sh [SECONDS] [NAME...]      (CI: 30 s each; bench/fuzz.sh: 10 minutes each)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(safetensors config model_file image idx onnx)
scripts/setup.sh clang-14 libfuzzer-14-dev libomp-14-dev
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
  -DFGQ_FUZZ=ON >/dev/null
cmake --build build-fuzz -j2
source scripts/sanitizer-env.sh
root=$PWD
# The files each harness is there to test, whose coverage it reports.
declare -A readers=(
  [safetensors]="core/Safetensors.cpp core/Json.cpp"
  [config]="train/ConfigReader.cpp train/ExperimentConfig.cpp core/Json.cpp"
  [model_file]="train/ModelFile.cpp quant/QuantizedModelFile.cpp quant/VbdExport.cpp core/Safetensors.cpp"
  [image]="data/ImageHeader.cpp data/ImageFolder.cpp data/ImageDecoding.cpp data/JpegDecoder.cpp"
  [idx]="data/FashionMnist.cpp"
  [onnx]="interop/OnnxModel.cpp"
)
for name in "${names[@]}"; do
  out=bench_runs/fuzz/$name
  mkdir -p "$out/corpus" "$out/scratch"
  echo "fuzz_$name: $seconds s from tests/fuzz/corpus/$name"
  # From a scratch directory: the model loader looks for teachers relative to where it runs.
  if ! (cd "$out/scratch" && "$root/build-fuzz/fuzz/fuzz_$name" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 \
          -print_final_stats=1 -print_coverage=1 -artifact_prefix="$root/$out/" "$root/$out/corpus" "$root/tests/fuzz/corpus/$name" \
          > "$root/$out/log.txt" 2>&1); then
    sed -n '/ERROR: \|runtime error\|==[0-9]*==/,/SUMMARY/p' "$out/log.txt" | head -60
    echo "fuzz_$name: FOUND A CRASH (input in $out/, whole log in $out/log.txt)"
    exit 1
  fi
  grep -E "^#[0-9]+.*(DONE|cov:)" "$out/log.txt" | tail -1
  # -print_coverage lists every instrumented function: "COVERED_FUNC: hits: H edges: C/T NAME FILE:LINE".
  awk -v root="$root/" -v readers="${readers[$name]}" '
    BEGIN { n = split(readers, r, " "); for (i = 1; i <= n; ++i) reader[root r[i]] = 1 }
    /^(COVERED|UNCOVERED)_FUNC:/ { split($0, f, "edges: "); split(f[2], e, "[/ ]"); file = $NF; sub(/:[0-9]+$/, "", file)
      if (!(file in reader)) next
      covered += e[1]; total += e[2]
      if ($1 == "COVERED_FUNC:") { entered += e[2]; ++functions } }
    END { if (total) printf "  %s: %d of %d edges (%.1f%%); %d of %d (%.1f%%) within the %d functions it entered\n",
            readers, covered, total, 100 * covered / total, covered, entered, 100 * covered / entered, functions }' "$out/log.txt"
done

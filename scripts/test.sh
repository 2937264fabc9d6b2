#!/usr/bin/env bash
# The test command (CI runs it): set up, build, run the whole suite and the ONNX exports in onnxruntime
# (tests/onnx/check_exports.sh); then the suite again built with AddressSanitizer +
# UndefinedBehaviorSanitizer (scripts/test-sanitized.sh), then every fuzz harness for 30 s (scripts/fuzz.sh).
# CI ran it (before the ONNX check, about 2 minutes) in 34 minutes from a fresh clone; `ctest --test-dir
# build` alone is the quick loop (about five minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --test-dir build --output-on-failure
tests/onnx/check_exports.sh
scripts/test-sanitized.sh
scripts/fuzz.sh 30

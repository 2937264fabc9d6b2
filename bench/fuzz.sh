#!/bin/bash
# Every fuzz harness for 10 minutes (or SECONDS each), one after the other: what the README's fuzzing
# numbers come from (logs and new inputs in bench_runs/fuzz/).
#   bench/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/fuzz.sh "${1:-600}"

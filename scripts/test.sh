#!/usr/bin/env bash
# The test command: set up, build, run the whole suite (a few minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --test-dir build --output-on-failure

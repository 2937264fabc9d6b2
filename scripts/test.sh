#!/usr/bin/env bash
# The test command (CI runs it): set up, build, run the whole suite; then the suite again built with
# AddressSanitizer + UndefinedBehaviorSanitizer (scripts/test-sanitized.sh), then every fuzz harness for
# 30 s (scripts/fuzz.sh). About 45 minutes on 2 cores from a fresh machine (estimated: not yet timed end to end); `ctest --test-dir build`
# alone is the quick loop (about five minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --test-dir build --output-on-failure
scripts/test-sanitized.sh
scripts/fuzz.sh 30

#!/usr/bin/env bash
# The whole suite built with GCC's AddressSanitizer + UndefinedBehaviorSanitizer into build-sanitized/
# and run there (slower than the plain suite: about 2-3x). Leak reports are suppressed only for the
# libraries named in tests/sanitizers/lsan.supp, each with its reason.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# -O1 -g1 (as the sanitizers' documentation advises): at -O2 -g the sanitized build took 2.4x as long to compile.
cmake -S . -B build-sanitized -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DFGQ_SANITIZE=ON >/dev/null
cmake --build build-sanitized -j2
source scripts/sanitizer-env.sh
ctest --test-dir build-sanitized --output-on-failure

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
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=0
export LSAN_OPTIONS=suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-sanitized --output-on-failure

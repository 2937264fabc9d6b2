# Sourced by scripts/test-sanitized.sh and scripts/fuzz.sh: the sanitizers' run-time options, one set for
# both. Any undefined behaviour stops the process; leaks are reported except those tests/sanitizers/lsan.supp
# names, each with its reason.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=0
export LSAN_OPTIONS=suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

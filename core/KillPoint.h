#pragma once
// Deterministic crash points, for the tests of crash safety: with FGQ_KILL_AT=NAME or NAME#K in the
// environment, the process kills itself with SIGKILL (no handler, no flush: as `kill -9` would) the K-th
// time it reaches killPoint(NAME) (K = 1 without #K). Names in use: "step" (inside a training step,
// after backward and before the optimizer's update) and "write:FILE" (halfway through writing the
// temporary file that replaces FILE, a file name without its directory). Unset, a call costs a branch.
#include <string_view>

namespace fgq {

void killPoint(std::string_view name);

}  // namespace fgq

#pragma once
// Per-group ternary approximation w ~ alpha * t, t in {-1, 0, +1}^n (methods.md, section 1.3).
//   exact:     minimizes ||w - alpha t||^2: the k largest magnitudes for the best k (every k scanned,
//              ties to the smaller k), alpha their mean magnitude.
//   twn:       threshold 0.7 mean|w|, alpha the mean magnitude above it (the classic heuristic).
//   two_scale: separate alpha+ and alpha- for the positive and negative weights, each solved exactly.
#include <cstdint>
#include <string>

namespace fgq {

enum class TernarySolver { kExact, kTwn, kTwoScale };

TernarySolver parseTernarySolver(const std::string& name);  // "exact", "twn", "two_scale"; throws otherwise
std::string ternarySolverName(TernarySolver solver);

struct TernaryScales {
  float positive = 0, negative = 0;  // equal except for two_scale
};

// Solves one group of n values read with `stride` from `w`; writes codes (-1, 0, +1) to `codes`.
// `scratch` holds at least n floats.
TernaryScales solveTernaryGroup(TernarySolver solver, const float* w, int64_t n, int64_t stride, int8_t* codes,
                                float* scratch);

}  // namespace fgq
